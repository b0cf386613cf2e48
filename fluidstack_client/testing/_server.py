"""Serve a `FakeAPI` (or anything with its `handle` method) over real HTTP on loopback."""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from ._errors import FakeUsageError
from ._fake import FakeAPI, FakeResponse, _check_number, _check_whole, checked_origin
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
MAX_CONNECTIONS = 512
"""Connections a server serves at once by default (past it, a new one is answered 503
and closed)."""
IDLE_TIMEOUT = 30.0
"""Seconds a server waits by default for a client's next bytes, between requests or
within one, before it closes the connection (408 when a body stopped coming)."""


_LINGER_BYTES = 1024 * 1024  # read past a refusal at most, before closing...
_LINGER_SECONDS = 0.5  # ...and for this long in all, however slowly it comes
_CHUNK_LINE = 1024  # bytes of a chunk-size line, its extensions included
_BLANK_LINES = 4  # empty lines skipped before a request line (RFC 9112 2.2)
_HEX = re.compile(rb"[0-9A-Fa-f]+")  # a chunk size: 1*HEXDIG, nothing else


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
    raw_requestline: bytes  # (set by handle_one_request)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # each read and write

    def parse_request(self) -> bool:
        """The request line and headers. A few empty lines before the request line are
        skipped (RFC 9112 2.2: a client may send one after a body); a request line
        without a version (HTTP/0.9, whose answers have no status line) is refused."""
        line = self.raw_requestline
        for _ in range(_BLANK_LINES):
            if line not in (b"\r\n", b"\n"):
                break
            line = self.raw_requestline = self.rfile.readline(65537)
        if not line:  # empty lines, then the client closed
            self.close_connection = True
            return False
        if line in (b"\r\n", b"\n") or len(line) > 65536:
            self.requestline = self.command = ""
            self.request_version = "HTTP/1.1"
            if len(line) > 65536:
                self.send_error(414, "request line over 65,536 bytes")
            else:
                self.send_error(400, "empty lines where a request line was expected")
            return False
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(400, "a request line needs an HTTP version (HTTP/0.9 is not served)")
            return False
        return True

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
        except TimeoutError:  # the body stopped coming
            self.send_error(408, f"request body not received within {self.server.idle_timeout:g} s")
            return
        path = request_path(self.path.encode("latin-1"))
        try:
            answer = self.server.app.handle(self.command, path, dict(self.headers), body)
        except Exception as exc:  # whatever the app raises: an answer all the same
            self._failed(exc, path, body)
            return
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
        if self.close_connection and not any(n.lower() == "connection" for n in answer.headers):
            self.send_header("Connection", "close")  # (the client asked, or spoke HTTP/1.0)
        self.end_headers()
        if self.command != "HEAD":  # (headers only: a body would be read as the next answer)
            self.wfile.write(answer.body)

    def _failed(self, exc: Exception, path: str, body: bytes) -> None:
        """Answer a request the app raised on: 400 for a body nested too deeply for
        the JSON parser (the client's doing), else 500, told in one line on stderr."""
        if isinstance(exc, RecursionError) and body:
            self.send_error(400, "the request body is nested too deeply to read")
            return
        name = type(exc).__name__
        print(
            f"fake server: {self.command} {path[:200]}: {name}: {str(exc)[:200]}",
            file=sys.stderr,
            flush=True,
        )
        self.send_error(500, f"the fake failed on this request ({name}); its log says more")

    def _linger(self) -> None:
        """Close gently after answering a request not read to its end: stop sending,
        then read (and drop) what is still coming, a little while, so that closing
        with unread bytes (a reset) cannot wipe the answer before the client reads it.
        The while is bounded in all, not per read: a client dripping bytes cannot
        hold the connection open."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER_SECONDS
            drained = 0
            while drained < _LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not (data := self.connection.recv(65536)):
                    break
                drained += len(data)
        except OSError:
            pass

    def _check_headers(self) -> None:
        size = sum(len(name) + len(value) for name, value in self.headers.items())
        if size > MAX_REQUEST_HEADERS:
            raise _Refused(431, f"request headers over {MAX_REQUEST_HEADERS:,} bytes ({size:,})")

    def _body(self) -> bytes:
        """The request body, read in time linear in its size; _Refused when its framing
        is not plainly one length (RFC 9112 6) or it is over the limits."""
        codings = [
            coding.strip(" \t").lower()
            for value in self.headers.get_all("Transfer-Encoding") or ()
            for coding in value.split(",")
            if coding.strip(" \t")
        ]
        lengths = self.headers.get_all("Content-Length") or []
        if codings:
            if lengths:
                raise _Refused(
                    400, "unreadable body framing (Content-Length and Transfer-Encoding)"
                )
            if codings[-1] != "chunked" or self.request_version == "HTTP/1.0":
                raise _Refused(400, "unreadable body framing (Transfer-Encoding)")
            if len(codings) > 1:
                raise _Refused(501, "Transfer-Encoding other than chunked is not supported")
            return self._chunked()
        if not lengths:
            return b""
        values = {value.strip(" \t") for line in lengths for value in line.split(",")}
        if not all(value.isascii() and value.isdigit() for value in values):
            raise _Refused(400, "unreadable body framing (Content-Length)")
        if len(values) > 1:
            raise _Refused(400, "unreadable body framing (differing Content-Length values)")
        digits = values.pop().lstrip("0")
        if len(digits) > len(str(MAX_REQUEST_BODY)) or int(digits or "0") > MAX_REQUEST_BODY:
            raise _Refused(413, f"request body over {MAX_REQUEST_BODY:,} bytes")
        length = int(digits or "0")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _Refused(400, "request body shorter than its Content-Length")
        return body

    def _chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self._line(_CHUNK_LINE, "chunk-size line")
            size_text = line.rstrip(b"\n").removesuffix(b"\r").split(b";", 1)[0].rstrip(b" \t")
            if not _HEX.fullmatch(size_text):
                raise _Refused(400, "unreadable body framing (chunked)")
            size = int(size_text, 16)
            if size == 0:
                self._trailers()
                return b"".join(chunks)
            total += size
            if total > MAX_REQUEST_BODY:
                raise _Refused(413, f"request body over {MAX_REQUEST_BODY:,} bytes")
            if len(chunks) >= MAX_CHUNKS:
                raise _Refused(400, f"request body in over {MAX_CHUNKS:,} chunks")
            chunks.append(data := self.rfile.read(size))
            if len(data) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _Refused(400, "unreadable body framing (chunk data not followed by CRLF)")

    def _trailers(self) -> None:
        """Read past a chunked body's trailer lines (dropped), to the empty line."""
        size = 0
        while (line := self._line(MAX_REQUEST_HEADERS, "trailer line")) not in (b"\r\n", b"\n"):
            size += len(line)
            if size > MAX_REQUEST_HEADERS:
                raise _Refused(431, f"request trailers over {MAX_REQUEST_HEADERS:,} bytes")

    def _line(self, limit: int, what: str) -> bytes:
        """One line of a chunked body, ending in LF; _Refused when it is longer than
        `limit` or the connection ends first."""
        line = self.rfile.readline(limit + 1)
        if len(line) > limit:
            raise _Refused(400, f"unreadable body framing ({what} over {limit:,} bytes)")
        if not line.endswith(b"\n"):
            raise _Refused(400, "unreadable body framing (chunked)")
        return line

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle
    do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = do_QUERY = _handle


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 stalls concurrent connects
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self._open = 0  # connections being served, each by a thread
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            busy = self._open >= self.max_connections
            if not busy:
                self._open += 1
        if busy:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)  # a thread for it
        except BaseException:
            self._closed_one()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._closed_one()

    def _closed_one(self) -> None:
        with self._open_lock:
            self._open -= 1

    def _refuse(self, request: socket.socket) -> None:
        """Answer a connection past `max_connections` 503 and close it, from the
        accepting thread and without waiting on the client (no thread for it)."""
        payload = json.dumps(
            {
                "message": f"the server has {self.max_connections:,} connections open, its "
                "most: try again shortly"
            }
        ).encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        try:
            request.settimeout(0)
            request.send(head.encode() + payload)  # (a new connection's buffer takes it)
            request.shutdown(socket.SHUT_WR)
            for _ in range(16):  # drop what has come already: closing on it would reset
                if not request.recv(65536):
                    break
        except OSError:
            pass  # nothing more has come (or the client has gone)
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer was written (one that timed out,
        # as tests make them) is no fault of the server: no traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """A threaded HTTP/1.1 server on a loopback address answering with `app.handle`."""

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self._httpd = _HTTPServer(
            (host, port), app, idle_timeout=idle_timeout, max_connections=max_connections
        )
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
        idle_timeout: Seconds to wait for a client's next bytes, between requests
            or within one, before closing its connection (default 30; 408 when a
            body stopped coming).
        max_connections: Connections served at once (default 512); a new one past
            it is answered 503 (with `Retry-After: 1`) and closed.

    Raises:
        FakeUsageError: A port outside 0-65535, a `public_url` that is not an
            absolute http(s) URL or is one no client can connect to, an
            `idle_timeout` that is not a number above 0, or a `max_connections`
            below 1.
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
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise FakeUsageError(f"port must be a whole number from 0 to 65535, got {port!r}")
        _check_number("idle_timeout", idle_timeout, minimum=0.0, exclusive=True)
        _check_whole("max_connections", max_connections, minimum=1)
        public = None if public_url is None else checked_origin(public_url, "public_url")
        self.fake = fake or FakeAPI()
        self._server = LoopbackServer(
            self.fake,
            host=host,
            port=port,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
        )
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
    idle_timeout: float = IDLE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> Iterator[FakeServer]:
    """Run a fake on a free loopback port for the duration of a `with` block.

    Args:
        fake: The fake to serve (default: a new `FakeAPI()`).
        host: The address to listen on.
        port: The port to listen on; 0 picks a free one.
        public_url: The URL clients reach it at, if not the listening address.
        idle_timeout: Seconds to wait for a client's next bytes before closing
            its connection.
        max_connections: Connections served at once (503 past it).

    Yields:
        The running `FakeServer`; `server.base_url` is what to give a client.
    """
    with FakeServer(
        fake,
        host=host,
        port=port,
        public_url=public_url,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
    ) as server:
        yield server
