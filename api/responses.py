"""Response bodies: typed msgspec Structs (Litestar derives their OpenAPI schema).

Requests are not decoded into a Struct: msgspec stops at the first error, and the API must
name every offending field. Their schema is generated from the contract in
:mod:`api.openapi`.
"""

from __future__ import annotations

from typing import Any

import msgspec

# --------------------------------------------------------------------------- responses


# Response structs hold only scalars and lists of structs (no cycles possible): gc=False
# keeps them out of the cyclic garbage collector, which a 10k-row batch would otherwise fill.


class Reason(msgspec.Struct, gc=False, omit_defaults=True):
    """One reason code: a characteristic where the applicant lost points. ``attainable`` and
    ``points_lost`` are against the best bin; with the reason method ``cutoff`` or
    ``average`` (``SCORECARD_REASON_METHOD``) the reason also carries ``method``, its
    ``reference`` points and the ``points_below_reference`` it was ranked by (omitted under
    the default ``max``, where the reference is ``attainable``)."""

    code: str
    characteristic: str
    value: float | str | bool | None  # as sent; "number" covers integers in the schema
    bin: str
    points: int
    attainable: int
    points_lost: int
    text: str
    # The service's reason method (max, cutoff, average) and the points it measures against.
    method: str = "max"
    reference: float | None = None
    points_below_reference: float | None = None


class FieldGap(msgspec.Struct, gc=False):
    """One card input the applicant did not give a usable value for, and what that cost:
    ``status`` ``omitted`` (the field was left out: scored in the characteristic's riskiest
    bin), ``missing`` (null: the missing bin) or ``unseen`` (a category the card never saw);
    ``points`` it scored on ``characteristic`` and ``points_lost`` against that
    characteristic's best bin."""

    field: str
    status: str
    characteristic: str
    points: int
    points_lost: int


class ScoreResult(msgspec.Struct, gc=False):
    """The score of one applicant; ``decision`` (accept/refer/decline) is null without a
    decision policy. ``decision_id`` names the answer (time-ordered, unique across workers;
    the key of its record in the decision log)."""

    uuid: str | float | None  # the id as the client sent it (a whole number too)
    pd: float
    score: int
    grade: str | None
    reasons: list[Reason]
    missing: list[str]
    model_id: str
    content_hash: str
    decision: str | None
    decision_id: str = ""
    # Every omitted, null or unseen input and its cost (FieldGap); empty when complete.
    gaps: list[FieldGap] = msgspec.field(default_factory=list)


class Change(msgspec.Struct, gc=False):
    """One change of a counterfactual: a characteristic from its bin to a better bin."""

    code: str
    characteristic: str
    from_bin: str
    from_value: float | str | bool | None
    to_bin: str
    to_value: float | str | bool
    points_from: int
    points_to: int
    points_gained: int
    text: str


class Counterfactual(msgspec.Struct, gc=False):
    """A set of changes that reaches the cut-off, re-scored by the engine."""

    characteristics_changed: int
    points_gained: int
    bins_moved: int
    score: int
    pd: float
    grade: str | None
    decision: str
    changes: list[Change]


class ExplainResult(msgspec.Struct):
    """Decision, adverse-action reasons and counterfactuals of one applicant."""

    uuid: str | float | None  # the id as the client sent it (a whole number too)
    score: int
    pd: float
    grade: str | None
    decision: str
    cutoff_score: int
    points_needed: int
    max_gain: int
    status: str
    message: str
    exact: bool
    search_limit_reached: bool
    actionable: list[str]
    reasons: list[Reason]
    counterfactuals: list[Counterfactual]
    missing: list[str]
    model_id: str
    content_hash: str
    decision_id: str = ""
    gaps: list[FieldGap] = msgspec.field(default_factory=list)


class PolicyView(msgspec.Struct):
    """The decision policy the service applies."""

    cutoff: str
    kind: str
    cutoff_score: int
    cutoff_pd: float
    refer_band: int
    refer_from_score: int
    decisions: list[str]
    automated_declines: bool = True


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


class Override(msgspec.Struct):
    """A reviewer's override of a decision, as recorded in the overrides' chain."""

    override_id: str
    seq: int
    decision_id: str
    recorded: str
    previous_decision: str | None
    decision: str
    reason: str
    reviewer: str
    reviewer_key_id: str | None
    prev_hash: str
    hash: str


class DecisionSummary(msgspec.Struct):
    """One decision of the review queue: as answered, and the decision now in effect."""

    decision_id: str
    received: str
    endpoint: str
    model_id: str
    applicant_id: str | None
    pd: float
    score: int
    grade: str | None
    decision: str | None
    current: str | None
    overrides: int
    policy: dict[str, Any] | None
    reasons: list[str]


class DecisionPage(msgspec.Struct):
    """A page of decisions; ``next`` is the ``after`` of the following page (``null``: the
    last)."""

    items: list[DecisionSummary]
    next: str | None


class DecisionView(msgspec.Struct):
    """A decision's record as logged, its overrides in order and the decision in effect."""

    record: dict[str, Any]
    overrides: list[Override]
    current: str | None


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
    # Whether the bin's points rest on enough development events; a bin the card's
    # missing policy capped carries its fitted points and the reason.
    supported: bool | None = None
    fitted_points: int | None = None
    support: str | None = None


class CardParentBin(msgspec.Struct, omit_defaults=True):
    index: int
    type: str
    label: str
    categories: list[str] | None = None
    codes: list[float] | None = None


class CardParent(msgspec.Struct, omit_defaults=True):
    """One of an interaction's two parent columns and its bin rule (no points)."""

    name: str
    kind: str
    bins: list[CardParentBin]
    splits: list[float] | None = None


class CardDerived(msgspec.Struct):
    """What a derived characteristic's labels are made of: ``input``'s rounding, the
    largest of the ``rounding`` steps that divides the value (``"0"``, ``"other"``)."""

    input: str
    rounding: list[int]


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
    parents: list[CardParent] | None = None  # an interaction's rows (x) and columns (y)
    grid: list[list[int]] | None = None  # an interaction's points, shape (n_x, n_y)
    category_match: str | None = None  # "normalised" (case, spaces ignored) or "exact"
    unseen_rule: str | None = None  # why an unseen category scores unseen_points
    derived: CardDerived | None = None  # a rounding characteristic's input and steps


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
    policy: PolicyView | None = None
    reason_method: str = "max"
    actionable: list[str] = msgspec.field(default_factory=list)
