"""The spec's schemas as the fake knows them: what seed data may hold, and what fills
a required field the test left out.

The package ships without `spec/openapi.yaml`, so the schemas are written out here;
`tests/testing/test_seeding.py` checks them against the spec, so a field the spec gains
cannot be missed. Seeding is strict on purpose: a typo (`"preemptable"`, `"runing"`)
fails where it was written, not later inside the client. To simulate a newer API (a
field or an enum value this spec does not have), change the state after
construction: `fake.instances[0]["state"] = "hibernating"`.
"""

from __future__ import annotations

import base64
import datetime
import difflib
import ipaddress
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import _seed
from ._errors import FakeUsageError

STRING = "string"
BOOLEAN = "boolean"
STRING_MAP = "string map"  # an object whose values are strings (Instance.tags)

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
# Region names end up in URL paths (`/regional/<name>/...`): unreserved characters only.
_REGION_NAME = re.compile(r"[A-Za-z0-9._~-]+", re.ASCII)
_HINT = (
    "Hint: to seed a field or an enum value this spec does not have (as a newer API "
    "might send), change the state after construction, e.g. "
    "fake.instances[0]['state'] = 'hibernating'."
)


@dataclass(frozen=True)
class Field:
    """One property of a schema, as the spec declares it."""

    type: str  # STRING, BOOLEAN or STRING_MAP
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] = ()
    format: str | None = None  # "uuid" or "date-time" (for strings)

    def expected(self) -> str:
        """What a valid value is, in words."""
        if self.enum:
            text = "one of " + ", ".join(repr(v) for v in self.enum)
        elif self.format == "uuid":
            text = "a UUID string (or a uuid.UUID)"
        elif self.format == "date-time":
            text = "an RFC 3339 date-time string like '2026-11-27T10:11:12Z' (or an aware datetime)"
        elif self.type == BOOLEAN:
            text = "a boolean (True or False)"
        elif self.type == STRING_MAP:
            text = "a dict of strings to strings, like {'team': 'ml'}"
        else:
            text = "a string"
        return text + ", or None" if self.nullable else text

    def check(self, value: object) -> tuple[bool, Any]:
        """(True, the value as JSON) when it fits, else (False, None)."""
        if value is None:
            return self.nullable, None
        if self.type == BOOLEAN:
            return isinstance(value, bool), value
        if self.type == STRING_MAP:
            ok = isinstance(value, Mapping) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            )
            return ok, dict(value) if ok else None  # type: ignore[call-overload]
        if isinstance(value, uuid.UUID) and not self.enum:
            value = str(value)
        if self.format == "date-time" and isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                return False, None
            value = value.isoformat()
        if not isinstance(value, str):
            return False, None
        if self.enum:
            return value in self.enum, value
        if self.format == "uuid":
            return is_uuid(value), value
        if self.format == "date-time":
            return _is_datetime(value), value
        return True, value


@dataclass(frozen=True)
class Kind:
    """A seedable resource: the `FakeAPI` argument, its spec schema and its defaults."""

    argument: str  # "instances": the FakeAPI argument and attribute
    schema: str  # "Instance": the spec's schema name
    fields: Mapping[str, Field]
    # The values for the required fields, given what the test did give and the
    # item's 1-based position; only those left out are used.
    defaults: Callable[[Mapping[str, Any], int, str], dict[str, Any]]
    label: str = "name"  # the field that names an item in a message
    unique: str | None = None  # a field no two items may share
    article: str = "an"  # "an Instance", "an SSHKey", "a Cluster"


def _new_id() -> str:
    return str(uuid.uuid4())


def _slug(text: str, sep: str) -> str:
    return re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)


def _organization(given: Mapping[str, Any], n: int, region: str) -> dict[str, Any]:
    name = given.get("name") or f"org-{n}"
    return {"id": _new_id(), "name": name, "display_name": _slug(name, " ").title() or name}


def _member(given: Mapping[str, Any], n: int, region: str) -> dict[str, Any]:
    name = given.get("name") or f"Member {n}"
    return {
        "id": _new_id(),
        "name": name,
        "email": f"{_slug(name, '.') or f'member{n}'}@example.com",
        "role": "viewer",
    }


def _invitation(given: Mapping[str, Any], n: int, region: str) -> dict[str, Any]:
    return {"id": _new_id(), "email": f"invitee{n}@example.com", "role": "viewer"}


def _cluster(given: Mapping[str, Any], n: int, region: str) -> dict[str, Any]:
    return {"id": _new_id(), "name": f"cluster-{n}", "region": region, "type": "kubernetes"}


def _instance(given: Mapping[str, Any], n: int, region: str) -> dict[str, Any]:
    state = given.get("state", "running")
    return {
        "id": _new_id(),
        "name": f"instance-{n}",
        "type": "h100-80gb-sxm",
        "state": "running",
        # A running instance has its private address; any other state has none yet.
        "ip": str(ipaddress.IPv4Address("10.0.0.0") + n) if state == "running" else None,
        "image": "ubuntu-22.04-cuda-12",
        "preemptible": False,
        "ephemeral": False,
        "tags": {},
        "project_id": _seed.DEFAULT_PROJECT_ID,
        "region": region,
    }


def _key(given: Mapping[str, Any], n: int, region: str) -> dict[str, Any]:
    name = given.get("name") or f"key-{n}"
    # The wire format of a real ed25519 public key: its type, then 32 key bytes.
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + os.urandom(32)
    return {"name": name, "key": f"ssh-ed25519 {base64.b64encode(blob).decode()} {name}"}


_S = Field(STRING)
_REQUIRED = Field(STRING, required=True)
_CLUSTER_HEALTH = ("healthy", "stale", "offline")
_INSTANCE_STATES = (
    "creating",
    "starting",
    "running",
    "stopping",
    "stopped",
    "deleting",
    "out-of-stock",
    "error",
)
_INSTANCE_HEALTH = ("healthy", "stale", "attention", "offline")

KINDS: tuple[Kind, ...] = (
    Kind(
        "organizations",
        "Organization",
        {"id": _REQUIRED, "name": _REQUIRED, "display_name": _REQUIRED},
        _organization,
    ),
    Kind(
        "members",
        "OrganizationMember",
        {"id": _REQUIRED, "name": _REQUIRED, "email": _REQUIRED, "role": _REQUIRED},
        _member,
    ),
    Kind(
        "invitations",
        "Invitation",
        {"id": _REQUIRED, "email": _REQUIRED, "role": _REQUIRED},
        _invitation,
        label="email",
    ),
    Kind(
        "clusters",
        "Cluster",
        {
            "id": Field(STRING, required=True, format="uuid"),
            "name": _REQUIRED,
            "region": _REQUIRED,
            "type": Field(STRING, required=True, enum=("kubernetes", "slurm")),
            "project_id": _S,
            "health": Field(STRING, enum=_CLUSTER_HEALTH),
            "updated_at": Field(STRING, format="date-time"),
        },
        _cluster,
        article="a",
    ),
    Kind(
        "instances",
        "Instance",
        {
            "id": Field(STRING, required=True, format="uuid"),
            "name": _REQUIRED,
            "type": _REQUIRED,
            "state": Field(STRING, required=True, enum=_INSTANCE_STATES),
            "ip": Field(STRING, required=True, nullable=True),
            "image": _REQUIRED,
            "preemptible": Field(BOOLEAN, required=True),
            "ephemeral": Field(BOOLEAN, required=True),
            "tags": Field(STRING_MAP, required=True),
            "project_id": _REQUIRED,
            "region": _REQUIRED,
            "health": Field(STRING, enum=_INSTANCE_HEALTH),
            "updated_at": Field(STRING, format="date-time"),
        },
        _instance,
    ),
    Kind("keys", "SSHKey", {"name": _REQUIRED, "key": _REQUIRED}, _key, unique="name"),
)
KIND_BY_ARGUMENT = {kind.argument: kind for kind in KINDS}


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:  # a month 13, a 25th hour
        return False
    return True


def _shown(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []
        self.hint = False

    def add(self, text: str, *, hint: bool = False) -> None:
        self.found.append(text)
        self.hint = self.hint or hint


def _items(kind: Kind, given: object, region: str, problems: _Problems) -> list[dict[str, Any]]:
    expected = f"a list of {kind.schema} objects as dicts"
    if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
        problems.add(f"{kind.argument}: expected {expected}, got {_shown(given)}")
        return []
    items: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    for index, item in enumerate(given):
        where = f"{kind.argument}[{index}]"
        if not isinstance(item, Mapping):
            to_dict = " (a model's .to_dict())" if hasattr(item, "to_dict") else ""
            problems.add(
                f"{where}: expected {kind.article} {kind.schema} object as a dict{to_dict}, "
                f"got {_shown(item)}"
            )
            continue
        raw: Mapping[Any, Any] = item
        label = raw.get(kind.label)
        if isinstance(label, str):
            where += f" ({label!r})"
        checked: dict[str, Any] = {}
        ok = True
        for name, value in raw.items():
            spec = kind.fields.get(name) if isinstance(name, str) else None
            if spec is None:
                ok = False
                close = difflib.get_close_matches(str(name), list(kind.fields), n=1)
                suggestion = f"did you mean {close[0]!r}? " if close else ""
                problems.add(
                    f"{where}: unknown field {name!r} ({suggestion}{kind.article} "
                    f"{kind.schema} has {', '.join(kind.fields)})",
                    hint=True,
                )
                continue
            fits, as_json = spec.check(value)
            if not fits:
                ok = False
                close = difflib.get_close_matches(str(value), spec.enum, n=1)
                suggestion = f" (did you mean {close[0]!r}?)" if close else ""
                problems.add(
                    f"{where}: field {name!r} must be {spec.expected()}; "
                    f"got {_shown(value)}{suggestion}",
                    hint=bool(spec.enum),
                )
                continue
            checked[name] = as_json
        if not ok:
            continue
        defaults = kind.defaults(checked, index + 1, region)
        filled = {
            name: checked[name] if name in checked else defaults[name]
            for name, spec in kind.fields.items()
            if name in checked or spec.required
        }
        if kind.unique is not None:
            key = filled[kind.unique]
            if key in seen:
                problems.add(
                    f"{where}: {kind.unique} {key!r} is already used by "
                    f"{kind.argument}[{seen[key]}] (no two {kind.argument} share a {kind.unique})"
                )
                continue
            seen[key] = index
        items.append(filled)
    return items


def _region_names(given: object, problems: _Problems) -> list[str]:
    expected = "a list of region names (strings like 'us-east-1')"
    if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
        problems.add(f"regions: expected {expected}, got {_shown(given)}")
        return []
    names: list[str] = []
    for index, name in enumerate(given):
        if not isinstance(name, str) or not _REGION_NAME.fullmatch(name):
            problems.add(
                f"regions[{index}]: expected a region name of letters, digits, '.', '_', "
                f"'~' or '-' (like 'us-east-1'), got {_shown(name)}"
            )
        elif name in names:
            problems.add(f"regions[{index}]: {name!r} is listed twice")
        else:
            names.append(name)
    return names


def build_seed(
    regions: object, given: Mapping[str, object]
) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """The region names and every kind's items, checked against the spec and completed.

    `given` maps a kind's argument to what the test passed (None: the default data).
    Raises `FakeUsageError` listing every problem found.
    """
    problems = _Problems()
    names = _region_names(list(_seed.REGION_NAMES) if regions is None else regions, problems)
    region = names[0] if names else _seed.REGION_NAMES[0]
    seeded: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        data = given.get(kind.argument)
        seeded[kind.argument] = _items(
            kind, _seed.DEFAULTS[kind.argument]() if data is None else data, region, problems
        )
    if problems.found:
        count = len(problems.found)
        lines = "\n".join(f"  {p}" for p in problems.found)
        message = (
            f"FakeAPI seed data does not fit the spec "
            f"({count} problem{'s' if count > 1 else ''}):\n{lines}"
        )
        if problems.hint:
            message += f"\n{_HINT}"
        raise FakeUsageError(message, tuple(problems.found))
    return names, seeded
