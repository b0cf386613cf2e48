from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="InstanceType")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "cpu",
        "memory",
        "name",
        "gpu_count",
        "gpu_model",
    }
)


@_attrs_define
class InstanceType:
    """Machine instance type

    Attributes:
        cpu (int): Number of CPUs the instance type has Example: 128.
        memory (str): Amount of memory the instance type has Example: 1Ti.
        name (str): Name of the instance type Example: h100-hgx-80gb.8x.
        gpu_count (int | Unset): Number of GPUs the instance type has
        gpu_model (str | Unset): GPU model the instance type has
    """

    cpu: int
    memory: str
    name: str
    gpu_count: int | Unset = UNSET
    gpu_model: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cpu = self.cpu

        memory = self.memory

        name = self.name

        gpu_count = self.gpu_count

        gpu_model = self.gpu_model

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cpu": cpu,
                "memory": memory,
                "name": name,
            }
        )
        if gpu_count is not UNSET:
            field_dict["gpu_count"] = gpu_count
        if gpu_model is not UNSET:
            field_dict["gpu_model"] = gpu_model

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        cpu = d["cpu"]
        if not isinstance(cpu, int) or isinstance(cpu, bool):
            raise TypeError("cpu must be int, got " + type(cpu).__name__)

        memory = d["memory"]
        if not isinstance(memory, str):
            raise TypeError("memory must be str, got " + type(memory).__name__)

        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        gpu_count = d.get("gpu_count", UNSET)
        if not isinstance(gpu_count, (int, Unset)) or isinstance(gpu_count, bool):
            raise TypeError("gpu_count must be int, got " + type(gpu_count).__name__)

        gpu_model = d.get("gpu_model", UNSET)
        if not isinstance(gpu_model, (str, Unset)):
            raise TypeError("gpu_model must be str, got " + type(gpu_model).__name__)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 3 + (gpu_count is not UNSET) + (gpu_model is not UNSET)
        instance_type = cls(
            cpu,
            memory,
            name,
            gpu_count,
            gpu_model,
        )

        if all_known:
            instance_type.additional_properties = {}
            return instance_type
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        instance_type.additional_properties = additional_properties
        return instance_type

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
