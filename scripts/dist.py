"""Build the release artifacts (sdist + wheel) reproducibly, and check them before upload.

    python scripts/dist.py [--out DIR] [--no-regen-check] [--no-smoke]      (make dist)

1. `python -m build --no-isolation` twice, with the hatchling pinned in the running
   environment and SOURCE_DATE_EPOCH set (from the environment, else the last commit's
   time, else a fixed constant): the two builds must be byte-identical.
2. `twine check --strict` on both files; the sdist ships what regenerating the client
   needs, the wheel carries LICENSE and the pytest11 entry point.
3. The unpacked sdist regenerates its own client: its scripts/generate.sh output equals
   its fluidstack_client/_generated (diff -r), and scripts/unasync.py --check passes.
4. Smoke test of the wheel in a fresh venv (`python -m venv`; the wheel, httpx, attrs and
   pytest installed from the package index), run from a directory outside the repo:
   the version, a real `instances.list()` against the bundled fake on 127.0.0.1, and a
   pytest run using the fixtures of the installed `fluidstack` plugin.

*.whl and *.tar.gz already in --out (default dist/) are removed first; the artifacts
are written there only once every check has passed, and their paths and sha256 printed.
Any failure ends with one line, `dist: FAILED: ...`, and exit status 1.
Only 127.0.0.1 is ever a network target, apart from pip reaching its package index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "fluidstack-client"
DIST = "fluidstack_client"  # the normalized name in artifact file names
# hatchling's own default timestamp (2020-02-02), used when there is no git to ask.
FALLBACK_EPOCH = 1580601600
# What regenerating the client from the sdist alone needs (see [tool.hatch.build.targets.sdist]).
SDIST_REQUIRED = (
    "pyproject.toml",
    "spec/openapi.yaml",
    "spec/atlas-region-v1alpha1.yaml",
    "generator-config.yaml",
    "templates/str_enum.py.jinja",
    "scripts/generate.sh",
    "scripts/apis.py",
    "scripts/unasync.py",
    "requirements/dev.txt",
    "Makefile",
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "fluidstack_client/_generated/__init__.py",
    "fluidstack_client/_generated/region/__init__.py",
)
BIN = Path(sys.executable).parent  # the dev tools (openapi-python-client, ruff) live here

SMOKE_CLIENT = """\
import json, sys
from importlib.metadata import version

import fluidstack_client
from fluidstack_client import Fluidstack
from fluidstack_client.testing import FakeAPI, serve

fake = FakeAPI(token="smoke-token")
project = fake.instances[0]["project_id"]
with serve(fake, host="127.0.0.1") as server:
    with Fluidstack("smoke-token", base_url=server.base_url, max_retries=0) as fs:
        everything = fs.instances.list()
        in_project = fs.instances.list(project_id=project)
print(json.dumps({
    "module": fluidstack_client.__file__,
    "prefix": sys.prefix,
    "version": fluidstack_client.__version__,
    "metadata_version": version("fluidstack-client"),
    "base_url": server.base_url,
    "instances": [i.name for i in everything],
    "seeded": [i["name"] for i in fake.instances],
    "in_project": [i.name for i in in_project],
    "seeded_in_project": [i["name"] for i in fake.instances if i["project_id"] == project],
    "operations": [r.operation for r in fake.requests],
}))
"""

SMOKE_PYTEST = """\
from fluidstack_client import Fluidstack
from fluidstack_client.testing import FakeAPI


def test_fixtures_of_the_installed_plugin(fluidstack_fake, fluidstack_fake_client):
    assert isinstance(fluidstack_fake, FakeAPI)
    assert isinstance(fluidstack_fake_client, Fluidstack)
    fluidstack_fake_client.keys.register(name="smoke", key="ssh-ed25519 AAAA smoke")
    assert [k.name for k in fluidstack_fake_client.keys.list()] == ["ci-runner", "smoke"]
    assert [r.operation for r in fluidstack_fake.requests] == ["RegisterKey", "ListKeys"]
"""


class DistError(Exception):
    """A check failed; the message is the one line printed."""


@dataclass(frozen=True)
class Artifacts:
    sdist: Path
    wheel: Path

    def files(self) -> tuple[Path, Path]:
        return (self.sdist, self.wheel)


def say(message: str) -> None:
    print(f"dist: {message}", flush=True)


def run(
    cmd: Sequence[str | Path],
    what: str,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run a command; on failure print the end of its output and raise DistError."""
    args = [str(c) for c in cmd]
    try:
        proc = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DistError(f"{what}: could not run {args[0]}: {exc}") from exc
    if proc.returncode != 0:
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        for line in lines[-40:]:
            print(f"    | {line}", file=sys.stderr)
        raise DistError(f"{what} failed (exit {proc.returncode}): {' '.join(args)}")
    return proc.stdout


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def tool_version(name: str) -> str:
    try:
        return installed_version(name)
    except PackageNotFoundError:
        raise DistError(
            f"{name} is not installed in {sys.executable}: use .venv/bin/python (make dist)"
        ) from None


def source_version() -> str:
    text = (ROOT / "fluidstack_client" / "_version.py").read_text()
    match = re.search(r"""^__version__ = ["']([^"']+)["']""", text, re.MULTILINE)
    if match is None:
        raise DistError("no __version__ in fluidstack_client/_version.py")
    return match[1]


def source_date_epoch() -> tuple[int, str]:
    given = os.environ.get("SOURCE_DATE_EPOCH")
    if given is not None:
        if not given.isdigit():
            raise DistError(f"SOURCE_DATE_EPOCH={given!r} is not a number of seconds")
        return int(given), "from the environment"
    if (ROOT / ".git").exists() and shutil.which("git"):
        proc = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0 and proc.stdout.strip().isdigit():
            return int(proc.stdout.strip()), "the last commit's time"
    return FALLBACK_EPOCH, "a fixed constant (no git history)"


def build(outdir: Path, epoch: int) -> Artifacts:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    # --no-isolation: the backend is the hatchling pinned in this environment, not
    # whatever version an isolated build would download today.
    cmd = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(ROOT)]
    run(cmd, "python -m build", cwd=ROOT, env=env)
    sdists, wheels = sorted(outdir.glob("*.tar.gz")), sorted(outdir.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        found = ", ".join(p.name for p in sorted(outdir.iterdir())) or "nothing"
        raise DistError(f"expected one sdist and one wheel in {outdir}, found {found}")
    return Artifacts(sdists[0], wheels[0])


def differing_members(a: Path, b: Path) -> list[str]:
    """Names of archive members whose metadata or content differ (a hint, not a proof)."""

    def members(path: Path) -> dict[str, tuple[object, ...]]:
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as z:
                return {i.filename: (i.date_time, i.external_attr, i.CRC) for i in z.infolist()}
        with tarfile.open(path) as t:
            return {
                m.name: (m.mtime, m.mode, m.uid, m.gid, m.uname, m.gname, m.size)
                for m in t.getmembers()
            }

    ma, mb = members(a), members(b)
    names = sorted(set(ma) ^ set(mb)) + sorted(n for n in set(ma) & set(mb) if ma[n] != mb[n])
    return names or ["(archive framing: compression or ordering)"]


def check_reproducible(first: Artifacts, second: Artifacts) -> None:
    for a, b in zip(first.files(), second.files(), strict=True):
        if a.name != b.name:
            raise DistError(f"the two builds named their artifacts differently: {a.name}, {b.name}")
        if a.read_bytes() != b.read_bytes():
            hint = ", ".join(differing_members(a, b)[:5])
            raise DistError(f"not reproducible: two builds of {a.name} differ ({hint})")


def check_contents(artifacts: Artifacts, version: str) -> None:
    expected = (f"{DIST}-{version}.tar.gz", f"{DIST}-{version}-py3-none-any.whl")
    names = (artifacts.sdist.name, artifacts.wheel.name)
    if names != expected:
        raise DistError(f"artifacts are {', '.join(names)}; expected {', '.join(expected)}")
    prefix = f"{DIST}-{version}/"
    with tarfile.open(artifacts.sdist) as tar:
        members = {m.name.removeprefix(prefix): m for m in tar.getmembers()}
    missing = [name for name in SDIST_REQUIRED if name not in members]
    if missing:
        raise DistError(f"the sdist lacks {', '.join(missing)} (pyproject's sdist include)")
    if not members["scripts/generate.sh"].mode & 0o100:
        raise DistError("the sdist's scripts/generate.sh is not executable")
    info = f"{DIST}-{version}.dist-info"
    with zipfile.ZipFile(artifacts.wheel) as whl:
        wheel_names = set(whl.namelist())
        metadata = whl.read(f"{info}/METADATA").decode()
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
    if f"{info}/licenses/LICENSE" not in wheel_names or "License-File: LICENSE" not in metadata:
        raise DistError(f"the wheel's {info} does not carry LICENSE")
    if not re.search(rf"^Version: {re.escape(version)}$", metadata, re.MULTILINE):
        raise DistError(f"the wheel's METADATA does not say Version: {version}")
    if "fluidstack = fluidstack_client.testing.pytest_plugin" not in entry_points:
        raise DistError("the wheel does not register the pytest11 entry point `fluidstack`")


def tree_notes(sdist: Path, version: str) -> list[str]:
    """Files packed from the working tree that are not what HEAD holds (dev builds only)."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return []
    git = ["git", "-C", str(ROOT)]
    tracked = set(run([*git, "ls-files", "-z"], "git ls-files").split("\0"))
    changed = set(run([*git, "diff", "--name-only", "-z", "HEAD"], "git diff").split("\0"))
    prefix = f"{DIST}-{version}/"
    with tarfile.open(sdist) as tar:
        packed = [m.name.removeprefix(prefix) for m in tar.getmembers() if m.isfile()]
    untracked = [n for n in packed if n not in tracked and n != "PKG-INFO"]
    modified = [n for n in packed if n in changed]
    notes = []
    if untracked:
        notes.append(f"packed but not tracked by git: {', '.join(untracked)}")
    if modified:
        notes.append(f"packed with uncommitted changes: {', '.join(modified)}")
    return notes


def check_regenerates(sdist: Path, version: str, work: Path) -> str:
    """Unpack the sdist and regenerate the client from it alone: identical to what it ships."""
    generator = shutil.which("openapi-python-client", path=str(BIN))
    if generator is None:
        raise DistError(f"openapi-python-client is not in {BIN}: run with .venv/bin/python")
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    tree = work / f"{DIST}-{version}"
    fresh = work / "fresh-generated"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run(
        [tree / "scripts" / "generate.sh", fresh],
        "the sdist's scripts/generate.sh",
        cwd=tree,
        env=env,
    )
    shipped = tree / "fluidstack_client" / "_generated"
    run(
        ["diff", "-r", "-x", "__pycache__", fresh, shipped],
        "comparing the regenerated client with the sdist's _generated",
    )
    run([sys.executable, tree / "scripts" / "unasync.py", "--check"], "unasync --check", cwd=tree)
    count = sum(1 for p in shipped.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return f"generate.sh output == fluidstack_client/_generated ({count} files); unasync --check ok"


def smoke(wheel: Path, version: str, work: Path) -> list[str]:
    """Install the wheel into a fresh venv and use it from outside the repo."""
    if work.resolve().is_relative_to(ROOT):
        raise DistError(f"the smoke-test directory {work} is inside the repo")
    venv = work / "venv"
    # No pip inside the venv (ensurepip costs ~8 s); this environment's pip installs into
    # it with --python, resolving httpx and attrs from the index as a user's pip would.
    run([sys.executable, "-m", "venv", "--without-pip", venv], "python -m venv")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    install = [*pip, "install", "--quiet", "--no-compile", str(wheel), "pytest"]
    run(install, "pip install of the wheel into the fresh venv")
    # -I: no PYTHONPATH, no user site, not even the script's directory on sys.path; and no
    # proxy variables, so 127.0.0.1 is reached directly.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))
        and not k.lower().endswith("_proxy")
    }
    (work / "smoke_client.py").write_text(SMOKE_CLIENT)
    out = run([python, "-I", "smoke_client.py"], "the client smoke test", cwd=work, env=env)
    try:
        got = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise DistError(f"the client smoke test printed no result: {out!r}") from exc
    module = Path(got["module"]).resolve()
    if not module.is_relative_to(Path(got["prefix"]).resolve()):
        raise DistError(f"the smoke test imported {module}, not the installed wheel")
    if got["version"] != version or got["metadata_version"] != version:
        raise DistError(
            f"installed __version__ {got['version']} / metadata {got['metadata_version']}"
            f" != the wheel's {version}"
        )
    if not got["base_url"].startswith("http://127.0.0.1:"):
        raise DistError(f"the fake served on {got['base_url']}, not 127.0.0.1")
    if not got["instances"] or got["instances"] != got["seeded"]:
        raise DistError(f"instances.list() gave {got['instances']}, the fake has {got['seeded']}")
    if got["in_project"] != got["seeded_in_project"] or got["operations"] != ["ListInstances"] * 2:
        raise DistError(f"instances.list(project_id=...) gave {got['in_project']}")

    (work / "pytest.ini").write_text("[pytest]\n")  # the rootdir: no config from elsewhere
    (work / "test_smoke_plugin.py").write_text(SMOKE_PYTEST)
    out = run(
        [python, "-I", "-m", "pytest", "-p", "no:cacheprovider", "test_smoke_plugin.py"],
        "pytest with the installed plugin",
        cwd=work,
        env=env,
    )
    plugins = next((ln for ln in out.splitlines() if ln.startswith("plugins:")), "")
    if f"{PROJECT}-{version}" not in plugins or "1 passed" not in out:
        raise DistError(f"pytest did not load the fluidstack plugin: {plugins or out[-200:]!r}")
    return [
        f"import from {module.parent}: __version__ {got['version']} == wheel {version}",
        f"instances.list() against the fake on {got['base_url']}: "
        f"{len(got['instances'])} instances ({', '.join(got['instances'])}), "
        f"{len(got['in_project'])} with project_id",
        f"pytest: `{plugins}`; a test using fluidstack_fake + fluidstack_fake_client: 1 passed",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--no-regen-check", action="store_true", help="skip step 3")
    parser.add_argument("--no-smoke", action="store_true", help="skip step 4 (the fresh venv)")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def step(message: str, since: float) -> float:
        now = time.monotonic()
        say(f"{message} ({now - since:.1f} s)")
        return now

    try:
        version = source_version()
        epoch, origin = source_date_epoch()
        when = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        say(f"{PROJECT} {version} from {ROOT}")
        say(
            f"SOURCE_DATE_EPOCH={epoch} ({when}, {origin}); backend hatchling "
            f"{tool_version('hatchling')}, build {tool_version('build')}"
        )
        out = args.out.resolve()
        out.mkdir(parents=True, exist_ok=True)
        for stale in [*out.glob("*.whl"), *out.glob("*.tar.gz")]:
            stale.unlink()  # a failed run must not leave releasable-looking files behind
        with tempfile.TemporaryDirectory(prefix="fluidstack-dist-") as tmp:
            work = Path(tmp)
            t = time.monotonic()
            first = build(work / "build-1", epoch)
            second = build(work / "build-2", epoch)
            for n, built in enumerate((first, second), 1):
                for f in built.files():
                    say(f"build {n}: {f.name} sha256 {sha256(f)}")
            check_reproducible(first, second)
            t = step("built twice; reproducible: yes (byte-identical)", t)
            check_contents(first, version)
            t = step("contents: sdist can regenerate the client; wheel has LICENSE, pytest11", t)
            run([sys.executable, "-m", "twine", "check", "--strict", *first.files()], "twine check")
            t = step("twine check --strict: PASSED (sdist, wheel)", t)
            for note in tree_notes(first.sdist, version):
                say(f"note: {note}")
            if args.no_regen_check:
                say("sdist regeneration: skipped (--no-regen-check)")
            else:
                (work / "regen").mkdir()
                done = check_regenerates(first.sdist, version, work / "regen")
                t = step(f"sdist regenerates the client: {done}", t)
            if args.no_smoke:
                say("smoke test: skipped (--no-smoke)")
            else:
                (work / "smoke").mkdir()
                for line in smoke(first.wheel, version, work / "smoke"):
                    say(f"smoke: {line}")
                t = step("smoke test in a fresh venv outside the repo: ok", t)
            final = [Path(shutil.copy2(f, out / f.name)) for f in first.files()]
    except (DistError, OSError, tarfile.TarError, zipfile.BadZipFile, KeyError) as exc:
        print(f"dist: FAILED: {exc}", file=sys.stderr)
        return 1
    for path in final:
        say(f"artifact {path}  sha256 {sha256(path)}")
    say(f"reproducible: yes; all checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
