"""What a child process must not share with its parent after `os.fork()`.

A client used before a fork (gunicorn `--preload`, Celery's prefork pool,
`multiprocessing` with the fork start method) would hand its children the parent's
kept-alive sockets: two processes reading one connection read each other's answers.
At the fork, in the child only, every live client's shared state drops what it
inherited (pools it made are made anew, locks, token caches, event-loop bindings);
a pool the user passed cannot be remade, and is refused in the child instead
(`_AsyncShared._after_fork`). The parent is left as it was.
"""

from __future__ import annotations

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
    for hook in _hooks:
        hook()
    for obj in list(_objects):
        obj._after_fork()


if hasattr(os, "register_at_fork"):  # (not on Windows, which has no fork)
    os.register_at_fork(after_in_child=_in_child)
