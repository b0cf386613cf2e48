"""The fake's arguments and its loopback server: misusing the fake fails where the
mistake is made, with `FakeUsageError` (a ValueError) saying what was expected (never
silently, never later from deep inside); the URLs it advertises; and the HTTP server
itself (chunked bodies, bad lengths, a client that hung up)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from fluidstack_client import Fluidstack
from fluidstack_client.testing import FakeAPI, FakeServer, FakeUsageError, serve
from fluidstack_client.testing._seed import PROJECT_B
from fluidstack_client.testing._server import advertised_origin

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
    """What the server answers to `request`, sent as bytes on a connection of its own."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
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
