# Derived from tests/auth/test_environment.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Credentials from the environment when no `token=` is given: FLUIDSTACK_TOKEN first,
then FLUIDSTACK_CLIENT_ID with FLUIDSTACK_CLIENT_SECRET (and FLUIDSTACK_TOKEN_URL,
FLUIDSTACK_AUDIENCE), then the fluidctl file ~/.fluidstack/token; what is said when
there are none, or no home directory to look in. Calls go to the bundled fake on
127.0.0.1. (tests/conftest.py unsets every FLUIDSTACK_* variable and gives each test
an empty HOME.)"""

from __future__ import annotations

import os
import pwd
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from support.auth_tokens import (
    api_requests,
    bearer,
    claims,
    fluidctl_file,
    jwt,
    token_requests,
    write_token,
)
from support.clients import FAST

from fluidstack_client import (
    FluidctlToken,
    Fluidstack,
)
from fluidstack_client.testing import FakeAPI, FakeServer, serve

SECRET = "cs_live_9f8e7d6c5b4a"
CLIENTS: list[Any] = [Fluidstack, Fluidstack]
NO_CREDENTIALS_WAYS = (
    "token=",
    "FLUIDSTACK_TOKEN",
    "FLUIDSTACK_CLIENT_ID",
    "FLUIDSTACK_CLIENT_SECRET",
    "fluidctl login",
)


# -- the order: FLUIDSTACK_TOKEN, client credentials, the fluidctl file ----------------


def test_env_token_wins_over_client_credentials_and_the_fluidctl_file(
    served_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served_fake.fake
    write_token(fluidctl_file(), jwt(time.time() + 3600))
    monkeypatch.setenv("FLUIDSTACK_TOKEN", fake.token)
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", fake.token_url)
    with Fluidstack(base_url=served_fake.base_url, retry_policy=FAST) as fs:
        fs.keys.list()
    assert fake.token_requests == 0
    assert [bearer(r) for r in fake.requests] == [fake.token]


def test_env_client_credentials_win_over_the_fluidctl_file_with_url_and_audience(
    served_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served_fake.fake
    write_token(fluidctl_file(), jwt(time.time() + 3600))
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", fake.token_url)
    monkeypatch.setenv("FLUIDSTACK_AUDIENCE", "https://api.other-tenant.example")
    with Fluidstack(base_url=served_fake.base_url, retry_policy=FAST) as fs:
        keys = [k.name for k in fs.keys.list()]
    assert keys == [k["name"] for k in fake.keys]
    (sent,) = token_requests(fake)
    form = dict(parse_qsl(sent.body.decode()))
    assert form["audience"] == "https://api.other-tenant.example"
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == fake.client_id
    (call,) = api_requests(fake)
    assert claims(bearer(call))["aud"] == "https://api.other-tenant.example"


def test_env_falls_back_to_the_fluidctl_file() -> None:
    token = jwt(time.time() + 3600)
    write_token(fluidctl_file(), token)
    fake = FakeAPI(token=token)
    with serve(fake) as server:
        with Fluidstack(base_url=server.base_url, retry_policy=FAST) as fs:
            fs.keys.list()
    assert [bearer(r) for r in fake.requests] == [token]
    assert FluidctlToken().path == Path(os.environ["HOME"]) / ".fluidstack" / "token"


# -- what is missing, and insecure --------------------------------------------------------


# -- no home directory, or one that cannot be looked into ---------------------------------
# Review finding b04: these raised RuntimeError or PermissionError, not ConfigurationError.


@pytest.fixture
def homeless(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HOME and no passwd entry for the uid (a container's arbitrary uid)."""
    monkeypatch.delenv("HOME", raising=False)

    def no_entry(uid: int) -> Any:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(RuntimeError):
        Path("~").expanduser()  # the situation is real
