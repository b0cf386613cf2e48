"""The deadline where a thread blocks (the sync client's own pool): connect, TLS and
write stalls end at their timeout, a pooled connection the server closed is not
reused, proxies from the environment do not break the client; and the async
single-flight's edges. Every server is on a loopback address."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest
from clients import TOKEN
from hostile_server import Conn, HostileServer
from scripted_server import Reply, ScriptedServer

from fluidstack_client import APITimeoutError, AsyncFluidstack, Fluidstack, FluidstackError
from fluidstack_client._async_backend import SingleFlight
from fluidstack_client._sync_backend import _clamp, _DeadlineBackend, _DeadlineStream, deadline


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


def _timed(call: Any) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        call()
    return info.value, time.monotonic() - started


@pytest.mark.parametrize(
    ("scheme", "backlog_full"),
    [("http", True), ("https", False)],  # a connect that hangs; a TLS handshake that does
)
def test_a_connection_that_hangs_ends_at_the_connect_timeout(
    scheme: str, backlog_full: bool
) -> None:
    with stalled(backlog_full=backlog_full) as port:
        timeout = httpx.Timeout(5.0, connect=0.3)
        with Fluidstack(TOKEN, base_url=f"{scheme}://127.0.0.1:{port}", timeout=timeout) as fs:
            error, took = _timed(lambda: fs.with_options(max_retries=0).keys.list())
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)


def test_a_connect_that_hangs_ends_at_the_attempts_deadline() -> None:
    with stalled(backlog_full=True) as port:
        timeout = httpx.Timeout(5.0, read=0.3)  # the deadline, shorter than connect's
        with Fluidstack(TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout) as fs:
            _, took = _timed(lambda: fs.with_options(max_retries=0).keys.list())
    assert 0.25 <= took < 2.0


def test_an_upload_nobody_reads_ends_at_the_write_timeout() -> None:
    key = "ssh-ed25519 " + "A" * (16 * 1024 * 1024)  # more than the socket buffers hold
    with stalled(backlog_full=False) as port:
        timeout = httpx.Timeout(5.0, write=0.3)
        with Fluidstack(TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout) as fs:
            error, took = _timed(lambda: fs.keys.register(name="big", key=key))
    assert 0.25 <= took < 2.0
    assert "WriteTimeout" in str(error)


def test_a_connection_the_server_closed_is_not_reused(caplog: pytest.LogCaptureFixture) -> None:
    def answer(conn: Conn) -> None:
        conn.respond(200, b"[]", {"Content-Type": "application/json"})
        conn.close()  # no `Connection: close`: the client must notice by itself

    with HostileServer(answer) as hostile, Fluidstack(TOKEN, base_url=hostile.url) as fs:
        with caplog.at_level(logging.INFO, logger="fluidstack_client"):
            assert fs.keys.list() == []
            time.sleep(0.2)  # the close has arrived
            assert fs.keys.list() == []
        assert hostile.count("GET", "/user/keys") == 2
    assert [r.getMessage() for r in caplog.records if r.name == "fluidstack_client"] == []


def test_a_body_trickling_past_the_deadline_through_a_users_client_is_cut_off() -> None:
    def answer(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.send(b"Content-Length: 100000\r\n\r\n[")
        conn.drip(b" " * 100000, 0.02)

    with HostileServer(answer) as hostile:
        user = httpx.Client(timeout=5.0)  # reads bounded by 5 s each: only the loop checks
        with Fluidstack(TOKEN, base_url=hostile.url, http_client=user, timeout=0.4) as fs:
            error, took = _timed(lambda: fs.with_options(max_retries=0).keys.list())
        user.close()
    assert 0.35 <= took < 3.0
    assert str(error) == (
        f"GET {hostile.url}/user/keys: ReadTimeout: no complete response within the "
        "attempt's deadline"
    )


def test_proxies_and_exceptions_from_the_environment_are_fine(
    monkeypatch: pytest.MonkeyPatch, server: ScriptedServer
) -> None:
    # httpx mounts None for a NO_PROXY host: the deadline is installed around it.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        assert None in fs._shared.http._mounts.values()
        assert fs.keys.list() == []


def test_a_server_on_another_loopback_address_is_reached(server: Any) -> None:
    other = ScriptedServer(host="127.0.0.2").start()
    try:
        other.default = Reply(json=[])
        with Fluidstack(TOKEN, base_url=other.url) as fs:
            assert fs.keys.list() == []
        assert len(other.requests) == 1
    finally:
        other.stop()


# -- the async single flight ---------------------------------------------------------------


def test_the_leader_of_a_flight_waits_for_it_whatever_the_patience() -> None:
    async def main() -> str:
        async def slow() -> str:
            await asyncio.sleep(0.3)
            return "done"

        return await SingleFlight[str]().run(slow, wait=0.05)

    assert asyncio.run(main()) == "done"


def test_a_flight_nobody_waits_for_leaves_nothing_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        flight: SingleFlight[None] = SingleFlight()

        async def fails() -> None:
            await asyncio.sleep(0.05)
            raise RuntimeError("the fetch failed")

        async def never() -> None:
            await asyncio.sleep(3600)

        waiter = asyncio.ensure_future(flight.run(fails))
        await asyncio.sleep(0.01)
        waiter.cancel()  # the only waiter goes; the fetch fails later, unobserved
        await asyncio.sleep(0.1)
        hanging = asyncio.ensure_future(SingleFlight[None]().run(never))
        await asyncio.sleep(0.01)
        hanging.cancel()  # the loop's end cancels that flight's task itself

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        asyncio.run(main())
        gc.collect()
    problems = [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in problems] == []


# -- the sync deadline's socket wrappers, as units (httpcore's stream and backend API) -----


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
def test_past_the_deadline_each_call_raises_its_timeout(call: Any, expired: type) -> None:
    backend = StubBackend()
    wrapped = _DeadlineBackend(backend)
    stream = _DeadlineStream(backend.stream)
    with deadline(0.0), pytest.raises(expired) as info:
        call(wrapped, stream)
    assert str(info.value) == "the attempt's deadline passed"
    assert backend.calls == []
    assert backend.stream.calls == []


# -- the async client: its deadline's message, and the event loop it belongs to -----------


def test_an_async_body_trickling_past_the_deadline_names_the_deadline() -> None:
    def answer(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.send(b"Content-Length: 100000\r\n\r\n[")
        conn.drip(b" " * 100000, 0.02)

    async def main(url: str) -> BaseException:
        async with AsyncFluidstack(TOKEN, base_url=url, timeout=0.4, max_retries=0) as fs:
            with pytest.raises(APITimeoutError) as info:
                await fs.keys.list()
            return info.value

    with HostileServer(answer) as hostile:
        error = asyncio.run(main(hostile.url))
    assert str(error) == (
        f"GET {hostile.url}/user/keys: ReadTimeout: no complete response within 0.4s "
        "(the attempt's deadline)"
    )


CLOSED_LOOP = (
    "this AsyncFluidstack was first used in an event loop that has since closed (an "
    "earlier asyncio.run() ended), and its connections belonged to that loop. Create the "
    "client inside the coroutine you pass to asyncio.run(), or one client per event loop."
)
OTHER_LOOP = (
    "this AsyncFluidstack belongs to another event loop (the one that first used it); "
    "create one client per event loop"
)


def test_an_async_client_is_bound_to_the_loop_that_first_used_it(server: ScriptedServer) -> None:
    # (No connection is kept: none belongs to the loop that ends.)
    server.default = Reply(json=[], headers={"Connection": "close"})
    fs = AsyncFluidstack(TOKEN, base_url=server.url)
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert first.run_until_complete(fs.keys.list()) == []
        assert first.run_until_complete(fs.keys.list()) == []  # the same loop again
        with pytest.raises(FluidstackError) as info:
            second.run_until_complete(fs.keys.list())  # while the first is still open
        assert str(info.value) == OTHER_LOOP
        assert first.run_until_complete(fs.keys.list()) == []  # still bound to the first
    finally:
        first.close()
        second.close()
    with pytest.raises(FluidstackError) as info:
        asyncio.run(fs.keys.list())
    assert str(info.value) == CLOSED_LOOP
    assert len(server.requests) == 3
    asyncio.run(fs.aclose())


# -- the sync deadline: nesting, and waiting for a connection ---------------------------


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


def test_a_sync_call_waiting_for_a_connection_gives_up_at_its_deadline(
    server: ScriptedServer,
) -> None:
    server.default = Reply(json=[], delay=1.0)
    with Fluidstack(TOKEN, base_url=server.url, max_connections=1, max_retries=0) as fs:
        holder = threading.Thread(target=fs.keys.list)  # holds the only connection for 1 s
        holder.start()
        _until(lambda: len(server.requests) == 1)  # the holder's request has arrived
        error, took = _timed(lambda: fs.with_options(timeout=0.3).keys.list())
        holder.join()
    assert 0.25 <= took < 0.8
    assert str(error) == (
        f"GET {server.url}/user/keys: PoolTimeout: no free connection before the attempt's deadline"
    )
    assert len(server.requests) == 1


def _until(condition: Any, timeout: float = 5.0) -> None:
    stop = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < stop, "timed out waiting"
        time.sleep(0.005)


def test_an_async_connect_that_hangs_ends_at_the_connect_timeout() -> None:
    # (Set on a copy: each request carries its copy's timeouts, not the pool's.)
    async def main(port: int) -> tuple[BaseException, float]:
        timeout = httpx.Timeout(5.0, connect=0.3)
        url = f"http://127.0.0.1:{port}"
        async with AsyncFluidstack(TOKEN, base_url=url, max_retries=0) as fs:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as info:
                await fs.with_options(timeout=timeout).keys.list()
            return info.value, time.monotonic() - started

    with stalled(backlog_full=True) as port:
        error, took = asyncio.run(main(port))
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)
