"""A client used before `os.fork()` (gunicorn --preload, Celery's prefork pool,
multiprocessing's fork start method): each process gets the answers to its own
requests, never another's.

Against a loopback server that answers every `GET /instances/{id}` with that id,
after a short delay (so that requests from several processes overlap): the parent
warms its pool (kept-alive connections the children inherit), forks, and parent and
children call at once; every answer must carry the id asked for. A user's own
`http_client` cannot be made anew in the child: it is refused there, nothing sent.

Sync and async are written apart (plain `def` and `async_only`): the child runs its
own calls, with `asyncio.run` for the async client.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from support import samples
from support.clients import FAST, TOKEN
from support.scripted_server import Recorded, Reply, ScriptedServer

from fluidstack_client import AsyncFluidstack, Fluidstack, FluidstackError, _sync_send

CHILDREN = 4
CALLS = 20

# Python 3.12+ warns at os.fork() in a process with threads (the test's server has).
pytestmark = pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")


def _answer_with_its_id(rec: Recorded) -> Reply:
    instance_id = rec.path.rsplit("/", 1)[-1]
    return Reply(json={**samples.INSTANCE, "id": instance_id}, delay=0.005)


def _ids(process: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=process * 1000 + i) for i in range(CALLS)]


def _wrong_answers(fs: Fluidstack, process: int) -> int:
    """How many calls got another request's answer (or failed)."""
    wrong = 0
    for instance_id in _ids(process):
        try:
            wrong += fs.instances.get(instance_id).id != instance_id
        except Exception:
            wrong += 1
    return wrong


async def _async_wrong_answers(fs: AsyncFluidstack, process: int) -> int:
    async def one(instance_id: uuid.UUID) -> int:
        try:
            return int((await fs.instances.get(instance_id)).id != instance_id)
        except Exception:
            return 1

    return sum(await asyncio.gather(*(one(i) for i in _ids(process))))


def _fork_children(run: Callable[[int], int]) -> list[int]:
    """Fork CHILDREN processes, each exiting with `run(its number)` (0: all well)."""
    pids = []
    for child in range(1, CHILDREN + 1):
        pid = os.fork()
        if pid == 0:  # the child: never back into pytest
            code = 99
            try:
                code = min(run(child), 98)
            finally:
                os._exit(code)
        pids.append(pid)
    return pids


def _exit_codes(pids: list[int]) -> list[int]:
    return [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]


def test_forked_children_and_the_parent_each_get_their_own_answers(
    server: ScriptedServer,
) -> None:
    server.default = _answer_with_its_id
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with ThreadPoolExecutor(8) as pool:  # kept-alive connections to inherit
            list(pool.map(fs.instances.get, _ids(0)))
        pids = _fork_children(lambda child: _wrong_answers(fs, child))
        parent = _wrong_answers(fs, CHILDREN + 1)
        codes = _exit_codes(pids)
    assert codes == [0] * CHILDREN  # each child: every answer its own
    assert parent == 0
    assert len(server.requests) == CALLS * (CHILDREN + 2)


@pytest.mark.async_only
async def test_forked_children_of_an_async_client_each_get_their_own_answers(
    server: ScriptedServer,
) -> None:
    server.default = _answer_with_its_id
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        assert await _async_wrong_answers(fs, 0) == 0  # bound to this loop, pool warm
        pids = _fork_children(lambda child: asyncio.run(_async_wrong_answers(fs, child)))
        parent = await _async_wrong_answers(fs, CHILDREN + 1)
        codes = await asyncio.to_thread(_exit_codes, pids)
    assert codes == [0] * CHILDREN
    assert parent == 0
    assert len(server.requests) == CALLS * (CHILDREN + 2)


def test_multiprocessing_workers_of_a_preloaded_client_get_their_own_answers(
    server: ScriptedServer,
) -> None:
    server.default = _answer_with_its_id
    context = multiprocessing.get_context("fork")
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        _wrong_answers(fs, 0)  # the client is used before the workers start
        workers = [
            context.Process(target=lambda n=n: os._exit(min(_wrong_answers(fs, n), 98)))
            for n in range(1, CHILDREN + 1)
        ]
        for worker in workers:
            worker.start()
        parent = _wrong_answers(fs, CHILDREN + 1)
        for worker in workers:
            worker.join(60)
    assert [w.exitcode for w in workers] == [0] * CHILDREN
    assert parent == 0


def test_a_users_http_client_is_refused_in_a_forked_child(server: ScriptedServer) -> None:
    """The client cannot remake a pool it was given: in the child it refuses to send
    rather than share the parent's connections; the parent goes on as before."""
    server.default = _answer_with_its_id
    read, write = os.pipe()
    with (
        httpx.Client() as http,
        Fluidstack(TOKEN, base_url=server.url, http_client=http, retry_policy=FAST) as fs,
    ):
        fs.instances.get(uuid.UUID(int=1))

        def child(_: int) -> int:
            try:
                fs.instances.get(uuid.UUID(int=2))
            except FluidstackError as exc:
                os.write(write, str(exc).encode())
                return 0
            return 1

        pids = _fork_children(child)
        os.close(write)
        codes = _exit_codes(pids)
        said = b""
        while chunk := os.read(read, 65536):
            said += chunk
        os.close(read)
        assert fs.instances.get(uuid.UUID(int=3)).id == uuid.UUID(int=3)
    assert codes == [0] * CHILDREN
    message = said.decode()[: len(said) // CHILDREN]
    assert message == (
        "this client's http_client was made before os.fork(), and a child process cannot "
        "share its connections with the parent (their answers would mix): make the "
        "client, and its http_client, in the child (nothing was sent)"
    )
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests] == [
        str(uuid.UUID(int=1)),
        str(uuid.UUID(int=3)),
    ]


def _in_one_child(run: Callable[[], str]) -> str:
    """Fork one child, run `run()` there, and return what it returned (or the type of
    what it raised)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            try:
                said = run()
            except Exception as exc:
                said = f"{type(exc).__name__}: {exc}"
            os.write(write, said.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    assert _exit_codes([pid]) == [0]
    out = b""
    while chunk := os.read(read, 65536):
        out += chunk
    os.close(read)
    return out.decode()


def test_a_pool_the_child_cannot_make_fails_that_call_and_no_other_client(
    server: ScriptedServer,
) -> None:
    """Review of issue 22: the child's pools were made at the fork, one client after
    another; one that failed (SSL_CERT_FILE naming a missing file, the open-file limit)
    ended the hook, leaving it and every client after it on the parent's kept-alive
    connections (4-5 answers in 100 were another request's). Now a child's pool is
    made on its first call: a failure is that call's FluidstackError, nothing sent,
    and no client ever falls back to the parent's connections."""
    server.default = _answer_with_its_id
    with (
        Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as broken,
        Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fine,
    ):
        with ThreadPoolExecutor(4) as pool:  # both warm: connections to inherit
            list(pool.map(broken.instances.get, _ids(0)))
            list(pool.map(fine.instances.get, _ids(0)))
        sent = len(server.requests)

        def child() -> str:
            # In the child only, for a while: no new pool can be made (as at the open-
            # file limit). The call fails; it does not go over the parent's pool.
            made = _sync_send._new_http

            def at_the_limit(*args: object, **kwargs: object) -> httpx.Client:
                raise OSError(24, "Too many open files")

            _sync_send._new_http = at_the_limit
            failed = ""
            try:
                broken.instances.get(uuid.UUID(int=7))
            except FluidstackError as exc:
                failed = str(exc)
            _sync_send._new_http = made
            return f"{failed}|{_wrong_answers(fine, 5)}|{_wrong_answers(broken, 6)}"

        failed, fine_wrong, broken_wrong = _in_one_child(child).split("|")
    assert failed == (
        "cannot make this process's own connection pool after os.fork() (OSError: [Errno "
        "24] Too many open files); nothing was sent"
    )
    assert (fine_wrong, broken_wrong) == ("0", "0")  # made once it can be, and used
    ids = [r.path.rsplit("/", 1)[-1] for r in server.requests[sent:]]
    assert str(uuid.UUID(int=7)) not in ids
    assert len(ids) == 2 * CALLS


def test_a_client_closed_before_the_fork_stays_closed_in_the_child(
    server: ScriptedServer,
) -> None:
    server.default = _answer_with_its_id
    fs = Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST)
    fs.instances.get(uuid.UUID(int=1))
    fs.close()

    def child() -> str:
        fs.instances.get(uuid.UUID(int=2))
        return "sent"

    assert _in_one_child(child) == "FluidstackError: this client has been closed"
    assert len(server.requests) == 1


def test_a_fork_makes_no_pool_for_a_child_that_never_calls(server: ScriptedServer) -> None:
    """Review of issue 22: each fork made a new pool for every live client (~22 ms
    each: 50 clients, 1.1 s per fork) even in a child that never called."""
    server.default = _answer_with_its_id
    clients = [Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) for _ in range(3)]
    for fs in clients:
        fs.instances.get(uuid.UUID(int=1))

    def child() -> str:
        return ",".join(str(fs._shared.http is before) for fs, before in zip(clients, pools))

    pools = [fs._shared.http for fs in clients]
    assert _in_one_child(child) == "True,True,True"  # dropped on first use, not made
    for fs in clients:
        fs.close()
