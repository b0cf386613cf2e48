"""Constructor arguments, environment defaults, with_options, lifecycle, bad caller input."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import samples
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    DEFAULT_BASE_URL,
    AsyncFluidstack,
    ConfigurationError,
    Fluidstack,
    FluidstackError,
    InvalidParameterError,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUIDSTACK_TOKEN", raising=False)
    monkeypatch.delenv("FLUIDSTACK_BASE_URL", raising=False)


CLIENTS = [Fluidstack, AsyncFluidstack]


def test_default_base_url_is_the_specs_server(spec: dict[str, Any]) -> None:
    assert spec["servers"][0]["url"] == DEFAULT_BASE_URL
    assert str(Fluidstack("t").base_url) == DEFAULT_BASE_URL


@pytest.mark.parametrize("cls", CLIENTS)
def test_missing_token_names_the_env_var(cls: Any) -> None:
    with pytest.raises(ConfigurationError, match="FLUIDSTACK_TOKEN"):
        cls()
    with pytest.raises(ConfigurationError, match="FLUIDSTACK_TOKEN"):
        cls(base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("mode", MODES)
def test_token_and_base_url_from_env(
    mode: str, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "env-token")
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", f"{server.url}/api/v1alpha1")
    server.queue(Reply(json=[]))

    def scenario() -> Any:
        if mode == "sync":
            with Fluidstack() as fs:
                return fs.keys.list()

        async def main() -> Any:
            async with AsyncFluidstack() as fs:
                return await fs.keys.list()

        return asyncio.run(main())

    assert scenario() == []
    assert server.last.path == "/api/v1alpha1/user/keys"
    assert server.last.headers["authorization"] == "Bearer env-token"


def test_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIDSTACK_TOKEN", "env-token")
    monkeypatch.setenv("FLUIDSTACK_BASE_URL", "https://env.example.io/api")
    fs = Fluidstack("arg-token", base_url="https://arg.example.io/api/v1alpha1/")
    assert str(fs.base_url) == "https://arg.example.io/api/v1alpha1"
    token = fs._shared.credentials.current()
    assert token is not None
    assert token.reveal() == "arg-token"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": ""},
        {"token": "a\nb"},
        {"token": 42},
        {"base_url": "not a url"},
        {"base_url": "ftp://x.io"},
        {"timeout": -1},
        {"timeout": "30"},
        {"max_retries": -1},
        {"retry_policy": 3},
        {"http_client": httpx.AsyncClient()},
        {"region_cache_ttl": "5m"},
        {"max_connections": 0},
        {"max_connections": 2.5},
    ],
)
def test_bad_configuration_is_a_configuration_error(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("token", "t")
    with pytest.raises(ConfigurationError):
        Fluidstack(**kwargs)


@pytest.mark.parametrize("mode", MODES)
def test_timeout_and_with_options(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(json=[], delay=0.3)

    def scenario(fs: Any) -> Any:
        assert fs.timeout == httpx.Timeout(5.0)
        quick = fs.with_options(timeout=0.05, max_retries=0)
        assert quick.timeout == httpx.Timeout(0.05)
        assert quick.max_retries == 0
        assert fs.max_retries == 2  # the original is untouched
        return quick.keys.list()

    with pytest.raises(FluidstackError, match=r"timed out|Timeout"):
        run(mode, server.url, scenario, timeout=5.0)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_closed_client_raises_package_error(mode: str, server: ScriptedServer) -> None:
    if mode == "sync":
        fs = Fluidstack(TOKEN, base_url=server.url)
        fs.close()
        with pytest.raises(FluidstackError, match="closed"):
            fs.keys.list()
    else:

        async def main() -> None:
            fs = AsyncFluidstack(TOKEN, base_url=server.url)
            await fs.aclose()
            with pytest.raises(FluidstackError, match="closed"):
                await fs.keys.list()

        asyncio.run(main())
    assert server.requests == []


def test_repr_is_informative() -> None:
    fs = AsyncFluidstack("t", base_url="https://x.io/api/v1alpha1", max_retries=4)
    assert repr(fs).startswith(
        "AsyncFluidstack(base_url='https://x.io/api/v1alpha1', max_retries=4"
    )


# -- bad input from the caller: rejected before anything is sent -----------------------

BAD_CALLS = {
    "deregister ..": lambda fs: fs.keys.deregister(".."),
    "deregister .": lambda fs: fs.keys.deregister("."),
    "deregister empty": lambda fs: fs.keys.deregister(""),
    "deregister control char": lambda fs: fs.keys.deregister("a\r\nb"),
    "deregister int": lambda fs: fs.keys.deregister(5),
    "delete member ..": lambda fs: fs.members.delete(".."),
    "delete invitation ..": lambda fs: fs.invitations.delete(".."),
    "update member ..": lambda fs: fs.members.update("..", role="admin"),
    "update member bad role": lambda fs: fs.members.update("m-1", role="owner"),
    "update member role none": lambda fs: fs.members.update("m-1", role=None),
    "project_id not uuid": lambda fs: fs.instances.list(project_id="my-project"),
    "project_id int": lambda fs: fs.instances.list(project_id=12),
    "instance id ..": lambda fs: fs.instances.get(".."),
    "instance id not uuid": lambda fs: fs.instances.get("gpu-0"),
    "invite empty email": lambda fs: fs.invitations.create(email=""),
    "invite email none": lambda fs: fs.invitations.create(email=None),
    "register empty key": lambda fs: fs.keys.register(name="k", key=" "),
    "region empty": lambda fs: fs.region(""),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_are_rejected_before_sending(
    mode: str, case: str, server: ScriptedServer
) -> None:
    with pytest.raises(InvalidParameterError):
        run(mode, server.url, BAD_CALLS[case])
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_awkward_but_valid_names_stay_in_their_segment(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(204)
    for name in ("a/../..", "..%2f", "key?x=1#frag", "...", "ünïcode key"):

        def deregister(fs: Any, key: str = name) -> Any:
            return fs.keys.deregister(key)

        run(mode, server.url, deregister)
    paths = [r.path for r in server.requests]
    assert all(p.startswith("/user/keys/") and p.count("/") == 3 for p in paths), paths


@pytest.mark.parametrize("mode", MODES)
def test_ids_accept_uuid_objects(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(json=samples.INSTANCE), Reply(204))
    ident = uuid.UUID(samples.INSTANCE_ID)
    run(mode, server.url, lambda fs: fs.instances.get(ident))
    run(mode, server.url, lambda fs: fs.invitations.delete(ident))
    assert [r.path for r in server.requests] == [
        f"/instances/{samples.INSTANCE_ID}",
        f"/invitations/{samples.INSTANCE_ID}",
    ]
