"""Regression tests from an adversarial review of `make api-check`, `spec_diff.py` and
`make update-spec`: each reproduces a way the check let a breaking change through,
crashed with a traceback, or a way update-spec took a bad spec or half-changed the
project, and failed before its fix.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
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
from test_api_check import (
    ROOT,
    Spec,
    copy_project,
    edit_spec,
    git,
    note_breaking,
    regenerate,
    schemas,
    snapshot_of,
)

sys.path.insert(0, str(ROOT / "scripts"))
import api_check
import spec_diff
import update_spec

# Helpers.


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


def run_check(project: Path, *args: str) -> tuple[int, str]:
    """api_check.main on `project`: its exit code and everything it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = api_check.main(["--root", str(project), *args])
    return code, out.getvalue()


def replace(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text, f"{relative} no longer has {old!r}: update this test"
    path.write_text(text.replace(old, new, 1))


def bump(project: Path, version: str) -> None:
    (project / "fluidstack_client" / "_version.py").write_text(f'__version__ = "{version}"\n')


def no_traceback(call: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """The result of `call`; an exception escaping it is the bug being documented."""
    code, out = call()
    assert "Traceback" not in out
    return code, out


# 1. Spec edits that break users and that api-check passes ("no breaking change").
#
# griffe's find_breaking_changes does not compare attribute annotations or values, nor
# return types or parameter annotations (its _attribute_incompatibilities is a TODO and
# _returns_are_compatible returns True). The generated models are attrs classes whose
# fields are class attributes without an __init__ griffe can see, so a model field's
# type, requiredness and nullability are invisible to it. One regeneration covers all.


def _silent_spec_edits(spec: Spec) -> None:
    cluster = schemas(spec)["Cluster"]
    cluster["properties"]["name"] = {"type": "integer"}  # str -> int
    cluster["required"].append("project_id")  # optional -> required
    schemas(spec)["Region"]["properties"]["url"]["nullable"] = True  # str -> str | None
    values = schemas(spec)["ClusterType"]["enum"]
    values[values.index("slurm")] = "Slurm"  # ClusterType.SLURM's wire value changes
    response = spec["paths"]["/organizations"]["get"]["responses"]["200"]
    response["content"]["application/json"]["schema"]["items"] = {
        "$ref": "#/components/schemas/Region"
    }  # list_organizations now returns list[Region]
    get_instance = spec["paths"]["/instances/{id}"]["get"]
    get_instance["parameters"][0]["schema"] = {"type": "integer"}  # get_instance(id: int)


@pytest.fixture(scope="module")
def silent_spec_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    project = copy_project(tmp_path_factory.mktemp("silent-spec"))
    edit_spec(project, _silent_spec_edits)
    regenerate(project)
    generated = project / "fluidstack_client" / "_generated"
    cluster = (generated / "models" / "cluster.py").read_text()
    assert "name: int" in cluster, "the edit must reach the generated code"
    assert "project_id: str\n" in cluster
    assert "url: None | str" in (generated / "models" / "region.py").read_text()
    return run_check(project)[1]


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("Cluster.name", id="field-type-string-to-integer"),
        pytest.param("Cluster.project_id", id="optional-field-made-required"),
        pytest.param("Region.url", id="field-made-nullable"),
        pytest.param("ClusterType.SLURM", id="enum-wire-value-changed"),
        pytest.param("list_organizations", id="operation-return-type-changed"),
        pytest.param("get_instance(id)", id="path-parameter-type-changed"),
    ],
)
def test_a_spec_edit_that_changes_a_type_is_breaking(silent_spec_report: str, subject: str) -> None:
    assert f"BREAKING {subject}" in silent_spec_report, silent_spec_report


# 2. Hand-written public API changes that api-check passes. No regeneration needed.


@pytest.fixture(scope="module")
def silent_wrapper_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    project = copy_project(tmp_path_factory.mktemp("silent-wrapper"))
    package = "fluidstack_client/"
    # Defaults users get without asking (README: "a default changed" is breaking).
    replace(project, package + "_config.py", "Timeout(30.0, connect=10.0)", "Timeout(1.0)")
    replace(project, package + "_retry.py", "DEFAULT_MAX_RETRIES = 2", "DEFAULT_MAX_RETRIES = 0")
    # No longer exported: `from fluidstack_client import *` loses it (import kept).
    replace(project, package + "__init__.py", '    "FluidctlToken",\n', "")
    # (A name dropped from the runtime `_LAZY` table is invisible to static analysis;
    # tests/test_packaging.py's test_every_public_name_resolves catches it.)
    # `except APIStatusError` no longer catches a 404.
    replace(
        project,
        package + "errors.py",
        "class NotFoundError(APIStatusError):",
        "class NotFoundError(APIError):",
    )
    # `await fs.instances.get(...)` now fails: it returns an Instance, not a coroutine.
    replace(
        project,
        package + "_async_resources.py",
        "    async def get(self, instance_id",
        "    def get(self, instance_id",
    )
    return run_check(project)[1]


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("DEFAULT_TIMEOUT", id="exported-default-timeout-changed"),
        pytest.param("DEFAULT_MAX_RETRIES", id="exported-default-retries-changed"),
        pytest.param("FluidctlToken", id="name-removed-from-__all__"),
        pytest.param("NotFoundError", id="error-class-base-replaced"),
        pytest.param("AsyncInstances.get", id="async-method-made-sync"),
    ],
)
def test_a_wrapper_change_that_breaks_callers_is_breaking(
    silent_wrapper_report: str, subject: str
) -> None:
    assert f"BREAKING {subject}" in silent_wrapper_report, silent_wrapper_report


# 3. The CHANGELOG and version rules.

_CHANGE = api_check.Change


def test_a_changelog_entry_naming_a_longer_name_does_not_acknowledge_a_shorter_one() -> None:
    changelog = "## Unreleased\n\n### Breaking\n- `ClusterType.SLURM` removed.\n"
    changes = [_CHANGE("ClusterType", "Public object was removed")]
    found = api_check.problems(changes, "0.1.0", "0.2.0", changelog)
    assert any("naming: ClusterType" in f for f in found), found


@pytest.mark.parametrize(
    "changelog",
    [
        pytest.param(
            "## Unreleased\n\n## 0.2.0 (2026-12-01)\n\n### Breaking\n- `Cluster.project_id` gone\n",
            id="empty-unreleased-above-the-version",
        ),
        pytest.param(
            "## [Unreleased]\n\n### Breaking\n- `Cluster.project_id` gone\n",
            id="keep-a-changelog-brackets",
        ),
    ],
)
def test_a_breaking_entry_in_the_right_place_is_found(changelog: str) -> None:
    changes = [_CHANGE("Cluster.project_id", "Public object was removed")]
    assert api_check.problems(changes, "0.1.0", "0.2.0", changelog) == []


def test_a_changelog_entry_using_the_exported_name_of_an_error_attribute_passes(
    project: Path,
) -> None:
    replace(project, "fluidstack_client/errors.py", "        self.body = body\n", "")
    bump(project, "0.2.0")
    note_breaking(project, "`APIStatusError.body` removed: read `exc.response` instead.")
    code, out = run_check(project)
    assert code == 0, out


@pytest.mark.parametrize(
    ("old", "new"),
    [("1.0.0rc1", "1.0.0"), ("0.2.0.dev1", "0.2.0")],
)
def test_a_pre_release_baseline_does_not_force_the_next_major(old: str, new: str) -> None:
    assert api_check.bump_needed(old, new) is None


# 4. Baselines: errors must be one line, never a traceback; the baseline must be right.


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated-gzip"),
        pytest.param(
            lambda data: gzip.compress(
                json.dumps({"api": json.loads(gzip.decompress(data))["api"]}).encode()
            ),
            id="no-version-key",
        ),
    ],
)
def test_a_corrupt_snapshot_is_a_one_line_error(
    project: Path, corrupt: Callable[[bytes], bytes]
) -> None:
    snapshot = project / "api" / "public-api.json.gz"
    snapshot.write_bytes(corrupt(snapshot.read_bytes()))
    code, out = no_traceback(lambda: run_check(project))
    assert code == 2
    assert out.startswith("api-check: error: cannot read the API snapshot"), out


def test_a_base_from_before_the_wrapper_does_not_crash(project: Path) -> None:
    resources = project / "fluidstack_client" / "_sync_resources.py"
    kept = resources.read_bytes()
    resources.unlink()
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "before the sync wrapper")
    resources.write_bytes(kept)
    code, out = no_traceback(lambda: run_check(project, "--base", "HEAD"))
    assert code in (0, 2), out


def test_a_leftover_griffe_branch_does_not_crash_the_check(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "0.1.0")
    git(project, "tag", "v0.1.0")
    git(project, "branch", "griffe-v0-1-0")
    code, out = no_traceback(lambda: run_check(project))
    assert code == 0, out


def test_a_tagged_release_is_compared_with_the_previous_release(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "0.1.0")
    git(project, "tag", "v0.1.0")
    replace(
        project,
        "fluidstack_client/_async_resources.py",
        "    async def register(",
        "    async def _register(",
    )
    bump(project, "0.2.0")  # bumped, but the CHANGELOG does not name the break
    git(project, "commit", "-q", "-am", "0.2.0")
    git(project, "tag", "v0.2.0")
    code, out = run_check(project)
    assert "compared with git ref v0.1.0" in out, out
    assert code == 1, out


# 5. make update-spec.


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """A 127.0.0.1 server answering any GET with a schema, recording the paths asked."""
    import http.server

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
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    schemas(spec)["Cluster"]["properties"]["extra"] = {"$ref": ref}
    return yaml.safe_dump(spec, sort_keys=False).encode()


def test_validating_a_spec_fetches_nothing_its_refs_name(
    recording_server: tuple[str, list[str]],
) -> None:
    url, hits = recording_server
    with contextlib.suppress(update_spec.Refused):
        update_spec.check("spec", _spec_with_ref(f"{url}/remote.yaml"))
    assert hits == []


def test_validating_a_spec_reads_no_local_file_its_refs_name(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("TOPSECRET-4242\n")
    with pytest.raises(update_spec.Refused) as refused:
        update_spec.check("spec", _spec_with_ref(secret.as_uri()))
    assert "TOPSECRET" not in str(refused.value)


@pytest.mark.parametrize("kind", ["fifo", "device", "huge-sparse-file"])
def test_an_endless_or_huge_spec_file_is_refused_without_reading_it(
    tmp_path: Path, kind: str
) -> None:
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


def test_a_yaml_alias_bomb_is_refused_quickly(project: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(10))
    assert bomb.stat().st_size < 1000
    script = ROOT / "scripts" / "update_spec.py"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(script), str(bomb), "--root", str(project)],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"update-spec still validating after {time.monotonic() - started:.0f} s")
    assert done.returncode == 1, done.stderr


def test_a_tab_indented_json_spec_is_accepted() -> None:
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    data = json.dumps(spec, indent="\t").encode()
    assert json.loads(data) == spec
    assert update_spec.check("openapi.json", data) == spec


def test_a_swagger_2_spec_is_refused_by_validation() -> None:
    swagger = b"swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n"
    with pytest.raises(update_spec.Refused, match="not OpenAPI 3"):
        update_spec.check("swagger.yaml", swagger)


def test_an_interrupted_update_leaves_the_spec_unchanged(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
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


# 6. The spec summary (spec_diff.py): what CI writes into the job summary.


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
    old = ROOT / "spec" / "openapi.yaml"
    spec = yaml.safe_load(old.read_text())
    schemas(spec)["Cluster"].update(malformed)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec))
    code = spec_diff.main([str(old), str(new)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code == 0 or (code, captured.err.count("\n")) == (2, 1), captured.err


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
    old: Spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    new: Spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    if change is _model_property_enum_value_removed:
        schemas(old)["Invitation"]["properties"]["role"]["enum"] = ["admin", "editor", "viewer"]
    change(new)
    text = spec_diff.render(spec_diff.diff(old, new), markdown=False)
    assert name in text, text


def test_spec_diff_sees_path_level_parameters() -> None:
    old: Spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    new: Spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    item = new["paths"]["/instances/{id}"]
    item["parameters"] = item["get"].pop("parameters")
    assert spec_diff.diff(old, new) == []
