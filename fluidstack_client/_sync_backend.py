"""The blocking primitives used by the sync client (see _async_backend.py for its twin).

Threads cannot be cancelled, so the sync deadline is enforced where a thread
blocks: every socket operation of a connection the client made has its timeout
clamped to the time left (a network backend wrapped around httpcore's), and the
body loop checks the clock between reads. With a user-supplied `http_client` only
the latter applies: the body may overrun by up to one read timeout, and the
headers are bounded by httpx's per-read timeout alone.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from threading import Lock
from time import monotonic as monotonic
from time import sleep as sleep
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpcore
import httpx

from ._error_mapping import fresh
from .errors import APITimeoutError

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
_local = threading.local()


def _remaining() -> float | None:
    at: float | None = getattr(_local, "at", None)
    return None if at is None else at - monotonic()


class deadline:  # lower case: used like a function, `with deadline(5):`
    """Bound everything inside to `seconds` (see the module docstring for how)."""

    __slots__ = ("_at", "_saved")

    def __init__(self, seconds: float | None) -> None:
        self._at = None if seconds is None else monotonic() + seconds
        self._saved: float | None = None

    def __enter__(self) -> None:
        self._saved = getattr(_local, "at", None)
        _local.at = self._at

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _local.at = self._saved


def check_deadline() -> None:
    """Raise httpx.ReadTimeout if the current deadline has passed."""
    left = _remaining()
    if left is not None and left <= 0:
        raise httpx.ReadTimeout("no complete response within the attempt's deadline")


def error_body_deadline(active: bool) -> contextlib.AbstractContextManager[object]:
    """Nothing to add: a stalled error body already ends in the reader, as the socket's
    own timeouts (set from the deadline) raise httpx.ReadTimeout there."""
    return contextlib.nullcontext()


class Semaphore:
    """A counting semaphore that admits waiting threads first come, first served.

    `threading.Semaphore` is not fair: a thread that releases and acquires again can
    overtake the threads already waiting, and under load (16 threads, 4 connections)
    some threads got 1 call in 20 s and failed with PoolTimeout while others got
    hundreds. Here a release hands its slot to the longest waiter directly. (asyncio's
    Semaphore, the async twin, is already first come, first served.)
    """

    __slots__ = ("_lock", "_value", "_waiters")

    def __init__(self, value: int) -> None:
        self._lock = Lock()
        self._value = value
        self._waiters: deque[Lock] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting at most `timeout` seconds (None: as long as it takes).
        True if one was taken."""
        with self._lock:
            if self._value > 0 and not self._waiters:
                self._value -= 1
                return True
            waiter = Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if waiter.acquire(timeout=-1 if timeout is None else timeout):
            return True  # handed a slot by release()
        with self._lock:
            try:
                self._waiters.remove(waiter)
            except ValueError:
                return True  # handed one as the wait ran out: it is this thread's
            return False

    def release(self) -> None:
        """Give the slot back: to the longest waiting thread, if any."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._value += 1


class slot:  # lower case: used like a function, `with slot(gate):`
    """Hold `gate` while a request uses a connection; wait for it until the deadline."""

    __slots__ = ("_gate",)

    def __init__(self, gate: Semaphore) -> None:
        self._gate = gate

    def __enter__(self) -> None:
        left = _remaining()
        if not self._gate.acquire(timeout=None if left is None else max(left, 0.0)):
            raise httpx.PoolTimeout("no free connection before the attempt's deadline")

    def __exit__(self, *exc: object) -> None:
        self._gate.release()


def check_loop(owner: Any) -> None:
    """Only the async client is tied to an event loop."""


class _Flight(Generic[T]):
    __slots__ = ("abandoned", "done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.abandoned = False  # the leader was interrupted (Ctrl-C): not an outcome


class SingleFlight(Generic[T]):
    """At most one call of `fn` in flight; every thread that asks meanwhile gets its
    outcome, result or error. The next `run` after it finished calls `fn` again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flight: _Flight[T] | None = None

    def run(self, fn: Callable[[], T], *, wait: float | None = None) -> T:
        """`fn`'s outcome; a caller that joins a flight already running waits at most
        `wait` seconds for it (then APITimeoutError). A leader interrupted by Ctrl-C
        (any BaseException) passes nothing on: its waiters run `fn` again."""
        while True:
            with self._lock:
                flight = self._flight
                leader = flight is None
                if flight is None:
                    flight = self._flight = _Flight()
            if leader:
                try:
                    flight.result = fn()
                except Exception as exc:
                    flight.error = exc
                except BaseException:
                    flight.abandoned = True
                    raise
                finally:
                    with self._lock:
                        self._flight = None
                    flight.done.set()
            elif not flight.done.wait(wait):
                raise APITimeoutError(f"waited {wait:g}s for a fetch another call started")
            if flight.abandoned:
                continue
            if flight.error is not None:
                raise flight.error if leader else fresh(flight.error)
            return flight.result  # type: ignore[return-value]


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    left = _remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def install_deadline(http: httpx.Client) -> None:
    """Bind the sockets of a client we created to the deadline: wrap the network
    backend of every connection pool it holds (its own, and those of proxies taken
    from the environment).

    httpx has no public way to hand httpcore a network backend, so this reaches into
    its transports (tests/client/test_deadlines.py fails if that ever stops working).
    """
    for transport in [http._transport, *http._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(pool, httpcore.ConnectionPool) and isinstance(
            backend, httpcore.NetworkBackend
        ):
            pool._network_backend = _DeadlineBackend(backend)


ASYNC = False  # (True in _async_backend): whether callbacks may be coroutine functions


def fan_out(jobs: Sequence[Callable[[], T]], limit: int) -> list[T | Exception]:
    """Run `jobs` concurrently on threads, at most `limit` at a time: what each
    returned or raised (an Exception, in its place)."""
    from concurrent.futures import ThreadPoolExecutor

    def run(job: Callable[[], T]) -> T | Exception:
        try:
            return job()
        except Exception as exc:
            return exc

    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(limit, len(jobs))) as pool:
        return list(pool.map(run, jobs))


def call_back(fn: Callable[[T], Any], value: T, name: str) -> Any:
    """Call a user's function (`name`, for errors); what it returns. One that returns a
    coroutine (a coroutine function is refused before; a lambda around one cannot be
    told) is refused: the sync client cannot run it, and must not drop it silently."""
    import inspect

    result = fn(value)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()  # (no "never awaited" warning)
        from .errors import InvalidParameterError

        raise InvalidParameterError(
            f"{name} returned a coroutine: the sync client cannot await it (use "
            "the async client, or a plain function)"
        )
    return result
