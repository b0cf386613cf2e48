"""`make api-check` (scripts/api_check.py): a change of the public API that breaks users
fails unless the version and the CHANGELOG say so, and the failure names it.

Each test takes a copy of the project, changes it as a spec author or a maintainer
would (a spec edit regenerated, a module rewritten, a release tagged) and runs the
check on the copy, as CI does on a spec pull request.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.tooling_project import (
    ROOT,
    SCRIPTS,
    Spec,
    add_operation,
    add_optional_field,
    add_required_argument,
    bump,
    copy_project,
    edit_spec,
    git,
    note_breaking,
    regenerate,
    remove_enum_value,
    remove_field,
    remove_operation,
    replace,
    schemas,
)

sys.path.insert(0, str(SCRIPTS))
import api_check

pytestmark = pytest.mark.tooling


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


def run_check(project: Path, *args: str) -> tuple[int, str]:
    """api_check.main on `project`: its exit code and everything it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = api_check.main(["--root", str(project), *args])
    return code, out.getvalue()


def no_traceback(call: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """The result of `call`; a traceback in its output is the bug."""
    code, out = call()
    assert "Traceback" not in out
    return code, out


# -- spec changes: breaking ones fail and are named, additive ones pass ------------------

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


@pytest.mark.slow
def test_the_working_tree_passes_against_the_last_release() -> None:
    code, out = run_check(ROOT)
    assert code == 0, out
    assert "no breaking change" in out or "acknowledged" in out


@pytest.mark.slow
@pytest.mark.parametrize(("change", "subject", "what"), BREAKING)
def test_a_breaking_spec_change_fails_and_is_named(
    project: Path, change: Callable[[Spec], None], subject: str, what: str
) -> None:
    edit_spec(project, change)
    regenerate(project)
    code, out = run_check(project)
    assert code == 1, out
    assert f"BREAKING {subject}: {what}" in out
    assert "breaking changes need version 0.2.0 or later; _version.py says 0.1.0" in out
    assert re.search(rf'no "### Breaking" entry .* naming: .*{re.escape(subject)}', out), out


@pytest.mark.slow
@pytest.mark.parametrize("change", [add_optional_field, add_operation])
def test_an_additive_spec_change_passes(project: Path, change: Callable[[Spec], None]) -> None:
    generated = project / "fluidstack_client" / "_generated"
    before = {p: p.read_bytes() for p in generated.rglob("*.py")}
    edit_spec(project, change)
    regenerate(project)
    after = {p: p.read_bytes() for p in generated.rglob("*.py")}
    assert after != before, "the edit must change the generated client"
    code, out = run_check(project)
    assert (code, "api-check: no breaking change" in out) == (0, True), out


# Found by an adversarial review: griffe's find_breaking_changes does not compare
# attribute annotations or values, nor return types or parameter annotations (its
# _attribute_incompatibilities is a TODO and _returns_are_compatible returns True). The
# generated models are attrs classes whose fields are class attributes without an
# __init__ griffe can see, so a model field's type, requiredness and nullability were
# invisible to it. One regeneration covers all.


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
    generated = project / "fluidstack_client" / "_generated" / "management"
    cluster = (generated / "models" / "cluster.py").read_text()
    assert "name: int" in cluster, "the edit must reach the generated code"
    assert "project_id: str\n" in cluster
    assert "url: None | str" in (generated / "models" / "region.py").read_text()
    return run_check(project)[1]


@pytest.mark.slow
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
    """A type change griffe alone passed as "no breaking change" (review finding)."""
    assert f"BREAKING {subject}" in silent_spec_report, silent_spec_report


# -- hand-written API changes: no regeneration needed ------------------------------------


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
    # the package's own test that every public name resolves catches it.)
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


@pytest.mark.slow
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
    """A change callers notice that api-check once passed (review finding)."""
    assert f"BREAKING {subject}" in silent_wrapper_report, silent_wrapper_report


# -- what acknowledges a break: the version and the CHANGELOG ----------------------------


@pytest.mark.slow
def test_a_breaking_change_passes_once_the_version_and_changelog_say_so(project: Path) -> None:
    edit_spec(project, remove_field)
    regenerate(project)

    bump(project, "0.1.1")  # a patch release may not break
    note_breaking(project, "`Cluster.project_id` removed: the API no longer returns it.")
    code, out = run_check(project)
    assert code == 1
    assert "need version 0.2.0 or later; _version.py says 0.1.1" in out
    assert "CHANGELOG" not in out.split("FAIL", 1)[1]

    bump(project, "0.2.0")
    code, out = run_check(project)
    assert code == 0, out
    assert "BREAKING Cluster.project_id" in out
    assert "acknowledged by the version and CHANGELOG" in out


@pytest.mark.slow
def test_a_version_bump_alone_does_not_acknowledge_a_break(project: Path) -> None:
    edit_spec(project, remove_enum_value)
    regenerate(project)
    bump(project, "0.2.0")
    note_breaking(project, "`ClusterType.KUBERNETES` renamed.")  # names another change
    code, out = run_check(project)
    assert code == 1
    assert "naming: ClusterType.SLURM" in out
    assert "need version" not in out


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


@pytest.mark.parametrize(
    ("old", "new"),
    [("1.0.0rc1", "1.0.0"), ("0.2.0.dev1", "0.2.0")],
)
def test_a_pre_release_baseline_does_not_force_the_next_major(old: str, new: str) -> None:
    """1.0.0 after 1.0.0rc1 is not a new major (review finding)."""
    assert api_check.bump_needed(old, new) is None


def test_a_changelog_entry_naming_a_longer_name_does_not_acknowledge_a_shorter_one() -> None:
    """`ClusterType.SLURM` in the CHANGELOG does not excuse removing `ClusterType`
    (review finding)."""
    changelog = "## Unreleased\n\n### Breaking\n- `ClusterType.SLURM` removed.\n"
    changes = [api_check.Change("ClusterType", "Public object was removed")]
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
    """An empty `## Unreleased` above the version, and `## [Unreleased]` (review finding)."""
    changes = [api_check.Change("Cluster.project_id", "Public object was removed")]
    assert api_check.problems(changes, "0.1.0", "0.2.0", changelog) == []


@pytest.mark.slow
def test_a_changelog_entry_using_the_exported_name_of_an_error_attribute_passes(
    project: Path,
) -> None:
    """`APIStatusError.body` (the exported name) acknowledges the attribute's removal
    (review finding)."""
    replace(project, "fluidstack_client/errors.py", "        self.body = body\n", "")
    bump(project, "0.2.0")
    note_breaking(project, "`APIStatusError.body` removed: read `exc.response` instead.")
    code, out = run_check(project)
    assert code == 0, out


# -- the baseline: the newest release tag, else the snapshot; errors are one line --------


@pytest.mark.slow
def test_the_newest_release_tag_is_the_baseline_when_there_is_one(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "0.1.0")
    git(project, "tag", "v0.1.0")
    shutil.rmtree(project / "api")  # the tag, not the snapshot, must be what is read
    edit_spec(project, remove_field)
    regenerate(project)
    code, out = run_check(project)
    assert code == 1
    assert "compared with git ref v0.1.0 (version 0.1.0)" in out
    assert "BREAKING Cluster.project_id" in out

    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "drop project_id")
    code, out = run_check(project, "--base", "HEAD")  # BASE=<ref> wins over the tag
    assert code == 0, out
    assert "compared with git ref HEAD (version 0.1.0)" in out


@pytest.mark.slow
def test_a_tagged_release_is_compared_with_the_previous_release(project: Path) -> None:
    """On a tagged commit the baseline is the tag before it, not itself (review finding)."""
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


@pytest.mark.slow
def test_no_baseline_and_an_unknown_ref_are_clear_errors(project: Path) -> None:
    shutil.rmtree(project / "api")
    code, out = run_check(project)
    assert code == 2
    assert "no release to compare with: no v* tag and no api/public-api.json.gz" in out
    git(project, "init", "-q")
    code, out = run_check(project, "--base", "no-such-ref")
    assert (code, "git ref 'no-such-ref' not found" in out) == (2, True), out


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
    """A damaged api/public-api.json.gz: one line, never a traceback (review finding)."""
    snapshot = project / "api" / "public-api.json.gz"
    snapshot.write_bytes(corrupt(snapshot.read_bytes()))
    code, out = no_traceback(lambda: run_check(project))
    assert code == 2
    assert out.startswith("api-check: error: cannot read the API snapshot"), out


@pytest.mark.slow
def test_a_base_from_before_the_wrapper_does_not_crash(project: Path) -> None:
    """A base ref missing a module the working tree has (review finding)."""
    resources = project / "fluidstack_client" / "_sync_resources.py"
    kept = resources.read_bytes()
    resources.unlink()
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "before the sync wrapper")
    resources.write_bytes(kept)
    code, out = no_traceback(lambda: run_check(project, "--base", "HEAD"))
    assert code in (0, 2), out


@pytest.mark.slow
def test_a_leftover_griffe_branch_does_not_crash_the_check(project: Path) -> None:
    """A branch named as griffe's git loader names its own (`griffe-v0-1-0`), as an
    interrupted run leaves it (review finding)."""
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "0.1.0")
    git(project, "tag", "v0.1.0")
    git(project, "branch", "griffe-v0-1-0")
    code, out = no_traceback(lambda: run_check(project))
    assert code == 0, out


@pytest.mark.slow
def test_the_snapshot_is_deterministic_and_records_the_version(project: Path) -> None:
    first = api_check.write_snapshot(project).read_bytes()
    second = api_check.write_snapshot(project).read_bytes()
    assert first == second
    assert b"/project/" not in gzip.decompress(first), "no machine paths in the snapshot"
    baseline = api_check.from_snapshot(project)
    assert baseline.version == "0.1.0"
    assert "AsyncFluidstack" in baseline.module.members
