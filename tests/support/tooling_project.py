"""Copies of the project for the api-check and update-spec tests: each test breaks its
own copy (edits its spec as a spec author would, regenerates, rewrites a module,
makes git history) and runs the tool on it, never on the checkout."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = ROOT / "scripts"
SPEC = ROOT / "spec" / "openapi.yaml"
# What api-check and update-spec read and write.
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
    """A copy of the project outside any git repository, released as 0.1.0: its
    version set to 0.1.0 and its own API frozen as the snapshot (the baseline), so a
    test starts from "no change" whatever the checkout has changed since its release."""
    copy = where / "project"
    for piece in PIECES:
        source = ROOT / piece
        if source.is_dir():
            shutil.copytree(source, copy / piece, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / piece)
    (copy / "fluidstack_client" / "_version.py").write_text('__version__ = "0.1.0"\n')
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    import api_check

    with contextlib.redirect_stdout(io.StringIO()):
        assert api_check.main(["--root", str(copy), "--write-snapshot"]) == 0
    return copy


def load_spec() -> Spec:
    """spec/openapi.yaml of the checkout, parsed (a fresh copy to edit)."""
    loaded: Spec = yaml.safe_load(SPEC.read_text())
    return loaded


def edit_spec(project: Path, change: Callable[[Spec], None]) -> None:
    path = project / "spec" / "openapi.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def regenerate(project: Path) -> None:
    """scripts/generate.sh in the copy, with the generator of the running venv."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([str(project / "scripts" / "generate.sh")], cwd=project, env=env, check=True)


def schemas(spec: Spec) -> Spec:
    found: Spec = spec["components"]["schemas"]
    return found


def snapshot_of(project: Path) -> dict[Path, bytes]:
    """Both specs and every module of the package, byte for byte."""
    paths = sorted((project / "spec").glob("*.yaml"))
    paths += sorted((project / "fluidstack_client").rglob("*.py"))
    return {p: p.read_bytes() for p in paths if "__pycache__" not in p.parts}


def replace(project: Path, relative: str, old: str, new: str) -> None:
    """Replace the first `old` in a file of the copy (which must still have it)."""
    path = project / relative
    text = path.read_text()
    assert old in text, f"{relative} no longer has {old!r}: update this test"
    path.write_text(text.replace(old, new, 1))


def bump(project: Path, version: str) -> None:
    (project / "fluidstack_client" / "_version.py").write_text(f'__version__ = "{version}"\n')


def note_breaking(project: Path, text: str) -> None:
    """A `### Breaking` entry under `## Unreleased` in the copy's CHANGELOG."""
    changelog = project / "CHANGELOG.md"
    head, rest = changelog.read_text().split("## Unreleased\n", 1)
    changelog.write_text(f"{head}## Unreleased\n\n### Breaking\n- {text}\n{rest}")


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


# -- spec edits a spec author makes ------------------------------------------------------


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
