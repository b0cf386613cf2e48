"""The one error the testing package raises for a mistake in how it is used."""

from __future__ import annotations

from typing import Any


class FakeUsageError(ValueError):
    """The fake was given something it cannot use, caught where it was given.

    Seed data that does not fit the spec (an unknown field, a wrong type, a value
    outside an enum), a fault aimed at a route the spec does not have, an impossible
    number, a `public_url` no client could reach, or `RecordedRequest.json()` on a
    body that is not JSON. The message names what was wrong, where, and what was
    expected. For seed data, every problem found is listed, not only the first.

    Args:
        message: What was wrong, where, and what was expected.
        problems: Each problem on its own (default: the message).

    Attributes:
        problems: Each problem on its own, as the message lists them.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.problems)
