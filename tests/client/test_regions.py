"""Regions: `region(name)` gives a region client (`AsyncRegionClient`, `RegionClient`)
of that region's API, sharing the management client's pool and credentials. Which URL
a region maps to (and which are refused, and why), how long the fetched table is
trusted, what the unknown-region error lists, and that concurrent lookups share one
fetch of `/regions` and its outcome, each caller within its own timeout. Each region
client is checked through a regional operation (`projects.list()`, `instances.list()`).

Concurrent lookups differ by client: the async ones are `asyncio.gather` tasks
(`async_only`), the sync ones threads sharing one `Fluidstack`.
"""

from __future__ import annotations

import asyncio
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
from support.scripted_server import Recorded, Reply, ScriptedServer
from support.threads import at_once

from fluidstack_client import (
    APITimeoutError,
    AsyncFluidstack,
    AsyncRegionClient,
    Fluidstack,
    InternalServerError,
    RedirectError,
    RegionClient,
    RegionNotFoundError,
    RegionURLError,
)
from fluidstack_client._config import is_loopback
from fluidstack_client._regions import DEFAULT_REGION_CACHE_TTL, RegionTable, region_base_url

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


@pytest.mark.parametrize(
    ("region_url", "expected"),
    [
        (
            "https://us-east-1.atlas.fluidstack.io",
            "https://us-east-1.atlas.fluidstack.io/api/v1alpha1",
        ),
        ("https://eu.example.io/", "https://eu.example.io/api/v1alpha1"),
        ("https://eu.example.io/custom/v9", "https://eu.example.io/custom/v9"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1alpha1"),
        ("http://127.3.4.5", "http://127.3.4.5/api/v1alpha1"),
        ("http://[::1]:9000/api/v1alpha1", "http://[::1]:9000/api/v1alpha1"),
        ("http://localhost:1234", "http://localhost:1234/api/v1alpha1"),
    ],
)
def test_region_base_url(region_url: str, expected: str) -> None:
    assert str(region_base_url(region_url, GLOBAL)) == expected


def test_a_bare_region_host_takes_the_global_apis_path() -> None:
    other = httpx.URL("https://api.example.io/v9/")
    assert str(region_base_url("https://r.example.io", other)) == "https://r.example.io/v9/"


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://eu.example.io/api?x=1#f", "https://eu.example.io/api"),
        ("https://eu.example.io?x=1", "https://eu.example.io/api/v1alpha1"),
        ("https://eu.example.io/#top", "https://eu.example.io/api/v1alpha1"),
        ("https://eu.example.io:8443", "https://eu.example.io:8443/api/v1alpha1"),
    ],
)
def test_a_region_url_loses_its_query_and_fragment(given: str, base: str) -> None:
    assert str(region_base_url(given, GLOBAL)) == base


@pytest.mark.parametrize(
    "region_url",
    [
        "http://us-east-1.atlas.fluidstack.io",
        "http://10.0.0.5",
        "http://192.168.1.1:8080",
        "ftp://files.example.io",
        "us-east-1.atlas.fluidstack.io",
        "",
        "https://",
    ],
)
def test_unsafe_or_malformed_region_urls_are_refused(region_url: str) -> None:
    with pytest.raises(RegionURLError):
        region_base_url(region_url, GLOBAL)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "http://evil.example.com",
            "refusing region URL 'http://evil.example.com': only https is allowed (plain http "
            "only to loopback hosts), so the token is never sent in cleartext",
        ),
        ("", "region URL '' is not an absolute http(s) URL"),
        ("https://", "region URL 'https://' is not an absolute http(s) URL"),
        (
            "https://u:p@eu.example.io",
            "region URL must not contain credentials (user:password@); use token=",
        ),
    ],
)
def test_refused_region_urls_say_why(given: str, message: str) -> None:
    with pytest.raises(RegionURLError) as info:
        region_base_url(given, GLOBAL)
    assert str(info.value) == message


def test_a_region_url_that_is_not_text() -> None:
    with pytest.raises(RegionURLError) as info:
        region_base_url(5, GLOBAL)  # type: ignore[arg-type]
    assert str(info.value).startswith("region URL 5 is not a valid URL: ")


def test_loopback_hosts() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.255.0.9", "::1", "localhost"]))
    assert not any(map(is_loopback, ["10.0.0.1", "example.com", "128.0.0.1", "::2"]))


# -- the region table --------------------------------------------------------------------


def test_region_table_expires_and_lists_known_names() -> None:
    table = RegionTable(ttl=10)
    assert not table.is_fresh(now=0)
    table.store([("a", "https://a"), ("b", "https://b")], now=100)
    assert table.is_fresh(now=109)
    assert not table.is_fresh(now=110)
    with pytest.raises(RegionNotFoundError, match="'a', 'b'") as info:
        table.url_of("c")
    assert info.value.known == ["a", "b"]


def test_region_table_freshness_edges() -> None:
    assert DEFAULT_REGION_CACHE_TTL == 300.0
    table = RegionTable()
    assert table.ttl == 300.0
    assert not table.is_fresh()
    table.store([("a", "https://a")])
    assert table.is_fresh()  # just fetched, by the real clock
    table.store([("a", "https://a")], now=50.0)
    assert table.fetched_at == 50.0
    assert table.is_fresh(now=349.999)
    assert not table.is_fresh(now=350.0)
    zero = RegionTable(ttl=0)
    zero.store([], now=1.0)
    assert not zero.is_fresh(now=1.0)


def test_region_table_lookup() -> None:
    table = RegionTable()
    table.store(iter([("b", "https://b"), ("a", "https://a")]), now=0)
    assert table.url_of("a") == "https://a"
    assert table.urls == {"b": "https://b", "a": "https://a"}
    with pytest.raises(RegionNotFoundError) as info:
        table.url_of("c")
    assert str(info.value) == "unknown region 'c'; known regions: 'a', 'b'"
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_unknown_region_with_none_known_and_with_many() -> None:
    assert str(RegionNotFoundError("x", [])) == "unknown region 'x'; known regions: none"
    many = [f"r{i:02}" for i in range(60)]
    text = str(RegionNotFoundError("x", many))
    assert text.endswith("'r48', 'r49'")
    assert text.count("'r") == 50
    long = RegionNotFoundError("n" * 100, ["k\n" * 50])
    shown_name = repr("n" * 100)[:80] + "... [22 more characters]"
    assert str(long).startswith(f"unknown region {shown_name}; known regions: ")
    assert "\n" not in str(long)
    assert str(long).endswith("... [72 more characters]")


# -- region() against a server -----------------------------------------------------------


async def test_region_client_talks_to_the_region(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _regions_reply(other_server, server)
    other_server.default = Reply(json=[])
    base_url = f"{server.url}/api/v1alpha1"
    async with AsyncFluidstack(TOKEN, base_url=base_url, retry_policy=FAST, max_retries=5) as fs:
        east = await fs.region("r1", project_id=PROJECT_ID)
        projects = await east.projects.list()
        instances = await east.instances.list()
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
    assert type(east) is AsyncRegionClient
    assert east.max_retries == 5


async def test_a_region_client_sends_no_query_the_region_url_had(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "r1", "url": f"{other_server.url}/api?debug=1#x"}])
    other_server.default = Reply(json=[])
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await (await fs.region("r1")).projects.list() == []
    assert [r.path for r in other_server.requests] == ["/api/projects"]


async def test_a_region_client_fetches_regions_from_the_global_api(
    server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "east", "url": other_server.url}])
    other_server.default = Reply(json=[])
    base = f"{server.url}/api/v1alpha1"
    async with AsyncFluidstack(TOKEN, base_url=base, retry_policy=FAST) as fs:
        east = await fs.region("east")
        await east.projects.list()
        # A region client has no region(): regions come from the Management API only,
        # however the lookup is made (refreshed, or from a copy with other options).
        assert not hasattr(east, "region")
        again = await fs.with_options(max_retries=0).region("east", refresh=True)
        await again.instance_types.list()
    assert str(again.base_url) == f"{other_server.url}/api/v1alpha1"
    assert [r.path for r in server.requests] == ["/api/v1alpha1/regions"] * 2
    assert [r.path for r in other_server.requests] == [
        "/api/v1alpha1/projects",
        "/api/v1alpha1/instance-types",
    ]


async def test_regions_are_fetched_once_and_cached(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.region("r1")
        await fs.region("r2")
    assert len(server.requests) == 1


async def test_cache_ttl_and_explicit_refresh(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    async with AsyncFluidstack(
        TOKEN, base_url=server.url, retry_policy=FAST, region_cache_ttl=0
    ) as fs:
        await fs.region("r1")
        await fs.region("r1")
    assert len(server.requests) == 2
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.region("r1")
        await fs.region("r1", refresh=True)
    assert len(server.requests) == 4


async def test_unknown_region_lists_known_names(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server, names=("us-east-1", "eu-west-2"))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError, match="'eu-west-2', 'us-east-1'"):
            await fs.region("ap-south-9")


async def test_unknown_region_message_and_attributes(server: ScriptedServer) -> None:
    server.default = Reply(
        json=[
            {"name": "us-east-1", "url": server.url},
            {"name": "eu-west-2", "url": server.url},
        ]
    )
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionNotFoundError) as info:
            await fs.region("ap-south-9")
    exc = info.value
    assert str(exc) == "unknown region 'ap-south-9'; known regions: 'eu-west-2', 'us-east-1'"
    assert exc.name == "ap-south-9"
    assert exc.known == ["eu-west-2", "us-east-1"]
    assert exc.args == (str(exc),)
    copy = pickle.loads(pickle.dumps(exc))
    assert (str(copy), copy.name, copy.known) == (str(exc), exc.name, exc.known)


async def test_insecure_region_url_is_refused_before_sending(server: ScriptedServer) -> None:
    server.default = Reply(json=[{"name": "evil", "url": "http://evil.example.com"}])
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(RegionURLError, match="https"):
            await fs.region("evil")
    assert len(server.requests) == 1  # only /regions


async def test_a_region_table_from_another_origin_is_never_trusted() -> None:
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
            async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
                with pytest.raises(RedirectError, match="another origin"):
                    await (await fs.region("x")).instances.list()
            assert server.requests[0].path == REGIONS
        assert other.requests == []


async def test_region_clients_share_the_pool_and_do_not_close_it(server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    async with AsyncFluidstack(TOKEN, base_url=server.url) as fs:
        async with await fs.region("r1") as east:
            pass
        async with fs.with_options(max_retries=0) as quick:
            pass
        assert east._shared.http is fs._shared.http is quick._shared.http
        assert not fs._shared.http.is_closed
    assert fs._shared.http.is_closed


# -- concurrent lookups share one fetch --------------------------------------------------


@pytest.mark.async_only
async def test_concurrent_async_lookups_share_one_request(server: ScriptedServer) -> None:
    def slow_regions(_: Recorded) -> Reply:
        return Reply(json=[{"name": "r1", "url": server.url}], delay=0.2)

    server.default = slow_regions
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        clients = await asyncio.gather(*(fs.region("r1") for _ in range(50)))
    assert len(server.requests) == 1
    assert {str(c.base_url) for c in clients} == {f"{server.url}/"}


def test_concurrent_sync_lookups_share_one_request(server: ScriptedServer) -> None:
    server.default = Reply(json=[{"name": "r1", "url": server.url}], delay=0.2)
    results: list[RegionClient] = []
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        threads = [
            threading.Thread(target=lambda: results.append(fs.region("r1"))) for _ in range(10)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 10
    assert len(server.requests) == 1


@pytest.mark.async_only
async def test_concurrent_region_lookups_share_one_successful_fetch_in_tasks() -> None:
    with HostileServer(Regions("ok", delay=0.2)) as server:
        async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
            first = await asyncio.gather(*(fs.region("us-east-1") for _ in range(50)))
            last = await fs.region("us-east-1")  # cached
        async with AsyncFluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
            results = await asyncio.gather(*(fs.region("us-east-1") for _ in range(50)))
    assert {str(r.base_url) for r in [*first, *results]} == {f"{server.url}{API}"}
    assert str(last.base_url) == f"{server.url}{API}"
    assert server.count("GET", REGIONS) == 2  # one per client


def test_concurrent_region_lookups_share_one_successful_fetch_in_threads() -> None:
    with HostileServer(Regions("ok", delay=0.2)) as server:
        with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
            first = at_once(50, lambda: fs.region("us-east-1"))
            last = fs.region("us-east-1")  # cached
        with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
            results = at_once(50, lambda: fs.region("us-east-1"))
    assert all(isinstance(r, RegionClient) for r in [*first, *results]), [*first, *results]
    assert {str(r.base_url) for r in [*first, *results] if isinstance(r, RegionClient)} == {
        f"{server.url}{API}"
    }
    assert str(last.base_url) == f"{server.url}{API}"
    assert server.count("GET", REGIONS) == 2  # one per client


@pytest.mark.async_only
async def test_concurrent_region_lookups_share_one_failing_fetch_in_tasks() -> None:
    regions = Regions("fail")
    counts: list[int] = []
    with HostileServer(regions) as server:
        async with AsyncFluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, max_retries=2
        ) as fs:
            batch = await asyncio.gather(
                *(fs.region("us-east-1") for _ in range(50)), return_exceptions=True
            )
            counts.append(server.count("GET", REGIONS))
            with pytest.raises(InternalServerError):  # the next call fetches again
                await fs.region("us-east-1")
            counts.append(server.count("GET", REGIONS))
            regions.mode = "ok"
            recovered = await fs.region("us-east-1")  # and recovers
    assert len(batch) == 50
    assert all(isinstance(r, InternalServerError) for r in batch), batch
    assert counts == [3, 6]
    assert isinstance(recovered, AsyncRegionClient)
    assert str(recovered.base_url) == f"{server.url}{API}"


def test_concurrent_region_lookups_share_one_failing_fetch_in_threads() -> None:
    regions = Regions("fail")
    counts: list[int] = []
    with (
        HostileServer(regions) as server,
        Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST, max_retries=2) as fs,
    ):
        batch = at_once(50, lambda: fs.region("us-east-1"))
        counts.append(server.count("GET", REGIONS))
        with pytest.raises(InternalServerError):  # the next call fetches again
            fs.region("us-east-1")
        counts.append(server.count("GET", REGIONS))
        regions.mode = "ok"
        recovered = fs.region("us-east-1")  # and recovers
    assert len(batch) == 50
    assert all(isinstance(r, InternalServerError) for r in batch), batch
    assert counts == [3, 6]
    assert isinstance(recovered, RegionClient)
    assert str(recovered.base_url) == f"{server.url}{API}"


@pytest.mark.async_only
async def test_concurrent_region_lookups_share_a_hanging_fetch_in_tasks() -> None:
    with HostileServer(Regions("hang")) as server:
        start = time.monotonic()
        async with AsyncFluidstack(
            TOKEN, base_url=server.url + API, timeout=0.5, max_retries=0
        ) as fs:
            results = await asyncio.gather(
                *(fs.region("us-east-1") for _ in range(20)), return_exceptions=True
            )
        elapsed = time.monotonic() - start
    assert len(results) == 20
    assert all(isinstance(r, APITimeoutError) for r in results), results
    assert elapsed < 1.5
    assert server.count("GET", REGIONS) == 1


def test_concurrent_region_lookups_share_a_hanging_fetch_in_threads() -> None:
    with HostileServer(Regions("hang")) as server:
        start = time.monotonic()
        with Fluidstack(TOKEN, base_url=server.url + API, timeout=0.5, max_retries=0) as fs:
            results = at_once(20, lambda: fs.region("us-east-1"))
        elapsed = time.monotonic() - start
    assert len(results) == 20
    assert all(isinstance(r, APITimeoutError) for r in results), results
    assert elapsed < 1.5
    assert server.count("GET", REGIONS) == 1


@pytest.mark.async_only
async def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch() -> None:
    with HostileServer(Regions("ok", delay=0.3)) as server:
        async with AsyncFluidstack(TOKEN, base_url=server.url + API) as fs:
            impatient = asyncio.ensure_future(asyncio.wait_for(fs.region("us-east-1"), 0.05))
            patient = [fs.region("us-east-1") for _ in range(5)]
            results = await asyncio.gather(impatient, *patient, return_exceptions=True)
    assert isinstance(results[0], TimeoutError)
    assert all(isinstance(r, AsyncRegionClient) for r in results[1:]), results
    assert server.count("GET", REGIONS) == 1


def _held_until(release: threading.Event) -> Callable[[Conn], None]:
    """/regions that answers only once `release` is set (or after 3 s)."""

    def answer(conn: Conn) -> None:
        release.wait(3)
        with suppress(OSError):
            conn.respond(200, _listing(conn), JSON)

    return answer


@pytest.mark.async_only
async def test_joining_a_hanging_region_fetch_waits_only_for_the_callers_own_timeout_in_tasks() -> (
    None
):
    """Review finding a10: a caller joining another's region fetch waited as long as
    that fetch, not its own timeout."""
    release = threading.Event()
    with HostileServer(_held_until(release)) as server:
        base_url = server.url + API
        async with AsyncFluidstack(TOKEN, base_url=base_url, timeout=10, max_retries=0) as fs:
            leader = asyncio.create_task(fs.region("x"))
            while server.count("GET", REGIONS) == 0:
                await asyncio.sleep(0.01)
            start = time.monotonic()
            with pytest.raises(APITimeoutError):
                await fs.with_options(timeout=0.5, max_retries=0).region("x")
            elapsed = time.monotonic() - start
            release.set()
            led = await leader
    assert elapsed < 1.5, f"the 0.5 s caller waited {elapsed:.2f}s for the leader's fetch"
    # The leader, whose own timeout was 10 s, still got its region.
    assert str(led.base_url) == base_url
    assert server.count("GET", REGIONS) == 1


def test_joining_a_hanging_region_fetch_waits_only_for_the_callers_own_timeout_in_threads() -> None:
    """Review finding a10: a caller joining another's region fetch waited as long as
    that fetch, not its own timeout."""
    release = threading.Event()
    with HostileServer(_held_until(release)) as server:
        base_url = server.url + API
        with Fluidstack(TOKEN, base_url=base_url, timeout=10, max_retries=0) as fs:
            led: list[RegionClient] = []
            leader = threading.Thread(target=lambda: led.append(fs.region("x")))
            leader.start()
            _wait_for_request(server, REGIONS)
            start = time.monotonic()
            with pytest.raises(APITimeoutError):
                fs.with_options(timeout=0.5, max_retries=0).region("x")
            elapsed = time.monotonic() - start
            release.set()
            leader.join(5)
    assert elapsed < 1.5, f"the 0.5 s caller waited {elapsed:.2f}s for the leader's fetch"
    # The leader, whose own timeout was 10 s, still got its region.
    assert [str(r.base_url) for r in led] == [base_url]
    assert server.count("GET", REGIONS) == 1


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


@pytest.mark.async_only
async def test_waiters_on_a_failing_region_fetch_each_raise_their_own_exception_in_tasks() -> None:
    """Review finding a18: every waiter raised one shared exception object, whose
    traceback grew with each waiter's frames."""
    n = 20
    with HostileServer(_down_while_waiters_join) as server:
        async with AsyncFluidstack(
            TOKEN, base_url=server.url + API, retry_policy=FAST, max_retries=0
        ) as fs:
            errors = await asyncio.gather(
                *(fs.region("x") for _ in range(n)), return_exceptions=True
            )
            assert server.count("GET", REGIONS) == 1
            (alone,) = await asyncio.gather(fs.region("x"), return_exceptions=True)
        assert server.count("GET", REGIONS) == 2
    _assert_each_raised_its_own(list(errors), alone, n)


def test_waiters_on_a_failing_region_fetch_each_raise_their_own_exception_in_threads() -> None:
    """Review finding a18: every waiter raised one shared exception object, whose
    traceback grew with each waiter's frames."""
    n = 20
    with HostileServer(_down_while_waiters_join) as server:
        with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST, max_retries=0) as fs:
            errors = at_once(n, lambda: fs.region("x"))
            assert server.count("GET", REGIONS) == 1
            (alone,) = at_once(1, lambda: fs.region("x"))
        assert server.count("GET", REGIONS) == 2
    _assert_each_raised_its_own(errors, alone, n)
