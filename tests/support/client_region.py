"""The regional API in the tests: realistic bodies of a region, every operation of
spec/atlas-region-v1alpha1.yaml as a call on a region client (the reply a server
scripts, the request the call must send, the models it must return), and the two
region client classes.

One table for both clients, as tests/support/client_operations.py is for the
Management API: a call is named (`"kubernetes.node_pools.list"`), so `RegionOp.invoke`
works on a `RegionClient` (the result) and on an `AsyncRegionClient` (a coroutine to
await) alike. The models are written out by hand, not parsed by the code under test.
"""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fluidstack_client import AsyncFluidstack, AsyncRegionClient, Fluidstack, RegionClient
from fluidstack_client.region import (
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
from support.scripted_server import Reply

ROOT = Path(__file__).resolve().parents[2]
REGION_SPEC_PATH = ROOT / "spec" / "atlas-region-v1alpha1.yaml"
API = "/api/v1alpha1"

RegionClass = type[RegionClient] | type[AsyncRegionClient]
REGION_CLIENTS: list[RegionClass] = [RegionClient, AsyncRegionClient]


def management_class_of(cls: RegionClass) -> type[Fluidstack] | type[AsyncFluidstack]:
    """The Management client of the same kind (sync or async) as `cls`."""
    return AsyncFluidstack if cls is AsyncRegionClient else Fluidstack


PROJECT_ID = "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f"
OTHER_PROJECT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
INSTANCE_ID = "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c"
FILESYSTEM_ID = "123e4567-e89b-12d3-a456-426614174002"
CLUSTER_ID = "11111111-2222-4333-8444-555555555555"
POOL_ID = "66666666-7777-4888-9999-aaaaaaaaaaaa"
PROJECT = uuid.UUID(PROJECT_ID)
OTHER_PROJECT = uuid.UUID(OTHER_PROJECT_ID)

USER_DATA = b"#cloud-config\npackages:\n  - nginx\n"
USER_DATA_B64 = base64.b64encode(USER_DATA).decode()
INSTANCE_TYPE_NAME = "h100-hgx-80gb.8x"

# A region's instance: no `project_id` or `region` (the Management API's has them).
INSTANCE = {
    "id": INSTANCE_ID,
    "name": "gpu-0",
    "type": INSTANCE_TYPE_NAME,
    "state": "running",
    "image": "ubuntu-22.04",
    "ip": "10.0.0.7",
    "preemptible": False,
    "ephemeral": True,
    "tags": {"team": "ml"},
    "filesystems": [FILESYSTEM_ID],
    "userData": USER_DATA_B64,
}
# Every optional field absent.
INSTANCE_MINIMAL = {k: v for k, v in INSTANCE.items() if k not in ("ip", "userData")} | {
    "id": "22222222-3333-4444-8555-666666666666",
    "state": "creating",
    "filesystems": [],
    "tags": {},
}
PROJECT_BODY = {"id": PROJECT_ID, "name": "project-1", "state": "active", "tags": {"team": "ml"}}
FILESYSTEM = {"id": FILESYSTEM_ID, "name": "fs-1", "size": "512Gi"}
CAPACITY = {"name": INSTANCE_TYPE_NAME, "capacity": 3}
INSTANCE_TYPE = {
    "name": INSTANCE_TYPE_NAME,
    "cpu": 128,
    "memory": "1Ti",
    "gpu_count": 8,
    "gpu_model": "H100",
}
INSTANCE_TYPE_MINIMAL = {"name": "cpu.4x", "cpu": 4, "memory": "16Gi"}
CLUSTER = {"id": CLUSTER_ID, "name": "train"}
NODE_POOL = {"id": POOL_ID, "name": "pool-a", "type": INSTANCE_TYPE_NAME}
ERROR = {"message": "something went wrong"}


def _instance_tags(**tags: str) -> InstanceTags:
    made = InstanceTags()
    made.additional_properties = dict(tags)
    return made


def _project_tags(**tags: str) -> ProjectTags:
    made = ProjectTags()
    made.additional_properties = dict(tags)
    return made


INSTANCE_MODEL = Instance(
    ephemeral=True,
    filesystems=[uuid.UUID(FILESYSTEM_ID)],
    id=uuid.UUID(INSTANCE_ID),
    image="ubuntu-22.04",
    name="gpu-0",
    preemptible=False,
    state=InstanceState.RUNNING,
    tags=_instance_tags(team="ml"),
    type_=INSTANCE_TYPE_NAME,
    ip="10.0.0.7",
    user_data=USER_DATA,
)
INSTANCE_MINIMAL_MODEL = Instance(
    ephemeral=True,
    filesystems=[],
    id=uuid.UUID("22222222-3333-4444-8555-666666666666"),
    image="ubuntu-22.04",
    name="gpu-0",
    preemptible=False,
    state=InstanceState.CREATING,
    tags=_instance_tags(),
    type_=INSTANCE_TYPE_NAME,
)
PROJECT_MODEL = Project(
    id=PROJECT, name="project-1", state=ProjectState.ACTIVE, tags=_project_tags(team="ml")
)
FILESYSTEM_MODEL = Filesystem(id=uuid.UUID(FILESYSTEM_ID), name="fs-1", size="512Gi")


@dataclass(frozen=True)
class RegionOp:
    """One regional operation: `call` is the method's dotted path on the client, with
    `args`/`kwargs`; `path` (under the API's /api/v1alpha1), `body` and `project` (does
    it send `X-PROJECT-ID`, the client's project unless the call names one) are what
    must go over the wire for `reply`, and `expected` what the call then returns."""

    call: str
    reply: Reply
    path: str
    args: tuple[object, ...] = ()
    kwargs: Mapping[str, object] = field(default_factory=dict)
    body: object = None
    project: bool = True
    expected: object = None

    def invoke(self, client: RegionClient | AsyncRegionClient, **extra: object) -> Any:
        """Make the call on `client` (with `extra` keyword arguments): its result, or
        (an `AsyncRegionClient`) its coroutine."""
        method: Any = functools.reduce(getattr, self.call.split("."), client)
        return method(*self.args, **{**self.kwargs, **extra})


REGION_OPERATIONS: dict[str, RegionOp] = {
    "ListCapabilities": RegionOp(
        "capabilities.list",
        Reply(json=["kubernetes", "slurm"]),
        "/capabilities",
        project=False,
        expected=["kubernetes", "slurm"],
    ),
    "ListCapacity": RegionOp(
        "capacity.list",
        Reply(json=[CAPACITY]),
        "/capacity",
        expected=[Capacity(capacity=3, name=INSTANCE_TYPE_NAME)],
    ),
    "ListFilesystems": RegionOp(
        "filesystems.list", Reply(json=[FILESYSTEM]), "/filesystems", expected=[FILESYSTEM_MODEL]
    ),
    "CreateFilesystem": RegionOp(
        "filesystems.create",
        Reply(201, FILESYSTEM),
        "/filesystems",
        kwargs={"name": "fs-1", "size": "512Gi"},
        body={"name": "fs-1", "size": "512Gi"},
        expected=FILESYSTEM_MODEL,
    ),
    "GetFilesystem": RegionOp(
        "filesystems.get",
        Reply(json=FILESYSTEM),
        f"/filesystems/{FILESYSTEM_ID}",
        args=(FILESYSTEM_ID,),
        expected=FILESYSTEM_MODEL,
    ),
    "DeleteFilesystem": RegionOp(
        "filesystems.delete",
        Reply(204),
        f"/filesystems/{FILESYSTEM_ID}",
        args=(uuid.UUID(FILESYSTEM_ID),),
    ),
    "ListInstanceTypes": RegionOp(
        "instance_types.list",
        Reply(json=[INSTANCE_TYPE, INSTANCE_TYPE_MINIMAL]),
        "/instance-types",
        project=False,
        expected=[
            InstanceType(
                cpu=128, memory="1Ti", name=INSTANCE_TYPE_NAME, gpu_count=8, gpu_model="H100"
            ),
            InstanceType(cpu=4, memory="16Gi", name="cpu.4x"),
        ],
    ),
    "ListInstances": RegionOp(
        "instances.list",
        Reply(json=[INSTANCE, INSTANCE_MINIMAL]),
        "/instances",
        expected=[INSTANCE_MODEL, INSTANCE_MINIMAL_MODEL],
    ),
    "CreateInstance": RegionOp(
        "instances.create",
        Reply(201, INSTANCE),
        "/instances",
        kwargs={
            "name": "gpu-0",
            "type": INSTANCE_TYPE_NAME,
            "image": "ubuntu-22.04",
            "preemptible": False,
            "ephemeral": True,
            "tags": {"team": "ml"},
            "filesystems": [uuid.UUID(FILESYSTEM_ID)],
            "user_data": USER_DATA,
        },
        body={
            "name": "gpu-0",
            "type": INSTANCE_TYPE_NAME,
            "image": "ubuntu-22.04",
            "preemptible": False,
            "ephemeral": True,
            "tags": {"team": "ml"},
            "filesystems": [FILESYSTEM_ID],
            "userData": USER_DATA_B64,
        },
        expected=INSTANCE_MODEL,
    ),
    "GetInstance": RegionOp(
        "instances.get",
        Reply(json=INSTANCE),
        f"/instances/{INSTANCE_ID}",
        args=(INSTANCE_ID,),
        expected=INSTANCE_MODEL,
    ),
    "DeleteInstance": RegionOp(
        "instances.delete", Reply(204), f"/instances/{INSTANCE_ID}", args=(INSTANCE_ID,)
    ),
    "StartInstance": RegionOp(
        "instances.start",
        Reply(202),
        f"/instances/{INSTANCE_ID}/actions/start",
        args=(uuid.UUID(INSTANCE_ID),),
    ),
    "StopInstance": RegionOp(
        "instances.stop", Reply(202), f"/instances/{INSTANCE_ID}/actions/stop", args=(INSTANCE_ID,)
    ),
    "ListKubernetesClusters": RegionOp(
        "kubernetes.clusters.list",
        Reply(json=[CLUSTER]),
        "/kubernetes/clusters",
        expected=[KubernetesCluster(id=uuid.UUID(CLUSTER_ID), name="train")],
    ),
    "ListKubernetesNodePools": RegionOp(
        "kubernetes.node_pools.list",
        Reply(json=[NODE_POOL]),
        "/kubernetes/node-pools",
        expected=[
            KubernetesNodePool(id=uuid.UUID(POOL_ID), name="pool-a", type_=INSTANCE_TYPE_NAME)
        ],
    ),
    "ListProjects": RegionOp(
        "projects.list",
        Reply(json=[PROJECT_BODY]),
        "/projects",
        project=False,
        expected=[PROJECT_MODEL],
    ),
    "CreateProject": RegionOp(
        "projects.create",
        Reply(201, PROJECT_BODY),
        "/projects",
        kwargs={"name": "project-1", "tags": {"team": "ml"}},
        body={"name": "project-1", "tags": {"team": "ml"}},
        project=False,
        expected=PROJECT_MODEL,
    ),
    "GetProject": RegionOp(
        "projects.get",
        Reply(json=PROJECT_BODY),
        f"/projects/{PROJECT_ID}",
        args=(PROJECT_ID,),
        project=False,
        expected=PROJECT_MODEL,
    ),
    "DeleteProject": RegionOp(
        "projects.delete", Reply(204), f"/projects/{PROJECT_ID}", args=(PROJECT,), project=False
    ),
    "ListSlurmClusters": RegionOp(
        "slurm.clusters.list",
        Reply(json=[CLUSTER]),
        "/slurm/clusters",
        expected=[SlurmCluster(id=uuid.UUID(CLUSTER_ID), name="train")],
    ),
    "ListSlurmNodePools": RegionOp(
        "slurm.node_pools.list",
        Reply(json=[NODE_POOL]),
        "/slurm/node-pools",
        expected=[SlurmNodePool(id=uuid.UUID(POOL_ID), name="pool-a", type_=INSTANCE_TYPE_NAME)],
    ),
}
# The operations acting in a project (X-PROJECT-ID), and the others.
PROJECT_OPERATIONS = sorted(name for name, op in REGION_OPERATIONS.items() if op.project)
PROJECTLESS_OPERATIONS = sorted(name for name, op in REGION_OPERATIONS.items() if not op.project)
# The writes a region may have carried out even when the answer is lost: never resent.
POSTS = ["CreateFilesystem", "CreateInstance", "CreateProject", "StartInstance", "StopInstance"]
# The operations whose success the regional spec only infers (x-inferred): any 2xx is done.
INFERRED = ["DeleteFilesystem", "DeleteInstance", "DeleteProject", "StartInstance", "StopInstance"]


@functools.cache
def region_spec() -> dict[str, Any]:
    """spec/atlas-region-v1alpha1.yaml, parsed (once)."""
    with REGION_SPEC_PATH.open() as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


@dataclass(frozen=True)
class SpecOperation:
    method: str
    template: str
    sends_project: bool
    successes: frozenset[int]
    inferred: frozenset[int]


def region_spec_operations() -> dict[str, SpecOperation]:
    """Each operation of the regional spec, by operationId: its method, path template,
    whether it sends X-PROJECT-ID, its documented 2xx codes and those marked x-inferred."""
    spec = region_spec()
    project_ref = "#/components/parameters/X-PROJECT-ID"
    found = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            successes = {int(code) for code in responses if str(code).startswith("2")}
            found[op["operationId"]] = SpecOperation(
                method.upper(),
                path,
                any(p.get("$ref") == project_ref for p in op.get("parameters", [])),
                frozenset(successes),
                frozenset(c for c in successes if responses[str(c)].get("x-inferred")),
            )
    return found
