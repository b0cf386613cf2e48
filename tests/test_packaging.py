"""The package as users get it: version, typing marker, wheel contents, dependencies."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import fluidstack_client

ROOT = Path(__file__).resolve().parent.parent


def test_version_is_single_sourced() -> None:
    namespace: dict[str, str] = {}
    exec((ROOT / "fluidstack_client" / "_version.py").read_text(), namespace)
    assert fluidstack_client.__version__ == namespace["__version__"]
    from importlib.metadata import version

    assert version("fluidstack-client") == fluidstack_client.__version__


def test_runtime_dependencies_have_lower_bounds_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"]
    assert sorted(d.split(">=")[0] for d in deps) == ["attrs", "httpcore", "httpx", "sniffio"]
    assert all(">=" in d and "==" not in d and "<" not in d for d in deps)
    assert project["requires-python"] == ">=3.11"


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
    assert "fluidstack_client/_generated/api/instances/list_instances.py" in names
    assert "fluidstack_client/_generated/models/instance.py" in names
    assert "fluidstack_client/testing/_fake.py" in names
    assert not any("__pycache__" in n or "/tests/" in n for n in names)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]" in text
    assert "fluidstack = fluidstack_client.testing.pytest_plugin" in text


def test_every_public_name_resolves() -> None:
    for name in fluidstack_client.__all__:
        assert getattr(fluidstack_client, name) is not None, name
    assert set(dir(fluidstack_client)) >= set(fluidstack_client.__all__)


def test_clients_load_on_first_use() -> None:
    probe = (
        "import sys, fluidstack_client as f\n"
        "assert 'fluidstack_client._generated' not in sys.modules\n"
        "f.Fluidstack\n"
        "assert 'fluidstack_client._async_client' not in sys.modules\n"
        "assert 'asyncio' not in sys.modules, 'a sync-only program pays for asyncio'\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
