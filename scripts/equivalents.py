"""The ignore list of `make mutate`: equivalent mutants, named so that refactoring keeps them.

mutmut names a mutant by its position in the function (`x_backoff__mutmut_7`): any
edit to the function renumbers its mutants. So the list (mutation/equivalent.txt)
names each equivalent by what it *is* instead: the module, the function, the
line(s) the mutant removes and the line(s) it writes. An edit elsewhere in the
function, or a move of the line within it, keeps the entry valid; a change of the
line itself makes the entry match nothing, and `make mutate` fails until the entry
is checked again.

An entry (the `-` and `+` lines as `mutmut show` prints them, stripped):

    fluidstack_client._retry backoff
        - base = min(policy.initial_delay * 2.0 ** min(retries_done, 64), policy.max_delay)
        + base = min(policy.initial_delay * 2.0 ** min(retries_done, 65), policy.max_delay)
        why: 2**64 x any delay is already past any cap; 2**65 is too

The function is `name` or `Class.method`. An entry may match more than one mutant
(the same change on two identical lines of one function): they are equivalent for
the same reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_LIST = ROOT / "mutation" / "equivalent.txt"


@dataclass(frozen=True)
class Change:
    """What one mutant does: in which function, which lines it removes and writes."""

    module: str
    function: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass
class Entry:
    """One equivalent mutant of the ignore list (see the module docstring)."""

    module: str
    function: str
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    why: str = ""
    line: int = 0  # where it starts in the list, for messages

    @property
    def change(self) -> Change:
        return Change(self.module, self.function, tuple(self.removed), tuple(self.added))

    def __str__(self) -> str:
        return f"{self.module} {self.function} (line {self.line}: + {' | '.join(self.added)})"


def read(path: Path = IGNORE_LIST) -> list[Entry]:
    """The entries of the ignore list. A malformed or repeated entry is an error
    (SystemExit naming the line)."""
    entries: list[Entry] = []
    seen: dict[Change, int] = {}
    current: Entry | None = None
    if not path.exists():
        return entries
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            parts = line.split()
            if len(parts) != 2 or "__mutmut_" in line:
                raise SystemExit(f"{path}:{number}: expected '<module> <function>', got {line!r}")
            current = Entry(parts[0], parts[1], line=number)
            entries.append(current)
            continue
        body = line.strip()
        if current is None:
            raise SystemExit(f"{path}:{number}: an indented line before any entry")
        if body.startswith(("- ", "+ ")) or body in ("-", "+"):
            if current.why:
                raise SystemExit(f"{path}:{number}: a changed line after the 'why:'")
            (current.removed if body[0] == "-" else current.added).append(body[1:].strip())
        elif body.startswith("why:"):
            current.why = body[4:].strip()
        else:
            raise SystemExit(f"{path}:{number}: expected '- <line>', '+ <line>' or 'why: ...'")
    for entry in entries:
        if not (entry.removed or entry.added) or not entry.why:
            raise SystemExit(f"{path}:{entry.line}: needs its '-'/'+' line(s) and a 'why:'")
        if entry.change in seen:
            raise SystemExit(f"{path}:{entry.line}: the same change as line {seen[entry.change]}")
        seen[entry.change] = entry.line
    return entries


def function_of(mutant: str) -> str:
    """`x_backoff__mutmut_7` -> `backoff`; `xǁRedactorǁtext__mutmut_1` -> `Redactor.text`."""
    mangled = mutant.rpartition(".")[2].partition("__mutmut_")[0]
    if "ǁ" in mangled:
        _, cls, method = mangled.split("ǁ")
        return f"{cls}.{method}"
    return mangled.removeprefix("x_")


def module_of(mutant: str) -> str:
    return mutant.partition(".x")[0]


def change_of(mutant: str, original: str, mutated: str) -> Change:
    """The Change a mutant makes, from the code of its function before and after."""
    removed: list[str] = []
    added: list[str] = []
    diff = difflib.unified_diff(original.split("\n"), mutated.split("\n"), lineterm="", n=0)
    for line in diff:
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:].strip())
    return Change(module_of(mutant), function_of(mutant), tuple(removed), tuple(added))


def changes_of(path: Path, code: str) -> dict[str, Change]:
    """Every mutant mutmut makes of `code` (the module at `path`, relative to the project
    root), by name, with the change it makes. Nothing is run."""
    import libcst as cst
    from mutmut.mutation.diff_apply import read_mutant_function, read_original_function
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    mutated = mutate_file_contents(str(path), code)
    module = cst.parse_module(mutated.code)
    changes: dict[str, Change] = {}
    for short in mutated.mutant_names:
        name = get_mutant_name(path, short)
        original = cst.Module([read_original_function(module, name)]).code.strip()
        changed = cst.Module([read_mutant_function(module, name)]).code.strip()
        changes[name] = change_of(name, original, changed)
    return changes


def all_changes() -> dict[str, Change]:
    """Every mutant of the mutated modules (setup.cfg's [mutmut]), by name, with the
    change it makes. Must be called from the project root."""
    from mutmut.utils.file_utils import walk_mutatable_files

    changes: dict[str, Change] = {}
    for path in sorted(walk_mutatable_files()):
        changes.update(changes_of(path, path.read_text()))
    return changes


def matches(entries: Iterable[Entry], changes: dict[str, Change]) -> dict[str, Entry]:
    """The entry each mutant is excused by (only mutants some entry matches)."""
    by_change = {entry.change: entry for entry in entries}
    return {name: by_change[c] for name, c in changes.items() if c in by_change}


def unmatched(
    entries: Iterable[Entry], matched: dict[str, Entry], modules: set[str]
) -> list[Entry]:
    """Entries of these modules that match no mutant: the line changed, or moved to
    another function; check the mutant again."""
    used = {id(entry) for entry in matched.values()}
    return [e for e in entries if e.module in modules and id(e) not in used]
