from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.cluster_health import ClusterHealth
from ..models.cluster_type import ClusterType
from ..types import UNSET, Unset, parse_enum, parse_uuid

T = TypeVar("T", bound="Cluster")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "region",
        "type",
        "project_id",
        "health",
        "updated_at",
    }
)


@_attrs_define
class Cluster:
    """
    Attributes:
        id (UUID): The unique identifier for the cluster.
        name (str): The name of the cluster.
        region (str): The region the cluster belongs to.
        type_ (ClusterType): The type of cluster.
        project_id (str | Unset): The project ID the cluster belongs to.
        health (ClusterHealth | Unset): Computed health status of a cluster
        updated_at (datetime.datetime | Unset): Timestamp when the cluster was last updated.
    """

    id: UUID
    name: str
    region: str
    type_: ClusterType
    project_id: str | Unset = UNSET
    health: ClusterHealth | Unset = UNSET
    updated_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        region = self.region

        type_ = self.type_.value

        project_id = self.project_id

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
                "region": region,
                "type": type_,
            }
        )
        if project_id is not UNSET:
            field_dict["project_id"] = project_id
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

        region = d["region"]
        if not isinstance(region, str):
            raise TypeError("region must be str, got " + type(region).__name__)

        _type_ = d["type"]
        type_ = (
            type(_type_) is str and ClusterType._value2member_map_.get(_type_)
        ) or parse_enum(ClusterType, _type_, "type")

        project_id = d.get("project_id", UNSET)
        if not isinstance(project_id, (str, Unset)):
            raise TypeError("project_id must be str, got " + type(project_id).__name__)

        _health = d.get("health", UNSET)
        health: ClusterHealth | Unset
        if isinstance(_health, Unset):
            health = UNSET
        else:
            health = (
                type(_health) is str and ClusterHealth._value2member_map_.get(_health)
            ) or parse_enum(ClusterHealth, _health, "health")

        _updated_at = d.get("updated_at", UNSET)
        updated_at: datetime.datetime | Unset
        if isinstance(_updated_at, Unset):
            updated_at = UNSET
        else:
            updated_at = datetime.datetime.fromisoformat(_updated_at)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 4 + (project_id is not UNSET) + (health is not UNSET) + (
            updated_at is not UNSET
        )
        cluster = cls(
            id,
            name,
            region,
            type_,
            project_id,
            health,
            updated_at,
        )

        if all_known:
            cluster.additional_properties = {}
            return cluster
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        cluster.additional_properties = additional_properties
        return cluster

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
