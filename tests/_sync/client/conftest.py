# The fixtures of tests/client/conftest.py (scripts/unasync.py).
from client.conftest import *  # noqa: F403
