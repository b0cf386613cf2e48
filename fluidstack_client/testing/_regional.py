"""The regional Atlas API as the fake serves it at each region's URL: its operations,
the instances' lifecycle on the fake's clock, and each region's offer.

An instance is one record (`FakeAPI.instances`) that both APIs see: the regional API
lists a region's instances of one project; the Management API's org-wide
`GET /instances` lists them all. Its state moves on the fake's clock (`Lifecycle`),
which moves only when the fake answers a request or the test calls
`FakeAPI.advance()`, never with the wall clock, so no test sleeps.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _seed
from ._errors import FakeUsageError
from ._schema import (
    FILESYSTEMS,
    INSTANCE_TYPES,
    INSTANCES,
    NODE_POOLS,
    PROJECTS,
    REGION,
    RegionSeed,
    checked_body,
    is_uuid,
)

if TYPE_CHECKING:
    from ._fake import FakeAPI, _Call

Reply = tuple[int, Any]
"""A regional handler's answer: the status, and the JSON body (None: no body)."""
RegionHandler = Callable[["FakeAPI", "_Call"], Reply]

TRANSIENT = ("creating", "starting", "stopping", "deleting")
"""The states an instance leaves by itself, each after its duration."""
DEFAULT_DURATIONS = dict.fromkeys(TRANSIENT, 2.0)
DEFAULT_SECONDS_PER_REQUEST = 1.0
# The state each transient one leads to (creating: to `starting` or `out-of-stock`,
# decided when it is created; deleting: to nothing, the instance is gone).
_NEXT = {"starting": "running", "stopping": "stopped", "deleting": None}
# Tag keys, as the spec describes them: 1-63 characters, alphanumerics at both ends.
_TAG_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?", re.ASCII)
_SIZE = re.compile(r"[1-9][0-9]*(?:Gi|Ti|Pi)", re.ASCII)


class Refused(Exception):
    """A regional request the fake refuses: its status and `Error` message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FakeRegion:
    """One region of a `FakeAPI` (`fake.region("us-east-1")`): what it offers, and
    live views of what lives in it, to assert on or change.

    The fake builds one per region; get it with `fake.region(name)`.

    Args:
        fake: The fake it belongs to.
        name: The region's name.
        instance_types: The `InstanceType` items it offers.
        capacity: How many of each type it can start.
        capabilities: What it can do.

    Attributes:
        name: The region's name.
        instance_types: The `InstanceType` items it offers, as dicts (the state:
            change it to offer other types).
        capacity: How many more instances of each type it can start now
            (`{"h100-80gb-sxm": 4}`); creating one takes one, deleting it gives it
            back once it is gone. An instance created when its type's count is 0
            ends `out-of-stock`.
        capabilities: What `GET /capabilities` lists.
    """

    def __init__(
        self,
        fake: FakeAPI,
        name: str,
        instance_types: list[dict[str, Any]],
        capacity: dict[str, int],
        capabilities: list[str],
    ) -> None:
        self._fake = fake
        self.name = name
        self.instance_types = instance_types
        self.capacity = capacity
        self.capabilities = capabilities

    @classmethod
    def _seeded(cls, fake: FakeAPI, name: str, seed: RegionSeed) -> FakeRegion:
        return cls(fake, name, seed.instance_types, seed.capacity, seed.capabilities)

    def __repr__(self) -> str:
        return f"FakeRegion({self.name!r}, capacity={self.capacity!r})"

    @property
    def url(self) -> str:
        """The region's URL, as the fake's `/regions` lists it."""
        return self._fake.region_url(self.name)

    @property
    def instances(self) -> list[dict[str, Any]]:
        """The instances in this region (of every project): the very dicts of
        `fake.instances`, so a change to one is a change to the fake's state."""
        return [i for i in self._fake.instances if i.get("region") == self.name]

    @property
    def filesystems(self) -> list[dict[str, Any]]:
        """The filesystems in this region (of every project), the fake's own dicts."""
        return [f for f in self._fake.filesystems if f.get("region") == self.name]


@dataclass
class _Timer:
    instance: dict[str, Any]
    leaving: str  # the state it leaves when due
    due: float
    then: str | None  # the state it enters; None: gone
    frees: bool  # (leaving `deleting`) gives its capacity back when gone
    order: int  # among timers due at the same time, the first set goes first


def check_durations(durations: object) -> dict[str, float]:
    """`durations` (state -> seconds) over the defaults, or FakeUsageError."""
    checked = dict(DEFAULT_DURATIONS)
    if durations is None:
        return checked
    if not isinstance(durations, Mapping):
        raise FakeUsageError(
            "durations must be a dict of states to seconds, like {'creating': 2.0}, "
            f"got {durations!r}"
        )
    for state, seconds in durations.items():
        if state not in TRANSIENT:
            raise FakeUsageError(
                f"durations: {state!r} is not a state an instance leaves by itself "
                f"(give any of {', '.join(map(repr, TRANSIENT))})"
            )
        check_seconds(f"durations[{state!r}]", seconds)
        checked[state] = float(seconds)
    return checked


def check_seconds(what: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise FakeUsageError(f"{what} must be a finite number of seconds >= 0, got {value!r}")


class Lifecycle:
    """The fake's clock and the instances' timers. Called under the fake's lock."""

    def __init__(self, durations: dict[str, float], seconds_per_request: float) -> None:
        self.now = 0.0
        self.durations = durations
        self.seconds_per_request = seconds_per_request
        self._timers: dict[int, _Timer] = {}  # by id() of the instance dict
        self._order = itertools.count()

    def pending(self, instance: Mapping[str, Any]) -> _Timer | None:
        return self._timers.get(id(instance))

    def enter(
        self,
        fake: FakeAPI,
        instance: dict[str, Any],
        state: str,
        *,
        at: float | None = None,
        then: str | None = None,
        frees: bool = False,
    ) -> None:
        """Put `instance` in `state` at time `at` (default: now); a transient state
        is left after its duration, for `then` (creating) or its usual next one."""
        at = self.now if at is None else at
        instance["state"] = state
        if state == "running" and instance.get("ip") is None:
            instance["ip"] = _free_ip(fake)
        elif state not in ("running", "stopping"):
            instance["ip"] = None
        if "health" in instance:
            instance["health"] = "healthy" if state == "running" else "offline"
        self._timers.pop(id(instance), None)
        if state in TRANSIENT:
            self._timers[id(instance)] = _Timer(
                instance,
                state,
                at + self.durations[state],
                then if state == "creating" else _NEXT[state],
                frees,
                next(self._order),
            )

    def advance(self, fake: FakeAPI, seconds: float) -> None:
        self.now += seconds
        self.settle(fake)

    def settle(self, fake: FakeAPI) -> None:
        """Make every transition due by now, in the order they fell due."""
        while True:
            due = [t for t in self._timers.values() if t.due <= self.now]
            if not due:
                return
            timer = min(due, key=lambda t: (t.due, t.order))
            del self._timers[id(timer.instance)]
            instance = timer.instance
            alive = any(i is instance for i in fake.instances)
            if not alive or instance.get("state") != timer.leaving:
                continue  # the test removed it or took over its state
            if timer.then is not None:
                self.enter(fake, instance, timer.then, at=timer.due)
                continue
            fake.instances[:] = [i for i in fake.instances if i is not instance]
            if timer.frees and instance.get("region") in fake.region_names:
                offer = fake.region(instance["region"]).capacity
                if instance.get("type") in offer:
                    offer[instance["type"]] += 1

    def start_seeded(self, fake: FakeAPI) -> None:
        """Seeded instances in a transient state move on from time 0."""
        for instance in fake.instances:
            state = instance.get("state")
            if state in TRANSIENT:
                self.enter(fake, instance, state, then="starting", frees=True)
        self.settle(fake)

    def holds_capacity(self, instance: Mapping[str, Any]) -> bool:
        """Whether deleting it gives a unit of capacity back: every instance holds
        one, except one that never got it (`out-of-stock`, or creating towards it)."""
        if instance.get("state") == "out-of-stock":
            return False
        timer = self.pending(instance)
        return timer is None or timer.then != "out-of-stock"


def _free_ip(fake: FakeAPI) -> str:
    used = {i.get("ip") for i in fake.instances}
    first = ipaddress.IPv4Address("10.0.1.0")
    return next(str(first + n) for n in itertools.count(1) if str(first + n) not in used)


# -- the operations ----------------------------------------------------------------------


def _same_uuid(a: object, b: object) -> bool:
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return False


def _body(call: _Call, operation: str) -> dict[str, Any]:
    try:
        parsed = json.loads(call.body) if call.body else None
    except ValueError:
        raise Refused(400, "the request body is not JSON") from None
    body, problem = checked_body(operation, parsed)
    if problem is not None:
        raise Refused(400, problem)
    return body


def _name(body: Mapping[str, Any]) -> str:
    name: str = body["name"]
    if not name.strip():
        raise Refused(400, "name must not be empty")
    return name


def _tags(body: Mapping[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = body.get("tags") or {}
    for key in tags:
        if not _TAG_KEY.fullmatch(key):
            raise Refused(
                400,
                f"tag key {key!r} is not valid: keys are 1-63 characters, start and end "
                "with a letter or digit, and may contain '-', '_' and '.'",
            )
    return tags


def _project_in_use(fake: FakeAPI, call: _Call) -> str:
    """The call's project, which must exist to create something in it."""
    project = call.project or ""
    if not any(_same_uuid(p.get("id"), project) for p in fake.projects):
        raise Refused(400, f"project {project} does not exist (GET /projects lists them)")
    return project


def _in_scope(fake: FakeAPI, items: list[dict[str, Any]], call: _Call) -> list[dict[str, Any]]:
    """The items of the call's region and project."""
    return [
        x
        for x in items
        if x.get("region") == call.region and _same_uuid(x.get("project_id"), call.project)
    ]


def _one(items: list[dict[str, Any]], call: _Call, what: str) -> dict[str, Any]:
    for item in items:
        if _same_uuid(item.get("id"), call.params["id"]):
            return item
    raise Refused(404, f"{what} not found")


def _region_of(fake: FakeAPI, call: _Call) -> FakeRegion:
    return fake.region(call.region or "")


def _list_capabilities(fake: FakeAPI, call: _Call) -> Reply:
    return 200, list(_region_of(fake, call).capabilities)


def _list_capacity(fake: FakeAPI, call: _Call) -> Reply:
    offer = _region_of(fake, call).capacity
    return 200, [{"name": name, "capacity": count} for name, count in offer.items()]


def _list_instance_types(fake: FakeAPI, call: _Call) -> Reply:
    types = _region_of(fake, call).instance_types
    return 200, [INSTANCE_TYPES.view(t, REGION) for t in types]


def _list_instances(fake: FakeAPI, call: _Call) -> Reply:
    return 200, [INSTANCES.view(i, REGION) for i in _in_scope(fake, fake.instances, call)]


def _get_instance(fake: FakeAPI, call: _Call) -> Reply:
    found = _one(_in_scope(fake, fake.instances, call), call, "instance")
    return 200, INSTANCES.view(found, REGION)


def _create_instance(fake: FakeAPI, call: _Call) -> Reply:
    body = _body(call, "CreateInstance")
    name = _name(body)
    region = _region_of(fake, call)
    offered = [t.get("name") for t in region.instance_types]
    if body["type"] not in offered:
        raise Refused(
            400,
            f"instance type {body['type']!r} is not offered in {region.name} (it offers "
            f"{', '.join(map(repr, offered)) or 'none'}; GET /instance-types lists them)",
        )
    tags = _tags(body)
    project = _project_in_use(fake, call)
    attached = body.get("filesystems") or []
    mine = _in_scope(fake, fake.filesystems, call)
    for filesystem in attached:
        if not any(_same_uuid(f.get("id"), filesystem) for f in mine):
            raise Refused(400, f"filesystem {filesystem} is not in this project in {region.name}")
    instance: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": name,
        "type": body["type"],
        "state": "creating",
        "ip": None,
        "image": body.get("image") or _seed.IMAGE,
        "preemptible": body.get("preemptible", False),
        "ephemeral": body.get("ephemeral", False),
        "tags": tags,
        "project_id": project,
        "region": region.name,
        "filesystems": attached,
    }
    if "userData" in body:
        instance["userData"] = body["userData"]
    fake.instances.append(instance)
    in_stock = region.capacity.get(body["type"], 0) > 0
    if in_stock:
        region.capacity[body["type"]] -= 1
    fake._life.enter(fake, instance, "creating", then="starting" if in_stock else "out-of-stock")
    return 201, INSTANCES.view(instance, REGION)


def _delete_instance(fake: FakeAPI, call: _Call) -> Reply:
    instance = _one(_in_scope(fake, fake.instances, call), call, "instance")
    if instance.get("state") != "deleting":  # deleting twice changes nothing
        frees = fake._life.holds_capacity(instance)
        fake._life.enter(fake, instance, "deleting", frees=frees)
    return 204, None


def _action(fake: FakeAPI, call: _Call, verb: str, needs: str, state: str) -> Reply:
    instance = _one(_in_scope(fake, fake.instances, call), call, "instance")
    now = instance.get("state")
    if now != needs:
        raise Refused(
            409,
            f"instance {instance['name']!r} ({instance['id']}) is {now}: only a {needs} "
            f"instance can be {verb}",
        )
    fake._life.enter(fake, instance, state)
    return 202, None


def _start_instance(fake: FakeAPI, call: _Call) -> Reply:
    return _action(fake, call, "started", "stopped", "starting")


def _stop_instance(fake: FakeAPI, call: _Call) -> Reply:
    return _action(fake, call, "stopped", "running", "stopping")


def _list_projects(fake: FakeAPI, call: _Call) -> Reply:
    return 200, [PROJECTS.view(p, REGION) for p in fake.projects]


def _get_project(fake: FakeAPI, call: _Call) -> Reply:
    return 200, PROJECTS.view(_one(fake.projects, call, "project"), REGION)


def _create_project(fake: FakeAPI, call: _Call) -> Reply:
    body = _body(call, "CreateProject")
    project = {"id": str(uuid.uuid4()), "name": _name(body), "state": "active", "tags": _tags(body)}
    fake.projects.append(project)
    return 201, PROJECTS.view(project, REGION)


def _delete_project(fake: FakeAPI, call: _Call) -> Reply:
    project = _one(fake.projects, call, "project")
    inside = [i for i in fake.instances if _same_uuid(i.get("project_id"), project["id"])]
    if inside:
        count = f"{len(inside)} instance{'s' if len(inside) > 1 else ''}"
        raise Refused(
            409,
            f"project {project['name']!r} ({project['id']}) still has {count} (in "
            f"{', '.join(sorted({str(i.get('region')) for i in inside}))}): delete them first",
        )
    fake.projects.remove(project)
    return 204, None


def _list_filesystems(fake: FakeAPI, call: _Call) -> Reply:
    return 200, [FILESYSTEMS.view(f, REGION) for f in _in_scope(fake, fake.filesystems, call)]


def _get_filesystem(fake: FakeAPI, call: _Call) -> Reply:
    found = _one(_in_scope(fake, fake.filesystems, call), call, "filesystem")
    return 200, FILESYSTEMS.view(found, REGION)


def _create_filesystem(fake: FakeAPI, call: _Call) -> Reply:
    body = _body(call, "CreateFilesystem")
    name = _name(body)
    if not _SIZE.fullmatch(body["size"]):
        raise Refused(
            400,
            f"size must be a whole number of Gi, Ti or Pi, like '512Gi', got {body['size']!r}",
        )
    filesystem = {
        "id": str(uuid.uuid4()),
        "name": name,
        "size": body["size"],
        "region": call.region,
        "project_id": _project_in_use(fake, call),
    }
    fake.filesystems.append(filesystem)
    return 201, FILESYSTEMS.view(filesystem, REGION)


def _delete_filesystem(fake: FakeAPI, call: _Call) -> Reply:
    found = _one(_in_scope(fake, fake.filesystems, call), call, "filesystem")
    fake.filesystems.remove(found)
    return 204, None


def _clusters(fake: FakeAPI, call: _Call, kind: str) -> list[dict[str, Any]]:
    """The call's project's clusters of `kind` in its region (the Management
    API's `clusters`; a cluster with no project_id is in none)."""
    return [
        c
        for c in fake.clusters
        if c.get("type") == kind
        and c.get("region") == call.region
        and _same_uuid(c.get("project_id"), call.project)
    ]


def _cluster_list(kind: str) -> RegionHandler:
    def handler(fake: FakeAPI, call: _Call) -> Reply:
        return 200, [{"id": c["id"], "name": c["name"]} for c in _clusters(fake, call, kind)]

    return handler


def _node_pool_list(kind: str) -> RegionHandler:
    def handler(fake: FakeAPI, call: _Call) -> Reply:
        clusters = [c["id"] for c in _clusters(fake, call, kind)]
        pools = [p for p in fake.node_pools if p.get("cluster_id") in clusters]
        return 200, [NODE_POOLS.view(p, REGION) for p in pools]

    return handler


REGION_ROUTES: list[tuple[str, str, str, RegionHandler]] = [
    ("ListCapabilities", "GET", "/capabilities", _list_capabilities),
    ("ListCapacity", "GET", "/capacity", _list_capacity),
    ("ListFilesystems", "GET", "/filesystems", _list_filesystems),
    ("CreateFilesystem", "POST", "/filesystems", _create_filesystem),
    ("GetFilesystem", "GET", "/filesystems/{id}", _get_filesystem),
    ("DeleteFilesystem", "DELETE", "/filesystems/{id}", _delete_filesystem),
    ("ListInstanceTypes", "GET", "/instance-types", _list_instance_types),
    ("ListInstances", "GET", "/instances", _list_instances),
    ("CreateInstance", "POST", "/instances", _create_instance),
    ("GetInstance", "GET", "/instances/{id}", _get_instance),
    ("DeleteInstance", "DELETE", "/instances/{id}", _delete_instance),
    ("StartInstance", "POST", "/instances/{id}/actions/start", _start_instance),
    ("StopInstance", "POST", "/instances/{id}/actions/stop", _stop_instance),
    ("ListKubernetesClusters", "GET", "/kubernetes/clusters", _cluster_list("kubernetes")),
    ("ListKubernetesNodePools", "GET", "/kubernetes/node-pools", _node_pool_list("kubernetes")),
    ("ListProjects", "GET", "/projects", _list_projects),
    ("CreateProject", "POST", "/projects", _create_project),
    ("GetProject", "GET", "/projects/{id}", _get_project),
    ("DeleteProject", "DELETE", "/projects/{id}", _delete_project),
    ("ListSlurmClusters", "GET", "/slurm/clusters", _cluster_list("slurm")),
    ("ListSlurmNodePools", "GET", "/slurm/node-pools", _node_pool_list("slurm")),
]
"""One row per operation of the regional spec: operationId, method, path template
(under a region's URL), handler."""

NEEDS_PROJECT = frozenset(
    {
        "ListCapacity",
        "ListFilesystems",
        "CreateFilesystem",
        "GetFilesystem",
        "DeleteFilesystem",
        "ListInstances",
        "CreateInstance",
        "GetInstance",
        "DeleteInstance",
        "StartInstance",
        "StopInstance",
        "ListKubernetesClusters",
        "ListKubernetesNodePools",
        "ListSlurmClusters",
        "ListSlurmNodePools",
    }
)
"""The regional operations that act in a project: `X-PROJECT-ID` is required."""


def answer(fake: FakeAPI, operation: str, handler: RegionHandler, call: _Call) -> Reply:
    """A regional request's answer; raises `Refused` for a 4xx."""
    if operation in NEEDS_PROJECT:
        project = call.headers.get("x-project-id")
        if project is None:
            raise Refused(400, "the X-PROJECT-ID header is required: the UUID of a project")
        if not is_uuid(project):
            raise Refused(400, "X-PROJECT-ID must be a UUID")
        call.project = str(uuid.UUID(project))
    return handler(fake, call)
