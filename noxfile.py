"""nox adds one thing to the Makefile: the suite on every Python it finds.

`nox` (or `nox -s tests`) runs `make pytest` on each Python from 3.11 to 3.14 that this
machine has (a missing interpreter is skipped, not failed); `nox -s lowest` runs
`make test-lowest`. Every task is defined once, in the Makefile and the scripts it
calls: a session here only chooses the interpreter. Arguments after `--` go to pytest
(`nox -s tests-3.12 -- -x -k retry`).
"""

from __future__ import annotations

import shlex

import nox

nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13", "3.14"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The suite (`make pytest`) on this Python.

    nox finds the interpreter and makes the venv; make, given that venv as its own,
    installs the dev tools, Prism and the package into it (once: its stamp is kept in
    the venv) and runs the suite."""
    venv = session.env_dir
    session.run(
        "make",
        "pytest",
        f"VENV={venv}",
        f"PYTHON={venv / 'bin' / 'python'}",
        f"PYTEST_ARGS={shlex.join(session.posargs)}",
        external=True,
    )


@nox.session(venv_backend="none")
def lowest(session: nox.Session) -> None:
    """The suite at the lowest dependency versions (`make test-lowest`, .venv-lowest)."""
    session.run("make", "test-lowest", f"PYTEST_ARGS={shlex.join(session.posargs)}", external=True)
