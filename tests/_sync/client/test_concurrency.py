# Derived from tests/client/test_concurrency.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Many calls through one client: a thousand at once share it, the pool bounds how many
are in flight and keeps every connection it opens, reads share kept-alive connections
while each write gets a fresh one (so a write never reads what was left on a reused
connection). An `Fluidstack` belongs to the event loop that first used it, and
its single-flight (one region fetch shared by every caller) leaves nothing behind."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from support import samples
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer

from fluidstack_client import (
    ClientCredentials,
    ConflictError,
    Fluidstack,
    SSHKey,
)

JSON = {"Content-Type": "application/json"}
LAPTOP = SSHKey(name="laptop", key=samples.SSH_KEY["key"])


# -- a thousand calls at once ------------------------------------------------------------


# -- the pool: how many in flight, and every connection kept -----------------------------


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


# -- connections: reads share, writes get fresh ones -------------------------------------


def test_reads_share_a_connection_and_each_write_gets_a_fresh_one() -> None:
    ports: list[tuple[str, int]] = []

    def answer(conn: Conn) -> None:
        ports.append((conn.request.method, conn.sock.getpeername()[1]))
        conn.respond(200, b"[]", JSON)

    with HostileServer(answer) as hostile:
        with Fluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST) as fs:
            fs.keys.list()
            fs.keys.list()
            fs.keys.register(name="a", key="ssh-ed25519 A")
            fs.keys.register(name="b", key="ssh-ed25519 B")
            fs.keys.list()
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


def test_a_token_request_goes_over_the_pool_of_reads() -> None:
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
        with Fluidstack(creds, base_url=hostile.url, retry_policy=FAST) as fs:
            assert fs.keys.list() == []
    assert [(method, path) for method, path, _ in seen] == [
        ("POST", "/oauth/token"),
        ("GET", "/user/keys"),
    ]
    assert seen[0][2] == seen[1][2]  # one connection


def test_a_write_answered_with_an_error_body_leaves_no_connection_to_reuse() -> None:
    # An error's body is read, so its connection could go back to a pool: the writes'
    # pool keeps none, and the next write still gets a fresh connection.
    ports: list[int] = []

    def answer(conn: Conn) -> None:
        ports.append(conn.sock.getpeername()[1])
        conn.respond(409, b'{"message": "exists"}', JSON)

    with HostileServer(answer) as hostile:
        with Fluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST) as fs:
            for _ in range(2):
                with pytest.raises(ConflictError):
                    fs.keys.register(name="k", key="ssh-ed25519 A")
    assert len(ports) == 2
    assert ports[0] != ports[1]


def test_a_write_never_reads_bytes_sent_before_it() -> None:
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
        with Fluidstack(TOKEN, base_url=hostile.url, retry_policy=FAST) as fs:
            assert fs.keys.list() == []
            with pytest.raises(ConflictError, match="already invited"):
                fs.invitations.create(email="a@b.io")
        assert hostile.count("POST", "/invitations") == 1


def test_a_connection_the_server_closed_is_not_reused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(conn: Conn) -> None:
        conn.respond(200, b"[]", JSON)
        conn.close()  # no `Connection: close`: the client must notice by itself

    with HostileServer(answer) as hostile:
        with Fluidstack(TOKEN, base_url=hostile.url) as fs:
            with caplog.at_level(logging.INFO, logger="fluidstack_client"):
                assert fs.keys.list() == []
                time.sleep(0.2)  # the close has arrived
                assert fs.keys.list() == []
            assert hostile.count("GET", "/user/keys") == 2
    assert [r.getMessage() for r in caplog.records if r.name == "fluidstack_client"] == []


# -- the event loop an Fluidstack belongs to ------------------------------------------
# (Plain tests: each runs event loops of its own, one after another.)


# -- the async single flight ---------------------------------------------------------------
