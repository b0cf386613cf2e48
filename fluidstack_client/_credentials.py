"""Where the bearer token comes from: a string, a callable, or a provider that fetches
and refreshes it (OAuth client credentials, the fluidctl token file).

A provider owns caching and refresh; it does no I/O of its own. The client's send
path asks `current()` for a token; when there is none it runs `refresh()`, a
generator that yields the HTTP requests it needs (the client sends them over its
own pool, timeouts and retry policy) and returns the new token. That is the httpx
auth-flow habit: one provider serves `Fluidstack` and `AsyncFluidstack` alike. The
client runs one refresh at a time per provider (single-flight), and tells the
provider with `invalidate(token)` when the server answered 401 to that token.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import stat
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ._error_mapping import parse_body, safe_parts, status_error
from ._redact import NO_SECRET, Redactor, Sealed, Secret, clean, redacted_request, watch
from .errors import APIStatusError, AuthenticationError, ConfigurationError

DEFAULT_TOKEN_URL = "https://fluidstack.us.auth0.com/oauth/token"  # noqa: S105 - a URL
DEFAULT_AUDIENCE = "https://api.fluidstack.io"
FLUIDCTL_TOKEN_PATH = "~/.fluidstack/token"  # noqa: S105 - a path
TOKEN_URL_ENV = "FLUIDSTACK_TOKEN_URL"  # noqa: S105 - names of variables
AUDIENCE_ENV = "FLUIDSTACK_AUDIENCE"
# fluidctl's own habit: a token counts as expired this long before its `exp`.
EXPIRY_SKEW = 30.0
# Past these, numbers overflow a float or a clock: a token "for ever" is one for years.
MAX_LIFETIME = 10**9
MAX_EXPIRY = 10**11
# The token file holds one JWT (~1-2 KB); anything far larger is not fluidctl's.
MAX_TOKEN_FILE = 64 * 1024

F = TypeVar("F")
Refresh = Generator[httpx.Request, httpx.Response, Secret]


class CredentialsUnavailable(Exception):
    """No token can be had. The client turns this into an AuthenticationError for the
    request it was about to send (or from `response`, the token endpoint's answer)."""

    def __init__(
        self,
        message: str,
        response: httpx.Response | None = None,
        redactor: Redactor | None = None,
        *,
        outage: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.response = response
        self.redactor = redactor
        # The token endpoint failed (5xx, 429) rather than refused: reported as the
        # status error it is, not as bad credentials.
        self.outage = outage


class TokenProvider:
    """Base of every way to get a token: `ClientCredentials`, `FluidctlToken`, and
    the providers the client makes of a string or a callable.

    A subclass implements `current()` (a cached token, or None) and `refresh()` (a
    generator that yields the HTTP requests it needs, sent by the client through its
    own pool, timeouts and retry, and returns the new token), and may override
    `invalidate()`. The client runs one refresh at a time per provider, shared by
    every caller waiting for it.
    """

    can_refresh = True
    """Whether a 401 is worth a fresh token and one more try."""
    refused_hint = ""
    """Added to the `AuthenticationError` when the server refused a fresh token too."""
    redactor = NO_SECRET
    """Scrubs the provider's own secrets (a client secret) from what it sends and reads."""

    def __init__(self) -> None:
        self._flights: dict[type[Any], Any] = {}
        self._flights_lock = threading.Lock()

    def _after_fork(self) -> None:
        """In a forked child: forget the parent's fetches in flight and their locks (a
        subclass forgets its cached token too, and calls this)."""
        self._flights = {}
        self._flights_lock = threading.Lock()

    def current(self) -> Secret | None:
        """A token that is still good, or None: the client then runs `refresh()`."""
        raise NotImplementedError

    def refresh(self) -> Refresh:
        """Get a new token: yield the requests to send, return the token."""
        raise NotImplementedError

    def invalidate(self, token: Secret) -> None:
        """The server answered 401 to `token`: do not hand it out again.

        Args:
            token: The token that was refused.
        """

    def redactor_now(self) -> Redactor:
        """Scrubs the current token (if one is cached) and the provider's own secrets."""
        token = self.current()
        return self.redactor if token is None else token.redactor

    def flight(self, kind: Callable[[], F]) -> F:
        """This provider's single-flight of the given kind (one per sync/async backend),
        so every client sharing the provider shares its refreshes.

        Args:
            kind: The single-flight class of the calling client's backend.

        Returns:
            The one instance of `kind` for this provider.
        """
        with self._flights_lock:
            found: F | None = self._flights.get(kind)  # type: ignore[call-overload]
            if found is None:
                found = self._flights[kind] = kind()  # type: ignore[index]
            return found

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError(f"a {type(self).__name__} holds credentials and cannot be pickled")


class StaticToken(TokenProvider):
    """A token given as a string. Never "refreshed": a 401 is final."""

    can_refresh = False

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = Secret(token)

    def current(self) -> Secret:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(***)"


class CallableToken(TokenProvider):
    """A callable returning the current token (for `AsyncFluidstack`, it may be async).

    It is called for every request (cache in it if it is costly) and once more after
    a 401; its answer is checked like any token.
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self._last: Secret | None = None

    def current(self) -> None:
        return None  # the client calls `fn` itself: it may have to await it

    def redactor_now(self) -> Redactor:
        return NO_SECRET if self._last is None else self._last.redactor

    def accept(self, value: object) -> Secret:
        if not isinstance(value, str):
            if hasattr(value, "close") and hasattr(value, "send"):  # an un-awaited coroutine
                value.close()
                raise ConfigurationError(
                    "the token callable returned a coroutine: Fluidstack needs a plain "
                    "callable (async ones work with AsyncFluidstack)"
                )
            raise ConfigurationError(
                f"the token callable must return a string, got {type(value).__name__}"
            )
        last = self._last
        if last is not None and last.reveal() == value.strip():
            return last
        self._last = Secret(value)
        return self._last

    def __repr__(self) -> str:
        return f"CallableToken({getattr(self.fn, '__qualname__', type(self.fn).__name__)})"


class _Cached(TokenProvider):
    """A provider that keeps one token until `refresh_at` (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._refresh_at = 0.0

    def _after_fork(self) -> None:
        super()._after_fork()
        self._lock = threading.Lock()
        self._token = None
        self._refresh_at = 0.0

    def current(self) -> Secret | None:
        token = self._token
        if token is not None and time.monotonic() < self._refresh_at:
            return token
        return None

    def _keep(self, token: Secret, lifetime: float | None) -> Secret:
        with self._lock:
            self._token = token
            self._refresh_at = math.inf if lifetime is None else time.monotonic() + lifetime
        return token

    def invalidate(self, token: Secret) -> None:
        with self._lock:
            if self._token is token:  # not one fetched since by another caller
                self._token = None


def refresh_margin(lifetime: float) -> float:
    """How long before expiry a token is replaced: a tenth of its life, at most a
    minute, so an hour's token is renewed a minute early and a 2-second one is
    still used for 1.8 s."""
    return min(60.0, lifetime / 10)


class ClientCredentials(_Cached):
    """OAuth 2.0 client credentials (machine-to-machine), as fluidctl's
    `--client-id`/`--client-secret` use them.

    Fetches an access token from `token_url` (Auth0) with the client id and secret
    in the request body, keeps it until shortly before its `expires_in` runs out,
    and fetches a new one then, or after a 401. One object works with both
    `Fluidstack` and `AsyncFluidstack`, and may be shared by several clients.

    Args:
        client_id: The service's client id.
        client_secret: Its secret: never in a `repr`, log line, exception or pickle
            (the object refuses to be pickled), and scrubbed from what the token
            endpoint sends back.
        token_url: The OAuth token endpoint. Default: `FLUIDSTACK_TOKEN_URL`, else
            Fluidstack's Auth0 tenant. Must be https (plain http only to loopback).
        audience: The API audience asked for. Default: `FLUIDSTACK_AUDIENCE`, else
            `https://api.fluidstack.io`.

    Raises:
        ConfigurationError: An empty id or secret, or a token URL that is not https.

    Attributes:
        client_id: The client id (not a secret).
        token_url: Where tokens are fetched.
        audience: The audience asked for.
    """

    refused_hint = " (a fresh client-credentials token was refused too)"
    """Added to the `AuthenticationError` when a freshly fetched token is refused too."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        audience: str | None = None,
    ) -> None:
        from ._config import secure_url

        super().__init__()
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(f"{name} must be a non-empty string")
        url = token_url or os.environ.get(TOKEN_URL_ENV) or DEFAULT_TOKEN_URL
        self.token_url = secure_url(url, "token_url", ConfigurationError)
        self.audience = audience or os.environ.get(AUDIENCE_ENV) or DEFAULT_AUDIENCE
        self.client_id = client_id.strip()
        self._client_secret = Sealed(client_secret.strip())
        self.redactor = Redactor(self._client_secret._value, always=True)
        """Scrubs the client secret (whatever its length) from text and bytes."""
        watch(self.redactor)  # httpx logs the token endpoint's answers too

    def refresh(self) -> Refresh:
        """Fetch a token: one POST to `token_url` (the client sends it).

        Returns:
            A generator that yields the token request and returns the token.
        """
        secret = self._client_secret._value
        request = httpx.Request(
            "POST",
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": secret,
                "audience": self.audience,
            },
            headers={"Accept": "application/json"},
        )
        response = yield request
        body = parse_body(self.redactor.bytes(response.content))
        fields = body if isinstance(body, dict) else {}
        if response.status_code >= 500 or response.status_code == 429:
            raise CredentialsUnavailable(
                "the token endpoint failed", response, self.redactor, outage=True
            )
        if response.status_code != 200:
            error = fields.get("error")
            detail = fields.get("error_description")
            said = ": ".join(clean(str(x), self.redactor) for x in (error, detail) if x)
            raise CredentialsUnavailable(
                f"the token endpoint refused the client credentials ({said or 'no reason given'})",
                response,
                self.redactor,
            )
        access_token = fields.get("access_token")
        expires_in = fields.get("expires_in")
        if isinstance(expires_in, str) and expires_in.isdigit():  # some servers quote it
            expires_in = int(expires_in)
        token_type = fields.get("token_type", "Bearer")
        if (
            not isinstance(access_token, str)
            or not (expires_in is None or _positive_number(expires_in))
            or not isinstance(token_type, str)
            or token_type.lower() != "bearer"
        ):
            raise CredentialsUnavailable(
                "the token endpoint's answer is not an OAuth bearer token "
                "(access_token, expires_in, token_type)",
                response,
                self.redactor,
            )
        try:
            token = Secret(access_token, also=(secret,))
        except ConfigurationError as exc:
            raise CredentialsUnavailable(str(exc), response, self.redactor) from None
        lifetime = 3600.0 if expires_in is None else float(min(expires_in, MAX_LIFETIME))
        return self._keep(token, lifetime - refresh_margin(lifetime))

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, token_url='{self.token_url}')"


class FluidctlToken(_Cached):
    """The token `fluidctl login` wrote (default `~/.fluidstack/token`).

    Its JWT `exp` claim is read (not verified: the API does that) and the token is
    used until `EXPIRY_SKEW` seconds before it; then the file is read again, since
    the person may have run `fluidctl login` meanwhile. An expired or missing token
    is an AuthenticationError that says to run `fluidctl login`. A file readable by
    group or others gets a warning.

    Args:
        path: The token file (`~` is expanded).

    Raises:
        ConfigurationError: `~` cannot be expanded (no home directory).

    Attributes:
        path: The token file, `~` expanded.
    """

    refused_hint = " (the fluidctl token was refused; run `fluidctl login`)"
    """Added to the `AuthenticationError` when the token in the file is refused."""

    def __init__(self, path: str | os.PathLike[str] = FLUIDCTL_TOKEN_PATH) -> None:
        super().__init__()
        try:
            self.path = Path(path).expanduser()
        except RuntimeError:  # no HOME and no passwd entry (a container's arbitrary uid)
            raise ConfigurationError(
                f"cannot find the home directory for {path}; pass FluidctlToken(path=...)"
            ) from None

    def refresh(self) -> Refresh:
        """Read the token from the file (no request is sent).

        Returns:
            A generator that yields nothing and returns the token, or raises
            `CredentialsUnavailable` (an expired, missing or unreadable token).
        """
        try:
            mode = self.path.stat().st_mode
            if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
                raise CredentialsUnavailable(
                    f"{self.path} is not a regular file; run `fluidctl login`"
                )
            with self.path.open("rb") as file:
                data = file.read(MAX_TOKEN_FILE + 1)
        except OSError as exc:
            raise CredentialsUnavailable(
                f"no fluidctl token at {self.path} ({exc.strerror or type(exc).__name__}); "
                "run `fluidctl login`"
            ) from None
        if len(data) > MAX_TOKEN_FILE:
            raise CredentialsUnavailable(
                f"{self.path} is larger than a token ({MAX_TOKEN_FILE:,} bytes at most); "
                "run `fluidctl login`"
            )
        raw = data.decode("utf-8", "replace").strip()
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.warn(
                f"{self.path} can be read by other users (mode {stat.filemode(mode)}); "
                f"`chmod 600 {self.path}`",
                stacklevel=2,
            )
        if not raw:
            raise CredentialsUnavailable(f"{self.path} is empty; run `fluidctl login`")
        try:
            token = Secret(raw)
        except ConfigurationError:
            raise CredentialsUnavailable(
                f"{self.path} does not hold a token; run `fluidctl login`"
            ) from None
        expires = jwt_expiry(raw)
        if expires is None:
            return self._keep(token, None)
        now = time.time()
        left = expires - EXPIRY_SKEW - now
        if left <= 0:
            if expires > now:  # still valid, but not for long enough to be used
                raise CredentialsUnavailable(
                    f"the fluidctl token in {self.path} expires in {math.ceil(expires - now)} "
                    "s, too soon to use; run `fluidctl login`"
                )
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expires))
            raise CredentialsUnavailable(
                f"the fluidctl token in {self.path} expired at {when}; run `fluidctl login`"
            )
        return self._keep(token, left)
        yield  # a generator that needs no request

    def invalidate(self, token: Secret) -> None:
        """Forget `token`: the file is read again, since it may hold a new login.

        Args:
            token: The token the server refused.
        """
        super().invalidate(token)  # read the file again: it may hold a new login

    def __repr__(self) -> str:
        return f"FluidctlToken(path='{self.path}')"


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
        and value > 0
    )


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (unverified), or None if it has none or is no JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, RecursionError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(exp, int | float) or not _positive_number(exp):
        return None
    return float(min(exp, MAX_EXPIRY))


def from_environment(env: os._Environ[str] | dict[str, str] | None = None) -> TokenProvider:
    """The credentials when no `token=` is given: FLUIDSTACK_TOKEN; then
    FLUIDSTACK_CLIENT_ID + FLUIDSTACK_CLIENT_SECRET; then the fluidctl token file."""
    env = os.environ if env is None else env
    token = env.get("FLUIDSTACK_TOKEN")
    if token:
        return StaticToken(token)
    client_id, client_secret = env.get("FLUIDSTACK_CLIENT_ID"), env.get("FLUIDSTACK_CLIENT_SECRET")
    if client_id or client_secret:
        if not (client_id and client_secret):
            missing = "FLUIDSTACK_CLIENT_SECRET" if client_id else "FLUIDSTACK_CLIENT_ID"
            raise ConfigurationError(f"FLUIDSTACK_CLIENT_ID and _SECRET go together: set {missing}")
        return ClientCredentials(client_id, client_secret)
    try:
        fluidctl = Path(FLUIDCTL_TOKEN_PATH).expanduser()
        found = fluidctl.exists()
    except (RuntimeError, OSError):  # no home directory, or one we may not look into
        found = False
    if found:
        return FluidctlToken(fluidctl)
    raise ConfigurationError(
        "no credentials: pass token=... (a token, a callable, ClientCredentials(...) or "
        "FluidctlToken()), or set FLUIDSTACK_TOKEN, or FLUIDSTACK_CLIENT_ID and "
        f"FLUIDSTACK_CLIENT_SECRET, or run `fluidctl login` (to write {FLUIDCTL_TOKEN_PATH})"
    )


def resolve(token: object) -> TokenProvider:
    """What `token=` was given as, as a provider."""
    if token is None:
        return from_environment()
    if isinstance(token, TokenProvider):
        return token
    if isinstance(token, str):
        return StaticToken(token)
    if callable(token):
        return CallableToken(token)
    raise ConfigurationError(
        "token must be a string, a callable returning one, ClientCredentials(...) or "
        f"FluidctlToken(), got {type(token).__name__}"
    )


#: What `token=` accepts: a token, a callable returning one, or a provider.
TokenSource = str | TokenProvider | Callable[[], str]
#: The same for AsyncFluidstack, whose callable may also be async.
AsyncTokenSource = TokenSource | Callable[[], Awaitable[str]]


def credentials_error(exc: CredentialsUnavailable, request: httpx.Request) -> APIStatusError:
    """The error for a request that could not get a token: an AuthenticationError built
    from the token endpoint's answer if there was one, else from `request` (not
    sent); the endpoint's own status error if it failed rather than refused."""
    redactor = exc.redactor or NO_SECRET
    if exc.outage and exc.response is not None:
        return status_error(exc.response, redactor, hint=" (from the token endpoint)")
    if exc.response is not None:
        response, body = safe_parts(exc.response, redactor)
        message = clean(exc.message, redactor)
    else:
        response, body = httpx.Response(401, request=redacted_request(request)), None
        message = f"{clean(exc.message, redactor)} (nothing was sent)"
    return AuthenticationError(message, response=response, body=body)
