"""Fixtures for the client's tests, sync and async alike (a conftest is never derived,
so a fixture here may name both clients)."""

from __future__ import annotations

import asyncio
import time

import pytest

from fluidstack_client import _async_send, _sync_send


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between attempts, as the clients ask for it (and still slept)."""
    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        time.sleep(seconds)

    async def async_sleep(seconds: float) -> None:
        asked.append(seconds)
        await asyncio.sleep(seconds)

    monkeypatch.setattr(_sync_send, "sleep", sleep)
    monkeypatch.setattr(_async_send, "sleep", async_sleep)
    return asked


@pytest.fixture
def unslept_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between attempts the clients ask for, in order; none is slept (so a
    test can assert the defaults' half-second and Retry-After's 60 s without waiting)."""
    from fluidstack_client import _async_send, _sync_send

    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)

    async def async_sleep(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(_sync_send, "sleep", sleep)
    monkeypatch.setattr(_async_send, "sleep", async_sleep)
    return asked
