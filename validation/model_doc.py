"""``MODEL.md``: the one-page explanation of the card and of how it was validated.

It fits one A4 page at 11 pt (``tests/validation/test_model_doc.py`` prints it): what the
model is, its characteristics in one table, the validation design, the headline figures and
the limitations. Everything else stays in ``validation.html``.

Everything here is derived from the artifact, the validation results and ``metrics.json``
(the headline figures are formatted from the same rounded values ``metrics.json`` holds, so
the page and the file never disagree). The sentences under the figures and the limitations
are :func:`validation.findings.statements`, shared with the HTML report's summary, so both
say the same thing. Plain data in, text out: no imports from ``scorecard``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from validation.findings import (
    SUSPICIOUS_IV,
    design_sentence,
    feature_direction,
    scale_origin,
    statements,
    suspicious_iv,
)
from validation.formats import count, fmt, pct, pval
from validation.plots import model_label, ordered_models
from validation.result import ValidationResult

MAX_LINES = 60
MAX_FEATURE_ROWS = 4  # more characteristics than that are summed up in one row
CHALLENGERS = {"challenger": "GBM", "challenger_monotone": "monotone GBM"}
# The findings MODEL.md repeats as its limitations (the others are figures there).
LIMITATION_TOPICS = ("data", "scale", "stability", "iv")


PAIR_STEP = "interaction"  # the selection log's step of a pair searched (not a candidate)


def _selection_summary(selection_log: pd.DataFrame | None, kept: int) -> str:
    """``12 of 41 candidates``; the reason for each drop is in ``validation.html``."""
    if selection_log is None or selection_log.empty:
        return f"{kept} characteristics"
    # The refit's own row (step "final_fit") is a decision and a pair searched (step
    # "interaction") is not a characteristic: neither is a candidate.
    candidates = (~selection_log["step"].isin(("final_fit", PAIR_STEP))).sum() \
        if "step" in selection_log else len(selection_log)
    return f"{kept} of {candidates} candidates"


def _pair_summary(selection_log: pd.DataFrame | None) -> str:
    """`` and 1 of 528 pairs`` when the card searched interactions, else ``""``."""
    if selection_log is None or "step" not in selection_log:
        return ""
    pairs = selection_log[selection_log["step"] == PAIR_STEP]
    if pairs.empty:
        return ""
    return f" and {int((pairs['decision'] == 'in').sum())} of {len(pairs)} pairs"


def _final_fit_line(data: Mapping[str, Any], metrics: Mapping[str, Any]) -> list[str]:
    """Which rows the published card was fitted on, and for a refit how close it stays to
    the validated card on the holdout rows (``metrics.json``'s ``final_fit``)."""
    ff = metrics.get("final_fit")
    if not ff:
        return []
    if ff.get("auc_published_in_sample") is None:
        return [f"Published card: the validated fit on the {count(ff['fitted_rows'])} "
                "development rows, as every figure below describes it (spec `final_fit`).", ""]
    return [f"**Published card refitted on all {count(ff['fitted_rows'])} labelled rows** "
            f"after validation (spec `final_fit`); the figures below validate its fit on the "
            f"{count(data.get('development_rows'))} development rows. On the holdout the two "
            f"scores correlate r = {fmt(ff['score_correlation'])}, same grade for "
            f"{pct(ff['grade_agreement'], 1)}.", ""]


def _feature_rows(features: Sequence[Mapping[str, Any]]) -> list[str]:
    ranked = sorted(features, key=lambda f: (-float(f.get("iv") or 0.0), f["name"]))
    shown = ranked if len(ranked) <= MAX_FEATURE_ROWS else ranked[:MAX_FEATURE_ROWS - 1]
    rows = ["| characteristic | direction | IV | points |", "|---|---|--:|--:|"]
    for f in shown:
        pts = [b["points"] for b in f["bins"]]
        flag = " (override)" if f.get("overridden") else ""
        rows.append(f"| {f['name']}{flag} | {feature_direction(f)} | {fmt(f.get('iv'), 3)} | "
                    f"{min(pts)}–{max(pts)} |")
    if len(shown) < len(ranked):
        rest = ranked[len(shown):]
        rows.append(f"| … and {len(rest)} more | | ≤ {fmt(rest[0].get('iv'), 3)} | |")
    return rows


def _figure_notes(metrics: Mapping[str, Any]) -> list[str]:
    """One line each for calibration, challenger and oracle, as figures; what they mean is
    said in ``validation.html``'s findings."""
    cal = metrics["calibration"]
    outside = cal.get("grades_outside_interval") or []
    notes = [f"- **Calibration**: Hosmer-Lemeshow p = {pval(cal.get('hosmer_lemeshow_p_value'))}"
             + (f"; outside their Jeffreys interval: grade(s) {', '.join(outside)}." if outside
                else "; every grade inside its Jeffreys interval.")]
    d = metrics.get("delong")
    notes.append(f"- **Challenger**: ΔAUC card − challenger {d['auc_difference']:+.4f}, DeLong "
                 f"p = {pval(d['p_value'])}." if d else
                 "- **Challenger**: not measured, no challenger was run.")
    if o := (metrics.get("oracle_distance") or {}).get("scorecard"):
        notes.append(f"- **Oracle** (the true pd): AUC gap to the card {fmt(o['auc_gap'])}; "
                     f"mean |pd − true pd| {fmt(100 * o['mean_abs_pd_error'], 2)} pp.")
    return notes


def _fairness_line(fairness: Mapping[str, Any] | None) -> list[str]:
    """One paragraph when the spec names protected attributes: the lowest adverse impact
    ratio per protected column on the holdout, and what is flagged."""
    if not fairness:
        return []
    parts = []
    for c in fairness["columns"]:
        tested = [g for g in c["groups"] if g["tested"] and not g.get("reference")]
        low = min(tested, key=lambda g: (g["air"]["ratio"] or 0.0, g["group"]), default=None)
        parts.append(f"{c['column']} (reference {c['reference']}" + (
            f", lowest adverse impact ratio {low['air']['ratio']:.2f} for {low['group']})"
            if low and low["air"]["ratio"] is not None else ")"))
    flagged = ", ".join(fairness["flagged"]) or "no group"
    return ["", f"**Fairness** (protected attributes, never characteristics; holdout, cut-off "
                f"score {fairness['cutoff']}): {'; '.join(parts)}; flagged: {flagged} "
                "(`scorecard fairness`, validation.html)."]


def _method_sentence(cfg: Mapping[str, Any]) -> str:
    """How the published card's points were fitted, from the card's recorded config."""
    if cfg.get("card_method") == "joint":
        return ("Points per bin fitted jointly: an L2-penalised logistic regression on bin "
                "indicators, trends as sign constraints; up to "
                f"{cfg.get('joint_max_n_bins', '?')} bins of >= "
                f"{pct(cfg.get('joint_min_bin_share'), 1)} of rows and "
                f"{cfg.get('joint_min_bin_n_event', '?')} defaults, own special and missing "
                "bins.")
    return ("A logistic regression on weight-of-evidence (WoE) bins: "
            f"at most {cfg.get('max_n_bins', '?')} monotone bins of at least "
            f"{pct(cfg.get('min_bin_share'), 0)} of rows per characteristic, own bins for "
            "special codes and missing values.")


def render_model_md(artifact: Mapping[str, Any], validation: ValidationResult,
                    metrics: Mapping[str, Any], selection_log: pd.DataFrame | None) -> str:
    """The text of ``MODEL.md`` (one printed page, at most :data:`MAX_LINES` lines)."""
    meta = artifact.get("metadata", {})
    data = meta.get("training_data", {})
    cfg = meta.get("config", {})
    sc = artifact["scaling"]
    features: Sequence[Mapping[str, Any]] = artifact["features"]
    scale = artifact.get("master_scale") or {}
    grades, bounds = scale.get("grades") or [], scale.get("pd_boundaries") or []
    models = ordered_models(metrics["models"])
    challengers = [CHALLENGERS.get(n, model_label(n)) for n in models if n in CHALLENGERS]
    grade_text = (f" Grades {grades[0]}–{grades[-1]}: master scale {scale_origin(artifact)}, "
                  f"pd {pct(bounds[0])} to {pct(bounds[-1])}." if grades and bounds else "")
    joint = cfg.get("card_method") == "joint"
    lines = [
        f"# Model {artifact['model_id']}",
        "",
        f"Fitted on `{data.get('file', '?')}` ({count(data.get('labelled'))} labelled rows, "
        f"default rate {pct(data.get('default_rate'))}); card `{artifact['content_hash'][:23]}…` "
        "(the full hash in `scorecard.json`).",
        "",
        "## The model and its characteristics",
        "",
        f"{_method_sentence(cfg)} "
        "The score is the sum of integer points, higher is safer; "
        f"{sc['base_score']:g} points at {sc['base_odds']:g}:1 good:bad odds, {sc['pdo']:g} "
        f"more double them: `pd = 1 / (1 + exp((score - {sc['offset']:.4f}) / "
        f"{sc['factor']:.4f}))`.{grade_text}",
        "",
        # the characteristics kept of the candidates; the pairs are counted apart
        f"{_selection_summary(selection_log, sum(f['kind'] != 'interaction' for f in features))}"
        f"{_pair_summary(selection_log)} "
        f"kept (information value (IV), correlation, VIF"
        f"{'' if joint else ', sign and significance'}):",
        "",
        *_feature_rows(features),
        "",
        *_final_fit_line(data, metrics),
        "## How it was validated",
        "",
        f"- **Design**: {design_sentence(metrics)}.",
        "- **Tests**: " + (" and ".join(challengers) + " challengers (inner-CV tuned; "
                           "DeLong); " if challengers else "no challenger; ")
        + "Hosmer-Lemeshow, Jeffreys; PSI/CSI; IV, VIF"
        + ("; the oracle (true pd)." if "oracle" in models else "."),
        "",
        "## Headline figures (holdout; CV on development rows)",

        "",
        "| model | AUC | 95 % CI | Gini | KS | Brier | CV AUC |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name in models:
        h = metrics["models"][name]["holdout"]
        cv = metrics["models"][name].get("cv")
        cv_s = f"{fmt(cv['auc_mean'], 3)} ± {fmt(cv['auc_std'], 3)}" if cv else "–"
        lines.append(f"| {model_label(name)} | {fmt(h['auc'])} | {fmt(h['auc_ci_low'], 3)}–"
                     f"{fmt(h['auc_ci_high'], 3)} | {fmt(h['gini'])} | {fmt(h['ks'])} | "
                     f"{fmt(h['brier'])} | {cv_s} |")
    lines += ["", *_figure_notes(metrics), *_fairness_line(validation.fairness), "",
              "## Limitations", ""]
    for topic, text in statements(artifact, validation, metrics):
        if topic == "iv":  # the table above shows which: say only how many
            high = suspicious_iv(validation)
            text = (f"IV above {SUSPICIOUS_IV:g} ('suspicious', Siddiqi) for {len(high)} of "
                    f"{len(features)} characteristics: check they are not proxies of the "
                    "outcome.")
        if topic in LIMITATION_TOPICS:
            lines.append(f"- {text}")
    return "\n".join(lines) + "\n"
