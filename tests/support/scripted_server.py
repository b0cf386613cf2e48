"""A real HTTP/1.1 server on 127.0.0.1 whose answers a test scripts in advance.

Each test queues `Reply` objects (status, JSON or raw body, headers, a delay, or a
dropped connection); requests are answered in order and recorded, so a test can
assert exactly what went over the wire. The HTTP side is the one the bundled fake
uses (`fluidstack_client.testing`); only the answers differ.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fluidstack_client.testing import FakeResponse, RecordedRequest
from fluidstack_client.testing._server import LoopbackServer

Recorded = RecordedRequest


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering

    def to_response(self) -> FakeResponse:
        payload = self.body
        if payload is None:
            payload = b"" if self.json is None else json.dumps(self.json).encode()
        headers = dict(self.headers)
        if payload or self.status not in (204, 304):
            headers.setdefault("Content-Type", self.content_type)
        return FakeResponse(self.status, payload, headers, delay=self.delay, drop=self.drop)


class ScriptedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self.default: Reply | Callable[[RecordedRequest], Reply] = Reply(
            404, {"message": "unscripted"}
        )
        self._lock = threading.Lock()
        self._server = LoopbackServer(self, host=host)
        self.url = self._server.origin

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        rec = RecordedRequest(
            method, path, None, None, {k.lower(): v for k, v in headers.items()}, body
        )
        with self._lock:
            self.requests.append(rec)
            reply = self._replies.popleft() if self._replies else None
        if reply is None:
            reply = self.default(rec) if callable(self.default) else self.default
        return reply.to_response()

    def queue(self, *replies: Reply) -> ScriptedServer:
        with self._lock:
            self._replies.extend(replies)
        return self

    def start(self) -> ScriptedServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]
