# The fixtures of tests/contract/conftest.py (scripts/unasync.py).
from contract.conftest import *  # noqa: F403
