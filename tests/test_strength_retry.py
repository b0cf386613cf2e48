"""The retry policy's numbers, as a user meets them: the defaults, each wait the client
actually sleeps, Retry-After (seconds and HTTP dates) from a real server, and the
statuses at the edges of what is retried.

The waits are captured by replacing the clients' `sleep` (nothing actually sleeps),
and the jitter by replacing its random source, so each delay is asserted exactly.
"""

from __future__ import annotations

import dataclasses
import email.utils
import math
import random
import time

import httpx
import pytest
import samples
from clients import MODES, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    DEFAULT_MAX_RETRIES,
    APIStatusError,
    AsyncFluidstack,
    ConfigurationError,
    Fluidstack,
    InternalServerError,
    RetryPolicy,
    _async_client,
    _retry,
    _sync_client,
)
from fluidstack_client._retry import (
    backoff,
    configure,
    is_retryable_error,
    is_retryable_status,
    longest_call,
    next_delay,
    parse_retry_after,
)


class Jitter(random.Random):
    """A stand-in for the jitter's random source: always `fraction` of the way from
    the low end of the range to the high end; remembers the ranges it was asked for."""

    def __init__(self, fraction: float = 1.0) -> None:
        super().__init__(0)
        self.fraction = fraction
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.ranges.append((low, high))
        return low + (high - low) * self.fraction


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the clients ask for, in order; none is actually slept."""
    waited: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    async def fake_async_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(_sync_client, "sleep", fake_sleep)
    monkeypatch.setattr(_async_client, "sleep", fake_async_sleep)
    return waited


@pytest.fixture
def top_jitter(monkeypatch: pytest.MonkeyPatch) -> Jitter:
    jitter = Jitter(1.0)
    monkeypatch.setattr(_retry, "_JITTER", jitter)
    return jitter


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers)


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


@pytest.mark.parametrize("mode", MODES)
def test_default_waits_are_half_a_second_then_one(
    mode: str, server: ScriptedServer, sleeps: list[float], top_jitter: Jitter
) -> None:
    server.default = Reply(503, {"message": "down"})
    with pytest.raises(InternalServerError):
        run(mode, server.url, lambda fs: fs.clusters.list(), retry_policy=None)
    assert sleeps == [0.5, 1.0]
    assert top_jitter.ranges == [(0.5, 1.0), (0.5, 1.0)]
    assert len(server.requests) == 3


@pytest.mark.parametrize("mode", MODES)
def test_waits_double_up_to_the_cap(
    mode: str, server: ScriptedServer, sleeps: list[float], top_jitter: Jitter
) -> None:
    server.default = Reply(502)
    with pytest.raises(InternalServerError):
        run(mode, server.url, lambda fs: fs.keys.list(), retry_policy=RetryPolicy(max_retries=7))
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert len(server.requests) == 8


@pytest.mark.parametrize("mode", MODES)
def test_jitter_takes_each_wait_down_to_half(
    mode: str, server: ScriptedServer, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_retry, "_JITTER", Jitter(0.0))
    server.default = Reply(500)
    policy = RetryPolicy(max_retries=3, initial_delay=1.0, max_delay=3.0)
    with pytest.raises(InternalServerError):
        run(mode, server.url, lambda fs: fs.keys.list(), retry_policy=policy)
    assert sleeps == [0.5, 1.0, 1.5]


@pytest.mark.parametrize("mode", MODES)
def test_real_jitter_stays_between_half_and_the_full_wait(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.default = Reply(503)
    with pytest.raises(InternalServerError):
        run(mode, server.url, lambda fs: fs.keys.list(), retry_policy=RetryPolicy(max_retries=4))
    assert len(sleeps) == 4
    for wait, full in zip(sleeps, [0.5, 1.0, 2.0, 4.0], strict=True):
        assert full / 2 <= wait <= full


# -- Retry-After from a real server ------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_seconds_is_waited_exactly(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.queue(Reply(429, headers={"Retry-After": "7"}), Reply(json=[samples.REGION]))
    regions = run(mode, server.url, lambda fs: fs.regions.list(), retry_policy=None)
    assert [r.name for r in regions] == ["us-east-1"]
    assert sleeps == [7.0]


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_capped_at_sixty_seconds_by_default(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "3600"}), Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.keys.list(), retry_policy=None) == []
    assert sleeps == [60.0]


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_capped_at_the_policys_cap(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "3600"}), Reply(json=[]))
    policy = RetryPolicy(initial_delay=0.01, max_retry_after=0.2)
    run(mode, server.url, lambda fs: fs.invitations.list(), retry_policy=policy)
    assert sleeps == [0.2]


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_http_date_from_the_server_is_waited_until(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    # An HTTP date has whole seconds: 30 s ahead is 29-30 s away when it is read.
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.queue(Reply(503, headers={"Retry-After": when}), Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.keys.list(), retry_policy=None) == []
    (wait,) = sleeps
    assert 28.0 < wait <= 30.0


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_date_in_the_past_retries_at_once(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() - 3600, usegmt=True)
    server.queue(Reply(503, headers={"Retry-After": when}), Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.keys.list()) == []
    assert sleeps == [0.0]


@pytest.mark.parametrize("mode", MODES)
def test_unreadable_retry_after_falls_back_to_backoff(
    mode: str, server: ScriptedServer, sleeps: list[float], top_jitter: Jitter
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "soon"}), Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.keys.list(), retry_policy=None) == []
    assert sleeps == [0.5]


def test_retry_after_without_now_reads_the_clock() -> None:
    when = email.utils.formatdate(time.time() + 100, usegmt=True)
    wait = parse_retry_after(when)
    assert wait is not None
    assert 98.0 < wait <= 100.0
    assert parse_retry_after(when, now=time.time() + 200) == 0.0


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


def test_an_infinite_retry_after_is_capped() -> None:
    reply = _response(503, {"Retry-After": "inf"})
    assert next_delay(RetryPolicy(max_retry_after=5), "GET", 0, response=reply) == 5


# -- which statuses and methods are retried ----------------------------------------------


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


@pytest.mark.parametrize("mode", MODES)
def test_499_is_not_retried_and_500_is(
    mode: str, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.default = Reply(499, {"message": "client closed request"})
    with pytest.raises(APIStatusError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert type(info.value) is APIStatusError
    assert info.value.status_code == 499
    assert len(server.requests) == 1
    assert sleeps == []
    server.queue(Reply(500), Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.keys.list()) == []
    assert len(server.requests) == 3
    assert len(sleeps) == 1


@pytest.mark.parametrize("method", ["get", "delete", "patch", "put", "head", "options"])
def test_idempotent_methods_in_any_case_are_retried(method: str) -> None:
    assert next_delay(RetryPolicy(), method, 0, response=_response(503)) is not None
    assert is_retryable_error(method, httpx.ReadError("reset"))


@pytest.mark.parametrize("method", ["POST", "post"])
def test_a_token_request_is_retried_like_a_read(method: str) -> None:
    reply = _response(503)
    assert next_delay(RetryPolicy(), method, 0, response=reply) is None
    assert next_delay(RetryPolicy(), method, 0, response=reply, idempotent=False) is None
    assert next_delay(RetryPolicy(), method, 0, response=reply, idempotent=True) is not None
    error = httpx.ReadTimeout("slow")
    assert next_delay(RetryPolicy(), method, 0, error=error) is None
    assert next_delay(RetryPolicy(), method, 0, error=error, idempotent=True) is not None


def test_retry_after_does_not_make_a_write_retried() -> None:
    reply = _response(503, {"Retry-After": "1"})
    assert next_delay(RetryPolicy(), "POST", 0, response=reply) is None


def test_nothing_to_retry_without_a_response_or_an_error() -> None:
    assert next_delay(RetryPolicy(), "GET", 0) is None


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


@pytest.mark.parametrize("bad", [-1, 1.0, math.nan, "2", None, False])
def test_bad_max_retries_says_what_is_wanted(bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        RetryPolicy(max_retries=bad)  # type: ignore[arg-type]
    assert str(info.value) == f"max_retries must be an int >= 0, got {bad!r}"


def test_max_retries_has_no_upper_bound() -> None:
    assert RetryPolicy(max_retries=10**12).max_retries == 10**12
    assert RetryPolicy(max_retries=0).max_retries == 0


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


def test_with_options_keeps_the_clients_policy_and_overrides_its_count() -> None:
    policy = RetryPolicy(max_retries=4, initial_delay=0.1, max_delay=0.2, max_retry_after=0.3)
    fs = Fluidstack("t", retry_policy=policy)
    assert fs._retry == policy
    assert fs.with_options()._retry == policy
    assert fs.with_options(max_retries=1)._retry == dataclasses.replace(policy, max_retries=1)
    other = RetryPolicy(max_retries=9)
    assert fs.with_options(retry_policy=other)._retry == other
    assert Fluidstack("t", retry_policy=policy, max_retries=0).max_retries == 0


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


def test_tls_failures_and_unusable_redirects_are_never_retried() -> None:
    import ssl

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
