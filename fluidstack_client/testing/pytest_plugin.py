"""pytest fixtures shipped with fluidstack-client (registered as a pytest11 plugin).

- `fluidstack_fake`: a fresh `FakeAPI` (default seed data) for each test.
- `fluidstack_fake_client`: a `Fluidstack` wired in-process to `fluidstack_fake`.
- `fluidstack_fake_async_client`: an `AsyncFluidstack` wired in-process to it; use it
  from `async def` tests marked `@pytest.mark.anyio` (anyio's pytest plugin comes
  with httpx, nothing else to install) or run by pytest-asyncio.

    import fluidstack_client
    import pytest

    def test_sync_keys(fluidstack_fake, fluidstack_fake_client):
        my_service.add_deploy_key(fluidstack_fake_client)
        assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "deploy"]

    @pytest.mark.anyio
    async def test_missing(fluidstack_fake_async_client):
        with pytest.raises(fluidstack_client.NotFoundError):
            await fluidstack_fake_async_client.members.delete("nobody")

Other seed data: override `fluidstack_fake` in your conftest.py (the client fixtures
follow it): `return FakeAPI(instances=[{"name": "gpu-0"}])`.

`fluidstack_client`, the old name of `fluidstack_fake_client`, is deprecated (it
hid the `fluidstack_client` package inside the test): it still works, with a
`DeprecationWarning`, and goes away in the next release.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from fluidstack_client._async_client import AsyncFluidstack
from fluidstack_client._sync_client import Fluidstack

from ._fake import FakeAPI


@pytest.fixture
def fluidstack_fake() -> FakeAPI:
    """A fresh in-memory fake of the Management API, with the default seed data.

    Override it in a conftest.py to start from other data; the client fixtures
    follow it."""
    return FakeAPI()


@pytest.fixture
def fluidstack_fake_client(fluidstack_fake: FakeAPI) -> Iterator[Fluidstack]:
    """A `Fluidstack` wired in-process to `fluidstack_fake` (no port opened)."""
    with fluidstack_fake.client() as client:
        yield client


@pytest.fixture
def fluidstack_fake_async_client(fluidstack_fake: FakeAPI) -> AsyncFluidstack:
    """An `AsyncFluidstack` wired in-process to `fluidstack_fake` (no port opened).

    A plain fixture, so it works under any async test runner (anyio's
    `@pytest.mark.anyio`, pytest-asyncio in strict or auto mode) with no async
    fixture support: the client binds to the test's event loop on its first call,
    and its in-process transport holds no connection to close afterwards."""
    return fluidstack_fake.async_client()


@pytest.fixture
def fluidstack_client(fluidstack_fake: FakeAPI) -> Iterator[Fluidstack]:
    """Deprecated: the old name of `fluidstack_fake_client`. It hid the
    `fluidstack_client` package inside the test; it goes away in the next release."""
    warnings.warn(
        "the `fluidstack_client` fixture is deprecated and will be removed in the next "
        "release of fluidstack-client: it hides the `fluidstack_client` package inside "
        "the test (so `fluidstack_client.NotFoundError` fails). "
        "Use `fluidstack_fake_client` (or `fluidstack_fake_async_client`) instead.",
        DeprecationWarning,
        stacklevel=2,
    )
    with fluidstack_fake.client() as client:
        yield client
