"""Redirects: a read (GET) follows a 3xx only within the client's own origin (scheme,
host and effective port), at most five times, with the token; a write is never
re-sent anywhere and raises `RedirectError`; what each refusal's message says.

Answers come from real servers on 127.0.0.1: `ScriptedServer`, or `HostileServer`
(raw sockets, every request recorded with its headers). Tests that make several
calls on one client mark each call (`status-NNN` in its path or body) so that the
server's record shows what each one sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Generator, Iterator

import httpx
import pytest
from support import samples
from support.client_region import (
    API,
    INSTANCE,
    INSTANCE_ID,
    POSTS,
    PROJECT,
    PROJECT_ID,
    REGION_OPERATIONS,
)
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer, Request, refused_port
from support.scripted_server import Recorded, Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    APIStatusError,
    AsyncFluidstack,
    AsyncRegionClient,
    BadRequestError,
    RedirectError,
    SSHKey,
    TokenProvider,
)
from fluidstack_client._error_mapping import status_error
from fluidstack_client._redact import Secret
from fluidstack_client._redirects import MAX_REDIRECTS

Answer = Callable[[Conn], None]
Route = tuple[int, bytes, dict[str, str]]

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
LOGIN_PAGE = b"<!doctype html><html><body><form action=/login>Sign in</form></body></html>"
KEYS_BODY = json.dumps([samples.SSH_KEY]).encode()
LAPTOP = SSHKey(name="laptop", key=samples.SSH_KEY["key"])
REDIRECTS = [301, 302, 303, 307, 308]


# -- helpers -----------------------------------------------------------------------------


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


def _ok(conn: Conn) -> None:
    conn.respond(200, b"[]", JSON)


def _two_hops(location: Callable[[HostileServer], str]) -> Answer:
    """GET /user/keys is a 302 to `location(server)`; anything else is an empty list."""

    def answer(conn: Conn) -> None:
        if conn.request.path == "/user/keys":
            conn.respond(302, b"", {"Location": location(conn.server)})
        else:
            _ok(conn)

    return answer


def marked(request: Request) -> int | None:
    """The status a call asked for by putting `status-NNN` in its path or body."""
    found = re.search(rb"status-(\d{3})", request.path.encode() + b" " + request.body)
    return int(found[1]) if found else None


def sent(server: HostileServer, status: int) -> list[Request]:
    """The requests the server got from the call marked `status`."""
    return [r for r in server.requests if marked(r) == status]


async def _create_invitation(fs: AsyncFluidstack, status: int) -> None:
    await fs.invitations.create(email=f"status-{status}@acme.io")


async def _register_key(fs: AsyncFluidstack, status: int) -> None:
    await fs.keys.register(name=f"status-{status}", key=samples.SSH_KEY["key"])


async def _update_member(fs: AsyncFluidstack, status: int) -> None:
    await fs.members.update(f"status-{status}", role="admin")


async def _delete_member(fs: AsyncFluidstack, status: int) -> None:
    await fs.members.delete(f"status-{status}")


async def _delete_invitation(fs: AsyncFluidstack, status: int) -> None:
    await fs.invitations.delete(f"status-{status}")


async def _deregister_key(fs: AsyncFluidstack, status: int) -> None:
    await fs.keys.deregister(f"status-{status}")


Write = Callable[[AsyncFluidstack, int], Awaitable[None]]
# call name -> (method, path of the call marked `status-{status}`, the call)
WRITES: dict[str, tuple[str, str, Write]] = {
    "invitations.create": ("POST", "/invitations", _create_invitation),
    "keys.register": ("POST", "/user/keys", _register_key),
    "members.update": ("PATCH", "/members/status-{status}", _update_member),
    "members.delete": ("DELETE", "/members/status-{status}", _delete_member),
    "invitations.delete": ("DELETE", "/invitations/status-{status}", _delete_invitation),
    "keys.deregister": ("DELETE", "/user/keys/status-{status}", _deregister_key),
}


async def _redirect_errors(server: HostileServer, write: Write) -> list[RedirectError]:
    """`write` marked with each redirect status in turn, on one client: what each raised."""
    errors: list[RedirectError] = []
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for status in REDIRECTS:
            with pytest.raises(RedirectError) as info:
                await write(fs, status)
            errors.append(info.value)
    return errors


class SameOriginToken(TokenProvider):
    """A provider of a user's own that GETs its token from the API's own host."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def current(self) -> None:
        return None

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        response = yield httpx.Request("GET", self.url)
        return Secret(response.json()["token"])


# -- a read follows a redirect within its origin, token and all --------------------------


async def test_redirect_within_the_origin_keeps_the_token(server: ScriptedServer) -> None:
    server.queue(Reply(308, headers={"Location": "/v2/user/keys"}), Reply(json=[]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.list()
    assert [r.path for r in server.requests] == ["/user/keys", "/v2/user/keys"]
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("relative", [True, False])
async def test_redirect_within_the_origin_carries_the_token(
    relative: bool, hostile: Callable[[Answer], HostileServer]
) -> None:
    def location(s: HostileServer) -> str:
        return "/v2/user/keys" if relative else f"http://127.0.0.1:{s.port}/v2/user/keys"

    server = hostile(_two_hops(location))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert [r.path for r in server.requests] == ["/user/keys", "/v2/user/keys"]
    assert [r.headers.get("authorization") for r in server.requests] == [f"Bearer {TOKEN}"] * 2


async def test_get_follows_a_same_origin_redirect_with_the_token(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    def answer(conn: Conn) -> None:
        if conn.request.path.startswith("/v2/"):
            conn.respond(200, KEYS_BODY, JSON)
        else:  # the n-th GET /user/keys is answered with the n-th redirect status
            status = REDIRECTS[conn.server.count("GET", "/user/keys") - 1]
            conn.respond(status, b"", {"Location": f"/v2/user/keys/status-{status}"})

    server = hostile(answer)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        results = [await fs.keys.list() for _ in REDIRECTS]
    assert results == [[LAPTOP]] * len(REDIRECTS)
    assert [r.path for r in server.requests] == [
        path for status in REDIRECTS for path in ("/user/keys", f"/v2/user/keys/status-{status}")
    ]
    assert [r.headers.get("authorization") for r in server.requests] == [
        f"Bearer {TOKEN}"
    ] * server.count()


@pytest.mark.parametrize(
    ("base", "location", "keeps"),
    [
        ("http://localhost/api/v1alpha1", "https://localhost:443/api/v1alpha1/user/keys", False),
        ("http://localhost:80/api/v1alpha1", "https://localhost/api/v1alpha1/user/keys", False),
        ("http://localhost/api/v1alpha1", "http://localhost:80/api/v1alpha1/v2/user/keys", True),
        ("http://localhost:80/api/v1alpha1", "http://localhost/api/v1alpha1/v2/user/keys", True),
    ],
)
async def test_default_ports_on_a_redirect(base: str, location: str, keeps: bool) -> None:
    """Ports 80 and 443 cannot be bound in a test, so this hop goes through httpx's
    MockTransport: http://h:80 -> https://h:443 is another origin (not followed),
    http://h -> http://h:80 the same one."""
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("Authorization")))
        if len(seen) == 1:
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(200, json=[])

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        AsyncFluidstack(TOKEN, base_url=base, http_client=http, retry_policy=FAST) as fs,
    ):
        if keeps:  # the same origin, default port or not: followed, with the token
            assert await fs.keys.list() == []
        else:  # another origin (http:80 is not https:443): not followed at all
            with pytest.raises(RedirectError, match="another origin"):
                await fs.keys.list()
    if keeps:
        assert httpx.URL(seen[1][0]) == httpx.URL(location)
        assert seen[1][1] == f"Bearer {TOKEN}"
    else:
        assert len(seen) == 1
    assert seen[0][1] == f"Bearer {TOKEN}"


async def test_a_providers_token_request_follows_a_same_origin_redirect(
    server: ScriptedServer,
) -> None:
    def answer(request: Recorded) -> Reply:
        if request.path == "/token":
            return Reply(302, headers={"Location": "/token/v2"})
        if request.path == "/token/v2":
            return Reply(json={"token": "tok-from-v2-0123"})
        return Reply(json=[])

    server.default = answer
    provider = SameOriginToken(f"{server.url}/token")
    async with AsyncFluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
        assert await fs.keys.list() == []
    assert [r.path for r in server.requests] == ["/token", "/token/v2", "/user/keys"]
    assert "authorization" not in server.requests[0].headers
    assert "authorization" not in server.requests[1].headers
    assert server.last.headers["authorization"] == "Bearer tok-from-v2-0123"


# -- never to another origin -------------------------------------------------------------


async def test_redirect_to_another_origin_does_not_carry_the_token(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    # Not followed at all: an answer from another origin would be trusted as the API's.
    server.default = Reply(307, headers={"Location": f"{other_server.url}/user/keys"})
    other_server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError, match="another origin"):
            await fs.keys.list()
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert other_server.requests == []


async def test_a_redirect_to_another_origin_says_so(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(302, headers={"Location": f"{other_server.url}/user/keys"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 302 Found; redirect to {other_server.url}/user/keys not "
        "followed (a redirect to another origin is never followed)"
    )
    assert other_server.requests == []


async def test_redirect_to_another_port_is_not_followed(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    other = hostile(_ok)
    server = hostile(_two_hops(lambda _: f"{other.url}/elsewhere"))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError, match="another origin"):
            await fs.keys.list()
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert other.requests == []


async def test_redirect_to_another_host_on_the_same_port_is_not_followed(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    # localhost and 127.0.0.1 are different origins, even on one socket.
    server = hostile(_two_hops(lambda s: f"http://localhost:{s.port}/elsewhere"))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError, match="another origin"):
            await fs.keys.list()
    assert [r.path for r in server.requests] == ["/user/keys"]
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("other_host", ["127.0.0.1", "localhost"])
async def test_get_redirect_to_another_origin_is_not_followed(
    other_host: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    # An answer from another origin (a /regions table, say) would be trusted as the
    # API's own, so a read is never taken there: not even without the token.
    other = hostile(routes({("GET", "/mirror/keys"): (200, KEYS_BODY, JSON)}))

    def answer(conn: Conn) -> None:
        if conn.request.path == "/user/keys":
            # Same host, other port; or this server's own port under another host name.
            port = other.port if other_host == "127.0.0.1" else conn.server.port
            conn.respond(307, b"", {"Location": f"http://{other_host}:{port}/mirror/keys"})
        else:
            conn.respond(200, KEYS_BODY, JSON)

    home = hostile(answer)
    async with AsyncFluidstack(TOKEN, base_url=home.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    assert "another origin" in str(info.value)
    first = home.requests[0]
    assert (first.path, first.headers.get("authorization")) == ("/user/keys", f"Bearer {TOKEN}")
    assert other.requests == []
    assert [r.path for r in home.requests] == ["/user/keys"]


async def test_get_redirect_to_plain_http_off_loopback_is_refused_before_connecting(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    location = "http://example.invalid/user/keys"
    server = hostile(always(302, b"", {"Location": location}))
    # Had it been followed, resolving example.invalid would have failed: an
    # APIConnectionError (and retried).
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    exc = info.value
    assert not isinstance(exc, APIConnectionError)
    assert exc.status_code == 302
    assert exc.location == location
    assert location in str(exc)
    assert "another origin" in str(exc)
    assert server.count() == 1


async def test_a_users_client_that_follows_redirects_does_not_follow_them_for_the_client(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    # The client decides which redirects to follow (same origin only), whatever the
    # http_client it was given would do by itself.
    server.default = Reply(302, headers={"Location": f"{other_server.url}/user/keys"})
    other_server.default = Reply(json=[])
    async with (
        httpx.AsyncClient(follow_redirects=True) as http,
        AsyncFluidstack(TOKEN, base_url=server.url, http_client=http, max_retries=0) as fs,
    ):
        with pytest.raises(RedirectError):
            await fs.keys.list()
    assert other_server.requests == []


# -- at most five redirects --------------------------------------------------------------


@pytest.mark.parametrize(("hops", "succeeds"), [(5, True), (6, False)])
async def test_get_follows_at_most_five_redirects(
    hops: int, succeeds: bool, hostile: Callable[[Answer], HostileServer]
) -> None:
    table: dict[tuple[str, str], Route] = {
        ("GET", f"/hop/{i}" if i else "/user/keys"): (302, b"", {"Location": f"/hop/{i + 1}"})
        for i in range(hops)
    }
    table["GET", f"/hop/{hops}"] = (200, KEYS_BODY, JSON)
    server = hostile(routes(table))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        if succeeds:
            assert await fs.keys.list() == [LAPTOP]
        else:
            with pytest.raises(RedirectError):
                await fs.keys.list()
    assert server.count() == (hops + 1 if succeeds else 6)


@pytest.mark.parametrize("shape", ["self", "ping-pong"])
async def test_redirect_loop_raises_redirect_error_after_a_few_hops(
    shape: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """A redirect loop once ended in a raw httpx.TooManyRedirects, after 21 requests."""

    def answer(conn: Conn) -> None:
        path = conn.request.path
        target = path if shape == "self" else ("/b" if path != "/b" else "/user/keys")
        conn.respond(302, b"", {"Location": target})

    server = hostile(answer)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    assert info.value.status_code == 302
    assert "redirect" in str(info.value)
    # One attempt (a redirect is not retried): the request and at most 5 redirects.
    assert 2 <= server.count("GET") <= 6
    assert server.count() == server.count("GET")


async def test_a_redirect_loop_stops_after_five(server: ScriptedServer) -> None:
    assert MAX_REDIRECTS == 5
    server.default = Reply(307, headers={"Location": "/user/keys"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, max_retries=0) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 307 Temporary Redirect; redirect to "
        f"{server.url}/user/keys not followed (stopped after 5 redirects)"
    )
    assert len(server.requests) == 6


# -- a write is never redirected ---------------------------------------------------------


@pytest.mark.parametrize("call", ["invitations.create", "keys.register"])
async def test_post_redirected_to_a_refused_port_is_sent_once_and_raises(
    call: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """The bug: the second hop's ConnectError read as "never sent", so the POST that
    the server had already accepted was retried: the server saw it 3 times."""
    _, path, write = WRITES[call]
    location = f"http://127.0.0.1:{refused_port()}/accepted-elsewhere"

    def answer(conn: Conn) -> None:
        conn.respond(marked(conn.request) or 500, b"", {"Location": location})

    server = hostile(answer)
    # FAST allows two retries: none may happen.
    errors = await _redirect_errors(server, write)
    for status, exc in zip(REDIRECTS, errors, strict=True):
        assert isinstance(exc, APIStatusError)
        assert exc.status_code == status
        assert exc.location == location
        assert f"POST {server.url}{path}: {status} " in str(exc)
        assert location in str(exc)
        assert [r.method for r in sent(server, status)] == ["POST"], status
    assert server.count() == len(REDIRECTS)  # nothing else: no GET, no second POST


@pytest.mark.parametrize("call", ["invitations.create", "keys.register"])
async def test_post_redirected_to_a_login_page_is_not_reported_as_done(
    call: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    """The bug: a POST answered 302/303 to /login was followed as a GET to the login
    page, whose 200 made create()/register() return None as if it had worked."""
    _, _, write = WRITES[call]

    def answer(conn: Conn) -> None:
        if conn.request.path == "/login":
            conn.respond(200, LOGIN_PAGE, HTML)
        else:
            conn.respond(marked(conn.request) or 500, b"", {"Location": "/login"})

    server = hostile(answer)
    errors = await _redirect_errors(server, write)
    for status, exc in zip(REDIRECTS, errors, strict=True):
        assert exc.status_code == status
        assert exc.location == "/login"
        assert f": {status} " in str(exc)
        assert f"{server.url}/login" in str(exc)
        assert len(sent(server, status)) == 1, status
    assert server.count("GET") == 0
    assert server.count("POST", "/login") == 0
    assert server.count() == len(REDIRECTS)


@pytest.mark.parametrize(
    "call", ["members.update", "members.delete", "invitations.delete", "keys.deregister"]
)
async def test_patch_and_delete_redirected_to_login_are_sent_once_and_raise(
    call: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    method, path, write = WRITES[call]

    def answer(conn: Conn) -> None:
        if conn.request.path != "/login":
            conn.respond(marked(conn.request) or 500, b"", {"Location": "/login"})
        elif conn.request.method == "DELETE":  # what would pass for each write's success
            conn.respond(204, b"")
        else:
            conn.respond(200, LOGIN_PAGE, HTML)

    server = hostile(answer)
    errors = await _redirect_errors(server, write)
    for status, exc in zip(REDIRECTS, errors, strict=True):
        marked_path = path.format(status=status)
        assert exc.status_code == status
        assert f"{method} {server.url}{marked_path}: {status} " in str(exc)
        assert f"{server.url}/login" in str(exc)
        assert [(r.method, r.path) for r in sent(server, status)] == [(method, marked_path)]
    assert server.count() == len(REDIRECTS)  # nothing went to /login


@pytest.mark.parametrize("status", [300, 399])
async def test_every_3xx_to_a_write_says_writes_are_never_redirected(
    status: int, server: ScriptedServer
) -> None:
    server.default = Reply(status, headers={"Location": "/elsewhere"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.register(name="k", key="ssh-ed25519 A")
    assert str(info.value).endswith(
        f"; redirect to {server.url}/elsewhere not followed (writes are never redirected)"
    )


async def test_a_writes_error_has_no_word_about_redirects(server: ScriptedServer) -> None:
    server.default = Reply(400, {"message": "that key is not valid"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(BadRequestError) as info:
            await fs.keys.register(name="k", key="ssh-ed25519 A")
    assert str(info.value) == f"POST {server.url}/user/keys: 400 that key is not valid"


async def test_redirect_error_names_where_and_keeps_the_location(server: ScriptedServer) -> None:
    server.default = Reply(307, headers={"Location": "/moved?token=x#f"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.register(name="k", key="ssh-ed25519 A")
    exc = info.value
    assert exc.location == "/moved?token=x#f"
    assert str(exc) == (
        f"POST {server.url}/user/keys: 307 Temporary Redirect; redirect to "
        f"{server.url}/moved not followed (writes are never redirected)"
    )
    assert len(server.requests) == 1


async def test_redirect_error_names_location_without_query(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    location = "https://login.example.com/sso?next=%2Fuser%2Fkeys&state=querysecret123"
    server = hostile(always(303, b"", {"Location": location}))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.register(name="n", key="k")
    assert server.count("POST", "/user/keys") == 1
    exc = info.value
    assert str(exc).startswith(f"POST {server.url}/user/keys: 303 ")
    assert "https://login.example.com/sso" in str(exc)
    assert "querysecret123" not in str(exc)
    assert exc.location is not None
    assert "querysecret123" in exc.location  # the header itself is kept as received


# -- no Location, or one that is not a URL -----------------------------------------------


async def test_get_redirect_without_location_is_a_redirect_error(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    server = hostile(always(302, b'{"message": "moved"}', JSON))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    assert info.value.location is None
    assert "without a Location" in str(info.value)
    assert server.count() == 1


async def test_redirect_without_location(server: ScriptedServer) -> None:
    server.default = Reply(302)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RedirectError) as info:
            await fs.keys.list()
    assert info.value.location is None
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 302 Found; redirect without a Location not followed"
    )


async def _invite(fs: AsyncFluidstack) -> None:
    await fs.invitations.create(email="a@acme.io")


async def _promote(fs: AsyncFluidstack) -> None:
    await fs.members.update("m-1", role="admin")


async def _deregister(fs: AsyncFluidstack) -> None:
    await fs.keys.deregister("x")


async def _list_keys(fs: AsyncFluidstack) -> None:
    await fs.keys.list()


@pytest.mark.parametrize(
    "location",
    ["http://host:abc/", "https://[::1/x", "https://" + "a" * 70_000 + "/"],
    ids=["bad-port", "bad-ipv6", "70000-chars"],
)
async def test_unparseable_location_is_reported_and_the_request_is_sent_once(
    location: str, hostile: Callable[[Answer], HostileServer]
) -> None:
    calls: dict[tuple[str, str], Callable[[AsyncFluidstack], Awaitable[None]]] = {
        ("POST", "/invitations"): _invite,
        ("PATCH", "/members/m-1"): _promote,
        ("DELETE", "/user/keys/x"): _deregister,
        ("GET", "/user/keys"): _list_keys,
    }
    server = hostile(always(302, b"", {"Location": location}))
    errors: list[APIConnectionError] = []
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for call in calls.values():
            with pytest.raises(APIConnectionError) as info:
                await call(fs)
            errors.append(info.value)
    # httpx raises while parsing the Location (the response is lost with it), so the
    # status cannot be named; what matters: sent once, never retried, never success.
    counts = {(method, path): server.count(method, path) for method, path in calls}
    assert counts == dict.fromkeys(calls, 1)
    for exc in errors:
        assert "redirect whose Location is not a valid URL" in str(exc)
        assert "not retried" in str(exc)


def test_a_redirect_to_an_unparseable_location_is_quoted() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    for location, shown in [
        ("http://[::1", "'http://[::1'"),
        (
            "http://[::1" + "x" * 400,
            repr("http://[::1" + "x" * 400)[:300] + "... [113 more characters]",
        ),
    ]:
        error = status_error(httpx.Response(302, headers={"Location": location}, request=request))
        assert str(error) == (
            f"GET http://127.0.0.1:9/a: 302 Found; redirect to {shown} not followed"
        )


# -- a region client: writes never redirected, the token never to another origin ----------------

REGIONAL_WRITES = sorted(
    [*POSTS, *(name for name in REGION_OPERATIONS if name.startswith("Delete"))]
)


def _region(url: str) -> AsyncRegionClient:
    return AsyncRegionClient(url, token=TOKEN, project_id=PROJECT, retry_policy=FAST)


def _moved_within_the_origin(status: int) -> Answer:
    """Every request under the API is redirected to /moved on the same server, which
    would accept anything."""

    def answer(conn: Conn) -> None:
        if conn.request.path.startswith("/moved"):
            done = 200 if conn.request.method == "GET" else 201
            conn.respond(done, json.dumps(INSTANCE).encode(), JSON)
        else:
            conn.respond(status, b"", {"Location": f"{conn.server.url}/moved{conn.request.path}"})

    return answer


@pytest.mark.parametrize("status", [302, 307, 308])
@pytest.mark.parametrize("operation", REGIONAL_WRITES)
async def test_a_regional_write_is_never_redirected(
    operation: str, status: int, hostile: Callable[[Answer], HostileServer]
) -> None:
    server = hostile(_moved_within_the_origin(status))
    async with _region(server.url) as east:
        with pytest.raises(RedirectError) as info:
            await REGION_OPERATIONS[operation].invoke(east)
    assert str(info.value).endswith("(writes are never redirected)")
    assert info.value.status_code == status
    assert [r.path for r in server.requests] == [API + REGION_OPERATIONS[operation].path]


def test_the_regional_writes() -> None:
    assert REGIONAL_WRITES == [
        "CreateFilesystem",
        "CreateInstance",
        "CreateProject",
        "DeleteFilesystem",
        "DeleteInstance",
        "DeleteProject",
        "StartInstance",
        "StopInstance",
    ]


async def test_a_regional_read_follows_a_redirect_within_the_region(
    hostile: Callable[[Answer], HostileServer],
) -> None:
    server = hostile(_moved_within_the_origin(307))
    async with _region(server.url) as east:
        instance = await east.instances.get(INSTANCE_ID)
    assert instance.name == INSTANCE["name"]
    _, moved = server.requests
    assert moved.path == f"/moved{API}/instances/{INSTANCE_ID}"
    assert moved.headers["authorization"] == f"Bearer {TOKEN}"
    assert moved.headers["x-project-id"] == PROJECT_ID


async def test_a_regional_read_is_not_redirected_to_another_origin(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(302, headers={"Location": f"{other_server.url}{API}/projects"})
    other_server.default = Reply(json=[])
    async with _region(server.url) as east:
        with pytest.raises(RedirectError) as info:
            await east.projects.list()
    assert str(info.value) == (
        f"GET {server.url}{API}/projects: 302 Found; redirect to {other_server.url}{API}/projects"
        " not followed (a redirect to another origin is never followed)"
    )
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert other_server.requests == []


async def test_a_region_from_region_never_sends_the_token_to_another_origin(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    """The region (other_server) redirects its reads to the Management API's origin
    (server) and to a third; the token goes to the region it was sent to, and nowhere
    else."""
    server.default = Reply(json=[{"name": "r1", "url": other_server.url}])
    other_server.queue(
        Reply(307, headers={"Location": f"{server.url}{API}/instances"}),
        Reply(301, headers={"Location": f"http://localhost:1{API}/projects"}),
        Reply(308, headers={"Location": f"{server.url}/oauth/token"}),
    )
    async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        east = await fs.region("r1", project_id=PROJECT)
        with pytest.raises(RedirectError, match="another origin"):
            await east.instances.list()
        with pytest.raises(RedirectError, match="another origin"):
            await east.projects.list()
        with pytest.raises(RedirectError, match="writes are never redirected"):
            await east.instances.start(INSTANCE_ID)
    assert [r.path for r in server.requests] == [f"{API}/regions"]
    assert len(other_server.requests) == 3
