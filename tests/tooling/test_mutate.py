"""`make mutate`'s own logic (scripts/mutate.py), without running mutmut: the ignore
list is well formed, and the report scores, gates and fails as documented."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import equivalents  # noqa: E402
import mutate  # noqa: E402

pytestmark = pytest.mark.tooling


def test_the_checked_in_ignore_list_is_well_formed() -> None:
    entries = equivalents.read()
    assert len(entries) >= 100
    for entry in entries:
        assert entry.module.startswith("fluidstack_client"), entry
        assert entry.function, entry
        assert "__mutmut_" not in entry.function, entry
        assert entry.removed or entry.added, entry
        assert len(entry.why) >= 20, f"{entry}: say why no caller can tell"


ENTRY = "fluidstack_client._m f\n    - a = 1\n    + a = 2\n    why: w\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fluidstack_client._m f\n    - a = 1\n", "needs its '-'/'+' line(s) and a 'why:'"),
        ("fluidstack_client._m f\n    why: w\n", "needs its '-'/'+' line(s) and a 'why:'"),
        ("fluidstack_client._m f\n    = a\n", "expected '- <line>', '+ <line>' or 'why: ...'"),
        ("fluidstack_client._m f\n    why: w\n    + a\n", "a changed line after the 'why:'"),
        ("    + a\n", "an indented line before any entry"),
        ("fluidstack_client._m.x_f__mutmut_2\n    + a\n    why: w\n", "expected '<module> "),
        (ENTRY + ENTRY, "the same change as line 3"),
    ],
)
def test_a_malformed_ignore_list_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "equivalent.txt"
    path.write_text("# a comment\n\n" + text)
    with pytest.raises(SystemExit) as info:
        equivalents.read(path)
    assert problem in str(info.value)


# One function before and after edits: the entry names `a = 1` -> `a = 2`.
BEFORE = "def f(x):\n    a = 1\n    return x + a\n"
EDITED_ELSEWHERE = (
    "def f(x):\n    x = abs(x)\n    if x:\n        x -= 1\n    a = 1\n    return x + a\n"
)
LINE_CHANGED = "def f(x):\n    a = 3\n    return x + a\n"
MODULE = Path("fluidstack_client/_m.py")


def _entry(tmp_path: Path) -> list[equivalents.Entry]:
    path = tmp_path / "equivalent.txt"
    path.write_text(ENTRY)
    return equivalents.read(path)


def test_an_entry_survives_edits_elsewhere_in_its_function(tmp_path: Path) -> None:
    """Issue 19: an entry is keyed by its module, function and lines, not by mutmut's
    number, so an edit that does not change its line keeps it valid."""
    entries = _entry(tmp_path)
    before = equivalents.matches(entries, equivalents.changes_of(MODULE, BEFORE))
    after = equivalents.matches(entries, equivalents.changes_of(MODULE, EDITED_ELSEWHERE))
    assert len(before) == len(after) == 1
    assert list(before) != list(after)  # mutmut renumbered the mutant
    assert not equivalents.unmatched(entries, after, {"fluidstack_client._m"})


def test_an_entry_whose_line_changed_matches_nothing_and_fails_the_run(tmp_path: Path) -> None:
    entries = _entry(tmp_path)
    changes = equivalents.changes_of(MODULE, LINE_CHANGED)
    excused = equivalents.matches(entries, changes)
    assert excused == {}
    codes: dict[str, int | None] = dict.fromkeys(changes, 1)
    results = {"fluidstack_client._m": codes}
    _, problems = mutate.score(results, excused, entries)
    assert problems == [f"{entries[0]} matches no mutant: its line changed; check it again"]


def test_modules_are_named_as_mutmut_names_them() -> None:
    assert mutate.module_name("_retry") == "fluidstack_client._retry"
    assert mutate.module_name("fluidstack_client/_retry.py") == "fluidstack_client._retry"
    assert mutate.module_name("__init__") == "fluidstack_client"
    assert (
        equivalents.module_of("fluidstack_client._retry.x_backoff__mutmut_7")
        == "fluidstack_client._retry"
    )


def _results(killed: int, survived: int, unrun: int = 0) -> dict[str, dict[str, int | None]]:
    codes: dict[str, int | None] = {}
    for i in range(killed):
        codes[f"fluidstack_client._m.x_f__mutmut_{i}"] = 1
    for i in range(killed, killed + survived):
        codes[f"fluidstack_client._m.x_f__mutmut_{i}"] = 0
    for i in range(killed + survived, killed + survived + unrun):
        codes[f"fluidstack_client._m.x_f__mutmut_{i}"] = None
    return {"fluidstack_client._m": codes}


def test_a_module_under_the_threshold_fails_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mutate, "diff_of", lambda mutant: "-a\n+b\n")
    modules, problems = mutate.score(_results(killed=94, survived=6), {}, [])
    assert problems == []
    assert (modules[0].killed, modules[0].counted, modules[0].score) == (94, 100, 94.0)
    assert mutate.report(modules, problems, 95.0, {"fluidstack_client._m"}) == 1
    out = capsys.readouterr()
    assert "94.0%  < threshold" in out.out
    assert "under 95%: fluidstack_client._m" in out.err
    passing, _ = mutate.score(_results(killed=95, survived=5), {}, [])
    assert mutate.report(passing, [], 95.0, {"fluidstack_client._m"}) == 0


def test_a_mutant_not_run_counts_as_missed() -> None:
    modules, _ = mutate.score(_results(killed=96, survived=0, unrun=4), {}, [])
    assert (modules[0].score, modules[0].missed[0][1]) == (96.0, "not run")


def test_an_ignored_mutant_is_left_out_and_a_killed_entry_is_a_problem(tmp_path: Path) -> None:
    entries = _entry(tmp_path)
    survivor = {"fluidstack_client._m.x_f__mutmut_9": entries[0]}
    modules, problems = mutate.score(_results(killed=9, survived=1), survivor, entries)
    assert (modules[0].counts[mutate.IGNORED], modules[0].score, problems) == (1, 100.0, [])

    killed = {"fluidstack_client._m.x_f__mutmut_0": entries[0]}
    _, problems = mutate.score(_results(killed=9, survived=1), killed, entries)
    assert problems == [f"{entries[0]} is listed as equivalent, but the tests kill it"]


# -- which tests run: chosen by marker, in setup.cfg ----------------------------------


def test_the_mutation_run_chooses_its_tests_by_marker(tmp_path: Path) -> None:
    """mutmut and --quick read one `-m` expression from setup.cfg; no test path or id is
    listed there (tests/, the one root, aside)."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    assert mutate.markers(parser) == "not slow and not contract and not tooling"
    selection = parser.get("mutmut", "pytest_add_cli_args_test_selection").split("\n")
    assert [line for line in selection if line] == ["tests", "-m", mutate.markers(parser)]

    unmarked = tmp_path / "setup.cfg"
    unmarked.write_text("[mutmut]\npytest_add_cli_args_test_selection =\n    tests\n")
    parser = configparser.ConfigParser()
    parser.read(unmarked)
    with pytest.raises(SystemExit, match="has no -m"):
        mutate.markers(parser)
