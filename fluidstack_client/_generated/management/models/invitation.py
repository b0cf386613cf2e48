from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Invitation")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "email",
        "role",
    }
)


@_attrs_define
class Invitation:
    """
    Attributes:
        id (str): The invitation id.
        email (str): The email address of the user being invited.
        role (str): The role assigned to the user being invited (e.g., admin, member, viewer).
    """

    id: str
    email: str
    role: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        email = self.email

        role = self.role

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
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

        email = d["email"]
        if not isinstance(email, str):
            raise TypeError("email must be str, got " + type(email).__name__)

        role = d["role"]
        if not isinstance(role, str):
            raise TypeError("role must be str, got " + type(role).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 3
        invitation = cls(
            id,
            email,
            role,
        )

        if all_known:
            invitation.additional_properties = {}
            return invitation
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        invitation.additional_properties = additional_properties
        return invitation

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
