"""Stoplight Prism on 127.0.0.1 for tests/contract/test_prism.py: `prism mock --errors`
on spec/openapi.yaml, and `prism proxy --errors` in front of the bundled fake.

Each is started once per test session however many fixture definitions ask for it
(the derived sync twin of the test module holds its own copies of the fixtures):
`mock()`, `upstream()` and `proxy()` give the running one, starting it if need be.
Prism comes from tests/contract/package-lock.json (the Makefile runs `npm ci`).
"""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import pytest

from fluidstack_client.testing import FakeServer
from support.client_operations import ROOT, SPEC_PATH

PRISM = ROOT / "tests" / "contract" / "node_modules" / ".bin" / "prism"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Prism:
    """A Prism process of our own, answering on `url` once built."""

    def __init__(self, *args: str) -> None:
        if not PRISM.exists():
            pytest.fail(f"{PRISM} is missing: run `make test` (it runs npm ci in tests/contract)")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(PRISM), *args, "--errors", "-h", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"prism exited early with status {self.proc.returncode}")
            try:
                httpx.get(self.url + "/regions", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        pytest.fail("prism did not start answering within 60 s")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """Stop the process (our own child, by its own PID); again is harmless."""
        if not self.running:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_prisms: dict[str, Prism] = {}
_upstreams: list[FakeServer] = []


def mock() -> Prism:
    """`prism mock --errors` on the spec: it judges every request it gets."""
    if "mock" not in _prisms or not _prisms["mock"].running:
        _prisms["mock"] = Prism("mock", str(SPEC_PATH))
    return _prisms["mock"]


def upstream() -> FakeServer:
    """The fake behind the proxy (a test chooses what it serves with `use()`)."""
    if not _upstreams:
        _upstreams.append(FakeServer().start())
    return _upstreams[0]


def proxy() -> Prism:
    """`prism proxy --errors` in front of `upstream()`: it judges every response too."""
    if "proxy" not in _prisms or not _prisms["proxy"].running:
        _prisms["proxy"] = Prism("proxy", str(SPEC_PATH), upstream().base_url)
    return _prisms["proxy"]


def stop_all() -> None:
    """Stop every Prism and the fake (at the end of the session)."""
    for prism in _prisms.values():
        prism.stop()
    _prisms.clear()
    for server in _upstreams:
        server.stop()
    _upstreams.clear()
