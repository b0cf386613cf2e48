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
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from clients import TOKEN
from hostile_server import Conn, HostileServer
from scripted_server import Reply, ScriptedServer

from fluidstack_client import APITimeoutError, Fluidstack
from fluidstack_client._async_backend import SingleFlight


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


def test_a_connect_that_hangs_ends_at_the_connect_timeout() -> None:
    with stalled(backlog_full=True) as port:
        timeout = httpx.Timeout(5.0, connect=0.3)
        with Fluidstack(TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout) as fs:
            error, took = _timed(lambda: fs.with_options(max_retries=0).keys.list())
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)


def test_a_connect_that_hangs_ends_at_the_attempts_deadline() -> None:
    with stalled(backlog_full=True) as port:
        timeout = httpx.Timeout(5.0, read=0.3)  # the deadline, shorter than connect's
        with Fluidstack(TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=timeout) as fs:
            _, took = _timed(lambda: fs.with_options(max_retries=0).keys.list())
    assert 0.25 <= took < 2.0


def test_a_tls_handshake_that_hangs_ends_at_the_connect_timeout() -> None:
    with stalled(backlog_full=False) as port:
        timeout = httpx.Timeout(5.0, connect=0.3)
        with Fluidstack(TOKEN, base_url=f"https://127.0.0.1:{port}", timeout=timeout) as fs:
            error, took = _timed(lambda: fs.with_options(max_retries=0).keys.list())
    assert 0.25 <= took < 2.0
    assert "ConnectTimeout" in str(error)


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
