# Derived from _async_client.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The Management API's client: its resources and region discovery (`region()`).

The send path, configuration and credentials are `_ClientBase`'s
(`_sync_send.py`), shared with the regional client. Written once, async; the sync
client is derived from this text by `scripts/unasync.py` (`make generate`).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Self, TypeVar, cast

import httpx

from ._config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    resolve_base_url,
    resolve_project_id,
)
from ._credentials import TokenSource
from ._generated.management.api.regions import list_regions
from ._redact import clean, display_url
from ._regions import DEFAULT_REGION_CACHE_TTL, region_base_url
from ._retry import RetryPolicy
from ._sync_backend import ASYNC, call_back, check_loop, fan_out
from ._sync_resources import (
    Clusters,
    Instances,
    Invitations,
    Keys,
    Members,
    Organizations,
    Regions,
)
from ._sync_send import NOT_GIVEN, _ClientBase
from ._validate import callback, check_count, names_of, text

if TYPE_CHECKING:
    from ._sync_region import RegionClient

log = logging.getLogger("fluidstack_client")
T = TypeVar("T")


class Fluidstack(_ClientBase):
    """Client for the Fluidstack Atlas Management API.

    ```python
    with Fluidstack() as fs:  # credentials from the environment
        for instance in fs.instances.list():
            print(instance.name, instance.state)
    ```

    One instance holds one connection pool: share it across everything in the
    program that calls the API, and close it with
    `close()` or `with`. Each API call is a method of a resource attribute
    (`fs.instances.get(...)`); every call is authenticated, retried on 408, 429, 5xx
    and connection failures (a POST only when it provably never arrived; see
    `RetryPolicy`), bounded by `timeout`, and raises a `FluidstackError` subclass on
    failure.

    Args:
        token: The credentials. A bearer token string; a callable returning one
            (called for every request and once more after a 401); a
            `ClientCredentials` (OAuth client credentials, renewed before expiry);
            or a `FluidctlToken` (the token file `fluidctl login` writes). When
            omitted: `FLUIDSTACK_TOKEN`, then `FLUIDSTACK_CLIENT_ID` with
            `FLUIDSTACK_CLIENT_SECRET` (and `FLUIDSTACK_TOKEN_URL`, `FLUIDSTACK_AUDIENCE`
            if set), then `~/.fluidstack/token` if it exists.
        base_url: The API's URL. Default: `FLUIDSTACK_BASE_URL`, else
            `DEFAULT_BASE_URL`. Must be https (plain http only to a loopback host).
        timeout: Seconds, or an `httpx.Timeout` for each phase; `None` for no
            limit. Default `DEFAULT_TIMEOUT` (30 s, 10 s to connect). Its read
            part also bounds each whole attempt (connecting, redirects and the
            entire body included), not only each read.
        max_retries: Retries after the first attempt (default 2, so 3 attempts).
            Overrides the count of `retry_policy`, if one is given.
        retry_policy: The delays between retries and their caps (`RetryPolicy`).
        http_client: An `httpx.Client` of your own (proxies, custom transport,
            instrumentation). The client sends through it and leaves it open for
            you to close; its transport and event hooks apply.
        max_connections: How many requests the client lets into the pool at
            once (the rest wait their turn), and the size of the pool it creates
            (default 100).
        region_cache_ttl: Seconds `region()` trusts the fetched region list
            (default 300).
        max_response_size: The largest response body accepted, in bytes (default
            64 MiB); a larger one raises `ResponseTooLargeError` (refused unread
            when `Content-Length` declares it, else reading stops at the cap).

    Raises:
        ConfigurationError: No credentials found, or an argument or environment
            variable is invalid (the message says which).

    `fs.region(name)` gives a client of the same credentials and pool for
    that region's API (`RegionClient`): where instances are created, started,
    stopped and deleted.

    Attributes:
        regions: `GET /regions`.
        clusters: `GET /clusters`.
        organizations: `GET /organizations`.
        members: The organization's members: list, change a role, remove.
        invitations: Invitations to the organization: list, create, delete.
        instances: Instances: list (optionally by project) and get one.
        keys: The caller's SSH public keys: list, register, deregister.
    """

    _api = "management"
    regions: Regions
    clusters: Clusters
    organizations: Organizations
    members: Members
    invitations: Invitations
    instances: Instances
    keys: Keys

    def __init__(
        self,
        token: TokenSource | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        region_cache_ttl: float = DEFAULT_REGION_CACHE_TTL,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self._setup(
            token,
            resolve_base_url(base_url),
            timeout,
            max_retries,
            retry_policy,
            http_client,
            max_connections,
            max_response_size,
            region_cache_ttl,
        )

    def _attach(self) -> None:
        self.regions = Regions(self)
        self.clusters = Clusters(self)
        self.organizations = Organizations(self)
        self.members = Members(self)
        self.invitations = Invitations(self)
        self.instances = Instances(self)
        self.keys = Keys(self)

    def with_options(
        self,
        *,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: float | httpx.Timeout | None = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy with other retry, timeout or header settings, sharing this client's pool
        and token.

        `fs.with_options(max_retries=0).instances.list()` overrides one call;
        the copy is cheap and needs no closing.

        Args:
            max_retries: Retries after the first attempt.
            retry_policy: A whole `RetryPolicy` (delays and caps too).
            timeout: Seconds per attempt, an `httpx.Timeout`, or `None` for no limit.
                Omitted: this client's.
            extra_headers: Headers added to every request of the copy (tracing,
                correlation ids), on top of this client's own extra headers. Headers
                the client writes itself (`Authorization`, `Content-Type`,
                `Content-Length`, `Content-Encoding`, `Transfer-Encoding`,
                `Connection`, `Host`, `X-PROJECT-ID`, `Accept-Encoding`) are refused.
                They are kept, as sent, on the requests errors carry: put no secret
                in them (the token has its own header).

        Returns:
            A client of the same kind; arguments not given keep this client's values.

        Raises:
            ConfigurationError: An argument is invalid.
            InvalidParameterError: `extra_headers` holds a header the client owns, or a
                name or value that is not valid header text.
        """
        return self._with(max_retries, retry_policy, timeout, extra_headers)

    def region(
        self,
        name: str,
        *,
        project_id: str | uuid.UUID | None = None,
        refresh: bool = False,
    ) -> RegionClient:
        """A client of region `name`'s API: instances you create, start, stop and
        delete, projects, filesystems, capacity.

        `/regions` is fetched once and cached for `region_cache_ttl` seconds.
        Concurrent callers share one fetch and its outcome, success or error; the
        first call after a failure fetches again. The region client shares this
        client's pool, credentials and options, and needs no closing.

        Args:
            name: A region name as `/regions` lists it, e.g. `"us-east-1"`.
            project_id: The project its calls act in (`X-PROJECT-ID`), a UUID; each
                call can override it. Default: `FLUIDSTACK_PROJECT_ID`, if set.
            refresh: Fetch `/regions` again even if the cached list is fresh.

        Returns:
            An `RegionClient` whose calls go to the region's URL.

        Raises:
            RegionNotFoundError: `/regions` does not list `name` (`.name`).
            RegionURLError: The region's URL is not https (nor loopback) or malformed.
            InvalidParameterError: `project_id` is not a UUID.
            ConfigurationError: `FLUIDSTACK_PROJECT_ID` is set but not a UUID.
            APIError: Fetching `/regions` failed (any subclass, as for other calls).
        """
        from ._sync_region import RegionClient

        name = text(name, "region name")
        project = resolve_project_id(project_id)
        self._fresh_regions(refresh)
        region_url = self._shared.regions.url_of(name)
        base_url = region_base_url(region_url, self._shared.global_base_url)
        return RegionClient._adopt(self, base_url, project)

    def _fresh_regions(self, refresh: bool = False) -> None:
        """The region table, fetched (one fetch for every caller) unless still fresh."""
        shared = self._shared
        check_loop(shared)
        if refresh or not shared.regions.is_fresh():
            shared.regions_fetch.run(self._fetch_regions, wait=self._patience())

    def each_region(
        self,
        fn: Callable[[RegionClient], T],
        *,
        regions: Iterable[str] | None = None,
        max_concurrency: int = 8,
        project_id: str | uuid.UUID | None = None,
    ) -> dict[str, T | Exception]:
        """Call `fn(region_client)` for every region at once; what each gave or raised.

        ```python
        def h100s(region: RegionClient) -> int:
            capacity = region.capacity.list()
            return sum(c.capacity for c in capacity if c.name == "h100-80gb.8x")

        for name, outcome in (fs.each_region(h100s)).items():
            print(name, outcome)  # a number, or the exception that region raised
        ```

        A region that is down or slow affects only its own entry: its exception is
        its outcome (after its own timeout and retries), and the others finish as
        they would alone.

        Args:
            fn: A coroutine function of a region client.
            regions: The regions' names (default: every region `/regions` lists).
            max_concurrency: How many regions are called at once.
            project_id: The project the region clients act in (default as for
                `region()`).

        Returns:
            For each region's name, `fn`'s value, or the exception it raised (an
            unknown name's is a `RegionNotFoundError`).

        Raises:
            InvalidParameterError: `max_concurrency` is not a positive int, `regions`
                is not a collection of names, or `project_id` is not a UUID.
            APIError: `/regions` could not be fetched (any subclass).
        """
        callback(fn, "fn", coroutines=ASYNC)
        check_count(max_concurrency, "max_concurrency")
        project = resolve_project_id(project_id)
        named = None if regions is None else list(dict.fromkeys(names_of(regions, "regions")))
        if named == []:
            return {}  # nothing asked for: nothing fetched
        self._fresh_regions()  # once, for every region (its failure is the call's)
        names = list(self._shared.regions.urls) if named is None else named

        def one(name: str) -> T:
            region = self.region(name, project_id=project)
            return cast(T, call_back(fn, region, "fn"))

        jobs = [functools.partial(one, name) for name in names]
        return dict(zip(names, fan_out(jobs, max_concurrency), strict=True))

    def _fetch_regions(self) -> None:
        home = self._copy(base_url=self._shared.global_base_url)
        listed = home._call(list_regions.sync_detailed)
        # Names and URLs end up in messages (RegionNotFoundError): a JSON-escaped echo
        # of the token, invisible to the byte scrub, is scrubbed here.
        redactor = self._shared.credentials.redactor_now()
        self._shared.regions.store((redactor.text(r.name), redactor.text(r.url)) for r in listed)
        log.info(
            "fetched %d regions from %s/regions: %s",
            len(listed),
            display_url(home._base_url, redactor),
            clean(", ".join(r.name for r in listed), redactor, limit=200),
        )
