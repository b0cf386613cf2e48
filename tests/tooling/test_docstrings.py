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

from fluidstack_client import AsyncFluidstack, Fluidstack
from fluidstack_client.testing import FakeAPI

pytestmark = pytest.mark.tooling

SPEC = yaml.safe_load(
    (Path(__file__).resolve().parent.parent.parent / "spec" / "openapi.yaml").read_text()
)
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


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }


def _methods(client_class: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(client_class)
    return [
        (f"{resource}.{name}", member)
        for resource in RESOURCES
        for name, member in inspect.getmembers(hints[resource], inspect.isfunction)
        if not name.startswith("_")
    ]


@pytest.mark.parametrize("client_class", [AsyncFluidstack, Fluidstack])
def test_help_describes_the_constructor_and_its_environment(client_class: type) -> None:
    text = pydoc.render_doc(client_class, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    for argument in inspect.signature(client_class).parameters:
        assert f"    {argument}: " in text, f"{argument} is not described"
    for variable in ["FLUIDSTACK_TOKEN", "FLUIDSTACK_CLIENT_ID", "FLUIDSTACK_BASE_URL"]:
        assert variable in text
    assert "cached_property" not in text
    for resource in RESOURCES:
        assert f"    {resource}: " in text


@pytest.mark.parametrize("client_class", [AsyncFluidstack, Fluidstack])
def test_resources_are_typed_attributes(client_class: type) -> None:
    hints = typing.get_type_hints(client_class)
    fake = FakeAPI()
    client = fake.async_client() if client_class is AsyncFluidstack else fake.client()
    for resource in RESOURCES:
        assert isinstance(getattr(client, resource), hints[resource])
        assert hints[resource].__doc__
    copy = client.with_options(max_retries=0)
    assert copy.instances is not client.instances
    assert copy.instances._client is copy


@pytest.mark.parametrize("client_class", [AsyncFluidstack, Fluidstack])
def test_every_method_documents_the_errors_its_operation_can_answer(client_class: type) -> None:
    operations = _operations()
    covered = set()
    for name, method in _methods(client_class):
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
