"""Run the same scenario through `Fluidstack` and `AsyncFluidstack`.

A scenario is a function of the client; with the async client it returns a
coroutine, which `run` awaits. Either way the test sees the plain result.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from fluidstack_client import AsyncFluidstack, Fluidstack, RetryPolicy

TOKEN = "sk-test-0123456789abcdef"
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)
MODES = ["sync", "async"]


def run(
    mode: str,
    base_url: str,
    scenario: Callable[[Any], Any],
    *,
    http: Callable[[], httpx.Client | httpx.AsyncClient] | None = None,
    **options: Any,
) -> Any:
    """Build the client (with `http()` as its user-supplied http_client, if given),
    run the scenario, close everything."""
    options.setdefault("retry_policy", FAST)
    token = options.pop("token", TOKEN)
    if mode == "sync":
        user_client = http() if http else None
        assert user_client is None or isinstance(user_client, httpx.Client)
        try:
            with Fluidstack(token, base_url=base_url, http_client=user_client, **options) as fs:
                return scenario(fs)
        finally:
            if isinstance(user_client, httpx.Client):
                assert not user_client.is_closed  # not the wrapper's to close
                user_client.close()

    async def main() -> Any:
        user_client = http() if http else None
        assert user_client is None or isinstance(user_client, httpx.AsyncClient)
        try:
            async with AsyncFluidstack(
                token, base_url=base_url, http_client=user_client, **options
            ) as fs:
                return await resolve(scenario(fs))
        finally:
            if isinstance(user_client, httpx.AsyncClient):
                assert not user_client.is_closed
                await user_client.aclose()

    return asyncio.run(main())


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def chain(*steps: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A scenario of several calls on one client; returns the last result."""

    def scenario(fs: Any) -> Any:
        if isinstance(fs, Fluidstack):
            result = None
            for step in steps:
                result = step(fs)
            return result

        async def run_all() -> Any:
            result = None
            for step in steps:
                result = await resolve(step(fs))
            return result

        return run_all()

    return scenario


def outcomes(
    mode: str, url: str, calls: Sequence[Callable[[Any], Any]], **options: Any
) -> list[Any]:
    """Run the calls one after another on one client; what each returned or raised."""

    def scenario(fs: Any) -> Any:
        if isinstance(fs, Fluidstack):
            results: list[Any] = []
            for call in calls:
                try:
                    results.append(call(fs))
                except Exception as exc:
                    results.append(exc)
            return results

        async def main() -> list[Any]:
            results: list[Any] = []
            for call in calls:
                try:
                    results.append(await call(fs))
                except Exception as exc:
                    results.append(exc)
            return results

        return main()

    results: list[Any] = run(mode, url, scenario, **options)
    return results
