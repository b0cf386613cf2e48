from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Capacity")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "capacity",
        "name",
    }
)


@_attrs_define
class Capacity:
    """
    Attributes:
        capacity (int): Available instance count Example: 1.
        name (str): Available instance type Example: h100-hgx-80gb.8x.
    """

    capacity: int
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        capacity = self.capacity

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "capacity": capacity,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        capacity = d["capacity"]
        if not isinstance(capacity, int) or isinstance(capacity, bool):
            raise TypeError("capacity must be int, got " + type(capacity).__name__)

        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 2
        capacity = cls(
            capacity,
            name,
        )

        if all_known:
            capacity.additional_properties = {}
            return capacity
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        capacity.additional_properties = additional_properties
        return capacity

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
