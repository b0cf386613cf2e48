"""The token as a user meets it: what is accepted, what each refusal says (without the
token), how it prints, and where it is sent."""

from __future__ import annotations

import pickle

import httpx
import pytest
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import AsyncFluidstack, ConfigurationError, Fluidstack
from fluidstack_client._auth import authorize, origin
from fluidstack_client._redact import MAX_TOKEN_CHARS, REDACTED, Secret, check_token


def test_a_token_is_stripped_and_may_be_as_long_as_the_limit() -> None:
    assert check_token("  tok-123\t") == "tok-123"
    assert MAX_TOKEN_CHARS == 16 * 1024
    assert check_token("a" * MAX_TOKEN_CHARS) == "a" * MAX_TOKEN_CHARS
    assert check_token("!~" + "".join(map(chr, range(0x21, 0x7F)))).startswith("!~!")


def test_a_too_long_token_says_how_long() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_token("a" * (MAX_TOKEN_CHARS + 1))
    assert str(info.value) == (
        "the API token is 16,385 characters long; a real one is a few thousand at most "
        "(16,384 accepted)"
    )


@pytest.mark.parametrize(
    ("token", "position"),
    [("ab\x7fc", 2), ("abé", 2), ("a b", 1), ("\x00x", 0), ("x\ty", 1), ("abc\u2028d", 3)],
)
def test_an_unsendable_character_is_located_not_shown(token: str, position: int) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_token(token)
    assert str(info.value) == (
        "the API token contains a character that cannot be sent in an HTTP header "
        f"(whitespace, a control character or non-ASCII, at position {position}); "
        "the token is not shown here"
    )


@pytest.mark.parametrize("token", ["", "   ", b"token", 42, None])
def test_an_empty_or_non_text_token_is_refused(token: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_token(token)
    assert str(info.value) == "the API token must be a non-empty string"


def test_secret_prints_as_stars_and_refuses_pickle() -> None:
    secret = Secret(" sk-live-0123456789 ")
    assert secret.reveal() == "sk-live-0123456789"
    assert secret.header == "Bearer sk-live-0123456789"
    assert repr(secret) == str(secret) == "Secret('***')"
    assert f"{secret}" == "Secret('***')"
    with pytest.raises(TypeError) as info:
        pickle.dumps(secret)
    assert str(info.value) == "the Fluidstack token cannot be pickled"


def test_secret_scrubs_itself_and_what_travels_with_it() -> None:
    secret = Secret("sk-live-0123456789", also=("client-secret-abcdef",))
    text = "sk-live-0123456789 and client-secret-abcdef"
    assert secret.redactor.text(text) == f"{REDACTED} and {REDACTED}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/x", ("http", "h", 80)),
        ("http://h:80/x", ("http", "h", 80)),
        ("https://h/x", ("https", "h", 443)),
        ("https://h:443", ("https", "h", 443)),
        ("https://h:8443", ("https", "h", 8443)),
        ("HTTPS://H/", ("https", "h", 443)),
        ("ftp://h/", ("ftp", "h", None)),
    ],
)
def test_origin_has_the_effective_port(url: str, expected: tuple[str, str, int | None]) -> None:
    assert origin(httpx.URL(url)) == expected


def test_authorize_only_for_the_home_origin() -> None:
    token = Secret("sk-live-0123456789")
    home = origin(httpx.URL("https://api.example.io/api"))
    mine = httpx.Request("GET", "https://api.example.io:443/other")
    authorize(mine, token, home)
    assert mine.headers["Authorization"] == "Bearer sk-live-0123456789"
    elsewhere = httpx.Request("GET", "http://api.example.io/", headers={"Authorization": "x"})
    authorize(elsewhere, token, home)
    assert "Authorization" not in elsewhere.headers
    no_token = httpx.Request("GET", "https://api.example.io/", headers={"Authorization": "x"})
    authorize(no_token, None, home)
    assert "Authorization" not in no_token.headers


@pytest.mark.parametrize("mode", MODES)
def test_the_token_goes_with_every_call_as_a_bearer_header(
    mode: str, server: ScriptedServer
) -> None:
    server.default = Reply(json=[])
    run(mode, server.url, lambda fs: fs.keys.list(), token=f"  {TOKEN}  ")
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_reprs_never_show_the_token(cls: type[Fluidstack] | type[AsyncFluidstack]) -> None:
    fs = cls(TOKEN, base_url="https://x.io/api/v1alpha1", max_retries=4, timeout=7)
    name = cls.__name__
    assert repr(fs) == (
        f"{name}(base_url='https://x.io/api/v1alpha1', max_retries=4, timeout=Timeout(timeout=7))"
    )
    assert repr(fs.keys) == f"<{'Async' if cls is AsyncFluidstack else ''}Keys of {fs!r}>"
    assert repr(fs.instances).startswith(f"<{cls.__name__.removesuffix('Fluidstack')}Instances")
    assert repr(fs._shared.credentials) == "StaticToken(***)"
    assert TOKEN not in repr(fs) + repr(fs.keys) + repr(fs._shared.credentials)
