"""`make mutate`'s own logic (scripts/mutate.py), without running mutmut: the ignore
list is well formed, and the report scores, gates and fails as documented."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import mutate  # noqa: E402

pytestmark = pytest.mark.tooling


def test_the_checked_in_ignore_list_is_well_formed() -> None:
    entries = mutate.read_ignore_list()
    assert len(entries) >= 100
    for name, entry in entries.items():
        assert name.startswith("fluidstack_client"), name
        assert "__mutmut_" in name, name
        assert entry.lines, name
        assert len(entry.why) >= 20, f"{name}: say why no caller can tell"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("m.x_f__mutmut_1\n    + a\n", "needs its '+' line(s) and a 'why:'"),
        ("m.x_f__mutmut_1\n    why: w\n", "needs its '+' line(s) and a 'why:'"),
        ("m.x_f__mutmut_1\n    - a\n", "expected '+ <line>' or 'why: <reason>'"),
        ("    + a\n", "an indented line before any mutant"),
        ("m.x_f__mutmut_1\n    + a\n    why: w\nm.x_f__mutmut_1\n", "is listed twice"),
    ],
)
def test_a_malformed_ignore_list_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "equivalent.txt"
    path.write_text("# a comment\n\n" + text)
    with pytest.raises(SystemExit) as info:
        mutate.read_ignore_list(path)
    assert problem in str(info.value)


def test_modules_are_named_as_mutmut_names_them() -> None:
    assert mutate.module_name("_retry") == "fluidstack_client._retry"
    assert mutate.module_name("fluidstack_client/_retry.py") == "fluidstack_client._retry"
    assert mutate.module_name("__init__") == "fluidstack_client"
    assert (
        mutate.module_of("fluidstack_client._retry.x_backoff__mutmut_7")
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
    modules, problems = mutate.score(_results(killed=94, survived=6), {})
    assert problems == []
    assert (modules[0].killed, modules[0].counted, modules[0].score) == (94, 100, 94.0)
    assert mutate.report(modules, problems, 95.0, {"fluidstack_client._m"}) == 1
    out = capsys.readouterr()
    assert "94.0%  < threshold" in out.out
    assert "under 95%: fluidstack_client._m" in out.err
    passing, _ = mutate.score(_results(killed=95, survived=5), {})
    assert mutate.report(passing, [], 95.0, {"fluidstack_client._m"}) == 0


def test_a_mutant_not_run_counts_as_missed() -> None:
    modules, _ = mutate.score(_results(killed=96, survived=0, unrun=4), {})
    assert (modules[0].score, modules[0].missed[0][1]) == (96.0, "not run")


def test_an_ignored_mutant_is_left_out_and_a_stale_or_killed_entry_is_a_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mutate, "diff_of", lambda mutant: "-a\n+b\n")
    entry = mutate.Entry("fluidstack_client._m.x_f__mutmut_9", ["b"], "nothing observable")
    ignore = {entry.mutant: entry}
    modules, problems = mutate.score(_results(killed=9, survived=1), ignore)
    assert (modules[0].counts[mutate.IGNORED], modules[0].score, problems) == (1, 100.0, [])

    stale = mutate.Entry(entry.mutant, ["something else"], "nothing observable")
    _, problems = mutate.score(_results(killed=9, survived=1), {entry.mutant: stale})
    assert "a stale entry" in problems[0]

    killed = mutate.Entry("fluidstack_client._m.x_f__mutmut_0", ["b"], "nothing observable")
    _, problems = mutate.score(_results(killed=9, survived=1), {killed.mutant: killed})
    assert "but the tests kill it" in problems[0]


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
