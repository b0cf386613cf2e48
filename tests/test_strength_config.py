"""The constructor's defaults and checks, pinned to what a user reads in the README and
the error messages: timeouts 30 s (connect 10 s), 100 connections, the base URL as
given (or refused, and why), and each option's bounds."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from clients import MODES, TOKEN, run
from hostile_server import Conn, HostileServer
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    APITimeoutError,
    AsyncFluidstack,
    ConfigurationError,
    Fluidstack,
)
from fluidstack_client._config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_SIZE,
    attempt_deadline,
    check_number,
    is_loopback,
    resolve_base_url,
    resolve_timeout,
)

CLIENTS = [Fluidstack, AsyncFluidstack]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUIDSTACK_TOKEN", raising=False)
    monkeypatch.delenv("FLUIDSTACK_BASE_URL", raising=False)


# -- timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
def test_default_timeout_is_thirty_seconds_with_ten_to_connect(cls: Any) -> None:
    fs = cls("t")
    assert fs.timeout == httpx.Timeout(30.0, connect=10.0)
    assert (fs.timeout.connect, fs.timeout.read, fs.timeout.write, fs.timeout.pool) == (
        10.0,
        30.0,
        30.0,
        30.0,
    )
    assert fs.timeout == DEFAULT_TIMEOUT
    # The pool the client made uses it, and one attempt may take the read timeout.
    assert fs._shared.http.timeout == httpx.Timeout(30.0, connect=10.0)
    assert fs._deadline == 30.0


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_number_is_every_timeout_and_a_timeout_object_is_kept(cls: Any) -> None:
    assert cls("t", timeout=5).timeout == httpx.Timeout(5.0)
    assert cls("t", timeout=2.5)._deadline == 2.5
    mine = httpx.Timeout(4.0, connect=1.0, read=7.0)
    fs = cls("t", timeout=mine)
    assert fs.timeout is mine
    assert fs._deadline == 7.0
    assert fs._shared.http.timeout == mine


@pytest.mark.parametrize("cls", CLIENTS)
def test_no_timeout_at_all(cls: Any) -> None:
    fs = cls("t", timeout=None)
    assert fs.timeout == httpx.Timeout(None)
    assert fs._deadline is None
    partial = cls("t", timeout=httpx.Timeout(3.0, read=None))
    assert partial._deadline is None
    assert partial.timeout.connect == 3.0


@pytest.mark.parametrize("bad", [0, 0.0, -1, -0.001, math.nan, math.inf, "30", True, 1e9 + 1])
def test_a_timeout_must_be_positive_and_finite(bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", timeout=bad)  # type: ignore[arg-type]
    assert str(info.value) == f"timeout must be a finite number > 0 and <= 1e+09, got {bad!r}"


@pytest.mark.parametrize("part", ["connect", "read", "write", "pool"])
@pytest.mark.parametrize("bad", [0, -2.0, math.nan])
def test_each_part_of_a_timeout_object_is_checked(part: str, bad: float) -> None:
    parts: dict[str, float | None] = {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}
    parts[part] = bad
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", timeout=httpx.Timeout(**parts))
    assert str(info.value) == (
        f"timeout.{part} must be a finite number > 0 and <= 1e+09, got {bad!r}"
    )


def test_with_options_checks_and_replaces_the_timeout() -> None:
    fs = Fluidstack("t", timeout=3.0)
    assert fs.with_options().timeout == httpx.Timeout(3.0)
    assert fs.with_options(timeout=None).timeout == httpx.Timeout(None)
    assert fs.with_options(timeout=None)._deadline is None
    assert fs.with_options(timeout=9)._deadline == 9.0
    with pytest.raises(ConfigurationError, match="timeout must be a finite number > 0"):
        fs.with_options(timeout=0)


def test_resolve_timeout_directly() -> None:
    given = httpx.Timeout(1.0)
    assert resolve_timeout(given) is given
    assert resolve_timeout(None) == httpx.Timeout(None)
    assert resolve_timeout(12) == httpx.Timeout(12)
    assert attempt_deadline(httpx.Timeout(1.0, read=4.0)) == 4.0


@pytest.mark.parametrize("mode", MODES)
def test_the_timeout_is_what_a_call_waits(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[], delay=0.6)
    with pytest.raises(APITimeoutError):
        run(mode, server.url, lambda fs: fs.keys.list(), timeout=0.2, max_retries=0)
    assert run(mode, server.url, lambda fs: fs.keys.list(), timeout=2.0) == []


# -- connections -------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
def test_default_pool_is_a_hundred_connections(cls: Any) -> None:
    assert DEFAULT_MAX_CONNECTIONS == 100
    fs = cls("t")
    assert fs._shared.http._transport._pool._max_connections == 100
    gate = fs._shared.gate
    assert gate._value == 100  # the semaphore's count


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [0, -1, 2.5, 1.0, True, "10", None])
def test_max_connections_must_be_an_int_of_at_least_one(cls: Any, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", max_connections=bad)
    assert str(info.value) == f"max_connections must be an int >= 1, got {bad!r}"


@pytest.mark.parametrize("connections", [1, 3])
def test_max_connections_bounds_the_calls_in_flight(
    connections: int, server: ScriptedServer
) -> None:
    server.default = Reply(json=[], delay=0.4)

    async def main() -> float:
        async with AsyncFluidstack(TOKEN, base_url=server.url, max_connections=connections) as fs:
            started = time.monotonic()
            await asyncio.gather(*(fs.keys.list() for _ in range(3)))
            return time.monotonic() - started

    took = asyncio.run(main())
    assert len(server.requests) == 3
    if connections == 1:
        assert took >= 1.2  # one after another
    else:
        assert took < 1.1  # side by side


@pytest.mark.parametrize("mode", MODES)
def test_every_connection_the_pool_opens_is_kept_alive(mode: str) -> None:
    # httpx keeps 20 idle connections unless told otherwise; the client keeps every one it
    # may open, so a second burst as wide as the pool reuses all of the first's.
    width = 25
    ports: list[int] = []
    lock = threading.Lock()
    burst = threading.Barrier(width, timeout=10)

    def answer(conn: Conn) -> None:
        burst.wait()  # every call of a burst is in flight at once
        with lock:
            ports.append(conn.sock.getpeername()[1])
        conn.respond(200, b"[]", {"Content-Type": "application/json"})

    def scenario(fs: Any) -> Any:
        if mode == "sync":
            with ThreadPoolExecutor(width) as pool:
                for _ in range(2):
                    assert list(pool.map(lambda _: fs.keys.list(), range(width))) == [[]] * width
            return None

        async def go() -> None:
            for _ in range(2):
                assert await asyncio.gather(*(fs.keys.list() for _ in range(width))) == [[]] * width

        return go()

    with HostileServer(answer) as hostile:
        run(mode, hostile.url, scenario, max_connections=width)
    assert len(ports) == 2 * width
    assert len(set(ports)) == width


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [0, -5, 1.5, "1", False])
def test_max_response_size_must_be_a_positive_int(cls: Any, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", max_response_size=bad)
    assert str(info.value) == f"max_response_size must be an int >= 1, got {bad!r}"
    assert DEFAULT_MAX_RESPONSE_SIZE == 64 * 1024 * 1024
    assert cls("t", max_response_size=1)._shared.max_response_size == 1


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, "5m", 1e9 + 1])
def test_region_cache_ttl_must_be_a_number_of_seconds(cls: Any, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", region_cache_ttl=bad)
    assert str(info.value) == (
        f"region_cache_ttl must be a finite number >= 0 and <= 1e+09, got {bad!r}"
    )
    assert cls("t", region_cache_ttl=0)._shared.regions.ttl == 0.0
    assert cls("t", region_cache_ttl=7)._shared.regions.ttl == 7.0
    assert cls("t")._shared.regions.ttl == 300.0


def test_long_values_are_cut_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", region_cache_ttl="x" * 38)  # type: ignore[arg-type]
    assert str(info.value).endswith(f"got '{'x' * 38}'")
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", region_cache_ttl="x" * 39)  # type: ignore[arg-type]
    assert str(info.value).endswith(f"got '{'x' * 39}...")


def test_check_number_bounds() -> None:
    check_number(0, "n", minimum=0)
    check_number(1e9, "n", minimum=0)
    check_number(10**20, "n", minimum=0, maximum=None)
    check_number(5, "n", minimum=5, integer=True)
    with pytest.raises(
        ConfigurationError, match=r"^n must be a finite number > 5 and <= 10, got 5$"
    ):
        check_number(5, "n", minimum=5, exclusive=True, maximum=10)
    with pytest.raises(ConfigurationError, match=r"^n must be an int >= 0 and <= 3, got 4$"):
        check_number(4, "n", minimum=0, integer=True, maximum=3)
    check_number(3, "n", minimum=0, integer=True, maximum=3)
    with pytest.raises(ConfigurationError, match=r"^n must be a finite number >= 1, got 0.5$"):
        check_number(0.5, "n", minimum=1, maximum=None)


# -- the base URL ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [42, 4.2, b"https://api.example.io", ["https://x.io"]])
def test_a_base_url_that_is_not_text_is_a_configuration_error(cls: Any, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", base_url=bad)
    assert str(info.value).startswith(f"base_url {bad!r} is not a valid URL: ")
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("https:///x", "base_url 'https:///x' is not an absolute http(s) URL"),
        ("ftp://x.io", "base_url 'ftp://x.io' is not an absolute http(s) URL"),
        ("/api/v1alpha1", "base_url '/api/v1alpha1' is not an absolute http(s) URL"),
        (
            "https://user:pw@x.io",
            "base_url must not contain credentials (user:password@); use token=",
        ),
        (
            "http://example.com/api",
            "refusing base_url 'http://example.com/api': only https is allowed (plain http "
            "only to loopback hosts), so the token is never sent in cleartext",
        ),
    ],
)
def test_refused_base_urls_say_why(given: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", base_url=given)
    assert str(info.value) == why


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://x.io/api/v1/?a=1#f", "https://x.io/api/v1"),
        ("https://x.io/api/v1alpha1///", "https://x.io/api/v1alpha1"),
        ("https://x.io//", "https://x.io/"),
        ("https://x.io", "https://x.io/"),
        ("HTTPS://X.IO/Api", "https://x.io/Api"),
        ("http://localhost:8080/api", "http://localhost:8080/api"),
        ("http://127.0.0.1:9/a/", "http://127.0.0.1:9/a"),
        ("https://x.io/apiX/", "https://x.io/apiX"),  # only slashes are stripped
        ("http://[::1]:9/a", "http://[::1]:9/a"),
        (httpx.URL("https://x.io/p/"), "https://x.io/p"),
    ],
)
def test_accepted_base_urls(given: str | httpx.URL, kept: str) -> None:
    assert str(Fluidstack("t", base_url=given).base_url) == kept
    assert str(resolve_base_url(given)) == kept


def test_base_url_from_the_environment_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(resolve_base_url(None)) == DEFAULT_BASE_URL
    assert DEFAULT_BASE_URL == "https://api.atlas.fluidstack.io/api/v1alpha1"
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "")
    assert str(resolve_base_url(None)) == DEFAULT_BASE_URL
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "https://env.example.io/v/")
    assert str(resolve_base_url(None)) == "https://env.example.io/v"
    assert str(Fluidstack("t").base_url) == "https://env.example.io/v"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("::1", True),
        ("LOCALHOST", False),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_an_http_client_of_the_other_kind_is_refused_by_name() -> None:
    with httpx.Client() as sync_client, pytest.raises(ConfigurationError) as info:
        AsyncFluidstack("t", http_client=sync_client)  # type: ignore[arg-type]
    assert str(info.value) == "http_client must be an httpx.AsyncClient, got Client"

    async def build() -> None:
        async with httpx.AsyncClient() as async_client:
            Fluidstack("t", http_client=async_client)  # type: ignore[arg-type]

    with pytest.raises(ConfigurationError) as info:
        asyncio.run(build())
    assert str(info.value) == "http_client must be an httpx.Client, got AsyncClient"
