"""Checks on caller arguments, run before anything is sent."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TypeVar

from .errors import InvalidParameterError

E = TypeVar("E", bound=StrEnum)


def text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"{name} must be a non-empty string, got {value!r}")
    return value


def path_segment(value: object, name: str) -> str:
    """An id or name that goes into a URL path and cannot escape it.

    The generated code percent-encodes '/', '?' and '#', but not '.' or '..', and
    httpx collapses dot segments: `keys.deregister("..")` would become DELETE /user.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    value = text(value, name)
    if value in (".", "..") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise InvalidParameterError(f"{name} {value!r} is not a valid path segment")
    return value


def as_uuid(value: object, name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidParameterError(f"{name} must be a UUID (uuid.UUID or its string), got {value!r}")


def known_member(enum: type[E], value: object, name: str) -> E:
    """A value the spec lists (the generated enums tolerate unknown values on input
    from the server; on output to it we want the spec's list enforced)."""
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    allowed = ", ".join(repr(m.value) for m in enum)
    raise InvalidParameterError(f"{name} must be one of {allowed}, got {value!r}")
