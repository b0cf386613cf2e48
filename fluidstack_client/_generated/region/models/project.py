from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.project_state import ProjectState
from ..types import parse_enum, parse_uuid

T = TypeVar("T", bound="Project")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "name",
        "state",
        "tags",
    }
)


@_attrs_define
class Project:
    """Project information

    Attributes:
        id (UUID): Unique identifier of the project Example: 123e4567-e89b-12d3-a456-426614174003.
        name (str): Name of the project Example: project-1.
        state (ProjectState): Possible states of a project
        tags (ProjectTags): Tags for the project
    """

    id: UUID
    name: str
    state: ProjectState
    tags: ProjectTags
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        state = self.state.value

        tags = self.tags.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "state": state,
                "tags": tags,
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

        _state = d["state"]
        state = (
            type(_state) is str and ProjectState._value2member_map_.get(_state)
        ) or parse_enum(ProjectState, _state, "state")

        tags = ProjectTags.from_dict(d["tags"])

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 4
        project = cls(
            id,
            name,
            state,
            tags,
        )

        if all_known:
            project.additional_properties = {}
            return project
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        project.additional_properties = additional_properties
        return project

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


from ..models.project_tags import ProjectTags
