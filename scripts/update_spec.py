"""Take a new OpenAPI spec of one API: validate it, copy it in, regenerate, say what changed.

    python scripts/update_spec.py --api management path/to/openapi.yaml
    python scripts/update_spec.py --api region https://example.invalid/atlas-region.yaml

`--api` names which spec is replaced (scripts/apis.py: `management` is
`spec/openapi.yaml`, `region` is `spec/atlas-region-v1alpha1.yaml`). An invalid spec
is refused with the validator's message and nothing is changed. So is a spec that
would generate a broken package (scripts/spec_rules.py: names the generator mangles
onto one another, onto the package's own or onto the locals its code binds, a name
the wrapper imports that is no longer generated, a wrapper call the operation no
longer fits (its arguments, its response's type), anything the generator refuses or
warns about), and one that binds
an existing operation's name to another method or path (or a kept method and path to
another name) while the version and CHANGELOG do not admit that breaking change: each
with one line naming the problem and the spec element. A valid one replaces that spec
byte for byte; the client is regenerated (both generated packages and the derived
sync code), and the summary printed is the spec's changes followed by
`api_check.py`'s verdict against the last release. If generation fails, the old spec
and code are put back, and the generator's cause is said in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_spec_validator import validate

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_check
import spec_diff
import spec_rules
from apis import APIS
from unasync import PAIRS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "fluidstack_client"
GENERATED = Path(PACKAGE) / "_generated"
MAX_SPEC_BYTES = 16 * 1024 * 1024
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Refused(Exception):
    """The new spec cannot be taken; the message says why."""


def fetch(source: str) -> bytes:
    """The bytes of a file or an http(s) URL, refused past MAX_SPEC_BYTES without
    reading further (a pipe, a device or an endless download is never read whole)."""
    if source.startswith(("http://", "https://")):
        return _download(source)
    path = Path(source)
    try:
        if not path.is_file():
            raise Refused(f"{source} is not a regular file")
        with path.open("rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise Refused(f"cannot read {source}: {exc.strerror or exc}") from None
    return _bounded(source, data)


def _download(url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=30) as response:
            response.raise_for_status()
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_SPEC_BYTES:
                _bounded(url, b"", int(declared))
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                _bounded(url, b"", size)
    except httpx.HTTPError as exc:
        raise Refused(f"cannot fetch {url}: {exc}") from None
    return b"".join(chunks)


def _bounded(source: str, data: bytes, size: int | None = None) -> bytes:
    if (len(data) if size is None else size) > MAX_SPEC_BYTES:
        raise Refused(f"{source} is larger than {MAX_SPEC_BYTES} bytes")
    return data


def parse(source: str, data: bytes) -> dict[str, Any]:
    """JSON (tabs and all) or YAML without aliases: an alias can make a tiny file
    expand without bound in the validator's walk, and a spec does not need one."""
    try:
        return _parse(source, data)
    except RecursionError:
        raise Refused(f"{source} is nested too deeply to be a spec") from None


def _parse(source: str, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError:
        try:
            events = list(yaml.parse(data, Loader=_Loader))
            if any(isinstance(event, yaml.AliasEvent) for event in events):
                raise Refused(f"{source} uses YAML aliases (*name); write the spec without them")
            document = yaml.load(data, Loader=_Loader)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise Refused(f"{source} is not YAML or JSON: {first}") from None
    if not isinstance(document, dict):
        raise Refused(f"{source} is not an OpenAPI document (no mapping at the top)")
    return document


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def check(source: str, data: bytes) -> dict[str, Any]:
    document = parse(source, data)
    version = document.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.")):
        raise Refused(f"{source} is not OpenAPI 3.x: no 'openapi: 3.x' version field")
    # The validator would fetch (or read) whatever an external $ref names: a spec
    # must be self-contained, so such a ref is refused before anything resolves it.
    external = sorted({ref for ref in _refs(document) if not ref.startswith("#")})
    if external:
        raise Refused(f"{source} has external $refs ({external[0]!r}, ...); inline them first")
    try:
        validate(document)
    except Exception as exc:  # the validator's own errors, and referencing's for bad $refs
        message = str(getattr(exc, "message", "") or exc).splitlines()[0]
        if len(message) > 300:
            message = message[:300] + "..."
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", ()))
        raise Refused(
            f"{source} is not a valid OpenAPI document: {message}"
            + (f" (at {where})" if where else "")
        ) from None
    return document


def follows_rules(root: Path, source: str, new: dict[str, Any], api: str) -> None:
    """Refuse a spec that would generate a broken package (scripts/spec_rules.py)."""
    found = spec_rules.problems(new, root, api)
    if found:
        raise Refused(f"{source}: {spec_rules.summary(found)}")


def keeps_operations(root: Path, source: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse an operation bound to another request, unless the version and CHANGELOG
    admit it as api-check admits a breaking change."""
    found = spec_rules.rebound(
        spec_rules.operations_of(old, root), spec_rules.operations_of(new, root)
    )
    if not found:
        return
    changes = [api_check.Change(r.subject, r.what) for r in found]
    try:
        version = api_check.version_of(root)
        failures = api_check.problems(
            changes,
            api_check.baseline(root, None).version,
            version,
            (root / "CHANGELOG.md").read_text(),
        )
    except (api_check.CheckError, OSError) as exc:
        failures = [str(exc)]
    if failures:
        raise Refused(
            f"{source}: {found[0].subject}: {found[0].what}, a breaking change the version "
            f"and CHANGELOG do not admit: {failures[0]}"
        )


class GenerationFailed(Exception):
    """scripts/generate.sh or unasync.py failed; the message is the cause, one line."""


def regenerate(root: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    for command in (
        [str(root / "scripts" / "generate.sh")],
        [sys.executable, str(root / "scripts" / "unasync.py")],
    ):
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise GenerationFailed(spec_rules.generator_cause(done.stderr + done.stdout))


def _rewritten(spec: Path) -> tuple[Path, ...]:
    """What regeneration rewrites: put back as it was if it does not finish."""
    return (spec, GENERATED, *(Path(PACKAGE) / name for name in PAIRS.values()))


def _save(root: Path, keep: Path, spec: Path) -> None:
    for relative in _rewritten(spec):
        source = root / relative
        if source.is_dir():
            shutil.copytree(source, keep / relative)
        else:
            (keep / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, keep / relative)


def _restore(root: Path, keep: Path, spec: Path) -> None:
    for relative in _rewritten(spec):
        target = root / relative
        if target.is_dir():
            shutil.rmtree(target)
        if (keep / relative).is_dir():
            shutil.copytree(keep / relative, target)
        else:
            shutil.copy2(keep / relative, target)


def update(root: Path, source: str, api: str = "management") -> int:
    spec = Path(APIS[api])
    data = fetch(source)
    new = check(source, data)
    target = root / spec
    old_bytes = target.read_bytes()
    if old_bytes == data:
        print(f"update-spec: {spec} is already this spec; nothing to do")
        return 0
    old = yaml.safe_load(old_bytes)
    follows_rules(root, source, new, api)
    keeps_operations(root, source, old, new)
    with tempfile.TemporaryDirectory(prefix="update-spec-") as keep:
        _save(root, Path(keep), spec)
        try:
            target.write_bytes(data)
            regenerate(root)
        except BaseException as exc:  # Ctrl-C too: never a new spec with an old client
            _restore(root, Path(keep), spec)
            if isinstance(exc, GenerationFailed | OSError):
                raise Refused(
                    f"{source}: the generator fails: {exc}; nothing was changed"
                ) from None
            raise
    print(f"update-spec: {spec} ({api} API) replaced by {source}; client regenerated")
    print(spec_diff.render(spec_diff.diff(old, new), markdown=False))
    verdict = api_check.main(["--root", str(root)])
    if verdict == 1:
        print("update-spec: the change is BREAKING: bump the version and name it in CHANGELOG.md")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="a file or an http(s) URL")
    parser.add_argument(
        "--api", required=True, choices=sorted(APIS), help="which API's spec it replaces"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to update")
    args = parser.parse_args(argv)
    try:
        return update(args.root.resolve(), args.spec, args.api)
    except Refused as exc:
        print(f"update-spec: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
