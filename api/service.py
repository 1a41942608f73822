"""The scoring service: decoded JSON -> contract-checked records -> card -> response structs.

No web code here. The card comes verified from :func:`scorecard.card.artifact.load_artifact`
(which refuses every card this service could not serve); records are checked by
:class:`scorecard.data.records.RecordValidator` against the card's own ``input_contract``;
batches are scored in one vectorised :class:`~scorecard.card.engine.ScoringEngine` pass. A
single applicant goes through :class:`~scorecard.card.engine.RowScorer`, a scalar
transcription of the engine: the engine's numpy calls cost ~70 us for one row, more than the
rest of the request; the scalar path ~5 us. Tests prove it identical to the engine on every
real row and on generated edge cases.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import msgspec

from api import prometheus as metrics
from api.responses import (
    BatchResult,
    Card,
    CardFeature,
    ContractField,
    ExplainResult,
    FieldGap,
    MasterScaleView,
    PolicyView,
    Reason,
    ScalingView,
    ScoreResult,
)
from scorecard.card.artifact import (
    ArtifactError,
    input_contract,
    load_artifact,
    master_scale,
    verify,
)
from scorecard.card.decisions import Policy, PolicyError, make_policy
from scorecard.card.engine import OMITTED, UNSEEN, RowScorer, ScoringEngine, is_missing
from scorecard.card.grades import MasterScale, assign_grades
from scorecard.card.reasons import (
    reason_entry,
    reason_value,
    reference_points,
    row_reasons,
    top_reasons,
)
from scorecard.card.recourse import DEFAULT_K, MAX_K, Explainer
from scorecard.data.contract import Column
from scorecard.data.decision_log import decision_ids
from scorecard.data.records import InvalidRecordsError, Issue, RecordValidator

TOP_REASONS = 4
_sorted = msgspec.json.Encoder(order="sorted").encode


class ScoringService:
    """Everything the handlers need, built once from a verified artifact.

    Attributes:
        model_id, content_hash: of the served card.
        columns, id_column, target: the card's input contract.
        validator: the contract check of decoded records.
        ready: ``True`` while the service accepts traffic (cleared at shutdown).
        card_id: the card's registry id (its content hash's hex digest).
        challengers: services scored beside this one in shadow (:meth:`shadow_one`).
    """

    def __init__(self, artifact: dict[str, Any], *, allow_missing: bool = False,
                 max_batch: int = 10_000, cutoff: str | None = None, refer_band: int = 0,
                 reason_method: str = "max", automated_declines: bool = True) -> None:
        artifact = verify(artifact)
        self.artifact = artifact
        self.model_id: str = artifact["model_id"]
        self.content_hash: str = artifact["content_hash"]
        self.card_id = self.content_hash.removeprefix("sha256:")
        self.challengers: tuple[ScoringService, ...] = ()
        self.max_batch = max_batch
        self.columns = input_contract(artifact)
        self.id_column: str | None = artifact["id_column"]
        self.target = next((c.name for c in self.columns if c.kind == "target"), None)
        self.allow_missing = allow_missing
        self.validator = RecordValidator(self.columns, self.id_column, self.target,
                                         allow_missing)
        self.engine = ScoringEngine(artifact)
        self.scale = master_scale(artifact)
        self.row = RowScorer(self.engine, self.scale)
        # The decision policy (None: no decisions) and the reason method's reference points;
        # PolicyError / ReasonError name the setting's problem.
        self.automated_declines = automated_declines
        self.policy: Policy | None = make_policy(cutoff, refer_band, artifact, self.scale,
                                                 automated_declines)
        self.reason_method = reason_method
        self.reference = reference_points(
            artifact, reason_method, None if self.policy is None else self.policy.cutoff_score)
        self.explainer = Explainer(self.engine, self.columns, self.scale)
        self._reasons = self._reason_templates()
        self.card = _card_view(artifact, self.columns, self.scale)
        self.population = metrics.Population.for_card(artifact)
        self.card.policy = (None if self.policy is None
                            else msgspec.convert(self.policy.to_dict(), type=PolicyView))
        self.card.reason_method = reason_method
        self.card.actionable = list(self.explainer.actionable)
        self.ready = True

    @classmethod
    def from_path(cls, path: str | Path, **kwargs: Any) -> ScoringService:
        """Load, verify (content hash, servability) and compile the card; raises
        ArtifactError."""
        return cls(load_artifact(path), **kwargs)

    def with_challengers(self, challengers: tuple[ScoringService, ...]) -> ScoringService:
        """This service with ``challengers`` in shadow (a shallow copy: requests holding
        this one keep theirs)."""
        if challengers == self.challengers:
            return self
        out = copy.copy(self)
        out.challengers = challengers
        return out

    def _shadow(self, score: int, pd: float, grade: str | None) -> dict[str, Any]:
        return {"content_hash": self.content_hash, "model_id": self.model_id, "pd": pd,
                "score": score, "grade": grade, "decision": self._decision(score)}

    def shadow_one(self, payload: dict[str, Any]) -> str | None:
        """Every challenger's pd, score, grade and decision of one applicant already
        checked against this card's contract, as the decision log's ``shadow`` JSON
        (``None`` without challengers). Never raises: a challenger that cannot score the
        applicant records its error."""
        if not self.challengers:
            return None
        out = []
        for c in self.challengers:
            try:
                _, _, total = c.row.score(c._with_omitted(payload))
                out.append(c._shadow(total, c.row.pd_table[total - c.row.lo], c._grade(total)))
            except Exception as exc:  # the answer never depends on a challenger
                out.append({"content_hash": c.content_hash, "model_id": c.model_id,
                            "error": f"{type(exc).__name__}: {exc}"})
        return _sorted(out).decode()

    def shadow_batch(self, payload: list[dict[str, Any]]) -> list[str | None]:
        """:meth:`shadow_one` of every item, each challenger in one engine pass."""
        if not self.challengers or not payload:
            return [None] * len(payload)
        per_item: list[list[dict[str, Any]]] = [[] for _ in payload]
        for c in self.challengers:
            try:
                columns = {name: [item.get(name, OMITTED) for item in payload]
                           for name in c.engine.columns_}
                result = c.engine.score(columns)
                grades = (assign_grades(result.score, c.scale).tolist()
                          if c.scale is not None else [None] * len(payload))
                for i, (score, pd) in enumerate(zip(result.score.tolist(),
                                                    result.pd.tolist(), strict=True)):
                    per_item[i].append(c._shadow(score, pd, grades[i]))
            except Exception as exc:
                for item in per_item:
                    item.append({"content_hash": c.content_hash, "model_id": c.model_id,
                                 "error": f"{type(exc).__name__}: {exc}"})
        return [_sorted(item).decode() for item in per_item]

    def _reason_templates(self) -> dict[tuple[int, int], tuple[Any, ...]]:
        """Every (characteristic, bin) reason, built once with :func:`reason_entry`."""
        out: dict[tuple[int, int], tuple[Any, ...]] = {}
        for j, f in enumerate(self.artifact["features"]):
            cases = [(int(b["index"]), int(b["points"])) for b in f["bins"]]
            if f["kind"] != "numeric":
                cases.append((UNSEEN, int(f["unseen_points"])))
            for b, p in cases:
                e = reason_entry(self.engine, j, b, p, None, self.reason_method,
                                 self.reference[j])
                extra = ((e["method"], e["reference"], e["points_below_reference"])
                         if self.reason_method != "max" else ("max", None, None))
                out[(j, b)] = (e["code"], e["characteristic"], e["bin"], e["points"],
                               e["attainable"], e["points_lost"], e["text"], *extra)
        return out

    def _reason(self, j: int, b: int, values: dict[str, Any]) -> Reason:
        """Characteristic ``j``'s reason in bin ``b`` for one applicant's ``values``."""
        (code, characteristic, label, points, attainable, lost, text, method, ref,
         below) = self._reasons[(j, b)]
        return Reason(code, characteristic, reason_value(self.engine.inputs_[j], values), label,
                      points, attainable, lost, text, method, ref, below)

    def _row_reasons(self, points: list[int]) -> list[int]:
        if self.reason_method == "max":
            return self.row.reasons(points)
        return row_reasons([r - p for r, p in zip(self.reference, points, strict=True)],
                           TOP_REASONS)

    def _decision(self, score: int) -> str | None:
        policy = self.policy
        if policy is None:
            return None
        if not policy.automated_declines and score < policy.refer_from:
            metrics.declines_referred(1)
        return policy.decide(score)

    def _grade(self, score: int) -> str | None:
        table = self.row.grade_table
        return None if table is None else table[score - self.row.lo]

    def _with_omitted(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload`` with every card input it leaves out set to
        :data:`~scorecard.card.engine.OMITTED` (scored in its characteristic's riskiest
        bin, so leaving a field out never raises a score); ``payload`` itself when it gives
        every input (null included: that is a missing value, priced by the missing bin)."""
        absent = [c for c in self.engine.columns_ if c not in payload]
        return {**payload, **dict.fromkeys(absent, OMITTED)} if absent else payload

    def _gaps(self, row: dict[str, Any], bins: list[int], points: list[int]) -> list[FieldGap]:
        """Every omitted, null or unseen input of one scored row, with its cost."""
        out = []
        for j, cols in enumerate(self.engine.inputs_):
            for col in cols:
                v = row.get(col)
                status = ("omitted" if v is OMITTED else "missing" if is_missing(v)
                          else "unseen" if bins[j] == UNSEEN else None)
                if status is not None:
                    out.append(FieldGap(col, status, self.row.names[j], points[j],
                                        self.row.max_points[j] - points[j]))
        return out

    def score_one(self, payload: Any) -> ScoreResult:
        """Score one decoded JSON object; raises
        :class:`~scorecard.data.records.InvalidRecordsError`."""
        missing = self.validator.check_one(payload)
        row = self.row
        full = self._with_omitted(payload)
        bins, points, total = row.score(full)
        reasons = [self._reason(j, bins[j], payload)
                   for j in self._row_reasons(points)]
        uuid = payload.get(self.id_column) if self.id_column else None
        grade = self._grade(total)
        if self.population is not None:
            self.population.one(total, grade, bins)
        gaps = self._gaps(full, bins, points) if missing or UNSEEN in bins else []
        return ScoreResult(uuid, row.pd_table[total - row.lo], total, grade,
                           reasons, missing, self.model_id, self.content_hash,
                           self._decision(total), decision_ids()[0], gaps)

    def score_batch(self, payload: Any) -> BatchResult:
        """Score a decoded JSON array in one engine pass; results in input order. Raises
        :class:`~scorecard.data.records.InvalidRecordsError` (nothing is scored)."""
        missing = self.validator.check_batch(payload, self.max_batch)
        n = len(payload)
        if n == 0:
            return BatchResult(self.model_id, self.content_hash, 0, [])
        engine = self.engine
        columns = {name: [item.get(name, OMITTED) for item in payload]
                   for name in engine.columns_}
        result = engine.score(columns)
        picks = top_reasons(engine, result, TOP_REASONS,
                            None if self.reason_method == "max" else self.reference).tolist()
        bins = result.bin_table().tolist()
        totals = result.score.tolist()
        pds = result.pd.tolist()
        grades = (assign_grades(result.score, self.scale).tolist() if self.scale is not None
                  else [None] * n)
        if self.population is not None:
            self.population.batch(result.score, grades, result.bins)
        decisions = (self.policy.decide_many(result.score).tolist() if self.policy is not None
                     else [None] * n)
        if self.policy is not None and not self.policy.automated_declines:
            metrics.declines_referred(int((result.score < self.policy.refer_from).sum()))
        id_column = self.id_column
        reason = self._reason
        ids = decision_ids(n)
        out = []
        for i in range(n):
            item, row_bins = payload[i], bins[i]
            reasons = [reason(j, row_bins[j], item) for j in picks[i] if j >= 0]
            gaps = (self._gaps(self._with_omitted(item), row_bins, result.points[i].tolist())
                    if missing[i] or UNSEEN in row_bins else [])
            out.append(ScoreResult(item.get(id_column) if id_column else None, pds[i],
                                   totals[i], grades[i], reasons, missing[i], self.model_id,
                                   self.content_hash, decisions[i], ids[i], gaps))
        return BatchResult(self.model_id, self.content_hash, n, out)

    def explain(self, payload: Any) -> ExplainResult:
        """Decision, reasons and checked counterfactuals of ``{"applicant": {...}, "k": 3,
        "cutoff": "...", "refer_band": 0}`` (``cutoff`` defaults to the service policy).
        Raises :class:`~scorecard.data.records.InvalidRecordsError` naming every field."""
        return self.explain_with_policy(payload)[0]

    def explain_with_policy(self, payload: Any) -> tuple[ExplainResult, Policy]:
        """:meth:`explain` and the policy that decided (the request's or the service's)."""
        if type(payload) is not dict:
            raise InvalidRecordsError([Issue("$", "type", "the body must be a JSON object "
                                             "with an `applicant` object")])
        issues = [Issue(key, "unknown_field", f"unknown field {key!r} (allowed: applicant, "
                        "k, cutoff, refer_band)")
                  for key in payload if key not in _EXPLAIN_FIELDS]
        k = _whole(payload.get("k", DEFAULT_K))
        if type(k) is not int or not 1 <= k <= MAX_K:
            issues.append(Issue("k", "range", f"must be a whole number from 1 to {MAX_K}"))
        band = _whole(payload.get("refer_band", 0))
        if type(band) is not int or band < 0:
            issues.append(Issue("refer_band", "range", "must be a whole number of points >= 0"))
        applicant = payload.get("applicant")
        missing: list[str] = []
        if type(applicant) is not dict:
            issues.append(Issue("applicant", "type", "must be a JSON object (one applicant)"))
        else:
            try:
                missing = self.validator.check_one(applicant)
            except InvalidRecordsError as exc:
                issues += [Issue("applicant" if i.field == "$" else f"applicant.{i.field}",
                                 i.rule, i.message) for i in exc.issues]
        policy = self.policy
        cutoff = payload.get("cutoff")
        if cutoff is not None:
            if type(cutoff) is not str:
                issues.append(Issue("cutoff", "type", "must be a string: 600, pd:0.05 or "
                                    "grade:E"))
            elif not any(i.field in ("refer_band",) for i in issues):
                try:  # a blank cutoff is no cutoff: the service's own policy, if any
                    policy = make_policy(cutoff, band, self.artifact, self.scale,
                                         self.automated_declines) or policy
                except PolicyError as exc:
                    issues.append(Issue("cutoff", "policy", str(exc)))
        judged = cutoff is None or not any(i.field == "refer_band" for i in issues)
        if policy is None and judged and not any(i.field == "cutoff" for i in issues):
            issues.append(Issue("cutoff", "required", "the service has no decision policy "
                                "(SCORECARD_CUTOFF): send a cutoff"))
        if issues:
            raise InvalidRecordsError(issues)
        if policy is None or type(applicant) is not dict:  # narrowed above; never raised
            raise RuntimeError("explain: unchecked body")
        full = self._with_omitted(applicant)
        out = self.explainer.explain(full, policy, k)
        if not policy.automated_declines and out["score"] < policy.refer_from:
            metrics.declines_referred(1)
        bins, points, _ = self.row.score(full)
        out["reasons"] = [self._reason(j, bins[j], applicant)
                          for j in self._row_reasons(points)]
        out["uuid"] = applicant.get(self.id_column) if self.id_column else None
        out["missing"] = missing
        out["gaps"] = (self._gaps(full, bins, points) if missing or UNSEEN in bins else [])
        out["model_id"] = self.model_id
        out["content_hash"] = self.content_hash
        out["decision_id"] = decision_ids()[0]
        return msgspec.convert(out, type=ExplainResult, from_attributes=True), policy


_EXPLAIN_FIELDS = ("applicant", "k", "cutoff", "refer_band")


def _whole(v: Any) -> Any:
    """A JSON whole number (``3`` or ``3.0``, as JSON Schema's "integer") as an int."""
    return int(v) if type(v) is float and v.is_integer() else v


def _card_view(artifact: dict[str, Any], columns: list[Column],
               scale: MasterScale | None) -> Card:
    """The review view of the card, typed. :func:`~scorecard.card.artifact.verify` already
    refused every card this cannot carry; the conversion error is kept as a named refusal,
    never a traceback, should the two ever drift (a test proves they agree)."""
    try:
        return Card(
            model_id=artifact["model_id"],
            content_hash=artifact["content_hash"],
            spec=str(artifact["spec"].get("name", "")),
            id_column=artifact["id_column"],
            pd_formula=str(artifact.get("pd_formula", "")),
            intercept=float(artifact["intercept"]),
            scaling=msgspec.convert(artifact["scaling"], type=ScalingView),
            features=msgspec.convert(artifact["features"], type=list[CardFeature]),
            master_scale=None if scale is None else msgspec.convert(
                {**scale.to_dict(), "table": scale.table()}, type=MasterScaleView),
            input_contract=[ContractField(
                name=c.name, kind=c.kind, nullable=c.nullable, description=c.description,
                min=c.min, max=c.max, max_exclusive=c.max_exclusive,
                allowed=None if c.allowed is None else list(c.allowed)) for c in columns],
        )
    except (msgspec.ValidationError, KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"artifact: cannot publish the card ({exc})") from exc
