from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.instance_state import InstanceState
from ..types import UNSET, Unset, decode_base64, encode_base64, parse_enum, parse_uuid

T = TypeVar("T", bound="Instance")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "ephemeral",
        "filesystems",
        "id",
        "image",
        "name",
        "preemptible",
        "state",
        "tags",
        "type",
        "ip",
        "userData",
    }
)


@_attrs_define
class Instance:
    """machine instance

    Attributes:
        ephemeral (bool): Whether the instance is ephemeral
        filesystems (list[UUID]): List of filesystem UUIDs attached to the instance Example:
            ['123e4567-e89b-12d3-a456-426614174000'].
        id (UUID): Unique identifier of the instance Example: 550e8400-e29b-41d4-a716-446655440000.
        image (str): Operating system image for the instance
        name (str): Name of the instance Example: instance-1.
        preemptible (bool): Whether the instance is preemptible Example: False.
        state (InstanceState): Possible states of a machine instance Example: running.
        tags (InstanceTags): Tags for the instance
        type_ (str): Instance type Example: h100-hgx-80gb.8x.
        ip (None | str | Unset): Private IP address of the instance
        user_data (bytes | None | Unset): Base64-encoded cloud-init user data for instance initialization
    """

    ephemeral: bool
    filesystems: list[UUID]
    id: UUID
    image: str
    name: str
    preemptible: bool
    state: InstanceState
    tags: InstanceTags
    type_: str
    ip: None | str | Unset = UNSET
    user_data: bytes | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        ephemeral = self.ephemeral

        filesystems = []
        for filesystems_item_data in self.filesystems:
            filesystems_item = str(filesystems_item_data)
            filesystems.append(filesystems_item)

        id = str(self.id)

        image = self.image

        name = self.name

        preemptible = self.preemptible

        state = self.state.value

        tags = self.tags.to_dict()

        type_ = self.type_

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        user_data = encode_base64(self.user_data)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "ephemeral": ephemeral,
                "filesystems": filesystems,
                "id": id,
                "image": image,
                "name": name,
                "preemptible": preemptible,
                "state": state,
                "tags": tags,
                "type": type_,
            }
        )
        if ip is not UNSET:
            field_dict["ip"] = ip
        if user_data is not UNSET:
            field_dict["userData"] = user_data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        ephemeral = d["ephemeral"]
        if not isinstance(ephemeral, bool):
            raise TypeError("ephemeral must be bool, got " + type(ephemeral).__name__)

        filesystems = []
        _filesystems = d["filesystems"]
        if not isinstance(_filesystems, list):
            raise TypeError(
                "filesystems must be a list, got " + type(_filesystems).__name__
            )
        for filesystems_item_data in _filesystems:
            filesystems_item = parse_uuid(filesystems_item_data, "filesystems[]")

            filesystems.append(filesystems_item)

        id = parse_uuid(d["id"], "id")

        image = d["image"]
        if not isinstance(image, str):
            raise TypeError("image must be str, got " + type(image).__name__)

        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        preemptible = d["preemptible"]
        if not isinstance(preemptible, bool):
            raise TypeError(
                "preemptible must be bool, got " + type(preemptible).__name__
            )

        _state = d["state"]
        state = (
            type(_state) is str and InstanceState._value2member_map_.get(_state)
        ) or parse_enum(InstanceState, _state, "state")

        tags = InstanceTags.from_dict(d["tags"])

        type_ = d["type"]
        if not isinstance(type_, str):
            raise TypeError("type must be str, got " + type(type_).__name__)

        ip = d.get("ip", UNSET)
        if ip is not None and ip is not UNSET and not isinstance(ip, str):
            raise TypeError("ip must be str, got " + type(ip).__name__)

        user_data = decode_base64(d.get("userData", UNSET), "user_data")

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 9 + (ip is not UNSET) + (user_data is not UNSET)
        instance = cls(
            ephemeral,
            filesystems,
            id,
            image,
            name,
            preemptible,
            state,
            tags,
            type_,
            ip,
            user_data,
        )

        if all_known:
            instance.additional_properties = {}
            return instance
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        instance.additional_properties = additional_properties
        return instance

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


from ..models.instance_tags import InstanceTags
