"""The client's configuration as a user meets it: the constructor's arguments, defaults
and checks (token, base URL, timeouts, pool size, response cap, region cache), what the
environment supplies, `with_options()` copies, closing, a user's own `http_client`, and
proxies from the environment. Constructor checks run once over both classes; what
goes over the wire is an async test with a derived sync twin."""

from __future__ import annotations

import asyncio
import inspect
import math
from typing import Any

import httpx
import pytest
from support import samples
from support.client_kinds import CLIENTS, ClientClass
from support.client_proxies import use_proxy
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    APITimeoutError,
    AsyncFluidstack,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    RegionURLError,
    RetryPolicy,
    SSHKey,
    _sync_backend,
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
from fluidstack_client._regions import region_base_url

API = "/api/v1alpha1"
NOWHERE = "http://127.0.0.1:9" + API  # a client that is built and checked, never called
SECRET = "sk-Q7wE9rT2yU4iO6pA8sD0fG3hJ5kL1"
GLOBAL = httpx.URL("https://api.atlas.fluidstack.io/api/v1alpha1")
LAPTOP = SSHKey(name="laptop", key=samples.SSH_KEY["key"])
JSON = {"Content-Type": "application/json"}


# -- the token and the base URL: arguments, environment, defaults -----------------------


def test_default_base_url_is_the_specs_server(spec: dict[str, Any]) -> None:
    assert spec["servers"][0]["url"] == DEFAULT_BASE_URL
    assert str(Fluidstack("t").base_url) == DEFAULT_BASE_URL


@pytest.mark.parametrize("cls", CLIENTS)
def test_missing_token_names_the_env_var(cls: ClientClass) -> None:
    with pytest.raises(ConfigurationError, match="FLUIDSTACK_TOKEN"):
        cls()
    with pytest.raises(ConfigurationError, match="FLUIDSTACK_TOKEN"):
        cls(base_url="http://127.0.0.1:9")


async def test_token_and_base_url_from_env(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "env-token")
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", f"{server.url}/api/v1alpha1")
    server.queue(Reply(json=[]))
    async with AsyncFluidstack() as fs:
        assert await fs.keys.list() == []
    assert server.last.path == "/api/v1alpha1/user/keys"
    assert server.last.headers["authorization"] == "Bearer env-token"


def test_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "env-token")
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "https://env.example.io/api")
    fs = Fluidstack("arg-token", base_url="https://arg.example.io/api/v1alpha1/")
    assert str(fs.base_url) == "https://arg.example.io/api/v1alpha1"
    token = fs._shared.credentials.current()
    assert token is not None
    assert token.reveal() == "arg-token"


def test_base_url_from_the_environment_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(resolve_base_url(None)) == DEFAULT_BASE_URL
    assert DEFAULT_BASE_URL == "https://api.atlas.fluidstack.io/api/v1alpha1"
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "")
    assert str(resolve_base_url(None)) == DEFAULT_BASE_URL
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "https://env.example.io/v/")
    assert str(resolve_base_url(None)) == "https://env.example.io/v"
    assert str(Fluidstack("t").base_url) == "https://env.example.io/v"


# -- base URL rules: https, or plain http to loopback; never credentials ---------------

REFUSED_URLS = [
    "http://example.com",
    "http://10.0.0.1:8080/api/v1alpha1",
    "http://192.168.1.10/api/v1alpha1",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io:8080",
    "http://0.0.0.0:8080",
]
ACCEPTED_URLS = [
    "http://127.0.0.1",
    "http://127.0.0.1:8080/api/v1alpha1",
    "http://localhost",
    "http://localhost:4010",
    "http://[::1]",
    "http://[::1]:9000/api/v1alpha1",
    "https://api.example.com/api/v1alpha1",
    "https://10.0.0.1:8443",
]
WITH_CREDENTIALS = [
    "https://user:hunter2pass@api.example.com/api/v1alpha1",
    "http://user:hunter2pass@127.0.0.1:8080",
    "https://hunter2pass@api.example.com",
]


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


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [42, 4.2, b"https://api.example.io", ["https://x.io"]])
def test_a_base_url_that_is_not_text_is_a_configuration_error(
    cls: ClientClass, bad: object
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", base_url=bad)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"base_url {bad!r} is not a valid URL: ")
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


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


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("url", REFUSED_URLS)
def test_plain_http_base_url_to_a_remote_host_is_refused(cls: ClientClass, url: str) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        cls(SECRET, base_url=url)


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("url", REFUSED_URLS)
def test_plain_http_base_url_from_the_environment_is_refused(
    cls: ClientClass, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", url)
    monkeypatch.setenv("FLUIDSTACK_TOKEN", SECRET)
    with pytest.raises(ConfigurationError, match="https"):
        cls()


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("url", ACCEPTED_URLS)
def test_https_and_loopback_base_urls_are_accepted(cls: ClientClass, url: str) -> None:
    fs = cls(SECRET, base_url=url)
    assert fs.base_url.host == httpx.URL(url).host
    assert fs.base_url.scheme == httpx.URL(url).scheme


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("url", WITH_CREDENTIALS)
def test_base_url_with_credentials_is_refused_without_repeating_them(
    cls: ClientClass, url: str
) -> None:
    with pytest.raises(ConfigurationError, match="credentials") as info:
        cls(SECRET, base_url=url)
    assert "hunter2pass" not in str(info.value)


@pytest.mark.parametrize("url", REFUSED_URLS + ACCEPTED_URLS + WITH_CREDENTIALS)
def test_base_url_and_region_urls_follow_one_rule(url: str) -> None:
    try:
        Fluidstack(SECRET, base_url=url).close()
    except ConfigurationError:
        base_ok = False
    else:
        base_ok = True
    try:
        region_base_url(url, GLOBAL)
    except RegionURLError:
        region_ok = False
    else:
        region_ok = True
    assert base_ok == region_ok == (url in ACCEPTED_URLS)


async def test_refused_base_url_sends_nothing(server: ScriptedServer) -> None:
    # A loopback server accepts the call; the same port on a plain-http remote host
    # must not even build a client.
    server.default = Reply(json=[])
    async with AsyncFluidstack(SECRET, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    with pytest.raises(ConfigurationError):
        AsyncFluidstack(TOKEN, base_url=f"http://example.com:{httpx.URL(server.url).port}")
    assert len(server.requests) == 1


async def test_a_base_path_ending_in_any_letter_is_kept_whole(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=f"{server.url}/apiX/", retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert [r.path for r in server.requests] == ["/apiX/user/keys"]


async def test_a_server_on_another_loopback_address_is_reached() -> None:
    other = ScriptedServer(host="127.0.0.2").start()
    try:
        other.default = Reply(json=[])
        async with AsyncFluidstack(TOKEN, base_url=other.url) as fs:
            assert await fs.keys.list() == []
        assert len(other.requests) == 1
    finally:
        other.stop()


# -- timeouts: 30 s (10 s to connect) unless told; each part checked -------------------


@pytest.mark.parametrize("cls", CLIENTS)
def test_default_timeout_is_thirty_seconds_with_ten_to_connect(cls: ClientClass) -> None:
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
def test_a_number_is_every_timeout_and_a_timeout_object_is_kept(cls: ClientClass) -> None:
    assert cls("t", timeout=5).timeout == httpx.Timeout(5.0)
    assert cls("t", timeout=2.5)._deadline == 2.5
    mine = httpx.Timeout(4.0, connect=1.0, read=7.0)
    fs = cls("t", timeout=mine)
    assert fs.timeout is mine
    assert fs._deadline == 7.0
    assert fs._shared.http.timeout == mine


@pytest.mark.parametrize("cls", CLIENTS)
def test_no_timeout_at_all(cls: ClientClass) -> None:
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


async def test_the_timeout_is_what_a_call_waits(server: ScriptedServer) -> None:
    server.default = Reply(json=[], delay=0.6)
    async with AsyncFluidstack(
        TOKEN, base_url=server.url, retry_policy=FAST, timeout=0.2, max_retries=0
    ) as fs:
        with pytest.raises(APITimeoutError):
            await fs.keys.list()
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, timeout=2.0) as fs:
        assert await fs.keys.list() == []


async def test_timeout_and_with_options(server: ScriptedServer) -> None:
    server.default = Reply(json=[], delay=0.3)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST, timeout=5.0) as fs:
        assert fs.timeout == httpx.Timeout(5.0)
        quick = fs.with_options(timeout=0.05, max_retries=0)
        assert quick.timeout == httpx.Timeout(0.05)
        assert quick.max_retries == 0
        assert fs.max_retries == 2  # the original is untouched
        with pytest.raises(FluidstackError, match=r"timed out|Timeout"):
            await quick.keys.list()
    assert len(server.requests) == 1


async def test_a_client_without_timeouts_calls_as_usual(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url, timeout=None) as fs:
        assert await fs.keys.list() == []


# -- numbers: each option's bounds, NaN and infinities ---------------------------------


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


def test_long_values_are_cut_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", region_cache_ttl="x" * 38)  # type: ignore[arg-type]
    assert str(info.value).endswith(f"got '{'x' * 38}'")
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", region_cache_ttl="x" * 39)  # type: ignore[arg-type]
    assert str(info.value).endswith(f"got '{'x' * 39}...")


@pytest.mark.parametrize("cls", CLIENTS)
def test_default_pool_is_a_hundred_connections(cls: ClientClass) -> None:
    assert DEFAULT_MAX_CONNECTIONS == 100
    fs = cls("t")
    transport: Any = fs._shared.http._transport
    assert transport._pool._max_connections == 100
    gate: Any = fs._shared.gate
    assert gate._value == 100  # the semaphore's count


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [0, -1, 2.5, 1.0, True, "10", None])
def test_max_connections_must_be_an_int_of_at_least_one(cls: ClientClass, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", max_connections=bad)  # type: ignore[arg-type]
    assert str(info.value) == f"max_connections must be an int >= 1, got {bad!r}"


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [0, -5, 1.5, "1", False])
def test_max_response_size_must_be_a_positive_int(cls: ClientClass, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", max_response_size=bad)  # type: ignore[arg-type]
    assert str(info.value) == f"max_response_size must be an int >= 1, got {bad!r}"
    assert DEFAULT_MAX_RESPONSE_SIZE == 64 * 1024 * 1024
    assert cls("t", max_response_size=1)._shared.max_response_size == 1


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, "5m", 1e9 + 1])
def test_region_cache_ttl_must_be_a_number_of_seconds(cls: ClientClass, bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls("t", region_cache_ttl=bad)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"region_cache_ttl must be a finite number >= 0 and <= 1e+09, got {bad!r}"
    )
    assert cls("t", region_cache_ttl=0)._shared.regions.ttl == 0.0
    assert cls("t", region_cache_ttl=7)._shared.regions.ttl == 7.0
    assert cls("t")._shared.regions.ttl == 300.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": ""},
        {"token": "a\nb"},
        {"token": 42},
        {"base_url": "not a url"},
        {"base_url": "ftp://x.io"},
        {"timeout": -1},
        {"timeout": "30"},
        {"max_retries": -1},
        {"retry_policy": 3},
        {"http_client": httpx.AsyncClient()},
        {"region_cache_ttl": "5m"},
        {"max_connections": 0},
        {"max_connections": 2.5},
    ],
)
def test_bad_configuration_is_a_configuration_error(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("token", "t")
    with pytest.raises(ConfigurationError):
        Fluidstack(**kwargs)


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
@pytest.mark.parametrize("cls", CLIENTS)
def test_client_rejects_non_finite_numbers(cls: ClientClass, options: dict[str, Any]) -> None:
    (name,) = options
    with pytest.raises(ConfigurationError, match=name):
        cls(TOKEN, base_url=NOWHERE, **options)


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
@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_rejects_non_finite_numbers(cls: ClientClass, options: dict[str, Any]) -> None:
    fs = cls(TOKEN, base_url=NOWHERE, retry_policy=FAST)
    with pytest.raises(ConfigurationError):
        fs.with_options(**options)


HUGE = 10**400  # an int no float holds


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("option", ["timeout", "region_cache_ttl"])
def test_client_refuses_an_integer_too_large_for_a_float(cls: ClientClass, option: str) -> None:
    """Review finding a06/a20: 10**400 overflowed the checks instead of failing them."""
    options: dict[str, Any] = {option: HUGE}
    with pytest.raises(ConfigurationError, match=option):
        cls(TOKEN, base_url="http://127.0.0.1:1/api", **options)


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_refuses_an_integer_too_large_for_a_float(cls: ClientClass) -> None:
    """Review finding a06/a20, through `with_options()`."""
    client = cls(TOKEN, base_url="http://127.0.0.1:1/api")
    with pytest.raises(ConfigurationError, match="timeout"):
        client.with_options(timeout=HUGE)


# -- with_options(): copies that share the pool ----------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_keeps_the_policy_it_does_not_replace(cls: ClientClass) -> None:
    policy = RetryPolicy(max_retries=4, initial_delay=0.1, max_delay=0.2, max_retry_after=0.3)
    fs = cls(TOKEN, retry_policy=policy)
    assert fs.with_options()._retry == policy
    assert fs.with_options(max_retries=1)._retry == RetryPolicy(1, 0.1, 0.2, 0.3)
    assert fs.with_options(timeout=3)._retry == policy
    assert fs.with_options().timeout == fs.timeout


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_timeout_default_prints_as_not_given(cls: ClientClass) -> None:
    default = inspect.signature(cls.with_options).parameters["timeout"].default
    assert repr(default) == "NOT_GIVEN"


async def test_closing_a_copy_leaves_the_shared_pool_open(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    fs = AsyncFluidstack(TOKEN, base_url=server.url)
    quick = fs.with_options(max_retries=0)
    await quick.aclose()
    assert not fs._shared.http.is_closed
    assert await fs.keys.list() == []
    await fs.aclose()
    assert fs._shared.http.is_closed


# -- closing, and printing --------------------------------------------------------------


async def test_closed_client_raises_package_error(server: ScriptedServer) -> None:
    fs = AsyncFluidstack(TOKEN, base_url=server.url)
    await fs.aclose()
    with pytest.raises(FluidstackError, match="closed"):
        await fs.keys.list()
    assert server.requests == []


async def test_a_closed_client_raises_and_sends_nothing(server: ScriptedServer) -> None:
    """Closed inside its `with`, so its own pools are closed twice: the second close
    (leaving the block) is harmless."""
    server.default = Reply(json=[samples.SSH_KEY])
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == [LAPTOP]
        await fs.aclose()
        with pytest.raises(FluidstackError) as info:
            await fs.keys.list()
    assert str(info.value) == "this client has been closed"
    assert len(server.requests) == 1


def test_repr_is_informative() -> None:
    fs = AsyncFluidstack("t", base_url="https://x.io/api/v1alpha1", max_retries=4)
    assert repr(fs).startswith(
        "AsyncFluidstack(base_url='https://x.io/api/v1alpha1', max_retries=4"
    )


# -- a user's http_client: used as it is, never closed by the wrapper -------------------


async def test_user_http_client_is_used_as_is(server: ScriptedServer) -> None:
    """The client calls through the user's http_client without changing its network
    backend (no deadline hook), and never closes it: not on leaving `async with`, not
    on an explicit close, not when a copy closes. (This test owns that behaviour; the
    old suite's `run()` helper asserted it for every test that passed one.)"""
    server.default = Reply(json=[])
    async with httpx.AsyncClient() as mine:
        transport: Any = mine._transport
        before = transport._pool._network_backend
        async with AsyncFluidstack(TOKEN, base_url=server.url, http_client=mine) as fs:
            assert fs._shared.http is mine
            assert await fs.keys.list() == []
            await fs.with_options(max_retries=0).aclose()
            assert not mine.is_closed
        assert not mine.is_closed
        await fs.aclose()
        assert not mine.is_closed
        assert transport._pool._network_backend is before
        assert not isinstance(before, _sync_backend._DeadlineBackend)
        assert (await mine.get(f"{server.url}/still-open")).status_code == 200
    assert [r.path for r in server.requests] == ["/user/keys", "/still-open"]


async def test_user_http_client_keeps_headers_hooks_and_gets_auth(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]))
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async with (
        httpx.AsyncClient(headers={"X-Team": "infra"}, event_hooks={"request": [hook]}) as user,
        AsyncFluidstack(TOKEN, base_url=server.url, http_client=user, retry_policy=FAST) as fs,
    ):
        assert await fs.keys.list() == []
    assert server.last.headers["x-team"] == "infra"
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen == ["/user/keys"]


async def test_user_client_with_other_base_url_still_targets_ours(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]))
    async with (
        httpx.AsyncClient(base_url="http://127.0.0.1:9/x") as user,
        AsyncFluidstack(TOKEN, base_url=server.url, http_client=user, retry_policy=FAST) as fs,
    ):
        assert await fs.keys.list() == []
    assert server.last.path == "/user/keys"


def test_an_http_client_of_the_other_kind_is_refused_by_name() -> None:
    with httpx.Client() as sync_client, pytest.raises(ConfigurationError) as info:
        AsyncFluidstack("t", http_client=sync_client)  # type: ignore[arg-type]
    assert str(info.value) == "http_client must be an httpx.AsyncClient, got Client"

    async_client = httpx.AsyncClient()
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", http_client=async_client)  # type: ignore[arg-type]
    assert str(info.value) == "http_client must be an httpx.Client, got AsyncClient"
    asyncio.run(async_client.aclose())


# -- proxies from the environment -------------------------------------------------------


async def test_client_we_create_sends_through_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review finding a11: a client we create ignored HTTP_PROXY."""

    def proxy_answer(conn: Conn) -> None:
        conn.respond(200, b"[]", {**JSON, "X-Via": "proxy"})

    def origin_answer(conn: Conn) -> None:
        conn.respond(200, b'[{"name": "origin", "key": "k"}]', JSON)

    with HostileServer(proxy_answer) as proxy, HostileServer(origin_answer) as origin:
        use_proxy(monkeypatch, proxy.url)
        async with AsyncFluidstack(
            TOKEN, base_url=origin.url + API, retry_policy=FAST, max_retries=0
        ) as fs:
            keys = await fs.keys.list()
        assert origin.count() == 0
        assert proxy.count() == 1
    assert keys == []  # the proxy's answer
    request = proxy.requests[0]
    assert request.method == "GET"
    assert request.path == f"{origin.url}{API}/user/keys"  # absolute form: a proxy request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_proxies_and_exceptions_from_the_environment_are_fine(
    monkeypatch: pytest.MonkeyPatch, server: ScriptedServer
) -> None:
    # httpx mounts None for a NO_PROXY host: the sync deadline is installed around it.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url) as fs:
        assert None in fs._shared.http._mounts.values()
        assert await fs.keys.list() == []
