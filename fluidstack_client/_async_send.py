"""The send path every client shares, whichever API it speaks: configuration,
credentials, the pool, and the loop that sends a request with its token, a deadline
per attempt, safe redirects, a capped body read, retries and typed errors.

`AsyncFluidstack` (the Management API, `_async_client.py`) and `AsyncRegionClient`
(a region's API, `_async_region.py`) are thin subclasses: their resources and what
only their API has. Written once, async; the sync code is derived from this text by
`scripts/unasync.py` (`make generate`), so the two cannot disagree. The decisions
themselves (retry, errors, region URLs, argument checks) live in pure modules
that both import.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar, ParamSpec, Self, TypeVar, cast

import httpx

from . import _body, _fork, _logs, _operations, _redirects, _retry
from ._async_backend import (
    Semaphore,
    SingleFlight,
    check_deadline,
    check_loop,
    deadline,
    error_body_deadline,
    install_deadline,
    sleep,
    slot,
)
from ._auth import authorize, origin
from ._config import (
    DEFAULT_BASE_URL,
    attempt_deadline,
    check_number,
    resolve_timeout,
)
from ._credentials import (
    AsyncTokenSource,
    CallableToken,
    CredentialsUnavailable,
    TokenProvider,
    credentials_error,
)
from ._credentials import resolve as resolve_credentials
from ._error_mapping import (
    DELETED_BEFORE,
    WRITE_MAY_BE_DONE,
    status_error,
    transport_error,
    validation_error,
)
from ._generated.management.client import Client as GeneratedClient
from ._generated.management.models import Error
from ._generated.management.types import Response
from ._raw import RawResponse, captured, raw_response
from ._redact import (
    NO_SECRET,
    Redactor,
    Secret,
    clean,
    copy_response,
    safe_response,
    scrub_encoded,
)
from ._regions import DEFAULT_REGION_CACHE_TTL, RegionTable
from ._retry import RetryPolicy
from ._validate import extra_header_fields, merged_headers
from ._version import __version__
from ._waiting import Clock
from .errors import (
    APIConnectionError,
    ConfigurationError,
    FluidstackError,
    InvalidParameterError,
    ResponseTooLargeError,
)

T = TypeVar("T")
P = ParamSpec("P")
log = logging.getLogger("fluidstack_client")
USER_AGENT = f"fluidstack-client/{__version__} (python-httpx)"


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _NotGiven()


class _AsyncShared:
    """What a client shares with its with_options() copies and its region clients:
    the credentials, the connection pool, the limits and the region table."""

    def __init__(
        self,
        credentials: TokenProvider,
        http: httpx.AsyncClient,
        max_connections: int,
        global_base_url: httpx.URL,
        ttl: float,
        max_response_size: int,
    ) -> None:
        self.credentials = credentials
        self.http = http
        # Admit at most as many requests into httpx's pool as it has connections:
        # its wait queue costs O(waiting x connections) per step, which made 1,000
        # concurrent calls ~10x slower than queueing them here (benchmarks/).
        self.gate = Semaphore(max_connections)
        self.global_base_url = global_base_url
        self.regions = RegionTable(ttl=ttl)
        self.regions_fetch: SingleFlight[None] = SingleFlight()
        self.max_response_size = max_response_size
        self.loop: Any = None  # the event loop an async client is bound to
        self.offers_other_encodings = http.headers.get("Accept-Encoding") != _body.ACCEPT_ENCODING
        self.writes: Callable[[], httpx.AsyncClient] | None = None
        # What waiters wait on (None: the monotonic clock and real sleeps); the fake's
        # clients wait on the fake's clock instead (`_waiting.Clock`).
        self.clock: Clock | None = None
        self._writer: httpx.AsyncClient | None = None
        self._writer_lock = threading.Lock()  # never held across an await
        self._max_connections = max_connections
        # How to make the pool anew in a forked child (None: the user's, which cannot
        # be); `forked`: in a child, the pool is still the parent's (see pool()).
        self.make_http: Callable[[], httpx.AsyncClient] | None = None
        self.forked = False
        _fork.track(self)

    def _after_fork(self) -> None:
        """In a child process: nothing the parent's requests use is used again. Its
        sockets are dropped, not closed (closing could end the parent's sessions). The
        child's own pool is made when it first sends (`pool()`): a fork costs nothing
        per client, and a pool that cannot be made fails that call, not the fork."""
        # First, and it cannot fail: whatever happens below, no request of this
        # process goes over the parent's connections.
        self.forked = not self.http.is_closed  # (a client closed before stays closed)
        self._writer = None
        self._writer_lock = threading.Lock()
        self.gate = Semaphore(self._max_connections)
        self.regions_fetch = SingleFlight()
        self.loop = None
        self.credentials._after_fork()

    def pool(self) -> httpx.AsyncClient:
        """The pool of this process: after a fork, a new one, made on first use (a
        user's http_client cannot be remade: refused, nothing sent)."""
        if self.forked:
            with self._writer_lock:
                if self.forked:
                    self.http = self._remade()
                    self.forked = False
        return self.http

    def _remade(self) -> httpx.AsyncClient:
        if self.make_http is None:
            raise FluidstackError(
                "this client's http_client was made before os.fork(), and a child process "
                "cannot share its connections with the parent (their answers would mix): "
                "make the client, and its http_client, in the child (nothing was sent)"
            )
        try:
            return self.make_http()
        except Exception as exc:
            detail = clean(f"{type(exc).__name__}: {exc}")
            raise FluidstackError(
                f"cannot make this process's own connection pool after os.fork() ({detail}); "
                "nothing was sent"
            ) from None

    def http_for(self, method: str) -> httpx.AsyncClient:
        """The pool a request goes over: writes get fresh connections when we own the
        pool (see AsyncFluidstack.__init__)."""
        if method == "GET" or self.writes is None:
            return self.http
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = self.writes()
        return self._writer

    def pools(self) -> list[httpx.AsyncClient]:
        # (after a fork, before a first call, the parent's: not this process's to close)
        mine = [] if self.forked else [self.http]
        return mine if self._writer is None else [*mine, self._writer]


class _AsyncCall:
    """What the generated endpoint functions see as their httpx client when a user
    calls them through `generated_client()`: each request goes through this client's
    send path (auth, retries, caps, typed errors)."""

    __slots__ = ("_client",)

    def __init__(self, client: _AsyncClientBase) -> None:
        self._client = client

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self._client._send(method, url, kwargs)


class _AsyncClientBase:
    """What a client of either API is: one pool, one set of credentials and one send
    path (auth, argument and path checks, size caps, the deadline, redirects, retry,
    error mapping), shared with its `with_options()` copies and its region clients.

    A subclass names its API's generated package (`_api`) and attaches its resources
    (`_attach`).
    """

    _api: ClassVar[str]
    _shared: _AsyncShared
    _owns_http: bool

    def _setup(
        self,
        token: AsyncTokenSource | None,
        url: httpx.URL,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        retry_policy: RetryPolicy | None,
        http_client: httpx.AsyncClient | None,
        max_connections: int,
        max_response_size: int,
        region_cache_ttl: float = DEFAULT_REGION_CACHE_TTL,
    ) -> None:
        """Check the constructor's arguments and build the shared state (a new pool,
        unless `http_client` is given)."""
        _logs.from_environment()
        credentials = resolve_credentials(token)
        resolved_timeout = resolve_timeout(timeout)
        policy = _retry.configure(retry_policy, max_retries)
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
            )
        check_number(region_cache_ttl, "region_cache_ttl", minimum=0)
        check_number(max_connections, "max_connections", minimum=1, integer=True, maximum=None)
        check_number(max_response_size, "max_response_size", minimum=1, integer=True, maximum=None)
        limits = httpx.Limits(max_connections=max_connections)
        http = http_client or _new_http(resolved_timeout, limits)
        self._shared = _AsyncShared(
            credentials, http, max_connections, url, float(region_cache_ttl), max_response_size
        )
        if http_client is None:
            # Writes go over connections of their own, never reused: bytes a server
            # sent past the end of an earlier answer cannot be read as a write's.
            self._shared.writes = lambda: _new_http(
                resolved_timeout,
                httpx.Limits(max_connections=max_connections, max_keepalive_connections=0),
            )
            self._shared.make_http = lambda: _new_http(resolved_timeout, limits)
        self._owns_http = http_client is None
        self._bind(url, resolved_timeout, policy)

    def _bind(
        self,
        base_url: httpx.URL,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._base_url = base_url
        self._headers = headers or {}  # with_options(extra_headers=...), on every request
        self._prefix = str(base_url).rstrip("/")
        self._origin = origin(base_url)
        self._timeout = timeout
        self._deadline = attempt_deadline(timeout)
        self._retry = retry
        self._attach()

    def _attach(self) -> None:
        """Attach the API's resources (`self.instances`, ...) for this client."""
        raise NotImplementedError

    def _copy(
        self,
        *,
        base_url: httpx.URL | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
    ) -> Self:
        clone = object.__new__(type(self))
        clone._shared = self._shared
        clone._owns_http = False
        clone._bind(
            base_url or self._base_url,
            timeout or self._timeout,
            retry or self._retry,
            self._headers if headers is None else headers,
        )
        return clone

    # -- public API ---------------------------------------------------------------

    @property
    def base_url(self) -> httpx.URL:
        """The API URL requests go to (a region's, for a client from `region()`)."""
        return self._base_url

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt of each call."""
        return self._retry.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each attempt."""
        return self._timeout

    def _with(
        self,
        max_retries: int | None,
        retry_policy: RetryPolicy | None,
        timeout: float | httpx.Timeout | None,
        extra_headers: Mapping[str, str] | None,
    ) -> Self:
        """with_options(), the part every client shares."""
        retry = _retry.configure(retry_policy, max_retries, default=self._retry)
        new_timeout = None if timeout is NOT_GIVEN else resolve_timeout(timeout)
        headers = None
        if extra_headers is not None:
            headers = merged_headers(self._headers, extra_header_fields(extra_headers))
        return self._copy(timeout=new_timeout, retry=retry, headers=headers)

    def generated_client(self) -> GeneratedClient:
        """A generated-layer `Client` that sends through this client.

        For calling the generated `fluidstack_client._generated.management.api` functions
        (`*_detailed` ones included) directly, with this client's auth, retry and
        typed errors.

        Returns:
            The generated package's `Client`, bound to this client's base URL.
        """
        return GeneratedClient(base_url=self._prefix).set_async_httpx_client(
            cast(httpx.AsyncClient, _AsyncCall(self))
        )

    async def aclose(self) -> None:
        """Close the connection pool, if this client created it.

        Copies made by `with_options()` and `region()` share the pool and leave it
        open; an `http_client` you passed in is left for you to close.
        """
        if not self._owns_http:
            return
        loop = self._shared.loop
        # Connections that belonged to an event loop that has ended (an earlier
        # asyncio.run()) cannot be closed from this one: they are dropped.
        ended = loop is not None and loop.is_closed()
        for http in self._shared.pools():
            with contextlib.suppress(RuntimeError) if ended else contextlib.nullcontext():
                await http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url='{self._base_url}', "
            f"max_retries={self._retry.max_retries}, timeout={self._timeout!r})"
        )

    # -- plumbing -------------------------------------------------------------------

    async def _call(
        self,
        endpoint: Callable[..., Awaitable[Response[Error | T]]],
        /,
        *args: Any,
        expect_body: bool = True,
        **kwargs: Any,
    ) -> T:
        """Run one generated operation (named by its `asyncio_detailed` function): its
        module builds the request and parses the answer; this client sends it. Returns
        the parsed body."""
        module = _endpoint_module(endpoint)
        try:
            request = module._get_kwargs(*args, **kwargs)
        except Exception as exc:
            # Not chained (`from None`), here and below: the cause's text can quote the
            # server's body, and a traceback would print it unscrubbed. Its type and
            # scrubbed text are in the message.
            detail = clean(f"{type(exc).__name__}: {exc}")
            raise InvalidParameterError(f"cannot build the request: {detail}") from None
        method, path = request.pop("method"), request.pop("url")
        try:
            response = await self._send(method, path, request)
        except FluidstackError:
            raise
        except Exception as exc:
            detail = clean(f"{type(exc).__name__}: {exc}")
            raise APIConnectionError(f"the request failed: {detail}") from None
        # Bodies are scrubbed of the token as they arrive (_read), so nothing derived
        # from them below needs scrubbing again.
        write = _retry.is_write(response.request.method)
        try:
            parsed = module._parse_response(client=_PARSING, response=response)
        except Exception as exc:
            # The generated parser rejected the body (KeyError, TypeError, JSON, ...).
            problem = f"with a body that does not match the spec ({type(exc).__name__}: {exc})"
            raise validation_error(response, problem, write=write) from None
        if expect_body and (parsed is None or isinstance(parsed, Error)):
            raise validation_error(response, "with no body the spec documents", write=write)
        return cast(T, parsed)

    async def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        """The one send path of every API request: check it against the spec, then
        deliver it. Returns the operation's documented success response, or raises."""
        if self._shared.http.is_closed:
            raise FluidstackError("this client has been closed")
        check_loop(self._shared)
        method = method.upper()
        operation = _operations.match(self._api, method, path)
        response = await self._deliver(self._build(method, path, kwargs), operation)
        sink = captured.get()
        if sink is not None:  # a with_raw_response call
            sink.append((response, self._shared.credentials.redactor_now()))
        return response

    async def _deliver(
        self, request: httpx.Request, operation: _operations.Operation | None
    ) -> httpx.Response:
        """Send with a token, a deadline per attempt, safe redirects, the body read within
        its cap, and retries as the policy says; on a 401, one more try with a fresh
        token if the credentials can give one.

        `operation` None: a request to the token endpoint. It carries no bearer token,
        is retried like an idempotent request, and any status that is not retried is
        returned for the credentials provider to read.
        """
        if self._shared.forked:
            self._shared.pool()  # this process's own, made on first use after a fork
        provider = self._shared.credentials
        idempotent = True if operation is None else None
        refreshed = False
        renewed: Secret | None = None  # fetched after a 401, for the next attempt
        retries = 0
        arrived = False  # an earlier attempt may have reached the server (and acted)
        while True:
            token = renewed or (None if operation is None else await self._token(request))
            renewed = None
            redactor = provider.redactor if token is None else token.redactor
            try:
                async with deadline(self._deadline):
                    response, note = await self._attempt(request, operation, token, redactor)
            except httpx.TransportError as exc:
                delay = _retry.next_delay(
                    self._retry, request.method, retries, error=exc, idempotent=idempotent
                )
                outcome = type(exc).__name__
                arrived = arrived or _retry.may_have_arrived(exc)
                unknown = None
                if operation is not None and _retry.outcome_unknown(request.method, exc):
                    unknown = operation.name
                failure = (
                    None
                    if delay is not None
                    else transport_error(exc, request, redactor, unknown_write=unknown)
                )
            else:
                failure = None
                status = response.status_code
                if operation is not None and operation.is_success(status):
                    if status not in operation.success:
                        log.debug(
                            "%s answered %d, not the %s the spec infers: taken as done",
                            operation.name,
                            status,
                            "/".join(map(str, sorted(operation.success))),
                        )
                    return response
                if operation is not None and 200 <= status < 300:
                    documented = ", ".join(map(str, sorted(operation.success)))
                    problem = f"is not the success of {operation.name} (the spec says {documented})"
                    write = _retry.is_write(request.method)
                    raise validation_error(response, problem, redactor, write=write)
                if status == 401 and token is not None and provider.can_refresh and not refreshed:
                    # Refused, not carried out: safe to send again, whatever the method.
                    provider.invalidate(token)
                    refreshed = True
                    try:
                        renewed = await self._token(request)
                    except FluidstackError as exc:
                        # The request was sent and refused: report the server's 401,
                        # with why no new token could be had.
                        why = getattr(exc, "message", str(exc)).removesuffix(" (nothing was sent)")
                        hint = f" (and no new token: {why})"
                        raise status_error(response, redactor, hint=hint) from None
                    log.info(
                        "401 for %s %s: sending it again with a new token",
                        request.method,
                        request.url.path,
                    )
                    continue
                delay = _retry.next_delay(
                    self._retry, request.method, retries, response=response, idempotent=idempotent
                )
                if delay is None:
                    if operation is None:
                        return response
                    hint = note or self._hint(response, arrived=arrived)
                    if status == 401 and refreshed:
                        hint += provider.refused_hint
                    raise status_error(response, redactor, hint=hint)
                outcome = f"status {status}"
                arrived = arrived or status >= 500
            if failure is not None:
                # Raised here, outside the except clause, so that it has no context:
                # httpx's exception holds the request as sent (token and all), and
                # protocol errors quote what they choked on. Its type and scrubbed
                # text are in the message.
                raise failure
            assert delay is not None
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
            await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds` before a retry or a waiter's next poll: on the clock the client
        was given (the fake's: moved on, nothing sleeps), else really."""
        clock = self._shared.clock
        if clock is None:
            await sleep(seconds)
        else:
            clock.advance(seconds)
            await sleep(0)  # (a point where the task can be cancelled)

    async def _token(self, request: httpx.Request) -> Secret:
        """The token to send `request` with: the provider's, fetched if it has none
        (one fetch at a time per provider, shared by every caller that needs it)."""
        provider = self._shared.credentials
        token = provider.current()
        if token is not None:
            return token
        try:
            if isinstance(provider, CallableToken):
                return provider.accept(await self._call_token_callable(provider))
            flight: SingleFlight[Secret] = provider.flight(SingleFlight)
            return await flight.run(self._refresh_token, wait=self._patience())
        except CredentialsUnavailable as exc:
            failure, cause = credentials_error(exc, request), exc.__cause__
        except FluidstackError:
            raise
        except Exception as exc:  # a provider of the user's own, or a warning as error
            unavailable = CredentialsUnavailable(f"{provider!r} failed: {type(exc).__name__}")
            failure, cause = credentials_error(unavailable, request), exc
        # Raised outside the except clause: the CredentialsUnavailable holds the token
        # request as sent (client secret and all). Chained only to a token callable's or
        # provider's own exception.
        raise failure from cause

    async def _call_token_callable(self, provider: CallableToken) -> object:
        try:
            value = provider.fn()
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            detail = clean(f"{type(exc).__name__}: {exc}")
            raise CredentialsUnavailable(f"the token callable raised {detail}") from exc
        return value

    async def _refresh_token(self) -> Secret:
        """Run the provider's refresh, sending the requests it asks for."""
        provider = self._shared.credentials
        current = provider.current()
        if current is not None:  # renewed by another caller since this one looked
            return current
        refresh = provider.refresh()
        try:
            request = next(refresh)
            while True:
                response = await self._deliver(request, None)
                request = refresh.send(response)
        except StopIteration as done:
            token: Secret = done.value
            log.info("new token from %r", provider)
            return token

    def _patience(self) -> float | None:
        """How long a caller waits for a fetch another caller started (regions, a
        token): as long as its own call could take, at most."""
        return _retry.longest_call(self._retry, self._deadline)

    def _build(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Request:
        if self._headers:  # the call's own headers (a project id) are never among them
            kwargs["headers"] = {**self._headers, **kwargs.get("headers", {})}
        if self._shared.offers_other_encodings:
            # Only encodings the client can decode within its cap (not br or zstd,
            # which httpx offers if their packages are installed). A client we
            # create has this as a default header already.
            headers = kwargs.get("headers", {})
            kwargs["headers"] = {**headers, "Accept-Encoding": _body.ACCEPT_ENCODING}
        try:
            if "json" in kwargs:
                # Encoded here as httpx >= 0.28 encodes it (compact UTF-8, no NaN), on
                # every httpx we support: 0.27 escapes to ASCII, and so would send a
                # lone surrogate instead of refusing it.
                body = json.dumps(
                    kwargs.pop("json"), ensure_ascii=False, separators=(",", ":"), allow_nan=False
                )
                kwargs["content"] = body.encode()
                headers = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
                kwargs["headers"] = headers
            return self._shared.http.build_request(
                method, self._prefix + path, timeout=self._timeout, **kwargs
            )
        except (httpx.InvalidURL, UnicodeError, TypeError, ValueError) as exc:
            detail = clean(f"{type(exc).__name__}: {exc}")
            raise InvalidParameterError(f"cannot build the request: {detail}") from None

    async def _attempt(
        self,
        request: httpx.Request,
        operation: _operations.Operation | None,
        token: Secret | None,
        redactor: Redactor,
    ) -> tuple[httpx.Response, str]:
        """One attempt: the request and the redirects a GET may follow. Returns the last
        response, its body read (within the size cap for a success, a small one else),
        and, for a redirect not followed, why."""
        shared = self._shared
        hop = request
        redirects = 0
        while True:
            authorize(hop, token, self._origin)
            async with slot(shared.gate):
                # (token None: a token request, which goes over the shared pool.)
                http = shared.http if token is None else shared.http_for(hop.method)
                response = await http.send(hop, stream=True, follow_redirects=False)
                try:
                    note = ""
                    if 300 <= response.status_code < 400:
                        target = _redirects.follow(response, redirects, self._origin)
                        if isinstance(target, httpx.Request):
                            hop = target
                            redirects += 1
                            continue
                        note = target
                    if operation is not None and (
                        operation.is_success(response.status_code)
                        and response.status_code not in operation.bodies
                    ):
                        # A success the spec gives no body (a 201, a 204): whatever
                        # came with it is not read, so it cannot fail the write.
                        return _loaded(response, b""), note
                    return await self._read(response, redactor, of_token=operation is None), note
                finally:
                    await response.aclose()

    async def _read(
        self, response: httpx.Response, redactor: Redactor, *, of_token: bool = False
    ) -> httpx.Response:
        """`response` with its body read and decoded within the cap, as a plain response
        (`of_token`: the token endpoint's, a few KB, held to MAX_TOKEN_RESPONSE)."""
        success = 200 <= response.status_code < 300
        # An error body is read a little past its cap, so that the token is scrubbed
        # before the cut: no part of an echo survives at the end.
        cap = _body.MAX_ERROR_BODY
        most = self._shared.max_response_size
        if of_token:
            most = min(most, _body.MAX_TOKEN_RESPONSE)
        limit = most if success else cap + redactor.margin
        wire = _Wire(response)
        declared = wire.length
        try:
            if success and declared.isdigit() and int(declared) > limit:
                raise _body.BodyTooLarge(f"Content-Length {int(declared):,} is over the limit")
            # An in-memory transport (a mock) may hand over a response already read
            # and decoded; anything from the network arrives as raw bytes.
            consumed = response.is_stream_consumed
            encoding = None if consumed else wire.encoding
            reader = _body.BodyReader(encoding, limit, truncate=not success)
            if consumed:
                reader.feed(response.content)
            else:
                try:
                    async with error_body_deadline(not success):
                        async for chunk in response.aiter_raw():
                            reader.feed(chunk)
                            if reader.done:
                                break
                            check_deadline()
                except (httpx.TransportError, TimeoutError):
                    if success:
                        raise
                    # An error's status arrived (the write was refused, or failed): a body
                    # cut short does not make its outcome unknown. What came is kept.
            # Scrubbed at the source: nothing the server sends back (a model's field,
            # a region URL, an error body) can carry the token any further.
            content = redactor.bytes(reader.result())
            if success:
                # (and where JSON hides it: a model's field, a validation error's text)
                content = scrub_encoded(content, redactor)
                _body.check_json_density(content, limit)
            else:
                content = content[:cap]
        except _body.BodyTooLarge as exc:
            raise self._too_large(response, limit, str(exc), redactor, of_token=of_token) from None
        except _body.Undecodable as exc:
            if success:
                raise validation_error(_loaded(response, b""), str(exc), redactor) from None
            content = b""
        return _loaded(response, content, redactor, wire)

    def _too_large(
        self,
        response: httpx.Response,
        limit: int,
        why: str,
        redactor: Redactor,
        *,
        of_token: bool = False,
    ) -> FluidstackError:
        cap = (
            f"a token endpoint's answer is {limit:,} bytes at most"
            if of_token
            else f"max_response_size={limit:,} bytes; raise it on the client if such "
            "answers are expected"
        )
        return ResponseTooLargeError(
            f"{response.status_code} response not read: {why} ({cap})",
            response=safe_response(_loaded(response, b""), redactor),
            limit=limit,
        )

    def _hint(self, response: httpx.Response, *, arrived: bool = False) -> str:
        """What the error's text adds to the status (`arrived`: an earlier attempt of
        the request may have reached the server)."""
        method = response.request.method
        if response.status_code >= 500 and _retry.is_write(method):
            return WRITE_MAY_BE_DONE
        if response.status_code == 404 and arrived and method == "DELETE":
            return DELETED_BEFORE
        if (
            response.status_code == 404
            and self._api == "management"
            and self._base_url.path in ("", "/")
        ):
            return (
                " (base_url has no path; the Management API lives under "
                f"{httpx.URL(DEFAULT_BASE_URL).path})"
            )
        return ""


def with_raw_response(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[RawResponse[T]]]:
    """`method` (a resource's), returning its value with the HTTP response it came
    from (`fs.instances.with_raw_response.get(id)`)."""

    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        sink: list[tuple[httpx.Response, Redactor]] = []
        token = captured.set(sink)
        try:
            parsed = await method(*args, **kwargs)
        finally:
            captured.reset(token)
        return raw_response(sink, parsed)

    return call


# What a generated parser is handed as its client: it reads only
# raise_on_unexpected_status, and only for a status the operation does not document,
# which the send path never returns.
_PARSING = GeneratedClient(base_url="")


@functools.cache
def _endpoint_module(endpoint: Callable[..., object]) -> Any:
    """The generated module of an operation's `asyncio_detailed` function: its
    `_get_kwargs` and `_parse_response` are what `_call` runs."""
    return sys.modules[endpoint.__module__]


def _new_http(timeout: httpx.Timeout, limits: httpx.Limits) -> httpx.AsyncClient:
    """An httpx client of our own (proxies from the environment are honoured)."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": _body.ACCEPT_ENCODING}
    http = httpx.AsyncClient(timeout=timeout, headers=headers, limits=limits)
    install_deadline(http)
    return http


class _Wire:
    """What `_read` and `_loaded` need of a response's headers, in one pass over them:
    Content-Length, Content-Encoding, and every value (to look for the token in)."""

    __slots__ = ("encoding", "length", "values")

    def __init__(self, response: httpx.Response) -> None:
        found: dict[bytes, list[bytes]] = {}
        values = []
        for key, value in response.headers.raw:
            values.append(value)
            if len(key) in (14, 16):  # the two names' lengths: most headers skip lower()
                found.setdefault(key.lower(), []).append(value)
        # Repeated fields joined with ", ", as httpx's headers.get() does (two
        # Content-Lengths are then no number, and no declared size is trusted).
        length = found.get(b"content-length")
        self.length = "" if length is None else b", ".join(length).decode("latin-1")
        coding = found.get(b"content-encoding")
        self.encoding = None if coding is None else b", ".join(coding).decode("latin-1")
        self.values = b"\n".join(values)


def _loaded(
    response: httpx.Response,
    content: bytes,
    redactor: Redactor = NO_SECRET,
    wire: _Wire | None = None,
) -> httpx.Response:
    """A plain response with `content` as its (already decoded) body, and the token
    scrubbed from its header values."""
    wire = wire or _Wire(response)
    echoed = redactor.bytes(wire.values) is not wire.values  # the same object when clean
    if wire.encoding is None and not echoed:
        # The wire headers describe `content` as it is: store it where httpx's own
        # read() does, rather than build a second response on every call.
        response._content = content
        return response
    return copy_response(response, content, redactor)
