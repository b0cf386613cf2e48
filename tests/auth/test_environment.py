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
    BAD_SECRET,
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
    AsyncFluidstack,
    ClientCredentials,
    ConfigurationError,
    FluidctlToken,
    Fluidstack,
)
from fluidstack_client._credentials import StaticToken, from_environment
from fluidstack_client.testing import FakeAPI, FakeServer, serve

SECRET = "cs_live_9f8e7d6c5b4a"
CLIENTS: list[Any] = [Fluidstack, AsyncFluidstack]
NO_CREDENTIALS_WAYS = (
    "token=",
    "FLUIDSTACK_TOKEN",
    "FLUIDSTACK_CLIENT_ID",
    "FLUIDSTACK_CLIENT_SECRET",
    "fluidctl login",
)


def test_environment_is_untouched_by_the_suite() -> None:
    """The root conftest really hides the machine's credentials from every test."""
    assert not [name for name in os.environ if name.startswith("FLUIDSTACK_")]
    assert not Path("~/.fluidstack/token").expanduser().exists()


# -- the order: FLUIDSTACK_TOKEN, client credentials, the fluidctl file ----------------


async def test_env_token_wins_over_client_credentials_and_the_fluidctl_file(
    served_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served_fake.fake
    write_token(fluidctl_file(), jwt(time.time() + 3600))
    monkeypatch.setenv("FLUIDSTACK_TOKEN", fake.token)
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", fake.token_url)
    async with AsyncFluidstack(base_url=served_fake.base_url, retry_policy=FAST) as fs:
        await fs.keys.list()
    assert fake.token_requests == 0
    assert [bearer(r) for r in fake.requests] == [fake.token]


async def test_env_client_credentials_win_over_the_fluidctl_file_with_url_and_audience(
    served_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served_fake.fake
    write_token(fluidctl_file(), jwt(time.time() + 3600))
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", fake.token_url)
    monkeypatch.setenv("FLUIDSTACK_AUDIENCE", "https://api.other-tenant.example")
    async with AsyncFluidstack(base_url=served_fake.base_url, retry_policy=FAST) as fs:
        keys = [k.name for k in await fs.keys.list()]
    assert keys == [k["name"] for k in fake.keys]
    (sent,) = token_requests(fake)
    form = dict(parse_qsl(sent.body.decode()))
    assert form["audience"] == "https://api.other-tenant.example"
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == fake.client_id
    (call,) = api_requests(fake)
    assert claims(bearer(call))["aud"] == "https://api.other-tenant.example"


async def test_env_falls_back_to_the_fluidctl_file() -> None:
    token = jwt(time.time() + 3600)
    write_token(fluidctl_file(), token)
    fake = FakeAPI(token=token)
    with serve(fake) as server:
        async with AsyncFluidstack(base_url=server.base_url, retry_policy=FAST) as fs:
            await fs.keys.list()
    assert [bearer(r) for r in fake.requests] == [token]
    assert FluidctlToken().path == Path(os.environ["HOME"]) / ".fluidstack" / "token"


def test_from_environment_order() -> None:
    assert isinstance(from_environment({"FLUIDSTACK_TOKEN": "t-0123456789"}), StaticToken)
    both = {"FLUIDSTACK_CLIENT_ID": "svc", "FLUIDSTACK_CLIENT_SECRET": SECRET}
    found = from_environment(both)
    assert isinstance(found, ClientCredentials)
    assert found.client_id == "svc"
    token_file = Path(os.environ["HOME"]) / ".fluidstack" / "token"
    token_file.parent.mkdir()
    token_file.write_text("tok-0123456789")
    token_file.chmod(0o600)
    fluidctl = from_environment({})
    assert isinstance(fluidctl, FluidctlToken)
    assert fluidctl.path == token_file


def test_from_environment_reads_the_mapping_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "from-os-environ")
    given = from_environment({"FLUIDSTACK_TOKEN": "from-the-mapping"})
    assert isinstance(given, StaticToken)
    assert given.current().reveal() == "from-the-mapping"
    from_os = from_environment()
    assert isinstance(from_os, StaticToken)
    assert from_os.current().reveal() == "from-os-environ"


# -- what is missing, and insecure --------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ("FLUIDSTACK_CLIENT_ID", "FLUIDSTACK_CLIENT_SECRET"),
        ("FLUIDSTACK_CLIENT_SECRET", "FLUIDSTACK_CLIENT_ID"),
    ],
)
def test_env_client_id_and_secret_go_together(
    cls: Any, given: str, missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(given, BAD_SECRET)
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9")
    assert f"set {missing}" in str(info.value)
    assert BAD_SECRET not in str(info.value)


@pytest.mark.parametrize("cls", CLIENTS)
def test_no_credentials_anywhere_names_every_way(cls: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9")
    message = str(info.value)
    for way in ("FLUIDSTACK_TOKEN", "FLUIDSTACK_CLIENT_ID", "FLUIDSTACK_CLIENT_SECRET"):
        assert way in message
    assert "fluidctl login" in message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FLUIDSTACK_CLIENT_ID": "svc"},
            "FLUIDSTACK_CLIENT_ID and _SECRET go together: set FLUIDSTACK_CLIENT_SECRET",
        ),
        (
            {"FLUIDSTACK_CLIENT_SECRET": SECRET},
            "FLUIDSTACK_CLIENT_ID and _SECRET go together: set FLUIDSTACK_CLIENT_ID",
        ),
        (
            {},
            "no credentials: pass token=... (a token, a callable, ClientCredentials(...) or "
            "FluidctlToken()), or set FLUIDSTACK_TOKEN, or FLUIDSTACK_CLIENT_ID and "
            "FLUIDSTACK_CLIENT_SECRET, or run `fluidctl login` (to write ~/.fluidstack/token)",
        ),
    ],
)
def test_from_environment_says_what_is_missing(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        from_environment(env)
    assert str(info.value) == message


def test_env_token_url_must_be_secure_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIDSTACK_CLIENT_ID", "svc-id")
    monkeypatch.setenv("FLUIDSTACK_CLIENT_SECRET", BAD_SECRET)
    monkeypatch.setenv("FLUIDSTACK_TOKEN_URL", "http://auth.example.com/oauth/token")
    with pytest.raises(ConfigurationError) as info:
        Fluidstack(base_url="http://127.0.0.1:9")
    assert "https" in str(info.value)
    assert BAD_SECRET not in str(info.value)


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


@pytest.mark.usefixtures("homeless")
@pytest.mark.parametrize("cls", CLIENTS)
def test_no_credentials_and_no_home_directory_is_a_configuration_error(cls: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9/api/v1alpha1")
    assert all(way in str(info.value) for way in NO_CREDENTIALS_WAYS), str(info.value)


@pytest.mark.usefixtures("homeless")
def test_default_fluidctl_token_without_a_home_directory_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="path"):
        FluidctlToken()


def test_from_environment_without_a_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME")

    def no_home(self: Path) -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "expanduser", no_home)
    with pytest.raises(ConfigurationError, match=r"^no credentials: "):
        from_environment({})


@pytest.mark.parametrize("cls", CLIENTS)
def test_unreadable_home_directory_is_a_configuration_error(
    cls: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    exists = Path.exists

    def refused(self: Path) -> bool:
        if ".fluidstack" in self.parts:  # as stat of ~/.fluidstack/token gets EACCES
            raise PermissionError(13, "Permission denied", str(self))
        return exists(self)

    monkeypatch.setattr(Path, "exists", refused)
    with pytest.raises(ConfigurationError) as info:
        cls(base_url="http://127.0.0.1:9/api/v1alpha1")
    assert all(way in str(info.value) for way in NO_CREDENTIALS_WAYS), str(info.value)
