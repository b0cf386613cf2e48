"""Many calls through one client: a thousand at once share it, the pool bounds how many
are in flight and keeps every connection it opens, reads share kept-alive connections
while each write gets a fresh one (so a write never reads what was left on a reused
connection). An `AsyncFluidstack` belongs to the event loop that first used it, and
its single-flight (one region fetch shared by every caller) leaves nothing behind."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from support import samples
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    AsyncFluidstack,
    ClientCredentials,
    ConflictError,
    Fluidstack,
    FluidstackError,
    SSHKey,
)
from fluidstack_client._async_backend import SingleFlight

JSON = {"Content-Type": "application/json"}
LAPTOP = SSHKey(name="laptop", key=samples.SSH_KEY["key"])


# -- a thousand calls at once ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.async_only
async def test_thousand_concurrent_calls_share_one_client(server: ScriptedServer) -> None:
    server.default = Reply(json=samples.INSTANCE)
    async with AsyncFluidstack(TOKEN, base_url=server.url) as fs:
        results = await asyncio.gather(
            *(fs.instances.get(samples.INSTANCE_ID) for _ in range(1000))
        )
    assert len(results) == 1000
    assert all(r.name == "gpu-0" for r in results)
    assert len(server.requests) == 1000
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)


# -- the pool: how many in flight, and every connection kept -----------------------------


@pytest.mark.async_only
@pytest.mark.parametrize("connections", [1, 3])
async def test_max_connections_bounds_the_calls_in_flight(
    connections: int, server: ScriptedServer
) -> None:
    server.default = Reply(json=[], delay=0.4)
    async with AsyncFluidstack(TOKEN, base_url=server.url, max_connections=connections) as fs:
        started = time.monotonic()
        await asyncio.gather(*(fs.keys.list() for _ in range(3)))
        took = time.monotonic() - started
    assert len(server.requests) == 3
    if connections == 1:
        assert took >= 1.2  # one after another
    else:
        assert took < 1.1  # side by side


WIDTH = 25  # more than the 20 idle connections httpx keeps unless told otherwise


def burst_server(ports: list[int]) -> HostileServer:
    """Answers [] once WIDTH requests are in flight at once; records each one's port."""
    lock = threading.Lock()
    burst = threading.Barrier(WIDTH, timeout=10)

    def answer(conn: Conn) -> None:
        burst.wait()  # every call of a burst is in flight at once
        with lock:
            ports.append(conn.sock.getpeername()[1])
        conn.respond(200, b"[]", JSON)

    return HostileServer(answer)


@pytest.mark.async_only
async def test_every_connection_the_pool_opens_is_kept_alive() -> None:
    # The client keeps every connection it may open, so a second burst as wide as the
    # pool reuses all of the first's.
    ports: list[int] = []
    with burst_server(ports) as hostile:
        async with AsyncFluidstack(
            TOKEN, base_url=hostile.url, retry_policy=FAST, max_connections=WIDTH
        ) as fs:
            for _ in range(2):
                results = await asyncio.gather(*(fs.keys.list() for _ in range(WIDTH)))
                assert results == [[]] * WIDTH
    assert len(ports) == 2 * WIDTH
    assert len(set(ports)) == WIDTH


def test_every_connection_the_pool_opens_is_kept_alive_with_threads() -> None:
    # The same through the sync client, shared by WIDTH threads.
    ports: list[int] = []
    with (
        burst_server(ports) as hostile,
        Fluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST, max_connections=WIDTH) as fs,
        ThreadPoolExecutor(WIDTH) as pool,
    ):
        for _ in range(2):
            assert list(pool.map(lambda _: fs.keys.list(), range(WIDTH))) == [[]] * WIDTH
    assert len(ports) == 2 * WIDTH
    assert len(set(ports)) == WIDTH


def test_threads_waiting_for_a_connection_are_served_in_turn(server: ScriptedServer) -> None:
    """Review of issue 22: with 16 threads calling in a loop on 4 connections, a thread
    that gave its connection back took it again ahead of those waiting
    (`threading.Semaphore` is not fair): four threads made ~400 calls each in 20 s
    while twelve made 1 or 2 and failed with PoolTimeout. Waiting threads are now
    served first come, first served."""
    server.default = Reply(json=samples.INSTANCE, delay=0.002)
    threads, stop = 16, threading.Event()
    calls = [0] * threads
    slowest = [0.0] * threads

    def busy(k: int) -> None:
        while not stop.is_set():
            started = time.monotonic()
            fs.instances.get(samples.INSTANCE_ID)
            calls[k] += 1
            slowest[k] = max(slowest[k], time.monotonic() - started)

    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_connections=4) as fs:
        workers = [threading.Thread(target=busy, args=(k,)) for k in range(threads)]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        stop.set()
        for worker in workers:
            worker.join(10)
    # Turns, not luck: every thread got a fair share of the calls made.
    assert min(calls) >= sum(calls) / threads / 3, calls
    assert max(slowest) < 1.0, slowest


# -- connections: reads share, writes get fresh ones -------------------------------------


async def test_reads_share_a_connection_and_each_write_gets_a_fresh_one() -> None:
    ports: list[tuple[str, int]] = []

    def answer(conn: Conn) -> None:
        ports.append((conn.request.method, conn.sock.getpeername()[1]))
        conn.respond(200, b"[]", JSON)

    with HostileServer(answer) as hostile:
        async with AsyncFluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST) as fs:
            await fs.keys.list()
            await fs.keys.list()
            await fs.keys.register(name="a", key="ssh-ed25519 A")
            await fs.keys.register(name="b", key="ssh-ed25519 B")
            await fs.keys.list()
    reads = {port for method, port in ports if method == "GET"}
    writes = [port for method, port in ports if method == "POST"]
    assert len(ports) == 5
    assert len(reads) == 1  # one kept-alive connection for every read
    assert len(set(writes)) == 2  # a new one for each write
    assert not reads & set(writes)
    # Closing the client closed both of its pools.
    assert fs._shared.http.is_closed
    assert fs._shared._writer is not None
    assert fs._shared._writer.is_closed


async def test_a_token_request_goes_over_the_pool_of_reads() -> None:
    # Only API writes get a connection of their own; the token endpoint's POST reuses
    # the kept-alive connection the reads use.
    seen: list[tuple[str, str, int]] = []

    def answer(conn: Conn) -> None:
        seen.append((conn.request.method, conn.request.path, conn.sock.getpeername()[1]))
        body = b"[]"
        if conn.request.path == "/oauth/token":
            body = json.dumps({"access_token": "at-0123456789", "expires_in": 3600}).encode()
        conn.respond(200, body, JSON)

    with HostileServer(answer) as hostile:
        creds = ClientCredentials(
            "svc-id", "client-secret-0123", token_url=f"{hostile.url}/oauth/token"
        )
        async with AsyncFluidstack(creds, base_url=hostile.url, retry_policy=FAST) as fs:
            assert await fs.keys.list() == []
    assert [(method, path) for method, path, _ in seen] == [
        ("POST", "/oauth/token"),
        ("GET", "/user/keys"),
    ]
    assert seen[0][2] == seen[1][2]  # one connection


async def test_a_write_answered_with_an_error_body_leaves_no_connection_to_reuse() -> None:
    # An error's body is read, so its connection could go back to a pool: the writes'
    # pool keeps none, and the next write still gets a fresh connection.
    ports: list[int] = []

    def answer(conn: Conn) -> None:
        ports.append(conn.sock.getpeername()[1])
        conn.respond(409, b'{"message": "exists"}', JSON)

    with HostileServer(answer) as hostile:
        async with AsyncFluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST) as fs:
            for _ in range(2):
                with pytest.raises(ConflictError):
                    await fs.keys.register(name="k", key="ssh-ed25519 A")
    assert len(ports) == 2
    assert ports[0] != ports[1]


async def test_a_write_never_reads_bytes_sent_before_it() -> None:
    # A server (or a proxy) that sends more than an answer's length leaves the rest
    # in the connection; had the write reused that connection, the stale `201` would
    # have been read as its answer and a refused invitation reported as created.
    stale = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"

    def answer(conn: Conn) -> None:
        if conn.request.method == "GET":
            conn.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2\r\n\r\n[]" + stale
            )
        else:
            conn.respond(409, b'{"message": "already invited"}', JSON)

    with HostileServer(answer) as hostile:
        async with AsyncFluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST) as fs:
            assert await fs.keys.list() == []
            with pytest.raises(ConflictError, match="already invited"):
                await fs.invitations.create(email="a@b.io")
        assert hostile.count("POST", "/invitations") == 1


async def test_a_connection_the_server_closed_is_not_reused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(conn: Conn) -> None:
        conn.respond(200, b"[]", JSON)
        conn.close()  # no `Connection: close`: the client must notice by itself

    with HostileServer(answer) as hostile:
        async with AsyncFluidstack(TOKEN, base_url=hostile.url) as fs:
            with caplog.at_level(logging.INFO, logger="fluidstack_client"):
                assert await fs.keys.list() == []
                time.sleep(0.2)  # the close has arrived
                assert await fs.keys.list() == []
            assert hostile.count("GET", "/user/keys") == 2
    assert [r.getMessage() for r in caplog.records if r.name == "fluidstack_client"] == []


# -- the event loop an AsyncFluidstack belongs to ------------------------------------------
# (Plain tests: each runs event loops of its own, one after another.)


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
        assert str(info.value) == (
            "this AsyncFluidstack belongs to another event loop (the one that first used it); "
            "create one client per event loop"
        )
        assert first.run_until_complete(fs.keys.list()) == []  # still bound to the first
    finally:
        first.close()
        second.close()
    with pytest.raises(FluidstackError) as info:
        asyncio.run(fs.keys.list())
    assert str(info.value) == (
        "this AsyncFluidstack was first used in an event loop that has since closed (an "
        "earlier asyncio.run() ended), and its connections belonged to that loop. Create the "
        "client inside the coroutine you pass to asyncio.run(), or one client per event loop."
    )
    assert len(server.requests) == 3
    asyncio.run(fs.aclose())


def test_async_client_reused_after_its_event_loop_ended_says_so(server: ScriptedServer) -> None:
    """The bug: the second asyncio.run() failed with a raw "RuntimeError: Event loop is
    closed" from deep inside httpx/anyio."""
    server.default = Reply(json=[samples.SSH_KEY], headers={"Connection": "close"})
    fs = AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST)

    assert asyncio.run(fs.keys.list()) == [LAPTOP]  # a real call in the first loop
    with pytest.raises(FluidstackError) as info:
        asyncio.run(fs.keys.list())  # and in the second

    message = str(info.value)
    assert "event loop" in message
    assert "closed" in message
    assert "asyncio.run" in message  # says what to do
    assert len(server.requests) == 1  # the second call sent nothing
    asyncio.run(fs.aclose())  # no connection was kept: nothing belongs to the dead loop


def test_closing_an_async_client_after_its_event_loop_ended_is_not_a_raw_runtime_error(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = Reply(json=[samples.SSH_KEY])  # kept alive: the pool holds a connection
    client: list[AsyncFluidstack] = [AsyncFluidstack(TOKEN, base_url=server.url)]
    assert asyncio.run(client[0].keys.list()) == [LAPTOP]
    problem = None
    try:
        asyncio.run(client[0].aclose())  # should close quietly, or say what happened
    except FluidstackError:
        pass
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    finally:
        # The connection belongs to the dead loop: have it collected now, quietly,
        # rather than warn during some later test.
        client.clear()
        monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    assert problem is None, problem


# -- the async single flight ---------------------------------------------------------------


@pytest.mark.async_only
async def test_the_leader_of_a_flight_waits_for_it_whatever_the_patience() -> None:
    async def slow() -> str:
        await asyncio.sleep(0.3)
        return "done"

    assert await SingleFlight[str]().run(slow, wait=0.05) == "done"


def test_a_flight_nobody_waits_for_leaves_nothing_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A plain test: what matters happens when its event loop ends.
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
