# Derived from tests/client/test_deadlines.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Bounded time: each attempt has a deadline (the read timeout) that ends it however
the server stalls (headers or a body dripped a byte at a time, a connect or TLS
handshake that hangs, an upload nobody reads, a wait for a pooled connection), each
retry gets its own, and the client works on afterwards. The timeouts in effect are the
client's or its copy's. Then the sync client's own mechanism, as units: the network
backend that clamps every socket call to what is left of the deadline."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import httpx
import pytest
from support import samples
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer

from fluidstack_client import (
    DEFAULT_TIMEOUT,
    APITimeoutError,
    ConflictError,
    Fluidstack,
    FluidstackError,
    NotFoundError,
)
from fluidstack_client._sync_backend import _DeadlineBackend, _DeadlineStream

API = "/api/v1alpha1"
KEYS = f"{API}/user/keys"
JSON = {"Content-Type": "application/json"}
KEYS_JSON = json.dumps([samples.SSH_KEY]).encode()


# -- servers that stall --------------------------------------------------------------------


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


HEADERS_THEN_BODY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
)
SLOW_BODY = b"[" + b" " * 98 + b"]"


def drip_headers(conn: Conn) -> None:
    conn.drip(HEADERS_THEN_BODY, 0.2)  # ~14 s in all, each byte well within a read timeout
    conn.close()


def drip_body(conn: Conn) -> None:
    conn.send(head(200, {**JSON, "Content-Length": str(len(SLOW_BODY))}))
    conn.drip(SLOW_BODY, 0.2)  # ~20 s
    conn.close()


def trickle(conn: Conn) -> None:
    """A 100,000-byte body, a byte every 20 ms: no single read ever times out."""
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.send(b"Content-Length: 100000\r\n\r\n[")
    conn.drip(b" " * 100000, 0.02)


def keys_ok(conn: Conn) -> None:
    conn.respond(200, KEYS_JSON, JSON)


@contextlib.contextmanager
def stalled(*, backlog_full: bool) -> Iterator[int]:
    """A loopback port where nothing moves for 3 s, then every connection is dropped.

    backlog_full: the listener never accepts and its queue is full, so a new connect
    hangs (no SYN-ACK); else connections are accepted and then never read from or
    written to (a TLS handshake or a large upload stalls)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()
    if backlog_full:
        filler = socket.create_connection(("127.0.0.1", port))
        held.append(filler)
    else:
        listener.settimeout(0.05)

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                held.append(conn)

        threading.Thread(target=accept, daemon=True).start()

    def drop_all() -> None:
        stop.wait(3.0)
        stop.set()
        for sock in [*held, listener]:
            with contextlib.suppress(OSError):
                sock.close()

    closer = threading.Thread(target=drop_all, daemon=True)
    closer.start()
    try:
        yield port
    finally:
        stop.set()
        closer.join()


def timed_failure(call: Callable[[], object]) -> tuple[FluidstackError, float]:
    """The FluidstackError `call()` raises, and how long it took."""
    started = time.monotonic()
    with pytest.raises(FluidstackError) as info:
        call()
    return info.value, time.monotonic() - started


# -- the attempt's deadline --------------------------------------------------------------


@pytest.mark.parametrize("answer", [drip_headers, drip_body], ids=["headers", "body"])
def test_dripping_server_is_cut_off_at_the_deadline(answer: Callable[[Conn], None]) -> None:
    with HostileServer(answer) as server:
        with Fluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, timeout=1, max_retries=0
        ) as fs:
            exc, elapsed = timed_failure(fs.keys.list)
    assert isinstance(exc, APITimeoutError)
    assert 0.9 < elapsed < 2.0
    assert server.count("GET", KEYS) == 1


def test_each_retry_gets_its_own_deadline() -> None:
    with HostileServer(drip_body) as server:
        with Fluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, timeout=0.3, max_retries=1
        ) as fs:
            exc, elapsed = timed_failure(fs.keys.list)
    assert isinstance(exc, APITimeoutError)
    assert server.count("GET", KEYS) == 2
    assert 0.55 < elapsed < 1.5


def test_dripped_body_through_a_user_http_client_ends_within_one_read_timeout() -> None:
    # A user's client: the sync client cannot clamp its sockets, only check between
    # body reads, so the bound is the deadline plus one read timeout.
    with HostileServer(drip_body) as server:
        with (
            httpx.Client(timeout=1) as user,
            Fluidstack(
                TOKEN,
                base_url=server.url + API,
                http_client=user,
                retry_policy=FAST,
                timeout=1,
                max_retries=0,
            ) as fs,
        ):
            exc, elapsed = timed_failure(fs.keys.list)
    assert isinstance(exc, APITimeoutError)
    assert elapsed < 1 + 1 + 0.5


def stalled_error(status: int) -> Callable[[Conn], None]:
    """An error's status and the start of its body, then nothing more."""

    def answer(conn: Conn) -> None:
        conn.send(head(status, {**JSON, "Content-Length": "100"}) + b'{"message": "no su')
        conn.hold()

    return answer


@pytest.mark.parametrize(
    ("status", "call", "expected"),
    [
        (404, lambda fs: fs.keys.list(), NotFoundError),
        (409, lambda fs: fs.keys.register(name="k", key=samples.SSH_KEY["key"]), ConflictError),
    ],
    ids=["404 to a read", "409 to a write"],
)
def test_an_error_whose_body_stalls_is_its_status_error_at_the_deadline(
    status: int, call: Callable[[Any], Any], expected: type[FluidstackError]
) -> None:
    """Review of issue 21: the status came, so the outcome is known (a 404, a refused
    write); the async client took the attempt's deadline for a lost answer, retried a
    GET and called a refused POST ambiguous, where the sync client kept the status."""
    with HostileServer(stalled_error(status)) as server:
        with Fluidstack(TOKEN, base_url=f"{server.url}{API}", retry_policy=FAST, timeout=0.3) as fs:
            started = time.monotonic()
            with pytest.raises(expected) as info:
                call(fs)
            elapsed = time.monotonic() - started
        assert server.count("GET") + server.count("POST") == 1
    assert elapsed < 0.3 + 0.2
    assert f": {status} " in str(info.value)


def test_fast_calls_are_unaffected_and_the_client_recovers() -> None:
    def answer(conn: Conn) -> None:
        n = conn.server.count()
        if n == 1:
            drip_body(conn)
        elif n == 2:
            time.sleep(0.3)  # slow but within the deadline
            keys_ok(conn)
        else:
            keys_ok(conn)

    with HostileServer(answer) as server:
        start = time.monotonic()
        with Fluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, timeout=0.5, max_retries=0
        ) as fs:
            with pytest.raises(APITimeoutError):
                fs.keys.list()
            for _ in range(6):
                assert len(fs.keys.list()) == 1
        elapsed = time.monotonic() - start
    assert elapsed < 0.5 + 0.3 + 0.7
    assert server.count("GET", KEYS) == 7


# -- waiting for a pooled connection -------------------------------------------------------


# -- hangs: a connect, a TLS handshake, an upload ------------------------------------------


@pytest.mark.parametrize("on_copy", [False, True], ids=["client", "copy"])
def test_a_connection_that_hangs_ends_at_the_connect_timeout(on_copy: bool) -> None:
    """A connect that hangs (no SYN-ACK) ends at the connect timeout, whether the
    client was given it or (`copy`) only a copy: each request carries its copy's
    timeouts, not the pool's."""
    timeout = httpx.Timeout(5.0, connect=0.3)
    with stalled(backlog_full=True) as port:
        with Fluidstack(
            TOKEN,
            base_url=f"http://127.0.0.1:{port}",
            timeout=DEFAULT_TIMEOUT if on_copy else timeout,
        ) as fs:
            if on_copy:
                copy = fs.with_options(max_retries=0, timeout=timeout)
            else:
                copy = fs.with_options(max_retries=0)
            error, took = timed_failure(copy.keys.list)
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)


def test_a_connect_that_hangs_ends_at_the_attempts_deadline() -> None:
    with stalled(backlog_full=True) as port:
        timeout = httpx.Timeout(5.0, read=0.3)  # the deadline, shorter than connect's
        with Fluidstack(TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout) as fs:
            error, took = timed_failure(fs.with_options(max_retries=0).keys.list)
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0


def test_an_upload_nobody_reads_ends_at_the_write_timeout() -> None:
    key = "ssh-ed25519 " + "A" * (16 * 1024 * 1024)  # more than the socket buffers hold
    with stalled(backlog_full=False) as port:
        timeout = httpx.Timeout(5.0, write=0.3)
        with Fluidstack(TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout) as fs:
            error, took = timed_failure(lambda: fs.keys.register(name="big", key=key))
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0
    assert "WriteTimeout" in str(error)


# -- the sync deadline backend: installed where the client owns the sockets ---------------


# -- the sync deadline backend, as units (httpcore's stream and backend API) -------------


class StubStream(httpcore.NetworkStream):
    """Records the timeout each call was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", timeout))
        return b"data"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("write", timeout))

    def close(self) -> None:
        self.calls.append(("close", None))

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        self.calls.append(("start_tls", (server_hostname, timeout)))
        return self

    def get_extra_info(self, info: str) -> Any:
        return f"info:{info}"


class StubBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.stream = StubStream()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        self.calls.append(("tcp", (host, port, timeout, local_address, socket_options)))
        return self.stream

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        self.calls.append(("unix", (path, timeout, socket_options)))
        return self.stream

    def sleep(self, seconds: float) -> None:
        self.calls.append(("sleep", (seconds,)))


SocketCall = Callable[[_DeadlineBackend, _DeadlineStream], object]
