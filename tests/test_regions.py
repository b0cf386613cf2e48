"""Region discovery: region(name) gives a client bound to that region's API."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from clients import FAST, MODES, TOKEN, chain, run
from scripted_server import Recorded, Reply, ScriptedServer

from fluidstack_client import (
    AsyncFluidstack,
    Fluidstack,
    RegionNotFoundError,
    RegionURLError,
)
from fluidstack_client._config import is_loopback
from fluidstack_client._regions import RegionTable, region_base_url

GLOBAL = httpx.URL("https://api.atlas.fluidstack.io/api/v1alpha1")


# -- decisions -----------------------------------------------------------------------


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


def test_loopback_hosts() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.255.0.9", "::1", "localhost"]))
    assert not any(map(is_loopback, ["10.0.0.1", "example.com", "128.0.0.1", "::2"]))


def test_region_table_expires_and_lists_known_names() -> None:
    table = RegionTable(ttl=10)
    assert not table.is_fresh(now=0)
    table.store([("a", "https://a"), ("b", "https://b")], now=100)
    assert table.is_fresh(now=109)
    assert not table.is_fresh(now=110)
    with pytest.raises(RegionNotFoundError, match="'a', 'b'") as info:
        table.url_of("c")
    assert info.value.known == ["a", "b"]


# -- against servers ---------------------------------------------------------------------


def _regions_reply(*servers: ScriptedServer, names: tuple[str, ...] = ("r1", "r2")) -> Reply:
    return Reply(json=[{"name": n, "url": s.url} for n, s in zip(names, servers, strict=True)])


@pytest.mark.parametrize("mode", MODES)
def test_region_client_talks_to_the_region(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = _regions_reply(other_server, server)
    other_server.default = Reply(json=[])

    def scenario(fs: Any) -> Any:
        if isinstance(fs, Fluidstack):
            east = fs.region("r1")
            return east, east.instances.list()

        async def go() -> Any:
            east = await fs.region("r1")
            return east, await east.instances.list()

        return go()

    east, instances = run(mode, f"{server.url}/api/v1alpha1", scenario, max_retries=5)
    assert instances == []
    assert [r.path for r in server.requests] == ["/api/v1alpha1/regions"]
    # bare region host + the global API's path; same token; same options
    assert [r.path for r in other_server.requests] == ["/api/v1alpha1/instances"]
    assert other_server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert str(east.base_url) == f"{other_server.url}/api/v1alpha1"
    assert type(east).__name__ == ("Fluidstack" if mode == "sync" else "AsyncFluidstack")
    assert east.max_retries == 5


@pytest.mark.parametrize("mode", MODES)
def test_regions_are_fetched_once_and_cached(mode: str, server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    run(mode, server.url, chain(lambda fs: fs.region("r1"), lambda fs: fs.region("r2")))
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_cache_ttl_and_explicit_refresh(mode: str, server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server)
    run(
        mode,
        server.url,
        chain(lambda fs: fs.region("r1"), lambda fs: fs.region("r1")),
        region_cache_ttl=0,
    )
    assert len(server.requests) == 2
    run(
        mode,
        server.url,
        chain(lambda fs: fs.region("r1"), lambda fs: fs.region("r1", refresh=True)),
    )
    assert len(server.requests) == 4


@pytest.mark.parametrize("mode", MODES)
def test_unknown_region_lists_known_names(mode: str, server: ScriptedServer) -> None:
    server.default = _regions_reply(server, server, names=("us-east-1", "eu-west-2"))
    with pytest.raises(RegionNotFoundError, match="'eu-west-2', 'us-east-1'"):
        run(mode, server.url, lambda fs: fs.region("ap-south-9"))


@pytest.mark.parametrize("mode", MODES)
def test_insecure_region_url_is_refused_before_sending(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[{"name": "evil", "url": "http://evil.example.com"}])
    with pytest.raises(RegionURLError, match="https"):
        run(mode, server.url, lambda fs: fs.region("evil"))
    assert len(server.requests) == 1  # only /regions


def test_concurrent_async_lookups_share_one_request(server: ScriptedServer) -> None:
    def slow_regions(_: Recorded) -> Reply:
        return Reply(json=[{"name": "r1", "url": server.url}], delay=0.2)

    server.default = slow_regions

    async def main() -> list[AsyncFluidstack]:
        async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            return await asyncio.gather(*(fs.region("r1") for _ in range(50)))

    clients = asyncio.run(main())
    assert len(server.requests) == 1
    assert {str(c.base_url) for c in clients} == {f"{server.url}/"}


def test_concurrent_sync_lookups_share_one_request(server: ScriptedServer) -> None:
    server.default = Reply(json=[{"name": "r1", "url": server.url}], delay=0.2)
    results: list[Fluidstack] = []
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
