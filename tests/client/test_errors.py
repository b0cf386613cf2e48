"""What an exception tells the person who catches it: a typed error for every status,
its one line of text (method, full URL, status, the server's message, cut and with
unsafe characters escaped) and its attributes; validation errors for a 2xx the spec
does not document or whose body does not decode or parse; transport and TLS errors;
and every kind of error surviving pickle. Real servers on 127.0.0.1, then the pure
helpers that build the text."""

from __future__ import annotations

import gzip
import json
import logging
import pickle
import re
import ssl
import subprocess
import time
import traceback
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from support import samples
from support.auth_secrets import exposed
from support.client_operations import OPERATIONS
from support.client_raw_writes import BEFORE_THE_STATUS, WRITES, Write, cut_body
from support.client_region import (
    INFERRED,
    PROJECT,
    REGION_OPERATIONS,
    RegionOp,
    region_spec_operations,
)
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer, refused_port
from support.scripted_server import Reply, ScriptedServer

import fluidstack_client
import fluidstack_client.errors
from fluidstack_client import (
    AmbiguousWriteError,
    AmbiguousWriteTimeoutError,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncFluidstack,
    AsyncRegionClient,
    AuthenticationError,
    BadRequestError,
    ClientCredentials,
    ConfigurationError,
    ConflictError,
    Fluidstack,
    FluidstackError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RegionNotFoundError,
    ResponseTooLargeError,
    RetryPolicy,
    SSHKey,
    UnprocessableEntityError,
    _operations,
)
from fluidstack_client._body import MAX_ERROR_BODY
from fluidstack_client._error_mapping import (
    fresh,
    snippet,
    status_error,
    tls_failure,
    transport_error,
)
from fluidstack_client._generated.management.api.invitations import create_invitation
from fluidstack_client._generated.management.api.regions import list_regions
from fluidstack_client._generated.management.api.user import list_keys, register_key
from fluidstack_client._generated.management.models import CreateInvitationBody
from fluidstack_client._generated.management.models import SSHKey as GeneratedSSHKey
from fluidstack_client._redact import (
    MESSAGE_CHARS,
    REDACTED,
    clean,
    copy_response,
    display_url,
)
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI, FakeServer

T = TypeVar("T")
Call = Callable[[AsyncFluidstack], Awaitable[object]]
Answer = Callable[[Conn], None]

API = "/api/v1alpha1"
ID = samples.INSTANCE_ID
JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
# A 32-character token: "leaks" are checked strictly, any 8-character piece of it.
SECRET = "sk-Q7wE9rT2yU4iO6pA8sD0fG3hJ5kL1"
assert len(SECRET) == 32


# -- helpers ------------------------------------------------------------------------------


def _ok(conn: Conn) -> None:
    conn.respond(200, b"[]", JSON)


def always(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    def answer(conn: Conn) -> None:
        conn.respond(status, body, headers)

    return answer


def routes(table: dict[tuple[str, str], tuple[int, bytes, dict[str, str]]]) -> Answer:
    """Answer each (method, path) as the table says; anything else is a JSON 404."""

    def answer(conn: Conn) -> None:
        status, body, headers = table.get(
            (conn.request.method, conn.request.path),
            (404, b'{"message": "no such route"}', JSON),
        )
        conn.respond(status, body, headers)

    return answer


@pytest.fixture(scope="module")
def _hostile_server() -> Iterator[HostileServer]:
    with HostileServer(_ok) as server:
        yield server


@pytest.fixture
def hostile(_hostile_server: HostileServer) -> Iterator[Callable[[Answer], HostileServer]]:
    """`hostile(answer)`: a raw-socket server on 127.0.0.1 answering with `answer`, with
    no requests recorded yet. One server for the module: stopping one waits out its
    accept loop's poll, which would dominate the run time."""

    def serve(answer: Answer) -> HostileServer:
        with _hostile_server._lock:
            _hostile_server.requests.clear()
        _hostile_server.answer = answer
        return _hostile_server

    yield serve
    _hostile_server.answer = _ok


def leaks(data: str | bytes, secret: str = SECRET) -> list[str]:
    """The 8-character pieces of `secret` found in `data`."""
    pieces = [secret[i : i + 8] for i in range(len(secret) - 7)]
    if isinstance(data, bytes):
        return [p for p in pieces if p.encode() in data]
    return [p for p in pieces if p in data]


def assert_round_trip(exc: FluidstackError) -> FluidstackError:
    """`exc` survives pickle (every protocol) with everything a user relies on, and no
    part of the token."""
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps(exc, protocol=protocol)
        assert leaks(data) == [], "the pickled exception holds part of the token"
        copy: Any = pickle.loads(data)
        same_type = type(copy) is type(exc)  # (asserted apart: mypy would narrow `copy`)
        assert same_type
        assert str(copy) == str(exc)
        assert copy.args == exc.args
        if isinstance(exc, APIError):
            assert copy.message == exc.message
            if exc.request is not None:
                assert copy.request is not None
                assert copy.request.method == exc.request.method
                assert copy.request.url == exc.request.url
                assert copy.request.headers.get("Authorization") in (None, REDACTED)
        if isinstance(exc, APIStatusError | APIResponseValidationError):
            assert copy.status_code == exc.status_code
            assert copy.response.status_code == exc.response.status_code
            assert copy.response.content == exc.response.content
            assert copy.response.headers == exc.response.headers
        if isinstance(exc, APIStatusError):
            assert copy.body == exc.body
    copy = pickle.loads(pickle.dumps(exc))
    assert isinstance(copy, FluidstackError)
    return copy


def at_depth(frames: int, fn: Callable[[], T]) -> T:
    """`fn()` called from `frames` nested calls deeper (a framework, a task queue)."""
    return fn() if frames == 0 else at_depth(frames - 1, fn)


# -- a typed error for each status ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (520, InternalServerError),
        (599, InternalServerError),
        (418, APIStatusError),
        (451, APIStatusError),
        (499, APIStatusError),
        (302, RedirectError),
    ],
)
async def test_status_maps_to_typed_error(
    status: int, error: type[APIStatusError], server: ScriptedServer
) -> None:
    server.default = Reply(status, {"message": f"the {status} message"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(error) as info:
            await fs.instances.get(ID)
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.message == f"the {status} message"
    assert exc.response.status_code == status
    assert exc.body == {"message": f"the {status} message"}
    # One line a person can act on: method, full URL, status, the server's message.
    expected = f"GET {server.url}/instances/{ID}: {status} the {status} message"
    assert str(exc).startswith(expected)


def test_error_classes_are_exported_from_both_places() -> None:
    from fluidstack_client import errors

    for name in errors.__all__:
        assert getattr(fluidstack_client, name) is getattr(errors, name)
    assert issubclass(fluidstack_client.APITimeoutError, fluidstack_client.APIConnectionError)
    assert issubclass(fluidstack_client.InvalidParameterError, ValueError)


async def test_status_error_text_and_attributes(server: ScriptedServer) -> None:
    server.default = Reply(404, {"message": "no such key", "code": 7})
    base = f"{server.url}/api/v1alpha1"
    async with AsyncFluidstack(TOKEN, base_url=base, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.keys.deregister("laptop")
    exc = info.value
    assert str(exc) == f"DELETE {base}/user/keys/laptop: 404 no such key"
    assert (exc.message, exc.status_code, exc.body) == (
        "no such key",
        404,
        {"message": "no such key", "code": 7},
    )
    assert exc.request is not None
    assert exc.request.method == "DELETE"
    assert exc.request.headers["Authorization"] == REDACTED
    assert exc.response.json() == {"message": "no such key", "code": 7}
    copy = pickle.loads(pickle.dumps(exc))
    assert (str(copy), copy.message, copy.status_code, copy.body) == (
        str(exc),
        exc.message,
        404,
        exc.body,
    )


async def test_status_error_names_method_and_full_url(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    server = hostile(always(404, json.dumps({"message": "instance not found"}).encode(), JSON))
    base = f"{server.url}/api/v1alpha1"
    async with AsyncFluidstack(SECRET, base_url=base, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as get:
            await fs.instances.get(ID)
        with pytest.raises(NotFoundError) as post:
            await fs.keys.register(name="n", key="k")
    assert str(get.value) == f"GET {base}/instances/{ID}: 404 instance not found"
    assert str(post.value) == f"POST {base}/user/keys: 404 instance not found"


async def test_generated_client_raises_typed_errors(server: ScriptedServer) -> None:
    server.default = Reply(500, {"message": "x"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, max_retries=0) as fs:
        with pytest.raises(InternalServerError):
            await list_regions.asyncio_detailed(client=fs.generated_client())


def test_status_error_by_itself() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    assert str(status_error(httpx.Response(418, request=request))) == (
        "GET http://127.0.0.1:9/a: 418 I'm a Teapot"
    )
    multiple = status_error(httpx.Response(300, request=request))
    assert type(multiple) is RedirectError
    assert str(multiple) == (
        "GET http://127.0.0.1:9/a: 300 Multiple Choices; redirect without a Location not followed"
    )
    assert type(status_error(httpx.Response(299, request=request))) is APIStatusError
    assert type(status_error(httpx.Response(400, request=request))) is BadRequestError


def test_an_error_without_a_request_is_its_message_alone() -> None:
    assert str(APIConnectionError("no route")) == "no route"
    assert APIConnectionError("no route").request is None


# -- what the message shows of the server's body --------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (503, "Service Unavailable"),
        (502, "Bad Gateway"),
        (404, "Not Found"),
        (599, "(empty body)"),
        (520, "(empty body)"),
    ],
)
async def test_an_empty_error_body_gives_the_reason_phrase(
    status: int, message: str, server: ScriptedServer
) -> None:
    """No body to quote: the status's reason phrase stands in for the message (or
    "(empty body)" for a status without one)."""
    server.default = Reply(status, body=b"")
    base = f"{server.url}/api/v1alpha1"
    async with AsyncFluidstack(TOKEN, base_url=base, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(APIStatusError) as info:
            await fs.keys.list()
        with pytest.raises(APIStatusError) as deleting:
            await fs.keys.deregister("nope")
    assert info.value.message == message
    assert str(info.value) == f"GET {base}/user/keys: {status} {message}"
    assert info.value.body is None
    assert str(deleting.value) == f"DELETE {base}/user/keys/nope: {status} {message}"


@pytest.mark.parametrize(
    "body",
    [{"message": ""}, {"message": 5}, {"message": None}, {"error": "x"}, ["message"], "plain"],
)
async def test_a_body_without_a_usable_message_is_quoted(
    body: object, server: ScriptedServer
) -> None:
    server.default = Reply(400, body)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIStatusError) as info:
            await fs.keys.list()
    assert info.value.message == json.dumps(body)
    assert info.value.body == body


async def test_the_servers_message_is_kept_up_to_500_characters(server: ScriptedServer) -> None:
    assert MESSAGE_CHARS == 500
    server.queue(Reply(409, {"message": "m" * 500}), Reply(409, {"message": "m" * 501}))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for expected in ("m" * 500, "m" * 500 + "... [1 more characters]"):
            with pytest.raises(APIStatusError) as info:
                await fs.keys.register(name="k", key="ssh-ed25519 A")
            assert info.value.message == expected
            assert info.value.body is not None


async def test_html_body_from_a_proxy_gives_typed_error_with_snippet(
    server: ScriptedServer,
) -> None:
    html = b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"
    server.default = Reply(502, body=html, content_type="text/html")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(InternalServerError) as info:
            await fs.clusters.list()
    assert info.value.status_code == 502
    assert "502 Bad Gateway" in info.value.message
    assert "\n" not in str(info.value)


async def test_long_error_body_is_cut_short(server: ScriptedServer) -> None:
    server.default = Reply(500, body=b"x" * 100_000, content_type="text/plain")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(InternalServerError) as info:
            await fs.keys.list()
    assert len(str(info.value)) < 300


async def test_a_body_snippet_is_one_line_of_at_most_200_characters(
    server: ScriptedServer,
) -> None:
    text = "  line one\n\tline two \r\n" + "x" * 300
    server.queue(
        Reply(500, body=text.encode(), content_type="text/plain"),
        Reply(500, body=b"y" * 200, content_type="text/plain"),
    )
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(InternalServerError) as info:
            await fs.keys.list()
        flat = "line one line two " + "x" * 300
        assert info.value.message == flat[:200] + f"... [{len(flat) - 200} more characters]"
        with pytest.raises(InternalServerError) as info:
            await fs.keys.list()
        assert info.value.message == "y" * 200


def test_snippet_reads_no_more_than_eight_bytes_per_character() -> None:
    spaced = b" " * 1590 + b"abcdefghijk"  # the letters start at byte 1590 of 1601
    response = httpx.Response(500, content=spaced)
    assert snippet(response) == "abcdefghij"  # bytes 1590-1599: the first 200 * 8
    assert snippet(response, chars=2) == ""  # only 16 bytes read: all blank
    assert (
        snippet(httpx.Response(500, content=b"abc def"), chars=5) == "abc d... [2 more characters]"
    )
    assert snippet(httpx.Response(500, content=b"\xff\xfeok")) == "\ufffd\ufffdok"


async def test_the_kept_response_has_the_servers_version_and_a_scrubbed_reason() -> None:
    def answer(conn: Conn) -> None:
        conn.send(f"HTTP/1.0 503 Down for {TOKEN}\r\nContent-Length: 0\r\n\r\n".encode())
        conn.close()

    with HostileServer(answer) as hostile:
        async with AsyncFluidstack(
            TOKEN, base_url=hostile.url, retry_policy=FAST, max_retries=0
        ) as fs:
            with pytest.raises(InternalServerError) as info:
                await fs.keys.list()
    kept = info.value.response
    assert kept.http_version == "HTTP/1.0"
    assert kept.reason_phrase == f"Down for {REDACTED}"
    assert info.value.message == "Service Unavailable"


def test_a_copied_response_without_version_or_reason_gets_the_defaults() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/x")
    copy = copy_response(httpx.Response(503, request=request), b"body")
    assert copy.http_version == "HTTP/1.1"
    assert copy.reason_phrase == ""
    assert copy.content == b"body"
    assert copy.request is request


# -- where: the method and the URL --------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/"])
async def test_a_404_from_a_base_url_without_a_path_says_where_the_api_lives(
    path: str, server: ScriptedServer
) -> None:
    """Only a 404, and only from a base URL without a path, hints at /api/v1alpha1;
    the hint is in the text, not in `message`."""
    server.default = Reply(404, {"message": "nothing here"})
    async with AsyncFluidstack(TOKEN, base_url=server.url + path, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.keys.list()
        with pytest.raises(NotFoundError) as instance:
            await fs.instances.get(ID)
        server.default = Reply(403, {"message": "no"})
        with pytest.raises(APIStatusError) as denied:
            await fs.keys.list()
    hint = "(base_url has no path; the Management API lives under /api/v1alpha1)"
    assert str(info.value) == f"GET {server.url}/user/keys: 404 nothing here {hint}"
    assert str(instance.value) == f"GET {server.url}/instances/{ID}: 404 nothing here {hint}"
    assert (info.value.message, instance.value.message) == ("nothing here", "nothing here")
    assert str(denied.value) == f"GET {server.url}/user/keys: 403 no"
    server.default = Reply(404, {"message": "nothing here"})
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as full:
            await fs.instances.get(ID)
    assert str(full.value) == f"GET {server.url}{API}/instances/{ID}: 404 nothing here"


async def test_a_long_path_is_cut_in_the_message(server: ScriptedServer) -> None:
    server.default = Reply(404, {"message": "gone"})
    name = "k" * 400
    async with AsyncFluidstack(TOKEN, base_url=f"{server.url}/v1", retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.keys.deregister(name)
    url = f"{server.url}/v1/user/keys/{name}"
    assert str(info.value) == f"DELETE {url[:300]}... [{len(url) - 300} more characters]: 404 gone"


async def test_error_url_has_no_query_string(hostile: Callable[[Answer], HostileServer]) -> None:
    def answer(conn: Conn) -> None:
        if conn.request.path.startswith("/instances/"):
            location = f"/v2/instances/{ID}?sig=querysecret123&X-Amz-Credential=abc"
            conn.respond(302, b"", {"Location": location})
        else:
            conn.respond(404, b'{"message": "gone"}', {"Content-Type": "application/json"})

    server = hostile(answer)
    async with AsyncFluidstack(SECRET, base_url=f"{server.url}/", retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.instances.get(ID)
    assert server.requests[1].path.endswith("?sig=querysecret123&X-Amz-Credential=abc")
    assert str(info.value).startswith(f"GET {server.url}/v2/instances/{ID}: 404 gone")
    assert "querysecret123" not in str(info.value)
    assert "?" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@x.io/a/b?token=1#frag", "https://x.io/a/b"),
        ("http://[::1]:8080/p", "http://[::1]:8080/p"),
        ("https://x.io:443/p", "https://x.io/p"),
        ("https://x.io:8443/p", "https://x.io:8443/p"),
        ("http://127.0.0.1/a%0Ab", "http://127.0.0.1/a\\nb"),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    assert display_url(httpx.URL(url)) == shown


# -- one safe line: control, invisible and reordering characters are escaped -----------------

HOSTILE_TEXT = (
    "instance not found\n2026-11-28 12:00:00 INFO fluidstack_client login ok user=admin"
    "\r\x1b[31mRED\x1b[0m\u2028after a line separator\u202eevil\x00\x07"
)
FORBIDDEN = ["\n", "\r", "\x1b", "\u2028", "\u202e", "\x00", "\x07"]


def _assert_one_safe_line(text: str) -> None:
    assert [c for c in FORBIDDEN if c in text] == []
    assert text.isprintable()
    assert len(text) < 1000


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("a\nb\rc\td", 500, "a\\nb\\rc\\td"),
        ("\x00\x1b[31m\x7f\x85", 500, "\\x00\\x1b[31m\\x7f\\x85"),
        ("\u202ebidi\u2028\ufeff", 500, "\\u202ebidi\\u2028\\ufeff"),
        ("tag\U000e0041", 500, "tag\\U000e0041"),
        ("\xa0nbsp\xad", 500, "\xa0nbsp\\xad"),
        ("abcdef", 3, "abc... [3 more characters]"),
        ("abc", 3, "abc"),
    ],
)
def test_clean_escapes_and_cuts(text: str, limit: int, shown: str) -> None:
    assert clean(text, limit=limit) == shown


INVISIBLE = {
    "\u200e": "\\u200e",  # left-to-right mark
    "\u200f": "\\u200f",  # right-to-left mark
    "\u061c": "\\u061c",  # Arabic letter mark
    "\u200b": "\\u200b",  # zero-width space
    "\ufeff": "\\ufeff",  # zero-width no-break space
    "\u00ad": "\\xad",  # soft hyphen
    "\u180e": "\\u180e",  # Mongolian vowel separator
    "\U000e0041": "\\U000e0041",  # tag latin capital A
}


async def test_invisible_characters_in_an_error_message_are_escaped(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    """Review finding a19: some invisible and reordering characters reached `str(exc)`
    raw."""
    message = "not found " + "|".join(INVISIBLE) + " (admin granted)"
    server = hostile(always(404, json.dumps({"message": message}).encode(), JSON))
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.instances.get(ID)
    for char, escaped in INVISIBLE.items():
        assert char not in str(info.value), f"U+{ord(char):04X} raw in str(exc)"
        assert char not in info.value.message
        assert escaped in str(info.value)


# The ranges of characters a message shows escaped (_redact._UNSAFE), by their first and
# last code points and how each is shown; then the code points just outside each range,
# shown as they are. (The three named escapes sit inside the first range.)
UNSAFE_ENDS = [
    (0x00, "\\x00"),
    (0x09, "\\t"),
    (0x0A, "\\n"),
    (0x0D, "\\r"),
    (0x1F, "\\x1f"),
    (0x7F, "\\x7f"),
    (0x9F, "\\x9f"),
    (0xAD, "\\xad"),  # soft hyphen
    (0x061C, "\\u061c"),  # Arabic letter mark
    (0x180E, "\\u180e"),  # Mongolian vowel separator
    (0x200B, "\\u200b"),  # zero-width space ...
    (0x200F, "\\u200f"),  # ... to right-to-left mark
    (0x2028, "\\u2028"),  # line separator ...
    (0x202E, "\\u202e"),  # ... to right-to-left override
    (0x2060, "\\u2060"),  # word joiner ...
    (0x2064, "\\u2064"),  # ... to invisible plus
    (0x2066, "\\u2066"),  # left-to-right isolate ...
    (0x2069, "\\u2069"),  # ... to pop directional isolate
    (0xFEFF, "\\ufeff"),  # zero-width no-break space
    (0xE0000, "\\U000e0000"),  # tag characters ...
    (0xE007F, "\\U000e007f"),  # ... to cancel tag
]
SAFE_NEIGHBOURS = [
    0x20,
    0x7E,
    0xA0,
    0xAC,
    0xAE,
    0x061B,
    0x061D,
    0x180D,
    0x180F,
    0x200A,
    0x2010,
    0x2027,
    0x202F,
    0x205F,
    0x2065,
    0x206A,
    0xFEFE,
    0xFF00,
    0xDFFFF,
    0xE0080,
]


async def test_each_unsafe_range_is_escaped_at_both_ends_and_its_neighbours_kept(
    server: ScriptedServer,
) -> None:
    """An error body's message holding the first and last character of each range the
    client escapes (and each single one) shows every one of them escaped, and the
    characters just outside each range as they are. (Issue 19: mutation testing never
    changes module-level code such as the table of ranges; ending the tag characters
    at 0xE007F instead of 0xE0080 fails this test, checked by editing it.)"""
    chars = [chr(point) for point, _ in UNSAFE_ENDS] + [chr(p) for p in SAFE_NEIGHBOURS]
    server.default = Reply(404, {"message": " ".join(f"<{c}>" for c in chars)})
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.instances.get(ID)
    expected = [shown for _, shown in UNSAFE_ENDS] + [chr(p) for p in SAFE_NEIGHBOURS]
    assert "more characters" not in info.value.message  # all of it shown
    for text in (info.value.message, str(info.value)):
        shown = re.findall(r"<(.*?)>", text)
        assert len(shown) == len(expected)
        wrong = [
            (f"U+{ord(char):04X}", got, want)
            for char, got, want in zip(chars, shown, expected, strict=True)
            if got != want
        ]
        assert wrong == []


@pytest.mark.parametrize("raw", [False, True], ids=["json-escaped", "raw-bytes"])
async def test_huge_hostile_error_message_is_one_capped_line(
    raw: bool, hostile: Callable[[Answer], HostileServer]
) -> None:
    message = HOSTILE_TEXT + "A" * 1_000_000
    if raw:  # control characters as bytes, not JSON escapes
        body = b'{"message": "' + message.encode() + b'"}'
    else:
        body = json.dumps({"message": message}).encode()
    server = hostile(always(404, body, JSON))
    async with AsyncFluidstack(SECRET, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.instances.get(ID)
    exc = info.value
    _assert_one_safe_line(str(exc))
    assert str(exc).startswith(f"GET {server.url}/api/v1alpha1/instances/{ID}: 404 ")
    assert "instance not found" in str(exc)
    # The body as received, up to the error-body cap.
    assert exc.response.content == body[:MAX_ERROR_BODY]


async def test_hostile_error_message_under_the_cap_is_escaped_and_kept_whole(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    message = HOSTILE_TEXT + "B" * 50_000
    body = json.dumps({"message": message}).encode()
    assert len(body) < MAX_ERROR_BODY
    server = hostile(always(404, body, JSON))
    async with AsyncFluidstack(SECRET, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            await fs.instances.get(ID)
    exc = info.value
    _assert_one_safe_line(str(exc))
    _assert_one_safe_line(exc.message)
    where = f"GET {server.url}/api/v1alpha1/instances/{ID}: 404 "
    assert str(exc).startswith(where + "instance not found\\n2026-11-28 12:00:00 INFO")
    assert "\\x1b[31mRED" in str(exc)
    assert "\\u2028" in str(exc)
    assert exc.body == {"message": message}
    assert exc.response.content == body


async def test_huge_hostile_text_body_is_one_capped_line(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    body = (HOSTILE_TEXT + "C" * 1_000_000).encode()
    server = hostile(always(500, body, {"Content-Type": "text/plain"}))
    async with AsyncFluidstack(SECRET, base_url=server.url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(APIStatusError) as info:
            await fs.keys.deregister("k")
    exc = info.value
    assert exc.status_code == 500
    _assert_one_safe_line(str(exc))
    assert str(exc).startswith(f"DELETE {server.url}/user/keys/k: 500 instance not found")
    assert exc.response.content == body[:MAX_ERROR_BODY]


async def test_hostile_text_in_a_2xx_validation_error_is_one_line(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    body = (HOSTILE_TEXT + "D" * 1_000_000).encode()
    server = hostile(always(200, body, {"Content-Type": "text/html"}))
    async with AsyncFluidstack(SECRET, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.instances.get(ID)
    exc = info.value
    assert type(exc) is APIResponseValidationError
    _assert_one_safe_line(str(exc))
    assert str(exc).startswith(f"GET {server.url}/instances/{ID}: 200 ")
    assert "instance not found" in str(exc)


# -- error bodies that do not decode or parse ------------------------------------------------

NOT_GZIP = b'[{"name": "laptop"}] -- this was never compressed'
DEEP = b"[" * 100_000


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFoundError), (400, BadRequestError), (503, InternalServerError)],
)
async def test_an_error_body_that_does_not_decode_is_still_the_typed_status_error(
    status: int, error: type[APIStatusError], hostile: Callable[[Answer], HostileServer]
) -> None:
    server = hostile(always(status, NOT_GZIP, {**JSON, "Content-Encoding": "gzip"}))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(error) as info:
            await fs.keys.deregister("laptop")
    assert type(info.value) is error
    assert info.value.status_code == status
    assert server.count() == 1


@pytest.mark.parametrize(
    ("status", "error", "requests"),
    [(404, NotFoundError, 1), (400, BadRequestError, 1), (503, InternalServerError, 3)],
)
async def test_an_error_body_nested_100000_deep_is_the_typed_status_error(
    status: int,
    error: type[APIStatusError],
    requests: int,
    hostile: Callable[[Answer], HostileServer],
) -> None:
    """Issue 8: RecursionError escaped raw from parsing the error body."""
    server = hostile(always(status, DEEP, JSON))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(error) as info:
            await fs.instances.get(ID)
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.body is None
    assert len(str(exc)) < 1_000
    assert server.count() == requests  # FAST: the 503 is retried twice, a 4xx never


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("where", ["api", "token endpoint"])
async def test_deeply_nested_error_body_is_not_kept_and_the_error_pickles_from_deep(
    where: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """Review finding b16: a body nested hundreds of levels deep was kept on `exc.body`,
    and pickling the error recursed."""

    def answer(conn: Conn) -> None:
        if conn.request.path == "/oauth/token":
            conn.respond(400, b'{"error":"invalid_request","e":' + nested(500) + b"}", JSON)
        else:
            conn.respond(400, b'{"message":"bad","detail":' + nested(400) + b"}", JSON)

    server = hostile(answer)
    token: str | ClientCredentials = TOKEN
    if where == "token endpoint":
        token = ClientCredentials("my-client-id", SECRET, token_url=server.url + "/oauth/token")
    async with AsyncFluidstack(token, base_url=server.url + API, retry_policy=FAST) as fs:
        with pytest.raises(APIStatusError) as info:
            await fs.organizations.list()
    exc = info.value
    assert isinstance(exc, AuthenticationError if where == "token endpoint" else APIStatusError)
    assert exc.status_code == 400
    assert exc.body is None
    blob = at_depth(300, lambda: pickle.dumps(exc))
    copy = at_depth(300, lambda: pickle.loads(blob))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert copy.body is None


# -- a 2xx the client cannot accept: validation errors ---------------------------------------


async def test_validation_error_keeps_request_message_and_response(
    server: ScriptedServer,
) -> None:
    server.default = Reply(json=[{"name": "us-east-1"}])  # no url
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.regions.list()
    exc = info.value
    body = '[{"name": "us-east-1"}]'
    assert exc.message == (
        f"200 with a body that does not match the spec (KeyError: 'url'); body starts: {body}"
    )
    assert str(exc) == f"GET {server.url}/regions: {exc.message}"
    assert exc.status_code == 200
    assert exc.response.status_code == 200
    assert exc.response.content == body.encode()
    assert exc.request is not None
    assert exc.request.method == "GET"
    assert str(exc.request.url) == f"{server.url}/regions"
    assert exc.request.headers["Authorization"] == REDACTED
    assert exc.response.request is exc.request


BAD_BODIES = {
    "invalid JSON": Reply(body=b'[{"name": "us-east-1",', content_type="application/json"),
    "HTML on 200": Reply(body=b"<html>login</html>", content_type="text/html"),
    "empty body": Reply(body=b""),
    "missing field": Reply(json=[{"name": "us-east-1"}]),
    "wrong type": Reply(json=[{"name": 7, "url": "https://x"}]),
    "object not list": Reply(json={"message": "hi"}),
    "list of numbers": Reply(json=[1, 2]),
    "not UTF-8": Reply(body=b"\xff\xfe\x00garbage"),
    "undocumented 2xx": Reply(204),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_malformed_success_body_is_a_validation_error(
    case: str, server: ScriptedServer
) -> None:
    reply = server.default = BAD_BODIES[case]
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.regions.list()
    assert info.value.status_code == reply.status
    assert str(info.value).startswith(f"GET {server.url}/regions: {reply.status} ")
    assert isinstance(info.value, FluidstackError)


async def test_bad_instance_fields_are_validation_errors(server: ScriptedServer) -> None:
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for broken in (
            {**samples.INSTANCE, "id": "not-a-uuid"},
            {**samples.INSTANCE, "updated_at": "yesterday"},
            {**samples.INSTANCE, "preemptible": "no"},
            {**samples.INSTANCE, "tags": ["a"]},
            {k: v for k, v in samples.INSTANCE.items() if k != "ip"},
        ):
            server.queue(Reply(json=broken))
            with pytest.raises(APIResponseValidationError):
                await fs.instances.get(ID)


async def test_empty_success_body_says_empty(server: ScriptedServer) -> None:
    server.default = Reply(body=b"")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.keys.list()
    assert info.value.message.endswith("; body starts: (empty)")
    assert info.value.message.startswith("200 ")


async def test_undocumented_success_status_names_the_documented_one(
    server: ScriptedServer,
) -> None:
    server.default = Reply(201, json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.keys.list()
    assert info.value.message == (
        "201 is not the success of list_keys (the spec says 200); body starts: []"
    )
    assert info.value.status_code == 201


def _documented_successes(spec: dict[str, Any]) -> dict[str, set[int]]:
    return {
        op["operationId"]: {int(code) for code in op["responses"] if str(code).startswith("2")}
        for item in spec["paths"].values()
        for op in item.values()
    }


SUCCESS_LIKE = [200, 201, 202, 203, 204, 206]


def test_the_table_covers_every_operation_of_the_spec(spec: dict[str, Any]) -> None:
    """The operation table (tests/support/client_operations.py) is the spec's, and each
    operation documents exactly one success."""
    successes = _documented_successes(spec)
    assert set(OPERATIONS) == set(successes)
    assert all(len(success) == 1 for success in successes.values())


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_every_undocumented_2xx_is_a_validation_error(
    operation: str, server: ScriptedServer, spec: dict[str, Any]
) -> None:
    op = OPERATIONS[operation]
    (documented,) = _documented_successes(spec)[operation]
    statuses = [status for status in SUCCESS_LIKE if status != documented]
    # Each body is the one the documented status would carry: only the status is wrong.
    server.queue(*(Reply(status, None if status == 204 else op.reply.json) for status in statuses))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for status in statuses:
            with pytest.raises(APIResponseValidationError) as info:
                await op.invoke(fs)
            exc = info.value
            assert type(exc) is APIResponseValidationError
            assert exc.status_code == status
            assert re.match(rf"{status}\b", exc.message), exc.message
            assert re.search(rf"\b{documented}\b", exc.message), exc.message  # the spec's
    assert len(server.requests) == len(statuses)  # a 2xx is never retried


LOGIN_PAGE = b"<!doctype html><html><body><form action=/login>Sign in</form></body></html>"
UNDOCUMENTED_WRITES: dict[str, tuple[Call, tuple[int, bytes, dict[str, str]]]] = {
    "invitations.create answered 200": (
        lambda fs: fs.invitations.create(email="bob@acme.io"),
        (200, json.dumps(samples.INVITATION).encode(), JSON),
    ),
    "keys.deregister answered 200 with HTML": (
        lambda fs: fs.keys.deregister("laptop"),
        (200, LOGIN_PAGE, HTML),
    ),
    "members.update answered 202": (
        lambda fs: fs.members.update("m-1", role="admin"),
        (202, b"", {}),
    ),
    "keys.register answered 201": (
        lambda fs: fs.keys.register(name="laptop", key=samples.SSH_KEY["key"]),
        (201, json.dumps(samples.SSH_KEY).encode(), JSON),
    ),
}


@pytest.mark.parametrize("case", sorted(UNDOCUMENTED_WRITES))
async def test_undocumented_2xx_on_writes_raise(
    case: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """Issue 8: each of these returned None, as if the write had succeeded as
    documented."""
    call, (status, body, headers) = UNDOCUMENTED_WRITES[case]
    server = hostile(always(status, body, headers))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await call(fs)
    exc = info.value
    assert exc.status_code == status
    assert f": {status} " in str(exc)
    assert exc.response.content == body
    assert server.count() == 1


async def test_generated_client_also_accepts_only_the_documented_2xx(
    server: ScriptedServer,
) -> None:
    server.default = Reply(200)  # CreateInvitation documents 201
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await create_invitation.asyncio_detailed(
                client=fs.generated_client(), body=CreateInvitationBody(email="bob@acme.io")
            )
    assert info.value.status_code == 200
    assert len(server.requests) == 1


KEYS_BODY = json.dumps([samples.SSH_KEY]).encode()
BAD_ENCODINGS: dict[str, tuple[str, bytes]] = {
    "gzip, not gzip": ("gzip", NOT_GZIP),
    "deflate, not deflate": ("deflate", NOT_GZIP),
    "gzip, truncated": ("gzip", gzip.compress(KEYS_BODY)[:-8]),  # no trailer
    "gzip, then garbage": ("gzip", gzip.compress(KEYS_BODY)[:20] + b"\xff" * 64),
}


@pytest.mark.parametrize("case", sorted(BAD_ENCODINGS))
async def test_a_success_body_that_does_not_decode_is_a_validation_error(
    case: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """Issue 8: httpx.DecodingError escaped raw."""
    encoding, body = BAD_ENCODINGS[case]
    server = hostile(
        routes({("GET", "/user/keys"): (200, body, {**JSON, "Content-Encoding": encoding})})
    )
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.keys.list()
    assert info.value.status_code == 200
    assert re.search(r"gzip|deflate|compress", str(info.value)), str(info.value)
    assert server.count("GET", "/user/keys") == 1


async def test_a_success_body_that_decodes_is_still_accepted(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    """The other side of the cases above: real gzip and deflate work."""
    bodies = [gzip.compress(KEYS_BODY), zlib.compress(KEYS_BODY)]

    def answer(conn: Conn) -> None:
        index = conn.server.count() - 1
        conn.respond(200, bodies[index], {**JSON, "Content-Encoding": ["gzip", "deflate"][index]})

    server = hostile(answer)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        listed = [await fs.keys.list(), await fs.keys.list()]
    assert listed == [[SSHKey(name="laptop", key=samples.SSH_KEY["key"])]] * 2


async def test_a_success_body_nested_deep_is_a_validation_error(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    bodies = [DEEP, b'{"a":' * 100_000, b"[" * 50_000 + b"]" * 50_000]

    def answer(conn: Conn) -> None:
        conn.respond(200, bodies[conn.server.count() - 1], JSON)

    server = hostile(answer)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for _ in bodies:
            with pytest.raises(APIResponseValidationError) as info:
                await fs.keys.list()
            assert info.value.status_code == 200
            assert len(str(info.value)) < 1_000
    assert server.count() == len(bodies)


WRITES_WITHOUT_A_BODY: dict[tuple[str, str], tuple[int, Call]] = {
    ("POST", "/user/keys"): (
        200,
        lambda fs: fs.keys.register(name="laptop", key=samples.SSH_KEY["key"]),
    ),
    ("POST", "/invitations"): (201, lambda fs: fs.invitations.create(email="a@b.io")),
    ("PATCH", "/members/m-1"): (200, lambda fs: fs.members.update("m-1", role="viewer")),
}


@pytest.mark.parametrize("case", sorted(BAD_ENCODINGS))
async def test_a_write_whose_success_has_no_body_is_not_failed_by_one(
    case: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """The spec gives these successes no body, so none is read: a body that would not
    decode (or an encoding the client does not support) cannot turn a done write into
    an error that invites a retry."""
    encoding, body = BAD_ENCODINGS[case]
    headers = {**JSON, "Content-Encoding": encoding}
    for table in (
        {key: (status, body, headers) for key, (status, _) in WRITES_WITHOUT_A_BODY.items()},
        {
            key: (status, b"", {"Content-Encoding": "br"})
            for key, (status, _) in WRITES_WITHOUT_A_BODY.items()
        },
    ):
        server = hostile(routes(table))
        async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            for _, call in WRITES_WITHOUT_A_BODY.values():
                assert await call(fs) is None
        assert all(server.count(*key) == 1 for key in WRITES_WITHOUT_A_BODY)


async def test_the_body_sent_with_a_success_the_spec_gives_none_is_not_kept(
    server: ScriptedServer,
) -> None:
    # RegisterKey's 200 has no body in the spec: whatever comes with it is not read,
    # and the generated layer's response holds no content.
    server.default = Reply(200, json={"unexpected": True})
    body = GeneratedSSHKey(name="laptop", key="ssh-ed25519 AAAA laptop")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        response = await register_key.asyncio_detailed(client=fs.generated_client(), body=body)
    assert (response.status_code, response.content, response.parsed) == (200, b"", None)


async def test_a_success_the_generated_code_finds_no_body_in_is_a_validation_error(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (As if the spec stopped documenting ListKeys' body: the call must not return None.)
    server.default = Reply(json=[])
    monkeypatch.setattr(list_keys, "_parse_response", lambda **_: None)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            await fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 200 with no body the spec documents; body starts: []"
    )
    assert info.value.response.content == b"[]"


# -- failures without a response: transport, TLS, the request itself -------------------------


async def test_connection_error_names_method_and_full_url() -> None:
    base = f"http://127.0.0.1:{refused_port()}/api/v1alpha1"
    async with AsyncFluidstack(SECRET, base_url=base, retry_policy=FAST) as fs:
        with pytest.raises(APIConnectionError) as get:
            await fs.instances.get(ID)
    async with AsyncFluidstack(SECRET, base_url=base, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(APIConnectionError) as post:
            await fs.keys.register(name="n", key="k")
    assert type(get.value) is APIConnectionError
    assert str(get.value).startswith(f"GET {base}/instances/{ID}: ")
    assert str(post.value).startswith(f"POST {base}/user/keys: ")
    for exc in (get.value, post.value):
        _assert_one_safe_line(str(exc))
        assert "ConnectError" in str(exc)


async def test_a_header_h11_refuses_is_not_quoted_in_the_error(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    """The token cannot carry such characters any more, but a header of the user's own
    http_client can; h11 quotes the value in its error, the client must not."""
    value = SECRET[:16] + "\x0b" + SECRET[16:]
    server = hostile(_ok)
    async with (
        httpx.AsyncClient(headers={"X-Proxy-Key": value}) as http,
        AsyncFluidstack(
            SECRET, base_url=server.url, retry_policy=FAST, max_retries=0, http_client=http
        ) as fs,
    ):
        with pytest.raises(APIConnectionError) as info:
            await fs.keys.list()
    assert server.count() == 0
    exc = info.value
    assert str(exc).startswith(f"GET {server.url}/user/keys: ")
    assert "LocalProtocolError" in str(exc)
    assert leaks(str(exc)) == []
    assert leaks(repr(exc)) == []
    assert leaks("".join(traceback.format_exception(exc))) == []  # as logging.exception shows it
    # (exc.request keeps the user's own headers as sent; only Authorization is redacted.)
    assert exc.request is not None
    assert exc.request.headers["Authorization"] == REDACTED


async def test_an_unexpected_error_while_sending_is_a_connection_error(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(_operations, "match", broken)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIConnectionError) as info:
            await fs.keys.list()
    assert type(info.value) is APIConnectionError
    assert str(info.value) == "the request failed: RuntimeError: unexpected"
    assert server.requests == []


async def test_a_body_the_generated_code_cannot_encode_is_an_invalid_parameter(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: GeneratedSSHKey) -> dict[str, Any]:
        raise ValueError("cannot encode")

    monkeypatch.setattr(GeneratedSSHKey, "to_dict", broken)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            await fs.keys.register(name="k", key="ssh-ed25519 A")
    assert str(info.value) == "cannot build the request: ValueError: cannot encode"
    assert server.requests == []


@pytest.mark.parametrize(
    ("error", "kind", "detail"),
    [
        (httpx.ConnectError("refused"), "APIConnectionError", "ConnectError: refused"),
        (httpx.ReadTimeout(""), "APITimeoutError", "ReadTimeout"),
        (httpx.ReadError(""), "APIConnectionError", "ReadError"),
        (
            httpx.RemoteProtocolError("Invalid URL in location header: x"),
            "APIConnectionError",
            "the server answered with a redirect whose Location is not a valid URL; not "
            "followed, not retried",
        ),
        (
            httpx.LocalProtocolError("Illegal header value b'Bearer sk-1'"),
            "APIConnectionError",
            "the request could not be sent (LocalProtocolError: an invalid header or body)",
        ),
    ],
)
def test_transport_error_messages(error: Exception, kind: str, detail: str) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    made = transport_error(error, request)
    assert type(made).__name__ == kind
    assert str(made) == f"GET http://127.0.0.1:9/a: {detail}"


def test_tls_failure_looks_eight_links_down_the_chain() -> None:
    def chain(depth: int) -> Exception:
        top: BaseException = ssl.SSLCertVerificationError("certificate verify failed")
        for _ in range(depth):
            outer = httpx.ConnectError("wrapped")
            outer.__cause__ = top
            top = outer
        assert isinstance(top, Exception)
        return top

    assert tls_failure(chain(7)) is not None
    assert tls_failure(chain(8)) is None
    eof = httpx.ConnectError("eof")
    eof.__context__ = ssl.SSLEOFError("EOF")
    assert tls_failure(eof) is None


def test_fresh_copies_keep_the_cause() -> None:
    error = RuntimeError("flight failed")
    error.__cause__ = KeyError("why")
    copy = fresh(error)
    assert copy is not error
    assert type(copy) is RuntimeError
    assert copy.args == ("flight failed",)
    assert copy.__cause__ is error.__cause__


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "c.pem", where / "k.pem"
    command = [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a certificate with openssl: {exc}")
    return cert, key


class TLSServer(HostileServer):
    """HostileServer over TLS, counting the TCP connections it accepts."""

    def __init__(self, answer: Answer, cert: Path, key: Path) -> None:
        super().__init__(answer)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.url = f"https://127.0.0.1:{self.port}"
        self.accepted = 0

    def _serve(self, sock: Any) -> None:
        with self._lock:
            self.accepted += 1
        try:
            sock.settimeout(5)
            tls = self.context.wrap_socket(sock, server_side=True)
        except OSError:  # the client refused the certificate
            sock.close()
            return
        super()._serve(tls)


def _keys_ok(conn: Conn) -> None:
    conn.respond(200, KEYS_BODY, JSON)


async def test_untrusted_certificate_fails_once_naming_the_cause(
    certificate: tuple[Path, Path],
) -> None:
    """A certificate the client does not trust is not a transient failure: one
    attempt, no backoff, an APIConnectionError (not a timeout) that says so."""
    policy = RetryPolicy(max_retries=2, initial_delay=0.5)
    server = TLSServer(_keys_ok, *certificate)
    start = time.monotonic()
    with server:
        async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=policy) as fs:
            with pytest.raises(APIConnectionError) as info:
                await fs.keys.list()
        elapsed = time.monotonic() - start
        assert server.accepted == 1  # not retried
    assert type(info.value) is APIConnectionError  # not APITimeoutError
    assert "certificate" in str(info.value).lower()
    assert elapsed < 0.5  # no backoff wait


async def test_trusted_certificate_works(certificate: tuple[Path, Path]) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    server = TLSServer(_keys_ok, *certificate)
    with server:
        async with (
            httpx.AsyncClient(verify=trusting) as http,
            AsyncFluidstack(
                TOKEN, base_url=server.url + API, retry_policy=FAST, http_client=http
            ) as fs,
        ):
            keys = await fs.keys.list()
        assert server.count("GET", f"{API}/user/keys") == 1
    assert [k.name for k in keys] == [samples.SSH_KEY["name"]]


# -- every kind of error survives pickle, with no part of the token ---------------------------


def _hang(conn: Conn) -> None:
    conn.server.stopping.wait(2)


def _too_large(conn: Conn) -> None:
    auth = conn.request.headers.get("authorization", "")
    conn.respond(200, b"[" + b'"x",' * 200 + b'"x"]', {"X-Echo": auth})


def _redirect_write(conn: Conn) -> None:
    auth = conn.request.headers.get("authorization", "")
    conn.respond(302, b"", {"Location": "/login", "X-Echo": auth})


@pytest.mark.parametrize(
    ("answer", "call", "options", "expected"),
    [
        (_hang, lambda fs: fs.keys.list(), {"timeout": 0.3}, APITimeoutError),
        (_redirect_write, lambda fs: fs.invitations.create(email="a@b.c"), {}, RedirectError),
        (_too_large, lambda fs: fs.keys.list(), {"max_response_size": 64}, ResponseTooLargeError),
        (_ok, lambda fs: fs.region("nowhere"), {}, RegionNotFoundError),
        (_ok, lambda fs: fs.instances.get("not-a-uuid"), {}, InvalidParameterError),
    ],
    ids=["timeout", "redirect", "too-large", "region-not-found", "invalid-parameter"],
)
async def test_every_kind_of_error_round_trips_through_pickle(
    answer: Answer,
    call: Call,
    options: dict[str, Any],
    expected: type[FluidstackError],
    hostile: Callable[[Answer], HostileServer],
) -> None:
    server = hostile(answer)
    async with AsyncFluidstack(
        SECRET, base_url=server.url, retry_policy=FAST, max_retries=0, **options
    ) as fs:
        with pytest.raises(FluidstackError) as info:
            await call(fs)
    exc = info.value
    assert type(exc) is expected
    copy = assert_round_trip(exc)
    if isinstance(exc, RedirectError):
        assert isinstance(copy, RedirectError)
        assert copy.status_code == 302
        assert copy.location == "/login"
        assert copy.response.headers["X-Echo"] == "Bearer [REDACTED]"
        assert copy.request is not None
        assert copy.request.method == "POST"
    if isinstance(exc, ResponseTooLargeError):
        assert isinstance(copy, ResponseTooLargeError)
        assert copy.limit == 64
        assert copy.response.headers["X-Echo"] == "Bearer [REDACTED]"
    if isinstance(exc, RegionNotFoundError):
        assert isinstance(copy, RegionNotFoundError)
        assert (copy.name, copy.known) == ("nowhere", [])
    if isinstance(exc, InvalidParameterError):
        assert isinstance(copy, ValueError)
    if isinstance(exc, APITimeoutError):
        assert isinstance(copy, APITimeoutError)
        assert copy.request is not None
        assert copy.request.headers["Authorization"] == "[REDACTED]"
        assert str(copy).startswith(f"GET {server.url}/user/keys: ")


async def test_connection_error_round_trips_through_pickle() -> None:
    url = f"http://127.0.0.1:{refused_port()}"
    async with AsyncFluidstack(SECRET, base_url=url, retry_policy=FAST, max_retries=0) as fs:
        with pytest.raises(APIConnectionError) as info:
            await fs.keys.list()
    assert type(info.value) is APIConnectionError
    copy = assert_round_trip(info.value)
    assert isinstance(copy, APIConnectionError)
    assert copy.request is not None
    assert copy.request.headers["Authorization"] == "[REDACTED]"
    assert str(copy).startswith(f"GET {url}/user/keys: ")


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_configuration_error_round_trips_through_pickle(
    cls: type[Fluidstack] | type[AsyncFluidstack],
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(SECRET[:16] + "\x0b" + SECRET[16:], base_url="http://127.0.0.1:9")
    copy = assert_round_trip(info.value)
    assert str(copy) == str(info.value)


# -- the regional API: successes the spec only infers ------------------------------------------
# The regional spec was rebuilt from a client that cannot see bodiless successes, so the
# code of a delete's, a start's and a stop's success is a guess (`x-inferred`): any 2xx
# means the write was done, and is never a validation error that invites a second one.

INFERRED_CODES = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226]
GARBAGE = b"\xff\xfe{not json"


def _region(url: str, **options: Any) -> AsyncRegionClient:
    return AsyncRegionClient(
        url, **{"token": TOKEN, "project_id": PROJECT, "retry_policy": FAST, **options}
    )


def test_the_inferred_successes_are_the_specs() -> None:
    inferred = {n: o.inferred for n, o in region_spec_operations().items() if o.inferred}
    assert sorted(inferred) == INFERRED
    assert inferred == {
        "DeleteFilesystem": {204},
        "DeleteInstance": {204},
        "DeleteProject": {204},
        "StartInstance": {202},
        "StopInstance": {202},
    }


@pytest.mark.parametrize("operation", INFERRED)
async def test_any_2xx_of_an_inferred_success_is_done(
    operation: str, server: ScriptedServer
) -> None:
    op = REGION_OPERATIONS[operation]
    # With a body the spec does not give, that does not even decode.
    server.queue(
        *(
            Reply(code) if code in (204, 205) else Reply(code, body=GARBAGE)
            for code in INFERRED_CODES
        )
    )
    async with _region(server.url) as east:
        results = [await op.invoke(east) for _ in INFERRED_CODES]
    assert results == [None] * len(INFERRED_CODES)
    assert len(server.requests) == len(INFERRED_CODES)  # each sent once


@pytest.mark.parametrize("operation", INFERRED)
async def test_a_2xx_that_http_does_not_name_is_still_an_inferred_success(
    operation: str, server: ScriptedServer
) -> None:
    """Any 2xx: also one Python's `HTTPStatus` does not list (the generated code's
    `HTTPStatus(code)` raised ValueError, reported as a validation error)."""
    codes = [209, 250, 299]
    server.queue(*(Reply(code, body=b"") for code in codes))
    async with _region(server.url) as east:
        results = [await REGION_OPERATIONS[operation].invoke(east) for _ in codes]
    assert results == [None] * len(codes)
    assert len(server.requests) == len(codes)


def _unreadable(conn: Conn) -> None:
    """A success whose body is never worth reading: first a body declared to be a
    terabyte that never comes, then one that does not decode, then one in an encoding
    the client does not support."""
    n = conn.server.count()
    if n % 3 == 1:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n{")
        conn.hold()
    elif n % 3 == 2:
        conn.respond(202, GARBAGE, {**JSON, "Content-Encoding": "gzip"})
    else:
        conn.respond(200, b"\x00" * 64, {"Content-Encoding": "br, zstd"})


@pytest.mark.parametrize("operation", INFERRED)
async def test_an_inferred_successs_body_is_never_read(
    operation: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    server = hostile(_unreadable)
    started = time.monotonic()
    async with _region(server.url, timeout=3, max_response_size=1024) as east:
        for _ in range(3):
            assert await REGION_OPERATIONS[operation].invoke(east) is None
    assert time.monotonic() - started < 2
    assert server.count() == 3


async def test_an_unexpected_code_of_an_inferred_success_is_logged_at_debug(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(200), Reply(204), Reply(204), Reply(202), Reply(200))
    with caplog.at_level(logging.DEBUG, logger="fluidstack_client"):
        async with _region(server.url) as east:
            await east.instances.delete(ID)  # 200: logged
            await east.instances.delete(ID)  # 204, the one inferred: not logged
            await east.instances.start(ID)  # 204
            await east.instances.stop(ID)  # 202, the one inferred: not logged
            await east.projects.delete(PROJECT)  # 200
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "fluidstack_client"]
    assert lines == [
        ("DEBUG", "delete_instance answered 200, not the 204 the spec infers: taken as done"),
        ("DEBUG", "start_instance answered 204, not the 202 the spec infers: taken as done"),
        ("DEBUG", "delete_project answered 200, not the 204 the spec infers: taken as done"),
    ]


async def test_an_inferred_success_is_not_any_status(server: ScriptedServer) -> None:
    """Only a 2xx: a 4xx or 5xx of a delete or a start is still its typed error."""
    server.queue(
        Reply(404, {"message": "no such instance"}),
        Reply(409, {"message": "instance is running"}),
        Reply(501, {"message": "not here"}),
    )
    async with _region(server.url, max_retries=0) as east:
        with pytest.raises(NotFoundError, match="no such instance"):
            await east.instances.delete(ID)
        with pytest.raises(ConflictError, match="instance is running"):
            await east.instances.start(ID)
        with pytest.raises(InternalServerError, match="not here"):
            await east.filesystems.delete(ID)


# Each regional operation whose success the spec documents (not inferred).
DOCUMENTED_REGIONAL = sorted(set(REGION_OPERATIONS) - set(INFERRED))


@pytest.mark.parametrize("operation", DOCUMENTED_REGIONAL)
async def test_a_documented_regional_success_refuses_any_other_2xx(
    operation: str, server: ScriptedServer
) -> None:
    op: RegionOp = REGION_OPERATIONS[operation]
    (documented,) = region_spec_operations()[operation].successes
    statuses = [status for status in SUCCESS_LIKE if status != documented]
    server.queue(*(Reply(status, None if status == 204 else op.reply.json) for status in statuses))
    async with _region(server.url) as east:
        for status in statuses:
            with pytest.raises(APIResponseValidationError) as info:
                await op.invoke(east)
            exc = info.value
            assert type(exc) is APIResponseValidationError
            assert exc.status_code == status
            assert re.match(
                rf"{status} is not the success of \w+ \(the spec says {documented}\)", exc.message
            ), exc.message
    assert len(server.requests) == len(statuses)  # a 2xx is never retried


# -- a write whose answer was lost: AmbiguousWriteError --------------------------------------
# A POST that reached the server and whose answer never arrived may have been carried
# out: it is not sent again, and the error says so (with the method, URL and operation),
# so the caller checks (lists instances by name) before trying again.

WRITE_NAMES = sorted(WRITES)


def _writer(write: Write, url: str, **options: Any) -> AsyncFluidstack | AsyncRegionClient:
    """A client of the write's API at `url`, with the test token SECRET."""
    options = {"retry_policy": FAST, **options}
    if write.api == "management":
        return AsyncFluidstack(SECRET, base_url=url, **options)
    return AsyncRegionClient(url, token=SECRET, project_id=PROJECT, **options)


def _assert_ambiguous(exc: BaseException, write: Write, url: str) -> None:
    """What an AmbiguousWriteError of `write` sent to `url` tells the person who catches
    it: where, what, that it may have happened, how to check; one safe line, no token."""
    assert isinstance(exc, AmbiguousWriteError)
    assert isinstance(exc, APIConnectionError)
    assert exc.method == "POST"
    assert exc.url == url + write.path
    assert exc.operation == write.operation
    text = str(exc)
    _assert_one_safe_line(text)
    assert text.startswith(f"POST {url}{write.path}: {write.operation} was sent")
    assert "may have been carried out" in text
    assert "not sent again" in text
    assert "check before retrying" in text
    assert "list what it would have made" in text
    assert exc.message in text
    assert exposed(exc) == []  # text, repr, traceback, pickles
    assert exc.__cause__ is None
    assert exc.__context__ is None  # httpx's exception (the request as sent) is not kept
    assert exc.request is not None
    assert exc.request.headers["Authorization"] == REDACTED


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("name", WRITE_NAMES)
async def test_a_write_answered_with_a_5xx_says_it_may_have_been_carried_out(
    name: str, status: int, server: ScriptedServer
) -> None:
    """Review of issue 21: a 502 or 504 is a gateway's answer, not the API's; the
    write behind it may have been done, and a plain InternalServerError invited a
    second create. The error stays what the status says; its text says so."""
    write = WRITES[name]
    server.default = Reply(status, {"message": "upstream trouble"})
    async with _writer(write, server.url) as client:
        with pytest.raises(InternalServerError) as info:
            await write.invoke(client)
    assert str(info.value).endswith(
        "upstream trouble (a write is not sent again: it may have been carried out before "
        "the server failed; check before retrying)"
    )
    assert [r.method for r in server.requests] == ["POST"]


async def test_a_read_answered_with_a_5xx_says_nothing_of_writes(server: ScriptedServer) -> None:
    server.default = Reply(502, {"message": "upstream trouble"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InternalServerError) as info:
            await fs.keys.list()
    assert str(info.value).endswith("upstream trouble")
    assert "write" not in str(info.value)


@pytest.mark.parametrize("name", [n for n in WRITE_NAMES if WRITES[n].body_read])
async def test_a_write_whose_2xx_answer_is_unreadable_says_it_was_carried_out(
    name: str, server: ScriptedServer
) -> None:
    """Review of issue 21: a create answered 201 with a body that is no instance was
    an APIResponseValidationError that did not say the instance exists."""
    write = WRITES[name]
    page = b"<html>maintenance</html>"
    server.default = Reply(write.status, body=page, content_type="text/html")
    async with _writer(write, server.url) as client:
        with pytest.raises(APIResponseValidationError) as info:
            await write.invoke(client)
    text = str(info.value)
    assert f"{write.status} with a body that does not match the spec" in text
    assert "; the write was carried out (its status says so), only its answer is unreadable;" in (
        text
    )
    assert [r.method for r in server.requests] == ["POST"]


@pytest.mark.parametrize("loss", sorted(BEFORE_THE_STATUS))
@pytest.mark.parametrize("name", WRITE_NAMES)
async def test_a_write_whose_answer_is_lost_is_an_ambiguous_write(
    name: str,
    loss: str,
    hostile: Callable[[Answer], HostileServer],
    unslept_waits: list[float],
) -> None:
    write = WRITES[name]
    server = hostile(BEFORE_THE_STATUS[loss])
    timed_out = loss == "read-timeout"
    # (A timeout only where one is the loss: a busy machine's slow server is not one.)
    async with _writer(write, server.url, timeout=0.2 if timed_out else 10) as client:
        with pytest.raises(APIConnectionError) as info:
            await write.invoke(client)
    exc = info.value
    assert type(exc) is (AmbiguousWriteTimeoutError if timed_out else AmbiguousWriteError)
    assert isinstance(exc, APITimeoutError) is timed_out
    _assert_ambiguous(exc, write, server.url)
    # Sent exactly once, never retried.
    assert [(r.method, r.path) for r in server.requests] == [("POST", write.path)]
    assert unslept_waits == []


@pytest.mark.parametrize("name", WRITE_NAMES)
async def test_a_write_whose_success_body_is_cut_is_ambiguous_only_if_the_body_is_read(
    name: str, hostile: Callable[[Answer], HostileServer], unslept_waits: list[float]
) -> None:
    """The status line arrived: a success without a documented body is done, whatever
    follows it; one whose body (the created instance) is cut off mid-way lost its answer."""
    write = WRITES[name]
    server = hostile(cut_body(write.status, write.success_body))
    async with _writer(write, server.url) as client:
        if write.body_read:
            with pytest.raises(AmbiguousWriteError) as info:
                await write.invoke(client)
            assert type(info.value) is AmbiguousWriteError
            _assert_ambiguous(info.value, write, server.url)
        else:
            assert await write.invoke(client) is None
    assert [(r.method, r.path) for r in server.requests] == [("POST", write.path)]
    assert unslept_waits == []


async def test_a_malformed_status_line_echoing_the_token_is_ambiguous_and_scrubbed(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    """What the parser choked on (the token, echoed) is quoted in httpx's error; the
    ambiguous write's message keeps the cause, scrubbed."""

    def garbled(conn: Conn) -> None:
        auth = conn.request.headers.get("authorization", "").encode()
        conn.send(b"HTTP/1.1 2x0 " + auth + b"\r\n\r\n")
        conn.close()

    write = WRITES["CreateInstance"]
    server = hostile(garbled)
    async with _writer(write, server.url) as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await write.invoke(client)
    _assert_ambiguous(info.value, write, server.url)
    assert "RemoteProtocolError" in info.value.message
    assert len(server.requests) == 1


@pytest.mark.parametrize(("status", "expected"), [(500, InternalServerError), (409, ConflictError)])
async def test_a_write_that_was_answered_is_never_ambiguous(
    status: int, expected: type[APIStatusError], server: ScriptedServer
) -> None:
    """A status line is an answer: the server said what it did."""
    server.default = Reply(status, {"message": "no"})
    async with _region(server.url) as east:
        with pytest.raises(APIStatusError) as info:
            await east.instances.create(name="gpu-0", type="h100-hgx-80gb.8x")
    assert type(info.value) is expected
    assert not isinstance(info.value, AmbiguousWriteError)
    assert len(server.requests) == 1


def test_ambiguous_writes_are_connection_errors_and_timeouts_where_a_timeout_lost_them() -> None:
    assert issubclass(AmbiguousWriteError, APIConnectionError)
    assert not issubclass(AmbiguousWriteError, APITimeoutError)
    assert issubclass(AmbiguousWriteTimeoutError, AmbiguousWriteError)
    assert issubclass(AmbiguousWriteTimeoutError, APITimeoutError)
    for name in ("AmbiguousWriteError", "AmbiguousWriteTimeoutError"):
        assert name in fluidstack_client.__all__
        assert name in fluidstack_client.errors.__all__
        assert getattr(fluidstack_client, name) is getattr(fluidstack_client.errors, name)


@pytest.mark.parametrize("loss", ["drop", "read-timeout"])
async def test_an_ambiguous_write_round_trips_through_pickle(
    loss: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    write = WRITES["CreateInvitation"]
    server = hostile(BEFORE_THE_STATUS[loss])
    async with _writer(write, server.url, timeout=0.2 if loss == "read-timeout" else 10) as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await write.invoke(client)
    copy = assert_round_trip(info.value)
    assert isinstance(copy, AmbiguousWriteError)
    assert (copy.method, copy.url, copy.operation) == (
        "POST",
        server.url + write.path,
        write.operation,
    )
    assert isinstance(copy, APITimeoutError) is (loss == "read-timeout")
    assert copy.request is not None
    assert copy.request.headers["Authorization"] == REDACTED


# -- the fake can lose an answer after acting on it -------------------------------------------


async def test_the_fake_losing_a_creates_answer_the_instance_exists_and_is_ambiguous() -> None:
    fake = FakeAPI(regions=["us-east-1"], instances=[], seconds_per_request=0)
    fake.lose_next_answer(route="CreateInstance")
    with FakeServer(fake):
        async with AsyncFluidstack(fake.token, base_url=fake.base_url, retry_policy=FAST) as fs:
            east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
            with pytest.raises(AmbiguousWriteError) as info:
                await east.instances.create(name="train-0", type="h100-80gb-sxm")
            (found,) = await east.instances.list()
    exc = info.value
    assert type(exc) is AmbiguousWriteError
    assert exc.operation == "create_instance"
    assert exc.url == fake.region_url("us-east-1") + "/instances"
    assert found.name == "train-0"
    assert [i["name"] for i in fake.region("us-east-1").instances] == ["train-0"]
    assert [r.operation for r in fake.requests].count("CreateInstance") == 1


async def test_the_fake_losing_a_management_writes_answer_is_ambiguous_too() -> None:
    fake = FakeAPI(keys=[])
    fake.lose_next_answer(route="RegisterKey")
    with FakeServer(fake):
        async with AsyncFluidstack(fake.token, base_url=fake.base_url, retry_policy=FAST) as fs:
            with pytest.raises(AmbiguousWriteError) as info:
                await fs.keys.register(name="laptop", key=samples.SSH_KEY["key"])
            keys = await fs.keys.list()
    assert info.value.operation == "register_key"
    assert [k.name for k in keys] == ["laptop"]
    assert [r.operation for r in fake.requests].count("RegisterKey") == 1


async def test_the_fake_losing_a_reads_answers_is_never_an_ambiguous_write() -> None:
    fake = FakeAPI(regions=["us-east-1"], instances=[])
    with FakeServer(fake):
        async with AsyncFluidstack(fake.token, base_url=fake.base_url, retry_policy=FAST) as fs:
            east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
            fake.lose_next_answer(route="ListInstances")
            assert await east.instances.list() == []  # lost once, retried
            fake.lose_next_answer(FAST.max_retries + 1, route="ListInstances")
            with pytest.raises(APIConnectionError) as info:
                await east.instances.list()
    assert type(info.value) is APIConnectionError


@pytest.mark.async_only
async def test_the_in_process_fake_losing_an_answer_is_an_ambiguous_write() -> None:
    fake = FakeAPI(regions=["us-east-1"], instances=[], seconds_per_request=0)
    fake.lose_next_answer(route="POST /instances/{id}/actions/stop", region="us-east-1")
    async with fake.async_region_client("us-east-1", retry_policy=FAST) as east:
        made = await east.instances.create(name="train-0", type="h100-80gb-sxm")
        fake.advance(600)
        with pytest.raises(AmbiguousWriteError) as info:
            await east.instances.stop(made.id)
        state = (await east.instances.get(made.id)).state
    assert info.value.operation == "stop_instance"
    assert state in ("stopping", "stopped")
    assert [r.operation for r in fake.requests].count("StopInstance") == 1


def test_the_in_process_fake_losing_an_answer_is_an_ambiguous_write_in_threads() -> None:
    fake = FakeAPI(regions=["us-east-1"], instances=[], seconds_per_request=0)
    fake.lose_next_answer(route="CreateInstance")
    with fake.region_client("us-east-1", retry_policy=FAST) as east:
        with pytest.raises(AmbiguousWriteError) as info:
            east.instances.create(name="train-0", type="h100-80gb-sxm")
        (found,) = east.instances.list()
    assert info.value.operation == "create_instance"
    assert found.name == "train-0"
    assert [r.operation for r in fake.requests].count("CreateInstance") == 1


@pytest.mark.parametrize(("status", "expected"), [(400, BadRequestError), (409, ConflictError)])
async def test_a_refused_write_whose_error_body_is_cut_is_not_ambiguous(
    status: int, expected: type[APIStatusError], hostile: Callable[[Answer], HostileServer]
) -> None:
    """The status line arrived and says the write was refused: that its message was
    cut off does not make it a write that "may have been carried out"."""
    body = b'{"message": "an instance named gpu-0 already exists in this project"}'
    server = hostile(cut_body(status, body))
    write = WRITES["CreateInstance"]
    async with _writer(write, server.url) as client:
        with pytest.raises(FluidstackError) as info:
            await write.invoke(client)
    assert not isinstance(info.value, AmbiguousWriteError), str(info.value)
    assert type(info.value) is expected
    assert len(server.requests) == 1


async def test_a_write_through_the_generated_client_is_ambiguous_too(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    server = hostile(BEFORE_THE_STATUS["drop"])
    async with AsyncFluidstack(SECRET, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AmbiguousWriteError) as info:
            await register_key.asyncio_detailed(
                client=fs.generated_client(),
                body=GeneratedSSHKey(name="laptop", key=samples.SSH_KEY["key"]),
            )
    _assert_ambiguous(info.value, WRITES["RegisterKey"], server.url)
    assert len(server.requests) == 1
