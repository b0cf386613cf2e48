"""Fixtures for the tests of the bundled fake (a conftest is never derived, so a fixture
here may name both clients)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from support.client_region import region_spec as load_region_spec
from support.testing_fake import TRANSPORTS, Connect, connector


@pytest.fixture(params=TRANSPORTS)
def connect(request: pytest.FixtureRequest) -> Iterator[Connect[Any]]:
    """Clients on a fake, in-process or over loopback (each test runs both ways): an
    `AsyncFluidstack` in an async test, a `Fluidstack` in its derived sync twin
    (tests/support/testing_fake.py)."""
    with ExitStack() as servers:
        yield connector(request.param, request.function, servers)


@pytest.fixture(scope="session")
def region_spec() -> dict[str, Any]:
    """spec/atlas-region-v1alpha1.yaml, parsed (tests/support/client_region.py)."""
    return load_region_spec()
