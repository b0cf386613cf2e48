# Derived from tests/auth/test_client_credentials.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""ClientCredentials (OAuth client credentials): the token request, the endpoint's
refusals and their messages (the client secret scrubbed from every one), how long a
token is kept and its renewal before expiry or after a 401, shared by concurrent
callers, clients and event loops, and the token endpoint's own failures and retries.
Token endpoints and APIs are real servers on 127.0.0.1: the bundled fake, a
ScriptedServer or a HostileServer answering as a token endpoint would."""

from __future__ import annotations

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

from fluidstack_client import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ClientCredentials,
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
)
from fluidstack_client._credentials import (
    DEFAULT_AUDIENCE,
    CredentialsUnavailable,
    Refresh,
)
from fluidstack_client._generated.management.api.organizations import list_organizations
from fluidstack_client._redact import REDACTED, Redactor, Secret
from fluidstack_client.testing import FakeAPI, FakeServer

SECRET = "cs_live_9f8e7d6c5b4a"
# Form-encodes to itself: what a server echoes is exactly this text.
PLAIN_SECRET = "cs-SECRET-0123456789abcdefXYZ"
NO_RETRY = RetryPolicy(max_retries=0)


def credentials(token_server: ScriptedServer, **kwargs: Any) -> ClientCredentials:
    """ClientCredentials("svc-id", SECRET) for a ScriptedServer acting as the endpoint."""
    return ClientCredentials(
        "svc-id", SECRET, token_url=f"{token_server.url}/oauth/token", **kwargs
    )


def names(fs: Fluidstack) -> list[str]:
    return [k.name for k in fs.keys.list()]


def names_from_threads(fs: Fluidstack, calls: int, threads: int) -> list[list[str]]:
    """`calls` concurrent `keys.list()` calls from a pool of `threads` threads."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: [k.name for k in fs.keys.list()], range(calls)))


# -- construction ---------------------------------------------------------------------------


# -- the token request and its answers ------------------------------------------------------


def test_the_token_request_is_a_form_post_asking_for_json(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.queue(token_reply())
    server.default = Reply(json=[])
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        fs.keys.list()
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


def test_token_request_goes_over_the_clients_own_http_client(
    served_fake: FakeServer,
) -> None:
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    with (
        httpx.Client(event_hooks={"request": [hook]}) as http,
        Fluidstack(
            creds_for(served_fake.fake),
            base_url=served_fake.base_url,
            http_client=http,
            retry_policy=FAST,
        ) as fs,
    ):
        fs.keys.list()
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
def test_acceptable_token_answers(
    reply: Reply, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = reply
    server.default = Reply(json=[])
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        assert fs.keys.list() == []
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
def test_an_answer_that_is_not_a_bearer_token_is_refused(
    case: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = BAD_ANSWERS[case]
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    message = (
        "the token endpoint's answer is not an OAuth bearer token "
        "(access_token, expires_in, token_type)"
    )
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: 200 {message}"
    assert info.value.response.status_code == 200
    assert server.requests == []


def test_an_access_token_that_cannot_be_sent_is_refused_saying_why(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(access_token="has a space")
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    message = (
        "the API token contains a character that cannot be sent in an HTTP header "
        "(whitespace, a control character or non-ASCII, at position 3); the token is not "
        "shown here"
    )
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: 200 {message}"


def test_a_bad_answer_echoing_the_secret_is_kept_scrubbed(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    for access_token in ("null", '"has a space"'):  # not a bearer token; not sendable
        other_server.queue(
            Reply(body=f'{{"access_token": {access_token}, "debug": "{escaped(SECRET)}"}}'.encode())
        )
        with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
            with pytest.raises(AuthenticationError) as info:
                fs.keys.list()
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
def test_token_endpoint_expiry_too_large_or_quoted_is_accepted(layer: str, answer: bytes) -> None:
    """Review finding b01/b15: an `expires_in` too large for a float raised
    OverflowError, and a quoted one was refused."""
    results: list[object] = []
    with token_endpoint(lambda conn: conn.respond(200, answer, JSON)) as srv:
        provider = hostile_creds(srv, PLAIN_SECRET)
        with Fluidstack(provider, base_url=srv.url + API_PATH, retry_policy=FAST) as fs:
            for _ in range(2):
                if layer == "wrapper":
                    results.append(fs.organizations.list())
                else:
                    client = fs.generated_client()
                    response = list_organizations.sync_detailed(client=client)
                    results.append(int(response.status_code))
        api = [r for r in srv.requests if r.path != TOKEN_PATH]
    expected: list[object] = [[], []] if layer == "wrapper" else [200, 200]
    assert results == expected
    assert srv.count(path=TOKEN_PATH) == 1  # kept (the lifetime clamped), not re-fetched
    assert [r.headers["authorization"] for r in api] == ["Bearer tok-0123456789abcdef"] * 2
    assert provider.current() is not None


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
def test_a_refusal_says_what_the_token_endpoint_said(
    reply: Reply, reason: str | None, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = reply
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    if reason is None:
        fields = reply.json
        reason = ": ".join(str(fields[k]) for k in ("error", "error_description") if k in fields)
    message = f"the token endpoint refused the client credentials ({reason})"
    assert info.value.message == message
    assert str(info.value) == f"POST {other_server.url}/oauth/token: {reply.status} {message}"
    assert info.value.status_code == reply.status
    assert len(other_server.requests) == 1  # a refusal is not retried
    assert server.requests == []


def test_bad_client_secret_is_an_authentication_error_that_never_shows_it(
    served_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = served_fake.fake
    creds = creds_for(fake, BAD_SECRET)
    with caplog.at_level(logging.DEBUG):
        with Fluidstack(creds, base_url=served_fake.base_url, retry_policy=FAST) as fs:
            client_repr = repr(fs)
            with pytest.raises(AuthenticationError) as info:
                fs.keys.list()

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


def test_secret_echoed_by_the_token_endpoint_is_scrubbed(server: ScriptedServer) -> None:
    echo = " | ".join(forms(BAD_SECRET))
    server.queue(
        Reply(
            401,
            {"error": "access_denied", "error_description": f"bad secret {echo}"},
            headers={"X-Echo": quote_plus(BAD_SECRET)},
        )
    )
    creds = ClientCredentials("svc-id", BAD_SECRET, token_url=f"{server.url}/oauth/token")
    with Fluidstack(creds, base_url=f"{server.url}/api/v1alpha1", retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    exc = info.value
    assert "access_denied: bad secret [REDACTED]" in str(exc)
    texts = [str(exc), repr(exc), repr(exc.body), repr(exc.response.headers)]
    blobs = [pickle.dumps(exc), exc.response.content, exc.request.content if exc.request else b""]
    for form in forms(BAD_SECRET):
        assert not [t for t in texts if form in t], form
        assert not [b for b in blobs if form.encode() in b], form
    assert len(server.requests) == 1  # refused credentials are not retried


def test_short_client_secret_is_not_kept_on_the_error_either(
    served_fake: FakeServer,
) -> None:
    short = "Zq7wX9k"
    with Fluidstack(
        creds_for(served_fake.fake, short), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    exc = info.value
    assert exc.request is not None
    assert short.encode() not in exc.request.content
    assert short.encode() not in pickle.dumps(exc)


def test_a_secret_echoed_in_a_refusal_is_scrubbed_however_it_is_escaped(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = Reply(
        401,
        body=f'{{"error": "bad", "error_description": "secret {escaped(SECRET)}"}}'.encode(),
    )
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
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
def test_token_refusal_echoing_the_client_secret_keeps_it_nowhere(status: int, echo: str) -> None:
    """Review finding b05: a refusal kept the secret (\\u-escaped or UTF-16) in
    `exc.body`, and its context was the raw token request, client secret and all."""
    with token_endpoint(lambda conn: conn.respond(status, REFUSALS[echo], JSON)) as srv:
        with Fluidstack(
            hostile_creds(srv, PLAIN_SECRET), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            with pytest.raises(AuthenticationError) as info:
                fs.organizations.list()
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
def test_token_refusal_response_does_not_decode_to_the_client_secret(echo: str) -> None:
    """Found by the b05 tests: the refusal kept the raw body on `exc.response`, whose
    `.json()` decoded a secret echoed \\u-escaped or in UTF-16."""
    with token_endpoint(lambda conn: conn.respond(401, REFUSALS[echo], JSON)) as srv:
        with Fluidstack(
            hostile_creds(srv, PLAIN_SECRET), base_url=srv.url + API_PATH, retry_policy=FAST
        ) as fs:
            with pytest.raises(AuthenticationError) as info:
                fs.organizations.list()
    assert PLAIN_SECRET not in json.dumps(info.value.response.json())


def test_the_client_secret_is_scrubbed_from_api_answers_too(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply()
    server.default = Reply(403, {"message": f"client {SECRET} may not"})
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(PermissionDeniedError) as info:
            fs.keys.list()
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
def test_a_providers_own_secret_is_scrubbed_from_its_failure(
    with_response: bool, server: ScriptedServer
) -> None:
    with Fluidstack(Vaulted(with_response), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
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


def check_renewed_once_before_expiry(fake: FakeAPI, results: list[list[str]]) -> None:
    assert all(r == [k["name"] for k in fake.keys] for r in results)
    assert fake.token_requests == 2
    api = api_requests(fake)
    assert len(api) == 105  # renewed before the server would refuse: no 401, no re-send
    assert len({bearer(r) for r in api[:5]}) == 1
    assert len({bearer(r) for r in api[5:]}) == 1
    assert bearer(api[0]) != bearer(api[5])


def test_a_token_expired_on_arrival_still_serves_a_region_lookup(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    other_server.default = token_reply(expires_in=0.001)
    server.default = Reply(json=[{"name": "r1", "url": server.url}])
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            fs.region("r2")
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


# -- a 401: the token is renewed and the request sent once more ------------------------


def test_revoked_token_on_a_get_is_refreshed_and_the_call_succeeds(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    with Fluidstack(creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        names(fs)
        fake.revoke_tokens()
        keys = names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 2
    ops = [r.operation for r in fake.requests]
    assert ops == ["OAuthToken", "ListKeys", "ListKeys", "OAuthToken", "ListKeys"]
    refused, retried = fake.requests[2], fake.requests[4]
    assert bearer(refused) == bearer(fake.requests[1])
    assert bearer(retried) != bearer(refused)


def test_revoked_token_on_a_post_is_refreshed_and_the_key_registered_once(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    name = "laptop-0123"
    with Fluidstack(creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        names(fs)
        fake.revoke_tokens()
        fs.keys.register(name=name, key="ssh-ed25519 AAAAC3Nza laptop")
        keys = names(fs)  # the new token is kept: no further request

    registers = [r for r in fake.requests if r.operation == "RegisterKey"]
    assert len(registers) == 2  # once refused with 401, once carried out
    assert bearer(registers[0]) != bearer(registers[1])
    assert registers[0].json() == {"name": name, "key": "ssh-ed25519 AAAAC3Nza laptop"}
    assert registers[1].json() == registers[0].json()
    assert [k["name"] for k in fake.keys].count(name) == 1
    assert keys.count(name) == 1
    assert fake.token_requests == 2


@pytest.mark.parametrize("operation", ["ListKeys", "RegisterKey"])
def test_a_second_401_is_raised_after_one_refresh(operation: str, served_fake: FakeServer) -> None:
    fake = served_fake.fake
    with Fluidstack(creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        names(fs)
        fake.fail_next(2, status=401, route=operation)
        if operation == "ListKeys":
            with pytest.raises(AuthenticationError) as info:
                names(fs)
        else:
            with pytest.raises(AuthenticationError) as info:
                fs.keys.register(name="refused", key="ssh-ed25519 AAAA")

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


def test_a_401_whose_refresh_fails_says_why(server: ScriptedServer) -> None:
    server.queue(
        Reply(json={"access_token": "at-first-0123456789", "expires_in": 3600}),
        Reply(401, {"message": "token expired"}),
        Reply(400, {"error": "invalid_client", "error_description": "client disabled"}),
    )
    creds = ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")
    with Fluidstack(creds, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 401 token expired (and no new token: the token "
        "endpoint refused the client credentials (invalid_client: client disabled))"
    )


def test_after_a_refresh_another_refusal_is_reported_as_it_is(
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
    with Fluidstack(creds, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(PermissionDeniedError) as info:
            fs.keys.list()
    assert str(info.value) == f"GET {server.url}/user/keys: 403 not in this project"


def test_write_refused_with_401_and_no_new_token_reports_the_servers_401(
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
        with Fluidstack(FluidctlToken(path), base_url=srv.url + API_PATH, retry_policy=FAST) as fs:
            with pytest.raises(AuthenticationError) as info:
                fs.invitations.create(email="someone@example.com", role="viewer")
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


# -- the token endpoint's failures and retries ------------------------------------------


@pytest.mark.parametrize("fault", ["503", "429", "dropped connection"])
def test_token_endpoint_transient_failures_are_retried(fault: str, served_fake: FakeServer) -> None:
    fake = served_fake.fake
    if fault == "dropped connection":
        fake.drop_next(2, route="OAuthToken")
    else:
        fake.fail_next(2, status=int(fault), route="OAuthToken")
    with Fluidstack(creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        keys = names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 3
    assert len(api_requests(fake)) == 1


def test_token_endpoint_failing_past_the_retry_budget_is_an_error(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    fake.fail_next(10, status=503, route="OAuthToken")
    with Fluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=2
    ) as fs:
        with pytest.raises(FluidstackError):
            fs.keys.list()
    assert fake.token_requests == 3  # one try and max_retries=2 retries
    assert api_requests(fake) == []


def test_a_failed_refresh_is_not_remembered(served_fake: FakeServer) -> None:
    fake = served_fake.fake
    fake.fail_next(3, status=503, route="OAuthToken")
    with Fluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=2
    ) as fs:
        with pytest.raises(FluidstackError):
            fs.keys.list()
        keys = names(fs)  # the endpoint is back: the next call fetches again
    assert keys == [k["name"] for k in fake.keys]
    assert fake.token_requests == 4
    assert len(api_requests(fake)) == 1


def test_token_endpoint_unreachable_past_the_retry_budget_is_a_connection_error(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    fake.drop_next(10, route="OAuthToken")
    with Fluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=2
    ) as fs:
        with pytest.raises(APIConnectionError) as info:
            fs.keys.list()
    assert fake.token_requests == 3
    assert api_requests(fake) == []
    assert info.value.request is not None
    assert info.value.request.url.path == "/oauth/token"


def test_token_endpoint_outage_is_not_reported_as_refused_credentials(
    served_fake: FakeServer,
) -> None:
    fake = served_fake.fake
    fake.fail_next(10, status=503, route="OAuthToken")
    with Fluidstack(
        creds_for(fake), base_url=served_fake.base_url, retry_policy=FAST, max_retries=1
    ) as fs:
        with pytest.raises(APIStatusError) as info:
            fs.keys.list()
    assert info.value.status_code == 503
    assert not isinstance(info.value, AuthenticationError)
    assert "refused the client credentials" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, InternalServerError), (503, InternalServerError), (429, RateLimitError)],
)
def test_a_failing_token_endpoint_is_its_own_status_error(
    status: int,
    error: type[APIStatusError],
    server: ScriptedServer,
    other_server: ScriptedServer,
) -> None:
    other_server.default = Reply(
        status, body=f'{{"message": "down, {escaped(SECRET)} leaked"}}'.encode()
    )
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=NO_RETRY) as fs:
        with pytest.raises(error) as info:
            fs.keys.list()
    exc = info.value
    assert str(exc) == (
        f"POST {other_server.url}/oauth/token: {status} down, {REDACTED} leaked "
        "(from the token endpoint)"
    )
    assert SECRET not in exc.response.text
    assert exc.body == {"message": f"down, {REDACTED} leaked"}
    assert server.requests == []


def test_a_token_answer_over_a_mebibyte_is_refused(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    """Issue 22: a token endpoint answers a few KB; its answer was held only to
    max_response_size (64 MiB by default)."""
    padding = "x" * (1024 * 1024)
    body = f'{{"access_token": "t", "expires_in": 3600, "pad": "{padding}"}}'.encode()
    other_server.default = Reply(body=body)
    with Fluidstack(credentials(other_server), base_url=server.url, retry_policy=NO_RETRY) as fs:
        with pytest.raises(ResponseTooLargeError) as info:
            fs.keys.list()
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
