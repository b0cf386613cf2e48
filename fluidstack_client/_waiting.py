"""Waiters' decisions, as pure functions: when to poll next, which failures a wait
survives, what ends it. The polling loops (`instances.wait()`, `wait_deleted()`) are
in the resources; both sync and async ask these.

The schedule: a first poll at once, then pauses growing from 1 s by half each time
up to 15 s (1, 1.5, 2.25, 3.4, 5.1, 7.6, 11.4, then 15 s), each scaled by a random
factor from 0.8 to 1.2 (never past 15 s), never shorter than a `Retry-After` the
server sent, never past the wait's own timeout. Each poll is an ordinary call, with
its own retries; one that fails for a reason that may pass (no connection, a
timeout, a 5xx, a 429) does not end the wait while time remains.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Protocol

from ._config import MAX_SECONDS
from ._validate import text
from .errors import (
    APIConnectionError,
    FluidstackError,
    InternalServerError,
    InvalidParameterError,
    RateLimitError,
)

FIRST_PAUSE = 1.0
"""Seconds between the first and the second poll (before jitter)."""
GROWTH = 1.5
MAX_PAUSE = 15.0
"""The longest pause between two polls, in seconds."""
DEFAULT_WAIT_TIMEOUT = 900.0
"""How long a waiter waits by default, in seconds (15 minutes)."""
DEFAULT_FAIL_ON = ("error", "out-of-stock")
"""The instance states that end `instances.wait()` as a failure by default."""

MIN_POLL_DEADLINE = 1.0
"""On a client without a deadline (`timeout=None`), a poll still gets one: what is left
of the wait, and at least this many seconds, so that the wait ends."""

_JITTER = random.Random()  # noqa: S311 - jitter, not cryptography


def pause(polls_done: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after poll number `polls_done` (from 1), before the next one."""
    base = FIRST_PAUSE * GROWTH ** min(polls_done - 1, 16)
    return min(MAX_PAUSE, min(base, MAX_PAUSE) * (rng or _JITTER).uniform(0.8, 1.2))


def next_pause(
    polls_done: int, remaining: float, retry_after: float | None, rng: random.Random | None = None
) -> float:
    """The pause before the next poll: the schedule's, at least `retry_after`, at most
    what is left of the wait (`remaining`, >= 0)."""
    wanted = max(pause(polls_done, rng), retry_after or 0.0)
    return max(0.0, min(wanted, remaining))


def poll_deadline(remaining: float) -> float:
    """The deadline of one poll on a client that has none: the rest of the wait."""
    return max(remaining, MIN_POLL_DEADLINE)


def states(value: object, name: str) -> frozenset[str]:
    """`until=` / `fail_on=`: a state or a collection of them (text each)."""
    if isinstance(value, str):
        return frozenset({text(value, name)})
    if not isinstance(value, Iterable):
        raise InvalidParameterError(
            f"{name} must be a state or a collection of states, got {type(value).__name__}"
        )
    return frozenset(text(state, name) for state in value)


def check_wait(until: frozenset[str], fail_on: frozenset[str], timeout: object) -> float:
    """The checks of a waiter's arguments; returns the timeout in seconds."""
    if not until:
        raise InvalidParameterError("until= names no state to wait for")
    both = until & fail_on
    if both:
        raise InvalidParameterError(
            f"{', '.join(sorted(both))} is both waited for (until=) and a failure (fail_on=)"
        )
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= MAX_SECONDS  # (NaN and the infinities fail this too)
    ):
        raise InvalidParameterError(
            f"timeout must be seconds (a number from 0 to {MAX_SECONDS:g}), got {timeout!r:.40}"
        )
    return float(timeout)


def survivable(error: FluidstackError) -> bool:
    """A poll's failure that may pass: the wait goes on while time remains."""
    return isinstance(error, APIConnectionError | InternalServerError | RateLimitError)


def retry_after_of(error: FluidstackError) -> float | None:
    """The `Retry-After` a failed poll's response asked for, if any."""
    from ._retry import parse_retry_after

    response = getattr(error, "response", None)
    if response is None:
        return None
    return parse_retry_after(response.headers.get("Retry-After"))


def describe(state: object) -> str:
    return "(none yet)" if state is None else str(state)


class Clock(Protocol):
    """A clock a client's waiters can be given instead of the monotonic one (the
    fake's: a pause moves it on, nothing sleeps)."""

    def now(self) -> float:
        """Seconds, on this clock."""

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
