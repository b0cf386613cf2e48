"""Derive the sync client from the async one (the httpcore habit).

    python scripts/unasync.py          rewrite fluidstack_client/_sync_*.py
    python scripts/unasync.py --check  fail, with a diff, if they are out of date

The rewrite is purely textual, so the two clients cannot drift apart: whatever
the async client decides, the sync one decides the same way.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fluidstack_client"
PAIRS = {"_async_client.py": "_sync_client.py", "_async_resources.py": "_sync_resources.py"}

RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\b_async_(backend|client|resources)\b", r"_sync_\1"),
    (r"\basyncio_detailed\b", "sync_detailed"),
    (r"\bset_async_httpx_client\b", "set_httpx_client"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\baclose\b", "close"),
    (r"\baiter_(raw|bytes)\b", r"iter_\1"),
    (r"\b(_?)Async(?=[A-Z])", r"\1"),
    (r"\bAwaitable\[([^\[\]]*(\[[^\[\]]*(\[[^\[\]]*\])?[^\[\]]*\])?[^\[\]]*)\]", r"\1"),
    (r"\bAwaitable, ", ""),
]
HEADER = (
    "# Derived from {source} by scripts/unasync.py (make generate). Do not edit:\n"
    "# change {source} and regenerate.\n"
)


def convert(source_name: str) -> str:
    text = (PACKAGE / source_name).read_text()
    for pattern, replacement in RULES:
        text = re.sub(pattern, replacement, text)
    return HEADER.format(source=source_name) + text


def _ruff(args: list[str], text: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def formatted(text: str, name: str) -> str:
    """Sorted imports and ruff formatting, with this repo's (pinned) ruff settings."""
    stdin = ["--stdin-filename", str(PACKAGE / name), "-"]
    text = _ruff(["check", "--fix-only", "--select", "I,F401", "--quiet", *stdin], text)
    return _ruff(["format", "--quiet", *stdin], text)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source, target in PAIRS.items():
        expected = formatted(convert(source), target)
        path = PACKAGE / target
        current = path.read_text() if path.exists() else ""
        if current == expected:
            continue
        if check:
            stale.append(target)
            sys.stderr.writelines(
                difflib.unified_diff(
                    current.splitlines(True), expected.splitlines(True), target, f"{target} (fresh)"
                )
            )
        else:
            path.write_text(expected)
    if stale:
        print(f"unasync: out of date: {', '.join(stale)} (run 'make generate')", file=sys.stderr)
        return 1
    print("unasync: sync client is up to date." if check else "unasync: wrote the sync client.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
