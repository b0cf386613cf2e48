"""Credentials as a user meets them, to the character: what each provider sends, each
refusal's message and status, what is scrubbed, how long a token is kept, and how
each prints. Token endpoints and APIs are real servers on 127.0.0.1 (a ScriptedServer
answering as a token endpoint would)."""

from __future__ import annotations

import base64
import functools
import io
import json
import os
import pickle
import time
import tracemalloc
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from clients import MODES, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    AuthenticationError,
    ClientCredentials,
    ConfigurationError,
    FluidctlToken,
    Fluidstack,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    RegionNotFoundError,
    RetryPolicy,
    TokenProvider,
)
from fluidstack_client._credentials import (
    DEFAULT_AUDIENCE,
    DEFAULT_TOKEN_URL,
    MAX_TOKEN_FILE,
    CallableToken,
    CredentialsUnavailable,
    StaticToken,
    from_environment,
    jwt_expiry,
    refresh_margin,
    resolve,
)
from fluidstack_client._redact import REDACTED, Redactor, Secret

SECRET = "cs_live_9f8e7d6c5b4a"
NO_RETRY = RetryPolicy(max_retries=0)
ENV = (
    "FLUIDSTACK_TOKEN",
    "FLUIDSTACK_CLIENT_ID",
    "FLUIDSTACK_CLIENT_SECRET",
    "FLUIDSTACK_TOKEN_URL",
    "FLUIDSTACK_AUDIENCE",
    "FLUIDSTACK_BASE_URL",
)


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def home(_no_ambient_credentials: Path) -> Path:
    return _no_ambient_credentials


def escaped(text: str) -> str:
    """`text` as JSON \\u escapes: the same string once parsed, invisible to a byte scrub."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def jwt(claims: Any) -> str:
    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def credentials(token_server: ScriptedServer, **kwargs: Any) -> ClientCredentials:
    return ClientCredentials(
        "svc-id", SECRET, token_url=f"{token_server.url}/oauth/token", **kwargs
    )


def token_reply(**fields: Any) -> Reply:
    body = {"access_token": "at-0123456789", "expires_in": 3600, "token_type": "Bearer"}
    body.update(fields)
    return Reply(json={k: v for k, v in body.items() if v is not ...})


# -- ClientCredentials: construction -------------------------------------------------------


@pytest.mark.parametrize(
    ("client_id", "secret", "message"),
    [
        ("", SECRET, "client_id must be a non-empty string"),
        ("  ", SECRET, "client_id must be a non-empty string"),
        (None, SECRET, "client_id must be a non-empty string"),
        ("svc", "", "client_secret must be a non-empty string"),
        ("svc", 5, "client_secret must be a non-empty string"),
    ],
)
def test_client_credentials_need_an_id_and_a_secret(
    client_id: Any, secret: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        ClientCredentials(client_id, secret)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://auth.example.com/oauth/token",
            "refusing token_url 'http://auth.example.com/oauth/token': only https is allowed "
            "(plain http only to loopback hosts), so the token is never sent in cleartext",
        ),
        ("auth.example.com", "token_url 'auth.example.com' is not an absolute http(s) URL"),
    ],
)
def test_token_url_must_be_https(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ClientCredentials("svc", SECRET, token_url=url)
    assert str(info.value) == message


def test_client_credentials_defaults_environment_and_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = ClientCredentials(" svc-id ", f" {SECRET} ")
    assert plain.client_id == "svc-id"
    assert str(plain.token_url) == DEFAULT_TOKEN_URL
    assert plain.audience == DEFAULT_AUDIENCE
    assert repr(plain) == f"ClientCredentials(client_id='svc-id', token_url='{DEFAULT_TOKEN_URL}')"
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", "https://env.example.io/token")
    monkeypatch.setenv("FLUIDSTACK_AUDIENCE", "https://env-audience")
    from_env = ClientCredentials("svc", SECRET)
    assert (str(from_env.token_url), from_env.audience) == (
        "https://env.example.io/token",
        "https://env-audience",
    )
    given = ClientCredentials(
        "svc", SECRET, token_url="https://given.example.io/t", audience="https://given"
    )
    assert (str(given.token_url), given.audience) == ("https://given.example.io/t", "https://given")
    assert SECRET not in repr(given)


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        (lambda: ClientCredentials("svc", SECRET), "ClientCredentials"),
        (lambda: StaticToken("tok-0123456789"), "StaticToken"),
        (lambda: FluidctlToken("/nowhere/token"), "FluidctlToken"),
        (lambda: CallableToken(lambda: "t"), "CallableToken"),
    ],
)
def test_providers_refuse_pickle_by_name(provider: Any, name: str) -> None:
    with pytest.raises(TypeError) as info:
        pickle.dumps(provider())
    assert str(info.value) == f"a {name} holds credentials and cannot be pickled"


def test_provider_reprs() -> None:
    def my_token() -> str:
        return "t"

    class Vault:
        def __call__(self) -> str:
            return "t"

    assert repr(StaticToken("tok-0123456789")) == "StaticToken(***)"
    assert repr(CallableToken(my_token)) == ("CallableToken(test_provider_reprs.<locals>.my_token)")
    assert repr(CallableToken(Vault())) == "CallableToken(Vault)"
    assert repr(CallableToken(functools.partial(my_token))) == "CallableToken(partial)"
    assert repr(FluidctlToken("/x/token")) == "FluidctlToken(path='/x/token')"


# -- ClientCredentials: the token request and its answers ----------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_the_token_request_is_a_form_post_asking_for_json(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.queue(token_reply())
    server.default = Reply(json=[])
    run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
    (sent,) = other_server.requests
    assert (sent.method, sent.path) == ("POST", "/oauth/token")
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(sent.body.decode())) == {
        "grant_type": "client_credentials",
        "client_id": "svc-id",
        "client_secret": SECRET,
        "audience": DEFAULT_AUDIENCE,
    }
    assert "authorization" not in sent.headers
    assert server.last.headers["authorization"] == "Bearer at-0123456789"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "error"),
    [(500, InternalServerError), (503, InternalServerError), (429, RateLimitError)],
)
def test_a_failing_token_endpoint_is_its_own_status_error(
    mode: str,
    status: int,
    error: type[Exception],
    server: ScriptedServer,
    other_server: ScriptedServer,
) -> None:
    other_server.default = Reply(
        status, body=f'{{"message": "down, {escaped(SECRET)} leaked"}}'.encode()
    )
    with pytest.raises(error) as info:
        run(
            mode,
            server.url,
            lambda fs: fs.keys.list(),
            token=credentials(other_server),
            retry_policy=NO_RETRY,
        )
    exc: Any = info.value
    assert str(exc) == (
        f"POST {other_server.url}/oauth/token: {status} down, {REDACTED} leaked "
        "(from the token endpoint)"
    )
    assert SECRET not in exc.response.text
    assert exc.body == {"message": f"down, {REDACTED} leaked"}
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(401, {"error": "access_denied", "error_description": "Unauthorized"}), None),
        (Reply(403, {"error": "invalid_client"}), None),
        (Reply(400, {"error_description": "bad audience"}), None),
        (Reply(401, body=b""), "no reason given"),
        (Reply(499, ["not", "an", "object"]), "no reason given"),
    ],
)
def test_a_refusal_says_what_the_token_endpoint_said(
    mode: str,
    reply: Reply,
    reason: str | None,
    server: ScriptedServer,
    other_server: ScriptedServer,
) -> None:
    other_server.default = reply
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
    if reason is None:
        fields = reply.json
        reason = ": ".join(str(fields[k]) for k in ("error", "error_description") if k in fields)
    message = f"the token endpoint refused the client credentials ({reason})"
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: {reply.status} {message}"
    assert info.value.status_code == reply.status
    assert len(other_server.requests) == 1  # a refusal is not retried
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_secret_echoed_in_a_refusal_is_scrubbed_however_it_is_escaped(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = Reply(
        401,
        body=f'{{"error": "bad", "error_description": "secret {escaped(SECRET)}"}}'.encode(),
    )
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
    assert info.value.message == (
        f"the token endpoint refused the client credentials (bad: secret {REDACTED})"
    )
    assert SECRET not in str(info.value.body)


BAD_ANSWERS = {
    "not JSON": Reply(body=b"<html>ok</html>", content_type="text/html"),
    "no access_token": token_reply(access_token=...),
    "access_token not text": token_reply(access_token=123),
    "expires_in text": token_reply(expires_in="soon"),
    "expires_in zero": token_reply(expires_in=0),
    "expires_in negative": token_reply(expires_in=-5),
    "expires_in true": token_reply(expires_in=True),
    "expires_in infinite": Reply(body=b'{"access_token": "at-0123456789", "expires_in": 1e999}'),
    "token_type mac": token_reply(token_type="mac"),
    "token_type number": token_reply(token_type=1),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_an_answer_that_is_not_a_bearer_token_is_refused(
    mode: str, case: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = BAD_ANSWERS[case]
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
    message = (
        "the token endpoint's answer is not an OAuth bearer token "
        "(access_token, expires_in, token_type)"
    )
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: 200 {message}"
    assert info.value.response.status_code == 200
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_answer_echoing_the_secret_is_kept_scrubbed(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    for access_token in ("null", '"has a space"'):  # not a bearer token; not sendable
        other_server.queue(
            Reply(body=f'{{"access_token": {access_token}, "debug": "{escaped(SECRET)}"}}'.encode())
        )
        with pytest.raises(AuthenticationError) as info:
            run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
        assert SECRET not in info.value.response.text
        assert info.value.body == {"access_token": json.loads(access_token), "debug": REDACTED}


@pytest.mark.parametrize("mode", MODES)
def test_an_access_token_that_cannot_be_sent_is_refused_saying_why(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(access_token="has a space")
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
    message = (
        "the API token contains a character that cannot be sent in an HTTP header "
        "(whitespace, a control character or non-ASCII, at position 3); the token is not "
        "shown here"
    )
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: 200 {message}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "reply",
    [
        token_reply(token_type=...),
        token_reply(token_type="bearer"),
        token_reply(token_type="BEARER"),
        token_reply(expires_in=...),
        token_reply(expires_in="120"),
        token_reply(expires_in=0.5),
    ],
)
def test_acceptable_token_answers(
    mode: str, reply: Reply, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = reply
    server.default = Reply(json=[])
    assert run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server)) == []
    assert server.last.headers["authorization"] == "Bearer at-0123456789"


@pytest.mark.parametrize(
    ("expires_in", "kept_for"),
    [(..., 3600 - 60), ("120", 120 - 12), (100, 90), (7200, 7200 - 60), (1e12, 1e9 - 60)],
)
def test_how_long_a_token_is_kept(
    expires_in: Any, kept_for: float, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(expires_in=expires_in)
    server.default = Reply(json=[])
    provider = credentials(other_server)
    with Fluidstack(provider, base_url=server.url) as fs:
        before = time.monotonic()
        fs.keys.list()
        after = time.monotonic()
    left = provider._refresh_at
    assert before + kept_for - 0.5 <= left <= after + kept_for + 0.5
    assert refresh_margin(3600.0) == 60.0
    assert refresh_margin(2.0) == 0.2


@pytest.mark.parametrize("mode", MODES)
def test_the_client_secret_is_scrubbed_from_api_answers_too(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply()
    server.default = Reply(403, {"message": f"client {SECRET} may not"})
    with pytest.raises(PermissionDeniedError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=credentials(other_server))
    assert info.value.message == f"client {REDACTED} may not"


@pytest.mark.parametrize("mode", MODES)
def test_a_token_expired_on_arrival_still_serves_a_region_lookup(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(expires_in=0.001)
    server.default = Reply(json=[{"name": "r1", "url": server.url}])
    with pytest.raises(RegionNotFoundError) as info:
        run(mode, server.url, lambda fs: fs.region("r2"), token=credentials(other_server))
    assert info.value.known == ["r1"]


# -- providers of the user's own -----------------------------------------------------------


class Vaulted(TokenProvider):
    """A provider of a user's own that fails, with a secret of its own in the message."""

    def __init__(self, with_response: bool) -> None:
        super().__init__()
        self.with_response = with_response
        self.redactor = Redactor("vault-secret-0123")

    def current(self) -> None:
        return None

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        response = None
        if self.with_response:
            response = httpx.Response(403, request=httpx.Request("GET", "https://vault.io/t"))
        raise CredentialsUnavailable("vault said no to vault-secret-0123", response, self.redactor)
        yield


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_response", [False, True])
def test_a_providers_own_secret_is_scrubbed_from_its_failure(
    mode: str, with_response: bool, server: ScriptedServer
) -> None:
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=Vaulted(with_response))
    said = f"vault said no to {REDACTED}"
    if with_response:
        assert info.value.message == said
        assert info.value.status_code == 403
    else:
        assert info.value.message == f"{said} (nothing was sent)"
        assert info.value.status_code == 401
        assert info.value.response.status_code == 401
    assert server.requests == []


# -- callables -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_token_callable_is_an_authentication_error_nothing_sent(
    mode: str, server: ScriptedServer
) -> None:
    def broken() -> str:
        raise RuntimeError("vault sealed")

    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=broken)
    exc = info.value
    assert exc.message == "the token callable raised RuntimeError: vault sealed (nothing was sent)"
    assert str(exc) == f"GET {server.url}/user/keys: 401 {exc.message}"
    assert (exc.status_code, exc.response.status_code) == (401, 401)
    assert exc.request is not None
    assert "authorization" not in {k.lower() for k in exc.request.headers}
    assert isinstance(exc.__cause__, RuntimeError)
    assert server.requests == []


@pytest.mark.parametrize(
    ("value", "kind"), [(5, "int"), (b"tok", "bytes"), (io.StringIO("tok"), "StringIO")]
)
def test_a_token_callable_must_return_text(
    value: object, kind: str, server: ScriptedServer
) -> None:
    with pytest.raises(ConfigurationError) as info:
        run("sync", server.url, lambda fs: fs.keys.list(), token=lambda: value)
    assert str(info.value) == f"the token callable must return a string, got {kind}"
    assert server.requests == []


def test_an_async_token_callable_on_the_sync_client_is_explained(server: ScriptedServer) -> None:
    async def fetch() -> str:
        return "tok-0123456789"

    with pytest.raises(ConfigurationError) as info:
        run("sync", server.url, lambda fs: fs.keys.list(), token=fetch)
    assert str(info.value) == (
        "the token callable returned a coroutine: Fluidstack needs a plain callable "
        "(async ones work with AsyncFluidstack)"
    )
    server.default = Reply(json=[])
    assert run("async", server.url, lambda fs: fs.keys.list(), token=fetch) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_callable_token_is_scrubbed_from_the_region_table(
    mode: str, server: ScriptedServer
) -> None:
    token = "tok-callable-0123456789"
    # Escaped, the echo passes the byte scrub; the parsed name is scrubbed.
    server.default = Reply(
        body=f'[{{"name": "r-{escaped(token)}", "url": "{server.url}"}}]'.encode()
    )
    with pytest.raises(RegionNotFoundError) as info:
        run(mode, server.url, lambda fs: fs.region("r2"), token=lambda: token)
    assert info.value.known == [f"r-{REDACTED}"]
    assert token not in str(info.value)


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


# -- the environment -----------------------------------------------------------------------


def test_from_environment_reads_the_mapping_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "from-os-environ")
    given = from_environment({"FLUIDSTACK_TOKEN": "from-the-mapping"})
    assert isinstance(given, StaticToken)
    assert given.current().reveal() == "from-the-mapping"
    assert from_environment().current().reveal() == "from-os-environ"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FLUIDSTACK_CLIENT_ID": "svc"},
            "FLUIDSTACK_CLIENT_ID and _SECRET go together: set FLUIDSTACK_CLIENT_SECRET",
        ),
        (
            {"FLUIDSTACK_CLIENT_SECRET": SECRET},
            "FLUIDSTACK_CLIENT_ID and _SECRET go together: set FLUIDSTACK_CLIENT_ID",
        ),
        (
            {},
            "no credentials: pass token=... (a token, a callable, ClientCredentials(...) or "
            "FluidctlToken()), or set FLUIDSTACK_TOKEN, or FLUIDSTACK_CLIENT_ID and "
            "FLUIDSTACK_CLIENT_SECRET, or run `fluidctl login` (to write ~/.fluidstack/token)",
        ),
    ],
)
def test_from_environment_says_what_is_missing(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        from_environment(env)
    assert str(info.value) == message


def test_from_environment_without_a_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME")
    monkeypatch.setattr(Path, "expanduser", lambda self: (_ for _ in ()).throw(RuntimeError()))
    with pytest.raises(ConfigurationError, match=r"^no credentials: "):
        from_environment({})


def test_from_environment_order(home: Path) -> None:
    assert isinstance(from_environment({"FLUIDSTACK_TOKEN": "t-0123456789"}), StaticToken)
    both = {"FLUIDSTACK_CLIENT_ID": "svc", "FLUIDSTACK_CLIENT_SECRET": SECRET}
    found = from_environment(both)
    assert isinstance(found, ClientCredentials)
    assert found.client_id == "svc"
    token_file = home / ".fluidstack" / "token"
    token_file.parent.mkdir()
    token_file.write_text("tok-0123456789")
    token_file.chmod(0o600)
    fluidctl = from_environment({})
    assert isinstance(fluidctl, FluidctlToken)
    assert fluidctl.path == token_file


# -- the fluidctl token file ---------------------------------------------------------------


def _file(tmp_path: Path, content: bytes | str, mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", MODES)
def test_a_plain_token_in_the_file_is_used_without_expiry(
    mode: str, tmp_path: Path, server: ScriptedServer
) -> None:
    path = _file(tmp_path, "  plain-token-0123\n")
    server.default = Reply(json=[])
    provider = FluidctlToken(path)
    run(mode, server.url, lambda fs: fs.keys.list(), token=provider)
    run(mode, server.url, lambda fs: fs.keys.list(), token=provider)
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer plain-token-0123"] * 2
    assert provider._refresh_at == float("inf")


@pytest.mark.parametrize("mode", MODES)
def test_an_expired_fluidctl_token_says_when(
    mode: str, tmp_path: Path, server: ScriptedServer
) -> None:
    path = _file(tmp_path, jwt({"exp": 1577836800}))  # 2020-01-01 00:00:00 UTC
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), token=FluidctlToken(path))
    assert info.value.message == (
        f"the fluidctl token in {path} expired at 2020-01-01 00:00:00 UTC; run `fluidctl "
        "login` (nothing was sent)"
    )
    assert server.requests == []


def _refresh_error(provider: FluidctlToken) -> str:
    with pytest.raises(CredentialsUnavailable) as info:
        next(provider.refresh())
    return info.value.message


def test_fluidctl_file_messages(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    assert _refresh_error(FluidctlToken(missing)) == (
        f"no fluidctl token at {missing} (No such file or directory); run `fluidctl login`"
    )
    assert _refresh_error(FluidctlToken(tmp_path)) == (
        f"{tmp_path} is not a regular file; run `fluidctl login`"
    )
    empty = _file(tmp_path, " \n")
    assert _refresh_error(FluidctlToken(empty)) == f"{empty} is empty; run `fluidctl login`"
    big = _file(tmp_path, "a" * (MAX_TOKEN_FILE + 1))
    assert _refresh_error(FluidctlToken(big)) == (
        f"{big} is larger than a token (65,536 bytes at most); run `fluidctl login`"
    )
    at_limit = _file(tmp_path, "a" * MAX_TOKEN_FILE)  # not too large: too long a token
    assert _refresh_error(FluidctlToken(at_limit)) == (
        f"{at_limit} does not hold a token; run `fluidctl login`"
    )
    not_utf8 = _file(tmp_path, b"tok\xff\xfe")
    assert _refresh_error(FluidctlToken(not_utf8)) == (
        f"{not_utf8} does not hold a token; run `fluidctl login`"
    )


def test_an_unreadable_file_without_an_error_text_names_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, "tok-0123456789")

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError()  # no strerror

    monkeypatch.setattr(Path, "open", refuse)
    assert _refresh_error(FluidctlToken(path)) == (
        f"no fluidctl token at {path} (PermissionError); run `fluidctl login`"
    )


def test_a_huge_token_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "token"
    with path.open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    path.chmod(0o600)
    tracemalloc.start()
    try:
        _refresh_error(FluidctlToken(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


@pytest.mark.parametrize("mode", MODES)
def test_a_file_readable_by_others_warns_from_the_client(
    mode: str, tmp_path: Path, server: ScriptedServer
) -> None:
    path = _file(tmp_path, "tok-0123456789", mode=0o644)
    server.default = Reply(json=[])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(mode, server.url, lambda fs: fs.keys.list(), token=FluidctlToken(path))
    (warning,) = [w for w in caught if "can be read by other users" in str(w.message)]
    assert str(warning.message) == (
        f"{path} can be read by other users (mode -rw-r--r--); `chmod 600 {path}`"
    )
    # Attributed to whoever drives the provider's refresh, not to the provider's module.
    assert os.path.basename(warning.filename) != "_credentials.py"


@pytest.mark.parametrize(
    ("claims", "expiry"),
    [
        ({"exp": 1700000000}, 1700000000.0),
        ({"exp": 1.5e9}, 1.5e9),
        ({"exp": 1e20}, 1e11),
        ({"exp": 0}, None),
        ({"exp": -5}, None),
        ({"exp": True}, None),
        ({"exp": "1700000000"}, None),
        ({"sub": "x"}, None),
        (["exp", 1], None),
        ("exp", None),
    ],
)
def test_jwt_expiry(claims: Any, expiry: float | None) -> None:
    assert jwt_expiry(jwt(claims)) == expiry


def test_jwt_expiry_of_things_that_are_no_jwt() -> None:
    assert jwt_expiry("plain-token") is None
    assert jwt_expiry("a.b") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry("a.bm90IGpzb24.c") is None  # "not json"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exp", [True, -5, 0])
def test_a_jwt_with_a_nonsense_exp_is_used_as_never_expiring(
    mode: str, exp: object, tmp_path: Path, server: ScriptedServer
) -> None:
    token = jwt({"exp": exp})
    server.default = Reply(json=[])
    run(mode, server.url, lambda fs: fs.keys.list(), token=FluidctlToken(_file(tmp_path, token)))
    assert server.last.headers["authorization"] == f"Bearer {token}"
