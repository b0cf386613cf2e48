"""The retry policy: which failures are retried and how long to wait. Pure functions.

Sync and async clients both ask `next_delay`; only their sleeping differs.

- Retried statuses: 408, 429 and every 5xx (including edge-proxy codes like 520).
- Retried transport failures: connect errors and timeouts, resets, dropped
  connections, read timeouts.
- Not retried: TLS failures (a certificate that does not verify, a protocol
  mismatch): the same attempt would fail the same way.
- Idempotent methods (GET, DELETE, and this API's PATCH, which sets a value) retry on
  all of those. POST retries only when the request provably never reached the
  server (it could not connect, or never got a pooled connection): a second
  CreateInvitation would send a second e-mail. Writes are never redirected, so
  such a failure is always about the original request to the original URL.
- Waits grow exponentially with jitter, capped; `Retry-After` (seconds or an HTTP
  date) is honoured, capped too. `max_retries=N` means at most N+1 attempts.
"""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass

import httpx

from ._config import check_number
from ._error_mapping import tls_failure, unusable_redirect
from .errors import ConfigurationError

DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt: 3 attempts in all."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
RETRYABLE_STATUSES = frozenset({408, 429})

# Failures where the server cannot have seen the request (a proxy that would not open
# the tunnel to it included).
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
# Failures where it may have, but repeating an idempotent request is harmless.
_MAYBE_SENT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


_JITTER = random.Random()  # noqa: S311 - jitter, not cryptography


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `max_retries=N`: at most N+1 attempts.

    Immutable; pass it as `retry_policy=` to a client or to `with_options()`. The wait
    before retry n (from 0) is `initial_delay * 2**n`, capped at `max_delay`, times a
    random factor from 0.5 to 1; a `Retry-After` header, capped at `max_retry_after`,
    replaces it.

    Args:
        max_retries: Retries after the first attempt (an integer >= 0).
        initial_delay: Seconds before the first retry (before jitter).
        max_delay: The longest computed wait, in seconds.
        max_retry_after: The longest wait a server's `Retry-After` can ask for.

    Raises:
        ConfigurationError: A value is negative, NaN, infinite, or not a number
            (`max_retries` not an integer).
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt."""
    initial_delay: float = 0.5
    """Seconds before the first retry (before jitter)."""
    max_delay: float = 8.0
    """The longest computed wait, in seconds."""
    max_retry_after: float = 60.0
    """The longest wait a server's `Retry-After` can ask for, in seconds."""

    def __post_init__(self) -> None:
        check_number(self.max_retries, "max_retries", minimum=0, integer=True, maximum=None)
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            check_number(getattr(self, name), name, minimum=0)


def configure(
    policy: object, max_retries: object = None, *, default: RetryPolicy | None = None
) -> RetryPolicy:
    """The policy a client uses: `policy` (None: `default`, or RetryPolicy()), with
    `max_retries` overriding its count."""
    if policy is None:
        policy = default or RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise ConfigurationError(f"retry_policy must be a RetryPolicy, got {policy!r}")
    if max_retries is None:
        return policy
    return dataclasses.replace(policy, max_retries=max_retries)  # type: ignore[arg-type]


def longest_call(policy: RetryPolicy, deadline: float | None) -> float | None:
    """The longest a call can take: every attempt to its deadline, every wait at its
    cap (None: no deadline, no bound)."""
    if deadline is None:
        return None
    waits = max(policy.max_delay, policy.max_retry_after) * policy.max_retries
    return deadline * (policy.max_retries + 1) + waits


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUSES


def is_retryable_error(method: str, error: Exception) -> bool:
    if tls_failure(error) is not None or unusable_redirect(error):
        return False  # a bad certificate, a TLS mismatch, a broken Location: not transient
    if isinstance(error, _NEVER_SENT):
        return True
    return method.upper() in IDEMPOTENT_METHODS and isinstance(error, _MAYBE_SENT)


def is_write(method: str) -> bool:
    """A request that is never sent twice (a POST): what it asked for may have been
    done even when its answer says otherwise or cannot be read."""
    return method.upper() not in IDEMPOTENT_METHODS


def outcome_unknown(method: str, error: Exception) -> bool:
    """A write whose request may have reached the server before `error` ended it: it
    may have been carried out (an AmbiguousWriteError). Only a failure that provably
    happened before anything was sent (no connection, no pooled connection, a request
    that could not be built) says it was not."""
    return is_write(method) and may_have_arrived(error)


def may_have_arrived(error: Exception) -> bool:
    """Whether the request may have reached the server before `error` ended it."""
    return not isinstance(error, (*_NEVER_SENT, httpx.LocalProtocolError))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime  # rare: load on first use

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def backoff(policy: RetryPolicy, retries_done: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base * 2**n capped, then scaled into [0.5, 1]x."""
    # (The exponent is capped: 2.0 ** 1025 overflows, and 2 ** 64 is past any cap.)
    base = min(policy.initial_delay * 2.0 ** min(retries_done, 64), policy.max_delay)
    jitter = (rng or _JITTER).uniform(0.5, 1.0)
    return base * jitter


def next_delay(
    policy: RetryPolicy,
    method: str,
    retries_done: int,
    *,
    response: httpx.Response | None = None,
    error: Exception | None = None,
    rng: random.Random | None = None,
    idempotent: bool | None = None,
) -> float | None:
    """How long to wait before the next attempt, or None to give up now.

    Call with the failed attempt's `response` (non-2xx) or its transport `error`.
    `idempotent` overrides what the method says (a token request is a POST that is
    safe to repeat).
    """
    if retries_done >= policy.max_retries:
        return None
    if idempotent:
        method = "GET"
    if response is not None:
        if not is_retryable_status(response.status_code):
            return None
        if method.upper() not in IDEMPOTENT_METHODS:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            return min(retry_after, policy.max_retry_after)
        return backoff(policy, retries_done, rng)
    if error is not None and is_retryable_error(method, error):
        return backoff(policy, retries_done, rng)
    return None
