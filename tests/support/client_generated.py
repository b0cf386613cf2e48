"""The httpx side of `generated_client()` for either client, typed for each.

A derived test cannot spell it itself: the generated `Client`'s accessors are
`get_async_httpx_client()` and `get_httpx_client()`, a pair scripts/unasync.py does not
rename, and calling the wrong one builds a fresh, unchecked httpx client."""

from __future__ import annotations

from typing import overload

import httpx

from fluidstack_client import AsyncFluidstack, Fluidstack


@overload
def httpx_side(fs: AsyncFluidstack) -> httpx.AsyncClient: ...
@overload
def httpx_side(fs: Fluidstack) -> httpx.Client: ...
def httpx_side(fs: Fluidstack | AsyncFluidstack) -> httpx.Client | httpx.AsyncClient:
    """What `fs.generated_client()` sends through, as the generated code reaches it:
    a hand-made request on it still goes through the client's checks."""
    client = fs.generated_client()
    if isinstance(fs, Fluidstack):
        return client.get_httpx_client()
    return client.get_async_httpx_client()
