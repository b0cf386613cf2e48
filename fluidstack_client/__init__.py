"""Python client for the Fluidstack Atlas Management API (v1alpha1).

    from fluidstack_client import AsyncFluidstack

    async with AsyncFluidstack() as fs:          # token from FLUIDSTACK_TOKEN
        instances = await fs.instances.list()

`Fluidstack` is the same client, synchronous. Errors are in `fluidstack_client.errors`
(re-exported here); the models returned are the generated attrs classes, also
re-exported here.
"""

from ._async_client import AsyncFluidstack
from ._config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from ._generated.models import (
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
from ._retry import DEFAULT_MAX_RETRIES, RetryPolicy
from ._sync_client import Fluidstack
from ._version import __version__
from .errors import (
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
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RegionNotFoundError,
    RegionURLError,
    UnprocessableEntityError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFluidstack",
    "AuthenticationError",
    "BadRequestError",
    "Cluster",
    "ClusterHealth",
    "ClusterType",
    "ConfigurationError",
    "ConflictError",
    "Fluidstack",
    "FluidstackError",
    "Instance",
    "InstanceHealth",
    "InstanceState",
    "InstanceTags",
    "InternalServerError",
    "InvalidParameterError",
    "Invitation",
    "NotFoundError",
    "Organization",
    "OrganizationMember",
    "PermissionDeniedError",
    "RateLimitError",
    "Region",
    "RegionNotFoundError",
    "RegionURLError",
    "RetryPolicy",
    "SSHKey",
    "UnprocessableEntityError",
    "__version__",
]
