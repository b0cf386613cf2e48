"""The package as users get it: one version, lower bounds only on its dependencies, and
a wheel holding the generated code, the typing marker and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import fluidstack_client

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import lowest  # noqa: E402


def test_version_is_single_sourced() -> None:
    namespace: dict[str, str] = {}
    exec((ROOT / "fluidstack_client" / "_version.py").read_text(), namespace)
    assert fluidstack_client.__version__ == namespace["__version__"]
    assert version("fluidstack-client") == fluidstack_client.__version__


def test_runtime_dependencies_have_lower_bounds_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"]
    assert sorted(d.split(">=")[0] for d in deps) == ["attrs", "httpcore", "httpx", "sniffio"]
    assert all(">=" in d and "==" not in d and "<" not in d for d in deps)
    assert project["requires-python"] == ">=3.11"


@pytest.mark.slow
def test_wheel_contains_generated_code_and_py_typed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("fluidstack_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "fluidstack_client/py.typed" in names
    assert "fluidstack_client/_generated/management/api/instances/list_instances.py" in names
    assert "fluidstack_client/_generated/management/models/instance.py" in names
    assert "fluidstack_client/testing/_fake.py" in names
    assert not any("__pycache__" in n or "/tests/" in n for n in names)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]" in text
    assert "fluidstack = fluidstack_client.testing.pytest_plugin" in text


# -- the lowest-dependency run (make test-lowest, scripts/lowest.py) ---------------------


def test_the_lowest_run_pins_each_dependency_at_its_lower_bound(tmp_path: Path) -> None:
    """`==X` for each `>=X` pyproject.toml declares, an extra's too (the `speed` extra's
    msgspec); httpcore, imported directly, too."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lowest.lowest_pins()
    declared_here = [*project["dependencies"], *project["optional-dependencies"]["speed"]]
    assert pins == [d.replace(">=", "==") for d in declared_here]
    assert "msgspec==0.18" in pins
    assert any(pin.startswith("httpcore==") for pin in pins)

    declared = tmp_path / "pyproject.toml"
    declared.write_text('[project]\ndependencies = ["httpx[http2] >= 0.27", "attrs>=23.1"]\n')
    assert lowest.lowest_pins(declared) == ["httpx[http2]==0.27", "attrs==23.1", "httpcore==1.0.0"]
    declared.write_text(
        '[project]\ndependencies = ["httpx>=0.27"]\n'
        '[project.optional-dependencies]\nspeed = ["msgspec>=0.18"]\n'
    )
    assert lowest.lowest_pins(declared) == ["httpx==0.27", "msgspec==0.18", "httpcore==1.0.0"]
    for requirement in ("httpx==0.27", "httpx>=0.27,>=0.28", "httpx>=0.27; python_version<'4'"):
        declared.write_text(f'[project]\ndependencies = ["{requirement}"]\n')
        with pytest.raises(ValueError, match="expected one `>=` lower bound"):
            lowest.lowest_pins(declared)


def test_the_lowest_venv_is_rebuilt_when_what_it_is_built_from_changes(tmp_path: Path) -> None:
    for name in lowest.INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("one")
    pins = ["httpx==0.27"]
    before = lowest.stamp(pins, tmp_path)
    assert lowest.stamp(pins, tmp_path) == before
    assert lowest.stamp(["httpx==0.28"], tmp_path) != before
    for name in lowest.INPUTS:
        (tmp_path / name).write_text("two")
        assert lowest.stamp(pins, tmp_path) != before, name
        (tmp_path / name).write_text("one")
