"""nox sessions mirroring the Makefile targets.

`nox` runs every session; `nox -s tests` runs the suite on each Python from 3.11
to 3.14 that this machine has (missing interpreters are skipped, not failed).
"""

from __future__ import annotations

import nox

nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13", "3.14"]


def _install(session: nox.Session) -> None:
    session.install("-r", "requirements/dev.txt")
    session.install("--no-deps", "-e", ".")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    _install(session)
    # Prism for the contract tests, from the committed lock (what `make test` does).
    session.run("make", "tests/contract/node_modules/.bin/prism", external=True)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    _install(session)
    session.run("mypy")


@nox.session
def generated(session: nox.Session) -> None:
    _install(session)
    session.run("scripts/check-generated.sh", external=True)
