"""A deliberately misbehaving HTTP server on 127.0.0.1, at the byte level.

Each accepted connection is read up to the end of one request (head and
`Content-Length` body), recorded, and handed to the test's `answer(conn)`, which
writes whatever bytes it likes: a decompression bomb, headers dripped one byte a
second, a redirect to a port nobody listens on, a body that never ends. Requests
on a kept-alive connection are answered in turn until `answer` closes it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Conn:
    sock: socket.socket
    request: Request
    server: HostileServer
    closed: bool = field(default=False)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        reason: str = "X",
    ) -> None:
        """A well-formed response (Content-Length set unless given)."""
        head = {"Content-Length": str(len(body)), **(headers or {})}
        lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in head.items())]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def drip(self, data: bytes, interval: float) -> None:
        """Send `data` one byte at a time, `interval` seconds apart, until the client hangs up."""
        for i in range(len(data)):
            if self.server.stopping.is_set():
                return
            try:
                self.sock.sendall(data[i : i + 1])
            except OSError:
                return
            time.sleep(interval)

    def hold(self) -> None:
        """Say nothing more; return when the client hangs up (or the server stops)."""
        self.sock.settimeout(0.05)
        while not self.server.stopping.is_set():
            try:
                if not self.sock.recv(65536):
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        self.close()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class HostileServer:
    def __init__(self, answer: Callable[[Conn], None], host: str = "127.0.0.1") -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server((host, 0), backlog=128)
        self._listener.settimeout(0.05)
        port = self._listener.getsockname()[1]
        self.url = f"http://{host}:{port}"
        self.port = port
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            )

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        buffer = b""
        try:
            while not self.stopping.is_set():
                request, buffer = _read_request(sock, buffer)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                conn = Conn(sock, request, self)
                self.answer(conn)
                if conn.closed:
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def _read_request(sock: socket.socket, buffer: bytes) -> tuple[Request | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Request(method, path, headers, rest[:length]), rest[length:]


def refused_port() -> int:
    """A loopback port that refuses connections (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
