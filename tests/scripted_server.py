"""A real HTTP/1.1 server on 127.0.0.1 whose answers a test scripts in advance.

Each test queues `Reply` objects (status, JSON or raw body, headers, a delay, or a
dropped connection); requests are answered in order and recorded, so a test can
assert exactly what went over the wire.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 stalls concurrent connects
    daemon_threads = True
    block_on_close = False


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self.default: Reply | Callable[[Recorded], Reply] = Reply(404, {"message": "unscripted"})
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = server._next(rec)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = reply.body
                if payload is None:
                    payload = b"" if reply.json is None else json.dumps(reply.json).encode()
                self.send_response(reply.status)
                if payload or reply.status not in (204, 304):
                    self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self._httpd = _Server((host, 0), Handler)
        port = self._httpd.server_address[1]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def _next(self, rec: Recorded) -> Reply:
        with self._lock:
            self.requests.append(rec)
            if self._replies:
                return self._replies.popleft()
        return self.default(rec) if callable(self.default) else self.default

    def queue(self, *replies: Reply) -> ScriptedServer:
        with self._lock:
            self._replies.extend(replies)
        return self

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def last(self) -> Recorded:
        return self.requests[-1]
