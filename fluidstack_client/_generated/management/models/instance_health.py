from enum import StrEnum
from typing import Any


class InstanceHealth(StrEnum):
    """Computed health status of an instance

    A value the spec does not list still parses, as a member whose `is_known` is False."""

    ATTENTION = "attention"
    HEALTHY = "healthy"
    OFFLINE = "offline"
    STALE = "stale"

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """False for a value this version of the spec does not list."""
        return self._value_ in type(self)._value2member_map_

    @classmethod
    def _missing_(cls, value: Any) -> "InstanceHealth | None":
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member
