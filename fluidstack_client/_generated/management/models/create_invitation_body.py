from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateInvitationBody")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "email",
        "role",
    }
)


@_attrs_define
class CreateInvitationBody:
    """
    Attributes:
        email (str): The email address of the user to invite.
        role (str | Unset): The role to assign to the user (e.g., admin, member, viewer).
    """

    email: str
    role: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        role = self.role

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "email": email,
            }
        )
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        email = d["email"]
        if not isinstance(email, str):
            raise TypeError("email must be str, got " + type(email).__name__)

        role = d.get("role", UNSET)
        if not isinstance(role, (str, Unset)):
            raise TypeError("role must be str, got " + type(role).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 1 + (role is not UNSET)
        create_invitation_body = cls(
            email,
            role,
        )

        if all_known:
            create_invitation_body.additional_properties = {}
            return create_invitation_body
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        create_invitation_body.additional_properties = additional_properties
        return create_invitation_body

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
