"""Keep the token out of httpx's and httpcore's log lines.

Those libraries log what the server sent: httpcore (DEBUG) every response header,
httpx (INFO) each request's URL and reason phrase. A server that echoes the token
there would put it in the application's logs. Every live token registers its
redactor here, and a filter on those loggers scrubs each record before any
handler sees it. It costs nothing unless those loggers are enabled.
"""

from __future__ import annotations

import logging
import threading
import weakref

from .errors import Redactor

# Filters on a logger apply to records logged to it, not to its children's.
LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_live: weakref.WeakSet[Redactor] = weakref.WeakSet()
_lock = threading.Lock()
_installed = False


class _Scrub(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redactors = list(_live)
        if redactors:
            message = original = record.getMessage()
            for redactor in redactors:
                message = redactor.text(message)
            if message is not original:
                record.msg, record.args = message, None
        return True


def watch(redactor: Redactor) -> None:
    """Scrub `redactor`'s secrets from those loggers' records while it lives."""
    global _installed
    with _lock:
        _live.add(redactor)
        if not _installed:
            for name in LOGGERS:
                logging.getLogger(name).addFilter(_Scrub())
            _installed = True
