"""Region discovery as a user meets it: which URL a region maps to, each refusal's
message, how long the table is trusted, and what the unknown-region error lists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from clients import MODES, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import RegionNotFoundError, RegionURLError
from fluidstack_client._regions import DEFAULT_REGION_CACHE_TTL, RegionTable, region_base_url

GLOBAL = httpx.URL("https://api.atlas.fluidstack.io/api/v1alpha1")


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


def test_a_bare_region_host_takes_the_global_apis_path() -> None:
    other = httpx.URL("https://api.example.io/v9/")
    assert str(region_base_url("https://r.example.io", other)) == "https://r.example.io/v9/"


@pytest.mark.parametrize("mode", MODES)
def test_a_region_client_sends_no_query_the_region_url_had(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(json=[{"name": "r1", "url": f"{other_server.url}/api?debug=1#x"}])
    other_server.default = Reply(json=[])

    def scenario(fs: Any) -> Any:
        if mode == "sync":
            return fs.region("r1").keys.list()

        async def go() -> Any:
            return await (await fs.region("r1")).keys.list()

        return go()

    assert run(mode, server.url, scenario) == []
    assert [r.path for r in other_server.requests] == ["/api/user/keys"]


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
