"""A faithful fake of the Fluidstack Management API, for testing code that uses this client.

In-process, no port opened:

    fake = FakeAPI(token="t")
    with fake.client() as fs:                # a Fluidstack wired to the fake
        fs.keys.register(name="laptop", key="ssh-ed25519 AAAA")
    assert fake.requests[-1].operation == "RegisterKey"

On a real loopback port (also `python -m fluidstack_client.testing`):

    with serve(FakeAPI(token="t")) as server:
        ...  # point anything at server.base_url

With pytest, the `fluidstack_fake` and `fluidstack_client` fixtures come with the
package (a pytest11 plugin).
"""

from __future__ import annotations

from ._fake import API_PATH, ROUTES, FakeAPI, FakeResponse, RecordedRequest
from ._server import FakeServer, serve
from ._transport import FakeTransport

__all__ = [
    "API_PATH",
    "ROUTES",
    "FakeAPI",
    "FakeResponse",
    "FakeServer",
    "FakeTransport",
    "RecordedRequest",
    "serve",
]
