"""The specs' operations as the send path sees them.

Every request, from a resource method or from `generated_client()`, is matched
here to the operation it belongs to in its client's API (the Management API or a
region's): its path parameters are checked (so `..` cannot climb out of
`/user/keys/{name}`), and the 2xx status the spec documents as its success is
looked up (only that status is success). The tables come from the generated tag
packages of each API (`templates/endpoint_init.py.jinja`).

Where the spec marks a success `x-inferred` (the regional spec was rebuilt from a
client that cannot see bodiless successes: a delete's 204, a start's 202), the
documented code is a guess. Such an operation takes any 2xx as its success: a
write that was done is never reported as failed for the code it came back with.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple
from urllib.parse import unquote

from ._redact import clean
from ._validate import is_path_segment
from .errors import InvalidParameterError

# Longer than any id or name the API hands out; servers answer 414 long before
# httpx's 65,536-character URL limit, so say so before sending.
MAX_PARAMETER_CHARS = 1024


# The APIs by the name of their generated package, as messages name them.
TITLES = {"management": "the Management API", "region": "the regional API"}


class Operation(NamedTuple):
    # (A NamedTuple, not a dataclass: the class is made at import, and a slotted
    # dataclass costs ~1 ms of `import fluidstack_client` to make.)
    method: str
    template: str
    name: str
    success: frozenset[int]
    bodies: frozenset[int]  # the successes that carry a body; the others' is not read
    inferred: frozenset[int]  # successes the spec only infers: any 2xx is success then

    @property
    def is_read(self) -> bool:
        return self.method == "GET"

    def is_success(self, status: int) -> bool:
        """`status` is this operation's success: the documented one, or any 2xx where
        the documented one is inferred."""
        return status in self.success or (bool(self.inferred) and 200 <= status < 300)


# (method, number of path segments) -> [(the literal segments, the parameters), ...],
# each as (position, text or name)
_Segments = tuple[tuple[int, str], ...]
_Table = dict[tuple[str, int], list[tuple[_Segments, _Segments, Operation]]]


class _Index(NamedTuple):
    literal: dict[tuple[str, str], Operation]  # (method, path): paths without parameters
    templated: _Table  # the others, with the positions of their parameters


@cache
def _index(api: str) -> _Index:
    import importlib
    import pkgutil

    package = importlib.import_module(f"{__package__}._generated.{api}.api")
    index = _Index({}, {})
    for info in pkgutil.iter_modules(package.__path__):
        tag = importlib.import_module(f"{package.__name__}.{info.name}")
        for method, template, name, *codes in getattr(tag, "OPERATIONS", ()):
            success, bodies, inferred = (frozenset(c) for c in codes)
            operation = Operation(method, template, name, success, bodies, inferred)
            parts = template.split("/")
            at = tuple(i for i, p in enumerate(parts) if p.startswith("{"))
            if not at:
                index.literal[method, template] = operation
                continue
            fixed = tuple((i, p) for i, p in enumerate(parts) if i not in at)
            names = tuple((i, parts[i].strip("{}")) for i in at)
            index.templated.setdefault((method, len(parts)), []).append((fixed, names, operation))
    return index


def match(api: str, method: str, path: str) -> Operation:
    """The operation of `api` (a generated package's name: "management", "region")
    that `method path` belongs to (path as the generated code built it, parameters
    percent-encoded), or InvalidParameterError. A path without parameters is one
    lookup; one with parameters is compared with the templates of its length."""
    index = _index(api)
    found = index.literal.get((method, path))
    if found is not None:
        return found
    segments = path.split("/")
    for fixed, names, operation in index.templated.get((method, len(segments)), ()):
        for i, text in fixed:
            if segments[i] != text:
                break
        else:
            for i, name in names:
                _check_parameter(name, segments[i])
            return operation
    raise InvalidParameterError(
        f"{method} {clean(path, limit=200)} is not an operation of {TITLES[api]}"
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
