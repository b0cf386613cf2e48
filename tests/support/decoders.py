"""The JSON decoders a response body can go through (the generated `types.loads`):
`json.loads`, and msgspec's checked by it (the `speed` extra), switched for a test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fluidstack_client._generated.management import types

DECODERS: dict[str, Callable[[bytes], Any]] = {
    "json": json.loads,
    "msgspec": types._first_decoder(),
}


@contextmanager
def decoding_with(name: str) -> Iterator[None]:
    """Every response body decoded by DECODERS[name] inside the block."""
    before = types._decode
    types._decode = DECODERS[name]
    try:
        yield
    finally:
        types._decode = before
