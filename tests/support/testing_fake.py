"""Clients wired to a `FakeAPI`, in-process or over loopback, for the tests of the fake.

A test of the fake written once, as an async test, asks for `connect` (the fixture in
tests/testing/conftest.py) typed `Connect[AsyncFluidstack]`; its derived sync twin
reads `Connect[Fluidstack]`. The fixture gives each kind of test its own kind of
client, built the way a user builds one:

- in-process: `fake.async_client(...)` / `fake.client(...)` (the fake's transport);
- loopback: `AsyncFluidstack(...)` / `Fluidstack(...)` pointed at the fake served on
  a free 127.0.0.1 port for the rest of the test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, Protocol, TypeVar

from fluidstack_client import AsyncFluidstack, Fluidstack
from fluidstack_client.testing import FakeAPI, FakeServer
from support.clients import FAST

TRANSPORTS = ["in-process", "loopback"]

ClientT_co = TypeVar("ClientT_co", covariant=True)


class Connect(Protocol[ClientT_co]):
    """A new client on `fake` (close it: `with`/`async with`). `options` are the
    client's own; `retry_policy` defaults to the fast one, `token` to the fake's."""

    def __call__(self, fake: FakeAPI, /, **options: Any) -> ClientT_co: ...


def connector(
    transport: str, test: Callable[..., Any], servers: ExitStack
) -> Connect[Fluidstack | AsyncFluidstack]:
    """The `Connect` for a test: async clients for an `async def` test, sync ones for a
    plain one; fakes served on loopback are stopped when `servers` closes."""
    is_async = inspect.iscoroutinefunction(test)
    served: dict[int, FakeServer] = {}

    def connect(fake: FakeAPI, /, **options: Any) -> Fluidstack | AsyncFluidstack:
        options.setdefault("retry_policy", FAST)
        if transport == "in-process":
            return fake.async_client(**options) if is_async else fake.client(**options)
        if id(fake) not in served:
            served[id(fake)] = servers.enter_context(FakeServer(fake))
        token = options.pop("token", fake.token)
        cls = AsyncFluidstack if is_async else Fluidstack
        return cls(token, base_url=fake.base_url, **options)

    return connect
