"""`make dist` (scripts/dist.py), end to end and once: two builds, twine check, the sdist
regenerating its client, and the wheel smoke-tested in a fresh venv (pip reaches the
package index for httpx, attrs and pytest; the fake is served on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import fluidstack_client

pytestmark = [pytest.mark.tooling, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "dist.py"
VERSION = fluidstack_client.__version__
SDIST = f"fluidstack_client-{VERSION}.tar.gz"
WHEEL = f"fluidstack_client-{VERSION}-py3-none-any.whl"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(300)  # about 12 s here; pip may be slower on a cold CI cache
def test_dist_builds_reproducible_checked_artifacts(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "fluidstack_client-0.0.1.tar.gz").write_bytes(b"stale")  # must not be shipped
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        cwd=tmp_path,  # the script finds the repo by itself
        capture_output=True,
        text=True,
        check=False,
    )
    log = proc.stdout
    assert proc.returncode == 0, log + proc.stderr

    # Exactly the two artifacts, named for the package's version, and their sha256 as printed.
    assert sorted(p.name for p in out.iterdir()) == sorted([SDIST, WHEEL])
    for name in (SDIST, WHEEL):
        digest = sha256(out / name)
        assert f"artifact {out / name}  sha256 {digest}" in log
        # Both builds gave these very bytes.
        assert f"build 1: {name} sha256 {digest}" in log
        assert f"build 2: {name} sha256 {digest}" in log
    assert "reproducible: yes" in log
    assert "twine check --strict: PASSED" in log

    # The wheel: its version, its license, the pytest plugin.
    with zipfile.ZipFile(out / WHEEL) as whl:
        info = f"fluidstack_client-{VERSION}.dist-info"
        metadata = whl.read(f"{info}/METADATA").decode()
        assert re.search(rf"^Version: {re.escape(VERSION)}$", metadata, re.MULTILINE)
        assert "License-Expression: Apache-2.0" in metadata
        assert whl.read(f"{info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        assert "[pytest11]" in whl.read(f"{info}/entry_points.txt").decode()

    # The sdist carries what regenerating needs, and the script regenerated from it.
    with tarfile.open(out / SDIST) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in (
        "spec/openapi.yaml",
        "templates/str_enum.py.jinja",
        "generator-config.yaml",
        "scripts/generate.sh",
        "requirements/dev.txt",
        "Makefile",
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
    ):
        assert needed in names, needed
    assert "sdist regenerates the client: generate.sh output == fluidstack_client/_generated" in log

    # The smoke test, from a fresh venv outside the repo.
    smoke = [line for line in log.splitlines() if line.startswith("dist: smoke: ")]
    assert any(f"__version__ {VERSION} == wheel {VERSION}" in s and "/venv/" in s for s in smoke)
    assert not any(str(ROOT) in s for s in smoke), smoke
    assert any("against the fake on http://127.0.0.1:" in s and "3 instances" in s for s in smoke)
    assert any(f"plugins: fluidstack-client-{VERSION}" in s and "1 passed" in s for s in smoke)


def test_dist_fails_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--no-smoke"],
        env={"SOURCE_DATE_EPOCH": "yesterday", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "dist: FAILED: SOURCE_DATE_EPOCH='yesterday' is not a number of seconds"
    ]
    assert list(tmp_path.iterdir()) == []
