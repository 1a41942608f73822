"""Response bodies (msgspec Structs) and the OpenAPI schema of the request bodies.

Requests are not decoded into a Struct: msgspec stops at the first error, and the API must
name every offending field. The handlers decode JSON to plain objects and
:mod:`api.service` checks them with the contract's own rules; the request schema published in
OpenAPI is generated here from the same contract declarations (:func:`applicant_schema`), so
the documentation, the validator and the file contract share one source.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar.openapi.spec import Example, OpenAPIMediaType, OpenAPIType, RequestBody, Schema

from scorecard.data.contract import Column

# --------------------------------------------------------------------------- responses


# Response structs hold only scalars and lists of structs (no cycles possible): gc=False
# keeps them out of the cyclic garbage collector, which a 10k-row batch would otherwise fill.


class Reason(msgspec.Struct, gc=False):
    """One reason code: a characteristic where the applicant lost points."""

    code: str
    characteristic: str
    value: float | str | bool | None  # as sent; "number" covers integers in the schema
    bin: str
    points: int
    attainable: int
    points_lost: int
    text: str


class ScoreResult(msgspec.Struct, gc=False):
    """The score of one applicant."""

    uuid: str | None
    pd: float
    score: int
    grade: str | None
    reasons: list[Reason]
    missing: list[str]
    model_id: str
    content_hash: str


class BatchResult(msgspec.Struct):
    """Scores of a batch, ``results[i]`` for the i-th applicant of the request."""

    model_id: str
    content_hash: str
    count: int
    results: list[ScoreResult]


class FieldIssue(msgspec.Struct, omit_defaults=True):
    """One broken rule: ``field`` (``$`` = the body itself), ``rule`` (the contract's rule
    name, e.g. ``greater_than_or_equal_to``, ``isin``, ``dtype``, ``unknown_field``),
    ``message``, and ``index`` (batch item, 0-based) for batch requests."""

    field: str
    rule: str
    message: str
    index: int | None = None


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every 4xx/5xx body."""

    status_code: int
    detail: str
    errors: list[FieldIssue] = msgspec.field(default_factory=list)
    errors_truncated: bool = False


class Health(msgspec.Struct):
    status: str


class Ready(msgspec.Struct, omit_defaults=True):
    status: str
    model_id: str | None = None
    content_hash: str | None = None
    detail: str | None = None


class Pong(msgspec.Struct):
    pong: bool


class CardBin(msgspec.Struct, omit_defaults=True):
    index: int
    type: str
    label: str
    points: int
    count: int | None = None
    event: int | None = None
    event_rate: float | None = None
    woe: float | None = None
    categories: list[str] | None = None
    codes: list[float] | None = None


class CardFeature(msgspec.Struct, omit_defaults=True):
    name: str
    kind: str
    reason_code: str
    unseen_points: int
    max_points: int
    bins: list[CardBin]
    description: str = ""
    coefficient: float | None = None
    trend: str | None = None
    overridden: bool | None = None
    iv: float | None = None
    splits: list[float] | None = None
    best_bin: int | None = None


class ScalingView(msgspec.Struct, omit_defaults=True):
    base_score: float
    base_odds: float
    pdo: float
    factor: float | None = None
    offset: float | None = None


class GradeBand(msgspec.Struct):
    grade: str
    pd_low: float
    pd_high: float
    pd_nominal: float
    score_low: float | None
    score_high: float | None


class MasterScaleView(msgspec.Struct):
    grades: list[str]
    pd_boundaries: list[float]
    score_cuts: list[float]
    table: list[GradeBand]


class ContractField(msgspec.Struct, omit_defaults=True):
    name: str
    kind: str
    nullable: bool
    description: str = ""
    min: float | None = None
    max: float | None = None
    max_exclusive: bool = False
    allowed: list[str | float] | None = None


class Card(msgspec.Struct):
    """The published card: what a reviewer needs to recompute any score by hand."""

    model_id: str
    content_hash: str
    spec: str
    id_column: str | None
    pd_formula: str
    intercept: float
    scaling: ScalingView
    features: list[CardFeature]
    master_scale: MasterScaleView | None
    input_contract: list[ContractField]


# --------------------------------------------------------------------------- requests

_FLOAT_MAX = sys.float_info.max

# One real applicant: the first row of ../shared/data/klarna/dataset_unlabelled_10k.csv
# (NA -> null). Shown as the request example in the interactive docs.
EXAMPLE_APPLICANT: dict[str, Any] = {
    "uuid": "6f6e6c6a-2081-4e6b-8eb3-4fd89b54b2d7", "default": None,
    "account_amount_added_12_24m": 0, "account_days_in_dc_12_24m": 0.0,
    "account_days_in_rem_12_24m": 0.0, "account_days_in_term_12_24m": 0.0,
    "account_incoming_debt_vs_paid_0_24m": 0.0091346153846153, "account_status": 1.0,
    "account_worst_status_0_3m": 1.0, "account_worst_status_12_24m": None,
    "account_worst_status_3_6m": 1.0, "account_worst_status_6_12m": 1.0, "age": 20,
    "avg_payment_span_0_12m": 6.4, "avg_payment_span_0_3m": 5.25,
    "merchant_category": "Youthful Shoes & Clothing", "merchant_group": "Clothing & Shoes",
    "has_paid": True, "max_paid_inv_0_12m": 7225.0, "max_paid_inv_0_24m": 7225.0,
    "name_in_email": "F", "num_active_div_by_paid_inv_0_12m": 0.0, "num_active_inv": 0,
    "num_arch_dc_0_12m": 0, "num_arch_dc_12_24m": 0, "num_arch_ok_0_12m": 5,
    "num_arch_ok_12_24m": 0, "num_arch_rem_0_12m": 0, "num_arch_written_off_0_12m": 0.0,
    "num_arch_written_off_12_24m": 0.0, "num_unpaid_bills": 1,
    "status_last_archived_0_24m": 1, "status_2nd_last_archived_0_24m": 1,
    "status_3rd_last_archived_0_24m": 1, "status_max_archived_0_6_months": 1,
    "status_max_archived_0_12_months": 1, "status_max_archived_0_24_months": 1,
    "recovery_debt": 0, "sum_capital_paid_account_0_12m": 8815,
    "sum_capital_paid_account_12_24m": 0, "sum_paid_inv_0_12m": 27157,
    "time_hours": 19.8955555555556, "worst_status_active_inv": None,
}


def _field_schema(col: Column, optional: bool) -> Schema:
    """JSON Schema of one contract column; mirrors :meth:`Column.check_value`."""
    nullable = col.nullable or optional
    kind = col.kind
    schema = Schema(description=col.description or None)
    if kind in ("id", "category"):
        schema.type = OpenAPIType.STRING
        if kind == "id":
            schema.min_length = 1
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
        schema.type = [schema.type, OpenAPIType.NULL]  # type: ignore[list-item]
    return schema


def applicant_schema(columns: Sequence[Column], id_column: str | None, target: str | None,
                     allow_missing: bool) -> Schema:
    """The request object of ``/v1/score``: one property per contract column, no others.

    Required are the features the contract declares non-nullable (none when
    ``allow_missing``); the id and the target are optional.
    """
    properties: dict[str, Schema] = {}
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


def request_bodies(applicant: Schema, max_batch: int,
                   example: dict[str, Any] | None) -> tuple[RequestBody, RequestBody]:
    """OpenAPI request bodies of the single and the batch endpoint."""
    examples = ({"applicant": Example(summary="a real applicant (first row of the Klarna "
                                      "unlabelled file)", value=example)}
                if example is not None else None)
    batch_examples = ({"batch": Example(summary="a batch of one", value=[example])}
                      if example is not None else None)
    single = RequestBody(required=True, description="one applicant", content={
        "application/json": OpenAPIMediaType(schema=applicant, examples=examples)})
    batch = RequestBody(required=True, description=f"up to {max_batch} applicants, scored "
                        "in one pass; results come back in input order", content={
                            "application/json": OpenAPIMediaType(
                                schema=Schema(type=OpenAPIType.ARRAY, items=applicant,
                                              max_items=max_batch),
                                examples=batch_examples)})
    return single, batch
