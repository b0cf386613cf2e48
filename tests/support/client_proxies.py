"""Point the environment's proxy settings at a test's own proxy."""

from __future__ import annotations

import pytest

PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


def use_proxy(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """HTTP_PROXY (both spellings) is `url`; every other proxy variable is unset."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("http_proxy", url)
