"""Schemathesis against the app's own OpenAPI document (in-process ASGI, no network).

Every documented operation gets schema-conforming (positive) and schema-violating
(negative) requests, plus the schema's own examples. Checks: no 5xx, status codes and
content types documented, response bodies conform to their schemas, schema-valid requests
are accepted. Bounded to keep the run short.

Schemathesis's pytest integration (``@schema.parametrize`` / ``from_fixture``) does not run
under pytest 9 here, so the operations are driven through ``APIOperation.as_strategy``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi import checks as oas

from api.app import create_app
from api.settings import Settings

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    oas.status_code_conformance,
    oas.content_type_conformance,
    oas.response_schema_conformance,
    oas.positive_data_acceptance,
]
# Not ``negative_data_rejection``: schemathesis judges bounds on the decimal text of a JSON
# number, a server on the parsed float, and the two disagree within float precision of
# the largest float (e.g. 1797...0001 with 309 digits is "above" 1.7976931348623157e308 as
# text and equal to it as a float). That the API rejects exactly what the contract rejects
# is proven value by value in tests/test_api_contract.py.
OPERATIONS = [
    ("POST", "/v1/score", 150), ("POST", "/v1/score/batch", 60), ("POST", "/v1/explain", 100),
    ("GET", "/v1/scorecard", 3),
    ("GET", "/v1/ping", 3), ("POST", "/v1/ping", 3), ("GET", "/health", 3),
    ("GET", "/ready", 3), ("GET", "/metrics", 3),
    # The reviewer routes refuse this app's requests (no reviewer keys, no log): their
    # refusals are documented; tests/api/test_oversight.py reviews for real.
    ("GET", "/v1/decisions", 5), ("GET", "/v1/decisions/{decision_id}", 3),
    ("POST", "/v1/decisions/{decision_id}/override", 5),
    # Every GET answers HEAD too (no body).
    ("HEAD", "/v1/scorecard", 1), ("HEAD", "/v1/ping", 1), ("HEAD", "/health", 1),
    ("HEAD", "/ready", 1), ("HEAD", "/metrics", 1), ("HEAD", "/v1/decisions", 1),
    ("HEAD", "/v1/decisions/{decision_id}", 1),
]


@pytest.fixture(scope="module")
def api_schema(artifact_path: Path) -> schemathesis.BaseSchema:
    # A small batch limit keeps generated arrays (and the run) short; a policy makes the
    # explain endpoint's cut-off optional (its schema then has both forms of the cut-off).
    app = create_app(Settings(artifact=artifact_path, max_batch=5, cutoff="grade:E",
                              refer_band=5, reason_method="cutoff"))
    return schemathesis.openapi.from_asgi("/schema/openapi.json", app)


def test_every_operation_is_exercised(api_schema: schemathesis.BaseSchema) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == {(m, p) for m, p, _ in OPERATIONS}


def _validate(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize(("method", "path", "n"), OPERATIONS)
def test_operation_conforms(api_schema: schemathesis.BaseSchema, method: str, path: str,
                            n: int) -> None:
    operation = api_schema[path][method]
    generated = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))
    # The schema's own examples (the real applicant) first, then generated cases.
    for strategy, count in [*((e, 1) for e in operation.get_strategies_from_examples()),
                            (generated, n)]:

        @settings(max_examples=count, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            _validate(case)

        run()
