"""Stoplight Prism on 127.0.0.1 for tests/contract/test_prism*.py: `prism mock --errors`
on each API's spec (spec/openapi.yaml, spec/atlas-region-v1alpha1.yaml), and
`prism proxy --errors` in front of the bundled fake (its Management API, or its
regional API of the region `REGION`).

Each is started once per test session however many fixture definitions ask for it
(the derived sync twin of a test module holds its own copies of the fixtures):
`mock(api)`, `upstream()` and `proxy(api)` give the running one, starting it if need
be. Prism comes from tests/contract/package-lock.json (the Makefile runs `npm ci`).

The regional API lives under its server's `/api/v1alpha1` (the spec's `servers`),
while Prism serves a spec's paths from its root: a region client talks to Prism
through `Verdicts.serve_at_root()`, which takes that base path off each request, as the
region's front door does, and fails the call if a request misses it.
"""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import pytest

from fluidstack_client.testing import FakeServer
from support.client_operations import ROOT, SPEC_PATH
from support.client_region import API, REGION_SPEC_PATH

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


SPECS = {"management": SPEC_PATH, "region": REGION_SPEC_PATH}
REGION = "us-east-1"  # the fake's region behind the regional proxy

_prisms: dict[str, Prism] = {}
_upstreams: list[FakeServer] = []


def _running(key: str, *args: str) -> Prism:
    if key not in _prisms or not _prisms[key].running:
        _prisms[key] = Prism(*args)
    return _prisms[key]


def mock(api: str = "management") -> Prism:
    """`prism mock --errors` on the API's spec: it judges every request it gets."""
    return _running(f"mock {api}", "mock", str(SPECS[api]))


def upstream() -> FakeServer:
    """The fake behind the proxy (a test chooses what it serves with `use()`)."""
    if not _upstreams:
        _upstreams.append(FakeServer().start())
    return _upstreams[0]


def proxy(api: str = "management") -> Prism:
    """`prism proxy --errors` in front of `upstream()`'s API (the regional one: of
    `REGION`): it judges every response too."""
    fake = upstream()
    target = fake.base_url if api == "management" else fake.fake.region_url(REGION)
    return _running(f"proxy {api}", "proxy", str(SPECS[api]), target)


VALIDATED: list[str] = []  # every request Prism validated in this session


def violations(response: httpx.Response) -> str | None:
    """Prism's complaint about a request or response (whose body was read), if any."""
    if "sl-violations" in response.headers:
        return response.headers["sl-violations"]
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return response.text
    return None


class Verdicts:
    """Prism's verdicts on the requests of one call, gathered by the hooks of the
    call's own http_client: `judge()` each response (its body read), and for a
    region client talking to Prism `serve_at_root()` each request; `check()` fails
    with Prism's own words if anything was found."""

    def __init__(self) -> None:
        self.complaints: list[str] = []  # each with the request it is about
        self.found: list[str] = []  # each as Prism said it
        self.bodies: list[bytes] = []

    def judge(self, response: httpx.Response, body: bytes) -> None:
        self.bodies.append(body)
        where = f"{response.request.method} {response.request.url.path}"
        VALIDATED.append(where)
        found = violations(response)
        if found:
            self.found.append(found)
            self.complaints.append(f"{where}: {found}")

    def serve_at_root(self, request: httpx.Request) -> None:
        """Take the regional API's base path (`/api/v1alpha1`) off the request, for a
        Prism serving the regional spec's paths from its root. A request outside
        the base path is left as it is (Prism will not find it) and complained of."""
        path = request.url.path
        if path.startswith(API + "/"):
            request.url = request.url.copy_with(path=path.removeprefix(API))
        else:
            self.complaints.append(f"{request.method} {path}: not under the region API's {API}")

    def check(self) -> None:
        assert not self.complaints, "Prism found violations:\n" + "\n".join(self.complaints)


def stop_all() -> None:
    """Stop every Prism and the fake (at the end of the session)."""
    for prism in _prisms.values():
        prism.stop()
    _prisms.clear()
    for server in _upstreams:
        server.stop()
    _upstreams.clear()
