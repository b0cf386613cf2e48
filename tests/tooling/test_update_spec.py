"""`make update-spec` (scripts/update_spec.py) and the spec summary (scripts/spec_diff.py):
a new spec is validated before it is taken, a bad one (invalid, unsafe, endless) changes
nothing, a good one is taken and regenerated, and what changed is said in terms users
notice."""

from __future__ import annotations

import contextlib
import copy
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.tooling_project import (
    ROOT,
    SCRIPTS,
    SPEC,
    Spec,
    add_operation,
    add_optional_field,
    add_required_argument,
    bump,
    copy_project,
    load_spec,
    note_breaking,
    remove_enum_value,
    remove_field,
    replace,
    schemas,
    snapshot_of,
)

sys.path.insert(0, str(SCRIPTS))
import spec_diff
import spec_rules
import update_spec

pytestmark = pytest.mark.tooling


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


# -- a spec that is refused changes nothing ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "openapi: 3.0.3\npaths: {}\n",
            'not a valid OpenAPI document: "info" is a required property',
        ),
        ("swagger: nope\n", "is not OpenAPI 3.x"),
        ("openapi: [unclosed\n", "is not YAML or JSON"),
        ("- a list\n", "not an OpenAPI document (no mapping at the top)"),
    ],
)
def test_update_spec_refuses_an_invalid_spec_and_changes_nothing(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    before = snapshot_of(project)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert update_spec.main([str(bad), "--api", "management", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"update-spec: {bad} ")
    assert message in err
    assert snapshot_of(project) == before


def test_update_spec_names_the_api_whose_spec_it_replaces(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two specs (issue 20): which one is replaced is never guessed."""
    new = tmp_path / "new.yaml"
    new.write_text((project / "spec" / "openapi.yaml").read_text())
    before = snapshot_of(project)
    with pytest.raises(SystemExit) as info:
        update_spec.main([str(new), "--root", str(project)])
    assert info.value.code == 2
    assert "--api" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        update_spec.main([str(new), "--api", "billing", "--root", str(project)])
    assert "invalid choice: 'billing'" in capsys.readouterr().err
    assert update_spec.main([str(new), "--api", "management", "--root", str(project)]) == 0
    assert "spec/openapi.yaml is already this spec; nothing to do" in capsys.readouterr().out
    assert snapshot_of(project) == before


def test_update_spec_refuses_a_dangling_ref_with_the_validators_message(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_spec()
    del schemas(spec)["Cluster"]  # ListClusters still points at it
    bad = tmp_path / "dangling.yaml"
    bad.write_text(yaml.safe_dump(spec))
    before = snapshot_of(project)
    assert update_spec.main([str(bad), "--api", "management", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "/components/schemas/Cluster" in err
    assert len(err) < 500, "the validator's message is cut, not the whole document"
    assert snapshot_of(project) == before


def test_a_swagger_2_spec_is_refused_by_validation() -> None:
    """(review finding)"""
    swagger = b"swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n"
    with pytest.raises(update_spec.Refused, match="not OpenAPI 3"):
        update_spec.check("swagger.yaml", swagger)


def test_a_tab_indented_json_spec_is_accepted() -> None:
    """JSON is read as JSON, not as YAML (which refuses tabs) (review finding)."""
    spec = load_spec()
    data = json.dumps(spec, indent="\t").encode()
    assert json.loads(data) == spec
    assert update_spec.check("openapi.json", data) == spec


def test_an_interrupted_update_leaves_the_spec_unchanged(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during regeneration puts the spec and the client back (review finding)."""
    spec = load_spec()
    schemas(spec)["Cluster"]["properties"]["labels"] = {"type": "string"}
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec, sort_keys=False))
    before = snapshot_of(project)

    def interrupted(root: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(update_spec, "regenerate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        update_spec.update(project, str(new))
    assert snapshot_of(project) == before


# -- a spec is only read: no $ref is followed, no endless or huge input is read ----------


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """A 127.0.0.1 server answering any GET with a schema, recording the paths asked."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b"type: object\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def _spec_with_ref(ref: str) -> bytes:
    spec = load_spec()
    schemas(spec)["Cluster"]["properties"]["extra"] = {"$ref": ref}
    return yaml.safe_dump(spec, sort_keys=False).encode()


def test_validating_a_spec_fetches_nothing_its_refs_name(
    recording_server: tuple[str, list[str]],
) -> None:
    """The validator would fetch a remote $ref (review finding)."""
    url, hits = recording_server
    with contextlib.suppress(update_spec.Refused):
        update_spec.check("spec", _spec_with_ref(f"{url}/remote.yaml"))
    assert hits == []


def test_validating_a_spec_reads_no_local_file_its_refs_name(tmp_path: Path) -> None:
    """The validator would read a file:// $ref into its message (review finding)."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("TOPSECRET-4242\n")
    with pytest.raises(update_spec.Refused) as refused:
        update_spec.check("spec", _spec_with_ref(secret.as_uri()))
    assert "TOPSECRET" not in str(refused.value)


@pytest.mark.parametrize("kind", ["fifo", "device", "huge-sparse-file"])
def test_an_endless_or_huge_spec_file_is_refused_without_reading_it(
    tmp_path: Path, kind: str
) -> None:
    """(review finding)"""
    if kind == "fifo":
        source = tmp_path / "spec.fifo"
        os.mkfifo(source)  # opening it to read would block until a writer comes
        expected = "is not a regular file"
    elif kind == "device":
        source = Path("/dev/zero")
        expected = "is not a regular file"
    else:
        source = tmp_path / "huge.yaml"
        with source.open("wb") as f:
            f.truncate(update_spec.MAX_SPEC_BYTES * 64)  # 1 GiB, sparse
        expected = "is larger than"
    started = time.monotonic()
    with pytest.raises(update_spec.Refused, match=expected):
        update_spec.fetch(str(source))
    assert time.monotonic() - started < 2


def test_an_oversized_download_is_refused_by_size() -> None:
    """(review finding)"""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (1 << 30))
            with contextlib.suppress(OSError):
                for _ in range(update_spec.MAX_SPEC_BYTES // (1 << 20) + 1):
                    conn.sendall(b"#" * (1 << 20))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(update_spec.Refused) as refused:
            update_spec.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/openapi.yaml")
        assert "larger than" in str(refused.value)
    finally:
        thread.join(10)
        listener.close()


def _alias_bomb(levels: int) -> str:
    lines = [
        "openapi: 3.0.3",
        "info: {title: t, version: '1'}",
        "paths: {}",
        "components:",
        "  schemas:",
        "    L0: &l0 {type: string}",
    ]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 5)
        lines.append(f"    L{level}: &l{level} {{allOf: [{refs}]}}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_yaml_alias_bomb_is_refused_quickly(project: Path, tmp_path: Path) -> None:
    """Under 1 kB that expands to 5**10 schemas (review finding)."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(10))
    assert bomb.stat().st_size < 1000
    script = SCRIPTS / "update_spec.py"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(script), str(bomb), "--api", "management", "--root", str(project)],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"update-spec still validating after {time.monotonic() - started:.0f} s")
    assert done.returncode == 1, done.stderr


# -- a good spec is taken, regenerated and summarised ------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An http server on 127.0.0.1 serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", www
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_update_spec_from_a_url_takes_the_spec_regenerates_and_summarises(
    project: Path, served: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, www = served
    spec = load_spec()
    add_optional_field(spec)
    data = yaml.safe_dump(spec, sort_keys=False).encode()
    (www / "openapi.yaml").write_bytes(data)

    assert (
        update_spec.main([f"{url}/openapi.yaml", "--api", "management", "--root", str(project)])
        == 0
    )
    out = capsys.readouterr().out
    assert (project / "spec" / "openapi.yaml").read_bytes() == data
    cluster = (
        project / "fluidstack_client" / "_generated" / "management" / "models" / "cluster.py"
    ).read_text()
    assert "labels: str | Unset = UNSET" in cluster
    assert "spec: field added: Cluster.labels (optional, string)" in out
    assert "api-check: no breaking change" in out
    assert "BREAKING" not in out


@pytest.mark.slow
def test_update_spec_says_when_the_new_spec_breaks_users(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_spec()
    remove_enum_value(spec)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert update_spec.main([str(new), "--api", "management", "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert "spec: enum value removed: ClusterType.slurm" in out
    assert "BREAKING ClusterType.SLURM: Public object was removed" in out
    assert "the change is BREAKING: bump the version and name it in CHANGELOG.md" in out
    assert (
        "SLURM"
        not in (
            project
            / "fluidstack_client"
            / "_generated"
            / "management"
            / "models"
            / "cluster_type.py"
        ).read_text()
    )


# -- the spec summary (what update-spec prints and CI writes to the job summary) ---------


def test_the_spec_summary_names_operations_models_fields_and_values() -> None:
    old = load_spec()
    new = load_spec()
    for change in (remove_field, remove_enum_value, add_required_argument, add_operation):
        change(new)
    add_optional_field(new)
    del schemas(new)["Relation"]
    body = new["paths"]["/invitations"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"]["required"].remove("email")
    text = spec_diff.render(spec_diff.diff(old, new), markdown=False)
    assert text.splitlines() == [
        "spec: operation changed: ListClusters (required parameter query project added)",
        "spec: operation added: ListProjects (GET /projects)",
        "spec: model removed: Relation",
        "spec: field added: Cluster.labels (optional, string)",
        "spec: field removed: Cluster.project_id",
        "spec: field changed: CreateInvitation body.email (no longer required)",
        "spec: enum value removed: ClusterType.slurm",
    ]
    table = spec_diff.render(spec_diff.diff(old, new), markdown=True)
    assert "| removed | field | `Cluster.project_id` |  |" in table
    assert spec_diff.render(spec_diff.diff(old, old), markdown=False) == (
        "spec: no change to operations, models or fields"
    )


def _nullable(spec: Spec) -> None:
    schemas(spec)["Cluster"]["properties"]["name"]["nullable"] = True


def _body_enum_value_removed(spec: Spec) -> None:
    body = spec["paths"]["/members/{id}"]["patch"]["requestBody"]
    body["content"]["application/json"]["schema"]["properties"]["role"]["enum"].remove("editor")


def _response_model_changed(spec: Spec) -> None:
    response = spec["paths"]["/clusters"]["get"]["responses"]["200"]
    response["content"]["application/json"]["schema"]["items"]["$ref"] = (
        "#/components/schemas/Instance"
    )


def _parameter_type_changed(spec: Spec) -> None:
    spec["paths"]["/instances/{id}"]["get"]["parameters"][0]["schema"] = {"type": "integer"}


def _model_property_enum_value_removed(spec: Spec) -> None:
    schemas(spec)["Invitation"]["properties"]["role"]["enum"] = ["admin", "viewer"]


@pytest.mark.parametrize(
    ("change", "name"),
    [
        pytest.param(_nullable, "Cluster.name", id="field-made-nullable"),
        pytest.param(_body_enum_value_removed, "UpdateMember", id="body-enum-value-removed"),
        pytest.param(_response_model_changed, "ListClusters", id="response-model-changed"),
        pytest.param(_parameter_type_changed, "GetInstance", id="parameter-type-changed"),
        pytest.param(_model_property_enum_value_removed, "Invitation.role", id="inline-enum"),
    ],
)
def test_spec_diff_reports_a_change_users_notice(change: Callable[[Spec], None], name: str) -> None:
    """Each was missing from the summary (review finding)."""
    old = load_spec()
    new = load_spec()
    if change is _model_property_enum_value_removed:
        schemas(old)["Invitation"]["properties"]["role"]["enum"] = ["admin", "editor", "viewer"]
    change(new)
    text = spec_diff.render(spec_diff.diff(old, new), markdown=False)
    assert name in text, text


def test_spec_diff_sees_path_level_parameters() -> None:
    """A parameter moved from the operation to its path is no change (review finding)."""
    old = load_spec()
    new = load_spec()
    item = new["paths"]["/instances/{id}"]
    item["parameters"] = item["get"].pop("parameters")
    assert spec_diff.diff(old, new) == []


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param({"required": True}, id="required-true"),
        pytest.param({"required": [["name"]]}, id="required-unhashable"),
        pytest.param({"enum": 5}, id="enum-scalar"),
    ],
)
def test_spec_diff_on_a_malformed_spec_does_not_crash(
    tmp_path: Path, malformed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """One line or a summary, never a traceback (review finding)."""
    spec = load_spec()
    schemas(spec)["Cluster"].update(malformed)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec))
    code = spec_diff.main([str(SPEC), str(new)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code == 0 or (code, captured.err.count("\n")) == (2, 1), captured.err


# -- a spec that would generate a broken package is refused (scripts/spec_rules.py) -------


@pytest.fixture(scope="module")
def rules_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for the refusals: each leaves it exactly as it was (asserted)."""
    return copy_project(tmp_path_factory.mktemp("rules"))


def _add_schema(name: str) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        schemas(spec)[name] = {"type": "object", "properties": {"a": {"type": "string"}}}

    return change


def _add_property(name: str) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        schemas(spec)["Cluster"]["properties"][name] = {"type": "string"}

    return change


def _add_query_parameter(name: str) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        parameter = {"name": name, "in": "query", "schema": {"type": "string"}}
        spec["paths"]["/clusters"]["get"].setdefault("parameters", []).append(parameter)

    return change


def _operation_mangled_onto_another(spec: Spec) -> None:
    operation = dict(copy.deepcopy(spec["paths"]["/clusters"]["get"]), operationId="list_clusters")
    spec["paths"]["/clusters/{id}"] = {
        "get": dict(
            operation,
            parameters=[
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
        )
    }


def _enum_values_mangled_onto_one(spec: Spec) -> None:
    schemas(spec)["ClusterType"]["enum"].append("SLURM")


def _body_the_generator_cannot_read(spec: Spec) -> None:
    body = spec["paths"]["/invitations"]["post"]["requestBody"]
    body["content"] = {"application/xml": {"schema": {"type": "string"}}}


def _operation_the_wrapper_imports_removed(spec: Spec) -> None:
    del spec["paths"]["/instances/{id}"]


def _import_line(module: str, text: str) -> int:
    lines = (ROOT / "fluidstack_client" / module).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def _array_beside_its_item(spec: Spec) -> None:
    """`aliases` is read in a loop over `aliases_item`: the other field's value."""
    instance = schemas(spec)["Instance"]
    instance["properties"]["aliases"] = {"type": "array", "items": {"type": "string"}}
    instance["properties"]["aliases_item"] = {"type": "string"}
    instance["required"].append("aliases_item")


def _union_beside_its_member(spec: Spec) -> None:
    schemas(spec)["Instance"]["properties"]["ip_type_0"] = {"type": "string"}


def _property_named_like_the_model(spec: Spec) -> None:
    """Instance.from_dict binds `instance` to the model, then counts the optional
    fields read (`+ (instance is not UNSET)`) to know if any key is left."""
    schemas(spec)["Instance"]["properties"]["instance"] = {"type": "string"}


def _query_parameter_beside_its_local(local: str) -> Callable[[Spec], None]:
    def change(spec: Spec) -> None:
        parameters = spec["paths"]["/clusters"]["get"].setdefault("parameters", [])
        uuids = {"type": "array", "items": {"type": "string", "format": "uuid"}}
        parameters.append({"name": "ids", "in": "query", "schema": uuids})
        parameters.append({"name": local, "in": "query", "schema": {"type": "string"}})

    return change


def _header_renamed(spec: Spec) -> None:
    """The wrapper passes x_project_id=: every call would raise TypeError."""
    spec["paths"]["/instances"]["get"]["parameters"][0]["name"] = "X-Project"


def _required_query_parameter_added(spec: Spec) -> None:
    page = {"name": "page", "in": "query", "required": True, "schema": {"type": "integer"}}
    spec["paths"]["/instances"]["get"]["parameters"].append(page)


def _response_swapped(spec: Spec) -> None:
    """`fs.instances.get()` would return a Cluster built from an instance's JSON."""
    ok = spec["paths"]["/instances/{id}"]["get"]["responses"]["200"]
    ok["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/Cluster"}


def _response_without_body(spec: Spec) -> None:
    responses = spec["paths"]["/instances/{id}"]["get"]["responses"]
    del responses["200"]
    responses["204"] = {"description": "no body"}


def _list_response_made_one(spec: Spec) -> None:
    ok = spec["paths"]["/regions"]["get"]["responses"]["200"]
    ok["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/Region"}


def _call_line(module: str, text: str) -> str:
    return f"fluidstack_client/{module}:{_import_line(module, text)}"


TYPES = "which the generated package already has (its types module's"
MEMBER = "a name every generated model already has or uses"
LOCAL = "a local the generated model code binds for"
BROKEN_SPECS = [
    pytest.param(
        _add_schema("Cluster-Type"),
        "schemas 'ClusterType' and 'Cluster-Type' both become class ClusterType",
        id="two-schemas-one-class",
    ),
    pytest.param(
        _add_schema("SshKey"),
        "classes SSHKey and SshKey both become module models/ssh_key.py",
        id="two-schemas-one-module",
    ),
    pytest.param(
        _operation_mangled_onto_another,
        "operations GET /clusters and GET /clusters/{id} both become function list_clusters",
        id="two-operations-one-function",
    ),
    pytest.param(
        _add_schema("Unset"), f"schema 'Unset' becomes class Unset, {TYPES} Unset)", id="Unset"
    ),
    pytest.param(
        _add_schema("Response"),
        f"schema 'Response' becomes class Response, {TYPES} Response)",
        id="Response",
    ),
    pytest.param(
        _add_schema("File"), f"schema 'File' becomes class File, {TYPES} File)", id="File"
    ),
    pytest.param(
        _add_schema("Client"),
        "schema 'Client' becomes class Client, which the generated package already has "
        "(a name its modules use: Client)",
        id="Client",
    ),
    *(
        pytest.param(
            _add_property(name),
            f"schema Cluster property {name!r} becomes attribute {attribute}, {MEMBER}",
            id=f"property-{attribute}",
        )
        for name, attribute in [
            ("to_dict", "to_dict"),
            ("fromDict", "from_dict"),
            ("additionalProperties", "additional_properties"),
            ("additional_keys", "additional_keys"),
            ("d", "d"),
        ]
    ),
    pytest.param(
        _add_query_parameter("params"),
        "operation GET /clusters parameter 'params' becomes argument params, "
        "a name every generated endpoint already uses",
        id="parameter-params",
    ),
    pytest.param(
        _enum_values_mangled_onto_one,
        "the generator refuses it: ValueError: Duplicate key SLURM in enum "
        "cluster_type.ClusterType; consider setting literal_enums in your config",
        id="generator-raises",
    ),
    pytest.param(
        _body_the_generator_cannot_read,
        "the generator warns (fatal with --fail-on-warning): WARNING parsing POST "
        "/invitations within invitations. Endpoint will not be generated: Unsupported "
        "content type application/xml",
        id="generator-warns",
    ),
    pytest.param(
        _array_beside_its_item,
        f"schema Instance property 'aliases_item' becomes attribute aliases_item, {LOCAL} "
        "property 'aliases': one would overwrite the other",
        id="property-named-like-an-array-loop-variable",
    ),
    pytest.param(
        _union_beside_its_member,
        f"schema Instance property 'ip_type_0' becomes attribute ip_type_0, {LOCAL} "
        "property 'ip': one would overwrite the other",
        id="property-named-like-a-union-member",
    ),
    pytest.param(
        _property_named_like_the_model,
        f"schema Instance property 'instance' becomes attribute instance, {LOCAL} "
        "the model from_dict builds: one would overwrite the other",
        id="property-named-like-the-model-local",
    ),
    *(
        pytest.param(
            _query_parameter_beside_its_local(local),
            f"operation GET /clusters parameter {local!r} becomes argument {local}, a local "
            "the generated endpoint binds for query parameter 'ids': one would overwrite "
            "the other",
            id=f"parameter-named-like-a-local-{local}",
        )
        for local in ("json_ids", "ids_item")
    ),
    pytest.param(
        _header_renamed,
        "operation ListInstances (GET /instances): the wrapper passes x_project_id=, which "
        "is not a parameter of it (in AsyncInstances.list, "
        f"{_call_line('_async_resources.py', 'list_instances.asyncio_detailed')}) (and 1 more)",
        id="wrapper-passes-a-parameter-gone",
    ),
    pytest.param(
        _required_query_parameter_added,
        "operation ListInstances (GET /instances): required query parameter 'page' "
        "(argument page) is not passed by the wrapper (in AsyncInstances.list, "
        f"{_call_line('_async_resources.py', 'list_instances.asyncio_detailed')}) (and 1 more)",
        id="wrapper-misses-a-required-parameter",
    ),
    pytest.param(
        _response_swapped,
        "operation GetInstance (GET /instances/{id}): its success response parses to "
        "Cluster, not the Instance the wrapper returns (in AsyncInstances.get, "
        f"{_call_line('_async_resources.py', 'get_instance.asyncio_detailed')}) (and 1 more)",
        id="wrapper-returns-another-model",
    ),
    pytest.param(
        _response_without_body,
        "operation GetInstance (GET /instances/{id}): its success response has no body, "
        "and the wrapper needs one (in AsyncInstances.get, "
        f"{_call_line('_async_resources.py', 'get_instance.asyncio_detailed')}) (and 1 more)",
        id="wrapper-needs-a-body-gone",
    ),
    pytest.param(
        _list_response_made_one,
        "operation ListRegions (GET /regions): its success response parses to Region, not "
        "the list[Region] the wrapper returns (in AsyncFluidstack._fetch_regions, "
        f"{_call_line('_async_client.py', 'list_regions.asyncio_detailed')}) (and 3 more)",
        id="wrapper-result-unannotated",
    ),
    pytest.param(
        _operation_the_wrapper_imports_removed,
        "the wrapper imports get_instance from _generated.management.api.instances "
        f"(fluidstack_client/_async_resources.py:"
        f"{_import_line('_async_resources.py', 'import get_instance')}); "
        "the spec no longer generates it (and 1 more)",
        id="wrapper-import-gone",
    ),
]


@pytest.mark.parametrize(("change", "message"), BROKEN_SPECS)
def test_update_spec_refuses_a_spec_that_generates_a_broken_package(
    rules_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Spec], None],
    message: str,
) -> None:
    """Each accepted by the generator (or failing it with a long traceback), each
    yielding a package that imports but fails, or does not import (issue 22)."""
    spec = load_spec()
    change(spec)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(spec, sort_keys=False))
    before = snapshot_of(rules_project)
    code = update_spec.main([str(bad), "--api", "management", "--root", str(rules_project)])
    assert (code, capsys.readouterr().err) == (1, f"update-spec: {bad}: {message}\n")
    assert snapshot_of(rules_project) == before


def test_both_committed_specs_follow_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """What `make check-generated` runs first."""
    assert spec_rules.main([]) == 0
    assert capsys.readouterr().out == (
        "spec-rules: spec/openapi.yaml, spec/atlas-region-v1alpha1.yaml pass\n"
    )


def test_the_rules_name_a_broken_spec_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python scripts/spec_rules.py --api A FILE`: one line however many problems."""
    spec = load_spec()
    for name in ("Response", "Unset"):
        _add_schema(name)(spec)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(spec))
    assert spec_rules.main([str(bad), "--api", "management"]) == 1
    assert capsys.readouterr().err == (
        f"spec-rules: {bad}: schema 'Response' becomes class Response, {TYPES} Response) "
        "(and 1 more)\n"
    )


def _swap_delete_operations(spec: Spec) -> None:
    """DeleteMember (tag members) is now DELETE /invitations/{id}, and back."""
    member = spec["paths"]["/members/{id}"]["delete"]
    invitation = spec["paths"]["/invitations/{id}"]["delete"]
    for key in ("operationId", "tags"):
        member[key], invitation[key] = invitation[key], member[key]


def test_update_spec_refuses_an_operation_bound_to_another_request(
    rules_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fs.members.delete(id)` would delete an invitation: both functions still exist
    with the same arguments, so only the operation tables show it (issue 22)."""
    spec = load_spec()
    _swap_delete_operations(spec)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec, sort_keys=False))
    before = snapshot_of(rules_project)
    code = update_spec.main([str(new), "--api", "management", "--root", str(rules_project)])
    assert (code, capsys.readouterr().err) == (
        1,
        f"update-spec: {new}: delete_invitation: DELETE /invitations/{{id}} is now operation "
        "delete_member, a breaking change the version and CHANGELOG do not admit: breaking "
        "changes need version 0.2.0 or later; _version.py says 0.1.0\n",
    )
    assert snapshot_of(rules_project) == before


@pytest.mark.slow
def test_an_admitted_rebinding_is_taken_and_api_check_reports_it(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_spec()
    _swap_delete_operations(spec)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec, sort_keys=False))
    bump(project, "0.2.0")
    note_breaking(project, "`delete_member` and `delete_invitation` swap their requests")
    assert update_spec.main([str(new), "--api", "management", "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert (
        "BREAKING delete_member: Operation now sends DELETE /invitations/{id}, not "
        "DELETE /members/{id}"
    ) in out
    assert "BREAKING delete_invitation: DELETE /invitations/{id} is now operation" in out
    assert "api-check: breaking changes acknowledged by the version and CHANGELOG" in out


@pytest.mark.slow
def test_a_generator_failure_is_one_line_and_changes_nothing(
    rules_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the rules do not foresee, the generator's run does: its cause, not its
    120-line traceback (issue 22)."""
    monkeypatch.setattr(spec_rules, "problems", lambda *args: [])
    spec = load_spec()
    _enum_values_mangled_onto_one(spec)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(spec, sort_keys=False))
    before = snapshot_of(rules_project)
    code = update_spec.main([str(bad), "--api", "management", "--root", str(rules_project)])
    assert (code, capsys.readouterr().err) == (
        1,
        f"update-spec: {bad}: the generator fails: ValueError: Duplicate key SLURM in enum "
        "cluster_type.ClusterType; consider setting literal_enums in your config; nothing "
        "was changed\n",
    )
    assert snapshot_of(rules_project) == before


REGION_SPEC = ROOT / "spec" / "atlas-region-v1alpha1.yaml"


def test_update_spec_refuses_a_region_spec_whose_calls_no_longer_fit(
    rules_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """X-PROJECT-ID renamed: every regional call would fail with "unexpected keyword
    argument 'x_project_id'" (the wrapper's `_in_project` helper adds it)."""
    spec = yaml.safe_load(REGION_SPEC.read_text())
    spec["components"]["parameters"]["X-PROJECT-ID"]["name"] = "X-Project"
    bad = tmp_path / "region.yaml"
    bad.write_text(yaml.safe_dump(spec, sort_keys=False))
    before = snapshot_of(rules_project)
    code = update_spec.main([str(bad), "--api", "region", "--root", str(rules_project)])
    err = capsys.readouterr().err
    line = _call_line("_async_region_resources.py", "list_instances.asyncio_detailed")
    assert (code, err.count("\n")) == (1, 1), err
    assert err.startswith(
        f"update-spec: {bad}: operation ListInstances (GET /instances): the wrapper passes "
        f"x_project_id=, which is not a parameter of it (in AsyncRegionInstances.list, {line}) "
        "(and "
    ), err
    assert snapshot_of(rules_project) == before


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        pytest.param(
            "return await self._client._call(get_instance.asyncio_detailed, instance)",
            "detailed = get_instance.asyncio_detailed\n"
            "        return await self._client._call(detailed, instance)",
            "get_instance.asyncio_detailed is not the first argument of a call",
            id="endpoint-in-a-variable",
        ),
        pytest.param(
            "return await self._client._call(get_instance.asyncio_detailed, instance)",
            "return await self._client._call(get_instance.asyncio_detailed, *[instance])",
            "self._client._call(get_instance.asyncio_detailed, *[instance]) passes *args "
            "or **kwargs",
            id="star-args",
        ),
        pytest.param(
            "return await self._client._call(get_instance.asyncio_detailed, instance)",
            "return (await self._client._call(get_instance.asyncio_detailed, instance),)[0]",
            "its result is neither returned, assigned to a name nor discarded",
            id="result-used-otherwise",
        ),
    ],
)
def test_a_wrapper_call_the_rules_cannot_read_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, why: str
) -> None:
    """Never skipped: a call whose arguments or result the rule cannot follow would let
    a spec that breaks it through."""
    project = tmp_path / "project"  # what the rules read, without copy_project's snapshot
    for piece in ("fluidstack_client", "spec"):
        shutil.copytree(ROOT / piece, project / piece, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "generator-config.yaml", project)
    module = "fluidstack_client/_async_resources.py"
    line = _import_line("_async_resources.py", old)
    replace(project, module, old, new)
    assert spec_rules.main(["--root", str(project)]) == 1
    assert capsys.readouterr().err == (
        f"spec-rules: spec/openapi.yaml: the wrapper calls get_instance in a form the rules "
        f"cannot read: {why} (in AsyncInstances.get, {module}:{line})\n"
    )
