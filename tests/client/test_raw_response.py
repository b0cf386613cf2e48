"""`with_raw_response`: every resource method of both APIs has a raw twin that sends the
same request and returns a `RawResponse` (status, headers, the server's request id,
`parse()` equal to the plain call's value, the final `http_response` with
`Authorization` redacted and the token scrubbed), raises exactly what the plain call
raises, and hands each concurrent call (tasks, threads) its own response. Real servers
on 127.0.0.1 (and the fake, served, for the regions of `each_region`).

The twins are compared with the resources' public methods found by looking, so a
method added without a raw twin fails `test_every_resource_method_has_a_raw_twin`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import threading
import uuid
from typing import Any, assert_type

import httpx
import pytest
from support import samples
from support.auth_secrets import SECRET, leaks
from support.client_operations import OPERATIONS
from support.client_raw import (
    KINDS,
    REQUEST_ID_HEADERS,
    WAITERS,
    client_of,
    missing_raw_twins,
    raw_call,
    resources,
)
from support.client_region import (
    API,
    INSTANCE,
    INSTANCE_ID,
    PROJECT,
    REGION_OPERATIONS,
)
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Recorded, Reply, ScriptedServer
from support.threads import at_once

from fluidstack_client import (
    AmbiguousWriteError,
    APIResponseValidationError,
    AsyncFluidstack,
    AsyncRegionClient,
    BadRequestError,
    ClientCredentials,
    ConflictError,
    Fluidstack,
    FluidstackError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RawResponse,
    RedirectError,
    ResponseTooLargeError,
    SSHKey,
    _raw,
)
from fluidstack_client._sync_resources import Keys
from fluidstack_client.region import Instance as RegionInstance
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI, FakeServer

ACCESS_TOKEN = "at-ACCESS-0123456789abcdef"
RENEWED_TOKEN = "at-RENEWED-0123456789abcdef"


def _region(url: str, **options: Any) -> AsyncRegionClient:
    """A region client of `url` (a bare host: the API is under /api/v1alpha1)."""
    options = {"token": TOKEN, "project_id": PROJECT, "retry_policy": FAST, **options}
    return AsyncRegionClient(url, **options)


def _management(url: str, **options: Any) -> AsyncFluidstack:
    options = {"retry_policy": FAST, **options}
    return AsyncFluidstack(options.pop("token", TOKEN), base_url=url, **options)


def _same_request(first: Recorded, second: Recorded) -> None:
    assert (first.method, first.path, first.body) == (second.method, second.path, second.body)
    assert first.headers.get("x-project-id") == second.headers.get("x-project-id")
    assert first.headers.get("content-type") == second.headers.get("content-type")


# -- the table: every method a user calls has a raw twin ---------------------------------------


def _client_of(kind: str) -> Any:
    return client_of(kind, TOKEN, PROJECT)


@pytest.mark.parametrize("kind", KINDS)
def test_every_resource_method_has_a_raw_twin(kind: str) -> None:
    client = _client_of(kind)
    found = dict(resources(client))
    assert missing_raw_twins(client) == []
    # The walk found every resource (it is what the comparison rests on).
    if isinstance(client, Fluidstack | AsyncFluidstack):
        expected = {"regions", "clusters", "organizations", "members", "invitations"}
        expected |= {"instances", "keys"}
    else:
        expected = {"instances", "projects", "filesystems", "capacity", "instance_types"}
        expected |= {"capabilities", "kubernetes.clusters", "kubernetes.node_pools"}
        expected |= {"slurm.clusters", "slurm.node_pools"}
    assert set(found) == expected


def test_the_operation_tables_call_every_raw_twin() -> None:
    """Each raw twin is a call of an operation table (so each is run below), and each
    table row's call has a raw twin."""
    calls = {
        "AsyncFluidstack": {op.call for op in OPERATIONS.values()},
        "AsyncRegionClient": {op.call for op in REGION_OPERATIONS.values()},
    }
    for kind, table_calls in calls.items():
        twins = {
            f"{path}.{name}"
            for path, resource in resources(_client_of(kind))
            for name in vars(resource.with_raw_response)
        }
        assert twins == table_calls


def test_the_waiters_alone_have_no_raw_twin() -> None:
    """A waiter is many requests, not one: the only public methods without a twin."""
    region = _client_of("AsyncRegionClient")
    waiters = {
        f"{path}.{name}"
        for path, resource in resources(region)
        for name in WAITERS
        if hasattr(resource, name)
    }
    assert waiters == {"instances.wait", "instances.wait_deleted", "projects.wait_deleted"}


def test_a_method_added_without_a_raw_twin_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def rotate(self: Keys, name: str) -> None:
        """A new operation nobody gave a raw twin."""

    monkeypatch.setattr(Keys, "rotate", rotate, raising=False)
    assert missing_raw_twins(_client_of("Fluidstack")) == ["keys.rotate"]


def test_raw_response_is_exported() -> None:
    import fluidstack_client

    assert fluidstack_client.RawResponse is RawResponse
    assert "RawResponse" in fluidstack_client.__all__


# -- every operation, raw: the same request, the same value, and the response ------------------


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_each_management_operation_raw(operation: str, server: ScriptedServer) -> None:
    op = OPERATIONS[operation]
    reply = dataclasses.replace(op.reply, headers={"X-Request-Id": f"req-{operation}"})
    server.queue(reply, reply)
    async with _management(server.url) as fs:
        raw = await raw_call(fs, op.call)(*op.args, **op.kwargs)
        plain = await op.invoke(fs)

    assert type(raw) is RawResponse
    assert raw.status_code == op.reply.status
    assert raw.headers["x-request-id"] == f"req-{operation}"
    assert raw.request_id == f"req-{operation}"
    assert raw.parse() == plain == op.expected
    raw_sent, plain_sent = server.requests
    _same_request(raw_sent, plain_sent)
    request = raw.http_response.request
    assert request.method == raw_sent.method
    assert request.url == httpx.URL(server.url + raw_sent.path)
    assert request.headers["Authorization"] == "[REDACTED]"
    assert raw_sent.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("operation", sorted(REGION_OPERATIONS))
async def test_each_regional_operation_raw(operation: str, server: ScriptedServer) -> None:
    op = REGION_OPERATIONS[operation]
    reply = dataclasses.replace(op.reply, headers={"X-Request-Id": f"req-{operation}"})
    server.queue(reply, reply)
    async with _region(server.url) as east:
        raw = await raw_call(east, op.call)(*op.args, **op.kwargs)
        plain = await op.invoke(east)

    assert type(raw) is RawResponse
    assert raw.status_code == op.reply.status
    assert raw.request_id == f"req-{operation}"
    assert raw.parse() == plain == op.expected
    raw_sent, plain_sent = server.requests
    _same_request(raw_sent, plain_sent)
    assert raw_sent.path == API + op.path
    request = raw.http_response.request
    assert (request.method, request.url.path) == (raw_sent.method, raw_sent.path)
    assert request.headers["Authorization"] == "[REDACTED]"


async def test_a_raw_twin_takes_the_calls_own_project(server: ScriptedServer) -> None:
    other = uuid.UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
    server.default = Reply(json=[INSTANCE])
    async with _region(server.url) as east:
        raw = await east.instances.with_raw_response.list(project_id=other)
    assert server.last.headers["x-project-id"] == str(other)
    assert raw.http_response.request.headers["X-PROJECT-ID"] == str(other)


@pytest.mark.parametrize(
    ("call", "status"),
    [
        ("instances.delete", 204),
        ("instances.start", 202),
        ("instances.stop", 202),
        ("filesystems.delete", 202),
        ("projects.delete", 204),
    ],
)
async def test_a_bodiless_success_parses_to_none_and_its_body_is_not_read(
    call: str, status: int, server: ScriptedServer
) -> None:
    """A success the spec gives no body: whatever came with it (here not JSON) is not
    read, `parse()` is None and the kept response has no content."""
    server.default = Reply(status, body=b"<html>not json</html>", headers={"Request-Id": "r-1"})
    resource_id = PROJECT if call.startswith("projects") else INSTANCE_ID
    async with _region(server.url) as east:
        raw = await raw_call(east, call)(resource_id)
    assert raw.parse() is None
    assert raw.status_code == status
    assert raw.http_response.content == b""
    assert raw.request_id == "r-1"


async def test_management_bodiless_successes_parse_to_none(server: ScriptedServer) -> None:
    server.queue(Reply(204), Reply(201), Reply(200))
    async with _management(server.url) as fs:
        deleted = await fs.keys.with_raw_response.deregister("laptop")
        invited = await fs.invitations.with_raw_response.create(email="bob@acme.io")
        updated = await fs.members.with_raw_response.update("m-1", role="editor")
    assert [r.status_code for r in (deleted, invited, updated)] == [204, 201, 200]
    assert [r.parse() for r in (deleted, invited, updated)] == [None, None, None]
    assert [r.request_id for r in (deleted, invited, updated)] == [None, None, None]


async def test_the_raw_twins_are_typed_as_the_calls_they_wrap(server: ScriptedServer) -> None:
    """`mypy --strict` reads the parsed type through the twin (checked by assert_type)."""
    server.queue(Reply(json=[samples.SSH_KEY]), Reply(json=INSTANCE), Reply(204))
    async with _management(server.url) as fs:
        keys = await fs.keys.with_raw_response.list()
    async with _region(server.url) as east:
        got = await east.instances.with_raw_response.get(INSTANCE_ID)
        deleted = await east.instances.with_raw_response.delete(INSTANCE_ID)
    assert_type(keys, RawResponse[list[SSHKey]])
    assert_type(got, RawResponse[RegionInstance])
    assert_type(deleted, RawResponse[None])
    assert [k.name for k in keys.parse()] == ["laptop"]
    assert got.parse().id == uuid.UUID(INSTANCE_ID)
    assert deleted.parse() is None


# -- the request id --------------------------------------------------------------------------


@pytest.mark.parametrize("header", REQUEST_ID_HEADERS)
async def test_each_request_id_header_is_read(header: str, server: ScriptedServer) -> None:
    server.queue(
        Reply(json=[], headers={header: "id-1"}), Reply(json=[], headers={header.upper(): "id-2"})
    )
    async with _management(server.url) as fs:
        raw = await fs.keys.with_raw_response.list()
        shouted = await fs.keys.with_raw_response.list()
    assert raw.request_id == "id-1"
    assert shouted.request_id == "id-2"  # header names are case-insensitive


async def test_no_request_id_header_is_none(server: ScriptedServer) -> None:
    server.queue(
        Reply(json=[]),
        Reply(json=[], headers={"X-Trace-Id": "t-1", "Traceparent": "00-ab-cd-01"}),
    )
    async with _management(server.url) as fs:
        bare = await fs.keys.with_raw_response.list()
        other = await fs.keys.with_raw_response.list()
    assert bare.request_id is None
    assert other.request_id is None


async def test_the_most_specific_request_id_wins(server: ScriptedServer) -> None:
    """With several sent, the first of the list is read: each header beats all those
    after it."""
    for i in range(len(REQUEST_ID_HEADERS)):
        server.queue(
            Reply(json=[], headers={h: f"from-{h}" for h in reversed(REQUEST_ID_HEADERS[i:])})
        )
    async with _management(server.url) as fs:
        ids = [(await fs.keys.with_raw_response.list()).request_id for _ in REQUEST_ID_HEADERS]
    assert ids == [f"from-{h}" for h in REQUEST_ID_HEADERS]


async def test_an_empty_request_id_is_not_an_id(server: ScriptedServer) -> None:
    server.queue(
        Reply(json=[], headers={"X-Request-Id": "", "CF-Ray": "8a1b2c3d4e-AMS"}),
        Reply(json=[], headers={"X-Request-Id": ""}),
    )
    async with _management(server.url) as fs:
        fallback = await fs.keys.with_raw_response.list()
        empty = await fs.keys.with_raw_response.list()
    assert fallback.request_id == "8a1b2c3d4e-AMS"
    assert empty.request_id is None


# -- secrets: the token never reaches a raw response ------------------------------------------


def _echo(conn: Conn) -> None:
    """Echo the request's Authorization everywhere a response can carry it: header
    values (request id included), the reason phrase, and the body (a key's name)."""
    auth = conn.request.headers.get("authorization", "")
    token = auth.removeprefix("Bearer ")
    if conn.request.method == "DELETE":
        conn.respond(204, b"", {"X-Echo": auth, "X-Request-Id": token}, reason=token)
        return
    body = json.dumps([{"name": token, "key": f"ssh-ed25519 {auth}"}]).encode()
    headers = {"Content-Type": "application/json", "X-Echo": auth, "X-Request-Id": token}
    conn.respond(200, body, headers, reason=f"OK {token}")


def _assert_no_token(raw: RawResponse[Any], secret: str = SECRET) -> None:
    response = raw.http_response
    assert leaks(response.content, secret) == []
    assert leaks(repr(response.headers.raw), secret) == []
    assert leaks(repr(list(raw.headers.items())), secret) == []
    assert leaks(response.reason_phrase, secret) == []
    assert leaks(raw.request_id or "", secret) == []
    assert leaks(repr(raw.parse()), secret) == []
    assert leaks(repr(raw), secret) == []
    assert response.request.headers["Authorization"] == "[REDACTED]"
    assert leaks(repr(response.request.headers.raw), secret) == []
    assert leaks(str(response.request.url), secret) == []


async def test_a_token_echoed_by_the_server_is_scrubbed_from_the_raw_response() -> None:
    with HostileServer(_echo) as hostile:
        async with _management(hostile.url, token=SECRET) as fs:
            listed = await fs.keys.with_raw_response.list()
            deleted = await fs.keys.with_raw_response.deregister("laptop")
    for raw in (listed, deleted):
        _assert_no_token(raw)
    assert listed.headers["X-Echo"] == "Bearer [REDACTED]"
    assert listed.request_id == "[REDACTED]"
    assert [key.name for key in listed.parse()] == ["[REDACTED]"]
    assert deleted.status_code == 204
    assert deleted.headers["X-Echo"] == "Bearer [REDACTED]"


async def test_a_regional_raw_response_is_scrubbed_too() -> None:
    def echo(conn: Conn) -> None:
        auth = conn.request.headers.get("authorization", "")
        body = json.dumps({**INSTANCE, "name": auth}).encode()
        conn.respond(200, body, {"Content-Type": "application/json", "X-Echo": auth})

    with HostileServer(echo) as hostile:
        async with _region(hostile.url, token=SECRET) as east:
            raw = await east.instances.with_raw_response.get(INSTANCE_ID)
    _assert_no_token(raw)
    assert raw.parse().name == "Bearer [REDACTED]"


async def test_a_raw_call_that_fetched_a_token_is_the_apis_response(
    server: ScriptedServer,
) -> None:
    """The token request is not the call's response, and the access token it brought
    is scrubbed from what the API echoes."""

    def answer(request: Recorded) -> Reply:
        if request.path == "/oauth/token":
            return Reply(json={"access_token": ACCESS_TOKEN, "expires_in": 3600})
        echo = request.headers.get("authorization", "")
        return Reply(json=[], headers={"X-Echo": echo, "X-Request-Id": "api-1"})

    server.default = answer
    credentials = ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")
    async with _management(server.url, token=credentials) as fs:
        raw = await fs.keys.with_raw_response.list()
    assert [r.path for r in server.requests] == ["/oauth/token", "/user/keys"]
    assert raw.http_response.request.url.path == "/user/keys"
    assert raw.request_id == "api-1"
    assert raw.headers["X-Echo"] == "Bearer [REDACTED]"
    _assert_no_token(raw, ACCESS_TOKEN)
    _assert_no_token(raw, SECRET)


async def test_a_raw_call_renewed_after_a_401_reports_the_final_answer_scrubbed(
    server: ScriptedServer,
) -> None:
    tokens = iter([ACCESS_TOKEN, RENEWED_TOKEN])
    answered = []

    def answer(request: Recorded) -> Reply:
        if request.path == "/oauth/token":
            return Reply(json={"access_token": next(tokens), "expires_in": 3600})
        echo = request.headers.get("authorization", "")
        answered.append(echo)
        if len(answered) == 1:
            return Reply(401, {"message": "expired"}, headers={"X-Request-Id": "refused"})
        return Reply(json=[], headers={"X-Echo": echo, "X-Request-Id": "accepted"})

    server.default = answer
    credentials = ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")
    async with _management(server.url, token=credentials) as fs:
        raw = await fs.keys.with_raw_response.list()
    assert answered == [f"Bearer {ACCESS_TOKEN}", f"Bearer {RENEWED_TOKEN}"]
    assert (raw.status_code, raw.request_id) == (200, "accepted")
    assert raw.headers["X-Echo"] == "Bearer [REDACTED]"
    _assert_no_token(raw, RENEWED_TOKEN)
    _assert_no_token(raw, ACCESS_TOKEN)


# -- errors: exactly what the plain call raises ------------------------------------------------


def _status(status: int) -> Reply:
    return Reply(status, {"message": f"refused with {status}"}, headers={"X-Request-Id": "e-1"})


@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        (_status(404), {}, NotFoundError),
        (_status(400), {}, BadRequestError),
        (_status(409), {}, ConflictError),
        (_status(503), {}, InternalServerError),
        (Reply(json={"unexpected": True}), {}, APIResponseValidationError),
        (Reply(json=[samples.SSH_KEY] * 20), {"max_response_size": 64}, ResponseTooLargeError),
        (Reply(302, headers={"Location": "/login"}), {}, RedirectError),
    ],
    ids=["404", "400", "409", "503-retried", "invalid-body", "too-large", "redirected-write"],
)
async def test_a_raw_call_raises_what_the_plain_call_raises(
    reply: Reply,
    options: dict[str, Any],
    expected: type[FluidstackError],
    server: ScriptedServer,
    unslept_waits: list[float],
) -> None:
    server.default = reply
    async with _management(server.url, **options) as fs:
        call = "keys.register" if expected is RedirectError else "keys.list"
        kwargs: dict[str, str] = {}
        if expected is RedirectError:
            kwargs = {"name": "laptop", "key": samples.SSH_KEY["key"]}
        with pytest.raises(FluidstackError) as plain:
            await getattr(fs.keys, call.split(".")[1])(**kwargs)
        sent_by_plain = len(server.requests)
        with pytest.raises(FluidstackError) as raw:
            await raw_call(fs, call)(**kwargs)
    assert type(plain.value) is expected
    assert type(raw.value) is type(plain.value)
    assert str(raw.value) == str(plain.value)
    assert len(server.requests) == 2 * sent_by_plain
    status = getattr(plain.value, "status_code", None)
    assert getattr(raw.value, "status_code", None) == status
    assert _raw.captured.get() is None  # the capture ended with the failed call


async def test_a_raw_call_with_a_bad_argument_sends_nothing(server: ScriptedServer) -> None:
    async with _region(server.url) as east:
        with pytest.raises(InvalidParameterError) as plain:
            await east.instances.get("not-a-uuid")
        with pytest.raises(InvalidParameterError) as raw:
            await east.instances.with_raw_response.get("not-a-uuid")
    assert str(raw.value) == str(plain.value)
    assert server.requests == []


async def test_a_raw_call_after_a_lost_write_is_ambiguous_like_the_plain_one() -> None:
    with HostileServer(lambda conn: conn.close()) as hostile:
        async with _region(hostile.url) as east:
            with pytest.raises(AmbiguousWriteError) as plain:
                await east.instances.start(INSTANCE_ID)
            with pytest.raises(AmbiguousWriteError) as raw:
                await east.instances.with_raw_response.start(INSTANCE_ID)
        assert hostile.count("POST") == 2  # once each
    assert str(raw.value) == str(plain.value)
    assert raw.value.operation == plain.value.operation == "start_instance"


# -- which response: the final one -------------------------------------------------------------


async def test_a_raw_call_after_a_followed_redirect_reports_the_final_response(
    server: ScriptedServer,
) -> None:
    moved = f"/instances/{samples.INSTANCE_ID}"
    server.queue(
        Reply(302, headers={"Location": "/moved" + moved, "X-Request-Id": "hop-1"}),
        Reply(307, headers={"Location": moved + "?v=2", "X-Request-Id": "hop-2"}),
        Reply(json=samples.INSTANCE, headers={"X-Request-Id": "final"}),
    )
    async with _management(server.url) as fs:
        raw = await fs.instances.with_raw_response.get(samples.INSTANCE_ID)
    assert [r.path for r in server.requests] == [moved, "/moved" + moved, moved]
    assert raw.status_code == 200
    assert raw.request_id == "final"
    assert "location" not in raw.headers
    request = raw.http_response.request
    assert request.url == httpx.URL(f"{server.url}{moved}?v=2")
    assert request.headers["Authorization"] == "[REDACTED]"
    assert raw.parse() == OPERATIONS["GetInstance"].expected


async def test_a_retried_raw_call_reports_the_answer_it_got_last(
    server: ScriptedServer, unslept_waits: list[float]
) -> None:
    server.queue(
        Reply(503, {"message": "busy"}, headers={"X-Request-Id": "first"}),
        Reply(drop=True),
        Reply(json=[], headers={"X-Request-Id": "third"}),
    )
    async with _management(server.url) as fs:
        raw = await fs.keys.with_raw_response.list()
    assert len(server.requests) == 3
    assert (raw.status_code, raw.request_id) == (200, "third")


async def test_the_capture_ends_with_the_call(server: ScriptedServer) -> None:
    """After a raw call, a plain one on the same task is not captured (nor kept)."""
    server.default = Reply(json=[], headers={"X-Request-Id": "r"})
    async with _management(server.url) as fs:
        raw = await fs.keys.with_raw_response.list()
        assert _raw.captured.get() is None
        assert await fs.keys.list() == []
        again = await fs.keys.with_raw_response.list()
    assert raw.http_response is not again.http_response
    assert _raw.captured.get() is None


# -- concurrent raw calls each get their own response -------------------------------------------


def _own_answer(request: Recorded) -> Reply:
    """Each GET /instances/{id} answered with that instance and a request id of its
    own, after a random pause (so answers arrive out of order)."""
    instance_id = request.path.rsplit("/", 1)[-1]
    delay = random.uniform(0, 0.02)
    return Reply(
        json={**samples.INSTANCE, "id": instance_id, "name": f"gpu-{instance_id[:8]}"},
        headers={"X-Request-Id": f"req-{instance_id}"},
        delay=delay,
    )


def _assert_own(raws: list[Any], ids: list[str]) -> None:
    for raw, instance_id in zip(raws, ids, strict=True):
        assert isinstance(raw, RawResponse), raw
        assert raw.request_id == f"req-{instance_id}"
        assert str(raw.parse().id) == instance_id
        assert raw.http_response.request.url.path == f"/instances/{instance_id}"
        assert raw.http_response.json()["id"] == instance_id


@pytest.mark.async_only
async def test_a_hundred_concurrent_raw_calls_each_get_their_own(server: ScriptedServer) -> None:
    server.default = _own_answer
    ids = [str(uuid.uuid4()) for _ in range(100)]
    async with _management(server.url) as fs:
        raws = await asyncio.gather(*(fs.instances.with_raw_response.get(i) for i in ids))
    assert len(server.requests) == 100
    _assert_own(list(raws), ids)


@pytest.mark.async_only
async def test_raw_and_plain_calls_mixed_on_one_client_do_not_mix(server: ScriptedServer) -> None:
    server.default = _own_answer
    ids = [str(uuid.uuid4()) for _ in range(60)]
    async with _management(server.url) as fs:
        results = await asyncio.gather(
            *(
                fs.instances.with_raw_response.get(i) if n % 2 else fs.instances.get(i)
                for n, i in enumerate(ids)
            )
        )
    raws = [r for n, r in enumerate(results) if n % 2]
    _assert_own(raws, ids[1::2])
    plains: list[Any] = [r for n, r in enumerate(results) if n % 2 == 0]
    assert [str(p.id) for p in plains] == ids[0::2]


def test_twenty_threads_of_raw_calls_each_get_their_own_in_threads(
    server: ScriptedServer,
) -> None:
    server.default = _own_answer
    ids = [str(uuid.uuid4()) for _ in range(20)]
    taken = iter(ids)
    lock = threading.Lock()

    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:

        def call() -> tuple[str, object]:
            with lock:
                instance_id = next(taken)
            return instance_id, fs.instances.with_raw_response.get(instance_id)

        results = at_once(20, call)
    assert len(server.requests) == 20
    pairs = [r for r in results if isinstance(r, tuple)]
    assert len(pairs) == 20, results
    _assert_own([raw for _, raw in pairs], [i for i, _ in pairs])


@pytest.mark.async_only
async def test_raw_calls_in_each_region_get_their_regions_own() -> None:
    fake = FakeAPI(regions=["us-east-1", "eu-west-1", "ap-south-1"], instances=[])
    with FakeServer(fake):
        async with AsyncFluidstack(fake.token, base_url=fake.base_url) as fs:
            outcomes = await fs.each_region(
                lambda region: region.instance_types.with_raw_response.list(),
                project_id=DEFAULT_PROJECT_ID,
            )
    assert sorted(outcomes) == ["ap-south-1", "eu-west-1", "us-east-1"]
    for name, raw in outcomes.items():
        assert isinstance(raw, RawResponse), raw
        assert raw.http_response.request.url.path.startswith(f"/regional/{name}/")
        assert raw.status_code == 200
        assert [t.name for t in raw.parse()] == [t["name"] for t in raw.http_response.json()]
