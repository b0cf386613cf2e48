"""The fake's arguments and its loopback server: misusing the fake fails where the
mistake is made, with `FakeUsageError` (a ValueError) saying what was expected (never
silently, never later from deep inside); the URLs it advertises; and the HTTP server
itself (chunked bodies, bad lengths, a client that hung up)."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from fluidstack_client import Fluidstack
from fluidstack_client.testing import FakeAPI, FakeServer, FakeUsageError, serve
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
