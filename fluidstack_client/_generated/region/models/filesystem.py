from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import parse_uuid

T = TypeVar("T", bound="Filesystem")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "size",
    }
)


@_attrs_define
class Filesystem:
    """Filesystem (virtio-fs)

    Attributes:
        id (UUID): Unique identifier of the filesystem Example: 123e4567-e89b-12d3-a456-426614174002.
        name (str): Name of the filesystem Example: fs-1.
        size (str): Size of the filesystem in GB Example: 512Gi.
    """

    id: UUID
    name: str
    size: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        id = parse_uuid(d["id"], "id")

        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        size = d["size"]
        if not isinstance(size, str):
            raise TypeError("size must be str, got " + type(size).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 3
        filesystem = cls(
            id,
            name,
            size,
        )

        if all_known:
            filesystem.additional_properties = {}
            return filesystem
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        filesystem.additional_properties = additional_properties
        return filesystem

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
