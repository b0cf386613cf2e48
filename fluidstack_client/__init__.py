"""Python client for Fluidstack Atlas: the Management API and each region's API (v1alpha1).

    from fluidstack_client import AsyncFluidstack

    async with AsyncFluidstack() as fs:          # credentials from the environment
        regions = await fs.regions.list()
        east = await fs.region("us-east-1", project_id=project)
        instance = await east.instances.create(name="train-0", type="h100-80gb.8x")

`Fluidstack` and `RegionClient` are the same clients, synchronous. Errors are in
`fluidstack_client.errors` (re-exported here); the Management API's models are the
generated attrs classes, re-exported here, and the regional API's are in
`fluidstack_client.region`.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    AmbiguousWriteError,
    AmbiguousWriteTimeoutError,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    FluidstackError,
    InstanceStateError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RegionNotFoundError,
    RegionURLError,
    ResponseTooLargeError,
    UnprocessableEntityError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from ._async_client import AsyncFluidstack
    from ._async_region import AsyncRegionClient
    from ._config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT
    from ._credentials import ClientCredentials, FluidctlToken, TokenProvider
    from ._generated.management.models import (
        Cluster,
        ClusterHealth,
        ClusterType,
        Instance,
        InstanceHealth,
        InstanceState,
        InstanceTags,
        Invitation,
        Organization,
        OrganizationMember,
        Region,
        SSHKey,
    )
    from ._generated.management.types import UNSET, Unset
    from ._raw import RawResponse
    from ._retry import DEFAULT_MAX_RETRIES, RetryPolicy
    from ._sync_client import Fluidstack
    from ._sync_region import RegionClient

# Loaded on first use (PEP 562): a sync-only program never imports asyncio or the
# async client, and `import fluidstack_client` stays cheap.
_LAZY = {
    "AsyncFluidstack": "._async_client",
    "Fluidstack": "._sync_client",
    "AsyncRegionClient": "._async_region",
    "RegionClient": "._sync_region",
    "ClientCredentials": "._credentials",
    "FluidctlToken": "._credentials",
    "TokenProvider": "._credentials",
    "DEFAULT_BASE_URL": "._config",
    "DEFAULT_TIMEOUT": "._config",
    "DEFAULT_MAX_RETRIES": "._retry",
    "RetryPolicy": "._retry",
    "RawResponse": "._raw",
    "UNSET": "._generated.management.types",
    "Unset": "._generated.management.types",
    **dict.fromkeys(
        [
            "Cluster",
            "ClusterHealth",
            "ClusterType",
            "Instance",
            "InstanceHealth",
            "InstanceState",
            "InstanceTags",
            "Invitation",
            "Organization",
            "OrganizationMember",
            "Region",
            "SSHKey",
        ],
        "._generated.management.models",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AmbiguousWriteTimeoutError",
    "AsyncFluidstack",
    "AsyncRegionClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentials",
    "Cluster",
    "ClusterHealth",
    "ClusterType",
    "ConfigurationError",
    "ConflictError",
    "FluidctlToken",
    "Fluidstack",
    "FluidstackError",
    "Instance",
    "InstanceHealth",
    "InstanceState",
    "InstanceStateError",
    "InstanceTags",
    "InternalServerError",
    "InvalidParameterError",
    "Invitation",
    "NotFoundError",
    "Organization",
    "OrganizationMember",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RedirectError",
    "Region",
    "RegionClient",
    "RegionNotFoundError",
    "RegionURLError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "SSHKey",
    "TokenProvider",
    "UnprocessableEntityError",
    "Unset",
    "WaitTimeoutError",
    "__version__",
]
