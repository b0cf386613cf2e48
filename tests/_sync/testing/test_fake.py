# Derived from tests/testing/test_fake.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The bundled fake (`fluidstack_client.testing.FakeAPI`) used the way a user uses it,
through the clients, in-process and on loopback: its routes, every operation, its
state, auth, regions, injected faults and the request log, and its in-process
transport."""

from __future__ import annotations

import time
import uuid

import pytest
from support import samples
from support.client_operations import OPERATIONS
from support.testing_fake import Connect

import fluidstack_client
from fluidstack_client import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    Fluidstack,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from fluidstack_client.testing import FakeAPI
from fluidstack_client.testing._seed import PROJECT_A, PROJECT_B

# -- every operation ------------------------------------------------------------------------

# The table of tests/client/test_operations.py (tests/support/client_operations.py),
# against a fake seeded with the same samples (samples.fake_seeded_for): each call
# sends what the table says and returns the table's models, written out by hand.


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_against_the_fake(operation: str, connect: Connect[Fluidstack]) -> None:
    op = OPERATIONS[operation]
    fake = samples.fake_seeded_for(operation)
    with connect(fake) as fs:
        result = op.invoke(fs)
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


def test_members_update_and_delete(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    with connect(fake) as fs:
        fs.members.update("mem-alan", role="viewer")
        assert [m["role"] for m in fake.members] == ["admin", "viewer"]
        fs.members.delete("mem-alan")
        assert [m.id for m in fs.members.list()] == ["mem-ada"]
        with pytest.raises(NotFoundError, match="member not found"):
            fs.members.delete("mem-alan")
        with pytest.raises(NotFoundError):
            fs.members.update("nobody", role="admin")


def test_invitations_lifecycle(connect: Connect[Fluidstack]) -> None:
    with connect(FakeAPI(token="t0k")) as fs:
        fs.invitations.create(email="new@acme.io", role="editor")
        invites = fs.invitations.list()
        assert [(i.email, i.role) for i in invites] == [
            ("grace@acme.io", "viewer"),
            ("new@acme.io", "editor"),
        ]
        fs.invitations.delete(invites[1].id)
        assert len(fs.invitations.list()) == 1
        with pytest.raises(NotFoundError):
            fs.invitations.delete(invites[1].id)


def test_keys_register_conflict_deregister(connect: Connect[Fluidstack]) -> None:
    with connect(FakeAPI(token="t0k")) as fs:
        fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop")
        assert [k.name for k in fs.keys.list()] == ["ci-runner", "laptop"]
        with pytest.raises(ConflictError, match="already exists"):
            fs.keys.register(name="laptop", key="ssh-ed25519 BBBB")
        fs.keys.deregister("laptop")
        with pytest.raises(NotFoundError):
            fs.keys.deregister("laptop")


def test_instances_filter_by_project_and_404(connect: Connect[Fluidstack]) -> None:
    with connect(FakeAPI(token="t0k")) as fs:
        assert len(fs.instances.list()) == 3
        assert len(fs.instances.list(project_id=PROJECT_A)) == 2
        (only,) = fs.instances.list(project_id=PROJECT_B)
        assert fs.instances.get(only.id) == only
        with pytest.raises(NotFoundError, match="instance not found"):
            fs.instances.get("00000000-0000-4000-8000-000000000000")


def test_token_is_checked(connect: Connect[Fluidstack]) -> None:
    """A new user serving a fake with a token of their own making is told where the
    fake's token is (issue 22), never shown the one sent."""
    with connect(FakeAPI(token="t0k"), token="made-up-token") as fs:
        with pytest.raises(AuthenticationError) as refused:
            fs.keys.list()
    assert refused.value.message == (
        "invalid token; this fake takes its own token: fake.token (FakeAPI(token=...) sets "
        "it; the command line prints it, or takes --token), or one from its OAuth endpoint"
    )
    assert "made-up-token" not in str(refused.value)


def test_regions_are_served_by_the_same_fake(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=PROJECT_A)  # its regional API
        instances = east.instances.list()
        clusters = east.kubernetes.clusters.list()
    assert [i.name for i in instances] == ["gpu-train-0", "gpu-train-1"]
    assert [c.name for c in clusters] == ["train-k8s"]
    assert [(r.operation, r.region) for r in fake.requests] == [
        ("ListRegions", None),
        ("ListInstances", "us-east-1"),
        ("ListKubernetesClusters", "us-east-1"),
    ]


# -- faults ----------------------------------------------------------------------------------


def test_fail_next_per_route_is_survived_by_retry(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(2, status=500, route="ListInstances")
    with connect(fake) as fs:
        assert len(fs.keys.list()) == 1  # other routes unaffected
        assert len(fs.instances.list()) == 3
    assert [r.operation for r in fake.requests] == ["ListKeys"] + ["ListInstances"] * 3


def test_injected_502_is_html_and_503_has_retry_after(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(1, status=502, route="GET /clusters")
    with connect(fake, max_retries=0) as fs:
        with pytest.raises(InternalServerError, match="502 Bad Gateway"):
            fs.clusters.list()
    fake.fail_next(1, status=503, retry_after=1)
    clock_before, started = fake.clock, time.monotonic()
    with connect(fake) as fs:
        on_fake_time = fs._shared.clock is not None
        fs.clusters.list()
    if on_fake_time:  # a client the fake built waits on the fake's clock, not the wall's
        assert fake.clock - clock_before >= 1.0
        assert time.monotonic() - started < 0.5
    else:
        assert time.monotonic() - started >= 0.9
    fake.fail_next(5, status=429)
    with connect(fake, max_retries=1) as fs:
        with pytest.raises(RateLimitError):
            fs.clusters.list()


def test_post_faults_are_not_retried(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(1, status=500, route="RegisterKey")
    with connect(fake) as fs:
        with pytest.raises(InternalServerError):
            fs.keys.register(name="x", key="ssh-ed25519 AAAA")
    assert [k["name"] for k in fake.keys] == ["ci-runner"]


def test_dropped_connections_and_latency(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.drop_next(1)
    with connect(fake) as fs:
        assert len(fs.organizations.list()) == 1  # GET retried
    fake.drop_next(3)
    with connect(fake, max_retries=1) as fs:
        with pytest.raises(APIConnectionError):
            fs.organizations.list()
    fake.clear_faults()
    fake.add_latency(0.5, route="ListMembers")
    with connect(fake, timeout=0.1, max_retries=0) as fs:
        with pytest.raises(APITimeoutError):
            fs.members.list()
    started = time.monotonic()
    with connect(fake) as fs:
        fs.members.list()
    assert time.monotonic() - started >= 0.5


# -- what the fake refuses, and what the client refuses first --------------------------------


# -- in-process ------------------------------------------------------------------------------
