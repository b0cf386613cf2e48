# Derived from _async_region.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The regional API's client: what a region serves (instances you create, start, stop
and delete, projects, filesystems, capacity) and the project its calls act in.

The send path, configuration and credentials are `_ClientBase`'s
(`_sync_send.py`), shared with the Management client. Written once, async; the sync
client is derived from this text by `scripts/unasync.py` (`make generate`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Self

import httpx

from ._config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    PROJECT_ID_ENV,
    resolve_project_id,
    resolve_region_url,
)
from ._credentials import TokenSource
from ._retry import RetryPolicy
from ._sync_region_resources import (
    Capabilities,
    Filesystems,
    InstanceTypes,
    Kubernetes,
    Projects,
    RegionCapacity,
    RegionInstances,
    Slurm,
)
from ._sync_send import NOT_GIVEN, _ClientBase
from ._validate import as_uuid
from .errors import InvalidParameterError


class RegionClient(_ClientBase):
    """Client for a region's Atlas API: where GPU instances are created, started,
    stopped and deleted.

    ```python
    with Fluidstack() as fs:
        east = fs.region("us-east-1", project_id=project)
        instance = east.instances.create(name="train-0", type="h100-80gb.8x")
    ```

    Usually reached through `fs.region(name)`, which finds the region's URL
    in the Management API's `/regions` and shares the management client's pool,
    credentials and options (such a client needs no closing). Constructed directly
    for a region whose URL you know, it owns its pool: close it with `close()` or
    `with`. Every call has the guarantees of `Fluidstack`'s: auth,
    retries (a POST only when it provably never arrived: a `create`, `start` or
    `stop` is never sent twice), the per-attempt deadline, size caps, typed errors.

    Most operations act in a project (the `X-PROJECT-ID` header): give it once
    (`project_id=`, or `FLUIDSTACK_PROJECT_ID`), per copy (`with_options(project_id=...)`)
    or per call (`project_id=` on every method that sends it).

    Args:
        base_url: The region API's URL (its `url` in `/regions`; a bare host gets
            `/api/v1alpha1`). Default: `FLUIDSTACK_REGION_URL`. Must be https (plain
            http only to a loopback host).
        token: The credentials, exactly as for `Fluidstack` (a string, a
            callable, `ClientCredentials`, `FluidctlToken`; default from the
            environment).
        project_id: The project calls act in, a UUID. Default: `FLUIDSTACK_PROJECT_ID`.
        timeout: Seconds, an `httpx.Timeout`, or `None` (as for `Fluidstack`).
        max_retries: Retries after the first attempt (default 2).
        retry_policy: The delays between retries and their caps (`RetryPolicy`).
        http_client: An `httpx.Client` of your own, left open for you to close.
        max_connections: Requests let into the pool at once, and its size (100).
        max_response_size: The largest response body accepted, in bytes (64 MiB).

    Raises:
        ConfigurationError: No region URL or credentials, or an argument or
            environment variable is invalid (the message says which).
        InvalidParameterError: `project_id` is not a UUID.

    Attributes:
        instances: Instances: list, get, create, delete, start, stop.
        projects: Projects: list, get, create, delete.
        filesystems: Filesystems: list, get, create, delete.
        capacity: How many instances of each type the region can start now.
        instance_types: The instance types the region offers.
        capabilities: What the region supports.
        kubernetes: Kubernetes `clusters` and `node_pools`.
        slurm: Slurm `clusters` and `node_pools`.
    """

    _api = "region"
    _project: uuid.UUID | None
    instances: RegionInstances
    projects: Projects
    filesystems: Filesystems
    capacity: RegionCapacity
    instance_types: InstanceTypes
    capabilities: Capabilities
    kubernetes: Kubernetes
    slurm: Slurm

    def __init__(
        self,
        base_url: str | httpx.URL | None = None,
        *,
        token: TokenSource | None = None,
        project_id: str | uuid.UUID | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        url = resolve_region_url(base_url)
        self._project = resolve_project_id(project_id)
        self._setup(
            token,
            url,
            timeout,
            max_retries,
            retry_policy,
            http_client,
            max_connections,
            max_response_size,
        )

    @classmethod
    def _adopt(cls, client: _ClientBase, base_url: httpx.URL, project: uuid.UUID | None) -> Self:
        """A region client sharing `client`'s pool, credentials and options."""
        region = object.__new__(cls)
        region._project = project
        region._shared = client._shared
        region._owns_http = False
        region._bind(base_url, client._timeout, client._retry, client._headers)
        return region

    def _copy(self, **changes: Any) -> Self:
        clone = super()._copy(**changes)
        clone._project = self._project
        return clone

    def _attach(self) -> None:
        self.instances = RegionInstances(self)
        self.projects = Projects(self)
        self.filesystems = Filesystems(self)
        self.capacity = RegionCapacity(self)
        self.instance_types = InstanceTypes(self)
        self.capabilities = Capabilities(self)
        self.kubernetes = Kubernetes(self)
        self.slurm = Slurm(self)

    @property
    def project_id(self) -> uuid.UUID | None:
        """The project calls act in when they name none, or None."""
        return self._project

    def with_options(
        self,
        *,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: float | httpx.Timeout | None = NOT_GIVEN,
        project_id: str | uuid.UUID | None = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy with other settings, sharing this client's pool and token.

        `east.with_options(project_id=other).instances.list()` acts in another
        project; the copy is cheap and needs no closing.

        Args:
            max_retries: Retries after the first attempt.
            retry_policy: A whole `RetryPolicy` (delays and caps too).
            timeout: Seconds per attempt, an `httpx.Timeout`, or `None` for no limit.
                Omitted: this client's.
            project_id: The project the copy's calls act in (a UUID), or `None` for
                none. Omitted: this client's.
            extra_headers: Headers added to every request of the copy, on top of this
                client's own; those the client writes itself (`Authorization`,
                `X-PROJECT-ID`, ...) are refused (see `Fluidstack.with_options`).

        Returns:
            A client of the same kind; arguments not given keep this client's values.

        Raises:
            ConfigurationError: An argument is invalid.
            InvalidParameterError: `project_id` is not a UUID, or `extra_headers` is
                refused.
        """
        clone = self._with(max_retries, retry_policy, timeout, extra_headers)
        if project_id is not NOT_GIVEN:
            clone._project = None if project_id is None else as_uuid(project_id, "project_id")
        return clone

    def _project_for(self, project_id: str | uuid.UUID | None) -> uuid.UUID:
        """The `X-PROJECT-ID` of one call: its own `project_id`, else the client's."""
        if project_id is not None:
            return as_uuid(project_id, "project_id")
        if self._project is None:
            raise InvalidParameterError(
                "this operation acts in a project, and none is set: pass project_id= to "
                f"the call, to the client or to with_options(), or set {PROJECT_ID_ENV} "
                "(nothing was sent)"
            )
        return self._project

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url='{self._base_url}', project_id="
            f"{None if self._project is None else str(self._project)!r}, "
            f"max_retries={self._retry.max_retries}, timeout={self._timeout!r})"
        )
