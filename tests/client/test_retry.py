"""Retries: which failures are retried (5xx, 429, 408, transport errors before a write
left), how long each wait is (backoff, jitter, Retry-After), and that a write is never
sent twice. The pure policy first, then real servers on 127.0.0.1."""

from __future__ import annotations

import pytest
from support import samples
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIConnectionError,
    AsyncFluidstack,
    InternalServerError,
    RateLimitError,
)


def _jittered(waits: list[float], *bases: float) -> bool:
    """Each wait is its backoff base scaled by a jitter in [0.5, 1]."""
    return len(waits) == len(bases) and all(
        base / 2 <= wait <= base for wait, base in zip(waits, bases, strict=True)
    )


# -- against real servers -----------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
async def test_get_recovers_from_5xx(
    status: int, server: ScriptedServer, waits: list[float]
) -> None:
    server.queue(Reply(status, {"message": "flaky"}), Reply(json=[samples.REGION]))
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        regions = await fs.regions.list()
    assert [r.name for r in regions] == ["us-east-1"]
    assert len(server.requests) == 2
    assert _jittered(waits, FAST.initial_delay)


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_post_is_sent_once_even_on_5xx(status: int, server: ScriptedServer) -> None:
    server.default = Reply(status, {"message": "try later"})
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises((InternalServerError, RateLimitError)):
            await fs.invitations.create(email="a@b.io", role="viewer")
    assert len(server.requests) == 1


async def test_post_is_not_retried_after_a_dropped_connection(server: ScriptedServer) -> None:
    server.default = Reply(drop=True)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(APIConnectionError):
            await fs.keys.register(name="k", key="ssh-ed25519 AAAA")
    assert len(server.requests) == 1
