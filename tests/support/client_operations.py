"""Every operation of spec/openapi.yaml as a call on the client: the reply a server
scripts for it, the request the call must send, and the models it must return.

One table for both clients: a call is named (`"members.update"`) rather than written
as a lambda, so `Op.invoke(fs)` works on a `Fluidstack` (the result) and on an
`AsyncFluidstack` (a coroutine to await) alike. Shared by tests/client/test_operations.py
and the contract tests (Prism, the parser fuzzing).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs

from fluidstack_client import (
    UNSET,
    AsyncFluidstack,
    Cluster,
    ClusterHealth,
    ClusterType,
    Fluidstack,
    Instance,
    InstanceState,
    InstanceTags,
    Invitation,
    Organization,
    OrganizationMember,
    Region,
    SSHKey,
)
from support import samples
from support.scripted_server import Reply

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "spec" / "openapi.yaml"


@dataclass(frozen=True)
class Op:
    """One operation: `call` is `resource.method` on the client, with `args`/`kwargs`;
    `path`, `body` and `headers` are what must go over the wire for `reply`, and
    `expected` what the call then returns (None for an operation without a body)."""

    call: str
    reply: Reply
    path: str
    args: tuple[object, ...] = ()
    kwargs: Mapping[str, object] = field(default_factory=dict)
    body: object = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expected: object = None

    def invoke(self, fs: Fluidstack | AsyncFluidstack) -> Any:
        """Make the call on `fs`: its result, or (an `AsyncFluidstack`) its coroutine."""
        resource, method = self.call.split(".")
        return getattr(getattr(fs, resource), method)(*self.args, **self.kwargs)


PROJECT = uuid.UUID(samples.PROJECT_ID)


def _tags(**tags: str) -> InstanceTags:
    made = InstanceTags()
    made.additional_properties = dict(tags)
    return made


# The samples as models, written out by hand (not parsed by the code under test).
CLUSTER = Cluster(
    id=uuid.UUID(samples.CLUSTER_ID),
    name="train",
    region="us-east-1",
    type_=ClusterType.KUBERNETES,
    project_id=samples.PROJECT_ID,
    health=ClusterHealth.HEALTHY,
    updated_at=datetime.datetime(2026, 11, 27, 10, 11, 12, tzinfo=datetime.UTC),
)
INSTANCE = Instance(
    id=uuid.UUID(samples.INSTANCE_ID),
    name="gpu-0",
    type_="h100-80gb-sxm",
    state=InstanceState.RUNNING,
    ip=None,
    image="ubuntu-22.04",
    preemptible=False,
    ephemeral=True,
    tags=_tags(team="ml", env="dev"),
    project_id=samples.PROJECT_ID,
    region="us-east-1",
    # nanoseconds on the wire; Python keeps microseconds
    updated_at=datetime.datetime(2026, 11, 27, 10, 11, 12, 123456, tzinfo=datetime.UTC),
)
# The same instance without the optional fields the server may leave out.
INSTANCE_MINIMAL = attrs.evolve(INSTANCE, updated_at=UNSET)

OPERATIONS: dict[str, Op] = {
    "ListRegions": Op(
        "regions.list",
        Reply(json=[samples.REGION]),
        "/regions",
        expected=[Region(name="us-east-1", url="https://us-east-1.atlas.fluidstack.io")],
    ),
    "ListClusters": Op(
        "clusters.list", Reply(json=[samples.CLUSTER]), "/clusters", expected=[CLUSTER]
    ),
    "ListOrganizations": Op(
        "organizations.list",
        Reply(json=[samples.ORGANIZATION]),
        "/organizations",
        expected=[Organization(id="org-1", name="acme", display_name="Acme Corp")],
    ),
    "ListMembers": Op(
        "members.list",
        Reply(json=[samples.MEMBER]),
        "/members",
        expected=[OrganizationMember(id="m-1", name="Ada", email="ada@acme.io", role="admin")],
    ),
    "UpdateMember": Op(
        "members.update",
        Reply(200),
        "/members/m-1",
        args=("m-1",),
        kwargs={"role": "editor"},
        body={"role": "editor"},
    ),
    "DeleteMember": Op(
        "members.delete",
        Reply(204),
        f"/members/{samples.CLUSTER_ID}",
        args=(uuid.UUID(samples.CLUSTER_ID),),
    ),
    "CreateInvitation": Op(
        "invitations.create",
        Reply(201),
        "/invitations",
        kwargs={"email": "bob@acme.io", "role": "viewer"},
        body={"email": "bob@acme.io", "role": "viewer"},
    ),
    "ListInvitations": Op(
        "invitations.list",
        Reply(json=[samples.INVITATION]),
        "/invitations",
        expected=[Invitation(id="inv-1", email="bob@acme.io", role="viewer")],
    ),
    "DeleteInvitation": Op("invitations.delete", Reply(204), "/invitations/inv-1", args=("inv-1",)),
    "ListInstances": Op(
        "instances.list",
        Reply(json=[samples.INSTANCE, samples.INSTANCE_MINIMAL]),
        "/instances",
        kwargs={"project_id": PROJECT},
        headers={"x-project-id": samples.PROJECT_ID},
        expected=[INSTANCE, INSTANCE_MINIMAL],
    ),
    "GetInstance": Op(
        "instances.get",
        Reply(json=samples.INSTANCE),
        f"/instances/{samples.INSTANCE_ID}",
        args=(samples.INSTANCE_ID,),
        expected=INSTANCE,
    ),
    "ListKeys": Op(
        "keys.list",
        Reply(json=[samples.SSH_KEY]),
        "/user/keys",
        expected=[SSHKey(name="laptop", key=samples.SSH_KEY["key"])],
    ),
    "RegisterKey": Op(
        "keys.register",
        Reply(200),
        "/user/keys",
        kwargs={"name": "laptop", "key": samples.SSH_KEY["key"]},
        body=samples.SSH_KEY,
    ),
    "DeregisterKey": Op("keys.deregister", Reply(204), "/user/keys/laptop", args=("laptop",)),
}


def spec_operations(spec: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Each operation id of the spec: its method and path template."""
    return {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
