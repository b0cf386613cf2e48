"""What the tests of the waiters (`instances.wait()`, `wait_deleted()`) and of the
fan-out over regions (`each_region()`) share.

- `Clients`: the fake's clients of the test's own kind (`fake.async_client()` for an
  async test, `fake.client()` for its derived sync twin: the textual rewrite cannot
  turn one name into the other);
- `Pauses`: a stand-in for a client's waiting clock that records each pause a waiter
  takes (wrapping the fake's clock, or keeping time of its own for a client of a
  scripted server), so nothing sleeps and every pause is seen;
- `FixedJitter`: a stand-in for the waiters' random source, at one end of its range;
- the documented schedule, computed here from `_waiting`'s constants and the docs'
  jitter range (never by calling `_waiting.pause()`, the code under test);
- `instance_body()`: a region's instance in a given state, for scripted servers;
- `Gauge`: a `HostileServer` answer that lists regions and counts how many regional
  calls are in flight at once.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast

from fluidstack_client import AsyncFluidstack, AsyncRegionClient, Fluidstack, RegionClient
from fluidstack_client._waiting import FIRST_PAUSE, GROWTH, MAX_PAUSE, Clock
from fluidstack_client.testing import FakeAPI
from support.client_region import INSTANCE
from support.hostile_server import Conn

C = TypeVar("C", AsyncFluidstack, Fluidstack)
R = TypeVar("R", AsyncRegionClient, RegionClient)

# The jitter's range, as _waiting's docstring and the docs give it.
LOW_JITTER = 0.8
HIGH_JITTER = 1.2
JSON = {"Content-Type": "application/json"}


class Clients(Generic[C, R]):
    """The fake's in-process clients of one kind: async ones for an async test, sync
    ones for its derived twin (the `clients` fixture decides from the test)."""

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async

    def client(self, fake: FakeAPI, **options: Any) -> C:
        made: Any = fake.async_client(**options) if self.is_async else fake.client(**options)
        return cast(C, made)

    def region_client(self, fake: FakeAPI, name: str = "us-east-1", **options: Any) -> R:
        made: Any = (
            fake.async_region_client(name, **options)
            if self.is_async
            else fake.region_client(name, **options)
        )
        return cast(R, made)


class Pauses:
    """A waiting clock that records every pause (`taken`). Wrapping another clock (the
    fake's), it passes each pause on; alone, it keeps time of its own from 0."""

    def __init__(self, inner: Clock | None = None) -> None:
        self.inner = inner
        self.time = 0.0
        self.taken: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.inner.now() if self.inner is not None else self.time

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.taken.append(seconds)
            self.time += seconds
        if self.inner is not None:
            self.inner.advance(seconds)


def record_pauses(
    client: AsyncFluidstack | Fluidstack | AsyncRegionClient | RegionClient,
) -> Pauses:
    """Make `client` (and every client sharing its pool: its copies, its regions) wait
    on a `Pauses` clock: over the fake's clock when it has one, else on its own time
    (a client of a scripted server then never sleeps between polls)."""
    shared = client._shared
    pauses = Pauses(shared.clock)
    shared.clock = pauses
    return pauses


class FixedJitter(random.Random):
    """Stands in for `_waiting._JITTER`: `uniform(a, b)` gives `a` (at="low") or `b`
    (at="high") or their midpoint (at="mid"), and records each range asked for."""

    def __init__(self, at: str) -> None:
        super().__init__(0)
        self.at = at
        self.asked: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.asked.append((a, b))
        return {"low": a, "high": b, "mid": (a + b) / 2}[self.at]


def schedule(count: int, factor: float = 1.0) -> list[float]:
    """The documented schedule's first `count` pauses, each scaled by `factor`: from
    FIRST_PAUSE, growing by GROWTH each time up to MAX_PAUSE, never past MAX_PAUSE."""
    pauses: list[float] = []
    base = FIRST_PAUSE
    for _ in range(count):
        pauses.append(min(MAX_PAUSE, min(base, MAX_PAUSE) * factor))
        base *= GROWTH
    return pauses


def polls_for(transition: float, factor: float) -> int:
    """How many polls a wait makes for a transition that takes `transition` seconds
    when each pause is the schedule's at jitter `factor`: one at once, then one after
    each pause, until one comes at or after `transition`."""
    polls, elapsed = 1, 0.0
    for pause in schedule(10_000, factor):
        if elapsed >= transition:
            break
        elapsed += pause
        polls += 1
    return polls


def poll_bounds(transition: float) -> tuple[int, int]:
    """The fewest and the most polls the schedule allows for a transition of
    `transition` seconds: every pause at its longest, every pause at its shortest."""
    return polls_for(transition, HIGH_JITTER), polls_for(transition, LOW_JITTER)


def instance_body(state: str, **changes: Any) -> dict[str, Any]:
    """A region's instance (tests/support/client_region.py's) in `state`."""
    return {**INSTANCE, "state": state, **changes}


class Gauge:
    """A `HostileServer` answer: `GET /api/v1alpha1/regions` lists `names`, each a region
    at `<server>/<name>`; any other request is held `hold` seconds, then answered
    `200 []`, and `peak` is the most held at once (`started` when each began)."""

    def __init__(self, names: Sequence[str], hold: float) -> None:
        self.names = list(names)
        self.hold = hold
        self.in_flight = 0
        self.peak = 0
        self.started: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, conn: Conn) -> None:
        if conn.request.path.endswith("/regions"):
            listed = [{"name": n, "url": f"{conn.server.url}/{n}"} for n in self.names]
            conn.respond(200, json.dumps(listed).encode(), JSON)
            return
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.started[conn.request.path.split("/")[1]] = time.monotonic()
        try:
            time.sleep(self.hold)
        finally:
            with self._lock:
                self.in_flight -= 1
        conn.respond(200, b"[]", JSON)


# -- what only the async tests use (never in a derived test) ------------------------------


class AsyncCallback:
    """A callable object whose `__call__` is a coroutine function; `states` are those
    it was called with, once awaited."""

    def __init__(self) -> None:
        self.states: list[str] = []

    async def __call__(self, instance: Any) -> None:
        await asyncio.sleep(0)
        self.states.append(str(instance.state))


async def note(states: list[str], instance: Any) -> None:
    """A coroutine function for `on_change` (bound with functools.partial)."""
    await asyncio.sleep(0)
    states.append(str(instance.state))


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Return once `condition()` holds (checked every 5 ms), failing after `within` s."""
    stop = time.monotonic() + within
    while not condition():
        assert time.monotonic() < stop, "it never happened"
        await asyncio.sleep(0.005)
