# Derived from _async_client.py by scripts/unasync.py (make generate). Do not edit:
# change _async_client.py and regenerate.
"""The client class: configuration, region discovery, and the send loop with retry.

Written once, async; the sync client is derived from this text by
`scripts/unasync.py` (`make generate`), so the two cannot disagree. The decisions
themselves (retry, errors, region URLs, argument checks) live in pure modules
that both import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import httpx

from . import _retry
from ._auth import BearerAuth, Secret
from ._config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    check_number,
    resolve_base_url,
    resolve_timeout,
    resolve_token,
)
from ._generated.api.regions import list_regions
from ._generated.client import Client as GeneratedClient
from ._generated.models import Error
from ._generated.types import Response
from ._regions import DEFAULT_REGION_CACHE_TTL, RegionTable, region_base_url
from ._retry import RetryPolicy
from ._sync_backend import Lock, Semaphore, sleep
from ._sync_resources import (
    Clusters,
    Instances,
    Invitations,
    Keys,
    Members,
    Organizations,
    Regions,
)
from ._validate import text
from ._version import __version__
from .errors import (
    ConfigurationError,
    FluidstackError,
    status_error,
    transport_error,
    validation_error,
)

T = TypeVar("T")
log = logging.getLogger("fluidstack_client")
USER_AGENT = f"fluidstack-client/{__version__} (python-httpx)"


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _NotGiven()


class _Shared:
    """What a client shares with its with_options() copies and its region clients:
    the token, the connection pool and the region table."""

    def __init__(
        self,
        token: Secret,
        http: httpx.Client,
        max_connections: int,
        global_base_url: httpx.URL,
        ttl: float,
    ) -> None:
        self.token = token
        self.http = http
        # Admit at most as many requests into httpx's pool as it has connections:
        # its wait queue costs O(waiting x connections) per step, which made 1,000
        # concurrent calls ~10x slower than queueing them here (benchmarks/).
        self.gate = Semaphore(max_connections)
        self.global_base_url = global_base_url
        self.regions = RegionTable(ttl=ttl)
        self.regions_lock = Lock()


class _Call:
    """What one generated endpoint function sees as its httpx client.

    The generated code builds the request (method, path, headers, JSON) and parses
    the response; this sends it with auth and retry, and remembers the response
    so that a body the models cannot parse is reported along with it.
    """

    __slots__ = ("_client", "response")

    def __init__(self, client: Fluidstack) -> None:
        self._client = client
        self.response: httpx.Response | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.response = self._client._send(method, url, kwargs)
        return self.response


class Fluidstack:
    """Client for the Fluidstack Atlas Management API.

    One instance holds one connection pool; share it across all the tasks of one
    event loop (it is safe for thousands of concurrent calls), and close it with
    `client.close()` or `with`.
    """

    _shared: _Shared
    _owns_http: bool

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        region_cache_ttl: float = DEFAULT_REGION_CACHE_TTL,
    ) -> None:
        secret = resolve_token(token)
        url = resolve_base_url(base_url)
        resolved_timeout = resolve_timeout(timeout)
        policy = _retry.configure(retry_policy or RetryPolicy(), max_retries)
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(
                f"http_client must be an httpx.Client, got {type(http_client).__name__}"
            )
        check_number(region_cache_ttl, "region_cache_ttl", minimum=0)
        check_number(max_connections, "max_connections", minimum=1, integer=True)
        http = http_client or httpx.Client(
            timeout=resolved_timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max_connections),
        )
        self._shared = _Shared(secret, http, max_connections, url, float(region_cache_ttl))
        self._owns_http = http_client is None
        self._bind(url, resolved_timeout, policy)

    def _bind(self, base_url: httpx.URL, timeout: httpx.Timeout, retry: RetryPolicy) -> None:
        self._base_url = base_url
        self._prefix = str(base_url).rstrip("/")
        self._timeout = timeout
        self._retry = retry
        self._auth = BearerAuth(self._shared.token, base_url)

    def _copy(
        self,
        *,
        base_url: httpx.URL | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> Self:
        clone = object.__new__(type(self))
        clone._shared = self._shared
        clone._owns_http = False
        clone._bind(base_url or self._base_url, timeout or self._timeout, retry or self._retry)
        return clone

    # -- public API ---------------------------------------------------------------

    @property
    def base_url(self) -> httpx.URL:
        return self._base_url

    @property
    def max_retries(self) -> int:
        return self._retry.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    def with_options(
        self,
        *,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: float | httpx.Timeout | None = NOT_GIVEN,
    ) -> Self:
        """A copy with other retry/timeout settings, sharing this client's pool and token.

        `client.with_options(max_retries=0).instances.list()` overrides one call.
        """
        retry = _retry.configure(retry_policy or self._retry, max_retries)
        new_timeout = None if timeout is NOT_GIVEN else resolve_timeout(timeout)
        return self._copy(timeout=new_timeout, retry=retry)

    def region(self, name: str, *, refresh: bool = False) -> Self:
        """A client of the same kind bound to region `name`'s API.

        /regions is fetched once and cached for `region_cache_ttl` seconds (shared
        by concurrent callers: one request); `refresh=True` fetches it again.
        """
        name = text(name, "region name")
        shared = self._shared
        with shared.regions_lock:
            if refresh or not shared.regions.is_fresh():
                home = self._copy(base_url=shared.global_base_url)
                listed = home._call(list_regions.sync_detailed)
                shared.regions.store((r.name, r.url) for r in listed)
            region_url = shared.regions.url_of(name)
        return self._copy(base_url=region_base_url(region_url, shared.global_base_url))

    @cached_property
    def regions(self) -> Regions:
        return Regions(self)

    @cached_property
    def clusters(self) -> Clusters:
        return Clusters(self)

    @cached_property
    def organizations(self) -> Organizations:
        return Organizations(self)

    @cached_property
    def members(self) -> Members:
        return Members(self)

    @cached_property
    def invitations(self) -> Invitations:
        return Invitations(self)

    @cached_property
    def instances(self) -> Instances:
        return Instances(self)

    @cached_property
    def keys(self) -> Keys:
        return Keys(self)

    def generated_client(self) -> GeneratedClient:
        """A generated-layer `Client` that sends through this client (auth, retry,
        typed errors), for calling `fluidstack_client._generated.api...` functions,
        `*_detailed` ones included, directly."""
        return GeneratedClient(base_url=self._prefix).set_httpx_client(
            cast(httpx.Client, _Call(self))
        )

    def close(self) -> None:
        """Close the connection pool (if this client created it). Copies made by
        with_options() and region() share the pool and leave it open."""
        if self._owns_http:
            self._shared.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url='{self._base_url}', "
            f"max_retries={self._retry.max_retries}, timeout={self._timeout!r})"
        )

    # -- plumbing -------------------------------------------------------------------

    def _call(
        self,
        endpoint: Callable[..., Response[Error | T]],
        /,
        *args: Any,
        expect_body: bool = True,
        **kwargs: Any,
    ) -> T:
        """Run one generated `sync_detailed` function; return its parsed body."""
        call = _Call(self)
        client = GeneratedClient(base_url=self._prefix).set_httpx_client(cast(httpx.Client, call))
        try:
            result = endpoint(*args, client=client, **kwargs)
        except FluidstackError:
            raise
        except Exception as exc:
            # Any failure after a response arrived is the generated parser
            # rejecting the body (KeyError, TypeError, ValueError, JSON, ...).
            if call.response is None:
                raise
            raise validation_error(call.response, exc, self._shared.token.reveal()) from exc
        parsed = result.parsed
        response = call.response
        if expect_body and (parsed is None or isinstance(parsed, Error)) and response is not None:
            problem = ValueError(f"status {response.status_code} is not documented here")
            raise validation_error(response, problem, self._shared.token.reveal())
        return cast(T, parsed)

    def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        """Send with auth, retrying as the policy says; return a 2xx or raise a typed error."""
        http = self._shared.http
        if http.is_closed:
            raise FluidstackError("this client has been closed")
        request = http.build_request(method, self._prefix + path, timeout=self._timeout, **kwargs)
        retries = 0
        while True:
            try:
                with self._shared.gate:
                    response = http.send(request, auth=self._auth)
            except httpx.TransportError as exc:
                delay = _retry.next_delay(self._retry, request.method, retries, error=exc)
                if delay is None:
                    raise transport_error(exc, request) from exc
                outcome = type(exc).__name__
            else:
                if response.is_success:
                    return response
                delay = _retry.next_delay(self._retry, request.method, retries, response=response)
                if delay is None:
                    raise status_error(response, self._shared.token.reveal())
                outcome = f"status {response.status_code}"
                response.close()
            retries += 1
            log.info(
                "retrying %s %s after %s in %.2fs (retry %d of %d)",
                request.method,
                request.url.path,
                outcome,
                delay,
                retries,
                self._retry.max_retries,
            )
            sleep(delay)
