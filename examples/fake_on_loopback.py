"""Run the fake as a real HTTP server on loopback, for code that takes a URL."""

import asyncio

from fluidstack_client import AsyncFluidstack
from fluidstack_client.testing import FakeAPI, serve


async def main() -> None:
    with serve(FakeAPI(token="t")) as server:  # a free port on 127.0.0.1
        print(server.base_url)  # http://127.0.0.1:PORT/api/v1alpha1
        async with AsyncFluidstack("t", base_url=server.base_url) as fs:
            project = server.fake.projects[0]["id"]
            # Regions point back at the same fake, which serves their API too.
            east = await fs.region("us-east-1", project_id=project)
            print([i.name for i in await east.instances.list()])
        print(len(server.fake.requests), "requests served")


asyncio.run(main())
