# Derived from _async_region_resources.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""`region.<resource>.<verb>()`: one method per operation of the regional spec.

Each method checks its arguments (the project included: `X-PROJECT-ID`, the
client's unless the call names one), then hands the generated endpoint function to
the client's send path, as the Management resources do. Written once, async; the
sync resources are derived from this text by `scripts/unasync.py`.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from . import _validate
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

if TYPE_CHECKING:
    from ._sync_region import RegionClient

ProjectId = str | uuid.UUID | None
T = TypeVar("T")


class _RegionResource:
    """The operations on one kind of a region's resources; an attribute of the client."""

    __slots__ = ("_client",)

    def __init__(self, client: RegionClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    def _in_project(
        self,
        endpoint: Callable[..., Response[Error | T]],
        project_id: ProjectId,
        /,
        *args: Any,
        expect_body: bool = True,
        **kwargs: Any,
    ) -> T:
        """Call `endpoint` in the call's project (`project_id`, else the client's)."""
        project = self._client._project_for(project_id)
        return self._client._call(
            endpoint, *args, x_project_id=project, expect_body=expect_body, **kwargs
        )


class RegionInstances(_RegionResource):
    """`region.instances`: the region's instances, and their lifecycle."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[Instance]:
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
        return self._in_project(list_instances.sync_detailed, project_id)

    def get(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> Instance:
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
        return self._in_project(get_instance.sync_detailed, project_id, instance)

    def create(
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
        return self._in_project(create_instance.sync_detailed, project_id, body=body)

    def delete(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
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
        self._action(delete_instance.sync_detailed, instance_id, project_id)

    def start(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
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
        self._action(start_instance.sync_detailed, instance_id, project_id)

    def stop(self, instance_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
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
        self._action(stop_instance.sync_detailed, instance_id, project_id)

    def _action(
        self,
        endpoint: Callable[..., Response[Error | None]],
        instance_id: str | uuid.UUID,
        project_id: ProjectId,
    ) -> None:
        instance = _validate.as_uuid(instance_id, "instance_id")
        self._in_project(endpoint, project_id, instance, expect_body=False)


class Projects(_RegionResource):
    """`region.projects`: the region's projects (they need no `project_id`)."""

    __slots__ = ()

    def list(self) -> builtins.list[Project]:
        """The projects (`GET /projects`).

        Returns:
            Every project, with its state and tags.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return self._client._call(list_projects.sync_detailed)

    def get(self, project_id: str | uuid.UUID) -> Project:
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
        return self._client._call(get_project.sync_detailed, project)

    def create(self, *, name: str, tags: Mapping[str, str] | None = None) -> Project:
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
        return self._client._call(create_project.sync_detailed, body=body)

    def delete(self, project_id: str | uuid.UUID) -> None:
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
        self._client._call(delete_project.sync_detailed, project, expect_body=False)


class Filesystems(_RegionResource):
    """`region.filesystems`: the project's filesystems."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[Filesystem]:
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
        return self._in_project(list_filesystems.sync_detailed, project_id)

    def get(self, filesystem_id: str | uuid.UUID, *, project_id: ProjectId = None) -> Filesystem:
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
        return self._in_project(get_filesystem.sync_detailed, project_id, filesystem)

    def create(self, *, name: str, size: str, project_id: ProjectId = None) -> Filesystem:
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
        return self._in_project(create_filesystem.sync_detailed, project_id, body=body)

    def delete(self, filesystem_id: str | uuid.UUID, *, project_id: ProjectId = None) -> None:
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
        self._in_project(delete_filesystem.sync_detailed, project_id, filesystem, expect_body=False)


class RegionCapacity(_RegionResource):
    """`region.capacity`: how many instances of each type the region can start now."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[Capacity]:
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
        return self._in_project(list_capacity.sync_detailed, project_id)


class InstanceTypes(_RegionResource):
    """`region.instance_types`: the instance types the region offers."""

    __slots__ = ()

    def list(self) -> builtins.list[InstanceType]:
        """The region's instance types (`GET /instance-types`).

        Returns:
            Each type's name, CPUs, memory and GPUs.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        return self._client._call(list_instance_types.sync_detailed)


class Capabilities(_RegionResource):
    """`region.capabilities`: what the region supports."""

    __slots__ = ()

    def list(self) -> builtins.list[str]:
        """The region's capabilities (`GET /capabilities`).

        Returns:
            The names of the capabilities.

        Raises:
            AuthenticationError: 401: the token is missing, expired or wrong.
            InternalServerError: A 5xx that persisted through the retries.
            APIConnectionError: No response (connection failure, or `APITimeoutError`).
        """
        listed: builtins.list[str] = self._client._call(list_capabilities.sync_detailed)
        return listed


class KubernetesClusters(_RegionResource):
    """`region.kubernetes.clusters`: the project's Kubernetes clusters."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[KubernetesCluster]:
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
        return self._in_project(list_kubernetes_clusters.sync_detailed, project_id)


class KubernetesNodePools(_RegionResource):
    """`region.kubernetes.node_pools`: the project's Kubernetes node pools."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[KubernetesNodePool]:
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
        return self._in_project(list_kubernetes_node_pools.sync_detailed, project_id)


class SlurmClusters(_RegionResource):
    """`region.slurm.clusters`: the project's Slurm clusters."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[SlurmCluster]:
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
        return self._in_project(list_slurm_clusters.sync_detailed, project_id)


class SlurmNodePools(_RegionResource):
    """`region.slurm.node_pools`: the project's Slurm node pools."""

    __slots__ = ()

    def list(self, *, project_id: ProjectId = None) -> builtins.list[SlurmNodePool]:
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
        return self._in_project(list_slurm_node_pools.sync_detailed, project_id)


class Kubernetes:
    """`region.kubernetes`: Kubernetes on the region.

    Args:
        client: The region client the calls go through.

    Attributes:
        clusters: The project's Kubernetes clusters.
        node_pools: The project's Kubernetes node pools.
    """

    __slots__ = ("clusters", "node_pools")

    def __init__(self, client: RegionClient) -> None:
        self.clusters = KubernetesClusters(client)
        self.node_pools = KubernetesNodePools(client)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.clusters._client!r}>"


class Slurm:
    """`region.slurm`: Slurm on the region.

    Args:
        client: The region client the calls go through.

    Attributes:
        clusters: The project's Slurm clusters.
        node_pools: The project's Slurm node pools.
    """

    __slots__ = ("clusters", "node_pools")

    def __init__(self, client: RegionClient) -> None:
        self.clusters = SlurmClusters(client)
        self.node_pools = SlurmNodePools(client)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.clusters._client!r}>"


def _instance_tags(value: object, name: str) -> InstancesPostRequestTags:
    return InstancesPostRequestTags.from_dict(_validate.tags(value, name))


def _project_tags(value: object, name: str) -> ProjectsPostRequestTags:
    return ProjectsPostRequestTags.from_dict(_validate.tags(value, name))
