"""A long-running service authenticating with OAuth client credentials (`make demo`).

It starts the bundled fake on a loopback port with 2-second tokens, and makes a
call every 0.4 s for several token lifetimes from 20 concurrent tasks. The client
renews the token shortly before each one expires (one token request per renewal,
however many tasks are calling) and no call fails. The renewals are logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from fluidstack_client import AsyncFluidstack, ClientCredentials
from fluidstack_client.testing import FakeAPI, serve

LIFETIME = 2.0
SECONDS = float(os.environ.get("DEMO_SECONDS", "7"))
START = time.monotonic()


class PrintRenewals(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if "new token" in record.getMessage():
            print(f"  {time.monotonic() - START:5.1f}s  ↻ new token (one request for all 20 tasks)")


async def worker(fs: AsyncFluidstack, calls: list[int]) -> None:
    while time.monotonic() - START < SECONDS:
        await fs.instances.list()
        calls.append(1)
        await asyncio.sleep(0.4)


async def main() -> None:
    fake = FakeAPI(token_lifetime=LIFETIME)
    with serve(fake) as server:
        creds = ClientCredentials(fake.client_id, fake.client_secret, token_url=fake.token_url)
        print(f"fake API at {server.base_url}; tokens live {LIFETIME:g}s")
        calls: list[int] = []
        async with AsyncFluidstack(creds, base_url=server.base_url) as fs:
            await asyncio.gather(*(worker(fs, calls) for _ in range(20)))
        refused = sum(1 for r in fake.requests if r.operation != "OAuthToken") - len(calls)
        print(f"  {len(calls)} calls over {SECONDS:g}s, all succeeded")
        print(f"  token requests: {fake.token_requests} (one per lifetime, not one per task)")
        print(f"  calls refused with 401 and re-sent: {refused}")
        print(f"  {creds!r}: the secret is in no repr")


if __name__ == "__main__":
    log = logging.getLogger("fluidstack_client")
    log.setLevel(logging.INFO)
    log.addHandler(PrintRenewals())
    asyncio.run(main())
