from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, decode_base64, encode_base64, parse_uuid

T = TypeVar("T", bound="InstancesPostRequest")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "name",
        "type",
        "ephemeral",
        "filesystems",
        "image",
        "preemptible",
        "tags",
        "userData",
    }
)


@_attrs_define
class InstancesPostRequest:
    """POST request for a machine instance

    Attributes:
        name (str): Name of the instance Example: instance-1.
        type_ (str): Instance type Example: h100-hgx-80gb.8x.
        ephemeral (bool | Unset): Whether the instance is ephemeral
        filesystems (list[UUID] | Unset): List of filesystem UUIDs attached to the instance Example:
            ['123e4567-e89b-12d3-a456-426614174000'].
        image (str | Unset): Operating system image for the instance
        preemptible (bool | Unset): Whether the instance is preemptible Example: False.
        tags (InstancesPostRequestTags | Unset): Tags for the instance. Tag keys must be 1–63 characters, start and end
            with alphanumerics, and may include `-`, `_`, and `.`.
        user_data (bytes | None | Unset): Base64-encoded cloud-init user data for instance initialization
    """

    name: str
    type_: str
    ephemeral: bool | Unset = UNSET
    filesystems: list[UUID] | Unset = UNSET
    image: str | Unset = UNSET
    preemptible: bool | Unset = UNSET
    tags: InstancesPostRequestTags | Unset = UNSET
    user_data: bytes | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        type_ = self.type_

        ephemeral = self.ephemeral

        filesystems: list[str] | Unset = UNSET
        if not isinstance(self.filesystems, Unset):
            filesystems = []
            for filesystems_item_data in self.filesystems:
                filesystems_item = str(filesystems_item_data)
                filesystems.append(filesystems_item)

        image = self.image

        preemptible = self.preemptible

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        user_data = encode_base64(self.user_data)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "type": type_,
            }
        )
        if ephemeral is not UNSET:
            field_dict["ephemeral"] = ephemeral
        if filesystems is not UNSET:
            field_dict["filesystems"] = filesystems
        if image is not UNSET:
            field_dict["image"] = image
        if preemptible is not UNSET:
            field_dict["preemptible"] = preemptible
        if tags is not UNSET:
            field_dict["tags"] = tags
        if user_data is not UNSET:
            field_dict["userData"] = user_data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        type_ = d["type"]
        if not isinstance(type_, str):
            raise TypeError("type must be str, got " + type(type_).__name__)

        ephemeral = d.get("ephemeral", UNSET)
        if not isinstance(ephemeral, (bool, Unset)):
            raise TypeError("ephemeral must be bool, got " + type(ephemeral).__name__)

        _filesystems = d.get("filesystems", UNSET)
        filesystems: list[UUID] | Unset = UNSET
        if _filesystems is not UNSET:
            if not isinstance(_filesystems, list):
                raise TypeError(
                    "filesystems must be a list, got " + type(_filesystems).__name__
                )
            filesystems = []
            for filesystems_item_data in _filesystems:
                filesystems_item = parse_uuid(filesystems_item_data, "filesystems[]")

                filesystems.append(filesystems_item)

        image = d.get("image", UNSET)
        if not isinstance(image, (str, Unset)):
            raise TypeError("image must be str, got " + type(image).__name__)

        preemptible = d.get("preemptible", UNSET)
        if not isinstance(preemptible, (bool, Unset)):
            raise TypeError(
                "preemptible must be bool, got " + type(preemptible).__name__
            )

        _tags = d.get("tags", UNSET)
        tags: InstancesPostRequestTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = InstancesPostRequestTags.from_dict(_tags)

        user_data = decode_base64(d.get("userData", UNSET), "user_data")

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 2 + (ephemeral is not UNSET) + (
            filesystems is not UNSET
        ) + (image is not UNSET) + (preemptible is not UNSET) + (tags is not UNSET) + (
            user_data is not UNSET
        )
        instances_post_request = cls(
            name,
            type_,
            ephemeral,
            filesystems,
            image,
            preemptible,
            tags,
            user_data,
        )

        if all_known:
            instances_post_request.additional_properties = {}
            return instances_post_request
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        instances_post_request.additional_properties = additional_properties
        return instances_post_request

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


from ..models.instances_post_request_tags import InstancesPostRequestTags
