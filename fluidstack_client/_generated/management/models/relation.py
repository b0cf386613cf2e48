from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Relation")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "org_id",
        "role",
    }
)


@_attrs_define
class Relation:
    """
    Attributes:
        org_id (str): The organization ID for the relation.
        role (str): The role associated with the organization.
    """

    org_id: str
    role: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        org_id = self.org_id

        role = self.role

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "org_id": org_id,
                "role": role,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        org_id = d["org_id"]
        if not isinstance(org_id, str):
            raise TypeError("org_id must be str, got " + type(org_id).__name__)

        role = d["role"]
        if not isinstance(role, str):
            raise TypeError("role must be str, got " + type(role).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 2
        relation = cls(
            org_id,
            role,
        )

        if all_known:
            relation.additional_properties = {}
            return relation
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        relation.additional_properties = additional_properties
        return relation

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
