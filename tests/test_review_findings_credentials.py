"""Regression tests for the second adversarial review (b01-b16, the credentials code),
each against a real loopback server, with the sync and the async client where both
apply.

Every test here failed before the fix it guards:
- b02: the client secret a token endpoint echoed in a header or a reason phrase reached
  httpx's and httpcore's log lines until a first token had been issued;
- b05: a token-endpoint refusal kept the secret (\\u-escaped or UTF-16) in `exc.body`,
  and its context was the raw token request, client secret and all;
- b01/b15: `expires_in` or a JWT `exp` too large for a float raised OverflowError; a
  quoted `expires_in` was refused; a provider's own exception escaped as it was;
- b12: a sync leader interrupted by Ctrl-C handed its KeyboardInterrupt to every
  waiter; the waiters of a refused fetch shared one context object;
- b16: a body nested hundreds of levels deep was kept on `exc.body` (pickle recursed);
- b04: no home directory, or one that cannot be looked into, raised RuntimeError or
  PermissionError instead of a ConfigurationError;
- b10: the fluidctl file was read whole, whatever it was (100 KB, /dev/zero, a FIFO
  blocking the event loop); any length of token was accepted;
- b14: a write refused with 401 whose renewal failed said "(nothing was sent)" and
  reported a made-up 401 instead of the server's.

The tests also found (now fixed): a token-endpoint refusal kept the raw body on
`exc.response`, whose `.json()` decoded a secret echoed \\u-escaped or in UTF-16; the
async single-flight shared a provider's own exception among its waiters.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import pickle
import pwd
import subprocess
import sys
import textwrap
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from clients import MODES, TOKEN, run
from hostile_server import Conn, HostileServer

import fluidstack_client
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
    TokenProvider,
    _sync_backend,
)
from fluidstack_client._credentials import Refresh
from fluidstack_client._generated.api.organizations import list_organizations
from fluidstack_client._redact import Secret
from fluidstack_client.testing import FakeAPI, serve

T = TypeVar("T")

SECRET = "cs-SECRET-0123456789abcdefXYZ"  # form-encodes to itself
CLIENT_ID = "my-client-id"
ACCESS = "tok-0123456789abcdef"
API = "/api/v1alpha1"
TOKEN_PATH = "/oauth/token"
JSON = {"Content-Type": "application/json"}
CLIENTS: list[Any] = [Fluidstack, AsyncFluidstack]
CREDENTIAL_ENV = ("FLUIDSTACK_TOKEN", "FLUIDSTACK_CLIENT_ID", "FLUIDSTACK_CLIENT_SECRET")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*CREDENTIAL_ENV, "FLUIDSTACK_BASE_URL", "FLUIDSTACK_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)


# -- helpers ------------------------------------------------------------------------------


def creds(srv: HostileServer, secret: str = SECRET) -> ClientCredentials:
    return ClientCredentials(CLIENT_ID, secret, token_url=srv.url + TOKEN_PATH)


@contextmanager
def token_endpoint(answer: Callable[[Conn], None]) -> Iterator[HostileServer]:
    """A server whose token endpoint answers as `answer` says; its API lists nothing."""

    def route(conn: Conn) -> None:
        if conn.request.path == TOKEN_PATH:
            answer(conn)
        else:
            conn.respond(200, b"[]", JSON)

    with HostileServer(route) as srv:
        yield srv


def failure(mode: str, base_url: str, scenario: Callable[[Any], Any], **options: Any) -> Any:
    """The FluidstackError the scenario raises."""
    with pytest.raises(FluidstackError) as info:
        run(mode, base_url, scenario, **options)
    return info.value


def list_orgs(fs: Any) -> Any:
    return fs.organizations.list()


def u_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def jwt_from(payload: bytes) -> str:
    """A JWT-shaped token (unsigned) whose claims are `payload`, raw JSON."""

    def segment(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = segment(b'{"alg":"RS256","typ":"JWT"}')
    return f"{header}.{segment(payload)}.c2ln"


def write_token(path: Path, token: str) -> Path:
    path.write_text(token + "\n")
    path.chmod(0o600)
    return path


def at_depth(frames: int, fn: Callable[[], T]) -> T:
    """`fn()` called from `frames` nested calls deeper (a framework, a task queue)."""
    return fn() if frames == 0 else at_depth(frames - 1, fn)


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and every one reachable through __cause__ and __context__."""
    found: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        todo += [item.__cause__, item.__context__]
    return found


def holders(root: object, secret: str) -> list[str]:
    """Where `secret` (as text or UTF-8 bytes) is held in what `root` reaches: attributes,
    containers, the exception chain, requests and responses (content, URL, headers)."""
    found: list[str] = []
    seen: dict[int, object] = {}  # keeps every visited object alive: ids stay unique

    def visit(obj: object, path: str, depth: int) -> None:
        if depth > 16 or id(obj) in seen:
            return
        seen[id(obj)] = obj
        if isinstance(obj, str):
            if secret in obj:
                found.append(path)
            return
        if isinstance(obj, bytes | bytearray):
            if secret.encode() in obj:
                found.append(path)
            return
        if isinstance(obj, httpx.Request):
            try:
                content = obj.content
            except httpx.RequestNotRead:
                content = b""
            visit(content, f"{path}.content", depth + 1)
            visit(str(obj.url), f"{path}.url", depth + 1)
            visit(repr(obj.headers.raw), f"{path}.headers", depth + 1)
            return
        if isinstance(obj, httpx.Response):
            visit(obj.content, f"{path}.content", depth + 1)
            visit(repr(obj.headers.raw), f"{path}.headers", depth + 1)
            visit(obj.reason_phrase, f"{path}.reason_phrase", depth + 1)
            try:
                request = obj.request
            except RuntimeError:
                request = None
            visit(request, f"{path}.request", depth + 1)
            return
        if isinstance(obj, BaseException):
            visit(str(obj), f"{path}.__str__", depth + 1)
            visit(repr(obj), f"{path}.__repr__", depth + 1)
            visit(obj.args, f"{path}.args", depth + 1)
            visit(obj.__cause__, f"{path}.__cause__", depth + 1)
            visit(obj.__context__, f"{path}.__context__", depth + 1)
        if isinstance(obj, dict):
            for key, value in obj.items():
                visit(key, f"{path}[key]", depth + 1)
                visit(value, f"{path}[{key!r}]", depth + 1)
            return
        if isinstance(obj, list | tuple | set | frozenset):
            for i, value in enumerate(obj):
                visit(value, f"{path}[{i}]", depth + 1)
            return
        for name in {
            *getattr(obj, "__dict__", {}),
            *(s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ())),
        }:
            if name not in ("__weakref__", "__dict__") and hasattr(obj, name):
                visit(getattr(obj, name), f"{path}.{name}", depth + 1)

    visit(root, "exc", 0)
    return found


# == b02: the client secret in DEBUG logs before any token was issued ========================


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [401, 200])
def test_client_secret_echoed_by_the_token_endpoint_stays_out_of_debug_logs(
    mode: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    # A secret of this test's own: no token issued by another test scrubs it already.
    secret = f"cs-LOG-{uuid.uuid4().hex}"
    granted = json.dumps({"access_token": ACCESS, "expires_in": 3600}).encode()

    def answer(conn: Conn) -> None:
        if status == 401:  # the very first call fails: no token was ever issued
            body = b'{"error":"access_denied"}'
            conn.respond(401, body, {**JSON, "X-Echo": secret}, reason=f"Denied {secret}")
        else:
            conn.respond(200, granted, {**JSON, "X-Echo": secret}, reason=f"Fine {secret}")

    caplog.set_level(logging.DEBUG)
    with token_endpoint(answer) as srv:
        provider = creds(srv, secret)
        if status == 401:
            assert isinstance(
                failure(mode, srv.url + API, list_orgs, token=provider), APIStatusError
            )
        else:
            assert run(mode, srv.url + API, list_orgs, token=provider) == []
    messages = [record.getMessage() for record in caplog.records]
    assert [m for m in messages if secret in m] == []
    # The echoing answer was logged (reason phrase and headers), scrubbed.
    reason = "Denied" if status == 401 else "Fine"
    assert any(reason in m and "[REDACTED]" in m for m in messages), messages
    assert any("X-Echo" in m for m in messages), messages


# == b05: the client secret in exc.body and in the context of a token refusal ================


ESCAPED = u_escaped(SECRET)
REFUSALS = {
    "u-escapes": f'{{"error":"invalid_client","error_description":"bad {ESCAPED}"}}'.encode(),
    "utf-16": json.dumps({"error": "invalid_client", "error_description": f"bad {SECRET}"}).encode(
        "utf-16"
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [400, 401])
@pytest.mark.parametrize("echo", sorted(REFUSALS))
def test_token_refusal_echoing_the_client_secret_keeps_it_nowhere(
    mode: str, status: int, echo: str
) -> None:
    with token_endpoint(lambda conn: conn.respond(status, REFUSALS[echo], JSON)) as srv:
        exc = failure(mode, srv.url + API, list_orgs, token=creds(srv))
        assert srv.count(path=TOKEN_PATH) == 1
    assert isinstance(exc, AuthenticationError)
    assert exc.status_code == status
    assert exc.body == {"error": "invalid_client", "error_description": "bad [REDACTED]"}
    assert "invalid_client" in str(exc)
    for text in (str(exc), repr(exc), "".join(traceback.format_exception(exc))):
        assert SECRET not in text
    blob = pickle.dumps(exc)
    assert SECRET.encode() not in blob
    assert pickle.loads(blob).body == exc.body
    # Raised outside the except clause: no context holding the token request as sent.
    assert exc.__context__ is None
    assert exc.__cause__ is None
    assert holders(exc, SECRET) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("echo", sorted(REFUSALS))
def test_token_refusal_response_does_not_decode_to_the_client_secret(mode: str, echo: str) -> None:
    with token_endpoint(lambda conn: conn.respond(401, REFUSALS[echo], JSON)) as srv:
        exc = failure(mode, srv.url + API, list_orgs, token=creds(srv))
    assert isinstance(exc, AuthenticationError)
    assert SECRET not in json.dumps(exc.response.json())


# == b01/b15: expiries too large for a float, a quoted expires_in, a provider's own error ====


HUGE_EXPIRY = (
    b'{"access_token":"tok-0123456789abcdef","token_type":"Bearer","expires_in":1'
    + b"0" * 400
    + b"}"
)
QUOTED_EXPIRY = json.dumps(
    {"access_token": ACCESS, "token_type": "Bearer", "expires_in": "3600"}
).encode()


def generated_list(fs: Any) -> Any:
    if isinstance(fs, Fluidstack):
        return list_organizations.sync_detailed(client=fs.generated_client()).status_code

    async def call() -> int:
        response = await list_organizations.asyncio_detailed(client=fs.generated_client())
        return int(response.status_code)

    return call()


def twice(scenario: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def both(fs: Any) -> Any:
        if isinstance(fs, Fluidstack):
            return [scenario(fs), scenario(fs)]

        async def in_turn() -> list[Any]:
            return [await scenario(fs), await scenario(fs)]

        return in_turn()

    return both


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layer", ["wrapper", "generated"])
@pytest.mark.parametrize("answer", [HUGE_EXPIRY, QUOTED_EXPIRY], ids=["10**400", "quoted"])
def test_token_endpoint_expiry_too_large_or_quoted_is_accepted(
    mode: str, layer: str, answer: bytes
) -> None:
    scenario = twice(list_orgs if layer == "wrapper" else generated_list)
    with token_endpoint(lambda conn: conn.respond(200, answer, JSON)) as srv:
        provider = creds(srv)
        result = run(mode, srv.url + API, scenario, token=provider)
        api = [r for r in srv.requests if r.path != TOKEN_PATH]
    expected: list[object] = [[], []] if layer == "wrapper" else [200, 200]
    assert result == expected
    assert srv.count(path=TOKEN_PATH) == 1  # kept (the lifetime clamped), not re-fetched
    assert [r.headers["authorization"] for r in api] == [f"Bearer {ACCESS}"] * 2
    assert provider.current() is not None


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_token_whose_exp_is_too_large_for_a_float_is_accepted(
    mode: str, tmp_path: Path
) -> None:
    token = jwt_from(b'{"sub":"auth0|person","exp":1' + b"0" * 400 + b"}")
    provider = FluidctlToken(write_token(tmp_path / "token", token))
    fake = FakeAPI(token=token)
    with serve(fake) as server:
        result = run(mode, server.base_url, twice(list_orgs), token=provider)
    assert len(result) == 2
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {token}"] * 2
    assert provider.current() is not None


class VaultProvider(TokenProvider):
    """A provider of the user's own whose backend is down."""

    def __init__(self) -> None:
        super().__init__()
        self.raised: list[RuntimeError] = []

    def current(self) -> Secret | None:
        return None

    def refresh(self) -> Refresh:
        error = RuntimeError("vault down")
        self.raised.append(error)
        raise error


@pytest.mark.parametrize("mode", MODES)
def test_custom_provider_failure_is_an_authentication_error_chained_to_it(mode: str) -> None:
    provider = VaultProvider()
    fake = FakeAPI()
    with serve(fake) as server:
        exc = failure(mode, server.base_url, list_orgs, token=provider)
    assert isinstance(exc, AuthenticationError)
    assert not isinstance(exc, APIConnectionError)
    assert len(provider.raised) == 1
    assert exc.__cause__ is provider.raised[0]
    assert "RuntimeError" in str(exc)
    assert fake.requests == []  # nothing was sent without a token


# == b12: Ctrl-C in the leader of a sync token fetch; the waiters of a refused fetch =========


class InterruptedOnce(TokenProvider):
    """A provider whose first refresh is interrupted (Ctrl-C) once `waiters` callers
    have joined it; any later refresh gives `value`."""

    def __init__(self, value: str, waiters: int, joined: threading.Semaphore) -> None:
        super().__init__()
        self.value = value
        self.waiters = waiters
        self.joined = joined
        self.token: Secret | None = None
        self.refreshes = 0
        self.leading = threading.Event()

    def current(self) -> Secret | None:
        return self.token

    def refresh(self) -> Refresh:
        self.refreshes += 1  # one refresh at a time: the client's single-flight
        if self.refreshes == 1:
            self.leading.set()
            for _ in range(self.waiters):
                assert self.joined.acquire(timeout=10), "the waiters did not join the fetch"
            raise KeyboardInterrupt
        self.token = Secret(self.value)
        return self.token
        yield  # a generator that needs no request


def test_waiters_on_a_sync_fetch_interrupted_by_ctrl_c_fetch_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiters = 8
    joined = threading.Semaphore(0)

    class WatchedEvent(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            joined.release()  # a caller waits for a fetch another one leads
            return super().wait(timeout)

    class WatchedFlight(_sync_backend._Flight[Any]):
        def __init__(self) -> None:
            super().__init__()
            self.done = WatchedEvent()

    monkeypatch.setattr(_sync_backend, "_Flight", WatchedFlight)
    fake = FakeAPI()
    provider = InterruptedOnce(fake.token, waiters, joined)
    outcomes: dict[str, object] = {}

    def call(name: str, fs: Fluidstack) -> None:
        try:
            outcomes[name] = fs.organizations.list()
        except BaseException as exc:
            outcomes[name] = exc

    with serve(fake) as server, Fluidstack(provider, base_url=server.base_url) as fs:
        leader = threading.Thread(target=call, args=("leader", fs))
        leader.start()
        assert provider.leading.wait(10)
        others = [threading.Thread(target=call, args=(f"w{i}", fs)) for i in range(waiters)]
        for thread in [*others]:
            thread.start()
        for thread in [leader, *others]:
            thread.join(20)
    assert isinstance(outcomes.pop("leader"), KeyboardInterrupt)
    assert len(outcomes) == waiters
    assert [type(o).__name__ for o in outcomes.values()] == ["list"] * waiters
    assert provider.refreshes == 2  # the interrupted fetch, then one for every waiter
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {fake.token}"}


def twenty_at_once(fs: Any) -> Any:
    """Twenty `organizations.list()` calls at once (threads or tasks): their exceptions."""
    if isinstance(fs, Fluidstack):
        barrier = threading.Barrier(20)

        def one(_: int) -> BaseException | None:
            barrier.wait()
            try:
                fs.organizations.list()
            except FluidstackError as exc:
                return exc
            return None

        with ThreadPoolExecutor(20) as pool:
            return list(pool.map(one, range(20)))

    async def gathered() -> list[BaseException | None]:
        calls = (fs.organizations.list() for _ in range(20))
        results = await asyncio.gather(*calls, return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results]

    return gathered()


class SlowVault(TokenProvider):
    """A provider of the user's own whose backend fails after a while."""

    def __init__(self) -> None:
        super().__init__()
        self.raised: list[RuntimeError] = []

    def current(self) -> Secret | None:
        return None

    def refresh(self) -> Refresh:
        time.sleep(0.3)  # every caller joins this one fetch
        error = RuntimeError("vault down")
        self.raised.append(error)
        raise error


def no_shared_objects(errors: list[BaseException]) -> None:
    """No object shared between two of the errors anywhere in their chains (a shared one
    grows a traceback with every raiser's frames, and may hold the token request)."""
    assert len({id(e) for e in errors}) == len(errors)
    reached = [id(item) for e in errors for item in chain(e)]
    assert len(reached) == len(set(reached))
    assert all(e.__context__ is None for e in errors)


@pytest.mark.parametrize("mode", MODES)
def test_waiters_on_a_refused_token_fetch_raise_distinct_exceptions(mode: str) -> None:
    def answer(conn: Conn) -> None:
        time.sleep(0.3)  # every caller joins this one fetch
        conn.respond(401, b'{"error":"access_denied"}', JSON)

    with token_endpoint(answer) as srv:
        errors = run(mode, srv.url + API, twenty_at_once, token=creds(srv))
        assert srv.count(path=TOKEN_PATH) == 1
    assert len(errors) == 20
    assert all(isinstance(e, AuthenticationError) for e in errors), errors
    no_shared_objects(errors)


@pytest.mark.parametrize(
    "mode",
    [
        "sync",
        "async",
    ],
)
def test_waiters_on_a_failing_custom_provider_raise_distinct_exceptions(mode: str) -> None:
    provider = SlowVault()
    with token_endpoint(lambda conn: conn.respond(500)) as srv:
        errors = run(mode, srv.url + API, twenty_at_once, token=provider)
        assert srv.requests == []
    assert len(provider.raised) == 1  # one fetch for all twenty
    assert len(errors) == 20
    assert all(isinstance(e, AuthenticationError) for e in errors), errors
    assert all(
        isinstance(e.__cause__, RuntimeError) and str(e.__cause__) == "vault down" for e in errors
    )
    no_shared_objects(errors)


# == b16: bodies nested hundreds of levels deep =============================================


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("where", ["api", "token endpoint"])
def test_deeply_nested_error_body_is_not_kept_and_the_error_pickles_from_deep(
    mode: str, where: str
) -> None:
    def answer(conn: Conn) -> None:
        if conn.request.path == TOKEN_PATH:
            conn.respond(400, b'{"error":"invalid_request","e":' + nested(500) + b"}", JSON)
        else:
            conn.respond(400, b'{"message":"bad","detail":' + nested(400) + b"}", JSON)

    with HostileServer(answer) as srv:
        token: object = creds(srv) if where == "token endpoint" else TOKEN
        exc = failure(mode, srv.url + API, list_orgs, token=token)
    assert isinstance(exc, AuthenticationError if where == "token endpoint" else APIStatusError)
    assert exc.status_code == 400
    assert exc.body is None
    blob = at_depth(300, lambda: pickle.dumps(exc))
    copy = at_depth(300, lambda: pickle.loads(blob))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert copy.body is None


# == b04: no home directory, or one that cannot be looked into ==============================


@pytest.fixture
def homeless(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HOME and no passwd entry for the uid (a container's arbitrary uid)."""
    monkeypatch.delenv("HOME", raising=False)

    def no_entry(uid: int) -> Any:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(RuntimeError):
        Path("~").expanduser()  # the situation is real


NO_CREDENTIALS_WAYS = (
    "token=",
    "FLUIDSTACK_TOKEN",
    "FLUIDSTACK_CLIENT_ID",
    "FLUIDSTACK_CLIENT_SECRET",
    "fluidctl login",
)


@pytest.mark.usefixtures("homeless")
@pytest.mark.parametrize("cls", CLIENTS)
def test_no_credentials_and_no_home_directory_is_a_configuration_error(cls: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9/api/v1alpha1")
    assert all(way in str(info.value) for way in NO_CREDENTIALS_WAYS), str(info.value)


@pytest.mark.usefixtures("homeless")
def test_default_fluidctl_token_without_a_home_directory_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="path"):
        FluidctlToken()


@pytest.mark.parametrize("cls", CLIENTS)
def test_unreadable_home_directory_is_a_configuration_error(
    cls: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    exists = Path.exists

    def refused(self: Path) -> bool:
        if ".fluidstack" in self.parts:  # as stat of ~/.fluidstack/token gets EACCES
            raise PermissionError(13, "Permission denied", str(self))
        return exists(self)

    monkeypatch.setattr(Path, "exists", refused)
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9/api/v1alpha1")
    assert all(way in str(info.value) for way in NO_CREDENTIALS_WAYS), str(info.value)


# == b10: the fluidctl file's size and kind; the token's length ==============================


@pytest.mark.parametrize("mode", MODES)
def test_fluidctl_file_larger_than_a_token_is_refused_fast(mode: str, tmp_path: Path) -> None:
    path = write_token(tmp_path / "token", "a" * 100_000)
    with token_endpoint(lambda conn: conn.respond(500)) as srv:
        started = time.monotonic()
        exc = failure(mode, srv.url + API, list_orgs, token=FluidctlToken(path))
        elapsed = time.monotonic() - started
        assert srv.requests == []
    assert isinstance(exc, AuthenticationError)
    assert "larger than a token" in str(exc)
    assert elapsed < 1.0


# Run in a child process under a memory limit: with the fix reverted, reading /dev/zero
# never ends (it grows until MemoryError there, not here).
DEV_ZERO_CHILD = textwrap.dedent(
    """
    import asyncio, json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from fluidstack_client import AsyncFluidstack, FluidctlToken, Fluidstack

    path, base_url = sys.argv[1], sys.argv[2]

    def report(mode, call):
        started = time.monotonic()
        try:
            call()
            outcome = {"type": None, "message": ""}
        except BaseException as exc:
            outcome = {"type": type(exc).__name__, "message": str(exc)}
        outcome.update(mode=mode, elapsed=time.monotonic() - started)
        print(json.dumps(outcome), flush=True)

    def sync():
        with Fluidstack(FluidctlToken(path), base_url=base_url, timeout=5) as fs:
            fs.organizations.list()

    async def main():
        async with AsyncFluidstack(FluidctlToken(path), base_url=base_url, timeout=5) as fs:
            await fs.organizations.list()

    report("sync", sync)
    report("async", lambda: asyncio.run(main()))
    """
)


def test_fluidctl_file_linked_to_dev_zero_is_refused_within_a_second(tmp_path: Path) -> None:
    link = tmp_path / "token"
    link.symlink_to("/dev/zero")
    package_root = str(Path(fluidstack_client.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root}
    with token_endpoint(lambda conn: conn.respond(500)) as srv:
        child = subprocess.run(
            [sys.executable, "-c", DEV_ZERO_CHILD, str(link), srv.url + API],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            cwd=package_root,
        )
        assert srv.requests == []
    outcomes = [json.loads(line) for line in child.stdout.splitlines()]
    assert [o["mode"] for o in outcomes] == ["sync", "async"], child.stderr
    for outcome in outcomes:
        assert outcome["type"] == "AuthenticationError", outcome
        assert "not a regular file" in outcome["message"]
        assert outcome["elapsed"] < 1.0


@contextmanager
def fifo_writer(fifo: Path) -> Iterator[None]:
    """After a second, answer any reader of `fifo` with a token, until the block ends:
    with the fix reverted, a reader blocks in open() for that second (then gets an
    answer, so the test fails instead of hanging); with it, nothing reads the FIFO."""
    stop = threading.Event()

    def write() -> None:
        if stop.wait(1.0):
            return
        while not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # fails with no reader
            except OSError:
                stop.wait(0.02)
                continue
            try:
                os.write(fd, b"tok-from-the-fifo-0123456789\n")
            except OSError:  # the reader went away
                pass
            finally:
                os.close(fd)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def test_fluidctl_fifo_is_refused_at_once_sync(tmp_path: Path) -> None:
    fifo = tmp_path / "token"
    os.mkfifo(fifo, 0o600)
    with serve(FakeAPI()) as server, fifo_writer(fifo):
        started = time.monotonic()
        exc = failure("sync", server.base_url, list_orgs, token=FluidctlToken(fifo))
        elapsed = time.monotonic() - started
        assert server.fake.requests == []
    assert isinstance(exc, AuthenticationError)
    assert "not a regular file" in str(exc)
    assert elapsed < 0.5


def test_fluidctl_fifo_does_not_block_the_event_loop(tmp_path: Path) -> None:
    fifo = tmp_path / "token"
    os.mkfifo(fifo, 0o600)

    async def main(base_url: str) -> tuple[BaseException, list[float]]:
        loop = asyncio.get_running_loop()
        gaps: list[float] = []

        async def ticker() -> None:
            last = loop.time()
            while True:
                await asyncio.sleep(0.01)
                now = loop.time()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        async with AsyncFluidstack(FluidctlToken(fifo), base_url=base_url) as fs:
            with pytest.raises(FluidstackError) as info:
                await fs.organizations.list()
        before = len(gaps)
        await asyncio.sleep(0.05)
        assert len(gaps) > before  # the ticker keeps running
        ticking.cancel()
        return info.value, gaps

    with serve(FakeAPI()) as server, fifo_writer(fifo):
        exc, gaps = asyncio.run(main(server.base_url))
        assert server.fake.requests == []
    assert isinstance(exc, AuthenticationError)
    assert "not a regular file" in str(exc)
    assert max(gaps) < 0.5, max(gaps)


@pytest.mark.parametrize("cls", CLIENTS)
def test_token_string_over_16_kib_is_a_configuration_error(cls: Any) -> None:
    with pytest.raises(ConfigurationError, match="characters long"):
        cls("t" * (16 * 1024 + 1), base_url="http://127.0.0.1:9/api/v1alpha1")
    cls("t" * (16 * 1024), base_url="http://127.0.0.1:9/api/v1alpha1")  # at the limit: fine


# == b14: a write refused with 401 whose renewal fails ======================================


@pytest.mark.parametrize("mode", MODES)
def test_write_refused_with_401_and_no_new_token_reports_the_servers_401(
    mode: str, tmp_path: Path
) -> None:
    path = write_token(
        tmp_path / "token", jwt_from(json.dumps({"exp": time.time() + 3600}).encode())
    )

    def answer(conn: Conn) -> None:
        # The person's session ended meanwhile: the file's token has expired too.
        write_token(path, jwt_from(json.dumps({"exp": time.time() - 100}).encode()))
        conn.respond(401, b'{"message":"token revoked"}', JSON)

    def invite(fs: Any) -> Any:
        return fs.invitations.create(email="someone@example.com", role="viewer")

    with HostileServer(answer) as srv:
        exc = failure(mode, srv.url + API, invite, token=FluidctlToken(path))
        assert [r.method for r in srv.requests] == ["POST"]  # sent exactly once
    assert isinstance(exc, AuthenticationError)
    assert exc.status_code == 401
    assert exc.response.content == b'{"message":"token revoked"}'
    assert exc.body == {"message": "token revoked"}
    assert "token revoked" in str(exc)
    assert "no new token" in str(exc)
    assert "expired" in str(exc)
    assert "(nothing was sent)" not in str(exc)
