"""One AsyncFluidstack shared by a thousand tasks on one event loop."""

from __future__ import annotations

import asyncio

import samples
from clients import TOKEN
from scripted_server import Reply, ScriptedServer

from fluidstack_client import AsyncFluidstack, Instance


def test_thousand_concurrent_calls_share_one_client(server: ScriptedServer) -> None:
    server.default = Reply(json=samples.INSTANCE)

    async def main() -> list[Instance]:
        async with AsyncFluidstack(TOKEN, base_url=server.url) as fs:
            return await asyncio.gather(
                *(fs.instances.get(samples.INSTANCE_ID) for _ in range(1000))
            )

    results = asyncio.run(main())
    assert len(results) == 1000
    assert all(r.name == "gpu-0" for r in results)
    assert len(server.requests) == 1000
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
