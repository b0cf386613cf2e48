"""The spec's operations as the send path sees them.

Every request, from a resource method or from `generated_client()`, is matched
here to the operation it belongs to: its path parameters are checked (so `..`
cannot climb out of `/user/keys/{name}`), and the 2xx status the spec documents
as its success is looked up (only that status is success). The table comes from
the generated tag packages (`templates/endpoint_init.py.jinja`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

from ._redact import clean
from ._validate import is_path_segment
from .errors import InvalidParameterError

# Longer than any id or name the API hands out; servers answer 414 long before
# httpx's 65,536-character URL limit, so say so before sending.
MAX_PARAMETER_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    template: str
    name: str
    success: frozenset[int]
    bodies: frozenset[int]  # the successes that carry a body; the others' is not read

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


# (method, number of path segments) -> [(segments, with None for a parameter), ...]
_Table = dict[tuple[str, int], list[tuple[tuple[str | None, ...], tuple[str, ...], Operation]]]


@cache
def _table() -> _Table:
    import importlib
    import pkgutil

    from ._generated import api

    table: _Table = {}
    for info in pkgutil.iter_modules(api.__path__):
        tag = importlib.import_module(f"{api.__name__}.{info.name}")
        for method, template, name, success, bodies in getattr(tag, "OPERATIONS", ()):
            parts = template.split("/")
            pattern = tuple(None if p.startswith("{") else p for p in parts)
            params = tuple(p.strip("{}") for p in parts if p.startswith("{"))
            operation = Operation(method, template, name, frozenset(success), frozenset(bodies))
            table.setdefault((method, len(parts)), []).append((pattern, params, operation))
    return table


def match(method: str, path: str) -> Operation:
    """The operation `method path` belongs to (path as the generated code built it,
    parameters percent-encoded), or InvalidParameterError."""
    segments = path.split("/")
    for pattern, params, operation in _table().get((method, len(segments)), ()):
        values = []
        for expected, actual in zip(pattern, segments, strict=True):
            if expected is None:
                values.append(actual)
            elif expected != actual:
                break
        else:
            for name, value in zip(params, values, strict=True):
                _check_parameter(name, value)
            return operation
    raise InvalidParameterError(
        f"{method} {clean(path, limit=200)} is not an operation of the Management API"
    )


def _check_parameter(name: str, raw: str) -> None:
    if len(raw) > MAX_PARAMETER_CHARS:
        raise InvalidParameterError(
            f"{name} is {len(raw)} characters once URL-encoded; at most "
            f"{MAX_PARAMETER_CHARS} are accepted"
        )
    value = unquote(raw)
    if not is_path_segment(value):
        raise InvalidParameterError(
            f"{name} {clean(repr(value), limit=100)} is not a valid path segment"
        )
