"""Every operation of the spec through the client, against a real server on 127.0.0.1:
the request each resource method sends (method, path, headers, body) and the models it
parses the answer into; the headers every call sends; the generated functions used
with the wrapper's client. The operation table (tests/support/client_operations.py) is
checked against spec/openapi.yaml, so an operation added to the spec without a client
method fails here."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest
from support import samples
from support.client_operations import OPERATIONS, spec_operations
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    AsyncFluidstack,
    Cluster,
    ClusterType,
    Instance,
    InstanceState,
)
from fluidstack_client._generated.management.api.regions import list_regions

# -- the operation table -------------------------------------------------------------------


def test_every_spec_operation_has_a_client_method(spec: dict[str, Any]) -> None:
    missing = sorted(set(spec_operations(spec)) - set(OPERATIONS))
    assert not missing, f"operations without a client method/test: {missing}"
    assert sorted(OPERATIONS) == sorted(spec_operations(spec))


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_operation(operation: str, server: ScriptedServer, spec: dict[str, Any]) -> None:
    op = OPERATIONS[operation]
    server.queue(op.reply)

    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        result = await op.invoke(fs)

    (sent,) = server.requests
    method, template = spec_operations(spec)[operation]
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


# -- parsing into models -----------------------------------------------------------------


async def test_instances_parse_into_models(server: ScriptedServer) -> None:
    server.queue(Reply(json=[samples.INSTANCE, samples.INSTANCE_MINIMAL]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        full, minimal = await fs.instances.list()
    assert isinstance(full, Instance)
    assert full.id == uuid.UUID(samples.INSTANCE_ID)
    assert full.ip is None
    assert full.state is InstanceState.RUNNING
    assert full.tags.to_dict() == {"team": "ml", "env": "dev"}
    assert isinstance(full.updated_at, datetime.datetime)
    assert full.updated_at.microsecond == 123456
    assert minimal.to_dict() == samples.INSTANCE_MINIMAL
    assert "x-project-id" not in server.last.headers


async def test_clusters_parse_into_models(server: ScriptedServer) -> None:
    server.queue(Reply(json=[samples.CLUSTER]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        (cluster,) = await fs.clusters.list()
    assert isinstance(cluster, Cluster)
    assert cluster.type_ is ClusterType.KUBERNETES
    assert cluster.to_dict() == samples.CLUSTER | {"updated_at": "2026-11-27T10:11:12+00:00"}


# -- arguments ---------------------------------------------------------------------------


async def test_project_id_accepts_uuid_string(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.instances.list(project_id=samples.PROJECT_ID) == []
    assert server.last.headers["x-project-id"] == samples.PROJECT_ID


async def test_invitation_role_is_optional(server: ScriptedServer) -> None:
    server.queue(Reply(201))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.invitations.create(email="c@acme.io")
    assert server.last.json() == {"email": "c@acme.io"}


# -- what goes over the wire -------------------------------------------------------------


async def test_the_headers_a_call_sends(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]), Reply(200))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.list()
        await fs.keys.register(name="k", key="ssh-ed25519 A")
    get, post = server.requests
    common = {
        "accept": "*/*",
        "accept-encoding": "gzip, deflate",
        "authorization": f"Bearer {TOKEN}",
        "connection": "keep-alive",
        "host": server.url.removeprefix("http://"),
    }
    assert {k: v for k, v in get.headers.items() if k != "user-agent"} == common
    assert get.headers["user-agent"].startswith("fluidstack-client/")
    assert get.headers["user-agent"].endswith(" (python-httpx)")
    assert {k: v for k, v in post.headers.items() if k != "user-agent"} == {
        **common,
        "content-length": str(len(post.body)),
        "content-type": "application/json",
    }


async def test_a_json_body_is_sent_compact_and_in_utf8(server: ScriptedServer) -> None:
    server.default = Reply(200)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.register(name="clé", key="ssh-ed25519 A")
    assert server.requests[0].body == '{"name":"clé","key":"ssh-ed25519 A"}'.encode()
    assert server.requests[0].headers["content-type"] == "application/json"


# -- the generated functions with the wrapper's client -------------------------------------


async def test_the_generated_client_is_bound_to_the_clients_base_url() -> None:
    async with AsyncFluidstack(TOKEN, base_url="https://api.example.io/v2/") as fs:
        assert "_base_url='https://api.example.io/v2'" in repr(fs.generated_client())


async def test_generated_functions_work_with_the_wrapper_client(server: ScriptedServer) -> None:
    """A generated function sends through the wrapper: its token, and its retries (the
    500 is retried)."""
    server.queue(Reply(json=[]), Reply(500, {"message": "x"}), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, max_retries=1, retry_policy=FAST) as fs:
        response = await list_regions.asyncio_detailed(client=fs.generated_client())
        assert response.status_code == 200
        assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
        retried = await list_regions.asyncio(client=fs.generated_client())
    assert retried == []
    assert len(server.requests) == 3
