"""ClientCredentials (OAuth client credentials): the token request, the endpoint's
refusals and their messages (the client secret scrubbed from every one), how long a
token is kept and its renewal before expiry or after a 401, shared by concurrent
callers, clients and event loops, and the token endpoint's own failures and retries.
Token endpoints and APIs are real servers on 127.0.0.1: the bundled fake, a
ScriptedServer or a HostileServer answering as a token endpoint would."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
import pickle
import threading
import time
import traceback
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import httpx
import pytest
from support.auth_tokens import (
    ACCESS_TOKEN,
    API_PATH,
    BAD_SECRET,
    JSON,
    TOKEN_PATH,
    Clock,
    api_requests,
    bearer,
    creds_for,
    escaped,
    exception_chain,
    forms,
    holders,
    hostile_creds,
    jwt_from,
    token_endpoint,
    token_reply,
    token_requests,
    write_token,
)
from support.clients import FAST
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply, ScriptedServer
from support.threads import at_once

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
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    RegionNotFoundError,
    ResponseTooLargeError,
    RetryPolicy,
    TokenProvider,
    _sync_backend,
)
from fluidstack_client._credentials import (
    DEFAULT_AUDIENCE,
    DEFAULT_TOKEN_URL,
    CallableToken,
    CredentialsUnavailable,
    Refresh,
    StaticToken,
    refresh_margin,
)
from fluidstack_client._generated.management.api.organizations import list_organizations
from fluidstack_client._redact import REDACTED, Redactor, Secret
from fluidstack_client.testing import FakeAPI, FakeServer, serve

SECRET = "cs_live_9f8e7d6c5b4a"
# Form-encodes to itself: what a server echoes is exactly this text.
PLAIN_SECRET = "cs-SECRET-0123456789abcdefXYZ"
NO_RETRY = RetryPolicy(max_retries=0)


def credentials(token_server: ScriptedServer, **kwargs: Any) -> ClientCredentials:
    """ClientCredentials("svc-id", SECRET) for a ScriptedServer acting as the endpoint."""
    return ClientCredentials(
        "svc-id", SECRET, token_url=f"{token_server.url}/oauth/token", **kwargs
    )


async def names(fs: AsyncFluidstack) -> list[str]:
    return [k.name for k in await fs.keys.list()]


def names_from_threads(fs: Fluidstack, calls: int, threads: int) -> list[list[str]]:
    """`calls` concurrent `keys.list()` calls from a pool of `threads` threads."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: [k.name for k in fs.keys.list()], range(calls)))


# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_id", "secret", "message"),
    [
        ("", SECRET, "client_id must be a non-empty string"),
        ("  ", SECRET, "client_id must be a non-empty string"),
        (None, SECRET, "client_id must be a non-empty string"),
        ("svc", "", "client_secret must be a non-empty string"),
        ("svc-id", "  ", "client_secret must be a non-empty string"),
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


def test_default_token_url_and_audience_are_fluidstacks_tenant() -> None:
    creds = ClientCredentials("svc-id", BAD_SECRET)
    assert (
        str(creds.token_url) == DEFAULT_TOKEN_URL == "https://fluidstack.us.auth0.com/oauth/token"
    )
    assert creds.audience == DEFAULT_AUDIENCE == "https://api.fluidstack.io"


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


# -- the token request and its answers ------------------------------------------------------


async def test_the_token_request_is_a_form_post_asking_for_json(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.queue(token_reply())
    server.default = Reply(json=[])
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        await fs.keys.list()
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
    assert server.last.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_token_request_goes_over_the_clients_own_http_client(
    served_fake: FakeServer,
) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async with (
        httpx.AsyncClient(event_hooks={"request": [hook]}) as http,
        AsyncFluidstack(
            creds_for(served_fake.fake),
            base_url=served_fake.base_url,
            http_client=http,
            retry_policy=FAST,
        ) as fs,
    ):
        await fs.keys.list()
    assert seen == ["/oauth/token", "/api/v1alpha1/user/keys"]


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
async def test_acceptable_token_answers(
    reply: Reply, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = reply
    server.default = Reply(json=[])
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        assert await fs.keys.list() == []
    assert server.last.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


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


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
async def test_an_answer_that_is_not_a_bearer_token_is_refused(
    case: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = BAD_ANSWERS[case]
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    message = (
        "the token endpoint's answer is not an OAuth bearer token "
        "(access_token, expires_in, token_type)"
    )
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: 200 {message}"
    assert info.value.response.status_code == 200
    assert server.requests == []


async def test_an_access_token_that_cannot_be_sent_is_refused_saying_why(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(access_token="has a space")
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    message = (
        "the API token contains a character that cannot be sent in an HTTP header "
        "(whitespace, a control character or non-ASCII, at position 3); the token is not "
        "shown here"
    )
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: 200 {message}"


async def test_a_bad_answer_echoing_the_secret_is_kept_scrubbed(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    for access_token in ("null", '"has a space"'):  # not a bearer token; not sendable
        other_server.queue(
            Reply(body=f'{{"access_token": {access_token}, "debug": "{escaped(SECRET)}"}}'.encode())
        )
        async with AsyncFluidstack(
            credentials(other_server), base_url=server.url, retry_policy=FAST
        ) as fs:
            with pytest.raises(AuthenticationError) as info:
                await fs.keys.list()
        assert SECRET not in info.value.response.text
        assert info.value.body == {"access_token": json.loads(access_token), "debug": REDACTED}


HUGE_EXPIRY = (
    b'{"access_token":"tok-0123456789abcdef","token_type":"Bearer","expires_in":1'
    + b"0" * 400
    + b"}"
)
QUOTED_EXPIRY = json.dumps(
    {"access_token": "tok-0123456789abcdef", "token_type": "Bearer", "expires_in": "3600"}
).encode()


@pytest.mark.parametrize("layer", ["wrapper", "generated"])
@pytest.mark.parametrize("answer", [HUGE_EXPIRY, QUOTED_EXPIRY], ids=["10**400", "quoted"])
async def test_token_endpoint_expiry_too_large_or_quoted_is_accepted(
    layer: str, answer: bytes
) -> None:
    """Review finding b01/b15: an `expires_in` too large for a float raised
    OverflowError, and a quoted one was refused."""
    results: list[object] = []
    with token_endpoint(lambda conn: conn.respond(200, answer, JSON)) as srv:
        provider = hostile_creds(srv, PLAIN_SECRET)
        async with AsyncFluidstack(provider, base_url=srv.url + API_PATH, retry_policy=FAST) as fs:
            for _ in range(2):
                if layer == "wrapper":
                    results.append(await fs.organizations.list())
                else:
                    client = fs.generated_client()
                    response = await list_organizations.asyncio_detailed(client=client)
                    results.append(int(response.status_code))
        api = [r for r in srv.requests if r.path != TOKEN_PATH]
    expected: list[object] = [[], []] if layer == "wrapper" else [200, 200]
    assert results == expected
    assert srv.count(path=TOKEN_PATH) == 1  # kept (the lifetime clamped), not re-fetched
    assert [r.headers["authorization"] for r in api] == ["Bearer tok-0123456789abcdef"] * 2
    assert provider.current() is not None


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


def test_refresh_margin_shrinks_for_short_lifetimes() -> None:
    assert refresh_margin(3600) == 60
    assert refresh_margin(86400) == 60  # at most a minute early
    assert refresh_margin(2) == pytest.approx(0.2)
    assert refresh_margin(600) == 60


# -- refusals, and the client secret kept out of them ------------------------------------


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
async def test_a_refusal_says_what_the_token_endpoint_said(
    reply: Reply, reason: str | None, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = reply
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    if reason is None:
        fields = reply.json
        reason = ": ".join(str(fields[k]) for k in ("error", "error_description") if k in fields)
    message = f"the token endpoint refused the client credentials ({reason})"
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: {reply.status} {message}"
    assert info.value.status_code == reply.status
    assert len(other_server.requests) == 1  # a refusal is not retried
    assert server.requests == []


async def test_bad_client_secret_is_an_authentication_error_that_never_shows_it(
    served_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = served_fake.fake
    creds = creds_for(fake, BAD_SECRET)
    with caplog.at_level(logging.DEBUG):
        async with AsyncFluidstack(creds, base_url=served_fake.base_url, retry_policy=FAST) as fs:
            client_repr = repr(fs)
            with pytest.raises(AuthenticationError) as info:
                await fs.keys.list()

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
        client_repr,
        repr(exc.request.headers),
    ]
    blobs = [pickle.dumps(exc), exc.request.content, exc.response.content]
    for form in forms(BAD_SECRET):
        assert not [t for t in texts if form in t], form
        assert not [b for b in blobs if form.encode() in b], form


async def test_secret_echoed_by_the_token_endpoint_is_scrubbed(server: ScriptedServer) -> None:
    echo = " | ".join(forms(BAD_SECRET))
    server.queue(
        Reply(
            401,
            {"error": "access_denied", "error_description": f"bad secret {echo}"},
            headers={"X-Echo": quote_plus(BAD_SECRET)},
        )
    )
    creds = ClientCredentials("svc-id", BAD_SECRET, token_url=f"{server.url}/oauth/token")
    async with AsyncFluidstack(
        creds, base_url=f"{server.url}/api/v1alpha1", retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    exc = info.value
    assert "access_denied: bad secret [REDACTED]" in str(exc)
    texts = [str(exc), repr(exc), repr(exc.body), repr(exc.response.headers)]
    blobs = [pickle.dumps(exc), exc.response.content, exc.request.content if exc.request else b""]
    for form in forms(BAD_SECRET):
        assert not [t for t in texts if form in t], form
        assert not [b for b in blobs if form.encode() in b], form
    assert len(server.requests) == 1  # refused credentials are not retried


async def test_short_client_secret_is_not_kept_on_the_error_either(
    served_fake: FakeServer,
) -> None:
    short = "Zq7wX9k"
    async with AsyncFluidstack(
        creds_for(served_fake.fake, short), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    exc = info.value
    assert exc.request is not None
    assert short.encode() not in exc.request.content
    assert short.encode() not in pickle.dumps(exc)


async def test_a_secret_echoed_in_a_refusal_is_scrubbed_however_it_is_escaped(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = Reply(
        401,
        body=f'{{"error": "bad", "error_description": "secret {escaped(SECRET)}"}}'.encode(),
    )
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert info.value.message == (
        f"the token endpoint refused the client credentials (bad: secret {REDACTED})"
    )
    assert SECRET not in str(info.value.body)


REFUSALS = {
    "u-escapes": (
        f'{{"error":"invalid_client","error_description":"bad {escaped(PLAIN_SECRET)}"}}'.encode()
    ),
    "utf-16": json.dumps(
        {"error": "invalid_client", "error_description": f"bad {PLAIN_SECRET}"}
    ).encode("utf-16"),
}


@pytest.mark.parametrize("status", [400, 401])
@pytest.mark.parametrize("echo", sorted(REFUSALS))
async def test_token_refusal_echoing_the_client_secret_keeps_it_nowhere(
    status: int, echo: str
) -> None:
    """Review finding b05: a refusal kept the secret (\\u-escaped or UTF-16) in
    `exc.body`, and its context was the raw token request, client secret and all."""
    with token_endpoint(lambda conn: conn.respond(status, REFUSALS[echo], JSON)) as srv:
        async with AsyncFluidstack(
            hostile_creds(srv, PLAIN_SECRET), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            with pytest.raises(AuthenticationError) as info:
                await fs.organizations.list()
        assert srv.count(path=TOKEN_PATH) == 1
    exc = info.value
    assert exc.status_code == status
    assert exc.body == {"error": "invalid_client", "error_description": "bad [REDACTED]"}
    assert "invalid_client" in str(exc)
    for text in (str(exc), repr(exc), "".join(traceback.format_exception(exc))):
        assert PLAIN_SECRET not in text
    blob = pickle.dumps(exc)
    assert PLAIN_SECRET.encode() not in blob
    assert pickle.loads(blob).body == exc.body
    # Raised outside the except clause: no context holding the token request as sent.
    assert exc.__context__ is None
    assert exc.__cause__ is None
    assert holders(exc, PLAIN_SECRET) == []


@pytest.mark.parametrize("echo", sorted(REFUSALS))
async def test_token_refusal_response_does_not_decode_to_the_client_secret(echo: str) -> None:
    """Found by the b05 tests: the refusal kept the raw body on `exc.response`, whose
    `.json()` decoded a secret echoed \\u-escaped or in UTF-16."""
    with token_endpoint(lambda conn: conn.respond(401, REFUSALS[echo], JSON)) as srv:
        async with AsyncFluidstack(
            hostile_creds(srv, PLAIN_SECRET), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            with pytest.raises(AuthenticationError) as info:
                await fs.organizations.list()
    assert PLAIN_SECRET not in json.dumps(info.value.response.json())


async def test_the_client_secret_is_scrubbed_from_api_answers_too(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply()
    server.default = Reply(403, {"message": f"client {SECRET} may not"})
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(PermissionDeniedError) as info:
            await fs.keys.list()
    assert info.value.message == f"client {REDACTED} may not"


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


@pytest.mark.parametrize("with_response", [False, True])
async def test_a_providers_own_secret_is_scrubbed_from_its_failure(
    with_response: bool, server: ScriptedServer
) -> None:
    async with AsyncFluidstack(
        Vaulted(with_response), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    said = f"vault said no to {REDACTED}"
    if with_response:
        assert info.value.message == said
        assert info.value.status_code == 403
    else:
        assert info.value.message == f"{said} (nothing was sent)"
        assert info.value.status_code == 401
        assert info.value.response.status_code == 401
    assert server.requests == []


def refused_slowly(conn: Conn) -> None:
    time.sleep(0.3)  # every caller joins this one fetch
    conn.respond(401, b'{"error":"access_denied"}', JSON)


def no_shared_objects(errors: list[BaseException]) -> None:
    """No object shared between two of the errors anywhere in their chains (a shared one
    grows a traceback with every raiser's frames, and may hold the token request)."""
    assert len({id(e) for e in errors}) == len(errors)
    reached = [id(item) for e in errors for item in exception_chain(e)]
    assert len(reached) == len(set(reached))
    assert all(e.__context__ is None for e in errors)


def check_distinct_refusals(srv: HostileServer, errors: list[object]) -> None:
    assert srv.count(path=TOKEN_PATH) == 1
    assert len(errors) == 20
    refused = [e for e in errors if isinstance(e, AuthenticationError)]
    assert len(refused) == 20, errors
    no_shared_objects(list(refused))


@pytest.mark.async_only
async def test_waiters_on_a_refused_token_fetch_raise_distinct_exceptions() -> None:
    """Review finding b12: the waiters of a refused fetch shared one context object.
    Twenty calls gathered on one event loop (the threads' case is the next test)."""
    with token_endpoint(refused_slowly) as srv:
        async with AsyncFluidstack(
            hostile_creds(srv, PLAIN_SECRET), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            calls = (fs.organizations.list() for _ in range(20))
            results = await asyncio.gather(*calls, return_exceptions=True)
        check_distinct_refusals(srv, [r if isinstance(r, BaseException) else None for r in results])


def test_waiters_on_a_refused_token_fetch_raise_distinct_exceptions_in_threads() -> None:
    """Review finding b12, with twenty threads calling the sync client at once."""
    with token_endpoint(refused_slowly) as srv:
        with Fluidstack(
            hostile_creds(srv, PLAIN_SECRET), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            errors = at_once(20, fs.organizations.list)
        check_distinct_refusals(srv, errors)


# -- kept until shortly before expiry, renewed once for every caller ---------------------


def check_one_renewal_for_the_burst(fake: FakeAPI, results: list[list[str]], calls: int) -> None:
    """The burst after the first call: all served, all with one new token."""
    seeded = [k["name"] for k in fake.keys]
    assert len(results) == calls
    assert all(r == seeded for r in results)
    assert fake.token_requests == 2
    api = api_requests(fake)
    assert len(api) == calls + 1  # no call was refused and sent again
    first, rest = bearer(api[0]), {bearer(r) for r in api[1:]}
    assert len(rest) == 1  # every call of the burst carries the new token
    assert first not in rest


# The fake's tokens live an hour (so the server never refuses one mid-burst); the client's
# clock is moved past the renewal point instead of waiting for it. A 2-second token would
# expire again *during* the burst on a slow machine (1,000 calls on loopback take seconds),
# which would rightly cost a third request.


@pytest.mark.slow
@pytest.mark.async_only
async def test_thousand_concurrent_calls_across_an_expiry_make_one_token_request(
    clock: Clock,
) -> None:
    """A thousand calls gathered on one event loop (the threads' case is the next test)."""
    fake = FakeAPI(token_lifetime=3600)
    with serve(fake) as server:
        async with AsyncFluidstack(
            creds_for(fake), base_url=server.base_url, retry_policy=FAST
        ) as fs:
            await names(fs)
            assert fake.token_requests == 1
            clock.offset = 3600 - refresh_margin(3600) + 1  # the cached token is now due
            results = await asyncio.gather(*(names(fs) for _ in range(1000)))
    check_one_renewal_for_the_burst(fake, list(results), 1000)


@pytest.mark.slow
def test_thousand_concurrent_calls_across_an_expiry_make_one_token_request_in_threads(
    clock: Clock,
) -> None:
    fake = FakeAPI(token_lifetime=3600)
    with (
        serve(fake) as server,
        Fluidstack(creds_for(fake), base_url=server.base_url, retry_policy=FAST) as fs,
    ):
        fs.keys.list()
        assert fake.token_requests == 1
        clock.offset = 3600 - refresh_margin(3600) + 1  # the cached token is now due
        results = names_from_threads(fs, 1000, threads=50)
    check_one_renewal_for_the_burst(fake, results, 1000)


@pytest.mark.async_only
async def test_a_hundred_concurrent_calls_across_an_expiry_make_one_token_request(
    clock: Clock,
) -> None:
    """The thousand-call case's check at a size the mutation run keeps (found by review:
    the slow variants left it out): one renewal shared by a burst, no 401, no re-send."""
    fake = FakeAPI(token_lifetime=3600)
    with serve(fake) as server:
        async with AsyncFluidstack(
            creds_for(fake), base_url=server.base_url, retry_policy=FAST
        ) as fs:
            await names(fs)
            clock.offset = 3600 - refresh_margin(3600) + 1  # the cached token is now due
            results = await asyncio.gather(*(names(fs) for _ in range(100)))
    check_one_renewal_for_the_burst(fake, list(results), 100)


def test_a_hundred_concurrent_calls_across_an_expiry_make_one_token_request_in_threads(
    clock: Clock,
) -> None:
    fake = FakeAPI(token_lifetime=3600)
    with (
        serve(fake) as server,
        Fluidstack(creds_for(fake), base_url=server.base_url, retry_policy=FAST) as fs,
    ):
        fs.keys.list()
        clock.offset = 3600 - refresh_margin(3600) + 1  # the cached token is now due
        results = names_from_threads(fs, 100, threads=20)
    check_one_renewal_for_the_burst(fake, results, 100)


def check_renewed_once_before_expiry(fake: FakeAPI, results: list[list[str]]) -> None:
    assert all(r == [k["name"] for k in fake.keys] for r in results)
    assert fake.token_requests == 2
    api = api_requests(fake)
    assert len(api) == 105  # renewed before the server would refuse: no 401, no re-send
    assert len({bearer(r) for r in api[:5]}) == 1
    assert len({bearer(r) for r in api[5:]}) == 1
    assert bearer(api[0]) != bearer(api[5])


@pytest.mark.slow
@pytest.mark.async_only
async def test_two_second_token_is_reused_then_renewed_once_for_concurrent_callers() -> None:
    """Real time, a real 2-second token: reused for its first 1.8 s, renewed once after
    by a hundred calls gathered on one event loop (the threads' case is the next test)."""
    fake = FakeAPI(token_lifetime=2)
    with serve(fake) as server:
        async with AsyncFluidstack(
            creds_for(fake), base_url=server.base_url, retry_policy=FAST
        ) as fs:
            await names(fs)
            fetched = time.monotonic()
            for _ in range(4):  # several calls within the first second
                await names(fs)
                await asyncio.sleep(0.15)
            assert time.monotonic() - fetched < 1.5
            assert fake.token_requests == 1
            await asyncio.sleep(max(0.0, fetched + 1.85 - time.monotonic()))
            results = await asyncio.gather(*(names(fs) for _ in range(100)))
    check_renewed_once_before_expiry(fake, list(results))


@pytest.mark.slow
def test_two_second_token_is_reused_then_renewed_once_for_concurrent_callers_in_threads() -> None:
    """Real time, a real 2-second token: reused for its first 1.8 s, renewed once after
    by a hundred calls from twenty threads."""
    fake = FakeAPI(token_lifetime=2)
    with (
        serve(fake) as server,
        Fluidstack(creds_for(fake), base_url=server.base_url, retry_policy=FAST) as fs,
    ):
        fs.keys.list()
        fetched = time.monotonic()
        for _ in range(4):  # several calls within the first second
            fs.keys.list()
            time.sleep(0.15)
        assert time.monotonic() - fetched < 1.5
        assert fake.token_requests == 1
        time.sleep(max(0.0, fetched + 1.85 - time.monotonic()))
        results = names_from_threads(fs, 100, threads=20)
    check_renewed_once_before_expiry(fake, results)


async def test_a_token_expired_on_arrival_still_serves_a_region_lookup(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(expires_in=0.001)
    server.default = Reply(json=[{"name": "r1", "url": server.url}])
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=FAST
    ) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            await fs.region("r2")
    assert info.value.known == ["r1"]


class _Preempted(ClientCredentials):
    """ClientCredentials whose `current()`, in the thread named "late", pauses right
    after finding no good token: a thread preempted between that check and joining
    the refresh, while another thread renews the token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.noticed = threading.Event()
        self.resume = threading.Event()

    def current(self) -> Secret | None:
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


@pytest.mark.async_only
async def test_async_refresh_does_not_block_the_event_loop() -> None:
    fake = FakeAPI()
    fake.add_latency(0.3, route="OAuthToken")
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0.01)
            ticks += 1

    with serve(fake) as server:
        async with AsyncFluidstack(creds_for(fake), base_url=server.base_url) as fs:
            task = asyncio.ensure_future(ticker())
            await fs.keys.list()  # waits ~0.3 s for its token
            done = True
            await task
    assert ticks >= 10  # the loop kept running while the token was fetched


# -- a 401: the token is renewed and the request sent once more ------------------------


async def test_revoked_token_on_a_get_is_refreshed_and_the_call_succeeds(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await names(fs)
        fake.revoke_tokens()
        keys = await names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 2
    ops = [r.operation for r in fake.requests]
    assert ops == ["OAuthToken", "ListKeys", "ListKeys", "OAuthToken", "ListKeys"]
    refused, retried = fake.requests[2], fake.requests[4]
    assert bearer(refused) == bearer(fake.requests[1])
    assert bearer(retried) != bearer(refused)


async def test_revoked_token_on_a_post_is_refreshed_and_the_key_registered_once(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    name = "laptop-0123"
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await names(fs)
        fake.revoke_tokens()
        await fs.keys.register(name=name, key="ssh-ed25519 AAAAC3Nza laptop")
        keys = await names(fs)  # the new token is kept: no further request

    registers = [r for r in fake.requests if r.operation == "RegisterKey"]
    assert len(registers) == 2  # once refused with 401, once carried out
    assert bearer(registers[0]) != bearer(registers[1])
    assert registers[0].json() == {"name": name, "key": "ssh-ed25519 AAAAC3Nza laptop"}
    assert registers[1].json() == registers[0].json()
    assert [k["name"] for k in fake.keys].count(name) == 1
    assert keys.count(name) == 1
    assert fake.token_requests == 2


@pytest.mark.parametrize("operation", ["ListKeys", "RegisterKey"])
async def test_a_second_401_is_raised_after_one_refresh(
    operation: str, served_fake: FakeServer
) -> None:
    fake = served_fake.fake
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await names(fs)
        fake.fail_next(2, status=401, route=operation)
        if operation == "ListKeys":
            with pytest.raises(AuthenticationError) as info:
                await names(fs)
        else:
            with pytest.raises(AuthenticationError) as info:
                await fs.keys.register(name="refused", key="ssh-ed25519 AAAA")

    exc = info.value
    assert exc.status_code == 401
    assert "a fresh client-credentials token was refused too" in str(exc)
    assert fake.token_requests == 2  # the first token, and exactly one refresh
    assert sum(1 for r in fake.requests if r.operation == operation) == (
        2 if operation == "RegisterKey" else 3
    )
    assert "refused" not in [k["name"] for k in fake.keys]


def check_one_refresh_after_the_revocation(fake: FakeAPI, results: list[list[str]]) -> None:
    assert len(results) == 50
    assert all(r == [k["name"] for k in fake.keys] for r in results)
    assert fake.token_requests == 2


@pytest.mark.async_only
async def test_concurrent_calls_refused_after_a_revocation_share_one_refresh(
    served_fake: FakeServer,
) -> None:
    """Fifty calls gathered on one event loop (the threads' case is the next test)."""
    fake = served_fake.fake
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await names(fs)
        fake.revoke_tokens()
        results = await asyncio.gather(*(names(fs) for _ in range(50)))
    check_one_refresh_after_the_revocation(fake, list(results))


def test_concurrent_calls_refused_after_a_revocation_share_one_refresh_in_threads(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    with Fluidstack(creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        fs.keys.list()
        fake.revoke_tokens()
        results = names_from_threads(fs, 50, threads=20)
    check_one_refresh_after_the_revocation(fake, results)


async def test_a_401_whose_refresh_fails_says_why(server: ScriptedServer) -> None:
    server.queue(
        Reply(json={"access_token": "at-first-0123456789", "expires_in": 3600}),
        Reply(401, {"message": "token expired"}),
        Reply(400, {"error": "invalid_client", "error_description": "client disabled"}),
    )
    creds = ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")
    async with AsyncFluidstack(creds, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 401 token expired (and no new token: the token "
        "endpoint refused the client credentials (invalid_client: client disabled))"
    )


async def test_after_a_refresh_another_refusal_is_reported_as_it_is(
    server: ScriptedServer,
) -> None:
    # Refreshed once; the 403 that follows is not a refused token.
    server.queue(
        Reply(json={"access_token": "at-first-0123456789", "expires_in": 3600}),
        Reply(401, {"message": "token expired"}),
        Reply(json={"access_token": "at-second-0123456789", "expires_in": 3600}),
        Reply(403, {"message": "not in this project"}),
    )
    creds = ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")
    async with AsyncFluidstack(creds, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(PermissionDeniedError) as info:
            await fs.keys.list()
    assert str(info.value) == f"GET {server.url}/user/keys: 403 not in this project"


async def test_write_refused_with_401_and_no_new_token_reports_the_servers_401(
    tmp_path: Path,
) -> None:
    """Review finding b14: a write refused with 401 whose renewal failed said "(nothing
    was sent)" and reported a made-up 401 instead of the server's."""
    path = write_token(
        tmp_path / "token", jwt_from(json.dumps({"exp": time.time() + 3600}).encode())
    )

    def answer(conn: Conn) -> None:
        # The person's session ended meanwhile: the file's token has expired too.
        write_token(path, jwt_from(json.dumps({"exp": time.time() - 100}).encode()))
        conn.respond(401, b'{"message":"token revoked"}', JSON)

    with HostileServer(answer) as srv:
        async with AsyncFluidstack(
            FluidctlToken(path), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            with pytest.raises(AuthenticationError) as info:
                await fs.invitations.create(email="someone@example.com", role="viewer")
        assert [r.method for r in srv.requests] == ["POST"]  # sent exactly once
    exc = info.value
    assert exc.status_code == 401
    assert exc.response.content == b'{"message":"token revoked"}'
    assert exc.body == {"message": "token revoked"}
    assert "token revoked" in str(exc)
    assert "no new token" in str(exc)
    assert "expired" in str(exc)
    assert "(nothing was sent)" not in str(exc)


# -- one provider shared by clients and event loops ------------------------------------


def test_one_provider_shared_by_a_sync_and_an_async_client_fetches_once(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    creds = creds_for(fake)
    with Fluidstack(creds, base_url=served_fake.base_url) as fs:
        fs.keys.list()

    async def main() -> None:
        async with AsyncFluidstack(creds, base_url=served_fake.base_url) as afs:
            await afs.keys.list()

    asyncio.run(main())
    assert fake.token_requests == 1
    first, second = api_requests(fake)
    assert bearer(first) == bearer(second)


@pytest.mark.async_only
async def test_one_provider_shared_by_async_clients_on_two_event_loops() -> None:
    """A client on this test's event loop starts the first token fetch; while it is in
    flight, a client on another loop (in another thread) asks for one too."""
    fake = FakeAPI()
    fake.add_latency(0.3, route="OAuthToken")
    with serve(fake) as server:
        creds = creds_for(fake)

        async def service() -> list[str]:
            async with AsyncFluidstack(creds, base_url=server.base_url) as fs:
                return await names(fs)

        first = asyncio.ensure_future(service())
        deadline = time.monotonic() + 5
        while fake.token_requests == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        second = asyncio.to_thread(asyncio.run, service())
        outcome = await asyncio.gather(first, second, return_exceptions=True)
    seeded = [k["name"] for k in fake.keys]
    assert list(outcome) == [seeded, seeded]


# -- the token endpoint's failures and retries ------------------------------------------


@pytest.mark.parametrize("fault", ["503", "429", "dropped connection"])
async def test_token_endpoint_transient_failures_are_retried(
    fault: str, served_fake: FakeServer
) -> None:
    fake = served_fake.fake
    if fault == "dropped connection":
        fake.drop_next(2, route="OAuthToken")
    else:
        fake.fail_next(2, status=int(fault), route="OAuthToken")
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        keys = await names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 3
    assert len(api_requests(fake)) == 1


async def test_token_endpoint_failing_past_the_retry_budget_is_an_error(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    fake.fail_next(10, status=503, route="OAuthToken")
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=2
    ) as fs:
        with pytest.raises(FluidstackError):
            await fs.keys.list()
    assert fake.token_requests == 3  # one try and max_retries=2 retries
    assert api_requests(fake) == []


async def test_a_failed_refresh_is_not_remembered(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    fake.fail_next(3, status=503, route="OAuthToken")
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=2
    ) as fs:
        with pytest.raises(FluidstackError):
            await fs.keys.list()
        keys = await names(fs)  # the endpoint is back: the next call fetches again
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 4
    assert len(api_requests(fake)) == 1


async def test_token_endpoint_unreachable_past_the_retry_budget_is_a_connection_error(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    fake.drop_next(10, route="OAuthToken")
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=2
    ) as fs:
        with pytest.raises(APIConnectionError) as info:
            await fs.keys.list()
    assert fake.token_requests == 3
    assert api_requests(fake) == []
    assert info.value.request is not None
    assert info.value.request.url.path == "/oauth/token"


async def test_token_endpoint_outage_is_not_reported_as_refused_credentials(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    fake.fail_next(10, status=503, route="OAuthToken")
    async with AsyncFluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=1
    ) as fs:
        with pytest.raises(APIStatusError) as info:
            await fs.keys.list()
    assert info.value.status_code == 503
    assert not isinstance(info.value, AuthenticationError)
    assert "refused the client credentials" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, InternalServerError), (503, InternalServerError), (429, RateLimitError)],
)
async def test_a_failing_token_endpoint_is_its_own_status_error(
    status: int,
    error: type[APIStatusError],
    server: ScriptedServer,
    other_server: ScriptedServer,
) -> None:
    other_server.default = Reply(
        status, body=f'{{"message": "down, {escaped(SECRET)} leaked"}}'.encode()
    )
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=NO_RETRY
    ) as fs:
        with pytest.raises(error) as info:
            await fs.keys.list()
    exc = info.value
    assert str(exc) == (
        f"POST {other_server.url}/oauth/token: {status} down, {REDACTED} leaked "
        "(from the token endpoint)"
    )
    assert SECRET not in exc.response.text
    assert exc.body == {"message": f"down, {REDACTED} leaked"}
    assert server.requests == []


async def test_a_token_answer_over_a_mebibyte_is_refused(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    """Issue 22: a token endpoint answers a few KB; its answer was held only to
    max_response_size (64 MiB by default)."""
    padding = "x" * (1024 * 1024)
    body = f'{{"access_token": "t", "expires_in": 3600, "pad": "{padding}"}}'.encode()
    other_server.default = Reply(body=body)
    async with AsyncFluidstack(
        credentials(other_server), base_url=server.url, retry_policy=NO_RETRY
    ) as fs:
        with pytest.raises(ResponseTooLargeError) as info:
            await fs.keys.list()
    assert str(info.value).endswith("(a token endpoint's answer is 1,048,576 bytes at most)")
    assert server.requests == []


# -- Ctrl-C during a sync fetch ----------------------------------------------------------


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
    monkeypatch: pytest.MonkeyPatch, served_fake: FakeServer
) -> None:
    """Review finding b12: a sync leader interrupted by Ctrl-C handed its
    KeyboardInterrupt to every waiter."""
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
    fake = served_fake.fake
    provider = InterruptedOnce(fake.token, waiters, joined)
    outcomes: dict[str, object] = {}

    def call(name: str, fs: Fluidstack) -> None:
        try:
            outcomes[name] = fs.organizations.list()
        except BaseException as exc:
            outcomes[name] = exc

    with Fluidstack(provider, base_url=served_fake.base_url) as fs:
        leader = threading.Thread(target=call, args=("leader", fs))
        leader.start()
        assert provider.leading.wait(10)
        others = [threading.Thread(target=call, args=(f"w{i}", fs)) for i in range(waiters)]
        for thread in others:
            thread.start()
        for thread in [leader, *others]:
            thread.join(20)
    assert isinstance(outcomes.pop("leader"), KeyboardInterrupt)
    assert len(outcomes) == waiters
    assert [type(o).__name__ for o in outcomes.values()] == ["list"] * waiters
    assert provider.refreshes == 2  # the interrupted fetch, then one for every waiter
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {fake.token}"}
