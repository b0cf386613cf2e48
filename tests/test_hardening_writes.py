"""Issue 8, sections 1, 4 and 5, against real loopback servers, sync and async.

1. A write happens once and is reported truthfully: a write answered with a 3xx is
   never re-sent (not to the Location, not by a retry) and raises `RedirectError`;
   GET redirects are followed only on loopback/https, a few times, with the token
   only for the client's own origin; only the spec's documented 2xx is success.
4. Everything raised is a `FluidstackError`: redirect loops, bodies labelled gzip
   that are not, bodies nested 100,000 deep, 70,000-character ids, lone
   surrogates, an `AsyncFluidstack` reused after its event loop ended.
5. Every request passes the same checks: `generated_client()` cannot send
   `DELETE /user` by way of `..`.

Answers come from `HostileServer` (raw sockets; every request recorded with its
headers) or `ScriptedServer`. Building a client costs tens of milliseconds (its TLS
context), so most tests make several calls on one client, each call marked
(`status-NNN` in its path or body) so that the server's record shows what each
one sent.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import re
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest
import samples
import yaml
from clients import FAST, MODES, TOKEN, chain, outcomes, run
from hostile_server import Conn, HostileServer, Request, refused_port
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AsyncFluidstack,
    BadRequestError,
    ConflictError,
    Fluidstack,
    FluidstackError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RedirectError,
    SSHKey,
)
from fluidstack_client._generated.api.instances import get_instance
from fluidstack_client._generated.api.invitations import create_invitation, delete_invitation
from fluidstack_client._generated.api.members import delete_member, update_member
from fluidstack_client._generated.api.user import deregister_key, register_key
from fluidstack_client._generated.models import (
    CreateInvitationBody,
    UpdateMemberBody,
    UpdateMemberBodyRole,
)
from fluidstack_client._generated.models import SSHKey as GeneratedSSHKey

E = TypeVar("E", bound=BaseException)
Scenario = Callable[[Any], Any]
Answer = Callable[[Conn], None]
Route = tuple[int, bytes, dict[str, str]]

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
LOGIN_PAGE = b"<!doctype html><html><body><form action=/login>Sign in</form></body></html>"
KEYS_BODY = json.dumps([samples.SSH_KEY]).encode()
LAPTOP = SSHKey(name="laptop", key=samples.SSH_KEY["key"])
REDIRECTS = [301, 302, 303, 307, 308]


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _hostile_pool() -> Iterator[list[HostileServer]]:
    # Started once: stopping one waits out its accept loop's 50 ms poll.
    servers = [HostileServer(lambda conn: conn.close()).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def hostile(_hostile_pool: list[HostileServer]) -> Callable[[Answer], HostileServer]:
    """`hostile(answer)`: a raw-socket server on 127.0.0.1 answering with `answer`,
    with no requests recorded yet (up to two per test, on different ports)."""
    free = list(_hostile_pool)

    def serve(answer: Answer) -> HostileServer:
        server = free.pop(0)
        with server._lock:
            server.requests.clear()
        server.answer = answer
        return server

    return serve


def routes(table: dict[tuple[str, str], Route]) -> Answer:
    """Answer each (method, path) as the table says; anything else is a JSON 404."""

    def answer(conn: Conn) -> None:
        request = conn.request
        status, body, headers = table.get(
            (request.method, request.path), (404, b'{"message": "no such route"}', JSON)
        )
        conn.respond(status, body, headers)

    return answer


def always(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    def answer(conn: Conn) -> None:
        conn.respond(status, body, headers)

    return answer


def marked(request: Request) -> int | None:
    """The status a call asked for by putting `status-NNN` in its path or body."""
    found = re.search(rb"status-(\d{3})", request.path.encode() + b" " + request.body)
    return int(found[1]) if found else None


def sent(server: HostileServer, status: int) -> list[Request]:
    """The requests the server got from the call marked `status`."""
    return [r for r in server.requests if marked(r) == status]


def expect(outcome: object, cls: type[E], case: object = "") -> E:
    """`outcome` is an error of type `cls` (and a FluidstackError)."""
    assert isinstance(outcome, FluidstackError), f"{case}: expected {cls.__name__}, got {outcome!r}"
    assert isinstance(outcome, cls), f"{case}: expected {cls.__name__}, got {outcome!r}"
    return outcome


def raises(cls: type[E], mode: str, url: str, call: Scenario, **options: Any) -> E:
    (outcome,) = outcomes(mode, url, [call], **options)
    return expect(outcome, cls)


def generated(module: ModuleType, *args: Any, **kwargs: Any) -> Scenario:
    """A call of a generated endpoint function through `generated_client()`:
    `sync_detailed` with `Fluidstack`, `asyncio_detailed` with `AsyncFluidstack`."""

    def call(fs: Any) -> Any:
        client = fs.generated_client()
        if isinstance(fs, Fluidstack):
            return module.sync_detailed(*args, client=client, **kwargs)
        return module.asyncio_detailed(*args, client=client, **kwargs)

    return call


def raw(method: str, path: str) -> Scenario:
    """A hand-made request through the httpx side of `generated_client()`."""

    def call(fs: Any) -> Any:
        client = fs.generated_client()
        if isinstance(fs, Fluidstack):
            return client.get_httpx_client().request(method, path)
        return client.get_async_httpx_client().request(method, path)

    return call


# -- 1. a redirected write is never re-sent and never reported as done ------------------

# call name -> (method, path of the call marked with `status`, the call)
WRITES: dict[str, tuple[str, Callable[[int], str], Callable[[int], Scenario]]] = {
    "invitations.create": (
        "POST",
        lambda status: "/invitations",
        lambda status: lambda fs: fs.invitations.create(email=f"status-{status}@acme.io"),
    ),
    "keys.register": (
        "POST",
        lambda status: "/user/keys",
        lambda status: (
            lambda fs: fs.keys.register(name=f"status-{status}", key=samples.SSH_KEY["key"])
        ),
    ),
    "members.update": (
        "PATCH",
        lambda status: f"/members/status-{status}",
        lambda status: lambda fs: fs.members.update(f"status-{status}", role="admin"),
    ),
    "members.delete": (
        "DELETE",
        lambda status: f"/members/status-{status}",
        lambda status: lambda fs: fs.members.delete(f"status-{status}"),
    ),
    "invitations.delete": (
        "DELETE",
        lambda status: f"/invitations/status-{status}",
        lambda status: lambda fs: fs.invitations.delete(f"status-{status}"),
    ),
    "keys.deregister": (
        "DELETE",
        lambda status: f"/user/keys/status-{status}",
        lambda status: lambda fs: fs.keys.deregister(f"status-{status}"),
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", ["invitations.create", "keys.register"])
def test_post_redirected_to_a_refused_port_is_sent_once_and_raises(
    mode: str, call: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The bug: the second hop's ConnectError read as "never sent", so the POST that
    # the server had already accepted was retried: the server saw it 3 times.
    _, path_of, call_for = WRITES[call]
    location = f"http://127.0.0.1:{refused_port()}/accepted-elsewhere"

    def answer(conn: Conn) -> None:
        conn.respond(marked(conn.request) or 500, b"", {"Location": location})

    server = hostile(answer)

    # FAST allows two retries: none may happen.
    results = outcomes(mode, server.url, [call_for(status) for status in REDIRECTS])

    for status, outcome in zip(REDIRECTS, results, strict=True):
        exc = expect(outcome, RedirectError, status)
        assert isinstance(exc, APIStatusError)
        assert exc.status_code == status
        assert exc.location == location
        assert f"POST {server.url}{path_of(status)}: {status} " in str(exc)
        assert location in str(exc)
        assert [r.method for r in sent(server, status)] == ["POST"], status
    assert server.count() == len(REDIRECTS)  # nothing else: no GET, no second POST


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", ["invitations.create", "keys.register"])
def test_post_redirected_to_a_login_page_is_not_reported_as_done(
    mode: str, call: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The bug: a POST answered 302/303 to /login was followed as a GET to the login
    # page, whose 200 made create()/register() return None as if it had worked.
    _, _, call_for = WRITES[call]

    def answer(conn: Conn) -> None:
        if conn.request.path == "/login":
            conn.respond(200, LOGIN_PAGE, HTML)
        else:
            conn.respond(marked(conn.request) or 500, b"", {"Location": "/login"})

    server = hostile(answer)

    results = outcomes(mode, server.url, [call_for(status) for status in REDIRECTS])

    for status, outcome in zip(REDIRECTS, results, strict=True):
        exc = expect(outcome, RedirectError, status)
        assert exc.status_code == status
        assert exc.location == "/login"
        assert f": {status} " in str(exc)
        assert f"{server.url}/login" in str(exc)
        assert len(sent(server, status)) == 1, status
    assert server.count("GET") == 0
    assert server.count("POST", "/login") == 0
    assert server.count() == len(REDIRECTS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "call", ["members.update", "members.delete", "invitations.delete", "keys.deregister"]
)
def test_patch_and_delete_redirected_to_login_are_sent_once_and_raise(
    mode: str, call: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    method, path_of, call_for = WRITES[call]

    def answer(conn: Conn) -> None:
        if conn.request.path == "/login":  # what would pass for each write's success
            conn.respond(204, b"") if conn.request.method == "DELETE" else conn.respond(
                200, LOGIN_PAGE, HTML
            )
        else:
            conn.respond(marked(conn.request) or 500, b"", {"Location": "/login"})

    server = hostile(answer)

    results = outcomes(mode, server.url, [call_for(status) for status in REDIRECTS])

    for status, outcome in zip(REDIRECTS, results, strict=True):
        exc = expect(outcome, RedirectError, status)
        assert exc.status_code == status
        assert f"{method} {server.url}{path_of(status)}: {status} " in str(exc)
        assert f"{server.url}/login" in str(exc)
        assert [(r.method, r.path) for r in sent(server, status)] == [(method, path_of(status))]
    assert server.count() == len(REDIRECTS)  # nothing went to /login


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "location",
    ["http://host:abc/", "https://[::1/x", "https://" + "a" * 70_000 + "/"],
    ids=["bad-port", "bad-ipv6", "70000-chars"],
)
def test_unparseable_location_is_reported_and_the_request_is_sent_once(
    mode: str, location: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    calls: dict[tuple[str, str], Scenario] = {
        ("POST", "/invitations"): lambda fs: fs.invitations.create(email="a@acme.io"),
        ("PATCH", "/members/m-1"): lambda fs: fs.members.update("m-1", role="admin"),
        ("DELETE", "/user/keys/x"): lambda fs: fs.keys.deregister("x"),
        ("GET", "/user/keys"): lambda fs: fs.keys.list(),
    }
    server = hostile(always(302, b"", {"Location": location}))

    results = outcomes(mode, server.url, list(calls.values()))

    # httpx raises while parsing the Location (the response is lost with it), so the
    # status cannot be named; what matters: sent once, never retried, never success.
    counts = {(method, path): server.count(method, path) for method, path in calls}
    assert counts == dict.fromkeys(calls, 1)
    for (method, _), outcome in zip(calls, results, strict=True):
        exc = expect(outcome, APIConnectionError, method)
        assert "redirect whose Location is not a valid URL" in str(exc)
        assert "not retried" in str(exc)


# -- 1. GET redirects: followed on loopback, token only to its origin, bounded ----------


@pytest.mark.parametrize("mode", MODES)
def test_get_follows_a_same_origin_redirect_with_the_token(
    mode: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    def answer(conn: Conn) -> None:
        if conn.request.path.startswith("/v2/"):
            conn.respond(200, KEYS_BODY, JSON)
        else:  # the n-th GET /user/keys is answered with the n-th redirect status
            status = REDIRECTS[server.count("GET", "/user/keys") - 1]
            conn.respond(status, b"", {"Location": f"/v2/user/keys/status-{status}"})

    server = hostile(answer)

    results = outcomes(mode, server.url, [lambda fs: fs.keys.list()] * len(REDIRECTS))

    assert results == [[LAPTOP]] * len(REDIRECTS)
    assert [r.path for r in server.requests] == [
        path for status in REDIRECTS for path in ("/user/keys", f"/v2/user/keys/status-{status}")
    ]
    assert [r.headers.get("authorization") for r in server.requests] == [
        f"Bearer {TOKEN}"
    ] * server.count()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("other_host", ["127.0.0.1", "localhost"])
def test_get_redirect_to_another_origin_is_not_followed(
    mode: str, other_host: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # An answer from another origin (a /regions table, say) would be trusted as the
    # API's own, so a read is never taken there: not even without the token.
    other = hostile(routes({("GET", "/mirror/keys"): (200, KEYS_BODY, JSON)}))

    def answer(conn: Conn) -> None:
        if conn.request.path == "/user/keys":
            # Same host, other port; or this server's own port under another host name.
            port = other.port if other_host == "127.0.0.1" else home.port
            conn.respond(307, b"", {"Location": f"http://{other_host}:{port}/mirror/keys"})
        else:
            conn.respond(200, KEYS_BODY, JSON)

    home = hostile(answer)

    exc = raises(RedirectError, mode, home.url, lambda fs: fs.keys.list())

    assert "another origin" in str(exc)
    first = home.requests[0]
    assert (first.path, first.headers.get("authorization")) == ("/user/keys", f"Bearer {TOKEN}")
    assert other.requests == []
    assert [r.path for r in home.requests] == ["/user/keys"]


@pytest.mark.parametrize("mode", MODES)
def test_get_redirect_to_plain_http_off_loopback_is_refused_before_connecting(
    mode: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    location = "http://example.invalid/user/keys"
    server = hostile(always(302, b"", {"Location": location}))

    # Had it been followed, resolving example.invalid would have failed: an
    # APIConnectionError (and retried).
    exc = raises(RedirectError, mode, server.url, lambda fs: fs.keys.list())

    assert not isinstance(exc, APIConnectionError)
    assert exc.status_code == 302
    assert exc.location == location
    assert location in str(exc)
    assert "another origin" in str(exc)
    assert server.count() == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["self", "ping-pong"])
def test_redirect_loop_raises_redirect_error_after_a_few_hops(
    mode: str, shape: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The bug: a raw httpx.TooManyRedirects, after 21 requests.
    def answer(conn: Conn) -> None:
        path = conn.request.path
        target = path if shape == "self" else ("/b" if path != "/b" else "/user/keys")
        conn.respond(302, b"", {"Location": target})

    server = hostile(answer)

    exc = raises(RedirectError, mode, server.url, lambda fs: fs.keys.list())

    assert exc.status_code == 302
    assert "redirect" in str(exc)
    # One attempt (a redirect is not retried): the request and at most 5 redirects.
    assert 2 <= server.count("GET") <= 6
    assert server.count() == server.count("GET")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("hops", "succeeds"), [(5, True), (6, False)])
def test_get_follows_at_most_five_redirects(
    mode: str, hops: int, succeeds: bool, hostile: Callable[[Answer], HostileServer]
) -> None:
    table: dict[tuple[str, str], Route] = {
        ("GET", f"/hop/{i}" if i else "/user/keys"): (302, b"", {"Location": f"/hop/{i + 1}"})
        for i in range(hops)
    }
    table["GET", f"/hop/{hops}"] = (200, KEYS_BODY, JSON)
    server = hostile(routes(table))

    if succeeds:
        assert run(mode, server.url, lambda fs: fs.keys.list()) == [LAPTOP]
        assert server.count() == hops + 1
    else:
        raises(RedirectError, mode, server.url, lambda fs: fs.keys.list())
        assert server.count() == 6


@pytest.mark.parametrize("mode", MODES)
def test_get_redirect_without_location_is_a_redirect_error(
    mode: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    server = hostile(always(302, b'{"message": "moved"}', JSON))
    exc = raises(RedirectError, mode, server.url, lambda fs: fs.keys.list())
    assert exc.location is None
    assert "without a Location" in str(exc)
    assert server.count() == 1


# -- 1. only the spec's documented 2xx is success, for every operation ------------------

SPEC = yaml.safe_load((Path(__file__).resolve().parent.parent / "spec/openapi.yaml").read_text())
SPEC_SUCCESS: dict[str, set[int]] = {
    op["operationId"]: {int(code) for code in op["responses"] if str(code).startswith("2")}
    for item in SPEC["paths"].values()
    for op in item.values()
}

# operationId -> (the call, a body valid for its documented success)
OPERATIONS: dict[str, tuple[Scenario, Any]] = {
    "ListRegions": (lambda fs: fs.regions.list(), [samples.REGION]),
    "ListClusters": (lambda fs: fs.clusters.list(), [samples.CLUSTER]),
    "ListOrganizations": (lambda fs: fs.organizations.list(), [samples.ORGANIZATION]),
    "ListMembers": (lambda fs: fs.members.list(), [samples.MEMBER]),
    "UpdateMember": (lambda fs: fs.members.update("m-1", role="editor"), None),
    "DeleteMember": (lambda fs: fs.members.delete("m-1"), None),
    "CreateInvitation": (lambda fs: fs.invitations.create(email="bob@acme.io"), None),
    "ListInvitations": (lambda fs: fs.invitations.list(), [samples.INVITATION]),
    "DeleteInvitation": (lambda fs: fs.invitations.delete("inv-1"), None),
    "ListInstances": (lambda fs: fs.instances.list(), [samples.INSTANCE]),
    "GetInstance": (lambda fs: fs.instances.get(samples.INSTANCE_ID), samples.INSTANCE),
    "ListKeys": (lambda fs: fs.keys.list(), [samples.SSH_KEY]),
    "RegisterKey": (lambda fs: fs.keys.register(name="laptop", key=samples.SSH_KEY["key"]), None),
    "DeregisterKey": (lambda fs: fs.keys.deregister("laptop"), None),
}
SUCCESS_LIKE = [200, 201, 202, 203, 204, 206]


def test_the_table_covers_every_operation_of_the_spec(spec: dict[str, Any]) -> None:
    operations = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert set(OPERATIONS) == operations == set(SPEC_SUCCESS)
    assert all(len(success) == 1 for success in SPEC_SUCCESS.values())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation", sorted(SPEC_SUCCESS))
def test_every_undocumented_2xx_is_a_validation_error(
    mode: str, operation: str, server: ScriptedServer
) -> None:
    call, body = OPERATIONS[operation]
    (documented,) = SPEC_SUCCESS[operation]
    statuses = [status for status in SUCCESS_LIKE if status != documented]
    # Each body is the one the documented status would carry: only the status is wrong.
    server.queue(*(Reply(status, None if status == 204 else body) for status in statuses))

    results = outcomes(mode, server.url, [call] * len(statuses))

    for status, outcome in zip(statuses, results, strict=True):
        exc = expect(outcome, APIResponseValidationError, status)
        assert type(exc) is APIResponseValidationError
        assert exc.status_code == status
        assert re.match(rf"{status}\b", exc.message), exc.message
        assert re.search(rf"\b{documented}\b", exc.message), exc.message  # what the spec says
    assert len(server.requests) == len(statuses)  # a 2xx is never retried


ISSUE_CASES: dict[str, tuple[Scenario, Route]] = {
    "invitations.create answered 200": (
        lambda fs: fs.invitations.create(email="bob@acme.io"),
        (200, json.dumps(samples.INVITATION).encode(), JSON),
    ),
    "keys.deregister answered 200 with HTML": (
        lambda fs: fs.keys.deregister("laptop"),
        (200, LOGIN_PAGE, HTML),
    ),
    "members.update answered 202": (
        lambda fs: fs.members.update("m-1", role="admin"),
        (202, b"", {}),
    ),
    "keys.register answered 201": (
        lambda fs: fs.keys.register(name="laptop", key=samples.SSH_KEY["key"]),
        (201, json.dumps(samples.SSH_KEY).encode(), JSON),
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(ISSUE_CASES))
def test_the_issues_undocumented_2xx_on_writes_raise(
    mode: str, case: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The bug: each of these returned None, as if the write had succeeded as documented.
    call, (status, body, headers) = ISSUE_CASES[case]
    server = hostile(always(status, body, headers))

    exc = raises(APIResponseValidationError, mode, server.url, call)

    assert exc.status_code == status
    assert f": {status} " in str(exc)
    assert exc.response.content == body
    assert server.count() == 1


@pytest.mark.parametrize("mode", MODES)
def test_generated_client_also_accepts_only_the_documented_2xx(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(200)  # CreateInvitation documents 201
    call = generated(create_invitation, body=CreateInvitationBody(email="bob@acme.io"))

    exc = raises(APIResponseValidationError, mode, server.url, call)

    assert exc.status_code == 200
    assert len(server.requests) == 1


# -- 5. generated_client() requests pass the same checks ---------------------------------

PATH_ESCAPES: dict[str, Scenario] = {
    "deregister_key('..')": generated(deregister_key, ".."),
    "deregister_key('.')": generated(deregister_key, "."),
    "deregister_key('')": generated(deregister_key, ""),
    "deregister_key('a\\nb')": generated(deregister_key, "a\nb"),
    "delete_member('..')": generated(delete_member, ".."),
    "delete_member('.')": generated(delete_member, "."),
    "delete_invitation('..')": generated(delete_invitation, ".."),
    "update_member('..')": generated(
        update_member, "..", body=UpdateMemberBody(role=UpdateMemberBodyRole.ADMIN)
    ),
    "get_instance('..')": generated(get_instance, ".."),
}


@pytest.mark.parametrize("mode", MODES)
def test_generated_client_checks_path_parameters_before_sending(
    mode: str, server: ScriptedServer
) -> None:
    # The bug: deregister_key.asyncio_detailed("..") sent an authenticated DELETE /user.
    server.default = Reply(204)  # what a server answering DELETE /user might say

    results = outcomes(mode, server.url, list(PATH_ESCAPES.values()))

    for case, outcome in zip(PATH_ESCAPES, results, strict=True):
        exc = expect(outcome, InvalidParameterError, case)
        assert isinstance(exc, ValueError)
    assert [(r.method, r.path) for r in server.requests] == []


RAW_PATHS = [
    ("DELETE", "/user"),
    ("DELETE", "/user/keys/.."),
    ("DELETE", "/user/keys/%2e%2E"),
    ("DELETE", "/user/keys/a/../.."),
    ("GET", "/admin"),
    ("GET", "https://evil.example/user/keys"),
]


@pytest.mark.parametrize("mode", MODES)
def test_generated_clients_httpx_side_sends_only_spec_operations(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(204)

    results = outcomes(mode, server.url, [raw(method, path) for method, path in RAW_PATHS])

    for case, outcome in zip(RAW_PATHS, results, strict=True):
        expect(outcome, InvalidParameterError, case)
    assert [(r.method, r.path) for r in server.requests] == []


# -- 4. one error family: bad arguments ------------------------------------------------

LONG = "a" * 70_000

LONG_IDS: dict[str, Scenario] = {
    "keys.deregister": lambda fs: fs.keys.deregister(LONG),
    "members.delete": lambda fs: fs.members.delete(LONG),
    "members.update": lambda fs: fs.members.update(LONG, role="admin"),
    "invitations.delete": lambda fs: fs.invitations.delete(LONG),
    "instances.get": lambda fs: fs.instances.get(LONG),
    "generated get_instance": generated(get_instance, LONG),
    "generated deregister_key": generated(deregister_key, LONG),
    "generated delete_member": generated(delete_member, LONG),
    "generated update_member": generated(
        update_member, LONG, body=UpdateMemberBody(role=UpdateMemberBodyRole.ADMIN)
    ),
}


@pytest.mark.parametrize("mode", MODES)
def test_a_70000_character_id_is_an_invalid_parameter(mode: str, server: ScriptedServer) -> None:
    # The bug: httpx.InvalidURL ("URL too long") escaped raw.
    server.default = Reply(204)

    results = outcomes(mode, server.url, list(LONG_IDS.values()))

    for case, outcome in zip(LONG_IDS, results, strict=True):
        exc = expect(outcome, InvalidParameterError, case)
        assert len(str(exc)) < 1_000, case  # the id is not repeated in full
    assert server.requests == []


SURROGATES: dict[str, Scenario] = {
    "keys.register name": lambda fs: fs.keys.register(name="lap\ud800top", key="ssh-ed25519 AAA"),
    "keys.register key": lambda fs: fs.keys.register(name="laptop", key="ssh-ed25519 \ud800"),
    "keys.deregister": lambda fs: fs.keys.deregister("\ud800"),
    "invitations.create": lambda fs: fs.invitations.create(email="\ud800@acme.io"),
    "members.delete": lambda fs: fs.members.delete("m-\udfff"),
    # Through the send path: the generated function hands the body over as is.
    "generated register_key": generated(
        register_key, body=GeneratedSSHKey(name="\ud800", key="ssh-ed25519 AAA")
    ),
}


@pytest.mark.parametrize("mode", MODES)
def test_a_lone_surrogate_is_an_invalid_parameter(mode: str, server: ScriptedServer) -> None:
    # The bug: UnicodeEncodeError escaped raw.
    server.default = Reply(200)

    results = outcomes(mode, server.url, list(SURROGATES.values()))

    for case, outcome in zip(SURROGATES, results, strict=True):
        expect(outcome, InvalidParameterError, case)
    assert server.requests == []


# -- 4. one error family: bad bodies ---------------------------------------------------

NOT_GZIP = b'[{"name": "laptop"}] -- this was never compressed'
BAD_ENCODINGS: dict[str, tuple[str, bytes]] = {
    "gzip, not gzip": ("gzip", NOT_GZIP),
    "deflate, not deflate": ("deflate", NOT_GZIP),
    "gzip, truncated": ("gzip", gzip.compress(KEYS_BODY)[:-8]),  # all the JSON, no trailer
    "gzip, then garbage": ("gzip", gzip.compress(KEYS_BODY)[:20] + b"\xff" * 64),
}
# The success of each call, so that only the encoding is wrong. (Only ListKeys: the
# writes' successes carry no body, which is therefore not read; see below.)
DECODE_CALLS: dict[tuple[str, str], tuple[int, Scenario]] = {
    ("GET", "/user/keys"): (200, lambda fs: fs.keys.list()),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD_ENCODINGS))
def test_a_success_body_that_does_not_decode_is_a_validation_error(
    mode: str, case: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The bug: httpx.DecodingError escaped raw.
    encoding, body = BAD_ENCODINGS[case]
    headers = {**JSON, "Content-Encoding": encoding}
    server = hostile(
        routes({key: (status, body, headers) for key, (status, _) in DECODE_CALLS.items()})
    )

    results = outcomes(mode, server.url, [call for _, call in DECODE_CALLS.values()])

    for (key, (status, _)), outcome in zip(DECODE_CALLS.items(), results, strict=True):
        exc = expect(outcome, APIResponseValidationError, key)
        assert exc.status_code == status
        assert re.search(r"gzip|deflate|compress", str(exc)), str(exc)
        assert server.count(*key) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_success_body_that_decodes_is_still_accepted(
    mode: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The other side of the cases above: real gzip and deflate work.
    bodies = [gzip.compress(KEYS_BODY), zlib.compress(KEYS_BODY)]

    def answer(conn: Conn) -> None:
        encoding = ["gzip", "deflate"][server.count() - 1]
        conn.respond(200, bodies[server.count() - 1], {**JSON, "Content-Encoding": encoding})

    server = hostile(answer)

    assert outcomes(mode, server.url, [lambda fs: fs.keys.list()] * 2) == [[LAPTOP]] * 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFoundError), (400, BadRequestError), (503, InternalServerError)],
)
def test_an_error_body_that_does_not_decode_is_still_the_typed_status_error(
    mode: str, status: int, error: type[APIStatusError], hostile: Callable[[Answer], HostileServer]
) -> None:
    server = hostile(always(status, NOT_GZIP, {**JSON, "Content-Encoding": "gzip"}))
    exc = raises(error, mode, server.url, lambda fs: fs.keys.deregister("laptop"), max_retries=0)
    assert type(exc) is error
    assert exc.status_code == status
    assert server.count() == 1


DEEP = b"[" * 100_000


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "error", "requests"),
    [(404, NotFoundError, 1), (400, BadRequestError, 1), (503, InternalServerError, 3)],
)
def test_an_error_body_nested_100000_deep_is_the_typed_status_error(
    mode: str,
    status: int,
    error: type[APIStatusError],
    requests: int,
    hostile: Callable[[Answer], HostileServer],
) -> None:
    # The bug: RecursionError escaped raw from parsing the error body.
    server = hostile(always(status, DEEP, JSON))

    exc = raises(error, mode, server.url, lambda fs: fs.instances.get(samples.INSTANCE_ID))

    assert type(exc) is error
    assert exc.status_code == status
    assert exc.body is None
    assert len(str(exc)) < 1_000
    assert server.count() == requests  # FAST: the 503 is retried twice, a 4xx never


@pytest.mark.parametrize("mode", MODES)
def test_a_success_body_nested_deep_is_a_validation_error(
    mode: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    bodies = [DEEP, b'{"a":' * 100_000, b"[" * 50_000 + b"]" * 50_000]

    def answer(conn: Conn) -> None:
        conn.respond(200, bodies[server.count() - 1], JSON)

    server = hostile(answer)

    results = outcomes(mode, server.url, [lambda fs: fs.keys.list()] * len(bodies))

    for outcome in results:
        exc = expect(outcome, APIResponseValidationError)
        assert exc.status_code == 200
        assert len(str(exc)) < 1_000
    assert server.count() == len(bodies)


# -- 4. one error family: a client used where it cannot work ---------------------------


def test_async_client_reused_after_its_event_loop_ended_says_so(server: ScriptedServer) -> None:
    # The bug: the second asyncio.run() failed with a raw "RuntimeError: Event loop is
    # closed" from deep inside httpx/anyio.
    server.default = Reply(json=[samples.SSH_KEY], headers={"Connection": "close"})
    fs = AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST)

    assert asyncio.run(fs.keys.list()) == [LAPTOP]  # a real call in the first loop
    with pytest.raises(FluidstackError) as info:
        asyncio.run(fs.keys.list())  # and in the second

    message = str(info.value)
    assert "event loop" in message
    assert "closed" in message
    assert "asyncio.run" in message  # says what to do
    assert len(server.requests) == 1  # the second call sent nothing
    asyncio.run(fs.aclose())  # no connection was kept: nothing belongs to the dead loop


def test_closing_an_async_client_after_its_event_loop_ended_is_not_a_raw_runtime_error(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.default = Reply(json=[samples.SSH_KEY])  # kept alive: the pool holds a connection
    client: list[AsyncFluidstack] = [AsyncFluidstack(TOKEN, base_url=server.url)]
    assert asyncio.run(client[0].keys.list()) == [LAPTOP]
    problem = None
    try:
        asyncio.run(client[0].aclose())  # should close quietly, or say what happened
    except FluidstackError:
        pass
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    finally:
        # The connection belongs to the dead loop: have it collected now, quietly,
        # rather than warn during some later test.
        client.clear()
        monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    assert problem is None, problem


@pytest.mark.parametrize("mode", MODES)
def test_a_closed_client_raises_and_sends_nothing(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[samples.SSH_KEY])

    def close(fs: Any) -> Any:
        return fs.close() if isinstance(fs, Fluidstack) else fs.aclose()

    results = outcomes(
        mode, server.url, [lambda fs: fs.keys.list(), close, lambda fs: fs.keys.list()]
    )

    assert results[:2] == [[LAPTOP], None]
    assert str(expect(results[2], FluidstackError)) == "this client has been closed"
    assert len(server.requests) == 1


# -- review findings: a write is answered only by its own response ----------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_write_never_reads_bytes_sent_before_it(
    mode: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # A server (or a proxy) that sends more than an answer's length leaves the rest
    # in the connection; had the write reused that connection, the stale `201` would
    # have been read as its answer and a refused invitation reported as created.
    stale = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"

    def answer(conn: Conn) -> None:
        if conn.request.method == "GET":
            conn.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2\r\n\r\n[]" + stale
            )
        else:
            conn.respond(409, b'{"message": "already invited"}', JSON)

    server = hostile(answer)

    def scenario(fs: Any) -> Any:
        return chain(lambda fs: fs.keys.list(), lambda fs: fs.invitations.create(email="a@b.io"))(
            fs
        )

    with pytest.raises(ConflictError, match="already invited"):
        run(mode, server.url, scenario)
    assert server.count("POST", "/invitations") == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD_ENCODINGS))
def test_a_write_whose_success_has_no_body_is_not_failed_by_one(
    mode: str, case: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # The spec gives these successes no body, so none is read: a body that would not
    # decode (or an encoding we do not support) cannot turn a done write into an
    # error that invites a retry.
    encoding, body = BAD_ENCODINGS[case]
    writes: dict[tuple[str, str], tuple[int, Scenario]] = {
        ("POST", "/user/keys"): (
            200,
            lambda fs: fs.keys.register(name="laptop", key=samples.SSH_KEY["key"]),
        ),
        ("POST", "/invitations"): (201, lambda fs: fs.invitations.create(email="a@b.io")),
        ("PATCH", "/members/m-1"): (200, lambda fs: fs.members.update("m-1", role="viewer")),
    }
    headers = {**JSON, "Content-Encoding": encoding}
    server = hostile(routes({key: (status, body, headers) for key, (status, _) in writes.items()}))
    server_br = hostile(
        routes(
            {key: (status, b"", {"Content-Encoding": "br"}) for key, (status, _) in writes.items()}
        )
    )
    for target in (server, server_br):
        results = outcomes(mode, target.url, [call for _, call in writes.values()])
        assert results == [None] * len(writes), results
        assert all(target.count(*key) == 1 for key in writes)
