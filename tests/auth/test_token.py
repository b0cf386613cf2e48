"""The token given as a string or a callable (sync or async), and TokenProviders of a
user's own: what is accepted, what each refusal says (never the token itself), the
bearer header it travels in, and the one origin it may go to."""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import time
import warnings
from collections.abc import Generator
from typing import Any

import httpx
import pytest
from support.auth_secrets import SECRET, leaks
from support.auth_tokens import bearer, escaped, exception_chain
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer
from support.threads import at_once

from fluidstack_client import (
    APIConnectionError,
    AsyncFluidstack,
    AuthenticationError,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    RegionNotFoundError,
    TokenProvider,
)
from fluidstack_client._auth import authorize, origin
from fluidstack_client._credentials import CallableToken, Refresh, StaticToken, resolve
from fluidstack_client._redact import MAX_TOKEN_CHARS, REDACTED, Secret, check_token
from fluidstack_client.testing import FakeServer


async def key_names(fs: AsyncFluidstack) -> list[str]:
    return [key.name for key in await fs.keys.list()]


# -- what a token may be --------------------------------------------------------------------


def test_a_token_is_stripped_and_may_be_as_long_as_the_limit() -> None:
    assert check_token("  tok-123\t") == "tok-123"
    assert MAX_TOKEN_CHARS == 16 * 1024
    assert check_token("a" * MAX_TOKEN_CHARS) == "a" * MAX_TOKEN_CHARS
    assert check_token("!~" + "".join(map(chr, range(0x21, 0x7F)))).startswith("!~!")


def test_a_too_long_token_says_how_long() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_token("a" * (MAX_TOKEN_CHARS + 1))
    assert str(info.value) == (
        "the API token is 16,385 characters long; a real one is a few thousand at most "
        "(16,384 accepted)"
    )


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_token_string_over_16_kib_is_a_configuration_error(
    cls: type[Fluidstack] | type[AsyncFluidstack],
) -> None:
    with pytest.raises(ConfigurationError, match="characters long"):
        cls("t" * (16 * 1024 + 1), base_url="http://127.0.0.1:9/api/v1alpha1")
    cls("t" * (16 * 1024), base_url="http://127.0.0.1:9/api/v1alpha1")  # at the limit: fine


@pytest.mark.parametrize(
    ("token", "position"),
    [("ab\x7fc", 2), ("abé", 2), ("a b", 1), ("\x00x", 0), ("x\ty", 1), ("abc\u2028d", 3)],
)
def test_an_unsendable_character_is_located_not_shown(token: str, position: int) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_token(token)
    assert str(info.value) == (
        "the API token contains a character that cannot be sent in an HTTP header "
        f"(whitespace, a control character or non-ASCII, at position {position}); "
        "the token is not shown here"
    )


@pytest.mark.parametrize("token", ["", "   ", b"token", 42, None])
def test_an_empty_or_non_text_token_is_refused(token: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_token(token)
    assert str(info.value) == "the API token must be a non-empty string"


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


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
@pytest.mark.parametrize("bad", sorted(BAD_TOKENS))
def test_token_with_bad_characters_is_refused_at_construction(
    cls: type[Fluidstack] | type[AsyncFluidstack], bad: str, server: ScriptedServer
) -> None:
    token = SECRET[:16] + BAD_TOKENS[bad] + SECRET[16:]
    with pytest.raises(ConfigurationError) as info:
        cls(token, base_url=server.url)
    assert server.requests == []
    assert leaks(str(info.value)) == []
    assert leaks(repr(info.value)) == []
    assert "token" in str(info.value)


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
@pytest.mark.parametrize("bad", sorted(set(BAD_TOKENS) - {"NUL"}))  # no NUL in os.environ
def test_token_with_bad_characters_from_the_environment_is_refused(
    cls: type[Fluidstack] | type[AsyncFluidstack],
    bad: str,
    monkeypatch: pytest.MonkeyPatch,
    server: ScriptedServer,
) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", SECRET[:16] + BAD_TOKENS[bad] + SECRET[16:])
    with pytest.raises(ConfigurationError) as info:
        cls(base_url=server.url)
    assert server.requests == []
    assert leaks(str(info.value)) == []


def test_resolve_what_token_was_given_as(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = StaticToken("tok-0123456789")
    assert resolve(provider) is provider
    assert isinstance(resolve("tok-0123456789"), StaticToken)
    assert isinstance(resolve(lambda: "t"), CallableToken)
    with pytest.raises(ConfigurationError) as info:
        resolve(42)
    assert str(info.value) == (
        "token must be a string, a callable returning one, ClientCredentials(...) or "
        "FluidctlToken(), got int"
    )
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "env-tok-0123")
    found = resolve(None)
    assert isinstance(found, StaticToken)
    assert found.current().reveal() == "env-tok-0123"


# -- the bearer header ----------------------------------------------------------------------


async def test_the_token_goes_with_every_call_as_a_bearer_header(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with AsyncFluidstack(f"  {TOKEN}  ", base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.list()
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("padded", [f"  {SECRET}\n", f"\t{SECRET}\r\n", f"\r\n{SECRET} "])
async def test_surrounding_whitespace_is_stripped(padded: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    async with AsyncFluidstack(padded, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_token_from_the_environment_is_stripped(
    monkeypatch: pytest.MonkeyPatch, server: ScriptedServer
) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", f" {SECRET}\n")
    server.default = Reply(json=[])
    async with AsyncFluidstack(base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_a_static_string_token_is_not_refreshed_on_401(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    async with AsyncFluidstack(
        "not-the-fake-token-0123", base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert len(fake.requests) == 1
    assert fake.token_requests == 0
    assert "refused too" not in str(info.value)


# -- the origin the token may go to ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/x", ("http", "h", 80)),
        ("http://h:80/x", ("http", "h", 80)),
        ("https://h/x", ("https", "h", 443)),
        ("https://h:443", ("https", "h", 443)),
        ("https://h:8443", ("https", "h", 8443)),
        ("HTTPS://H/", ("https", "h", 443)),
        ("ftp://h/", ("ftp", "h", None)),
    ],
)
def test_origin_has_the_effective_port(url: str, expected: tuple[str, str, int | None]) -> None:
    assert origin(httpx.URL(url)) == expected


def test_origin_compares_effective_ports() -> None:
    assert origin(httpx.URL("http://h:80/x")) == origin(httpx.URL("http://h/x"))
    assert origin(httpx.URL("https://h:443/x")) == origin(httpx.URL("https://h/y"))
    assert origin(httpx.URL("http://h/x")) == ("http", "h", 80)
    assert origin(httpx.URL("https://h/x")) == ("https", "h", 443)
    assert origin(httpx.URL("http://h:80")) != origin(httpx.URL("https://h:443"))
    assert origin(httpx.URL("http://h:443")) != origin(httpx.URL("https://h:443"))
    assert origin(httpx.URL("http://h:8080")) != origin(httpx.URL("http://h"))
    assert origin(httpx.URL("http://h")) != origin(httpx.URL("http://g"))


def test_authorize_only_for_the_home_origin() -> None:
    token = Secret("sk-live-0123456789")
    home = origin(httpx.URL("https://api.example.io/api"))
    mine = httpx.Request("GET", "https://api.example.io:443/other")
    authorize(mine, token, home)
    assert mine.headers["Authorization"] == "Bearer sk-live-0123456789"
    elsewhere = httpx.Request("GET", "http://api.example.io/", headers={"Authorization": "x"})
    authorize(elsewhere, token, home)
    assert "Authorization" not in elsewhere.headers
    no_token = httpx.Request("GET", "https://api.example.io/", headers={"Authorization": "x"})
    authorize(no_token, None, home)
    assert "Authorization" not in no_token.headers


# -- a callable token -----------------------------------------------------------------------


async def test_sync_callable_provides_the_token(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    asked: list[int] = []

    def current_token() -> str:
        asked.append(1)
        return fake.token

    async with AsyncFluidstack(
        current_token, base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await key_names(fs)
        await key_names(fs)
    assert [bearer(r) for r in fake.requests] == [fake.token, fake.token]
    assert len(asked) == 2  # asked for every request


@pytest.mark.async_only
async def test_async_callable_provides_the_token_to_the_async_client(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    asked: list[int] = []

    async def current_token() -> str:
        await asyncio.sleep(0)
        asked.append(1)
        return fake.token

    async with AsyncFluidstack(
        current_token, base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await key_names(fs)
        await key_names(fs)
    assert [bearer(r) for r in fake.requests] == [fake.token, fake.token]
    assert len(asked) == 2


def test_async_callable_given_to_the_sync_client_is_a_configuration_error(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake

    async def current_token() -> str:
        return fake.token

    source: Any = current_token
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with (
            Fluidstack(source, base_url=served_fake.base_url) as fs,
            pytest.raises(ConfigurationError, match="AsyncFluidstack"),
        ):
            fs.keys.list()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert fake.requests == []


@pytest.mark.async_only
async def test_an_async_token_callable_on_the_sync_client_is_explained(
    server: ScriptedServer,
) -> None:
    """The sync client refuses it, saying why; the async client takes the same callable."""

    async def fetch() -> str:
        return "tok-0123456789"

    source: Any = fetch
    with (
        Fluidstack(source, base_url=server.url) as sync_fs,
        pytest.raises(ConfigurationError) as info,
    ):
        sync_fs.keys.list()
    assert str(info.value) == (
        "the token callable returned a coroutine: Fluidstack needs a plain callable "
        "(async ones work with AsyncFluidstack)"
    )
    assert server.requests == []
    server.default = Reply(json=[])
    async with AsyncFluidstack(fetch, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []


@pytest.mark.parametrize(
    "value",
    [12345678, b"SECRETVALUE123", None, "tok\x00SECRETVALUE123", "tok SECRETVALUE123", ""],
    ids=["int", "bytes", "None", "NUL", "space", "empty"],
)
async def test_callable_returning_no_usable_token_is_a_configuration_error(
    value: object, served_fake: FakeServer
) -> None:
    def current_token() -> Any:
        return value

    async with AsyncFluidstack(
        current_token, base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(ConfigurationError) as info:
            await fs.keys.list()
    for text in (str(info.value), repr(info.value)):
        assert "SECRETVALUE123" not in text
        assert "12345678" not in text
    assert served_fake.fake.requests == []


@pytest.mark.parametrize(
    ("value", "kind"), [(5, "int"), (b"tok", "bytes"), (io.StringIO("tok"), "StringIO")]
)
async def test_a_token_callable_must_return_text(
    value: object, kind: str, server: ScriptedServer
) -> None:
    def current_token() -> Any:
        return value

    async with AsyncFluidstack(current_token, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(ConfigurationError) as info:
            await fs.keys.list()
    assert str(info.value) == f"the token callable must return a string, got {kind}"
    assert server.requests == []


async def test_callable_is_asked_again_after_a_401(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    answers = iter(["stale-token-0123456", fake.token])

    def current_token() -> str:
        return next(answers)

    async with AsyncFluidstack(
        current_token, base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        keys = await key_names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == ["stale-token-0123456", fake.token]


async def test_a_token_callable_giving_no_string_after_a_401_says_so(
    server: ScriptedServer,
) -> None:
    calls: list[int] = []

    def current_token() -> Any:
        calls.append(1)
        return "tok-first-0123456789" if len(calls) == 1 else 42

    server.queue(Reply(401, {"message": "expired"}))
    async with AsyncFluidstack(current_token, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 401 expired (and no new token: the token callable "
        "must return a string, got int)"
    )


class VaultDown(Exception):
    """The user's own secret store failing."""


async def test_token_callable_that_raises_is_not_reported_as_a_connection_failure(
    served_fake: FakeServer,
) -> None:
    def current_token() -> str:
        raise VaultDown("the secret store is unreachable")

    async with AsyncFluidstack(
        current_token, base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises((VaultDown, FluidstackError)) as info:
            await fs.keys.list()
    exc = info.value
    assert not isinstance(exc, APIConnectionError)
    assert isinstance(exc, VaultDown) or isinstance(exc.__cause__, VaultDown)
    assert served_fake.fake.requests == []


async def test_a_failing_token_callable_is_an_authentication_error_nothing_sent(
    server: ScriptedServer,
) -> None:
    def broken() -> str:
        raise RuntimeError("vault sealed")

    async with AsyncFluidstack(broken, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    exc = info.value
    assert exc.message == "the token callable raised RuntimeError: vault sealed (nothing was sent)"
    assert str(exc) == f"GET {server.url}/user/keys: 401 {exc.message}"
    assert (exc.status_code, exc.response.status_code) == (401, 401)
    assert exc.request is not None
    assert "authorization" not in {k.lower() for k in exc.request.headers}
    assert isinstance(exc.__cause__, RuntimeError)
    assert server.requests == []


async def test_a_callable_token_is_scrubbed_from_the_region_table(server: ScriptedServer) -> None:
    token = "tok-callable-0123456789"

    def current_token() -> str:
        return token

    # Escaped, the echo passes the byte scrub; the parsed name is scrubbed.
    server.default = Reply(
        body=f'[{{"name": "r-{escaped(token)}", "url": "{server.url}"}}]'.encode()
    )
    async with AsyncFluidstack(current_token, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            await fs.region("r2")
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


async def test_custom_provider_failure_is_an_authentication_error_chained_to_it(
    served_fake: FakeServer,
) -> None:
    provider = VaultProvider()
    async with AsyncFluidstack(provider, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(FluidstackError) as info:
            await fs.organizations.list()
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


@pytest.mark.async_only
async def test_waiters_on_a_failing_custom_provider_raise_distinct_exceptions(
    server: ScriptedServer,
) -> None:
    """Review finding b12: the waiters of a failed fetch shared one exception object."""
    provider = SlowVault()
    async with AsyncFluidstack(provider, base_url=server.url) as fs:
        calls = (fs.organizations.list() for _ in range(20))
        results = await asyncio.gather(*calls, return_exceptions=True)
    assert server.requests == []
    _distinct_vault_errors(provider, [r if isinstance(r, BaseException) else None for r in results])


def test_waiters_on_a_failing_custom_provider_raise_distinct_exceptions_in_threads(
    server: ScriptedServer,
) -> None:
    """The sync client's waiters (threads) on the same failing fetch (finding b12)."""
    provider = SlowVault()
    with Fluidstack(provider, base_url=server.url) as fs:
        errors = at_once(20, fs.organizations.list)
    assert server.requests == []
    _distinct_vault_errors(provider, errors)


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


async def test_a_token_that_appeared_meanwhile_is_used_without_a_refresh(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[])
    provider = Appearing()
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
            await fs.keys.list()
    assert provider.refreshes == 0
    assert server.last.headers["authorization"] == "Bearer tok-appeared-0123"
    assert not [r for r in caplog.records if r.name == "fluidstack_client"]
