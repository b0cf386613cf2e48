"""The async primitives used by the async client (see _sync_backend.py for its twin).

Each name here has a twin of the same name and meaning there; the client's source
uses only these, so that `scripts/unasync.py` can derive the sync client from it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import weakref
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

if TYPE_CHECKING:
    import asyncio
    from asyncio import Lock, Semaphore, sleep
else:
    # asyncio is imported when the first async client is made, not with the package
    # (11 ms: an async program has it already; a sync one never needs it).

    class _Asyncio:
        def __getattr__(self, name: str) -> Any:
            module = importlib.import_module("asyncio")
            globals()["asyncio"] = module  # from now on, the module itself
            return getattr(module, name)

    asyncio = _Asyncio()

    def Lock() -> asyncio.Lock:  # asyncio.Lock(), made on first use
        return asyncio.Lock()

    def Semaphore(value: int = 1) -> asyncio.Semaphore:  # asyncio.Semaphore(), the same
        return asyncio.Semaphore(value)

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds)


from ._error_mapping import fresh
from .errors import APITimeoutError, FluidstackError

__all__ = [
    "Lock",
    "Semaphore",
    "SingleFlight",
    "check_deadline",
    "check_loop",
    "deadline",
    "error_body_deadline",
    "install_deadline",
    "sleep",
    "slot",
]

T = TypeVar("T")


# Whether this task's attempt is still waiting for the gate (`slot`): a deadline that
# passes then means nothing was sent (httpx.PoolTimeout, as the sync client says).
_at_gate: ContextVar[bool] = ContextVar("fluidstack_client_at_gate", default=False)
# When this task's attempt must end (the loop's clock), for an error body's own.
_deadline_at: ContextVar[float | None] = ContextVar("fluidstack_client_deadline", default=None)
# An error body's read ends this long before the attempt's deadline, so that it ends
# in the reader (what arrived is kept) rather than as the attempt's ReadTimeout.
ERROR_BODY_MARGIN = 0.05


class deadline:  # lower case: used like a function, `async with deadline(5):`
    """Bound everything inside (waiting for a connection, sending, headers, the whole
    body) to `seconds`; past it, raise httpx.ReadTimeout (httpx.PoolTimeout while the
    request still waited for the gate: nothing was sent)."""

    __slots__ = ("_at", "_seconds", "_timeout")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._timeout: asyncio.Timeout | None = None
        self._at: Any = None

    async def __aenter__(self) -> None:
        if self._seconds is not None:
            self._timeout = asyncio.timeout(self._seconds)
            await self._timeout.__aenter__()
            self._at = _deadline_at.set(self._timeout.when())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timeout is None:
            return
        _deadline_at.reset(self._at)
        try:
            await self._timeout.__aexit__(exc_type, exc, tb)
        except TimeoutError as expired:
            if _at_gate.get():
                _at_gate.set(False)
                raise httpx.PoolTimeout(
                    "no free connection before the attempt's deadline"
                ) from expired
            raise httpx.ReadTimeout(
                f"no complete response within {self._seconds:g}s (the attempt's deadline)"
            ) from expired


def check_deadline() -> None:
    """Raise if the current deadline has passed (the async deadline cancels by itself)."""


def error_body_deadline(active: bool) -> contextlib.AbstractAsyncContextManager[object]:
    """Around the read of an error's body (`active`): a deadline a moment before the
    attempt's, raising TimeoutError there, so that the reader keeps what arrived (the
    status came: the outcome is known) instead of the attempt ending in a timeout."""
    at = _deadline_at.get() if active else None
    if at is None:
        return contextlib.nullcontext()
    return asyncio.timeout_at(at - ERROR_BODY_MARGIN)


class slot:  # lower case: used like a function, `async with slot(gate):`
    """Hold `gate` while a request uses a connection; the deadline bounds the wait."""

    __slots__ = ("_gate",)

    def __init__(self, gate: Semaphore) -> None:
        self._gate = gate

    async def __aenter__(self) -> None:
        _at_gate.set(True)  # (left set if the deadline cancels the wait: see deadline)
        await self._gate.acquire()
        _at_gate.set(False)

    async def __aexit__(self, *exc: object) -> None:
        self._gate.release()


def check_loop(owner: Any) -> None:
    """An AsyncFluidstack's connections belong to the event loop that first used it."""
    loop = asyncio.get_running_loop()
    bound = owner.loop
    if bound is loop:
        return
    if bound is None:
        owner.loop = loop
        return
    if bound.is_closed():
        raise FluidstackError(
            "this AsyncFluidstack was first used in an event loop that has since closed "
            "(an earlier asyncio.run() ended), and its connections belonged to that loop. "
            "Create the client inside the coroutine you pass to asyncio.run(), or one "
            "client per event loop."
        )
    raise FluidstackError(
        "this AsyncFluidstack belongs to another event loop (the one that first used "
        "it); create one client per event loop"
    )


class SingleFlight(Generic[T]):
    """At most one call of `fn` in flight per event loop; everyone on that loop who
    asks meanwhile gets its outcome, result or error. The next `run` after it
    finished calls `fn` again. (A token provider shared by clients on two loops
    runs one flight on each: a task cannot be awaited from another loop.)"""

    def __init__(self) -> None:
        self._tasks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[T]] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, fn: Callable[[], Awaitable[T]], *, wait: float | None = None) -> T:
        """`fn`'s outcome; a caller that joins a flight already running waits at most
        `wait` seconds for it (then APITimeoutError)."""
        loop = asyncio.get_running_loop()
        task = self._tasks.get(loop)
        joined = task is not None
        if task is None:
            task = self._tasks[loop] = loop.create_task(fn())  # type: ignore[arg-type]
            task.add_done_callback(functools.partial(self._finished, loop))
        # shield: one waiter cancelled does not cancel the fetch the others wait for.
        try:
            if not joined or wait is None:
                return await asyncio.shield(task)
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError:
            if not task.done():
                raise APITimeoutError(
                    f"waited {wait:g}s for a fetch another call started"
                ) from None
            raise
        except Exception as error:
            if not joined:
                raise
            copy = fresh(error)
        # Raised outside the except clause, so the copy has no context: nothing ties
        # one waiter's exception to another's.
        raise copy

    def _finished(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[T]) -> None:
        if self._tasks.get(loop) is task:
            del self._tasks[loop]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have gone


def install_deadline(http: httpx.AsyncClient) -> None:
    """Nothing to install: the async deadline cancels the attempt by itself."""


ASYNC = True  # (False in _sync_backend): whether callbacks may be coroutine functions


def monotonic() -> float:
    """The loop's clock (the monotonic one), for waiters."""
    return asyncio.get_running_loop().time()


async def fan_out(jobs: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T | Exception]:
    """Run `jobs` concurrently, at most `limit` at a time: what each returned or raised
    (an Exception, in its place). Cancelling the caller cancels them all; so does a job
    raising what is no Exception (KeyboardInterrupt, ...), which then ends the call
    once the others are cancelled: none is left running."""
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[T]]) -> T | Exception:
        async with gate:
            try:
                return await job()
            except Exception as exc:
                return exc

    tasks = [asyncio.ensure_future(run(job)) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def call_back(fn: Callable[[T], Any], value: T, name: str) -> Any:
    """Call a user's function (`name`, for errors); what it returns, awaited if it is
    awaitable (a coroutine function's coroutine)."""
    result = fn(value)
    if inspect.isawaitable(result):
        return await result
    return result
