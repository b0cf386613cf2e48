"""The regional Atlas API: its clients and the models its calls return.

    from fluidstack_client import AsyncFluidstack
    from fluidstack_client.region import InstanceState

    async with AsyncFluidstack() as fs:
        east = await fs.region("us-east-1", project_id=project)
        instance = await east.instances.get(instance_id)
        if instance.state == InstanceState.RUNNING:
            ...

The models are the generated attrs classes of the regional spec. Like the
Management API's, they keep working when the server grows: an enum value the spec
does not list parses (`state.is_known` is False), and unknown fields are kept
(`instance.additional_properties`). `Instance` here is a region's instance (no
`region` or `project_id` field); `fluidstack_client.Instance` is the Management
API's org-wide one. Everything is loaded on first use.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._async_region import AsyncRegionClient
    from ._generated.region.models import (
        Capacity,
        Filesystem,
        Instance,
        InstanceState,
        InstanceTags,
        InstanceType,
        KubernetesCluster,
        KubernetesNodePool,
        Project,
        ProjectState,
        ProjectTags,
        SlurmCluster,
        SlurmNodePool,
    )
    from ._sync_region import RegionClient

_LAZY = {
    "AsyncRegionClient": "._async_region",
    "RegionClient": "._sync_region",
    **dict.fromkeys(
        [
            "Capacity",
            "Filesystem",
            "Instance",
            "InstanceState",
            "InstanceTags",
            "InstanceType",
            "KubernetesCluster",
            "KubernetesNodePool",
            "Project",
            "ProjectState",
            "ProjectTags",
            "SlurmCluster",
            "SlurmNodePool",
        ],
        "._generated.region.models",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __package__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AsyncRegionClient",
    "Capacity",
    "Filesystem",
    "Instance",
    "InstanceState",
    "InstanceTags",
    "InstanceType",
    "KubernetesCluster",
    "KubernetesNodePool",
    "Project",
    "ProjectState",
    "ProjectTags",
    "RegionClient",
    "SlurmCluster",
    "SlurmNodePool",
]
