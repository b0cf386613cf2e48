"""Whether a run's `-m` expression can select a test carrying a given marker, decided
before the test's module is imported (so that a run leaving a whole folder out does not
import it: tests/tooling/conftest.py and tests/contract/conftest.py)."""

from __future__ import annotations

import itertools


def may_select(expression: str | None, marker: str) -> bool:
    """False only when no test carrying `marker` can match `expression`, whatever other
    markers it carries (every combination of the other names in the expression is
    tried). True when unsure: an expression with marker arguments, or more than ten
    names, or a pytest whose private expression parser has moved."""
    if not expression or "(" in expression:
        return True
    try:
        from _pytest.mark.expression import Expression

        compiled = Expression.compile(expression)
        others = sorted(compiled.idents() - {marker})
    except (ImportError, AttributeError, SyntaxError):
        return True
    if len(others) > 10:
        return True
    for values in itertools.product((False, True), repeat=len(others)):
        carried = {marker, *(name for name, on in zip(others, values, strict=True) if on)}
        if compiled.evaluate(lambda name, /, **kwargs: name in carried):
            return True
    return False
