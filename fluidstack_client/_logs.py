"""`FLUIDSTACK_LOG=info|debug`: see what the client does without configuring logging.

The client logs to the `fluidstack_client` logger (INFO: each retry, each new token,
each fetch of the region list); httpx logs each request to `httpx` (INFO) and
httpcore each connection step (DEBUG). An application that configures logging
itself needs none of this. With the variable set, the first client created adds a
stderr handler to those loggers, as openai-python's `OPENAI_LOG` does, unless the
application already gave them handlers of its own.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from . import _fork
from .errors import ConfigurationError

LOG_ENV = "FLUIDSTACK_LOG"
LEVELS = {"info": logging.INFO, "debug": logging.DEBUG}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_lock = threading.Lock()
_done = False


def _unlock_after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # (another thread may have held it at the fork)


_fork.on_fork(_unlock_after_fork)


def from_environment() -> None:
    """Act on `FLUIDSTACK_LOG`, once per process (cheap after the first call)."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        value = os.environ.get(LOG_ENV, "").strip().lower()
        if value and value not in LEVELS:
            raise ConfigurationError(f"{LOG_ENV} must be 'info' or 'debug', got {value[:20]!r}")
        if value:
            names = ["fluidstack_client", "httpx"] + (["httpcore"] if value == "debug" else [])
            for name in names:
                logger = logging.getLogger(name)
                if not logger.handlers:
                    handler = logging.StreamHandler(sys.stderr)
                    handler.setFormatter(logging.Formatter(FORMAT))
                    logger.addHandler(handler)
                logger.setLevel(LEVELS[value])
        _done = True
