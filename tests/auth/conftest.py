"""Fixtures for the credential tests, sync and async alike (a conftest is never derived,
so a fixture here may name both clients)."""

from __future__ import annotations

import pytest
from support.auth_tokens import Clock

import fluidstack_client._credentials as credentials_module


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The credentials' clock, moved by the test (`clock.offset = 3600`: an hour later)."""
    shim = Clock()
    monkeypatch.setattr(credentials_module, "time", shim)
    return shim
