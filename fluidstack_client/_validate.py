"""Checks on caller arguments, run before anything is sent."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import TypeVar

from ._redact import clean
from .errors import InvalidParameterError

E = TypeVar("E", bound=StrEnum)
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _shown(value: object) -> str:
    return clean(repr(value), limit=100)


def text(value: object, name: str) -> str:
    """A non-empty string that can be sent (UTF-8: no lone surrogates)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"{name} must be a non-empty string, got {_shown(value)}")
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
