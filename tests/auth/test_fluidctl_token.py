"""FluidctlToken: the token file `fluidctl login` writes (~/.fluidstack/token, a JWT or
a plain token). Its expiry, what each unusable file says (missing, empty, too large,
unreadable, a FIFO, /dev/zero), the warning for a file others can read, and when the
file is read again (after the token expires, after a 401)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support.auth_tokens import Clock, bearer, jwt, jwt_from, jwt_of, write_token
from support.clients import FAST, traced
from support.scripted_server import Reply, ScriptedServer

import fluidstack_client
from fluidstack_client import (
    AsyncFluidstack,
    AuthenticationError,
    FluidctlToken,
    Fluidstack,
    FluidstackError,
)
from fluidstack_client._credentials import (
    EXPIRY_SKEW,
    MAX_TOKEN_FILE,
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


async def key_names(fs: AsyncFluidstack) -> list[str]:
    return [key.name for key in await fs.keys.list()]


def refresh_error(provider: FluidctlToken) -> str:
    """What the provider says when it cannot read a token (no client involved)."""
    with pytest.raises(CredentialsUnavailable) as info:
        next(provider.refresh())
    return info.value.message


# -- a JWT's expiry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expiry"),
    [
        ({"exp": 1700000000}, 1700000000.0),
        ({"exp": 1.5e9}, 1.5e9),
        ({"exp": 1e20}, 1e11),
        ({"exp": 0}, None),
        ({"exp": -5}, None),
        ({"exp": True}, None),
        ({"exp": "1700000000"}, None),
        ({"sub": "x"}, None),
        (["exp", 1], None),
        ("exp", None),
    ],
)
def test_jwt_expiry(claims: Any, expiry: float | None) -> None:
    assert jwt_expiry(jwt_of(claims)) == expiry


def test_jwt_expiry_of_things_that_are_no_jwt() -> None:
    assert jwt_expiry("plain-token") is None
    assert jwt_expiry("a.b") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry("a.bm90IGpzb24.c") is None  # "not json"


# -- the token in the file is sent ----------------------------------------------------------


async def test_fluidctl_token_is_sent(tmp_path: Path, served_fake: FakeServer) -> None:
    exp = int(time.time()) + 3600
    token = jwt(exp)
    assert jwt_expiry(token) == exp
    path = write_token(tmp_path / "token", token)
    fake = served_fake.fake
    fake.token = token
    provider = FluidctlToken(path)
    async with AsyncFluidstack(provider, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        keys = await key_names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == [token]
    assert token not in repr(provider)
    assert str(path) in repr(provider)


async def test_a_plain_token_in_the_file_is_used_without_expiry(
    tmp_path: Path, server: ScriptedServer
) -> None:
    path = token_file(tmp_path, "  plain-token-0123\n")
    server.default = Reply(json=[])
    provider = FluidctlToken(path)
    for _ in range(2):  # two clients, one provider
        async with AsyncFluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
            await fs.keys.list()
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer plain-token-0123"] * 2
    assert provider._refresh_at == float("inf")


@pytest.mark.parametrize("exp", [True, -5, 0])
async def test_a_jwt_with_a_nonsense_exp_is_used_as_never_expiring(
    exp: object, tmp_path: Path, server: ScriptedServer
) -> None:
    token = jwt_of({"exp": exp})
    server.default = Reply(json=[])
    provider = FluidctlToken(token_file(tmp_path, token))
    async with AsyncFluidstack(provider, base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.list()
    assert server.last.headers["authorization"] == f"Bearer {token}"


async def test_fluidctl_token_whose_exp_is_too_large_for_a_float_is_accepted(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    """Review finding b15: an `exp` of 10**400 raised OverflowError."""
    token = jwt_from(b'{"sub":"auth0|person","exp":1' + b"0" * 400 + b"}")
    provider = FluidctlToken(write_token(tmp_path / "token", token))
    fake = served_fake.fake
    fake.token = token
    async with AsyncFluidstack(provider, base_url=served_fake.base_url, retry_policy=FAST) as fs:
        result = [await fs.organizations.list(), await fs.organizations.list()]
    assert len(result) == 2
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {token}"] * 2
    assert provider.current() is not None


# -- an expired token -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds_left", [-60, 10], ids=["expired", "within fluidctl's 30 s of expiry"]
)
async def test_expired_fluidctl_token_says_run_fluidctl_login(
    seconds_left: int, tmp_path: Path, served_fake: FakeServer
) -> None:
    token = jwt(int(time.time()) + seconds_left)
    path = write_token(tmp_path / "token", token)
    fake = served_fake.fake
    fake.token = token  # the server would take it: the client must not send it
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    message = str(info.value)
    assert "run `fluidctl login`" in message
    assert ("expired at" if seconds_left < 0 else "too soon to use") in message
    assert "nothing was sent" in message
    assert token not in message
    assert fake.requests == []


async def test_a_fluidctl_token_with_a_moment_left_past_the_margin_is_used(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    # Expired means inside the margin (EXPIRY_SKEW), not near it: half a second past the
    # margin, the token is still good, and it is sent.
    token = jwt(time.time() + EXPIRY_SKEW + 0.5, sub="just-in-time")
    path = write_token(tmp_path / "token", token)
    fake = served_fake.fake
    fake.token = token
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await key_names(fs)
    assert [bearer(r) for r in fake.requests] == [token]


async def test_an_expired_fluidctl_token_says_when(tmp_path: Path, server: ScriptedServer) -> None:
    path = token_file(tmp_path, jwt_of({"exp": 1577836800}))  # 2020-01-01 00:00:00 UTC
    async with AsyncFluidstack(FluidctlToken(path), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert info.value.message == (
        f"the fluidctl token in {path} expired at 2020-01-01 00:00:00 UTC; run `fluidctl "
        "login` (nothing was sent)"
    )
    assert server.requests == []


async def test_a_fluidctl_token_about_to_expire_says_how_soon(
    tmp_path: Path, server: ScriptedServer
) -> None:
    """Issue 22: a token still valid for 10 s was reported "expired at" a time still to
    come (inside the refresh margin it is too short-lived to use, not expired)."""
    path = token_file(tmp_path, jwt(int(time.time()) + 10))
    async with AsyncFluidstack(FluidctlToken(path), base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    message = info.value.message
    assert message.startswith(f"the fluidctl token in {path} expires in ")
    seconds = int(message.split(" expires in ")[1].split(" ")[0])
    assert 8 <= seconds <= 10
    assert message.endswith(" s, too soon to use; run `fluidctl login` (nothing was sent)")
    assert server.requests == []


async def test_fluidctl_file_is_read_again_after_its_token_expires(
    tmp_path: Path, served_fake: FakeServer, clock: Clock
) -> None:
    old, new = jwt(time.time() + 100, sub="first-login"), jwt(time.time() + 3600, "second-login")
    path = write_token(tmp_path / "token", old)
    fake = served_fake.fake
    fake.token = old
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await key_names(fs)
        write_token(path, new)  # the person runs `fluidctl login` again
        await key_names(fs)  # the old token is still good: the file is not re-read
        clock.offset = 80  # the old token is within fluidctl's 30 s of its expiry
        fake.token = new
        await key_names(fs)
    assert [bearer(r) for r in fake.requests] == [old, old, new]  # no 401 along the way


# -- a token the server refuses -------------------------------------------------------------


async def test_fluidctl_token_refused_with_401_is_read_again(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    first, second = jwt(time.time() + 3600, "first"), jwt(time.time() + 3600, "second")
    path = write_token(tmp_path / "token", first)
    fake = served_fake.fake
    fake.token = first
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        await key_names(fs)
        write_token(path, second)  # logged in again; the old token is revoked
        fake.token = second
        await key_names(fs)
    assert [bearer(r) for r in fake.requests] == [first, first, second]


async def test_fluidctl_token_refused_twice_says_run_fluidctl_login(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    path = write_token(tmp_path / "token", jwt(time.time() + 3600))
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert "the fluidctl token was refused; run `fluidctl login`" in str(info.value)
    assert len(served_fake.fake.requests) == 2


# -- a file that holds no usable token ------------------------------------------------------


async def test_missing_fluidctl_token_says_run_fluidctl_login(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    path = tmp_path / "nowhere" / "token"
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    message = str(info.value)
    assert "run `fluidctl login`" in message
    assert str(path) in message
    assert "nothing was sent" in message
    assert served_fake.fake.requests == []


@pytest.mark.parametrize("content", ["", "not a token"], ids=["empty", "two words"])
async def test_unusable_fluidctl_file_says_run_fluidctl_login(
    content: str, tmp_path: Path, served_fake: FakeServer
) -> None:
    path = write_token(tmp_path / "token", content)
    async with AsyncFluidstack(
        FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
    ) as fs:
        with pytest.raises(AuthenticationError) as info:
            await fs.keys.list()
    assert "run `fluidctl login`" in str(info.value)
    assert served_fake.fake.requests == []


def test_fluidctl_file_messages(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    assert refresh_error(FluidctlToken(missing)) == (
        f"no fluidctl token at {missing} (No such file or directory); run `fluidctl login`"
    )
    assert refresh_error(FluidctlToken(tmp_path)) == (
        f"{tmp_path} is not a regular file; run `fluidctl login`"
    )
    empty = token_file(tmp_path, " \n")
    assert refresh_error(FluidctlToken(empty)) == f"{empty} is empty; run `fluidctl login`"
    big = token_file(tmp_path, "a" * (MAX_TOKEN_FILE + 1))
    assert refresh_error(FluidctlToken(big)) == (
        f"{big} is larger than a token (65,536 bytes at most); run `fluidctl login`"
    )
    at_limit = token_file(tmp_path, "a" * MAX_TOKEN_FILE)  # not too large: too long a token
    assert refresh_error(FluidctlToken(at_limit)) == (
        f"{at_limit} does not hold a token; run `fluidctl login`"
    )
    not_utf8 = token_file(tmp_path, b"tok\xff\xfe")
    assert refresh_error(FluidctlToken(not_utf8)) == (
        f"{not_utf8} does not hold a token; run `fluidctl login`"
    )


def test_an_unreadable_file_without_an_error_text_names_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = token_file(tmp_path, "tok-0123456789")

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError()  # no strerror

    monkeypatch.setattr(Path, "open", refuse)
    assert refresh_error(FluidctlToken(path)) == (
        f"no fluidctl token at {path} (PermissionError); run `fluidctl login`"
    )


def test_a_huge_token_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "token"
    with path.open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    path.chmod(0o600)
    with traced() as peak:
        refresh_error(FluidctlToken(path))
    assert peak[0] < 1024 * 1024


async def test_fluidctl_file_larger_than_a_token_is_refused_fast(
    tmp_path: Path, server: ScriptedServer
) -> None:
    """Review finding b10: the file was read whole, whatever its size."""
    path = write_token(tmp_path / "token", "a" * 100_000)
    started = time.monotonic()
    async with AsyncFluidstack(FluidctlToken(path), base_url=server.url) as fs:
        with pytest.raises(FluidstackError) as info:
            await fs.organizations.list()
    elapsed = time.monotonic() - started
    assert server.requests == []
    assert isinstance(info.value, AuthenticationError)
    assert "larger than a token" in str(info.value)
    assert elapsed < 1.0


@pytest.mark.slow
def test_fluidctl_file_linked_to_dev_zero_is_refused_within_a_second(
    tmp_path: Path, server: ScriptedServer
) -> None:
    """Review finding b10: a file linked to /dev/zero was read for ever (both clients,
    in a child process under a memory limit)."""
    # With the fix reverted, reading /dev/zero never ends: the child grows until
    # MemoryError under its limit, and this process is unharmed.
    child_code = textwrap.dedent(
        """
        import asyncio, json, resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from fluidstack_client import AsyncFluidstack, FluidctlToken, Fluidstack

        path, base_url = sys.argv[1], sys.argv[2]

        def report(mode, call):
            started = time.monotonic()
            try:
                call()
                outcome = {"type": None, "message": ""}
            except BaseException as exc:
                outcome = {"type": type(exc).__name__, "message": str(exc)}
            outcome.update(mode=mode, elapsed=time.monotonic() - started)
            print(json.dumps(outcome), flush=True)

        def sync():
            with Fluidstack(FluidctlToken(path), base_url=base_url, timeout=5) as fs:
                fs.organizations.list()

        async def main():
            async with AsyncFluidstack(FluidctlToken(path), base_url=base_url, timeout=5) as fs:
                await fs.organizations.list()

        report("sync", sync)
        report("async", lambda: asyncio.run(main()))
        """
    )
    link = tmp_path / "token"
    link.symlink_to("/dev/zero")
    package_root = str(Path(fluidstack_client.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root}
    child = subprocess.run(
        [sys.executable, "-c", child_code, str(link), server.url],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=package_root,
        check=False,
    )
    assert server.requests == []
    outcomes = [json.loads(line) for line in child.stdout.splitlines()]
    assert [o["mode"] for o in outcomes] == ["sync", "async"], child.stderr
    for outcome in outcomes:
        assert outcome["type"] == "AuthenticationError", outcome
        assert "not a regular file" in outcome["message"]
        assert outcome["elapsed"] < 1.0


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


def test_fluidctl_fifo_is_refused_at_once_sync(tmp_path: Path, served_fake: FakeServer) -> None:
    """Review finding b10: a FIFO at the token's path blocked the reader in open()."""
    fifo = tmp_path / "token"
    os.mkfifo(fifo, 0o600)
    with fifo_writer(fifo):
        started = time.monotonic()
        with (
            Fluidstack(FluidctlToken(fifo), base_url=served_fake.base_url) as fs,
            pytest.raises(FluidstackError) as info,
        ):
            fs.organizations.list()
        elapsed = time.monotonic() - started
        assert served_fake.fake.requests == []
    assert isinstance(info.value, AuthenticationError)
    assert "not a regular file" in str(info.value)
    assert elapsed < 0.5


@pytest.mark.async_only
async def test_fluidctl_fifo_does_not_block_the_event_loop(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    """Review finding b10: a FIFO at the token's path blocked the event loop."""
    fifo = tmp_path / "token"
    os.mkfifo(fifo, 0o600)
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            gaps.append(now - last)
            last = now

    with fifo_writer(fifo):
        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        async with AsyncFluidstack(FluidctlToken(fifo), base_url=served_fake.base_url) as fs:
            with pytest.raises(FluidstackError) as info:
                await fs.organizations.list()
        before = len(gaps)
        await asyncio.sleep(0.05)
        assert len(gaps) > before  # the ticker keeps running
        ticking.cancel()
        assert served_fake.fake.requests == []
    assert isinstance(info.value, AuthenticationError)
    assert "not a regular file" in str(info.value)
    assert max(gaps) < 0.5, max(gaps)


# -- a file other users can read ------------------------------------------------------------


async def test_fluidctl_file_readable_by_others_warns_but_works(
    tmp_path: Path, served_fake: FakeServer
) -> None:
    token = jwt(time.time() + 3600)
    path = write_token(tmp_path / "token", token, mode=0o644)
    fake = served_fake.fake
    fake.token = token
    with pytest.warns(UserWarning, match="chmod 600") as caught:
        async with AsyncFluidstack(
            FluidctlToken(path), base_url=served_fake.base_url, retry_policy=FAST
        ) as fs:
            keys = await key_names(fs)
    assert keys == [k["name"] for k in fake.keys]
    assert [bearer(r) for r in fake.requests] == [token]
    assert all(token not in str(w.message) for w in caught)


async def test_a_file_readable_by_others_warns_from_the_client(
    tmp_path: Path, server: ScriptedServer
) -> None:
    path = token_file(tmp_path, "tok-0123456789", mode=0o644)
    server.default = Reply(json=[])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with AsyncFluidstack(
            FluidctlToken(path), base_url=server.url, retry_policy=FAST
        ) as fs:
            await fs.keys.list()
    (warning,) = [w for w in caught if "can be read by other users" in str(w.message)]
    assert str(warning.message) == (
        f"{path} can be read by other users (mode -rw-r--r--); `chmod 600 {path}`"
    )
    # Attributed to whoever drives the provider's refresh, not to the provider's module.
    assert os.path.basename(warning.filename) != "_credentials.py"
