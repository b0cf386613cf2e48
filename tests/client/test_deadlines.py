"""Bounded time: each attempt has a deadline (the read timeout) that ends it however
the server stalls (headers or a body dripped a byte at a time, a connect or TLS
handshake that hangs, an upload nobody reads, a wait for a pooled connection), each
retry gets its own, and the client works on afterwards. The timeouts in effect are the
client's or its copy's. Then the sync client's own mechanism, as units: the network
backend that clamps every socket call to what is left of the deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpcore
import httpx
import pytest
from support import samples
from support.client_proxies import use_proxy
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    DEFAULT_TIMEOUT,
    APITimeoutError,
    AsyncFluidstack,
    ConflictError,
    Fluidstack,
    FluidstackError,
    NotFoundError,
)
from fluidstack_client._sync_backend import _clamp, _DeadlineBackend, _DeadlineStream, deadline

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


async def timed_failure(call: Callable[[], Awaitable[object]]) -> tuple[FluidstackError, float]:
    """The FluidstackError `await call()` raises, and how long it took."""
    started = time.monotonic()
    with pytest.raises(FluidstackError) as info:
        await call()
    return info.value, time.monotonic() - started


# -- the attempt's deadline --------------------------------------------------------------


@pytest.mark.parametrize("answer", [drip_headers, drip_body], ids=["headers", "body"])
async def test_dripping_server_is_cut_off_at_the_deadline(answer: Callable[[Conn], None]) -> None:
    with HostileServer(answer) as server:
        async with AsyncFluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, timeout=1, max_retries=0
        ) as fs:
            exc, elapsed = await timed_failure(fs.keys.list)
    assert isinstance(exc, APITimeoutError)
    assert 0.9 < elapsed < 2.0
    assert server.count("GET", KEYS) == 1


async def test_each_retry_gets_its_own_deadline() -> None:
    with HostileServer(drip_body) as server:
        async with AsyncFluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, timeout=0.3, max_retries=1
        ) as fs:
            exc, elapsed = await timed_failure(fs.keys.list)
    assert isinstance(exc, APITimeoutError)
    assert server.count("GET", KEYS) == 2
    assert 0.55 < elapsed < 1.5


async def test_dripped_body_through_a_user_http_client_ends_within_one_read_timeout() -> None:
    # A user's client: the sync client cannot clamp its sockets, only check between
    # body reads, so the bound is the deadline plus one read timeout.
    with HostileServer(drip_body) as server:
        async with (
            httpx.AsyncClient(timeout=1) as user,
            AsyncFluidstack(
                TOKEN,
                base_url=server.url + API,
                http_client=user,
                retry_policy=FAST,
                timeout=1,
                max_retries=0,
            ) as fs,
        ):
            exc, elapsed = await timed_failure(fs.keys.list)
    assert isinstance(exc, APITimeoutError)
    assert elapsed < 1 + 1 + 0.5


def test_a_body_trickling_past_the_deadline_through_a_users_client_is_cut_off() -> None:
    # The sync client's check between body reads, with the message it gives (the
    # user's client's own reads are bounded by 5 s each).
    with HostileServer(trickle) as hostile:
        user = httpx.Client(timeout=5.0)
        with Fluidstack(TOKEN, base_url=hostile.url, http_client=user, timeout=0.4) as fs:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as info:
                fs.with_options(max_retries=0).keys.list()
            took = time.monotonic() - started
        user.close()
    assert 0.35 <= took < 3.0
    assert str(info.value) == (
        f"GET {hostile.url}/user/keys: ReadTimeout: no complete response within the "
        "attempt's deadline"
    )


@pytest.mark.async_only
async def test_an_async_body_trickling_past_the_deadline_names_the_deadline() -> None:
    """The async deadline cancels the attempt, and its message gives the deadline in
    seconds (the sync client's says "the attempt's deadline" only: see above)."""
    with HostileServer(trickle) as hostile:
        async with AsyncFluidstack(TOKEN, base_url=hostile.url, timeout=0.4, max_retries=0) as fs:
            with pytest.raises(APITimeoutError) as info:
                await fs.keys.list()
    assert str(info.value) == (
        f"GET {hostile.url}/user/keys: ReadTimeout: no complete response within 0.4s "
        "(the attempt's deadline)"
    )


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
async def test_an_error_whose_body_stalls_is_its_status_error_at_the_deadline(
    status: int, call: Callable[[Any], Awaitable[Any]], expected: type[FluidstackError]
) -> None:
    """Review of issue 21: the status came, so the outcome is known (a 404, a refused
    write); the async client took the attempt's deadline for a lost answer, retried a
    GET and called a refused POST ambiguous, where the sync client kept the status."""
    with HostileServer(stalled_error(status)) as server:
        async with AsyncFluidstack(
            TOKEN, base_url=f"{server.url}{API}", retry_policy=FAST, timeout=0.3
        ) as fs:
            started = time.monotonic()
            with pytest.raises(expected) as info:
                await call(fs)
            elapsed = time.monotonic() - started
        assert server.count("GET") + server.count("POST") == 1
    assert elapsed < 0.3 + 0.2
    assert f": {status} " in str(info.value)


async def test_fast_calls_are_unaffected_and_the_client_recovers() -> None:
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
        async with AsyncFluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, timeout=0.5, max_retries=0
        ) as fs:
            with pytest.raises(APITimeoutError):
                await fs.keys.list()
            for _ in range(6):
                assert len(await fs.keys.list()) == 1
        elapsed = time.monotonic() - start
    assert elapsed < 0.5 + 0.3 + 0.7
    assert server.count("GET", KEYS) == 7


# -- waiting for a pooled connection -------------------------------------------------------


@pytest.mark.async_only
async def test_deadline_bounds_waiting_for_a_connection() -> None:
    # One connection: the second call waits for it while the first is being dripped.
    with HostileServer(drip_body) as server:
        start = time.monotonic()
        async with AsyncFluidstack(
            TOKEN,
            base_url=server.url + API,
            retry_policy=FAST,
            timeout=0.5,
            max_retries=0,
            max_connections=1,
        ) as fs:
            results = await asyncio.gather(fs.keys.list(), fs.keys.list(), return_exceptions=True)
        elapsed = time.monotonic() - start
    assert all(isinstance(r, APITimeoutError) for r in results), results
    assert elapsed < 1.5
    assert server.count("GET", KEYS) <= 2  # the second may get the connection, too late


def test_deadline_bounds_waiting_for_a_connection_with_threads() -> None:
    # The sync client shared by two threads, with one connection between them.
    with HostileServer(drip_body) as server:
        start = time.monotonic()
        with Fluidstack(
            TOKEN,
            base_url=server.url + API,
            retry_policy=FAST,
            timeout=0.5,
            max_retries=0,
            max_connections=1,
        ) as fs:
            barrier = threading.Barrier(2)
            results: list[object] = [None, None]

            def one(i: int) -> None:
                barrier.wait()
                try:
                    results[i] = fs.keys.list()
                except Exception as exc:
                    results[i] = exc

            threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        elapsed = time.monotonic() - start
    assert all(isinstance(r, APITimeoutError) for r in results), results
    assert elapsed < 1.5
    assert server.count("GET", KEYS) <= 2


def test_a_sync_call_waiting_for_a_connection_gives_up_at_its_deadline(
    server: ScriptedServer,
) -> None:
    server.default = Reply(json=[], delay=1.0)
    with Fluidstack(TOKEN, base_url=server.url, max_connections=1, max_retries=0) as fs:
        holder = threading.Thread(target=fs.keys.list)  # holds the only connection for 1 s
        holder.start()
        stop = time.monotonic() + 5.0
        while len(server.requests) < 1:  # the holder's request has arrived
            assert time.monotonic() < stop, "timed out waiting"
            time.sleep(0.005)
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            fs.with_options(timeout=0.3).keys.list()
        took = time.monotonic() - started
        holder.join()
    assert 0.25 <= took < 0.8
    assert str(info.value) == (
        f"GET {server.url}/user/keys: PoolTimeout: no free connection before the attempt's deadline"
    )
    assert len(server.requests) == 1


# -- hangs: a connect, a TLS handshake, an upload ------------------------------------------


@pytest.mark.parametrize("on_copy", [False, True], ids=["client", "copy"])
async def test_a_connection_that_hangs_ends_at_the_connect_timeout(on_copy: bool) -> None:
    """A connect that hangs (no SYN-ACK) ends at the connect timeout, whether the
    client was given it or (`copy`) only a copy: each request carries its copy's
    timeouts, not the pool's."""
    timeout = httpx.Timeout(5.0, connect=0.3)
    with stalled(backlog_full=True) as port:
        async with AsyncFluidstack(
            TOKEN,
            base_url=f"http://127.0.0.1:{port}",
            timeout=DEFAULT_TIMEOUT if on_copy else timeout,
        ) as fs:
            if on_copy:
                copy = fs.with_options(max_retries=0, timeout=timeout)
            else:
                copy = fs.with_options(max_retries=0)
            error, took = await timed_failure(copy.keys.list)
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)


def test_a_tls_handshake_that_hangs_ends_at_the_connect_timeout() -> None:
    """The sync client's TLS handshake, clamped by the deadline backend (the async
    client's is the next test)."""
    with stalled(backlog_full=False) as port:
        timeout = httpx.Timeout(5.0, connect=0.3)
        with Fluidstack(TOKEN, base_url=f"https://127.0.0.1:{port}", timeout=timeout) as fs:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as info:
                fs.with_options(max_retries=0).keys.list()
            took = time.monotonic() - started
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(info.value)


@pytest.mark.async_only
async def test_an_async_tls_handshake_that_hangs_ends_at_the_connect_timeout() -> None:
    """The same hang through AsyncFluidstack: a ConnectTimeout, not a TLS failure (found
    while reorganising the tests: the handshake's timeout carries ssl.SSLWantReadError
    in its context, which was taken for a permanent TLS failure and never retried)."""
    with stalled(backlog_full=False) as port:
        timeout = httpx.Timeout(5.0, connect=0.3)
        async with AsyncFluidstack(
            TOKEN, base_url=f"https://127.0.0.1:{port}", timeout=timeout, max_retries=0
        ) as fs:
            error, took = await timed_failure(fs.keys.list)
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)


@pytest.mark.async_only
async def test_an_async_tls_handshake_that_hangs_is_retried_like_a_connect_timeout() -> None:
    """A hung handshake is a timeout, so it is retried (a TLS failure would not be)."""
    attempts: list[str] = []

    async def count(request: httpx.Request) -> None:
        attempts.append(request.method)

    with stalled(backlog_full=False) as port:
        mine = httpx.AsyncClient(event_hooks={"request": [count]})
        timeout = httpx.Timeout(5.0, connect=0.3)
        async with AsyncFluidstack(
            TOKEN,
            base_url=f"https://127.0.0.1:{port}",
            timeout=timeout,
            http_client=mine,
            retry_policy=FAST,
            max_retries=1,
        ) as fs:
            error, _ = await timed_failure(fs.keys.list)
        await mine.aclose()
    assert isinstance(error, APITimeoutError)
    assert "TLS failed" not in str(error)
    assert attempts == ["GET", "GET"]


async def test_a_connect_that_hangs_ends_at_the_attempts_deadline() -> None:
    with stalled(backlog_full=True) as port:
        timeout = httpx.Timeout(5.0, read=0.3)  # the deadline, shorter than connect's
        async with AsyncFluidstack(
            TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout
        ) as fs:
            error, took = await timed_failure(fs.with_options(max_retries=0).keys.list)
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0


async def test_an_upload_nobody_reads_ends_at_the_write_timeout() -> None:
    key = "ssh-ed25519 " + "A" * (16 * 1024 * 1024)  # more than the socket buffers hold
    with stalled(backlog_full=False) as port:
        timeout = httpx.Timeout(5.0, write=0.3)
        async with AsyncFluidstack(
            TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout
        ) as fs:
            error, took = await timed_failure(lambda: fs.keys.register(name="big", key=key))
    assert isinstance(error, APITimeoutError)
    assert 0.25 <= took < 2.0
    assert "WriteTimeout" in str(error)


# -- the sync deadline backend: installed where the client owns the sockets ---------------


def test_sync_deadline_backend_is_installed_on_clients_we_create() -> None:
    # Private httpx/httpcore attributes: this fails if an upgrade moves them, which
    # would silently turn the sync deadline into "between body reads" only.
    with Fluidstack(TOKEN, base_url="http://127.0.0.1:9" + API) as fs:
        transport: Any = fs._shared.http._transport
        assert isinstance(transport._pool._network_backend, _DeadlineBackend)


def test_proxy_pools_get_the_sync_deadline_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding a11: the pools of proxies taken from the environment get the
    deadline too (the client's reads and its writes)."""
    use_proxy(monkeypatch, "http://127.0.0.1:9")
    with Fluidstack(TOKEN, base_url="http://127.0.0.1:1/api") as fs:
        pools = [fs._shared.http_for("GET"), fs._shared.http_for("POST")]  # reads, writes
        for http in pools:
            mounts = [t for t in http._mounts.values() if t is not None]
            assert mounts, "no proxy mounted from HTTP_PROXY"
            for transport in mounts:
                backend = getattr(getattr(transport, "_pool", None), "_network_backend", None)
                assert isinstance(backend, _DeadlineBackend)


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


def test_without_a_deadline_the_timeouts_pass_through() -> None:
    backend = StubBackend()
    wrapped = _DeadlineBackend(backend)
    options = [(1, 2, 3)]
    stream = wrapped.connect_tcp("h", 80, 1.5, "10.0.0.1", options)
    assert backend.calls == [("tcp", ("h", 80, 1.5, "10.0.0.1", options))]
    stream.write(b"x", 2.0)
    assert stream.read(10, None) == b"data"
    tls = stream.start_tls(ssl.create_default_context(), "h", 3.0)
    assert stream.get_extra_info("is_readable") == "info:is_readable"
    stream.close()
    assert backend.stream.calls == [
        ("write", 2.0),
        ("read", None),
        ("start_tls", ("h", 3.0)),
        ("close", None),
    ]
    assert isinstance(tls, httpcore.NetworkStream)
    unix = wrapped.connect_unix_socket("/run/api.sock", 4.0, options)
    assert unix.read(1, 0.5) == b"data"
    wrapped.sleep(0.25)
    assert backend.calls[1:] == [
        ("unix", ("/run/api.sock", 4.0, options)),
        ("sleep", (0.25,)),
    ]


def test_within_a_deadline_each_timeout_is_cut_to_what_is_left() -> None:
    backend = StubBackend()
    wrapped = _DeadlineBackend(backend)
    with deadline(5.0):
        stream = wrapped.connect_tcp("h", 80, 30.0)
        wrapped.connect_unix_socket("/s", None)
        stream.read(10, 1.0)  # shorter than what is left: kept
        stream.write(b"x", None)  # none: what is left
        stream.start_tls(ssl.create_default_context(), "h", 60.0)
    tcp_timeout = backend.calls[0][1][2]
    unix_timeout = backend.calls[1][1][1]
    assert 4.0 < tcp_timeout <= 5.0
    assert 4.0 < unix_timeout <= 5.0
    calls = dict(backend.stream.calls)
    assert calls["read"] == 1.0
    assert 4.0 < calls["write"] <= 5.0
    assert 4.0 < calls["start_tls"][1] <= 5.0
    assert _clamp(None, httpcore.ReadTimeout) is None  # no deadline any more


SocketCall = Callable[[_DeadlineBackend, _DeadlineStream], object]


@pytest.mark.parametrize(
    ("call", "expired"),
    [
        (lambda w, s: w.connect_tcp("h", 80, 1.0), httpcore.ConnectTimeout),
        (lambda w, s: w.connect_unix_socket("/s", 1.0), httpcore.ConnectTimeout),
        (lambda w, s: s.read(10, 1.0), httpcore.ReadTimeout),
        (lambda w, s: s.write(b"x", 1.0), httpcore.WriteTimeout),
        (lambda w, s: s.start_tls(ssl.create_default_context(), "h", 1.0), httpcore.ConnectTimeout),
    ],
)
def test_past_the_deadline_each_call_raises_its_timeout(
    call: SocketCall, expired: type[Exception]
) -> None:
    backend = StubBackend()
    wrapped = _DeadlineBackend(backend)
    stream = _DeadlineStream(backend.stream)
    with deadline(0.0), pytest.raises(expired) as info:
        call(wrapped, stream)
    assert str(info.value) == "the attempt's deadline passed"
    assert backend.calls == []
    assert backend.stream.calls == []


def test_sync_deadlines_nest_and_each_restores_the_one_around_it() -> None:
    # (An event hook of a user's own may call another client inside a call.)
    def left() -> float | None:
        return _clamp(None, httpcore.ReadTimeout)

    def in_a_fresh_thread() -> None:
        seen.append(left())  # a thread that never had a deadline has none
        with deadline(5.0):
            with deadline(1.0):
                seen.append(left())
            seen.append(left())  # the outer one is back
            with deadline(None):
                seen.append(left())  # none inside
            seen.append(left())
        seen.append(left())

    seen: list[float | None] = []
    thread = threading.Thread(target=in_a_fresh_thread)
    thread.start()
    thread.join()
    assert [None if x is None else round(x) for x in seen] == [None, 1, 5, None, 5, None]
    assert all(x is None or 0.0 < x <= 5.0 for x in seen)
