"""Fail on a breaking change to the public API unless the version and CHANGELOG say so.

    python scripts/api_check.py                  compare with the last release
    python scripts/api_check.py --base REF       compare with a git ref instead
    python scripts/api_check.py --markdown       the same report as a Markdown table
    python scripts/api_check.py --write-snapshot freeze today's API as the release's

The last release is the newest `v*` tag reachable from HEAD, or, when the clone has
no tags (CI's clone of main may not), the committed snapshot `api/public-api.json.gz`
(a griffe dump written by `--write-snapshot` when a version is released).

griffe finds the breaking changes. The public API it compares is what users touch:
the names `fluidstack_client` exports (clients, errors, models, `testing`), the
resource classes and their methods, and the generated layer (models' fields, enum
values, operations and their arguments), which is where a spec change shows.

A breaking change passes only when `fluidstack_client/_version.py` was bumped for it
(0.x: the minor number; from 1.0: the major) and the CHANGELOG section of that
version (or "Unreleased") has a "### Breaking" part naming every change listed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "fluidstack_client"
SNAPSHOT = Path("api") / "public-api.json.gz"
# Where the public API lives. "" is the package itself: griffe follows its `__all__`
# into the clients, errors, models and `testing`.
ROOTS = ("", "_async_resources", "_sync_resources", "_generated")
# Keys of a griffe dump that differ between machines or carry only prose.
_LOCATION_KEYS = frozenset({"docstring", "filepath", "relative_filepath", "git_info"})
_OPERATION_FUNCTIONS = frozenset({"sync", "sync_detailed", "asyncio", "asyncio_detailed"})


class CheckError(Exception):
    """A baseline or file that cannot be read: reported on one line."""


@dataclass(frozen=True)
class Baseline:
    label: str
    version: str
    module: griffe.Module


@dataclass(frozen=True, order=True)
class Change:
    subject: str  # the public name, as the CHANGELOG must spell it
    what: str  # griffe's kind of breakage


# Loading the two sides.


def _load(root: Path, modules: griffe.ModulesCollection | None = None) -> griffe.Module:
    obj = griffe.load(
        PACKAGE,
        search_paths=[root],
        try_relative_path=False,
        resolve_aliases=True,
        resolve_external=False,
        modules_collection=modules,
    )
    assert isinstance(obj, griffe.Module)
    return obj


def _version(text: str) -> str:
    found = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    if not found:
        raise CheckError("no __version__ in fluidstack_client/_version.py")
    return found.group(1)


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def latest_tag(root: Path) -> str | None:
    return _git(root, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*")


def from_ref(root: Path, ref: str) -> Baseline:
    text = _git(root, "show", f"{ref}:{PACKAGE}/_version.py")
    if text is None:
        raise CheckError(f"git ref {ref!r} not found (or it has no {PACKAGE}/_version.py)")
    obj = griffe.load_git(PACKAGE, ref=ref, repo=root, resolve_aliases=True, resolve_external=False)
    assert isinstance(obj, griffe.Module)
    return Baseline(f"git ref {ref}", _version(text), obj)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _LOCATION_KEYS}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def write_snapshot(root: Path) -> Path:
    module = _load(root)
    dump = json.loads(json.dumps(module, cls=griffe.JSONEncoder, full=False))
    document = {
        "version": _version((root / PACKAGE / "_version.py").read_text()),
        "api": _strip(dump),
    }
    data = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    path = root / SNAPSHOT
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0))  # mtime 0: the same API, the same bytes
    return path


def from_snapshot(root: Path) -> Baseline:
    path = root / SNAPSHOT
    try:
        document = json.loads(gzip.decompress(path.read_bytes()), object_hook=griffe.json_decoder)
        module = document["api"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckError(f"cannot read the API snapshot {SNAPSHOT}: {exc!r}") from None
    if not isinstance(module, griffe.Module):
        raise CheckError(f"the API snapshot {SNAPSHOT} holds no module")
    # Aliases (the package's re-exports) resolve through a modules collection.
    griffe.ModulesCollection().set_member(PACKAGE, module)
    return Baseline(f"snapshot {SNAPSHOT}", document["version"], module)


def baseline(root: Path, ref: str | None) -> Baseline:
    if ref:
        return from_ref(root, ref)
    tag = latest_tag(root)
    if tag:
        return from_ref(root, tag)
    if (root / SNAPSHOT).exists():
        return from_snapshot(root)
    raise CheckError(f"no release to compare with: no v* tag and no {SNAPSHOT} (see --help)")


# Naming what broke.


def _display(path: str) -> str:
    """`fluidstack_client._generated.models.cluster.Cluster.id` -> `Cluster.id`."""
    parts = path.split(".")[1:]
    if parts[:2] == ["_generated", "models"]:
        parts = parts[2:]
        if len(parts) > 1 and parts[0].islower():
            parts = parts[1:]  # the module the class lives in
        return ".".join(parts)
    if parts[:2] == ["_generated", "api"]:
        parts = parts[2:]
        if len(parts) > 2 and parts[2] in _OPERATION_FUNCTIONS:
            parts = parts[:2]  # sync/asyncio variants are one operation
        return parts[-1] if len(parts) >= 2 else f"api.{'.'.join(parts)}"
    public = [p for p in parts if not p.startswith("_") or p.startswith("__")]
    return ".".join(public) or PACKAGE


def _changes(breakage: griffe.Breakage) -> list[Change]:
    obj = breakage.obj
    what = breakage.kind.value
    path = obj.path
    generated_module = not obj.is_alias and obj.is_module and ".models." in path
    if generated_module and "._generated." in path:
        return []  # a model's module: its class (re-exported) is reported instead
    if (
        not obj.is_alias
        and obj.is_module
        and path.startswith(f"{PACKAGE}._generated.api.")
        and path.count(".") == 3
    ):
        # A whole tag of operations went: name each operation it had.
        ops = sorted(name for name, m in obj.members.items() if m.is_module)
        return [Change(op, what) for op in ops] or [Change(_display(path), what)]
    subject = _display(path)
    parameter = breakage.old_value or breakage.new_value
    if isinstance(parameter, griffe.Parameter):
        subject = f"{subject}({parameter.name})"
    return [Change(subject, what)]


def breaking_changes(old: griffe.Module, new: griffe.Module) -> list[Change]:
    found: set[Change] = set()
    for name in ROOTS:
        old_root, new_root = (old[name], new[name]) if name else (old, new)
        for breakage in griffe.find_breaking_changes(old_root, new_root):
            found.update(_changes(breakage))
    return sorted(found)


# The rules a breaking change must meet.


def _numbers(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    if not found:
        raise CheckError(f"cannot read version {version!r}")
    return int(found.group(1)), int(found.group(2))


def bump_needed(old: str, new: str) -> str | None:
    """The smallest version a breaking change may ship in, if `new` is below it."""
    major, minor = _numbers(old)
    need = (0, minor + 1) if major == 0 else (major + 1, 0)
    return None if _numbers(new) >= need else f"{need[0]}.{need[1]}.0"


def breaking_notes(changelog: str, version: str) -> str:
    """The text of the "### Breaking" part of the section for `version` or Unreleased."""
    sections = re.split(r"(?m)^## ", changelog)[1:]
    for section in sections:
        heading = section.splitlines()[0] if section else ""
        if version in heading or heading.strip().lower().startswith("unreleased"):
            parts = re.split(r"(?m)^### ", section)[1:]
            return "\n".join(p for p in parts if p.lower().startswith("breaking"))
    return ""


def problems(changes: list[Change], old: str, new: str, changelog: str) -> list[str]:
    if not changes:
        return []
    found = []
    need = bump_needed(old, new)
    if need:
        found.append(f"breaking changes need version {need} or later; _version.py says {new}")
    notes = breaking_notes(changelog, new)
    missing = sorted({c.subject for c in changes if c.subject not in notes})
    if missing:
        found.append(
            f'CHANGELOG.md has no "### Breaking" entry (under "## {new}" or "## Unreleased")'
            f" naming: {', '.join(missing)}"
        )
    return found


def report(changes: list[Change], base: Baseline, new: str, failures: list[str], md: bool) -> str:
    lines: list[str] = []
    against = f"{base.label} (version {base.version}); working tree is {new}"
    if md:
        lines += ["### Public API", "", f"Compared with {against}.", ""]
        if changes:
            lines += ["| public name | breaking change |", "| --- | --- |"]
            lines += [f"| `{c.subject}` | {c.what} |" for c in changes]
        else:
            lines.append("No breaking change.")
        lines += ["", *(f"- **{f}**" for f in failures)]
        verdict = "fails" if failures else ("passes (acknowledged)" if changes else "passes")
        lines += ["", f"**api-check {verdict}.**"]
        return "\n".join(lines)
    lines.append(f"api-check: compared with {against}")
    if not changes:
        lines.append("api-check: no breaking change")
    for change in changes:
        lines.append(f"  BREAKING {change.subject}: {change.what}")
    lines += [f"api-check: FAIL: {f}" for f in failures]
    if changes and not failures:
        lines.append("api-check: breaking changes acknowledged by the version and CHANGELOG")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref to compare with (default: the last release)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to check")
    parser.add_argument("--markdown", action="store_true", help="report as Markdown")
    parser.add_argument("--write-snapshot", action="store_true", help=f"write {SNAPSHOT}")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.write_snapshot:
            print(f"api-check: wrote {write_snapshot(root).relative_to(root)}")
            return 0
        base = baseline(root, args.base)
        new_version = _version((root / PACKAGE / "_version.py").read_text())
        changes = breaking_changes(base.module, _load(root))
        changelog = (root / "CHANGELOG.md").read_text()
        failures = problems(changes, base.version, new_version, changelog)
    except (CheckError, OSError, griffe.GriffeError) as exc:
        print(f"api-check: error: {exc}", file=sys.stderr)
        return 2
    print(report(changes, base, new_version, failures, args.markdown))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
