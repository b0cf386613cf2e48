"""The blocking primitives used by the sync client (see _async_backend.py for its twin)."""

from threading import Lock, Semaphore
from time import sleep

__all__ = ["Lock", "Semaphore", "sleep"]
