"""``scorecard diff``: what changed between two cards, and on data who changes decision.

Structure: characteristics added and removed; per common characteristic the bins (labels,
splits or category groups) and points; the scaling; the master scale. On a data file: the
swap set at a cut-off (accepted by one card and not the other; accept = score >= the cut-off
score, or grade at or better than the cut-off grade) and the grade migration matrix (rows:
grade under card A, columns: grade under card B).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scorecard.card.artifact import master_scale
from scorecard.card.decisions import PolicyError, make_policy
from scorecard.card.engine import ScoringEngine


def _feature_map(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in card["features"]}


def structure_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    fa, fb = _feature_map(a), _feature_map(b)
    changed = []
    for name in [n for n in fa if n in fb]:
        x, y = fa[name], fb[name]
        bins_x = [(c["type"], c["label"]) for c in x["bins"]]
        bins_y = [(c["type"], c["label"]) for c in y["bins"]]
        points_x = [c["points"] for c in x["bins"]]
        points_y = [c["points"] for c in y["bins"]]
        if bins_x != bins_y or points_x != points_y or x.get("splits") != y.get("splits"):
            changed.append({"name": name, "bins_changed": bins_x != bins_y,
                            "bins_a": [lab for _, lab in bins_x],
                            "bins_b": [lab for _, lab in bins_y],
                            "points_a": points_x, "points_b": points_y})
    keys = ("base_score", "base_odds", "pdo", "offset", "factor")
    scaling = {k: {"a": a["scaling"].get(k), "b": b["scaling"].get(k)} for k in keys
               if a["scaling"].get(k) != b["scaling"].get(k)}
    ms_a, ms_b = a.get("master_scale") or {}, b.get("master_scale") or {}
    return {"a": a["model_id"], "b": b["model_id"],
            "added": [n for n in fb if n not in fa], "removed": [n for n in fa if n not in fb],
            "changed": changed, "unchanged": [n for n in fa if n in fb and n not in
                                              {c["name"] for c in changed}],
            "scaling": scaling,
            "master_scale_changed": ms_a.get("score_cuts") != ms_b.get("score_cuts")
            or ms_a.get("grades") != ms_b.get("grades")}


def _accepts(card: dict[str, Any], score: np.ndarray, cutoff: str) -> np.ndarray:
    """Who ``card`` accepts at ``cutoff``, in the syntax of ``serve`` and ``explain``
    (``600``, ``pd:0.05``, ``grade:E``: that grade or better); a bare grade (``E``), the
    older form, is still read as ``grade:E``."""
    text = str(cutoff).strip()
    scale = master_scale(card)
    if ":" not in text and scale is not None and text.upper() in scale.grades:
        text = f"grade:{text}"
    try:
        policy = make_policy(text, 0, card, scale)
    except PolicyError as exc:
        raise ValueError(f"--cutoff: {exc} (card {card['model_id']})") from None
    if policy is None:
        raise ValueError(f"--cutoff {cutoff!r}: empty")
    return score >= policy.cutoff_score


def data_diff(a: dict[str, Any], b: dict[str, Any], frame: Any, cutoff: str | None,
              ) -> dict[str, Any]:
    return score_diff(a, b, ScoringEngine(a).score(frame).score,
                      ScoringEngine(b).score(frame).score, cutoff)


def score_diff(a: dict[str, Any], b: dict[str, Any], sa: np.ndarray, sb: np.ndarray,
               cutoff: str | None) -> dict[str, Any]:
    """The swap set and grade migrations of the same applicants scored ``sa`` by card ``a``
    and ``sb`` by card ``b`` (from a file, or from the decision log's shadow results)."""
    sa, sb = np.asarray(sa, dtype=np.int64), np.asarray(sb, dtype=np.int64)
    out: dict[str, Any] = {"rows": int(sa.size),
                           "score_changed": int((sa != sb).sum()),
                           "mean_abs_score_change": float(np.abs(sa - sb).mean())}
    if cutoff is not None:
        acc_a, acc_b = _accepts(a, sa, cutoff), _accepts(b, sb, cutoff)
        out["cutoff"] = cutoff
        out["swap"] = {"accepted_by_both": int((acc_a & acc_b).sum()),
                       "accepted_by_a_only": int((acc_a & ~acc_b).sum()),
                       "accepted_by_b_only": int((~acc_a & acc_b).sum()),
                       "rejected_by_both": int((~acc_a & ~acc_b).sum())}
    ma, mb = master_scale(a), master_scale(b)
    if ma is not None and mb is not None:
        ga, gb = ma.grade_index(sa), mb.grade_index(sb)
        matrix = np.zeros((ma.n_grades, mb.n_grades), dtype=np.int64)
        np.add.at(matrix, (ga, gb), 1)
        out["migration"] = {"grades_a": list(ma.grades), "grades_b": list(mb.grades),
                            "matrix": matrix.tolist(),
                            "unchanged_share": float((np.array(ma.grades)[ga]
                                                      == np.array(mb.grades)[gb]).mean())}
    return out


def render_text(diff: dict[str, Any]) -> str:
    s = diff["structure"]
    lines = [f"card A: {s['a']}", f"card B: {s['b']}",
             f"characteristics added: {', '.join(s['added']) or 'none'}",
             f"characteristics removed: {', '.join(s['removed']) or 'none'}"]
    for c in s["changed"]:
        what = "bins and points" if c["bins_changed"] else "points"
        lines.append(f"changed {what}: {c['name']}: {c['points_a']} -> {c['points_b']}")
    lines.append(f"unchanged characteristics: {len(s['unchanged'])}")
    for k, v in s["scaling"].items():
        lines.append(f"scaling.{k}: {v['a']!r} -> {v['b']!r}")
    lines.append(f"master scale score cuts changed: {'yes' if s['master_scale_changed'] else 'no'}")
    d = diff.get("data")
    if d:
        lines.append(f"rows: {d['rows']}, score changed on {d['score_changed']}")
        if "swap" in d:
            w = d["swap"]
            lines.append(f"cut-off {d['cutoff']}: accepted by both {w['accepted_by_both']}, "
                         f"A only {w['accepted_by_a_only']}, B only {w['accepted_by_b_only']}, "
                         f"rejected by both {w['rejected_by_both']}")
        if "migration" in d:
            lines += migration_lines(d["migration"], "A", "B")
    return "\n".join(lines) + "\n"


def migration_lines(m: dict[str, Any], rows: str, columns: str) -> list[str]:
    """The grade migration matrix of :func:`score_diff` as text lines, ``rows`` and
    ``columns`` naming the two cards."""
    width = max(6, *(len(str(x)) for row in m["matrix"] for x in row)) + 1
    lines = [f"grade migration (rows {rows}, columns {columns}):",
             " " * 3 + "".join(f"{g:>{width}}" for g in m["grades_b"])]
    for g, row in zip(m["grades_a"], m["matrix"], strict=True):
        lines.append(f"{g:<3}" + "".join(f"{x:>{width}}" for x in row))
    return lines


def migration_csv(diff: dict[str, Any]) -> str:
    m = diff["data"]["migration"]
    rows = ["grade_a," + ",".join(m["grades_b"])]
    rows += [f"{g}," + ",".join(str(x) for x in r)
             for g, r in zip(m["grades_a"], m["matrix"], strict=True)]
    return "\n".join(rows) + "\n"
