"""The lowest-dependency run's versions (`make test-lowest`, scripts/test_lowest.sh).

    python scripts/lowest.py pins          one `name==X` per line: every runtime dependency
                                           at the lower bound pyproject.toml declares
    python scripts/lowest.py stamp         a digest of what the lowest venv is built from
                                           (its reuse stamp)
    python scripts/lowest.py check PIN...  fail unless each installed version IS its pin
                                           (run by the lowest venv's python)

Only the standard library (and `packaging`, for `check`, which the lowest venv has from
requirements/test-lowest.txt): it runs before any venv exists.
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Not declared in pyproject.toml but pinned to its floor too: fluidstack_client/
# _sync_backend.py imports httpcore, subclasses its NetworkStream and NetworkBackend and
# wraps a pool's `_network_backend`, so httpcore is a direct dependency in all but name.
# 1.0.0 is the oldest httpcore that httpx 0.27 (our floor) accepts. A lower bound
# declared in pyproject.toml takes precedence over this one.
ALSO_PINNED = {"httpcore": "1.0.0"}

# What the lowest venv is built from: a change to any of them rebuilds it.
INPUTS = [
    "pyproject.toml",
    "requirements/test-lowest.txt",
    "scripts/test_lowest.sh",
    "scripts/lowest.py",
]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lowest_pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """`name==X` for each `name>=X` in [project].dependencies and in each extra of
    [project.optional-dependencies] (the `speed` extra's msgspec: its floor must decode
    as the newest does), plus ALSO_PINNED.

    `==X`, not `==X.*`: `>=0.27` admits 0.27.0 itself, and `==0.27.*` would install the
    newest 0.27 patch, which could hide a fix we depend on. (PEP 440 pads `==0.27` to
    0.27.0.)
    """
    pins: dict[str, str] = {}
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {}).values()
    for requirement in [*project["dependencies"], *(r for extra in extras for r in extra)]:
        found = re.fullmatch(r"\s*([\w.-]+)\s*(\[[^]]*\])?([^;]*)", requirement)
        clauses = [c.strip() for c in found[3].split(",")] if found else []
        floors = [c[2:].strip() for c in clauses if c.startswith(">=")]
        if found is None or len(floors) != 1:
            raise ValueError(f"{requirement!r}: expected one `>=` lower bound and no marker")
        pins[_normal(found[1])] = f"{found[1]}{found[2] or ''}=={floors[0]}"
    for name, floor in ALSO_PINNED.items():
        pins.setdefault(_normal(name), f"{name}=={floor}")
    return list(pins.values())


def stamp(pins: list[str], root: Path = ROOT) -> str:
    """What the lowest venv is built from, as one digest: the interpreter's version, the
    pins and INPUTS' bytes."""
    digest = hashlib.sha256(platform.python_version().encode() + repr(pins).encode())
    for name in INPUTS:
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def installed(pins: list[str]) -> tuple[list[str], list[str]]:
    """`name==version` as installed for each pin, and one line per installed version
    that is not exactly its pin (none: all are)."""
    from importlib.metadata import version

    from packaging.version import Version

    found, wrong = [], []
    for pin in pins:
        name, floor = pin.split("[")[0].split("==")[0], pin.split("==")[1]
        found.append(f"{name}=={version(name)}")
        if Version(version(name)) != Version(floor):
            wrong.append(f"{name} {version(name)} is installed, not its lower bound {floor}")
    return found, wrong


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "pins" and not args:
        print("\n".join(lowest_pins()))
    elif command == "stamp" and not args:
        print(stamp(lowest_pins()))
    elif command == "check" and args:
        found, wrong = installed(args)
        if wrong:
            print("\n".join(wrong), file=sys.stderr)
            return 1
        print("at the lower bounds:", *found)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
