from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.update_member_body_role import UpdateMemberBodyRole
from ..types import UNSET, Unset, parse_enum

T = TypeVar("T", bound="UpdateMemberBody")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "role",
    }
)


@_attrs_define
class UpdateMemberBody:
    """
    Attributes:
        role (UpdateMemberBodyRole | Unset): The new role to assign to the member (e.g., admin, member, viewer).
    """

    role: UpdateMemberBodyRole | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        role: str | Unset = UNSET
        if not isinstance(self.role, Unset):
            role = self.role.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        _role = d.get("role", UNSET)
        role: UpdateMemberBodyRole | Unset
        if isinstance(_role, Unset):
            role = UNSET
        else:
            role = (
                type(_role) is str
                and UpdateMemberBodyRole._value2member_map_.get(_role)
            ) or parse_enum(UpdateMemberBodyRole, _role, "role")

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 0 + (role is not UNSET)
        update_member_body = cls(
            role,
        )

        if all_known:
            update_member_body.additional_properties = {}
            return update_member_body
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        update_member_body.additional_properties = additional_properties
        return update_member_body

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
