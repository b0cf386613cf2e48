"""Test your own async code against the fake, in-process (no port opened).

`fake.async_client()` is an `AsyncFluidstack` wired to the fake. Seed data says only
what the test is about: whatever an item leaves out (ids, IPs, images, ...) is
filled in with realistic values, and a typo fails here, not later in the client.
"""

import asyncio

from fluidstack_client import AsyncFluidstack
from fluidstack_client.testing import FakeAPI


async def stopped_instances(fs: AsyncFluidstack, project_id: str) -> list[str]:  # "your code"
    """A project's stopped instances in every region, asked of the regions concurrently."""
    regions = [await fs.region(r.name, project_id=project_id) for r in await fs.regions.list()]
    answers = await asyncio.gather(*(region.instances.list() for region in regions))
    return sorted(i.name for instances in answers for i in instances if i.state == "stopped")


async def main() -> None:
    fake = FakeAPI(
        regions=["us-east-1", "eu-west-1"],
        instances=[
            {"name": "train-0", "region": "us-east-1"},
            {"name": "train-1", "region": "us-east-1", "state": "stopped"},
            {"name": "eval-0", "region": "eu-west-1", "state": "stopped"},
        ],
    )
    fake.fail_next(1, status=503, route="ListInstances")  # one regional call fails once
    project = fake.projects[0]["id"]  # where seeded items go unless they say otherwise
    async with fake.async_client() as fs:
        print(await stopped_instances(fs, project))  # ['eval-0', 'train-1'], after one retry
    calls = [r.operation for r in fake.requests]
    print(calls.count("ListInstances"), "ListInstances calls")  # 2 regions + 1 retry = 3


asyncio.run(main())
