# Derived from tests/auth/test_token.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The token given as a string or a callable (sync or async), and TokenProviders of a
user's own: what is accepted, what each refusal says (never the token itself), the
bearer header it travels in, and the one origin it may go to."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Generator
from typing import Any

import httpx
import pytest
from support.auth_secrets import SECRET
from support.auth_tokens import bearer, escaped, exception_chain
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    RegionNotFoundError,
    TokenProvider,
)
from fluidstack_client._credentials import Refresh
from fluidstack_client._redact import REDACTED, Secret
from fluidstack_client.testing import FakeServer


def key_names(fs: Fluidstack) -> list[str]:
    return [key.name for key in fs.keys.list()]


# -- what a token may be --------------------------------------------------------------------


# Characters a header cannot carry, put in the middle of the token.
BAD_TOKENS = {
    "NUL": "\x00",
    "VT": "\x0b",
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "space": " ",
    "tab": "\t",
    "DEL": "\x7f",
    "e-acute": "é",
    "ESC": "\x1b",
    "line separator": "\u2028",
}


# -- the bearer header ----------------------------------------------------------------------


def test_the_token_goes_with_every_call_as_a_bearer_header(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with Fluidstack(f"  {TOKEN}  ", base_url=server.url, retry_policy=FAST) as fs:
        fs.keys.list()
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("padded", [f"  {SECRET}\n", f"\t{SECRET}\r\n", f"\r\n{SECRET} "])
def test_surrounding_whitespace_is_stripped(padded: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    with Fluidstack(padded, base_url=server.url, retry_policy=FAST) as fs:
        assert fs.keys.list() == []
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_token_from_the_environment_is_stripped(
    monkeypatch: pytest.MonkeyPatch, server: ScriptedServer
) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", f" {SECRET}\n")
    server.default = Reply(json=[])
    with Fluidstack(base_url=server.url, retry_policy=FAST) as fs:
        assert fs.keys.list() == []
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_a_static_string_token_is_not_refreshed_on_401(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    with Fluidstack(
        "not-the-fake-token-0123", base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert len(fake.requests) == 1
    assert fake.token_requests == 0
    assert "refused too" not in str(info.value)


# -- the origin the token may go to ---------------------------------------------------------


# -- a callable token -----------------------------------------------------------------------


def test_sync_callable_provides_the_token(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    asked: list[int] = []

    def current_token() -> str:
        asked.append(1)
        return fake.token

    with Fluidstack(current_token, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        key_names(fs)
        key_names(fs)
    assert [bearer(r) for r in fake.requests] == [fake.token, fake.token]
    assert len(asked) == 2  # asked for every request


@pytest.mark.parametrize(
    "value",
    [12345678, b"SECRETVALUE123", None, "tok\x00SECRETVALUE123", "tok SECRETVALUE123", ""],
    ids=["int", "bytes", "None", "NUL", "space", "empty"],
)
def test_callable_returning_no_usable_token_is_a_configuration_error(
    value: object, served_fake: FakeServer
) -> None:
    def current_token() -> Any:
        return value

    with Fluidstack(current_token, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(ConfigurationError) as info:
            fs.keys.list()
    for text in (str(info.value), repr(info.value)):
        assert "SECRETVALUE123" not in text
        assert "12345678" not in text
    assert served_fake.fake.requests == []


@pytest.mark.parametrize(
    ("value", "kind"), [(5, "int"), (b"tok", "bytes"), (io.StringIO("tok"), "StringIO")]
)
def test_a_token_callable_must_return_text(
    value: object, kind: str, server: ScriptedServer
) -> None:
    def current_token() -> Any:
        return value

    with Fluidstack(current_token, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(ConfigurationError) as info:
            fs.keys.list()
    assert str(info.value) == f"the token callable must return a string, got {kind}"
    assert server.requests == []


def test_callable_is_asked_again_after_a_401(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    answers = iter(["stale-token-0123456", fake.token])

    def current_token() -> str:
        return next(answers)

    with Fluidstack(current_token, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        keys = key_names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == ["stale-token-0123456", fake.token]


def test_a_token_callable_giving_no_string_after_a_401_says_so(
    server: ScriptedServer,
) -> None:
    calls: list[int] = []

    def current_token() -> Any:
        calls.append(1)
        return "tok-first-0123456789" if len(calls) == 1 else 42

    server.queue(Reply(401, {"message": "expired"}))
    with Fluidstack(current_token, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 401 expired (and no new token: the token callable "
        "must return a string, got int)"
    )


class VaultDown(Exception):
    """The user's own secret store failing."""


def test_token_callable_that_raises_is_not_reported_as_a_connection_failure(
    served_fake: FakeServer,
) -> None:
    def current_token() -> str:
        raise VaultDown("the secret store is unreachable")

    with Fluidstack(current_token, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises((VaultDown, FluidstackError)) as info:
            fs.keys.list()
    exc = info.value
    assert not isinstance(exc, APIConnectionError)
    assert isinstance(exc, VaultDown) or isinstance(exc.__cause__, VaultDown)
    assert served_fake.fake.requests == []


def test_a_failing_token_callable_is_an_authentication_error_nothing_sent(
    server: ScriptedServer,
) -> None:
    def broken() -> str:
        raise RuntimeError("vault sealed")

    with Fluidstack(broken, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    exc = info.value
    assert exc.message == "the token callable raised RuntimeError: vault sealed (nothing was sent)"
    assert str(exc) == f"GET {server.url}/user/keys: 401 {exc.message}"
    assert (exc.status_code, exc.response.status_code) == (401, 401)
    assert exc.request is not None
    assert "authorization" not in {k.lower() for k in exc.request.headers}
    assert isinstance(exc.__cause__, RuntimeError)
    assert server.requests == []


def test_a_callable_token_is_scrubbed_from_the_region_table(server: ScriptedServer) -> None:
    token = "tok-callable-0123456789"

    def current_token() -> str:
        return token

    # Escaped, the echo passes the byte scrub; the parsed name is scrubbed.
    server.default = Reply(
        body=f'[{{"name": "r-{escaped(token)}", "url": "{server.url}"}}]'.encode()
    )
    with Fluidstack(current_token, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            fs.region("r2")
    assert info.value.known == [f"r-{REDACTED}"]
    assert token not in str(info.value)


# -- TokenProviders of a user's own ---------------------------------------------------------


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


def test_custom_provider_failure_is_an_authentication_error_chained_to_it(
    served_fake: FakeServer,
) -> None:
    provider = VaultProvider()
    with Fluidstack(provider, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(FluidstackError) as info:
            fs.organizations.list()
    exc = info.value
    assert isinstance(exc, AuthenticationError)
    assert not isinstance(exc, APIConnectionError)
    assert len(provider.raised) == 1
    assert exc.__cause__ is provider.raised[0]
    assert "RuntimeError" in str(exc)
    assert served_fake.fake.requests == []  # nothing was sent without a token


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


def _distinct_vault_errors(provider: SlowVault, errors: list[object]) -> None:
    """Twenty callers, one fetch, twenty AuthenticationErrors chained to the vault's
    error, and no object shared between two of them anywhere in their chains (a shared
    one grows a traceback with every raiser's frames, and may hold the token request)."""
    assert len(provider.raised) == 1  # one fetch for all twenty
    assert len(errors) == 20
    failures = [e for e in errors if isinstance(e, AuthenticationError)]
    assert len(failures) == 20, errors
    assert all(
        isinstance(e.__cause__, RuntimeError) and str(e.__cause__) == "vault down" for e in failures
    )
    assert len({id(e) for e in failures}) == len(failures)
    reached = [id(item) for e in failures for item in exception_chain(e)]
    assert len(reached) == len(set(reached))
    assert all(e.__context__ is None for e in failures)


class Appearing(TokenProvider):
    """A provider of a user's own whose cached token appears while a caller waits: the
    first look finds none, the second (the refresh's own check) finds one."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0
        self.refreshes = 0
        self.token = Secret("tok-appeared-0123")

    def current(self) -> Secret | None:
        self.looks += 1
        return None if self.looks == 1 else self.token

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        self.refreshes += 1
        return Secret("tok-refreshed-0123")
        yield


def test_a_token_that_appeared_meanwhile_is_used_without_a_refresh(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[])
    provider = Appearing()
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
            fs.keys.list()
    assert provider.refreshes == 0
    assert server.last.headers["authorization"] == "Bearer tok-appeared-0123"
    assert not [r for r in caplog.records if r.name == "fluidstack_client"]
