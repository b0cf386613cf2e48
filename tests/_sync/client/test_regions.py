# Derived from tests/client/test_regions.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Regions: `region(name)` gives a region client (`RegionClient`, `RegionClient`)
of that region's API, sharing the management client's pool and credentials. Which URL
a region maps to (and which are refused, and why), how long the fetched table is
trusted, what the unknown-region error lists, and that concurrent lookups share one
fetch of `/regions` and its outcome, each caller within its own timeout. Each region
client is checked through a regional operation (`projects.list()`, `instances.list()`).

Concurrent lookups differ by client: the async ones are `asyncio.gather` tasks
(`async_only`), the sync ones threads sharing one `Fluidstack`.
"""

from __future__ import annotations

import json
import pickle
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import suppress

import httpx
import pytest
from support.client_region import PROJECT_ID
from support.clients import FAST, TOKEN
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    Fluidstack,
    InternalServerError,
    RedirectError,
    RegionClient,
    RegionNotFoundError,
    RegionURLError,
)

GLOBAL = httpx.URL("https://api.atlas.fluidstack.io/api/v1alpha1")
API = "/api/v1alpha1"
REGIONS = f"{API}/regions"
JSON = {"Content-Type": "application/json"}


def _regions_reply(*servers: ScriptedServer, names: tuple[str, ...] = ("r1", "r2")) -> Reply:
    return Reply(json=[{"name": n, "url": s.url} for n, s in zip(names, servers, strict=True)])


def _listing(conn: Conn, name: str = "x") -> bytes:
    """A /regions body listing one region, `name`, at this server's API."""
    return json.dumps([{"name": name, "url": conn.server.url + API}]).encode()


class Regions:
    """/regions that fails, succeeds or hangs, as the test says."""

    def __init__(self, mode: str, delay: float = 0.05) -> None:
        self.mode = mode
        self.delay = delay

    def __call__(self, conn: Conn) -> None:
        if self.mode == "hang":
            conn.hold()
            return
        time.sleep(self.delay)  # long enough for every caller to be waiting
        if self.mode == "fail":
            conn.respond(500, json.dumps({"message": "regions are down"}).encode(), JSON)
        else:
            listed = [{"name": "us-east-1", "url": conn.server.url}]
            conn.respond(200, json.dumps(listed).encode(), JSON)


def _wait_for_request(server: HostileServer, path: str) -> None:
    stop = time.monotonic() + 5
    while server.count("GET", path) == 0:
        assert time.monotonic() < stop, "the leader's fetch never arrived"
        time.sleep(0.01)


# -- which URL a region maps to ----------------------------------------------------------


# -- the region table --------------------------------------------------------------------


# -- region() against a server -----------------------------------------------------------


def test_region_client_talks_to_the_region(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _regions_reply(other_server, server)
    other_server.default = Reply(json=[])
    base_url = f"{server.url}/api/v1alpha1"
    with Fluidstack(TOKEN, base_url=base_url, retry_policy=FAST, max_retries=5) as fs:
        east = fs.region("r1", project_id=PROJECT_ID)
        projects = east.projects.list()
        instances = east.instances.list()
    assert projects == []
    assert instances == []
    assert [r.path for r in server.requests] == ["/api/v1alpha1/regions"]
    # bare region host + the global API's path; same token; same options
    assert [r.path for r in other_server.requests] == [
        "/api/v1alpha1/projects",
        "/api/v1alpha1/instances",
    ]
    assert [r.headers["authorization"] for r in other_server.requests] == [f"Bearer {TOKEN}"] * 2
    assert other_server.last.headers["x-project-id"] == PROJECT_ID
    assert str(east.base_url) == f"{other_server.url}/api/v1alpha1"
    assert type(east) is RegionClient
    assert east.max_retries == 5


def test_a_region_client_sends_no_query_the_region_url_had(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "r1", "url": f"{other_server.url}/api?debug=1#x"}])
    other_server.default = Reply(json=[])
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert (fs.region("r1")).projects.list() == []
    assert [r.path for r in other_server.requests] == ["/api/projects"]


def test_a_region_client_fetches_regions_from_the_global_api(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "east", "url": other_server.url}])
    other_server.default = Reply(json=[])
    base = f"{server.url}/api/v1alpha1"
    with Fluidstack(TOKEN, base_url=base, retry_policy=FAST) as fs:
        east = fs.region("east")
        east.projects.list()
        # A region client has no region(): regions come from the Management API only,
        # however the lookup is made (refreshed, or from a copy with other options).
        assert not hasattr(east, "region")
        again = fs.with_options(max_retries=0).region("east", refresh=True)
        again.instance_types.list()
    assert str(again.base_url) == f"{other_server.url}/api/v1alpha1"
    assert [r.path for r in server.requests] == ["/api/v1alpha1/regions"] * 2
    assert [r.path for r in other_server.requests] == [
        "/api/v1alpha1/projects",
        "/api/v1alpha1/instance-types",
    ]


def test_regions_are_fetched_once_and_cached(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        fs.region("r1")
        fs.region("r2")
    assert len(server.requests) == 1


def test_cache_ttl_and_explicit_refresh(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST, region_cache_ttl=0) as fs:
        fs.region("r1")
        fs.region("r1")
    assert len(server.requests) == 2
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        fs.region("r1")
        fs.region("r1", refresh=True)
    assert len(server.requests) == 4


def test_unknown_region_lists_known_names(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server, names=("us-east-1", "eu-west-2"))
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError, match="'eu-west-2', 'us-east-1'"):
            fs.region("ap-south-9")


def test_unknown_region_message_and_attributes(server: ScriptedServer) -> None:
    server.default = Reply(
        json=[
            {"name": "us-east-1", "url": server.url},
            {"name": "eu-west-2", "url": server.url},
        ]
    )
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            fs.region("ap-south-9")
    exc = info.value
    assert str(exc) == "unknown region 'ap-south-9'; known regions: 'eu-west-2', 'us-east-1'"
    assert exc.name == "ap-south-9"
    assert exc.known == ["eu-west-2", "us-east-1"]
    assert exc.args == (str(exc),)
    copy = pickle.loads(pickle.dumps(exc))
    assert (str(copy), copy.name, copy.known) == (str(exc), exc.name, exc.known)


def test_insecure_region_url_is_refused_before_sending(server: ScriptedServer) -> None:
    server.default = Reply(json=[{"name": "evil", "url": "http://evil.example.com"}])
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionURLError, match="https"):
            fs.region("evil")
    assert len(server.requests) == 1  # only /regions


def test_a_region_table_from_another_origin_is_never_trusted() -> None:
    # The attack: /regions redirects to another origin, which lists a region whose URL
    # is its own; the token would then be sent there by region(name). The redirect is
    # not followed, so no table from there is ever read.
    def elsewhere(conn: Conn) -> None:
        table = [{"name": "x", "url": f"http://127.0.0.1:{conn.server.port}"}]
        conn.respond(200, json.dumps(table).encode(), JSON)

    with HostileServer(elsewhere) as other:

        def home(conn: Conn) -> None:
            conn.respond(302, b"", {"Location": f"{other.url}{REGIONS}"})

        with HostileServer(home) as server:
            with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
                with pytest.raises(RedirectError, match="another origin"):
                    (fs.region("x")).instances.list()
            assert server.requests[0].path == REGIONS
        assert other.requests == []


def test_region_clients_share_the_pool_and_do_not_close_it(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        with fs.region("r1") as east:
            pass
        with fs.with_options(max_retries=0) as quick:
            pass
        assert east._shared.http is fs._shared.http is quick._shared.http
        assert not fs._shared.http.is_closed
    assert fs._shared.http.is_closed


# -- concurrent lookups share one fetch --------------------------------------------------


def _held_until(release: threading.Event) -> Callable[[Conn], None]:
    """/regions that answers only once `release` is set (or after 3 s)."""

    def answer(conn: Conn) -> None:
        release.wait(3)
        with suppress(OSError):
            conn.respond(200, _listing(conn), JSON)

    return answer


def _down_while_waiters_join(conn: Conn) -> None:
    """/regions is a 500; the first fetch takes 0.3 s, so every caller joins it."""
    if conn.server.count() == 1:
        time.sleep(0.3)
    conn.respond(500, b'{"message": "regions are down"}', JSON)


def _assert_each_raised_its_own(errors: list[object], alone: object, n: int) -> None:
    """`errors` (one per caller of a shared failing fetch) are n distinct
    InternalServerErrors, none of whose tracebacks holds other callers' frames.

    `alone` is what a lone caller got the same way (a leader, whose traceback runs
    down through the fetch). Raising one shared object from every waiter makes its
    traceback grow with each raiser's frames, so a waiter's would be far longer than
    a lone leader's; each waiter's own is shorter (it never ran the fetch). Compared
    with each other rather than with a number, so that an instrumented run (mutmut's
    trampolines double every frame) sees the same relation."""
    raised = [e for e in errors if isinstance(e, InternalServerError)]
    assert len(raised) == len(errors) == n, errors
    assert isinstance(alone, InternalServerError), alone
    assert len({id(e) for e in raised}) == n  # one object each, not one shared
    assert all(e is not alone for e in raised)
    own = len(traceback.extract_tb(alone.__traceback__))
    lengths = [len(traceback.extract_tb(e.__traceback__)) for e in raised]
    assert max(lengths) <= own, (lengths, own)
    # The one leader among them went through the fetch; the n - 1 waiters did not.
    assert sum(length < own for length in lengths) >= n - 1, (lengths, own)
