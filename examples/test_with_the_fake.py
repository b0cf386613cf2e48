"""Test your own code with the pytest fixtures fluidstack-client ships.

    pytest examples/test_with_the_fake.py

Installing the package registers them (a pytest11 plugin); nothing to import:

- `fluidstack_fake`: a fresh `FakeAPI` for each test, with default data;
- `fluidstack_fake_client`: a `Fluidstack` wired to it in-process (no port);
- `fluidstack_fake_async_client`: an `AsyncFluidstack` wired to it, for `async def`
  tests marked `@pytest.mark.anyio` (anyio's pytest plugin comes with httpx;
  pytest-asyncio's `@pytest.mark.asyncio` works too).
"""

import contextlib
import uuid

import pytest

import fluidstack_client
from fluidstack_client import AsyncFluidstack, Fluidstack
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI

# -- your code --------------------------------------------------------------------------


def running_instances(fs: Fluidstack, project_id: str) -> list[str]:
    """The names of a project's running instances."""
    instances = fs.instances.list(project_id=project_id)
    return sorted(i.name for i in instances if i.state == "running")


async def rotate_key(fs: AsyncFluidstack, name: str, key: str) -> None:
    """Replace the SSH key called `name` (or register it, if there is none)."""
    with contextlib.suppress(fluidstack_client.NotFoundError):
        await fs.keys.deregister(name)
    await fs.keys.register(name=name, key=key)


# -- its tests --------------------------------------------------------------------------


def test_running_instances_of_the_default_data(fluidstack_fake_client: Fluidstack) -> None:
    names = running_instances(fluidstack_fake_client, DEFAULT_PROJECT_ID)
    assert names == ["gpu-train-0", "gpu-train-1"]


def test_running_instances_of_a_project() -> None:
    # Your own data: each item says only what the test is about; the rest is filled in.
    project, other = str(uuid.uuid4()), str(uuid.uuid4())
    fake = FakeAPI(
        instances=[
            {"name": "train-0", "project_id": project},
            {"name": "train-1", "project_id": project, "state": "stopped"},
            {"name": "serve-0", "project_id": other},
        ]
    )
    with fake.client() as fs:
        assert running_instances(fs, project) == ["train-0"]
    assert fake.requests[-1].headers["x-project-id"] == project


def test_a_missing_instance_is_not_found(fluidstack_fake_client: Fluidstack) -> None:
    with pytest.raises(fluidstack_client.NotFoundError):
        fluidstack_fake_client.instances.get(uuid.uuid4())


@pytest.mark.anyio
async def test_rotate_key_replaces_it(
    fluidstack_fake: FakeAPI, fluidstack_fake_async_client: AsyncFluidstack
) -> None:
    await rotate_key(fluidstack_fake_async_client, "ci-runner", "ssh-ed25519 AAAA new")
    assert fluidstack_fake.keys == [{"name": "ci-runner", "key": "ssh-ed25519 AAAA new"}]
    assert [r.operation for r in fluidstack_fake.requests] == ["DeregisterKey", "RegisterKey"]


@pytest.mark.anyio
async def test_rotate_key_registers_a_new_one(
    fluidstack_fake: FakeAPI, fluidstack_fake_async_client: AsyncFluidstack
) -> None:
    await rotate_key(fluidstack_fake_async_client, "laptop", "ssh-ed25519 AAAA laptop")
    assert [k["name"] for k in fluidstack_fake.keys] == ["ci-runner", "laptop"]


@pytest.mark.anyio
async def test_rotate_key_when_the_api_fails(
    fluidstack_fake: FakeAPI, fluidstack_fake_async_client: AsyncFluidstack
) -> None:
    # A POST that got a 5xx is not sent again (it could have acted): your code sees it.
    fluidstack_fake.fail_next(1, status=503, route="RegisterKey")
    with pytest.raises(fluidstack_client.InternalServerError):
        await rotate_key(fluidstack_fake_async_client, "ci-runner", "ssh-ed25519 AAAA new")
    assert fluidstack_fake.keys == []  # deregistered, not registered again: worth knowing
