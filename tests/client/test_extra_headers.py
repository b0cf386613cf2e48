"""`with_options(extra_headers=...)`: headers added to every request of the copy (every
operation of both APIs, every attempt, a followed redirect, the region clients that
copy's `region()` gives), merged over an earlier copy's, never on the parent; the
call's own headers (`Authorization`, `X-PROJECT-ID`, `Content-Type`) untouched. The
headers the client owns, and names or values that are not header text, are refused
with `InvalidParameterError` before anything is sent, the value never quoted.

The token request to the token endpoint carries none of them: the token is shared by
every copy (one fetch for all, started by whichever call needs it first), and the
endpoint is another party (Auth0), not the API the headers are meant for.

Real servers on 127.0.0.1, and the bundled fake served on one.
"""

from __future__ import annotations

import traceback
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from support.auth_secrets import SECRET, leaks
from support.client_operations import OPERATIONS
from support.client_raw import KINDS, client_of
from support.client_region import (
    INSTANCE_ID,
    PROJECT,
    PROJECT_ID,
    REGION_OPERATIONS,
)
from support.clients import FAST, TOKEN
from support.scripted_server import Recorded, Reply, ScriptedServer
from support.testing_region import H100

from fluidstack_client import (
    AsyncFluidstack,
    AsyncRegionClient,
    ClientCredentials,
    InvalidParameterError,
    NotFoundError,
)
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI, FakeServer

TRACE = {"X-Trace-Id": "trace-0001", "X-Tenant": "acme corp"}

# The headers the client writes itself (the issue names five; the body's coding and the
# connection's handling are the client's too).
OWNED = [
    "Authorization",
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Transfer-Encoding",
    "Connection",
    "Host",
    "X-PROJECT-ID",
    "Accept-Encoding",
]


def _region(url: str, **options: Any) -> AsyncRegionClient:
    options = {"token": TOKEN, "project_id": PROJECT, "retry_policy": FAST, **options}
    return AsyncRegionClient(url, **options)


def _management(url: str, **options: Any) -> AsyncFluidstack:
    options = {"retry_policy": FAST, **options}
    return AsyncFluidstack(options.pop("token", TOKEN), base_url=url, **options)


def _carries(sent: Recorded, headers: dict[str, str]) -> bool:
    return all(sent.headers.get(name.lower()) == value for name, value in headers.items())


def _carries_none(sent: Recorded, headers: dict[str, str]) -> bool:
    return all(name.lower() not in sent.headers for name in headers)


# -- sent on every request of the copy -----------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_every_management_request_of_the_copy_carries_them(
    operation: str, server: ScriptedServer
) -> None:
    op = OPERATIONS[operation]
    server.queue(op.reply, op.reply)
    async with _management(server.url) as fs:
        traced = fs.with_options(extra_headers=TRACE)
        assert await op.invoke(traced) == op.expected
        assert await op.invoke(fs) == op.expected
    copy_sent, parent_sent = server.requests
    assert _carries(copy_sent, TRACE)
    assert _carries_none(parent_sent, TRACE)
    # The call's own headers are untouched.
    for sent in (copy_sent, parent_sent):
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"
        for name, value in op.headers.items():
            assert sent.headers[name] == value
        if op.body is not None:
            assert sent.headers["content-type"] == "application/json"
            assert sent.json() == op.body
    assert copy_sent.body == parent_sent.body


@pytest.mark.parametrize("operation", sorted(REGION_OPERATIONS))
async def test_every_regional_request_of_the_copy_carries_them(
    operation: str, server: ScriptedServer
) -> None:
    op = REGION_OPERATIONS[operation]
    server.queue(op.reply, op.reply)
    async with _region(server.url) as east:
        traced = east.with_options(extra_headers=TRACE)
        assert await op.invoke(traced) == op.expected
        assert await op.invoke(east) == op.expected
    copy_sent, parent_sent = server.requests
    assert _carries(copy_sent, TRACE)
    assert _carries_none(parent_sent, TRACE)
    for sent in (copy_sent, parent_sent):
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"
        assert sent.headers.get("x-project-id") == (PROJECT_ID if op.project else None)
        if op.body is not None:
            assert sent.headers["content-type"] == "application/json"
            assert sent.json() == op.body
        else:
            assert "content-type" not in sent.headers


async def test_a_calls_own_project_wins_and_the_copys_headers_stay(
    server: ScriptedServer,
) -> None:
    other = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    server.default = Reply(json=[])
    async with _region(server.url) as east:
        traced = east.with_options(extra_headers=TRACE, project_id=other)
        await traced.instances.list()
        await traced.instances.list(project_id=PROJECT)
    first, second = server.requests
    assert first.headers["x-project-id"] == other
    assert second.headers["x-project-id"] == PROJECT_ID
    assert _carries(first, TRACE)
    assert _carries(second, TRACE)


async def test_region_clients_from_the_copys_region_carry_them() -> None:
    """`region()` of a copy gives region clients that send the copy's headers (and its
    own fetch of /regions does); the parent's region clients send none; a region
    client's own copy adds to them."""
    fake = FakeAPI(regions=["us-east-1"], instances=[], seconds_per_request=0)
    with FakeServer(fake):
        async with AsyncFluidstack(fake.token, base_url=fake.base_url, retry_policy=FAST) as fs:
            traced = fs.with_options(extra_headers=TRACE)
            east = await traced.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
            made = await east.instances.create(name="train-0", type=H100)
            await east.capacity.list()
            spanned = east.with_options(extra_headers={"X-Span": "span-1"})
            await spanned.instances.get(made.id)
            await east.instances.list()
            plain = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
            await plain.instances.list()
    sent = [(r.operation, r) for r in fake.requests]
    assert [name for name, _ in sent] == [
        "ListRegions",
        "CreateInstance",
        "ListCapacity",
        "GetInstance",
        "ListInstances",
        "ListInstances",
    ]
    regions, create, capacity, get, listed, plain_listed = (r for _, r in sent)
    for request in (regions, create, capacity, get, listed):
        assert _carries(request, TRACE), request
    assert _carries(get, {"X-Span": "span-1"})
    assert _carries_none(listed, {"X-Span": "span-1"})
    assert _carries_none(plain_listed, TRACE)
    assert create.headers["content-type"] == "application/json"
    assert create.headers["x-project-id"] == DEFAULT_PROJECT_ID


async def test_a_later_copy_adds_to_and_replaces_an_earlier_copys(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with _management(server.url) as fs:
        first = fs.with_options(extra_headers={"X-A": "a1", "X-B": "b1"})
        second = first.with_options(extra_headers={"X-B": "b2", "X-C": "c2"})
        await second.keys.list()
        await first.keys.list()
        await first.with_options(max_retries=0).keys.list()  # other options: headers kept
        await first.with_options(extra_headers={}).keys.list()  # nothing added
        await fs.keys.list()
    later, earlier, retried, emptied, parent = server.requests
    assert _carries(later, {"X-A": "a1", "X-B": "b2", "X-C": "c2"})
    for request in (earlier, retried, emptied):
        assert _carries(request, {"X-A": "a1", "X-B": "b1"})
        assert "x-c" not in request.headers
    assert _carries_none(parent, {"X-A": "", "X-B": "", "X-C": ""})


def _recording_client(seen: list[list[tuple[str, str]]]) -> httpx.AsyncClient:
    """An httpx client (a real connection to the server) that records every header
    line each request goes out with, repeated names included."""

    async def record(request: httpx.Request) -> None:
        seen.append([(k.lower(), v) for k, v in request.headers.multi_items()])

    return httpx.AsyncClient(event_hooks={"request": [record]})


async def test_a_later_copy_replaces_a_header_whatever_the_case_of_its_name(
    server: ScriptedServer,
) -> None:
    """Header names are case-insensitive: a later copy's `x-trace` replaces an earlier
    copy's `X-Trace`, rather than going out beside it (a server joins two values, or
    takes either)."""
    server.default = Reply(json=[])
    seen: list[list[tuple[str, str]]] = []
    async with _recording_client(seen) as http, _management(server.url, http_client=http) as fs:
        earlier = fs.with_options(extra_headers={"X-Trace": "old"})
        await earlier.with_options(extra_headers={"x-trace": "new"}).keys.list()
    (lines,) = seen
    assert [v for k, v in lines if k == "x-trace"] == ["new"]


async def test_one_header_is_never_sent_twice_from_one_mapping(server: ScriptedServer) -> None:
    """Two spellings of one name in one mapping: refused, or one value sent; never two."""
    server.default = Reply(json=[])
    seen: list[list[tuple[str, str]]] = []
    async with _recording_client(seen) as http, _management(server.url, http_client=http) as fs:
        try:
            both = fs.with_options(extra_headers={"X-Trace": "a", "x-trace": "b"})
        except InvalidParameterError:
            return
        await both.keys.list()
    (lines,) = seen
    assert len([v for k, v in lines if k == "x-trace"]) == 1


async def test_they_go_on_every_attempt_and_on_a_followed_redirect(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.queue(
        Reply(503, {"message": "busy"}),
        Reply(302, headers={"Location": "/user/keys/moved"}),
        Reply(json=[]),
    )
    async with _management(server.url) as fs:
        assert await fs.with_options(extra_headers=TRACE).keys.list() == []
    assert [r.path for r in server.requests] == ["/user/keys", "/user/keys", "/user/keys/moved"]
    assert all(_carries(r, TRACE) for r in server.requests)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)


async def test_the_mapping_given_is_copied(server: ScriptedServer) -> None:
    """Changing the dict afterwards changes nothing: no header added later skips the
    checks (an owned one, a line break)."""
    server.default = Reply(json=[])
    given = {"X-Trace-Id": "t-1"}
    async with _management(server.url) as fs:
        traced = fs.with_options(extra_headers=given)
        given["X-Trace-Id"] = "t-2\r\nX-Injected: 1"
        given["Authorization"] = "Bearer stolen"
        await traced.keys.list()
    (sent,) = server.requests
    assert sent.headers["x-trace-id"] == "t-1"
    assert "x-injected" not in sent.headers
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


async def test_any_mapping_will_do(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with _management(server.url) as fs:
        await fs.with_options(extra_headers=MappingProxyType({"X-A": "1"})).keys.list()
        await fs.with_options(extra_headers=httpx.Headers({"X-B": "2"})).keys.list()
    proxied, headers = server.requests
    assert proxied.headers["x-a"] == "1"
    assert headers.headers["x-b"] == "2"


async def test_valid_header_text_is_sent_as_given(server: ScriptedServer) -> None:
    """Every token character in a name; a value with inner spaces and tabs, every
    visible ASCII character, or nothing at all."""
    visible = "".join(chr(c) for c in range(0x21, 0x7F))
    name = "X-!#$%&'*+-.^_`|~09azAZ"
    values = {name: "1", "X-Spaced": "a b\tc", "X-Visible": visible, "X-Empty": ""}
    server.default = Reply(json=[])
    async with _management(server.url) as fs:
        await fs.with_options(extra_headers=values).keys.list()
    (sent,) = server.requests
    assert sent.headers[name.lower()] == "1"
    assert sent.headers["x-spaced"] == "a b\tc"
    assert sent.headers["x-visible"] == visible
    assert sent.headers["x-empty"] == ""


async def test_they_are_not_sent_to_the_token_endpoint(server: ScriptedServer) -> None:
    def answer(request: Recorded) -> Reply:
        if request.path == "/oauth/token":
            return Reply(json={"access_token": "at-0123456789abcdef", "expires_in": 3600})
        return Reply(json=[])

    server.default = answer
    credentials = ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")
    async with _management(server.url, token=credentials) as fs:
        await fs.with_options(extra_headers=TRACE).keys.list()
    token_request, api_request = server.requests
    assert token_request.path == "/oauth/token"
    assert _carries_none(token_request, TRACE)
    assert _carries(api_request, TRACE)


async def test_a_failed_call_of_the_copy_does_not_print_an_extra_headers_value(
    server: ScriptedServer,
) -> None:
    """A value may be a credential of some other kind: the error's text, repr and
    traceback never show it. (It stays on `exc.request.headers`, the request as sent,
    as any header but `Authorization` does.)"""
    server.default = Reply(404, {"message": "no such key"})
    async with _management(server.url) as fs:
        keyed = fs.with_options(extra_headers={"X-Api-Key": SECRET})
        with pytest.raises(NotFoundError) as info:
            await keyed.keys.deregister("laptop")
    exc = info.value
    for text in (str(exc), repr(exc), "".join(traceback.format_exception(exc))):
        assert leaks(text) == []
    assert server.last.headers["x-api-key"] == SECRET


# -- refused before anything is sent -----------------------------------------------------------


def _client_of(kind: str) -> Any:
    return client_of(kind, TOKEN, PROJECT)


def _refused(kind: str, headers: object) -> InvalidParameterError:
    client = _client_of(kind)
    with pytest.raises(InvalidParameterError) as info:
        client.with_options(extra_headers=headers)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("extra_headers")
    return info.value


def _spellings(name: str) -> list[str]:
    mixed = "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))
    return sorted({name, name.lower(), name.upper(), name.title(), mixed})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", OWNED)
def test_a_header_the_client_owns_is_refused_in_any_case(kind: str, name: str) -> None:
    for spelling in _spellings(name):
        exc = _refused(kind, {"X-Fine": "1", spelling: SECRET})
        assert spelling in str(exc)
        assert "set by the client" in str(exc)
        assert leaks(str(exc)) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["X_Project_Id", "content_type", "Content_Length"])
def test_an_owned_header_spelled_with_underscores_is_refused(kind: str, name: str) -> None:
    """Review of issue 21: CGI-style gateways read `X_Project_Id` as `X-Project-Id`,
    which would override the project the client sends."""
    exc = _refused(kind, {name: SECRET})
    assert str(exc) == f"extra_headers: {name} is set by the client itself and cannot be added"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "name",
    [
        "Keep-Alive",
        "TE",
        "Trailer",
        "Upgrade",
        "Expect",
        "Proxy-Authorization",
        "proxy-anything",
        "X-HTTP-Method-Override",
        "X_HTTP_Method",
        "X-Method-Override",
    ],
)
def test_a_header_about_the_connection_a_proxy_or_the_method_is_refused(
    kind: str, name: str
) -> None:
    """Review of issue 21: `X-HTTP-Method-Override: DELETE` on a copy would turn a
    waiter's GET into a delete on a server that honours it; hop-by-hop headers and a
    proxy's credentials are not the request's."""
    exc = _refused(kind, {"X-Fine": "1", name: SECRET})
    assert str(exc) == (
        f"extra_headers: {name} is about the connection, a proxy or the method, not the "
        "request, and cannot be added"
    )
    assert leaks(str(exc)) == []


INVALID_NAMES: list[object] = [
    "",
    " ",
    "X Trace",
    "X-Trace:",
    ":authority",
    "X-Trace\r\nX-Injected",
    "X-Trace\n",
    "X-Trace\x00",
    "X-(Trace)",
    "X@Trace",
    "X-Trace/1",
    'X-"Trace"',
    "X-Tråce",
    "X-Trace\t",
    b"X-Trace",
    1,
    None,
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", INVALID_NAMES, ids=repr)
def test_a_name_that_is_not_a_header_name_is_refused(kind: str, name: object) -> None:
    exc = _refused(kind, {name: SECRET})
    assert "is not a header name" in str(exc)
    assert leaks(str(exc)) == []


INVALID_VALUES: list[object] = [
    f"{SECRET}\r\nX-Injected: 1",
    f"{SECRET}\nX-Injected: 1",
    f"{SECRET}\r",
    f"{SECRET}\x00",
    f"\x01{SECRET}",
    f"{SECRET}\x7f",
    f"{SECRET}\x1b[0m",
    f" {SECRET}",
    f"{SECRET} ",
    f"\t{SECRET}",
    f"{SECRET}\t",
    " ",
    f"{SECRET}\u20ac",  # not Latin-1: cannot be a header byte at all
    f"{SECRET}\ud800",  # a lone surrogate
    SECRET.encode(),
    1,
    None,
    [SECRET],
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", INVALID_VALUES, ids=repr)
def test_a_value_that_is_not_header_text_is_refused_unquoted(kind: str, value: object) -> None:
    exc = _refused(kind, {"X-Key": value})
    assert "X-Key" in str(exc)
    assert "not valid header text" in str(exc)
    assert leaks(str(exc)) == []
    assert leaks(repr(exc.args)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_value_httpx_cannot_encode_is_refused_by_with_options(kind: str) -> None:
    """`é` is Latin-1 (obs-text), which the check lets through, but httpx encodes a str
    header value as ASCII: the copy would fail every call with a UnicodeEncodeError
    (quoting a character of the value). Refused up front, like any value that
    cannot be sent."""
    exc = _refused(kind, {"X-Name": f"caf\xe9-{SECRET}"})
    assert leaks(str(exc)) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "headers",
    ["X-Trace: 1", [("X-Trace", "1")], 1, b"X-Trace"],
    ids=["str", "pairs", "int", "bytes"],
)
def test_extra_headers_that_are_not_a_mapping_are_refused(kind: str, headers: object) -> None:
    exc = _refused(kind, headers)
    assert "must be a mapping" in str(exc)


async def test_a_refused_copy_sends_nothing_and_leaves_the_client_as_it_was(
    server: ScriptedServer,
) -> None:
    server.default = Reply(json=[])
    async with _management(server.url) as fs:
        traced = fs.with_options(extra_headers={"X-Trace": "t-1"})
        for bad in ({"Authorization": "Bearer other"}, {"X-Bad": "a\r\nb"}, {"X Bad": "1"}):
            with pytest.raises(InvalidParameterError):
                traced.with_options(extra_headers=bad)
        assert server.requests == []
        await traced.keys.list()
        await fs.keys.list()
    copy_sent, parent_sent = server.requests
    assert copy_sent.headers["x-trace"] == "t-1"
    assert "x-trace" not in parent_sent.headers
    assert copy_sent.headers["authorization"] == parent_sent.headers["authorization"]
    assert "x-bad" not in copy_sent.headers


async def test_a_refused_regional_copy_sends_nothing(server: ScriptedServer) -> None:
    async with _region(server.url) as east:
        with pytest.raises(InvalidParameterError):
            east.with_options(extra_headers={"x-project-id": PROJECT_ID})
        with pytest.raises(InvalidParameterError):
            east.with_options(extra_headers={"X-Trace": "1\n"}, project_id=PROJECT)
        server.default = Reply(404, {"message": "no such instance"})
        assert server.requests == []
        with pytest.raises(NotFoundError):
            await east.instances.get(INSTANCE_ID)
    (sent,) = server.requests
    assert "x-trace" not in sent.headers
