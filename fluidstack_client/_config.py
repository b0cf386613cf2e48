"""Constructor arguments and their environment-variable defaults, resolved and checked once."""

from __future__ import annotations

import math
import os
import uuid

import httpx

from .errors import ConfigurationError, FluidstackError

BASE_URL_ENV = "FLUIDSTACK_BASE_URL"
REGION_URL_ENV = "FLUIDSTACK_REGION_URL"
PROJECT_ID_ENV = "FLUIDSTACK_PROJECT_ID"
# The spec's `servers[0].url` (tests/client/test_config.py keeps the two in step).
DEFAULT_BASE_URL = "https://api.atlas.fluidstack.io/api/v1alpha1"
"""The Management API's URL (`FLUIDSTACK_BASE_URL` overrides it)."""
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""30 s for each phase of an attempt and for the whole attempt, 10 s to connect."""
DEFAULT_MAX_CONNECTIONS = 100  # httpx's own default pool size
# The largest real answer is a ListInstances; 64 MiB holds ~100,000 instances.
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only URLs that are not https get here

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def absolute_http_url(value: object, what: str, error: type[FluidstackError]) -> httpx.URL:
    """`value` as an absolute http(s) URL, or `error` saying what is wrong with it."""
    try:
        url = httpx.URL(value)  # type: ignore[arg-type]
    except (httpx.InvalidURL, TypeError) as exc:
        raise error(f"{what} {value!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise error(f"{what} {value!r} is not an absolute http(s) URL")
    if url.userinfo:
        raise error(f"{what} must not contain credentials (user:password@); use token=")
    return url


def secure_url(value: object, what: str, error: type[FluidstackError]) -> httpx.URL:
    """An absolute URL the token may be sent to: https, or plain http to a loopback
    host only. The same rule for base_url, region URLs and redirects."""
    url = absolute_http_url(value, what, error)
    if url.scheme != "https" and not is_loopback(url.host):
        raise error(
            f"refusing {what} {str(url)!r}: only https is allowed (plain http only to "
            "loopback hosts), so the token is never sent in cleartext"
        )
    return url


def resolve_base_url(base_url: str | httpx.URL | None) -> httpx.URL:
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    url = secure_url(base_url, "base_url", ConfigurationError)
    return url.copy_with(path=url.path.rstrip("/") or "/", query=None, fragment=None)


def resolve_region_url(base_url: str | httpx.URL | None) -> httpx.URL:
    """A region API's URL given to `AsyncRegionClient` directly (else
    `FLUIDSTACK_REGION_URL`): https (plain http only to loopback); a bare host gets
    the API's versioned path, as a URL from `/regions` does."""
    if base_url is None:
        base_url = os.environ.get(REGION_URL_ENV)
        if not base_url:
            raise ConfigurationError(
                f"no region URL: pass base_url= (a region's `url` from /regions), set "
                f"{REGION_URL_ENV}, or use `await fs.region(name)` on the Management client"
            )
    url = secure_url(base_url, "base_url", ConfigurationError)
    if url.path in ("", "/"):
        url = url.copy_with(path=httpx.URL(DEFAULT_BASE_URL).path)
    return url.copy_with(path=url.path.rstrip("/") or "/", query=None, fragment=None)


def resolve_project_id(project_id: object) -> uuid.UUID | None:
    """The project a regional client acts in: the argument (InvalidParameterError if
    it is not a UUID), else `FLUIDSTACK_PROJECT_ID` (ConfigurationError if it is not
    one), else None (each call that needs one must then name it)."""
    if project_id is None:
        value = os.environ.get(PROJECT_ID_ENV)
        if not value:
            return None
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            raise ConfigurationError(
                f"{PROJECT_ID_ENV} must be a project's UUID, got {value[:60]!r}"
            ) from None
    from ._validate import as_uuid

    return as_uuid(project_id, "project_id")


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """The timeout as an httpx.Timeout; every part None (no limit) or finite and > 0."""
    if isinstance(timeout, httpx.Timeout):
        parts = timeout.as_dict()
        for name, value in parts.items():
            if value is not None:
                check_number(value, f"timeout.{name}", minimum=0, exclusive=True)
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    check_number(timeout, "timeout", minimum=0, exclusive=True)
    return httpx.Timeout(timeout)


def attempt_deadline(timeout: httpx.Timeout) -> float | None:
    """Seconds one attempt may take in all (connect, send, headers and the whole body):
    the read timeout, which otherwise bounds only each single read."""
    return timeout.read


# Seconds beyond this (about 31 years) overflow the clocks and locks they reach.
MAX_SECONDS = 1e9


def check_number(
    value: object,
    name: str,
    *,
    minimum: float,
    integer: bool = False,
    exclusive: bool = False,
    maximum: float | None = MAX_SECONDS,
) -> None:
    """Reject a non-number (bools included), NaN or an infinity, a float where an int is
    due, or a value below `minimum` (or equal to it, if `exclusive`) or above `maximum`
    (seconds, unless None), with a ConfigurationError naming the option."""
    kinds = int if integer else int | float
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or (isinstance(value, float) and not math.isfinite(value))
        or value < minimum
        or (exclusive and value == minimum)
        or (maximum is not None and value > maximum)
    ):
        kind = "an int" if integer else "a finite number"
        bound = f"> {minimum}" if exclusive else f">= {minimum}"
        if maximum is not None:
            bound += f" and <= {maximum:g}"
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:40]}..."
        raise ConfigurationError(f"{name} must be {kind} {bound}, got {shown}")
