"""tests/contract/: judges we did not write (Prism, schemathesis). Every module here is
marked `contract`."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.markers import may_select


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A run whose `-m` leaves `contract` out (the mutation run, the lowest-dependency
    run, `make quick`) does not even import these modules: they import schemathesis,
    which the lowest-dependency venv does not install."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return None if may_select(config.getoption("markexpr"), "contract") else True
