"""The package's own namespace: what `dir()` lists, what an unknown name says, and the
lazily imported names staying what they are on every access."""

from __future__ import annotations

import pytest

import fluidstack_client


def test_dir_lists_the_public_names_sorted() -> None:
    assert dir(fluidstack_client) == sorted(fluidstack_client.__all__)
    assert "Fluidstack" in dir(fluidstack_client)


def test_an_unknown_name_is_an_attribute_error_that_names_it() -> None:
    with pytest.raises(AttributeError) as info:
        _ = fluidstack_client.NoSuchThing
    assert str(info.value) == "module 'fluidstack_client' has no attribute 'NoSuchThing'"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("AsyncFluidstack", "fluidstack_client._async_client"),
        ("Fluidstack", "fluidstack_client._sync_client"),
        ("RetryPolicy", "fluidstack_client._retry"),
        ("ClientCredentials", "fluidstack_client._credentials"),
        ("Instance", "fluidstack_client._generated.models.instance"),
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
