"""`make api-check` and `make update-spec`: a spec change that breaks users is caught.

Each test takes a copy of the project, edits its spec as a spec author would,
regenerates the client and runs the check, as CI does on a spec pull request.
"""

from __future__ import annotations

import gzip
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import api_check  # noqa: E402
import spec_diff  # noqa: E402
import update_spec  # noqa: E402

PIECES = [
    "fluidstack_client",
    "spec",
    "templates",
    "generator-config.yaml",
    "scripts",
    "api",
    "CHANGELOG.md",
]
Spec = dict[str, Any]


def copy_project(where: Path) -> Path:
    """A copy of the project outside any git repository (so the snapshot is the baseline)."""
    copy = where / "project"
    for piece in PIECES:
        source = ROOT / piece
        if source.is_dir():
            shutil.copytree(source, copy / piece, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / piece)
    return copy


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


def edit_spec(project: Path, change: Callable[[Spec], None]) -> None:
    path = project / "spec" / "openapi.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def regenerate(project: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([str(project / "scripts" / "generate.sh")], cwd=project, env=env, check=True)


def check(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = api_check.main(["--root", str(project), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def schemas(spec: Spec) -> Spec:
    found: Spec = spec["components"]["schemas"]
    return found


def remove_field(spec: Spec) -> None:
    del schemas(spec)["Cluster"]["properties"]["project_id"]


def remove_enum_value(spec: Spec) -> None:
    schemas(spec)["ClusterType"]["enum"].remove("slurm")


def remove_operation(spec: Spec) -> None:
    del spec["paths"]["/clusters"]


def add_required_argument(spec: Spec) -> None:
    spec["paths"]["/clusters"]["get"]["parameters"] = [
        {"name": "project", "in": "query", "required": True, "schema": {"type": "string"}}
    ]


def add_optional_field(spec: Spec) -> None:
    schemas(spec)["Cluster"]["properties"]["labels"] = {"type": "string"}


def add_operation(spec: Spec) -> None:
    operation = dict(spec["paths"]["/clusters"]["get"], operationId="ListProjects")
    spec["paths"]["/projects"] = {"get": dict(operation, tags=["Projects"])}


BREAKING = [
    pytest.param(remove_field, "Cluster.project_id", "Public object was removed", id="field"),
    pytest.param(remove_enum_value, "ClusterType.SLURM", "Public object was removed", id="enum"),
    pytest.param(remove_operation, "list_clusters", "Public object was removed", id="operation"),
    pytest.param(
        add_required_argument,
        "list_clusters(project)",
        "Parameter was added as required",
        id="required-argument",
    ),
]


def test_the_working_tree_passes_against_the_last_release(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = check(ROOT, capsys)
    assert code == 0, out
    assert "no breaking change" in out or "acknowledged" in out


@pytest.mark.parametrize(("change", "subject", "what"), BREAKING)
def test_a_breaking_spec_change_fails_and_is_named(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Spec], None],
    subject: str,
    what: str,
) -> None:
    edit_spec(project, change)
    regenerate(project)
    code, out = check(project, capsys)
    assert code == 1, out
    assert f"BREAKING {subject}: {what}" in out
    assert "breaking changes need version 0.2.0 or later; _version.py says 0.1.0" in out
    assert re.search(rf'no "### Breaking" entry .* naming: .*{re.escape(subject)}', out), out


@pytest.mark.parametrize("change", [add_optional_field, add_operation])
def test_an_additive_spec_change_passes(
    project: Path, capsys: pytest.CaptureFixture[str], change: Callable[[Spec], None]
) -> None:
    before = (project / "fluidstack_client" / "_generated").rglob("*.py")
    before_files = {p: p.read_bytes() for p in before}
    edit_spec(project, change)
    regenerate(project)
    after = {
        p: p.read_bytes() for p in (project / "fluidstack_client" / "_generated").rglob("*.py")
    }
    assert after != before_files, "the edit must change the generated client"
    code, out = check(project, capsys)
    assert (code, "api-check: no breaking change" in out) == (0, True), out


def bump(project: Path, version: str) -> None:
    (project / "fluidstack_client" / "_version.py").write_text(f'__version__ = "{version}"\n')


def note_breaking(project: Path, text: str) -> None:
    changelog = project / "CHANGELOG.md"
    head, rest = changelog.read_text().split("## Unreleased\n", 1)
    changelog.write_text(f"{head}## Unreleased\n\n### Breaking\n- {text}\n{rest}")


def test_a_breaking_change_passes_once_the_version_and_changelog_say_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(project, remove_field)
    regenerate(project)

    bump(project, "0.1.1")  # a patch release may not break
    note_breaking(project, "`Cluster.project_id` removed: the API no longer returns it.")
    code, out = check(project, capsys)
    assert code == 1
    assert "need version 0.2.0 or later; _version.py says 0.1.1" in out
    assert "CHANGELOG" not in out.split("FAIL", 1)[1]

    bump(project, "0.2.0")
    code, out = check(project, capsys)
    assert code == 0, out
    assert "BREAKING Cluster.project_id" in out
    assert "acknowledged by the version and CHANGELOG" in out


def test_a_version_bump_alone_does_not_acknowledge_a_break(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(project, remove_enum_value)
    regenerate(project)
    bump(project, "0.2.0")
    note_breaking(project, "`ClusterType.KUBERNETES` renamed.")  # names another change
    code, out = check(project, capsys)
    assert code == 1
    assert "naming: ClusterType.SLURM" in out
    assert "need version" not in out


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def test_the_newest_release_tag_is_the_baseline_when_there_is_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "0.1.0")
    git(project, "tag", "v0.1.0")
    shutil.rmtree(project / "api")  # the tag, not the snapshot, must be what is read
    edit_spec(project, remove_field)
    regenerate(project)
    code, out = check(project, capsys)
    assert code == 1
    assert "compared with git ref v0.1.0 (version 0.1.0)" in out
    assert "BREAKING Cluster.project_id" in out

    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "drop project_id")
    code, out = check(project, capsys, "--base", "HEAD")  # BASE=<ref> wins over the tag
    assert code == 0, out
    assert "compared with git ref HEAD (version 0.1.0)" in out


def test_no_baseline_and_an_unknown_ref_are_clear_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(project / "api")
    code, out = check(project, capsys)
    assert code == 2
    assert "no release to compare with: no v* tag and no api/public-api.json.gz" in out
    git(project, "init", "-q")
    code, out = check(project, capsys, "--base", "no-such-ref")
    assert (code, "git ref 'no-such-ref' not found" in out) == (2, True), out


def test_the_snapshot_is_deterministic_and_records_the_version(project: Path) -> None:
    first = api_check.write_snapshot(project).read_bytes()
    second = api_check.write_snapshot(project).read_bytes()
    assert first == second
    assert b"/project/" not in gzip.decompress(first), "no machine paths in the snapshot"
    baseline = api_check.from_snapshot(project)
    assert baseline.version == "0.1.0"
    assert "AsyncFluidstack" in baseline.module.members


@pytest.mark.parametrize(
    ("old", "new", "need"),
    [
        ("0.1.0", "0.1.9", "0.2.0"),
        ("0.1.0", "0.2.0", None),
        ("0.9.3", "1.0.0", None),
        ("1.4.2", "1.5.0", "2.0.0"),
        ("1.4.2", "2.0.0", None),
        ("0.1.0", "0.2.0rc1", None),
    ],
)
def test_what_a_breaking_change_needs_of_the_version(old: str, new: str, need: str | None) -> None:
    assert api_check.bump_needed(old, new) == need


# The spec-level summary (what CI writes to the job summary and update-spec prints).


def test_the_spec_summary_names_operations_models_fields_and_values() -> None:
    old: Spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    new: Spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
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


# make update-spec


def snapshot_of(project: Path) -> dict[Path, bytes]:
    paths = [project / "spec" / "openapi.yaml"]
    paths += sorted((project / "fluidstack_client").rglob("*.py"))
    return {p: p.read_bytes() for p in paths if "__pycache__" not in p.parts}


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
    assert update_spec.main([str(bad), "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"update-spec: {bad} ")
    assert message in err
    assert snapshot_of(project) == before


def test_update_spec_refuses_a_dangling_ref_with_the_validators_message(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    del schemas(spec)["Cluster"]  # ListClusters still points at it
    bad = tmp_path / "dangling.yaml"
    bad.write_text(yaml.safe_dump(spec))
    before = snapshot_of(project)
    assert update_spec.main([str(bad), "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "/components/schemas/Cluster" in err
    assert len(err) < 500, "the validator's message is cut, not the whole document"
    assert snapshot_of(project) == before


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


def test_update_spec_from_a_url_takes_the_spec_regenerates_and_summarises(
    project: Path, served: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, www = served
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    add_optional_field(spec)
    data = yaml.safe_dump(spec, sort_keys=False).encode()
    (www / "openapi.yaml").write_bytes(data)

    assert update_spec.main([f"{url}/openapi.yaml", "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert (project / "spec" / "openapi.yaml").read_bytes() == data
    cluster = (project / "fluidstack_client" / "_generated" / "models" / "cluster.py").read_text()
    assert "labels: str | Unset = UNSET" in cluster
    assert "spec: field added: Cluster.labels (optional, string)" in out
    assert "api-check: no breaking change" in out
    assert "BREAKING" not in out


def test_update_spec_says_when_the_new_spec_breaks_users(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    remove_enum_value(spec)
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert update_spec.main([str(new), "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert "spec: enum value removed: ClusterType.slurm" in out
    assert "BREAKING ClusterType.SLURM: Public object was removed" in out
    assert "the change is BREAKING: bump the version and name it in CHANGELOG.md" in out
    assert (
        "SLURM"
        not in (
            project / "fluidstack_client" / "_generated" / "models" / "cluster_type.py"
        ).read_text()
    )
