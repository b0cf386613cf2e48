"""pytest fixtures shipped with fluidstack-client (registered as a pytest11 plugin).

    def test_my_service(fluidstack_fake, fluidstack_client):
        my_service.sync_keys(fluidstack_client)
        assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "deploy"]

For async code, build the client in the test: `async with fluidstack_fake.async_client() as fs:`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fluidstack_client._sync_client import Fluidstack

from ._fake import FakeAPI


@pytest.fixture
def fluidstack_fake() -> FakeAPI:
    """A fresh in-memory fake of the Management API, with default seed data."""
    return FakeAPI()


@pytest.fixture
def fluidstack_client(fluidstack_fake: FakeAPI) -> Iterator[Fluidstack]:
    """A `Fluidstack` wired in-process to `fluidstack_fake`."""
    with fluidstack_fake.client() as client:
        yield client
