from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FilesystemsPostRequest")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "name",
        "size",
    }
)


@_attrs_define
class FilesystemsPostRequest:
    """POST request for a filesystem

    Attributes:
        name (str): Name of the filesystem Example: fs-1.
        size (str): Size of the filesystem in GB Example: 512Gi.
    """

    name: str
    size: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        size = d["size"]
        if not isinstance(size, str):
            raise TypeError("size must be str, got " + type(size).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 2
        filesystems_post_request = cls(
            name,
            size,
        )

        if all_known:
            filesystems_post_request.additional_properties = {}
            return filesystems_post_request
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        filesystems_post_request.additional_properties = additional_properties
        return filesystems_post_request

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
