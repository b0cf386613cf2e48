"""Seed data for `FakeAPI`: what a test leaves out is filled in with realistic values,
and what does not fit the spec fails at construction with a message naming the item,
the field and what was expected. Every seedable kind, from one table (the fake's
copy of the spec's schemas, itself checked against spec/openapi.yaml)."""

from __future__ import annotations

import datetime
import pickle
import re
import uuid
from typing import Any

import pytest

import fluidstack_client
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI, FakeUsageError
from fluidstack_client.testing._schema import BOOLEAN, KINDS, STRING, STRING_MAP, Field, Kind

KIND_IDS = [kind.argument for kind in KINDS]
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
    else:
        kind = {"string": STRING, "boolean": BOOLEAN}[prop["type"]]
    return Field(
        kind,
        required=required,
        nullable=prop.get("nullable", False),
        enum=tuple(prop.get("enum", ())),
        format=prop.get("format"),
    )


# -- the fake's copy of the spec -----------------------------------------------------------


def test_the_fakes_schemas_are_the_specs(spec: dict[str, Any]) -> None:
    """The fake ships without the spec; its copy must not drift from it."""
    schemas = spec["components"]["schemas"]
    for kind in KINDS:
        schema = schemas[kind.schema]
        required = set(schema["required"])
        from_spec = {
            name: _field_from_spec(spec, prop, name in required)
            for name, prop in schema["properties"].items()
        }
        assert dict(kind.fields) == from_spec, kind.schema
    # Every schema a list operation returns is seedable (Region: by name, `regions=`).
    listed = {
        op["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"]
        for item in spec["paths"].values()
        for op in item.values()
        if "200" in op["responses"]
        and "content" in op["responses"]["200"]
        and "items" in op["responses"]["200"]["content"]["application/json"]["schema"]
    }
    assert {ref.rsplit("/", 1)[1] for ref in listed} == {k.schema for k in KINDS} | {"Region"}


# -- what is left out is filled in -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_an_empty_item_gets_every_required_field(kind: Kind) -> None:
    seed: dict[str, Any] = {kind.argument: [{}, {}]}
    fake = FakeAPI(**seed)
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
    # And the client reads exactly what was seeded.
    with fake.client() as fs:
        listed = getattr(fs, kind.argument).list()
    assert [model.to_dict() for model in listed] == items


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_given_fields_are_kept_as_given(kind: Kind) -> None:
    one: dict[str, Any] = {kind.argument: [{}]}
    (default,) = getattr(FakeAPI(**one), kind.argument)
    given = dict(default)
    name_field = kind.label
    given[name_field] = "given@example.com" if name_field == "email" else "given-name"
    again: dict[str, Any] = {kind.argument: [given]}
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
    return {STRING: 42, BOOLEAN: "yes", STRING_MAP: ["team", "ml"]}[field.type]


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
