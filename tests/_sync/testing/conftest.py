# The fixtures of tests/testing/conftest.py (scripts/unasync.py).
from testing.conftest import *  # noqa: F403
