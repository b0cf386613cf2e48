from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Organization")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "display_name",
    }
)


@_attrs_define
class Organization:
    """
    Attributes:
        id (str): The unique identifier for the organization.
        name (str): The name of the organization.
        display_name (str): The name of the organization.
    """

    id: str
    name: str
    display_name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        display_name = self.display_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "display_name": display_name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        id = d["id"]
        if not isinstance(id, str):
            raise TypeError("id must be str, got " + type(id).__name__)

        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        display_name = d["display_name"]
        if not isinstance(display_name, str):
            raise TypeError(
                "display_name must be str, got " + type(display_name).__name__
            )

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 3
        organization = cls(
            id,
            name,
            display_name,
        )

        if all_known:
            organization.additional_properties = {}
            return organization
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        organization.additional_properties = additional_properties
        return organization

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
