"""``scorecard recalibrate``: the same card at a new base rate, scores (ranking) untouched.

The choice: every characteristic keeps its points, so every applicant keeps their integer
score, reason codes and rank (Spearman 1.0 between old and new scores); only the published
score -> pd map moves. ``pd = 1 / (1 + exp((score - offset) / factor))`` with
``offset = base_score - factor * ln(base_odds)``: the engine, the SQL export and the API all
derive the offset from ``scaling.base_odds`` (and :func:`scorecard.card.artifact.verify`
refuses a published ``offset`` that disagrees), so the recalibrated card changes
``base_odds`` (the odds at ``base_score``) and nothing else in the scaling: no engine change.
The shift is solved so that the mean pd over the given rows equals the target (a rate given
with ``--target-rate``, or the observed default rate of the labelled rows with
``--outcomes``), to 1e-12 in ``ln(base_odds)``. The master scale keeps its pd boundaries
(a grade means the same risk in every version), so its score cuts move with the scaling and
applicants may change grade; the reference grade counts of the parent no longer apply and
are dropped (the score-band counts stay). Lineage (parent model id and hash, method, target,
data, the shift) is recorded in ``metadata.recalibration``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import brentq

from scorecard.card.artifact import seal, verify
from scorecard.card.engine import ScoringEngine
from scorecard.card.grades import MasterScale
from scorecard.card.scaling import Scaling
from scorecard.data.errors import ContractError


def solve_base_odds(scores: np.ndarray, scaling: Scaling, target: float) -> float:
    """``base_odds`` whose scaling gives mean pd == ``target`` over ``scores``."""
    s = np.asarray(scores, dtype=float)

    def gap(log_odds: float) -> float:
        return float(Scaling(scaling.base_score, math.exp(log_odds), scaling.pdo).pd(s).mean()
                     - target)

    lo, hi = -50.0, 50.0  # odds e^-50 .. e^50: far beyond any pd a rate in (0, 1) needs
    return math.exp(brentq(gap, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps,
                           maxiter=500))


def recalibrate(artifact: dict[str, Any], frame: Any, *, target_rate: float | None = None,
                target: str | None = None, data_name: str = "",
                data_fingerprint: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """``(new sealed card, summary)``; ``target_rate`` or, when ``None``, the observed default
    rate of the rows of ``frame`` whose ``target`` is filled in."""
    engine = ScoringEngine(artifact)
    if target_rate is None:
        if target is None or target not in frame.columns:
            raise ContractError("--outcomes: the data file has no target column")
        labelled = frame[target].notna().to_numpy()
        if not labelled.any():
            raise ContractError(f"--outcomes: no labelled rows ({target} is empty everywhere)")
        frame = frame[labelled]
        rate = float(frame[target].astype(float).mean())
        method = "outcomes"
    else:
        rate, method = float(target_rate), "target_rate"
    if not 0.0 < rate < 1.0:
        raise ContractError(f"target rate {rate:g}: must be strictly between 0 and 1")
    if len(frame) == 0:
        raise ContractError("data: no rows to recalibrate on")
    scores = engine.score(frame).score
    old = engine.scaling_
    odds = solve_base_odds(scores, old, rate)
    new = Scaling(old.base_score, odds, old.pdo)
    card = {k: v for k, v in artifact.items() if k not in ("content_hash", "model_id")}
    card["scaling"] = new.to_dict()
    if artifact.get("master_scale"):
        parent = MasterScale.from_dict(artifact["master_scale"])
        card["master_scale"] = MasterScale(parent.grades, parent.pd_boundaries, new).to_dict()
    if card.get("reference"):
        card["reference"] = {**card["reference"], "grades": None}
    mean_before = float(old.pd(scores).mean())
    mean_after = float(new.pd(scores).mean())
    summary = {
        "parent_model_id": artifact["model_id"],
        "parent_content_hash": artifact["content_hash"],
        "method": method, "target_rate": rate,
        "data": {"file": data_name, "fingerprint": data_fingerprint, "rows": len(frame)},
        "base_odds": {"before": old.base_odds, "after": odds},
        "offset": {"before": old.offset, "after": new.offset},
        "offset_shift_points": new.offset - old.offset,
        "mean_pd": {"before": mean_before, "after": mean_after},
    }
    card["metadata"] = {**card.get("metadata", {}), "recalibration": summary}
    sealed = verify(seal(card))
    return sealed, {**summary, "model_id": sealed["model_id"],
                    "content_hash": sealed["content_hash"]}
