"""fluidstack_client.testing: state, auth, regions, faults and the request log, used
the way a user would, through Fluidstack/AsyncFluidstack in-process and on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import samples
from clients import FAST, MODES, resolve
from test_client_operations import OPERATIONS

import fluidstack_client
from fluidstack_client import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientCredentials,
    Cluster,
    ConflictError,
    Fluidstack,
    Instance,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
)
from fluidstack_client.testing import ROUTES, FakeAPI, FakeTransport, serve

TRANSPORTS = ["in-process", "loopback"]


def run_on(
    fake: FakeAPI, mode: str, transport: str, scenario: Callable[[Any], Any], **options: Any
) -> Any:
    """Run a scenario with a client wired to `fake`, in-process or over a real server."""
    import asyncio

    options.setdefault("retry_policy", FAST)

    def make(base_url: str | None) -> Any:
        if base_url is None:
            return fake.client(**options) if mode == "sync" else fake.async_client(**options)
        cls = Fluidstack if mode == "sync" else _async_cls()
        return cls(options.pop("token", fake.token), base_url=base_url, **options)

    def go(base_url: str | None) -> Any:
        if mode == "sync":
            with make(base_url) as fs:
                return scenario(fs)

        async def main() -> Any:
            async with make(base_url) as fs:
                return await resolve(scenario(fs))

        return asyncio.run(main())

    if transport == "in-process":
        return go(None)
    with serve(fake) as server:
        return go(server.base_url)


def _async_cls() -> Any:
    from fluidstack_client import AsyncFluidstack

    return AsyncFluidstack


@pytest.fixture(params=[(m, t) for m in MODES for t in TRANSPORTS], ids=lambda p: "-".join(p))
def on(request: pytest.FixtureRequest) -> Callable[..., Any]:
    mode, transport = request.param
    fake = FakeAPI(token="t0k")

    def call(scenario: Callable[[Any], Any], fake_api: FakeAPI = fake, **options: Any) -> Any:
        return run_on(fake_api, mode, transport, scenario, **options)

    call.fake = fake  # type: ignore[attr-defined]
    return call


def test_routes_cover_the_spec(spec: dict[str, Any]) -> None:
    in_spec = {
        (op["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert {(op, m, p) for op, m, p, _ in ROUTES} == in_spec


# -- every operation, the same table as against the scripted servers ----------------------

# What the fake answers with samples.fake_seeded_for(operation), where the table in
# test_client_operations.py has no `expected` (its scripted replies are the samples).
FROM_THE_SEED: dict[str, Any] = {
    "ListClusters": [Cluster.from_dict(samples.CLUSTER)],
    "ListInstances": [
        Instance.from_dict(samples.INSTANCE),
        Instance.from_dict(samples.INSTANCE_MINIMAL),
    ],
    "GetInstance": Instance.from_dict(samples.INSTANCE),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_against_the_fake(mode: str, transport: str, operation: str) -> None:
    op = OPERATIONS[operation]
    fake = samples.fake_seeded_for(operation)
    result = run_on(fake, mode, transport, op.call)
    (sent,) = fake.requests
    assert sent.operation == operation
    assert sent.path == "/api/v1alpha1" + op.path
    assert sent.json() == op.body
    if operation == "ListRegions":
        assert [r.name for r in result] == ["us-east-1"]
        assert result[0].url == fake.region_url("us-east-1")
    elif op.reply.json is None:
        assert result is None
    else:
        expected = op.expected if op.expected is not None else FROM_THE_SEED[operation]
        assert result == expected
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


# -- state ---------------------------------------------------------------------------------


def test_members_update_and_delete(on: Callable[..., Any]) -> None:
    fake: FakeAPI = on.fake  # type: ignore[attr-defined]
    on(lambda fs: fs.members.update("mem-alan", role="viewer"))
    assert [m["role"] for m in fake.members] == ["admin", "viewer"]
    on(lambda fs: fs.members.delete("mem-alan"))
    assert [m.id for m in on(lambda fs: fs.members.list())] == ["mem-ada"]
    with pytest.raises(NotFoundError, match="member not found"):
        on(lambda fs: fs.members.delete("mem-alan"))
    with pytest.raises(NotFoundError):
        on(lambda fs: fs.members.update("nobody", role="admin"))


def test_invitations_lifecycle(on: Callable[..., Any]) -> None:
    on(lambda fs: fs.invitations.create(email="new@acme.io", role="editor"))
    invites = on(lambda fs: fs.invitations.list())
    assert [(i.email, i.role) for i in invites] == [
        ("grace@acme.io", "viewer"),
        ("new@acme.io", "editor"),
    ]
    on(lambda fs: fs.invitations.delete(invites[1].id))
    assert len(on(lambda fs: fs.invitations.list())) == 1
    with pytest.raises(NotFoundError):
        on(lambda fs: fs.invitations.delete(invites[1].id))


def test_keys_register_conflict_deregister(on: Callable[..., Any]) -> None:
    on(lambda fs: fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop"))
    assert [k.name for k in on(lambda fs: fs.keys.list())] == ["ci-runner", "laptop"]
    with pytest.raises(ConflictError, match="already exists"):
        on(lambda fs: fs.keys.register(name="laptop", key="ssh-ed25519 BBBB"))
    on(lambda fs: fs.keys.deregister("laptop"))
    with pytest.raises(NotFoundError):
        on(lambda fs: fs.keys.deregister("laptop"))


def test_instances_filter_by_project_and_404(on: Callable[..., Any]) -> None:
    from fluidstack_client.testing._seed import PROJECT_A, PROJECT_B

    assert len(on(lambda fs: fs.instances.list())) == 3
    assert len(on(lambda fs: fs.instances.list(project_id=PROJECT_A))) == 2
    (only,) = on(lambda fs: fs.instances.list(project_id=PROJECT_B))
    assert on(lambda fs: fs.instances.get(only.id)) == only
    with pytest.raises(NotFoundError, match="instance not found"):
        on(lambda fs: fs.instances.get("00000000-0000-4000-8000-000000000000"))


def test_token_is_checked(on: Callable[..., Any]) -> None:
    with pytest.raises(AuthenticationError, match="invalid token"):
        on(lambda fs: fs.keys.list(), token="wrong")


def test_regions_are_served_by_the_same_fake(on: Callable[..., Any]) -> None:
    fake: FakeAPI = on.fake  # type: ignore[attr-defined]

    async def regional_async(fs: Any) -> Any:
        east = await fs.region("us-east-1")
        return await east.instances.list(), await east.clusters.list()

    def regional(fs: Any) -> Any:
        if isinstance(fs, Fluidstack):
            east = fs.region("us-east-1")
            return east.instances.list(), east.clusters.list()
        return regional_async(fs)

    instances, clusters = on(regional)
    assert {i.region for i in instances} == {"us-east-1"}
    assert [c.name for c in clusters] == ["train-k8s"]
    assert [r.region for r in fake.requests] == [None, "us-east-1", "us-east-1"]


# -- faults ----------------------------------------------------------------------------------


def test_fail_next_per_route_is_survived_by_retry(on: Callable[..., Any]) -> None:
    fake: FakeAPI = on.fake  # type: ignore[attr-defined]
    fake.fail_next(2, status=500, route="ListInstances")
    assert len(on(lambda fs: fs.keys.list())) == 1  # other routes unaffected
    assert len(on(lambda fs: fs.instances.list())) == 3
    assert [r.operation for r in fake.requests] == ["ListKeys"] + ["ListInstances"] * 3


def test_injected_502_is_html_and_503_has_retry_after(on: Callable[..., Any]) -> None:
    fake: FakeAPI = on.fake  # type: ignore[attr-defined]
    fake.fail_next(1, status=502, route="GET /clusters")
    with pytest.raises(InternalServerError, match="502 Bad Gateway"):
        on(lambda fs: fs.clusters.list(), max_retries=0)
    fake.fail_next(1, status=503, retry_after=1)
    started = time.monotonic()
    on(lambda fs: fs.clusters.list())
    assert time.monotonic() - started >= 0.9
    fake.fail_next(5, status=429)
    with pytest.raises(RateLimitError):
        on(lambda fs: fs.clusters.list(), max_retries=1)


def test_post_faults_are_not_retried(on: Callable[..., Any]) -> None:
    fake: FakeAPI = on.fake  # type: ignore[attr-defined]
    fake.fail_next(1, status=500, route="RegisterKey")
    with pytest.raises(InternalServerError):
        on(lambda fs: fs.keys.register(name="x", key="ssh-ed25519 AAAA"))
    assert [k["name"] for k in fake.keys] == ["ci-runner"]


def test_dropped_connections_and_latency(on: Callable[..., Any]) -> None:
    fake: FakeAPI = on.fake  # type: ignore[attr-defined]
    fake.drop_next(1)
    assert len(on(lambda fs: fs.organizations.list())) == 1  # GET retried
    fake.drop_next(3)
    with pytest.raises(APIConnectionError):
        on(lambda fs: fs.organizations.list(), max_retries=1)
    fake.clear_faults()
    fake.add_latency(0.5, route="ListMembers")
    with pytest.raises(APITimeoutError):
        on(lambda fs: fs.members.list(), timeout=0.1, max_retries=0)
    started = time.monotonic()
    on(lambda fs: fs.members.list())
    assert time.monotonic() - started >= 0.5


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
        assert missing.json() == {"message": "missing bearer token"}


def test_client_side_checks_still_apply_with_the_fake() -> None:
    fake = FakeAPI()
    with fake.client() as fs, pytest.raises(InvalidParameterError):
        fs.members.update("mem-ada", role="owner")
    with fake.client() as fs, pytest.raises(BadRequestError, match="role must be one of"):
        fs.generated_client().get_httpx_client().request(
            "patch", "/members/mem-ada", json={"role": "owner"}
        )
    assert len(fake.requests) == 1


# -- the two ways in -------------------------------------------------------------------------


def test_command_line_server_prints_its_url_first() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fluidstack_client.testing", "--port", "0", "--token", "cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api/v1alpha1")
        with Fluidstack("cli", base_url=base_url) as fs:
            assert [r.name for r in fs.regions.list()] == ["us-east-1", "eu-west-1"]
            assert len(fs.region("eu-west-1").instances.list()) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_command_line_server_prints_client_credentials_that_work() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fluidstack_client.testing",
            "--port",
            "0",
            "--token-lifetime",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        base_url = proc.stdout.readline().strip()
        proc.stderr.readline()  # "fake Fluidstack API; token ..."
        said = dict(word.split("=", 1) for word in proc.stderr.readline().split() if "=" in word)
        creds = ClientCredentials(
            said["FLUIDSTACK_CLIENT_ID"],
            said["FLUIDSTACK_CLIENT_SECRET"],
            token_url=said["FLUIDSTACK_TOKEN_URL"],
        )
        with Fluidstack(creds, base_url=base_url) as fs:
            assert [r.name for r in fs.regions.list()] == ["us-east-1", "eu-west-1"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_pytest_fixtures_from_the_plugin(
    fluidstack_fake: FakeAPI, fluidstack_fake_client: Fluidstack
) -> None:
    fluidstack_fake_client.keys.register(name="deploy", key="ssh-ed25519 CCCC")
    assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "deploy"]
    assert fluidstack_fake.requests[-1].operation == "RegisterKey"
    # The package is not hidden by a fixture of the same name any more.
    with pytest.raises(fluidstack_client.NotFoundError, match="key not found"):
        fluidstack_fake_client.keys.deregister("nobody")


def test_plugin_is_registered_as_pytest11_entry_point(request: pytest.FixtureRequest) -> None:
    from importlib.metadata import entry_points

    from fluidstack_client.testing import pytest_plugin

    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "fluidstack"]
    assert entry.value == "fluidstack_client.testing.pytest_plugin"
    assert entry.load() is pytest_plugin
    # This very session loaded it from the entry point, under the entry point's name.
    assert request.config.pluginmanager.get_plugin("fluidstack") is pytest_plugin


def test_in_process_clients_go_through_the_fake_transport(fluidstack_fake: FakeAPI) -> None:
    with fluidstack_fake.client() as fs:
        transport = fs._shared.http._transport
        assert isinstance(transport, FakeTransport)
        assert isinstance(transport, httpx.BaseTransport)
        assert transport.fake is fluidstack_fake
        fs.organizations.list()
    (sent,) = fluidstack_fake.requests
    assert (sent.method, sent.path) == ("GET", "/api/v1alpha1/organizations")
