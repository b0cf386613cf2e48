"""Schemathesis (a judge we did not write) against the fake, served on loopback: its
Management API (spec/openapi.yaml, 14 operations) and the regional API of one of its
regions (spec/atlas-region-v1alpha1.yaml, 21 operations, at the region's URL).

Positive mode: every schema-valid request to each operation, with every
schemathesis check (no server errors, documented status codes, response schemas
and content types, auth enforced, ...), and each one reaches the fake's handler of
that operation (of that region). Negative mode: schema-violating requests must be
rejected with a 4xx `Error`, never a 5xx. Where a spec documents no 4xx for an
operation (RegisterKey, ListInstances, most regional lists) the fake still answers
400, so the documented-status check only runs on valid requests.

One test item per operation and mode, with its own id
(`test_valid_requests_get_documented_responses[GET /instances][positive]`,
`test_valid_regional_requests_get_documented_responses[GET /instances][positive]`),
so a failure names its operation and `pytest --collect-only` lists them. No test
relies on another having run: the module is correct in any order and split over any
number of xdist workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema
from support.client_operations import ROOT, SPEC_PATH
from support.region_operations import REGION, REGION_SPEC_PATH, region_spec

from fluidstack_client.testing import (
    DEFAULT_PROJECT_ID,
    REGION_ROUTES,
    ROUTES,
    FakeAPI,
    FakeServer,
)

pytestmark = pytest.mark.contract

SPEC = SPEC_PATH
TOKEN = "conformance-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OPERATION_OF_LABEL = {f"{method} {path}": op for op, method, path, _ in ROUTES}
REGIONAL_OPERATION_OF_LABEL = {f"{method} {path}": op for op, method, path, _ in REGION_ROUTES}


def _schema(path: Path, mode: GenerationMode) -> OpenApiSchema:
    loaded = schemathesis.openapi.from_path(path)
    loaded.config.generation.update(modes=[mode])
    return loaded


positive = _schema(SPEC, GenerationMode.POSITIVE)
negative = _schema(SPEC, GenerationMode.NEGATIVE)
regional_positive = _schema(REGION_SPEC_PATH, GenerationMode.POSITIVE)
regional_negative = _schema(REGION_SPEC_PATH, GenerationMode.NEGATIVE)
# A region refuses a schema-valid create it cannot carry out with 400 and its
# message (a type it does not offer, a size it cannot make, an empty name, a
# project that does not exist: issue 20); the regional spec documents that 400
# ("Invalid input") for each create and action. Schemathesis takes a 400 to a
# valid request for a rejection of valid data unless told; its status-code check
# still fails a 400 from an operation that does not document one.
regional_positive.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*PositiveDataAcceptanceConfig().expected_statuses, "400"]
)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

# schemathesis names each item `<test>[<operation>]`, but under pytest >= 9 the node
# id is built from the test's name alone, so all 14 items of a test shared one id
# (and `-k`, `--lf`, xdist reports and node-id selection could not tell them apart).
# A parametrization makes schemathesis build the node id from `<test>[<operation>]`
# plus the parameter's id, on every pytest version.
POSITIVE_MODE = pytest.mark.parametrize("mode", ["positive"])
NEGATIVE_MODE = pytest.mark.parametrize("mode", ["negative"])


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeServer]:
    with FakeServer(FakeAPI(token=TOKEN)) as server:
        yield server


@POSITIVE_MODE
@positive.parametrize()
@SETTINGS
def test_valid_requests_get_documented_responses(
    case: schemathesis.Case[Any], fake_server: FakeServer, mode: str
) -> None:
    served_before = len(fake_server.fake.requests)
    case.call_and_validate(
        base_url=fake_server.base_url, headers=AUTH, additional_checks=[ignored_auth]
    )
    served = {r.operation for r in fake_server.fake.requests[served_before:]}
    assert OPERATION_OF_LABEL[case.operation.label] in served, (
        f"a valid {case.operation.label} request did not reach the fake's handler of "
        f"that operation (it saw {sorted(map(str, served))})"
    )


@NEGATIVE_MODE
@negative.parametrize()
@SETTINGS
def test_invalid_requests_are_rejected_cleanly(
    case: schemathesis.Case[Any], fake_server: FakeServer, mode: str
) -> None:
    case.call_and_validate(
        base_url=fake_server.base_url,
        headers=AUTH,
        checks=[
            not_a_server_error,
            negative_data_rejection,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def _act_in_the_fake_s_project_half_the_time(case: schemathesis.Case[Any]) -> None:
    """Half the cases (by the last bit of the drawn `X-PROJECT-ID`) act in the fake's
    project, as a client's calls do, so that a create can succeed and a list can hold
    something; the others keep the drawn id, a project the fake does not know."""
    drawn = case.headers.get("X-PROJECT-ID") if case.headers else None
    if case.headers and drawn is not None and int(drawn[-1], 16) % 2 == 0:
        case.headers["X-PROJECT-ID"] = DEFAULT_PROJECT_ID


@POSITIVE_MODE
@regional_positive.parametrize()
@SETTINGS
def test_valid_regional_requests_get_documented_responses(
    case: schemathesis.Case[Any], fake_server: FakeServer, mode: str
) -> None:
    _act_in_the_fake_s_project_half_the_time(case)
    served_before = len(fake_server.fake.requests)
    case.call_and_validate(
        base_url=fake_server.fake.region_url(REGION), headers=AUTH, additional_checks=[ignored_auth]
    )
    served = {(r.operation, r.region) for r in fake_server.fake.requests[served_before:]}
    operation = REGIONAL_OPERATION_OF_LABEL[case.operation.label]
    assert (operation, REGION) in served, (
        f"a valid {case.operation.label} request did not reach the fake's handler of "
        f"that operation in {REGION} (it saw {sorted(map(str, served))})"
    )


@NEGATIVE_MODE
@regional_negative.parametrize()
@SETTINGS
def test_invalid_regional_requests_are_rejected_cleanly(
    case: schemathesis.Case[Any], fake_server: FakeServer, mode: str
) -> None:
    case.call_and_validate(
        base_url=fake_server.fake.region_url(REGION),
        headers=AUTH,
        checks=[
            not_a_server_error,
            negative_data_rejection,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


# Per API: the fake's routes by label, and the tests of each mode.
ITEMS: dict[str, tuple[dict[str, str], tuple[str, str]]] = {
    "management": (
        OPERATION_OF_LABEL,
        (
            "test_valid_requests_get_documented_responses",
            "test_invalid_requests_are_rejected_cleanly",
        ),
    ),
    "region": (
        REGIONAL_OPERATION_OF_LABEL,
        (
            "test_valid_regional_requests_get_documented_responses",
            "test_invalid_regional_requests_are_rejected_cleanly",
        ),
    ),
}


@pytest.mark.parametrize("api", sorted(ITEMS))
def test_every_operation_has_its_own_items(
    api: str, request: pytest.FixtureRequest, spec: dict[str, Any]
) -> None:
    """Each operation of each spec is a route of the fake and a test item of each mode,
    under an id of its own."""
    routes, tests = ITEMS[api]
    paths = (spec if api == "management" else region_spec())["paths"]
    labels = {f"{method.upper()} {path}" for path, item in paths.items() for method in item}
    assert labels == set(routes)
    module = request.node.nodeid.split("::")[0]
    expected = {
        f"{module}::{test}[{label}][{mode}]"
        for test, mode in zip(tests, ("positive", "negative"), strict=True)
        for label in labels
    }
    collected = [item.nodeid for item in request.session.items if item.nodeid in expected]
    if set(collected) != expected:  # some were deselected (-k, a node id): collect them all
        collected = _collect_module_ids(module)
    assert expected <= set(collected), sorted(expected - set(collected))
    assert len(collected) == len(set(collected)), "two test items share a node id"


def _collect_module_ids(module: str) -> list[str]:
    import subprocess
    import sys

    root = ROOT
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", module],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [line for line in listed.splitlines() if line.startswith(module + "::")]
