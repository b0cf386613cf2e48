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
import ast
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

sys.path.insert(0, str(Path(__file__).resolve().parent))
import spec_rules
from apis import APIS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "fluidstack_client"
SNAPSHOT = Path("api") / "public-api.json.gz"
# Where the public API lives. "" is the package itself: griffe follows its `__all__`
# into the clients, errors, models and `testing`.
ROOTS = (
    "",
    "region",
    "_async_resources",
    "_sync_resources",
    "_async_region_resources",
    "_sync_region_resources",
    "_generated",
)
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


def version_of(root: Path) -> str:
    """The version the working tree's package says."""
    return _version((root / PACKAGE / "_version.py").read_text())


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def latest_tag(root: Path) -> str | None:
    """The newest release tag reachable from HEAD. When the package is exactly what
    HEAD's own tag holds (a release being built), that tag is skipped: the release is
    compared with the one before it, not with itself."""
    own = (_git(root, "tag", "--points-at", "HEAD", "--list", "v[0-9]*") or "").split()
    clean = _git(root, "status", "--porcelain", "--", PACKAGE) == ""
    excludes = [f"--exclude={tag}" for tag in own] if clean else []
    return _git(root, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", *excludes)


def from_ref(root: Path, ref: str) -> Baseline:
    """The package as it was at `ref`, read with `git archive` (no worktree, no branch)."""
    text = _git(root, "show", f"{ref}:{PACKAGE}/_version.py")
    if text is None:
        raise CheckError(f"git ref {ref!r} not found (or it has no {PACKAGE}/_version.py)")
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", ref, PACKAGE],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise CheckError(f"cannot read {PACKAGE} at git ref {ref!r}")
    with tempfile.TemporaryDirectory(prefix="api-check-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        module = _load(Path(tmp))
    return Baseline(f"git ref {ref}", _version(text), module)


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
        "version": version_of(root),
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
        version = document["version"]
    except Exception as exc:  # gzip, JSON or griffe refusing a damaged file
        raise CheckError(f"cannot read the API snapshot {SNAPSHOT}: {exc!r}") from None
    if not isinstance(module, griffe.Module) or not isinstance(version, str):
        raise CheckError(f"cannot read the API snapshot {SNAPSHOT}: no module and version")
    # Aliases (the package's re-exports) resolve through a modules collection.
    griffe.ModulesCollection().set_member(PACKAGE, module)
    return Baseline(f"snapshot {SNAPSHOT}", version, module)


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
    """The public name a CHANGELOG entry must spell for a path of the package.

    `fluidstack_client._generated.management.models.cluster.Cluster.id` -> `Cluster.id`
    (a model, whichever API: the layout before issue 20 had no API folder);
    `..._generated.region.api.instances.get_instance.sync` -> `get_instance`; any other
    part of the generated layer keeps its path (`_generated.api`, `_generated.client`).
    """
    parts = path.split(".")[1:]
    if parts[:1] == ["_generated"]:
        rest = parts[1:]
        if rest[:1] and rest[0] in APIS:
            rest = rest[1:]
        if rest[:1] == ["models"] and len(rest) > 1:
            rest = rest[1:]
            if len(rest) > 1 and rest[0].islower():
                rest = rest[1:]  # the module the class lives in
            return ".".join(rest)
        if rest[:1] == ["api"] and len(rest) >= 3:
            return rest[2]  # tag, operation (its sync/asyncio variants are one operation)
        return ".".join(parts)
    if parts[:1] == ["errors"]:
        parts = parts[1:]  # every error class is exported by the package itself
    public = [p for p in parts if not p.startswith("_") or p.startswith("__")]
    return ".".join(public) or PACKAGE


def _changes(breakage: griffe.Breakage) -> list[Change]:
    obj = breakage.obj
    what = breakage.kind.value
    path = obj.path
    if not obj.is_alias and obj.is_module and ".models." in path and "._generated." in path:
        return []  # a model's module: its class (re-exported) is reported instead
    parts = path.split(".")
    if parts[1:2] == ["_generated"] and parts[2:3] and parts[2] in APIS:
        parts = parts[:2] + parts[3:]  # the API's folder (none before issue 20)
    tag = parts[1:3] == ["_generated", "api"] and len(parts) == 4
    if not obj.is_alias and obj.is_module and tag:
        # A whole tag of operations went: name each operation it had.
        ops = sorted(name for name, m in obj.members.items() if m.is_module)
        return [Change(op, what) for op in ops] or [Change(_display(path), what)]
    subject = _display(path)
    parameter = breakage.old_value or breakage.new_value
    if isinstance(parameter, griffe.Parameter):
        subject = f"{subject}({parameter.name})"
    return [Change(subject, what)]


# What griffe 2 does not compare: types, enum values and defaults, exports, bases,
# async-ness. Each differs only when users can notice, so each is breaking.


def _text(expr: object) -> str | None:
    return None if expr is None else str(expr)


def _target(obj: griffe.Object | griffe.Alias) -> griffe.Object | None:
    try:
        return obj.final_target if obj.is_alias else obj  # type: ignore[union-attr,return-value]
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _is_enum(cls: griffe.Class) -> bool:
    return any(str(base).split(".")[-1] in {"Enum", "StrEnum", "IntEnum"} for base in cls.bases)


def _compared_value(obj: griffe.Attribute) -> bool:
    parent = obj.parent
    in_enum = isinstance(parent, griffe.Class) and _is_enum(parent)
    return in_enum or obj.name.startswith("DEFAULT_")


def _function_extras(old: griffe.Function, new: griffe.Function) -> Iterator[Change]:
    name = _display(new.path)
    if ("async" in old.labels) != ("async" in new.labels):
        yield Change(name, "Became sync" if "async" in old.labels else "Became async")
    new_params = {p.name: p for p in new.parameters}
    for param in old.parameters:
        other = new_params.get(param.name)
        if other is not None and _text(param.annotation) != _text(other.annotation):
            was, now = _text(param.annotation), _text(other.annotation)
            yield Change(f"{name}({param.name})", f"Parameter changed type: {was} -> {now}")
    if old.returns is not None and _text(old.returns) != _text(new.returns):
        yield Change(name, f"Return type changed: {old.returns} -> {new.returns}")


def _extras(old: griffe.Object, new: griffe.Object, seen: set[str]) -> Iterator[Change]:
    if old.path in seen:
        return
    seen.add(old.path)
    if isinstance(old, griffe.Module) and isinstance(new, griffe.Module):
        exported = {str(name) for name in new.exports or ()}
        for name in sorted({str(name) for name in old.exports or ()} - exported):
            yield Change(_display(f"{new.path}.{name}"), "Removed from __all__")
    if isinstance(old, griffe.Class) and isinstance(new, griffe.Class):
        kept = {str(base) for base in new.bases}
        gone = [str(base) for base in old.bases if str(base) not in kept]
        if gone:
            yield Change(_display(new.path), f"Base class removed: {', '.join(gone)}")
    if isinstance(old, griffe.Function) and isinstance(new, griffe.Function):
        yield from _function_extras(old, new)
        return
    if isinstance(old, griffe.Attribute) and isinstance(new, griffe.Attribute):
        name = _display(new.path)
        if _text(old.annotation) != _text(new.annotation):
            was, now = _text(old.annotation), _text(new.annotation)
            yield Change(name, f"Attribute changed type: {was} -> {now}")
        if _compared_value(old) and _text(old.value) != _text(new.value):
            yield Change(name, f"Value changed: {old.value} -> {new.value}")
        return
    new_members = new.all_members
    for member_name, member in old.all_members.items():
        if not member.is_public or member_name not in new_members:
            continue
        old_target, new_target = _target(member), _target(new_members[member_name])
        if old_target is not None and new_target is not None:
            yield from _extras(old_target, new_target, seen)


# What griffe cannot see: an operation's name bound to another request. Both
# functions still exist with the same arguments, but the resource method calling
# one now sends another method or path (scripts/spec_rules.py, `rebound`).


def _member(obj: griffe.Module, path: str) -> griffe.Object | None:
    try:
        found: griffe.Object = obj[path]
    except KeyError:
        return None
    return found


def operation_table(package: griffe.Module, api: str) -> dict[str, tuple[str, str]]:
    """The OPERATIONS tables of `api`'s tag packages: name -> (METHOD, path)."""
    tags = _member(package, f"_generated.{api}.api")
    if tags is None and api == "management":
        tags = _member(package, "_generated.api")  # the layout before issue 20
    found: dict[str, tuple[str, str]] = {}
    for tag in tags.modules.values() if tags is not None else ():
        value = getattr(tag.members.get("OPERATIONS"), "value", None)
        for method, template, name, *_ in ast.literal_eval(str(value)) if value else ():
            found[name] = (method, template)
    return found


def rebindings(old: griffe.Module, new: griffe.Module) -> list[Change]:
    found = []
    for api in APIS:
        before, after = operation_table(old, api), operation_table(new, api)
        found += [Change(r.subject, r.what) for r in spec_rules.rebound(before, after)]
    return found


def breaking_changes(old: griffe.Module, new: griffe.Module) -> list[Change]:
    found: set[Change] = set(rebindings(old, new))
    seen: set[str] = set()
    for name in ROOTS:
        try:
            old_root = old[name] if name else old
        except KeyError:
            continue  # a baseline from before this part existed
        try:
            new_root = new[name] if name else new
        except KeyError:
            found.add(Change(_display(f"{PACKAGE}.{name}"), "Public module was removed"))
            continue
        for breakage in griffe.find_breaking_changes(old_root, new_root):
            found.update(_changes(breakage))
        old_target, new_target = _target(old_root), _target(new_root)
        if old_target is not None and new_target is not None:
            found.update(_extras(old_target, new_target, seen))
    return sorted(found)


# The rules a breaking change must meet.


def _numbers(version: str) -> tuple[int, int, int, bool]:
    """(major, minor, patch, is a pre-release)."""
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?(.*)$", version.strip())
    if not found:
        raise CheckError(f"cannot read version {version!r}")
    major, minor, patch, rest = found.groups()
    pre = bool(re.match(r"[.-]?(a|b|c|rc|alpha|beta|pre|preview|dev)", rest or ""))
    return int(major), int(minor), int(patch or 0), pre


def bump_needed(old: str, new: str) -> str | None:
    """The smallest version a breaking change may ship in, if `new` is below it.

    After a pre-release (1.0.0rc1) the final release (1.0.0) may still change the API.
    """
    major, minor, patch, pre = _numbers(old)
    next_break = (0, minor + 1, 0) if major == 0 else (major + 1, 0, 0)
    need = (major, minor, patch) if pre else next_break
    have = _numbers(new)[:3]
    return None if have >= need else ".".join(map(str, need))


def breaking_notes(changelog: str, version: str) -> str:
    """The "### Breaking" parts of the sections for `version` and for Unreleased."""
    notes = []
    for section in re.split(r"(?m)^## ", changelog)[1:]:
        heading = section.splitlines()[0].strip().strip("[]").lower() if section else ""
        words = re.split(r"[\s\[\]()]+", heading)
        if heading.startswith("unreleased") or version.lower() in words:
            parts = re.split(r"(?m)^### ", section)[1:]
            notes += [p for p in parts if p.lower().startswith("breaking")]
    return "\n".join(notes)


def named(subject: str, notes: str) -> bool:
    """`subject` appears as a whole name: `ClusterType` is not named by `ClusterType.SLURM`."""
    pattern = rf"(?<![\w.]){re.escape(subject)}(?!\.?\w|\()"
    return re.search(pattern, notes) is not None


def problems(changes: list[Change], old: str, new: str, changelog: str) -> list[str]:
    if not changes:
        return []
    found = []
    need = bump_needed(old, new)
    if need:
        found.append(f"breaking changes need version {need} or later; _version.py says {new}")
    notes = breaking_notes(changelog, new)
    missing = sorted({c.subject for c in changes if not named(c.subject, notes)})
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
        new_version = version_of(root)
        changes = breaking_changes(base.module, _load(root))
        changelog = (root / "CHANGELOG.md").read_text()
        failures = problems(changes, base.version, new_version, changelog)
    except (CheckError, OSError, griffe.GriffeError) as exc:
        print(f"api-check: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # griffe on code it cannot read: one line, not a traceback
        print(f"api-check: error: cannot analyse the API: {exc!r}", file=sys.stderr)
        return 2
    print(report(changes, base, new_version, failures, args.markdown))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
