"""The specs' schemas as the fake knows them: what seed data and request bodies may
hold, and what fills a required field the test left out.

The package ships without the specs (`spec/openapi.yaml`, the Management API, and
`spec/atlas-region-v1alpha1.yaml`, the regional one), so the schemas are written out
here; `tests/testing/test_seeding.py` checks them against both specs, so a field a
spec gains cannot be missed. Seeding is strict on purpose: a typo (`"preemptable"`,
`"runing"`) fails where it was written, not later inside the client. To simulate a
newer API (a field or an enum value the spec does not have), change the state after
construction: `fake.instances[0]["state"] = "hibernating"`.

An instance is one record seen by both APIs: the Management API's org-wide
`Instance` (with `project_id` and `region`) and the regional `Instance` (with
`filesystems` and `userData`) are two views of it. Filesystems and node pools also
say where they live (`region`, `project_id`; a node pool's `cluster_id`): fields of
the fake's own, never sent.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import difflib
import ipaddress
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _seed
from ._errors import FakeUsageError

STRING = "string"
BOOLEAN = "boolean"
INTEGER = "integer"
STRING_MAP = "string map"  # an object whose values are strings (Instance.tags)
UUID_LIST = "uuid list"  # an array of UUID strings (Instance.filesystems)

# Who has a field of a record both APIs see (Kind.only): one API, or the fake alone.
MANAGEMENT = "management"
REGION = "region"
FAKE = "fake"

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

    type: str  # STRING, BOOLEAN, INTEGER, STRING_MAP or UUID_LIST
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] = ()
    format: str | None = None  # "uuid", "date-time" or "byte" (for strings)

    def expected(self, *, wire: bool = False) -> str:
        """What a valid value is, in words: for seed data (Python values), or for a
        request body (`wire`: JSON)."""
        if self.enum:
            text = "one of " + ", ".join(repr(v) for v in self.enum)
        elif self.format == "uuid":
            text = "a UUID string" + ("" if wire else " (or a uuid.UUID)")
        elif self.format == "date-time":
            text = "an RFC 3339 date-time string like '2026-11-27T10:11:12Z' (or an aware datetime)"
        elif self.format == "byte":
            text = "base64 text" + ("" if wire else " (or bytes, encoded for you)")
        elif self.type == BOOLEAN:
            text = "a boolean (true or false)" if wire else "a boolean (True or False)"
        elif self.type == INTEGER:
            text = "a whole number"
        elif self.type == STRING_MAP:
            text = (
                'an object of strings, like {"team": "ml"}'
                if wire
                else "a dict of strings to strings, like {'team': 'ml'}"
            )
        elif self.type == UUID_LIST:
            text = "a list of UUID strings" + ("" if wire else " (or uuid.UUIDs)")
        else:
            text = "a string"
        if self.nullable:
            text += ", or null" if wire else ", or None"
        return text

    def check(self, value: object) -> tuple[bool, Any]:
        """(True, the value as JSON) when it fits, else (False, None)."""
        if value is None:
            return self.nullable, None
        if self.type == BOOLEAN:
            return isinstance(value, bool), value
        if self.type == INTEGER:
            return isinstance(value, int) and not isinstance(value, bool), value
        if self.type == STRING_MAP:
            ok = isinstance(value, Mapping) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            )
            return ok, dict(value) if ok else None  # type: ignore[call-overload]
        if self.type == UUID_LIST:
            if not isinstance(value, list | tuple):
                return False, None
            ids = [str(v) if isinstance(v, uuid.UUID) else v for v in value]
            ok = all(isinstance(v, str) and is_uuid(v) for v in ids)
            return ok, ids if ok else None
        if isinstance(value, uuid.UUID) and not self.enum:
            value = str(value)
        if self.format == "date-time" and isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                return False, None
            value = value.isoformat()
        if self.format == "byte" and isinstance(value, bytes | bytearray):
            value = base64.b64encode(value).decode("ascii")
        if not isinstance(value, str):
            return False, None
        if self.enum:
            return value in self.enum, value
        if self.format == "uuid":
            return is_uuid(value), value
        if self.format == "date-time":
            return _is_datetime(value), value
        if self.format == "byte":
            return _is_base64(value), value
        return True, value


@dataclass(frozen=True)
class Context:
    """What the defaults of an item may depend on besides the item itself."""

    region: str  # the first region
    project: str  # the default project: the first project's id
    clusters: tuple[str, ...] = ()  # the seeded clusters' ids


@dataclass(frozen=True)
class Kind:
    """A seedable resource: the `FakeAPI` argument, its spec schema and its defaults."""

    argument: str  # "instances": the FakeAPI argument and attribute
    schema: str  # "Instance": the spec's schema name
    fields: Mapping[str, Field]
    # The values for the required fields, given what the test did give, the item's
    # 1-based position and the context; only those left out are used.
    defaults: Callable[[Mapping[str, Any], int, Context], dict[str, Any]]
    label: str = "name"  # the field that names an item in a message
    unique: str | None = None  # a field no two items may share
    article: str = "an"  # "an Instance", "an SSHKey", "a Cluster"
    api: str = MANAGEMENT  # whose spec has the schema: MANAGEMENT, REGION, or "both"
    schemas: tuple[str, ...] = ()  # the spec's schemas it stands for (default: schema)
    # A field only one API has (MANAGEMENT or REGION), or only the fake (FAKE: where
    # the item lives); a field not listed is in every view.
    only: Mapping[str, str] = field(default_factory=dict)
    # A check of a completed item against the rest (a reference): the problem, or None.
    refers: Callable[[Mapping[str, Any], Context], str | None] | None = None

    def view(self, item: Mapping[str, Any], api: str) -> dict[str, Any]:
        """The item as `api` sends it: without the other API's fields and the fake's own.

        A field the test added (one no spec has) is in every view."""
        return {k: v for k, v in item.items() if self.only.get(k, api) == api}


def _new_id() -> str:
    return str(uuid.uuid4())


def _slug(text: str, sep: str) -> str:
    return re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)


def _organization(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    name = given.get("name") or f"org-{n}"
    return {"id": _new_id(), "name": name, "display_name": _slug(name, " ").title() or name}


def _member(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    name = given.get("name") or f"Member {n}"
    return {
        "id": _new_id(),
        "name": name,
        "email": f"{_slug(name, '.') or f'member{n}'}@example.com",
        "role": "viewer",
    }


def _invitation(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    return {"id": _new_id(), "email": f"invitee{n}@example.com", "role": "viewer"}


def _cluster(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    return {
        "id": _new_id(),
        "name": f"cluster-{n}",
        "region": context.region,
        "type": "kubernetes",
    }


def _instance(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    state = given.get("state", "running")
    return {
        "id": _new_id(),
        "name": f"instance-{n}",
        "type": _seed.INSTANCE_TYPE,
        "state": "running",
        # A running instance has its private address; any other state has none yet.
        "ip": str(ipaddress.IPv4Address("10.0.0.0") + n) if state == "running" else None,
        "image": _seed.IMAGE,
        "preemptible": False,
        "ephemeral": False,
        "tags": {},
        "project_id": context.project,
        "region": context.region,
        "filesystems": [],
    }


def _key(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    name = given.get("name") or f"key-{n}"
    # The wire format of a real ed25519 public key: its type, then 32 key bytes.
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + os.urandom(32)
    return {"name": name, "key": f"ssh-ed25519 {base64.b64encode(blob).decode()} {name}"}


def _project(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    return {"id": _new_id(), "name": f"project-{n}", "state": "active", "tags": {}}


def _filesystem(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    return {
        "id": _new_id(),
        "name": f"filesystem-{n}",
        "size": "1Ti",
        "region": context.region,
        "project_id": context.project,
    }


def _node_pool(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    return {
        "id": _new_id(),
        "name": f"node-pool-{n}",
        "type": _seed.INSTANCE_TYPE,
        "cluster_id": context.clusters[0] if context.clusters else "",
    }


def _instance_type(given: Mapping[str, Any], n: int, context: Context) -> dict[str, Any]:
    return {"name": f"instance-type-{n}", "cpu": 8, "memory": "64Gi"}


def _in_a_cluster(item: Mapping[str, Any], context: Context) -> str | None:
    if item["cluster_id"] in context.clusters:
        return None
    if not context.clusters:
        return "cluster_id must be the id of one of clusters, and there are none (seed clusters)"
    return (
        f"cluster_id {item['cluster_id']!r} is not the id of any of clusters "
        f"({', '.join(map(repr, context.clusters))})"
    )


_S = Field(STRING)
_REQUIRED = Field(STRING, required=True)
_UUID_ID = Field(STRING, required=True, format="uuid")
_TAGS = Field(STRING_MAP, required=True)
_CLUSTER_HEALTH = ("healthy", "stale", "offline")
INSTANCE_STATES = (
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
PROJECT_STATES = ("active", "deleting")

INSTANCES = Kind(
    "instances",
    "Instance",
    {
        "id": _UUID_ID,
        "name": _REQUIRED,
        "type": _REQUIRED,
        "state": Field(STRING, required=True, enum=INSTANCE_STATES),
        "ip": Field(STRING, required=True, nullable=True),
        "image": _REQUIRED,
        "preemptible": Field(BOOLEAN, required=True),
        "ephemeral": Field(BOOLEAN, required=True),
        "tags": _TAGS,
        "project_id": _REQUIRED,
        "region": _REQUIRED,
        "health": Field(STRING, enum=_INSTANCE_HEALTH),
        "updated_at": Field(STRING, format="date-time"),
        "filesystems": Field(UUID_LIST, required=True),
        "userData": Field(STRING, nullable=True, format="byte"),
    },
    _instance,
    api="both",
    only={
        "project_id": MANAGEMENT,
        "region": MANAGEMENT,
        "health": MANAGEMENT,
        "updated_at": MANAGEMENT,
        "filesystems": REGION,
        "userData": REGION,
    },
)
CLUSTERS = Kind(
    "clusters",
    "Cluster",
    {
        "id": _UUID_ID,
        "name": _REQUIRED,
        "region": _REQUIRED,
        "type": Field(STRING, required=True, enum=("kubernetes", "slurm")),
        "project_id": _S,
        "health": Field(STRING, enum=_CLUSTER_HEALTH),
        "updated_at": Field(STRING, format="date-time"),
    },
    _cluster,
    article="a",
)
PROJECTS = Kind(
    "projects",
    "Project",
    {
        "id": _UUID_ID,
        "name": _REQUIRED,
        "state": Field(STRING, required=True, enum=PROJECT_STATES),
        "tags": _TAGS,
    },
    _project,
    article="a",
    api=REGION,
    unique="id",
)
FILESYSTEMS = Kind(
    "filesystems",
    "Filesystem",
    {
        "id": _UUID_ID,
        "name": _REQUIRED,
        "size": _REQUIRED,
        "region": _REQUIRED,
        "project_id": Field(STRING, required=True, format="uuid"),
    },
    _filesystem,
    article="a",
    api=REGION,
    only={"region": FAKE, "project_id": FAKE},
)
NODE_POOLS = Kind(
    "node_pools",
    "NodePool",
    {
        "id": _UUID_ID,
        "name": _REQUIRED,
        "type": _REQUIRED,
        "cluster_id": Field(STRING, required=True),
    },
    _node_pool,
    article="a",
    api=REGION,
    schemas=("KubernetesNodePool", "SlurmNodePool"),
    only={"cluster_id": FAKE},
    refers=_in_a_cluster,
)
INSTANCE_TYPES = Kind(
    "instance_types",
    "InstanceType",
    {
        "cpu": Field(INTEGER, required=True),
        "memory": _REQUIRED,
        "name": _REQUIRED,
        "gpu_count": Field(INTEGER),
        "gpu_model": _S,
    },
    _instance_type,
    api=REGION,
    unique="name",
)
"""A region's instance types: seeded per region (`regions={name: {"instance_types": ...}}`)."""

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
    CLUSTERS,
    INSTANCES,
    Kind("keys", "SSHKey", {"name": _REQUIRED, "key": _REQUIRED}, _key, unique="name"),
    PROJECTS,
    FILESYSTEMS,
    NODE_POOLS,
)
"""Every seedable kind, in the order `FakeAPI` takes them."""
KIND_BY_ARGUMENT = {kind.argument: kind for kind in KINDS}
REGION_SETTINGS = ("instance_types", "capacity", "capabilities")
"""What a region may be seeded with (`regions={"us-east-1": {...}}`)."""

# The regional API's request bodies (operationId -> the schema's properties).
REQUEST_BODIES: dict[str, tuple[str, Mapping[str, Field]]] = {
    "CreateInstance": (
        "InstancesPostRequest",
        {
            "ephemeral": Field(BOOLEAN),
            "filesystems": Field(UUID_LIST),
            "image": _S,
            "name": _REQUIRED,
            "preemptible": Field(BOOLEAN),
            "tags": Field(STRING_MAP),
            "type": _REQUIRED,
            "userData": Field(STRING, nullable=True, format="byte"),
        },
    ),
    "CreateProject": ("ProjectsPostRequest", {"name": _REQUIRED, "tags": Field(STRING_MAP)}),
    "CreateFilesystem": ("FilesystemsPostRequest", {"name": _REQUIRED, "size": _REQUIRED}),
}


def checked_body(operation: str, body: object) -> tuple[dict[str, Any], str | None]:
    """A request body of `operation` as its schema says (unknown fields dropped, as a
    server ignores them), or the first problem with it, for a 400."""
    schema, fields = REQUEST_BODIES[operation]
    if not isinstance(body, dict):
        return {}, f"the request body must be a JSON object (a {schema})"
    checked: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in body:
            if spec.required:
                return {}, f"the request body has no {name!r} (a {schema} requires it)"
            continue
        fits, value = spec.check(body[name])
        if not fits:
            shown = json.dumps(body[name])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return {}, f"{name!r} must be {spec.expected(wire=True)}, got {shown}"
        checked[name] = value
    return checked, None


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


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
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


def _items(
    kind: Kind, given: object, context: Context, problems: _Problems, at: str | None = None
) -> list[dict[str, Any]]:
    at = at or kind.argument
    expected = f"a list of {kind.schema} objects as dicts"
    if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
        problems.add(f"{at}: expected {expected}, got {_shown(given)}")
        return []
    items: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    for index, item in enumerate(given):
        where = f"{at}[{index}]"
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
        defaults = kind.defaults(checked, index + 1, context)
        filled = {
            name: checked[name] if name in checked else defaults[name]
            for name, spec in kind.fields.items()
            if name in checked or spec.required
        }
        if kind.refers is not None:
            wrong = kind.refers(filled, context)
            if wrong is not None:
                problems.add(f"{where}: {wrong}")
                continue
        if kind.unique is not None:
            key = filled[kind.unique]
            if key in seen:
                problems.add(
                    f"{where}: {kind.unique} {key!r} is already used by "
                    f"{at}[{seen[key]}] (no two {kind.argument} share a {kind.unique})"
                )
                continue
            seen[key] = index
        items.append(filled)
    return items


@dataclass
class RegionSeed:
    """What one region offers, checked: its instance types, capacity and capabilities."""

    instance_types: list[dict[str, Any]]
    capacity: dict[str, int]
    capabilities: list[str]


@dataclass
class Seed:
    """Everything a `FakeAPI` starts with, checked against the specs and completed."""

    regions: dict[str, RegionSeed]
    items: dict[str, list[dict[str, Any]]]


def _region_names(given: object, problems: _Problems) -> list[str]:
    expected = (
        "a list of region names (strings like 'us-east-1'), or a dict of region names "
        "to what each offers"
    )
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        problems.add(f"regions: expected {expected}, got {_shown(given)}")
        return []
    names: list[str] = []
    for index, name in enumerate(given):
        where = f"regions[{index}]" if not isinstance(given, Mapping) else f"regions[{name!r}]"
        if not isinstance(name, str) or not _REGION_NAME.fullmatch(name):
            problems.add(
                f"{where}: expected a region name of letters, digits, '.', '_', "
                f"'~' or '-' (like 'us-east-1'), got {_shown(name)}"
            )
        elif name in names:
            problems.add(f"{where}: {name!r} is listed twice")
        else:
            names.append(name)
    return names


def _region_seed(name: str, given: object, context: Context, problems: _Problems) -> RegionSeed:
    at = f"regions[{name!r}]"
    settings: Mapping[Any, Any] = {}
    if given is not None and not isinstance(given, Mapping):
        problems.add(
            f"{at}: expected a dict of what the region offers (any of "
            f"{', '.join(REGION_SETTINGS)}), got {_shown(given)}"
        )
    elif given is not None:
        settings = given
    for key in settings:
        if key not in REGION_SETTINGS:
            close = difflib.get_close_matches(str(key), REGION_SETTINGS, n=1)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            problems.add(
                f"{at}: unknown setting {key!r} ({suggestion}a region has "
                f"{', '.join(REGION_SETTINGS)})"
            )
    types = settings.get("instance_types")
    instance_types = _items(
        INSTANCE_TYPES,
        _seed.instance_types() if types is None else types,
        context,
        problems,
        f"{at}.instance_types",
    )
    offered = [t["name"] for t in instance_types]
    capacity = dict.fromkeys(offered, _seed.CAPACITY)
    given_capacity = settings.get("capacity")
    if given_capacity is not None and not isinstance(given_capacity, Mapping):
        problems.add(
            f"{at}.capacity: expected a dict of instance type names to whole numbers "
            f">= 0, like {{{_seed.INSTANCE_TYPE!r}: 4}}, got {_shown(given_capacity)}"
        )
    elif given_capacity is not None:
        for type_name, count in given_capacity.items():
            if type_name not in offered:
                close = difflib.get_close_matches(str(type_name), offered, n=1)
                suggestion = f"did you mean {close[0]!r}? " if close else ""
                problems.add(
                    f"{at}.capacity[{type_name!r}]: not an instance type of the region "
                    f"({suggestion}it offers {', '.join(map(repr, offered)) or 'none'})"
                )
            elif isinstance(count, bool) or not isinstance(count, int) or count < 0:
                problems.add(
                    f"{at}.capacity[{type_name!r}]: expected a whole number >= 0, "
                    f"got {_shown(count)}"
                )
            else:
                capacity[type_name] = count
    given_capabilities = settings.get("capabilities")
    capabilities = list(_seed.CAPABILITIES)
    if given_capabilities is not None:
        if isinstance(given_capabilities, str | bytes | Mapping) or not (
            isinstance(given_capabilities, Iterable)
            and all(isinstance(c, str) for c in given_capabilities)
        ):
            problems.add(
                f"{at}.capabilities: expected a list of strings, got {_shown(given_capabilities)}"
            )
        else:
            capabilities = list(given_capabilities)
    return RegionSeed(instance_types, capacity, capabilities)


def _project_ids(items: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The UUID project ids the seeded items name, in order, each once."""
    found: list[str] = []
    for argument in ("instances", "clusters", "filesystems"):
        for item in items[argument]:
            project = item.get("project_id")
            if isinstance(project, str) and is_uuid(project) and project not in found:
                found.append(project)
    return found


def build_seed(regions: object, given: Mapping[str, object]) -> Seed:
    """The regions and every kind's items, checked against the specs and completed.

    `given` maps a kind's argument to what the test passed (None: the default data).
    A project an item names but `projects` lacks is added (`project-<n>`). Raises
    `FakeUsageError` listing every problem found.
    """
    problems = _Problems()
    listed = list(_seed.REGION_NAMES) if regions is None else regions
    names = _region_names(listed, problems)
    first = names[0] if names else _seed.REGION_NAMES[0]
    items: dict[str, list[dict[str, Any]]] = {}

    def seed(kind: Kind, context: Context, default: list[dict[str, Any]]) -> None:
        data = given.get(kind.argument)
        if data is None:
            # The default data lives in the default regions: in a fake given other
            # regions, it keeps only what is in a region the fake lists.
            default = [item for item in default if item.get("region", first) in names]
        items[kind.argument] = _items(kind, default if data is None else data, context, problems)

    context = Context(first, _seed.DEFAULT_PROJECT_ID)
    seed(PROJECTS, context, _seed.projects())
    if items["projects"]:
        context = Context(first, items["projects"][0]["id"])
    for kind in KINDS:
        if kind is NODE_POOLS:
            clusters = tuple(c["id"] for c in items["clusters"])
            seed(kind, Context(first, context.project, clusters), _seed.node_pools(clusters))
        elif kind is not PROJECTS:
            seed(kind, context, _seed.DEFAULTS[kind.argument]())
    known = {uuid.UUID(p["id"]) for p in items["projects"]}
    for project in _project_ids(items):
        if uuid.UUID(project) not in known:
            n = len(items["projects"]) + 1
            items["projects"].append({**_project({}, n, context), "id": project})
            known.add(uuid.UUID(project))
    settings = regions if isinstance(regions, Mapping) else {}
    region_seeds = {
        name: _region_seed(name, settings.get(name), context, problems) for name in names
    }
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
    return Seed(region_seeds, items)


def region_seed(name: str) -> RegionSeed:
    """The default offer of a region the test added after construction."""
    return _region_seed(name, None, Context(name, _seed.DEFAULT_PROJECT_ID), _Problems())
