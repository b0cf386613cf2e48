# Derived from _async_resources.py by scripts/unasync.py (make generate). Do not edit:
# change _async_resources.py and regenerate.
"""`client.<resource>.<verb>()`: one method per operation of the spec.

Each method checks its arguments, then hands the generated endpoint function to the
client, which adds auth, retry and error mapping. Requests are built and bodies
parsed by the generated code only. Written once, async; the sync resources are
derived from this text by `scripts/unasync.py`.
"""

from __future__ import annotations

import builtins
import uuid
from typing import TYPE_CHECKING

from . import _validate
from ._generated.api.clusters import list_clusters
from ._generated.api.instances import get_instance, list_instances
from ._generated.api.invitations import create_invitation, delete_invitation, list_invitations
from ._generated.api.members import delete_member, list_members, update_member
from ._generated.api.organizations import list_organizations
from ._generated.api.regions import list_regions
from ._generated.api.user import deregister_key, list_keys, register_key
from ._generated.models import (
    Cluster,
    CreateInvitationBody,
    Instance,
    Invitation,
    Organization,
    OrganizationMember,
    Region,
    SSHKey,
    UpdateMemberBody,
    UpdateMemberBodyRole,
)
from ._generated.types import UNSET

if TYPE_CHECKING:
    from ._sync_client import Fluidstack


class _Resource:
    def __init__(self, client: Fluidstack) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class Regions(_Resource):
    def list(self) -> builtins.list[Region]:
        """ListRegions: `GET /regions`. Each region has a `name` and its API `url`."""
        return self._client._call(list_regions.sync_detailed)


class Clusters(_Resource):
    def list(self) -> builtins.list[Cluster]:
        """ListClusters: `GET /clusters`."""
        return self._client._call(list_clusters.sync_detailed)


class Organizations(_Resource):
    def list(self) -> builtins.list[Organization]:
        """ListOrganizations: `GET /organizations`."""
        return self._client._call(list_organizations.sync_detailed)


class Members(_Resource):
    def list(self) -> builtins.list[OrganizationMember]:
        """ListMembers: `GET /members`."""
        return self._client._call(list_members.sync_detailed)

    def update(self, member_id: str | uuid.UUID, *, role: str) -> None:
        """UpdateMember: `PATCH /members/{id}`; `role` is "admin", "editor" or "viewer"."""
        member = _validate.path_segment(member_id, "member_id")
        body = UpdateMemberBody(role=_validate.known_member(UpdateMemberBodyRole, role, "role"))
        self._client._call(update_member.sync_detailed, member, body=body, expect_body=False)

    def delete(self, member_id: str | uuid.UUID) -> None:
        """DeleteMember: `DELETE /members/{id}`."""
        member = _validate.path_segment(member_id, "member_id")
        self._client._call(delete_member.sync_detailed, member, expect_body=False)


class Invitations(_Resource):
    def list(self) -> builtins.list[Invitation]:
        """ListInvitations: `GET /invitations`."""
        return self._client._call(list_invitations.sync_detailed)

    def create(self, *, email: str, role: str | None = None) -> None:
        """CreateInvitation: `POST /invitations`. Not retried on 5xx (it could invite twice)."""
        body = CreateInvitationBody(
            email=_validate.text(email, "email"),
            role=UNSET if role is None else _validate.text(role, "role"),
        )
        self._client._call(create_invitation.sync_detailed, body=body, expect_body=False)

    def delete(self, invitation_id: str | uuid.UUID) -> None:
        """DeleteInvitation: `DELETE /invitations/{id}`."""
        invitation = _validate.path_segment(invitation_id, "invitation_id")
        self._client._call(delete_invitation.sync_detailed, invitation, expect_body=False)


class Instances(_Resource):
    def list(self, *, project_id: str | uuid.UUID | None = None) -> builtins.list[Instance]:
        """ListInstances: `GET /instances`, filtered by project (`X-PROJECT-ID`) if given."""
        project = UNSET if project_id is None else _validate.as_uuid(project_id, "project_id")
        return self._client._call(list_instances.sync_detailed, x_project_id=project)

    def get(self, instance_id: str | uuid.UUID) -> Instance:
        """GetInstance: `GET /instances/{id}`."""
        instance = _validate.as_uuid(instance_id, "instance_id")
        return self._client._call(get_instance.sync_detailed, instance)


class Keys(_Resource):
    def list(self) -> builtins.list[SSHKey]:
        """ListKeys: `GET /user/keys`, the caller's public SSH keys."""
        return self._client._call(list_keys.sync_detailed)

    def register(self, *, name: str, key: str) -> None:
        """RegisterKey: `POST /user/keys`. A name already in use raises ConflictError."""
        body = SSHKey(name=_validate.text(name, "name"), key=_validate.text(key, "key"))
        self._client._call(register_key.sync_detailed, body=body, expect_body=False)

    def deregister(self, name: str) -> None:
        """DeregisterKey: `DELETE /user/keys/{name}`."""
        key_name = _validate.path_segment(name, "name")
        self._client._call(deregister_key.sync_detailed, key_name, expect_body=False)
