"""Issue 9: credentials for long-running services.

Token providers (`ClientCredentials`, `FluidctlToken`, callables), refresh before
expiry and on a 401, single-flight under concurrency, the environment's resolution
order, and secrets kept secret. Everything that talks to a server runs against the
bundled fake on a real loopback port (`serve(FakeAPI(...))`), with the sync and the
async client alike.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import gc
import json
import logging
import os
import pickle
import threading
import time
import traceback
import warnings
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, quote_plus

import httpx
import pytest
from clients import FAST, MODES, resolve, run
from scripted_server import Reply, ScriptedServer

import fluidstack_client._credentials as credentials_module
from fluidstack_client import (
    APIConnectionError,
    APIStatusError,
    AsyncFluidstack,
    AuthenticationError,
    ClientCredentials,
    ConfigurationError,
    FluidctlToken,
    Fluidstack,
    FluidstackError,
)
from fluidstack_client._credentials import (
    DEFAULT_AUDIENCE,
    DEFAULT_TOKEN_URL,
    jwt_expiry,
    refresh_margin,
)
from fluidstack_client.testing import FakeAPI, RecordedRequest, serve

T = TypeVar("T")

# A client secret whose form-encoded shape differs from its raw one (/ + = & and a space),
# so a scrubber that only knows the raw text would miss it in the token request body.
BAD_SECRET = "cs_9f8e7D6c/5b+4a=Zq&x y_0123"
ENV_NAMES = (
    "FLUIDSTACK_TOKEN",
    "FLUIDSTACK_CLIENT_ID",
    "FLUIDSTACK_CLIENT_SECRET",
    "FLUIDSTACK_TOKEN_URL",
    "FLUIDSTACK_AUDIENCE",
    "FLUIDSTACK_BASE_URL",
)


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """HOME during the test (see _no_ambient_credentials)."""
    return tmp_path / "home"


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No test may pick up the machine's own credentials: the variables are unset and
    HOME is an empty directory (so ~/.fluidstack/token is never the real one)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture(autouse=True, scope="module")
def _one_ssl_context(one_ssl_context: None) -> None:
    """Hundreds of clients here: they share one SSL context (see conftest)."""


def use(
    mode: str,
    token: Any,
    base_url: str,
    steps: Callable[[Any], Awaitable[T]],
    **options: Any,
) -> T:
    """Build `Fluidstack` or `AsyncFluidstack` with `token`, run `steps(fs)` (written once
    for both: `await resolve(fs.keys.list())`; the sync client simply blocks the loop
    that drives the steps), close the client."""
    options.setdefault("retry_policy", FAST)

    async def main() -> T:
        if mode == "sync":
            with Fluidstack(token, base_url=base_url, **options) as fs:
                return await steps(fs)
        async with AsyncFluidstack(token, base_url=base_url, **options) as fs:
            return await steps(fs)

    return asyncio.run(main())


async def list_keys(fs: Any) -> list[str]:
    return [k.name for k in await resolve(fs.keys.list())]


async def burst(fs: Any, n: int, threads: int = 50) -> list[list[str]]:
    """`n` concurrent `keys.list()` calls: gathered on one event loop for the async
    client, from a pool of `threads` threads for the sync one."""
    if isinstance(fs, Fluidstack):
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda _: [k.name for k in fs.keys.list()], range(n)))
    return list(await asyncio.gather(*(list_keys(fs) for _ in range(n))))


def api_requests(fake: FakeAPI) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.operation != "OAuthToken"]


def token_requests(fake: FakeAPI) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.operation == "OAuthToken"]


def bearer(request: RecordedRequest) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    assert scheme == "Bearer", request.headers
    return token


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def jwt(exp: float, sub: str = "auth0|person") -> str:
    """A JWT-shaped token as `fluidctl login` writes it (the signature is not checked)."""

    def segment(part: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")

    return f"{segment({'alg': 'RS256', 'typ': 'JWT'})}.{segment({'sub': sub, 'exp': exp})}.c2ln"


def write_token(path: Path, token: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def creds_for(fake: FakeAPI, secret: str | None = None) -> ClientCredentials:
    return ClientCredentials(
        fake.client_id, fake.client_secret if secret is None else secret, token_url=fake.token_url
    )


def forms(secret: str) -> list[str]:
    """The shapes a secret travels in: as is, form-encoded, percent-encoded, JSON."""
    return [secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]]


class Clock:
    """Stands in for the `time` module inside fluidstack_client._credentials: real
    time plus an offset the test moves, so "an hour later" takes no time at all."""

    strftime = staticmethod(time.strftime)
    gmtime = staticmethod(time.gmtime)

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    shim = Clock()
    monkeypatch.setattr(credentials_module, "time", shim)
    return shim


@pytest.fixture
def fake_server() -> Iterator[tuple[FakeAPI, str]]:
    fake = FakeAPI()
    with serve(fake) as server:
        yield fake, server.base_url


# -- 1 and 5. one token request for any number of callers; reused until shortly before expiry


@pytest.mark.parametrize("mode", MODES)
def test_thousand_concurrent_calls_across_an_expiry_make_one_token_request(
    mode: str, clock: Clock
) -> None:
    # The fake's tokens live an hour (so the server never refuses one mid-burst); the
    # client's clock is moved past the renewal point instead of waiting for it. A
    # 2-second token would expire again *during* the burst on a slow machine (1,000
    # async calls on loopback take seconds), which would rightly cost a third request.
    fake = FakeAPI(token_lifetime=3600)
    with serve(fake) as server:

        async def steps(fs: Any) -> list[list[str]]:
            await list_keys(fs)
            assert fake.token_requests == 1
            clock.offset = 3600 - refresh_margin(3600) + 1  # the cached token is now due
            return await burst(fs, 1000)

        results = use(mode, creds_for(fake), server.base_url, steps)

    seeded = [k["name"] for k in fake.keys]
    assert len(results) == 1000
    assert all(r == seeded for r in results)
    assert fake.token_requests == 2
    api = api_requests(fake)
    assert len(api) == 1001  # no call was refused and sent again
    first, rest = bearer(api[0]), {bearer(r) for r in api[1:]}
    assert len(rest) == 1  # every call of the burst carries the new token
    assert first not in rest


@pytest.mark.parametrize("mode", MODES)
def test_two_second_token_is_reused_then_renewed_once_for_concurrent_callers(mode: str) -> None:
    # Real time, a real 2-second token: reused for its first 1.8 s, renewed once after.
    fake = FakeAPI(token_lifetime=2)
    with serve(fake) as server:

        async def steps(fs: Any) -> list[list[str]]:
            await list_keys(fs)
            fetched = time.monotonic()
            for _ in range(4):  # several calls within the first second
                await list_keys(fs)
                time.sleep(0.15)
            assert time.monotonic() - fetched < 1.5
            assert fake.token_requests == 1
            time.sleep(max(0.0, fetched + 1.85 - time.monotonic()))
            return await burst(fs, 100, threads=20)

        results = use(mode, creds_for(fake), server.base_url, steps)

    assert all(r == [k["name"] for k in fake.keys] for r in results)
    assert fake.token_requests == 2
    api = api_requests(fake)
    assert len(api) == 105  # renewed before the server would refuse: no 401, no re-send
    assert len({bearer(r) for r in api[:5]}) == 1
    assert len({bearer(r) for r in api[5:]}) == 1
    assert bearer(api[0]) != bearer(api[5])


def test_refresh_margin_shrinks_for_short_lifetimes() -> None:
    assert refresh_margin(3600) == 60
    assert refresh_margin(86400) == 60  # at most a minute early
    assert refresh_margin(2) == pytest.approx(0.2)
    assert refresh_margin(600) == 60


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_calls_refused_after_a_revocation_share_one_refresh(mode: str) -> None:
    fake = FakeAPI()
    with serve(fake) as server:

        async def steps(fs: Any) -> list[list[str]]:
            await list_keys(fs)
            fake.revoke_tokens()
            return await burst(fs, 50, threads=20)

        results = use(mode, creds_for(fake), server.base_url, steps)

    assert all(r == [k["name"] for k in fake.keys] for r in results)
    assert fake.token_requests == 2


class _Preempted(ClientCredentials):
    """ClientCredentials whose `current()`, in the thread named "late", pauses right
    after finding no good token: a thread preempted between that check and joining
    the refresh, while another thread renews the token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.noticed = threading.Event()
        self.resume = threading.Event()

    def current(self) -> Any:
        found = super().current()
        if found is None and threading.current_thread().name == "late":
            self.noticed.set()
            self.resume.wait(10)
        return found


def test_sync_thread_preempted_after_its_check_reuses_the_renewed_token(clock: Clock) -> None:
    fake = FakeAPI(token_lifetime=3600)
    with serve(fake) as server:
        creds = _Preempted(fake.client_id, fake.client_secret, token_url=fake.token_url)
        with Fluidstack(creds, base_url=server.base_url, retry_policy=FAST) as fs:
            fs.keys.list()
            clock.offset = 3600  # the token is due for renewal
            late = threading.Thread(target=fs.keys.list, name="late")
            late.start()
            assert creds.noticed.wait(10)
            fs.keys.list()  # this thread renews the token meanwhile
            creds.resume.set()
            late.join(10)
            assert not late.is_alive()
    assert len(api_requests(fake)) == 3
    assert fake.token_requests == 2  # one renewal for both threads


def test_one_provider_shared_by_a_sync_and_an_async_client_fetches_once() -> None:
    fake = FakeAPI()
    with serve(fake) as server:
        creds = creds_for(fake)
        with Fluidstack(creds, base_url=server.base_url) as fs:
            fs.keys.list()

        async def main() -> None:
            async with AsyncFluidstack(creds, base_url=server.base_url) as afs:
                await afs.keys.list()

        asyncio.run(main())
    assert fake.token_requests == 1
    first, second = api_requests(fake)
    assert bearer(first) == bearer(second)


def test_one_provider_shared_by_async_clients_on_two_event_loops() -> None:
    fake = FakeAPI()
    fake.add_latency(0.3, route="OAuthToken")  # the first refresh is still in flight...
    outcome: dict[str, object] = {}
    with serve(fake) as server:
        creds = creds_for(fake)

        def service(name: str) -> None:
            async def main() -> list[str]:
                async with AsyncFluidstack(creds, base_url=server.base_url) as fs:
                    return await list_keys(fs)

            try:
                outcome[name] = asyncio.run(main())
            except Exception as exc:
                outcome[name] = exc

        first = threading.Thread(target=service, args=("first",))
        first.start()
        deadline = time.monotonic() + 5
        while fake.token_requests == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        second = threading.Thread(target=service, args=("second",))  # ...when this one asks
        second.start()
        first.join(10)
        second.join(10)
    seeded = [k["name"] for k in fake.keys]
    assert outcome == {"first": seeded, "second": seeded}


def test_async_refresh_does_not_block_the_event_loop() -> None:
    fake = FakeAPI()
    fake.add_latency(0.3, route="OAuthToken")
    with serve(fake) as server:

        async def main() -> int:
            ticks = 0
            done = False

            async def ticker() -> None:
                nonlocal ticks
                while not done:
                    await asyncio.sleep(0.01)
                    ticks += 1

            async with AsyncFluidstack(creds_for(fake), base_url=server.base_url) as fs:
                task = asyncio.ensure_future(ticker())
                await fs.keys.list()  # waits ~0.3 s for its token
                done = True
                await task
            return ticks

        ticks = asyncio.run(main())
    assert ticks >= 10  # the loop kept running while the token was fetched


# -- 2. a 401 invalidates the token and the request is sent once more ----------------------


@pytest.mark.parametrize("mode", MODES)
def test_revoked_token_on_a_get_is_refreshed_and_the_call_succeeds(mode: str) -> None:
    fake = FakeAPI()
    with serve(fake) as server:

        async def steps(fs: Any) -> list[str]:
            await list_keys(fs)
            fake.revoke_tokens()
            return await list_keys(fs)

        keys = use(mode, creds_for(fake), server.base_url, steps)

    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 2
    ops = [r.operation for r in fake.requests]
    assert ops == ["OAuthToken", "ListKeys", "ListKeys", "OAuthToken", "ListKeys"]
    refused, retried = fake.requests[2], fake.requests[4]
    assert bearer(refused) == bearer(fake.requests[1])
    assert bearer(retried) != bearer(refused)


@pytest.mark.parametrize("mode", MODES)
def test_revoked_token_on_a_post_is_refreshed_and_the_key_registered_once(mode: str) -> None:
    fake = FakeAPI()
    name = f"laptop-{mode}"
    with serve(fake) as server:

        async def steps(fs: Any) -> list[str]:
            await list_keys(fs)
            fake.revoke_tokens()
            await resolve(fs.keys.register(name=name, key="ssh-ed25519 AAAAC3Nza laptop"))
            return await list_keys(fs)  # the new token is kept: no further request

        keys = use(mode, creds_for(fake), server.base_url, steps)

    registers = [r for r in fake.requests if r.operation == "RegisterKey"]
    assert len(registers) == 2  # once refused with 401, once carried out
    assert bearer(registers[0]) != bearer(registers[1])
    assert registers[0].json() == {"name": name, "key": "ssh-ed25519 AAAAC3Nza laptop"}
    assert registers[1].json() == registers[0].json()
    assert [k["name"] for k in fake.keys].count(name) == 1
    assert keys.count(name) == 1
    assert fake.token_requests == 2


@pytest.mark.parametrize("operation", ["ListKeys", "RegisterKey"])
@pytest.mark.parametrize("mode", MODES)
def test_a_second_401_is_raised_after_one_refresh(mode: str, operation: str) -> None:
    fake = FakeAPI()
    with serve(fake) as server:

        async def steps(fs: Any) -> None:
            await list_keys(fs)
            fake.fail_next(2, status=401, route=operation)
            if operation == "ListKeys":
                await list_keys(fs)
            else:
                await resolve(fs.keys.register(name="refused", key="ssh-ed25519 AAAA"))

        with pytest.raises(AuthenticationError) as info:
            use(mode, creds_for(fake), server.base_url, steps)

    exc = info.value
    assert exc.status_code == 401
    assert "a fresh client-credentials token was refused too" in str(exc)
    assert fake.token_requests == 2  # the first token, and exactly one refresh
    assert sum(1 for r in fake.requests if r.operation == operation) == (
        2 if operation == "RegisterKey" else 3
    )
    assert "refused" not in [k["name"] for k in fake.keys]


@pytest.mark.parametrize("mode", MODES)
def test_a_static_string_token_is_not_refreshed_on_401(mode: str, fake_server: Any) -> None:
    fake, base_url = fake_server
    with pytest.raises(AuthenticationError) as info:
        use(mode, "not-the-fake-token-0123", base_url, list_keys)
    assert len(fake.requests) == 1
    assert fake.token_requests == 0
    assert "refused too" not in str(info.value)


# -- 3. a bad client secret, and the secret nowhere ---------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_bad_client_secret_is_an_authentication_error_that_never_shows_it(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeAPI()
    client_reprs: list[str] = []
    with serve(fake) as server:
        creds = creds_for(fake, BAD_SECRET)

        async def steps(fs: Any) -> None:
            client_reprs.append(repr(fs))
            await list_keys(fs)

        with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as info:
            use(mode, creds, server.base_url, steps)

    exc = info.value
    assert exc.status_code == 401
    assert "access_denied" in str(exc)
    assert api_requests(fake) == []  # nothing was sent to the API without a token
    # The premise: the secret did travel, form-encoded, to the token endpoint.
    (sent,) = token_requests(fake)
    assert dict(parse_qsl(sent.body.decode()))["client_secret"] == BAD_SECRET
    assert "authorization" not in sent.headers

    assert exc.request is not None
    assert exc.request.url.path == "/oauth/token"
    assert b"client_secret=" in exc.request.content  # the body is kept, scrubbed
    assert caplog.records  # debug logging did happen
    assert "/oauth/token" in caplog.text
    restored = pickle.loads(pickle.dumps(exc))
    assert isinstance(restored, AuthenticationError)
    assert str(restored) == str(exc)
    texts = [
        str(exc),
        repr(exc),
        repr(exc.body),
        "".join(traceback.format_exception(exc)),
        caplog.text,
        *(repr(r.args) for r in caplog.records),
        repr(creds),
        *client_reprs,
        repr(exc.request.headers),
    ]
    blobs = [pickle.dumps(exc), exc.request.content, exc.response.content]
    for form in forms(BAD_SECRET):
        assert not [t for t in texts if form in t], form
        assert not [b for b in blobs if form.encode() in b], form


@pytest.mark.parametrize("mode", MODES)
def test_secret_echoed_by_the_token_endpoint_is_scrubbed(mode: str, server: ScriptedServer) -> None:
    echo = " | ".join(forms(BAD_SECRET))
    server.queue(
        Reply(
            401,
            {"error": "access_denied", "error_description": f"bad secret {echo}"},
            headers={"X-Echo": quote_plus(BAD_SECRET)},
        )
    )
    creds = ClientCredentials("svc-id", BAD_SECRET, token_url=f"{server.url}/oauth/token")
    with pytest.raises(AuthenticationError) as info:
        use(mode, creds, f"{server.url}/api/v1alpha1", list_keys)
    exc = info.value
    assert "access_denied: bad secret [REDACTED]" in str(exc)
    texts = [str(exc), repr(exc), repr(exc.body), repr(exc.response.headers)]
    blobs = [pickle.dumps(exc), exc.response.content, exc.request.content if exc.request else b""]
    for form in forms(BAD_SECRET):
        assert not [t for t in texts if form in t], form
        assert not [b for b in blobs if form.encode() in b], form
    assert len(server.requests) == 1  # refused credentials are not retried


@pytest.mark.parametrize("mode", MODES)
def test_short_client_secret_is_not_kept_on_the_error_either(mode: str) -> None:
    fake = FakeAPI()
    short = "Zq7wX9k"
    with serve(fake) as server, pytest.raises(AuthenticationError) as info:
        use(mode, creds_for(fake, short), server.base_url, list_keys)
    exc = info.value
    assert exc.request is not None
    assert short.encode() not in exc.request.content
    assert short.encode() not in pickle.dumps(exc)


@pytest.mark.parametrize("mode", MODES)
def test_neither_secret_nor_issued_token_in_logs_or_reprs(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeAPI()
    reprs: list[str] = []
    with serve(fake) as server:
        creds = creds_for(fake)

        async def steps(fs: Any) -> None:
            await list_keys(fs)
            fake.revoke_tokens()
            await list_keys(fs)  # a 401 and a refresh, both logged
            reprs.extend([repr(fs), repr(creds), repr(vars(creds)), str(vars(creds))])

        with caplog.at_level(logging.DEBUG):
            use(mode, creds, server.base_url, steps)

    issued = {bearer(r) for r in api_requests(fake)}
    assert len(issued) == 2
    assert "new token from ClientCredentials(" in caplog.text
    assert "401 for GET /api/v1alpha1/user/keys" in caplog.text
    for secret in [fake.client_secret, *issued]:
        assert secret not in caplog.text
        assert not [t for t in reprs if secret in t]


def test_client_credentials_cannot_be_pickled_and_repr_shows_no_secret() -> None:
    creds = ClientCredentials(
        "svc-id", BAD_SECRET, token_url="https://tenant.example/oauth/token", audience="aud"
    )
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(creds)
    with pytest.raises(TypeError):
        copy.deepcopy(creds)
    shown = repr(creds)
    assert "svc-id" in shown
    assert "https://tenant.example/oauth/token" in shown
    for form in forms(BAD_SECRET):
        assert form not in shown
        assert form not in repr(vars(creds))


# -- 4. the token endpoint's transient failures are retried ----------------------------


@pytest.mark.parametrize("fault", ["503", "429", "dropped connection"])
@pytest.mark.parametrize("mode", MODES)
def test_token_endpoint_transient_failures_are_retried(mode: str, fault: str) -> None:
    fake = FakeAPI()
    if fault == "dropped connection":
        fake.drop_next(2, route="OAuthToken")
    else:
        fake.fail_next(2, status=int(fault), route="OAuthToken")
    with serve(fake) as server:
        keys = use(mode, creds_for(fake), server.base_url, list_keys)
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 3
    assert len(api_requests(fake)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_token_endpoint_failing_past_the_retry_budget_is_an_error(mode: str) -> None:
    fake = FakeAPI()
    fake.fail_next(10, status=503, route="OAuthToken")
    with serve(fake) as server, pytest.raises(FluidstackError):
        use(mode, creds_for(fake), server.base_url, list_keys, max_retries=2)
    assert fake.token_requests == 3  # one try and max_retries=2 retries
    assert api_requests(fake) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_refresh_is_not_remembered(mode: str) -> None:
    fake = FakeAPI()
    fake.fail_next(3, status=503, route="OAuthToken")
    with serve(fake) as server:

        async def steps(fs: Any) -> list[str]:
            with pytest.raises(FluidstackError):
                await list_keys(fs)
            return await list_keys(fs)  # the endpoint is back: the next call fetches again

        keys = use(mode, creds_for(fake), server.base_url, steps, max_retries=2)
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 4
    assert len(api_requests(fake)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_token_endpoint_unreachable_past_the_retry_budget_is_a_connection_error(
    mode: str,
) -> None:
    fake = FakeAPI()
    fake.drop_next(10, route="OAuthToken")
    with serve(fake) as server, pytest.raises(APIConnectionError) as info:
        use(mode, creds_for(fake), server.base_url, list_keys, max_retries=2)
    assert fake.token_requests == 3
    assert api_requests(fake) == []
    assert info.value.request is not None
    assert info.value.request.url.path == "/oauth/token"


@pytest.mark.parametrize("mode", MODES)
def test_token_endpoint_outage_is_not_reported_as_refused_credentials(mode: str) -> None:
    fake = FakeAPI()
    fake.fail_next(10, status=503, route="OAuthToken")
    with serve(fake) as server, pytest.raises(APIStatusError) as info:
        use(mode, creds_for(fake), server.base_url, list_keys, max_retries=1)
    assert info.value.status_code == 503
    assert not isinstance(info.value, AuthenticationError)
    assert "refused the client credentials" not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_token_request_goes_over_the_clients_own_http_client(mode: str) -> None:
    fake = FakeAPI()
    seen: list[str] = []

    async def ahook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    def http() -> httpx.Client | httpx.AsyncClient:
        if mode == "sync":
            return httpx.Client(event_hooks={"request": [hook]})
        return httpx.AsyncClient(event_hooks={"request": [ahook]})

    with serve(fake) as server:
        run(mode, server.base_url, lambda fs: fs.keys.list(), http=http, token=creds_for(fake))
    assert seen == ["/oauth/token", "/api/v1alpha1/user/keys"]


# -- 6. the fluidctl token file --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_token_is_sent(mode: str, tmp_path: Path) -> None:
    exp = int(time.time()) + 3600
    token = jwt(exp)
    assert jwt_expiry(token) == exp
    path = write_token(tmp_path / "token", token)
    fake = FakeAPI(token=token)
    provider = FluidctlToken(path)
    with serve(fake) as server:
        keys = use(mode, provider, server.base_url, list_keys)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == [token]
    assert token not in repr(provider)
    assert str(path) in repr(provider)


@pytest.mark.parametrize(
    "seconds_left", [-60, 10], ids=["expired", "within fluidctl's 30 s of expiry"]
)
@pytest.mark.parametrize("mode", MODES)
def test_expired_fluidctl_token_says_run_fluidctl_login(
    mode: str, seconds_left: int, tmp_path: Path
) -> None:
    token = jwt(int(time.time()) + seconds_left)
    path = write_token(tmp_path / "token", token)
    fake = FakeAPI(token=token)  # the server would take it: the client must not send it
    with serve(fake) as server, pytest.raises(AuthenticationError) as info:
        use(mode, FluidctlToken(path), server.base_url, list_keys)
    message = str(info.value)
    assert "run `fluidctl login`" in message
    assert "expired" in message
    assert "nothing was sent" in message
    assert token not in message
    assert fake.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_missing_fluidctl_token_says_run_fluidctl_login(
    mode: str, tmp_path: Path, fake_server: Any
) -> None:
    fake, base_url = fake_server
    path = tmp_path / "nowhere" / "token"
    with pytest.raises(AuthenticationError) as info:
        use(mode, FluidctlToken(path), base_url, list_keys)
    message = str(info.value)
    assert "run `fluidctl login`" in message
    assert str(path) in message
    assert "nothing was sent" in message
    assert fake.requests == []


@pytest.mark.parametrize("content", ["", "not a token"], ids=["empty", "two words"])
@pytest.mark.parametrize("mode", MODES)
def test_unusable_fluidctl_file_says_run_fluidctl_login(
    mode: str, content: str, tmp_path: Path, fake_server: Any
) -> None:
    fake, base_url = fake_server
    path = write_token(tmp_path / "token", content)
    with pytest.raises(AuthenticationError) as info:
        use(mode, FluidctlToken(path), base_url, list_keys)
    assert "run `fluidctl login`" in str(info.value)
    assert fake.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_file_is_read_again_after_its_token_expires(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(credentials_module, "EXPIRY_SKEW", 0.0)
    old_exp = time.time() + 0.5
    old, new = jwt(old_exp, sub="first-login"), jwt(time.time() + 3600, sub="second-login")
    path = write_token(tmp_path / "token", old)
    fake = FakeAPI(token=old)
    with serve(fake) as server:

        async def steps(fs: Any) -> None:
            await list_keys(fs)
            write_token(path, new)  # the person runs `fluidctl login` again
            await list_keys(fs)  # the old token is still good: the file is not re-read
            time.sleep(max(0.0, old_exp - time.time()) + 0.05)
            fake.token = new
            await list_keys(fs)

        use(mode, FluidctlToken(path), server.base_url, steps)

    assert [bearer(r) for r in fake.requests] == [old, old, new]  # no 401 along the way


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_token_refused_with_401_is_read_again(mode: str, tmp_path: Path) -> None:
    first, second = jwt(time.time() + 3600, "first"), jwt(time.time() + 3600, "second")
    path = write_token(tmp_path / "token", first)
    fake = FakeAPI(token=first)
    with serve(fake) as server:

        async def steps(fs: Any) -> None:
            await list_keys(fs)
            write_token(path, second)  # logged in again; the old token is revoked
            fake.token = second
            await list_keys(fs)

        use(mode, FluidctlToken(path), server.base_url, steps)
    assert [bearer(r) for r in fake.requests] == [first, first, second]


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_token_refused_twice_says_run_fluidctl_login(
    mode: str, tmp_path: Path, fake_server: Any
) -> None:
    fake, base_url = fake_server
    path = write_token(tmp_path / "token", jwt(time.time() + 3600))
    with pytest.raises(AuthenticationError) as info:
        use(mode, FluidctlToken(path), base_url, list_keys)
    assert "the fluidctl token was refused; run `fluidctl login`" in str(info.value)
    assert len(fake.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_file_readable_by_others_warns_but_works(mode: str, tmp_path: Path) -> None:
    token = jwt(time.time() + 3600)
    path = write_token(tmp_path / "token", token, mode=0o644)
    fake = FakeAPI(token=token)
    with serve(fake) as server, pytest.warns(UserWarning, match="chmod 600") as caught:
        keys = use(mode, FluidctlToken(path), server.base_url, list_keys)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == [token]
    assert all(token not in str(w.message) for w in caught)


# -- 7. credentials from the environment -------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_env_token_wins_over_client_credentials_and_the_fluidctl_file(
    mode: str, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    fake = FakeAPI()
    write_token(home / ".fluidstack" / "token", jwt(time.time() + 3600))
    with serve(fake) as server:
        monkeypatch.setenv("FLUIDSTACK_TOKEN", fake.token)
        monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", fake.client_id)
        monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", fake.client_secret)
        monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", fake.token_url)
        use(mode, None, server.base_url, list_keys)
    assert fake.token_requests == 0
    assert [bearer(r) for r in fake.requests] == [fake.token]


@pytest.mark.parametrize("mode", MODES)
def test_env_client_credentials_win_over_the_fluidctl_file_with_url_and_audience(
    mode: str, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    fake = FakeAPI()
    write_token(home / ".fluidstack" / "token", jwt(time.time() + 3600))
    with serve(fake) as server:
        monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", fake.client_id)
        monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", fake.client_secret)
        monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", fake.token_url)
        monkeypatch.setenv("FLUIDSTACK_AUDIENCE", "https://api.other-tenant.example")
        keys = use(mode, None, server.base_url, list_keys)
    assert keys == [k["name"] for k in fake.keys]
    (sent,) = token_requests(fake)
    form = dict(parse_qsl(sent.body.decode()))
    assert form["audience"] == "https://api.other-tenant.example"
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == fake.client_id
    (call,) = api_requests(fake)
    assert claims(bearer(call))["aud"] == "https://api.other-tenant.example"


@pytest.mark.parametrize("mode", MODES)
def test_env_falls_back_to_the_fluidctl_file(mode: str, home: Path) -> None:
    token = jwt(time.time() + 3600)
    write_token(home / ".fluidstack" / "token", token)
    fake = FakeAPI(token=token)
    with serve(fake) as server:
        use(mode, None, server.base_url, list_keys)
    assert [bearer(r) for r in fake.requests] == [token]
    assert FluidctlToken().path == home / ".fluidstack" / "token"


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ("FLUIDSTACK_CLIENT_ID", "FLUIDSTACK_CLIENT_SECRET"),
        ("FLUIDSTACK_CLIENT_SECRET", "FLUIDSTACK_CLIENT_ID"),
    ],
)
def test_env_client_id_and_secret_go_together(
    cls: Any, given: str, missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(given, BAD_SECRET)
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9")
    assert f"set {missing}" in str(info.value)
    assert BAD_SECRET not in str(info.value)


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_no_credentials_anywhere_names_every_way(cls: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9")
    message = str(info.value)
    for way in ("FLUIDSTACK_TOKEN", "FLUIDSTACK_CLIENT_ID", "FLUIDSTACK_CLIENT_SECRET"):
        assert way in message
    assert "fluidctl login" in message


def test_env_token_url_must_be_secure_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", "svc-id")
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", BAD_SECRET)
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", "http://auth.example.com/oauth/token")
    with pytest.raises(ConfigurationError) as info:
        Fluidstack(base_url="http://127.0.0.1:9")
    assert "https" in str(info.value)
    assert BAD_SECRET not in str(info.value)


def test_default_token_url_and_audience_are_fluidstacks_tenant() -> None:
    creds = ClientCredentials("svc-id", BAD_SECRET)
    assert (
        str(creds.token_url) == DEFAULT_TOKEN_URL == "https://fluidstack.us.auth0.com/oauth/token"
    )
    assert creds.audience == DEFAULT_AUDIENCE == "https://api.fluidstack.io"


# -- 8. token callables in both clients ---------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_sync_callable_provides_the_token(mode: str, fake_server: Any) -> None:
    fake, base_url = fake_server
    asked: list[int] = []

    def current_token() -> str:
        asked.append(1)
        return str(fake.token)

    async def steps(fs: Any) -> None:
        await list_keys(fs)
        await list_keys(fs)

    use(mode, current_token, base_url, steps)
    assert [bearer(r) for r in fake.requests] == [fake.token, fake.token]
    assert len(asked) == 2  # asked for every request


def test_async_callable_provides_the_token_to_the_async_client(fake_server: Any) -> None:
    fake, base_url = fake_server
    asked: list[int] = []

    async def current_token() -> str:
        await asyncio.sleep(0)
        asked.append(1)
        return str(fake.token)

    async def steps(fs: Any) -> None:
        await list_keys(fs)
        await list_keys(fs)

    use("async", current_token, base_url, steps)
    assert [bearer(r) for r in fake.requests] == [fake.token, fake.token]
    assert len(asked) == 2


def test_async_callable_given_to_the_sync_client_is_a_configuration_error(
    fake_server: Any,
) -> None:
    fake, base_url = fake_server

    async def current_token() -> str:
        return str(fake.token)

    source: Any = current_token
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with (
            Fluidstack(source, base_url=base_url) as fs,
            pytest.raises(ConfigurationError, match="AsyncFluidstack"),
        ):
            fs.keys.list()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert fake.requests == []


@pytest.mark.parametrize(
    "value",
    [12345678, b"SECRETVALUE123", None, "tok\x00SECRETVALUE123", "tok SECRETVALUE123", ""],
    ids=["int", "bytes", "None", "NUL", "space", "empty"],
)
@pytest.mark.parametrize("mode", MODES)
def test_callable_returning_no_usable_token_is_a_configuration_error(
    mode: str, value: object, fake_server: Any
) -> None:
    fake, base_url = fake_server
    with pytest.raises(ConfigurationError) as info:
        use(mode, lambda: value, base_url, list_keys)
    for text in (str(info.value), repr(info.value)):
        assert "SECRETVALUE123" not in text
        assert "12345678" not in text
    assert fake.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_callable_is_asked_again_after_a_401(mode: str, fake_server: Any) -> None:
    fake, base_url = fake_server
    answers = iter(["stale-token-0123456", fake.token])
    keys = use(mode, lambda: next(answers), base_url, list_keys)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == ["stale-token-0123456", fake.token]


class VaultDown(Exception):
    pass


@pytest.mark.parametrize("mode", MODES)
def test_token_callable_that_raises_is_not_reported_as_a_connection_failure(
    mode: str, fake_server: Any
) -> None:
    fake, base_url = fake_server

    def current_token() -> str:
        raise VaultDown("the secret store is unreachable")

    with pytest.raises((VaultDown, FluidstackError)) as info:
        use(mode, current_token, base_url, list_keys)
    exc = info.value
    assert not isinstance(exc, APIConnectionError)
    assert isinstance(exc, VaultDown) or isinstance(exc.__cause__, VaultDown)
    assert fake.requests == []


# -- 9. the token endpoint must be https ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/oauth/token",
        "http://10.0.0.5/oauth/token",
        "ftp://example.com/oauth/token",
        "not a url",
        "https://id:pw@example.com/oauth/token",
    ],
)
def test_token_url_must_be_https_or_loopback_http(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ClientCredentials("svc-id", BAD_SECRET, token_url=url)
    assert BAD_SECRET not in str(info.value)
    assert "id:pw" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/oauth/token",
        "http://127.0.0.1:8080/oauth/token",
        "http://localhost/oauth/token",
        "http://[::1]:8080/oauth/token",
    ],
)
def test_token_url_https_or_loopback_is_accepted(url: str) -> None:
    assert str(ClientCredentials("svc-id", BAD_SECRET, token_url=url).token_url) == url


@pytest.mark.parametrize(("client_id", "secret"), [("", BAD_SECRET), ("svc-id", "  ")])
def test_client_credentials_need_an_id_and_a_secret(client_id: str, secret: str) -> None:
    with pytest.raises(ConfigurationError):
        ClientCredentials(client_id, secret)


def test_environment_is_untouched_by_the_suite() -> None:
    # The autouse fixture really hides the machine's credentials from every test.
    assert not [name for name in ENV_NAMES if name in os.environ]
    assert not Path("~/.fluidstack/token").expanduser().exists()
