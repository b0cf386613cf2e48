"""Every operation of the spec through the *generated* functions (`asyncio_detailed`,
and `sync_detailed` in the sync twin), against a real server on 127.0.0.1: what goes
over the wire and what comes back; Go's timestamps parsed; models round-tripping
through `to_dict`."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import ModuleType
from typing import Any

import pytest
from support import samples
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client._generated.management import AuthenticatedClient
from fluidstack_client._generated.management.api.clusters import list_clusters
from fluidstack_client._generated.management.api.instances import get_instance, list_instances
from fluidstack_client._generated.management.api.invitations import (
    create_invitation,
    delete_invitation,
    list_invitations,
)
from fluidstack_client._generated.management.api.members import (
    delete_member,
    list_members,
    update_member,
)
from fluidstack_client._generated.management.api.organizations import list_organizations
from fluidstack_client._generated.management.api.regions import list_regions
from fluidstack_client._generated.management.api.user import deregister_key, list_keys, register_key
from fluidstack_client._generated.management.models import (
    Cluster,
    ClusterHealth,
    ClusterType,
    CreateInvitationBody,
    Instance,
    InstanceState,
    Invitation,
    Organization,
    OrganizationMember,
    Region,
    SSHKey,
    UpdateMemberBody,
    UpdateMemberBodyRole,
)
from fluidstack_client._generated.management.types import UNSET

TOKEN = "tkn-generated-layer"


@dataclass
class Case:
    module: ModuleType
    kwargs: dict[str, Any]
    reply: Reply
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    check: Callable[[Any], None] = lambda parsed: None


def _check_regions(parsed: Any) -> None:
    assert parsed == [Region(name="us-east-1", url="https://us-east-1.atlas.fluidstack.io")]


def _check_clusters(parsed: Any) -> None:
    (cluster,) = parsed
    assert isinstance(cluster, Cluster)
    assert cluster.id == uuid.UUID(samples.CLUSTER_ID)
    assert cluster.type_ is ClusterType.KUBERNETES
    assert cluster.health is ClusterHealth.HEALTHY
    assert cluster.updated_at == datetime.datetime(2026, 11, 27, 10, 11, 12, tzinfo=datetime.UTC)


def _check_instances(parsed: Any) -> None:
    full, minimal = parsed
    _check_instance(full)
    assert minimal.health is UNSET
    assert minimal.updated_at is UNSET


def _check_instance(inst: Any) -> None:
    assert isinstance(inst, Instance)
    assert inst.id == uuid.UUID(samples.INSTANCE_ID)
    assert inst.ip is None
    assert inst.state is InstanceState.RUNNING
    assert inst.tags.additional_properties == {"team": "ml", "env": "dev"}
    assert inst.tags["team"] == "ml"
    assert inst.health is UNSET
    assert inst.updated_at == datetime.datetime(
        2026, 11, 27, 10, 11, 12, 123456, tzinfo=datetime.UTC
    )


def _expect(value: Any) -> Callable[[Any], None]:
    def check(parsed: Any) -> None:
        assert parsed == value

    return check


CASES = {
    "ListRegions": Case(
        list_regions, {}, Reply(json=[samples.REGION]), "GET", "/regions", check=_check_regions
    ),
    "ListClusters": Case(
        list_clusters, {}, Reply(json=[samples.CLUSTER]), "GET", "/clusters", check=_check_clusters
    ),
    "ListOrganizations": Case(
        list_organizations,
        {},
        Reply(json=[samples.ORGANIZATION]),
        "GET",
        "/organizations",
        check=_expect([Organization(id="org-1", name="acme", display_name="Acme Corp")]),
    ),
    "ListMembers": Case(
        list_members,
        {},
        Reply(json=[samples.MEMBER]),
        "GET",
        "/members",
        check=_expect(
            [OrganizationMember(id="m-1", name="Ada", email="ada@acme.io", role="admin")]
        ),
    ),
    "UpdateMember": Case(
        update_member,
        {"id": "m-1", "body": UpdateMemberBody(role=UpdateMemberBodyRole.EDITOR)},
        Reply(200),
        "PATCH",
        "/members/m-1",
        body={"role": "editor"},
    ),
    "DeleteMember": Case(
        delete_member, {"id": "m-1"}, Reply(204), "DELETE", "/members/m-1", check=_expect(None)
    ),
    "CreateInvitation": Case(
        create_invitation,
        {"body": CreateInvitationBody(email="bob@acme.io", role="viewer")},
        Reply(201),
        "POST",
        "/invitations",
        body={"email": "bob@acme.io", "role": "viewer"},
    ),
    "ListInvitations": Case(
        list_invitations,
        {},
        Reply(json=[samples.INVITATION]),
        "GET",
        "/invitations",
        check=_expect([Invitation(id="inv-1", email="bob@acme.io", role="viewer")]),
    ),
    "DeleteInvitation": Case(
        delete_invitation, {"id": "inv-1"}, Reply(204), "DELETE", "/invitations/inv-1"
    ),
    "ListInstances": Case(
        list_instances,
        {"x_project_id": uuid.UUID(samples.PROJECT_ID)},
        Reply(json=[samples.INSTANCE, samples.INSTANCE_MINIMAL]),
        "GET",
        "/instances",
        headers={"x-project-id": samples.PROJECT_ID},
        check=_check_instances,
    ),
    "GetInstance": Case(
        get_instance,
        {"id": uuid.UUID(samples.INSTANCE_ID)},
        Reply(json=samples.INSTANCE),
        "GET",
        f"/instances/{samples.INSTANCE_ID}",
        check=_check_instance,
    ),
    "ListKeys": Case(
        list_keys,
        {},
        Reply(json=[samples.SSH_KEY]),
        "GET",
        "/user/keys",
        check=_expect([SSHKey(name="laptop", key=samples.SSH_KEY["key"])]),
    ),
    "RegisterKey": Case(
        register_key,
        {"body": SSHKey(name="laptop", key=samples.SSH_KEY["key"])},
        Reply(200),
        "POST",
        "/user/keys",
        body=samples.SSH_KEY,
    ),
    "DeregisterKey": Case(
        deregister_key, {"name": "laptop"}, Reply(204), "DELETE", "/user/keys/laptop"
    ),
}


# -- every operation over HTTP --------------------------------------------------------------


def test_cases_cover_every_operation_in_the_spec(spec: dict[str, Any]) -> None:
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert len(operation_ids) == 14
    assert set(CASES) == operation_ids


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_operation_over_http(operation: str, server: ScriptedServer) -> None:
    case = CASES[operation]
    server.queue(case.reply)

    async with AuthenticatedClient(base_url=server.url, token=TOKEN) as client:
        response = await case.module.asyncio_detailed(client=client, **case.kwargs)

    sent = server.last
    assert (sent.method, sent.path) == (case.method, case.path)
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    for name, value in case.headers.items():
        assert sent.headers[name] == value
    if case.body is None:
        assert sent.body == b""
    else:
        assert sent.headers["content-type"] == "application/json"
        assert sent.json() == case.body
    assert response.status_code == HTTPStatus(case.reply.status)
    case.check(response.parsed)


async def test_list_instances_without_project_sends_no_header(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]), Reply(json=[]))
    async with AuthenticatedClient(base_url=server.url, token=TOKEN) as client:
        response = await list_instances.asyncio_detailed(client=client)
        parsed = await list_instances.asyncio(client=client)  # the parsed-only function
    assert response.parsed == parsed == []
    assert "x-project-id" not in server.requests[0].headers
    assert "x-project-id" not in server.last.headers


# -- models --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-27T10:11:12Z", datetime.datetime(2026, 11, 27, 10, 11, 12, tzinfo=datetime.UTC)),
        (
            "2026-11-27T10:11:12.123456789Z",
            datetime.datetime(2026, 11, 27, 10, 11, 12, 123456, tzinfo=datetime.UTC),
        ),
        (
            "2026-11-27T10:11:12+00:00",
            datetime.datetime(2026, 11, 27, 10, 11, 12, tzinfo=datetime.UTC),
        ),
        (
            "2026-11-27T12:11:12.5+02:00",
            datetime.datetime(2026, 11, 27, 10, 11, 12, 500000, tzinfo=datetime.UTC),
        ),
    ],
)
def test_go_timestamps_parse(stamp: str, expected: datetime.datetime) -> None:
    inst = Instance.from_dict({**samples.INSTANCE, "updated_at": stamp})
    assert inst.updated_at == expected
    assert isinstance(inst.updated_at, datetime.datetime)
    assert inst.updated_at.utcoffset() is not None


def test_models_round_trip_through_to_dict() -> None:
    assert Instance.from_dict(samples.INSTANCE_MINIMAL).to_dict() == samples.INSTANCE_MINIMAL
    extra = {**samples.REGION, "latency_ms": 12}
    assert Region.from_dict(extra).to_dict() == extra
