"""The fake's arguments and its loopback server: misusing the fake fails where the
mistake is made, with `FakeUsageError` (a ValueError) saying what was expected (never
silently, never later from deep inside); the URLs it advertises; and the HTTP server
itself (chunked bodies, bad lengths, a client that hung up)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from fluidstack_client import Fluidstack
from fluidstack_client.testing import FakeAPI, FakeServer, FakeUsageError, serve
from fluidstack_client.testing._fake import RECORDED_HEADERS, RECORDED_PATH
from fluidstack_client.testing._seed import PROJECT_B
from fluidstack_client.testing._server import MAX_CHUNKS, advertised_origin

# -- usage mistakes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda f: f.fail_next(route="ListInstance"),
            "route 'ListInstance' is not an operation of the spec (did you mean 'ListInstances'?",
        ),
        (
            lambda f: f.drop_next(route="GET /instance"),
            "(did you mean 'GET /instances'?",
        ),
        (lambda f: f.add_latency(1, route="nope"), "give an operationId such as 'ListInstances'"),
        (lambda f: f.fail_next(status=200), "must be an HTTP status from 300 to 599, got 200"),
        (lambda f: f.fail_next(status="500"), "got '500'"),
        (lambda f: f.fail_next(0), "count must be a whole number of requests >= 1, got 0"),
        (lambda f: f.drop_next(1.5), "got 1.5"),
        (lambda f: f.fail_next(retry_after=-1), "retry_after=...) must be a finite number"),
        (lambda f: f.add_latency(float("nan")), "add_latency(seconds) must be a finite number"),
        (lambda f: f.with_origin("ftp://fake"), "must be an absolute http(s) URL"),
    ],
)
def test_faults_and_origins_are_checked_when_given(
    call: Callable[[FakeAPI], object], expected: str
) -> None:
    fake = FakeAPI()
    with pytest.raises(FakeUsageError) as raised:
        call(fake)
    assert expected in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_fault_on_the_token_endpoint_is_a_route_too() -> None:
    fake = FakeAPI()
    fake.fail_next(1, status=503, route="OAuthToken")
    with fake.client() as fs:
        response = fs._shared.http.post(fake.token_url, data={"grant_type": "client_credentials"})
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"token": ""}, "FakeAPI(token=...) must be a non-empty string"),
        ({"token": "has space"}, "without spaces or control characters (got str)"),
        ({"client_secret": None}, "FakeAPI(client_secret=...) must be a non-empty string"),
        ({"token_lifetime": 0}, "token_lifetime must be a finite number greater than 0"),
        ({"token_lifetime": True}, "got True"),
        ({"origin": "not a url"}, "must be an absolute http(s) URL"),
        ({"origin": "http://user:pw@fake"}, "must not contain credentials"),
        ({"origin": "http://fake/?x=1"}, "must have no query or fragment"),
    ],
)
def test_constructor_arguments_are_checked(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(FakeUsageError) as raised:
        FakeAPI(**options)
    assert expected in str(raised.value)
    assert "has space" not in str(raised.value)  # a token is never shown


def test_recorded_json_of_a_body_that_is_not_json() -> None:
    fake = FakeAPI()
    with fake.client() as fs:
        fs._shared.http.post(fake.token_url, data={"grant_type": "client_credentials"})
        fs.keys.register(name="k", key="ssh-ed25519 AAAA")
    form, registered = fake.requests
    with pytest.raises(FakeUsageError) as raised:
        form.json()
    assert str(raised.value) == (
        "the body of POST /oauth/token is not JSON (application/x-www-form-urlencoded, "
        "29 bytes); read .body for the raw bytes"
    )
    assert registered.json() == {"name": "k", "key": "ssh-ed25519 AAAA"}


# -- public URLs ---------------------------------------------------------------------------


def test_public_url_is_what_the_fake_advertises() -> None:
    fake = FakeAPI()
    fake.with_origin("https://fake.example:8443/prefix/api/v1alpha1/")
    assert fake.base_url == "https://fake.example:8443/prefix/api/v1alpha1"
    assert fake.region_url("us-east-1") == (
        "https://fake.example:8443/prefix/regional/us-east-1/api/v1alpha1"
    )
    assert fake.token_url == "https://fake.example:8443/prefix/oauth/token"


@pytest.mark.parametrize("public_url", ["http://0.0.0.0:8080", "http://[::]:8080"])
def test_every_interface_is_no_public_url(public_url: str) -> None:
    with pytest.raises(FakeUsageError, match="means 'every interface' to a server"):
        FakeServer(public_url=public_url)


def test_a_server_on_every_interface_advertises_loopback() -> None:
    # Decided without binding anything but loopback (the tests serve on 127.0.0.1 only).
    assert advertised_origin("http://0.0.0.0:8080", "0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert advertised_origin("http://[::]:8080", "::", 8080) == "http://[::1]:8080"
    assert advertised_origin("http://127.0.0.1:9", "127.0.0.1", 9) == "http://127.0.0.1:9"


def test_port_is_checked_before_binding() -> None:
    with pytest.raises(FakeUsageError, match="port must be a whole number from 0 to 65535"):
        FakeServer(port=70000)


def test_serve_with_a_public_url_works_end_to_end() -> None:
    with socket.socket() as probe:  # a port that is free now, for the fake to take
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    public = f"http://localhost:{port}"
    with serve(FakeAPI(token="t"), port=port, public_url=public) as server:
        assert server.base_url == f"{public}/api/v1alpha1"
        assert server.listening_origin == f"http://127.0.0.1:{port}"
        with Fluidstack("t", base_url=server.base_url) as fs:
            assert [r.url for r in fs.regions.list()] == [
                f"{public}/regional/us-east-1/api/v1alpha1",
                f"{public}/regional/eu-west-1/api/v1alpha1",
            ]
            west = fs.region("eu-west-1", project_id=PROJECT_B)
            assert str(west.base_url) == f"{public}/regional/eu-west-1/api/v1alpha1"
            assert len(west.instances.list()) == 1
        assert {r.region for r in server.fake.requests} == {None, "eu-west-1"}


# -- the HTTP server -------------------------------------------------------------------------


def _raw(server: FakeServer, request: bytes) -> bytes:
    """What the server answers to `request`, sent as bytes on a connection of its own
    (a server that answers before it has read it all may cut the sending short)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        try:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # answered and closed before the end: read the answer
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_the_server_reads_chunked_bodies_and_refuses_a_bad_length() -> None:
    with serve(FakeAPI(token="t")) as server:
        body = b'{"name": "chunked", "key": "ssh-ed25519 AAAA"}'
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        answer = _raw(
            server,
            b"POST /api/v1alpha1/user/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n" + chunked,
        )
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert server.fake.keys[-1] == {"name": "chunked", "key": "ssh-ed25519 AAAA"}
        answer = _raw(
            server,
            b"POST /api/v1alpha1/user/keys HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 400 ")


def test_a_client_that_hung_up_is_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    with serve(FakeAPI()) as server:
        httpd = server._server._httpd
        for error in (BrokenPipeError(32, "Broken pipe"), RuntimeError("a real bug")):
            try:
                raise error
            except Exception:
                httpd.handle_error(None, ("127.0.0.1", 1))
    err = capfd.readouterr().err
    assert "RuntimeError: a real bug" in err  # a real error still shows
    assert "Broken pipe" not in err


# -- a server many jobs share (issue 22) ------------------------------------------------------


def _split(answer: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """The status line, headers (lower-case names) and body of one raw answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status.encode(), headers, body


def test_a_head_request_gets_headers_only_and_the_connection_stays_in_step() -> None:
    """A body after a HEAD's headers would be read as the next answer on a kept-alive
    connection."""
    auth = b"Host: x\r\nAuthorization: Bearer t\r\n"
    with serve(FakeAPI(token="t")) as server:
        answer = _raw(
            server,
            b"HEAD /api/v1alpha1/regions HTTP/1.1\r\n" + auth + b"\r\n"
            b"GET /api/v1alpha1/regions HTTP/1.1\r\n" + auth + b"Connection: close\r\n\r\n",
        )
        names = server.fake.region_names
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ")
    assert rest.startswith(b"HTTP/1.1 200 ")  # the GET's answer, right after the headers
    assert [r["name"] for r in json.loads(_split(rest)[2])] == names


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (b"NONSENSE\r\n\r\n", 400, "Bad request syntax ('NONSENSE')"),
        (
            b"POST /api/v1alpha1/user/keys HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            400,
            "unreadable body framing (Content-Length)",
        ),
        (
            b"POST /api/v1alpha1/user/keys HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 9999999999\r\n\r\n",
            413,
            "request body over 8,388,608 bytes",
        ),
        (
            b"GET /api/v1alpha1/regions HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(70))
            + b"\r\n",
            431,
            "request headers over 65,536 bytes (70,",
        ),
        (
            b"POST /api/v1alpha1/user/keys HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\nzz\r\n",
            400,
            "unreadable body framing (chunked)",
        ),
    ],
    ids=["request line", "Content-Length", "too large", "headers", "chunk size"],
)
def test_what_the_server_refuses_itself_is_the_apis_error_json(
    request_bytes: bytes, status: int, message: str
) -> None:
    with serve(FakeAPI()) as server:
        status_line, headers, body = _split(_raw(server, request_bytes))
    assert status_line.startswith(f"HTTP/1.1 {status} ".encode())
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert json.loads(body)["message"].startswith(message)
    assert int(headers["content-length"]) == len(body)


def _chunked_post(chunks: int) -> bytes:
    return (
        b"POST /api/v1alpha1/user/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"1\r\n \r\n" * chunks
        + b"0\r\n\r\n"
    )


def test_a_body_in_many_tiny_chunks_is_read_in_linear_time_up_to_the_cap() -> None:
    """40,000 one-byte chunks took 14-17 s of CPU (the size was summed again for each)."""
    with serve(FakeAPI(token="t")) as server:
        started = time.process_time()
        accepted = _raw(server, _chunked_post(MAX_CHUNKS))
        refused = _raw(server, _chunked_post(4 * MAX_CHUNKS))
        cpu = time.process_time() - started
    assert accepted.startswith(b"HTTP/1.1 400 ")  # read whole: the fake's own answer
    assert b"request body" not in accepted
    status, _, body = _split(refused)
    assert status.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body) == {"message": f"request body in over {MAX_CHUNKS:,} chunks"}
    assert cpu < 2.0


def test_the_request_log_keeps_the_newest_and_bodies_cut() -> None:
    """Ten 30 MB unauthenticated POSTs added 300 MB to a shared fake's memory."""
    fake = FakeAPI(token="t", max_recorded_requests=100, max_recorded_body=64)
    with serve(fake) as server, Fluidstack("t", base_url=server.base_url) as fs:
        for _ in range(250):
            fs.regions.list()
        big = b'{"name": "k", "key": "' + b"A" * 100_000 + b'"}'
        fs._shared.http.post(f"{server.base_url}/user/keys", content=big)  # no token: 401
        fs.keys.register(name="k", key="ssh-ed25519 " + "A" * 1000)
        answer = fs._shared.http.get(f"{server.base_url}/regions", headers={"x": "1"})
    assert 90 <= len(fake.requests) <= 100
    assert fake.requests[-1].path == "/api/v1alpha1/regions"
    refused, registered = fake.requests[-3], fake.requests[-2]
    assert refused.body == big[:64]  # (min of max_recorded_body and 1 KiB)
    assert len(registered.body) == 64
    assert answer.headers["x-request-id"] == "req-000253"  # counts on past the log


def test_a_refused_requests_body_is_kept_to_a_kibibyte() -> None:
    fake = FakeAPI(token="t")
    with serve(fake) as server, Fluidstack("t", base_url=server.base_url) as fs:
        fs._shared.http.post(f"{server.base_url}/user/keys", content=b"x" * 100_000)
    assert fake.requests[-1].body == b"x" * 1024


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"max_recorded_requests": 0}, "max_recorded_requests must be a whole number >= 1, got 0"),
        ({"max_recorded_body": -1}, "max_recorded_body must be a whole number >= 0, got -1"),
        ({"max_recorded_body": 1.5}, "got 1.5"),
    ],
)
def test_the_request_log_limits_are_checked(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(FakeUsageError, match=re.escape(expected)):
        FakeAPI(**options)


# -- framing, timeouts and limits of a shared server (review 22) -------------------------------

_AUTH = b"Host: x\r\nAuthorization: Bearer t\r\n"
_KEY = b'{"name": "k", "key": "ssh-ed25519 AAAA"}'
_NEXT = b"GET /api/v1alpha1/regions HTTP/1.1\r\n" + _AUTH + b"\r\n"  # pipelined after


def _exchange(server: FakeServer, request: bytes, timeout: float = 2.0) -> bytes:
    """What the server answers to `request` on a connection the client keeps open: all
    of it once the server has closed the connection, which it must do within
    `timeout` (a connection kept open fails the test)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        with contextlib.suppress(OSError):  # refused and closed before the end
            conn.sendall(request)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pytest.fail(f"the connection was still open after {timeout} s: {b''.join(chunks)!r}")
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def _chunked_key(size_line: bytes, rest: bytes = b"") -> bytes:
    return (
        b"POST /api/v1alpha1/user/keys HTTP/1.1\r\n" + _AUTH + b"Content-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n" + _KEY + b"\r\n0\r\n\r\n" + rest
    )


def _post_key(framing: bytes, body: bytes = _KEY) -> bytes:
    return (
        b"POST /api/v1alpha1/user/keys HTTP/1.1\r\n"
        + _AUTH
        + b"Content-Type: application/json\r\n"
        + framing
        + b"\r\n"
        + body
    )


_SIZE = b"%x" % len(_KEY)


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        # F4: a chunk size is 1*HEXDIG; -1 read the connection to its end, past the cap
        (_chunked_key(b"-1", b"x" * 100_000), 400, "unreadable body framing (chunked)"),
        (_chunked_key(b"0x" + _SIZE), 400, "unreadable body framing (chunked)"),
        (_chunked_key(b"+" + _SIZE), 400, "unreadable body framing (chunked)"),
        (_chunked_key(b"0_" + _SIZE), 400, "unreadable body framing (chunked)"),
        # F8: a chunk-size line cut at 1,024 bytes had the rest read as data
        (
            _chunked_key(_SIZE + b";" + b"a" * 1100),
            400,
            "unreadable body framing (chunk-size line over 1,024 bytes)",
        ),
        # F8: bytes between a chunk's data and its CRLF were dropped
        (
            _chunked_key(_SIZE, b"").replace(_KEY + b"\r\n", _KEY + b"JUNK\r\n"),
            400,
            "unreadable body framing (chunk data not followed by CRLF)",
        ),
        # F8: Content-Length with Transfer-Encoding kept the connection alive
        (
            _post_key(b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
            400,
            "unreadable body framing (Content-Length and Transfer-Encoding)",
        ),
        # F8: a body in a coding other than chunked was read as the next request
        (
            _post_key(b"Transfer-Encoding: gzip\r\n"),
            400,
            "unreadable body framing (Transfer-Encoding)",
        ),
        (
            _post_key(b"Transfer-Encoding: xchunkedx\r\n", b"0\r\n\r\n"),
            400,
            "unreadable body framing (Transfer-Encoding)",
        ),
        (
            _post_key(b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"),
            501,
            "Transfer-Encoding other than chunked is not supported",
        ),
        # F8: of two Content-Length values, the first won
        (
            _post_key(b"Content-Length: %d\r\nContent-Length: 2\r\n" % len(_KEY)),
            400,
            "unreadable body framing (differing Content-Length values)",
        ),
        # F7: "²" is a digit to str.isdigit(), and int() raised on it: no answer at all
        (_post_key(b"Content-Length: \xb2\r\n"), 400, "unreadable body framing (Content-Length)"),
        # F11: HTTP/0.9 was answered with a bare body, no status line
        (b"GET /api/v1alpha1/regions\r\n", 400, "a request line needs an HTTP version"),
    ],
    ids=[
        "chunk -1",
        "chunk 0x",
        "chunk +",
        "chunk _",
        "chunk line 1,100 bytes",
        "junk after chunk data",
        "Content-Length and Transfer-Encoding",
        "Transfer-Encoding gzip",
        "Transfer-Encoding xchunkedx",
        "Transfer-Encoding gzip, chunked",
        "two Content-Lengths",
        "Content-Length superscript two",
        "HTTP/0.9",
    ],
)
def test_framing_that_is_not_plainly_one_body_is_refused_and_the_connection_closed(
    request_bytes: bytes, status: int, message: str
) -> None:
    """The request after it (pipelined, the connection left open) is never read: which
    bytes would be its start cannot be known."""
    fake = FakeAPI(token="t")
    keys = list(fake.keys)
    with serve(fake) as server:
        answer = _exchange(server, request_bytes + _NEXT)
    assert answer.count(b"HTTP/1.1 ") == 1  # one answer, then closed
    status_line, headers, body = _split(answer)
    assert status_line.startswith(f"HTTP/1.1 {status} ".encode())
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert json.loads(body)["message"].startswith(message)
    assert fake.requests == []  # nothing reached the fake
    assert fake.keys == keys


def test_the_request_log_keeps_a_bounded_path_and_headers() -> None:
    """A refused GET with a 63 KiB path and 63 KiB of headers was kept whole in the log
    (~130 KiB an entry: 1.3 GiB for the 10,000 it keeps)."""
    path = b"/api/v1alpha1/instances/" + b"a" * 63_000
    pads = b"".join(b"X-Pad-%02d: %s\r\n" % (i, b"b" * 990) for i in range(63))
    fake = FakeAPI(token="t")
    with serve(fake) as server:
        for _ in range(3):
            status, _, _ = _split(
                _exchange(
                    server,
                    b"GET "
                    + path
                    + b" HTTP/1.1\r\nHost: x\r\n"
                    + pads
                    + b"Connection: close\r\n\r\n",
                )
            )
            assert status.startswith(b"HTTP/1.1 401 ")
        _exchange(
            server, b"GET /api/v1alpha1/regions HTTP/1.1\r\n" + _AUTH + b"Connection: close\r\n\r\n"
        )
    *refused, normal = fake.requests
    for request in refused:
        assert len(request.path) <= RECORDED_PATH + 20
        assert request.path.startswith("/api/v1alpha1/instances/aaaa")
        assert request.path.endswith(f"...[{len(path) - RECORDED_PATH:,} more]")
        size = sum(len(k) + len(v) for k, v in request.headers.items())
        assert size <= RECORDED_HEADERS + 100
        assert request.headers["host"] == "x"
        assert request.headers["..."].endswith("more header(s) not recorded")
    assert normal.path == "/api/v1alpha1/regions"  # an ordinary request: kept whole
    assert normal.headers == {"host": "x", "authorization": "Bearer t", "connection": "close"}


def test_a_connection_that_stops_sending_is_closed_after_the_idle_timeout() -> None:
    """Half-sent requests each held a thread for ever (1,000 of them: 1,001 threads)."""
    with serve(FakeAPI(token="t"), idle_timeout=0.3) as server:
        started = time.monotonic()
        headers_cut = _exchange(
            server, b"GET /api/v1alpha1/regions HTTP/1.1\r\nHost: x\r\nX-Half: "
        )
        body_cut = _exchange(server, _post_key(b"Content-Length: %d\r\n" % len(_KEY), b'{"na'))
        took = time.monotonic() - started
        # a kept-alive connection still serves several requests within it
        alive = _exchange(
            server, _NEXT + _NEXT.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        )
    assert headers_cut == b""  # nothing to answer yet: closed
    status, _, body = _split(body_cut)
    assert status.startswith(b"HTTP/1.1 408 ")
    assert json.loads(body) == {"message": "request body not received within 0.3 s"}
    assert took < 1.5
    assert alive.count(b"HTTP/1.1 200 ") == 2


def _dripped_until_closed(conn: socket.socket, limit: float) -> float:
    """Seconds a byte every 50 ms could be sent on `conn` before the server's close
    showed (a reset, then a broken pipe); `limit` if it never did."""
    started = time.monotonic()
    try:
        while time.monotonic() - started < limit:
            conn.sendall(b"x")
            time.sleep(0.05)
    except OSError:
        return time.monotonic() - started
    return limit


def test_a_client_dripping_bytes_after_a_refusal_cannot_hold_the_connection() -> None:
    """The drain after a refusal waited 0.5 s per read: a byte every 50 ms held it (and
    its thread) until a MiB had come (six days)."""
    with (
        serve(FakeAPI()) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=2) as conn,
    ):
        conn.sendall(_post_key(b"Content-Length: 99999999999\r\n", b"x"))
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        assert _split(answer)[0].startswith(b"HTTP/1.1 413 ")
        assert _dripped_until_closed(conn, limit=2.0) < 1.5


def test_connections_past_the_cap_are_answered_503_until_one_closes() -> None:
    with serve(FakeAPI(token="t"), max_connections=3, idle_timeout=5) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        for conn in held:
            conn.sendall(b"GET /api/v1alpha1/regions HTTP/1.1\r\nHost: x\r\nX-Half: ")
        close = _NEXT.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        status, headers, body = _split(_exchange(server, close))
        assert status.startswith(b"HTTP/1.1 503 ")
        assert headers["content-type"] == "application/json"
        assert headers["retry-after"] == "1"
        assert json.loads(body) == {
            "message": "the server has 3 connections open, its most: try again shortly"
        }
        for conn in held:
            conn.close()
        deadline = time.monotonic() + 1.5
        while (answer := _exchange(server, close)).startswith(b"HTTP/1.1 503 "):
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert answer.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"idle_timeout": 0}, "idle_timeout must be a finite number greater than 0, got 0"),
        ({"idle_timeout": float("inf")}, "got inf"),
        ({"max_connections": 0}, "max_connections must be a whole number >= 1, got 0"),
        ({"max_connections": 2.5}, "got 2.5"),
    ],
)
def test_the_server_limits_are_checked(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(FakeUsageError, match=re.escape(expected)):
        FakeServer(**options)


@pytest.mark.parametrize(
    "path", [b"/api/v1alpha1/user/keys", b"/regional/us-east-1/api/v1alpha1/instances"]
)
def test_a_body_nested_too_deeply_for_the_json_parser_is_a_400(path: bytes) -> None:
    """json.loads raised RecursionError inside the fake: the connection was closed with no
    answer and a traceback on stderr."""
    nested = b'{"name": ' + b"[" * 1000 + b"]" * 1000 + b', "key": "x"}'
    with serve(FakeAPI(token="t")) as server:
        answer = _exchange(
            server,
            b"POST "
            + path
            + b" HTTP/1.1\r\n"
            + _AUTH
            + b"X-PROJECT-ID: %s\r\nContent-Length: %d\r\n\r\n" % (PROJECT_B.encode(), len(nested))
            + nested,
        )
    status, headers, body = _split(answer)
    assert status.startswith(b"HTTP/1.1 400 ")
    assert headers["connection"] == "close"
    assert json.loads(body) == {"message": "the request body is nested too deeply to read"}


def test_an_error_in_the_fake_is_a_json_500_and_one_line_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    fake = FakeAPI(token="t")

    def broken(*args: object) -> object:
        raise KeyError("a bug")

    monkeypatch.setattr(fake, "handle", broken)
    with serve(fake) as server:
        answer = _exchange(server, _NEXT)
    status, headers, body = _split(answer)
    assert status.startswith(b"HTTP/1.1 500 ")
    assert headers["connection"] == "close"
    assert json.loads(body) == {
        "message": "the fake failed on this request (KeyError); its log says more"
    }
    err = capfd.readouterr().err
    assert err == "fake server: GET /api/v1alpha1/regions: KeyError: 'a bug'\n"


def test_empty_lines_before_a_request_are_skipped_and_connection_close_is_answered() -> None:
    """A request after an empty line was closed unanswered; an answer to a request that
    said `Connection: close` did not say it."""
    with serve(FakeAPI(token="t")) as server:
        answer = _exchange(
            server,
            b"\r\n"
            + _NEXT
            + b"\r\n"
            + _NEXT.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"),
        )
    first, rest = answer.split(b"HTTP/1.1 ", 2)[1:]
    assert first.startswith(b"200 ")
    assert "connection" not in _split(b"HTTP/1.1 " + first)[1]  # kept alive
    status, headers, _ = _split(b"HTTP/1.1 " + rest)
    assert status.startswith(b"HTTP/1.1 200 ")
    assert headers["connection"] == "close"
