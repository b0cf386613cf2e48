"""The pytest fixtures the package ships (its pytest11 plugin), used as users use
them: here in this suite, and in pytest runs of small test files in a subprocess
(`slow`), each with a configuration of its own (anyio alone, pytest-asyncio strict
and auto, warnings as errors, a conftest overriding the fake)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fluidstack_client
from fluidstack_client import AsyncFluidstack, Fluidstack
from fluidstack_client.testing import FakeAPI

# Plugins this suite has that are slow to load and have no part in these runs.
QUIET = ["-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest"]


def run_pytest(tmp_path: Path, files: dict[str, str], *args: str) -> tuple[int, str]:
    """pytest on `files` in `tmp_path`, a project of its own (its own empty pytest.ini)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "FLUIDSTACK_")) and k != "PYTHONWARNINGS"
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", *QUIET, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


ASYNC_TESTS = """
    import pytest

    import fluidstack_client
    from fluidstack_client import AsyncFluidstack


    @pytest.mark.anyio
    async def test_async_client(fluidstack_fake, fluidstack_fake_async_client, request):
        assert isinstance(fluidstack_fake_async_client, AsyncFluidstack)
        assert request.config.pluginmanager.hasplugin("asyncio") is {asyncio_loaded}
        names = [i.name for i in await fluidstack_fake_async_client.instances.list()]
        assert names == ["gpu-train-0", "gpu-train-1", "gpu-eval-0"]
        with pytest.raises(fluidstack_client.NotFoundError):
            await fluidstack_fake_async_client.members.delete("nobody")
        assert [r.operation for r in fluidstack_fake.requests] == ["ListInstances", "DeleteMember"]
"""


# -- in this suite -------------------------------------------------------------------------


def test_plugin_is_registered_as_pytest11_entry_point(request: pytest.FixtureRequest) -> None:
    from importlib.metadata import entry_points

    from fluidstack_client.testing import pytest_plugin

    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "fluidstack"]
    assert entry.value == "fluidstack_client.testing.pytest_plugin"
    assert entry.load() is pytest_plugin
    # This very session loaded it from the entry point, under the entry point's name.
    assert request.config.pluginmanager.get_plugin("fluidstack") is pytest_plugin


def test_pytest_fixtures_from_the_plugin(
    fluidstack_fake: FakeAPI, fluidstack_fake_client: Fluidstack
) -> None:
    fluidstack_fake_client.keys.register(name="deploy", key="ssh-ed25519 CCCC")
    assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "deploy"]
    assert fluidstack_fake.requests[-1].operation == "RegisterKey"
    # The package is not hidden by a fixture of the same name any more.
    with pytest.raises(fluidstack_client.NotFoundError, match="key not found"):
        fluidstack_fake_client.keys.deregister("nobody")


def test_the_package_is_not_hidden(
    fluidstack_fake: FakeAPI, fluidstack_fake_client: Fluidstack
) -> None:
    assert isinstance(fluidstack_fake_client, Fluidstack)
    with pytest.raises(fluidstack_client.NotFoundError, match="instance not found"):
        fluidstack_fake_client.instances.get("00000000-0000-4000-8000-000000000000")
    assert fluidstack_fake.requests[-1].operation == "GetInstance"


def test_each_test_gets_a_fresh_fake(fluidstack_fake: FakeAPI) -> None:
    # The tests above sent requests (in whatever order they ran); this one starts from
    # nothing.
    assert fluidstack_fake.requests == []


@pytest.mark.async_only  # the plugin's async fixture under anyio's runner
@pytest.mark.anyio
async def test_async_client_under_anyio_here(
    fluidstack_fake: FakeAPI, fluidstack_fake_async_client: AsyncFluidstack
) -> None:
    await fluidstack_fake_async_client.keys.register(name="deploy", key="ssh-ed25519 CCCC")
    assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "deploy"]
    with pytest.raises(fluidstack_client.ConflictError):
        await fluidstack_fake_async_client.keys.register(name="deploy", key="ssh-ed25519 CCCC")


# -- in projects of their own ----------------------------------------------------------------


@pytest.mark.slow
def test_async_tests_need_no_plugin_beyond_anyio(tmp_path: Path) -> None:
    """`@pytest.mark.anyio` runs with anyio's plugin alone (httpx installs anyio);
    pytest-asyncio is switched off, so it is not what makes this pass."""
    files = {"test_async.py": ASYNC_TESTS.format(asyncio_loaded=False)}
    status, output = run_pytest(tmp_path, files, "-p", "no:asyncio", "-W", "error")
    assert status == 0, output
    assert "1 passed" in output


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_async_client_under_pytest_asyncio(tmp_path: Path, mode: str) -> None:
    marked = ASYNC_TESTS.format(asyncio_loaded=True).replace(
        "@pytest.mark.anyio", "@pytest.mark.asyncio"
    )
    files = {
        "test_anyio_marked.py": ASYNC_TESTS.format(asyncio_loaded=True),
        "test_asyncio_marked.py": marked,
    }
    options = ["-o", f"asyncio_mode={mode}", "-o", "asyncio_default_fixture_loop_scope=function"]
    status, output = run_pytest(tmp_path, files, *options, "-W", "error")
    assert status == 0, output
    assert "2 passed" in output


OLD_NAME = """
    from fluidstack_client import Fluidstack


    def test_old_fixture_name(fluidstack_fake, fluidstack_client):
        assert isinstance(fluidstack_client, Fluidstack)
        fluidstack_client.keys.register(name="deploy", key="ssh-ed25519 CCCC")
        assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "deploy"]
"""


@pytest.mark.slow
def test_the_old_fixture_name_still_works_with_a_deprecation_warning(tmp_path: Path) -> None:
    status, output = run_pytest(tmp_path, {"test_old.py": OLD_NAME}, "-p", "no:asyncio")
    assert status == 0, output
    assert "1 passed, 1 warning" in output
    assert "DeprecationWarning: the `fluidstack_client` fixture is deprecated" in output
    assert "Use `fluidstack_fake_client` (or `fluidstack_fake_async_client`) instead." in output


@pytest.mark.slow
def test_the_old_fixture_name_fails_where_warnings_are_errors(tmp_path: Path) -> None:
    files = {"test_old.py": OLD_NAME}
    status, output = run_pytest(tmp_path, files, "-p", "no:asyncio", "-W", "error")
    assert status == 1, output
    assert "1 error" in output
    assert "ERROR test_old.py::test_old_fixture_name - DeprecationWarning: the" in output


@pytest.mark.slow
def test_overriding_the_fake_in_a_conftest_reaches_the_clients(tmp_path: Path) -> None:
    files = {
        "conftest.py": """
            import pytest
            from fluidstack_client.testing import FakeAPI


            @pytest.fixture
            def fluidstack_fake():
                return FakeAPI(instances=[{"name": "mine"}], keys=[])
        """,
        "test_override.py": """
            import pytest


            def test_sync(fluidstack_fake_client):
                assert [i.name for i in fluidstack_fake_client.instances.list()] == ["mine"]


            @pytest.mark.anyio
            async def test_async(fluidstack_fake_async_client):
                assert await fluidstack_fake_async_client.keys.list() == []
        """,
    }
    status, output = run_pytest(tmp_path, files, "-p", "no:asyncio", "-W", "error")
    assert status == 0, output
    assert "2 passed" in output
