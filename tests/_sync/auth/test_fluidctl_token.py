# Derived from tests/auth/test_fluidctl_token.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""FluidctlToken: the token file `fluidctl login` writes (~/.fluidstack/token, a JWT or
a plain token). Its expiry, what each unusable file says (missing, empty, too large,
unreadable, a FIFO, /dev/zero), the warning for a file others can read, and when the
file is read again (after the token expires, after a 401)."""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.auth_tokens import Clock, bearer, jwt, jwt_from, jwt_of, write_token
from support.clients import FAST
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    AuthenticationError,
    FluidctlToken,
    Fluidstack,
    FluidstackError,
)
from fluidstack_client._credentials import (
    EXPIRY_SKEW,
    CredentialsUnavailable,
    jwt_expiry,
)
from fluidstack_client.testing import FakeServer


def token_file(tmp_path: Path, content: bytes | str, mode: int = 0o600) -> Path:
    """tmp_path/token holding exactly `content`."""
    path = tmp_path / "token"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


def key_names(fs: Fluidstack) -> list[str]:
    return [key.name for key in fs.keys.list()]


def refresh_error(provider: FluidctlToken) -> str:
    """What the provider says when it cannot read a token (no client involved)."""
    with pytest.raises(CredentialsUnavailable) as info:
        next(provider.refresh())
    return info.value.message


# -- a JWT's expiry -------------------------------------------------------------------------


# -- the token in the file is sent ----------------------------------------------------------


def test_fluidctl_token_is_sent(tmp_path: Path, served_fake: FakeServer) -> None:
    exp = int(time.time()) + 3600
    token = jwt(exp)
    assert jwt_expiry(token) == exp
    path = write_token(tmp_path / "token", token)
    fake = served_fake.fake
    fake.token = token
    provider = FluidctlToken(path)
    with Fluidstack(provider, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        keys = key_names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == [token]
    assert token not in repr(provider)
    assert str(path) in repr(provider)


def test_a_plain_token_in_the_file_is_used_without_expiry(
    tmp_path: Path, server: ScriptedServer
) -> None:
    path = token_file(tmp_path, "  plain-token-0123\n")
    server.default = Reply(json=[])
    provider = FluidctlToken(path)
    for _ in range(2):  # two clients, one provider
        with Fluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
            fs.keys.list()
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer plain-token-0123"] * 2
    assert provider._refresh_at == float("inf")


@pytest.mark.parametrize("exp", [True, -5, 0])
def test_a_jwt_with_a_nonsense_exp_is_used_as_never_expiring(
    exp: object, tmp_path: Path, server: ScriptedServer
) -> None:
    token = jwt_of({"exp": exp})
    server.default = Reply(json=[])
    provider = FluidctlToken(token_file(tmp_path, token))
    with Fluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
        fs.keys.list()
    assert server.last.headers["authorization"] == f"Bearer {token}"


def test_fluidctl_token_whose_exp_is_too_large_for_a_float_is_accepted(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    """Review finding b15: an `exp` of 10**400 raised OverflowError."""
    token = jwt_from(b'{"sub":"auth0|person","exp":1' + b"0" * 400 + b"}")
    provider = FluidctlToken(write_token(tmp_path / "token", token))
    fake = served_fake.fake
    fake.token = token
    with Fluidstack(provider, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        result = [fs.organizations.list(), fs.organizations.list()]
    assert len(result) == 2
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {token}"] * 2
    assert provider.current() is not None


# -- an expired token -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds_left", [-60, 10], ids=["expired", "within fluidctl's 30 s of expiry"]
)
def test_expired_fluidctl_token_says_run_fluidctl_login(
    seconds_left: int, tmp_path: Path, served_fake: FakeServer
) -> None:
    token = jwt(int(time.time()) + seconds_left)
    path = write_token(tmp_path / "token", token)
    fake = served_fake.fake
    fake.token = token  # the server would take it: the client must not send it
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    message = str(info.value)
    assert "run `fluidctl login`" in message
    assert ("expired at" if seconds_left < 0 else "too soon to use") in message
    assert "nothing was sent" in message
    assert token not in message
    assert fake.requests == []


def test_a_fluidctl_token_with_a_moment_left_past_the_margin_is_used(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    # Expired means inside the margin (EXPIRY_SKEW), not near it: half a second past the
    # margin, the token is still good, and it is sent.
    token = jwt(time.time() + EXPIRY_SKEW + 0.5, sub="just-in-time")
    path = write_token(tmp_path / "token", token)
    fake = served_fake.fake
    fake.token = token
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        key_names(fs)
    assert [bearer(r) for r in fake.requests] == [token]


def test_an_expired_fluidctl_token_says_when(tmp_path: Path, server: ScriptedServer) -> None:
    path = token_file(tmp_path, jwt_of({"exp": 1577836800}))  # 2020-01-01 00:00:00 UTC
    with Fluidstack(FluidctlToken(path), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert info.value.message == (
        f"the fluidctl token in {path} expired at 2020-01-01 00:00:00 UTC; run `fluidctl "
        "login` (nothing was sent)"
    )
    assert server.requests == []


def test_a_fluidctl_token_about_to_expire_says_how_soon(
    tmp_path: Path, server: ScriptedServer
) -> None:
    """Issue 22: a token still valid for 10 s was reported "expired at" a time still to
    come (inside the refresh margin it is too short-lived to use, not expired)."""
    path = token_file(tmp_path, jwt(int(time.time()) + 10))
    with Fluidstack(FluidctlToken(path), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    message = info.value.message
    assert message.startswith(f"the fluidctl token in {path} expires in ")
    seconds = int(message.split(" expires in ")[1].split(" ")[0])
    assert 8 <= seconds <= 10
    assert message.endswith(" s, too soon to use; run `fluidctl login` (nothing was sent)")
    assert server.requests == []


def test_fluidctl_file_is_read_again_after_its_token_expires(
    tmp_path: Path, served_fake: FakeServer, clock: Clock
) -> None:
    old, new = jwt(time.time() + 100, sub="first-login"), jwt(time.time() + 3600, "second-login")
    path = write_token(tmp_path / "token", old)
    fake = served_fake.fake
    fake.token = old
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        key_names(fs)
        write_token(path, new)  # the person runs `fluidctl login` again
        key_names(fs)  # the old token is still good: the file is not re-read
        clock.offset = 80  # the old token is within fluidctl's 30 s of its expiry
        fake.token = new
        key_names(fs)
    assert [bearer(r) for r in fake.requests] == [old, old, new]  # no 401 along the way


# -- a token the server refuses -------------------------------------------------------------


def test_fluidctl_token_refused_with_401_is_read_again(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    first, second = jwt(time.time() + 3600, "first"), jwt(time.time() + 3600, "second")
    path = write_token(tmp_path / "token", first)
    fake = served_fake.fake
    fake.token = first
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        key_names(fs)
        write_token(path, second)  # logged in again; the old token is revoked
        fake.token = second
        key_names(fs)
    assert [bearer(r) for r in fake.requests] == [first, first, second]


def test_fluidctl_token_refused_twice_says_run_fluidctl_login(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    path = write_token(tmp_path / "token", jwt(time.time() + 3600))
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert "the fluidctl token was refused; run `fluidctl login`" in str(info.value)
    assert len(served_fake.fake.requests) == 2


# -- a file that holds no usable token ------------------------------------------------------


def test_missing_fluidctl_token_says_run_fluidctl_login(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    path = tmp_path / "nowhere" / "token"
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    message = str(info.value)
    assert "run `fluidctl login`" in message
    assert str(path) in message
    assert "nothing was sent" in message
    assert served_fake.fake.requests == []


@pytest.mark.parametrize("content", ["", "not a token"], ids=["empty", "two words"])
def test_unusable_fluidctl_file_says_run_fluidctl_login(
    content: str, tmp_path: Path, served_fake: FakeServer
) -> None:
    path = write_token(tmp_path / "token", content)
    with Fluidstack(FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            fs.keys.list()
    assert "run `fluidctl login`" in str(info.value)
    assert served_fake.fake.requests == []


def test_fluidctl_file_larger_than_a_token_is_refused_fast(
    tmp_path: Path, server: ScriptedServer
) -> None:
    """Review finding b10: the file was read whole, whatever its size."""
    path = write_token(tmp_path / "token", "a" * 100_000)
    started = time.monotonic()
    with Fluidstack(FluidctlToken(path), base_url=server.url) as fs:
        with pytest.raises(FluidstackError) as info:
            fs.organizations.list()
    elapsed = time.monotonic() - started
    assert server.requests == []
    assert isinstance(info.value, AuthenticationError)
    assert "larger than a token" in str(info.value)
    assert elapsed < 1.0


@contextmanager
def fifo_writer(fifo: Path) -> Iterator[None]:
    """After a second, answer any reader of `fifo` with a token, until the block ends:
    with the fix reverted, a reader blocks in open() for that second (then gets an
    answer, so the test fails instead of hanging); with it, nothing reads the FIFO."""
    stop = threading.Event()

    def write() -> None:
        if stop.wait(1.0):
            return
        while not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # fails with no reader
            except OSError:
                stop.wait(0.02)
                continue
            try:
                os.write(fd, b"tok-from-the-fifo-0123456789\n")
            except OSError:  # the reader went away
                pass
            finally:
                os.close(fd)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


# -- a file other users can read ------------------------------------------------------------


def test_fluidctl_file_readable_by_others_warns_but_works(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    token = jwt(time.time() + 3600)
    path = write_token(tmp_path / "token", token, mode=0o644)
    fake = served_fake.fake
    fake.token = token
    with pytest.warns(UserWarning, match="chmod 600") as caught:
        with Fluidstack(
            FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
        ) as fs:
            keys = key_names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == [token]
    assert all(token not in str(w.message) for w in caught)


def test_a_file_readable_by_others_warns_from_the_client(
    tmp_path: Path, server: ScriptedServer
) -> None:
    path = token_file(tmp_path, "tok-0123456789", mode=0o644)
    server.default = Reply(json=[])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Fluidstack(FluidctlToken(path), base_url=server.url, retry_policy=FAST) as fs:
            fs.keys.list()
    (warning,) = [w for w in caught if "can be read by other users" in str(w.message)]
    assert str(warning.message) == (
        f"{path} can be read by other users (mode -rw-r--r--); `chmod 600 {path}`"
    )
    # Attributed to whoever drives the provider's refresh, not to the provider's module.
    assert os.path.basename(warning.filename) != "_credentials.py"
