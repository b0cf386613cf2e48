"""The async primitives used by the async client (see _sync_backend.py for its twin)."""

from asyncio import Lock, Semaphore, sleep

__all__ = ["Lock", "Semaphore", "sleep"]
