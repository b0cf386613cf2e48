from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OrganizationMember")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "email",
        "role",
    }
)


@_attrs_define
class OrganizationMember:
    """
    Attributes:
        id (str): The unique identifier for the user.
        name (str): The name of the user.
        email (str): The email address of the user.
        role (str): The role of the user in the organization (e.g., admin, member, viewer).
    """

    id: str
    name: str
    email: str
    role: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        email = self.email

        role = self.role

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "email": email,
                "role": role,
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

        email = d["email"]
        if not isinstance(email, str):
            raise TypeError("email must be str, got " + type(email).__name__)

        role = d["role"]
        if not isinstance(role, str):
            raise TypeError("role must be str, got " + type(role).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 4
        organization_member = cls(
            id,
            name,
            email,
            role,
        )

        if all_known:
            organization_member.additional_properties = {}
            return organization_member
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        organization_member.additional_properties = additional_properties
        return organization_member

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
