# Derived from tests/auth/test_secrets.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Secrets kept out of everything a person or a log sees: reprs, pickles, log records at
any level (ours, httpx's, httpcore's), exception text and tracebacks, and the error
bodies, headers, reason phrases and redirects a server echoes a token in, whatever the
escaping and wherever a length limit cuts. First the machinery (Secret, Sealed,
Redactor), then real servers on 127.0.0.1 echoing the token back."""

from __future__ import annotations

import json
import logging
import pickle
import threading
import traceback
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress

import httpx
import pytest
from support import samples
from support.auth_secrets import SECRET, exposed, leaks, pickles
from support.auth_tokens import (
    API_PATH,
    JSON,
    api_requests,
    bearer,
    creds_for,
    escaped,
    hostile_creds,
    token_endpoint,
    token_reply,
)
from support.client_region import (
    INSTANCE,
    INSTANCE_ID,
    PROJECT,
)
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer, refused_port
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientCredentials,
    ConflictError,
    Fluidstack,
    FluidstackError,
    InternalServerError,
    NotFoundError,
    RedirectError,
    RegionClient,
    RegionNotFoundError,
    RetryPolicy,
)
from fluidstack_client._body import MAX_ERROR_BODY
from fluidstack_client._generated.management.api.user import list_keys
from fluidstack_client._redact import REDACTED
from fluidstack_client.testing import FakeServer

ID = samples.INSTANCE_ID


def _ok(conn: Conn) -> None:
    conn.respond(200, b"[]", JSON)


@pytest.fixture(scope="module")
def _one_hostile_server() -> Iterator[HostileServer]:
    with HostileServer(_ok) as server:
        yield server


@pytest.fixture
def hostile(_one_hostile_server: HostileServer) -> Iterator[HostileServer]:
    """A raw-socket loopback server that writes whatever bytes the test's `answer`
    says (default: `200 []`). One per module (starting and stopping one per test would
    dominate the run time); each test starts with an empty record of requests."""
    _one_hostile_server.requests.clear()
    try:
        yield _one_hostile_server
    finally:
        _one_hostile_server.answer = _ok


def auth_of(conn: Conn) -> str:
    return conn.request.headers.get("authorization", "")


def token_of(conn: Conn) -> str:
    return auth_of(conn).removeprefix("Bearer ")


# -- the machinery: Secret, Sealed, Redactor ------------------------------------------------


ODD = 'sk/te"st key&<1>'
ODD_FORMS = [
    ODD,
    'sk/te\\"st key&<1>',  # JSON string
    'sk\\/te\\"st key&<1>',  # JSON string with escaped slashes
    "sk%2Fte%22st%20key%26%3C1%3E",  # URL-encoded, nothing safe
    "sk/te%22st%20key%26%3C1%3E",  # URL-encoded as a path
    "sk%2Fte%22st+key%26%3C1%3E",  # form-encoded
    "sk/te&quot;st key&amp;&lt;1&gt;",  # HTML
]


# -- reprs and pickles of the client --------------------------------------------------------


_LEAVES = (
    str,
    bytes,
    int,
    float,
    type(None),
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    threading.Lock().__class__,
)


def _reachable_reprs(root: object) -> list[str]:
    """repr() and str() of the object and everything reachable through its attributes."""
    seen: set[int] = set()
    out: list[str] = []
    stack: list[object] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _LEAVES):
            continue
        seen.add(id(obj))
        out += [repr(obj), str(obj)]
        if isinstance(obj, dict):
            stack += list(obj.keys()) + list(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack += list(obj)
        stack += list(getattr(obj, "__dict__", {}).values())
        for name in getattr(type(obj), "__slots__", ()):
            if name != "_value":  # the Secret's own storage: the one place the token lives
                stack.append(getattr(obj, name, None))
    return out


# -- the token in an exception --------------------------------------------------------------


def test_token_never_in_exceptions(server: ScriptedServer) -> None:
    server.default = Reply(401, {"message": f"invalid token {TOKEN}"})
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    exc = info.value
    assert exc.request is not None
    texts = [str(exc), repr(exc), exc.message, repr(exc.request), repr(exc.request.headers)]
    assert not [t for t in texts if TOKEN in t]
    assert "[REDACTED]" in exc.message


def test_a_cookie_the_server_set_with_the_token_is_scrubbed_from_the_request_kept(
    server: ScriptedServer,
) -> None:
    """Review of issue 21: only `Authorization` was redacted on the request an error or
    a raw response keeps; a cookie the server set to the token went back in clear."""
    server.queue(
        Reply(json=[], headers={"Set-Cookie": f"session={TOKEN}; Path=/"}),
        Reply(500, {"message": "x"}),
    )
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=RetryPolicy(max_retries=0)) as fs:
        fs.keys.list()
        with pytest.raises(InternalServerError) as info:
            fs.keys.list()
    assert server.requests[-1].headers["cookie"] == f"session={TOKEN}"  # sent, as set
    request = info.value.request
    assert request is not None
    assert request.headers["cookie"] == f"session={REDACTED}"
    assert request.headers["authorization"] == REDACTED
    assert TOKEN not in repr(request.headers.raw)


def test_token_in_a_status_message_is_scrubbed(server: ScriptedServer) -> None:
    server.default = Reply(403, {"message": f"token {TOKEN} is not allowed"})
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIStatusError) as info:
            fs.keys.list()
    assert info.value.message == f"token {REDACTED} is not allowed"
    assert TOKEN not in str(info.value)


def test_an_escaped_token_in_an_error_body_is_scrubbed_and_the_body_rewritten(
    server: ScriptedServer,
) -> None:
    server.default = Reply(400, body=f'{{"message": "bad {escaped(TOKEN)}", "n": 1}}'.encode())
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIStatusError) as info:
            fs.keys.list()
    scrubbed = {"message": f"bad {REDACTED}", "n": 1}
    assert info.value.body == scrubbed
    assert info.value.response.content == json.dumps(scrubbed).encode()
    assert info.value.message == f"bad {REDACTED}"


# Echoes hidden from a byte scrub by JSON encoding: only the parse reveals the token.
ECHOES = {
    "u-escapes": (401, f'{{"message": "bad token {escaped(SECRET)}"}}'.encode()),
    "utf-16": (401, json.dumps({"message": f"token {SECRET} is not allowed"}).encode("utf-16")),
}


@pytest.mark.parametrize("echo", list(ECHOES))
def test_token_echoed_in_json_encoded_form_is_scrubbed(echo: str, hostile: HostileServer) -> None:
    """Review finding a03: a `\\u`-escaped or UTF-16 echo reached the exception."""
    status, body = ECHOES[echo]
    assert SECRET.encode() not in body  # only the parse reveals it

    def answer(conn: Conn) -> None:
        conn.respond(status, body, JSON)

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url + API_PATH, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.instances.list()
    assert "[REDACTED]" in info.value.message  # the message is still shown, scrubbed
    assert exposed(info.value) == []


def test_an_escaped_echo_of_the_refused_token_is_scrubbed_when_no_new_one_comes(
    server: ScriptedServer,
) -> None:
    # The 401 quotes the token with its first letter \u-escaped: invisible to the byte
    # scrub, found once the body is parsed.
    refused = "at-first-0123456789"
    body = b'{"message": "token \\u0061' + refused[1:].encode() + b' expired"}'
    server.queue(
        token_reply(access_token=refused),
        Reply(401, body=body),
        Reply(400, {"error": "invalid_client"}),
    )
    credentials = ClientCredentials(
        "svc-id", "client-secret-0123", token_url=f"{server.url}/oauth/token"
    )
    with Fluidstack(credentials, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert refused not in str(info.value)
    assert info.value.message == f"token {REDACTED} expired"


def test_a_token_echoed_as_a_content_encoding_is_scrubbed(server: ScriptedServer) -> None:
    server.default = Reply(json=[], headers={"Content-Encoding": TOKEN})
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            fs.keys.list()
    assert info.value.message == (
        f"200 unsupported Content-Encoding ({REDACTED}); body starts: (empty)"
    )


def test_an_undocumented_success_keeps_no_echo_of_the_token(server: ScriptedServer) -> None:
    server.default = Reply(201, json=[], headers={"X-Echo": f"Bearer {TOKEN}"})
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            fs.keys.list()
    assert info.value.response.headers["X-Echo"] == f"Bearer {REDACTED}"
    assert TOKEN not in repr(info.value.response.headers)


def test_a_transport_error_does_not_show_a_token_in_the_path(server: ScriptedServer) -> None:
    server.default = Reply(drop=True)
    with Fluidstack(TOKEN, base_url=server.url, max_retries=0) as fs:
        with pytest.raises(APIConnectionError) as info:
            fs.keys.deregister(f"k-{TOKEN}")
    assert TOKEN not in str(info.value)
    assert str(info.value).startswith(f"DELETE {server.url}/user/keys/k-{REDACTED}: ")


def test_connection_error_chains_nothing_that_holds_the_token() -> None:
    """Review finding a13: a transport error's cause was httpx's exception, which holds
    the request as sent, Authorization header and all."""
    base_url = f"http://127.0.0.1:{refused_port()}{API_PATH}"
    with Fluidstack(SECRET, base_url=base_url, max_retries=0) as fs:
        with pytest.raises(APIConnectionError) as info:
            fs.keys.list()
    exc = info.value
    assert exc.__cause__ is None
    assert exc.__context__ is None
    # Everything reachable from it: the chain, and each link's request.
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        for attr in ("request", "_request"):
            with suppress(RuntimeError):  # httpx's .request raises if it has none
                request = getattr(link, attr, None)
                if isinstance(request, httpx.Request):
                    assert leaks(repr(request.headers.raw)) == []
        link = link.__cause__ or link.__context__
    assert exc.request is not None
    assert SECRET not in str(exc.request.headers)
    assert exposed(exc) == []


def test_region_name_that_is_the_escaped_token_is_scrubbed(hostile: HostileServer) -> None:
    """Review finding a03: a region named with the `\\u`-escaped token reached the
    RegionNotFoundError."""
    listed = f'[{{"name": "{escaped(SECRET)}", "url": "https://r.example"}}]'.encode()

    def answer(conn: Conn) -> None:
        conn.respond(200, listed, JSON)

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url + API_PATH, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            fs.region("nope")
    assert hostile.count("GET", f"{API_PATH}/regions") == 1
    assert "[REDACTED]" in str(info.value)
    assert exposed(info.value) == []
    assert not any(leaks(name) for name in info.value.known)


# -- an echo cut by a length limit ----------------------------------------------------------

# The snippet of a non-JSON body is cut at 200 characters, `Error.message` at 500.
# Each offset puts the echoed token at, across or just past a cut.
STRADDLE = {
    "text": range(160, 204),  # 400 text/plain -> snippet
    "2xx": range(160, 204),  # an undocumented 200 -> validation error with a snippet
    "json": range(460, 504),  # 400 {"message": ...} -> message
}


def _straddling(conn: Conn) -> None:
    style, _, offset = conn.request.path.rsplit("/", 1)[1].partition("-")
    text = "." * int(offset) + SECRET + "." * 600
    if style == "json":
        conn.respond(400, json.dumps({"message": text}).encode(), JSON)
    else:
        conn.respond(200 if style == "2xx" else 400, text.encode(), {"Content-Type": "text/plain"})


def straddle_errors(style: str, hostile: HostileServer) -> list[FluidstackError]:
    """The error of one call per offset in STRADDLE[style] (the call's key name says
    where the server puts the token)."""
    hostile.answer = _straddling
    errors: list[FluidstackError] = []
    with Fluidstack(SECRET, base_url=hostile.url, max_retries=0) as fs:
        for offset in STRADDLE[style]:
            with pytest.raises(FluidstackError) as info:
                fs.keys.deregister(f"{style}-{offset}")
            errors.append(info.value)
    assert hostile.count() == len(STRADDLE[style])
    return errors


@pytest.mark.parametrize("style", sorted(STRADDLE))
def test_echoed_token_is_scrubbed_before_the_text_is_cut(
    style: str, hostile: HostileServer
) -> None:
    expected = APIResponseValidationError if style == "2xx" else BadRequestError
    cut = 500 if style == "json" else 200
    errors = straddle_errors(style, hostile)
    for offset, exc in zip(STRADDLE[style], errors, strict=True):
        assert type(exc) is expected
        assert isinstance(exc, APIResponseValidationError | BadRequestError)
        for text in (str(exc), repr(exc), exc.message, exc.response.text):
            assert leaks(text) == [], f"offset {offset}: {leaks(text)} in {text[-80:]!r}"
        if offset + len("[REDACTED]") <= cut:
            assert "[REDACTED]" in str(exc)


@pytest.mark.parametrize("style", ["text", "2xx", "json"])
def test_pickled_error_holds_no_part_of_an_echoed_token(style: str, hostile: HostileServer) -> None:
    errors = straddle_errors(style, hostile)
    for offset, exc in zip(STRADDLE[style], errors, strict=True):
        for data in pickles(exc):
            assert leaks(data) == [], f"offset {offset}: {leaks(data)} in the pickle"


def test_whitespace_padding_does_not_bring_a_cut_token_into_the_snippet(
    hostile: HostileServer,
) -> None:
    # Blank padding collapses to nothing in the snippet, so a token that a byte cut
    # halves would be the first thing shown. The cut could be anywhere: try several.
    ends = [400, 800, 1600, 3200, 6400]

    def answer(conn: Conn) -> None:
        end = int(conn.request.path.rsplit("-", 1)[1])
        body = " " * (end - 16) + SECRET + " rejected"
        conn.respond(400, body.encode(), {"Content-Type": "text/plain"})

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url, max_retries=0) as fs:
        for end in ends:
            with pytest.raises(BadRequestError) as info:
                fs.keys.deregister(f"pad-{end}")
            assert leaks(str(info.value)) == [], f"cut at byte {end}: {str(info.value)[-60:]!r}"


@pytest.mark.parametrize("kept", [8, 16, 31])
def test_token_straddling_the_error_body_cap_is_not_kept(kept: int, hostile: HostileServer) -> None:
    def answer(conn: Conn) -> None:
        body = "." * (MAX_ERROR_BODY - kept) + SECRET + "." * 100
        conn.respond(400, body.encode(), {"Content-Type": "text/plain"})

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url, max_retries=0) as fs:
        with pytest.raises(BadRequestError) as info:
            fs.keys.deregister("k")
    exc = info.value
    assert len(exc.response.content) == MAX_ERROR_BODY
    assert leaks(exc.response.content) == []
    for data in pickles(exc):
        assert leaks(data) == []


def test_token_in_a_long_location_is_scrubbed_before_the_cut(
    hostile: HostileServer,
) -> None:
    def answer(conn: Conn) -> None:
        location = "https://sso.example.com/" + "a" * 260 + token_of(conn)
        conn.respond(302, b"", {"Location": location})

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            fs.keys.register(name="n", key="k")
    assert leaks(str(info.value)) == [], str(info.value)[-120:]


def test_token_echoed_into_a_redirect_path_is_not_in_the_error(
    hostile: HostileServer,
) -> None:
    def answer(conn: Conn) -> None:
        if conn.request.path.startswith("/api/v1alpha1/instances/"):
            conn.respond(302, b"", {"Location": f"/session/{token_of(conn)}/instance"})
        else:
            conn.respond(404, b"no such session")

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=f"{hostile.url}/api/v1alpha1", retry_policy=FAST) as fs:
        with pytest.raises(NotFoundError) as info:
            fs.instances.get(ID)
    assert leaks(str(info.value)) == [], str(info.value)
    for data in pickles(info.value):
        assert leaks(data) == []


# -- an echo of the Authorization header, in any escaping -----------------------------------


def assert_round_trip(exc: FluidstackError) -> FluidstackError:
    """`exc` survives pickle with everything a user relies on, and no token."""
    for data in pickles(exc):
        assert leaks(data) == [], "the pickled exception holds part of the token"
        copy = pickle.loads(data)
        assert type(copy) is type(exc)
        assert str(copy) == str(exc)
        assert copy.args == exc.args
        if isinstance(exc, APIError):
            assert isinstance(copy, APIError)
            assert copy.message == exc.message
            if exc.request is not None:
                assert copy.request is not None
                assert copy.request.method == exc.request.method
                assert copy.request.url == exc.request.url
                assert copy.request.headers.get("Authorization") in (None, "[REDACTED]")
        if isinstance(exc, APIStatusError | APIResponseValidationError):
            assert isinstance(copy, APIStatusError | APIResponseValidationError)
            assert copy.status_code == exc.status_code
            assert copy.response.status_code == exc.response.status_code
            assert copy.response.content == exc.response.content
            assert copy.response.headers == exc.response.headers
        if isinstance(exc, APIStatusError):
            assert isinstance(copy, APIStatusError)
            assert copy.body == exc.body
    copy = pickle.loads(pickle.dumps(exc))
    assert isinstance(copy, FluidstackError)
    return copy


def _echo_auth(body_kind: str) -> Callable[[Conn], None]:
    def answer(conn: Conn) -> None:
        auth = auth_of(conn)
        echo = {"X-Echo": auth}
        if conn.request.path.startswith("/instances/"):
            # A 200 whose body is not an Instance: a validation error.
            conn.respond(200, f"you sent Authorization: {auth}".encode(), echo)
        elif body_kind == "json":
            body = json.dumps({"message": "rejected", "you_sent": auth}).encode()
            conn.respond(401, body, {**echo, **JSON})
        else:
            conn.respond(401, f"rejected Authorization: {auth}".encode(), echo)

    return answer


@pytest.mark.parametrize("body_kind", ["text", "json"])
def test_echoed_authorization_is_redacted_and_errors_round_trip(
    body_kind: str, hostile: HostileServer
) -> None:
    hostile.answer = _echo_auth(body_kind)
    with Fluidstack(SECRET, base_url=hostile.url, max_retries=0) as fs:
        with pytest.raises(AuthenticationError) as refused:
            fs.keys.list()
        with pytest.raises(APIResponseValidationError) as invalid:
            fs.instances.get(ID)
    # The server did get the token, in the header, both times.
    assert [r.headers["authorization"] for r in hostile.requests] == [f"Bearer {SECRET}"] * 2
    status = refused.value
    assert type(status) is AuthenticationError
    assert type(invalid.value) is APIResponseValidationError
    for exc in (status, invalid.value):
        assert exc.request is not None
        assert exc.request.headers["Authorization"] == "[REDACTED]"
        assert exc.response.request.headers["Authorization"] == "[REDACTED]"
        assert exc.response.headers["X-Echo"] == "Bearer [REDACTED]"
        assert leaks(exc.response.content) == []
        assert b"[REDACTED]" in exc.response.content
        body = repr(status.body) if exc is status else ""
        for text in (str(exc), repr(exc), exc.message, body):
            assert leaks(text) == []
        copy = assert_round_trip(exc)
        assert isinstance(copy, APIError)
        assert copy.request is not None
        assert copy.request.method == "GET"
        assert copy.request.headers["Authorization"] == "[REDACTED]"
    copy = pickle.loads(pickle.dumps(status))
    assert isinstance(copy, AuthenticationError)
    assert copy.status_code == 401
    assert copy.response.status_code == 401
    assert copy.request is not None
    assert str(copy.request.url) == f"{hostile.url}/user/keys"
    assert str(copy).startswith(f"GET {hostile.url}/user/keys: 401 ")


# A base64 token (with "/" and "+"), echoed the way PHP's json_encode writes "/".
SLASHED = "sk-Q7wE9rT2/U4iO6pA8+D0fG3hJ5kL1"


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(lambda t: json.dumps({"message": "no", "t": t}), id="json"),
        pytest.param(lambda t: f"no: {httpx.QueryParams({'t': t})}", id="form-encoded"),
        pytest.param(
            lambda t: '{"message": "no", "t": "' + t.replace("/", "\\/") + '"}',
            id="json-escaped-slash",
        ),
    ],
)
def test_echo_in_the_error_body_is_scrubbed_from_the_response(
    echo: Callable[[str], str], hostile: HostileServer
) -> None:
    def answer(conn: Conn) -> None:
        conn.respond(403, echo(token_of(conn)).encode())

    hostile.answer = answer
    with Fluidstack(SLASHED, base_url=hostile.url, max_retries=0) as fs:
        with pytest.raises(APIStatusError) as info:
            fs.keys.deregister("k")
    assert info.value.status_code == 403
    assert leaks(str(info.value), SLASHED) == []
    assert leaks(info.value.response.content, SLASHED) == []


def test_logged_traceback_of_a_bad_body_holds_no_token(hostile: HostileServer) -> None:
    def answer(conn: Conn) -> None:
        body = json.dumps({**samples.INSTANCE, "updated_at": auth_of(conn)}).encode()
        conn.respond(200, body, JSON)

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url, max_retries=0) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            fs.instances.get(ID)
    assert leaks(str(info.value)) == []
    logged = "".join(traceback.format_exception(info.value))
    assert leaks(logged) == []


# -- what echoes nothing is kept as it came -------------------------------------------------


def test_a_header_holding_part_of_the_token_is_not_an_echo(server: ScriptedServer) -> None:
    token = "XXsk-abcdefgh-0123"
    # (two of them: whatever the order of the headers, one follows another)
    server.default = Reply(json=[], headers={"X-Echo": token[2:], "X-Echo-Too": token[2:]})
    with Fluidstack(token, base_url=server.url, retry_policy=FAST) as fs:
        response = list_keys.sync_detailed(client=fs.generated_client())
    assert response.headers["x-echo"] == token[2:]
    assert response.headers["content-length"] == "2"


def test_a_response_that_echoes_nothing_is_kept_as_the_server_sent_it(
    hostile: HostileServer,
) -> None:
    # The token ends in "XX" and a header ends where the token's "XX" would start:
    # nothing is echoed, so the response (its header names' spelling included) is
    # handed on as it came.
    token = "tok-value-0123XX"

    def answer(conn: Conn) -> None:
        conn.respond(200, b"[]", {"X-Note": "tok-value-0123", **JSON})

    hostile.answer = answer
    with Fluidstack(token, base_url=hostile.url, retry_policy=FAST) as fs:
        response = list_keys.sync_detailed(client=fs.generated_client())
    assert isinstance(response.headers, httpx.Headers)
    assert (b"X-Note", b"tok-value-0123") in response.headers.raw


# -- logs -----------------------------------------------------------------------------------


def test_token_never_in_logs_at_any_level(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(500, {"message": "x"}), Reply(json=[]))
    server.default = Reply(404, {"message": TOKEN})
    with caplog.at_level(logging.DEBUG):
        with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            fs.keys.list()
            with pytest.raises(NotFoundError):
                fs.keys.deregister("x")
    assert caplog.records  # httpx/httpcore debug logging did happen
    assert TOKEN not in caplog.text


def log_echo(case: str) -> Callable[[Conn], None]:
    """A server echoing the token where httpx and httpcore log: a header, the reason
    phrase, a redirect's query, an error's reason phrase (kept on exc.response)."""

    def answer(conn: Conn) -> None:
        if case == "header":
            conn.respond(200, b"[]", {**JSON, "X-Echo": f"Bearer {SECRET}"})
        elif case == "reason":
            conn.respond(200, b"[]", JSON, reason=f"OK {SECRET}")
        elif case == "redirect" and "access_token" not in conn.request.path:
            location = f"{API_PATH}/instances?access_token={SECRET}"
            conn.respond(302, b"", {"Location": location})
        elif case == "redirect":
            conn.respond(200, b"[]", JSON)
        else:
            conn.respond(401, b"", reason=f"Unauthorized {SECRET}")

    return answer


@pytest.mark.parametrize("case", ["header", "reason", "redirect", "error-reason"])
def test_token_echoed_by_the_server_stays_out_of_debug_logs(
    case: str, hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Review finding a04: with DEBUG logging on, httpx and httpcore logged the token a
    server echoed; the reason phrase kept on an error held it."""
    hostile.answer = log_echo(case)
    with caplog.at_level(logging.DEBUG):
        with Fluidstack(SECRET, base_url=hostile.url + API_PATH, retry_policy=FAST) as fs:
            if case == "error-reason":
                with pytest.raises(AuthenticationError) as info:
                    fs.instances.list()
                assert leaks(info.value.response.reason_phrase) == []
                assert exposed(info.value) == []
            else:
                assert fs.instances.list() == []
    if case == "redirect":
        assert hostile.count("GET", f"{API_PATH}/instances?access_token={SECRET}") == 1
    # httpcore's DEBUG records (response headers, reason phrase) and httpx's INFO ones
    # (URL and reason phrase) were there to leak it.
    names = {record.name for record in caplog.records}
    assert "httpx" in names
    assert any(name.startswith("httpcore.") for name in names)
    leaked = [r.getMessage() for r in caplog.records if leaks(r.getMessage())]
    assert leaked == []


def test_neither_secret_nor_issued_token_in_logs_or_reprs(
    served_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = served_fake.fake
    creds = creds_for(fake)
    reprs: list[str] = []
    with caplog.at_level(logging.DEBUG):
        with Fluidstack(creds, base_url=served_fake.base_url, retry_policy=FAST) as fs:
            fs.keys.list()
            fake.revoke_tokens()
            fs.keys.list()  # a 401 and a refresh, both logged
            reprs.extend([repr(fs), repr(creds), repr(vars(creds)), str(vars(creds))])
    issued = {bearer(r) for r in api_requests(fake)}
    assert len(issued) == 2
    assert "new token from ClientCredentials(" in caplog.text
    assert "401 for GET /api/v1alpha1/user/keys" in caplog.text
    for secret in [fake.client_secret, *issued]:
        assert secret not in caplog.text
        assert not [t for t in reprs if secret in t]


@pytest.mark.parametrize("status", [401, 200])
def test_client_secret_echoed_by_the_token_endpoint_stays_out_of_debug_logs(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Review finding b02: the client secret a token endpoint echoed in a header or a
    reason phrase reached httpx's and httpcore's log lines until a first token had been
    issued."""
    # A secret of this test's own: no token issued by another test scrubs it already.
    secret = f"cs-LOG-{uuid.uuid4().hex}"
    granted = json.dumps({"access_token": "tok-0123456789abcdef", "expires_in": 3600}).encode()

    def answer(conn: Conn) -> None:
        if status == 401:  # the very first call fails: no token was ever issued
            body = b'{"error":"access_denied"}'
            conn.respond(401, body, {**JSON, "X-Echo": secret}, reason=f"Denied {secret}")
        else:
            conn.respond(200, granted, {**JSON, "X-Echo": secret}, reason=f"Fine {secret}")

    caplog.set_level(logging.DEBUG)
    with token_endpoint(answer) as srv:
        provider = hostile_creds(srv, secret)
        with Fluidstack(provider, base_url=srv.url + API_PATH) as fs:
            if status == 401:
                with pytest.raises(APIStatusError):
                    fs.organizations.list()
            else:
                assert fs.organizations.list() == []
    messages = [record.getMessage() for record in caplog.records]
    assert [m for m in messages if secret in m] == []
    # The echoing answer was logged (reason phrase and headers), scrubbed.
    reason = "Denied" if status == 401 else "Fine"
    assert any(reason in m and "[REDACTED]" in m for m in messages), messages
    assert any("X-Echo" in m for m in messages), messages


def test_a_region_fetch_log_line_is_scrubbed(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(
        body=f'[{{"name": "r-{escaped(TOKEN)}", "url": "{server.url}"}}]'.encode()
    )
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(TOKEN, base_url=f"{server.url}/api", retry_policy=FAST) as fs:
            fs.region("r-[REDACTED]")
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == f"fetched 1 regions from {server.url}/api/regions: r-[REDACTED]"


def test_a_token_in_the_base_url_is_scrubbed_from_the_region_log_line(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[{"name": "r1", "url": server.url}])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(TOKEN, base_url=f"{server.url}/{TOKEN}", retry_policy=FAST) as fs:
            fs.region("r1")
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == f"fetched 1 regions from {server.url}/[REDACTED]/regions: r1"


# -- a region client ----------------------------------------------------------------------------


def test_a_region_client_from_region_shows_no_token(server: ScriptedServer) -> None:
    server.default = Reply(json=[{"name": "r1", "url": server.url}])
    with Fluidstack(SECRET, base_url=server.url, retry_policy=FAST) as fs:
        east = fs.region("r1", project_id=PROJECT)
        texts = _reachable_reprs(east) + _reachable_reprs(east.with_options(project_id=None))
    assert texts
    assert [t for t in texts if leaks(t)] == []


def _echo_in_a_region(conn: Conn) -> None:
    """A region that quotes the request's Authorization back in every answer: a 400 to
    a create, a 409 to a start, a 404 to a get, a 500 to a delete, and an instance
    without its `state` to a list."""
    auth = auth_of(conn)
    method, path = conn.request.method, conn.request.path
    if method == "GET" and path.endswith("/instances"):
        broken = {k: v for k, v in INSTANCE.items() if k != "state"} | {"name": auth}
        conn.respond(200, json.dumps([broken]).encode(), JSON)
        return
    status = {"POST": 409 if "/actions/" in path else 400, "GET": 404, "DELETE": 500}[method]
    body = json.dumps({"message": f"refused {auth}", "you_sent": auth}).encode()
    conn.respond(status, body, {**JSON, "X-Echo": auth})


def test_the_token_is_scrubbed_from_regional_error_bodies(hostile: HostileServer) -> None:
    hostile.answer = _echo_in_a_region
    errors: list[APIError] = []
    with RegionClient(hostile.url, token=SECRET, project_id=PROJECT, max_retries=0) as east:
        calls: list[tuple[Callable[[], object], type[APIError]]] = [
            (lambda: east.instances.create(name="gpu-0", type="h100"), BadRequestError),
            (lambda: east.instances.start(INSTANCE_ID), ConflictError),
            (lambda: east.instances.get(INSTANCE_ID), NotFoundError),
            (lambda: east.filesystems.delete(INSTANCE_ID), APIStatusError),
            (lambda: east.instances.list(), APIResponseValidationError),
        ]
        for call, error in calls:
            with pytest.raises(error) as info:
                call()
            errors.append(info.value)
    # The server did get the token, in the header, every time.
    assert [r.headers["authorization"] for r in hostile.requests] == [f"Bearer {SECRET}"] * 5
    for exc in errors:
        assert exposed(exc) == [], (type(exc).__name__, exposed(exc))
        assert exc.request is not None
        assert exc.request.headers["Authorization"] == REDACTED
    refused = errors[0]
    assert isinstance(refused, BadRequestError)
    assert refused.message == f"refused Bearer {REDACTED}"
    assert refused.body == {
        "message": f"refused Bearer {REDACTED}",
        "you_sent": f"Bearer {REDACTED}",
    }
    assert refused.response.headers["X-Echo"] == f"Bearer {REDACTED}"


# A success body hiding the token from the byte scrub the same ways.
HIDDEN_IN_A_SUCCESS = {
    "u-escaped field": lambda secret: (
        json.dumps({**samples.INSTANCE, "name": secret}).replace(secret, escaped(secret)).encode()
    ),
    "utf-16 body": lambda secret: json.dumps({**samples.INSTANCE, "name": secret}).encode("utf-16"),
}


@pytest.mark.parametrize("hiding", list(HIDDEN_IN_A_SUCCESS))
def test_a_token_hidden_by_json_in_a_success_body_never_reaches_the_model(
    hiding: str, hostile: HostileServer
) -> None:
    """Review of issue 23 (present before it): a `\\u`-escaped or UTF-16 echo in a 200
    passed the byte scrub, and the returned model held the token."""
    body = HIDDEN_IN_A_SUCCESS[hiding](SECRET)
    assert SECRET.encode() not in body  # only the parse reveals it

    def answer(conn: Conn) -> None:
        conn.respond(200, body, JSON)

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url + API_PATH, retry_policy=FAST) as fs:
        instance = fs.instances.get(samples.INSTANCE_ID)
    assert instance.name == REDACTED
    assert str(instance.id) == samples.INSTANCE_ID  # the rest as sent
    assert SECRET not in repr(instance)


def test_a_token_hidden_by_json_in_an_invalid_success_is_not_in_the_error(
    hostile: HostileServer,
) -> None:
    """The same echo in a field that fails validation: the error quotes the field."""
    body = json.dumps({**samples.INSTANCE, "id": SECRET}).replace(SECRET, escaped(SECRET))

    def answer(conn: Conn) -> None:
        conn.respond(200, body.encode(), JSON)

    hostile.answer = answer
    with Fluidstack(SECRET, base_url=hostile.url + API_PATH, retry_policy=FAST) as fs:
        with pytest.raises(APIResponseValidationError) as info:
            fs.instances.get(samples.INSTANCE_ID)
    assert exposed(info.value) == []
    assert REDACTED in str(info.value)
