"""`region.<resource>.<verb>()`: one method per operation of the regional spec.

Each method checks its arguments (the project included: `X-PROJECT-ID`, the
client's unless the call names one), then hands the generated endpoint function to
the client's send path, as the Management resources do. Written once, async; the
sync resources are derived from this text by `scripts/unasync.py`.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from . import _validate, _waiting
from ._async_backend import ASYNC, call_back, monotonic
from ._async_send import with_raw_response
from ._error_mapping import validation_error
from ._generated.management.types import Response
from ._generated.region.api.capabilities import list_capabilities
from ._generated.region.api.capacity import list_capacity
from ._generated.region.api.filesystems import (
    create_filesystem,
    delete_filesystem,
    get_filesystem,
    list_filesystems,
)
from ._generated.region.api.instance_types import list_instance_types
from ._generated.region.api.instances import (
    create_instance,
    delete_instance,
    get_instance,
    list_instances,
    start_instance,
    stop_instance,
)
from ._generated.region.api.kubernetes import (
    list_kubernetes_clusters,
    list_kubernetes_node_pools,
)
from ._generated.region.api.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
)
from ._generated.region.api.slurm import list_slurm_clusters, list_slurm_node_pools
from ._generated.region.models import (
    Capacity,
    Error,
    Filesystem,
    FilesystemsPostRequest,
    Instance,
    InstancesPostRequest,
    InstancesPostRequestTags,
    InstanceType,
    KubernetesCluster,
    KubernetesNodePool,
    Project,
    ProjectsPostRequest,
    ProjectsPostRequestTags,
    SlurmCluster,
    SlurmNodePool,
)
from ._raw import RawResponse
from ._retry import parse_retry_after
from .errors import FluidstackError, InstanceStateError, NotFoundError, WaitTimeoutError

if TYPE_CHECKING:
    from ._async_region import AsyncRegionClient

ProjectId = str | uuid.UUID | None
T = TypeVar("T")
M = TypeVar("M", Instance, Project)
log = logging.getLogger("fluidstack_client")


class _AsyncRegionResource:
    """The operations on one kind of a region's resources; an attribute of the client."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncRegionClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _in_project(
        self,
        endpoint: Callable[..., Awaitable[Response[Error | T]]],
        project_id: ProjectId,
        /,
        *args: Any,
        expect_body: bool = True,
        **kwargs: Any,
    ) -> T:
        """Call `endpoint` in the call's project (`project_id`, else the client's)."""
        project = self._client._project_for(project_id)
        return await self._client._call(
            endpoint, *args, x_project_id=project, expect_body=expect_body, **kwargs
        )

    async def _wait(
        self,
        poll: Callable[[AsyncRegionClient], Awaitable[RawResponse[M]]],
        kind: str,
        subject: uuid.UUID,
        *,
        until: frozenset[str] | None,
        fail_on: frozenset[str],
        timeout: float,  # noqa: ASYNC109 - a wait's own length, not an I/O timeout
        on_change: Callable[[M], object] | None,
    ) -> M | None:
        """Poll until the state is in `until` (None: until the poll answers 404), on the
        schedule `_waiting` decides. Returns the last object seen (None when gone)."""
        what = f"{kind} {subject}"
        client = self._client
        clock = client._shared.clock
        now = monotonic if clock is None else clock.now
        started = now()
        patience = client._patience()
        # Near the end, a poll gets no retries: the wait then overruns its timeout by
        # one attempt's deadline at most.
        last_chance = client.with_options(max_retries=0)
        last: M | None = None
        seen: str | None = None
        polls = 0
        while True:
            polls += 1
            remaining = timeout - (now() - started)
            if patience is None:  # a client without a deadline: the wait lends it one
                poller = client.with_options(
                    max_retries=0, timeout=_waiting.poll_deadline(remaining)
                )
            else:
                poller = client if remaining > patience else last_chance
            retry_after: float | None = None
            try:
                raw = await poll(poller)
            except NotFoundError:
                if until is None:
                    return None
                raise
            except FluidstackError as exc:
                if not _waiting.survivable(exc):
                    raise
                retry_after = _waiting.retry_after_of(exc)
            else:
                last = raw.parse()
                if last.id != subject:  # (a cache or proxy answering for another)
                    problem = f"is {kind} {last.id}, not the {subject} polled for"
                    raise validation_error(raw.http_response, problem)
                retry_after = parse_retry_after(raw.headers.get("Retry-After"))
                state = str(last.state)
                if state != seen:
                    log.info(
                        "%s: %s -> %s after %.1fs",
                        what,
                        _waiting.describe(seen),
                        state,
                        now() - started,
                    )
                    seen = state
                    if on_change is not None:
                        await call_back(on_change, last, "on_change")
                if until is not None and state in until:
                    return last
                if state in fail_on and isinstance(last, Instance):  # (projects: none)
                    raise InstanceStateError(f"{what} is {state}", instance=last)
            remaining = timeout - (now() - started)
            if remaining <= 0:
                target = "to be gone" if until is None else f"to be {' or '.join(sorted(until))}"
                raise WaitTimeoutError(
                    f"waited {timeout:g}s for {what} {target}; it is {_waiting.describe(seen)}",
                    last=last,
                )
            await client._pause(_waiting.next_pause(polls, remaining, retry_after))


class AsyncRegionInstances(_AsyncRegionResource):
    """`region.instances`: the region's instances, and their lifecycle."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncRegionInstancesWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncRegionInstancesWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[Instance]:
        """The project's instances (`GET /instances`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            Every instance of the project, with its state.

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries (501: the
                region does not offer this).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_instances.asyncio_detailed, project_id)

    async def get(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> Instance:
        """One instance (`GET /instances/{id}`): poll it to follow its `state`.

        Args:
            instance_id: The instance's id, a UUID or its string form.
            project_id: The project (default: the client's).

        Returns:
            The instance.

        Raises:
            InvalidParameterError: No project, or an id that is not a UUID (nothing is
                sent).
            NotFoundError: 404: no such instance (a deleted one, once it is gone).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        instance = _validate.as_uuid(instance_id, "instance_id")
        return await self._in_project(get_instance.asyncio_detailed, project_id, instance)

    async def create(
        self,
        *,
        name: str,
        type: str,
        image: str | None = None,
        preemptible: bool | None = None,
        ephemeral: bool | None = None,
        tags: Mapping[str, str] | None = None,
        filesystems: Iterable[str | uuid.UUID] | None = None,
        user_data: bytes | str | None = None,
        project_id: ProjectId = None,
    ) -> Instance:
        """Create an instance (`POST /instances`). It starts as `creating`: wait for
        `running` by polling `get()`; `out-of-stock` means the type ran out.

        Never sent twice: retried only when the request provably never left (the
        connection could not be made), since a second instance costs money. After a
        dropped connection or a timeout, list the project's instances to see whether
        it was created.

        Args:
            name: The instance's name.
            type: An instance type the region offers (`instance_types.list()`).
            image: The operating system image (the region's default if omitted).
            preemptible: Whether it may be preempted.
            ephemeral: Whether it is ephemeral.
            tags: Tags, text to text.
            filesystems: Ids of filesystems to attach (UUIDs).
            user_data: cloud-init user data, as bytes or text (sent as UTF-8); it goes
                out base64-encoded.
            project_id: The project (default: the client's).

        Returns:
            The new instance, as the region answered.

        Raises:
            InvalidParameterError: No project, or an argument of the wrong type
                (nothing is sent).
            BadRequestError: 400: the region refused it (a type it does not offer, an
                empty name, ...), with its message.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        body = InstancesPostRequest(
            name=_validate.string(name, "name"),
            type_=_validate.string(type, "type"),
            ephemeral=_validate.optional(ephemeral, _validate.flag, "ephemeral"),
            filesystems=_validate.optional(filesystems, _validate.uuids, "filesystems"),
            image=_validate.optional(image, _validate.string, "image"),
            preemptible=_validate.optional(preemptible, _validate.flag, "preemptible"),
            tags=_validate.optional(tags, _instance_tags, "tags"),
            user_data=_validate.optional(user_data, _validate.data, "user_data"),
        )
        return await self._in_project(create_instance.asyncio_detailed, project_id, body=body)

    async def delete(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
        """Delete an instance (`DELETE /instances/{id}`). Asynchronous: it may still be
        listed (`deleting`) until `get()` answers 404.

        Args:
            instance_id: The instance's id.
            project_id: The project (default: the client's).

        Raises:
            InvalidParameterError: No project, or an id that is not a UUID (nothing is
                sent).
            NotFoundError: 404: no such instance.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        await self._action(delete_instance.asyncio_detailed, instance_id, project_id)

    async def start(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
        """Start a stopped instance (`POST /instances/{id}/actions/start`). Asynchronous:
        poll `get()` until `running`. Never sent twice (see `create`).

        Args:
            instance_id: The instance's id.
            project_id: The project (default: the client's).

        Raises:
            InvalidParameterError: No project, or an id that is not a UUID (nothing is
                sent).
            ConflictError: 409: its state does not allow it (already running, ...).
            BadRequestError: 400: the region refused it.
            NotFoundError: 404: no such instance.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        await self._action(start_instance.asyncio_detailed, instance_id, project_id)

    async def stop(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
        """Stop a running instance (`POST /instances/{id}/actions/stop`). Asynchronous:
        poll `get()` until `stopped`. Never sent twice (see `create`).

        Args:
            instance_id: The instance's id.
            project_id: The project (default: the client's).

        Raises:
            InvalidParameterError: No project, or an id that is not a UUID (nothing is
                sent).
            ConflictError: 409: its state does not allow it (already stopped, ...).
            BadRequestError: 400: the region refused it.
            NotFoundError: 404: no such instance.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        await self._action(stop_instance.asyncio_detailed, instance_id, project_id)

    async def wait(
        self,
        instance_id: str | uuid.UUID,
        *,
        until: str | Iterable[str] = "running",
        timeout: float = _waiting.DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - the wait's length
        fail_on: str | Iterable[str] = _waiting.DEFAULT_FAIL_ON,
        on_change: Callable[[Instance], object] | None = None,
        project_id: ProjectId = None,
    ) -> Instance:
        """Wait until an instance's `state` is in `until`, polling `get()`.

        ```python
        instance = await region.instances.create(name="train-0", type="h100-80gb.8x")
        instance = await region.instances.wait(instance.id)  # until "running"
        ```

        A first poll at once, then pauses growing from 1 s to 15 s (with jitter),
        never shorter than a `Retry-After` the region sent. Each poll is an ordinary
        call with its own retries; a failure that may pass (no connection, a 5xx, a
        429) does not end the wait while time remains. Each change of state is logged
        (INFO, `fluidstack_client`) and given to `on_change`. Cancelling the task ends
        the wait at once. With a client of the bundled fake, the wait runs on the
        fake's clock: no real time passes.

        Args:
            instance_id: The instance's id.
            until: A state, or a collection of states, that ends the wait.
            timeout: Seconds to wait in all (the last poll may add one attempt's
                deadline).
            fail_on: States that end the wait as a failure.
            on_change: Called with the instance at each change of state (the first
                poll's included); a coroutine function is awaited.
            project_id: The project (default: the client's).

        Returns:
            The instance, in a state of `until`.

        Raises:
            InvalidParameterError: A bad argument (`until` and `fail_on` sharing a
                state, a negative timeout, ...), no project, or an id that is not a UUID.
            InstanceStateError: The instance entered a state of `fail_on` (`.instance`).
            WaitTimeoutError: `timeout` passed (`.last`: the instance as last seen).
            NotFoundError: 404: the instance does not exist, or was deleted.
            AuthenticationError: 401: the token is missing, expired or wrong.
            APIError: A poll failed for a reason that does not pass.
        """
        instance = _validate.as_uuid(instance_id, "instance_id")
        done = _waiting.states(until, "until")
        failed = _waiting.states(fail_on, "fail_on")
        seconds = _waiting.check_wait(done, failed, timeout)
        if on_change is not None:
            _validate.callback(on_change, "on_change", coroutines=ASYNC)
        waited = await self._wait(
            lambda client: client.instances.with_raw_response.get(instance, project_id=project_id),
            "instance",
            instance,
            until=done,
            fail_on=failed,
            timeout=seconds,
            on_change=on_change,
        )
        assert waited is not None  # (only a wait for deletion ends with nothing)
        return waited

    async def wait_deleted(
        self,
        instance_id: str | uuid.UUID,
        *,
        timeout: float = _waiting.DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - the wait's length
        on_change: Callable[[Instance], object] | None = None,
        project_id: ProjectId = None,
    ) -> None:
        """Wait until a deleted instance is gone: until `get()` answers 404.

        Polls as `wait()` does (states it passes through, such as `deleting`, are
        logged and given to `on_change`).

        Args:
            instance_id: The instance's id.
            timeout: Seconds to wait in all.
            on_change: Called with the instance at each change of state.
            project_id: The project (default: the client's).

        Raises:
            InvalidParameterError: A bad argument, no project, or an id that is not a UUID.
            WaitTimeoutError: `timeout` passed (`.last`: the instance as last seen).
            AuthenticationError: 401: the token is missing, expired or wrong.
            APIError: A poll failed for a reason that does not pass.
        """
        instance = _validate.as_uuid(instance_id, "instance_id")
        seconds = _waiting.check_wait(frozenset({"(gone)"}), frozenset(), timeout)
        if on_change is not None:
            _validate.callback(on_change, "on_change", coroutines=ASYNC)
        await self._wait(
            lambda client: client.instances.with_raw_response.get(instance, project_id=project_id),
            "instance",
            instance,
            until=None,
            fail_on=frozenset(),
            timeout=seconds,
            on_change=on_change,
        )

    async def _action(
        self,
        endpoint: Callable[..., Awaitable[Response[Error | None]]],
        instance_id: str | uuid.UUID,
        project_id: ProjectId,
    ) -> None:
        instance = _validate.as_uuid(instance_id, "instance_id")
        await self._in_project(endpoint, project_id, instance, expect_body=False)


class AsyncProjects(_AsyncRegionResource):
    """`region.projects`: the region's projects (they need no `project_id`)."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncProjectsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncProjectsWithRawResponse(self)

    async def list(self) -> builtins.list[Project]:
        """The projects (`GET /projects`).

        Returns:
            Every project, with its state and tags.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_projects.asyncio_detailed)

    async def get(self, project_id: str | uuid.UUID) -> Project:
        """One project (`GET /projects/{id}`).

        Args:
            project_id: The project's id.

        Returns:
            The project.

        Raises:
            InvalidParameterError: `project_id` is not a UUID (nothing is sent).
            NotFoundError: 404: no such project.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        project = _validate.as_uuid(project_id, "project_id")
        return await self._client._call(get_project.asyncio_detailed, project)

    async def create(self, *, name: str, tags: Mapping[str, str] | None = None) -> Project:
        """Create a project (`POST /projects`). Never sent twice (see
        `instances.create`).

        Args:
            name: The project's name.
            tags: Tags, text to text.

        Returns:
            The new project.

        Raises:
            InvalidParameterError: An argument of the wrong type (nothing is sent).
            BadRequestError: 400: the region refused it, with its message.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        body = ProjectsPostRequest(
            name=_validate.string(name, "name"),
            tags=_validate.optional(tags, _project_tags, "tags"),
        )
        return await self._client._call(create_project.asyncio_detailed, body=body)

    async def delete(self, project_id: str | uuid.UUID) -> None:
        """Delete a project (`DELETE /projects/{id}`); one that still has instances is
        refused (409).

        Args:
            project_id: The project's id.

        Raises:
            InvalidParameterError: `project_id` is not a UUID (nothing is sent).
            NotFoundError: 404: no such project.
            ConflictError: 409: it still has instances.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        project = _validate.as_uuid(project_id, "project_id")
        await self._client._call(delete_project.asyncio_detailed, project, expect_body=False)

    async def wait_deleted(
        self,
        project_id: str | uuid.UUID,
        *,
        timeout: float = _waiting.DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - the wait's length
        on_change: Callable[[Project], object] | None = None,
    ) -> None:
        """Wait until a deleted project is gone: until `get()` answers 404 (polling as
        `instances.wait()` does).

        Args:
            project_id: The project's id.
            timeout: Seconds to wait in all.
            on_change: Called with the project at each change of state.

        Raises:
            InvalidParameterError: A bad argument, or an id that is not a UUID.
            WaitTimeoutError: `timeout` passed (`.last`: the project as last seen).
            AuthenticationError: 401: the token is missing, expired or wrong.
            APIError: A poll failed for a reason that does not pass.
        """
        project = _validate.as_uuid(project_id, "project_id")
        seconds = _waiting.check_wait(frozenset({"(gone)"}), frozenset(), timeout)
        if on_change is not None:
            _validate.callback(on_change, "on_change", coroutines=ASYNC)
        await self._wait(
            lambda client: client.projects.with_raw_response.get(project),
            "project",
            project,
            until=None,
            fail_on=frozenset(),
            timeout=seconds,
            on_change=on_change,
        )


class AsyncFilesystems(_AsyncRegionResource):
    """`region.filesystems`: the project's filesystems."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncFilesystemsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncFilesystemsWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[Filesystem]:
        """The project's filesystems (`GET /filesystems`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            Every filesystem, with its name and size.

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_filesystems.asyncio_detailed, project_id)

    async def get(
        self, filesystem_id: str | uuid.UUID, *, project_id: ProjectId = None
    ) -> Filesystem:
        """One filesystem (`GET /filesystems/{id}`).

        Args:
            filesystem_id: The filesystem's id.
            project_id: The project (default: the client's).

        Returns:
            The filesystem.

        Raises:
            InvalidParameterError: No project, or an id that is not a UUID (nothing is
                sent).
            NotFoundError: 404: no such filesystem.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        filesystem = _validate.as_uuid(filesystem_id, "filesystem_id")
        return await self._in_project(get_filesystem.asyncio_detailed, project_id, filesystem)

    async def create(self, *, name: str, size: str, project_id: ProjectId = None) -> Filesystem:
        """Create a filesystem (`POST /filesystems`). Never sent twice (see
        `instances.create`).

        Args:
            name: The filesystem's name.
            size: Its size, e.g. `"512Gi"`.
            project_id: The project (default: the client's).

        Returns:
            The new filesystem.

        Raises:
            InvalidParameterError: No project, or an argument of the wrong type
                (nothing is sent).
            BadRequestError: 400: the region refused it (a bad size, ...).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx (raised at once: a POST is not retried on a
                status).
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        body = FilesystemsPostRequest(
            name=_validate.string(name, "name"), size=_validate.string(size, "size")
        )
        return await self._in_project(create_filesystem.asyncio_detailed, project_id, body=body)

    async def delete(self, filesystem_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
        """Delete a filesystem (`DELETE /filesystems/{id}`).

        Args:
            filesystem_id: The filesystem's id.
            project_id: The project (default: the client's).

        Raises:
            InvalidParameterError: No project, or an id that is not a UUID (nothing is
                sent).
            NotFoundError: 404: no such filesystem.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        filesystem = _validate.as_uuid(filesystem_id, "filesystem_id")
        await self._in_project(
            delete_filesystem.asyncio_detailed, project_id, filesystem, expect_body=False
        )


class AsyncRegionCapacity(_AsyncRegionResource):
    """`region.capacity`: how many instances of each type the region can start now."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncRegionCapacityWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncRegionCapacityWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[Capacity]:
        """The capacity per instance type (`GET /capacity`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            For each instance type (`name`), how many can be started (`capacity`).

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_capacity.asyncio_detailed, project_id)


class AsyncInstanceTypes(_AsyncRegionResource):
    """`region.instance_types`: the instance types the region offers."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncInstanceTypesWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncInstanceTypesWithRawResponse(self)

    async def list(self) -> builtins.list[InstanceType]:
        """The region's instance types (`GET /instance-types`).

        Returns:
            Each type's name, CPUs, memory and GPUs.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._client._call(list_instance_types.asyncio_detailed)


class AsyncCapabilities(_AsyncRegionResource):
    """`region.capabilities`: what the region supports."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncCapabilitiesWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncCapabilitiesWithRawResponse(self)

    async def list(self) -> builtins.list[str]:
        """The region's capabilities (`GET /capabilities`).

        Returns:
            The names of the capabilities.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        listed: builtins.list[str] = await self._client._call(list_capabilities.asyncio_detailed)
        return listed


class AsyncKubernetesClusters(_AsyncRegionResource):
    """`region.kubernetes.clusters`: the project's Kubernetes clusters."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncKubernetesClustersWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncKubernetesClustersWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[KubernetesCluster]:
        """The project's Kubernetes clusters (`GET /kubernetes/clusters`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            Each cluster's id and name.

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_kubernetes_clusters.asyncio_detailed, project_id)


class AsyncKubernetesNodePools(_AsyncRegionResource):
    """`region.kubernetes.node_pools`: the project's Kubernetes node pools."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncKubernetesNodePoolsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncKubernetesNodePoolsWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[KubernetesNodePool]:
        """The project's Kubernetes node pools (`GET /kubernetes/node-pools`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            Each node pool's id, name and instance type.

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            NotFoundError: 404: the region has no Kubernetes here.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_kubernetes_node_pools.asyncio_detailed, project_id)


class AsyncSlurmClusters(_AsyncRegionResource):
    """`region.slurm.clusters`: the project's Slurm clusters."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncSlurmClustersWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncSlurmClustersWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[SlurmCluster]:
        """The project's Slurm clusters (`GET /slurm/clusters`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            Each cluster's id and name.

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_slurm_clusters.asyncio_detailed, project_id)


class AsyncSlurmNodePools(_AsyncRegionResource):
    """`region.slurm.node_pools`: the project's Slurm node pools."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> AsyncSlurmNodePoolsWithRawResponse:
        """The same calls, each returning a `RawResponse`: the parsed value with the
        HTTP response's status, headers and the server's request id."""
        return AsyncSlurmNodePoolsWithRawResponse(self)

    async def list(self, *, project_id: ProjectId = None) -> builtins.list[SlurmNodePool]:
        """The project's Slurm node pools (`GET /slurm/node-pools`).

        Args:
            project_id: The project (default: the client's).

        Returns:
            Each node pool's id, name and instance type.

        Raises:
            InvalidParameterError: No project, or `project_id` is not a UUID (nothing
                is sent).
            NotFoundError: 404: the region has no Slurm here.
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return await self._in_project(list_slurm_node_pools.asyncio_detailed, project_id)


class AsyncKubernetes:
    """`region.kubernetes`: Kubernetes on the region.

    Args:
        client: The region client the calls go through.

    Attributes:
        clusters: The project's Kubernetes clusters.
        node_pools: The project's Kubernetes node pools.
    """

    __slots__ = ("clusters", "node_pools")

    def __init__(self, client: AsyncRegionClient) -> None:
        self.clusters = AsyncKubernetesClusters(client)
        self.node_pools = AsyncKubernetesNodePools(client)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.clusters._client!r}>"


class AsyncSlurm:
    """`region.slurm`: Slurm on the region.

    Args:
        client: The region client the calls go through.

    Attributes:
        clusters: The project's Slurm clusters.
        node_pools: The project's Slurm node pools.
    """

    __slots__ = ("clusters", "node_pools")

    def __init__(self, client: AsyncRegionClient) -> None:
        self.clusters = AsyncSlurmClusters(client)
        self.node_pools = AsyncSlurmNodePools(client)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.clusters._client!r}>"


def _instance_tags(value: object, name: str) -> InstancesPostRequestTags:
    return InstancesPostRequestTags.from_dict(_validate.tags(value, name))


def _project_tags(value: object, name: str) -> ProjectsPostRequestTags:
    return ProjectsPostRequestTags.from_dict(_validate.tags(value, name))


# -- with_raw_response: the same calls, each returning a RawResponse ---------------------


class AsyncRegionInstancesWithRawResponse:
    """`region.instances.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        get: `get()`, returning a `RawResponse`.
        create: `create()`, returning a `RawResponse`.
        delete: `delete()`, returning a `RawResponse`.
        start: `start()`, returning a `RawResponse`.
        stop: `stop()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncRegionInstances) -> None:
        self.list = with_raw_response(resource.list)
        self.get = with_raw_response(resource.get)
        self.create = with_raw_response(resource.create)
        self.delete = with_raw_response(resource.delete)
        self.start = with_raw_response(resource.start)
        self.stop = with_raw_response(resource.stop)


class AsyncProjectsWithRawResponse:
    """`region.projects.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        get: `get()`, returning a `RawResponse`.
        create: `create()`, returning a `RawResponse`.
        delete: `delete()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncProjects) -> None:
        self.list = with_raw_response(resource.list)
        self.get = with_raw_response(resource.get)
        self.create = with_raw_response(resource.create)
        self.delete = with_raw_response(resource.delete)


class AsyncFilesystemsWithRawResponse:
    """`region.filesystems.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
        get: `get()`, returning a `RawResponse`.
        create: `create()`, returning a `RawResponse`.
        delete: `delete()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncFilesystems) -> None:
        self.list = with_raw_response(resource.list)
        self.get = with_raw_response(resource.get)
        self.create = with_raw_response(resource.create)
        self.delete = with_raw_response(resource.delete)


class AsyncRegionCapacityWithRawResponse:
    """`region.capacity.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncRegionCapacity) -> None:
        self.list = with_raw_response(resource.list)


class AsyncInstanceTypesWithRawResponse:
    """`region.instance_types.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncInstanceTypes) -> None:
        self.list = with_raw_response(resource.list)


class AsyncCapabilitiesWithRawResponse:
    """`region.capabilities.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncCapabilities) -> None:
        self.list = with_raw_response(resource.list)


class AsyncKubernetesClustersWithRawResponse:
    """`region.kubernetes.clusters.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncKubernetesClusters) -> None:
        self.list = with_raw_response(resource.list)


class AsyncKubernetesNodePoolsWithRawResponse:
    """`region.kubernetes.node_pools.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncKubernetesNodePools) -> None:
        self.list = with_raw_response(resource.list)


class AsyncSlurmClustersWithRawResponse:
    """`region.slurm.clusters.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncSlurmClusters) -> None:
        self.list = with_raw_response(resource.list)


class AsyncSlurmNodePoolsWithRawResponse:
    """`region.slurm.node_pools.with_raw_response`:
    the same calls, each returning a `RawResponse`.

    Args:
        resource: The resource whose calls these are.

    Attributes:
        list: `list()`, returning a `RawResponse`.
    """

    def __init__(self, resource: AsyncSlurmNodePools) -> None:
        self.list = with_raw_response(resource.list)
