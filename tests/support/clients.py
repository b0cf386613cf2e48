"""What every client test shares: the token, a fast retry policy, a memory probe."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

from fluidstack_client import RetryPolicy

TOKEN = "sk-test-0123456789abcdef"
# Retries in hundredths of a second: a test of three attempts takes no time.
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)


@contextmanager
def traced() -> Iterator[list[int]]:
    """Yields a list that holds, afterwards, the peak of Python memory allocated inside."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
