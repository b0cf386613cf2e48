"""Serve a `FakeAPI` (or anything with its `handle` method) over real HTTP on loopback."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from ._errors import FakeUsageError
from ._fake import FakeAPI, FakeResponse, checked_origin
from ._transport import request_path

# Where a client on the same machine reaches a server listening on every interface.
_LOOPBACK_FOR = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104
# What one request may hold: far above any request of the API, and low enough that a
# server many jobs share cannot be made to hold gigabytes or work for minutes.
MAX_REQUEST_BODY = 8 * 1024 * 1024
"""Bytes of a request body (413 past it)."""
MAX_REQUEST_HEADERS = 64 * 1024
"""Bytes of a request's header lines, names and values (431 past it)."""
MAX_CHUNKS = 10_000
"""Chunks of a chunked request body (400 past it)."""


_LINGER_BYTES = 1024 * 1024  # read past a refusal at most, before closing


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class App(Protocol):
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every answer the server writes itself (framing, header limits, a request line
        it cannot parse) in the API's `Error` shape, never the standard library's HTML
        page; the connection is closed after it (what follows cannot be trusted)."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # (a line it could not parse: not 0.9)
            self.request_version = "HTTP/1.1"
        text = message or self.responses.get(code, ("error",))[0]
        payload = json.dumps({"message": text}).encode()
        try:
            self.send_response(code, None)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(payload)
        except OSError:
            pass  # the client has gone: nothing to tell it

    def _handle(self) -> None:
        try:
            self._check_headers()
            body = self._body()
        except _Refused as refused:
            self.send_error(refused.status, refused.message)
            self._linger()
            return
        answer = self.server.app.handle(
            self.command, request_path(self.path.encode("latin-1")), dict(self.headers), body
        )
        if answer.delay:
            time.sleep(answer.delay)
        if answer.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":  # (headers only: a body would be read as the next answer)
            self.wfile.write(answer.body)

    def _linger(self) -> None:
        """Close gently after answering a request not read to its end: stop sending,
        then read (and drop) what is still coming, a little while, so that closing
        with unread bytes (a reset) cannot wipe the answer before the client reads it."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            drained = 0
            while drained < _LINGER_BYTES and (data := self.connection.recv(65536)):
                drained += len(data)
        except OSError:
            pass

    def _check_headers(self) -> None:
        size = sum(len(name) + len(value) for name, value in self.headers.items())
        if size > MAX_REQUEST_HEADERS:
            raise _Refused(431, f"request headers over {MAX_REQUEST_HEADERS:,} bytes ({size:,})")

    def _body(self) -> bytes:
        """The request body, read in time linear in its size; _Refused when its framing
        cannot be read or it is over the limits."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked()
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        if not declared.strip().isdigit():
            raise _Refused(400, "unreadable body framing (Content-Length)")
        length = int(declared)
        if length > MAX_REQUEST_BODY:
            raise _Refused(413, f"request body over {MAX_REQUEST_BODY:,} bytes")
        return self.rfile.read(length) if length else b""

    def _chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise _Refused(400, "unreadable body framing (chunked)") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_REQUEST_BODY:
                raise _Refused(413, f"request body over {MAX_REQUEST_BODY:,} bytes")
            if len(chunks) >= MAX_CHUNKS:
                raise _Refused(400, f"request body in over {MAX_CHUNKS:,} chunks")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle
    do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = do_QUERY = _handle


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 stalls concurrent connects
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer was written (one that timed out,
        # as tests make them) is no fault of the server: no traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """A threaded HTTP/1.1 server on a loopback address answering with `app.handle`."""

    def __init__(self, app: App, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _HTTPServer((host, port), app)
        bound_host, bound_port = self._httpd.socket.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.port: int = bound_port
        self.origin = f"http://{shown}:{bound_port}"
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> App:
        return self._httpd.app

    @app.setter
    def app(self, app: App) -> None:
        self._httpd.app = app

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()


def advertised_origin(bound_origin: str, host: str, port: int) -> str:
    """The origin to advertise for a server bound to `host`: itself, except that
    "every interface" (0.0.0.0, ::) is no address a client can use, so the loopback
    address of that family stands in for it."""
    loopback = _LOOPBACK_FOR.get(host)
    if loopback is None:
        return bound_origin
    return f"http://[{loopback}]:{port}" if ":" in loopback else f"http://{loopback}:{port}"


class FakeServer:
    """A `FakeAPI` behind a real HTTP/1.1 server (threaded). Regions point back at it.

    It listens as soon as it is built; `start()` (or `with`) serves from a thread,
    `serve_forever()` from the calling one.

    Args:
        fake: The fake to serve (default: a new `FakeAPI()`).
        host: The address to listen on. `"0.0.0.0"` (every interface) is
            advertised as 127.0.0.1 unless `public_url` says otherwise.
        port: The port to listen on; 0 picks a free one.
        public_url: The URL clients reach the server at, when that is not the
            address it listens on (a published container port, a proxy):
            `base_url`, the region URLs and `token_url` are built from it.

    Raises:
        FakeUsageError: A port outside 0-65535, or a `public_url` that is not an
            absolute http(s) URL or is one no client can connect to.
        OSError: It cannot listen there (the port is in use, say).

    Attributes:
        fake: The fake being served.
        port: The port it listens on.
        listening_origin: The address it listens on, as a URL.
        public_origin: The origin it advertises.
    """

    def __init__(
        self,
        fake: FakeAPI | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise FakeUsageError(f"port must be a whole number from 0 to 65535, got {port!r}")
        public = None if public_url is None else checked_origin(public_url, "public_url")
        self.fake = fake or FakeAPI()
        self._server = LoopbackServer(self.fake, host=host, port=port)
        self.port: int = self._server.port
        self.listening_origin = self._server.origin  # the address it is bound to
        self.public_origin = public or advertised_origin(self._server.origin, host, self.port)
        self.fake.with_origin(self.public_origin)

    @property
    def base_url(self) -> str:
        """The base URL clients use: `<public origin>/api/v1alpha1`."""
        return self.fake.base_url

    def use(self, fake: FakeAPI) -> None:
        """Serve a different fake from now on (a fresh state between tests, say).

        Args:
            fake: The fake to serve; it is told the server's public origin.
        """
        fake.with_origin(self.public_origin)
        self.fake = self._server.app = fake

    def start(self) -> FakeServer:
        """Serve from a background thread until `stop()`.

        Returns:
            The server itself.
        """
        self._server.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.stop()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(
    fake: FakeAPI | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    public_url: str | None = None,
) -> Iterator[FakeServer]:
    """Run a fake on a free loopback port for the duration of a `with` block.

    Args:
        fake: The fake to serve (default: a new `FakeAPI()`).
        host: The address to listen on.
        port: The port to listen on; 0 picks a free one.
        public_url: The URL clients reach it at, if not the listening address.

    Yields:
        The running `FakeServer`; `server.base_url` is what to give a client.
    """
    with FakeServer(fake, host=host, port=port, public_url=public_url) as server:
        yield server
