"""Schemathesis (a judge we did not write) against the fake, served on loopback.

Positive mode: every schema-valid request to each of the 14 operations, with every
schemathesis check (no server errors, documented status codes, response schemas
and content types, auth enforced, ...), and each one reaches the fake's handler of
that operation. Negative mode: schema-violating requests must be rejected with a
4xx `Error`, never a 5xx. Where the spec documents no 4xx for an operation
(RegisterKey, ListInstances) the fake still answers 400, so the documented-status
check only runs on valid requests.

One test item per operation and mode, with its own id
(`test_valid_requests_get_documented_responses[GET /instances][positive]`), so a
failure names its operation and `pytest --collect-only` lists them. No test relies
on another having run: the module is correct in any order and split over any
number of xdist workers.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from support.client_operations import ROOT, SPEC_PATH

from fluidstack_client.testing import ROUTES, FakeAPI, FakeServer

pytestmark = pytest.mark.contract

SPEC = SPEC_PATH
TOKEN = "conformance-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OPERATION_OF_LABEL = {f"{method} {path}": op for op, method, path, _ in ROUTES}

positive = schemathesis.openapi.from_path(SPEC)
positive.config.generation.update(modes=[GenerationMode.POSITIVE])
negative = schemathesis.openapi.from_path(SPEC)
negative.config.generation.update(modes=[GenerationMode.NEGATIVE])
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


def test_every_operation_has_its_own_items(
    request: pytest.FixtureRequest, spec: dict[str, Any]
) -> None:
    """Each operation of the spec is a test item of each mode, under an id of its own."""
    labels = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item}
    assert labels == set(OPERATION_OF_LABEL)
    module = request.node.nodeid.split("::")[0]
    expected = {
        f"{module}::{test}[{label}][{mode}]"
        for test, mode in [
            ("test_valid_requests_get_documented_responses", "positive"),
            ("test_invalid_requests_are_rejected_cleanly", "negative"),
        ]
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
