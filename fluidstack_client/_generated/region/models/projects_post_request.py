from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ProjectsPostRequest")

# The fields the spec names: any other key of the server's object is an additional property.
_KNOWN_FIELDS = frozenset(
    {
        "name",
        "tags",
    }
)


@_attrs_define
class ProjectsPostRequest:
    """POST request for a project

    Attributes:
        name (str): Name of the project Example: project-1.
        tags (ProjectsPostRequestTags | Unset): Tags for the project. Tag keys must be 1–63 characters, start and end
            with alphanumerics, and may include `-`, `_`, and `.`.
    """

    name: str
    tags: ProjectsPostRequestTags | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = src_dict
        name = d["name"]
        if not isinstance(name, str):
            raise TypeError("name must be str, got " + type(name).__name__)

        _tags = d.get("tags", UNSET)
        tags: ProjectsPostRequestTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = ProjectsPostRequestTags.from_dict(_tags)

        # Counted before the model is made: its local may share a field's name.
        all_known = len(d) == 1 + (tags is not UNSET)
        projects_post_request = cls(
            name,
            tags,
        )

        if all_known:
            projects_post_request.additional_properties = {}
            return projects_post_request
        additional_properties = {}
        for prop_name, prop_dict in d.items():
            if prop_name in _KNOWN_FIELDS:
                continue
            additional = prop_dict

            additional_properties[prop_name] = additional

        projects_post_request.additional_properties = additional_properties
        return projects_post_request

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


from ..models.projects_post_request_tags import ProjectsPostRequestTags
