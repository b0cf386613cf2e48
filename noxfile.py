"""nox sessions mirroring the Makefile targets.

`nox` runs every session; `nox -s tests` runs the suite on each Python from 3.11
to 3.14 that this machine has (missing interpreters are skipped, not failed).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13", "3.14"]


def _install(session: nox.Session) -> None:
    session.install("-r", "requirements/dev.txt")
    session.install("--no-deps", "-e", ".")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    _install(session)
    # Prism for the contract tests, from the committed lock (what `make test` does).
    session.run("make", "tests/contract/node_modules/.bin/prism", external=True)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    _install(session)
    session.run("mypy")


@nox.session
def generated(session: nox.Session) -> None:
    _install(session)
    session.run("scripts/check-generated.sh", external=True)


# -- lowest: the suite on the oldest runtime dependencies pyproject.toml allows ------------
#
# scripts/test_lowest.sh (`make test-lowest`, no nox needed) takes the LOWEST_* literals
# and the functions `_skip_option`, `_normal` and `lowest_pins` from this file with
# `ast`, so the script and this session cannot drift apart: those functions may use
# only re, tomllib, Path and the LOWEST_* literals.

# Not declared in pyproject.toml but pinned to its floor too: fluidstack_client/
# _sync_backend.py imports httpcore, subclasses its NetworkStream and NetworkBackend and
# wraps a pool's `_network_backend`, so httpcore is a direct dependency in all but name.
# 1.0.0 is the oldest httpcore that httpx 0.27 (our floor) accepts. A lower bound
# declared in pyproject.toml takes precedence over this one.
LOWEST_ALSO_PINNED = {"httpcore": "1.0.0"}

# Test files (or test ids) left out of the lowest run, and why: none of them depends on
# the versions of httpx, httpcore or attrs. `make test` runs them all on the locked ones.
LOWEST_SKIPPED = {
    "tests/test_generation.py": "generator drift check: runs openapi-python-client from .venv",
    "tests/test_api_check.py": "spec-change API check: griffe and the generator, not the client",
    "tests/test_review_api_check.py": "the same API check's regression tests",
    "tests/test_dist.py": "sdist/wheel/twine, and a smoke venv that takes the newest httpx/attrs",
    "tests/test_bench_smoke.py": "a benchmark; its no-sniffio case needs httpx >= 0.28 anyway",
    "tests/test_fake_conformance.py": "schemathesis (requests) against the fake's stdlib server: "
    "no httpx or attrs on that path, and schemathesis would add ~30 packages",
    "tests/test_prism_contract.py": "Prism's verdict on our requests; the scripted servers "
    "check each operation's method, path, headers and body here, without npm",
    "tests/test_demo.py": "the examples in subprocesses (~10 s): client paths that test_fake "
    "and test_credentials run in-process",
    "tests/test_examples.py": "examples/ in subprocesses (~20 s): the client paths they "
    "take run in-process in test_fake",
    "tests/test_fake_cli.py": "the fake's command line in subprocesses (~20 s): argument "
    "handling and messages, which no httpx or attrs version changes",
    "tests/test_fake_fixtures.py": "the pytest plugin under pytest-asyncio and anyio, in "
    "subprocesses (~15 s): pytest's side, not httpx's or attrs'",
    "tests/test_strength_*.py": "issue 13's pins of defaults, messages and boundaries, "
    "written to kill mutants; the httpx paths they drive are the ones the files above "
    "and below drive, which run here",
    "tests/test_docs.py": "the docs' examples and docstring check: mkdocs and griffe tooling; "
    "the client paths the examples take run in-process in test_fake and test_examples",
    "tests/test_tracing.py": "OpenTelemetry's SDK and httpx instrumentation (~10 packages) "
    "are a user's choice, not our dependencies",
    "tests/test_unset.py::test_is_unset_narrows_the_type_for_mypy": "mypy's verdict on the "
    "generated types: a dev tool, not a runtime dependency",
}

# Two workers: the run must add little to CI's 10 minutes (a trailing `-n 0` turns it off).
LOWEST_PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-n", "2"]

# Run by the environment's python with the pins as arguments: fails unless each
# installed version IS the pinned lower bound (not merely satisfies it).
LOWEST_CHECK = """
import sys
from importlib.metadata import version
from packaging.version import Version

pins = [(pin.split("[")[0].split("==")[0], pin.split("==")[1]) for pin in sys.argv[1:]]
wrong = [
    f"{name} {version(name)} is installed, not its lower bound {floor}"
    for name, floor in pins
    if Version(version(name)) != Version(floor)
]
if wrong:
    sys.exit("\\n".join(wrong))
print("at the lower bounds:", *(f"{name}=={version(name)}" for name, _ in pins))
"""


def _skip_option(test: str) -> str:
    """The pytest option that leaves `test` out: a test id, a glob of files, or a file."""
    if "::" in test:
        return f"--deselect={test}"
    return f"--ignore-glob={test}" if "*" in test else f"--ignore={test}"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lowest_pins(pyproject: Path = Path("pyproject.toml")) -> list[str]:
    """`name==X` for each `name>=X` in [project].dependencies, plus LOWEST_ALSO_PINNED.

    `==X`, not `==X.*`: `>=0.27` admits 0.27.0 itself, and `==0.27.*` would install the
    newest 0.27 patch, which could hide a fix we depend on. (PEP 440 pads `==0.27` to
    0.27.0.)
    """
    pins: dict[str, str] = {}
    for requirement in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        found = re.fullmatch(r"\s*([\w.-]+)\s*(\[[^]]*\])?([^;]*)", requirement)
        clauses = [c.strip() for c in found[3].split(",")] if found else []
        floors = [c[2:].strip() for c in clauses if c.startswith(">=")]
        if found is None or len(floors) != 1:
            raise ValueError(f"{requirement!r}: expected one `>=` lower bound and no marker")
        pins[_normal(found[1])] = f"{found[1]}{found[2] or ''}=={floors[0]}"
    for name, floor in LOWEST_ALSO_PINNED.items():
        pins.setdefault(_normal(name), f"{name}=={floor}")
    return list(pins.values())


@nox.session(python=PYTHONS[0])
def lowest(session: nox.Session) -> None:
    """The suite, less LOWEST_SKIPPED, with each runtime dependency at its lower bound."""
    pins = lowest_pins()
    session.install("-r", "requirements/test-lowest.txt", *pins)
    session.install("--no-deps", "--no-build-isolation", "-e", ".")
    session.run("python", "-m", "pip", "check")
    session.run("python", "-c", LOWEST_CHECK, *pins)
    ignored = [_skip_option(t) for t in LOWEST_SKIPPED]
    session.run("python", "-m", "pytest", *LOWEST_PYTEST_ARGS, *ignored, *session.posargs)
