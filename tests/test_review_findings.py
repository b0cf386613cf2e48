"""Regression tests for the adversarial review's findings (a03-a20), each against a
real loopback server, with the sync and the async client where both apply.

Every test here failed before the fix it guards (except the one that checks a real
listing near the cap still parses, which keeps the a15 fix from refusing too much):
- a03: a token echoed as JSON `\\u` escapes, or in a UTF-16 JSON body, reached the
  exception (message, body, pickle, traceback) and a RegionNotFoundError;
- a04: with DEBUG logging on, httpx and httpcore logged the token a server echoed in
  a header, the reason phrase or a redirect's query; the kept reason phrase held it;
- a06/a20: more than 1024 retries overflowed the backoff; 10**400 overflowed the
  checks; `retry_policy={}`, 0 or False silently meant the default;
- a10/a18: a caller joining another's region fetch waited as long as that fetch,
  not its own timeout; every waiter raised one shared exception object;
- a13: a transport error's cause/context was httpx's exception, which holds the
  request as sent, Authorization header and all;
- a15: a small gzip body decoding to `[{},{},...]` within the cap parsed into ~25x
  its size of Python objects;
- a07: a multi-member gzip body lost its later members;
- a19: some invisible and reordering characters reached `str(exc)` raw;
- a11: a client we create ignored HTTP_PROXY.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import math
import pickle
import threading
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import httpx
import pytest
import samples
from clients import FAST, MODES, TOKEN, run
from hostile_server import Conn, HostileServer, refused_port

from fluidstack_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncFluidstack,
    AuthenticationError,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    InternalServerError,
    NotFoundError,
    RegionNotFoundError,
    ResponseTooLargeError,
    RetryPolicy,
    _retry,
)
from fluidstack_client._generated.api.instances import list_instances
from fluidstack_client._sync_backend import _DeadlineBackend

SECRET = "sk-live-Zq8Xw3Rt6Yu1Io4Pa7Sd0Fg2"
assert len(SECRET) == 32
API = "/api/v1alpha1"
REGIONS = f"{API}/regions"
JSON = {"Content-Type": "application/json"}
CLIENTS: list[Any] = [Fluidstack, AsyncFluidstack]
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUIDSTACK_TOKEN", raising=False)
    monkeypatch.delenv("FLUIDSTACK_BASE_URL", raising=False)


def u_escaped(text: str) -> str:
    """`text` as JSON `\\u` escapes, every character (decodes back to `text`)."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def failure(mode: str, base_url: str, scenario: Callable[[Any], Any], **options: Any) -> Any:
    """The exception the scenario raises (any FluidstackError)."""
    with pytest.raises(FluidstackError) as info:
        run(mode, base_url, scenario, **options)
    return info.value


def leaks(exc: BaseException, secret: str = SECRET) -> list[str]:
    """Where `secret` can be found on the exception (empty: nowhere)."""
    found = []
    if secret in str(exc):
        found.append("str")
    if secret in repr(exc):
        found.append("repr")
    if secret in "".join(traceback.format_exception(exc)):
        found.append("traceback")
    if secret.encode() in pickle.dumps(exc):
        found.append("pickle")
    for attr in ("message", "body"):
        if secret in repr(getattr(exc, attr, "")):
            found.append(attr)
    response = getattr(exc, "response", None)
    if isinstance(response, httpx.Response):
        if secret.encode() in response.content:
            found.append("response.content")
        if secret in response.reason_phrase:
            found.append("response.reason_phrase")
        if any(secret in f"{k}: {v}" for k, v in response.headers.items()):
            found.append("response.headers")
    return found


# == a03: echoes hidden from a byte scrub by JSON encoding =====================================


ECHOES = {
    "u-escapes": (401, f'{{"message": "bad token {u_escaped(SECRET)}"}}'.encode()),
    "utf-16": (401, json.dumps({"message": f"token {SECRET} is not allowed"}).encode("utf-16")),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("echo", list(ECHOES))
def test_token_echoed_in_json_encoded_form_is_scrubbed(mode: str, echo: str) -> None:
    status, body = ECHOES[echo]
    assert SECRET.encode() not in body  # only the parse reveals it

    def answer(conn: Conn) -> None:
        conn.respond(status, body, JSON)

    with HostileServer(answer) as server:
        exc = failure(mode, server.url + API, lambda fs: fs.instances.list(), token=SECRET)
    assert isinstance(exc, AuthenticationError)
    assert "[REDACTED]" in exc.message  # the message is still shown, scrubbed
    assert leaks(exc) == []


@pytest.mark.parametrize("mode", MODES)
def test_region_name_that_is_the_escaped_token_is_scrubbed(mode: str) -> None:
    listed = f'[{{"name": "{u_escaped(SECRET)}", "url": "https://r.example"}}]'.encode()

    def answer(conn: Conn) -> None:
        conn.respond(200, listed, JSON)

    with HostileServer(answer) as server:
        exc = failure(mode, server.url + API, lambda fs: fs.region("nope"), token=SECRET)
        assert server.count("GET", REGIONS) == 1
    assert isinstance(exc, RegionNotFoundError)
    assert "[REDACTED]" in str(exc)
    assert leaks(exc) == []
    assert not any(SECRET in name for name in exc.known)


# == a04: the token in httpx's and httpcore's DEBUG logs =======================================


def log_echo(case: str) -> Callable[[Conn], None]:
    def answer(conn: Conn) -> None:
        if case == "header":
            conn.respond(200, b"[]", {**JSON, "X-Echo": f"Bearer {SECRET}"})
        elif case == "reason":
            conn.respond(200, b"[]", JSON, reason=f"OK {SECRET}")
        elif case == "redirect" and "access_token" not in conn.request.path:
            conn.respond(302, b"", {"Location": f"{API}/instances?access_token={SECRET}"})
        elif case == "redirect":
            conn.respond(200, b"[]", JSON)
        else:  # an error whose reason phrase is kept on exc.response
            conn.respond(401, b"", reason=f"Unauthorized {SECRET}")

    return answer


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["header", "reason", "redirect", "error-reason"])
def test_token_echoed_by_the_server_stays_out_of_debug_logs(
    mode: str, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    with HostileServer(log_echo(case)) as server, caplog.at_level(logging.DEBUG):
        if case == "error-reason":
            exc = failure(mode, server.url + API, lambda fs: fs.instances.list(), token=SECRET)
            assert isinstance(exc, AuthenticationError)
            assert SECRET not in exc.response.reason_phrase
            assert leaks(exc) == []
        else:
            assert run(mode, server.url + API, lambda fs: fs.instances.list(), token=SECRET) == []
        if case == "redirect":
            assert server.count("GET", f"{API}/instances?access_token={SECRET}") == 1
    # httpcore's DEBUG records (response headers, reason phrase) and httpx's INFO ones
    # (URL and reason phrase) were there to leak it.
    names = {record.name for record in caplog.records}
    assert "httpx" in names
    assert any(name.startswith("httpcore.") for name in names)
    leaked = [r.getMessage() for r in caplog.records if SECRET in r.getMessage()]
    assert leaked == []


# == a06/a20: overflows, and falsy retry policies ==============================================


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layer", ["resource", "generated"])
def test_more_than_1024_retries_end_in_the_status_error(mode: str, layer: str) -> None:
    def answer(conn: Conn) -> None:
        conn.respond(503, b"busy")

    def scenario(fs: Any) -> Any:
        if layer == "resource":
            return fs.instances.list()
        if isinstance(fs, Fluidstack):
            return list_instances.sync_detailed(client=fs.generated_client())
        return list_instances.asyncio_detailed(client=fs.generated_client())

    policy = RetryPolicy(max_retries=1100, initial_delay=0, max_delay=0)
    with HostileServer(answer) as server:
        with pytest.raises(InternalServerError):  # not OverflowError, not APIConnectionError
            run(mode, server.url + API, scenario, retry_policy=policy)
        assert server.count("GET", f"{API}/instances") == 1101


def test_backoff_after_thousands_of_retries_is_finite() -> None:
    policy = RetryPolicy()
    delay = _retry.backoff(policy, 5000)
    assert math.isfinite(delay)
    assert policy.max_delay / 2 <= delay <= policy.max_delay


HUGE = 10**400  # an int no float holds


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("option", ["timeout", "region_cache_ttl"])
def test_client_refuses_an_integer_too_large_for_a_float(cls: Any, option: str) -> None:
    options: dict[str, Any] = {option: HUGE}
    with pytest.raises(ConfigurationError, match=option):
        cls(TOKEN, base_url="http://127.0.0.1:1/api", **options)


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_refuses_an_integer_too_large_for_a_float(cls: Any) -> None:
    client = cls(TOKEN, base_url="http://127.0.0.1:1/api")
    with pytest.raises(ConfigurationError, match="timeout"):
        client.with_options(timeout=HUGE)


@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "max_retry_after"])
def test_retry_policy_refuses_an_integer_too_large_for_a_float(field: str) -> None:
    options: dict[str, Any] = {field: HUGE}
    with pytest.raises(ConfigurationError, match=field):
        RetryPolicy(**options)


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("policy", [{}, 0, False], ids=["empty-dict", "zero", "false"])
def test_a_falsy_retry_policy_is_refused_not_replaced(cls: Any, policy: object) -> None:
    options: dict[str, Any] = {"retry_policy": policy}
    with pytest.raises(ConfigurationError, match="retry_policy"):
        cls(TOKEN, base_url="http://127.0.0.1:1/api", **options)
    client = cls(TOKEN, base_url="http://127.0.0.1:1/api")
    with pytest.raises(ConfigurationError, match="retry_policy"):
        client.with_options(**options)


# == a10/a18: waiting for a region fetch another call started ==================================


def region_listing(conn: Conn) -> bytes:
    return json.dumps([{"name": "x", "url": conn.server.url + API}]).encode()


def wait_for_request(server: HostileServer, path: str) -> None:
    stop = time.monotonic() + 5
    while server.count("GET", path) == 0:
        assert time.monotonic() < stop, "the leader's fetch never arrived"
        time.sleep(0.01)


@pytest.mark.parametrize("mode", MODES)
def test_joining_a_hanging_region_fetch_waits_only_for_the_callers_own_timeout(
    mode: str,
) -> None:
    release = threading.Event()

    def answer(conn: Conn) -> None:
        release.wait(3)  # hangs until the test is done (or 3 s)
        with suppress(OSError):
            conn.respond(200, region_listing(conn), JSON)

    def impatient_region(fs: Any) -> Any:
        return fs.with_options(timeout=0.5, max_retries=0).region("x")

    with HostileServer(answer) as server:
        base_url = server.url + API
        if mode == "sync":
            with Fluidstack(TOKEN, base_url=base_url, timeout=10, max_retries=0) as fs:
                led: list[Any] = []
                leader = threading.Thread(target=lambda: led.append(fs.region("x")))
                leader.start()
                wait_for_request(server, REGIONS)
                start = time.monotonic()
                with pytest.raises(APITimeoutError):
                    impatient_region(fs)
                elapsed = time.monotonic() - start
                release.set()
                leader.join(5)
        else:

            async def main() -> tuple[float, list[Any]]:
                async with AsyncFluidstack(
                    TOKEN, base_url=base_url, timeout=10, max_retries=0
                ) as fs:
                    leader = asyncio.create_task(fs.region("x"))
                    while server.count("GET", REGIONS) == 0:
                        await asyncio.sleep(0.01)
                    start = time.monotonic()
                    with pytest.raises(APITimeoutError):
                        await impatient_region(fs)
                    elapsed = time.monotonic() - start
                    release.set()
                    return elapsed, [await leader]

            elapsed, led = asyncio.run(main())
    assert elapsed < 1.5, f"the 0.5 s caller waited {elapsed:.2f}s for the leader's fetch"
    # The leader, whose own timeout was 10 s, still got its region.
    assert [str(r.base_url) for r in led] == [base_url]
    assert server.count("GET", REGIONS) == 1


@pytest.mark.parametrize("mode", MODES)
def test_waiters_on_a_failing_region_fetch_each_raise_their_own_exception(mode: str) -> None:
    def answer(conn: Conn) -> None:
        time.sleep(0.3)  # every caller joins meanwhile
        conn.respond(500, b'{"message": "regions are down"}', JSON)

    n = 20
    with HostileServer(answer) as server:
        base_url = server.url + API
        if mode == "sync":
            barrier = threading.Barrier(n)

            with Fluidstack(TOKEN, base_url=base_url, retry_policy=FAST, max_retries=0) as fs:

                def one(_: int) -> BaseException | None:
                    barrier.wait()
                    try:
                        fs.region("x")
                    except FluidstackError as exc:
                        return exc
                    return None

                with ThreadPoolExecutor(n) as pool:
                    errors = list(pool.map(one, range(n)))
        else:

            async def main() -> list[BaseException | None]:
                async with AsyncFluidstack(
                    TOKEN, base_url=base_url, retry_policy=FAST, max_retries=0
                ) as fs:
                    results = await asyncio.gather(
                        *(fs.region("x") for _ in range(n)), return_exceptions=True
                    )
                    return [r if isinstance(r, BaseException) else None for r in results]

            errors = asyncio.run(main())
        assert server.count("GET", REGIONS) == 1
    assert all(isinstance(e, InternalServerError) for e in errors), errors
    assert len({id(e) for e in errors}) == n  # one object each, not one shared
    for e in errors:
        assert e is not None
        assert len(traceback.extract_tb(e.__traceback__)) < 15


# == a13: the exception chain of a transport error =============================================


@pytest.mark.parametrize("mode", MODES)
def test_connection_error_chains_nothing_that_holds_the_token(mode: str) -> None:
    base_url = f"http://127.0.0.1:{refused_port()}{API}"
    exc = failure(mode, base_url, lambda fs: fs.keys.list(), token=SECRET, max_retries=0)
    assert isinstance(exc, APIConnectionError)
    assert exc.__cause__ is None
    assert exc.__context__ is None
    # Everything reachable from it: the chain, and each link's request.
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        for attr in ("request", "_request"):
            with suppress(RuntimeError):  # httpx's .request raises if it has none
                request = getattr(link, attr, None)
                if isinstance(request, httpx.Request):
                    assert SECRET not in repr(request.headers.raw)
        link = link.__cause__ or link.__context__
    assert exc.request is not None
    assert SECRET not in str(exc.request.headers)
    assert leaks(exc) == []


# == a15: JSON that parses into far more than its size =========================================

CAP = 4 * MiB


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


def gzipped(body: bytes) -> Callable[[Conn], None]:
    wire = gzip.compress(body, 9)

    def answer(conn: Conn) -> None:
        conn.respond(200, wire, {**JSON, "Content-Encoding": "gzip"})

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_body_of_empty_objects_within_the_cap_is_refused_before_parsing(mode: str) -> None:
    n = (CAP - 2) // 3
    body = b"[" + b"{}," * (n - 1) + b"{}]"  # ~1.4 million values in 4 MiB
    assert len(body) <= CAP
    with HostileServer(gzipped(body)) as server, traced() as peak:
        exc = failure(
            mode,
            server.url + API,
            lambda fs: fs.instances.list(),
            max_response_size=CAP,
            max_retries=0,
        )
    assert isinstance(exc, ResponseTooLargeError)
    assert "JSON values" in str(exc)
    assert peak[0] < 8 * CAP, f"peak {peak[0] / MiB:.0f} MiB for a {CAP // MiB} MiB cap"


@pytest.mark.parametrize("mode", MODES)
def test_real_instance_listing_near_the_cap_parses(mode: str) -> None:
    copies = 11_000
    body = json.dumps([samples.INSTANCE] * copies).encode()
    assert 0.8 * CAP < len(body) < CAP
    with HostileServer(gzipped(body)) as server:
        listed = run(mode, server.url + API, lambda fs: fs.instances.list(), max_response_size=CAP)
    assert len(listed) == copies
    assert listed[-1].name == samples.INSTANCE["name"]


# == a07: multi-member gzip ====================================================================


@pytest.mark.parametrize("mode", MODES)
def test_body_of_two_gzip_members_parses_whole(mode: str) -> None:
    wire = gzip.compress(b'[{"name":"a","key":"k"},') + gzip.compress(b'{"name":"b","key":"k"}]')

    def answer(conn: Conn) -> None:
        conn.respond(200, wire, {**JSON, "Content-Encoding": "gzip"})

    with HostileServer(answer) as server:
        keys = run(mode, server.url + API, lambda fs: fs.keys.list(), max_retries=0)
    assert [(k.name, k.key) for k in keys] == [("a", "k"), ("b", "k")]


# == a19: invisible characters in server text ==================================================

INVISIBLE = {
    "\u200e": "\\u200e",  # left-to-right mark
    "\u200f": "\\u200f",  # right-to-left mark
    "\u061c": "\\u061c",  # Arabic letter mark
    "\u200b": "\\u200b",  # zero-width space
    "\ufeff": "\\ufeff",  # zero-width no-break space
    "\u00ad": "\\xad",  # soft hyphen
    "\u180e": "\\u180e",  # Mongolian vowel separator
    "\U000e0041": "\\U000e0041",  # tag latin capital A
}


@pytest.mark.parametrize("mode", MODES)
def test_invisible_characters_in_an_error_message_are_escaped(mode: str) -> None:
    message = "not found " + "|".join(INVISIBLE) + " (admin granted)"

    def answer(conn: Conn) -> None:
        conn.respond(404, json.dumps({"message": message}).encode(), JSON)

    with HostileServer(answer) as server:
        exc = failure(mode, server.url + API, lambda fs: fs.instances.get(samples.INSTANCE_ID))
    assert isinstance(exc, NotFoundError)
    for char, escaped in INVISIBLE.items():
        assert char not in str(exc), f"U+{ord(char):04X} raw in str(exc)"
        assert char not in exc.message
        assert escaped in str(exc)


# == a11: proxies from the environment =========================================================

PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


def use_proxy(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("http_proxy", url)


@pytest.mark.parametrize("mode", MODES)
def test_client_we_create_sends_through_the_environments_proxy(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def proxy_answer(conn: Conn) -> None:
        conn.respond(200, b"[]", {**JSON, "X-Via": "proxy"})

    def origin_answer(conn: Conn) -> None:
        conn.respond(200, b'[{"name": "origin", "key": "k"}]', JSON)

    with HostileServer(proxy_answer) as proxy, HostileServer(origin_answer) as origin:
        use_proxy(monkeypatch, proxy.url)
        keys = run(mode, origin.url + API, lambda fs: fs.keys.list(), max_retries=0)
        assert origin.count() == 0
        assert proxy.count() == 1
    assert keys == []  # the proxy's answer
    request = proxy.requests[0]
    assert request.method == "GET"
    assert request.path == f"{origin.url}{API}/user/keys"  # absolute form: a proxy request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_proxy_pools_get_the_sync_deadline_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    use_proxy(monkeypatch, "http://127.0.0.1:9")
    with Fluidstack(TOKEN, base_url="http://127.0.0.1:1/api") as fs:
        pools = [fs._shared.http_for("GET"), fs._shared.http_for("POST")]  # reads, writes
        for http in pools:
            mounts = [t for t in http._mounts.values() if t is not None]
            assert mounts, "no proxy mounted from HTTP_PROXY"
            for transport in mounts:
                backend = getattr(getattr(transport, "_pool", None), "_network_backend", None)
                assert isinstance(backend, _DeadlineBackend)
