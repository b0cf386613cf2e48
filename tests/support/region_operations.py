"""The regional API's operations as the judges we did not write see them: every
operation of spec/atlas-region-v1alpha1.yaml, the call that makes it (the table of
tests/support/client_region.py, with its realistic arguments: tags, filesystems and
user data included), the model its answer is made of, and each status the spec
documents for it.

Shared by the Prism tests, the schemathesis tests and the parser fuzzing.
`table_problems()` compares the tables here with the spec, so an operation added to
the spec without a row here fails (tests/contract/test_prism_region.py).
`fake_seeded_for(operation)` is a `FakeAPI` whose region `REGION` holds what the
table's call of that operation acts on, so the fake answers it with its success.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from fluidstack_client import (
    UNSET,
    APIStatusError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
)
from fluidstack_client.region import (
    Capacity,
    Filesystem,
    Instance,
    InstanceState,
    InstanceType,
    KubernetesCluster,
    KubernetesNodePool,
    Project,
    SlurmCluster,
    SlurmNodePool,
)
from fluidstack_client.testing import FakeAPI
from support.client_region import (
    API,
    CLUSTER_ID,
    FILESYSTEM,
    INFERRED,
    INSTANCE,
    INSTANCE_MINIMAL,
    INSTANCE_TYPE,
    INSTANCE_TYPE_MINIMAL,
    NODE_POOL,
    PROJECT,
    PROJECT_BODY,
    PROJECT_ID,
    REGION_OPERATIONS,
    REGION_SPEC_PATH,
    RegionOp,
    region_spec,
    region_spec_operations,
)

__all__ = [
    "API",
    "ERROR_CLASSES",
    "INFERRED",
    "PROJECT",
    "REGION",
    "REGION_OPERATIONS",
    "REGION_SPEC_PATH",
    "RESPONSE_MODELS",
    "RegionOp",
    "documented_errors",
    "fake_expected",
    "fake_seeded_for",
    "label",
    "region_spec",
    "successes",
    "table_problems",
]

# What each operation's success body is made of: a model (one, or a list of them),
# `str` (a list of names), or None (no body: the inferred 202/204 successes).
RESPONSE_MODELS: dict[str, type[Any] | None] = {
    "ListCapabilities": str,
    "ListCapacity": Capacity,
    "ListFilesystems": Filesystem,
    "CreateFilesystem": Filesystem,
    "GetFilesystem": Filesystem,
    "DeleteFilesystem": None,
    "ListInstanceTypes": InstanceType,
    "ListInstances": Instance,
    "CreateInstance": Instance,
    "GetInstance": Instance,
    "DeleteInstance": None,
    "StartInstance": None,
    "StopInstance": None,
    "ListKubernetesClusters": KubernetesCluster,
    "ListKubernetesNodePools": KubernetesNodePool,
    "ListProjects": Project,
    "CreateProject": Project,
    "GetProject": Project,
    "DeleteProject": None,
    "ListSlurmClusters": SlurmCluster,
    "ListSlurmNodePools": SlurmNodePool,
}

# The typed error of each error status the regional spec documents (501 "not
# implemented" is a 5xx like the others).
ERROR_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    404: NotFoundError,
    409: ConflictError,
    500: InternalServerError,
    501: InternalServerError,
}


def label(operation: str) -> str:
    """`METHOD /path/{template}`, as schemathesis and the fake's routes name it."""
    found = region_spec_operations()[operation]
    return f"{found.method} {found.template}"


def successes(operation: str) -> frozenset[int]:
    """The 2xx statuses the spec documents for the operation."""
    return region_spec_operations()[operation].successes


def documented_errors() -> list[tuple[str, int]]:
    """Each (operation, status >= 400) the regional spec documents, in spec order."""
    return [
        (op["operationId"], int(code))
        for item in region_spec()["paths"].values()
        for op in item.values()
        for code in op["responses"]
        if int(code) >= 400
    ]


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


def table_problems() -> list[str]:
    """How the tables here differ from the regional spec (empty when they agree): an
    operation without a row, a row for no operation, a path that is not the
    operation's, X-PROJECT-ID sent or not against the spec, a body where the spec has
    none or the other way round."""
    spec = region_spec_operations()
    problems = []
    tables: dict[str, dict[str, Any]] = {
        "REGION_OPERATIONS": dict(REGION_OPERATIONS),
        "RESPONSE_MODELS": dict(RESPONSE_MODELS),
    }
    for table, rows in tables.items():
        problems += [f"{op}: in the spec, not in {table}" for op in spec.keys() - rows.keys()]
        problems += [f"{op}: in {table}, not in the spec" for op in rows.keys() - spec.keys()]
    bodies = {
        op["operationId"]: any(
            "content" in answer for code, answer in op["responses"].items() if int(code) < 300
        )
        for item in region_spec()["paths"].values()
        for op in item.values()
    }
    for name in sorted(spec.keys() & REGION_OPERATIONS.keys() & RESPONSE_MODELS.keys()):
        row, found, body = REGION_OPERATIONS[name], spec[name], bodies[name]
        if not _matches(found.template, row.path):
            problems.append(f"{name}: the row's path {row.path} is not {found.template}")
        if row.project != found.sends_project:
            problems.append(f"{name}: X-PROJECT-ID {row.project}, the spec: {found.sends_project}")
        if (RESPONSE_MODELS[name] is not None) != body:
            problems.append(f"{name}: success body {RESPONSE_MODELS[name]}, the spec: {body}")
        if (row.reply.json is not None) != body:
            problems.append(f"{name}: the row's reply body {row.reply.json!r}, the spec: {body}")
    return sorted(problems)


REGION = "us-east-1"  # the fake's region the tables' calls go to
# Nothing moves on its own while a test looks (the fake's clock is the test's).
FROZEN = dict.fromkeys(("creating", "starting", "stopping", "deleting"), 1e9)


def fake_seeded_for(operation: str, token: str, durations: Mapping[str, float] = FROZEN) -> FakeAPI:
    """A fake (accepting `token`) whose region `REGION` holds the samples the table's
    call of `operation` acts on and returns, so that call succeeds with
    `fake_expected(operation)`: project PROJECT_ID, the two sample instances (the
    first one stopped for StartInstance; none for DeleteProject, which a project with
    instances refuses), the sample filesystem, the sample cluster (a Slurm one for
    the Slurm operations) and its node pool, the sample instance types, capacity and
    capabilities (only h100-hgx-80gb.8x in stock). Its instances stay in their states
    (`durations` other than the default `FROZEN` set them moving)."""
    where = {"project_id": PROJECT_ID, "region": REGION}
    instances = [INSTANCE | where, INSTANCE_MINIMAL | where]
    if operation == "StartInstance":
        instances[0] = instances[0] | {"state": "stopped"}
    elif operation == "DeleteProject":
        instances = []
    kind = "slurm" if operation.startswith("ListSlurm") else "kubernetes"
    fake = FakeAPI(
        token,
        regions={
            REGION: {
                "instance_types": [INSTANCE_TYPE, INSTANCE_TYPE_MINIMAL],
                "capabilities": ["kubernetes", "slurm"],
            }
        },
        projects=[PROJECT_BODY],
        instances=instances,
        filesystems=[FILESYSTEM | where],
        clusters=[{"id": CLUSTER_ID, "name": "train", "type": kind} | where],
        node_pools=[NODE_POOL | {"cluster_id": CLUSTER_ID}],
        durations=durations,
    )
    offer: list[Any] = REGION_OPERATIONS["ListCapacity"].expected  # type: ignore[assignment]
    fake.region(REGION).capacity = {item.name: item.capacity for item in offer}
    return fake


def fake_expected(operation: str, new_id: uuid.UUID | None = None) -> object:
    """What the table's call of `operation` returns from `fake_seeded_for(operation)`:
    the table's `expected`, except that the fake always sends an instance's `ip`
    (null when it has none), which the spec allows as well as leaving it out; and
    what a create made has the id the fake gave it (`new_id`), and a new instance is
    `creating`, with no IP yet."""
    expected: Any = REGION_OPERATIONS[operation].expected
    if operation == "ListInstances":
        return [attrs.evolve(item, ip=None) if item.ip is UNSET else item for item in expected]
    if operation == "CreateInstance":
        return attrs.evolve(expected, id=new_id, state=InstanceState.CREATING, ip=None)
    if operation.startswith("Create"):
        return attrs.evolve(expected, id=new_id)
    return expected
