"""A pytest plugin for mutation runs only (setup.cfg's [mutmut] loads it with `-p`).

Every client builds an SSL context (certifi's bundle: about 60 ms of CPU), and a
mutation run builds tens of thousands of clients speaking plain http to 127.0.0.1.
One default context is shared instead, as tests/conftest.py's `one_ssl_context`
does for a single module: about two thirds of the suite's CPU time saved. A
context asked for with other settings (the TLS tests' own) is built as usual.
"""

from __future__ import annotations

from typing import Any

try:
    import httpx._transports.default as _default
except ImportError:  # pragma: no cover - another httpx layout: nothing to share
    _default = None  # type: ignore[assignment]

_original = getattr(_default, "create_ssl_context", None)
_shared: list[Any] = []


def _create(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
    assert _original is not None
    if verify is True and cert is None and trust_env:
        if not _shared:
            _shared.append(_original())
        return _shared[0]
    return _original(verify=verify, cert=cert, trust_env=trust_env)


if _original is not None:
    _default.create_ssl_context = _create  # type: ignore[attr-defined]
