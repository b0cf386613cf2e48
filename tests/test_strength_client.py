"""The client's plumbing as a user meets it, sync and async alike: copies that share a
pool, the log lines, bodies over the cap, bodies already decoded by a transport, the
generated layer's responses, and a token provider asked just once."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import logging
from collections.abc import Generator
from typing import Any

import httpx
import pytest
import samples
from clients import MODES, TOKEN, chain, outcomes, run
from hostile_server import Conn, HostileServer
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncFluidstack,
    AuthenticationError,
    BadRequestError,
    ClientCredentials,
    ConflictError,
    Fluidstack,
    InvalidParameterError,
    RedirectError,
    ResponseTooLargeError,
    RetryPolicy,
    TokenProvider,
    _operations,
)
from fluidstack_client._generated.api.user import list_keys, register_key
from fluidstack_client._generated.models import SSHKey
from fluidstack_client._redact import Secret

CLIENTS = [Fluidstack, AsyncFluidstack]


def register_k(fs: Any) -> Any:
    return fs.keys.register(name="k", key="ssh-ed25519 A")


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


# -- copies share the pool -----------------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
def test_closing_a_copy_leaves_the_shared_pool_open(cls: Any, server: ScriptedServer) -> None:
    server.default = Reply(json=[])

    async def steps() -> None:
        fs = cls(TOKEN, base_url=server.url)
        quick = fs.with_options(max_retries=0)
        await _maybe(quick.close() if cls is Fluidstack else quick.aclose())
        assert not fs._shared.http.is_closed
        assert await _maybe(fs.keys.list()) == []
        await _maybe(fs.close() if cls is Fluidstack else fs.aclose())
        assert fs._shared.http.is_closed

    asyncio.run(steps())


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_keeps_the_policy_it_does_not_replace(cls: Any) -> None:
    policy = RetryPolicy(max_retries=4, initial_delay=0.1, max_delay=0.2, max_retry_after=0.3)
    fs = cls(TOKEN, retry_policy=policy)
    assert fs.with_options()._retry == policy
    assert fs.with_options(max_retries=1)._retry == RetryPolicy(1, 0.1, 0.2, 0.3)
    assert fs.with_options(timeout=3)._retry == policy
    assert fs.with_options().timeout == fs.timeout


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_timeout_default_prints_as_not_given(cls: Any) -> None:
    default = inspect.signature(cls.with_options).parameters["timeout"].default
    assert repr(default) == "NOT_GIVEN"


# -- log lines -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_region_fetch_logs_what_it_found(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    names = [f"region-{i:02}-{'x' * 10}" for i in range(12)]
    server.default = Reply(json=[{"name": n, "url": server.url} for n in names])
    base = f"{server.url}/api/v1alpha1"
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, base, lambda fs: fs.region("region-00-xxxxxxxxxx"))
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    listed = ", ".join(names)
    shown = listed[:200] + f"... [{len(listed) - 200} more characters]"
    assert record.getMessage() == f"fetched 12 regions from {base}/regions: {shown}"


@pytest.mark.parametrize("mode", MODES)
def test_a_region_fetch_log_line_is_scrubbed(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    server.default = Reply(body=f'[{{"name": "r-{escaped}", "url": "{server.url}"}}]'.encode())
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, f"{server.url}/api", lambda fs: fs.region("r-[REDACTED]"))
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == f"fetched 1 regions from {server.url}/api/regions: r-[REDACTED]"


class Counting(TokenProvider):
    """A provider of a user's own whose cached token appears while a caller waits: the
    first look finds none, the second (the refresh's own check) finds one."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0
        self.refreshes = 0
        self.token = Secret("tok-appeared-0123")

    def current(self) -> Secret | None:
        self.looks += 1
        return None if self.looks == 1 else self.token

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        self.refreshes += 1
        return Secret("tok-refreshed-0123")
        yield


@pytest.mark.parametrize("mode", MODES)
def test_a_token_that_appeared_meanwhile_is_used_without_a_refresh(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[])
    provider = Counting()
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, server.url, lambda fs: fs.keys.list(), token=provider)
    assert provider.refreshes == 0
    assert server.last.headers["authorization"] == "Bearer tok-appeared-0123"
    assert not [r for r in caplog.records if r.name == "fluidstack_client"]


class Fresh(TokenProvider):
    def current(self) -> None:
        return None

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        return Secret("tok-fresh-0123")
        yield

    def __repr__(self) -> str:
        return "Fresh()"


@pytest.mark.parametrize("mode", MODES)
def test_a_new_token_is_logged(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, server.url, lambda fs: fs.keys.list(), token=Fresh())
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == "new token from Fresh()"
    assert record.levelno == logging.INFO


@pytest.mark.parametrize("mode", MODES)
def test_a_region_client_fetches_regions_from_the_global_api(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "east", "url": other_server.url}])
    other_server.default = Reply(404, {"message": "no /regions here"})

    def scenario(fs: Any) -> Any:
        if mode == "sync":
            return fs.region("east").region("east", refresh=True).base_url

        async def go() -> Any:
            east = await fs.region("east")
            return (await east.region("east", refresh=True)).base_url

        return go()

    base = f"{server.url}/api/v1alpha1"
    assert str(run(mode, base, scenario)) == f"{other_server.url}/api/v1alpha1"
    assert [r.path for r in server.requests] == ["/api/v1alpha1/regions"] * 2
    assert other_server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_token_in_the_base_url_is_scrubbed_from_the_region_log_line(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[{"name": "r1", "url": server.url}])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, f"{server.url}/{TOKEN}", lambda fs: fs.region("r1"))
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == f"fetched 1 regions from {server.url}/[REDACTED]/regions: r1"


# -- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_declared_length_over_the_cap_is_refused_unread(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(json=["k" * 1000])
    with pytest.raises(ResponseTooLargeError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_response_size=100)
    size = len(json.dumps(["k" * 1000]))
    assert info.value.message == (
        f"200 response not read: Content-Length {size:,} is over the limit "
        "(max_response_size=100 bytes; raise it on the client if such answers are expected)"
    )
    assert info.value.limit == 100
    assert info.value.response.content == b""
    assert info.value.status_code == 200


@pytest.mark.parametrize("mode", MODES)
def test_a_3xx_body_is_read_as_an_error_body_not_against_the_cap(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(300, body=b"m" * 500, content_type="text/plain")
    with pytest.raises(RedirectError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_response_size=100)
    assert info.value.message == "m" * 200 + "... [300 more characters]"


def _gzipped_keys() -> bytes:
    return gzip.compress(json.dumps([samples.SSH_KEY]).encode())


@pytest.mark.parametrize("mode", MODES)
def test_a_body_a_transport_already_decoded_is_not_decoded_again(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(
            200,
            content=_gzipped_keys(),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        response.read()  # decoded here, as some in-memory transports hand it over
        return response

    transport = httpx.MockTransport(handler)

    def http() -> httpx.Client | httpx.AsyncClient:
        if mode == "sync":
            return httpx.Client(transport=transport)
        return httpx.AsyncClient(transport=transport)

    keys = run(mode, "http://127.0.0.1:9", lambda fs: fs.keys.list(), http=http)
    assert [k.name for k in keys] == ["laptop"]


@pytest.mark.parametrize("mode", MODES)
def test_generated_layer_responses_describe_the_decoded_body(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(body=_gzipped_keys(), headers={"Content-Encoding": "gzip"})

    def scenario(fs: Any) -> Any:
        client = fs.generated_client()
        if mode == "sync":
            return list_keys.sync_detailed(client=client)
        return list_keys.asyncio_detailed(client=client)

    response = run(mode, server.url, scenario)
    assert response.status_code == 200
    assert json.loads(response.content) == [samples.SSH_KEY]
    assert "content-encoding" not in {k.lower() for k in response.headers}
    assert response.parsed[0].name == "laptop"


@pytest.mark.parametrize("mode", MODES)
def test_a_header_holding_part_of_the_token_is_not_an_echo(
    mode: str, server: ScriptedServer
) -> None:
    token = "XXsk-abcdefgh-0123"
    # (two of them: whatever the order of the headers, one follows another)
    server.default = Reply(json=[], headers={"X-Echo": token[2:], "X-Echo-Too": token[2:]})

    def scenario(fs: Any) -> Any:
        client = fs.generated_client()
        if mode == "sync":
            return list_keys.sync_detailed(client=client)
        return list_keys.asyncio_detailed(client=client)

    response = run(mode, server.url, scenario, token=token)
    assert response.headers["x-echo"] == token[2:]
    assert response.headers["content-length"] == "2"


# -- what goes over the wire, and over which connection ------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_the_headers_a_call_sends(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(json=[]), Reply(200))
    run(mode, server.url, chain(lambda fs: fs.keys.list(), register_k))
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


@pytest.mark.parametrize("mode", MODES)
def test_reads_share_a_connection_and_each_write_gets_a_fresh_one(mode: str) -> None:
    ports: list[tuple[str, int]] = []

    def answer(conn: Conn) -> None:
        ports.append((conn.request.method, conn.sock.getpeername()[1]))
        conn.respond(200, b"[]", {"Content-Type": "application/json"})

    scenario = chain(
        lambda fs: fs.keys.list(),
        lambda fs: fs.keys.list(),
        lambda fs: fs.keys.register(name="a", key="ssh-ed25519 A"),
        lambda fs: fs.keys.register(name="b", key="ssh-ed25519 B"),
        lambda fs: fs.keys.list(),
        lambda fs: fs,
    )

    with HostileServer(answer) as hostile:
        fs = run(mode, hostile.url, scenario)
    reads = {port for method, port in ports if method == "GET"}
    writes = [port for method, port in ports if method == "POST"]
    assert len(ports) == 5
    assert len(reads) == 1  # one kept-alive connection for every read
    assert len(set(writes)) == 2  # a new one for each write
    assert not reads & set(writes)
    # Closing the client closed both of its pools.
    assert fs._shared.http.is_closed
    assert fs._shared._writer is not None
    assert fs._shared._writer.is_closed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("offered", ["gzip, deflate, br, zstd", "gzip, deflate"])
def test_a_users_client_offers_only_the_codings_the_client_can_decode(
    mode: str, offered: str, server: ScriptedServer
) -> None:
    # httpx offers br and zstd when their packages are installed; the client cannot
    # decode those within its cap, so each request asks for gzip and deflate only.
    server.default = Reply(json=[])

    def http() -> httpx.Client | httpx.AsyncClient:
        cls = httpx.Client if mode == "sync" else httpx.AsyncClient
        return cls(headers={"Accept-Encoding": offered})

    assert run(mode, server.url, lambda fs: fs.keys.list(), http=http) == []
    assert [r.headers["accept-encoding"] for r in server.requests] == ["gzip, deflate"]


# -- an attempt: which pool, redirects, bodies not read -----------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_token_request_goes_over_the_pool_of_reads(mode: str) -> None:
    # Only API writes get a connection of their own; the token endpoint's POST reuses
    # the kept-alive connection the reads use.
    seen: list[tuple[str, str, int]] = []

    def answer(conn: Conn) -> None:
        seen.append((conn.request.method, conn.request.path, conn.sock.getpeername()[1]))
        body = b"[]"
        if conn.request.path == "/oauth/token":
            body = json.dumps({"access_token": "at-0123456789", "expires_in": 3600}).encode()
        conn.respond(200, body, {"Content-Type": "application/json"})

    with HostileServer(answer) as hostile:
        creds = ClientCredentials(
            "svc-id", "client-secret-0123", token_url=f"{hostile.url}/oauth/token"
        )
        assert run(mode, hostile.url, lambda fs: fs.keys.list(), token=creds) == []
    assert [(method, path) for method, path, _ in seen] == [
        ("POST", "/oauth/token"),
        ("GET", "/user/keys"),
    ]
    assert seen[0][2] == seen[1][2]  # one connection


@pytest.mark.parametrize("mode", MODES)
def test_a_users_client_that_follows_redirects_does_not_follow_them_for_the_client(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    # The client decides which redirects to follow (same origin only), whatever the
    # http_client it was given would do by itself.
    server.default = Reply(302, headers={"Location": f"{other_server.url}/user/keys"})
    other_server.default = Reply(json=[])

    def http() -> httpx.Client | httpx.AsyncClient:
        cls = httpx.Client if mode == "sync" else httpx.AsyncClient
        return cls(follow_redirects=True)

    with pytest.raises(RedirectError):
        run(mode, server.url, lambda fs: fs.keys.list(), http=http, max_retries=0)
    assert other_server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_the_body_sent_with_a_success_the_spec_gives_none_is_not_kept(
    mode: str, server: ScriptedServer
) -> None:
    # RegisterKey's 200 has no body in the spec: whatever comes with it is not read,
    # and the generated layer's response holds no content.
    server.default = Reply(200, json={"unexpected": True})
    body = SSHKey(name="laptop", key="ssh-ed25519 AAAA laptop")

    def scenario(fs: Any) -> Any:
        detailed = register_key.sync_detailed if mode == "sync" else register_key.asyncio_detailed
        return detailed(client=fs.generated_client(), body=body)

    response = run(mode, server.url, scenario)
    assert (response.status_code, response.content, response.parsed) == (200, b"", None)


def test_an_async_client_without_timeouts_calls_as_usual(server: ScriptedServer) -> None:
    server.default = Reply(json=[])

    async def main() -> Any:
        async with AsyncFluidstack(TOKEN, base_url=server.url, timeout=None) as fs:
            return await fs.keys.list()

    assert asyncio.run(main()) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_writes_error_has_no_word_about_redirects(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(400, {"message": "that key is not valid"})
    with pytest.raises(BadRequestError) as info:
        run(mode, server.url, lambda fs: fs.keys.register(name="k", key="ssh-ed25519 A"))
    assert str(info.value) == f"POST {server.url}/user/keys: 400 that key is not valid"


# -- the generated layer misbehaving: still the package's own errors ----------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_body_the_generated_code_cannot_encode_is_an_invalid_parameter(
    mode: str, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: SSHKey) -> dict[str, Any]:
        raise ValueError("cannot encode")

    monkeypatch.setattr(SSHKey, "to_dict", broken)
    with pytest.raises(InvalidParameterError) as info:
        run(mode, server.url, lambda fs: fs.keys.register(name="k", key="ssh-ed25519 A"))
    assert str(info.value) == "cannot build the request: ValueError: cannot encode"
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_an_unexpected_error_while_sending_is_a_connection_error(
    mode: str, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(method: str, path: str) -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(_operations, "match", broken)
    with pytest.raises(APIConnectionError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert type(info.value) is APIConnectionError
    assert str(info.value) == "the request failed: RuntimeError: unexpected"
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_success_the_generated_code_finds_no_body_in_is_a_validation_error(
    mode: str, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (As if the spec stopped documenting ListKeys' body: the call must not return None.)
    server.default = Reply(json=[])
    monkeypatch.setattr(list_keys, "_parse_response", lambda **_: None)
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 200 with no body the spec documents; body starts: []"
    )
    assert info.value.response.content == b"[]"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [300, 399])
def test_every_3xx_to_a_write_says_writes_are_never_redirected(
    mode: str, status: int, server: ScriptedServer
) -> None:
    server.default = Reply(status, headers={"Location": "/elsewhere"})
    with pytest.raises(RedirectError) as info:
        run(mode, server.url, lambda fs: fs.keys.register(name="k", key="ssh-ed25519 A"))
    assert str(info.value).endswith(
        f"; redirect to {server.url}/elsewhere not followed (writes are never redirected)"
    )


@pytest.mark.parametrize("cls", CLIENTS)
def test_the_generated_client_is_bound_to_the_clients_base_url(cls: Any) -> None:
    fs = cls(TOKEN, base_url="https://api.example.io/v2/")
    assert "_base_url='https://api.example.io/v2'" in repr(fs.generated_client())


@pytest.mark.parametrize("mode", MODES)
def test_a_token_callable_giving_no_string_after_a_401_says_so(
    mode: str, server: ScriptedServer
) -> None:
    calls: list[int] = []

    def token() -> Any:
        calls.append(1)
        return "tok-first-0123456789" if len(calls) == 1 else 42

    server.queue(Reply(401, {"message": "expired"}))
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=token)
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 401 expired (and no new token: the token callable "
        "must return a string, got int)"
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_response_that_echoes_nothing_is_kept_as_the_server_sent_it(mode: str) -> None:
    # The token ends in "XX" and a header ends where the token's "XX" would start:
    # nothing is echoed, so the response (its header names' spelling included) is
    # handed on as it came.
    token = "tok-value-0123XX"

    def answer(conn: Conn) -> None:
        headers = {"X-Note": "tok-value-0123", "Content-Type": "application/json"}
        conn.respond(200, b"[]", headers)

    def scenario(fs: Any) -> Any:
        detailed = list_keys.sync_detailed if mode == "sync" else list_keys.asyncio_detailed
        return detailed(client=fs.generated_client())

    with HostileServer(answer) as hostile:
        response = run(mode, hostile.url, scenario, token=token)
    assert (b"X-Note", b"tok-value-0123") in response.headers.raw


def test_a_sync_client_without_timeouts_calls_as_usual(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url, timeout=None) as fs:
        assert fs.keys.list() == []


@pytest.mark.parametrize("mode", MODES)
def test_a_json_body_is_sent_compact_and_in_utf8(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(200)
    run(mode, server.url, lambda fs: fs.keys.register(name="clé", key="ssh-ed25519 A"))
    assert server.requests[0].body == '{"name":"clé","key":"ssh-ed25519 A"}'.encode()
    assert server.requests[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize("mode", MODES)
def test_with_a_users_client_offering_br_the_calls_headers_are_kept(
    mode: str, server: ScriptedServer
) -> None:
    # The client's Accept-Encoding goes in beside the headers a call sends (a project
    # id, a JSON body's Content-Type), replacing none of them.
    server.default = Reply(json=[])

    def http() -> httpx.Client | httpx.AsyncClient:
        cls = httpx.Client if mode == "sync" else httpx.AsyncClient
        return cls(headers={"Accept-Encoding": "gzip, deflate, br"})

    project = "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f"
    listing = chain(lambda fs: fs.instances.list(project_id=project), register_k)
    run(mode, server.url, listing, http=http)
    get, post = server.requests
    assert get.headers["x-project-id"] == "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f"
    assert post.headers["content-type"] == "application/json"
    assert [get.headers["accept-encoding"], post.headers["accept-encoding"]] == [
        "gzip, deflate",
        "gzip, deflate",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_write_answered_with_an_error_body_leaves_no_connection_to_reuse(mode: str) -> None:
    # An error's body is read, so its connection could go back to a pool: the writes'
    # pool keeps none, and the next write still gets a fresh connection.
    ports: list[int] = []

    def answer(conn: Conn) -> None:
        ports.append(conn.sock.getpeername()[1])
        conn.respond(409, b'{"message": "exists"}', {"Content-Type": "application/json"})

    with HostileServer(answer) as hostile:
        results = outcomes(mode, hostile.url, [register_k, register_k])
    assert [type(r) for r in results] == [ConflictError, ConflictError]
    assert len(ports) == 2
    assert ports[0] != ports[1]


@pytest.mark.parametrize("mode", MODES)
def test_a_base_path_ending_in_any_letter_is_kept_whole(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    assert run(mode, f"{server.url}/apiX/", lambda fs: fs.keys.list()) == []
    assert [r.path for r in server.requests] == ["/apiX/user/keys"]


@pytest.mark.parametrize("mode", MODES)
def test_a_body_that_cannot_be_encoded_is_an_invalid_parameter(
    mode: str, server: ScriptedServer
) -> None:
    # A lone surrogate cannot be sent as UTF-8; the generated layer lets it through.
    body = SSHKey(name="k\ud800", key="ssh-ed25519 A")

    def scenario(fs: Any) -> Any:
        detailed = register_key.sync_detailed if mode == "sync" else register_key.asyncio_detailed
        return detailed(client=fs.generated_client(), body=body)

    with pytest.raises(InvalidParameterError) as info:
        run(mode, server.url, scenario)
    assert str(info.value) == (
        "cannot build the request: UnicodeEncodeError: 'utf-8' codec can't encode character "
        "'\\ud800' in position 10: surrogates not allowed"
    )
    assert server.requests == []
