"""Provision a GPU instance from start to end: `make demo` runs this against the fake.

The workflow of docs/provisioning.md, with the client's waiters: create → wait until
running → stop → wait until stopped → delete → wait until gone, each change of state
shown by the waiter's own log line. Around it, what a provisioning tool does and what
a region does less often, which the fake can show on demand: which regions have
capacity for a type (`each_region`, with one region down), a type out of stock (the
create is accepted, and the wait ends with `InstanceStateError`), a create whose
answer is lost (`AmbiguousWriteError`: the instance is found by its name and adopted,
never created twice), and a raw response and a correlation header.

It runs against the bundled fake, in-process, whatever the environment holds: an
instance on the real API costs money. The fake's clients wait on the fake's clock, so
minutes of waiting take milliseconds. `--live --type TYPE` runs the lifecycle (only
that) against the real API instead, with the environment's credentials
(FLUIDSTACK_TOKEN, ...) and project (FLUIDSTACK_PROJECT_ID or `--project`), in the
region `--region` names (default: the first listed) or at FLUIDSTACK_REGION_URL. That
creates a billed instance, and deletes it at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator

from fluidstack_client import (
    AmbiguousWriteError,
    APIStatusError,
    AsyncFluidstack,
    AsyncRegionClient,
    InstanceStateError,
)
from fluidstack_client.region import Instance
from fluidstack_client.testing import FakeAPI

REGION = "us-east-1"
TYPE = "h100-80gb-sxm"
SOLD_OUT = "h100-hgx-80gb.8x"  # the fake's us-east-1 has none of these left


def say(label: str, text: str = "") -> None:
    print(f"  {label:<26} {text}".rstrip())


def show_state(instance: Instance) -> None:
    """An `on_change` callback: the state the waiter just saw."""
    ip = f"ip={instance.ip}" if instance.state == "running" and instance.ip else ""
    say("", f"{instance.state:<12} {ip}")


@contextlib.contextmanager
def waiter_log_lines() -> Iterator[None]:
    """Print the client's INFO lines (a waiter's: one per change of state) meanwhile."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("    %(message)s"))
    logger = logging.getLogger("fluidstack_client")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def provision(east: AsyncRegionClient, name: str, type_: str) -> None:
    """The guide's workflow; the instance is deleted whatever happens once it exists
    (one left behind costs money)."""
    inst = await east.instances.create(name=name, type=type_)
    say("create", f"{name}: {inst.state}, {inst.type_}, id {inst.id}")
    try:
        await east.instances.wait(inst.id)
        await east.instances.stop(inst.id)
        say("stop", "accepted")
        await east.instances.wait(inst.id, until="stopped")
    finally:
        await east.instances.delete(inst.id)
        say("delete", "accepted")
        await east.instances.wait_deleted(inst.id)
        say("gone", "(404)")


async def capacity(region: AsyncRegionClient) -> dict[str, int]:
    """The region's capacity, type by type: what `each_region` asks every region."""
    return {offer.name: offer.capacity for offer in await region.capacity.list()}


async def where_to_run(fs: AsyncFluidstack, project: str) -> str:
    # No retries: an answer now, and a region that is down is its own outcome.
    outcomes = await fs.with_options(max_retries=0).each_region(capacity, project_id=project)
    for name, outcome in outcomes.items():
        if isinstance(outcome, APIStatusError):
            say(name, f"✗ {type(outcome).__name__}: {outcome.status_code} {outcome.message}")
        elif isinstance(outcome, Exception):
            say(name, f"✗ {type(outcome).__name__}: {outcome}")
        else:
            say(name, ", ".join(f"{kind} {count}" for kind, count in outcome.items()))
    free = {
        name: outcome[TYPE]
        for name, outcome in outcomes.items()
        if not isinstance(outcome, Exception) and outcome.get(TYPE, 0) > 0
    }
    best = max(free, key=free.__getitem__)
    say(f"→ {best}", f"{free[best]} x {TYPE} free")
    return best


async def out_of_stock(region: AsyncRegionClient) -> None:
    new = await region.instances.create(name="train-big", type=SOLD_OUT)
    say("create", f"train-big: {new.state}, {SOLD_OUT}")
    try:
        await region.instances.wait(new.id, on_change=show_state)
    except InstanceStateError as exc:
        say("✗ InstanceStateError", str(exc))
    await region.instances.delete(new.id)  # it exists, in out-of-stock: do not leave it
    say("delete", "accepted")
    await region.instances.wait_deleted(new.id, on_change=show_state)
    say("gone", "(404)")


async def create_once(region: AsyncRegionClient, name: str, type_: str) -> Instance:
    """Create the instance `name`, or adopt it if a lost answer hid it."""
    try:
        return await region.instances.create(name=name, type=type_)
    except AmbiguousWriteError as exc:
        say(f"✗ {type(exc).__name__}", f"{exc.operation}: it may have been carried out")
        for instance in await region.instances.list():
            if instance.name == name:
                say("found by its name", f"{instance.state}: adopted")
                return instance
        raise


async def lost_answer(region: AsyncRegionClient, fake: FakeAPI) -> None:
    fake.lose_next_answer(route="CreateInstance")  # the region creates it; the answer is lost
    found = await create_once(region, "train-lost", TYPE)
    await region.instances.wait(found.id, on_change=show_state)
    await region.instances.delete(found.id)
    await region.instances.wait_deleted(found.id)
    say("gone", "(404)")
    sent = [r for r in fake.requests if r.operation == "CreateInstance" and r.body]
    creates = sum(1 for r in sent if r.json()["name"] == "train-lost")
    say("create requests sent", f"{creates} (one instance, one request)")


async def raw_and_headers(region: AsyncRegionClient, fake: FakeAPI) -> None:
    traced = region.with_options(extra_headers={"X-Correlation-Id": "demo-job-7"})
    raw = await traced.instances.with_raw_response.list()
    instances = raw.parse()
    say("instances.list", f"{raw.status_code}, {len(instances)} instance(s)")
    say("request id", f"{raw.request_id} (X-Request-Id: quote it to support)")
    say("X-Correlation-Id received", fake.requests[-1].headers["x-correlation-id"])


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
        for kind, count in (await capacity(region)).items():
            say(kind, f"{count} available")
        print(f"\n2. the lifecycle of {args.name} ({args.type})")
        with waiter_log_lines():
            await provision(region, args.name, args.type)


async def demo() -> None:
    print("fluidstack-client provisioning demo against the bundled fake (on its clock)")
    started = time.perf_counter()
    sold_out = {REGION: {"capacity": {SOLD_OUT: 0}}, "eu-west-1": {}}
    fake = FakeAPI(token="demo-token", regions=sold_out)
    project = fake.projects[0]
    async with fake.async_client() as fs:  # in-process: its waiters wait on the fake's clock
        print("\n1. which regions have capacity (each_region), eu-west-1 down")
        fake.fail_next(1, status=503, route="ListCapacity", region="eu-west-1")
        name = await where_to_run(fs, project["id"])
        region = await fs.region(name, project_id=project["id"])

        print(f"\n2. the lifecycle of train-demo ({TYPE}) in {name}")
        with waiter_log_lines():
            await provision(region, "train-demo", TYPE)

        print(f"\n3. a type out of stock ({SOLD_OUT})")
        await out_of_stock(region)

        print("\n4. a create whose answer is lost: adopted, never created twice")
        await lost_answer(region, fake)

        print("\n5. the raw response, and a correlation header")
        await raw_and_headers(region, fake)
    elapsed = time.perf_counter() - started
    print(
        f"\n{len(fake.requests)} requests; {fake.clock:.0f} s of the fake's clock "
        f"in {elapsed:.2f} s of yours"
    )


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
