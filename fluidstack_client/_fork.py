"""What a child process must not share with its parent after `os.fork()`.

A client used before a fork (gunicorn `--preload`, Celery's prefork pool,
`multiprocessing` with the fork start method) would hand its children the parent's
kept-alive sockets: two processes reading one connection read each other's answers.
At the fork, in the child only, every live client's shared state drops what it
inherited (locks, token caches, event-loop bindings) and marks its pool as the
parent's: a pool it made is made anew on first use in the child; a pool the user
passed cannot be remade, and is refused in the child instead (`_AsyncShared.pool`).
The parent is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable
from typing import Protocol


class _Forkable(Protocol):
    def _after_fork(self) -> None: ...


_objects: weakref.WeakSet[_Forkable] = weakref.WeakSet()
_hooks: list[Callable[[], None]] = []


def track(obj: _Forkable) -> None:
    """Call `obj._after_fork()` in the child of every fork while `obj` lives."""
    _objects.add(obj)


def on_fork(hook: Callable[[], None]) -> None:
    """Call `hook()` in the child of every fork (a module's own locks)."""
    _hooks.append(hook)


def _in_child() -> None:
    # Each hook and object on its own: one that fails (it should not; it only drops
    # and marks things) must not leave the others on the parent's state.
    for hook in _hooks:
        with contextlib.suppress(Exception):
            hook()
    for obj in list(_objects):
        with contextlib.suppress(Exception):
            obj._after_fork()


if hasattr(os, "register_at_fork"):  # (not on Windows, which has no fork)
    os.register_at_fork(after_in_child=_in_child)
