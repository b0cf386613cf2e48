"""What the secret-keeping tests (tests/auth/) share: a token to hunt for, and strict
ways to hunt for it. A "leak" is any 8-character piece of the 32-character token, so
a token cut in half by a length limit still counts as leaked.
"""

from __future__ import annotations

import pickle
import traceback

import httpx

# 32 characters, every one a header may carry; no 8-character piece of it occurs by chance.
SECRET = "sk-Q7wE9rT2yU4iO6pA8sD0fG3hJ5kL1"
assert len(SECRET) == 32


def leaks(data: str | bytes, secret: str = SECRET) -> list[str]:
    """The 8-character pieces of `secret` found in `data`."""
    pieces = [secret[i : i + 8] for i in range(len(secret) - 7)]
    if isinstance(data, bytes):
        return [p for p in pieces if p.encode() in data]
    return [p for p in pieces if p in data]


def pickles(exc: BaseException) -> list[bytes]:
    """`exc` pickled with every protocol there is."""
    return [pickle.dumps(exc, protocol=p) for p in range(pickle.HIGHEST_PROTOCOL + 1)]


def exposed(exc: BaseException, secret: str = SECRET) -> list[str]:
    """Where a piece of `secret` can be found on the exception (empty: nowhere): its
    text, repr, traceback, pickles, message and body, and the response kept on it."""
    found = []
    places: list[tuple[str, str | bytes]] = [
        ("str", str(exc)),
        ("repr", repr(exc)),
        ("traceback", "".join(traceback.format_exception(exc))),
        *(("pickle", data) for data in pickles(exc)),
        *((attr, repr(getattr(exc, attr, ""))) for attr in ("message", "body")),
    ]
    response = getattr(exc, "response", None)
    if isinstance(response, httpx.Response):
        places += [
            ("response.content", response.content),
            ("response.reason_phrase", response.reason_phrase),
            ("response.headers", repr(response.headers.raw)),
        ]
    for place, data in places:
        if leaks(data, secret) and place not in found:
            found.append(place)
    return found
