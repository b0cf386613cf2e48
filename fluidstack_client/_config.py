"""Constructor arguments and their environment-variable defaults, resolved and checked once."""

from __future__ import annotations

import os

import httpx

from ._auth import Secret
from .errors import ConfigurationError, FluidstackError

TOKEN_ENV = "FLUIDSTACK_TOKEN"  # noqa: S105 - the name of a variable, not a secret
BASE_URL_ENV = "FLUIDSTACK_BASE_URL"
# The spec's `servers[0].url` (tests/test_config.py keeps the two in step).
DEFAULT_BASE_URL = "https://api.atlas.fluidstack.io/api/v1alpha1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_CONNECTIONS = 100  # httpx's own default pool size


def resolve_token(token: str | None) -> Secret:
    if token is None:
        token = os.environ.get(TOKEN_ENV) or None
    if token is None:
        raise ConfigurationError(
            f"no API token: pass token=... or set the {TOKEN_ENV} environment variable"
        )
    if not isinstance(token, str) or not token.strip():
        raise ConfigurationError("the API token must be a non-empty string")
    if any(ch in token for ch in "\r\n"):
        raise ConfigurationError("the API token must not contain line breaks")
    return Secret(token.strip())


def absolute_http_url(value: object, what: str, error: type[FluidstackError]) -> httpx.URL:
    """`value` as an absolute http(s) URL, or `error` saying what is wrong with it."""
    try:
        url = httpx.URL(value)  # type: ignore[arg-type]
    except (httpx.InvalidURL, TypeError) as exc:
        raise error(f"{what} {value!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise error(f"{what} {value!r} is not an absolute http(s) URL")
    return url


def resolve_base_url(base_url: str | httpx.URL | None) -> httpx.URL:
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    url = absolute_http_url(base_url, "base_url", ConfigurationError)
    return url.copy_with(path=url.path.rstrip("/") or "/", query=None, fragment=None)


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None or (isinstance(timeout, int | float) and not isinstance(timeout, bool)):
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        return httpx.Timeout(timeout)
    raise ConfigurationError(f"timeout must be seconds or an httpx.Timeout, got {timeout!r}")


def check_number(value: object, name: str, *, minimum: float, integer: bool = False) -> None:
    """Reject a non-number (bools included), a float where an int is due, or a value
    below `minimum`, with a ConfigurationError naming the option."""
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        kind = "an int" if integer else "a number"
        raise ConfigurationError(f"{name} must be {kind} >= {minimum}, got {value!r}")
