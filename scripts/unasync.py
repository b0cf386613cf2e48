"""Derive the sync client from the async one, and the sync tests from the async ones
(the httpcore habit).

    python scripts/unasync.py          rewrite the derived files
    python scripts/unasync.py --check  fail, with a diff, if any is out of date

Two kinds of derived file:

- the sync clients: each `fluidstack_client/_async_<x>.py` of PAIRS (the send path,
  both APIs' clients and resources) gives `_sync_<x>.py`;
- the sync tests: every `tests/<area>/test_x.py` holding `async def test_*` gives
  `tests/_sync/<area>/test_x.py`, the same scenarios through `Fluidstack`. A plain
  `def test_*` of the source is left out (it runs once, from the source), and so is
  an async test marked `@pytest.mark.async_only` (what only an event loop can show).

The rewrite is purely textual, so the two sides cannot drift apart: whatever the
async code decides or checks, the sync code decides or checks the same way.
"""

from __future__ import annotations

import ast
import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fluidstack_client"
TESTS = ROOT / "tests"
SYNC_TESTS = TESTS / "_sync"
PAIRS = {
    "_async_send.py": "_sync_send.py",
    "_async_client.py": "_sync_client.py",
    "_async_resources.py": "_sync_resources.py",
    "_async_region.py": "_sync_region.py",
    "_async_region_resources.py": "_sync_region_resources.py",
}

RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\b_async_(backend|client|resources|send|region|region_resources)\b", r"_sync_\1"),
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
# Only in tests, before RULES: names of the test support that differ by more than "Async".
TEST_RULES: list[tuple[str, str]] = [
    (r"\bAsyncByteStream\b", "SyncByteStream"),
    (r"\.asyncio\(", ".sync("),  # a generated endpoint's parsed-only function
    (r"\baread\b", "read"),
    (r"\baiter_lines\b", "iter_lines"),
]
HEADER = (
    "# Derived from {source}\n"
    "# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.\n"
)


def rewrite(text: str, rules: list[tuple[str, str]]) -> str:
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def convert(source_name: str) -> str:
    text = (PACKAGE / source_name).read_text()
    return HEADER.format(source=source_name) + rewrite(text, RULES)


def _async_only(node: ast.AsyncFunctionDef) -> bool:
    return any("async_only" in ast.unparse(decorator) for decorator in node.decorator_list)


def derived_tests(text: str) -> str | None:
    """The sync twin of a test module's source, or None when it has no async test.

    The tests that do not become sync ones (plain `def test_*`, `async_only` ones)
    are cut out, decorators included, before the textual rewrite."""
    tree = ast.parse(text)
    cut: list[tuple[int, int]] = []
    kept = 0
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not node.name.startswith("test_"):
            continue
        if isinstance(node, ast.AsyncFunctionDef) and not _async_only(node):
            kept += 1
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        cut.append((first, node.end_lineno or node.lineno))
    if not kept:
        return None
    lines = text.splitlines(keepends=True)
    for first, last in reversed(cut):
        del lines[first - 1 : last]
    return rewrite("".join(lines), [*TEST_RULES, *RULES])


def _ruff(args: list[str], text: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def formatted(text: str, path: Path) -> str:
    """Sorted imports and ruff formatting, with this repo's (pinned) ruff settings."""
    stdin = ["--stdin-filename", str(path), "-"]
    text = _ruff(["check", "--fix-only", "--select", "I,F401", "--quiet", *stdin], text)
    return _ruff(["format", "--quiet", *stdin], text)


def expected_files() -> dict[Path, str]:
    """Every derived file, by path, with the text it must have."""
    files: dict[Path, str] = {}
    for source, target in PAIRS.items():
        files[PACKAGE / target] = formatted(convert(source), PACKAGE / target)
    # Tests live in areas (tests/client/, tests/auth/, ...), never at the top.
    for path in sorted(TESTS.glob("*/**/test_*.py")):
        relative = path.relative_to(TESTS)
        if relative.parts[0] == "_sync" or "node_modules" in relative.parts:
            continue
        derived = derived_tests(path.read_text())
        if derived is None:
            continue
        twin = SYNC_TESTS / relative
        name = path.relative_to(ROOT).as_posix()
        files[twin] = formatted(HEADER.format(source=name) + derived, twin)
    return files


def _packages(files: dict[Path, str]) -> dict[Path, str]:
    """The `__init__.py` of each folder under tests/_sync that holds a derived test, and
    a `conftest.py` that takes the source folder's fixtures (a conftest applies to its
    own folder only; it is never derived, so its fixtures may name both clients)."""
    made: dict[Path, str] = {}
    for path in files:
        if SYNC_TESTS in path.parents:
            folder = path.parent
            while folder != SYNC_TESTS:
                made[folder / "__init__.py"] = ""
                source = TESTS / folder.relative_to(SYNC_TESTS)
                if (source / "conftest.py").exists():
                    module = ".".join(source.relative_to(TESTS).parts)
                    made[folder / "conftest.py"] = (
                        f"# The fixtures of tests/{module.replace('.', '/')}/conftest.py"
                        " (scripts/unasync.py).\n"
                        f"from {module}.conftest import *  # noqa: F403\n"
                    )
                folder = folder.parent
    return made


def main(argv: list[str]) -> int:
    check = "--check" in argv
    expected = expected_files()
    expected.update({p: t for p, t in _packages(expected).items() if p not in expected})
    stale: list[str] = []
    for path, text in expected.items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        name = path.relative_to(ROOT).as_posix()
        if check:
            stale.append(name)
            sys.stderr.writelines(
                difflib.unified_diff(
                    (current or "").splitlines(True), text.splitlines(True), name, f"{name} (fresh)"
                )
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    # A derived test whose source is gone, or has no async test left, goes too.
    leftovers = [
        path
        for path in sorted(SYNC_TESTS.rglob("*.py"))
        if path not in expected and path != SYNC_TESTS / "__init__.py"
    ]
    for path in leftovers:
        if check:
            stale.append(f"{path.relative_to(ROOT).as_posix()} (no longer derived)")
        else:
            path.unlink()
    if stale:
        print(f"unasync: out of date: {', '.join(stale)} (run 'make generate')", file=sys.stderr)
        return 1
    print("unasync: the sync code is up to date." if check else "unasync: wrote the sync code.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
