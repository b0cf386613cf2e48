"""`FakeAPI`: a stateful in-memory Fluidstack Management API, and each region's API.

It answers HTTP-shaped requests (`handle`) with spec-conforming responses; the
in-process transport and the loopback server are two thin shells around it. The
regional operations are in `_regional.py`.
"""

from __future__ import annotations

import base64
import difflib
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, unquote

import httpx

from fluidstack_client._async_client import AsyncFluidstack
from fluidstack_client._sync_client import Fluidstack

from ._errors import FakeUsageError
from ._regional import (
    DEFAULT_SECONDS_PER_REQUEST,
    REGION_ROUTES,
    FakeRegion,
    Lifecycle,
    Refused,
    RegionHandler,
    answer,
    check_durations,
    check_seconds,
)
from ._schema import INSTANCES, MANAGEMENT, build_seed, is_uuid, region_seed

if TYPE_CHECKING:
    from fluidstack_client._async_region import AsyncRegionClient
    from fluidstack_client._sync_region import RegionClient

API_PATH = "/api/v1alpha1"
"""The versioned path of the API: `base_url` is the fake's origin followed by it."""
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path
ROLES = ("admin", "editor", "viewer")
TOKEN_HINT = (
    "this fake takes its own token: fake.token (FakeAPI(token=...) sets it; the command "  # noqa: S105
    "line prints it, or takes --token), or one from its OAuth endpoint"
)
DEFAULT_MAX_RECORDED_REQUESTS = 10_000
"""How many requests a fake keeps in `requests` by default (the newest)."""
DEFAULT_MAX_RECORDED_BODY = 16 * 1024
"""How many bytes of a request's body a fake keeps by default."""
REFUSED_BODY = 1024
"""How many bytes of a refused (401, 403) request's body a fake keeps, at most."""
RECORDED_PATH = 1024
"""How many characters of a request's path a fake's log keeps (a longer one is cut
and ends in `...[N more]`)."""
RECORDED_HEADER = 1024
"""How many characters of each header value a fake's log keeps (cut the same way)."""
RECORDED_HEADERS = 8 * 1024
"""How many characters of header names and values a fake's log keeps for a request
in all; the headers past it are left out, and a header named `...` says how many."""
_REGIONAL = re.compile(r"^/regional/(?P<region>[^/]+)" + re.escape(API_PATH) + r"(?P<rest>/.*)$")


C = TypeVar("C", bound="AsyncFluidstack | Fluidstack | AsyncRegionClient | RegionClient")


class _FakeTime:
    """The clock a client built by the fake waits on (`_waiting.Clock`)."""

    __slots__ = ("_fake",)

    def __init__(self, fake: FakeAPI) -> None:
        self._fake = fake

    def now(self) -> float:
        return self._fake.clock

    def advance(self, seconds: float) -> None:
        self._fake.advance(seconds)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, for tests to assert on (`FakeAPI.requests`).

    Attributes:
        method: The HTTP method, upper case (`"GET"`).
        path: The path as sent, still percent-encoded, without the query
            (`"/api/v1alpha1/instances"`); its first 1 KiB, ending in
            `...[N more]` when it was longer (`RECORDED_PATH`).
        operation: The operationId it was routed to (`"ListInstances"`), of the
            Management spec or, sent to a region's API, of the regional spec;
            `"OAuthToken"` for the token endpoint, or None for a path the spec
            does not have.
        region: The region's name when it was sent to a region's API, else None.
        headers: The request's headers, names in lower case; each value's first
            1 KiB (`...[N more]` when cut), and 8 KiB in all (a header named
            `...` says how many more were left out: `RECORDED_HEADERS`).
        body: The raw body (empty when there was none), its first
            `max_recorded_body` bytes (of a refused request's, 1 KiB at most).
    """

    method: str
    path: str
    operation: str | None
    region: str | None
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body, parsed as JSON.

        Returns:
            What the JSON body holds, or None when the body is empty.

        Raises:
            FakeUsageError: The body is not JSON (a form, say); read `body` instead.
        """
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            kind = self.headers.get("content-type", "no Content-Type")
            raise FakeUsageError(
                f"the body of {self.method} {self.path} is not JSON ({kind}, "
                f"{len(self.body)} bytes); read .body for the raw bytes"
            ) from None


@dataclass
class FakeResponse:
    """The fake's answer to one request, before a transport or server delivers it.

    Attributes:
        status: The HTTP status code.
        body: The response body.
        headers: The response headers.
        delay: Seconds to wait before answering (injected latency).
        drop: Close the connection without answering (an injected drop).
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


@dataclass
class _Fault:
    remaining: int
    route: str | None
    region: str | None
    status: int = 500
    retry_after: str | None = None
    html: bool = False
    drop: bool = False
    lose: bool = False  # act on the request, then drop the connection


@dataclass
class _Latency:
    seconds: float
    route: str | None
    region: str | None


def _json(status: int, payload: Any) -> FakeResponse:
    return FakeResponse(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def _error(status: int, message: str) -> FakeResponse:
    return _json(status, {"message": message})


_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    b"<body><center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n"
)

Handler = Callable[["FakeAPI", "_Call"], FakeResponse]


@dataclass
class _Call:
    method: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    region: str | None
    project: str | None = None  # a regional call's X-PROJECT-ID, checked


class FakeAPI:
    """A faithful fake of the Management API and of each region's API, with state,
    auth, a clock and fault injection.

    Seed data is JSON-shaped: dicts as the specs describe them (`uuid.UUID` and aware
    `datetime` values are accepted too, and `bytes` for `userData`). A list left out
    gets realistic defaults; in an item, a required field left out gets a realistic
    value (a fresh uuid4 id, `state="running"`, an instance's `project_id` is the
    first project's id and its `region` the first region, ...). An unknown field, a
    wrong type or a value outside the spec's enum raises `FakeUsageError` at
    construction, naming the item, the field and what was expected. The seeded state
    is plain lists of dicts (`fake.instances`, `fake.keys`, `fake.projects`, ...) to
    assert on or change later.

    Regions: each region's `url` in `/regions` is the fake's own regional API
    (`<origin>/regional/<name>/api/v1alpha1`), so `client.region(name)` works end to
    end, in-process and on loopback. It serves the 21 regional operations: instances
    (created, started, stopped, deleted, moving through their states on the fake's
    clock), projects, filesystems, capacity, instance types, capabilities, and the
    project's Kubernetes and Slurm clusters (the Management API's `clusters`) and
    node pools. An instance is one record both APIs see: the org-wide
    `GET /instances` lists every region's instances. Projects are the
    organization's: every region lists the same ones.

    The clock (`clock`, seconds from 0) moves only when the fake answers a request
    (each takes `seconds_per_request`, default 1) or the test calls `advance()`. An
    instance leaves `creating`, `starting`, `stopping` and `deleting` after
    `durations[state]` seconds (2 each by default), so with the defaults each of
    those states is seen by two requests, and "create, then poll until running" is
    a create and four polls.

    Auth: the API accepts `token`, and any unexpired token its OAuth endpoint issued.
    That endpoint (`token_url`, `POST /oauth/token`, client-credentials grant, as
    Auth0's) accepts `client_id`/`client_secret` and issues JWT-shaped tokens living
    `token_lifetime` seconds (of the wall clock); an expired one gets 401, so expiry
    and refresh can be tested in seconds. `revoke_tokens()` makes every issued token
    invalid at once.

    Args:
        token: The bearer token the API accepts.
        origin: Where the fake says it lives (`base_url` is this plus
            `/api/v1alpha1`); `serve()` and `FakeServer` set their own.
        regions: Region names (default `["us-east-1", "eu-west-1"]`), or a dict of
            names to what each region offers: `{"us-east-1": {"capacity":
            {"h100-80gb-sxm": 1}}}`, with any of `instance_types` (`InstanceType`
            items; default two H100 types), `capacity` (type name to how many can be
            created, default 4 each) and `capabilities` (strings).
        organizations: `Organization` items (default: one).
        members: `OrganizationMember` items (default: two).
        invitations: `Invitation` items (default: one).
        clusters: `Cluster` items (default: two).
        instances: `Instance` items, with the fields of both APIs' `Instance`
            (default: three, in two projects and regions).
        keys: `SSHKey` items (default: one, `ci-runner`).
        projects: `Project` items (default: two, `DEFAULT_PROJECT_ID` first). A
            project another item names is added if missing.
        filesystems: `Filesystem` items, each with the `region` and `project_id` it
            lives in (default: one, `datasets`).
        node_pools: Node pools (`KubernetesNodePool`/`SlurmNodePool` items), each with
            the `cluster_id` of its cluster (default: one per cluster).
        client_id: The client id its OAuth endpoint accepts.
        client_secret: The client secret its OAuth endpoint accepts.
        token_lifetime: Seconds a token issued by its OAuth endpoint lives.
        durations: Seconds an instance stays `creating`, `starting`, `stopping`
            or `deleting` (any of them; the rest keep their default of 2).
        seconds_per_request: Seconds of the fake's clock each request takes
            (default 1; 0: only `advance()` moves it).
        max_recorded_requests: How many requests `requests` keeps, the newest
            (default 10,000): a fake serving many jobs for hours stays bounded.
        max_recorded_body: How many bytes of each request's body are kept (default
            16 KiB); of a refused request's (401, 403), 1 KiB at most.

    Raises:
        FakeUsageError: Seed data that does not fit the spec (every problem is
            listed), or an argument that cannot work (an empty token, a
            lifetime of 0, an origin that is not an http(s) URL, a negative
            duration).

    Attributes:
        token: The bearer token the API accepts.
        client_id: The client id its OAuth endpoint accepts.
        client_secret: The client secret its OAuth endpoint accepts.
        token_lifetime: Seconds an issued token lives.
        origin: The origin (and any path prefix) the fake advertises.
        region_names: The regions' names, in the order `/regions` lists them.
        organizations: The organizations, as dicts (the state: assert on it,
            or change it).
        members: The organization's members, as dicts.
        invitations: The pending invitations, as dicts.
        clusters: The clusters, as dicts.
        instances: The instances of every region, as dicts.
        keys: The caller's SSH keys, as dicts.
        projects: The organization's projects, as dicts.
        filesystems: The filesystems of every region, as dicts.
        node_pools: The clusters' node pools, as dicts.
        requests: The requests received, oldest first (at most the newest
            `max_recorded_requests`).
        max_recorded_requests: How many requests `requests` keeps (the newest).
        max_recorded_body: How many bytes of each recorded request's body are
            kept (1 KiB at most of a refused request's).
    """

    def __init__(
        self,
        token: str = "fake-token",  # noqa: S107 - the fake's own test token
        *,
        origin: str = "https://api.fluidstack.fake",
        regions: Iterable[str] | None = None,  # a dict of names to offers is one too
        organizations: Iterable[Mapping[str, Any]] | None = None,
        members: Iterable[Mapping[str, Any]] | None = None,
        invitations: Iterable[Mapping[str, Any]] | None = None,
        clusters: Iterable[Mapping[str, Any]] | None = None,
        instances: Iterable[Mapping[str, Any]] | None = None,
        keys: Iterable[Mapping[str, Any]] | None = None,
        projects: Iterable[Mapping[str, Any]] | None = None,
        filesystems: Iterable[Mapping[str, Any]] | None = None,
        node_pools: Iterable[Mapping[str, Any]] | None = None,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",  # noqa: S107 - the fake's own
        token_lifetime: float = 3600.0,
        durations: Mapping[str, float] | None = None,
        seconds_per_request: float = DEFAULT_SECONDS_PER_REQUEST,
        max_recorded_requests: int = DEFAULT_MAX_RECORDED_REQUESTS,
        max_recorded_body: int = DEFAULT_MAX_RECORDED_BODY,
    ) -> None:
        for what, value in (
            ("token", token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ):
            _check_credential(what, value)
        _check_number("token_lifetime", token_lifetime, minimum=0.0, exclusive=True)
        check_seconds("seconds_per_request", seconds_per_request)
        _check_whole("max_recorded_requests", max_recorded_requests, minimum=1)
        _check_whole("max_recorded_body", max_recorded_body, minimum=0)
        self.max_recorded_requests = max_recorded_requests
        self.max_recorded_body = max_recorded_body
        self._received = 0
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self._issued: dict[str, float] = {}  # token -> expiry (time.time())
        self.origin = checked_origin(origin, "origin")
        self._life = Lifecycle(check_durations(durations), float(seconds_per_request))
        seed = build_seed(
            regions,
            {
                "organizations": organizations,
                "members": members,
                "invitations": invitations,
                "clusters": clusters,
                "instances": instances,
                "keys": keys,
                "projects": projects,
                "filesystems": filesystems,
                "node_pools": node_pools,
            },
        )
        self.region_names = list(seed.regions)
        self._regions = {
            name: FakeRegion._seeded(self, name, s) for name, s in seed.regions.items()
        }
        self.organizations = seed.items["organizations"]
        self.members = seed.items["members"]
        self.invitations = seed.items["invitations"]
        self.clusters = seed.items["clusters"]
        self.instances = seed.items["instances"]
        self.keys = seed.items["keys"]
        self.projects = seed.items["projects"]
        self.filesystems = seed.items["filesystems"]
        self.node_pools = seed.items["node_pools"]
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._latencies: list[_Latency] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._life.start_seeded(self)

    def __repr__(self) -> str:
        return f"FakeAPI(base_url='{self.base_url}', requests={len(self.requests)})"

    # -- where it lives -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL to give a client: `origin` + `/api/v1alpha1`."""
        return self.origin + API_PATH

    @property
    def token_url(self) -> str:
        """The fake's OAuth token endpoint (for `ClientCredentials(token_url=...)`)."""
        return self.origin + TOKEN_PATH

    @property
    def token_requests(self) -> int:
        """How many requests its token endpoint has had."""
        return sum(1 for r in self.requests if r.operation == "OAuthToken")

    def revoke_tokens(self) -> None:
        """Invalidate every token the OAuth endpoint issued (the next use gets 401)."""
        with self._lock:
            self._issued.clear()

    def region_url(self, name: str) -> str:
        """The URL `/regions` gives for a region: its API, served by this fake.

        Args:
            name: The region's name.

        Returns:
            `<origin>/regional/<name>/api/v1alpha1`.
        """
        return f"{self.origin}/regional/{name}{API_PATH}"

    def with_origin(self, origin: str) -> None:
        """Advertise another origin (the loopback server sets its own).

        Args:
            origin: The URL clients reach the fake at; `base_url`, the region
                URLs and `token_url` are built from it. A path prefix is kept and
                a trailing `/api/v1alpha1` dropped.

        Raises:
            FakeUsageError: Not an absolute http(s) URL, or one no client can
                connect to (`0.0.0.0`).
        """
        self.origin = checked_origin(origin, "origin")

    def client(self, **options: Any) -> Fluidstack:
        """A `Fluidstack` wired to this fake in-process: no socket, no port.

        Args:
            **options: As for `Fluidstack` (`token` defaults to the fake's,
                `base_url` to its `base_url`; `max_retries`, `retry_policy`,
                `timeout`, ...).

        Returns:
            The client; close it (`with`) when done.
        """
        from ._transport import FakeTransport  # the transport module imports this one

        options.setdefault("base_url", self.base_url)
        token = options.pop("token", self.token)
        client = Fluidstack(
            token, http_client=httpx.Client(transport=FakeTransport(self)), **options
        )
        return self._on_fake_time(client)

    def async_client(self, **options: Any) -> AsyncFluidstack:
        """An `AsyncFluidstack` wired to this fake in-process: no socket, no port.

        It binds to the event loop of its first call, like any `AsyncFluidstack`.

        Args:
            **options: As for `AsyncFluidstack` (`token` defaults to the fake's,
                `base_url` to its `base_url`).

        Returns:
            The client; close it (`async with`) when done.
        """
        from ._transport import FakeTransport

        options.setdefault("base_url", self.base_url)
        token = options.pop("token", self.token)
        http = httpx.AsyncClient(transport=FakeTransport(self))
        return self._on_fake_time(AsyncFluidstack(token, http_client=http, **options))

    def region_client(self, name: str, **options: Any) -> RegionClient:
        """A `RegionClient` of region `name`'s API, wired to this fake in-process.

        The same client as `fake.client().region(name)`, without fetching `/regions`
        first: for code under test that takes a region client.

        Args:
            name: The region's name.
            **options: As for `RegionClient` (`token` defaults to the fake's,
                `project_id` to the first project's id, `base_url` to the region's
                URL).

        Returns:
            The client; close it (`with`) when done.

        Raises:
            FakeUsageError: The fake has no region `name`.
        """
        from fluidstack_client._sync_region import RegionClient

        from ._transport import FakeTransport

        self._region_options(name, options)
        http = httpx.Client(transport=FakeTransport(self))
        return self._on_fake_time(RegionClient(http_client=http, **options))

    def async_region_client(self, name: str, **options: Any) -> AsyncRegionClient:
        """An `AsyncRegionClient` of region `name`'s API, wired to this fake in-process.

        Args:
            name: The region's name.
            **options: As for `AsyncRegionClient` (defaults as for `region_client`).

        Returns:
            The client; close it (`async with`) when done.

        Raises:
            FakeUsageError: The fake has no region `name`.
        """
        from fluidstack_client._async_region import AsyncRegionClient

        from ._transport import FakeTransport

        self._region_options(name, options)
        http = httpx.AsyncClient(transport=FakeTransport(self))
        return self._on_fake_time(AsyncRegionClient(http_client=http, **options))

    def _on_fake_time(self, client: C) -> C:
        """A client whose waiters (`instances.wait()`) wait on this fake's clock: a pause
        moves the clock on (`advance`) instead of sleeping, so a test of "create, wait
        until running" takes milliseconds. Its region clients share it."""
        client._shared.clock = _FakeTime(self)
        return client

    def _region_options(self, name: str, options: dict[str, Any]) -> None:
        options.setdefault("base_url", self.region(name).url)
        options.setdefault("token", self.token)
        if self.projects:
            options.setdefault("project_id", self.projects[0]["id"])

    # -- the regions and the clock --------------------------------------------------

    def region(self, name: str) -> FakeRegion:
        """A region's offer and contents: `fake.region("us-east-1").capacity`.

        Args:
            name: The region's name (one of `region_names`).

        Returns:
            The region: its `instance_types`, `capacity` and `capabilities` (the
            state, to assert on or change), and views of its `instances` and
            `filesystems`.

        Raises:
            FakeUsageError: The fake has no region `name`.
        """
        with self._lock:
            found = self._regions.get(name)
            if found is None and name in self.region_names:  # added after construction
                found = self._regions[name] = FakeRegion._seeded(self, name, region_seed(name))
        if found is None:
            close = difflib.get_close_matches(str(name), self.region_names, n=1)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            raise FakeUsageError(
                f"the fake has no region {name!r} ({suggestion}its regions: "
                f"{', '.join(map(repr, self.region_names)) or 'none'})"
            )
        return found

    @property
    def clock(self) -> float:
        """The fake's clock: seconds since it was built, as it counts them (each
        request answered and each `advance()` moves it; the wall clock does not)."""
        return self._life.now

    @property
    def durations(self) -> dict[str, float]:
        """Seconds an instance stays `creating`, `starting`, `stopping` and
        `deleting` before it moves on. A dict: change an entry (or assign a dict of
        some of them: the rest get their default) to change the transitions that
        start afterwards."""
        return self._life.durations

    @durations.setter
    def durations(self, durations: Mapping[str, float]) -> None:
        checked = check_durations(durations)
        with self._lock:
            self._life.durations.clear()
            self._life.durations.update(checked)

    @property
    def seconds_per_request(self) -> float:
        """Seconds of the fake's clock each request takes (0: only `advance()` moves
        it). Assign to change it."""
        return self._life.seconds_per_request

    @seconds_per_request.setter
    def seconds_per_request(self, seconds: float) -> None:
        check_seconds("seconds_per_request", seconds)
        self._life.seconds_per_request = float(seconds)

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on, making every transition that falls due.

        `fake.advance(60)` takes a new instance through `creating` and `starting` to
        `running` (with the default durations), with no request and no sleep.

        Args:
            seconds: How far, 0 or more.

        Raises:
            FakeUsageError: A negative or non-finite number.
        """
        check_seconds("advance(seconds)", seconds)
        with self._lock:
            self._life.advance(self, float(seconds))

    # -- fault injection ----------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        route: str | None = None,
        retry_after: float | str | None = None,
        region: str | None = None,
    ) -> None:
        """Answer the next `count` requests (to `route`, if given) with `status`.

        A 502 gets an HTML body, as from a proxy; any other status an `Error` body.
        Nothing is done: a create that fails this way created nothing.

        Args:
            count: How many requests to fail.
            status: The status to answer with, 300 to 599.
            route: Only requests to this operation: an operationId of either spec
                (`"ListInstances"`, `"CreateInstance"`), `"METHOD /path"` as a spec
                writes it (`"GET /instances"`), or `"OAuthToken"` for the token
                endpoint. An operation both APIs have (`ListInstances`,
                `GetInstance`) matches both unless `region` is given. None: any
                request.
            retry_after: A `Retry-After` header to add: seconds, or an HTTP date.
            region: Only requests to this region's API. None: any API.

        Raises:
            FakeUsageError: A route neither spec has (it would never fire), a
                region the fake does not have, a status outside 300-599, a count
                below 1.
        """
        _check_count(count)
        _check_route(route)
        self._check_region(region)
        if isinstance(status, bool) or not isinstance(status, int) or not 300 <= status <= 599:
            raise FakeUsageError(
                f"fail_next(status=...) must be an HTTP status from 300 to 599, got {status!r}"
            )
        if retry_after is not None and not isinstance(retry_after, str):
            _check_number("fail_next(retry_after=...)", retry_after, minimum=0.0)
        with self._lock:
            self._faults.append(
                _Fault(
                    count,
                    route,
                    region,
                    status,
                    None if retry_after is None else str(retry_after),
                    html=status == 502,
                )
            )

    def drop_next(
        self, count: int = 1, *, route: str | None = None, region: str | None = None
    ) -> None:
        """Close the connection without answering the next `count` requests, and
        without acting on them (the request never arrived, as far as the state goes).

        Args:
            count: How many requests to drop.
            route: Only requests to this operation (as for `fail_next`).
            region: Only requests to this region's API (as for `fail_next`).

        Raises:
            FakeUsageError: A route neither spec has, a region the fake does not
                have, a count below 1.
        """
        _check_count(count)
        _check_route(route)
        self._check_region(region)
        with self._lock:
            self._faults.append(_Fault(count, route, region, drop=True))

    def lose_next_answer(
        self, count: int = 1, *, route: str | None = None, region: str | None = None
    ) -> None:
        """Act on the next `count` requests, then close the connection before the
        answer's status line: the server did it, and the client never heard.

        The way to test reconciliation: after `lose_next_answer(route="CreateInstance")`
        the instance exists (`fake.instances`), while the client raises
        `APIConnectionError` (for a POST an `AmbiguousWriteError`: it may have been
        carried out) and, for a POST, does not send it again.

        Args:
            count: How many answers to lose.
            route: Only requests to this operation (as for `fail_next`).
            region: Only requests to this region's API (as for `fail_next`).

        Raises:
            FakeUsageError: A route neither spec has, a region the fake does not
                have, a count below 1.
        """
        _check_count(count)
        _check_route(route)
        self._check_region(region)
        with self._lock:
            self._faults.append(_Fault(count, route, region, lose=True))

    def add_latency(
        self, seconds: float, *, route: str | None = None, region: str | None = None
    ) -> None:
        """Delay every answer (to `route`, if given) by `seconds`, until cleared.

        A delay longer than a client's read timeout makes it time out, as a slow
        server would. The delay is of the wall clock; the fake's own clock does not
        see it.

        Args:
            seconds: How long to wait before each answer.
            route: Only answers to this operation (as for `fail_next`).
            region: Only answers from this region's API (as for `fail_next`).

        Raises:
            FakeUsageError: A route neither spec has, a region the fake does not
                have, a negative delay.
        """
        _check_number("add_latency(seconds)", seconds, minimum=0.0)
        _check_route(route)
        self._check_region(region)
        with self._lock:
            self._latencies.append(_Latency(seconds, route, region))

    def _check_region(self, region: str | None) -> None:
        if region is not None:
            self.region(region)

    def clear_faults(self) -> None:
        """Forget every fault and latency not yet used up."""
        with self._lock:
            self._faults.clear()
            self._latencies.clear()

    # -- the HTTP surface ------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        """Answer one request: what the transport and the server call.

        Args:
            method: The HTTP method.
            path: The path, still percent-encoded, without the query string.
            headers: The request's headers (names in any case).
            body: The raw body.

        Returns:
            The answer (status, headers, body, and any injected delay or drop).
        """
        lower = {k.lower(): v for k, v in headers.items()}
        method = method.upper()
        region, rest = self._scope(path)
        table: _Compiled[Handler | RegionHandler] = (
            _MANAGEMENT if region is None else _REGIONAL_ROUTES
        )
        route = _match(table, method, rest) if rest is not None else None
        operation = route[0] if route else None
        allowed = _allowed(table, rest) if rest is not None and route is None else []
        if path == TOKEN_PATH:
            operation = "OAuthToken"
        with self._lock:
            self._received += 1
            number = self._received
            delay = sum(
                lat.seconds
                for lat in self._latencies
                if _applies(lat.route, lat.region, operation, region)
            )
            fault = self._take_fault(operation, region)
            if fault is not None and not fault.lose:
                response = _fault_response(fault)
            elif operation == "OAuthToken":
                response = self._issue_token(method, lower, body)
            else:
                call = _Call(method, route[2] if route else {}, lower, body, region)
                response = self._answer(route, allowed, call)
            if fault is not None and fault.lose:
                response = FakeResponse(0, drop=True)
            if operation != "OAuthToken":
                self._life.advance(self, self._life.seconds_per_request)
            # Each answer names its request, as a real API's edge does (X-Request-Id):
            # for code that logs it for a support ticket (RawResponse.request_id).
            response.headers.setdefault("X-Request-Id", f"req-{number:06d}")
            refused = response.status in (401, 403)  # (anyone can send those)
            limit = min(self.max_recorded_body, REFUSED_BODY) if refused else self.max_recorded_body
            recorded = RecordedRequest(
                method,
                _cut(path, RECORDED_PATH),
                operation,
                region,
                _recorded_headers(lower),
                body[:limit],
            )
            self._record(recorded)
        response.delay += delay
        return response

    def _record(self, request: RecordedRequest) -> None:
        """Keep `request`, and no more than `max_recorded_requests` (the oldest go, a
        tenth at a time: amortised constant work per request)."""
        self.requests.append(request)
        over = len(self.requests) - self.max_recorded_requests
        if over > 0:
            del self.requests[: over + self.max_recorded_requests // 10]

    def _scope(self, path: str) -> tuple[str | None, str | None]:
        if path.startswith(API_PATH + "/") or path == API_PATH:
            return None, path[len(API_PATH) :] or "/"
        regional = _REGIONAL.match(path)
        if regional and regional["region"] in self.region_names:
            return regional["region"], regional["rest"]
        return None, None

    def _take_fault(self, operation: str | None, region: str | None) -> _Fault | None:
        for fault in self._faults:
            if _applies(fault.route, fault.region, operation, region):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _answer(
        self,
        route: tuple[str, Handler | RegionHandler, dict[str, str]] | None,
        allowed: list[str],
        call: _Call,
    ) -> FakeResponse:
        refused = self._refuse(call.headers.get("authorization"))
        if refused is not None:
            return _error(401, refused)
        if route is None and allowed:
            response = _error(405, f"{call.method} is not allowed here")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        if route is None:
            return _error(404, "no such route")
        operation, handler, _ = route
        if call.region is None:
            return handler(self, call)  # type: ignore[return-value]
        try:
            status, payload = answer(self, operation, handler, call)  # type: ignore[arg-type]
        except Refused as refused_call:
            return _error(refused_call.status, refused_call.message)
        return FakeResponse(status) if payload is None else _json(status, payload)

    def _refuse(self, authorization: str | None) -> str | None:
        """Why the Authorization header is not good enough, or None. (The token sent is
        never repeated: it may be a real one, given by mistake.)"""
        if authorization is None:
            return f"missing bearer token; {TOKEN_HINT}"
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return f"invalid token; {TOKEN_HINT}"
        if token == self.token:
            return None
        expires = self._issued.get(token)
        if expires is None:
            return f"invalid token; {TOKEN_HINT}"
        if time.time() >= expires:
            return "token expired"
        return None

    def _issue_token(self, method: str, headers: Mapping[str, str], body: bytes) -> FakeResponse:
        """Auth0's client-credentials grant, as the fake does it."""
        if method != "POST":
            return _json(405, {"error": "invalid_request", "error_description": "use POST"})
        if "json" in headers.get("content-type", ""):
            form = _object_body(body) or {}
        else:
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return _json(401, {"error": "access_denied", "error_description": "Unauthorized"})
        now = time.time()
        expires = now + self.token_lifetime
        claims = {
            "iss": self.origin + "/",
            "sub": f"{self.client_id}@clients",
            "aud": form.get("audience"),
            "iat": now,
            "exp": expires,
            "jti": next(self._ids),
        }
        token = ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "none", "typ": "JWT"}, claims)
        )
        token += ".fake-signature"
        self._issued[token] = expires
        return _json(
            200,
            {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"},
        )

    # -- operations (state changes happen under the lock held by handle) -----------

    def _list_regions(self, call: _Call) -> FakeResponse:
        return _json(200, [{"name": n, "url": self.region_url(n)} for n in self.region_names])

    def _list_clusters(self, call: _Call) -> FakeResponse:
        return _json(200, self.clusters)

    def _list_organizations(self, call: _Call) -> FakeResponse:
        return _json(200, self.organizations)

    def _list_members(self, call: _Call) -> FakeResponse:
        return _json(200, self.members)

    def _update_member(self, call: _Call) -> FakeResponse:
        body = _object_body(call.body)
        if body is None:
            return _error(400, "request body must be a JSON object")
        role = body.get("role")
        if "role" in body and role not in ROLES:
            return _error(400, f"role must be one of {', '.join(ROLES)}")
        member = _find(self.members, "id", call.params["id"])
        if member is None:
            return _error(404, "member not found")
        if role is not None:
            member["role"] = role
        return FakeResponse(200)

    def _delete_member(self, call: _Call) -> FakeResponse:
        return self._delete(self.members, "id", call.params["id"], "member")

    def _create_invitation(self, call: _Call) -> FakeResponse:
        body = _object_body(call.body)
        if body is None:
            return _error(400, "request body must be a JSON object")
        email, role = body.get("email"), body.get("role", "viewer")
        if not isinstance(email, str):
            return _error(400, "email must be a string")
        if not isinstance(role, str):
            return _error(400, "role must be a string")
        self.invitations.append({"id": f"inv-{next(self._ids)}", "email": email, "role": role})
        return FakeResponse(201)

    def _list_invitations(self, call: _Call) -> FakeResponse:
        return _json(200, self.invitations)

    def _delete_invitation(self, call: _Call) -> FakeResponse:
        return self._delete(self.invitations, "id", call.params["id"], "invitation")

    def _list_instances(self, call: _Call) -> FakeResponse:
        found = self.instances
        project = call.headers.get("x-project-id")
        if project is not None:
            if not is_uuid(project):
                return _error(400, "X-PROJECT-ID must be a UUID")
            found = [i for i in found if _same_uuid(i.get("project_id"), project)]
        return _json(200, [INSTANCES.view(i, MANAGEMENT) for i in found])

    def _get_instance(self, call: _Call) -> FakeResponse:
        for inst in self.instances:
            if _same_uuid(inst.get("id"), call.params["id"]):
                return _json(200, INSTANCES.view(inst, MANAGEMENT))
        return _error(404, "instance not found")

    def _list_keys(self, call: _Call) -> FakeResponse:
        return _json(200, self.keys)

    def _register_key(self, call: _Call) -> FakeResponse:
        body = _object_body(call.body)
        if body is None or not all(isinstance(body.get(k), str) for k in ("name", "key")):
            return _error(400, "body must be an SSHKey: {name, key}")
        if _find(self.keys, "name", body["name"]) is not None:
            return _error(409, f"a key named {body['name']!r} already exists")
        self.keys.append({"name": body["name"], "key": body["key"]})
        return FakeResponse(200)

    def _deregister_key(self, call: _Call) -> FakeResponse:
        return self._delete(self.keys, "name", call.params["name"], "key")

    def _delete(self, items: list[dict[str, Any]], key: str, value: str, what: str) -> FakeResponse:
        found = _find(items, key, value)
        if found is None:
            return _error(404, f"{what} not found")
        items.remove(found)
        return FakeResponse(204)


def _find(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any] | None:
    return next((x for x in items if x.get(key) == value), None)


def _same_uuid(a: object, b: object) -> bool:
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return False


def _cut(text: str, limit: int) -> str:
    return f"{text[:limit]}...[{len(text) - limit:,} more]" if len(text) > limit else text


def _recorded_headers(headers: dict[str, str]) -> dict[str, str]:
    """What the request log keeps of a request's headers: each value's first
    `RECORDED_HEADER` characters, and `RECORDED_HEADERS` in all."""
    if sum(map(len, headers)) + sum(map(len, headers.values())) <= RECORDED_HEADER:
        return headers  # (every request a client sends)
    kept: dict[str, str] = {}
    room = RECORDED_HEADERS
    left_out = 0
    for name, value in headers.items():
        value = _cut(value, RECORDED_HEADER)
        if len(name) + len(value) > room:
            left_out += 1
            continue
        room -= len(name) + len(value)
        kept[name] = value
    if left_out:
        kept["..."] = f"{left_out} more header(s) not recorded"
    return kept


def _object_body(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _fault_response(fault: _Fault) -> FakeResponse:
    if fault.drop:
        return FakeResponse(0, drop=True)
    if fault.html:
        response = FakeResponse(fault.status, _HTML_502, {"Content-Type": "text/html"})
    else:
        response = _error(fault.status, f"injected fault: {fault.status}")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


ROUTES: list[tuple[str, str, str, Handler]] = [
    ("ListRegions", "GET", "/regions", FakeAPI._list_regions),
    ("ListClusters", "GET", "/clusters", FakeAPI._list_clusters),
    ("ListOrganizations", "GET", "/organizations", FakeAPI._list_organizations),
    ("ListMembers", "GET", "/members", FakeAPI._list_members),
    ("UpdateMember", "PATCH", "/members/{id}", FakeAPI._update_member),
    ("DeleteMember", "DELETE", "/members/{id}", FakeAPI._delete_member),
    ("CreateInvitation", "POST", "/invitations", FakeAPI._create_invitation),
    ("ListInvitations", "GET", "/invitations", FakeAPI._list_invitations),
    ("DeleteInvitation", "DELETE", "/invitations/{id}", FakeAPI._delete_invitation),
    ("ListInstances", "GET", "/instances", FakeAPI._list_instances),
    ("GetInstance", "GET", "/instances/{id}", FakeAPI._get_instance),
    ("ListKeys", "GET", "/user/keys", FakeAPI._list_keys),
    ("RegisterKey", "POST", "/user/keys", FakeAPI._register_key),
    ("DeregisterKey", "DELETE", "/user/keys/{name}", FakeAPI._deregister_key),
]
"""One row per operation of the Management spec: operationId, method, path template,
handler. The regional API's are `REGION_ROUTES`."""
H = TypeVar("H")
_Compiled = Sequence[tuple[str, str, "re.Pattern[str]", H]]


def _compile(routes: list[tuple[str, str, str, H]]) -> _Compiled[H]:
    return [
        (op, method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"), h)
        for op, method, path, h in routes
    ]


_MANAGEMENT = _compile(ROUTES)
_REGIONAL_ROUTES = _compile(REGION_ROUTES)
# "METHOD /path" -> operationId, for both specs (no path of both has two operationIds).
_ROUTE_NAMES = {f"{method} {path}": op for op, method, path, _ in [*ROUTES, *REGION_ROUTES]}
_OPERATION_IDS = frozenset([*_ROUTE_NAMES.values(), "OAuthToken"])


def _match(table: _Compiled[H], method: str, path: str) -> tuple[str, H, dict[str, str]] | None:
    for op, op_method, pattern, handler in table:
        found = pattern.match(path)
        if found and op_method == method:
            return op, handler, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def _allowed(table: _Compiled[H], path: str) -> list[str]:
    return sorted({m for _, m, pattern, _ in table if pattern.match(path)})


def allowed_methods(path: str) -> list[str]:
    """The methods the Management spec defines for `path` (empty: no such path)."""
    return _allowed(_MANAGEMENT, path)


_UNSPECIFIED_HOSTS = frozenset({"0.0.0.0", "::"})  # noqa: S104 - compared, never bound


def checked_origin(value: object, what: str) -> str:
    """`value` as the origin (plus any path prefix) clients reach the fake at."""
    example = "like 'http://127.0.0.1:8080'"
    if not isinstance(value, str):
        raise FakeUsageError(f"{what} must be a URL string {example}, got {value!r}")
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise FakeUsageError(f"{what} {value!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise FakeUsageError(f"{what} {value!r} must be an absolute http(s) URL {example}")
    if url.userinfo:
        raise FakeUsageError(f"{what} must not contain credentials (user:password@)")
    if url.query or url.fragment:
        raise FakeUsageError(f"{what} {value!r} must have no query or fragment")
    if url.host in _UNSPECIFIED_HOSTS:
        raise FakeUsageError(
            f"{what} {value!r}: {url.host} means 'every interface' to a server, but a "
            "client cannot connect to it; give the address clients use (127.0.0.1 on "
            "the same machine, or the host name and port they reach the fake at)"
        )
    path = url.path.rstrip("/")
    if path.endswith(API_PATH):
        path = path[: -len(API_PATH)]
    return f"{url.scheme}://{url.netloc.decode('ascii')}{path}"


def _check_credential(what: str, value: object) -> None:
    if not isinstance(value, str) or not value or not value.isprintable() or " " in value:
        # The value is not shown: it may be a real secret passed by mistake.
        raise FakeUsageError(
            f"FakeAPI({what}=...) must be a non-empty string without spaces or control "
            f"characters (got {type(value).__name__})"
        )


def _check_number(what: str, value: object, *, minimum: float, exclusive: bool = False) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < minimum
        or (exclusive and value == minimum)
    ):
        bound = f"{'greater than' if exclusive else 'at least'} {minimum:g}"
        raise FakeUsageError(f"{what} must be a finite number {bound}, got {value!r}")


def _check_whole(what: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FakeUsageError(f"{what} must be a whole number >= {minimum}, got {value!r}")


def _check_count(count: object) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FakeUsageError(f"count must be a whole number of requests >= 1, got {count!r}")


def _check_route(route: object) -> None:
    """A fault aimed at a route no spec has would silently never fire."""
    if route is None or route in _OPERATION_IDS or route in _ROUTE_NAMES:
        return
    close = difflib.get_close_matches(str(route), [*_OPERATION_IDS, *_ROUTE_NAMES], n=1)
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    raise FakeUsageError(
        f"route {route!r} is not an operation of the spec ({suggestion}give an operationId "
        f"such as 'ListInstances' or 'CreateInstance', 'METHOD /path' such as "
        f"'GET /instances', or 'OAuthToken' for the token endpoint)"
    )


def _applies(
    route: str | None, region: str | None, operation: str | None, request_region: str | None
) -> bool:
    """Whether a fault or latency aimed at `route` (None: every route) and `region`
    (None: every API) hits `operation`, sent to `request_region`'s API."""
    if region is not None and region != request_region:
        return False
    if route is None:
        return True
    return operation is not None and operation in (route, _ROUTE_NAMES.get(route))
