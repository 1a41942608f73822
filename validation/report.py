"""The validation report: ``validation.html``, ``MODEL.md`` and ``metrics.json`` as text.

:func:`render_reports` receives plain data only (the sealed artifact dict, the
typed :class:`~validation.result.ValidationResult`, the selection
log and the coefficient table) and returns each file's text; writing them is the caller's
(``scorecard.jobs.outputs``), so this package imports nothing else of the project.

The page is split in two: the builders here compute every figure (table rows with formatted
cells, SVG strings from :mod:`validation.plots`, sentences with their numbers), and the
Jinja2 templates in ``validation/templates/`` lay them out (``base.html.j2`` the layout,
``macros.html.j2`` tables, figures and "not applicable" notes, ``validation.html.j2`` the
page, ``sections/*.html.j2`` one per section; ``report.css`` the one stylesheet).

Guarantees:

* **Self-contained.** One HTML page with the stylesheet inlined and inline SVG; no script, no
  external font, stylesheet or image: it opens the same on an air-gapped reviewer's laptop.
* **Byte-deterministic.** Same inputs, same bytes: no timestamps, fixed float formats, fixed
  SVG hash salts (:mod:`validation.plots`), ``metrics.json`` from
  :mod:`validation.metrics_json`.
* **Traceable.** Every figure and table names the split it comes from.
* **Tolerant.** Sections whose inputs are absent (no challenger, no true pd, no rows to
  predict) say "not applicable" and why, instead of failing.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from jinja2.ext import Extension
from markupsafe import Markup

from validation import plots
from validation.findings import design_sentence, feature_direction, findings
from validation.formats import (
    count,
    f2,
    f3,
    flag_text,
    fmt,
    pct,
    pval,
    score_bound,
    yes_no,
)
from validation.metrics_json import METRIC_KEYS, build_metrics, dumps_metrics
from validation.model_doc import PAIR_STEP, render_model_md
from validation.plain import records
from validation.result import ValidationResult
from validation.tables import Col, Table, key, table

NAV = (("summary", "Summary"), ("discrimination", "Discrimination"),
       ("calibration", "Calibration"), ("master-scale", "Master scale"),
       ("distributions", "Distributions"), ("stability", "Stability"),
       ("iv-vif", "IV & VIF"), ("fairness", "Fairness"), ("card", "The card"),
       ("oracle", "Oracle"),
       ("reproducibility", "Reproducibility"))


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------


def render_reports(artifact: dict, validation: ValidationResult, selection_log: pd.DataFrame,
                   coefficients: pd.DataFrame) -> dict[str, str]:
    """The text of ``metrics.json``, ``MODEL.md`` and ``validation.html``, by file name."""
    metrics = build_metrics(artifact, validation)
    page = render_html(artifact, validation, selection_log, coefficients, metrics)
    doc = render_model_md(artifact, validation, metrics, selection_log)
    return {"metrics.json": dumps_metrics(metrics), "MODEL.md": doc, "validation.html": page}


# ------------------------------------------------------------------------------------------
# templates
# ------------------------------------------------------------------------------------------


class JoinLines(Extension):
    """Join the lines of every ``.j2`` template: a line break and the next line's indentation
    are dropped before parsing, so templates can be indented for reading while the page keeps
    its compact markup (one line per section). A line break the page needs is written
    ``{{ "\\n" }}``; text that runs on must stay on one source line."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source) if (name or "").endswith(".j2") else source


def _escape(value: Any) -> Any:
    """Escape every printed value as :func:`html.escape` does (``&quot;``/``&#x27;``), the
    page's escaping since before the templates; markup (macros, SVG) passes through."""
    if hasattr(value, "__html__"):
        return value
    # Safe: html.escape(quote=True) escapes & < > " ' as markupsafe would, only spelled
    # &quot;/&#x27; as the committed page has them.
    return Markup(html.escape(str(value), quote=True))  # nosec B704


@cache
def environment() -> jinja2.Environment:
    """The templates' environment; the workbench and monitoring pages extend its layout
    (``base.html.j2``) and use its macros. ``trim_blocks``/``lstrip_blocks`` and
    ``keep_trailing_newline`` matter for the files :class:`JoinLines` leaves alone, such as
    ``report.css``, included verbatim with its last newline."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("validation", "templates"),
        autoescape=True, finalize=_escape, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        extensions=[JoinLines])


# ------------------------------------------------------------------------------------------
# sources: every caption names its split
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    holdout: str
    development: str
    cv: str
    to_predict: str
    has_to_predict: bool
    published: str  # the rows the published card's bins and points come from

    @classmethod
    def from_inputs(cls, artifact: Mapping[str, Any],
                    validation: ValidationResult) -> Sources:
        d = validation.design
        h = validation.holdout_split
        data = artifact.get("metadata", {}).get("training_data", {})
        n_pred = int(data.get("to_predict")
                     or len(validation.score_distribution.get("to_predict", [])))
        development = (f"development sample (n={count(h.get('n_train'))}, "
                       f"{count(h.get('defaults_train'))} defaults)")
        ff = validation.final_fit or {}
        published = (f"whole labelled sample (development + holdout, "
                     f"n={count(ff.get('fitted_rows'))}; refitted after validation)"
                     if ff.get("refit") else development)
        return cls(
            holdout=f"holdout (n={count(h.get('n_test'))}, "
                    f"{count(h.get('defaults_test'))} defaults)",
            development=f"development sample (n={count(h.get('n_train'))}, "
                        f"{count(h.get('defaults_train'))} defaults)",
            cv=f"{d.get('n_splits')}x{d.get('n_repeats')} stratified CV on the development "
               f"rows (n={count(h.get('n_train'))})",
            to_predict=f"rows to predict (n={count(n_pred)}, unlabelled)",
            has_to_predict=n_pred > 0,
            published=published,
        )


def _frame(x: Any) -> bool:
    return isinstance(x, pd.DataFrame) and not x.empty


def _pair(fmt_one: Callable[[Any], str], sep: str = ", ", left: str = "[",
          right: str = "]") -> Callable[[Any], str]:
    """A cell of two values, an interval ``[a, b]`` by default."""
    return lambda t: f"{left}{fmt_one(t[0])}{sep}{fmt_one(t[1])}{right}"


# ------------------------------------------------------------------------------------------
# sections: each builder returns what its template in sections/ prints
# ------------------------------------------------------------------------------------------


def _header_items(artifact: Mapping[str, Any],
                  metrics: Mapping[str, Any]) -> list[tuple[str, Any]]:
    data = artifact.get("metadata", {}).get("training_data", {})
    d = metrics["design"]
    return [
        ("Model id", artifact.get("model_id")),
        ("Content hash", artifact.get("content_hash")),
        ("Training data", f"{data.get('file', '?')} · {data.get('fingerprint', '?')}"),
        ("Rows", f"{count(data.get('rows'))} ({count(data.get('labelled'))} labelled, "
                 f"{count(data.get('to_predict'))} to predict; default rate "
                 f"{pct(data.get('default_rate'))})"),
        ("Split design", f"holdout {pct(d['holdout_fraction'], 0)} "
                         f"(n={count(d['n_holdout'])}) · development "
                         f"n={count(d['n_development'])} · {d['cv_folds']}x{d['cv_repeats']} "
                         f"CV · seed {d['seed']}"),
        ("Split fingerprint", d.get("split_fingerprint")),
        ("Published card", _fitted_on(data)),
    ]


def _fitted_on(data: Mapping[str, Any]) -> str:
    """Which rows the published card was fitted on, from the artifact's ``training_data``."""
    if data.get("fitted_on", "development rows") == "development rows":
        return (f"fitted on the development rows (n={count(data.get('development_rows'))}): "
                "the validated card itself")
    return (f"fitted on {data['fitted_on']}, n={count(data.get('fitted_rows'))}, after "
            "validation; the figures validate the development fit "
            f"(n={count(data.get('development_rows'))})")


def _summary(artifact: Mapping[str, Any], validation: ValidationResult,
             metrics: Mapping[str, Any], src: Sources) -> dict[str, Any]:
    rows = [{"model": plots.model_label(name), **metrics["models"][name]["holdout"],
             "cv": metrics["models"][name].get("cv")}
            for name in plots.ordered_models(metrics["models"])]

    def cv_auc(cv: Any) -> str:
        return f"{fmt(cv['auc_mean'])} ± {fmt(cv['auc_std'])}" if cv else "–"

    headline = table(rows, [
        Col("Model", key("model"), num=False),
        Col("AUC", key("auc"), fmt),
        Col("AUC 95 % CI", lambda r: (r["auc_ci_low"], r["auc_ci_high"]), _pair(fmt),
            title="DeLong"),
        Col("Gini", key("gini"), fmt),
        Col("KS", key("ks"), fmt),
        Col("Brier", key("brier"), fmt),
        Col("Log loss", key("log_loss"), fmt),
        Col("ECE", key("ece"), fmt, title="expected calibration error, pd deciles"),
        Col("Mean pd", key("mean_pd"), pct),
        Col("Default rate", key("default_rate"), pct),
        Col("CV AUC mean ± sd", key("cv"), cv_auc, title=src.cv),
    ], f"Source: {src.holdout}; last column: {src.cv}.", cls="headline")
    tests = []
    d = validation.delong
    if d:
        tests.append(("DeLong test, card vs challenger (holdout)",
                      f"ΔAUC {d['difference']:+.4f} [{d['ci_low']:+.4f}, {d['ci_high']:+.4f}], "
                      f"z = {d['z']:.3f}, p = {pval(d['p_value'])}, correlation "
                      f"{d['correlation']:.3f}"))
    else:
        tests.append(("DeLong test, card vs challenger", "not applicable: no challenger run"))
    r = validation.rounding
    tests.append(("Rounding cost (holdout)",
                  f"AUC unrounded {fmt(r.get('auc_unrounded'), 5)} → integer points "
                  f"{fmt(r.get('auc_rounded'), 5)}: cost {fmt(r.get('auc_cost'), 5)}"))
    hl = validation.hosmer_lemeshow
    if hl:
        tests.append(("Hosmer-Lemeshow (holdout, card)",
                      f"χ² = {fmt(hl.get('statistic'), 2)} on {hl.get('dof')} dof, "
                      f"p = {pval(hl.get('p_value'))}"))
    stab = metrics.get("stability")
    tests.append(("Score PSI (development → to predict)",
                  f"{fmt(stab['score_psi'])} ({stab['score_psi_status']})" if stab
                  else "not applicable: no rows to predict"))
    return {"design": design_sentence(metrics),
            "findings": findings(artifact, validation, metrics),
            "headline": headline, "tests": tests, **_cv_tables(validation, src)}


def _cv_tables(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    models = validation.models
    names = [n for n in plots.ordered_models(models) if models[n].get("cv")]
    if not names:
        return {"cv": None}
    rows = [{"model": plots.model_label(n),
             **{k: (models[n]["cv"].get(f"{k}_mean"), models[n]["cv"].get(f"{k}_std"))
                for k in METRIC_KEYS}} for n in names]
    cols = [Col("Model", key("model"), num=False)] + [
        Col(label, key(k), _pair(fmt, " ± ", "", ""))
        for k, label in zip(METRIC_KEYS, ("AUC", "Gini", "KS", "Brier", "Log loss", "ECE"),
                            strict=True)]
    cv = table(rows, cols, f"Source: {src.cv}; mean ± sd over folds; every model refitted "
                           "per fold with parameters tuned on the development rows only.")
    fold_rows = []
    for i, fold in enumerate(models[names[0]]["cv"]["folds"]):
        row: dict[str, Any] = {"split": fold["split"]}
        for n in names:
            folds = models[n]["cv"]["folds"]
            row[n] = folds[i]["auc"] if i < len(folds) else None
            row["n"] = folds[i]["n"] if i < len(folds) else None
        fold_rows.append(row)
    fcols = [Col("Fold", key("split"), num=False), Col("Test rows", key("n"), count)]
    fcols += [Col(f"AUC {plots.model_label(n)}", key(n), fmt) for n in names]
    params = [(plots.model_label(n),
               ", ".join(f"{k} = {v}" for k, v in sorted(models[n]["best_params"].items())))
              for n in names if models[n].get("best_params")]
    return {"cv": cv,
            "folds": table(fold_rows, fcols, f"Source: {src.cv}; AUC on each fold's test rows."),
            "params": params}


def _discrimination(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    curves = validation.curves
    if not curves:
        return {"figures": []}
    rows = [{"model": plots.model_label(n), **curves[n]["ks"]["ks"]}
            for n in plots.ordered_models(curves)]
    return {
        "source": src.holdout,
        "figures": [
            (plots.roc_plot(curves, "holdout"), f"ROC curves. Source: {src.holdout}."),
            (plots.cap_plot(curves, "holdout"),
             f"Cumulative accuracy profiles (AR = Gini). Source: {src.holdout}."),
            (plots.ks_plot(curves, "holdout"),
             f"KS: cumulative bads and goods by cut-off. Source: {src.holdout}."),
        ],
        "ks": table(rows, [
            Col("Model", key("model"), num=False), Col("KS", key("ks"), fmt),
            Col("At pd ≥", key("threshold"), fmt, title="cut-off on the model's pd"),
            Col("Population flagged", key("population_share"), pct),
            Col("Bads flagged", key("bad_rate"), pct),
            Col("Goods flagged", key("good_rate"), pct),
        ], f"KS points. Source: {src.holdout}."),
    }


def _calibration(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    out: dict[str, Any] = {"source": src.holdout, "reliability": None,
                           "reliability_table": None, "hl": None, "grades": None}
    rel = validation.reliability
    if rel:
        out["reliability"] = (plots.reliability_plot(rel, "holdout"),
                              "Reliability by pd decile with Jeffreys 95 % intervals (on log "
                              "axes a zero default rate sits on the lower edge). "
                              f"Source: {src.holdout}.")
        card = rel.get("scorecard")
        if isinstance(card, pd.DataFrame):
            def inside(r: Mapping[str, Any]) -> bool:
                return bool(r["ci_low"] <= r["mean_pd"] <= r["ci_high"])

            out["reliability_table"] = table(records(card), [
                Col("pd bin", key("bin"), lambda b: str(int(b) + 1)),
                Col("Rows", key("n"), count), Col("Defaults", key("defaults"), count),
                Col("pd range", lambda r: (r["p_min"], r["p_max"]), _pair(pct, " – ", "", "")),
                Col("Mean pd", key("mean_pd"), pct), Col("Observed", key("observed"), pct),
                Col("Jeffreys 95 %", lambda r: (r["ci_low"], r["ci_high"]), _pair(pct)),
                Col("Inside", inside, lambda b: "yes" if b else "NO"),
            ], "Scorecard reliability table (equal-frequency pd bins, ties kept together). "
               f"Source: {src.holdout}.", flag=lambda r: not inside(r))
    hl = validation.hosmer_lemeshow
    if hl:
        out["hl"] = {"groups": hl.get("n_groups"), "statistic": fmt(hl.get("statistic"), 2),
                     "dof": hl.get("dof"), "p": pval(hl.get("p_value")),
                     "verdict": ("calibration rejected at 5 %"
                                 if (hl.get("p_value") or 1) < 0.05
                                 else "no evidence of miscalibration at 5 %")}
    grades = validation.grades
    if _frame(grades):
        out["grades_figure"] = (plots.grade_plot(grades, "holdout"),
                                "Per grade: observed default rate with Jeffreys 95 % interval "
                                f"and mean predicted pd. Source: {src.holdout}.")
        out["grades"] = table(records(grades), [
            Col("Grade", key("grade"), num=False), Col("Rows", key("n"), count),
            Col("Defaults", key("defaults"), count), Col("Observed", key("observed"), pct),
            Col("Predicted (mean pd)", key("predicted"), pct),
            Col("Jeffreys 95 %", lambda r: (r["ci_low"], r["ci_high"]), _pair(pct)),
            Col("Binomial p", key("binomial_p_value"), pval,
                title="one-sided P(X ≥ defaults), small = pd underestimated"),
            Col("Jeffreys p", key("jeffreys_p_value"), pval, title="ECB/TRIM form"),
            Col("Outside interval", key("outside_interval"), flag_text),
            Col("Underestimated", key("underestimated"), yes_no),
        ], "Grade backtest; a flagged row's predicted pd lies outside the Jeffreys interval. "
           f"Source: {src.holdout}.", flag=lambda r: bool(r["outside_interval"]))
    return out


def _master_scale(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    scale = list(validation.master_scale)
    bands = validation.score_bands
    return {
        "scale": table(scale, [
            Col("Grade", key("grade"), num=False),
            Col("pd from", key("pd_low"), lambda x: pct(x, 3)),
            Col("pd to", key("pd_high"), lambda x: pct(x, 3)),
            Col("Nominal pd", key("pd_nominal"), lambda x: pct(x, 3),
                title="geometric mean of the grade's bounds"),
            Col("Score from", key("score_low"), lambda x: "−∞" if x is None else f"{x:.2f}"),
            Col("Score to", key("score_high"), lambda x: "+∞" if x is None else f"{x:.2f}"),
        ], "Master scale definition (fixed pd ladder; score = points). Source: the artifact, "
           "independent of any sample.") if scale else None,
        "bands": table(records(bands), [
            Col("Band", key("band"), num=False),
            Col("Cut-off (score ≥)", key("cutoff"), score_bound,
                title="approving score ≥ cut-off approves this band and all better ones"),
            Col("Scores seen", lambda r: (r["score_min"], r["score_max"]),
                _pair(score_bound, " – ", "", "")),
            Col("Rows", key("n"), count), Col("Defaults", key("defaults"), count),
            Col("Default rate", key("default_rate"), pct), Col("Share", key("share"), pct),
            Col("Approval rate", key("cum_share"), pct, title="this band and better approved"),
            Col("Defaults approved", key("cum_defaults"), pct,
                title="share of all defaults in the approved book"),
            Col("Approved default rate", key("cum_default_rate"), pct),
            Col("Reject rate", key("reject_share"), pct, title="this band and worse rejected"),
            Col("Defaults captured", key("captured_defaults"), pct,
                title="share of all defaults rejected"),
            Col("Rejected default rate", key("reject_precision"), pct),
        ], f"Score bands by master-scale grade, best first. Source: {src.holdout}.")
        if _frame(bands) else None,
    }


def _distributions(artifact: Mapping[str, Any], validation: ValidationResult,
                   src: Sources) -> dict[str, Any]:
    dist = validation.score_distribution
    cuts = (artifact.get("master_scale") or {}).get("score_cuts") or []
    empty = np.empty(0)
    good, bad = dist.get("holdout_good", empty), dist.get("holdout_bad", empty)
    dev, new = dist.get("development", empty), dist.get("to_predict", empty)
    return {
        "holdout": (plots.score_hist_plot(
            [("Goods", good, plots.GOOD_COLOR), ("Bads", bad, plots.BAD_COLOR)],
            "Goods vs bads · holdout", "dist-holdout", cuts),
            "Score distribution of goods and bads; dotted lines are master-scale cuts. "
            f"Source: {src.holdout}.") if len(good) and len(bad) else None,
        "shift": (plots.score_hist_plot(
            [("Development", dev, "#5b9bd5"), ("To predict", new, "#ed7d31")],
            "Development vs to predict", "dist-shift", cuts),
            f"Score distribution. Source: {src.development} vs {src.to_predict}.")
        if len(dev) and len(new) else None,
    }


def _stability(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    stab = validation.stability
    if "psi" not in stab:
        return {"psi": None}
    p = stab["psi"]
    between = f"Source: {src.development} vs {src.to_predict}."
    csi = stab.get("csi")
    return {
        "reference": src.development, "target": src.to_predict, "psi": fmt(p["psi"]),
        "status": p["status"], "eps": p["eps"],
        "figure": (plots.psi_plot(p["table"], "development vs to predict"),
                   f"Share per development score decile. {between}"),
        "bins": table(p["table"], [
            Col("Bin", key("bin"), lambda b: str(int(b) + 1)),
            Col("Score range", lambda r: r, plots._bin_range),
            Col("Development rows", key("ref_count"), count),
            Col("To-predict rows", key("target_count"), count),
            Col("Development share", key("ref_share"), pct),
            Col("To-predict share", key("target_share"), pct),
            Col("PSI contribution", key("contribution"), lambda x: fmt(x, 5)),
        ], f"PSI per score bin. {between}"),
        "csi": table(records(csi), [
            Col("Characteristic", key("characteristic"), num=False),
            Col("CSI", key("csi"), lambda x: fmt(x, 5)),
            Col("Status", key("status"), num=False),
            Col("Bins", key("n_bins"), count),
        ], f"Characteristic stability (card bins), most shifted first. {between}",
            flag=lambda r: r["status"] != "stable") if _frame(csi) else None,
    }


def _iv_vif(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    iv, vif = validation.iv, validation.vif
    return {
        "iv": table(records(iv), [
            Col("Feature", key("feature"), num=False), Col("IV", key("iv"), fmt),
            Col("Strength", key("strength"), num=False,
                title="Siddiqi: <0.02 unpredictive, <0.1 weak, <0.3 medium, <0.5 strong"),
            Col("In card", key("in_card"), yes_no, num=False),
        ], f"Information value of every binned candidate. Source: {src.development}.",
            flag=lambda r: r["strength"] == "suspicious") if _frame(iv) else None,
        "vif": table(records(vif), [
            Col("Characteristic", key("feature"), num=False), Col("VIF", key("vif"), f2),
            Col("R²", key("r_squared"), f3), Col("VIF > 5", key("high"), flag_text),
        ], f"Variance inflation of the card's WoE columns. Source: {src.development}.",
            flag=lambda r: bool(r["high"])) if _frame(vif) else None,
    }


def _final_fit(ff: Mapping[str, Any] | None, src: Sources) -> dict[str, Any]:
    """Which rows the published card was fitted on and, for a refit on all labelled rows, how
    it compares with the validated development fit on the holdout rows (``ff``)."""
    if not ff:
        return {"lead": None, "facts": None, "table": None}
    if not ff["refit"]:
        return {"lead": f"The published card is the validated fit on the {src.development} "
                        "(spec final_fit = development): every holdout figure in this report "
                        "validates it as published.", "facts": None, "table": None}
    lead = (f"The published card (this section's bins, points and coefficients, "
            "scorecard.json, predictions.csv) was refitted on all "
            f"{count(ff['fitted_rows'])} labelled rows (development + holdout) by the procedure "
            "validated above: the same binning, selection and penalty choice (spec final_fit = "
            "all_labelled). The other sections' figures validate the development fit "
            f"(n={count(ff['development_rows'])}), which no holdout row reached; the refit has "
            f"no holdout of its own. The two cards on the {count(ff['holdout_rows'])} holdout "
            "rows:")
    added, dropped = ff["features_added"], ff["features_dropped"]
    n_pub = sum(1 for r in records(ff["characteristics"]) if r["in_published"])
    n_val = sum(1 for r in records(ff["characteristics"]) if r["in_validated"])
    items = [("Characteristics",
              f"{n_pub} published, {n_val} validated"
              + (f"; added {', '.join(added)}" if added else "")
              + (f"; dropped {', '.join(dropped)}" if dropped else "")
              + ("" if added or dropped else "; the same set"))]
    if ff.get("penalty_published") is not None:
        items.append(("L2 penalty (inner CV)", f"{ff['penalty_published']:g} published, "
                                               f"{ff['penalty_validated']:g} validated"))
    items += [
        ("Scores (holdout rows)",
         f"Pearson r = {fmt(ff['score_correlation'])}; mean |Δ score| "
         f"{f2(ff['mean_abs_score_difference'])} points (max {ff['max_abs_score_difference']}); "
         f"same grade for {pct(ff['grade_agreement'], 1)} of rows"),
        ("AUC (holdout rows)",
         f"validated {fmt(ff['auc_validated'])} (out of sample); published "
         f"{fmt(ff['auc_published'])} (in-sample: the refit saw these rows)"),
    ]
    chars = table(records(ff["characteristics"]), [
        Col("Characteristic", key("feature"), num=False),
        Col("Bins validated", key("bins_validated"), count),
        Col("Bins published", key("bins_published"), count),
        Col("Points validated", lambda r: (r["points_min_validated"], r["points_max_validated"]),
            _pair(count, " – ", "", "")),
        Col("Points published", lambda r: (r["points_min_published"], r["points_max_published"]),
            _pair(count, " – ", "", "")),
        Col("Mean |Δ points|", key("mean_abs_points_change"), f2,
            title="per holdout row, each card's points centred on their holdout mean"),
    ], "Per characteristic: bins and points range in each card, and the mean absolute change "
       "of a holdout row's points (each card's points centred on their holdout mean, so the "
       f"share of the constant does not count). Source: {src.holdout}.",
        flag=lambda r: not (r["in_validated"] and r["in_published"]))
    return {"lead": lead, "facts": items, "table": chars}


def _card(artifact: Mapping[str, Any], selection_log: pd.DataFrame | None,
          coefficients: pd.DataFrame | None, src: Sources,
          validation: ValidationResult | None = None) -> dict[str, Any]:
    sc = artifact["scaling"]
    features = artifact["features"]
    joint = artifact.get("metadata", {}).get("config", {}).get("card_method") == "joint"
    overridden = set(artifact.get("metadata", {}).get("config", {})
                     .get("overridden_features") or [])
    overridden |= {f["name"] for f in features if f.get("overridden")}
    pairs = set(artifact.get("metadata", {}).get("config", {}).get("overridden_pairs") or [])
    overridden |= {f["name"] for f in features if f["kind"] == "interaction"
                   and "*".join(p["name"] for p in f["parents"]) in pairs}
    rows = []
    for f in features:
        pts = [b["points"] for b in f["bins"]]
        rows.append({"name": f["name"], "code": f.get("reason_code"),
                     "desc": f.get("description") or "", "iv": f.get("iv"),
                     "coef": f.get("coefficient"), "dir": feature_direction(f),
                     "bins": len(f["bins"]), "pts": (min(pts), max(pts)),
                     "unseen": f.get("unseen_points"), "ovr": f["name"] in overridden})

    def is_overridden(r: Mapping[str, Any]) -> bool:
        return bool(r.get("overridden")) or r["feature"] in overridden

    logged = records(selection_log) if _frame(selection_log) else []
    candidates = [r for r in logged if r.get("step") != PAIR_STEP]
    pair_rows = [r for r in logged if r.get("step") == PAIR_STEP]

    return {
        "scaling": f"{sc['base_score']:g} points at {sc['base_odds']:g}:1 good:bad odds, "
                   f"{sc['pdo']:g} points to double the odds: factor {sc['factor']:.4f}, "
                   f"offset {sc['offset']:.4f}, intercept {artifact.get('intercept', 0.0):.6f}",
        "pd_formula": artifact.get("pd_formula", ""),
        "source": src.published,
        "final_fit": _final_fit(validation.final_fit if validation else None, src),
        "features": table(rows, [
            Col("Characteristic", key("name"), num=False),
            Col("Reason code", key("code"), num=False),
            Col("Description", key("desc"), num=False, wrap=True),
            Col("IV", key("iv"), fmt), Col("Coefficient", key("coef"), fmt),
            Col("Direction", key("dir"), num=False), Col("Bins", key("bins"), count),
            Col("Points", key("pts"), _pair(str, " – ", "", "")),
            Col("Unseen value", key("unseen"), str, title="points for a category never seen"),
            Col("Overridden", key("ovr"), yes_no, num=False),
        ], f"Characteristics in the card. Source: {src.published}.",
            flag=lambda r: bool(r["ovr"])),
        "coefficients": table(records(coefficients), [
            Col("Term", key("term"), num=False), Col("Coefficient", key("coef"), fmt),
            Col("SE", key("std_err"), fmt), Col("z", key("z"), f2),
            Col("p-value", key("p_value"), pval),
            Col("95 % CI", lambda r: (r["ci_low"], r["ci_high"]), _pair(fmt)),
        ], ("Coefficients of pd's log-odds on the bin indicators (cumulative steps for trended "
            "characteristics; negative = less risk), penalised and sign-constrained; SE from "
            "the inverse Hessian of the penalised likelihood. " if joint else
            "Coefficients of pd's log-odds on WoE (negative = more WoE, less risk). ")
           + f"Source: {src.published}.") if _frame(coefficients) else None,
        "coefficients_title": ("Joint logistic regression on bin indicators" if joint
                               else "Logistic regression on WoE"),
        "selection": table(candidates, [
            Col("Feature", key("feature"), num=False), Col("IV", key("iv"), fmt),
            Col("Decision", key("decision"), num=False), Col("Step", key("step"), num=False),
            Col("Reason", key("reason"), num=False, wrap=True),
            Col("Overridden", is_overridden, yes_no, num=False),
        ], "Every candidate characteristic's decision; rows with binning overridden by the "
           f"risk team are tinted. Source: {src.published}.", flag=is_overridden)
        if candidates else None,
        "pairs": _pairs_searched(pair_rows, is_overridden, src) if pair_rows else None,
        "characteristics": [_characteristic(f, f["name"] in overridden, src) for f in features],
    }


PAIRS_SHOWN = 10  # ranked pairs listed before the collapsed full list


def _pairs_searched(rows: list[dict[str, Any]], is_overridden: Callable[..., bool],
                    src: Sources) -> dict[str, Any]:
    """The pair search in brief: how many were searched and kept, why the others were not
    ranked, the best ranked (the log lists them by rank gain, best first), and every pair
    in a collapsed table (hundreds of rows would bury the characteristics' log)."""
    def is_kept(r: Mapping[str, Any]) -> bool:
        return bool(r["decision"] == "in")

    def is_ranked(r: Mapping[str, Any]) -> bool:
        return str(r["reason"]).startswith("rank gain")

    kept = [r for r in rows if is_kept(r)]
    ranked = [r for r in rows if is_ranked(r)]
    unranked = Counter(str(r["reason"]) for r in rows if not (is_kept(r) or is_ranked(r)))
    why = "; ".join(f"{n:,} {reason}" for reason, n in sorted(unranked.items(),
                                                              key=lambda x: (-x[1], x[0])))
    lead = (f"{len(rows):,} pair(s) searched, {len(kept):,} kept. {len(ranked):,} were ranked "
            "on the main effects' residuals" + (f"; not ranked: {why}" if why else "") + ".")
    cols = [Col("Pair", key("feature"), num=False), Col("IV", key("iv"), fmt),
            Col("Decision", key("decision"), num=False),
            Col("Reason", key("reason"), num=False, wrap=True),
            Col("Overridden", is_overridden, yes_no, num=False)]
    shown = kept + [r for r in ranked if not is_kept(r)][:PAIRS_SHOWN]
    return {"lead": lead,
            "top": table(shown, cols, "The pairs kept and the best ranked of the others, in "
                         f"the log's order. Source: {src.published}.",
                         flag=is_kept) if shown else None,
            "all": table(rows, cols, f"Every pair searched. Source: {src.published}.",
                         flag=is_kept),
            "n": len(rows)}


def _grid(f: Mapping[str, Any], src: Sources) -> Table:
    """An interaction's points grid: one row per bin of its first parent, one column per bin
    of its second (the artifact's ``grid``, shape (n_x, n_y))."""
    px, py = f["parents"]
    rows = [{"x": b["label"], **{f"c{j}": f["grid"][i][j] for j in range(len(py["bins"]))}}
            for i, b in enumerate(px["bins"])]
    cols = [Col(f"{px['name']} \\ {py['name']}", key("x"), num=False),
            *(Col(str(b["label"]), key(f"c{j}"), str) for j, b in enumerate(py["bins"]))]
    return table(rows, cols, f"{f['name']}: points per cell, rows the bins of {px['name']}, "
                 f"columns the bins of {py['name']}. Source: {src.published}.")


def _characteristic(f: Mapping[str, Any], overridden: bool, src: Sources) -> dict[str, Any]:
    total = sum(int(b.get("count") or 0) for b in f["bins"]) or 1
    interaction = f.get("kind") == "interaction"
    # An empty bin (a special code never seen in development) has no default rate.
    bins = [{**b, "share": (b.get("count") or 0) / total, "code": f.get("reason_code"),
             "rate": b.get("event_rate") if b.get("count") else None} for b in f["bins"]]
    return {
        "name": f["name"],
        "pills": [f.get("reason_code"), f"IV {fmt(f.get('iv'), 3)}", feature_direction(f)],
        "overridden": overridden,
        "description": f.get("description") or "",
        "coefficient": fmt(f.get("coefficient")),
        "unseen": f.get("unseen_points"),
        # An interaction's cells are a grid (below), not a row of bins to draw.
        "figure": None if interaction else (
            plots.feature_plot(f),
            f"{f['name']}: WoE and points per bin. Source: {src.published}."),
        "grid": _grid(f, src) if interaction else None,
        "bins": table(bins, [
            Col("#", key("index"), str), Col("Bin", key("label"), num=False, wrap=True),
            Col("Type", key("type"), num=False), Col("Rows", key("count"), count),
            Col("Share", key("share"), pct), Col("Defaults", key("event"), count),
            Col("Default rate", key("rate"), pct), Col("WoE", key("woe"), fmt),
            Col("Points", key("points"), str), Col("Reason code", key("code"), num=False),
        ], f"{f['name']} bins. Source: {src.published}."),
    }


def _oracle(validation: ValidationResult, src: Sources) -> dict[str, Any]:
    od = validation.oracle_distance
    oracle = validation.models.get("oracle")
    if not od or not oracle:
        return {"table": None}
    rows = [{"model": plots.model_label(n), **od[n]} for n in plots.ordered_models(od)]
    return {
        "auc": fmt(oracle["holdout"]["auc"]), "brier": fmt(oracle["holdout"]["brier"]),
        "source": src.holdout,
        "table": table(rows, [
            Col("Model", key("model"), num=False),
            Col("AUC gap to oracle", key("auc_gap"), fmt, title="oracle AUC − model AUC"),
            Col("Brier excess", key("brier_gap"), fmt, title="model Brier − oracle Brier"),
            Col("Mean |pd − true pd|", key("mean_abs_pd_error"), pct),
        ], f"Distance of each model to the true pd. Source: {src.holdout}."),
    }


def _fairness(fairness: Mapping[str, Any]) -> dict[str, Any]:
    """The protected attributes of the spec tested on the holdout (only when named)."""
    from validation.fairness import AIR_THRESHOLD
    from validation.fairness_views import approval_chart, groups_table

    return {"lead": (f"The spec's protected attributes, never characteristics, tested on the "
                     f"{fairness['rows']:,} holdout rows with the validated card at the cut-off "
                     f"score {fairness['cutoff']} (the riskiest "
                     f"{fairness['declined_share']:.0%} of the development rows declined; "
                     f"{100 * fairness['approval_rate']:.1f} % of the holdout approved). A group "
                     f"is flagged when its adverse impact ratio is below {AIR_THRESHOLD} and "
                     "significant; the command scorecard fairness gives the full test."),
            "flagged": fairness["flagged"],
            "columns": [{"figure": (approval_chart(c, AIR_THRESHOLD, f"report:{i}"),
                                    f"Approval rate by {c['column']} (holdout); dark blue: the "
                                    f"reference group; dashed line: {AIR_THRESHOLD:.0%} of its "
                                    "rate."),
                         "table": groups_table(c)}
                        for i, c in enumerate(fairness["columns"])]}


def _reproducibility(artifact: Mapping[str, Any]) -> dict[str, Table]:
    meta = artifact.get("metadata", {})
    rows = [{"k": k, "v": json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v}
            for k, v in sorted(meta.get("config", {}).items())]
    rows += [{"k": f"library {k}", "v": v} for k, v in sorted(meta.get("libraries", {}).items())]
    return {"table": table(rows, [Col("Setting", key("k"), num=False),
                                  Col("Value", key("v"), str, num=False)],
                           "Configuration and library versions. Source: the artifact's "
                           "metadata; with the same data file (fingerprint above) they "
                           "reproduce this report byte for byte.")}


def render_html(artifact: Mapping[str, Any], validation: ValidationResult,
                selection_log: pd.DataFrame | None, coefficients: pd.DataFrame | None,
                metrics: Mapping[str, Any]) -> str:
    """The whole validation page as one string."""
    src = Sources.from_inputs(artifact, validation)
    sections = {
        "summary": _summary(artifact, validation, metrics, src),
        "discrimination": _discrimination(validation, src),
        "calibration": _calibration(validation, src),
        "master-scale": _master_scale(validation, src),
        "distributions": _distributions(artifact, validation, src),
        "stability": _stability(validation, src),
        "iv-vif": _iv_vif(validation, src),
        **({"fairness": _fairness(validation.fairness)} if validation.fairness
           else {}),
        "card": _card(artifact, selection_log, coefficients, src, validation),
        "oracle": _oracle(validation, src),
        "reproducibility": _reproducibility(artifact),
    }
    return environment().get_template("validation.html.j2").render(
        model_id=artifact.get("model_id"),
        content_hash=artifact.get("content_hash"),
        nav=[(anchor, title) for anchor, title in NAV if anchor in sections],
        header_items=_header_items(artifact, metrics), sections=sections)
