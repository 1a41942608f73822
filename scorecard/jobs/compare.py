"""``scorecard registry compare``: a challenger against the champion on the logged traffic.

Every answer's record holds the champion's score (the answer) and each challenger's shadow
score of the same applicant (``shadow``, :mod:`scorecard.data.decision_log`). On the
records answered by the champion that carry the challenger's shadow: the swap set at the
cut-off and the grade migration matrix (:func:`scorecard.jobs.diff.score_diff`, exactly
what ``scorecard diff`` computes from a file of the same applicants), the PSI of the
challenger's scores against the champion's, and, once outcomes are attached (``scorecard
decisions outcomes``), both AUCs with the paired DeLong test.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from scorecard.data.decision_log import DecisionStore
from scorecard.errors import UsageError
from scorecard.jobs.diff import migration_lines, score_diff
from validation.discrimination import delong_test
from validation.stability import psi


def logged_pairs(store: DecisionStore, champion: str, challenger: str, where: str = "",
                 params: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The records answered by ``champion`` (a content hash) with ``challenger``'s shadow:
    decision ids, both scores, both decisions and the cut-off the records were decided at."""
    clauses = ["content_hash = ?", "shadow IS NOT NULL"] + ([where] if where else [])
    ids, sa, sb, da, db, cutoffs = [], [], [], [], [], set()
    errors = 0
    for rec in store.records(" AND ".join(f"({c})" for c in clauses),
                             (champion, *params)):
        shadow = next((s for s in json.loads(rec["shadow"])
                       if s.get("content_hash") == challenger), None)
        if shadow is None:
            continue
        if "error" in shadow:
            errors += 1
            continue
        ids.append(rec["decision_id"])
        sa.append(int(rec["score"]))
        sb.append(int(shadow["score"]))
        da.append(rec["decision"])
        db.append(shadow["decision"])
        if rec["policy"]:
            cutoffs.add(str(json.loads(rec["policy"]).get("cutoff")))
    return {"ids": ids, "score_a": np.array(sa, dtype=np.int64),
            "score_b": np.array(sb, dtype=np.int64), "decision_a": da, "decision_b": db,
            "cutoffs": sorted(cutoffs), "errors": errors}


def compare(store: DecisionStore, champion: dict[str, Any], challenger: dict[str, Any],
            cutoff: str | None = None, where: str = "", params: tuple[Any, ...] = ()
            ) -> dict[str, Any]:
    """The comparison as a dict (JSON-ready). ``cutoff`` defaults to the one the records
    were decided at (when they share one)."""
    pairs = logged_pairs(store, champion["content_hash"], challenger["content_hash"],
                         where, params)
    n = len(pairs["ids"])
    if n == 0:
        raise UsageError(f"the decision log holds no answer of {champion['model_id']} with "
                         f"{challenger['model_id']} in shadow (is it a challenger, and has "
                         "traffic been scored since?)")
    if cutoff is None and len(pairs["cutoffs"]) == 1:
        cutoff = pairs["cutoffs"][0]
    sa, sb = pairs["score_a"], pairs["score_b"]
    out: dict[str, Any] = {
        "champion": champion["model_id"], "challenger": challenger["model_id"],
        "records": n, "shadow_errors": pairs["errors"],
        "data": score_diff(champion, challenger, sa, sb, cutoff)}
    stability = psi(sa, sb)
    out["psi"] = {"value": stability.psi, "status": stability.status}
    outcomes = store.outcomes()
    labelled = [i for i, d in enumerate(pairs["ids"]) if d in outcomes]
    out["outcomes"] = len(labelled)
    if labelled:
        y = np.array([outcomes[pairs["ids"][i]] for i in labelled])
        if 0 < y.sum() < y.size:
            test = delong_test(y, sa[labelled], sb[labelled], higher_is_riskier_a=False,
                               higher_is_riskier_b=False)
            out["auc"] = {"champion": test.auc_a, "challenger": test.auc_b,
                          "difference": test.difference, "z": test.z,
                          "p_value": test.p_value, "ci": [test.ci_low, test.ci_high],
                          "n": test.n}
    return out


def render_text(result: dict[str, Any]) -> str:
    d = result["data"]
    lines = [f"champion: {result['champion']}", f"challenger: {result['challenger']}",
             f"logged answers with the challenger in shadow: {result['records']:,}"
             + (f" ({result['shadow_errors']} shadow error(s) left out)"
                if result["shadow_errors"] else ""),
             f"score changed on {d['score_changed']:,}, mean |change| "
             f"{d['mean_abs_score_change']:.2f} points"]
    if "swap" in d:
        w = d["swap"]
        lines.append(f"cut-off {d['cutoff']}: swap-in (challenger only) "
                     f"{w['accepted_by_b_only']:,}, swap-out (champion only) "
                     f"{w['accepted_by_a_only']:,}, accepted by both "
                     f"{w['accepted_by_both']:,}, rejected by both {w['rejected_by_both']:,}")
    if "migration" in d:
        lines += migration_lines(d["migration"], "champion", "challenger")
    lines.append(f"score PSI (challenger against champion): {result['psi']['value']:.4f} "
                 f"({result['psi']['status']})")
    if "auc" in result:
        a = result["auc"]
        lines.append(f"AUC on {a['n']:,} outcomes: champion {a['champion']:.4f}, challenger "
                     f"{a['challenger']:.4f}; DeLong z {a['z']:.2f}, p {a['p_value']:.4f}")
    else:
        lines.append(f"AUC: {result['outcomes']} outcome(s) attached, both classes needed "
                     "(scorecard decisions outcomes)")
    return "\n".join(lines) + "\n"
