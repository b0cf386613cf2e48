"""tests/contract/: judges we did not write (Prism, schemathesis). Every module here is
marked `contract`.

The Prism processes and the fake behind the proxies, for the Prism modules of both
APIs (and their derived sync twins): each starts once per session
(tests/support/contract_prism.py) and stops at its end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import contract_prism
from support.contract_prism import Prism
from support.markers import may_select

from fluidstack_client.testing import FakeServer


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A run whose `-m` leaves `contract` out (the mutation run, the lowest-dependency
    run, `make quick`) does not even import these modules: they import schemathesis,
    which the lowest-dependency venv does not install."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return None if may_select(config.getoption("markexpr"), "contract") else True


@pytest.fixture(scope="module", autouse=True)
def report_prism_count() -> Iterator[None]:
    """How many requests Prism validated in the module, after it (with `-s`)."""
    before = len(contract_prism.VALIDATED)
    yield
    if len(contract_prism.VALIDATED) > before:
        print(f"\nPrism validated {len(contract_prism.VALIDATED) - before} requests")


@pytest.fixture(scope="session")
def prism_mock() -> Iterator[Prism]:
    """`prism mock --errors` on spec/openapi.yaml."""
    yield contract_prism.mock()
    contract_prism.stop_all()


@pytest.fixture(scope="session")
def region_prism_mock() -> Iterator[Prism]:
    """`prism mock --errors` on spec/atlas-region-v1alpha1.yaml."""
    yield contract_prism.mock("region")
    contract_prism.stop_all()


@pytest.fixture(scope="session")
def fake_upstream() -> Iterator[FakeServer]:
    """The fake behind both proxies (a test chooses what it serves with `use()`)."""
    yield contract_prism.upstream()
    contract_prism.stop_all()


@pytest.fixture(scope="session")
def prism_proxy(fake_upstream: FakeServer) -> Iterator[Prism]:
    """`prism proxy --errors` on spec/openapi.yaml, in front of the fake."""
    yield contract_prism.proxy()
    contract_prism.stop_all()


@pytest.fixture(scope="session")
def region_prism_proxy(fake_upstream: FakeServer) -> Iterator[Prism]:
    """`prism proxy --errors` on spec/atlas-region-v1alpha1.yaml, in front of the
    fake's regional API (of `contract_prism.REGION`)."""
    yield contract_prism.proxy("region")
    contract_prism.stop_all()
