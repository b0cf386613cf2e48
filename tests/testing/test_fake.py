"""The bundled fake (`fluidstack_client.testing.FakeAPI`) used the way a user uses it,
through the clients, in-process and on loopback: its routes, every operation, its
state, auth, regions, injected faults and the request log, and its in-process
transport."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from support import samples
from support.client_operations import OPERATIONS
from support.testing_fake import Connect

import fluidstack_client
from fluidstack_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncFluidstack,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
)
from fluidstack_client.testing import ROUTES, FakeAPI, FakeTransport
from fluidstack_client.testing._fake import TOKEN_HINT
from fluidstack_client.testing._seed import PROJECT_A, PROJECT_B


def test_routes_cover_the_spec(spec: dict[str, Any]) -> None:
    in_spec = {
        (op["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert {(op, m, p) for op, m, p, _ in ROUTES} == in_spec


# -- every operation ------------------------------------------------------------------------

# The table of tests/client/test_operations.py (tests/support/client_operations.py),
# against a fake seeded with the same samples (samples.fake_seeded_for): each call
# sends what the table says and returns the table's models, written out by hand.


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_every_operation_against_the_fake(
    operation: str, connect: Connect[AsyncFluidstack]
) -> None:
    op = OPERATIONS[operation]
    fake = samples.fake_seeded_for(operation)
    async with connect(fake) as fs:
        result = await op.invoke(fs)
    (sent,) = fake.requests
    assert sent.operation == operation
    assert sent.path == "/api/v1alpha1" + op.path
    assert sent.json() == op.body
    if operation == "ListRegions":  # the fake's own URL, not the scripted one
        assert [r.name for r in result] == ["us-east-1"]
        assert result[0].url == fake.region_url("us-east-1")
        return
    if op.reply.json is None:
        assert result is None
        return
    assert result == op.expected
    if operation == "GetInstance":
        assert (result.id, result.name, result.tags["env"]) == (
            uuid.UUID(samples.INSTANCE_ID),
            "gpu-0",
            "dev",
        )
    elif operation == "ListInstances":
        full, minimal = result
        assert [(i.id, i.project_id) for i in result] == [
            (uuid.UUID(samples.INSTANCE_ID), samples.PROJECT_ID)
        ] * 2
        assert full.updated_at.isoformat() == "2026-11-27T10:11:12.123456+00:00"
        assert minimal.updated_at is fluidstack_client.UNSET
    elif operation == "ListClusters":
        assert [(c.id, c.type_, c.health) for c in result] == [
            (uuid.UUID(samples.CLUSTER_ID), "kubernetes", "healthy")
        ]


# -- state -----------------------------------------------------------------------------------


async def test_members_update_and_delete(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    async with connect(fake) as fs:
        await fs.members.update("mem-alan", role="viewer")
        assert [m["role"] for m in fake.members] == ["admin", "viewer"]
        await fs.members.delete("mem-alan")
        assert [m.id for m in await fs.members.list()] == ["mem-ada"]
        with pytest.raises(NotFoundError, match="member not found"):
            await fs.members.delete("mem-alan")
        with pytest.raises(NotFoundError):
            await fs.members.update("nobody", role="admin")


async def test_invitations_lifecycle(connect: Connect[AsyncFluidstack]) -> None:
    async with connect(FakeAPI(token="t0k")) as fs:
        await fs.invitations.create(email="new@acme.io", role="editor")
        invites = await fs.invitations.list()
        assert [(i.email, i.role) for i in invites] == [
            ("grace@acme.io", "viewer"),
            ("new@acme.io", "editor"),
        ]
        await fs.invitations.delete(invites[1].id)
        assert len(await fs.invitations.list()) == 1
        with pytest.raises(NotFoundError):
            await fs.invitations.delete(invites[1].id)


async def test_keys_register_conflict_deregister(connect: Connect[AsyncFluidstack]) -> None:
    async with connect(FakeAPI(token="t0k")) as fs:
        await fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop")
        assert [k.name for k in await fs.keys.list()] == ["ci-runner", "laptop"]
        with pytest.raises(ConflictError, match="already exists"):
            await fs.keys.register(name="laptop", key="ssh-ed25519 BBBB")
        await fs.keys.deregister("laptop")
        with pytest.raises(NotFoundError):
            await fs.keys.deregister("laptop")


async def test_instances_filter_by_project_and_404(connect: Connect[AsyncFluidstack]) -> None:
    async with connect(FakeAPI(token="t0k")) as fs:
        assert len(await fs.instances.list()) == 3
        assert len(await fs.instances.list(project_id=PROJECT_A)) == 2
        (only,) = await fs.instances.list(project_id=PROJECT_B)
        assert await fs.instances.get(only.id) == only
        with pytest.raises(NotFoundError, match="instance not found"):
            await fs.instances.get("00000000-0000-4000-8000-000000000000")


async def test_token_is_checked(connect: Connect[AsyncFluidstack]) -> None:
    """A new user serving a fake with a token of their own making is told where the
    fake's token is (issue 22), never shown the one sent."""
    async with connect(FakeAPI(token="t0k"), token="made-up-token") as fs:
        with pytest.raises(AuthenticationError) as refused:
            await fs.keys.list()
    assert refused.value.message == (
        "invalid token; this fake takes its own token: fake.token (FakeAPI(token=...) sets "
        "it; the command line prints it, or takes --token), or one from its OAuth endpoint"
    )
    assert "made-up-token" not in str(refused.value)


async def test_regions_are_served_by_the_same_fake(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=PROJECT_A)  # its regional API
        instances = await east.instances.list()
        clusters = await east.kubernetes.clusters.list()
    assert [i.name for i in instances] == ["gpu-train-0", "gpu-train-1"]
    assert [c.name for c in clusters] == ["train-k8s"]
    assert [(r.operation, r.region) for r in fake.requests] == [
        ("ListRegions", None),
        ("ListInstances", "us-east-1"),
        ("ListKubernetesClusters", "us-east-1"),
    ]


# -- faults ----------------------------------------------------------------------------------


async def test_fail_next_per_route_is_survived_by_retry(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(2, status=500, route="ListInstances")
    async with connect(fake) as fs:
        assert len(await fs.keys.list()) == 1  # other routes unaffected
        assert len(await fs.instances.list()) == 3
    assert [r.operation for r in fake.requests] == ["ListKeys"] + ["ListInstances"] * 3


async def test_injected_502_is_html_and_503_has_retry_after(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(1, status=502, route="GET /clusters")
    async with connect(fake, max_retries=0) as fs:
        with pytest.raises(InternalServerError, match="502 Bad Gateway"):
            await fs.clusters.list()
    fake.fail_next(1, status=503, retry_after=1)
    clock_before, started = fake.clock, time.monotonic()
    async with connect(fake) as fs:
        on_fake_time = fs._shared.clock is not None
        await fs.clusters.list()
    if on_fake_time:  # a client the fake built waits on the fake's clock, not the wall's
        assert fake.clock - clock_before >= 1.0
        assert time.monotonic() - started < 0.5
    else:
        assert time.monotonic() - started >= 0.9
    fake.fail_next(5, status=429)
    async with connect(fake, max_retries=1) as fs:
        with pytest.raises(RateLimitError):
            await fs.clusters.list()


async def test_post_faults_are_not_retried(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(1, status=500, route="RegisterKey")
    async with connect(fake) as fs:
        with pytest.raises(InternalServerError):
            await fs.keys.register(name="x", key="ssh-ed25519 AAAA")
    assert [k["name"] for k in fake.keys] == ["ci-runner"]


async def test_dropped_connections_and_latency(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.drop_next(1)
    async with connect(fake) as fs:
        assert len(await fs.organizations.list()) == 1  # GET retried
    fake.drop_next(3)
    async with connect(fake, max_retries=1) as fs:
        with pytest.raises(APIConnectionError):
            await fs.organizations.list()
    fake.clear_faults()
    fake.add_latency(0.5, route="ListMembers")
    async with connect(fake, timeout=0.1, max_retries=0) as fs:
        with pytest.raises(APITimeoutError):
            await fs.members.list()
    started = time.monotonic()
    async with connect(fake) as fs:
        await fs.members.list()
    assert time.monotonic() - started >= 0.5


# -- what the fake refuses, and what the client refuses first --------------------------------


def test_bad_input_gives_400_with_error_body() -> None:
    fake = FakeAPI(token="t")
    with fake.client() as fs:
        http = fs._shared.http
        for method, path, body in [
            ("PATCH", "/members/mem-ada", b'{"role": "owner"}'),
            ("PATCH", "/members/mem-ada", b"not json"),
            ("POST", "/invitations", b'{"role": "viewer"}'),
            ("POST", "/user/keys", b'{"name": "k"}'),
        ]:
            response = http.request(
                method,
                fake.base_url + path,
                content=body,
                headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
            )
            assert response.status_code == 400, (method, path, body)
            assert response.headers["content-type"] == "application/json"
            assert isinstance(response.json()["message"], str)
        missing = http.get(fake.base_url + "/user/keys")
        assert missing.status_code == 401
        assert missing.json() == {"message": f"missing bearer token; {TOKEN_HINT}"}


def test_client_side_checks_still_apply_with_the_fake() -> None:
    fake = FakeAPI()
    with fake.client() as fs, pytest.raises(InvalidParameterError):
        fs.members.update("mem-ada", role="owner")
    with fake.client() as fs, pytest.raises(BadRequestError, match="role must be one of"):
        fs.generated_client().get_httpx_client().request(
            "patch", "/members/mem-ada", json={"role": "owner"}
        )
    assert len(fake.requests) == 1


# -- in-process ------------------------------------------------------------------------------


def test_in_process_clients_go_through_the_fake_transport(fluidstack_fake: FakeAPI) -> None:
    with fluidstack_fake.client() as fs:
        transport = fs._shared.http._transport
        assert isinstance(transport, FakeTransport)
        assert isinstance(transport, httpx.BaseTransport)
        assert transport.fake is fluidstack_fake
        fs.organizations.list()
    (sent,) = fluidstack_fake.requests
    assert (sent.method, sent.path) == ("GET", "/api/v1alpha1/organizations")
    # The async client's too (an AsyncFluidstack binds its loop on its first call only).
    async_transport = fluidstack_fake.async_client()._shared.http._transport
    assert isinstance(async_transport, FakeTransport)
    assert isinstance(async_transport, httpx.AsyncBaseTransport)
    assert async_transport.fake is fluidstack_fake
