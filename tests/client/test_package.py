"""The package's own namespace: every name of `__all__` resolves, `dir()` lists them,
an unknown name says what it is, and the lazily imported names load on first use and
stay the same object on every access."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fluidstack_client

# -- __all__ and dir() -----------------------------------------------------------------------


def test_every_public_name_resolves() -> None:
    for name in fluidstack_client.__all__:
        assert getattr(fluidstack_client, name) is not None, name
    assert set(dir(fluidstack_client)) >= set(fluidstack_client.__all__)


def test_dir_lists_the_public_names_sorted() -> None:
    assert dir(fluidstack_client) == sorted(fluidstack_client.__all__)
    assert "Fluidstack" in dir(fluidstack_client)


def test_an_unknown_name_is_an_attribute_error_that_names_it() -> None:
    with pytest.raises(AttributeError) as info:
        _ = fluidstack_client.NoSuchThing
    assert str(info.value) == "module 'fluidstack_client' has no attribute 'NoSuchThing'"


# -- lazy imports ----------------------------------------------------------------------------


def test_clients_load_on_first_use() -> None:
    """In a fresh interpreter (a subprocess; a quarter of a second): importing the package
    loads neither the generated code nor asyncio, the sync client does not load the async
    one, and a name loaded on first use is the real one, the same on every use."""
    probe = (
        "import sys, fluidstack_client as f\n"
        "assert 'fluidstack_client._generated' not in sys.modules\n"
        "first = f.Fluidstack\n"
        "assert first.__name__ == 'Fluidstack', first\n"
        "assert f.Fluidstack is first and vars(f)['Fluidstack'] is first\n"
        "assert 'fluidstack_client._async_client' not in sys.modules\n"
        "assert 'asyncio' not in sys.modules, 'a sync-only program pays for asyncio'\n"
        "assert f.Instance.__module__.endswith('management.models.instance')\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_the_async_client_imports_asyncio_when_the_first_one_is_made() -> None:
    """Importing `AsyncFluidstack` does not import asyncio (11 ms; an async program has
    it already): making a client does, and the client then works."""
    probe = (
        "import sys\n"
        "from fluidstack_client import AsyncFluidstack\n"
        "assert 'asyncio' not in sys.modules, 'importing AsyncFluidstack imported asyncio'\n"
        "from fluidstack_client.testing import FakeAPI\n"
        "import asyncio\n"
        "async def main():\n"
        "    async with FakeAPI().async_client() as fs:\n"
        "        return await fs.regions.list()\n"
        "assert asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("AsyncFluidstack", "fluidstack_client._async_client"),
        ("Fluidstack", "fluidstack_client._sync_client"),
        ("RetryPolicy", "fluidstack_client._retry"),
        ("ClientCredentials", "fluidstack_client._credentials"),
        ("Instance", "fluidstack_client._generated.management.models.instance"),
        ("DEFAULT_TIMEOUT", None),
        ("UNSET", None),
    ],
)
def test_lazy_names_are_the_same_object_on_every_access(name: str, module: str | None) -> None:
    first = getattr(fluidstack_client, name)
    second = getattr(fluidstack_client, name)
    assert first is second
    assert first is not None
    assert vars(fluidstack_client)[name] is first  # cached: no lookup the next time
    if module is not None:
        assert first.__module__ == module
