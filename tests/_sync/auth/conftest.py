# The fixtures of tests/auth/conftest.py (scripts/unasync.py).
from auth.conftest import *  # noqa: F403
