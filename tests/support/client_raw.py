"""What the tests of `with_raw_response` and `with_options(extra_headers=...)` share:
the resources of a client and their public methods, found by looking (so a method
added later is seen), the raw twin of a call named as the operation tables name it
(`"kubernetes.node_pools.list"`), and the request-id headers a server may send.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Iterator
from typing import Any

from fluidstack_client import AsyncFluidstack, AsyncRegionClient, Fluidstack, RegionClient

AnyClient = Fluidstack | AsyncFluidstack | RegionClient | AsyncRegionClient

# The public methods of a resource that are not one request each, so have no raw twin:
# a waiter polls `get` (through its raw twin) until a state is reached.
WAITERS = frozenset({"wait", "wait_deleted"})

# The headers a server or its proxy names a request by, as the issue and the lead's
# notes list them, most specific first (written out here, not read from the package).
REQUEST_ID_HEADERS = [
    "X-Request-Id",
    "Request-Id",
    "X-Amzn-RequestId",
    "X-Amz-Request-Id",
    "X-Correlation-Id",
    "CF-Ray",
]


# Every kind of client, by name, for checks that do not depend on the kind (run once
# over all four, never derived: a derived twin would read the names without "Async").
KINDS = ["Fluidstack", "AsyncFluidstack", "RegionClient", "AsyncRegionClient"]
NOWHERE = "http://127.0.0.1:9"  # nothing listens here; these clients never send


def client_of(kind: str, token: str, project_id: uuid.UUID) -> AnyClient:
    """A client of `kind` (one of KINDS) at NOWHERE: for checks made before sending."""
    if kind == "Fluidstack":
        return Fluidstack(token, base_url=NOWHERE)
    if kind == "AsyncFluidstack":
        return AsyncFluidstack(token, base_url=NOWHERE)
    cls = RegionClient if kind == "RegionClient" else AsyncRegionClient
    return cls(NOWHERE, token=token, project_id=project_id)


def resources(client: AnyClient) -> Iterator[tuple[str, Any]]:
    """Each resource reachable from `client` (`"instances"`, `"kubernetes.clusters"`),
    found by walking its attributes: an object of the package's resource modules that
    has `with_raw_response` is a resource; one without (`kubernetes`) is a namespace,
    walked in turn."""

    def walk(prefix: str, owner: object) -> Iterator[tuple[str, Any]]:
        for name, value in sorted(_attributes(owner).items()):
            if name.startswith("_") or not type(value).__module__.endswith("_resources"):
                continue
            if hasattr(value, "with_raw_response"):
                yield f"{prefix}{name}", value
            else:
                yield from walk(f"{prefix}{name}.", value)

    yield from walk("", client)


def _attributes(owner: object) -> dict[str, object]:
    """`owner`'s instance attributes, those kept in slots included."""
    found = dict(getattr(owner, "__dict__", {}))
    for cls in type(owner).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in [slots] if isinstance(slots, str) else slots:
            if hasattr(owner, name):
                found[name] = getattr(owner, name)
    return found


def public_methods(resource: object) -> set[str]:
    """The public methods of a resource (what a user calls), properties left out."""
    return {
        name
        for name, member in inspect.getmembers(type(resource))
        if not name.startswith("_") and inspect.isfunction(member)
    }


def raw_methods(resource: Any) -> set[str]:
    """The calls `resource.with_raw_response` offers."""
    raw = resource.with_raw_response
    names = set(getattr(raw, "__dict__", {}))
    names |= {n for n, m in inspect.getmembers(type(raw)) if inspect.isfunction(m)}
    return {n for n in names if not n.startswith("_") and callable(getattr(raw, n))}


def missing_raw_twins(client: AnyClient) -> list[str]:
    """`resource.method` of every public method with no raw twin (waiters excepted),
    and of every raw twin with no method: empty when the two match."""
    problems = []
    for path, resource in resources(client):
        plain = public_methods(resource) - WAITERS
        raw = raw_methods(resource)
        problems += [f"{path}.{name}" for name in sorted(plain ^ raw)]
    return problems


def raw_call(client: AnyClient, call: str) -> Any:
    """The raw twin of `call` (`"instances.get"`) on `client`:
    `client.instances.with_raw_response.get`."""
    *path, method = call.split(".")
    resource: Any = functools.reduce(getattr, path, client)
    return getattr(resource.with_raw_response, method)
