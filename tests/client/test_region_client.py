"""The regional client itself (`AsyncRegionClient`, `RegionClient`): constructed
directly (its base URL from the argument or `FLUIDSTACK_REGION_URL`, a bare host
getting /api/v1alpha1, https only except to loopback, credentials exactly as
`AsyncFluidstack` finds them), or from `fs.region(name)` (sharing the management
client's pool, credentials, timeout, retry policy and size cap, and needing no
closing); the project its calls act in (the client's, `FLUIDSTACK_PROJECT_ID`, a
copy's, a call's; none, or one that is not a UUID, refused before anything is sent);
repr, `with_options`, `async with`; and the package's regional namespace
(`fluidstack_client.region`), loaded only on first use.

What each operation sends is tests/client/test_region_operations.py's; region
discovery (which URL a region maps to, the cached table, concurrent lookups) is
tests/client/test_regions.py's.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest
from support.auth_tokens import ACCESS_TOKEN, fluidctl_file, jwt, token_reply, write_token
from support.client_region import (
    API,
    OTHER_PROJECT,
    OTHER_PROJECT_ID,
    PROJECT,
    PROJECT_BODY,
    PROJECT_ID,
    REGION_CLIENTS,
    RegionClass,
    management_class_of,
)
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

import fluidstack_client
import fluidstack_client.region
from fluidstack_client import (
    APITimeoutError,
    AsyncFluidstack,
    AsyncRegionClient,
    ClientCredentials,
    ConfigurationError,
    FluidctlToken,
    FluidstackError,
    InternalServerError,
    InvalidParameterError,
    RegionClient,
    ResponseTooLargeError,
    RetryPolicy,
)

REGION_URL = "https://us-east-1.atlas.fluidstack.io"
NO_PROJECT = (
    "this operation acts in a project, and none is set: pass project_id= to the call, to "
    "the client or to with_options(), or set FLUIDSTACK_PROJECT_ID (nothing was sent)"
)


def _listing(*servers: ScriptedServer, names: tuple[str, ...] = ("r1",)) -> Reply:
    """A /regions answer listing each server as a region (a bare host)."""
    return Reply(json=[{"name": n, "url": s.url} for n, s in zip(names, servers, strict=True)])


# -- the base URL ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize(
    ("given", "base_url"),
    [
        (REGION_URL, f"{REGION_URL}/api/v1alpha1"),
        (REGION_URL + "/", f"{REGION_URL}/api/v1alpha1"),
        (REGION_URL + "?debug=1#x", f"{REGION_URL}/api/v1alpha1"),
        (REGION_URL + "/api/v1alpha1/", f"{REGION_URL}/api/v1alpha1"),
        (REGION_URL + "/custom/v9", f"{REGION_URL}/custom/v9"),
        (httpx.URL(REGION_URL + ":8443"), f"{REGION_URL}:8443/api/v1alpha1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1alpha1"),
        ("http://localhost:9", "http://localhost:9/api/v1alpha1"),
        ("http://[::1]:9/api", "http://[::1]:9/api"),
    ],
)
def test_the_base_url_and_a_bare_host(cls: RegionClass, given: str, base_url: str) -> None:
    assert str(cls(given, token=TOKEN).base_url) == base_url
    assert str(cls(base_url=given, token=TOKEN).base_url) == base_url


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_the_base_url_from_the_environment(
    cls: RegionClass, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_REGION_URL", REGION_URL)
    assert str(cls(token=TOKEN).base_url) == f"{REGION_URL}/api/v1alpha1"
    # The argument wins over the environment.
    assert str(cls("https://eu.example.io", token=TOKEN).base_url) == (
        "https://eu.example.io/api/v1alpha1"
    )


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize("environment", [{}, {"FLUIDSTACK_REGION_URL": ""}])
def test_no_region_url_says_where_to_give_one(
    cls: RegionClass, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Management API's URL is not a region's.
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "https://api.atlas.fluidstack.io/api/v1alpha1")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        cls(token=TOKEN)
    assert str(info.value) == (
        "no region URL: pass base_url= (a region's `url` from /regions), set "
        "FLUIDSTACK_REGION_URL, or use `await fs.region(name)` on the Management client"
    )


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize(
    "given",
    [
        "http://us-east-1.atlas.fluidstack.io",
        "http://10.0.0.5:8080",
        "ftp://files.example.io",
        "us-east-1.atlas.fluidstack.io",
        "https://user:pw@us-east-1.atlas.fluidstack.io",
        "https://",
        "",
        5,
    ],
)
def test_a_url_the_management_client_refuses_is_refused_the_same_way(
    cls: RegionClass, given: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError) as management:
        management_class_of(cls)(TOKEN, base_url=given)
    with pytest.raises(ConfigurationError) as regional:
        cls(given, token=TOKEN)
    assert str(regional.value) == str(management.value)
    # From the environment too.
    if isinstance(given, str) and given:
        monkeypatch.setenv("FLUIDSTACK_REGION_URL", given)
        with pytest.raises(ConfigurationError) as from_env:
            cls(token=TOKEN)
        assert str(from_env.value) == str(management.value)


# -- credentials and options, exactly as AsyncFluidstack's ------------------------------------


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"FLUIDSTACK_CLIENT_ID": "svc"},
        {"FLUIDSTACK_CLIENT_SECRET": "cs-0123456789"},
        {
            "FLUIDSTACK_CLIENT_ID": "svc",
            "FLUIDSTACK_CLIENT_SECRET": "cs-0123456789",
            "FLUIDSTACK_TOKEN_URL": "http://auth.example.com/oauth/token",
        },
    ],
)
def test_missing_or_unsafe_credentials_are_refused_as_by_the_management_client(
    cls: RegionClass, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as management:
        management_class_of(cls)(base_url=REGION_URL)
    with pytest.raises(ConfigurationError) as regional:
        cls(REGION_URL)
    assert str(regional.value) == str(management.value)
    assert "cs-0123456789" not in str(regional.value)


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize(
    "options",
    [
        {"max_retries": -1},
        {"max_retries": True},
        {"timeout": 0},
        {"timeout": float("nan")},
        {"max_connections": 0},
        {"max_response_size": 0},
        {"max_response_size": 1.5},
        {"retry_policy": {}},
        {"http_client": object()},
    ],
    # (an object()'s repr differs between processes: xdist workers must agree on ids)
    ids=lambda options: (
        ", ".join(f"{k}={type(v).__name__}:{v}" for k, v in options.items())
        if not any(type(v) is object for v in options.values())
        else "http_client=object"
    ),
)
def test_bad_options_are_refused_as_by_the_management_client(
    cls: RegionClass, options: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError) as management:
        management_class_of(cls)(TOKEN, base_url=REGION_URL, **options)
    with pytest.raises(ConfigurationError) as regional:
        cls(REGION_URL, token=TOKEN, **options)
    assert str(regional.value) == str(management.value)


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_the_other_kinds_http_client_is_refused(cls: RegionClass) -> None:
    other = httpx.Client() if cls is AsyncRegionClient else httpx.AsyncClient()
    with pytest.raises(ConfigurationError, match="http_client must be an httpx"):
        cls(REGION_URL, token=TOKEN, http_client=other)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_the_default_options_are_the_management_clients(cls: RegionClass) -> None:
    region = cls(REGION_URL, token=TOKEN)
    management = management_class_of(cls)(TOKEN)
    assert region.timeout == management.timeout == httpx.Timeout(30.0, connect=10.0)
    assert region.max_retries == management.max_retries == 2
    assert region._retry == management._retry
    assert region._shared.max_response_size == management._shared.max_response_size
    assert region.project_id is None


# -- the project given to the client ------------------------------------------------------------


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_the_clients_project(cls: RegionClass, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cls(REGION_URL, token=TOKEN, project_id=PROJECT_ID).project_id == PROJECT
    assert cls(REGION_URL, token=TOKEN, project_id=PROJECT).project_id == PROJECT
    assert cls(REGION_URL, token=TOKEN, project_id=PROJECT_ID.upper()).project_id == PROJECT
    monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", f" {OTHER_PROJECT_ID}\n")
    assert cls(REGION_URL, token=TOKEN).project_id == OTHER_PROJECT
    # The argument wins over the environment.
    assert cls(REGION_URL, token=TOKEN, project_id=PROJECT).project_id == PROJECT
    monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", "")
    assert cls(REGION_URL, token=TOKEN).project_id is None


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize("bad", ["project-1", "", PROJECT_ID[:-1], 7, PROJECT_ID.encode()])
def test_a_project_that_is_not_a_uuid_is_an_invalid_parameter(
    cls: RegionClass, bad: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", PROJECT_ID)  # not a fallback for a bad one
    with pytest.raises(InvalidParameterError) as info:
        cls(REGION_URL, token=TOKEN, project_id=bad)
    assert str(info.value).startswith("project_id must be a UUID (uuid.UUID or its string), got ")


@pytest.mark.parametrize("cls", REGION_CLIENTS)
@pytest.mark.parametrize("bad", ["project-1", " ", "5b1f6a7e"])
def test_a_bad_project_in_the_environment_is_a_configuration_error(
    cls: RegionClass, bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", bad)
    with pytest.raises(ConfigurationError) as info:
        cls(REGION_URL, token=TOKEN)
    assert str(info.value) == f"FLUIDSTACK_PROJECT_ID must be a project's UUID, got {bad!r}"
    # A good argument does not read it.
    assert cls(REGION_URL, token=TOKEN, project_id=PROJECT).project_id == PROJECT


# -- repr and with_options --------------------------------------------------------------------


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_repr(cls: RegionClass) -> None:
    region = cls(REGION_URL, token=TOKEN, project_id=PROJECT, max_retries=4, timeout=7)
    name = cls.__name__
    assert repr(region) == (
        f"{name}(base_url='{REGION_URL}/api/v1alpha1', project_id='{PROJECT_ID}', "
        "max_retries=4, timeout=Timeout(timeout=7))"
    )
    bare = cls(REGION_URL, token=TOKEN)
    assert repr(bare).startswith(f"{name}(base_url='{REGION_URL}/api/v1alpha1', project_id=None, ")
    prefix = "Async" if cls is AsyncRegionClient else ""
    assert repr(region.instances) == f"<{prefix}RegionInstances of {region!r}>"
    assert repr(region.kubernetes) == f"<{prefix}Kubernetes of {region!r}>"
    assert repr(region.slurm.node_pools) == f"<{prefix}SlurmNodePools of {region!r}>"
    assert TOKEN not in repr(region)


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_with_options_keeps_what_it_does_not_replace(cls: RegionClass) -> None:
    policy = RetryPolicy(max_retries=5, initial_delay=0.1)
    region = cls(REGION_URL, token=TOKEN, project_id=PROJECT, retry_policy=policy, timeout=3)
    same = region.with_options()
    assert (same.base_url, same.project_id, same.timeout, same._retry) == (
        region.base_url,
        PROJECT,
        httpx.Timeout(3),
        policy,
    )
    other = region.with_options(project_id=OTHER_PROJECT_ID, max_retries=0, timeout=None)
    assert other.project_id == OTHER_PROJECT
    assert other.max_retries == 0
    assert other._retry.initial_delay == 0.1
    assert other.timeout == httpx.Timeout(None)
    assert other.base_url == region.base_url
    assert type(other) is cls
    assert other._shared is region._shared
    assert other.instances._client is other
    assert other.kubernetes.clusters._client is other
    cleared = other.with_options(project_id=None)
    assert cleared.project_id is None
    assert cleared.max_retries == 0
    # The original is unchanged.
    assert (region.project_id, region.max_retries, region.timeout) == (
        PROJECT,
        5,
        httpx.Timeout(3),
    )


@pytest.mark.parametrize("cls", REGION_CLIENTS)
def test_with_options_checks_its_arguments(cls: RegionClass) -> None:
    region = cls(REGION_URL, token=TOKEN, project_id=PROJECT)
    with pytest.raises(InvalidParameterError, match="project_id must be a UUID"):
        region.with_options(project_id="project-1")
    with pytest.raises(ConfigurationError, match="max_retries"):
        region.with_options(max_retries=-1)
    with pytest.raises(ConfigurationError, match="timeout"):
        region.with_options(timeout=-1)


# -- credentials in use -----------------------------------------------------------------------


async def test_a_token_string_goes_to_the_region(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with AsyncRegionClient(server.url, token=TOKEN, project_id=PROJECT) as east:
        assert await east.instances.list() == []
    (sent,) = server.requests
    assert sent.path == f"{API}/instances"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-project-id"] == PROJECT_ID


async def test_everything_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = Reply(json=[])
    monkeypatch.setenv("FLUIDSTACK_REGION_URL", server.url)
    monkeypatch.setenv("FLUIDSTACK_TOKEN", TOKEN)
    monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", PROJECT_ID)
    async with AsyncRegionClient() as east:
        await east.filesystems.list()
    (sent,) = server.requests
    assert (sent.path, sent.headers["authorization"], sent.headers["x-project-id"]) == (
        f"{API}/filesystems",
        f"Bearer {TOKEN}",
        PROJECT_ID,
    )


async def test_a_token_callable_is_called_for_each_request(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    issued = iter(["tok-first-0123456789", "tok-second-0123456789"])

    async def token() -> str:
        return next(issued)

    async with AsyncRegionClient(server.url, token=token) as east:
        await east.projects.list()
        await east.capabilities.list()
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer tok-first-0123456789",
        "Bearer tok-second-0123456789",
    ]


async def test_client_credentials_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.queue(token_reply(), Reply(json=[]), Reply(json=[]))
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", "svc-id")
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", "cs-0123456789")
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", f"{server.url}/oauth/token")
    async with AsyncRegionClient(server.url, retry_policy=FAST) as east:
        assert isinstance(east._shared.credentials, ClientCredentials)
        await east.projects.list()
        await east.instance_types.list()
    token_request, *calls = server.requests
    assert (token_request.method, token_request.path) == ("POST", "/oauth/token")
    assert [r.headers["authorization"] for r in calls] == [f"Bearer {ACCESS_TOKEN}"] * 2


async def test_the_fluidctl_token_file(server: ScriptedServer) -> None:
    token = jwt(time.time() + 3600)
    write_token(fluidctl_file(), token)
    server.default = Reply(json=[])
    async with AsyncRegionClient(server.url) as east:
        assert isinstance(east._shared.credentials, FluidctlToken)
        await east.projects.list()
    assert server.last.headers["authorization"] == f"Bearer {token}"


async def test_a_users_http_client_is_used_and_left_open(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        async with AsyncRegionClient(server.url, token=TOKEN, http_client=http) as east:
            await east.projects.list()
        assert not http.is_closed
    assert seen == [f"{API}/projects"]


# -- async with and closing -----------------------------------------------------------------


async def test_async_with_closes_the_pool_it_made(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with AsyncRegionClient(server.url, token=TOKEN, project_id=PROJECT) as east:
        copy = east.with_options(max_retries=0)
        await copy.instances.list()
    assert east._shared.http.is_closed
    for client in (east, copy):
        with pytest.raises(FluidstackError) as info:
            await client.projects.list()
        assert str(info.value) == "this client has been closed"
    assert len(server.requests) == 1


# -- from fs.region(): what it shares ----------------------------------------------------------


async def test_region_gives_a_region_client_sharing_pool_and_credentials(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        east = await fs.region("r1", project_id=PROJECT)
        assert type(east) is AsyncRegionClient
        assert east._shared is fs._shared  # the pool, the credentials, the limits
        assert east.project_id == PROJECT
        assert str(east.base_url) == f"{other_server.url}{API}"
        assert await east.instances.list() == []
        assert await fs.regions.list() is not None  # the management client still works
    assert other_server.last.headers["authorization"] == f"Bearer {TOKEN}"


async def test_a_region_client_takes_the_callers_timeout_and_retry_policy(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(503, {"message": "down"})
    policy = RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.01)
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=policy) as fs:
        east = await fs.region("r1")
        quick = await fs.with_options(max_retries=0, timeout=4).region("r1")
        assert (east.max_retries, east._retry, east.timeout) == (3, policy, fs.timeout)
        assert (quick.max_retries, quick.timeout) == (0, httpx.Timeout(4))
        with pytest.raises(InternalServerError):
            await east.projects.list()
        assert len(other_server.requests) == 4
        with pytest.raises(InternalServerError):
            await quick.projects.list()
        assert len(other_server.requests) == 5


async def test_a_region_client_keeps_the_callers_deadline(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[], delay=1.0)
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, timeout=0.2, max_retries=0) as fs:
        east = await fs.region("r1")
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            await east.projects.list()
    assert time.monotonic() - start < 0.9


async def test_a_region_client_keeps_the_size_cap(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=["x" * 200])
    async with AsyncFluidstack(
        TOKEN, base_url=server.url + API, retry_policy=FAST, max_response_size=150
    ) as fs:
        east = await fs.region("r1")
        with pytest.raises(ResponseTooLargeError) as info:
            await east.capabilities.list()
    assert info.value.limit == 150


async def test_a_region_client_goes_through_the_users_http_client(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(201, PROJECT_BODY)
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(f"{request.url.port} {request.url.path}")

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        async with AsyncFluidstack(TOKEN, base_url=server.url + API, http_client=http) as fs:
            east = await fs.region("r1")
            await east.projects.create(name="p")  # a write too
        assert not http.is_closed
    port = httpx.URL(other_server.url).port
    assert seen == [f"{httpx.URL(server.url).port} {API}/regions", f"{port} {API}/projects"]


async def test_a_region_client_needs_no_closing(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        async with await fs.region("r1") as east:
            await east.projects.list()
        await east.aclose()  # does nothing: the pool is the management client's
        assert not fs._shared.http.is_closed
        assert await east.projects.list() == []
        assert await fs.regions.list() is not None
    # Once the management client is closed, so is every region client of it.
    with pytest.raises(FluidstackError, match="this client has been closed"):
        await east.projects.list()
    assert [r.path for r in other_server.requests] == [f"{API}/projects"] * 2


# -- from fs.region(): the project -------------------------------------------------------------


async def test_the_project_of_a_region_client_from_region(
    server: ScriptedServer, other_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        given = await fs.region("r1", project_id=PROJECT_ID)
        await given.instances.list()  # the region client's
        await given.instances.list(project_id=OTHER_PROJECT)  # the call's
        await given.with_options(project_id=OTHER_PROJECT_ID).instances.list()  # the copy's
        await given.instances.list()  # the original is unchanged
        monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", OTHER_PROJECT_ID)
        await (await fs.region("r1")).instances.list()  # the environment's
        await (await fs.region("r1", project_id=PROJECT)).instances.list()  # the argument wins
    assert [r.headers["x-project-id"] for r in other_server.requests] == [
        PROJECT_ID,
        OTHER_PROJECT_ID,
        OTHER_PROJECT_ID,
        PROJECT_ID,
        OTHER_PROJECT_ID,
        PROJECT_ID,
    ]


async def test_no_project_anywhere_is_refused_before_anything_is_sent(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        east = await fs.region("r1")
        assert east.project_id is None
        for call in (east.instances.list, east.with_options(project_id=None).capacity.list):
            with pytest.raises(InvalidParameterError) as info:
                await call()
            assert str(info.value) == NO_PROJECT
        cleared = (await fs.region("r1", project_id=PROJECT)).with_options(project_id=None)
        with pytest.raises(InvalidParameterError) as info:
            await cleared.filesystems.get(uuid.uuid4())
        assert str(info.value) == NO_PROJECT
    assert other_server.requests == []


async def test_a_bad_project_for_region_is_refused_before_anything_is_sent(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = _listing(server)
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as given:
            await fs.region("r1", project_id="project-1")
        monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", "project-1")
        with pytest.raises(ConfigurationError) as from_env:
            await fs.region("r1")
    assert str(given.value) == (
        "project_id must be a UUID (uuid.UUID or its string), got 'project-1'"
    )
    assert str(from_env.value) == "FLUIDSTACK_PROJECT_ID must be a project's UUID, got 'project-1'"
    assert server.requests == []  # not even /regions


async def test_region_still_checks_the_name_first(server: ScriptedServer) -> None:
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError, match="region name must be a non-empty string"):
            await fs.region("", project_id="project-1")
    assert server.requests == []


# -- the package's regional namespace ------------------------------------------------------------


def test_the_region_module_exports_the_clients_and_the_models() -> None:
    region = fluidstack_client.region
    assert region.__all__ == sorted(region.__all__)
    for name in region.__all__:
        assert getattr(region, name) is not None, name
    assert dir(region) == sorted(region.__all__)
    expected = {
        "AsyncRegionClient",
        "RegionClient",
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
    }
    assert set(region.__all__) == expected
    with pytest.raises(AttributeError) as info:
        _ = region.Cluster  # a Management model
    assert str(info.value) == "module 'fluidstack_client.region' has no attribute 'Cluster'"


def test_the_clients_are_the_same_objects_from_both_places() -> None:
    assert fluidstack_client.AsyncRegionClient is fluidstack_client.region.AsyncRegionClient
    assert fluidstack_client.RegionClient is fluidstack_client.region.RegionClient
    assert AsyncRegionClient.__module__ == "fluidstack_client._async_region"
    assert RegionClient.__module__ == "fluidstack_client._sync_region"
    assert {"AsyncRegionClient", "RegionClient"} <= set(fluidstack_client.__all__)


def test_the_top_level_models_stay_the_management_apis() -> None:
    top: object = fluidstack_client.Instance
    assert top is not fluidstack_client.region.Instance
    assert fluidstack_client.Instance.__module__.startswith(
        "fluidstack_client._generated.management"
    )
    assert fluidstack_client.region.Instance.__module__.startswith(
        "fluidstack_client._generated.region"
    )
    state: object = fluidstack_client.InstanceState
    assert state is not fluidstack_client.region.InstanceState
    assert "Project" not in fluidstack_client.__all__
    assert "Filesystem" not in fluidstack_client.__all__


def test_regional_names_are_cached_on_first_use() -> None:
    first = fluidstack_client.region.Instance
    assert fluidstack_client.region.Instance is first
    assert vars(fluidstack_client.region)["Instance"] is first


def test_the_management_client_loads_no_regional_code() -> None:
    """In a fresh interpreter: importing the Management clients and making a call
    loads neither the regional client nor the regional generated package;
    `fluidstack_client.region` loads each on first use only."""
    probe = (
        "import sys\n"
        "def regional():\n"
        "    return sorted(m for m in sys.modules if m.startswith(("
        "'fluidstack_client._async_region', 'fluidstack_client._sync_region', "
        "'fluidstack_client._generated.region')))\n"
        "import httpx\n"
        "from fluidstack_client import AsyncFluidstack, Fluidstack\n"
        "AsyncFluidstack('t')\n"
        "answer = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))\n"
        "with Fluidstack('t', http_client=httpx.Client(transport=answer)) as fs:\n"
        "    assert fs.instances.list() == []\n"
        "assert regional() == [], regional()\n"
        "import fluidstack_client.region as region\n"
        "assert regional() == [], regional()\n"
        "region.Instance\n"
        "assert 'fluidstack_client._generated.region.models' in sys.modules\n"
        "assert 'fluidstack_client._async_region' not in sys.modules, regional()\n"
        "region.AsyncRegionClient\n"
        "assert 'fluidstack_client._async_region' in sys.modules\n"
        "assert 'fluidstack_client._sync_region' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
