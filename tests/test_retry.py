"""Retry on 5xx, 429, 408 and transport failures: the pure policy, then real servers."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import socket
import time

import httpx
import pytest
import samples
from clients import FAST, MODES, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    ConfigurationError,
    Fluidstack,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    _async_client,
    _sync_client,
)
from fluidstack_client._retry import backoff, next_delay, parse_retry_after


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between attempts, as the clients ask for it (and still slept)."""
    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        time.sleep(seconds)

    async def async_sleep(seconds: float) -> None:
        asked.append(seconds)
        await asyncio.sleep(seconds)

    monkeypatch.setattr(_sync_client, "sleep", sleep)
    monkeypatch.setattr(_async_client, "sleep", async_sleep)
    return asked


def _jittered(waits: list[float], *bases: float) -> bool:
    """Each wait is its backoff base scaled by a jitter in [0.5, 1]."""
    return len(waits) == len(bases) and all(
        base / 2 <= wait <= base for wait, base in zip(waits, bases, strict=True)
    )


# -- the policy as pure functions ------------------------------------------------------


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 599, 429, 408])
@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH"])
def test_idempotent_methods_retry_retryable_statuses(method: str, status: int) -> None:
    assert next_delay(RetryPolicy(), method, 0, response=_response(status)) is not None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 301])
def test_client_errors_are_not_retried(status: int) -> None:
    assert next_delay(RetryPolicy(), "GET", 0, response=_response(status)) is None


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_post_is_not_retried_once_the_server_answered(status: int) -> None:
    assert next_delay(RetryPolicy(), "POST", 0, response=_response(status)) is None


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


def test_max_retries_bounds_attempts() -> None:
    policy = RetryPolicy(max_retries=2)
    assert next_delay(policy, "GET", 1, response=_response(503)) is not None
    assert next_delay(policy, "GET", 2, response=_response(503)) is None
    assert next_delay(RetryPolicy(max_retries=0), "GET", 0, response=_response(503)) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    rng = random.Random(7)
    for n, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = {backoff(policy, n, rng) for _ in range(50)}
        assert all(base * 0.5 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(date, now=now) or 0) <= 31
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    for bad in (None, "", "soon", "nan", "Mon, 99 Foo 2026"):
        assert parse_retry_after(bad) is None


def test_retry_after_is_honoured_up_to_a_cap() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert next_delay(policy, "GET", 0, response=_response(503, {"Retry-After": "3"})) == 3.0
    assert next_delay(policy, "GET", 0, response=_response(429, {"Retry-After": "9999"})) == 60


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_max_retries_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        Fluidstack("t", max_retries=bad)  # type: ignore[arg-type]


# -- against real servers -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
def test_get_recovers_from_5xx(
    mode: str, status: int, server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(status, {"message": "flaky"}), Reply(json=[samples.REGION]))
    regions = run(mode, server.url, lambda fs: fs.regions.list())
    assert [r.name for r in regions] == ["us-east-1"]
    assert len(server.requests) == 2
    assert _jittered(waits, FAST.initial_delay)


@pytest.mark.parametrize("mode", MODES)
def test_max_retries_n_means_n_plus_one_attempts(
    mode: str, server: ScriptedServer, waits: list[float]
) -> None:
    server.default = Reply(503, {"message": "down for maintenance"})
    with pytest.raises(InternalServerError, match="down for maintenance") as info:
        run(mode, server.url, lambda fs: fs.clusters.list(), max_retries=3)
    assert len(server.requests) == 4
    assert info.value.status_code == 503
    # FAST: 0.01 s doubling, capped at 0.05 s
    assert _jittered(waits, 0.01, 0.02, 0.04)


@pytest.mark.parametrize("mode", MODES)
def test_with_options_overrides_retries_per_call(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(500, {"message": "boom"})
    with pytest.raises(InternalServerError):
        run(mode, server.url, lambda fs: fs.with_options(max_retries=0).members.list())
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_delete_and_patch_are_retried(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(502, body=b"<html>bad gateway</html>", content_type="text/html"), Reply(204))
    server.queue(Reply(504), Reply(200))
    run(mode, server.url, lambda fs: fs.keys.deregister("laptop"))
    run(mode, server.url, lambda fs: fs.members.update("m-1", role="viewer"))
    assert [r.method for r in server.requests] == ["DELETE", "DELETE", "PATCH", "PATCH"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 503, 429])
def test_post_is_sent_once_even_on_5xx(mode: str, status: int, server: ScriptedServer) -> None:
    server.default = Reply(status, {"message": "try later"})
    with pytest.raises((InternalServerError, RateLimitError)):
        run(mode, server.url, lambda fs: fs.invitations.create(email="a@b.io", role="viewer"))
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_post_is_not_retried_after_a_dropped_connection(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(drop=True)
    with pytest.raises(APIConnectionError):
        run(mode, server.url, lambda fs: fs.keys.register(name="k", key="ssh-ed25519 AAAA"))
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_get_is_retried_after_a_dropped_connection(
    mode: str, server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(drop=True), Reply(drop=True), Reply(json=[]))
    assert run(mode, server.url, lambda fs: fs.keys.list()) == []
    assert len(server.requests) == 3
    assert _jittered(waits, 0.01, 0.02)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", ["post", "get"])
def test_connection_refused_is_retried_even_for_post(
    mode: str, call: str, waits: list[float]
) -> None:
    attempts: list[str] = []

    async def ahook(request: httpx.Request) -> None:
        attempts.append(request.method)

    def http() -> httpx.Client | httpx.AsyncClient:
        if mode == "sync":
            return httpx.Client(event_hooks={"request": [lambda r: attempts.append(r.method)]})
        return httpx.AsyncClient(event_hooks={"request": [ahook]})

    def scenario(fs: object) -> object:
        if call == "post":
            return fs.invitations.create(email="a@b.io")  # type: ignore[attr-defined]
        return fs.clusters.list()  # type: ignore[attr-defined]

    with pytest.raises(APIConnectionError) as info:
        run(mode, f"http://127.0.0.1:{_closed_port()}", scenario, http=http)
    assert not isinstance(info.value, APITimeoutError)
    assert len(attempts) == FAST.max_retries + 1
    assert _jittered(waits, 0.01, 0.02)


@pytest.mark.parametrize("mode", MODES)
def test_read_timeout_is_retried_then_reported(
    mode: str, server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(json=[], delay=0.5), Reply(json=[samples.ORGANIZATION]))
    orgs = run(mode, server.url, lambda fs: fs.organizations.list(), timeout=0.2)
    assert len(orgs) == 1
    assert _jittered(waits, 0.01)
    server.default = Reply(json=[], delay=0.5)
    with pytest.raises(APITimeoutError):
        run(mode, server.url, lambda fs: fs.organizations.list(), timeout=0.2, max_retries=1)


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_waited_for(mode: str, server: ScriptedServer, waits: list[float]) -> None:
    server.queue(Reply(429, {"message": "slow down"}, headers={"Retry-After": "1"}), Reply(json=[]))
    started = time.monotonic()
    run(mode, server.url, lambda fs: fs.invitations.list())
    took = time.monotonic() - started
    assert waits == [1.0]
    assert 0.9 <= took < 10
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_beyond_the_cap_is_capped(
    mode: str, server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(503, headers={"Retry-After": "3600"}), Reply(json=[]))
    started = time.monotonic()
    policy = RetryPolicy(initial_delay=0.01, max_retry_after=0.2)
    run(mode, server.url, lambda fs: fs.invitations.list(), retry_policy=policy)
    assert waits == [0.2]  # the cap, not the hour asked for, nor the 0.01 s backoff
    assert time.monotonic() - started >= 0.2
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_non_retryable_status_is_raised_at_once(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(400, {"message": "bad role"})
    with pytest.raises(BadRequestError, match="bad role"):
        run(mode, server.url, lambda fs: fs.members.update("m-1", role="admin"))
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_each_retry_is_logged(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    server.queue(Reply(503), Reply(json=[]))
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, server.url, lambda fs: fs.instances.list())
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    (wait,) = waits
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"retrying GET /instances after status 503 in {wait:.2f}s (retry 1 of 2)"
    )
