# Derived from tests/client/test_fan_out.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Fan-out over regions: `fs.each_region(fn)` calls `fn(region_client)` for every
region `/regions` lists (or those named), concurrently, and gives each region's
outcome: its value, or its exception in its place.

Against the fake, in-process and on loopback (the `connect` fixture): a value per
region in the project asked for, a failing region and a region whose `fn` raises
among healthy ones, a slow region that delays no other (measured), unknown and
repeated names, `/regions` failing, arguments refused before anything is sent, the
docs' case (which regions have capacity for a type), and waiters inside `fn` on the
fake's clock. Against a loopback server that counts the calls in flight:
`max_concurrency` (the sync client's threads measured too). Cancelling a fan-out
(`async_only`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from support.client_waiting import Gauge
from support.clients import FAST, TOKEN
from support.hostile_server import HostileServer
from support.testing_fake import TRANSPORTS, Connect, connector
from support.testing_region import H100, H100_8X

from fluidstack_client import (
    APITimeoutError,
    Fluidstack,
    InternalServerError,
    InvalidParameterError,
    RegionClient,
    RegionNotFoundError,
)
from fluidstack_client.region import Instance
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI


@pytest.fixture(params=TRANSPORTS)
def connect(request: pytest.FixtureRequest) -> Iterator[Connect[Any]]:
    """Management clients of the fake, in-process or on loopback, of the test's kind
    (tests/support/testing_fake.py)."""
    with ExitStack() as servers:
        yield connector(request.param, request.function, servers)


def instance_names(region: RegionClient) -> list[str]:
    return [i.name for i in region.instances.list()]


def regional(fake: FakeAPI, operation: str) -> list[str | None]:
    """The region of each request for `operation`, in order."""
    return [r.region for r in fake.requests if r.operation == operation]


# -- a value per region ------------------------------------------------------------------


def test_each_region_gives_each_regions_value_in_the_listed_order(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(
        regions=["us-east-1", "eu-west-1", "ap-south-1"],
        instances=[
            {"name": "east-0", "region": "us-east-1"},
            {"name": "west-0", "region": "eu-west-1"},
            {"name": "west-1", "region": "eu-west-1"},
        ],
    )
    with connect(fake) as fs:
        outcomes = fs.each_region(instance_names, project_id=DEFAULT_PROJECT_ID)
    assert outcomes == {
        "us-east-1": ["east-0"],
        "eu-west-1": ["west-0", "west-1"],
        "ap-south-1": [],
    }
    assert list(outcomes) == ["us-east-1", "eu-west-1", "ap-south-1"]
    assert regional(fake, "ListRegions") == [None]  # one fetch of /regions
    calls = [r for r in fake.requests if r.operation == "ListInstances"]
    assert sorted(str(r.region) for r in calls) == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert {r.headers["x-project-id"] for r in calls} == {DEFAULT_PROJECT_ID}


def test_a_failing_region_has_its_exception_in_its_place_and_the_others_their_values(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(regions=["us-east-1", "eu-west-1", "ap-south-1"])
    fake.fail_next(100, status=500, region="eu-west-1")

    def capabilities(region: RegionClient) -> list[str]:
        return region.capabilities.list()

    with connect(fake) as fs:
        outcomes = fs.each_region(capabilities)
    down = outcomes["eu-west-1"]
    assert isinstance(down, InternalServerError)
    assert down.status_code == 500
    assert outcomes["us-east-1"] == outcomes["ap-south-1"] == fake.region("us-east-1").capabilities
    assert regional(fake, "ListCapabilities").count("eu-west-1") == 1 + FAST.max_retries


def test_an_exception_fn_raises_for_one_region_is_that_regions_outcome(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI()

    def picky(region: RegionClient) -> str:
        names = region.instance_types.list()
        if "/eu-west-1/" in str(region.base_url):
            raise LookupError("not in Europe")
        return names[0].name

    with connect(fake) as fs:
        outcomes = fs.each_region(picky)
    refused = outcomes["eu-west-1"]
    assert isinstance(refused, LookupError)
    assert str(refused) == "not in Europe"
    assert outcomes["us-east-1"] == fake.region("us-east-1").instance_types[0]["name"]


def test_a_slow_region_delays_no_other_beyond_its_own_timeout(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI()
    fake.add_latency(5, region="eu-west-1")  # past the client's timeout
    finished: dict[str, float] = {}

    def timed(region: RegionClient) -> int:
        types = region.instance_types.list()
        finished[str(region.base_url)] = time.monotonic() - started
        return len(types)

    with connect(fake, timeout=0.3, max_retries=0) as fs:
        fs.region("us-east-1")  # (the table fetched before the clock starts)
        started = time.monotonic()
        outcomes = fs.each_region(timed)
        elapsed = time.monotonic() - started
    assert isinstance(outcomes["eu-west-1"], APITimeoutError)
    assert outcomes["us-east-1"] == len(fake.region("us-east-1").instance_types)
    (east_done,) = finished.values()
    assert east_done < 0.2  # not held up by eu-west-1
    assert 0.3 <= elapsed < 0.3 + 0.4  # eu-west-1's own timeout, once


# -- which regions -------------------------------------------------------------------------


def test_named_regions_are_called_once_each_and_an_unknown_one_is_its_outcome(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI()
    with connect(fake) as fs:
        outcomes = fs.each_region(
            instance_names,
            regions=["eu-west-1", "mars-1", "eu-west-1"],
            project_id=DEFAULT_PROJECT_ID,
        )
    assert list(outcomes) == ["eu-west-1", "mars-1"]
    assert isinstance(outcomes["eu-west-1"], list)
    unknown = outcomes["mars-1"]
    assert isinstance(unknown, RegionNotFoundError)
    assert "mars-1" in str(unknown)
    assert regional(fake, "ListRegions") == [None]
    assert regional(fake, "ListInstances") == ["eu-west-1"]


@pytest.mark.parametrize(
    "regions",
    [lambda: ("eu-west-1",), lambda: {"eu-west-1"}, lambda: (n for n in ["eu-west-1"])],
    ids=["tuple", "set", "generator"],
)
def test_regions_may_be_any_collection_of_names(
    connect: Connect[Fluidstack], regions: Callable[[], Iterable[str]]
) -> None:
    fake = FakeAPI()
    with connect(fake) as fs:
        outcomes = fs.each_region(instance_names, regions=regions(), project_id=DEFAULT_PROJECT_ID)
    assert list(outcomes) == ["eu-west-1"]


def test_no_regions_named_is_no_call(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI()
    with connect(fake) as fs:
        assert fs.each_region(instance_names, regions=[]) == {}
    assert fake.requests == []


def test_regions_failing_to_list_raises(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI()
    fake.fail_next(100, status=503, route="ListRegions")
    with connect(fake) as fs:
        with pytest.raises(InternalServerError):
            fs.each_region(instance_names)
    assert {r.operation for r in fake.requests} == {"ListRegions"}
    assert len(fake.requests) == 1 + FAST.max_retries


def test_regions_failing_to_list_raises_when_regions_are_named_too(
    connect: Connect[Fluidstack],
) -> None:
    """each_region's docstring: "Raises: APIError: `/regions` could not be fetched".
    With regions named, the fetch happens inside each region's job instead: no error
    is raised, every region's outcome is the same InternalServerError, and `/regions`
    is fetched again (with its retries) for each batch of `max_concurrency` regions."""
    fake = FakeAPI()
    fake.fail_next(100, status=503, route="ListRegions")
    with connect(fake) as fs:
        with pytest.raises(InternalServerError):
            fs.each_region(instance_names, regions=["us-east-1", "eu-west-1"], max_concurrency=1)
    assert {r.operation for r in fake.requests} == {"ListRegions"}
    assert len(fake.requests) == 1 + FAST.max_retries


# -- arguments refused before anything is sent ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_concurrency": 0}, "max_concurrency must be an int >= 1, got 0"),
        ({"max_concurrency": -1}, "max_concurrency must be an int >= 1, got -1"),
        ({"max_concurrency": True}, "max_concurrency must be an int >= 1, got True"),
        ({"max_concurrency": 1.5}, "max_concurrency must be an int >= 1, got 1.5"),
        ({"max_concurrency": "8"}, "max_concurrency must be an int >= 1, got '8'"),
        ({"max_concurrency": None}, "max_concurrency must be an int >= 1, got None"),
        ({"regions": "us-east-1"}, "regions must be a collection of names"),
        ({"regions": b"us-east-1"}, "regions must be a collection of names"),
        ({"regions": 5}, "regions must be a collection of names"),
        ({"regions": [""]}, "regions must be a non-empty string"),
        ({"regions": ["us-east-1", None]}, "regions must be a non-empty string"),
        ({"project_id": "not-a-uuid"}, "project_id must be a UUID"),
        ({"project_id": 5}, "project_id must be a UUID"),
    ],
)
def test_a_bad_argument_is_refused_before_anything_is_sent(
    connect: Connect[Fluidstack], kwargs: dict[str, Any], message: str
) -> None:
    fake = FakeAPI()
    with connect(fake) as fs:
        with pytest.raises(InvalidParameterError) as caught:
            fs.each_region(instance_names, **kwargs)
    assert str(caught.value).startswith(message)
    assert fake.requests == []


def test_fn_that_is_not_callable_is_refused_before_anything_is_sent(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI()
    with connect(fake) as fs:
        with pytest.raises(InvalidParameterError, match=r"^fn must be callable, got NoneType$"):
            fs.each_region(None)  # type: ignore[arg-type]
    assert fake.requests == []


def _type_name(region: object) -> str:
    return type(region).__name__


plain_function: Any = _type_name  # (not a coroutine function, as each_region is typed)


def test_a_plain_function_is_called_for_each_region_too(
    connect: Connect[Fluidstack],
) -> None:
    """Review of issue 21: the async client awaited what `fn` returned, so a plain
    function's value was a TypeError in every region's place."""
    fake = FakeAPI(regions=["us-east-1", "eu-west-1"])
    with connect(fake) as fs:
        outcomes = fs.each_region(plain_function)
    names = {name: str(type_name).removeprefix("Async") for name, type_name in outcomes.items()}
    assert names == {"us-east-1": "RegionClient", "eu-west-1": "RegionClient"}


def _names_of(region: Any) -> list[str]:  # (an async function, whatever the client)
    return [i.name for i in region.instances.list()]


# -- the docs' case, and waiters inside --------------------------------------------------


def with_capacity(fs: Fluidstack, type_: str) -> dict[str, int]:
    """How many instances of `type_` each region can start now (regions that failed
    to answer, or have none, left out)."""

    def count(region: RegionClient) -> int:
        return sum(c.capacity for c in region.capacity.list() if c.name == type_)

    outcomes = fs.each_region(count, project_id=DEFAULT_PROJECT_ID)
    return {name: n for name, n in outcomes.items() if isinstance(n, int) and n > 0}


def test_which_regions_have_capacity_for_a_type(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(
        regions={
            "us-east-1": {"capacity": {H100: 0}},
            "eu-west-1": {"capacity": {H100: 3}},
            "ap-south-1": {},  # the default: 4 of each type
            "sa-east-1": {},
        }
    )
    fake.fail_next(100, status=500, region="sa-east-1")  # down: no answer, left out
    with connect(fake) as fs:
        assert with_capacity(fs, H100) == {"eu-west-1": 3, "ap-south-1": 4}
        assert with_capacity(fs, H100_8X) == {"us-east-1": 4, "eu-west-1": 4, "ap-south-1": 4}


def test_waiters_inside_fn_wait_on_the_fakes_clock(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(seconds_per_request=60)  # (so that on loopback no pause is slept)

    def provision(region: RegionClient) -> Instance:
        new = region.instances.create(name="train-0", type=H100)
        return region.instances.wait(new.id, timeout=600)

    started = time.monotonic()
    with connect(fake) as fs:
        outcomes = fs.each_region(provision, project_id=DEFAULT_PROJECT_ID)
    assert list(outcomes) == ["us-east-1", "eu-west-1"]
    for instance in outcomes.values():
        assert isinstance(instance, Instance)
        assert instance.state == "running"
    assert time.monotonic() - started < 1.0


# -- concurrency: max_concurrency, measured on a server ---------------------------------------


@pytest.mark.parametrize(("limit", "regions"), [(1, 3), (2, 6), (None, 10)])
def test_max_concurrency_bounds_the_regions_called_at_once(limit: int | None, regions: int) -> None:
    hold = 0.25  # long enough for every allowed call to have started meanwhile
    names = [f"r{n}" for n in range(regions)]
    gauge = Gauge(names, hold)
    expected = limit or 8  # the default
    options: dict[str, Any] = {} if limit is None else {"max_concurrency": limit}

    def capabilities(region: RegionClient) -> list[str]:
        return region.capabilities.list()

    with HostileServer(gauge) as server:
        with Fluidstack(TOKEN, base_url=f"{server.url}/api/v1alpha1") as fs:
            fs.region("r0")  # (the table fetched before the clock starts)
            started = time.monotonic()
            outcomes = fs.each_region(capabilities, **options)
            elapsed = time.monotonic() - started
    assert outcomes == {key: [] for key in names}
    assert gauge.peak == expected  # as many at once as allowed, never more
    waves = -(-regions // expected)
    assert waves * hold <= elapsed < waves * hold + 0.4  # concurrently, in `waves` turns


class Interrupted(BaseException):
    """What is no Exception: a KeyboardInterrupt, a SystemExit, a framework's own."""
