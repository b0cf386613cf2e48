"""What `help()` and an editor show: documented arguments, typed resources, and the
errors each method raises, taken from the statuses the spec documents. Plain tests,
each over both client classes."""

from __future__ import annotations

import inspect
import pydoc
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from fluidstack_client import AsyncFluidstack, AsyncRegionClient, Fluidstack, RegionClient
from fluidstack_client.testing import FakeAPI

pytestmark = pytest.mark.tooling

SPECS = Path(__file__).resolve().parent.parent.parent / "spec"
SPEC = yaml.safe_load((SPECS / "openapi.yaml").read_text())
REGION_SPEC = yaml.safe_load((SPECS / "atlas-region-v1alpha1.yaml").read_text())
STATUS_ERRORS = {
    "400": "BadRequestError",
    "401": "AuthenticationError",
    "403": "PermissionDeniedError",
    "404": "NotFoundError",
    "409": "ConflictError",
    "422": "UnprocessableEntityError",
    "429": "RateLimitError",
    "500": "InternalServerError",
}
RESOURCES = ["regions", "clusters", "organizations", "members", "invitations", "instances", "keys"]
REGION_RESOURCES = [
    "instances",
    "projects",
    "filesystems",
    "capacity",
    "instance_types",
    "capabilities",
    "kubernetes.clusters",
    "kubernetes.node_pools",
    "slurm.clusters",
    "slurm.node_pools",
]
# Each client class, its spec and its resources (a dotted name: a resource of a resource).
CLIENTS = [
    (AsyncFluidstack, SPEC, RESOURCES),
    (Fluidstack, SPEC, RESOURCES),
    (AsyncRegionClient, REGION_SPEC, REGION_RESOURCES),
    (RegionClient, REGION_SPEC, REGION_RESOURCES),
]


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }


def _client(client_class: type) -> Any:
    if client_class in (AsyncRegionClient, RegionClient):
        return client_class("http://127.0.0.1:9", token="t")
    fake = FakeAPI()
    return fake.async_client() if client_class is AsyncFluidstack else fake.client()


def _resource(client: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        client = getattr(client, part)
    return client


def _methods(client_class: type, resources: list[str]) -> list[tuple[str, Any]]:
    client = _client(client_class)
    return [
        (f"{resource}.{name}", member)
        for resource in resources
        for name, member in inspect.getmembers(
            type(_resource(client, resource)), inspect.isfunction
        )
        # (the waiters poll an operation: their errors are a wait's, tested apart)
        if not name.startswith(("_", "wait"))
    ]


@pytest.mark.parametrize(("client_class", "spec", "resources"), CLIENTS)
def test_help_describes_the_constructor_and_its_environment(
    client_class: type, spec: dict[str, Any], resources: list[str]
) -> None:
    text = pydoc.render_doc(client_class, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    for argument in inspect.signature(client_class).parameters:
        assert f"    {argument}: " in text, f"{argument} is not described"
    regional = spec is REGION_SPEC
    variables = ["FLUIDSTACK_REGION_URL", "FLUIDSTACK_PROJECT_ID"] if regional else []
    # (a regional client's credentials are "exactly as for" the Management client's)
    for variable in [*variables, "FLUIDSTACK_TOKEN" if not regional else "Fluidstack"]:
        assert variable in text
    assert "cached_property" not in text
    for resource in {r.split(".")[0] for r in resources}:
        assert f"    {resource}: " in text


@pytest.mark.parametrize(("client_class", "spec", "resources"), CLIENTS)
def test_resources_are_typed_attributes(
    client_class: type, spec: dict[str, Any], resources: list[str]
) -> None:
    hints = typing.get_type_hints(client_class)
    client = _client(client_class)
    for resource in {r.split(".")[0] for r in resources}:
        assert isinstance(getattr(client, resource), hints[resource])
        assert hints[resource].__doc__
    copy = client.with_options(max_retries=0)
    assert copy.instances is not client.instances
    assert copy.instances._client is copy


@pytest.mark.parametrize(("client_class", "spec", "resources"), CLIENTS)
def test_every_method_documents_the_errors_its_operation_can_answer(
    client_class: type, spec: dict[str, Any], resources: list[str]
) -> None:
    operations = _operations(spec)
    covered = set()
    for name, method in _methods(client_class, resources):
        doc = inspect.getdoc(method) or ""
        match = re.search(r"\(`(GET|POST|PATCH|PUT|DELETE) (/[^`]*)`\)", doc.splitlines()[0])
        assert match, f"{name}: the first line does not name its operation"
        operation = operations[(match[1], match[2])]
        covered.add((match[1], match[2]))
        raises = doc.split("Raises:", 1)[1]
        documented = {status for status in operation["responses"] if status in STATUS_ERRORS}
        for status in documented:
            assert f"{STATUS_ERRORS[status]}: " in raises, f"{name}: {status} not documented"
        assert "APIConnectionError: " in raises
        parameters = [p for p in inspect.signature(method).parameters if p != "self"]
        for parameter in parameters:
            assert f"    {parameter}: " in doc.split("Raises:", 1)[0], f"{name}: {parameter}"
        if parameters:
            assert "InvalidParameterError: " in raises
        returns = inspect.signature(method).return_annotation
        assert ("Returns:" in doc) == (returns not in ("None", None)), name
    assert covered == set(operations)
