"""The fluidstack-client quickstart: `make demo`.

With no configuration it starts the bundled fake API on a loopback port and shows
the client at work against it, writes and injected failures included. With
FLUIDSTACK_TOKEN set (and optionally FLUIDSTACK_BASE_URL) it talks to the real API
instead, and then only reads: nothing in your account is changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Iterator

from fluidstack_client import AsyncFluidstack, FluidstackError, Instance, RetryPolicy
from fluidstack_client.testing import FakeAPI, FakeServer, serve

DEMO_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEaSkijEWFbnjixzWRw3u2spZZaeVeWO5 demo@laptop"


def say(label: str, text: str = "") -> None:
    print(f"  {label:<26} {text}")


class PrintRetries(logging.Handler):
    """Show the client's retry log lines as part of the demo's output."""

    def emit(self, record: logging.LogRecord) -> None:
        say("", f"↻ {record.getMessage()}")


@contextlib.contextmanager
def target() -> Iterator[tuple[str | None, FakeServer | None]]:
    if os.environ.get("FLUIDSTACK_TOKEN"):
        yield None, None  # the client reads FLUIDSTACK_TOKEN / FLUIDSTACK_BASE_URL itself
        return
    with serve(FakeAPI(token="demo-token")) as server:
        yield "demo-token", server


def instance_table(instances: list[Instance]) -> None:
    by_project: dict[str, list[Instance]] = defaultdict(list)
    for inst in instances:
        by_project[inst.project_id].append(inst)
    for project, members in sorted(by_project.items()):
        say(f"project {project[:8]}…", f"{len(members)} instance(s)")
        for inst in members:
            say("", f"{inst.name:<14} {inst.state:<9} {inst.region:<10} ip={inst.ip or '-'}")


async def main() -> None:
    logging.getLogger("fluidstack_client").addHandler(PrintRetries())
    logging.getLogger("fluidstack_client").setLevel(logging.INFO)
    with target() as (token, server):
        base_url = server.base_url if server else None
        live = server is None
        print(f"fluidstack-client demo against {'the real API' if live else 'the bundled fake'}")
        # Short waits between retries so the demo does not dawdle.
        policy = RetryPolicy(max_retries=3, initial_delay=0.2, max_delay=1.0)
        async with AsyncFluidstack(token, base_url=base_url, retry_policy=policy) as fs:
            print(f"\n1. regions (from {fs.base_url})")
            regions = await fs.regions.list()
            for region in regions:
                say(region.name, region.url)
            if regions:
                # A client of the region's own API (examples/provision.py creates there).
                regional = await fs.region(regions[0].name)
                say(f"→ client for {regions[0].name}", str(regional.base_url))
                projects = await regional.projects.list()
                for project in projects:
                    say("", f"project {project.name} ({project.state})")
                # Capacity is asked in a project: FLUIDSTACK_PROJECT_ID's, else the first.
                project_id = regional.project_id or (projects[0].id if projects else None)
                if project_id is not None:
                    for offer in await regional.capacity.list(project_id=project_id):
                        say("", f"capacity {offer.name}: {offer.capacity} available")

            print("\n2. instances per project")
            instance_table(await fs.instances.list())

            if live:
                print("\n3. SSH keys (read-only against the real API)")
                for key in await fs.keys.list():
                    say(key.name, key.key[:40] + "…")
                return

            print("\n3. register and list an SSH key")
            await fs.keys.register(name="demo-laptop", key=DEMO_KEY)
            for key in await fs.keys.list():
                say(key.name, key.key[:40] + "…")

            assert server is not None
            print("\n4. the API fails twice with 500; the client retries")
            server.fake.fail_next(2, status=500, route="ListInstances")
            instances = await fs.instances.list()
            say("✓ survived", f"{len(instances)} instances after retries")

            print("\n5. a POST is not retried after a 5xx (it could act twice)")
            server.fake.fail_next(1, status=503, route="CreateInvitation")
            try:
                await fs.invitations.create(email="new@acme.io", role="viewer")
            except FluidstackError as exc:
                say(f"✗ {type(exc).__name__}", str(exc))
            sent = [r for r in server.fake.requests if r.operation == "CreateInvitation"]
            say("invitation requests sent", str(len(sent)))


if __name__ == "__main__":
    asyncio.run(main())
