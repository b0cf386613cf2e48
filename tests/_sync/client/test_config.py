# Derived from tests/client/test_config.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The client's configuration as a user meets it: the constructor's arguments, defaults
and checks (token, base URL, timeouts, pool size, response cap, region cache), what the
environment supplies, `with_options()` copies, closing, a user's own `http_client`, and
proxies from the environment. Constructor checks run once over both classes; what
goes over the wire is an async test with a derived sync twin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import samples
from support.client_proxies import use_proxy
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APITimeoutError,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    SSHKey,
    _sync_backend,
)

API = "/api/v1alpha1"
NOWHERE = "http://127.0.0.1:9" + API  # a client that is built and checked, never called
SECRET = "sk-Q7wE9rT2yU4iO6pA8sD0fG3hJ5kL1"
GLOBAL = httpx.URL("https://api.atlas.fluidstack.io/api/v1alpha1")
LAPTOP = SSHKey(name="laptop", key=samples.SSH_KEY["key"])
JSON = {"Content-Type": "application/json"}


# -- the token and the base URL: arguments, environment, defaults -----------------------


def test_token_and_base_url_from_env(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "env-token")
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", f"{server.url}/api/v1alpha1")
    server.queue(Reply(json=[]))
    with Fluidstack() as fs:
        assert fs.keys.list() == []
    assert server.last.path == "/api/v1alpha1/user/keys"
    assert server.last.headers["authorization"] == "Bearer env-token"


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


def test_refused_base_url_sends_nothing(server: ScriptedServer) -> None:
    # A loopback server accepts the call; the same port on a plain-http remote host
    # must not even build a client.
    server.default = Reply(json=[])
    with Fluidstack(SECRET, base_url=server.url, retry_policy=FAST) as fs:
        assert fs.keys.list() == []
    with pytest.raises(ConfigurationError):
        Fluidstack(TOKEN, base_url=f"http://example.com:{httpx.URL(server.url).port}")
    assert len(server.requests) == 1


def test_a_base_path_ending_in_any_letter_is_kept_whole(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=f"{server.url}/apiX/", retry_policy=FAST) as fs:
        assert fs.keys.list() == []
    assert [r.path for r in server.requests] == ["/apiX/user/keys"]


def test_a_server_on_another_loopback_address_is_reached() -> None:
    other = ScriptedServer(host="127.0.0.2").start()
    try:
        other.default = Reply(json=[])
        with Fluidstack(TOKEN, base_url=other.url) as fs:
            assert fs.keys.list() == []
        assert len(other.requests) == 1
    finally:
        other.stop()


# -- timeouts: 30 s (10 s to connect) unless told; each part checked -------------------


def test_the_timeout_is_what_a_call_waits(server: ScriptedServer) -> None:
    server.default = Reply(json=[], delay=0.6)
    with Fluidstack(
        TOKEN, base_url=server.url, retry_policy=FAST, timeout=0.2, max_retries=0
    ) as fs:
        with pytest.raises(APITimeoutError):
            fs.keys.list()
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST, timeout=2.0) as fs:
        assert fs.keys.list() == []


def test_timeout_and_with_options(server: ScriptedServer) -> None:
    server.default = Reply(json=[], delay=0.3)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST, timeout=5.0) as fs:
        assert fs.timeout == httpx.Timeout(5.0)
        quick = fs.with_options(timeout=0.05, max_retries=0)
        assert quick.timeout == httpx.Timeout(0.05)
        assert quick.max_retries == 0
        assert fs.max_retries == 2  # the original is untouched
        with pytest.raises(FluidstackError, match=r"timed out|Timeout"):
            quick.keys.list()
    assert len(server.requests) == 1


def test_a_client_without_timeouts_calls_as_usual(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url, timeout=None) as fs:
        assert fs.keys.list() == []


# -- numbers: each option's bounds, NaN and infinities ---------------------------------


NON_FINITE = [float("nan"), float("inf"), float("-inf")]


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


HUGE = 10**400  # an int no float holds


# -- with_options(): copies that share the pool ----------------------------------------


def test_closing_a_copy_leaves_the_shared_pool_open(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    fs = Fluidstack(TOKEN, base_url=server.url)
    quick = fs.with_options(max_retries=0)
    quick.close()
    assert not fs._shared.http.is_closed
    assert fs.keys.list() == []
    fs.close()
    assert fs._shared.http.is_closed


# -- closing, and printing --------------------------------------------------------------


def test_closed_client_raises_package_error(server: ScriptedServer) -> None:
    fs = Fluidstack(TOKEN, base_url=server.url)
    fs.close()
    with pytest.raises(FluidstackError, match="closed"):
        fs.keys.list()
    assert server.requests == []


def test_a_closed_client_raises_and_sends_nothing(server: ScriptedServer) -> None:
    """Closed inside its `with`, so its own pools are closed twice: the second close
    (leaving the block) is harmless."""
    server.default = Reply(json=[samples.SSH_KEY])
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert fs.keys.list() == [LAPTOP]
        fs.close()
        with pytest.raises(FluidstackError) as info:
            fs.keys.list()
    assert str(info.value) == "this client has been closed"
    assert len(server.requests) == 1


# -- a user's http_client: used as it is, never closed by the wrapper -------------------


def test_user_http_client_is_used_as_is(server: ScriptedServer) -> None:
    """The client calls through the user's http_client without changing its network
    backend (no deadline hook), and never closes it: not on leaving `with`, not
    on an explicit close, not when a copy closes. (This test owns that behaviour; the
    old suite's `run()` helper asserted it for every test that passed one.)"""
    server.default = Reply(json=[])
    with httpx.Client() as mine:
        transport: Any = mine._transport
        before = transport._pool._network_backend
        with Fluidstack(TOKEN, base_url=server.url, http_client=mine) as fs:
            assert fs._shared.http is mine
            assert fs.keys.list() == []
            fs.with_options(max_retries=0).close()
            assert not mine.is_closed
        assert not mine.is_closed
        fs.close()
        assert not mine.is_closed
        assert transport._pool._network_backend is before
        assert not isinstance(before, _sync_backend._DeadlineBackend)
        assert (mine.get(f"{server.url}/still-open")).status_code == 200
    assert [r.path for r in server.requests] == ["/user/keys", "/still-open"]


def test_user_http_client_keeps_headers_hooks_and_gets_auth(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]))
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    with (
        httpx.Client(headers={"X-Team": "infra"}, event_hooks={"request": [hook]}) as user,
        Fluidstack(TOKEN, base_url=server.url, http_client=user, retry_policy=FAST) as fs,
    ):
        assert fs.keys.list() == []
    assert server.last.headers["x-team"] == "infra"
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen == ["/user/keys"]


def test_user_client_with_other_base_url_still_targets_ours(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]))
    with (
        httpx.Client(base_url="http://127.0.0.1:9/x") as user,
        Fluidstack(TOKEN, base_url=server.url, http_client=user, retry_policy=FAST) as fs,
    ):
        assert fs.keys.list() == []
    assert server.last.path == "/user/keys"


# -- proxies from the environment -------------------------------------------------------


def test_client_we_create_sends_through_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review finding a11: a client we create ignored HTTP_PROXY."""

    def proxy_answer(conn: Conn) -> None:
        conn.respond(200, b"[]", {**JSON, "X-Via": "proxy"})

    def origin_answer(conn: Conn) -> None:
        conn.respond(200, b'[{"name": "origin", "key": "k"}]', JSON)

    with HostileServer(proxy_answer) as proxy, HostileServer(origin_answer) as origin:
        use_proxy(monkeypatch, proxy.url)
        with Fluidstack(TOKEN, base_url=origin.url + API, retry_policy=FAST, max_retries=0) as fs:
            keys = fs.keys.list()
        assert origin.count() == 0
        assert proxy.count() == 1
    assert keys == []  # the proxy's answer
    request = proxy.requests[0]
    assert request.method == "GET"
    assert request.path == f"{origin.url}{API}/user/keys"  # absolute form: a proxy request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_proxies_and_exceptions_from_the_environment_are_fine(
    monkeypatch: pytest.MonkeyPatch, server: ScriptedServer
) -> None:
    # httpx mounts None for a NO_PROXY host: the sync deadline is installed around it.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        assert None in fs._shared.http._mounts.values()
        assert fs.keys.list() == []
