"""Retries: which failures are retried (5xx, 429, 408, transport errors before a write
left), how long each wait is (backoff, jitter, Retry-After), and that a write is never
sent twice. The pure policy first, then real servers on 127.0.0.1.

The waits are captured by replacing the clients' `sleep` (`waits` still sleeps,
`unslept_waits` does not), and the jitter by replacing its random source, so that a
delay can be asserted exactly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import logging
import math
import random
import ssl
import threading
import time
from typing import Any

import httpx
import pytest
from support import samples
from support.client_operations import OPERATIONS
from support.client_raw_writes import BEFORE_THE_STATUS, WRITES, Write
from support.client_region import INSTANCE_ID, POSTS, PROJECT, REGION_OPERATIONS
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer, refused_port
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    DEFAULT_MAX_RETRIES,
    AmbiguousWriteError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncFluidstack,
    AsyncRegionClient,
    BadRequestError,
    ClientCredentials,
    ConfigurationError,
    Fluidstack,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    _retry,
)
from fluidstack_client._generated.management.api.instances import list_instances
from fluidstack_client._retry import (
    backoff,
    configure,
    is_retryable_error,
    is_retryable_status,
    longest_call,
    next_delay,
    parse_retry_after,
)

CLIENTS: list[type[Fluidstack] | type[AsyncFluidstack]] = [Fluidstack, AsyncFluidstack]
API = "/api/v1alpha1"


def _jittered(waits: list[float], *bases: float) -> bool:
    """Each wait is its backoff base scaled by a jitter in [0.5, 1]."""
    return len(waits) == len(bases) and all(
        base / 2 <= wait <= base for wait, base in zip(waits, bases, strict=True)
    )


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers)


class Jitter(random.Random):
    """A stand-in for the jitter's random source: always `fraction` of the way from
    the low end of the range to the high end; remembers the ranges it was asked for."""

    def __init__(self, fraction: float = 1.0) -> None:
        super().__init__(0)
        self.fraction = fraction
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.ranges.append((a, b))
        return a + (b - a) * self.fraction


@pytest.fixture
def top_jitter(monkeypatch: pytest.MonkeyPatch) -> Jitter:
    """The jitter always at its top: each wait is its full backoff base."""
    jitter = Jitter(1.0)
    monkeypatch.setattr(_retry, "_JITTER", jitter)
    return jitter


# -- the defaults ------------------------------------------------------------------------


def test_default_policy_is_two_retries_half_a_second_doubling_to_eight_retry_after_sixty() -> None:
    policy = RetryPolicy()
    assert DEFAULT_MAX_RETRIES == 2
    assert dataclasses.astuple(policy) == (2, 0.5, 8.0, 60.0)
    assert (policy.max_retries, policy.initial_delay) == (2, 0.5)
    assert (policy.max_delay, policy.max_retry_after) == (8.0, 60.0)
    assert Fluidstack("t").max_retries == 2
    assert AsyncFluidstack("t").max_retries == 2


def test_retry_policy_is_frozen_and_compares_by_value() -> None:
    policy = RetryPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_retries = 5  # type: ignore[misc]
    assert policy == RetryPolicy(2, 0.5, 8.0, 60.0)
    assert hash(policy) == hash(RetryPolicy())


async def test_default_waits_are_half_a_second_then_one(
    server: ScriptedServer, unslept_waits: list[float], top_jitter: Jitter
) -> None:
    server.default = Reply(503, {"message": "down"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=None) as fs:
        with pytest.raises(InternalServerError):
            await fs.clusters.list()
    assert unslept_waits == [0.5, 1.0]
    assert top_jitter.ranges == [(0.5, 1.0), (0.5, 1.0)]
    assert len(server.requests) == 3


# -- which statuses and methods are retried ----------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 599, 429, 408])
@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH"])
def test_idempotent_methods_retry_retryable_statuses(method: str, status: int) -> None:
    assert next_delay(RetryPolicy(), method, 0, response=_response(status)) is not None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 301])
def test_client_errors_are_not_retried(status: int) -> None:
    assert next_delay(RetryPolicy(), "GET", 0, response=_response(status)) is None


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        *[(407, False), (408, True), (409, False), (428, False), (429, True), (430, False)],
        *[(499, False), (500, True), (501, True), (511, True), (599, True), (200, False)],
    ],
)
def test_retryable_statuses_are_408_429_and_5xx(status: int, retried: bool) -> None:
    assert is_retryable_status(status) is retried
    delay = next_delay(RetryPolicy(), "GET", 0, response=_response(status))
    assert (delay is not None) is retried


@pytest.mark.parametrize("method", ["get", "delete", "patch", "put", "head", "options"])
def test_idempotent_methods_in_any_case_are_retried(method: str) -> None:
    assert next_delay(RetryPolicy(), method, 0, response=_response(503)) is not None
    assert is_retryable_error(method, httpx.ReadError("reset"))


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_post_is_not_retried_once_the_server_answered(status: int) -> None:
    assert next_delay(RetryPolicy(), "POST", 0, response=_response(status)) is None


def test_retry_after_does_not_make_a_write_retried() -> None:
    reply = _response(503, {"Retry-After": "1"})
    assert next_delay(RetryPolicy(), "POST", 0, response=reply) is None


@pytest.mark.parametrize("method", ["POST", "post"])
def test_a_token_request_is_retried_like_a_read(method: str) -> None:
    reply = _response(503)
    assert next_delay(RetryPolicy(), method, 0, response=reply) is None
    assert next_delay(RetryPolicy(), method, 0, response=reply, idempotent=False) is None
    assert next_delay(RetryPolicy(), method, 0, response=reply, idempotent=True) is not None
    error = httpx.ReadTimeout("slow")
    assert next_delay(RetryPolicy(), method, 0, error=error) is None
    assert next_delay(RetryPolicy(), method, 0, error=error, idempotent=True) is not None


def test_nothing_to_retry_without_a_response_or_an_error() -> None:
    assert next_delay(RetryPolicy(), "GET", 0) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
async def test_get_recovers_from_5xx(
    status: int, server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(status, {"message": "flaky"}), Reply(json=[samples.REGION]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        regions = await fs.regions.list()
    assert [r.name for r in regions] == ["us-east-1"]
    assert len(server.requests) == 2
    assert _jittered(waits, FAST.initial_delay)


async def test_delete_and_patch_are_retried(server: ScriptedServer) -> None:
    server.queue(Reply(502, body=b"<html>bad gateway</html>", content_type="text/html"), Reply(204))
    server.queue(Reply(504), Reply(200))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.deregister("laptop")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.members.update("m-1", role="viewer")
    assert [r.method for r in server.requests] == ["DELETE", "DELETE", "PATCH", "PATCH"]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_post_is_sent_once_even_on_5xx(status: int, server: ScriptedServer) -> None:
    server.default = Reply(status, {"message": "try later"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises((InternalServerError, RateLimitError)):
            await fs.invitations.create(email="a@b.io", role="viewer")
    assert len(server.requests) == 1


async def test_non_retryable_status_is_raised_at_once(server: ScriptedServer) -> None:
    server.default = Reply(400, {"message": "bad role"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(BadRequestError, match="bad role"):
            await fs.members.update("m-1", role="admin")
    assert len(server.requests) == 1


async def test_499_is_not_retried_and_500_is(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.default = Reply(499, {"message": "client closed request"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIStatusError) as info:
            await fs.keys.list()
    assert type(info.value) is APIStatusError
    assert info.value.status_code == 499
    assert len(server.requests) == 1
    assert unslept_waits == []
    server.queue(Reply(500), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert len(server.requests) == 3
    assert len(unslept_waits) == 1


# -- transport errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "post_retried"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow connect"), True),
        (httpx.PoolTimeout("pool"), True),
        (httpx.ReadTimeout("slow"), False),
        (httpx.ReadError("reset"), False),
        (httpx.RemoteProtocolError("dropped"), False),
        (httpx.WriteError("broken pipe"), False),
    ],
)
def test_transport_errors(error: Exception, post_retried: bool) -> None:
    assert next_delay(RetryPolicy(), "GET", 0, error=error) is not None
    assert (next_delay(RetryPolicy(), "POST", 0, error=error) is not None) is post_retried


def test_unrelated_errors_are_not_retried() -> None:
    assert next_delay(RetryPolicy(), "GET", 0, error=httpx.UnsupportedProtocol("ftp")) is None


def test_tls_failures_and_unusable_redirects_are_never_retried() -> None:
    tls = httpx.ConnectError("handshake")
    tls.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert not is_retryable_error("GET", tls)
    assert next_delay(RetryPolicy(), "GET", 0, error=tls) is None
    eof = httpx.ConnectError("eof")
    eof.__cause__ = ssl.SSLEOFError("EOF occurred")
    assert is_retryable_error("POST", eof)
    bad_location = httpx.RemoteProtocolError("Invalid URL in location header: nope")
    assert not is_retryable_error("GET", bad_location)
    assert is_retryable_error("GET", httpx.RemoteProtocolError("peer closed connection"))
    assert not is_retryable_error("POST", httpx.RemoteProtocolError("peer closed connection"))


async def test_post_is_not_retried_after_a_dropped_connection(server: ScriptedServer) -> None:
    server.default = Reply(drop=True)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIConnectionError):
            await fs.keys.register(name="k", key="ssh-ed25519 AAAA")
    assert len(server.requests) == 1


async def test_get_is_retried_after_a_dropped_connection(
    server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(drop=True), Reply(drop=True), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert len(server.requests) == 3
    assert _jittered(waits, 0.01, 0.02)


@pytest.mark.parametrize("call", ["post", "get"])
async def test_connection_refused_is_retried_even_for_post(call: str, waits: list[float]) -> None:
    attempts: list[str] = []

    async def record(request: httpx.Request) -> None:
        attempts.append(request.method)

    base_url = f"http://127.0.0.1:{refused_port()}"
    async with (
        httpx.AsyncClient(event_hooks={"request": [record]}) as http,
        AsyncFluidstack(TOKEN, base_url=base_url, http_client=http, retry_policy=FAST) as fs,
    ):
        with pytest.raises(APIConnectionError) as info:
            await (fs.invitations.create(email="a@b.io") if call == "post" else fs.clusters.list())
    assert not isinstance(info.value, APITimeoutError)
    assert attempts == ["POST" if call == "post" else "GET"] * (FAST.max_retries + 1)
    assert _jittered(waits, 0.01, 0.02)


# A read timeout the first attempt must hit, and a deadline the retry must meet on a
# loaded CI machine (0.1 s was missed there: the retry timed out too).
LOADED_TIMEOUT = 0.5
SLOW_REPLY = 1.5


async def test_read_timeout_is_retried_then_reported(
    server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(json=[], delay=SLOW_REPLY), Reply(json=[samples.ORGANIZATION]))
    async with AsyncFluidstack(
        TOKEN, base_url=server.url, retry_policy=FAST, timeout=LOADED_TIMEOUT
    ) as fs:
        orgs = await fs.organizations.list()
    assert len(orgs) == 1
    assert _jittered(waits, 0.01)
    server.default = Reply(json=[], delay=0.5)
    async with AsyncFluidstack(
        TOKEN, base_url=server.url, retry_policy=FAST, timeout=0.2, max_retries=1
    ) as fs:
        with pytest.raises(APITimeoutError):
            await fs.organizations.list()


# -- how many attempts -------------------------------------------------------------------


def test_max_retries_bounds_attempts() -> None:
    policy = RetryPolicy(max_retries=2)
    assert next_delay(policy, "GET", 1, response=_response(503)) is not None
    assert next_delay(policy, "GET", 2, response=_response(503)) is None
    assert next_delay(RetryPolicy(max_retries=0), "GET", 0, response=_response(503)) is None


def test_the_last_allowed_retry_and_no_more() -> None:
    policy = RetryPolicy(max_retries=3)
    error = httpx.ConnectError("refused")
    assert [next_delay(policy, "GET", n, error=error) is not None for n in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


async def test_max_retries_n_means_n_plus_one_attempts(
    server: ScriptedServer, waits: list[float]
) -> None:
    server.default = Reply(503, {"message": "down for maintenance"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, max_retries=3) as fs:
        with pytest.raises(InternalServerError, match="down for maintenance") as info:
            await fs.clusters.list()
    assert len(server.requests) == 4
    assert info.value.status_code == 503
    # FAST: 0.01 s doubling, capped at 0.05 s
    assert _jittered(waits, 0.01, 0.02, 0.04)


async def test_with_options_overrides_retries_per_call(server: ScriptedServer) -> None:
    server.default = Reply(500, {"message": "boom"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InternalServerError):
            await fs.with_options(max_retries=0).members.list()
    assert len(server.requests) == 1


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_keeps_the_clients_policy_and_overrides_its_count(
    cls: type[Fluidstack] | type[AsyncFluidstack],
) -> None:
    policy = RetryPolicy(max_retries=4, initial_delay=0.1, max_delay=0.2, max_retry_after=0.3)
    fs = cls("t", retry_policy=policy)
    assert fs._retry == policy
    assert fs.with_options()._retry == policy
    assert fs.with_options(max_retries=1)._retry == dataclasses.replace(policy, max_retries=1)
    other = RetryPolicy(max_retries=9)
    assert fs.with_options(retry_policy=other)._retry == other
    assert cls("t", retry_policy=policy, max_retries=0).max_retries == 0


def test_configure_takes_the_policy_the_default_or_a_new_one() -> None:
    mine = RetryPolicy(max_retries=5, initial_delay=2.0)
    assert configure(None) == RetryPolicy()
    assert configure(None, default=mine) is mine
    assert configure(mine, default=RetryPolicy()) is mine
    assert configure(mine, 1) == RetryPolicy(max_retries=1, initial_delay=2.0)
    assert configure(None, 0, default=mine) == RetryPolicy(max_retries=0, initial_delay=2.0)
    with pytest.raises(ConfigurationError) as info:
        configure({"max_retries": 1})
    assert str(info.value) == "retry_policy must be a RetryPolicy, got {'max_retries': 1}"
    with pytest.raises(ConfigurationError, match="max_retries must be an int"):
        configure(mine, -1)


@pytest.mark.parametrize(
    ("policy", "deadline", "longest"),
    [
        (RetryPolicy(), 30.0, 30.0 * 3 + 60.0 * 2),
        (RetryPolicy(max_retries=1, max_delay=90.0, max_retry_after=10.0), 5.0, 5.0 * 2 + 90.0),
        (RetryPolicy(max_retries=0), 7.0, 7.0),
        (RetryPolicy(), None, None),
    ],
)
def test_longest_call(policy: RetryPolicy, deadline: float | None, longest: float | None) -> None:
    assert longest_call(policy, deadline) == longest


async def _list_instances(fs: AsyncFluidstack, layer: str) -> object:
    """GET /instances through the resource layer or the generated one."""
    if layer == "resource":
        return await fs.instances.list()
    return await list_instances.asyncio_detailed(client=fs.generated_client())


@pytest.mark.slow
@pytest.mark.parametrize("layer", ["resource", "generated"])
async def test_more_than_1024_retries_end_in_the_status_error(layer: str) -> None:
    """Review finding a06: past 1024 retries the backoff (2.0 ** n) overflowed, and the
    call ended in an OverflowError, or an APIConnectionError, not the last status."""

    def answer(conn: Conn) -> None:
        conn.respond(503, b"busy")

    policy = RetryPolicy(max_retries=1100, initial_delay=0, max_delay=0)
    with HostileServer(answer) as server:
        async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=policy) as fs:
            with pytest.raises(InternalServerError):  # not OverflowError, not APIConnectionError
                await _list_instances(fs, layer)
        assert server.count("GET", f"{API}/instances") == 1101


# -- backoff and jitter ------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    rng = random.Random(7)
    for n, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = {backoff(policy, n, rng) for _ in range(50)}
        assert all(base * 0.5 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered


def test_backoff_values_with_the_jitter_at_either_end() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    top, bottom = Jitter(1.0), Jitter(0.0)
    assert [backoff(policy, n, top) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert [backoff(policy, n, bottom) for n in range(3)] == [0.25, 0.5, 1.0]
    assert set(top.ranges) == {(0.5, 1.0)}


def test_backoff_exponent_stops_at_64() -> None:
    # A tiny initial delay shows where the exponent stops growing (2**64), and a huge
    # retry count does not overflow.
    policy = RetryPolicy(initial_delay=1e-20, max_delay=1.0)
    assert backoff(policy, 64, Jitter()) == 1e-20 * 2.0**64
    assert backoff(policy, 10**6, Jitter()) == 1e-20 * 2.0**64
    assert backoff(RetryPolicy(), 10**6, Jitter()) == 8.0


def test_backoff_after_thousands_of_retries_is_finite() -> None:
    """Review finding a06: 2.0 ** 5000 overflowed before the exponent was capped."""
    policy = RetryPolicy()
    delay = _retry.backoff(policy, 5000)
    assert math.isfinite(delay)
    assert policy.max_delay / 2 <= delay <= policy.max_delay


def test_backoff_uses_the_module_jitter_by_default() -> None:
    waits = {backoff(RetryPolicy(), 0) for _ in range(40)}
    assert len(waits) > 1
    assert all(0.25 <= w <= 0.5 for w in waits)
    seeded = [backoff(RetryPolicy(), 1, random.Random(3)) for _ in range(2)]
    assert seeded[0] == seeded[1] == 1.0 * random.Random(3).uniform(0.5, 1.0)


def test_transport_error_waits_are_the_backoff(top_jitter: Jitter) -> None:
    policy = RetryPolicy(max_retries=3, initial_delay=0.25, max_delay=1.0)
    error = httpx.ConnectError("refused")
    assert [next_delay(policy, "POST", n, error=error) for n in range(3)] == [0.25, 0.5, 1.0]


async def test_waits_double_up_to_the_cap(
    server: ScriptedServer, unslept_waits: list[float], top_jitter: Jitter
) -> None:
    server.default = Reply(502)
    policy = RetryPolicy(max_retries=7)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=policy) as fs:
        with pytest.raises(InternalServerError):
            await fs.keys.list()
    assert unslept_waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert len(server.requests) == 8


async def test_jitter_takes_each_wait_down_to_half(
    server: ScriptedServer, unslept_waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_retry, "_JITTER", Jitter(0.0))
    server.default = Reply(500)
    policy = RetryPolicy(max_retries=3, initial_delay=1.0, max_delay=3.0)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=policy) as fs:
        with pytest.raises(InternalServerError):
            await fs.keys.list()
    assert unslept_waits == [0.5, 1.0, 1.5]


async def test_real_jitter_stays_between_half_and_the_full_wait(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.default = Reply(503)
    policy = RetryPolicy(max_retries=4)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=policy) as fs:
        with pytest.raises(InternalServerError):
            await fs.keys.list()
    assert len(unslept_waits) == 4
    for wait, full in zip(unslept_waits, [0.5, 1.0, 2.0, 4.0], strict=True):
        assert full / 2 <= wait <= full


# -- Retry-After -------------------------------------------------------------------------


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(date, now=now) or 0) <= 31
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    for bad in (None, "", "soon", "nan", "Mon, 99 Foo 2026"):
        assert parse_retry_after(bad) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("-5", 0.0),
        ("\t12 ", 12.0),
        ("2.25", 2.25),
        ("inf", math.inf),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
        ("nan", None),
        ("", None),
        (None, None),
        ("Sun, 06 Nov 1994 25:99:37 GMT", None),
        ("Sunday", None),
    ],
)
def test_retry_after_values(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_date_is_relative_to_now() -> None:
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=784111717.0) == 60.0
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 +0100", now=784108117.0) == 60.0


def test_retry_after_without_now_reads_the_clock() -> None:
    when = email.utils.formatdate(time.time() + 100, usegmt=True)
    wait = parse_retry_after(when)
    assert wait is not None
    assert 98.0 < wait <= 100.0
    assert parse_retry_after(when, now=time.time() + 200) == 0.0


def test_retry_after_is_honoured_up_to_a_cap() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert next_delay(policy, "GET", 0, response=_response(503, {"Retry-After": "3"})) == 3.0
    assert next_delay(policy, "GET", 0, response=_response(429, {"Retry-After": "9999"})) == 60


def test_an_infinite_retry_after_is_capped() -> None:
    reply = _response(503, {"Retry-After": "inf"})
    assert next_delay(RetryPolicy(max_retry_after=5), "GET", 0, response=reply) == 5


async def test_retry_after_is_waited_for(server: ScriptedServer, waits: list[float]) -> None:
    server.queue(Reply(429, {"message": "slow down"}, headers={"Retry-After": "1"}), Reply(json=[]))
    started = time.monotonic()
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.invitations.list()
    took = time.monotonic() - started
    assert waits == [1.0]
    assert 0.9 <= took < 10
    assert len(server.requests) == 2


async def test_retry_after_seconds_is_waited_exactly(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.queue(Reply(429, headers={"Retry-After": "7"}), Reply(json=[samples.REGION]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=None) as fs:
        regions = await fs.regions.list()
    assert [r.name for r in regions] == ["us-east-1"]
    assert unslept_waits == [7.0]


async def test_retry_after_beyond_the_cap_is_capped(
    server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "3600"}), Reply(json=[]))
    started = time.monotonic()
    policy = RetryPolicy(initial_delay=0.01, max_retry_after=0.2)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=policy) as fs:
        await fs.invitations.list()
    assert waits == [0.2]  # the cap, not the hour asked for, nor the 0.01 s backoff
    assert time.monotonic() - started >= 0.2
    assert len(server.requests) == 2


async def test_retry_after_is_capped_at_sixty_seconds_by_default(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "3600"}), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=None) as fs:
        assert await fs.keys.list() == []
    assert unslept_waits == [60.0]


async def test_retry_after_is_capped_at_the_policys_cap(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "3600"}), Reply(json=[]))
    policy = RetryPolicy(initial_delay=0.01, max_retry_after=0.2)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=policy) as fs:
        await fs.invitations.list()
    assert unslept_waits == [0.2]


async def test_retry_after_http_date_from_the_server_is_waited_until(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    # An HTTP date has whole seconds: 30 s ahead is 29-30 s away when it is read.
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.queue(Reply(503, headers={"Retry-After": when}), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=None) as fs:
        assert await fs.keys.list() == []
    (wait,) = unslept_waits
    assert 28.0 < wait <= 30.0


async def test_retry_after_date_in_the_past_retries_at_once(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    when = email.utils.formatdate(time.time() - 3600, usegmt=True)
    server.queue(Reply(503, headers={"Retry-After": when}), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert unslept_waits == [0.0]


async def test_unreadable_retry_after_falls_back_to_backoff(
    server: ScriptedServer, unslept_waits: list[float], top_jitter: Jitter
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "soon"}), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=None) as fs:
        assert await fs.keys.list() == []
    assert unslept_waits == [0.5]


# -- the policy's own checks -------------------------------------------------------------


@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "max_retry_after"])
@pytest.mark.parametrize("bad", [-1, -0.001, math.nan, math.inf, "1", None, True, 1e9 + 1])
def test_bad_delays_are_configuration_errors_naming_the_field(field: str, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        RetryPolicy(**{field: bad})  # type: ignore[arg-type]
    shown = repr(bad)
    assert str(info.value) == (f"{field} must be a finite number >= 0 and <= 1e+09, got {shown}")


@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "max_retry_after"])
def test_zero_and_the_largest_delays_are_accepted(field: str) -> None:
    for value in (0, 0.0, 1e9, 10**9):
        assert getattr(RetryPolicy(**{field: value}), field) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "max_retry_after"])
def test_retry_policy_refuses_an_integer_too_large_for_a_float(field: str) -> None:
    """Review finding a06: 10**400 (an int no float holds) overflowed the checks."""
    with pytest.raises(ConfigurationError, match=field):
        RetryPolicy(**{field: 10**400})


@pytest.mark.parametrize("bad", [-1, 1.0, math.nan, "2", None, False])
def test_bad_max_retries_says_what_is_wanted(bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        RetryPolicy(max_retries=bad)  # type: ignore[arg-type]
    assert str(info.value) == f"max_retries must be an int >= 0, got {bad!r}"


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_max_retries_is_a_configuration_error(
    bad: object, cls: type[Fluidstack] | type[AsyncFluidstack]
) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        cls("t", max_retries=bad)  # type: ignore[arg-type]


def test_max_retries_has_no_upper_bound() -> None:
    assert RetryPolicy(max_retries=10**12).max_retries == 10**12
    assert RetryPolicy(max_retries=0).max_retries == 0


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("policy", [{}, 0, False], ids=["empty-dict", "zero", "false"])
def test_a_falsy_retry_policy_is_refused_not_replaced(
    cls: type[Fluidstack] | type[AsyncFluidstack], policy: object
) -> None:
    """Review finding a20: `retry_policy={}`, 0 or False silently meant the default."""
    with pytest.raises(ConfigurationError, match="retry_policy"):
        cls(TOKEN, base_url="http://127.0.0.1:1/api", retry_policy=policy)  # type: ignore[arg-type]
    client = cls(TOKEN, base_url="http://127.0.0.1:1/api")
    with pytest.raises(ConfigurationError, match="retry_policy"):
        client.with_options(retry_policy=policy)  # type: ignore[arg-type]


# -- logging -----------------------------------------------------------------------------


async def test_each_retry_is_logged(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    server.queue(Reply(503), Reply(json=[]))
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            await fs.instances.list()
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    (wait,) = waits
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"retrying GET /instances after status 503 in {wait:.2f}s (retry 1 of 2)"
    )


# -- the regional API: a write that may have arrived is never sent twice -----------------------
# (A second `instances.create` is a second GPU instance, paid for.)

# The regional operations that are not POSTs: GETs and DELETEs, retried.
REGIONAL_IDEMPOTENT = sorted(set(REGION_OPERATIONS) - set(POSTS))


def _region(url: str, **options: Any) -> AsyncRegionClient:
    return AsyncRegionClient(
        url, **{"token": TOKEN, "project_id": PROJECT, "retry_policy": FAST, **options}
    )


def test_the_regional_posts_are_the_five_writes() -> None:
    assert POSTS == [
        "CreateFilesystem",
        "CreateInstance",
        "CreateProject",
        "StartInstance",
        "StopInstance",
    ]
    assert {REGION_OPERATIONS[name].call for name in POSTS} == {
        "filesystems.create",
        "instances.create",
        "projects.create",
        "instances.start",
        "instances.stop",
    }


@pytest.mark.parametrize("status", [500, 503, 429])
@pytest.mark.parametrize("operation", POSTS)
async def test_a_regional_post_is_sent_once_on_a_retryable_status(
    operation: str, status: int, server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.default = Reply(status, {"message": "try later"}, headers={"Retry-After": "0"})
    async with _region(server.url) as east:
        with pytest.raises(APIStatusError) as info:
            await REGION_OPERATIONS[operation].invoke(east)
    assert info.value.status_code == status
    assert len(server.requests) == 1
    assert unslept_waits == []


@pytest.mark.parametrize("operation", POSTS)
async def test_a_regional_post_is_not_resent_after_a_dropped_connection(
    operation: str, server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.default = Reply(drop=True)
    async with _region(server.url) as east:
        with pytest.raises(APIConnectionError) as info:
            await REGION_OPERATIONS[operation].invoke(east)
    assert not isinstance(info.value, APITimeoutError)
    assert len(server.requests) == 1
    assert unslept_waits == []


@pytest.mark.parametrize("operation", POSTS)
async def test_a_regional_post_is_not_resent_after_a_read_timeout(
    operation: str, server: ScriptedServer, unslept_waits: list[float]
) -> None:
    op = REGION_OPERATIONS[operation]
    server.default = dataclasses.replace(op.reply, delay=0.3)
    async with _region(server.url, timeout=0.1) as east:
        with pytest.raises(APITimeoutError):
            await op.invoke(east)
    assert len(server.requests) == 1
    assert unslept_waits == []


@pytest.mark.parametrize("operation", ["CreateInstance", "StartInstance"])
async def test_a_regional_post_that_provably_never_left_is_retried(
    operation: str, unslept_waits: list[float]
) -> None:
    attempts: list[str] = []

    async def record(request: httpx.Request) -> None:
        attempts.append(f"{request.method} {request.url.path}")

    base_url = f"http://127.0.0.1:{refused_port()}"
    async with (
        httpx.AsyncClient(event_hooks={"request": [record]}) as http,
        _region(base_url, http_client=http) as east,
    ):
        with pytest.raises(APIConnectionError):
            await REGION_OPERATIONS[operation].invoke(east)
    path = f"{API}{REGION_OPERATIONS[operation].path}"
    assert attempts == [f"POST {path}"] * (FAST.max_retries + 1)
    assert len(unslept_waits) == FAST.max_retries


@pytest.mark.parametrize("operation", REGIONAL_IDEMPOTENT)
async def test_regional_gets_and_deletes_are_retried(
    operation: str, server: ScriptedServer, unslept_waits: list[float]
) -> None:
    op = REGION_OPERATIONS[operation]
    server.queue(Reply(503, {"message": "busy"}), Reply(drop=True), op.reply)
    async with _region(server.url) as east:
        result = await op.invoke(east)
    assert result == op.expected
    assert len({(r.method, r.path) for r in server.requests}) == 1
    assert len(server.requests) == 3
    assert len(unslept_waits) == 2


async def test_a_regional_get_is_retried_after_a_read_timeout(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    op = REGION_OPERATIONS["GetInstance"]
    server.queue(dataclasses.replace(op.reply, delay=SLOW_REPLY), op.reply)
    async with _region(server.url, timeout=LOADED_TIMEOUT) as east:
        instance = await east.instances.get(INSTANCE_ID)
    assert instance == op.expected
    assert len(server.requests) == 2
    assert len(unslept_waits) == 1


async def test_a_regional_delete_is_retried_after_a_read_timeout(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.queue(Reply(204, delay=SLOW_REPLY), Reply(204))
    async with _region(server.url, timeout=LOADED_TIMEOUT) as east:
        await east.instances.delete(INSTANCE_ID)
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]


@pytest.mark.parametrize(
    "first", [Reply(drop=True), Reply(503, {"message": "busy"})], ids=["dropped", "503"]
)
async def test_a_delete_retried_into_a_404_says_an_earlier_attempt_may_have_done_it(
    server: ScriptedServer, unslept_waits: list[float], first: Reply
) -> None:
    """Review of issue 21: the first DELETE may have been carried out before its answer
    was lost; the retry's 404 then told the caller the instance never was."""
    server.queue(first, Reply(404, {"message": "instance not found"}))
    async with _region(server.url) as east:
        with pytest.raises(NotFoundError) as info:
            await east.instances.delete(INSTANCE_ID)
    assert str(info.value).endswith(
        "404 instance not found (an earlier attempt may have deleted it: it is gone either way)"
    )
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]


async def test_a_delete_answered_404_at_once_says_only_not_found(server: ScriptedServer) -> None:
    server.default = Reply(404, {"message": "instance not found"})
    async with _region(server.url) as east:
        with pytest.raises(NotFoundError) as info:
            await east.instances.delete(INSTANCE_ID)
    assert str(info.value).endswith(": 404 instance not found")


# -- a write whose answer may be lost: never sent twice, and only "ambiguous" if it left ----------


def _write_client(write: Write, url: str, **options: Any) -> AsyncFluidstack | AsyncRegionClient:
    options = {"retry_policy": FAST, **options}
    if write.api == "management":
        return AsyncFluidstack(TOKEN, base_url=url, **options)
    return _region(url, **options)


@pytest.mark.parametrize("loss", sorted(BEFORE_THE_STATUS))
@pytest.mark.parametrize("name", ["CreateInstance", "CreateInvitation"])
async def test_a_write_whose_answer_was_lost_is_never_sent_again_whatever_the_retries(
    name: str, loss: str, unslept_waits: list[float]
) -> None:
    write = WRITES[name]
    many = RetryPolicy(max_retries=5, initial_delay=0.01, max_delay=0.01)
    timeout = 0.2 if loss == "read-timeout" else 10
    with HostileServer(BEFORE_THE_STATUS[loss]) as hostile:
        async with _write_client(write, hostile.url, retry_policy=many, timeout=timeout) as client:
            with pytest.raises(AmbiguousWriteError):
                await write.invoke(client)
            assert hostile.count() == 1
    assert unslept_waits == []


@pytest.mark.parametrize("name", sorted(WRITES))
async def test_a_write_that_could_not_connect_is_retried_and_not_ambiguous(
    name: str, unslept_waits: list[float]
) -> None:
    """A refused connection provably sent nothing: retried like any call, and the last
    failure is a plain APIConnectionError that says nothing of a write carried out."""
    write = WRITES[name]
    attempts: list[str] = []

    async def record(request: httpx.Request) -> None:
        attempts.append(f"{request.method} {request.url.path}")

    base_url = f"http://127.0.0.1:{refused_port()}"
    async with (
        httpx.AsyncClient(event_hooks={"request": [record]}) as http,
        _write_client(write, base_url, http_client=http) as client,
    ):
        with pytest.raises(APIConnectionError) as info:
            await write.invoke(client)
    assert type(info.value) is APIConnectionError
    assert "carried out" not in str(info.value)
    assert attempts == [f"POST {write.path}"] * (FAST.max_retries + 1)
    assert len(unslept_waits) == FAST.max_retries


async def test_a_write_its_proxy_refused_to_tunnel_was_never_sent_so_is_not_ambiguous() -> None:
    """A proxy that answers CONNECT with 502 never opened the tunnel: the request never
    reached the API, so nothing can have been carried out (httpx's ProxyError)."""

    def refuse(conn: Conn) -> None:
        conn.respond(502, b"", reason="Bad Gateway")
        conn.close()

    write = WRITES["CreateInvitation"]
    with HostileServer(refuse) as proxy:
        async with (
            httpx.AsyncClient(proxy=proxy.url) as http,
            _write_client(write, "https://127.0.0.1:9", http_client=http, max_retries=0) as client,
        ):
            with pytest.raises(APIConnectionError) as info:
                await write.invoke(client)
        assert [(r.method, r.path) for r in proxy.requests] == [("CONNECT", "127.0.0.1:9")]
    assert not isinstance(info.value, AmbiguousWriteError)
    assert "carried out" not in str(info.value)


# The reads and the idempotent writes (DELETE, PATCH) of both APIs: retried when their
# answer is lost, and never an AmbiguousWriteError when every attempt's is.
IDEMPOTENT_CALLS = [
    ("management", "ListKeys"),
    ("management", "DeregisterKey"),
    ("management", "UpdateMember"),
    ("region", "GetInstance"),
    ("region", "DeleteInstance"),
]


@pytest.mark.parametrize("loss", sorted(BEFORE_THE_STATUS))
@pytest.mark.parametrize(("api", "operation"), IDEMPOTENT_CALLS)
async def test_gets_deletes_and_patches_are_never_ambiguous_writes(
    api: str, operation: str, loss: str, unslept_waits: list[float]
) -> None:
    timed_out = loss == "read-timeout"
    timeout = 0.15 if timed_out else 10
    with HostileServer(BEFORE_THE_STATUS[loss]) as hostile:
        if api == "management":
            async with AsyncFluidstack(
                TOKEN, base_url=hostile.url, retry_policy=FAST, timeout=timeout
            ) as fs:
                with pytest.raises(APIConnectionError) as info:
                    await OPERATIONS[operation].invoke(fs)
        else:
            async with _region(hostile.url, timeout=timeout) as east:
                with pytest.raises(APIConnectionError) as info:
                    await REGION_OPERATIONS[operation].invoke(east)
        assert hostile.count() == FAST.max_retries + 1  # retried: it is safe to
    assert not isinstance(info.value, AmbiguousWriteError)
    assert type(info.value) is (APITimeoutError if timed_out else APIConnectionError)
    assert "carried out" not in str(info.value)


def _holds_reads(conn: Conn) -> None:
    """A GET is answered after a second (holding the client's only connection); a POST
    at once."""
    if conn.request.method == "GET":
        conn.server.stopping.wait(1.0)
        conn.respond(200, b"[]", {"Content-Type": "application/json"})
    else:
        conn.respond(201, b"")


@pytest.mark.async_only
async def test_a_write_that_waited_past_its_deadline_for_a_connection_was_never_sent() -> None:
    """With every connection busy, a POST whose attempt deadline passes while it waits
    for one never left: it is an APITimeoutError (as with the sync client's
    PoolTimeout), not an AmbiguousWriteError claiming it may have been carried out."""
    with HostileServer(_holds_reads) as hostile:
        async with AsyncFluidstack(
            TOKEN, base_url=hostile.url, max_connections=1, timeout=5, max_retries=0
        ) as fs:
            busy = asyncio.create_task(fs.keys.list())
            while hostile.count("GET") == 0:
                await asyncio.sleep(0.01)
            with pytest.raises(APITimeoutError) as info:
                await fs.with_options(timeout=0.3).invitations.create(email="bob@acme.io")
            assert hostile.count("POST") == 0
            assert await busy == []
    assert not isinstance(info.value, AmbiguousWriteError)
    assert "carried out" not in str(info.value)


def test_a_write_that_waited_past_its_deadline_for_a_connection_was_never_sent_in_threads() -> None:
    with (
        HostileServer(_holds_reads) as hostile,
        Fluidstack(TOKEN, base_url=hostile.url, max_connections=1, timeout=5, max_retries=0) as fs,
    ):
        busy = threading.Thread(target=fs.keys.list)
        busy.start()
        while hostile.count("GET") == 0:
            time.sleep(0.01)
        with pytest.raises(APITimeoutError) as info:
            fs.with_options(timeout=0.3).invitations.create(email="bob@acme.io")
        assert hostile.count("POST") == 0
        busy.join()
    assert not isinstance(info.value, AmbiguousWriteError)
    assert "carried out" not in str(info.value)


async def test_a_write_refused_with_401_then_resent_whose_answer_is_lost_is_not_sent_again(
    unslept_waits: list[float],
) -> None:
    """A 401 is a refusal, so the write goes again with a fresh token; when that second
    attempt's answer is lost, it is ambiguous and there is no third."""
    tokens = iter(["at-FIRST-0123456789abcdef", "at-SECOND-0123456789abcdef"])

    def answer(conn: Conn) -> None:
        if conn.request.path == "/oauth/token":
            body = f'{{"access_token": "{next(tokens)}", "expires_in": 3600}}'.encode()
            conn.respond(200, body, {"Content-Type": "application/json"})
        elif "FIRST" in conn.request.headers.get("authorization", ""):
            conn.respond(401, b'{"message": "expired"}', {"Content-Type": "application/json"})
        else:
            conn.close()

    with HostileServer(answer) as hostile:
        credentials = ClientCredentials(
            "svc-id", "cs-0123456789abcdef", token_url=f"{hostile.url}/oauth/token"
        )
        async with AsyncFluidstack(credentials, base_url=hostile.url, retry_policy=FAST) as fs:
            with pytest.raises(AmbiguousWriteError) as info:
                await fs.invitations.create(email="bob@acme.io")
        sent = [
            (r.method, r.path, r.headers.get("authorization", "")[7:14]) for r in hostile.requests
        ]
    assert sent == [
        ("POST", "/oauth/token", ""),
        ("POST", "/invitations", "at-FIRS"),
        ("POST", "/oauth/token", ""),
        ("POST", "/invitations", "at-SECO"),
    ]
    assert info.value.operation == "create_invitation"
    assert unslept_waits == []
