"""Calls from many threads at once: how the sync client's concurrency is tested."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(n: int, call: Callable[[], object]) -> list[object]:
    """`call()` n times at once, each in a thread of its own (released together by a
    barrier): what each returned or raised, in order."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
