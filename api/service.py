"""The scoring service: decoded JSON -> contract-checked values -> card -> response structs.

No web code here. Validation uses the contract declarations carried by the artifact
(``input_contract``) and :meth:`scorecard.data.contract.Column.check_value` decides every
rejection, so the API accepts exactly what the file contract accepts (proved field by field
against the pandera schema in ``tests/test_api_contract.py``). Two deliberate differences:
the id (``uuid``) is optional (echoed back when given), and with ``allow_missing`` the
contract's non-nullable features may be null/absent. The target (``default``) is checked
against the contract (0, 1 or null) and then ignored: it never reaches the card.

Speed: a straight-line check generated from the contract accepts the common, fully valid
applicant (~5 us); anything it does not accept goes through ``check_value`` field by field,
which decides and names every broken rule. Batches are scored in one vectorised
:class:`~scorecard.card.engine.ScoringEngine` pass. A single applicant goes through
:class:`~scorecard.card.engine.RowScorer`, a scalar transcription of the engine: the engine's
numpy calls cost ~70 us for one row, more than the rest of the request; the scalar path
~5 us. Tests prove it identical to the engine on every real row and on generated edge cases.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

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
from scorecard.card.artifact import ArtifactError, load_artifact
from scorecard.card.engine import UNSEEN, RowScorer, ScoringEngine
from scorecard.card.grades import MasterScale, assign_grades
from scorecard.card.reasons import reason_entry, top_reasons
from scorecard.data.contract import Column

TOP_REASONS = 4
MAX_ISSUES = 1000  # a 10k batch of garbage must not produce a 100 MB error body
_EXACT_INT = 2**53  # ints beyond this lose precision as floats: let check_value decide


@dataclass(frozen=True, slots=True)
class Issue:
    """One broken rule of a request (``index`` = batch item, ``None`` for single)."""

    field: str
    rule: str
    message: str
    index: int | None = None


class InvalidRequestError(ValueError):
    """The request breaks the contract; ``issues`` lists every offending field."""

    def __init__(self, issues: list[Issue], truncated: bool = False) -> None:
        super().__init__(f"{len(issues)} contract violation(s)")
        self.issues = issues
        self.truncated = truncated


# ------------------------------------------------------------------------- validation


def _accept_expr(col: Column, k: int, env: dict[str, Any]) -> str | None:
    """A Python expression over ``v`` (not None) that implies ``col.check_value(v) is None``
    (never the converse: ``False`` only means "ask check_value"). Constants go through
    ``env``, so no artifact text is ever pasted into code. ``None``: no fast test."""
    kind = col.kind
    if kind == "category":
        if col.allowed is None:
            return "type(v) is str"
        env[f"A{k}"] = frozenset(a for a in col.allowed if isinstance(a, str))
        return f"(type(v) is str and v in A{k})"
    if kind == "id":
        return '(type(v) is str and v != "")'
    if kind == "boolean":
        return "type(v) is bool"
    tail = ""
    if col.allowed is not None:
        try:
            env[f"A{k}"] = frozenset(float(a) for a in col.allowed)  # type: ignore[arg-type]
        except (TypeError, ValueError):  # text labels (a target "Good"/"Bad"): no fast test
            return None
        tail += f" and v in A{k}"
    if col.min is not None:
        env[f"L{k}"] = col.min
        tail += f" and v >= L{k}"
    if col.max is not None:
        env[f"H{k}"] = col.max
        tail += f" and v {'<' if col.max_exclusive else '<='} H{k}"
    whole = " and v.is_integer()" if kind in ("integer", "code", "target") else ""
    # Floats: finite (inf - inf and nan - nan are nan). Ints: exactly representable, so the
    # comparisons mean what they mean on the float check_value builds.
    return (f"((type(v) is float and v - v == 0.0{whole}{tail}) or "
            f"(type(v) is int and -EXACT <= v <= EXACT{tail}))")


def _compile_fast_path(fields: list[tuple[str, Column, bool, bool]],
                       names: frozenset[str]) -> Callable[[dict[str, Any]], list[str] | None]:
    """Straight-line code for the common case, a fully valid applicant: returns its missing
    features, or ``None`` as soon as any value needs :meth:`Column.check_value` (the slow
    path then finds and names every problem). ~5 us for the Klarna contract against ~35 us
    for ``check_value`` per field; ``tests/test_api_contract.py`` proves it never accepts
    what the contract rejects."""
    env: dict[str, Any] = {"EXACT": _EXACT_INT, "NAMES": names}
    body = ["def fast(obj):", "    get = obj.get", "    missing = []"]
    for k, (name, col, null_ok, is_feature) in enumerate(fields):
        env[f"N{k}"] = name
        expr = _accept_expr(col, k, env) or "False"
        body.append(f"    v = get(N{k})")
        body.append("    if v is None:")
        body.append(f"        missing.append(N{k})" if is_feature else "        pass")
        if not null_ok:
            body.append("        return None")
        body.append(f"    elif not {expr}:")
        body.append("        return None")
    body.append("    return missing if obj.keys() <= NAMES else None")
    # Fixed templates only; every contract value reaches the code through env.
    exec(compile("\n".join(body), "<contract fast path>", "exec"), env)  # nosec B102
    return env["fast"]  # type: ignore[no-any-return]


def _check(col: Column, value: Any) -> str | None:
    """``check_value`` made total: ints too large for a float are infinite, as the file
    reader makes them (``1e400`` -> inf) — ``float()`` would raise on them; and a rule that
    cannot be evaluated (e.g. a number against text labels) rejects instead of raising."""
    if type(value) is int:
        try:
            float(value)
        except OverflowError:
            value = math.inf if value > 0 else -math.inf
    try:
        return col.check_value(value)
    except (TypeError, ValueError):
        return f"isin: {value!r} is not one of {list(col.allowed or ())}"


def _issue(name: str, broken: str, index: int | None) -> Issue:
    rule, _, message = broken.partition(": ")
    return Issue(name, rule, message or rule, index)


class ApplicantValidator:
    """Checks one decoded JSON object against the contract columns.

    Args:
        columns: the contract, in order.
        id_column: optional field, echoed back (may be null or absent).
        target: checked and ignored.
        allow_missing: non-nullable features may be null/absent.
    """

    def __init__(self, columns: Sequence[Column], id_column: str | None, target: str | None,
                 allow_missing: bool = False) -> None:
        self.columns = tuple(columns)
        self.names = frozenset(c.name for c in self.columns)
        self.id_column = id_column
        self.features = tuple(c.name for c in self.columns if c.name not in (id_column, target))
        self._fields: list[tuple[str, Column, bool, bool]] = []
        for c in self.columns:
            is_feature = c.name not in (id_column, target)
            null_ok = c.nullable or c.name == id_column or (allow_missing and is_feature)
            self._fields.append((c.name, c, null_ok, is_feature))
        self.fast = _compile_fast_path(self._fields, self.names)

    def check(self, obj: Any, index: int | None = None) -> tuple[list[Issue], list[str]]:
        """``(issues, missing)``: every broken rule, and the features that are null/absent."""
        if type(obj) is not dict:
            return [Issue("$", "type", "an applicant must be a JSON object", index)], []
        missing = self.fast(obj)
        if missing is not None:
            return [], missing
        return self.check_slow(obj, index)

    def check_slow(self, obj: dict[str, Any],
                   index: int | None = None) -> tuple[list[Issue], list[str]]:
        """The reference: :meth:`Column.check_value` on every field, every problem named."""
        issues: list[Issue] = []
        missing: list[str] = []
        for name, col, null_ok, is_feature in self._fields:
            v = obj.get(name)
            if v is None:
                if is_feature:
                    missing.append(name)
                if null_ok:
                    continue
            broken = _check(col, v)
            if broken is not None:
                issues.append(_issue(name, broken, index))
        if not obj.keys() <= self.names:
            issues.extend(Issue(k, "unknown_field", "not a field of the data contract", index)
                          for k in obj if k not in self.names)
        return issues, missing


# ------------------------------------------------------------------------- scoring


def _master_scale(artifact: dict[str, Any]) -> MasterScale | None:
    raw = artifact.get("master_scale")
    if not raw:
        return None
    try:
        scale = MasterScale.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"master_scale: unusable ({exc})") from exc
    card = artifact["scaling"]
    mine = scale.scaling
    if (float(card["base_score"]), float(card["base_odds"]), float(card["pdo"])) != (
            mine.base_score, mine.base_odds, mine.pdo):
        raise ArtifactError("master_scale: its scaling differs from the card's scaling, "
                            "so grades would not match the scores")
    return scale


def _contract(artifact: dict[str, Any]) -> list[Column]:
    try:
        return [Column(**{**c, "allowed": tuple(c["allowed"]) if c.get("allowed") is not None
                          else None}) for c in artifact["input_contract"]]
    except TypeError as exc:
        raise ArtifactError(f"input_contract: unusable ({exc})") from exc


class ScoringService:
    """Everything the handlers need, built once from a verified artifact.

    Attributes:
        model_id, content_hash: of the served card.
        ready: ``True`` while the service accepts traffic (cleared at shutdown).
    """

    def __init__(self, artifact: dict[str, Any], *, allow_missing: bool = False,
                 max_batch: int = 10_000) -> None:
        self.artifact = artifact
        self.model_id: str = artifact["model_id"]
        self.content_hash: str = artifact["content_hash"]
        self.max_batch = max_batch
        self.columns = _contract(artifact)
        names = {c.name for c in self.columns}
        missing = [f["name"] for f in artifact["features"] if f["name"] not in names]
        if missing:
            raise ArtifactError(f"input_contract: lacks the card's feature(s) {missing}")
        target = next((c.name for c in self.columns if c.kind == "target"), None)
        self.id_column: str | None = artifact["id_column"]
        self.target = target
        self.allow_missing = allow_missing
        self.validator = ApplicantValidator(self.columns, self.id_column, target, allow_missing)
        self.engine = ScoringEngine(artifact)
        self.scale = _master_scale(artifact)
        self.row = RowScorer(self.engine, self.scale)
        self._reasons = self._reason_templates()
        self.card = _card_view(artifact, self.columns, self.scale)
        self.ready = True

    @classmethod
    def from_path(cls, path: str | Path, **kwargs: Any) -> ScoringService:
        """Load, verify (content hash) and compile the card; raises ArtifactError."""
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

    # -- single -------------------------------------------------------------------------

    def score_one(self, payload: Any) -> ScoreResult:
        """Score one decoded JSON object; raises :class:`InvalidRequestError`."""
        issues, missing = self.validator.check(payload)
        if issues:
            raise InvalidRequestError(issues)
        row = self.row
        bins, points, total = row.score(payload)
        names = row.names
        reasons = [self._reason(j, bins[j], payload.get(names[j])) for j in row.reasons(points)]
        uuid = payload.get(self.id_column) if self.id_column else None
        return ScoreResult(uuid, row.pd_table[total - row.lo], total, self._grade(total),
                           reasons, missing, self.model_id, self.content_hash)

    # -- batch --------------------------------------------------------------------------

    def validate_batch(self, payload: Any) -> list[list[str]]:
        """Check every item; the missing features per item, or :class:`InvalidRequestError`."""
        if type(payload) is not list:
            raise InvalidRequestError([Issue("$", "type", "the body must be a JSON array of "
                                        "applicants")])
        if len(payload) > self.max_batch:
            raise InvalidRequestError([Issue("$", "max_items", f"at most {self.max_batch} "
                                        f"applicants per request, got {len(payload)}")])
        check = self.validator.check
        issues: list[Issue] = []
        missing: list[list[str]] = []
        for i, item in enumerate(payload):
            found, absent = check(item, i)
            missing.append(absent)
            if found:
                issues.extend(found)
                if len(issues) >= MAX_ISSUES:
                    raise InvalidRequestError(issues[:MAX_ISSUES], truncated=True)
        if issues:
            raise InvalidRequestError(issues)
        return missing

    def score_batch(self, payload: Any) -> BatchResult:
        """Score a decoded JSON array in one engine pass; results in input order."""
        missing = self.validate_batch(payload)
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
    """The review view of the card, typed (raises ArtifactError if the card does not fit)."""
    try:
        return Card(
            model_id=artifact["model_id"],
            content_hash=artifact["content_hash"],
            spec=str(artifact.get("spec", {}).get("name", "")),
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

