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
    from ._async_client import AsyncFluidstack


class _AsyncResource:
    def __init__(self, client: AsyncFluidstack) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class AsyncRegions(_AsyncResource):
    async def list(self) -> builtins.list[Region]:
        """ListRegions: `GET /regions`. Each region has a `name` and its API `url`."""
        return await self._client._call(list_regions.asyncio_detailed)


class AsyncClusters(_AsyncResource):
    async def list(self) -> builtins.list[Cluster]:
        """ListClusters: `GET /clusters`."""
        return await self._client._call(list_clusters.asyncio_detailed)


class AsyncOrganizations(_AsyncResource):
    async def list(self) -> builtins.list[Organization]:
        """ListOrganizations: `GET /organizations`."""
        return await self._client._call(list_organizations.asyncio_detailed)


class AsyncMembers(_AsyncResource):
    async def list(self) -> builtins.list[OrganizationMember]:
        """ListMembers: `GET /members`."""
        return await self._client._call(list_members.asyncio_detailed)

    async def update(self, member_id: str | uuid.UUID, *, role: str) -> None:
        """UpdateMember: `PATCH /members/{id}`; `role` is "admin", "editor" or "viewer"."""
        member = _validate.path_segment(member_id, "member_id")
        body = UpdateMemberBody(role=_validate.known_member(UpdateMemberBodyRole, role, "role"))
        await self._client._call(
            update_member.asyncio_detailed, member, body=body, expect_body=False
        )

    async def delete(self, member_id: str | uuid.UUID) -> None:
        """DeleteMember: `DELETE /members/{id}`."""
        member = _validate.path_segment(member_id, "member_id")
        await self._client._call(delete_member.asyncio_detailed, member, expect_body=False)


class AsyncInvitations(_AsyncResource):
    async def list(self) -> builtins.list[Invitation]:
        """ListInvitations: `GET /invitations`."""
        return await self._client._call(list_invitations.asyncio_detailed)

    async def create(self, *, email: str, role: str | None = None) -> None:
        """CreateInvitation: `POST /invitations`. Not retried on 5xx (it could invite twice)."""
        body = CreateInvitationBody(
            email=_validate.text(email, "email"),
            role=UNSET if role is None else _validate.text(role, "role"),
        )
        await self._client._call(create_invitation.asyncio_detailed, body=body, expect_body=False)

    async def delete(self, invitation_id: str | uuid.UUID) -> None:
        """DeleteInvitation: `DELETE /invitations/{id}`."""
        invitation = _validate.path_segment(invitation_id, "invitation_id")
        await self._client._call(delete_invitation.asyncio_detailed, invitation, expect_body=False)


class AsyncInstances(_AsyncResource):
    async def list(self, *, project_id: str | uuid.UUID | None = None) -> builtins.list[Instance]:
        """ListInstances: `GET /instances`, filtered by project (`X-PROJECT-ID`) if given."""
        project = UNSET if project_id is None else _validate.as_uuid(project_id, "project_id")
        return await self._client._call(list_instances.asyncio_detailed, x_project_id=project)

    async def get(self, instance_id: str | uuid.UUID) -> Instance:
        """GetInstance: `GET /instances/{id}`."""
        instance = _validate.as_uuid(instance_id, "instance_id")
        return await self._client._call(get_instance.asyncio_detailed, instance)


class AsyncKeys(_AsyncResource):
    async def list(self) -> builtins.list[SSHKey]:
        """ListKeys: `GET /user/keys`, the caller's public SSH keys."""
        return await self._client._call(list_keys.asyncio_detailed)

    async def register(self, *, name: str, key: str) -> None:
        """RegisterKey: `POST /user/keys`. A name already in use raises ConflictError."""
        body = SSHKey(name=_validate.text(name, "name"), key=_validate.text(key, "key"))
        await self._client._call(register_key.asyncio_detailed, body=body, expect_body=False)

    async def deregister(self, name: str) -> None:
        """DeregisterKey: `DELETE /user/keys/{name}`."""
        key_name = _validate.path_segment(name, "name")
        await self._client._call(deregister_key.asyncio_detailed, key_name, expect_body=False)
