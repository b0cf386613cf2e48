"""Checks on caller arguments, run before anything is sent."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from ._generated.management.types import UNSET, Unset
from ._redact import clean
from .errors import InvalidParameterError

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _shown(value: object) -> str:
    return clean(repr(value), limit=100)


def text(value: object, name: str) -> str:
    """A non-empty string that can be sent (UTF-8: no lone surrogates)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"{name} must be a non-empty string, got {_shown(value)}")
    return string(value, name)


def string(value: object, name: str) -> str:
    """A string that can be sent (UTF-8: no lone surrogates); empty or not is the
    server's to judge (the regional API answers 400 with its own message)."""
    if not isinstance(value, str):
        raise InvalidParameterError(f"{name} must be a string, got {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidParameterError(
            f"{name} cannot be sent: it is not valid Unicode text (a lone surrogate at "
            f"position {exc.start})"
        ) from None
    return value


def is_path_segment(value: str) -> bool:
    """Whether `value` can be one URL path segment without changing the path's meaning.

    The generated code percent-encodes '/', '?' and '#', but not '.' or '..', and
    httpx collapses dot segments: `keys.deregister("..")` would become DELETE /user.
    """
    return value not in ("", ".", "..") and _CONTROL.search(value) is None


def path_segment(value: object, name: str) -> str:
    """An id or name that goes into a URL path and cannot escape it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    value = text(value, name)
    if not is_path_segment(value):
        raise InvalidParameterError(f"{name} {_shown(value)} is not a valid path segment")
    return value


def as_uuid(value: object, name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidParameterError(
        f"{name} must be a UUID (uuid.UUID or its string), got {_shown(value)}"
    )


def known_member(enum: type[E], value: object, name: str) -> E:
    """A value the spec lists (the generated enums tolerate unknown values on input
    from the server; on output to it we want the spec's list enforced)."""
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    allowed = ", ".join(repr(m.value) for m in enum)
    raise InvalidParameterError(f"{name} must be one of {allowed}, got {_shown(value)}")


def flag(value: object, name: str) -> bool:
    """True or False (not 0, 1 or "yes")."""
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be True or False, got {_shown(value)}")
    return value


def uuids(values: object, name: str) -> list[uuid.UUID]:
    """A collection of UUIDs (a single string is not one)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidParameterError(f"{name} must be a list of UUIDs, got {_shown(values)}")
    return [as_uuid(value, f"{name}[{i}]") for i, value in enumerate(values)]


def tags(value: object, name: str = "tags") -> dict[str, str]:
    """A mapping of text to text."""
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            f"{name} must be a mapping of text to text, got {_shown(value)}"
        )
    return {string(k, "a tag's key"): string(v, f"tag {_shown(k)}") for k, v in value.items()}


def data(value: object, name: str) -> bytes:
    """Bytes as they are, text as UTF-8 (cloud-init user data)."""
    if isinstance(value, str):
        return string(value, name).encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InvalidParameterError(f"{name} must be bytes or str, got {type(value).__name__}")


def optional(value: object, check: Callable[[object, str], T], name: str) -> T | Unset:
    """An optional argument: UNSET (left out of the request) when None, else checked."""
    return UNSET if value is None else check(value, name)


# Headers the client writes itself: the token, the body's framing, type and coding,
# the project, what it can decode within its size cap, where the request goes and how
# its connection is kept.
OWNED_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "x-project-id",
        "host",
        "accept-encoding",
    }
)
# Headers that are about the connection or a proxy rather than the request (hop by hop,
# RFC 9110 7.6.1), or that ask a server to act as another method would: a copy's
# headers go on every request, a waiter's GET included, so none of these is taken.
REFUSED_HEADERS = frozenset(
    {
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "proxy-authorization",
        "proxy-authenticate",
        "proxy-connection",
        "x-http-method",
        "x-http-method-override",
        "x-method-override",
    }
)
# RFC 9110 5.1 and 5.5: a name is a token; a value is visible text, spaces and tabs
# within (no CR, LF or NUL: a header that would split or end the request).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# ASCII only: httpx sends a str header value as ASCII (obs-text is obsolete anyway).
_FIELD_VALUE = re.compile(r"[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*|")


def extra_header_fields(headers: object) -> dict[str, str]:
    """Headers for every request of a client copy (`with_options(extra_headers=...)`):
    a mapping of valid names to valid values, none of them one the client owns."""
    if not isinstance(headers, Mapping):
        raise InvalidParameterError(
            f"extra_headers must be a mapping of header names to values, got {_shown(headers)}"
        )
    fields: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or _TOKEN.fullmatch(name) is None:
            raise InvalidParameterError(f"extra_headers: {_shown(name)} is not a header name")
        # (Servers behind CGI-style gateways read X_Project_Id as X-Project-Id.)
        folded = name.lower().replace("_", "-")
        if folded in OWNED_HEADERS:
            raise InvalidParameterError(
                f"extra_headers: {name} is set by the client itself and cannot be added"
            )
        if folded in REFUSED_HEADERS or folded.startswith("proxy-"):
            raise InvalidParameterError(
                f"extra_headers: {name} is about the connection, a proxy or the method, not "
                "the request, and cannot be added"
            )
        if not isinstance(value, str) or _FIELD_VALUE.fullmatch(value) is None:
            # (the value is not shown: a header often carries a credential)
            raise InvalidParameterError(
                f"extra_headers: the value of {name} is not valid header text (ASCII "
                "without line breaks or control characters, and no leading or trailing "
                "space)"
            )
        fields[name] = value
    return fields


def merged_headers(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """`new` over `old`, header names compared without case: one value per header."""
    replaced = {name.lower() for name in new}
    kept = {name: value for name, value in old.items() if name.lower() not in replaced}
    latest = {name.lower(): (name, value) for name, value in new.items()}  # last wins
    return {**kept, **dict(latest.values())}


def check_count(value: object, name: str) -> int:
    """A positive int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterError(f"{name} must be an int >= 1, got {_shown(value)}")
    return value


def names_of(values: object, name: str) -> list[str]:
    """A collection of names (a single string is not one)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidParameterError(f"{name} must be a collection of names, got {_shown(values)}")
    return [text(value, name) for value in values]


def callback(value: object, name: str, *, coroutines: bool) -> None:
    """A function of the user's that the client calls (`on_change=`, `each_region`'s
    `fn`): callable, and a coroutine function only for the async client, which awaits
    it (the sync client cannot, and must not drop its work silently)."""
    if not callable(value):
        raise InvalidParameterError(f"{name} must be callable, got {type(value).__name__}")
    call = getattr(type(value), "__call__", None)  # noqa: B004 - its __call__, too
    asynchronous = inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(call)
    if not coroutines and asynchronous:
        raise InvalidParameterError(
            f"{name} is a coroutine function: the sync client cannot await it (use "
            "the async client, or a plain function)"
        )
