"""Take a new OpenAPI spec: validate it, copy it in, regenerate, say what changed.

    python scripts/update_spec.py path/to/openapi.yaml
    python scripts/update_spec.py https://example.invalid/openapi.yaml

An invalid spec is refused with the validator's message and nothing is changed. A
valid one replaces `spec/openapi.yaml` byte for byte; the client is regenerated
(the generated package and the derived sync client), and the summary printed is
the spec's changes followed by `api_check.py`'s verdict against the last release.
If generation fails, the old spec is put back.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import ValidatorDetectError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_check
import spec_diff

ROOT = Path(__file__).resolve().parent.parent
SPEC = Path("spec") / "openapi.yaml"
MAX_SPEC_BYTES = 16 * 1024 * 1024


class Refused(Exception):
    """The new spec cannot be taken; the message says why."""


def fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, follow_redirects=True, timeout=30)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise Refused(f"cannot fetch {source}: {exc}") from None
        data = response.content
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise Refused(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise Refused(f"{source} is larger than {MAX_SPEC_BYTES} bytes")
    return data


def check(source: str, data: bytes) -> dict[str, Any]:
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise Refused(f"{source} is not YAML or JSON: {exc}") from None
    if not isinstance(document, dict):
        raise Refused(f"{source} is not an OpenAPI document (no mapping at the top)")
    try:
        validate(document)
    except ValidatorDetectError:
        raise Refused(f"{source} is not OpenAPI 3.x: no 'openapi' version field") from None
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


def regenerate(root: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    subprocess.run([str(root / "scripts" / "generate.sh")], cwd=root, env=env, check=True)
    subprocess.run([sys.executable, str(root / "scripts" / "unasync.py")], cwd=root, check=True)


def update(root: Path, source: str) -> int:
    data = fetch(source)
    new = check(source, data)
    target = root / SPEC
    old_bytes = target.read_bytes()
    if old_bytes == data:
        print(f"update-spec: {SPEC} is already this spec; nothing to do")
        return 0
    old = yaml.safe_load(old_bytes)
    target.write_bytes(data)
    try:
        regenerate(root)
    except (subprocess.CalledProcessError, OSError) as exc:
        target.write_bytes(old_bytes)
        raise Refused(f"generation failed ({exc}); {SPEC} is unchanged") from None
    print(f"update-spec: {SPEC} replaced by {source}; client regenerated")
    print(spec_diff.render(spec_diff.diff(old, new), markdown=False))
    verdict = api_check.main(["--root", str(root)])
    if verdict == 1:
        print("update-spec: the change is BREAKING: bump the version and name it in CHANGELOG.md")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="a file or an http(s) URL")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to update")
    args = parser.parse_args(argv)
    try:
        return update(args.root.resolve(), args.spec)
    except Refused as exc:
        print(f"update-spec: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
