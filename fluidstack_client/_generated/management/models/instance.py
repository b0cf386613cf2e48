from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.instance_health import InstanceHealth
from ..models.instance_state import InstanceState
from ..types import UNSET, Unset, parse_enum, parse_uuid

T = TypeVar("T", bound="Instance")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "type",
        "state",
        "ip",
        "image",
        "preemptible",
        "ephemeral",
        "tags",
        "project_id",
        "region",
        "health",
        "updated_at",
    }
)


@_attrs_define
class Instance:
    """Machine instance

    Attributes:
        id (UUID): Unique identifier of the instance
        name (str): Name of the instance
        type_ (str): Instance type
        state (InstanceState): Possible states of a machine instance
        ip (None | str): Private IP address of the instance
        image (str): Operating system image for the instance
        preemptible (bool): Whether the instance is preemptible
        ephemeral (bool): Whether the instance is ephemeral
        tags (InstanceTags): Tags for the instance
        project_id (str): The project ID the instance belongs to
        region (str): The region the instance belongs to
        health (InstanceHealth | Unset): Computed health status of an instance
        updated_at (datetime.datetime | Unset): Timestamp when the instance was last updated
    """

    id: UUID
    name: str
    type_: str
    state: InstanceState
    ip: None | str
    image: str
    preemptible: bool
    ephemeral: bool
    tags: InstanceTags
    project_id: str
    region: str
    health: InstanceHealth | Unset = UNSET
    updated_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        type_ = self.type_

        state = self.state.value

        ip: None | str
        ip = self.ip

        image = self.image

        preemptible = self.preemptible

        ephemeral = self.ephemeral

        tags = self.tags.to_dict()

        project_id = self.project_id

        region = self.region

        health: str | Unset = UNSET
        if not isinstance(self.health, Unset):
            health = self.health.value

        updated_at: str | Unset = UNSET
        if not isinstance(self.updated_at, Unset):
            updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "type": type_,
                "state": state,
                "ip": ip,
                "image": image,
                "preemptible": preemptible,
                "ephemeral": ephemeral,
                "tags": tags,
                "project_id": project_id,
                "region": region,
            }
        )
        if health is not UNSET:
            field_dict["health"] = health
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        id = parse_uuid(d["id"], "id")

        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        type_ = d["type"]
        if not isinstance(type_, str):
            raise TypeError("type must be str, got " + type(type_).__name__)

        _state = d["state"]
        state = (
            type(_state) is str and InstanceState._value2member_map_.get(_state)
        ) or parse_enum(InstanceState, _state, "state")

        ip = d["ip"]
        if ip is not None and not isinstance(ip, str):
            raise TypeError("ip must be str, got " + type(ip).__name__)

        image = d["image"]
        if not isinstance(image, str):
            raise TypeError("image must be str, got " + type(image).__name__)

        preemptible = d["preemptible"]
        if not isinstance(preemptible, bool):
            raise TypeError(
                "preemptible must be bool, got " + type(preemptible).__name__
            )

        ephemeral = d["ephemeral"]
        if not isinstance(ephemeral, bool):
            raise TypeError("ephemeral must be bool, got " + type(ephemeral).__name__)

        tags = InstanceTags.from_dict(d["tags"])

        project_id = d["project_id"]
        if not isinstance(project_id, str):
            raise TypeError("project_id must be str, got " + type(project_id).__name__)

        region = d["region"]
        if not isinstance(region, str):
            raise TypeError("region must be str, got " + type(region).__name__)

        _health = d.get("health", UNSET)
        health: InstanceHealth | Unset
        if isinstance(_health, Unset):
            health = UNSET
        else:
            health = (
                type(_health) is str and InstanceHealth._value2member_map_.get(_health)
            ) or parse_enum(InstanceHealth, _health, "health")

        _updated_at = d.get("updated_at", UNSET)
        updated_at: datetime.datetime | Unset
        if isinstance(_updated_at, Unset):
            updated_at = UNSET
        else:
            updated_at = datetime.datetime.fromisoformat(_updated_at)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 11 + (health is not UNSET) + (updated_at is not UNSET)
        instance = cls(
            id,
            name,
            type_,
            state,
            ip,
            image,
            preemptible,
            ephemeral,
            tags,
            project_id,
            region,
            health,
            updated_at,
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
