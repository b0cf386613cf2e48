"""A like-for-like benchmark: raw httpx, the plain generated client and the wrapper.

    .venv/bin/python benchmarks/bench.py [--rounds 9] [--json PATH] [--only MEASURE ...]
    .venv/bin/python benchmarks/bench.py --smoke      # everything tiny (~10 s), for CI

Three contenders make the same request for the same instance with the same inputs:

- **raw httpx**, the floor: `httpx.Client.get` / `httpx.AsyncClient.get` of the
  absolute URL + `.json()` (`json.loads` for parsing);
- **generated**: `AuthenticatedClient` + `get_instance.sync_detailed` /
  `asyncio_detailed` (parses into the attrs models);
- **wrapper**: `Fluidstack` / `AsyncFluidstack` and `fs.instances.get(id)`.

Each contender gets its own httpx client built by the same function: the same
`httpx.Limits` (100 connections, all kept alive, httpx's 5 s keep-alive expiry), the
same `httpx.Timeout` (the wrapper's default), the same TLS context, the same default
headers, and for the in-process rows the same transport class. The wrapper is handed
its client with `http_client=` and `max_connections=` equal to the pool size; the
generated client gets its with `set_httpx_client()`. On the wire all three send the
same request, `Authorization: Bearer <token>` included (raw and generated carry it as
a default header, the wrapper adds it per request), with a token of realistic size.
The wrapper on its *own* pool (what `Fluidstack(token)` builds) is measured too, in
the rows that say so.

The server runs in another process on 127.0.0.1: a small asyncio HTTP/1.1
keep-alive server answering `GET /instances/{id}` with one instance and
`GET /instances` with a list. Rounds are interleaved (each round runs every
contender, in rotating order; sequential calls take turns in blocks within a round);
each figure is the median over the rounds with the min-max, and each ratio is the
median of the per-round ratios to raw httpx, so both come from the same round set.
Every measure is one row of the Markdown table printed at the end; `--json PATH`
writes the raw figures as well. A default run takes 20-25 minutes on a 2-core
machine, 17-19 of them in the concurrency rows (raw httpx needs ~30 s for 1,000
concurrent calls on a cold pool); `--only` runs a subset.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import gc
import importlib.metadata
import importlib.util
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import httpx

from fluidstack_client import AsyncFluidstack, Fluidstack, RegionClient
from fluidstack_client._generated.management import types as generated_types
from fluidstack_client._generated.management.api.instances import get_instance, list_instances
from fluidstack_client._generated.management.client import AuthenticatedClient
from fluidstack_client._generated.management.models import Instance
from fluidstack_client._generated.region.api.instances import get_instance as region_get_instance
from fluidstack_client._generated.region.models import Instance as RegionInstance

ROOT = Path(__file__).resolve().parent.parent
# The two JSON decoders a body can go through (`types.loads`): the standard one, and
# msgspec's, checked by it, with the `speed` extra. Every contender of the CPU and parse
# rows sets its decoder before each call, so both are measured in one run.
STANDARD_DECODER: Callable[[bytes], Any] = json.loads
SPEED_DECODER: Callable[[bytes], Any] = generated_types._first_decoder()
HAVE_SPEED = SPEED_DECODER is not json.loads


def decoding(decoder: Callable[[bytes], Any], fn: Callable[[], T]) -> Callable[[], T]:
    """`fn`, with response bodies decoded by `decoder` during its calls."""

    def call() -> T:
        generated_types._decode = decoder
        return fn()

    return call


def decoded(funcs: dict[str, Callable[[], object]]) -> dict[str, Callable[[], object]]:
    """Every contender on the standard decoder, and the wrapper's `*_speed` twin on
    msgspec's (when the speed extra is installed)."""
    out = {name: decoding(STANDARD_DECODER, fn) for name, fn in funcs.items()}
    if HAVE_SPEED:
        for name in [n for n in funcs if n.startswith("wrapper")]:
            out[f"{name}_speed"] = decoding(SPEED_DECODER, funcs[name])
    return out


# Fresh interpreters (import times, sniffio workers) read compiled bytecode: with
# PYTHONDONTWRITEBYTECODE set, no .pyc is ever written for this checkout and every
# such process would compile fluidstack_client from source.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
HOST = "127.0.0.1"  # the only network target, ever
T = TypeVar("T")

# -- the data ----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt_shaped_token() -> str:
    """A token shaped and sized like an Auth0 RS256 access token (~800 characters):
    the wrapper scrubs every response body for it, so its size is realistic."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "bench-key-0123456789abcdef"}
    claims = {
        "iss": "https://fluidstack.us.auth0.com/",
        "sub": "bench-client@clients",
        "aud": "https://api.fluidstack.io",
        "iat": 1_800_000_000,
        "exp": 1_800_086_400,
        "scope": "read:instances read:clusters read:regions read:members write:keys",
        "gty": "client-credentials",
        "azp": "bench0client0id0000000000000000",
    }
    signature = bytes(range(256))  # 2048-bit RSA signature: 256 bytes
    parts = [json.dumps(header).encode(), json.dumps(claims).encode(), signature]
    return ".".join(_b64(p) for p in parts)


TOKEN = _jwt_shaped_token()
INSTANCE_ID = uuid.UUID("0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c")


def _instance(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=INSTANCE_ID.int ^ i)),
        "name": f"gpu-{i}",
        "type": "h100-80gb-sxm",
        "state": ("running", "stopped", "creating")[i % 3],
        "ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
        "image": "ubuntu-22.04",
        "preemptible": i % 2 == 0,
        "ephemeral": True,
        "tags": {"team": "ml", "job": f"train-{i % 97}"},
        "project_id": "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f",
        "region": "us-east-1",
        "health": "healthy",
        "updated_at": "2026-11-27T10:11:12.123456Z",
    }


ONE_BODY = json.dumps(_instance(0)).encode()
PATH_ONE = f"/instances/{INSTANCE_ID}"
PROJECT_ID = uuid.UUID("5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f")


def _region_instance(i: int) -> dict[str, Any]:
    """The same instance as a region's API answers it (no region, project or health;
    its filesystems and user data instead)."""
    instance = _instance(i)
    for key in ("project_id", "region", "health", "updated_at"):
        del instance[key]
    return {
        **instance,
        "filesystems": ["123e4567-e89b-12d3-a456-426614174000"],
        "userData": "I2Nsb3VkLWNvbmZpZwpwYWNrYWdlczoKICAtIG5naW54",
    }


REGION_BODY = json.dumps(_region_instance(0)).encode()


def list_body(count: int) -> bytes:
    return json.dumps([_instance(i) for i in range(count)]).encode()


# -- identical configuration for every contender -----------------------------------------

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=5.0)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # the wrapper's default
CONCURRENCY_TIMEOUT = httpx.Timeout(600.0, connect=10.0)  # see bench_concurrency
# The wrapper asks for exactly these encodings; httpx asks for more if brotli or
# zstandard is installed. Every contender sends the same.
ACCEPT_ENCODING = "gzip, deflate"
_TLS = httpx.create_ssl_context()  # one for all: building one per client costs ~50 ms


def _headers(auth: bool) -> dict[str, str]:
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    if auth:  # the wrapper adds it per request; the others need it as a default
        headers["Authorization"] = f"Bearer {TOKEN}"
    return headers


def sync_http(
    base_url: str, *, auth: bool, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        limits=LIMITS,
        timeout=TIMEOUT,
        verify=_TLS,
        headers=_headers(auth),
        transport=transport,
    )


def async_http(base_url: str, *, auth: bool, timeout: httpx.Timeout = TIMEOUT) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        limits=LIMITS,
        timeout=timeout,
        verify=_TLS,
        headers=_headers(auth),
    )


def sync_wrapper(base_url: str, http: httpx.Client) -> Fluidstack:
    """The wrapper on `http` (built by sync_http(auth=False)); closing it is ours."""
    return Fluidstack(
        TOKEN,
        base_url=base_url,
        timeout=TIMEOUT,
        max_connections=LIMITS.max_connections or 100,
        http_client=http,
    )


def async_wrapper(
    base_url: str, http: httpx.AsyncClient, timeout: httpx.Timeout = TIMEOUT
) -> AsyncFluidstack:
    return AsyncFluidstack(
        TOKEN,
        base_url=base_url,
        timeout=timeout,
        max_connections=LIMITS.max_connections or 100,
        http_client=http,
    )


def generated(http: httpx.Client | httpx.AsyncClient) -> AuthenticatedClient:
    # set_*_httpx_client: the generated client sends through `http` as it is (its
    # default Authorization header included) instead of building its own.
    client = AuthenticatedClient(base_url=str(http.base_url), token=TOKEN)
    if isinstance(http, httpx.Client):
        return client.set_httpx_client(http)
    return client.set_async_httpx_client(http)


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body handed over unread, in network-sized pieces cut in advance: every
    contender reads it as it would read a socket's."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


class FixedTransport(httpx.BaseTransport):
    """In-process: one instance for /instances/{id}, a prepared list for /instances.
    No socket, no thread: the client's own CPU is all that is left to measure."""

    def __init__(self, listing: bytes = b"[]", one: bytes = ONE_BODY) -> None:
        self._bodies = {
            "one": [one],
            "list": [listing[i : i + 65536] for i in range(0, len(listing), 65536)],
        }
        self._lengths = {"one": str(len(one)), "list": str(len(listing))}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        which = "list" if request.url.path.rstrip("/").endswith("/instances") else "one"
        return httpx.Response(
            200,
            headers={"Content-Type": "application/json", "Content-Length": self._lengths[which]},
            stream=_Chunks(self._bodies[which]),
        )


# -- the server (another process) --------------------------------------------------------


def _response(body: bytes, status: bytes = b"200 OK") -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body


class _HTTP(asyncio.Protocol):
    """Just enough HTTP/1.1: keep-alive, pipelining, bodies skipped by Content-Length."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self._answers = answers
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        transport = self._transport
        assert transport is not None
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > 65536:
                    transport.close()
                return
            head = self._buffer[:end].lower()
            skip = 0
            for line in head.split(b"\r\n")[1:]:
                if line.startswith(b"content-length:"):
                    skip = int(line.split(b":", 1)[1])
            if len(self._buffer) < end + 4 + skip:
                return
            self._buffer = self._buffer[end + 4 + skip :]
            target = head.split(b" ", 2)[1].split(b"?", 1)[0].decode().rstrip("/")
            if target.endswith("/instances"):
                transport.write(self._answers["list"])
            elif "/instances/" in target:
                transport.write(self._answers["one"])
            else:
                transport.write(self._answers["missing"])
            if b"\r\nconnection: close" in head:
                transport.close()
                return


def _serve(conn: Connection, listing: int) -> None:
    # Ctrl-C goes to the whole process group: the parent stops this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = {
        "one": _response(ONE_BODY),
        "list": _response(list_body(listing)),
        "missing": _response(b'{"message":"not found"}', b"404 Not Found"),
    }

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _HTTP(answers), HOST, 0, backlog=4096)
        conn.send(server.sockets[0].getsockname()[1])
        parent, orphaned = os.getppid(), asyncio.Event()

        def check_parent() -> None:  # the parent died without stopping us: stop
            if os.getppid() != parent:
                orphaned.set()
            else:
                loop.call_later(0.5, check_parent)

        check_parent()
        await orphaned.wait()

    asyncio.run(main())


@contextlib.contextmanager
def server(listing: int) -> Iterator[str]:
    """The server's base URL while it runs; stopped on exit, Ctrl-C and SIGTERM too."""
    ours, theirs = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=_serve, args=(theirs, listing), daemon=True)
    process.start()
    try:
        if not ours.poll(30):
            raise RuntimeError("the benchmark server did not start")
        port = ours.recv()
        url = f"http://{HOST}:{port}"
        with httpx.Client() as probe:  # up and answering
            assert probe.get(url + PATH_ONE).json()["id"] == str(INSTANCE_ID)
        yield url
    finally:
        process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()


def _terminate_on_sigterm() -> None:
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through `with server()`

    signal.signal(signal.SIGTERM, stop)


# -- rounds ------------------------------------------------------------------------------

Figures = dict[str, dict[str, list[float]]]  # metric -> contender -> one value per round


def _rotated(names: Sequence[str], round_no: int) -> list[str]:
    k = round_no % len(names)
    return [*names[k:], *names[:k]]


def _record(figures: Figures, name: str, values: dict[str, float]) -> None:
    for metric, value in values.items():
        figures.setdefault(metric, {}).setdefault(name, []).append(value)


def rounds(rounds_: int, contenders: dict[str, Callable[[], dict[str, float]]]) -> Figures:
    figures: Figures = {}
    for round_no in range(rounds_):
        for name in _rotated(list(contenders), round_no):
            gc.collect()
            _record(figures, name, contenders[name]())
    return figures


async def arounds(
    rounds_: int, contenders: dict[str, Callable[[], Awaitable[dict[str, float]]]]
) -> Figures:
    figures: Figures = {}
    for round_no in range(rounds_):
        for name in _rotated(list(contenders), round_no):
            gc.collect()
            _record(figures, name, await contenders[name]())
    return figures


BLOCKS = 10  # per round, the calls of each contender are split into this many blocks


def calls_in_blocks(
    funcs: dict[str, Callable[[], object]], calls: int, rounds_: int, *, first: int = 0
) -> Figures:
    """Wall and process CPU seconds per call, one figure per round and contender.

    Within a round the contenders take turns every `calls / BLOCKS` calls (in rotating
    order), so a burst of load from elsewhere on the machine hits them all alike and
    the per-round ratios stay paired."""
    names = list(funcs)
    per_block = max(1, calls // BLOCKS)
    figures: Figures = {}
    for round_no in range(first, first + rounds_):
        wall = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        gc.collect()
        for block in range(BLOCKS):
            for name in _rotated(names, round_no + block):
                fn = funcs[name]
                c, w = time.process_time(), time.perf_counter()
                for _ in range(per_block):
                    fn()
                wall[name] += time.perf_counter() - w
                cpu[name] += time.process_time() - c
        done = per_block * BLOCKS
        for name in names:
            _record(figures, name, {"wall": wall[name] / done, "cpu": cpu[name] / done})
    return figures


async def acalls_in_blocks(
    funcs: dict[str, Callable[[], Awaitable[object]]], calls: int, rounds_: int, *, first: int = 0
) -> Figures:
    """calls_in_blocks, awaiting each call."""
    names = list(funcs)
    per_block = max(1, calls // BLOCKS)
    figures: Figures = {}
    for round_no in range(first, first + rounds_):
        wall = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        gc.collect()
        for block in range(BLOCKS):
            for name in _rotated(names, round_no + block):
                fn = funcs[name]
                c, w = time.process_time(), time.perf_counter()
                for _ in range(per_block):
                    await fn()
                wall[name] += time.perf_counter() - w
                cpu[name] += time.process_time() - c
        done = per_block * BLOCKS
        for name in names:
            _record(figures, name, {"wall": wall[name] / done, "cpu": cpu[name] / done})
    return figures


def _timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    """Wall seconds per call of `fn`, over `repeat` calls."""
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return {"wall": (time.perf_counter() - started) / repeat}


# -- 1. sync calls: in-process (client CPU) and loopback ---------------------------------


def bench_sync(base_url: str | None, calls: int, rounds_: int, *, own_pool: bool) -> Figures:
    """`instances.get` sequentially on warm sync clients: wall and CPU per call. With
    no `base_url`, in-process: every client gets a FixedTransport instead of a socket."""
    url = base_url or f"http://{HOST}"

    def transport() -> httpx.BaseTransport | None:
        return FixedTransport() if base_url is None else None

    raw_http = sync_http(url, auth=True, transport=transport())
    gen_http = sync_http(url, auth=True, transport=transport())
    gen = generated(gen_http)
    fs_http = sync_http(url, auth=False, transport=transport())
    fs = sync_wrapper(url, fs_http)
    absolute = url + PATH_ONE
    funcs: dict[str, Callable[[], object]] = {
        "raw": lambda: raw_http.get(absolute).json(),
        "generated": lambda: get_instance.sync_detailed(INSTANCE_ID, client=gen).parsed,
        "wrapper": lambda: fs.instances.get(INSTANCE_ID),
    }
    region_https: list[httpx.Client] = []
    if base_url is None:  # for reference: raw httpx joining a relative path to base_url
        funcs["raw_relative"] = lambda: raw_http.get(PATH_ONE).json()
        region_https = _region_contenders(url, funcs)
    own: Fluidstack | None = None
    if own_pool:  # the pool the wrapper builds itself (max_connections=100)
        own = Fluidstack(TOKEN, base_url=url, timeout=TIMEOUT, max_connections=100)
        own_fs = own
        funcs["wrapper_own"] = lambda: own_fs.instances.get(INSTANCE_ID)
    if base_url is None:  # the in-process (CPU) rows: both decoders
        funcs = decoded(funcs)
    try:
        for name, fn in funcs.items():  # warm: connection open, code paths specialised
            result = fn()
            if not name.startswith("raw"):
                assert isinstance(result, RegionInstance if "region" in name else Instance), result
            for _ in range(max(20, calls // 10)):
                fn()
        return calls_in_blocks(funcs, calls, rounds_)
    finally:
        for http in (raw_http, gen_http, fs_http, *region_https):
            http.close()
        if own is not None:
            own.close()


def _region_contenders(url: str, funcs: dict[str, Callable[[], object]]) -> list[httpx.Client]:
    """The same three, for a region's `instances.get` (a regional body, X-PROJECT-ID
    sent by all three): `RegionClient` against raw httpx and the generated region code."""
    raw_http = sync_http(url, auth=True, transport=FixedTransport(one=REGION_BODY))
    raw_http.headers["X-PROJECT-ID"] = str(PROJECT_ID)
    gen_http = sync_http(url, auth=True, transport=FixedTransport(one=REGION_BODY))
    gen = generated(gen_http)
    fs_http = sync_http(url, auth=False, transport=FixedTransport(one=REGION_BODY))
    region = RegionClient(
        url,
        token=TOKEN,
        project_id=PROJECT_ID,
        timeout=TIMEOUT,
        max_connections=LIMITS.max_connections or 100,
        http_client=fs_http,
    )
    absolute = url + PATH_ONE
    funcs["raw_region"] = lambda: raw_http.get(absolute).json()
    funcs["generated_region"] = lambda: (
        region_get_instance.sync_detailed(INSTANCE_ID, client=gen, x_project_id=PROJECT_ID).parsed
    )
    funcs["wrapper_region"] = lambda: region.instances.get(INSTANCE_ID)
    return [raw_http, gen_http, fs_http]


def _bind_timed(fn: Callable[[], object], repeat: int) -> Callable[[], dict[str, float]]:
    return lambda: _timed(fn, repeat)


# -- 2. async sequential calls on loopback (and the sniffio worker) ----------------------


async def bench_async_sequential(
    base_url: str, calls: int, rounds_: int, *, own_pool: bool, first: int = 0
) -> Figures:
    raw_http = async_http(base_url, auth=True)
    gen_http = async_http(base_url, auth=True)
    gen = generated(gen_http)
    fs_http = async_http(base_url, auth=False)
    fs = async_wrapper(base_url, fs_http)

    absolute = base_url + PATH_ONE

    async def raw() -> object:
        return (await raw_http.get(absolute)).json()

    async def gen_call() -> object:
        return (await get_instance.asyncio_detailed(INSTANCE_ID, client=gen)).parsed

    funcs: dict[str, Callable[[], Awaitable[object]]] = {
        "raw": raw,
        "generated": gen_call,
        "wrapper": lambda: fs.instances.get(INSTANCE_ID),
    }
    own: AsyncFluidstack | None = None
    if own_pool:
        own = AsyncFluidstack(TOKEN, base_url=base_url, timeout=TIMEOUT, max_connections=100)
        own_fs = own
        funcs["wrapper_own"] = lambda: own_fs.instances.get(INSTANCE_ID)
    try:
        for name, fn in funcs.items():
            result = await fn()
            if not name.startswith("raw"):
                assert isinstance(result, RegionInstance if "region" in name else Instance), result
            for _ in range(max(20, calls // 10)):
                await fn()
        return await acalls_in_blocks(funcs, calls, rounds_, first=first)
    finally:
        for http in (raw_http, gen_http, fs_http):
            await http.aclose()
        if own is not None:
            await own.aclose()


SNIFFIO_STUB = '''"""Stand-in for sniffio 1.3 (not installed here): its current_async_library()."""
import sys
import threading
from contextvars import ContextVar


class AsyncLibraryNotFoundError(RuntimeError):
    pass


current_async_library_cvar = ContextVar("current_async_library_cvar", default=None)


class _ThreadLocal(threading.local):
    name = None


thread_local = _ThreadLocal()


def current_async_library():
    value = thread_local.name
    if value is not None:
        return value
    value = current_async_library_cvar.get()
    if value is not None:
        return value
    if "asyncio" in sys.modules:
        from asyncio import current_task

        try:
            task = current_task()
        except RuntimeError:
            task = None
        if task is not None:
            return "asyncio"
    raise AsyncLibraryNotFoundError("unknown async library, or not in async context")
'''

# Run before anything is imported in a worker: sets up the sniffio state, then runs
# this script. "absent": a failing `import sniffio`, as users without it have it (if it
# is installed, a finder hides it after the same sys.path search a missing module
# costs); "importable": the real sniffio if installed, else SNIFFIO_STUB.
_BOOT = r"""
import importlib.machinery, importlib.util, runpy, sys
mode, stub_dir, script = sys.argv[1:4]
installed = importlib.util.find_spec("sniffio") is not None
if mode == "importable" and not installed:
    sys.path.insert(0, stub_dir)
elif mode == "absent" and installed:
    class _Hide:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "sniffio" or name.startswith("sniffio."):
                importlib.machinery.PathFinder.find_spec("sniffio_hidden_by_bench", path)
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, _Hide)
sys.argv = [script, "--sniffio-installed", str(int(installed)), *sys.argv[4:]]
runpy.run_path(script, run_name="__main__")
"""


class _CountSniffio:
    """A finder that only counts how often an `import sniffio` reaches the finders."""

    count = 0

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> None:
        if name == "sniffio":
            cls.count += 1


def _import_attempt_seconds(attempts: int = 2000) -> float:
    """Seconds per `import sniffio` (as httpcore does it: try, except ImportError)."""

    def attempt() -> None:
        try:  # noqa: SIM105 (as httpcore writes it)
            __import__("sniffio")
        except ImportError:
            pass

    started = time.perf_counter()
    for _ in range(attempts):
        attempt()
    return (time.perf_counter() - started) / attempts


async def _imports_per_request(base_url: str) -> dict[str, float]:
    """How many `import sniffio` reach the finders per request (a failing one always
    does), for raw httpx and the wrapper; untimed."""
    per: dict[str, float] = {}
    raw_http = async_http(base_url, auth=True)
    fs_http = async_http(base_url, auth=False)
    fs = async_wrapper(base_url, fs_http)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "raw": lambda: raw_http.get(base_url + PATH_ONE),
        "wrapper": lambda: fs.instances.get(INSTANCE_ID),
    }
    sys.meta_path.insert(0, _CountSniffio)
    try:
        for name, fn in calls.items():
            await fn()  # connection open
            _CountSniffio.count = 0
            for _ in range(20):
                await fn()
            per[name] = _CountSniffio.count / 20
    finally:
        sys.meta_path.remove(_CountSniffio)
        await raw_http.aclose()
        await fs_http.aclose()
    return per


def async_worker(args: argparse.Namespace) -> None:
    """One round of the async loopback measure in this (fresh) process; prints JSON."""

    async def main() -> dict[str, Any]:
        figures = await bench_async_sequential(
            args.worker_async, args.calls, 1, own_pool=False, first=args.round
        )
        return {
            "per_call": {name: values[0] for name, values in figures["wall"].items()},
            "import_attempt_s": _import_attempt_seconds(),
            "imports_per_request": await _imports_per_request(args.worker_async),
            "sniffio_loaded": "sniffio" in sys.modules,
            "sniffio_installed": bool(args.sniffio_installed),
        }

    print(json.dumps(asyncio.run(main())))


def bench_sniffio(base_url: str, calls: int, rounds_: int) -> tuple[Figures, dict[str, Any]]:
    """The async loopback measure in fresh processes, with `import sniffio` failing
    and succeeding, interleaved: each round runs one process of each kind."""
    figures: Figures = {}
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sniffio-") as stub_dir:
        (Path(stub_dir) / "sniffio.py").write_text(SNIFFIO_STUB)
        for round_no in range(rounds_):
            for mode in _rotated(["absent", "importable"], round_no):
                command = [
                    sys.executable,
                    "-c",
                    _BOOT,
                    mode,
                    stub_dir,
                    str(Path(__file__).resolve()),
                    "--worker-async",
                    base_url,
                    "--calls",
                    str(calls),
                    "--round",
                    str(round_no),
                ]
                done = subprocess.run(
                    command,
                    cwd=ROOT,
                    env=CHILD_ENV,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"sniffio worker ({mode}) failed:\n{done.stderr}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                for name, value in result["per_call"].items():
                    _record(figures, name, {mode: value})
                info.setdefault(mode, []).append(
                    {key: value for key, value in result.items() if key != "per_call"}
                )
    return figures, info


# -- 3. concurrency ----------------------------------------------------------------------


async def bench_concurrency(base_url: str, tasks: int, rounds_: int) -> Figures:
    """`tasks` concurrent calls on one client, calls per second. Cold: a new client,
    no connection open. Warm: a new client that has just served `max_connections`
    concurrent calls (or `tasks`, if fewer), so that many connections are open. (A
    pool warmed by a slow burst keeps fewer: httpcore hands each request the first
    idle connection in its list and the others expire after `keepalive_expiry`.) The
    pool sizes are recorded too.

    The timeout is CONCURRENCY_TIMEOUT for every contender: with the default 30 s a
    call queued in raw httpx's pool can wait longer than that for a connection on a
    small machine (PoolTimeout), and a benchmark must finish. Failed calls, if any,
    are counted."""

    absolute = base_url + PATH_ONE

    def raw(http: httpx.AsyncClient) -> Callable[[], Awaitable[object]]:
        async def call() -> object:
            return (await http.get(absolute)).json()

        return call

    def gen(http: httpx.AsyncClient) -> Callable[[], Awaitable[object]]:
        client = generated(http)

        async def call() -> object:
            return (await get_instance.asyncio_detailed(INSTANCE_ID, client=client)).parsed

        return call

    def wrapper(http: httpx.AsyncClient) -> Callable[[], Awaitable[object]]:
        fs = async_wrapper(base_url, http, CONCURRENCY_TIMEOUT)
        return lambda: fs.instances.get(INSTANCE_ID)

    def contender(
        make: Callable[[httpx.AsyncClient], Callable[[], Awaitable[object]]], auth: bool
    ) -> Callable[[], Awaitable[dict[str, float]]]:
        async def one_round() -> dict[str, float]:
            figures: dict[str, float] = {}
            for pool in ("cold", "warm"):
                async with async_http(base_url, auth=auth, timeout=CONCURRENCY_TIMEOUT) as http:
                    call = make(http)
                    if pool == "warm":
                        await _burst(call, min(tasks, LIMITS.max_connections or 100))
                    figures[f"{pool}_pool_before"] = _open_connections(http)
                    figures[pool], figures[f"{pool}_errors"] = await _burst(call, tasks)
                    figures[f"{pool}_pool_after"] = _open_connections(http)
            cold, warm = figures["cold"], figures["warm"]
            _note(f"    {make.__name__}: cold {cold:.0f}, warm {warm:.0f} calls/s")
            return figures

        return one_round

    return await arounds(
        rounds_,
        {
            "raw": contender(raw, auth=True),
            "generated": contender(gen, auth=True),
            "wrapper": contender(wrapper, auth=False),
        },
    )


async def _burst(call: Callable[[], Awaitable[object]], tasks: int) -> tuple[float, float]:
    """Calls per second of `tasks` concurrent calls, and how many failed."""
    started = time.perf_counter()
    results = await asyncio.gather(*(call() for _ in range(tasks)), return_exceptions=True)
    rate = tasks / (time.perf_counter() - started)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        _note(f"    {len(failed)} of {tasks} calls failed, e.g. {failed[0]!r}")
    return rate, float(len(failed))


def _open_connections(http: httpx.AsyncClient) -> float:
    """Connections in the client's pool (httpx keeps it private; NaN if not found)."""
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    connections = getattr(pool, "connections", None)
    return float("nan") if connections is None else float(len(connections))


# -- 4. parsing --------------------------------------------------------------------------


def bench_parse(count: int, rounds_: int) -> tuple[Figures, dict[str, float]]:
    """A ListInstances body of `count` instances: json.loads alone (raw), json.loads +
    Instance.from_dict per item (what the generated code does), and the wrapper's
    whole list path over an in-process transport (read, caps, token scrub, parse);
    also, for reference, raw httpx's own `get("/instances").json()` over the same
    transport ("raw_http": it reads the body too, as the wrapper does).

    GC on. A small list is parsed several times per round (20,000 instances' worth,
    at most 20 times) so that a round is more than a few timer ticks. Then the
    tracemalloc peak of each while it holds its result."""
    body = list_body(count)
    base_url = f"http://{HOST}"
    fs_http = sync_http(base_url, auth=False, transport=FixedTransport(body))
    fs = sync_wrapper(base_url, fs_http)
    raw_http = sync_http(base_url, auth=True, transport=FixedTransport(body))

    def raw() -> object:
        return json.loads(body)

    def gen() -> object:
        return [Instance.from_dict(item) for item in json.loads(body)]

    def wrapper() -> object:
        return fs.instances.list()

    def raw_get() -> object:
        return raw_http.get(base_url + "/instances").json()

    def wrapper_gc_running() -> object:
        # The wrapper as it would be without `types.gc_paused`: does the pause (a
        # process-wide side effect) still buy a gain a user can see?
        endpoint: Any = list_instances
        paused = endpoint.gc_paused
        endpoint.gc_paused = contextlib.nullcontext
        try:
            return fs.instances.list()
        finally:
            endpoint.gc_paused = paused

    funcs: dict[str, Callable[[], object]] = {
        "raw": raw,
        "generated": gen,
        "wrapper": wrapper,
        "raw_http": raw_get,
    }
    funcs = decoded(funcs)  # (wrapper_speed: the wrapper with msgspec)
    funcs["wrapper_gc_running"] = decoding(STANDARD_DECODER, wrapper_gc_running)
    try:
        listed = wrapper()
        assert isinstance(listed, list)
        assert len(listed) == count
        del listed
        repeat = max(1, min(20, 20_000 // count))
        figures = rounds(rounds_, {name: _bind_timed(fn, repeat) for name, fn in funcs.items()})
        peaks = {name: _peak(fn) for name, fn in funcs.items()}
    finally:
        fs_http.close()
        raw_http.close()
    return figures, peaks


def _peak(fn: Callable[[], object]) -> float:
    """Bytes allocated at the peak of `fn()`, measured while its result is held."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return float(peak)


# -- 5. import time ----------------------------------------------------------------------

IMPORTS = {
    "httpx": "import httpx",
    "generated": (
        "from fluidstack_client._generated.management.client import AuthenticatedClient; "
        "from fluidstack_client._generated.management.api.instances import get_instance"
    ),
    "package": "import fluidstack_client",
    "async": "from fluidstack_client import AsyncFluidstack",
    "sync": "from fluidstack_client import Fluidstack",
}


def bench_imports(rounds_: int) -> Figures:
    """Each statement in a fresh interpreter, whole process timed (start-up included,
    nothing subtracted), bytecode compiled beforehand, interleaved."""

    def run(statement: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], cwd=ROOT, env=CHILD_ENV, check=True)
        return time.perf_counter() - started

    run("; ".join(IMPORTS.values()))  # every .pyc written, the files in the page cache
    if rounds_ > 1:
        for statement in IMPORTS.values():
            run(statement)
    return rounds(
        rounds_, {name: _bind_import(run, statement) for name, statement in IMPORTS.items()}
    )


def _bind_import(run: Callable[[str], float], statement: str) -> Callable[[], dict[str, float]]:
    return lambda: {"wall": run(statement)}


# -- the table ---------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    unit: str  # figures are stored in SI units and shown in this one
    raw: list[float]
    generated: list[float] | None
    wrapper: list[float]
    target: str = ""  # "<= 1.15" or ">= 1.0": on wrapper/raw; "" for none

    def ratios(self, other: list[float]) -> list[float]:
        return [o / r for o, r in zip(other, self.raw, strict=True)]

    def wrapper_ratio(self) -> float:
        return statistics.median(self.ratios(self.wrapper))

    def status(self) -> str:
        if not self.target:
            return "—"
        op, bound = self.target.split()
        ratio = self.wrapper_ratio()
        met = ratio <= float(bound) if op == "<=" else ratio >= float(bound)
        return f"{op.replace('<=', '≤').replace('>=', '≥')} {bound}x {'met' if met else 'NOT met'}"

    def as_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "unit": self.unit,
            "raw": self.raw,
            "generated": self.generated,
            "wrapper": self.wrapper,
            "wrapper_over_raw": self.ratios(self.wrapper),
            "wrapper_over_raw_median": self.wrapper_ratio(),
            "generated_over_raw": None if self.generated is None else self.ratios(self.generated),
            "target": self.target or None,
            "status": self.status(),
        }


_SCALE = {"µs": 1e6, "ms": 1e3, "MB": 1e-6, "calls/s": 1.0}


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _spread(values: list[float], unit: str) -> str:
    scaled = [v * _SCALE[unit] for v in values]
    if len(scaled) == 1:
        return _num(scaled[0])
    return f"{_num(statistics.median(scaled))} ({_num(min(scaled))}-{_num(max(scaled))})"


def _ratio(ratios: list[float]) -> str:
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}"
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def table(rows: list[Row], header: str) -> str:
    lines = [
        header,
        "",
        "| measure | raw httpx | generated | wrapper | wrapper/raw | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        gen = "—"
        if row.generated is not None:
            ratio = statistics.median(row.ratios(row.generated))
            gen = f"{_spread(row.generated, row.unit)} x{ratio:.2f}"
        lines.append(
            f"| {row.measure} ({row.unit}) | {_spread(row.raw, row.unit)} | {gen} | "
            f"{_spread(row.wrapper, row.unit)} | {_ratio(row.ratios(row.wrapper))} | "
            f"{row.status()} |"
        )
    return "\n".join(lines)


def _versions() -> str:
    return ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("httpx", "httpcore", "attrs")
    )


def _sniffio_state() -> str:
    """Whether sniffio is installed right now (read from its metadata, not sys.modules:
    another process may install or remove it while this runs)."""
    try:
        return f"sniffio {importlib.metadata.version('sniffio')} installed"
    except importlib.metadata.PackageNotFoundError:
        return "sniffio not installed"


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# -- main --------------------------------------------------------------------------------


MEASURES = ("cpu", "sync", "async", "sniffio", "concurrency", "parse", "imports")
_NEEDS_SERVER = {"sync", "async", "sniffio", "concurrency"}


@dataclass
class Plan:
    rounds: int  # in-process measures
    process_rounds: int  # measures that start processes per round (sniffio, imports)
    cpu_calls: int
    calls: int
    concurrent: int
    parse_sizes: list[int]
    only: list[str]


def plan(args: argparse.Namespace) -> Plan:
    only = args.only or list(MEASURES)
    if args.smoke:
        return Plan(
            rounds=3,
            process_rounds=1,
            cpu_calls=30,
            calls=20,
            concurrent=20,
            parse_sizes=[100],
            only=only,
        )
    return Plan(
        rounds=args.rounds,
        process_rounds=args.rounds,
        cpu_calls=args.calls,
        calls=args.calls,
        concurrent=args.concurrent,
        parse_sizes=args.parse,
        only=only,
    )


def _note(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _step(message: str, seconds: dict[str, float]) -> Iterator[None]:
    _note(message)
    started = time.perf_counter()
    yield
    seconds[message] = time.perf_counter() - started
    _note(f"  ... {seconds[message]:.1f} s")


class Rows(list[Row]):
    def add(
        self,
        measure: str,
        unit: str,
        figures: dict[str, list[float]],
        target: str = "",
        *,
        wrapper: str = "wrapper",
        with_generated: bool = True,
    ) -> None:
        generated = figures["generated"] if with_generated else None
        self.append(Row(measure, unit, figures["raw"], generated, figures[wrapper], target))


def run(p: Plan) -> tuple[list[Row], dict[str, Any]]:
    rows = Rows()
    add = rows.add
    seconds: dict[str, float] = {}
    extra: dict[str, Any] = {"seconds": seconds}

    if "cpu" in p.only:
        with _step(f"client CPU, in-process ({p.cpu_calls} calls x {p.rounds})", seconds):
            cpu = bench_sync(None, p.cpu_calls, p.rounds, own_pool=False)
        add(
            "client CPU per sync `instances.get`, in-process transport (FixedTransport)",
            "µs",
            cpu["cpu"],
            "<= 1.25",
        )
        if HAVE_SPEED:
            add(
                "the same, the wrapper with the speed extra (msgspec decoder)",
                "µs",
                cpu["cpu"],
                "<= 1.20",
                wrapper="wrapper_speed",
            )
        extra["raw_relative_cpu"] = cpu["cpu"]["raw_relative"]
        regional = {
            "raw": cpu["cpu"]["raw_region"],
            "generated": cpu["cpu"]["generated_region"],
            "wrapper": cpu["cpu"]["wrapper_region"],
        }
        add(
            "client CPU per sync regional `instances.get` (RegionClient), in-process transport",
            "µs",
            regional,
            "<= 1.25",
        )
        extra["region_over_management"] = [
            r / m for r, m in zip(regional["wrapper"], cpu["cpu"]["wrapper"], strict=True)
        ]

    with contextlib.ExitStack() as stack:
        if _NEEDS_SERVER & set(p.only):
            url = stack.enter_context(server(max(p.parse_sizes)))
            _loopback(p, url, rows, extra)

    if "parse" in p.only:
        for count in p.parse_sizes:
            with _step(f"parse {count:,} instances (x {p.rounds})", seconds):
                parsed, peaks = bench_parse(count, p.rounds)
            extra.setdefault("parse_raw_http", {})[count] = {
                "wall": parsed["wall"]["raw_http"],
                "wrapper_over_raw_http": [
                    w / r
                    for w, r in zip(
                        parsed["wall"]["wrapper"], parsed["wall"]["raw_http"], strict=True
                    )
                ],
                "peak": peaks["raw_http"],
                "wrapper_peak": peaks["wrapper"],
            }
            add(
                f"parse N={count:,} instances (json.loads vs models), GC on",
                "ms",
                parsed["wall"],
                "<= 2.0" if count >= 10_000 else "",
            )
            if HAVE_SPEED:
                add(
                    f"parse N={count:,}, the wrapper with the speed extra (msgspec decoder)",
                    "ms",
                    parsed["wall"],
                    "<= 2.0" if count <= 1_000 else "",
                    wrapper="wrapper_speed",
                )
            add(
                f"parse N={count:,}, the wrapper without its GC pause (gc_paused off)",
                "ms",
                parsed["wall"],
                wrapper="wrapper_gc_running",
            )
            # Against raw httpx's own `get().json()`: it holds the body as well.
            held = {name: [value] for name, value in peaks.items()}
            add(
                f"peak memory holding N={count:,} parsed vs raw httpx `get().json()` (tracemalloc)",
                "MB",
                {**held, "raw": held["raw_http"]},
                "<= 1.0",
            )
            if HAVE_SPEED:
                add(
                    f"peak memory holding N={count:,} parsed, with the speed extra",
                    "MB",
                    {**held, "raw": held["raw_http"]},
                    "<= 1.0",
                    wrapper="wrapper_speed",
                )

    if "imports" in p.only:
        with _step(f"import time, fresh processes (x {p.process_rounds})", seconds):
            imports = bench_imports(p.process_rounds)["wall"]
        for key, statement in (
            ("package", "import fluidstack_client"),
            ("async", "from fluidstack_client import AsyncFluidstack"),
            ("sync", "from fluidstack_client import Fluidstack"),
        ):
            add(
                f"`{statement}` vs `import httpx`, whole process",
                "ms",
                {
                    "raw": imports["httpx"],
                    "generated": imports["generated"],
                    "wrapper": imports[key],
                },
                "<= 1.3" if key == "async" else "",
            )
    return rows, extra


def _loopback(p: Plan, url: str, rows: Rows, extra: dict[str, Any]) -> None:
    """The measures against the server."""
    add = rows.add
    seconds = extra["seconds"]
    if "sync" in p.only:
        with _step(f"sync over loopback ({p.calls} calls x {p.rounds})", seconds):
            sync = bench_sync(url, p.calls, p.rounds, own_pool=True)
        add("sync `instances.get` over loopback, wall per call", "µs", sync["wall"])
        add("sync `instances.get` over loopback, client CPU per call", "µs", sync["cpu"])
        add(
            "sync over loopback, wall per call: wrapper on its own pool",
            "µs",
            sync["wall"],
            wrapper="wrapper_own",
            with_generated=False,
        )

    if "async" in p.only:
        with _step(f"async sequential over loopback ({p.calls} calls x {p.rounds})", seconds):
            seq = asyncio.run(bench_async_sequential(url, p.calls, p.rounds, own_pool=True))
            here = asyncio.run(_imports_per_request(url))
        extra["async_imports_per_request_this_process"] = here
        add("async sequential over loopback, wall per call", "µs", seq["wall"], "<= 1.05")
        add(
            "async sequential over loopback, wall per call: wrapper on its own pool",
            "µs",
            seq["wall"],
            wrapper="wrapper_own",
            with_generated=False,
        )

    if "sniffio" in p.only:
        with _step(
            f"async sequential, `import sniffio` failing vs succeeding ({p.process_rounds} x 2 "
            "processes)",
            seconds,
        ):
            sniff, info = bench_sniffio(url, p.calls, p.process_rounds)
        extra["sniffio"] = info
        extra["sniffio_per_call"] = sniff
        for mode, label in (("absent", "fails"), ("importable", "succeeds")):
            add(
                f"async sequential over loopback, fresh process, `import sniffio` {label}",
                "µs",
                sniff[mode],
                "<= 1.05",
            )

    if "concurrency" in p.only:
        with _step(f"{p.concurrent} concurrent calls, cold + warm (x {p.rounds})", seconds):
            conc = asyncio.run(bench_concurrency(url, p.concurrent, p.rounds))
        extra["open_connections"] = {k: v for k, v in conc.items() if "_pool_" in k}
        extra["failed_calls"] = {k: v for k, v in conc.items() if k.endswith("_errors")}
        for pool in ("cold", "warm"):
            add(
                f"{p.concurrent:,} concurrent calls on one client, {pool} pool",
                "calls/s",
                conc[pool],
                ">= 1.0" if pool == "warm" else "",
            )


def _pool_notes(extra: dict[str, Any]) -> list[str]:
    sizes = extra.get("open_connections")
    if not sizes:
        return []

    def show(key: str) -> str:
        return ", ".join(
            f"{name} {statistics.median(values):g}" for name, values in sizes[key].items()
        )

    notes = [
        f"open connections (median): after the cold burst {show('cold_pool_after')}; "
        f"before the warm burst {show('warm_pool_before')}; after it {show('warm_pool_after')}"
    ]
    failed = {
        f"{name} {key.split('_')[0]}": sum(values)
        for key, by_name in extra.get("failed_calls", {}).items()
        for name, values in by_name.items()
        if sum(values)
    }
    if failed:
        notes.append(f"FAILED concurrent calls (all rounds): {failed}")
    return notes


def _raw_notes(extra: dict[str, Any]) -> list[str]:
    relative = extra.get("raw_relative_cpu")
    rows = [row for row in extra.get("rows", []) if row.measure.startswith("client CPU")]
    if not relative or not rows:
        return []
    ratio = statistics.median(r / a for r, a in zip(relative, rows[0].raw, strict=True))
    notes = [
        "raw httpx is called with absolute URLs (the floor); `get('/instances/...')` "
        f"relative to a base_url costs x{ratio:.2f} that in client CPU (httpx joins the URLs)"
    ]
    regional = extra.get("region_over_management")
    if regional:
        notes.append(
            "the regional `instances.get` (RegionClient) takes "
            f"x{statistics.median(regional):.2f} the Management one's client CPU, in the "
            "same rounds (target: within 5%, x1.05)"
        )
    return notes


def _parse_notes(extra: dict[str, Any]) -> list[str]:
    notes = []
    for count, ref in extra.get("parse_raw_http", {}).items():
        notes.append(
            f"N={count:,}: raw httpx `get('/instances').json()` over the same in-process "
            f"transport takes {_num(statistics.median(ref['wall']) * 1e3)} ms and peaks at "
            f"{_num(ref['peak'] / 1e6)} MB; the wrapper's list path is "
            f"x{statistics.median(ref['wrapper_over_raw_http']):.2f} its time and "
            f"x{ref['wrapper_peak'] / ref['peak']:.2f} its peak"
        )
    return notes


def _sniffio_notes(extra: dict[str, Any]) -> list[str]:
    info = extra.get("sniffio", {})
    if not info:
        return []
    installed = info["absent"][0]["sniffio_installed"]
    lines = [
        "sniffio is "
        + (
            "installed here (absent = hidden by a finder after the same sys.path search)"
            if installed
            else "NOT installed here (absent = this environment as it is; "
            "importable = a stub of sniffio 1.3's current_async_library())"
        )
    ]
    for mode in ("absent", "importable"):
        runs = info[mode]
        cost = statistics.median(r["import_attempt_s"] for r in runs) * 1e6
        per = runs[0]["imports_per_request"]
        lines.append(
            f"{mode}: `import sniffio` costs {cost:.1f} µs per attempt; attempts reaching the "
            f"finders per request: raw {per['raw']:g}, wrapper {per['wrapper']:g}"
        )
    per_call = extra.get("sniffio_per_call")
    if per_call:  # both states ran in the same rounds: paired ratios
        costs = []
        for name in ("raw", "wrapper"):
            absent, importable = per_call["absent"][name], per_call["importable"][name]
            ratio = statistics.median(a / i for a, i in zip(absent, importable, strict=True))
            extra_us = statistics.median(a - i for a, i in zip(absent, importable, strict=True))
            costs.append(f"{name} x{ratio:.2f} ({extra_us * 1e6:+.0f} µs per call)")
        lines.append("failing vs succeeding `import sniffio`: " + ", ".join(costs))
    here = extra.get("async_imports_per_request_this_process")
    if here:
        lines.append(
            f"this process: {here['raw']:g} failing `import sniffio` per raw httpx request, "
            f"{here['wrapper']:g} per wrapper request"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="everything tiny (CI)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (>= 7)")
    parser.add_argument("--calls", type=int, default=300, help="sequential calls per round")
    parser.add_argument("--concurrent", type=int, default=1000, help="concurrent calls")
    parser.add_argument(
        "--parse", type=int, nargs="+", default=[1000, 10_000, 100_000], help="list sizes"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--only", nargs="+", choices=MEASURES, help="run only these measures (default: all)"
    )
    # Internal: one round of the async measure in a fresh process (see bench_sniffio).
    parser.add_argument("--worker-async", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sniffio-installed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_async:
        async_worker(args)
        return 0
    if not args.smoke and args.rounds < 7:
        parser.error("--rounds must be at least 7 (use --smoke for a quick run)")

    _terminate_on_sigterm()
    p = plan(args)
    started_at = datetime.datetime.now().astimezone()
    load_before, sniffio_before = _load(), _sniffio_state()
    t0 = time.perf_counter()
    rows, extra = run(p)
    elapsed = time.perf_counter() - t0
    header = (
        f"{started_at:%Y-%m-%d %H:%M %Z}; {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {_versions()}; {sniffio_before}"
        f"{'' if _sniffio_state() == sniffio_before else ' at the start, CHANGED during the run'}"
        f"; load average {load_before} before, {_load()} after; {p.rounds} interleaved rounds"
        f"{' (SMOKE: tiny sizes, not figures to quote)' if args.smoke else ''}; "
        f"{elapsed:.0f} s"
    )
    print(table(rows, header))
    print()
    print(
        "Figures: median (min-max) over the rounds. Ratios: median of the per-round "
        "ratios to raw httpx (generated's after x). Limits, timeout, TLS context and "
        "headers identical for every contender (the concurrency rows: a 600 s timeout for "
        "all, so that queued calls finish); rows 'own pool' use the wrapper's default pool."
    )
    notes = [*_raw_notes(extra | {"rows": rows}), *_pool_notes(extra)]
    for line in [*notes, *_sniffio_notes(extra), *_parse_notes(extra)]:
        print(f"- {line}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "header": header,
                    "plan": p.__dict__,
                    "rows": [row.as_json() for row in rows],
                    "extra": extra,
                    "limits": {
                        "max_connections": LIMITS.max_connections,
                        "max_keepalive_connections": LIMITS.max_keepalive_connections,
                        "keepalive_expiry": LIMITS.keepalive_expiry,
                    },
                    "timeout": TIMEOUT.as_dict(),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
