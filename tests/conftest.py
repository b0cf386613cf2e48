from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from scripted_server import ScriptedServer

from fluidstack_client.testing import FakeAPI, FakeServer

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def served_fake() -> Iterator[FakeServer]:
    """The bundled fake, with its default data, on a free 127.0.0.1 port."""
    with FakeServer(FakeAPI()) as served:
        yield served


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open() as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


@pytest.fixture(scope="module")
def one_ssl_context() -> Iterator[None]:
    """Every client builds an SSL context (certifi's bundle, 0.05-0.1 s); a module that
    builds hundreds of clients speaking plain http to loopback can share one. Without
    httpx's hook (it is private) the tests are merely slower."""
    import httpx._transports.default as default

    original = getattr(default, "create_ssl_context", None)
    if original is None:
        yield
        return
    shared = original()

    def create(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None and trust_env:
            return shared
        return original(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(default, "create_ssl_context", create)
        yield
