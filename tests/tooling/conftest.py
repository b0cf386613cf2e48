"""tests/tooling/: the project's tooling (generator, api-check, update-spec, dist,
packaging, docs, docstrings, examples and demo, benchmarks, mutate). Every module here
is marked `tooling`."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.markers import may_select


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A run whose `-m` leaves `tooling` out (the mutation run, the lowest-dependency
    run, `make quick`, `make fuzz`) does not even import these modules: they import the
    tools (griffe, openapi-spec-validator) that the lowest-dependency venv does not
    install, and would only slow every other run's collection."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return None if may_select(config.getoption("markexpr"), "tooling") else True
