"""A faithful fake of the Fluidstack Management API and of each region's API, for
testing code that uses this client.

In-process, no port opened:

    fake = FakeAPI(token="t", instances=[{"name": "gpu-0"}])  # the rest filled in
    with fake.client() as fs:                # a Fluidstack wired to the fake
        fs.keys.register(name="laptop", key="ssh-ed25519 AAAA")
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)  # the fake's too
        new = east.instances.create(name="train-0", type="h100-80gb-sxm")
        fake.advance(10)                     # the fake's clock: no sleeping
        assert east.instances.get(new.id).state == "running"
    assert fake.requests[0].operation == "RegisterKey"

On a real loopback port (also `python -m fluidstack_client.testing`):

    with serve(FakeAPI(token="t")) as server:
        ...  # point anything at server.base_url

With pytest, the `fluidstack_fake`, `fluidstack_fake_client` and
`fluidstack_fake_async_client` fixtures come with the package (a pytest11 plugin).

A mistake in using the fake (seed data that does not fit the spec, a fault aimed at
a route the spec lacks, ...) raises `FakeUsageError` where it was made.
"""

from __future__ import annotations

from ._errors import FakeUsageError
from ._fake import API_PATH, ROUTES, FakeAPI, FakeResponse, RecordedRequest
from ._regional import REGION_ROUTES, FakeRegion
from ._seed import DEFAULT_PROJECT_ID
from ._server import FakeServer, serve
from ._transport import FakeTransport

__all__ = [
    "API_PATH",
    "DEFAULT_PROJECT_ID",
    "REGION_ROUTES",
    "ROUTES",
    "FakeAPI",
    "FakeRegion",
    "FakeResponse",
    "FakeServer",
    "FakeTransport",
    "FakeUsageError",
    "RecordedRequest",
    "serve",
]
