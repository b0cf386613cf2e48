"""Redirects as a user meets them: what the RedirectError says for each refusal, and a
token request of a provider's own that is redirected within the API's origin."""

from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest
from clients import MODES, run
from scripted_server import Recorded, Reply, ScriptedServer

from fluidstack_client import RedirectError, TokenProvider
from fluidstack_client._redact import Secret
from fluidstack_client._redirects import MAX_REDIRECTS


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_to_another_origin_says_so(
    mode: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    server.default = Reply(302, headers={"Location": f"{other_server.url}/user/keys"})
    with pytest.raises(RedirectError) as info:
        run(mode, server.url, lambda fs: fs.keys.list())
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 302 Found; redirect to {other_server.url}/user/keys not "
        "followed (a redirect to another origin is never followed)"
    )
    assert other_server.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_loop_stops_after_five(mode: str, server: ScriptedServer) -> None:
    assert MAX_REDIRECTS == 5
    server.default = Reply(307, headers={"Location": "/user/keys"})
    with pytest.raises(RedirectError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_retries=0)
    assert str(info.value) == (
        f"GET {server.url}/user/keys: 307 Temporary Redirect; redirect to "
        f"{server.url}/user/keys not followed (stopped after 5 redirects)"
    )
    assert len(server.requests) == 6


class SameOriginToken(TokenProvider):
    """A provider of a user's own that GETs its token from the API's own host."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def current(self) -> None:
        return None

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        response = yield httpx.Request("GET", self.url)
        return Secret(response.json()["token"])


@pytest.mark.parametrize("mode", MODES)
def test_a_providers_token_request_follows_a_same_origin_redirect(
    mode: str, server: ScriptedServer
) -> None:
    def answer(request: Recorded) -> Reply:
        if request.path == "/token":
            return Reply(302, headers={"Location": "/token/v2"})
        if request.path == "/token/v2":
            return Reply(json={"token": "tok-from-v2-0123"})
        return Reply(json=[])

    server.default = answer
    provider = SameOriginToken(f"{server.url}/token")
    assert run(mode, server.url, lambda fs: fs.keys.list(), token=provider) == []
    assert [r.path for r in server.requests] == ["/token", "/token/v2", "/user/keys"]
    assert "authorization" not in server.requests[0].headers
    assert "authorization" not in server.requests[1].headers
    assert server.last.headers["authorization"] == "Bearer tok-from-v2-0123"
