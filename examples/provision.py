"""Provision a GPU instance from start to end: `make demo` runs this against the fake.

create → running → stop → stopped → start → running → delete → gone, printing each
state the instance goes through, polled with `instances.get()`. Then what a region
does less often, which the fake can show on demand: a type out of stock (the create
is accepted, and the instance ends `out-of-stock`), and a create whose answer is
lost (the client never sends it twice: the instance is found by its name).

It runs against the bundled fake, served on a loopback port, whatever the
environment holds: an instance on the real API costs money. `--live --type TYPE`
runs the lifecycle (only that) against the real API instead, with the environment's
credentials (FLUIDSTACK_TOKEN, ...) and project (FLUIDSTACK_PROJECT_ID or
`--project`), in the region `--region` names (default: the first listed) or at
FLUIDSTACK_REGION_URL. That creates a billed instance, and deletes it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from fluidstack_client import APIConnectionError, AsyncFluidstack, NotFoundError
from fluidstack_client.region import AsyncRegionClient, Instance
from fluidstack_client.testing import FakeAPI, FakeServer, serve

REGION = "us-east-1"
TYPE = "h100-80gb-sxm"
SOLD_OUT = "h100-hgx-80gb.8x"  # the fake's us-east-1 has none of these left
FAILED = ("out-of-stock", "error")  # states an instance does not leave by itself


class ProvisioningError(Exception):
    """The instance is in a state it will not leave by itself."""


def say(label: str, text: str = "") -> None:
    print(f"  {label:<26} {text}".rstrip())


def describe(instance: Instance) -> str:
    ip = f"ip={instance.ip}" if instance.state == "running" and instance.ip else ""
    return f"{instance.state:<12} {ip}".rstrip()


async def watch(region: AsyncRegionClient, instance_id: uuid.UUID, until: str) -> Instance:
    """Poll the instance until it is in state `until`, printing each state it is seen in."""
    delay, seen = 0.1, None
    while True:
        instance = await region.instances.get(instance_id)
        if instance.state != seen:
            say("", describe(instance))
            seen = instance.state
        if instance.state == until:
            return instance
        if instance.state in FAILED:
            raise ProvisioningError(f"{instance.name} is {instance.state}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)  # 0.1 s, 0.2 s, 0.4 s, ... then every 10 s


async def watch_gone(region: AsyncRegionClient, instance_id: uuid.UUID) -> None:
    """Poll the instance until the region answers 404, printing each state seen."""
    delay, seen = 0.1, None
    while True:
        try:
            instance = await region.instances.get(instance_id)
        except NotFoundError:
            say("", "gone (404)")
            return
        if instance.state != seen:
            say("", describe(instance))
            seen = instance.state
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)


async def delete(region: AsyncRegionClient, instance_id: uuid.UUID) -> None:
    await region.instances.delete(instance_id)
    say("delete", "accepted (204)")
    await watch_gone(region, instance_id)


async def lifecycle(region: AsyncRegionClient, name: str, type_: str) -> None:
    """Create, wait until running, stop, start, delete: the instance is deleted
    whatever happens once it exists (one left behind costs money)."""
    new = await region.instances.create(name=name, type=type_)
    say("create", f"{name}: accepted (201), {new.type_}, id {new.id}")
    try:
        await watch(region, new.id, "running")
        await region.instances.stop(new.id)
        say("stop", "accepted (202)")
        await watch(region, new.id, "stopped")
        await region.instances.start(new.id)
        say("start", "accepted (202)")
        await watch(region, new.id, "running")
    finally:
        await delete(region, new.id)


async def show_capacity(region: AsyncRegionClient) -> None:
    types = {t.name: t for t in await region.instance_types.list()}
    for offer in await region.capacity.list():
        kind = types.get(offer.name)
        what = f" ({kind.gpu_count} x {kind.gpu_model}, {kind.cpu} CPUs)" if kind else ""
        say(offer.name, f"{offer.capacity} available{what}")


async def out_of_stock(region: AsyncRegionClient) -> None:
    new = await region.instances.create(name="train-big", type=SOLD_OUT)
    say("create", f"train-big: accepted (201), {SOLD_OUT}")
    try:
        await watch(region, new.id, "running")
    except ProvisioningError as exc:
        say("✗ ProvisioningError", str(exc))
    await delete(region, new.id)  # it exists, in out-of-stock: do not leave it


async def create_once(region: AsyncRegionClient, name: str, type_: str) -> Instance:
    """Create the instance `name`, unless a lost answer hides that it was."""
    try:
        return await region.instances.create(name=name, type=type_)
    except APIConnectionError as exc:
        say(f"✗ {type(exc).__name__}", "the answer was lost: was it created?")
        for instance in await region.instances.list():
            if instance.name == name:
                say("found by its name", describe(instance))
                return instance
        raise


async def lost_answer(region: AsyncRegionClient, fake: FakeAPI) -> None:
    fake.lose_next_answer(route="CreateInstance")  # the region creates it; the answer is lost
    found = await create_once(region, "train-lost", TYPE)
    await watch(region, found.id, "running")
    await delete(region, found.id)
    sent = [r for r in fake.requests if r.operation == "CreateInstance" and r.body]
    creates = sum(1 for r in sent if r.json()["name"] == "train-lost")
    say("create requests sent", f"{creates} (one instance, one request)")


@contextlib.asynccontextmanager
async def live_region(args: argparse.Namespace) -> AsyncIterator[AsyncRegionClient]:
    """The region's client, from the environment (FLUIDSTACK_REGION_URL) or `--region`."""
    if os.environ.get("FLUIDSTACK_REGION_URL"):
        async with AsyncRegionClient(project_id=args.project) as region:
            yield region
        return
    async with AsyncFluidstack() as fs:
        name = args.region or (await fs.regions.list())[0].name
        yield await fs.region(name, project_id=args.project)


async def live(args: argparse.Namespace) -> None:
    print("fluidstack-client provisioning against the real API (a billed instance)")
    async with live_region(args) as region:
        print(f"\n1. capacity at {region.base_url}")
        await show_capacity(region)
        print(f"\n2. the lifecycle of {args.name} ({args.type})")
        await lifecycle(region, args.name, args.type)


async def demo() -> None:
    print("fluidstack-client provisioning demo against the bundled fake")
    sold_out = {REGION: {"capacity": {SOLD_OUT: 0}}, "eu-west-1": {}}
    server: FakeServer
    with serve(FakeAPI(token="demo-token", regions=sold_out)) as server:
        fake = server.fake
        async with AsyncFluidstack("demo-token", base_url=server.base_url) as fs:
            project = fake.projects[0]
            region = await fs.region(REGION, project_id=project["id"])
            print(f"\n1. capacity in {REGION} (project {project['name']})")
            await show_capacity(region)

            print(f"\n2. the lifecycle of train-demo ({TYPE})")
            await lifecycle(region, "train-demo", TYPE)

            print(f"\n3. a type out of stock ({SOLD_OUT})")
            await out_of_stock(region)

            print("\n4. a create whose answer is lost: never sent twice")
            await lost_answer(region, fake)
        print(f"\n{len(fake.requests)} requests; the fake's clock: {fake.clock:g} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", action="store_true", help="the real API: a billed instance")
    parser.add_argument("--type", help="with --live: the instance type to create")
    parser.add_argument("--region", help="with --live: the region (default: the first)")
    parser.add_argument("--project", help="with --live: the project (FLUIDSTACK_PROJECT_ID)")
    parser.add_argument("--name", default="fluidstack-client-demo", help="with --live")
    args = parser.parse_args()
    if not args.live:
        asyncio.run(demo())
        return
    if not args.type:
        parser.error("--live needs --type (a type the region offers: capacity.list())")
    asyncio.run(live(args))


if __name__ == "__main__":
    main()
