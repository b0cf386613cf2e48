from enum import StrEnum
from typing import Any


class InstanceState(StrEnum):
    """Possible states of a machine instance

    A value the spec does not list still parses, as a member whose `is_known` is False."""

    CREATING = "creating"
    DELETING = "deleting"
    ERROR = "error"
    OUT_OF_STOCK = "out-of-stock"
    RUNNING = "running"
    STARTING = "starting"
    STOPPED = "stopped"
    STOPPING = "stopping"

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """False for a value this version of the spec does not list."""
        return self._value_ in type(self)._value2member_map_

    @classmethod
    def _missing_(cls, value: Any) -> "InstanceState | None":
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member
