"""Every operation of the spec through `Fluidstack` and `AsyncFluidstack`, against a
real HTTP server on 127.0.0.1. The table is checked against spec/openapi.yaml, so an
operation added to the spec without a client method fails here.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import attrs
import pytest
import samples
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    UNSET,
    Cluster,
    ClusterHealth,
    ClusterType,
    Instance,
    InstanceState,
    InstanceTags,
    Invitation,
    Organization,
    OrganizationMember,
    Region,
    SSHKey,
)


@dataclass
class Op:
    call: Any  # scenario: client -> result
    reply: Reply
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    expected: Any = None


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
        lambda fs: fs.regions.list(),
        Reply(json=[samples.REGION]),
        "/regions",
        expected=[Region(name="us-east-1", url="https://us-east-1.atlas.fluidstack.io")],
    ),
    "ListClusters": Op(
        lambda fs: fs.clusters.list(),
        Reply(json=[samples.CLUSTER]),
        "/clusters",
        expected=[CLUSTER],
    ),
    "ListOrganizations": Op(
        lambda fs: fs.organizations.list(),
        Reply(json=[samples.ORGANIZATION]),
        "/organizations",
        expected=[Organization(id="org-1", name="acme", display_name="Acme Corp")],
    ),
    "ListMembers": Op(
        lambda fs: fs.members.list(),
        Reply(json=[samples.MEMBER]),
        "/members",
        expected=[OrganizationMember(id="m-1", name="Ada", email="ada@acme.io", role="admin")],
    ),
    "UpdateMember": Op(
        lambda fs: fs.members.update("m-1", role="editor"),
        Reply(200),
        "/members/m-1",
        body={"role": "editor"},
    ),
    "DeleteMember": Op(
        lambda fs: fs.members.delete(uuid.UUID(samples.CLUSTER_ID)),
        Reply(204),
        f"/members/{samples.CLUSTER_ID}",
    ),
    "CreateInvitation": Op(
        lambda fs: fs.invitations.create(email="bob@acme.io", role="viewer"),
        Reply(201),
        "/invitations",
        body={"email": "bob@acme.io", "role": "viewer"},
    ),
    "ListInvitations": Op(
        lambda fs: fs.invitations.list(),
        Reply(json=[samples.INVITATION]),
        "/invitations",
        expected=[Invitation(id="inv-1", email="bob@acme.io", role="viewer")],
    ),
    "DeleteInvitation": Op(
        lambda fs: fs.invitations.delete("inv-1"), Reply(204), "/invitations/inv-1"
    ),
    "ListInstances": Op(
        lambda fs: fs.instances.list(project_id=PROJECT),
        Reply(json=[samples.INSTANCE, samples.INSTANCE_MINIMAL]),
        "/instances",
        headers={"x-project-id": samples.PROJECT_ID},
        expected=[INSTANCE, INSTANCE_MINIMAL],
    ),
    "GetInstance": Op(
        lambda fs: fs.instances.get(samples.INSTANCE_ID),
        Reply(json=samples.INSTANCE),
        f"/instances/{samples.INSTANCE_ID}",
        expected=INSTANCE,
    ),
    "ListKeys": Op(
        lambda fs: fs.keys.list(),
        Reply(json=[samples.SSH_KEY]),
        "/user/keys",
        expected=[SSHKey(name="laptop", key=samples.SSH_KEY["key"])],
    ),
    "RegisterKey": Op(
        lambda fs: fs.keys.register(name="laptop", key=samples.SSH_KEY["key"]),
        Reply(200),
        "/user/keys",
        body=samples.SSH_KEY,
    ),
    "DeregisterKey": Op(lambda fs: fs.keys.deregister("laptop"), Reply(204), "/user/keys/laptop"),
}


def _spec_operations(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }


def test_every_spec_operation_has_a_client_method(spec: dict[str, Any]) -> None:
    missing = sorted(set(_spec_operations(spec)) - set(OPERATIONS))
    assert not missing, f"operations without a client method/test: {missing}"
    assert sorted(OPERATIONS) == sorted(_spec_operations(spec))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_operation(mode: str, operation: str, server: ScriptedServer, spec: dict[str, Any]) -> None:
    op = OPERATIONS[operation]
    server.queue(op.reply)

    result = run(mode, server.url, op.call)

    (sent,) = server.requests
    method, template = _spec_operations(spec)[operation]
    assert sent.method == method
    assert re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), sent.path)
    assert sent.path == op.path
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["user-agent"].startswith("fluidstack-client/")
    for name, value in op.headers.items():
        assert sent.headers[name] == value
    assert (sent.json() if sent.body else None) == op.body
    if op.reply.json is None:
        assert result is None
    else:
        assert op.expected is not None, f"{operation}: say what it returns"
        assert result == op.expected
        expected = op.expected if isinstance(op.expected, list) else [op.expected]
        returned = result if isinstance(result, list) else [result]
        assert [type(r) for r in returned] == [type(e) for e in expected]


@pytest.mark.parametrize("mode", MODES)
def test_instances_parse_into_models(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(json=[samples.INSTANCE, samples.INSTANCE_MINIMAL]))
    full, minimal = run(mode, server.url, lambda fs: fs.instances.list())
    assert isinstance(full, Instance)
    assert full.id == uuid.UUID(samples.INSTANCE_ID)
    assert full.ip is None
    assert full.state is InstanceState.RUNNING
    assert full.tags.to_dict() == {"team": "ml", "env": "dev"}
    assert isinstance(full.updated_at, datetime.datetime)
    assert full.updated_at.microsecond == 123456
    assert minimal.to_dict() == samples.INSTANCE_MINIMAL
    assert "x-project-id" not in server.last.headers


@pytest.mark.parametrize("mode", MODES)
def test_clusters_parse_into_models(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(json=[samples.CLUSTER]))
    (cluster,) = run(mode, server.url, lambda fs: fs.clusters.list())
    assert isinstance(cluster, Cluster)
    assert cluster.type_ is ClusterType.KUBERNETES
    assert cluster.to_dict() == samples.CLUSTER | {"updated_at": "2026-11-27T10:11:12+00:00"}


@pytest.mark.parametrize("mode", MODES)
def test_project_id_accepts_uuid_string(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.instances.list(project_id=samples.PROJECT_ID)) == []
    assert server.last.headers["x-project-id"] == samples.PROJECT_ID


@pytest.mark.parametrize("mode", MODES)
def test_invitation_role_is_optional(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(201))
    run(mode, server.url, lambda fs: fs.invitations.create(email="c@acme.io"))
    assert server.last.json() == {"email": "c@acme.io"}
