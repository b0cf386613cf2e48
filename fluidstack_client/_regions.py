"""Region discovery decisions: which URL a region maps to, and when the list is stale.

The I/O (fetching /regions once, sharing that fetch between concurrent callers)
lives in the clients; everything they decide is here, once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from ._config import secure_url
from .errors import RegionNotFoundError, RegionURLError

DEFAULT_REGION_CACHE_TTL = 300.0


def region_base_url(region_url: str, global_base_url: httpx.URL) -> httpx.URL:
    """The base URL of a region's API.

    A bare host (no path) gets the global API's versioned path appended, as
    Fluidstack's own tools do. Only https is accepted, except on loopback hosts.
    """
    url = secure_url(region_url, "region URL", RegionURLError)
    if url.path in ("", "/"):
        url = url.copy_with(path=global_base_url.path)
    return url.copy_with(query=None, fragment=None)


@dataclass
class RegionTable:
    """The last /regions answer and when it was fetched."""

    ttl: float = DEFAULT_REGION_CACHE_TTL
    urls: dict[str, str] = field(default_factory=dict)
    fetched_at: float | None = None

    def is_fresh(self, now: float | None = None) -> bool:
        if self.fetched_at is None:
            return False
        return ((time.monotonic() if now is None else now) - self.fetched_at) < self.ttl

    def store(self, regions: Iterable[tuple[str, str]], now: float | None = None) -> None:
        self.urls = dict(regions)
        self.fetched_at = time.monotonic() if now is None else now

    def url_of(self, name: str) -> str:
        try:
            return self.urls[name]
        except KeyError:
            raise RegionNotFoundError(name, sorted(self.urls)) from None
