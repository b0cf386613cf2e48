"""Writes whose answer is lost after they were sent (`AmbiguousWriteError`): the POSTs
of both APIs, as the operation tables name them, and the ways a `HostileServer` can
lose an answer once it has read the whole request.

Each way is an `answer(conn)` for a HostileServer (tests/support/hostile_server.py),
which has read the request (head and body) when it is called, so the request has
provably arrived; what the client hears afterwards is all that differs.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from support.client_operations import OPERATIONS, Op
from support.client_region import REGION_OPERATIONS, RegionOp
from support.hostile_server import Conn

Answer = Callable[[Conn], None]


@dataclass(frozen=True)
class Write:
    """A POST of one of the APIs: the table's operation, the name the send path gives
    it (`AmbiguousWriteError.operation`), the path it goes to under the client's base
    URL, and whether its success has a body the client reads (a cut body then loses
    the answer; else the status line alone says it was done)."""

    api: str  # "management" or "region"
    table_name: str
    operation: str
    path: str
    body_read: bool

    @property
    def op(self) -> Op | RegionOp:
        return (
            OPERATIONS[self.table_name]
            if self.api == "management"
            else REGION_OPERATIONS[self.table_name]
        )

    def invoke(self, client: Any) -> Any:
        """Make the write on `client` (a client of its API): its result, or (an async
        client) its coroutine."""
        return self.op.invoke(client)

    @property
    def status(self) -> int:
        return self.op.reply.status

    @property
    def success_body(self) -> bytes:
        reply = self.op.reply
        return b"" if reply.json is None else json.dumps(reply.json).encode()


API = "/api/v1alpha1"
WRITES: dict[str, Write] = {
    w.table_name: w
    for w in [
        Write("region", "CreateInstance", "create_instance", f"{API}/instances", True),
        Write(
            "region",
            "StartInstance",
            "start_instance",
            f"{API}{REGION_OPERATIONS['StartInstance'].path}",
            False,
        ),
        Write(
            "region",
            "StopInstance",
            "stop_instance",
            f"{API}{REGION_OPERATIONS['StopInstance'].path}",
            False,
        ),
        Write("region", "CreateProject", "create_project", f"{API}/projects", True),
        Write("region", "CreateFilesystem", "create_filesystem", f"{API}/filesystems", True),
        Write("management", "RegisterKey", "register_key", "/user/keys", False),
        Write("management", "CreateInvitation", "create_invitation", "/invitations", False),
    ]
}


# -- ways to lose the answer of a request that has arrived -----------------------------------


def reset(conn: Conn) -> None:
    """A TCP reset (RST) instead of an answer: the client reads ECONNRESET."""
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.sock.close()
    conn.closed = True


def drop(conn: Conn) -> None:
    """The connection closed cleanly before a byte of the answer."""
    conn.close()


def cut_status_line(conn: Conn) -> None:
    """Part of a status line, then the connection closed."""
    with contextlib.suppress(OSError):
        conn.send(b"HTTP/1.1 20")
    conn.close()


def hold(conn: Conn) -> None:
    """No answer at all: the client's read timeout ends it."""
    conn.hold()


def cut_body(status: int, body: bytes) -> Answer:
    """`status` with a Content-Length promising all of `body` (and more), half of it
    sent, then the connection closed."""

    def answer(conn: Conn) -> None:
        promised = max(len(body), 8) + 64
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {promised}\r\n\r\n"
        ).encode()
        with contextlib.suppress(OSError):
            conn.send(head + body[: len(body) // 2])
        conn.close()

    return answer


# Every way an answer is lost before its status line arrives, by name.
BEFORE_THE_STATUS: dict[str, Answer] = {
    "reset": reset,
    "drop": drop,
    "cut-status-line": cut_status_line,
    "read-timeout": hold,
}
