from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InstancesPostRequestTags")


@_attrs_define
class InstancesPostRequestTags:
    """Tags for the instance. Tag keys must be 1–63 characters, start and end with alphanumerics, and may include `-`, `_`,
    and `.`.

    """

    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        # (no field to pass: the attrs __init__ would only make the dict set below)
        instances_post_request_tags = cls.__new__(cls)

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = prop_dict
            if not isinstance(additional_property, str):
                raise TypeError(
                    "AdditionalProperty must be str, got "
                    + type(additional_property).__name__
                )

            additional_properties[prop_name] = additional_property

        instances_post_request_tags.additional_properties = additional_properties
        return instances_post_request_tags

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
