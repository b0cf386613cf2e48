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
from ._async_send import with_raw_response
from ._generated.management.api.clusters import list_clusters
from ._generated.management.api.instances import get_instance, list_instances
from ._generated.management.api.invitations import (
    create_invitation,
    delete_invitation,
    list_invitations,
)
from ._generated.management.api.members import delete_member, list_members, update_member
from ._generated.management.api.organizations import list_organizations
from ._generated.management.api.regions import list_regions
from ._generated.management.api.user import deregister_key, list_keys, register_key
from ._generated.management.models import (
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
from ._generated.management.types import UNSET

if TYPE_CHECKING:
    from ._async_client import AsyncFluidstack


class _AsyncResource:
    """The operations on one kind of resource; reached as an attribute of the client."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncFluidstack) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class AsyncRegions(_AsyncResource):
    """`fs.regions`: the API's regions."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncRegionsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncRegionsWithRawResponse(self)

    async def list(self) -> builtins.list[Region]:
        """The regions of the API (`GET /regions`).

        Returns:
            Each region's `name` and the `url` of its API (what `region()` uses).

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_regions.asyncio_detailed)


class AsyncClusters(_AsyncResource):
    """`fs.clusters`: clusters."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncClustersWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncClustersWithRawResponse(self)

    async def list(self) -> builtins.list[Cluster]:
        """The clusters the caller can see (`GET /clusters`).

        Returns:
            Every cluster, with its region, type (`kubernetes` or `slurm`), project
            and health.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_clusters.asyncio_detailed)


class AsyncOrganizations(_AsyncResource):
    """`fs.organizations`: the caller's organizations."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncOrganizationsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncOrganizationsWithRawResponse(self)

    async def list(self) -> builtins.list[Organization]:
        """The caller's organizations (`GET /organizations`).

        Returns:
            Every organization the token belongs to.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_organizations.asyncio_detailed)


class AsyncMembers(_AsyncResource):
    """`fs.members`: the organization's members."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncMembersWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncMembersWithRawResponse(self)

    async def list(self) -> builtins.list[OrganizationMember]:
        """The members of the organization (`GET /members`).

        Returns:
            Every member, with their e-mail and role.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_members.asyncio_detailed)

    async def update(self, member_id: str | uuid.UUID, *, role: str) -> None:
        """Change a member's role (`PATCH /members/{id}`). Retried like a read: it sets a value.

        Args:
            member_id: The member's id.
            role: `"admin"`, `"editor"` or `"viewer"`.

        Raises:
            InvalidParameterError: `member_id` is not a usable path segment (empty, `.`, `..`,
                control characters) or `role` is not one of the three (nothing is sent).
            BadRequestError: 400: the API refused the change.
            NotFoundError: 404: no member with that id.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        member = _validate.path_segment(member_id, "member_id")
        body = UpdateMemberBody(role=_validate.known_member(UpdateMemberBodyRole, role, "role"))
        await self._client._call(
            update_member.asyncio_detailed, member, body=body, expect_body=False
        )

    async def delete(self, member_id: str | uuid.UUID) -> None:
        """Remove a member from the organization (`DELETE /members/{id}`).

        Args:
            member_id: The member's id.

        Raises:
            InvalidParameterError: `member_id` is not a usable path
                segment (empty, `.`, `..`, control characters).
            NotFoundError: 404: no member with that id.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        member = _validate.path_segment(member_id, "member_id")
        await self._client._call(delete_member.asyncio_detailed, member, expect_body=False)


class AsyncInvitations(_AsyncResource):
    """`fs.invitations`: invitations to the organization."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncInvitationsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncInvitationsWithRawResponse(self)

    async def list(self) -> builtins.list[Invitation]:
        """The organization's open invitations (`GET /invitations`).

        Returns:
            Every invitation, with its e-mail and role.

        Raises:
            BadRequestError: 400: the API refused the request.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_invitations.asyncio_detailed)

    async def create(self, *, email: str, role: str | None = None) -> None:
        """Invite someone to the organization by e-mail (`POST /invitations`).

        Not retried after the request may have reached the server (a 5xx, a dropped
        connection): a second attempt could send a second e-mail. It is retried only
        when it provably never arrived (the connection could not be made).

        Args:
            email: Who to invite.
            role: The role to give, e.g. `"viewer"` (the spec does not restrict it);
                the API's default if omitted.

        Raises:
            InvalidParameterError: `email` or `role` is empty or not text (nothing is
                sent).
            BadRequestError: 400: the API refused the invitation.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        body = CreateInvitationBody(
            email=_validate.text(email, "email"),
            role=UNSET if role is None else _validate.text(role, "role"),
        )
        await self._client._call(create_invitation.asyncio_detailed, body=body, expect_body=False)

    async def delete(self, invitation_id: str | uuid.UUID) -> None:
        """Withdraw an invitation (`DELETE /invitations/{id}`).

        Args:
            invitation_id: The invitation's id.

        Raises:
            InvalidParameterError: `invitation_id` is not a usable path
                segment (empty, `.`, `..`, control characters).
            NotFoundError: 404: no invitation with that id.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        invitation = _validate.path_segment(invitation_id, "invitation_id")
        await self._client._call(delete_invitation.asyncio_detailed, invitation, expect_body=False)


class AsyncInstances(_AsyncResource):
    """`fs.instances`: instances."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncInstancesWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncInstancesWithRawResponse(self)

    async def list(self, *, project_id: str | uuid.UUID | None = None) -> builtins.list[Instance]:
        """The instances the caller can see (`GET /instances`).

        Args:
            project_id: Only this project's instances (sent as `X-PROJECT-ID`).

        Returns:
            Every instance, with its state, type, IP address (`None` until it has
            one), tags, region and health.

        Raises:
            InvalidParameterError: `project_id` is not a UUID (nothing is sent).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        project = UNSET if project_id is None else _validate.as_uuid(project_id, "project_id")
        return await self._client._call(list_instances.asyncio_detailed, x_project_id=project)

    async def get(self, instance_id: str | uuid.UUID) -> Instance:
        """One instance (`GET /instances/{id}`).

        Args:
            instance_id: The instance's id, a UUID or its string form.

        Returns:
            The instance.

        Raises:
            InvalidParameterError: `instance_id` is not a UUID (nothing is sent).
            NotFoundError: 404: no instance with that id.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        instance = _validate.as_uuid(instance_id, "instance_id")
        return await self._client._call(get_instance.asyncio_detailed, instance)


class AsyncKeys(_AsyncResource):
    """`fs.keys`: the caller's SSH public keys."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncKeysWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncKeysWithRawResponse(self)

    async def list(self) -> builtins.list[SSHKey]:
        """The caller's registered SSH public keys (`GET /user/keys`).

        Returns:
            Every key, with its `name` and the public `key` text.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_keys.asyncio_detailed)

    async def register(self, *, name: str, key: str) -> None:
        """Register an SSH public key for the caller (`POST /user/keys`).

        Retried only when the request provably never arrived (as every POST).

        Args:
            name: A name for the key, unique among the caller's keys.
            key: The public key, e.g. `"ssh-ed25519 AAAA... me@laptop"`.

        Raises:
            InvalidParameterError: `name` or `key` is empty or not text (nothing is sent).
            ConflictError: 409: a key with that name is already registered.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        body = SSHKey(name=_validate.text(name, "name"), key=_validate.text(key, "key"))
        await self._client._call(register_key.asyncio_detailed, body=body, expect_body=False)

    async def deregister(self, name: str) -> None:
        """Remove one of the caller's SSH keys (`DELETE /user/keys/{name}`).

        Args:
            name: The key's name.

        Raises:
            InvalidParameterError: `name` is not a usable path
                segment (empty, `.`, `..`, control characters).
            NotFoundError: 404: no key with that name.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        key_name = _validate.path_segment(name, "name")
        await self._client._call(deregister_key.asyncio_detailed, key_name, expect_body=False)


# -- with_raw_response: the same calls, each returning a RawResponse ---------------------


class AsyncRegionsWithRawResponse:
    """`fs.regions.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncRegions) -> None:
        self.list = with_raw_response(resource.list)


class AsyncClustersWithRawResponse:
    """`fs.clusters.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncClusters) -> None:
        self.list = with_raw_response(resource.list)


class AsyncOrganizationsWithRawResponse:
    """`fs.organizations.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncOrganizations) -> None:
        self.list = with_raw_response(resource.list)


class AsyncMembersWithRawResponse:
    """`fs.members.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        update: `update()`, returning a `RawResponse`.
        delete: `delete()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncMembers) -> None:
        self.list = with_raw_response(resource.list)
        self.update = with_raw_response(resource.update)
        self.delete = with_raw_response(resource.delete)


class AsyncInvitationsWithRawResponse:
    """`fs.invitations.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        create: `create()`, returning a `RawResponse`.
        delete: `delete()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncInvitations) -> None:
        self.list = with_raw_response(resource.list)
        self.create = with_raw_response(resource.create)
        self.delete = with_raw_response(resource.delete)


class AsyncInstancesWithRawResponse:
    """`fs.instances.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        get: `get()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncInstances) -> None:
        self.list = with_raw_response(resource.list)
        self.get = with_raw_response(resource.get)


class AsyncKeysWithRawResponse:
    """`fs.keys.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        register: `register()`, returning a `RawResponse`.
        deregister: `deregister()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncKeys) -> None:
        self.list = with_raw_response(resource.list)
        self.register = with_raw_response(resource.register)
        self.deregister = with_raw_response(resource.deregister)
