"""Mutation testing of the hand-written modules with mutmut 3 (`make mutate`).

    python scripts/mutate.py                  from scratch: every mutant of every module
    python scripts/mutate.py _retry errors    these modules' mutants again (the rest kept)
    python scripts/mutate.py --survivors      only the mutants that survived last time
    python scripts/mutate.py --resume         only the mutants not run yet (a run cut short)
    python scripts/mutate.py --report         the table of the last run; nothing is run
    python scripts/mutate.py --quick tests/client/test_retry.py [module ...]
                                              the last survivors against these tests only
                                              (with --resume: the mutants not run yet)

What is mutated and which tests run (by marker) is set in setup.cfg's [mutmut] section. mutmut
works in a copy of the project, `mutants/`, which it keeps as its cache; a run from
scratch deletes it first, because mutmut re-tests a survivor only when told to, not
when the tests change.

Prints, per module, the mutants killed out of those that count, and each mutant that
was not killed, with its diff. Exits non-zero when a module scores under
`--threshold` percent, or when an entry of the ignore list no longer matches its
mutant.

`--quick` is for writing tests: each survivor runs only the given tests (in a
process of its own, with the mutant switched on, as mutmut runs it), and one they
kill is recorded as killed. Sound because a kill by any test is a kill; a survivor
they do not kill stays one (with --resume, one not run stays not run, for mutmut).

The ignore list (mutation/equivalent.txt, read by scripts/equivalents.py) holds the
equivalent mutants: changes no caller can observe. They are not run. Each entry names
the mutant by what it is (its module, its function, the line it removes and the line it
writes, never mutmut's number, which any edit to the function shifts) and says why
nothing observable changes:

    fluidstack_client._retry backoff
        - base = min(policy.initial_delay * 2.0 ** min(retries_done, 64), policy.max_delay)
        + base = min(policy.initial_delay * 2.0 ** min(retries_done, 65), policy.max_delay)
        why: 2**64 x any delay is already past any cap; 2**65 is too

An entry that matches no mutant any more (its line changed), or whose mutant the tests
kill, fails the run until it is checked again.
"""

from __future__ import annotations

import argparse
import configparser
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from equivalents import Entry, all_changes, matches, module_of, unmatched
from equivalents import read as read_ignore_list

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
PACKAGE = "fluidstack_client"
DEFAULT_THRESHOLD = 95.0
QUICK_TIMEOUT = 600  # seconds for one survivor against the --quick tests

# mutmut's exit codes (mutmut/stats.py), in the groups that matter here.
DETECTED = {
    1: "killed",
    3: "killed",  # pytest's internal error
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "crashed",
    -9: "crashed",
}
UNDETECTED = {0: "survived", 33: "no tests", 5: "no tests", 34: "skipped", 37: "type check"}
IGNORED = "ignored"
# Anything else (None: not run; 2: interrupted; other codes: suspicious) is neither.


@dataclass
class Module:
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str]] = field(default_factory=list)  # (mutant, status)

    @property
    def counted(self) -> int:
        return sum(n for status, n in self.counts.items() if status != IGNORED)

    @property
    def killed(self) -> int:
        return sum(n for status, n in self.counts.items() if status in DETECTED.values())

    @property
    def score(self) -> float:
        return 100.0 if self.counted == 0 else 100.0 * self.killed / self.counted


# -- mutants and their results -----------------------------------------------------------


SOURCES: dict[str, str] = {}  # module -> its file, as load_results() finds them


def source_of(module: str) -> str:
    if module in SOURCES:
        return SOURCES[module]
    path = module.replace(".", "/")
    return f"{path}/__init__.py" if (ROOT / path).is_dir() else f"{path}.py"


def load_results() -> dict[str, dict[str, int | None]]:
    """module -> exit code by mutant, from mutmut's .meta files."""
    results: dict[str, dict[str, int | None]] = {}
    for meta in sorted(MUTANTS.glob(f"{PACKAGE}/**/*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            module = module_of(next(iter(codes)))
            results[module] = codes
            SOURCES[module] = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
    return results


def record(results: dict[str, int]) -> None:
    """Write exit codes into mutmut's .meta files (as mutmut itself does)."""
    by_module: dict[str, dict[str, int]] = {}
    for mutant, code in results.items():
        by_module.setdefault(module_of(mutant), {})[mutant] = code
    for module, codes in by_module.items():
        meta = MUTANTS / (source_of(module) + ".meta")
        data = json.loads(meta.read_text())
        data["exit_code_by_key"].update(codes)
        meta.write_text(json.dumps(data, indent=4))


def status_of(code: int | None) -> str:
    if code in DETECTED:
        return DETECTED[code]
    if code in UNDETECTED:
        return UNDETECTED[code]
    if code is None:
        return "not run"
    return "interrupted" if code == 2 else f"suspicious ({code})"


def diff_of(mutant: str) -> str:
    """mutmut's diff of one mutant (read from mutants/, as `mutmut show` does)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return get_diff_for_mutant(mutant, path=source_of(module_of(mutant)))


def changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def score(
    results: dict[str, dict[str, int | None]],
    excused: dict[str, Entry],
    entries: list[Entry],
) -> tuple[list[Module], list[str]]:
    """Per-module tallies, and what is wrong with the ignore list. `excused`: the
    entry each equivalent mutant matches (equivalents.matches)."""
    modules: list[Module] = []
    problems: list[str] = []
    for name, codes in results.items():
        if all(code is None for code in codes.values()):
            continue  # not run at all (a run of other modules)
        module = Module(name)
        for mutant, code in sorted(codes.items(), key=lambda item: _natural(item[0])):
            status = status_of(code)
            entry = excused.get(mutant)
            if entry is not None:
                if status in DETECTED.values():
                    problems.append(f"{entry} is listed as equivalent, but the tests kill it")
                else:
                    module.counts[IGNORED] += 1
                    continue
            module.counts[status] += 1
            if status not in DETECTED.values():
                module.missed.append((mutant, status))
        modules.append(module)
    for entry in unmatched(entries, excused, set(results)):
        problems.append(f"{entry} matches no mutant: its line changed; check it again")
    return modules, problems


def _natural(mutant: str) -> tuple[str, int]:
    stem, _, number = mutant.rpartition("_")
    return (stem, int(number) if number.isdigit() else 0)


def report(modules: list[Module], problems: list[str], threshold: float, gated: set[str]) -> int:
    width = max([len(m.name) for m in modules] + [6])
    print(f"\n{'module':<{width}}  mutants  ignored  killed  missed   score")
    total = Module("total")
    for m in modules:
        total.counts.update(m.counts)
        flag = "  < threshold" if m.name in gated and m.score < threshold else ""
        print(
            f"{m.name:<{width}}  {sum(m.counts.values()):>7}  {m.counts[IGNORED]:>7}"
            f"  {m.killed:>6}  {len(m.missed):>6}  {m.score:5.1f}%{flag}"
        )
    missed = [
        (mutant, status)
        for m in modules
        if m.name in gated
        for mutant, status in m.missed
        if status != "not run"  # (a run still going, or one that was stopped)
    ]
    print(
        f"{'total':<{width}}  {sum(total.counts.values()):>7}  {total.counts[IGNORED]:>7}"
        f"  {total.killed:>6}  {sum(len(m.missed) for m in modules):>6}  {total.score:5.1f}%"
    )
    print("outcomes: " + ", ".join(f"{n} {status}" for status, n in sorted(total.counts.items())))
    if missed:
        print(f"\n{len(missed)} mutants not killed (`mutmut show <mutant>` for the function):")
        for mutant, status in missed:
            print(f"  {mutant}  [{status}]")
            for line in changed_lines(diff_of(mutant)):
                print(f"      {line}")
    for problem in problems:
        print(f"ignore list: {problem}", file=sys.stderr)
    failing = [m.name for m in modules if m.name in gated and m.score < threshold]
    if failing:
        print(f"\nunder {threshold:g}%: {', '.join(failing)}", file=sys.stderr)
    return 1 if failing or problems else 0


# -- running -----------------------------------------------------------------------------


def run_mutmut(names: list[str], max_children: int) -> int:
    """`mutmut run` on exactly these mutants."""
    MUTANTS.mkdir(exist_ok=True)
    (MUTANTS / ".gitignore").write_text("*\n")  # whatever the checkout's .gitignore says
    mutmut = Path(sys.executable).parent / "mutmut"
    command = [str(mutmut), "run", "--max-children", str(max_children), *names]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


# A test failure (1), pytest's internal error (3: the mutant breaks the package's import;
# the same tests pass without a mutant, which quick() checks first) or a hang (36) is a
# kill, as for mutmut; a run ended from outside (a signal) or interrupted proves nothing
# either way, and is not recorded.
QUICK_KILLS = (1, 3, 36)


def markers(parser: configparser.ConfigParser) -> str:
    """The `-m` expression that chooses mutmut's tests in setup.cfg (one option a line:
    `-m`, then the expression)."""
    selection = parser.get("mutmut", "pytest_add_cli_args_test_selection", fallback="")
    options = [line.strip() for line in selection.splitlines() if line.strip()]
    if "-m" not in options or options.index("-m") + 1 == len(options):
        raise SystemExit("setup.cfg: [mutmut] pytest_add_cli_args_test_selection has no -m")
    return options[options.index("-m") + 1]


def quick(names: list[str], tests: list[str], jobs: int, *, keep: bool) -> dict[str, int]:
    """Run each mutant against `tests` only; the exit code of each run, by mutant.
    With `keep`, each kill is recorded as it comes (a run cut short keeps its work)."""
    stale = [
        path
        for path in {source_of(module_of(n)) for n in names}
        if (ROOT / path).stat().st_mtime > (MUTANTS / path).stat().st_mtime
    ]
    if stale:
        raise SystemExit(f"changed since the mutants were made: {stale}; run mutmut first")
    # The tests as they are in the checkout (not mutmut's copy, which a run in progress
    # uses); the package is the mutated one in mutants/, the working directory.
    tests = [str((ROOT / test).resolve()) for test in tests]
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    extra = parser.get("mutmut", "pytest_add_cli_args", fallback="").split()
    # `-p name` options go to PYTEST_PLUGINS (plugins to load) or stay (no:name).
    plugins = [name for flag, name in itertools.pairwise(extra) if flag == "-p"]
    loaded = [name for name in plugins if not name.startswith("no:")]
    blocked = [arg for name in plugins if name.startswith("no:") for arg in ("-p", name)]
    # (schemathesis's plugin takes a second to load, and no test run here needs it)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "--rootdir=.", "-p", "no:randomly"]
    command += ["-p", "no:schemathesis", *blocked, *tests]
    # The tests setup.cfg leaves out of mutmut's runs (by marker) stay out here too.
    command += ["-m", markers(parser)]
    # Bytecode is cached: a mutated module is ten times its source, slow to compile.
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base_env["PYTEST_PLUGINS"] = ",".join(loaded)

    def one(mutant: str) -> int:
        env = dict(base_env, MUTANT_UNDER_TEST=mutant, PY_IGNORE_IMPORTMISMATCH="1")
        try:
            done = subprocess.run(
                command, cwd=MUTANTS, env=env, capture_output=True, timeout=QUICK_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return 36
        return done.returncode

    clean = one("")
    if clean != 0:
        raise SystemExit(f"the --quick tests fail without any mutant (exit {clean})")
    results: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for mutant, code in zip(names, pool.map(one, names), strict=True):
            results[mutant] = code
            shown = {0: "survived", 1: "killed", 3: "killed", 36: "timeout"}.get(
                code, f"exit {code}"
            )
            print(f"  {shown:<10} {mutant}", flush=True)
            if keep and code in QUICK_KILLS:
                record({mutant: code})
    return results


def module_name(arg: str) -> str:
    """`_retry`, `_retry.py`, `fluidstack_client/_retry.py` -> fluidstack_client._retry;
    `__init__` (or the package's own name) -> fluidstack_client."""
    name = arg.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    if name in (PACKAGE, "__init__"):
        return PACKAGE
    return name if name.startswith(f"{PACKAGE}.") else f"{PACKAGE}.{name}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("modules", nargs="*", help="e.g. _retry errors (default: all)")
    parser.add_argument("--survivors", action="store_true", help="re-run the last survivors")
    parser.add_argument("--resume", action="store_true", help="run the mutants not run yet")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument("--quick", action="append", default=[], metavar="TEST", help="see above")
    parser.add_argument("--no-record", action="store_true", help="--quick: only print")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    started = time.monotonic()
    entries = read_ignore_list()
    changes = all_changes()
    ignore = matches(entries, changes)
    modules = [module_name(m) for m in args.modules]
    wanted = set(modules)
    if args.quick or args.survivors or args.resume:
        names = [
            mutant
            for module, codes in load_results().items()
            if not wanted or module in wanted
            for mutant, code in codes.items()
            if (code is None if args.resume else code in UNDETECTED) and mutant not in ignore
        ]
        print(f"{len(names)} mutants to run", flush=True)
        if names and args.quick:
            ran = quick(names, args.quick, args.max_children, keep=not args.no_record)
            killed = [m for m, c in ran.items() if c in QUICK_KILLS]
            unsure = sorted(m for m, c in ran.items() if c not in (0, *QUICK_KILLS))
            print(f"{len(killed)} of {len(names)} killed by {' '.join(args.quick)}")
            if unsure:
                print(f"{len(unsure)} runs ended otherwise (not recorded): {' '.join(unsure)}")
            if args.no_record:
                return 0
        elif names:
            code = run_mutmut(names, args.max_children)
            if code != 0:
                return code
    elif not args.report:
        if not modules:
            shutil.rmtree(MUTANTS, ignore_errors=True)
        names = [n for n in changes if (not wanted or module_of(n) in wanted) and n not in ignore]
        code = run_mutmut(names, args.max_children)
        if code != 0:
            print(f"mutmut run exited with {code}", file=sys.stderr)
            return code
    results = load_results()
    if not results:
        raise SystemExit("no mutation results: run without --report first")
    measured, problems = score(results, ignore, entries)
    gated = wanted or {m.name for m in measured}
    status = report(measured, problems, args.threshold, gated)
    print(f"\n{time.monotonic() - started:.0f}s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
