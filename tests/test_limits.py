"""Bounded memory and bounded time (issue 8, section 3), against real loopback servers.

Every test runs the sync `Fluidstack` and the async `AsyncFluidstack` alike, against
a raw-socket server (tests/hostile_server.py) that misbehaves at the byte level:
decompression bombs, headers or bodies dripped a byte at a time, a /regions that
fails or never answers, a self-signed certificate.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import ssl
import struct
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import samples
from clients import FAST, MODES, TOKEN, chain, run
from hostile_server import Conn, HostileServer

from fluidstack_client import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncFluidstack,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    InternalServerError,
    NotFoundError,
    ResponseTooLargeError,
    RetryPolicy,
    _body,
    _sync_backend,
)
from fluidstack_client._config import DEFAULT_MAX_RESPONSE_SIZE

API = "/api/v1alpha1"
KEYS = f"{API}/user/keys"
REGIONS = f"{API}/regions"
MiB = 1024 * 1024
CAP = 1 * MiB  # max_response_size in the memory tests
PEAK = 8 * MiB  # "a small multiple of the cap"
KEYS_JSON = json.dumps([samples.SSH_KEY]).encode()
JSON = {"Content-Type": "application/json"}


# -- bodies ----------------------------------------------------------------------------

_ZERO_MIB = bytes(MiB)
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


@cache
def gzip_of_zeros(mib: int) -> bytes:
    """A valid gzip of `mib` MiB of zeros (~1 KB per MiB), built without compressing
    it all: after a full flush deflate forgets its history, so every 1 MiB block
    compresses to the same bytes and can be repeated."""
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = z.compress(_ZERO_MIB) + z.flush(zlib.Z_FULL_FLUSH)
    end = z.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(_ZERO_MIB, crc)
    trailer = struct.pack("<II", crc, (mib * MiB) & 0xFFFFFFFF)
    return _GZIP_HEADER + block * mib + end + trailer


def gz(data: bytes, layers: int = 1) -> bytes:
    for _ in range(layers):
        data = gzip.compress(data, mtime=0)
    return data


def raw_deflate(data: bytes, level: int = 9) -> bytes:
    z = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


@cache
def bomb(layers: int) -> bytes:
    """`layers` stacked gzip layers that decode to 1 GiB of zeros."""
    return gz(gzip_of_zeros(1024), layers - 1)


def gzip_layers(layers: int) -> dict[str, str]:
    return {**JSON, "Content-Encoding": ", ".join(["gzip"] * layers)}


# -- server answers -----------------------------------------------------------------------


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_large(conn: Conn, status: int, body: bytes, headers: dict[str, str]) -> None:
    """Like conn.respond, without copying `body` (it would count in the client's peak)."""
    conn.send(head(status, {"Content-Length": str(len(body)), **headers}))
    conn.send(body)


def send_undeclared(conn: Conn, status: int, body: bytes, headers: dict[str, str]) -> None:
    """`body` with no Content-Length (it ends when the connection closes), so only
    reading it can tell its size."""
    conn.send(head(status, {**headers, "Connection": "close"}))
    conn.send(body)
    conn.close()


def hold(conn: Conn) -> None:
    """Say nothing more; return when the client hangs up (or the server stops)."""
    conn.sock.settimeout(0.05)
    while not conn.server.stopping.is_set():
        try:
            if not conn.sock.recv(65536):
                break
        except TimeoutError:
            continue
        except OSError:
            break
    conn.close()


def keys_ok(conn: Conn) -> None:
    conn.respond(200, KEYS_JSON, JSON)


HEADERS_THEN_BODY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
)
SLOW_BODY = b"[" + b" " * 98 + b"]"


def drip_headers(conn: Conn) -> None:
    conn.drip(HEADERS_THEN_BODY, 0.2)  # ~14 s in all, each byte well within a read timeout
    conn.close()


def drip_body(conn: Conn) -> None:
    conn.send(head(200, {**JSON, "Content-Length": str(len(SLOW_BODY))}))
    conn.drip(SLOW_BODY, 0.2)  # ~20 s
    conn.close()


# -- running -------------------------------------------------------------------------------


def failure(
    mode: str, base_url: str, scenario: Callable[[Any], Any], **options: Any
) -> tuple[FluidstackError, float]:
    """The FluidstackError the scenario raises, and how long it took."""
    start = time.monotonic()
    with pytest.raises(FluidstackError) as info:
        run(mode, base_url, scenario, **options)
    return info.value, time.monotonic() - start


@contextmanager
def traced() -> Iterator[list[int]]:
    """Yields a list that holds, afterwards, the peak of Python memory allocated inside."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def then(value: Any, fn: Callable[[Any], Any]) -> Any:
    """fn(value), once value is awaited if the async client returned a coroutine."""
    if inspect.isawaitable(value):

        async def later() -> Any:
            return fn(await value)

        return later()
    return fn(value)


def concurrently(fs: Any, n: int, call: Callable[[Any], Any]) -> Any:
    """`call(fs)` n times at once (threads sharing the sync client, or gather on the
    async one): the results and exceptions, in order."""
    if isinstance(fs, Fluidstack):
        barrier = threading.Barrier(n)
        results: list[object] = [None] * n

        def one(i: int) -> None:
            barrier.wait()
            try:
                results[i] = call(fs)
            except Exception as exc:
                results[i] = exc

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    async def gather() -> list[object]:
        return list(await asyncio.gather(*(call(fs) for _ in range(n)), return_exceptions=True))

    return gather()


def outcome(call: Callable[[], Any]) -> Any:
    """call()'s result or the exception it raised (awaited, for the async client)."""
    try:
        value = call()
    except Exception as exc:
        return exc
    if not inspect.isawaitable(value):
        return value

    async def settle() -> Any:
        try:
            return await value
        except Exception as exc:
            return exc

    return settle()


def list_keys(fs: Any) -> Any:
    return fs.keys.list()


# == 1. decompression bombs ===================================================================


@pytest.mark.parametrize("mode", MODES)
def test_five_stacked_gzip_layers_are_refused_unread(mode: str) -> None:
    # ~300 bytes that decode to 1 GiB; more layers than _body.MAX_CODINGS.
    body = bomb(_body.MAX_CODINGS + 1)
    assert len(body) < 1000

    def answer(conn: Conn) -> None:
        send_large(conn, 200, body, gzip_layers(_body.MAX_CODINGS + 1))

    with HostileServer(answer) as server, traced() as peak:
        exc, elapsed = failure(mode, server.url + API, list_keys, max_response_size=CAP)
    assert isinstance(exc, APIResponseValidationError)
    assert "5 stacked encodings" in str(exc)
    assert peak[0] < PEAK
    assert server.count("GET", KEYS) == 1
    assert elapsed < 2


@pytest.mark.parametrize("layers", [1, 3, _body.MAX_CODINGS])
@pytest.mark.parametrize("mode", MODES)
def test_gzip_bomb_stops_at_max_response_size(mode: str, layers: int) -> None:
    body = bomb(layers)  # 1 layer: the 1 MB gzip of the issue; 3, 4: a few hundred bytes

    def answer(conn: Conn) -> None:
        send_undeclared(conn, 200, body, gzip_layers(layers))

    with HostileServer(answer) as server, traced() as peak:
        exc, elapsed = failure(mode, server.url + API, list_keys, max_response_size=CAP)
    assert isinstance(exc, ResponseTooLargeError)
    assert isinstance(exc, APIResponseValidationError)
    assert exc.limit == CAP
    assert "max_response_size" in str(exc)
    assert peak[0] < PEAK, f"peak {peak[0]:,} bytes for a {CAP:,}-byte cap"
    assert server.count("GET", KEYS) == 1  # the same bomb is not fetched again
    assert elapsed < 3


@pytest.mark.parametrize("mode", MODES)
def test_default_max_response_size_caps_a_bomb(mode: str) -> None:
    def answer(conn: Conn) -> None:
        send_large(conn, 200, bomb(3), gzip_layers(3))

    with HostileServer(answer) as server:
        exc, _ = failure(mode, server.url + API, list_keys)
    assert isinstance(exc, ResponseTooLargeError)
    assert exc.limit == DEFAULT_MAX_RESPONSE_SIZE


@pytest.mark.parametrize("mode", MODES)
def test_error_body_bomb_is_read_only_up_to_the_error_cap_on_every_retry(mode: str) -> None:
    body = gzip_of_zeros(1024)  # ~1 MB of gzip, 1 GiB decoded
    assert len(body) < 1.1 * MiB

    def answer(conn: Conn) -> None:
        send_large(conn, 503, body, {**JSON, "Content-Encoding": "gzip"})
        conn.close()

    with HostileServer(answer) as server, traced() as peak:
        exc, elapsed = failure(mode, server.url + API, list_keys, max_retries=2)
    assert isinstance(exc, InternalServerError)
    assert exc.response.status_code == 503
    assert len(exc.response.content) <= _body.MAX_ERROR_BODY
    assert peak[0] < 2 * MiB, f"peak {peak[0]:,} bytes"
    assert server.count("GET", KEYS) == 3  # retried as usual, each bounded
    assert elapsed < 3


@pytest.mark.parametrize("mode", MODES)
def test_endless_error_body_is_cut_at_the_error_cap(mode: str) -> None:
    def answer(conn: Conn) -> None:
        conn.send(head(500, {**JSON, "Transfer-Encoding": "chunked"}))
        chunk = b"%x\r\n%s\r\n" % (16384, b"x" * 16384)
        while not conn.server.stopping.is_set():
            conn.send(chunk)  # until the client hangs up (OSError ends the connection)

    with HostileServer(answer) as server:
        exc, elapsed = failure(mode, server.url + API, list_keys, max_retries=0, timeout=10)
    assert isinstance(exc, InternalServerError)
    assert 0 < len(exc.response.content) <= _body.MAX_ERROR_BODY
    assert elapsed < 2


@pytest.mark.parametrize("mode", MODES)
def test_large_error_body_is_truncated(mode: str) -> None:
    message = "instance not found " + "x" * (2 * MiB)
    body = json.dumps({"message": message}).encode()

    def answer(conn: Conn) -> None:
        send_large(conn, 404, body, JSON)
        conn.close()

    with HostileServer(answer) as server:
        exc, _ = failure(mode, server.url + API, list_keys)
    assert isinstance(exc, NotFoundError)
    assert len(exc.response.content) == _body.MAX_ERROR_BODY
    assert exc.response.content == body[: _body.MAX_ERROR_BODY]


@pytest.mark.parametrize("mode", MODES)
def test_content_length_over_the_cap_fails_without_reading(mode: str) -> None:
    def answer(conn: Conn) -> None:
        conn.send(head(200, {**JSON, "Content-Length": str(CAP + 1)}))
        hold(conn)  # the body never comes: reading it would wait for the timeout

    with HostileServer(answer) as server:
        exc, elapsed = failure(mode, server.url + API, list_keys, max_response_size=CAP, timeout=5)
    assert isinstance(exc, ResponseTooLargeError)
    assert exc.limit == CAP
    assert elapsed < 1
    assert server.count("GET", KEYS) == 1


@pytest.mark.parametrize("mode", MODES)
def test_undeclared_plain_body_over_the_cap(mode: str) -> None:
    body = b"[" + b" " * (2 * CAP) + b"]"

    def answer(conn: Conn) -> None:
        send_undeclared(conn, 200, body, JSON)

    with HostileServer(answer) as server, traced() as peak:
        exc, _ = failure(mode, server.url + API, list_keys, max_response_size=CAP)
    assert isinstance(exc, ResponseTooLargeError)
    assert exc.limit == CAP
    assert peak[0] < PEAK


ENCODINGS: dict[str, tuple[str | None, Callable[[bytes], bytes]]] = {
    "identity": (None, lambda b: b),
    "gzip": ("gzip", gz),
    "x-gzip": ("x-gzip", gz),
    "deflate-zlib": ("deflate", zlib.compress),
    "deflate-raw": ("deflate", raw_deflate),
    "gzip-then-deflate": ("gzip, deflate", lambda b: zlib.compress(gz(b))),
    "raw-deflate-then-gzip": ("deflate, gzip", lambda b: gz(raw_deflate(b))),
    "four-layers": (
        "gzip, deflate, gzip, deflate",
        lambda b: zlib.compress(gz(raw_deflate(gz(b)))),
    ),
}


def encoded(name: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    coding, encode = ENCODINGS[name]
    headers = dict(JSON) if coding is None else {**JSON, "Content-Encoding": coding}
    return encode(data), headers


@pytest.mark.parametrize("mode", MODES)
def test_encoded_body_under_the_cap_parses(mode: str) -> None:
    codings = list(ENCODINGS)  # one call each, in this order, on one client

    def answer(conn: Conn) -> None:
        body, headers = encoded(codings[conn.server.count() - 1], KEYS_JSON)
        conn.respond(200, body, headers)

    parsed: list[object] = []
    scenario = chain(
        *[lambda fs: then(outcome(lambda: list_keys(fs)), parsed.append)] * len(codings)
    )
    with HostileServer(answer) as server:
        run(mode, server.url + API, scenario, max_response_size=CAP)
    expected = [(samples.SSH_KEY["name"], samples.SSH_KEY["key"])]
    got = {
        coding: [(k.name, k.key) for k in keys] if isinstance(keys, list) else keys
        for coding, keys in zip(codings, parsed, strict=True)
    }
    assert got == dict.fromkeys(codings, expected)
    assert {r.headers["accept-encoding"] for r in server.requests} == {_body.ACCEPT_ENCODING}


@pytest.mark.parametrize("coding", ["identity", "gzip", "deflate-raw"])
@pytest.mark.parametrize("mode", MODES)
def test_cap_is_on_the_decoded_size_and_inclusive(mode: str, coding: str) -> None:
    # 200 keys, ~20 KB that compress ~50x: the cap counts decoded bytes, not wire bytes.
    data = json.dumps([samples.SSH_KEY] * 200).encode()
    body, headers = encoded(coding, data)

    def answer(conn: Conn) -> None:
        conn.respond(200, body, headers)

    with HostileServer(answer) as server:
        keys = run(mode, server.url + API, list_keys, max_response_size=len(data))
        assert len(keys) == 200
        exc, _ = failure(mode, server.url + API, list_keys, max_response_size=len(data) - 1)
    assert isinstance(exc, ResponseTooLargeError)
    assert exc.limit == len(data) - 1


@pytest.mark.parametrize(
    "coding",
    [
        "gzip",
        "deflate-zlib",
        "deflate-raw",
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_body_whose_first_network_chunk_is_one_byte(mode: str, coding: str) -> None:
    body, headers = encoded(coding, KEYS_JSON)

    def answer(conn: Conn) -> None:
        conn.send(head(200, {**headers, "Content-Length": str(len(body))}) + body[:1])
        time.sleep(0.1)
        conn.send(body[1:])

    with HostileServer(answer) as server:
        keys = run(mode, server.url + API, list_keys)
    assert [k.name for k in keys] == [samples.SSH_KEY["name"]]


@cache
def raw_deflate_holding_back_output() -> tuple[bytes, bytes]:
    """A valid JSON list (padded with whitespace) and its raw-deflate stream which,
    decoded in pieces of _body.PIECE, has consumed all its input while zlib still holds
    decoded output back (a long match cut at the piece boundary). Raw deflate has no
    trailer after it to push that output out."""
    for level in (6, 9, 1):
        for pad in (b"\r\n", b" ", b"\n"):
            for total in range(_body.PIECE + 1, _body.PIECE + 2000):
                data = KEYS_JSON + pad * ((total - len(KEYS_JSON)) // len(pad))
                stream = raw_deflate(data, level)
                z = zlib.decompressobj(-zlib.MAX_WBITS)
                z.decompress(stream, _body.PIECE)
                if not z.unconsumed_tail and not z.eof:
                    return data, stream
    pytest.skip("this zlib never holds output back at a piece boundary")


@pytest.mark.parametrize("mode", MODES)
def test_raw_deflate_body_of_any_size_parses(mode: str) -> None:
    data, body = raw_deflate_holding_back_output()
    assert json.loads(data) == [samples.SSH_KEY]

    def answer(conn: Conn) -> None:
        conn.respond(200, body, {**JSON, "Content-Encoding": "deflate"})

    with HostileServer(answer) as server:
        keys = run(mode, server.url + API, list_keys)
    assert [k.name for k in keys] == [samples.SSH_KEY["name"]]


# == 2. the deadline of an attempt =============================================================


@pytest.mark.parametrize("answer", [drip_headers, drip_body], ids=["headers", "body"])
@pytest.mark.parametrize("mode", MODES)
def test_dripping_server_is_cut_off_at_the_deadline(
    mode: str, answer: Callable[[Conn], None]
) -> None:
    with HostileServer(answer) as server:
        exc, elapsed = failure(mode, server.url + API, list_keys, timeout=1, max_retries=0)
    assert isinstance(exc, APITimeoutError)
    assert 0.9 < elapsed < 2.0
    assert server.count("GET", KEYS) == 1


@pytest.mark.parametrize("mode", MODES)
def test_each_retry_gets_its_own_deadline(mode: str) -> None:
    with HostileServer(drip_body) as server:
        exc, elapsed = failure(mode, server.url + API, list_keys, timeout=0.3, max_retries=1)
    assert isinstance(exc, APITimeoutError)
    assert server.count("GET", KEYS) == 2
    assert 0.55 < elapsed < 1.5


def user_http(mode: str, **options: Any) -> Callable[[], httpx.Client | httpx.AsyncClient]:
    if mode == "sync":
        return lambda: httpx.Client(**options)
    return lambda: httpx.AsyncClient(**options)


@pytest.mark.parametrize("mode", MODES)
def test_dripped_body_through_a_user_http_client_ends_within_one_read_timeout(
    mode: str,
) -> None:
    # A user's client: the sync client cannot clamp its sockets, only check between
    # body reads, so the bound is the deadline plus one read timeout.
    with HostileServer(drip_body) as server:
        exc, elapsed = failure(
            mode,
            server.url + API,
            list_keys,
            http=user_http(mode, timeout=1),
            timeout=1,
            max_retries=0,
        )
    assert isinstance(exc, APITimeoutError)
    assert elapsed < 1 + 1 + 0.5


@pytest.mark.parametrize("mode", MODES)
def test_deadline_bounds_waiting_for_a_connection(mode: str) -> None:
    # One connection: the second call waits for it while the first is being dripped.
    with HostileServer(drip_body) as server:
        start = time.monotonic()
        results = run(
            mode,
            server.url + API,
            lambda fs: concurrently(fs, 2, list_keys),
            timeout=0.5,
            max_retries=0,
            max_connections=1,
        )
        elapsed = time.monotonic() - start
    assert all(isinstance(r, APITimeoutError) for r in results), results
    assert elapsed < 1.5
    assert server.count("GET", KEYS) <= 2  # the second may get the connection, too late


@pytest.mark.parametrize("mode", MODES)
def test_fast_calls_are_unaffected_and_the_client_recovers(mode: str) -> None:
    def answer(conn: Conn) -> None:
        n = conn.server.count()
        if n == 1:
            drip_body(conn)
        elif n == 2:
            time.sleep(0.3)  # slow but within the deadline
            keys_ok(conn)
        else:
            keys_ok(conn)

    results: list[object] = []
    scenario = chain(
        lambda fs: then(outcome(lambda: fs.keys.list()), results.append),
        *[lambda fs: then(fs.keys.list(), results.append)] * 6,
    )
    with HostileServer(answer) as server:
        start = time.monotonic()
        run(mode, server.url + API, scenario, timeout=0.5, max_retries=0)
        elapsed = time.monotonic() - start
    assert isinstance(results[0], APITimeoutError)
    assert all(isinstance(r, list) and len(r) == 1 for r in results[1:]), results
    assert elapsed < 0.5 + 0.3 + 0.7
    assert server.count("GET", KEYS) == 7


# == 3. region discovery shares its outcome =================================================


def region(fs: Any) -> Any:
    return fs.region("us-east-1")


class Regions:
    """/regions that fails, succeeds or hangs, as the test says."""

    def __init__(self, mode: str, delay: float = 0.05) -> None:
        self.mode = mode
        self.delay = delay

    def __call__(self, conn: Conn) -> None:
        if self.mode == "hang":
            hold(conn)
            return
        time.sleep(self.delay)  # long enough for every caller to be waiting
        if self.mode == "fail":
            conn.respond(500, json.dumps({"message": "regions are down"}).encode(), JSON)
        else:
            listed = [{"name": "us-east-1", "url": conn.server.url}]
            conn.respond(200, json.dumps(listed).encode(), JSON)


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_region_lookups_share_one_failing_fetch(mode: str) -> None:
    regions = Regions("fail")
    batch: list[object] = []
    counts: list[int] = []
    later: list[object] = []
    with HostileServer(regions) as server:
        scenario = chain(
            lambda fs: then(concurrently(fs, 50, region), batch.extend),
            lambda fs: counts.append(server.count("GET", REGIONS)),
            lambda fs: then(outcome(lambda: region(fs)), later.append),  # fetches again
            lambda fs: counts.append(server.count("GET", REGIONS)),
            lambda fs: setattr(regions, "mode", "ok"),
            lambda fs: then(region(fs), later.append),  # and recovers
        )
        run(mode, server.url + API, scenario, retry_policy=FAST, max_retries=2)
    assert len(batch) == 50
    assert all(isinstance(r, InternalServerError) for r in batch), batch
    assert counts == [3, 6]
    assert isinstance(later[0], InternalServerError)
    assert isinstance(later[1], Fluidstack | AsyncFluidstack)
    assert str(later[1].base_url) == f"{server.url}{API}"


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_region_lookups_share_a_hanging_fetch(mode: str) -> None:
    with HostileServer(Regions("hang")) as server:
        start = time.monotonic()
        results = run(
            mode,
            server.url + API,
            lambda fs: concurrently(fs, 20, region),
            timeout=0.5,
            max_retries=0,
        )
        elapsed = time.monotonic() - start
    assert len(results) == 20
    assert all(isinstance(r, APITimeoutError) for r in results), results
    assert elapsed < 1.5
    assert server.count("GET", REGIONS) == 1


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_region_lookups_share_one_successful_fetch(mode: str) -> None:
    with HostileServer(Regions("ok", delay=0.2)) as server:
        scenario = chain(
            lambda fs: concurrently(fs, 50, region),
            lambda fs: region(fs),  # cached
        )
        last = run(mode, server.url + API, scenario)
        results = run(mode, server.url + API, lambda fs: concurrently(fs, 50, region))
    assert {str(r.base_url) for r in results} == {f"{server.url}{API}"}
    assert str(last.base_url) == f"{server.url}{API}"
    assert server.count("GET", REGIONS) == 2  # one per client


def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch() -> None:
    with HostileServer(Regions("ok", delay=0.3)) as server:

        async def main() -> list[object]:
            async with AsyncFluidstack(TOKEN, base_url=server.url + API) as fs:
                impatient = asyncio.ensure_future(asyncio.wait_for(fs.region("us-east-1"), 0.05))
                patient = [fs.region("us-east-1") for _ in range(5)]
                return await asyncio.gather(impatient, *patient, return_exceptions=True)

        results = asyncio.run(main())
    assert isinstance(results[0], TimeoutError)
    assert all(isinstance(r, AsyncFluidstack) for r in results[1:]), results
    assert server.count("GET", REGIONS) == 1


# == 4. NaN and infinities ===================================================================

NON_FINITE = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("value", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "max_retry_after", "max_retries"])
def test_retry_policy_rejects_non_finite_numbers(field: str, value: float) -> None:
    options: dict[str, Any] = {field: value}
    with pytest.raises(ConfigurationError, match=field):
        RetryPolicy(**options)


BAD_OPTIONS: dict[str, dict[str, Any]] = {
    "timeout=nan": {"timeout": float("nan")},
    "timeout=inf": {"timeout": float("inf")},
    "timeout=0": {"timeout": 0},
    "Timeout(nan)": {"timeout": httpx.Timeout(float("nan"))},
    "Timeout(read=inf)": {"timeout": httpx.Timeout(5, read=float("inf"))},
    "Timeout(connect=nan)": {"timeout": httpx.Timeout(5, connect=float("nan"))},
    "Timeout(pool=-inf)": {"timeout": httpx.Timeout(5, pool=float("-inf"))},
    "max_retries=nan": {"max_retries": float("nan")},
    "max_retries=inf": {"max_retries": float("inf")},
    "region_cache_ttl=nan": {"region_cache_ttl": float("nan")},
    "region_cache_ttl=inf": {"region_cache_ttl": float("inf")},
    "max_response_size=0": {"max_response_size": 0},
    "max_response_size=1.5": {"max_response_size": 1.5},
    "max_response_size=nan": {"max_response_size": float("nan")},
    "max_response_size=inf": {"max_response_size": float("inf")},
    "max_connections=nan": {"max_connections": float("nan")},
}


@pytest.mark.parametrize("options", list(BAD_OPTIONS.values()), ids=list(BAD_OPTIONS))
@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_client_rejects_non_finite_numbers(
    cls: type[Fluidstack] | type[AsyncFluidstack], options: dict[str, Any]
) -> None:
    (name,) = options
    with pytest.raises(ConfigurationError, match=name):
        cls(TOKEN, base_url="http://127.0.0.1:9" + API, **options)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": float("nan")},
        {"timeout": float("inf")},
        {"timeout": httpx.Timeout(5, read=float("nan"))},
        {"max_retries": float("nan")},
        {"retry_policy": FAST, "max_retries": float("inf")},
    ],
    ids=["timeout=nan", "timeout=inf", "Timeout(read=nan)", "max_retries=nan", "policy+inf"],
)
@pytest.mark.parametrize("mode", MODES)
def test_with_options_rejects_non_finite_numbers(mode: str, options: dict[str, Any]) -> None:
    def scenario(fs: Any) -> None:
        with pytest.raises(ConfigurationError):
            fs.with_options(**options)

    run(mode, "http://127.0.0.1:9" + API, scenario)  # nothing is sent


# == 5. TLS failures are not retried ===========================================================


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "c.pem", where / "k.pem"
    command = [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a certificate with openssl: {exc}")
    return cert, key


class TLSServer(HostileServer):
    """HostileServer over TLS, counting the TCP connections it accepts."""

    def __init__(self, answer: Callable[[Conn], None], cert: Path, key: Path) -> None:
        super().__init__(answer)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.url = f"https://127.0.0.1:{self.port}"
        self.accepted = 0

    def _serve(self, sock: Any) -> None:
        with self._lock:
            self.accepted += 1
        try:
            sock.settimeout(5)
            tls = self.context.wrap_socket(sock, server_side=True)
        except OSError:  # the client refused the certificate
            sock.close()
            return
        super()._serve(tls)


@pytest.mark.parametrize("mode", MODES)
def test_untrusted_certificate_fails_once_naming_the_cause(
    mode: str, certificate: tuple[Path, Path]
) -> None:
    policy = RetryPolicy(max_retries=2, initial_delay=0.5)
    server = TLSServer(keys_ok, *certificate)
    with server:
        exc, elapsed = failure(mode, server.url + API, list_keys, retry_policy=policy)
    assert type(exc) is APIConnectionError  # not APITimeoutError
    assert "certificate" in str(exc).lower()
    assert server.accepted == 1  # not retried
    assert elapsed < 0.5  # no backoff wait


@pytest.mark.parametrize("mode", MODES)
def test_trusted_certificate_works(mode: str, certificate: tuple[Path, Path]) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    server = TLSServer(keys_ok, *certificate)
    with server:
        keys = run(mode, server.url + API, list_keys, http=user_http(mode, verify=trusting))
    assert [k.name for k in keys] == [samples.SSH_KEY["name"]]
    assert server.count("GET", KEYS) == 1


# == 6. the sync deadline hook ===================================================================


def test_sync_deadline_backend_is_installed_on_clients_we_create() -> None:
    # Private httpx/httpcore attributes: this fails if an upgrade moves them, which
    # would silently turn the sync deadline into "between body reads" only.
    with Fluidstack(TOKEN, base_url="http://127.0.0.1:9" + API) as fs:
        transport: Any = fs._shared.http._transport
        assert isinstance(transport._pool._network_backend, _sync_backend._DeadlineBackend)


def test_user_http_client_is_used_as_is() -> None:
    with httpx.Client() as mine:
        transport: Any = mine._transport
        before = transport._pool._network_backend
        with Fluidstack(TOKEN, base_url="http://127.0.0.1:9" + API, http_client=mine) as fs:
            assert fs._shared.http is mine
        assert transport._pool._network_backend is before
        assert not isinstance(before, _sync_backend._DeadlineBackend)
