"""The bearer token: always sent to the API, never shown, never sent elsewhere."""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
import types
from typing import Any

import httpx
import pytest
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    AsyncFluidstack,
    AuthenticationError,
    Fluidstack,
    InternalServerError,
    NotFoundError,
    RedirectError,
)
from fluidstack_client._generated.api.regions import list_regions

_LEAVES = (
    str,
    bytes,
    int,
    float,
    type(None),
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    threading.Lock().__class__,
)


def _reachable_reprs(root: object) -> list[str]:
    """repr() and str() of the object and everything reachable through its attributes."""
    seen: set[int] = set()
    out: list[str] = []
    stack: list[object] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _LEAVES):
            continue
        seen.add(id(obj))
        out += [repr(obj), str(obj)]
        if isinstance(obj, dict):
            stack += list(obj.keys()) + list(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack += list(obj)
        stack += list(getattr(obj, "__dict__", {}).values())
        for name in getattr(type(obj), "__slots__", ()):
            if name != "_value":  # the Secret's own storage: the one place the token lives
                stack.append(getattr(obj, name, None))
    return out


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_token_never_in_repr_of_client_or_anything_reachable(cls: Any) -> None:
    fs = cls(TOKEN, base_url="http://127.0.0.1:9")
    derived = [fs, fs.with_options(max_retries=0), fs.instances, fs.keys]
    texts = [t for obj in derived for t in _reachable_reprs(obj)]
    assert texts
    assert not [t for t in texts if TOKEN in t]
    assert "Secret('***')" in repr(fs._shared.credentials.current())
    with pytest.raises(TypeError):
        pickle.dumps(fs._shared.credentials)


@pytest.mark.parametrize("mode", MODES)
def test_token_never_in_exceptions(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(401, {"message": f"invalid token {TOKEN}"})
    with pytest.raises(AuthenticationError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    exc = info.value
    assert exc.request is not None
    texts = [str(exc), repr(exc), exc.message, repr(exc.request), repr(exc.request.headers)]
    assert not [t for t in texts if TOKEN in t]
    assert "[REDACTED]" in exc.message


@pytest.mark.parametrize("mode", MODES)
def test_token_never_in_logs_at_any_level(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(500, {"message": "x"}), Reply(json=[]))
    server.default = Reply(404, {"message": TOKEN})
    with caplog.at_level(logging.DEBUG):
        run(mode, server.url, lambda fs: fs.keys.list())
        with pytest.raises(NotFoundError):
            run(mode, server.url, lambda fs: fs.keys.deregister("x"))
    assert caplog.records  # httpx/httpcore debug logging did happen
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_user_http_client_keeps_headers_hooks_and_gets_auth(
    mode: str, server: ScriptedServer
) -> None:
    server.queue(Reply(json=[]))
    seen: list[str] = []

    async def ahook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    def http() -> httpx.Client | httpx.AsyncClient:
        if mode == "sync":
            return httpx.Client(
                headers={"X-Team": "infra"},
                event_hooks={"request": [lambda r: seen.append(r.url.path)]},
            )
        return httpx.AsyncClient(headers={"X-Team": "infra"}, event_hooks={"request": [ahook]})

    run(mode, server.url, lambda fs: fs.keys.list(), http=http)
    assert server.last.headers["x-team"] == "infra"
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen == ["/user/keys"]


@pytest.mark.parametrize("mode", MODES)
def test_redirect_to_another_origin_does_not_carry_the_token(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    # Not followed at all: an answer from another origin would be trusted as the API's.
    server.default = Reply(307, headers={"Location": f"{other_server.url}/user/keys"})
    other_server.default = Reply(json=[])
    with pytest.raises(RedirectError, match="another origin"):
        run(mode, server.url, lambda fs: fs.keys.list())
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert other_server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_redirect_within_the_origin_keeps_the_token(mode: str, server: ScriptedServer) -> None:
    server.queue(Reply(308, headers={"Location": "/v2/user/keys"}), Reply(json=[]))
    run(mode, server.url, lambda fs: fs.keys.list())
    assert [r.path for r in server.requests] == ["/user/keys", "/v2/user/keys"]
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("mode", MODES)
def test_user_client_with_other_base_url_still_targets_ours(
    mode: str, server: ScriptedServer
) -> None:
    server.queue(Reply(json=[]))
    cls: Any = httpx.Client if mode == "sync" else httpx.AsyncClient
    run(
        mode,
        server.url,
        lambda fs: fs.keys.list(),
        http=lambda: cls(base_url="http://127.0.0.1:9/x"),
    )
    assert server.last.path == "/user/keys"


def test_generated_functions_work_with_the_wrapper_client(server: ScriptedServer) -> None:
    server.queue(Reply(json=[]), Reply(500, {"message": "x"}), Reply(json=[]))
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        response = list_regions.sync_detailed(client=fs.generated_client())
    assert response.status_code == 200
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"

    async def main() -> Any:
        async with AsyncFluidstack(TOKEN, base_url=server.url, max_retries=1) as fs:
            return await list_regions.asyncio(client=fs.generated_client())

    assert asyncio.run(main()) == []  # the 500 was retried by the wrapper
    assert len(server.requests) == 3


def test_generated_client_raises_typed_errors(server: ScriptedServer) -> None:
    server.default = Reply(500, {"message": "x"})
    with (
        Fluidstack(TOKEN, base_url=server.url, max_retries=0) as fs,
        pytest.raises(InternalServerError),
    ):
        list_regions.sync(client=fs.generated_client())
