"""Seed data for `FakeAPI`: what a test leaves out is filled in with realistic values,
and what does not fit the spec fails at construction with a message naming the item,
the field and what was expected. Every seedable kind, from one table (the fake's
copy of the specs' schemas, itself checked against spec/openapi.yaml and
spec/atlas-region-v1alpha1.yaml), and each region's offer (instance types, capacity,
capabilities)."""

from __future__ import annotations

import datetime
import pickle
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import fluidstack_client
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI, FakeUsageError
from fluidstack_client.testing._schema import (
    BOOLEAN,
    FAKE,
    INSTANCE_TYPES,
    INTEGER,
    KINDS,
    MANAGEMENT,
    REGION,
    STRING,
    STRING_MAP,
    UUID_LIST,
    Field,
    Kind,
)
from fluidstack_client.testing._seed import PROJECT_A, PROJECT_B

KIND_IDS = [kind.argument for kind in KINDS]
CLUSTER = "6e5d4c3b-2a19-4807-9f6e-5d4c3b2a1908"
FIELDS = [(kind, name) for kind in KINDS for name in kind.fields]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a `$ref` points at (or the schema itself)."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def _field_from_spec(spec: dict[str, Any], schema: dict[str, Any], required: bool) -> Field:
    """The fake's `Field` that a property of the spec's schema must be."""
    prop = _resolve(spec, schema)
    if prop["type"] == "object":
        assert prop["additionalProperties"] == {"type": "string"}
        kind = STRING_MAP
    elif prop["type"] == "array":
        assert prop["items"] == {"type": "string", "format": "uuid"}
        kind = UUID_LIST
    else:
        kind = {"string": STRING, "boolean": BOOLEAN, "integer": INTEGER}[prop["type"]]
    return Field(
        kind,
        required=required,
        nullable=prop.get("nullable", False),
        enum=tuple(prop.get("enum", ())),
        format=None if kind == UUID_LIST else prop.get("format"),
    )


def _fields_of(spec: dict[str, Any], name: str) -> dict[str, Field]:
    schema = spec["components"]["schemas"][name]
    required = set(schema["required"])
    return {
        field: _field_from_spec(spec, prop, field in required)
        for field, prop in schema["properties"].items()
    }


def _listed_schemas(spec: dict[str, Any]) -> set[str]:
    """The schemas the list operations of `spec` return (their items)."""
    listed = set()
    for item in spec["paths"].values():
        for op in item.values():
            content = op["responses"].get("200", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            schema = _resolve(spec, schema)
            if "items" in schema:
                listed.add(schema["items"].get("$ref", "inline").rsplit("/", 1)[-1])
    return listed


# -- the fake's copy of the specs ----------------------------------------------------------


def test_the_fakes_schemas_are_the_specs(spec: dict[str, Any], region_spec: dict[str, Any]) -> None:
    """The fake ships without the specs; its copy must not drift from them. A kind both
    APIs have (an instance) holds the fields of both schemas, each view those of one."""
    for kind in [*KINDS, INSTANCE_TYPES]:
        apis = {MANAGEMENT: spec, REGION: region_spec}
        for api, document in apis.items():
            if kind.api not in (api, "both"):
                continue
            # The fields this API sends: none of another API's, none of the fake's own.
            fields = {
                name: field
                for name, field in kind.fields.items()
                if kind.only.get(name, api) == api
            }
            for schema in kind.schemas or (kind.schema,):
                from_spec = _fields_of(document, schema)
                if kind.api == "both":  # required in either: filled in for both views
                    from_spec = {
                        n: f if f.required else kind.fields[n] for n, f in from_spec.items()
                    }
                assert fields == from_spec, (api, schema)
        assert {n for n, o in kind.only.items() if o == FAKE} <= set(kind.fields)
    # Every schema a list operation returns is seedable (Region: by name, `regions=`;
    # the regional ones: Instance and Project as themselves, the clusters from the
    # Management API's `clusters`, the offer per region in `regions=`).
    assert _listed_schemas(spec) == {k.schema for k in KINDS if k.api != REGION} | {"Region"}
    assert _listed_schemas(region_spec) == {
        "Instance",
        "Project",
        "Filesystem",
        "KubernetesNodePool",
        "SlurmNodePool",
        "KubernetesCluster",
        "SlurmCluster",
        "InstanceType",
        "inline",  # /capacity: `capacity=` of a region
    }
    for cluster in ("KubernetesCluster", "SlurmCluster"):
        assert set(_fields_of(region_spec, cluster)) == {"id", "name"}  # a Cluster's


# -- what is left out is filled in -------------------------------------------------------


def _alone(kind: Kind, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Seed data of `items` of `kind` and nothing else (but the cluster a node pool
    needs, kubernetes, in the first region and the default project)."""
    seed: dict[str, Any] = {k.argument: [] for k in KINDS}
    seed[kind.argument] = items
    if kind.argument == "node_pools":
        seed["clusters"] = [{"id": CLUSTER, "project_id": DEFAULT_PROJECT_ID}]
    return seed


def _listed(fake: FakeAPI, kind: Kind) -> list[dict[str, Any]]:
    """Every item of `kind` as its API lists it (a regional kind: in us-east-1, in the
    default project), as dicts."""
    if kind.api == REGION:
        with fake.region_client("us-east-1", project_id=DEFAULT_PROJECT_ID) as east:
            listers: dict[str, Callable[[], Sequence[Any]]] = {
                "projects": east.projects.list,
                "filesystems": east.filesystems.list,
                "node_pools": east.kubernetes.node_pools.list,
            }
            return [model.to_dict() for model in listers[kind.argument]()]
    with fake.client() as fs:
        return [model.to_dict() for model in getattr(fs, kind.argument).list()]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_an_empty_item_gets_every_required_field(kind: Kind) -> None:
    fake = FakeAPI(**_alone(kind, [{}, {}]))
    items = getattr(fake, kind.argument)
    assert len(items) == 2
    for item in items:
        assert set(item) == {name for name, f in kind.fields.items() if f.required}
        for name, value in item.items():
            assert kind.fields[name].check(value) == (True, value), (name, value)
    if "id" in kind.fields:
        ids = [item["id"] for item in items]
        assert all(uuid.UUID(i).version == 4 for i in ids)
        assert ids[0] != ids[1]
    # And the client reads exactly what was seeded, in its API's shape.
    home = REGION if kind.api == REGION else MANAGEMENT
    assert _listed(fake, kind) == [kind.view(item, home) for item in items]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_given_fields_are_kept_as_given(kind: Kind) -> None:
    one: dict[str, Any] = _alone(kind, [{}])
    (default,) = getattr(FakeAPI(**one), kind.argument)
    given = dict(default)
    name_field = kind.label
    given[name_field] = "given@example.com" if name_field == "email" else "given-name"
    again: dict[str, Any] = _alone(kind, [given])
    (seeded,) = getattr(FakeAPI(**again), kind.argument)
    assert seeded == given
    assert seeded is not given  # a copy: the test's dict is not the fake's state


def test_the_issues_example_works_end_to_end() -> None:
    fake = FakeAPI(instances=[{"name": "x"}])
    (seeded,) = fake.instances
    with fake.client() as fs:
        got = fs.instances.get(seeded["id"])
        in_project = fs.instances.list(project_id=DEFAULT_PROJECT_ID)
    assert (got.name, got.state, got.region, got.ip) == ("x", "running", "us-east-1", "10.0.0.1")
    assert got.project_id == DEFAULT_PROJECT_ID
    assert [i.name for i in in_project] == ["x"]


def test_filled_values_follow_what_was_given() -> None:
    fake = FakeAPI(
        regions=["eu-west-1", "us-east-1"],
        instances=[{"state": "stopped"}, {"name": "gpu-1"}],
        clusters=[{}],
        members=[{"name": "Ada Lovelace"}],
        organizations=[{"name": "acme-research"}],
        keys=[{"name": "laptop"}],
    )
    stopped, running = fake.instances
    assert (stopped["ip"], stopped["name"]) == (None, "instance-1")  # no address when stopped
    assert running["ip"] == "10.0.0.2"
    assert {stopped["region"], fake.clusters[0]["region"]} == {"eu-west-1"}  # the first region
    assert fake.members[0]["email"] == "ada.lovelace@example.com"
    assert fake.organizations[0]["display_name"] == "Acme Research"
    key = fake.keys[0]["key"]
    assert re.fullmatch(r"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} laptop", key)


def test_uuid_and_datetime_objects_are_accepted() -> None:
    instance_id = uuid.uuid4()
    when = datetime.datetime(2026, 11, 27, 10, 11, 12, tzinfo=datetime.UTC)
    fake = FakeAPI(
        instances=[{"id": instance_id, "project_id": uuid.UUID(DEFAULT_PROJECT_ID)}],
        clusters=[{"updated_at": when}],
    )
    assert fake.instances[0]["id"] == str(instance_id)
    assert fake.instances[0]["project_id"] == DEFAULT_PROJECT_ID
    assert fake.clusters[0]["updated_at"] == "2026-11-27T10:11:12+00:00"
    with fake.client() as fs:
        assert fs.instances.get(instance_id).id == instance_id
        assert fs.clusters.list()[0].updated_at == when


def test_empty_lists_and_the_defaults() -> None:
    nothing: dict[str, Any] = {kind.argument: [] for kind in KINDS}
    empty = FakeAPI(**nothing, regions=[])
    assert all(getattr(empty, kind.argument) == [] for kind in KINDS)
    assert empty.region_names == []
    default = FakeAPI()
    assert [i["name"] for i in default.instances] == ["gpu-train-0", "gpu-train-1", "gpu-eval-0"]
    assert default.region_names == ["us-east-1", "eu-west-1"]


# -- what does not fit fails at construction, saying where and what was expected -------


def _problem(**seed: Any) -> str:
    """The one problem `FakeAPI(**seed)` reports (a ValueError, shown in its message)."""
    with pytest.raises(FakeUsageError) as raised:
        FakeAPI(**seed)
    assert isinstance(raised.value, ValueError)
    assert len(raised.value.problems) == 1, raised.value.problems
    (problem,) = raised.value.problems
    assert problem in str(raised.value)
    return problem


def _wrong_value(field: Field) -> object:
    """A value of another type than the field's."""
    return {
        STRING: 42,
        BOOLEAN: "yes",
        STRING_MAP: ["team", "ml"],
        INTEGER: "8",
        UUID_LIST: "not-a-list",
    }[field.type]


@pytest.mark.parametrize(("kind", "name"), FIELDS, ids=[f"{k.argument}.{n}" for k, n in FIELDS])
def test_a_wrong_type_names_the_item_the_field_and_what_was_expected(kind: Kind, name: str) -> None:
    field = kind.fields[name]
    wrong = _wrong_value(field)
    problem = _problem(**{kind.argument: [{}, {name: wrong}]})
    assert problem.startswith(f"{kind.argument}[1]")
    shown = f"{wrong!r} ({type(wrong).__name__})"
    assert f"field {name!r} must be {field.expected()}; got {shown}" in problem


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_an_unknown_field_is_named_with_the_fields_the_schema_has(kind: Kind) -> None:
    problem = _problem(**{kind.argument: [{kind.label: "mine", "colour": "blue"}]})
    assert problem == (
        f"{kind.argument}[0] ('mine'): unknown field 'colour' ({kind.article} {kind.schema} "
        f"has {', '.join(kind.fields)})"
    )


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_the_list_and_its_items_must_be_what_the_schema_says(kind: Kind) -> None:
    problem = _problem(**{kind.argument: {"name": "one"}})
    assert problem == (
        f"{kind.argument}: expected a list of {kind.schema} objects as dicts, "
        "got {'name': 'one'} (dict)"
    )
    problem = _problem(**{kind.argument: ["one"]})
    assert problem == (
        f"{kind.argument}[0]: expected {kind.article} {kind.schema} object as a dict, "
        "got 'one' (str)"
    )


def test_a_model_is_not_a_dict_and_the_message_says_what_is() -> None:
    key = fluidstack_client.SSHKey(name="model", key="ssh-ed25519 AAAA model")
    problem = _problem(keys=[key])
    assert problem.startswith(
        "keys[0]: expected an SSHKey object as a dict (a model's .to_dict()), got SSHKey("
    )
    assert FakeAPI(keys=[key.to_dict()]).keys == [key.to_dict()]


def test_typos_get_a_suggestion_and_newer_values_a_hint() -> None:
    with pytest.raises(FakeUsageError) as raised:
        FakeAPI(instances=[{"name": "x", "preemptable": True, "state": "runing"}])
    message = str(raised.value)
    assert message.splitlines()[0] == "FakeAPI seed data does not fit the spec (2 problems):"
    assert "instances[0] ('x'): unknown field 'preemptable' (did you mean 'preemptible'?" in message
    assert "field 'state' must be one of 'creating', " in message
    assert "got 'runing' (str) (did you mean 'running'?)" in message
    assert "change the state after construction" in message
    # ... which does work, for a value a newer API might send:
    fake = FakeAPI(instances=[{"name": "x"}])
    fake.instances[0]["state"] = "hibernating"
    with fake.client() as fs:
        assert fs.instances.list()[0].state == "hibernating"


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ({"instances": [{"id": "not-a-uuid"}]}, "field 'id' must be a UUID string"),
        ({"clusters": [{"updated_at": "yesterday"}]}, "an RFC 3339 date-time string"),
        ({"clusters": [{"updated_at": "2026-13-01T00:00:00Z"}]}, "an RFC 3339 date-time"),
        (
            {"clusters": [{"updated_at": datetime.datetime(2026, 1, 1)}]},  # naive
            "(or an aware datetime); got datetime.datetime(2026, 1, 1, 0, 0)",
        ),
        ({"instances": [{"ip": 10}]}, "field 'ip' must be a string, or None; got 10 (int)"),
        ({"instances": [{"preemptible": 1}]}, "must be a boolean (True or False); got 1 (int)"),
        ({"instances": [{"tags": {"gpus": 8}}]}, "like {'team': 'ml'}; got {'gpus': 8} (dict)"),
        ({"instances": [{"name": None}]}, "field 'name' must be a string; got None"),
        ({"members": [{7: "x"}]}, "members[0]: unknown field 7"),
        ({"keys": [{"name": "a"}, {"name": "a"}]}, "keys[1] ('a'): name 'a' is already used"),
        ({"regions": "us-east-1"}, "regions: expected a list of region names"),
        ({"regions": ["us east"]}, "regions[0]: expected a region name of letters"),
        ({"regions": ["a", "a"]}, "regions[1]: 'a' is listed twice"),
    ],
)
def test_each_kind_of_mistake(seed: dict[str, Any], expected: str) -> None:
    assert expected in _problem(**seed)


def test_every_problem_is_listed_and_the_error_pickles() -> None:
    with pytest.raises(FakeUsageError) as raised:
        FakeAPI(members=[{"role": 1}], keys=[{"key": False}], regions=[""])
    assert len(raised.value.problems) == 3
    again = pickle.loads(pickle.dumps(raised.value))
    assert (str(again), again.problems) == (str(raised.value), raised.value.problems)


# -- the regional kinds and each region's offer ---------------------------------------------


def test_projects_follow_what_was_given() -> None:
    default = FakeAPI()
    assert [(p["id"], p["name"]) for p in default.projects] == [
        (PROJECT_A, "ml-training"),
        (PROJECT_B, "research"),
    ]
    assert PROJECT_A == DEFAULT_PROJECT_ID
    # An item's project is the first project's, unless it says otherwise...
    mine = FakeAPI(
        projects=[{"name": "mine"}], instances=[{"name": "x"}], filesystems=[{}], clusters=[]
    )
    (project,) = mine.projects
    assert mine.instances[0]["project_id"] == project["id"]
    assert mine.filesystems[0]["project_id"] == project["id"]
    # ... and a project an item names that `projects` lacks is added.
    other = str(uuid.uuid4())
    added = FakeAPI(
        projects=[],
        instances=[{"project_id": other}, {"project_id": "not-a-uuid"}],
        clusters=[{"project_id": other.upper()}],
        filesystems=[],
    )
    assert added.projects == [{"id": other, "name": "project-1", "state": "active", "tags": {}}]


def test_regional_fields_take_python_values() -> None:
    fs_id = uuid.uuid4()
    fake = FakeAPI(
        regions={"us-east-1": None},
        instances=[{"name": "x", "filesystems": [fs_id], "userData": b"#cloud-config"}],
        filesystems=[{"id": fs_id, "project_id": uuid.UUID(DEFAULT_PROJECT_ID)}],
    )
    (instance,) = fake.instances
    assert instance["filesystems"] == [str(fs_id)]
    assert instance["userData"] == "I2Nsb3VkLWNvbmZpZw=="
    assert fake.filesystems[0]["project_id"] == DEFAULT_PROJECT_ID
    with fake.region_client("us-east-1") as east:
        got = east.instances.get(instance["id"])
        assert got.user_data == b"#cloud-config"
        assert got.filesystems == [fs_id]
        assert [f.id for f in east.filesystems.list()] == [fs_id]


def test_node_pools_follow_the_clusters() -> None:
    fake = FakeAPI(clusters=[{"type": "slurm", "project_id": DEFAULT_PROJECT_ID}, {}])
    first, second = fake.clusters
    assert [p["cluster_id"] for p in fake.node_pools] == [first["id"], second["id"]]
    assert [p["name"] for p in fake.node_pools] == ["gpu-pool-1", "gpu-pool-2"]
    again = FakeAPI(clusters=[first])
    assert again.node_pools[0]["id"] == fake.node_pools[0]["id"]  # stable ids
    with fake.region_client("us-east-1") as east:
        assert [c.id for c in east.slurm.clusters.list()] == [uuid.UUID(first["id"])]
        assert [p.name for p in east.slurm.node_pools.list()] == ["gpu-pool-1"]
        assert east.kubernetes.clusters.list() == []  # the second has no project


def test_a_regions_offer() -> None:
    fake = FakeAPI(
        regions={
            "us-east-1": {
                "instance_types": [{"name": "a100", "cpu": 32, "memory": "256Gi"}, {}],
                "capacity": {"a100": 1},
                "capabilities": ["instances"],
            },
            "eu-west-1": {},
        }
    )
    east, west = fake.region("us-east-1"), fake.region("eu-west-1")
    assert east.instance_types == [
        {"name": "a100", "cpu": 32, "memory": "256Gi"},
        {"name": "instance-type-2", "cpu": 8, "memory": "64Gi"},
    ]
    assert east.capacity == {"a100": 1, "instance-type-2": 4}
    assert east.capabilities == ["instances"]
    assert west.capacity == {"h100-80gb-sxm": 4, "h100-hgx-80gb.8x": 4}
    assert fake.region_names == ["us-east-1", "eu-west-1"]
    with fake.region_client("us-east-1") as client:
        assert [t.to_dict() for t in client.instance_types.list()] == east.instance_types
        assert client.capabilities.list() == ["instances"]


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (
            {"us-east-1": {"capacty": {}}},
            "regions['us-east-1']: unknown setting 'capacty' (did you mean 'capacity'? a "
            "region has instance_types, capacity, capabilities)",
        ),
        (
            {"us-east-1": ["h100"]},
            "regions['us-east-1']: expected a dict of what the region offers (any of "
            "instance_types, capacity, capabilities), got ['h100'] (list)",
        ),
        (
            {"us-east-1": {"capacity": {"h100-80gb-sxn": 1}}},
            "regions['us-east-1'].capacity['h100-80gb-sxn']: not an instance type of the "
            "region (did you mean 'h100-80gb-sxm'? it offers 'h100-80gb-sxm', "
            "'h100-hgx-80gb.8x')",
        ),
        (
            {"us-east-1": {"capacity": {"h100-80gb-sxm": -1}}},
            "regions['us-east-1'].capacity['h100-80gb-sxm']: expected a whole number >= 0, "
            "got -1 (int)",
        ),
        ({"us-east-1": {"capacity": {"h100-80gb-sxm": True}}}, "got True (bool)"),
        (
            {"us-east-1": {"capacity": [1]}},
            "regions['us-east-1'].capacity: expected a dict of instance type names to whole",
        ),
        (
            {"us-east-1": {"capabilities": "instances"}},
            "regions['us-east-1'].capabilities: expected a list of strings, got 'instances'",
        ),
        (
            {"us-east-1": {"instance_types": [{"name": "a", "cpu": "8"}]}},
            "regions['us-east-1'].instance_types[0] ('a'): field 'cpu' must be a whole "
            "number; got '8' (str)",
        ),
        (
            {"us-east-1": {"instance_types": [{"name": "a"}, {"name": "a"}]}},
            "regions['us-east-1'].instance_types[1] ('a'): name 'a' is already used by "
            "regions['us-east-1'].instance_types[0]",
        ),
        ({"us east": {}}, "regions['us east']: expected a region name of letters"),
    ],
)
def test_each_kind_of_mistake_in_a_regions_offer(regions: Any, expected: str) -> None:
    assert expected in _problem(regions=regions)


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        (
            {"node_pools": [{"name": "p", "cluster_id": "c-1"}]},
            "node_pools[0] ('p'): cluster_id 'c-1' is not the id of any of clusters (",
        ),
        (
            {"clusters": [], "node_pools": [{"name": "p"}]},
            "node_pools[0] ('p'): cluster_id must be the id of one of clusters, and there "
            "are none (seed clusters)",
        ),
        ({"projects": [{"state": "archived"}]}, "one of 'active', 'deleting'; got 'archived'"),
        (
            {"projects": [{"id": DEFAULT_PROJECT_ID}, {"id": DEFAULT_PROJECT_ID}]},
            f"projects[1]: id '{DEFAULT_PROJECT_ID}' is already used by projects[0]",
        ),
        ({"filesystems": [{"project_id": "p-1"}]}, "field 'project_id' must be a UUID string"),
        (
            {"instances": [{"userData": "not base64!"}]},
            "field 'userData' must be base64 text (or bytes, encoded for you), or None",
        ),
        (
            {"instances": [{"filesystems": ["x"]}]},
            "field 'filesystems' must be a list of UUID strings (or uuid.UUIDs); got ['x']",
        ),
    ],
)
def test_each_kind_of_mistake_in_the_regional_kinds(seed: dict[str, Any], expected: str) -> None:
    assert expected in _problem(**seed)


def test_the_default_data_stays_in_the_regions_the_fake_lists() -> None:
    """A fake given its own regions keeps only the default instances and clusters that
    live in one of them: the org-wide list never shows an instance in a region the
    fake does not serve (found while documenting the regional fake)."""
    fake = FakeAPI(regions={"us-east-1": {}})
    assert {instance["region"] for instance in fake.instances} == {"us-east-1"}
    assert {cluster["region"] for cluster in fake.clusters} == {"us-east-1"}
    assert len(FakeAPI().instances) > len(fake.instances)
    with fake.client() as fs:
        assert {i.region for i in fs.instances.list()} == {"us-east-1"}
