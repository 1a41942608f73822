"""Findings and limitations of a build, each one sentence derived from the figures.

Shared by the validation page's summary and ``MODEL.md``, so both say the same thing; the
artifact, the :class:`~validation.result.ValidationResult` and the ``metrics.json`` dict in,
plain text out.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np

from validation.card_checks import card_checks
from validation.formats import count, fmt, pct, pval
from validation.result import ValidationResult


def feature_direction(feature: Mapping[str, Any]) -> str:
    """How the characteristic moves the score, read from the points of its regular bins."""
    if feature.get("kind") == "categorical":
        return "by category"
    if feature.get("kind") == "interaction":  # a grid of cells has no single value axis
        return "by cell (two-dimensional)"
    # Interval bins only: special-code and missing bins have no place on the value axis.
    regular = [b for b in feature["bins"] if b.get("type") == "regular"]
    ranged = [b for b in regular if str(b.get("label", "")).startswith(("(", "["))]
    pts = [b["points"] for b in (ranged or regular)]
    if len(set(pts)) < 2:
        return "flat"
    diffs = [b - a for a, b in pairwise(pts)]
    if all(d >= 0 for d in diffs):
        return "higher → safer"
    if all(d <= 0 for d in diffs):
        return "higher → riskier"
    return "non-monotone"


def scale_origin(artifact: Mapping[str, Any]) -> str:
    """How the card's master scale was set (the spec's ``master_scale``, as the card's
    ``metadata.config`` records it)."""
    setting = artifact.get("metadata", {}).get("config", {}).get("master_scale")
    return {"development": "fitted to the development pds",
            "given": "given by the spec"}.get(setting or "", "the fixed pd ladder")


def design_sentence(metrics: Mapping[str, Any]) -> str:
    d = metrics["design"]
    return (f"a stratified holdout of {pct(d['holdout_fraction'], 0)} of the labelled rows "
            f"(n={count(d['n_holdout'])}, {count(d['holdout_defaults'])} defaults), never used "
            f"for fitting, selection or tuning; {d['cv_folds']}x{d['cv_repeats']} repeated "
            f"stratified CV on the {count(d['n_development'])} development rows, the card "
            f"refitted from scratch in every fold (seed {d['seed']})")


def _worst_grade(validation: ValidationResult) -> tuple[str, float] | None:
    grades = validation.grades
    if grades.empty:
        return None
    total = float(grades["n"].sum())
    scale = validation.master_scale
    worst = scale[-1]["grade"] if scale else grades["grade"].iloc[-1]
    row = grades[grades["grade"] == worst]
    share = float(row["n"].iloc[0]) / total if len(row) else 0.0
    return str(worst), share


def _sparse_grades(validation: ValidationResult) -> list[str]:
    grades = validation.grades
    if grades.empty:
        return []
    thin = grades[(grades["n"] < 100) | (grades["defaults"] < 5)]
    return [str(g) for g in thin["grade"]]


# A CV gap of this many standard errors of the fold differences is not "no difference".
CV_GAP_SE = 2.0


def challenger_sentence(models: Mapping[str, Any], delong: Mapping[str, Any]) -> str:
    """The card against the challenger, from the same figures as the discrimination table:
    both holdout AUCs, the DeLong test, and both CV means. "No measurable cost" is said only
    when neither the holdout test nor the CV gap shows one, so the sentence cannot
    contradict the table beside it."""
    card, ch = models["scorecard"], models["challenger"]
    diff, p = delong["auc_difference"], delong["p_value"]
    figures = (f"holdout AUC {fmt(card['holdout']['auc'])} for the card against "
               f"{fmt(ch['holdout']['auc'])} for the challenger (ΔAUC {diff:+.4f}, DeLong "
               f"p = {pval(p)})")
    cv_gap, cv_se = None, None
    if card.get("cv") and ch.get("cv"):
        cv_gap = card["cv"]["auc_mean"] - ch["cv"]["auc_mean"]
        n = max(int(card["cv"].get("n_folds") or len(card["cv"].get("folds") or [])), 1)
        cv_se = float(np.hypot(card["cv"]["auc_std"], ch["cv"]["auc_std"])) / np.sqrt(n)
        figures += (f"; CV AUC {fmt(card['cv']['auc_mean'])} against "
                    f"{fmt(ch['cv']['auc_mean'])} (Δ {cv_gap:+.4f})")
    cv_behind = cv_gap is not None and cv_gap < -CV_GAP_SE * max(cv_se or 0.0, 1e-4)
    if p is not None and p < 0.05 and diff < 0:
        return (f"The challenger ranks significantly better than the card: {figures}; there "
                "is signal the additive, monotone card does not capture.")
    if p is not None and p < 0.05:
        return f"The card ranks significantly better than the challenger: {figures}."
    if cv_behind:
        return (f"The card is behind the challenger: {figures}; the holdout difference is not "
                "significant, but the CV gap is more than "
                f"{CV_GAP_SE:g} standard errors, so the card's form costs ranking power.")
    return (f"No measurable difference between the card and the challenger: {figures}; the "
            "interpretable, monotone form costs no ranking power these figures can show.")


SUSPICIOUS_IV = 0.5  # Siddiqi: an IV this high is more often a leak than a predictor
Topic = str  # data, challenger, oracle, calibration, scale, grades, stability, card, iv


def statements(artifact: Mapping[str, Any], validation: ValidationResult,
               metrics: Mapping[str, Any]) -> list[tuple[Topic, str]]:
    """Findings and limitations, each one sentence derived from the figures, with its topic
    (so ``MODEL.md`` can place a sentence beside its figures)."""
    out: list[tuple[Topic, str]] = []
    models = metrics["models"]
    card = models["scorecard"]["holdout"]
    if metrics.get("oracle_distance"):
        out.append(("data",
                    "Generated labels: the figures show how well the card recovers a known "
                    "true pd, not how it performs on real customers; confirm on observed "
                    "outcomes before use."))
    else:
        out.append(("data",
                    "The true pd is unknown for this data, so the distance to the best "
                    "possible model is not measured."))
    d = metrics.get("delong")
    if d and "challenger" in models:
        out.append(("challenger", challenger_sentence(models, d)))
    else:
        out.append(("challenger",
                    "No challenger was run for this build, so the cost of the card's "
                    "additive, monotone form is not measured."))
    od = metrics.get("oracle_distance") or {}
    if "scorecard" in od:
        o = od["scorecard"]
        gap = o["auc_gap"]
        where = (f"{fmt(gap)} below the oracle's" if gap is None or gap >= 0
                 else f"{fmt(-gap)} above the oracle's on this sample")
        out.append(("oracle",
                    f"Against the true pd the card's holdout AUC is {where}; its pds differ "
                    f"from the true pds by {fmt(100 * o['mean_abs_pd_error'], 2)} percentage "
                    "points on average (mean absolute error)."))
    cal = metrics["calibration"]
    hl_p = cal.get("hosmer_lemeshow_p_value")
    outside = cal.get("grades_outside_interval") or []
    under = cal.get("grades_underestimated") or []
    if hl_p is not None and hl_p < 0.05:
        out.append(("calibration",
                    f"Hosmer-Lemeshow rejects the holdout calibration (p = {pval(hl_p)}); "
                    f"mean pd {pct(card['mean_pd'])} vs default rate {pct(card['default_rate'])}."))
    if outside:
        detail = {str(r["grade"]): f"{r['grade']}: observed {pct(r['observed'])} vs "
                                   f"predicted {pct(r['predicted'])}, n={count(r['n'])}"
                  for r in validation.grades.to_dict(orient="records")}
        over = [g for g in outside if g not in under]
        parts = []
        if under:
            parts.append("underestimates the default rate in grade(s) "
                         + "; ".join(detail.get(g, g) for g in under))
        if over:
            parts.append("overestimates it in grade(s) "
                         + "; ".join(detail.get(g, g) for g in over))
        out.append(("calibration",
                    f"Per grade the pd lies outside the Jeffreys 95 % interval: it "
                    f"{' and '.join(parts)}."))
    elif hl_p is not None and hl_p >= 0.05:
        out.append(("calibration",
                    f"Calibration holds on the holdout: Hosmer-Lemeshow p = {pval(hl_p)} and "
                    "every grade's predicted pd lies inside its Jeffreys 95 % interval."))
    scale = artifact.get("master_scale") or {}
    bounds = scale.get("pd_boundaries") or []
    worst = _worst_grade(validation)
    if bounds and worst is not None:
        grade, share = worst
        rate = card["default_rate"]
        if share > 0.5 or rate > bounds[-1]:
            out.append(("scale",
                        f"The master scale ({scale_origin(artifact)}, pd boundaries "
                        f"{pct(bounds[0])} to {pct(bounds[-1])}): at a {pct(rate, 1)} default "
                        f"rate {pct(share, 1)} of holdout rows fall in the worst grade {grade}, "
                        "so the grades barely separate this book."))
        else:
            sparse = _sparse_grades(validation)
            tail = (f"grade(s) {', '.join(sparse)} hold fewer than 100 holdout rows or 5 "
                    "defaults, so their backtests have little power" if sparse else
                    "every grade holds at least 100 holdout rows and 5 defaults")
            # Only thin grades make the scale a limitation; else it is a plain finding.
            out.append(("scale" if sparse else "grades",
                        f"The master scale ({scale_origin(artifact)}, pd boundaries "
                        f"{pct(bounds[0])} to {pct(bounds[-1])}): {tail}."))
    stab = metrics.get("stability")
    if not stab:
        out.append(("stability",
                    "There are no rows to predict, so population stability (PSI/CSI) is not "
                    "assessed; the holdout is a random split of the same period, not "
                    "out-of-time."))
    else:
        csi = (f"; largest CSI {fmt(stab['max_csi'])} ({stab['max_csi_characteristic']})"
               if stab.get("max_csi_characteristic") else "")
        out.append(("stability",
                    f"Score PSI development vs to-predict is {fmt(stab['score_psi'])} "
                    f"({stab['score_psi_status']}){csi}; the holdout is a random split, not "
                    "out-of-time, so drift over time is not tested."))
    out += [("card", text) for text in card_checks(artifact, validation.first_reasons)]
    if high := suspicious_iv(validation):
        out.append(("iv",
                    f"IV above {SUSPICIOUS_IV:g} ('suspicious' by Siddiqi's reading) for "
                    f"{', '.join(high)}: check these are not proxies of the outcome."))
    return out


def suspicious_iv(validation: ValidationResult) -> list[str]:
    """The card's characteristics whose IV is above :data:`SUSPICIOUS_IV`, in IV-table order."""
    iv = validation.iv
    if iv.empty:
        return []
    return iv[(iv["iv"] > SUSPICIOUS_IV) & iv["in_card"].astype(bool)]["feature"].tolist()


def findings(artifact: Mapping[str, Any], validation: ValidationResult,
             metrics: Mapping[str, Any]) -> list[str]:
    """Findings and limitations, each one sentence derived from the figures (plain text)."""
    return [text for _, text in statements(artifact, validation, metrics)]
