"""The OpenAPI document's request bodies, generated from the card's input contract.

The scoring handlers read raw bytes (see :mod:`api.controllers`), so Litestar cannot infer
their bodies: :func:`document_request_bodies` patches the contract-generated schema and a
synthetic example into the cached document before it is first served. The schema mirrors
:meth:`scorecard.data.contract.Column.check_value`, so the documentation, the validator and
the file contract share one source.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from litestar import Litestar
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)

from scorecard.data.contract import Column

if TYPE_CHECKING:
    from api.service import ScoringService
    from api.settings import Settings

_FLOAT_MAX = sys.float_info.max
EXAMPLE_ID = "00000000-0000-4000-8000-000000000001"


def _example_value(col: Column, id_column: str | None) -> Any:
    """A valid, readable value of ``col``: the first allowed value, the middle of a closed
    range, else the lower bound (or 0)."""
    kind = col.kind
    if col.name == id_column or kind == "id":
        return EXAMPLE_ID
    if kind == "boolean":
        return True
    if col.allowed:
        return col.allowed[0]
    if kind == "category":
        return "example"
    whole = kind in ("integer", "code")
    if col.min is not None and col.max is not None:
        mid = (col.min + col.max) / 2
        value: float = int(mid) if whole else mid
    else:
        value = col.min if col.min is not None else 0
        if col.max is not None and (value > col.max or (col.max_exclusive and value >= col.max)):
            value = col.max - 1
    return int(value) if whole else float(value)


def example_applicant(columns: Sequence[Column], id_column: str | None) -> dict[str, Any]:
    """A synthetic applicant built from the contract (not a real row): one valid value per
    column but the target (ignored by the API); ``tests/api`` proves the validator accepts
    it and the card scores it."""
    return {c.name: _example_value(c, id_column) for c in columns if c.kind != "target"}


def _field_schema(col: Column, optional: bool) -> Schema:
    """JSON Schema of one contract column; mirrors :meth:`Column.check_value`."""
    nullable = col.nullable or optional
    kind = col.kind
    schema = Schema(description=col.description or None)
    if kind == "id":
        # Text (a file's id cell) or a number (a whole-number id sent as one), echoed as sent.
        schema.type = [OpenAPIType.STRING, OpenAPIType.NUMBER]
        schema.min_length = 1
    elif kind == "category":
        schema.type = OpenAPIType.STRING
    elif kind == "boolean":
        schema.type = OpenAPIType.BOOLEAN
    else:
        # "integer" in JSON Schema is any number without a fractional part (3.0 included),
        # exactly the contract's whole-number rule.
        whole = kind in ("integer", "code", "target")
        schema.type = OpenAPIType.INTEGER if whole else OpenAPIType.NUMBER
        # Numbers must be finite: JSON integers too large for a float are rejected, so the
        # open ends are bounded by the largest float.
        schema.minimum = col.min if col.min is not None else -_FLOAT_MAX
        if col.max is not None and col.max_exclusive:
            schema.exclusive_maximum = col.max
        else:
            schema.maximum = col.max if col.max is not None else _FLOAT_MAX
    if col.allowed is not None and kind != "id":
        schema.enum = [*col.allowed, None] if nullable else list(col.allowed)
    if nullable:
        types = schema.type if isinstance(schema.type, list) else [schema.type]
        schema.type = [*types, OpenAPIType.NULL]
    return schema


def applicant_schema(columns: Sequence[Column], id_column: str | None, target: str | None,
                     allow_missing: bool) -> Schema:
    """The request object of ``/v1/score``: one property per contract column, no others.

    Required are the features the contract declares non-nullable (none when
    ``allow_missing``); the id and the target are optional.
    """
    properties: dict[str, Schema | Reference] = {}
    required: list[str] = []
    for col in columns:
        loose = col.name in (id_column, target) or (allow_missing and col.kind not in
                                                    ("id", "target"))
        properties[col.name] = _field_schema(col, optional=col.name == id_column or loose)
        if not col.nullable and not loose:
            required.append(col.name)
    return Schema(
        type=OpenAPIType.OBJECT,
        title="Applicant",
        description="One applicant in the data contract's field names (one row of the "
        "data file as a JSON object, NA written as null). Unknown fields are rejected.",
        properties=properties,
        required=required or None,
        additional_properties=False,
    )


def request_bodies(applicant: Schema | Reference, max_batch: int,
                   example: dict[str, Any]) -> tuple[RequestBody, RequestBody]:
    """OpenAPI request bodies of the single and the batch endpoint."""
    examples: dict[str, Example | Reference] = {
        "applicant": Example(summary="a synthetic applicant built from the contract",
                             value=example)}
    batch_examples: dict[str, Example | Reference] = {
        "batch": Example(summary="a batch of one", value=[example])}
    single = RequestBody(required=True, description="one applicant", content={
        "application/json": OpenAPIMediaType(schema=applicant, examples=examples)})
    batch = RequestBody(required=True, description=f"up to {max_batch} applicants, scored "
                        "in one pass; results come back in input order", content={
                            "application/json": OpenAPIMediaType(
                                schema=Schema(type=OpenAPIType.ARRAY, items=applicant,
                                              max_items=max_batch),
                                examples=batch_examples)})
    return single, batch


def document_request_bodies(app: Litestar, service: ScoringService, settings: Settings) -> None:
    """Attach the contract-generated request schema to the two scoring operations."""
    openapi = app.openapi_schema
    # Explicit checks, not asserts: `python -O` strips asserts (bandit B101).
    if openapi.components is None or openapi.paths is None:
        raise RuntimeError("the OpenAPI document has no components or paths")
    schemas = dict(openapi.components.schemas or {})
    schemas["Applicant"] = applicant_schema(service.columns, service.id_column, service.target,
                                            settings.allow_missing)
    openapi.components.schemas = schemas
    single, batch = request_bodies(Reference("#/components/schemas/Applicant"),
                                   settings.max_batch,
                                   example_applicant(service.columns, service.id_column))
    score_op = openapi.paths["/v1/score"].post
    batch_op = openapi.paths["/v1/score/batch"].post
    if score_op is None or batch_op is None:
        raise RuntimeError("the OpenAPI document lacks the scoring operations")
    score_op.request_body = single
    batch_op.request_body = batch
    explain_op = openapi.paths["/v1/explain"].post
    if explain_op is None:
        raise RuntimeError("the OpenAPI document lacks the explain operation")
    explain_op.request_body = explain_body(
        Reference("#/components/schemas/Applicant"),
        example_applicant(service.columns, service.id_column),
        service.scale.grades if service.scale is not None else (),
        needs_cutoff=service.policy is None)


def explain_body(applicant: Schema | Reference, example: dict[str, Any],
                 grades: Sequence[str], needs_cutoff: bool) -> RequestBody:
    """The request body of ``/v1/explain``: the applicant, ``k``, an optional cut-off
    (required when the service has no policy) and refer band. The cut-off pattern admits
    exactly the forms :func:`scorecard.card.decisions.make_policy` resolves."""
    from scorecard.card.recourse import DEFAULT_K, MAX_K

    forms = [r"-?[0-9]{1,15}(\.[0-9]{1,6})?", r"pd:0\.[0-9]{0,8}[1-9]"]
    if grades:
        forms.append("grade:(" + "|".join(grades) + ")")
    schema = Schema(
        type=OpenAPIType.OBJECT,
        title="ExplainRequest",
        properties={
            "applicant": applicant,
            "k": Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_K,
                        description=f"alternatives wanted (default {DEFAULT_K})"),
            "cutoff": Schema(type=OpenAPIType.STRING, pattern="^(" + "|".join(forms) + ")$",
                             description="a score (600), a pd (pd:0.05) or a grade (grade:E); "
                             "default: the service's policy"),
            "refer_band": Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=1000,
                                 description="points below the cut-off referred (with "
                                 "`cutoff`; default 0)"),
        },
        required=["applicant", "cutoff"] if needs_cutoff else ["applicant"],
        additional_properties=False,
    )
    value: dict[str, Any] = {"applicant": example, "k": 3}
    if needs_cutoff:
        value["cutoff"] = f"grade:{grades[len(grades) // 2]}" if grades else "600"
    return RequestBody(required=True, description="one applicant and the search's options",
                       content={"application/json": OpenAPIMediaType(
                           schema=schema, examples={"explain": Example(
                               summary="explain a synthetic applicant", value=value)})})
