# Derived from tests/client/test_region_client.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The regional client itself (`RegionClient`, `RegionClient`): constructed
directly (its base URL from the argument or `FLUIDSTACK_REGION_URL`, a bare host
getting /api/v1alpha1, https only except to loopback, credentials exactly as
`Fluidstack` finds them), or from `fs.region(name)` (sharing the management
client's pool, credentials, timeout, retry policy and size cap, and needing no
closing); the project its calls act in (the client's, `FLUIDSTACK_PROJECT_ID`, a
copy's, a call's; none, or one that is not a UUID, refused before anything is sent);
repr, `with_options`, `with`; and the package's regional namespace
(`fluidstack_client.region`), loaded only on first use.

What each operation sends is tests/client/test_region_operations.py's; region
discovery (which URL a region maps to, the cached table, concurrent lookups) is
tests/client/test_regions.py's.
"""

from __future__ import annotations

import time
import uuid

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
)
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APITimeoutError,
    ClientCredentials,
    ConfigurationError,
    FluidctlToken,
    Fluidstack,
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


# -- credentials and options, exactly as Fluidstack's ------------------------------------


# -- the project given to the client ------------------------------------------------------------


# -- repr and with_options --------------------------------------------------------------------


# -- credentials in use -----------------------------------------------------------------------


def test_a_token_string_goes_to_the_region(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with RegionClient(server.url, token=TOKEN, project_id=PROJECT) as east:
        assert east.instances.list() == []
    (sent,) = server.requests
    assert sent.path == f"{API}/instances"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-project-id"] == PROJECT_ID


def test_everything_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = Reply(json=[])
    monkeypatch.setenv("FLUIDSTACK_REGION_URL", server.url)
    monkeypatch.setenv("FLUIDSTACK_TOKEN", TOKEN)
    monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", PROJECT_ID)
    with RegionClient() as east:
        east.filesystems.list()
    (sent,) = server.requests
    assert (sent.path, sent.headers["authorization"], sent.headers["x-project-id"]) == (
        f"{API}/filesystems",
        f"Bearer {TOKEN}",
        PROJECT_ID,
    )


def test_a_token_callable_is_called_for_each_request(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    issued = iter(["tok-first-0123456789", "tok-second-0123456789"])

    def token() -> str:
        return next(issued)

    with RegionClient(server.url, token=token) as east:
        east.projects.list()
        east.capabilities.list()
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer tok-first-0123456789",
        "Bearer tok-second-0123456789",
    ]


def test_client_credentials_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.queue(token_reply(), Reply(json=[]), Reply(json=[]))
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", "svc-id")
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", "cs-0123456789")
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", f"{server.url}/oauth/token")
    with RegionClient(server.url, retry_policy=FAST) as east:
        assert isinstance(east._shared.credentials, ClientCredentials)
        east.projects.list()
        east.instance_types.list()
    token_request, *calls = server.requests
    assert (token_request.method, token_request.path) == ("POST", "/oauth/token")
    assert [r.headers["authorization"] for r in calls] == [f"Bearer {ACCESS_TOKEN}"] * 2


def test_the_fluidctl_token_file(server: ScriptedServer) -> None:
    token = jwt(time.time() + 3600)
    write_token(fluidctl_file(), token)
    server.default = Reply(json=[])
    with RegionClient(server.url) as east:
        assert isinstance(east._shared.credentials, FluidctlToken)
        east.projects.list()
    assert server.last.headers["authorization"] == f"Bearer {token}"


def test_a_users_http_client_is_used_and_left_open(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    seen: list[str] = []

    def record(request: httpx.Request) -> None:
        seen.append(request.url.path)

    with httpx.Client(event_hooks={"request": [record]}) as http:
        with RegionClient(server.url, token=TOKEN, http_client=http) as east:
            east.projects.list()
        assert not http.is_closed
    assert seen == [f"{API}/projects"]


# -- with and closing -----------------------------------------------------------------


def test_async_with_closes_the_pool_it_made(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with RegionClient(server.url, token=TOKEN, project_id=PROJECT) as east:
        copy = east.with_options(max_retries=0)
        copy.instances.list()
    assert east._shared.http.is_closed
    for client in (east, copy):
        with pytest.raises(FluidstackError) as info:
            client.projects.list()
        assert str(info.value) == "this client has been closed"
    assert len(server.requests) == 1


# -- from fs.region(): what it shares ----------------------------------------------------------


def test_region_gives_a_region_client_sharing_pool_and_credentials(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        east = fs.region("r1", project_id=PROJECT)
        assert type(east) is RegionClient
        assert east._shared is fs._shared  # the pool, the credentials, the limits
        assert east.project_id == PROJECT
        assert str(east.base_url) == f"{other_server.url}{API}"
        assert east.instances.list() == []
        assert fs.regions.list() is not None  # the management client still works
    assert other_server.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_region_client_takes_the_callers_timeout_and_retry_policy(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(503, {"message": "down"})
    policy = RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.01)
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=policy) as fs:
        east = fs.region("r1")
        quick = fs.with_options(max_retries=0, timeout=4).region("r1")
        assert (east.max_retries, east._retry, east.timeout) == (3, policy, fs.timeout)
        assert (quick.max_retries, quick.timeout) == (0, httpx.Timeout(4))
        with pytest.raises(InternalServerError):
            east.projects.list()
        assert len(other_server.requests) == 4
        with pytest.raises(InternalServerError):
            quick.projects.list()
        assert len(other_server.requests) == 5


def test_a_region_client_keeps_the_callers_deadline(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[], delay=1.0)
    with Fluidstack(TOKEN, base_url=server.url + API, timeout=0.2, max_retries=0) as fs:
        east = fs.region("r1")
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            east.projects.list()
    assert time.monotonic() - start < 0.9


def test_a_region_client_keeps_the_size_cap(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=["x" * 200])
    with Fluidstack(
        TOKEN, base_url=server.url + API, retry_policy=FAST, max_response_size=150
    ) as fs:
        east = fs.region("r1")
        with pytest.raises(ResponseTooLargeError) as info:
            east.capabilities.list()
    assert info.value.limit == 150


def test_a_region_client_goes_through_the_users_http_client(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(201, PROJECT_BODY)
    seen: list[str] = []

    def record(request: httpx.Request) -> None:
        seen.append(f"{request.url.port} {request.url.path}")

    with httpx.Client(event_hooks={"request": [record]}) as http:
        with Fluidstack(TOKEN, base_url=server.url + API, http_client=http) as fs:
            east = fs.region("r1")
            east.projects.create(name="p")  # a write too
        assert not http.is_closed
    port = httpx.URL(other_server.url).port
    assert seen == [f"{httpx.URL(server.url).port} {API}/regions", f"{port} {API}/projects"]


def test_a_region_client_needs_no_closing(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with fs.region("r1") as east:
            east.projects.list()
        east.close()  # does nothing: the pool is the management client's
        assert not fs._shared.http.is_closed
        assert east.projects.list() == []
        assert fs.regions.list() is not None
    # Once the management client is closed, so is every region client of it.
    with pytest.raises(FluidstackError, match="this client has been closed"):
        east.projects.list()
    assert [r.path for r in other_server.requests] == [f"{API}/projects"] * 2


# -- from fs.region(): the project -------------------------------------------------------------


def test_the_project_of_a_region_client_from_region(
    server: ScriptedServer, other_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = _listing(other_server)
    other_server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        given = fs.region("r1", project_id=PROJECT_ID)
        given.instances.list()  # the region client's
        given.instances.list(project_id=OTHER_PROJECT)  # the call's
        given.with_options(project_id=OTHER_PROJECT_ID).instances.list()  # the copy's
        given.instances.list()  # the original is unchanged
        monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", OTHER_PROJECT_ID)
        (fs.region("r1")).instances.list()  # the environment's
        (fs.region("r1", project_id=PROJECT)).instances.list()  # the argument wins
    assert [r.headers["x-project-id"] for r in other_server.requests] == [
        PROJECT_ID,
        OTHER_PROJECT_ID,
        OTHER_PROJECT_ID,
        PROJECT_ID,
        OTHER_PROJECT_ID,
        PROJECT_ID,
    ]


def test_no_project_anywhere_is_refused_before_anything_is_sent(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _listing(other_server)
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        east = fs.region("r1")
        assert east.project_id is None
        for call in (east.instances.list, east.with_options(project_id=None).capacity.list):
            with pytest.raises(InvalidParameterError) as info:
                call()
            assert str(info.value) == NO_PROJECT
        cleared = (fs.region("r1", project_id=PROJECT)).with_options(project_id=None)
        with pytest.raises(InvalidParameterError) as info:
            cleared.filesystems.get(uuid.uuid4())
        assert str(info.value) == NO_PROJECT
    assert other_server.requests == []


def test_a_bad_project_for_region_is_refused_before_anything_is_sent(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = _listing(server)
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as given:
            fs.region("r1", project_id="project-1")
        monkeypatch.setenv("FLUIDSTACK_PROJECT_ID", "project-1")
        with pytest.raises(ConfigurationError) as from_env:
            fs.region("r1")
    assert str(given.value) == (
        "project_id must be a UUID (uuid.UUID or its string), got 'project-1'"
    )
    assert str(from_env.value) == "FLUIDSTACK_PROJECT_ID must be a project's UUID, got 'project-1'"
    assert server.requests == []  # not even /regions


def test_region_still_checks_the_name_first(server: ScriptedServer) -> None:
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError, match="region name must be a non-empty string"):
            fs.region("", project_id="project-1")
    assert server.requests == []


# -- the package's regional namespace ------------------------------------------------------------
