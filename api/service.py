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

from pathlib import Path
from typing import Any

import msgspec

from api import prometheus as metrics
from api.schemas import (
    BatchResult,
    Card,
    CardFeature,
    ContractField,
    MasterScaleView,
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
from scorecard.card.engine import UNSEEN, RowScorer, ScoringEngine
from scorecard.card.grades import MasterScale, assign_grades
from scorecard.card.reasons import reason_entry, top_reasons
from scorecard.data.contract import Column
from scorecard.data.records import RecordValidator

TOP_REASONS = 4


class ScoringService:
    """Everything the handlers need, built once from a verified artifact.

    Attributes:
        model_id, content_hash: of the served card.
        columns, id_column, target: the card's input contract.
        validator: the contract check of decoded records.
        ready: ``True`` while the service accepts traffic (cleared at shutdown).
    """

    def __init__(self, artifact: dict[str, Any], *, allow_missing: bool = False,
                 max_batch: int = 10_000) -> None:
        artifact = verify(artifact)
        self.artifact = artifact
        self.model_id: str = artifact["model_id"]
        self.content_hash: str = artifact["content_hash"]
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
        self._reasons = self._reason_templates()
        self.card = _card_view(artifact, self.columns, self.scale)
        self.population = metrics.Population.for_card(artifact)
        self.ready = True

    @classmethod
    def from_path(cls, path: str | Path, **kwargs: Any) -> ScoringService:
        """Load, verify (content hash, servability) and compile the card; raises
        ArtifactError."""
        return cls(load_artifact(path), **kwargs)

    def _reason_templates(self) -> dict[tuple[int, int], tuple[Any, ...]]:
        """Every (characteristic, bin) reason, built once with :func:`reason_entry`."""
        out: dict[tuple[int, int], tuple[Any, ...]] = {}
        for j, f in enumerate(self.artifact["features"]):
            cases = [(int(b["index"]), int(b["points"])) for b in f["bins"]]
            if f["kind"] != "numeric":
                cases.append((UNSEEN, int(f["unseen_points"])))
            for b, p in cases:
                e = reason_entry(self.engine, j, b, p, None)
                out[(j, b)] = (e["code"], e["characteristic"], e["bin"], e["points"],
                               e["attainable"], e["points_lost"], e["text"])
        return out

    def _reason(self, j: int, b: int, value: Any) -> Reason:
        code, characteristic, label, points, attainable, lost, text = self._reasons[(j, b)]
        return Reason(code, characteristic, value, label, points, attainable, lost, text)

    def _grade(self, score: int) -> str | None:
        table = self.row.grade_table
        return None if table is None else table[score - self.row.lo]

    def score_one(self, payload: Any) -> ScoreResult:
        """Score one decoded JSON object; raises
        :class:`~scorecard.data.records.InvalidRecordsError`."""
        missing = self.validator.check_one(payload)
        row = self.row
        bins, points, total = row.score(payload)
        names = row.names
        reasons = [self._reason(j, bins[j], payload.get(names[j])) for j in row.reasons(points)]
        uuid = payload.get(self.id_column) if self.id_column else None
        grade = self._grade(total)
        if self.population is not None:
            self.population.one(total, grade, bins)
        return ScoreResult(uuid, row.pd_table[total - row.lo], total, grade,
                           reasons, missing, self.model_id, self.content_hash)

    def score_batch(self, payload: Any) -> BatchResult:
        """Score a decoded JSON array in one engine pass; results in input order. Raises
        :class:`~scorecard.data.records.InvalidRecordsError` (nothing is scored)."""
        missing = self.validator.check_batch(payload, self.max_batch)
        n = len(payload)
        if n == 0:
            return BatchResult(self.model_id, self.content_hash, 0, [])
        engine = self.engine
        columns = {name: [item.get(name) for item in payload] for name in engine.features_}
        result = engine.score(columns)
        picks = top_reasons(engine, result, TOP_REASONS).tolist()
        bins = result.bins.tolist()
        totals = result.score.tolist()
        pds = result.pd.tolist()
        grades = (assign_grades(result.score, self.scale).tolist() if self.scale is not None
                  else [None] * n)
        if self.population is not None:
            self.population.batch(result.score, grades, result.bins)
        names = engine.features_
        id_column = self.id_column
        reason = self._reason
        out = []
        for i in range(n):
            item, row_bins = payload[i], bins[i]
            reasons = [reason(j, row_bins[j], item.get(names[j])) for j in picks[i] if j >= 0]
            out.append(ScoreResult(item.get(id_column) if id_column else None, pds[i],
                                   totals[i], grades[i], reasons, missing[i], self.model_id,
                                   self.content_hash))
        return BatchResult(self.model_id, self.content_hash, n, out)


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
