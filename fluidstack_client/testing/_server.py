"""Serve a `FakeAPI` (or anything with its `handle` method) over real HTTP on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from ._fake import FakeAPI, FakeResponse
from ._transport import request_path


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

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
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
        self.wfile.write(answer.body)

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


class LoopbackServer:
    """A threaded HTTP/1.1 server on a loopback address answering with `app.handle`."""

    def __init__(self, app: App, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _HTTPServer((host, port), app)
        bound_host, bound_port = self._httpd.socket.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
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


class FakeServer:
    """A `FakeAPI` behind a real HTTP/1.1 server. Regions point back at it."""

    def __init__(self, fake: FakeAPI | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.fake = fake or FakeAPI()
        self._server = LoopbackServer(self.fake, host=host, port=port)
        self.fake.with_origin(self._server.origin)

    @property
    def base_url(self) -> str:
        return self.fake.base_url

    def use(self, fake: FakeAPI) -> None:
        """Serve a different fake from now on (a fresh state between tests, say)."""
        fake.with_origin(self._server.origin)
        self.fake = self._server.app = fake

    def start(self) -> FakeServer:
        self._server.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(
    fake: FakeAPI | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[FakeServer]:
    """Run a fake on a free loopback port for the duration of a `with` block."""
    with FakeServer(fake, host=host, port=port) as server:
        yield server
