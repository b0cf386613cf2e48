"""The generator pipeline (`make generate`, `make check-generated`): its output is
deterministic, and the drift check catches every kind of drift: a hand edit, a spec
change not regenerated, a removed operation, a sync client edited apart from the async
source. Each test works on a copy of what generation reads and writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tooling, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
PIECES = ["spec", "templates", "generator-config.yaml", "scripts", "fluidstack_client/_generated"]
# The generator and ruff of the venv running the tests.
BIN = Path(sys.executable).parent


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what generation reads and writes, to break without touching the repo."""
    for piece in PIECES:
        source, target = ROOT / piece, tmp_path / piece
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return tmp_path


def _check(checkout: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "check-generated.sh")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


# -- the generated layer ---------------------------------------------------------------


def test_committed_tree_matches_and_regeneration_is_stable(checkout: Path) -> None:
    first = _check(checkout)
    assert first.returncode == 0, first.stderr
    assert _check(checkout).returncode == 0


def test_hand_edit_of_a_generated_file_is_caught(checkout: Path) -> None:
    edited = checkout / "fluidstack_client" / "_generated" / "management" / "models" / "region.py"
    before = edited.read_text()
    edited.write_text(before.replace('url = d["url"]', 'url = d["url"]  # tweak', 1))
    assert edited.read_text() != before
    result = _check(checkout)
    assert result.returncode != 0
    assert "models/region.py" in result.stderr


def test_spec_change_without_regeneration_is_caught(checkout: Path) -> None:
    spec = checkout / "spec" / "openapi.yaml"
    spec.write_text(spec.read_text().replace("The name of the region.", "The region's name.", 1))
    result = _check(checkout)
    assert result.returncode != 0
    assert "models/region.py" in result.stderr


def test_removed_operation_disappears(checkout: Path) -> None:
    spec = checkout / "spec" / "openapi.yaml"
    text = spec.read_text()
    start = text.index("  /organizations:\n")
    spec.write_text(text[:start] + text[text.index("  /members:\n") :])
    result = _check(checkout)
    assert result.returncode != 0
    assert "organizations" in result.stderr


# -- the sync client, derived from the async one (scripts/unasync.py) --------------------


def test_sync_client_drift_is_caught(tmp_path: Path) -> None:
    """The sync client is derived from the async one; an edit to either side alone fails."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    package = tmp_path / "fluidstack_client"
    package.mkdir()
    for derived in (ROOT / "fluidstack_client").glob("_sync_*.py"):
        if derived.name != "_sync_backend.py":
            source = derived.name.replace("_sync_", "_async_", 1)
            shutil.copy2(ROOT / "fluidstack_client" / source, package / source)
            shutil.copy2(derived, package / derived.name)
    check = [sys.executable, str(tmp_path / "scripts" / "unasync.py")]

    assert subprocess.run([*check, "--check"], capture_output=True, check=False).returncode == 0
    sync = package / "_sync_send.py"
    sync.write_text(sync.read_text().replace("retries += 1", "retries += 2"))
    result = subprocess.run([*check, "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "_sync_send.py" in result.stderr
    assert "retries += 1" in result.stderr  # the diff shows what the source says
