"""Contains some shared types for properties"""

import base64
import gc
import json
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from enum import Enum
from http import HTTPStatus
from typing import IO, Any, BinaryIO, Generic, Literal, TypeVar
from uuid import UUID, SafeUUID

from attrs import define


class Unset(Enum):
    """The type of `UNSET`: the value of an optional field the server did not send.

    Distinct from `None`, which is a value the server sent (`"ip": null`). Test with
    `value is UNSET` (type checkers narrow on it) or `isinstance(value, Unset)`;
    `UNSET` is also falsy. It prints as `UNSET`."""

    UNSET = "UNSET"

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    __str__ = __repr__


UNSET: Unset = Unset.UNSET
"""The one `Unset` value: an optional field the server left out."""

_new_object = object.__new__
# UUID's two slots (it has had __slots__ since Python 3.8), set as UUID.__init__ does.
_set_int = UUID.__dict__["int"].__set__
_set_is_safe = UUID.__dict__["is_safe"].__set__
# Read once: an enum member is a slow attribute on Python 3.11 (~200 ns a lookup).
_SAFE_UNKNOWN = SafeUUID.unknown


def parse_uuid(value: object, name: str = "a UUID field") -> UUID:
    """`UUID(value)` for the canonical 36-character form, in half the time.

    The same digits the same way (`int(hex, 16)` of the 32 characters left once the
    dashes are gone, as `UUID()` does); any other form goes to `UUID()` itself. What is
    not a UUID raises ValueError naming the field `name`."""
    try:
        if type(value) is str and len(value) == 36:
            digits = value.replace("-", "")
            if len(digits) == 32:
                uuid = _new_object(UUID)
                _set_int(uuid, int(digits, 16))
                _set_is_safe(uuid, _SAFE_UNKNOWN)
                return uuid
        return UUID(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"{name} must be a UUID, got {_shown(value)}") from None


E = TypeVar("E", bound=Enum)


def parse_enum(enum: "type[E]", value: object, name: str) -> E:
    """A value of an enum field that is not a known member: a pseudo-member for new
    text (the enum's `_missing_`), a TypeError naming the field for anything else."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, got {type(value).__name__}")
    return enum(value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


_STATUSES = {int(status): status for status in HTTPStatus}


def http_status(code: int) -> HTTPStatus:
    """`HTTPStatus(code)`, or the bare number for a code Python does not name (a 209
    is still a 2xx): a Response is never refused for the number it came with."""
    return _STATUSES.get(code, code)  # type: ignore[return-value]


def _first_decoder() -> "Callable[[bytes], Any]":
    """msgspec's decoder, checked by `json.loads`, if msgspec is installed (the `speed`
    extra); else `json.loads`. Imported on the first body, not with the package."""
    try:
        from msgspec.json import Decoder
    except ImportError:
        return json.loads
    fast = Decoder().decode

    def decode(content: bytes) -> Any:
        # msgspec refuses what json.loads takes differently or not at all (NaN,
        # 1e400, a lone surrogate, a UTF-16 or BOM-prefixed body, bad JSON): such a
        # body goes to json.loads, which decides. What msgspec accepts, it decodes to
        # the same values (integers of any size included). Whatever it raises (a
        # DecodeError; msgspec 0.18 lets a UnicodeDecodeError out for a surrogate in
        # UTF-8): json.loads decides.
        try:
            return fast(content)
        except Exception:
            return json.loads(content)

    return decode


_decode: "Callable[[bytes], Any] | None" = None


def loads(content: bytes) -> Any:
    """A response body's JSON as Python values: `json.loads(content)`, the same values
    faster with msgspec installed (`pip install fluidstack-client[speed]`). Raises what
    `json.loads` raises (ValueError) for what is not JSON."""
    global _decode
    if _decode is None:
        _decode = _first_decoder()
    return _decode(content)


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


# Below this size a list response is parsed with the collector running: the pause buys
# nothing a user can see there (on Python 3.12 and 3.13 nothing measurable at 1,000
# instances, `make bench`), and a library should not switch off a process-wide
# collector without cause. About 2,700 instances of 380 bytes.
GC_PAUSE_MIN_BYTES = 1024 * 1024


@contextmanager
def gc_paused(size: int) -> Iterator[None]:
    """Pause the cyclic garbage collector while a large list response (`size` bytes, at
    least GC_PAUSE_MIN_BYTES) is decoded and built.

    The objects built (dicts, lists, models) form no cycles, so the collector has
    nothing to find in them, yet each pass over a growing heap of them costs more:
    with it running, 100,000 instances took 1.3 to 1.6 times as long to parse. Nested
    and concurrent pauses (threads) share one: the collector is enabled again, if it
    was enabled, when the last one ends."""
    if size < GC_PAUSE_MIN_BYTES:
        yield
        return
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def encode_base64(value: "bytes | None | Unset") -> "str | None | Unset":
    """A `format: byte` field for the wire: its bytes as standard base64 text."""
    if value is None or isinstance(value, Unset):
        return value
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(value).__name__}")
    return base64.b64encode(value).decode("ascii")


def decode_base64(data: object, name: str) -> "bytes | None | Unset":
    """A `format: byte` field as the server sent it (base64 text), as bytes. Text
    that is not base64 raises ValueError (binascii.Error)."""
    if data is None or isinstance(data, Unset):
        return data
    if not isinstance(data, str):
        raise TypeError(f"{name} must be base64 text, got {type(data).__name__}")
    try:
        return base64.b64decode(data.encode("ascii", "strict"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:  # binascii.Error is a ValueError
        raise ValueError(f"{name} must be base64 text: {exc}") from None


# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A response from an endpoint"""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None


__all__ = [
    "GC_PAUSE_MIN_BYTES",
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "Response",
    "Unset",
    "decode_base64",
    "encode_base64",
    "gc_paused",
    "http_status",
    "loads",
    "parse_enum",
    "parse_uuid",
]
