"""The validation report: ``validation.html``, ``MODEL.md`` and ``metrics.json`` as text.

:func:`render_reports` receives plain data only (the sealed artifact dict, the
``validation`` dict built by ``scorecard.jobs.model_validation.validate_card``, the selection
log and the coefficient table) and returns each file's text; writing them is the caller's
(``scorecard.jobs.reports``), so this package imports nothing else of the project.

Guarantees:

* **Self-contained.** One HTML page with inline CSS and inline SVG; no script, no external
  font, stylesheet or image: it opens the same on an air-gapped reviewer's laptop.
* **Byte-deterministic.** Same inputs, same bytes: no timestamps, fixed float formats, fixed
  SVG hash salts (:mod:`validation.plots`), ``sort_keys`` JSON with floats rounded to six
  significant digits (so last-bit noise in a BLAS call does not churn the committed file).
* **Traceable.** Every figure and table names the split it comes from.
* **Tolerant.** Sections whose inputs are absent (no challenger, no true pd, no rows to
  predict) say "not applicable" and why, instead of failing.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from validation import plots
from validation.model_doc import (
    count,
    design_sentence,
    feature_direction,
    findings,
    fmt,
    models_in,
    pct,
    pval,
    render_model_md,
)

METRICS_SCHEMA_VERSION = 1
METRIC_KEYS = ("auc", "gini", "ks", "brier", "log_loss", "ece")
HOLDOUT_KEYS = (*METRIC_KEYS, "auc_ci_low", "auc_ci_high", "gini_ci_low", "gini_ci_high",
                "mean_pd", "default_rate", "n", "defaults")


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------


def render_reports(artifact: dict, validation: dict, selection_log: pd.DataFrame,
                   coefficients: pd.DataFrame) -> dict[str, str]:
    """The text of ``metrics.json``, ``MODEL.md`` and ``validation.html``, by file name."""
    metrics = build_metrics(artifact, validation)
    page = render_html(artifact, validation, selection_log, coefficients, metrics)
    doc = render_model_md(artifact, validation, metrics, selection_log)
    return {"metrics.json": dumps_metrics(metrics), "MODEL.md": doc, "validation.html": page}


# ------------------------------------------------------------------------------------------
# metrics.json
# ------------------------------------------------------------------------------------------


def _r(x: Any) -> float | int | None:
    """Round a float to 6 significant digits (``None`` for missing / non-finite)."""
    if x is None:
        return None
    if isinstance(x, bool | np.bool_):
        return int(x)
    if isinstance(x, int | np.integer):
        return int(x)
    x = float(x)
    return float(f"{x:.6g}") if math.isfinite(x) else None


def _holdout_split(validation: Mapping[str, Any]) -> dict[str, Any]:
    for s in validation.get("design", {}).get("splits", []):
        if s.get("name") == "holdout":
            return s
    return {}


def build_metrics(artifact: Mapping[str, Any], validation: Mapping[str, Any]) -> dict[str, Any]:
    """The machine-readable headline figures (documented key by key in the README)."""
    design = validation.get("design", {})
    hold = _holdout_split(validation)
    data = artifact.get("metadata", {}).get("training_data", {})
    models: dict[str, Any] = {}
    for name, m in validation["models"].items():
        entry: dict[str, Any] = {"holdout": {k: _r(m["holdout"].get(k)) for k in HOLDOUT_KEYS}}
        cv = m.get("cv")
        entry["cv"] = ({**{f"{k}_{s}": _r(cv.get(f"{k}_{s}")) for k in METRIC_KEYS
                           for s in ("mean", "std")}, "n_folds": len(cv.get("folds", []))}
                       if cv else None)
        models[name] = entry
    delong = validation.get("delong")
    od = validation.get("oracle_distance")
    stab = validation.get("stability") or {}
    stability = None
    if "psi" in stab:
        csi = stab.get("csi")
        top = csi.iloc[0] if isinstance(csi, pd.DataFrame) and not csi.empty else None
        stability = {
            "score_psi": _r(stab["psi"]["psi"]),
            "score_psi_status": stab["psi"]["status"],
            "n_reference": int(stab["psi"]["n_ref"]),
            "n_target": int(stab["psi"]["n_target"]),
            "max_csi": _r(top["csi"]) if top is not None else None,
            "max_csi_characteristic": str(top["characteristic"]) if top is not None else None,
        }
    hl = validation.get("hosmer_lemeshow") or {}
    grades = validation.get("grades")
    outside: list[str] = []
    under: list[str] = []
    if isinstance(grades, pd.DataFrame) and not grades.empty:
        outside = [str(g) for g in grades.loc[grades["outside_interval"], "grade"]]
        under = [str(g) for g in grades.loc[grades["underestimated"], "grade"]]
    rounding = validation.get("rounding", {})
    return {
        "schema_version": METRICS_SCHEMA_VERSION,
        "model_id": artifact.get("model_id"),
        "content_hash": artifact.get("content_hash"),
        "data": {
            "file": data.get("file"),
            "fingerprint": data.get("fingerprint"),
            "rows": data.get("rows"),
            "labelled": data.get("labelled"),
            "to_predict": data.get("to_predict"),
            "default_rate": _r(data.get("default_rate")),
        },
        "design": {
            "seed": design.get("seed"),
            "holdout_fraction": _r(design.get("holdout_fraction")),
            "cv_folds": design.get("n_splits"),
            "cv_repeats": design.get("n_repeats"),
            "n_labelled": design.get("n"),
            "n_development": hold.get("n_train"),
            "n_holdout": hold.get("n_test"),
            "holdout_defaults": hold.get("defaults_test"),
            "split_fingerprint": design.get("fingerprint"),
        },
        "models": models,
        "delong": None if not delong else {
            "model_a": "scorecard",
            "model_b": "challenger",
            "auc_difference": _r(delong["difference"]),
            "ci_low": _r(delong["ci_low"]),
            "ci_high": _r(delong["ci_high"]),
            "z": _r(delong["z"]),
            "p_value": _r(delong["p_value"]),
        },
        "oracle_distance": None if not od else {
            name: {k: _r(v) for k, v in d.items()} for name, d in od.items()},
        "rounding": {k: _r(rounding.get(k)) for k in ("auc_unrounded", "auc_rounded",
                                                       "auc_cost")},
        "calibration": {
            "hosmer_lemeshow_statistic": _r(hl.get("statistic")),
            "hosmer_lemeshow_dof": hl.get("dof"),
            "hosmer_lemeshow_p_value": _r(hl.get("p_value")),
            "grades_outside_interval": outside,
            "grades_underestimated": under,
        },
        "stability": stability,
    }


def dumps_metrics(metrics: Mapping[str, Any]) -> str:
    """``metrics.json`` text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(metrics, indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


# ------------------------------------------------------------------------------------------
# HTML building blocks
# ------------------------------------------------------------------------------------------


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


@dataclass(frozen=True)
class Col:
    """One table column: header, value getter, formatter, and whether it is numeric
    (right-aligned)."""

    head: str
    get: Callable[[Mapping[str, Any]], Any]
    fmt: Callable[[Any], str] = str
    num: bool = True
    title: str = ""
    wrap: bool = False  # long free text (descriptions, reasons) may wrap; the rest may not


def key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get(name)


def table(rows: Sequence[Mapping[str, Any]], cols: Sequence[Col], caption: str,
          flag: Callable[[Mapping[str, Any]], bool] | None = None, cls: str = "") -> str:
    """An HTML table; ``caption`` should name the source split; flagged rows are tinted."""
    head = "".join(f'<th class="{"num" if c.num else "txt"}"'
                   + (f' title="{esc(c.title)}"' if c.title else "") + f">{esc(c.head)}</th>"
                   for c in cols)
    body = []
    for row in rows:
        tr = ' class="flagged"' if flag is not None and flag(row) else ""
        cells = "".join(f'<td class="{_cell_class(c)}">{esc(c.fmt(c.get(row)))}</td>'
                        for c in cols)
        body.append(f"<tr{tr}>{cells}</tr>")
    klass = f' class="{cls}"' if cls else ""
    return (f'<div class="tablewrap"><table{klass}><caption>{esc(caption)}</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def _cell_class(c: Col) -> str:
    return "num" if c.num else ("txt wrap" if c.wrap else "txt")


def figure(svg: str, caption: str) -> str:
    return f'<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def na(reason: str) -> str:
    return f'<p class="na">Not applicable: {esc(reason)}</p>'


def records(frame: Any) -> list[dict[str, Any]]:
    if isinstance(frame, pd.DataFrame):
        return frame.to_dict(orient="records")
    return list(frame or [])


def yes_no(x: Any) -> str:
    return "yes" if bool(x) else "no"


def flag_text(x: Any) -> str:
    return "FLAG" if bool(x) else "ok"


def f2(x: Any) -> str:
    return fmt(x, 2)


def f3(x: Any) -> str:
    return fmt(x, 3)


def g(x: Any) -> str:
    """Score cut-offs and bounds: short general format, infinities as symbols."""
    if x is None:
        return "–"
    x = float(x)
    if math.isinf(x):
        return "+∞" if x > 0 else "−∞"
    return f"{x:.2f}" if x != round(x) else f"{x:.0f}"


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

    @classmethod
    def from_inputs(cls, artifact: Mapping[str, Any],
                    validation: Mapping[str, Any]) -> Sources:
        d = validation.get("design", {})
        h = _holdout_split(validation)
        n_pred = int(artifact.get("metadata", {}).get("training_data", {}).get("to_predict")
                     or len(validation.get("score_distribution", {}).get("to_predict", [])))
        return cls(
            holdout=f"holdout (n={count(h.get('n_test'))}, "
                    f"{count(h.get('defaults_test'))} defaults)",
            development=f"development sample (n={count(h.get('n_train'))}, "
                        f"{count(h.get('defaults_train'))} defaults)",
            cv=f"{d.get('n_splits')}x{d.get('n_repeats')} stratified CV on the development "
               f"rows (n={count(h.get('n_train'))})",
            to_predict=f"rows to predict (n={count(n_pred)}, unlabelled)",
            has_to_predict=n_pred > 0,
        )


# ------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------

CSS = """
:root{--ink:#1d2433;--muted:#5b6475;--line:#d9dde5;--bg:#f7f8fa;--accent:#1f4e79;
--flag:#c00000;--flagbg:#fdecea;--ok:#2e7d32}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",
"Liberation Sans",Arial,sans-serif;color:var(--ink);background:#fff}
header{background:var(--accent);color:#fff;padding:18px 32px 14px}
header h1{margin:0 0 6px;font-size:22px;font-weight:600}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;
font-size:12.5px}
header dt{opacity:.8}header dd{margin:0;font-family:ui-monospace,"DejaVu Sans Mono",
monospace;word-break:break-all}
nav{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);
padding:8px 32px;font-size:13px}
nav a{color:var(--accent);text-decoration:none;margin-right:16px;white-space:nowrap}
nav a:hover{text-decoration:underline}
main{max-width:1240px;padding:8px 32px 48px}
section{border-bottom:1px solid var(--line);padding:8px 0 20px}
h2{font-size:19px;margin:20px 0 8px;color:var(--accent)}
h3{font-size:15.5px;margin:22px 0 6px}
h4{font-size:13.5px;margin:14px 0 4px;color:var(--muted)}
p.lead{color:var(--muted);margin:4px 0 10px}
p.na{color:var(--muted);font-style:italic;background:var(--bg);padding:8px 12px;
border-left:3px solid var(--line)}
ul.findings li{margin:3px 0}
.tablewrap{overflow-x:auto;margin:8px 0 14px}
table{border-collapse:collapse;font-size:12.5px;min-width:40%}
caption{caption-side:top;text-align:left;color:var(--muted);font-size:12px;padding:2px 0 4px}
th,td{padding:3px 9px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600;border-bottom:2px solid var(--line)}
th.num{text-align:right}th.txt{text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.txt{text-align:left;white-space:nowrap}
td.wrap{white-space:normal;min-width:14em;max-width:46em}
tbody tr:nth-child(even){background:#fbfbfc}
tr.flagged td{background:var(--flagbg)}
table.headline td:first-child{font-weight:600}
figure{margin:10px 0 16px;display:inline-block;vertical-align:top;max-width:100%}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12px;color:var(--muted);margin-top:2px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:13px;
margin:6px 0 12px}
.kv dt{color:var(--muted)}.kv dd{margin:0}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.pill{display:inline-block;padding:0 7px;border-radius:9px;font-size:11.5px;
background:var(--bg);border:1px solid var(--line);margin-left:6px}
.pill.flag{background:var(--flagbg);border-color:#f1b0ab;color:var(--flag)}
.feature{border-top:1px dashed var(--line);margin-top:8px}
.feature h4{color:var(--ink);font-size:14.5px}
footer{color:var(--muted);font-size:12px;padding:16px 32px}
"""

NAV = (("summary", "Summary"), ("discrimination", "Discrimination"),
       ("calibration", "Calibration"), ("master-scale", "Master scale"),
       ("distributions", "Distributions"), ("stability", "Stability"),
       ("iv-vif", "IV & VIF"), ("card", "The card"), ("oracle", "Oracle"),
       ("reproducibility", "Reproducibility"))


def _header(artifact: Mapping[str, Any], validation: Mapping[str, Any],
            metrics: Mapping[str, Any]) -> str:
    data = artifact.get("metadata", {}).get("training_data", {})
    d = metrics["design"]
    items = [
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
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    nav = "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in NAV)
    return (f"<header><h1>Scorecard validation report · {esc(artifact.get('model_id'))}</h1>"
            f"<dl>{dl}</dl></header><nav>{nav}</nav>")


def _summary(artifact: Mapping[str, Any], validation: Mapping[str, Any],
             metrics: Mapping[str, Any], src: Sources) -> str:
    parts = ['<section id="summary"><h2>Summary</h2>',
             f'<p class="lead">Design: {esc(design_sentence(metrics))}.</p>',
             "<h3>Findings and limitations</h3><ul class=\"findings\">"]
    parts += [f"<li>{esc(s)}</li>" for s in findings(artifact, validation, metrics)]
    parts.append("</ul><h3>Headline figures</h3>")
    rows = []
    for name in models_in(metrics):
        m = metrics["models"][name]
        rows.append({"model": plots.model_label(name), **m["holdout"],
                     "cv": m.get("cv")})

    def cv_auc(cv: Any) -> str:
        return f"{fmt(cv['auc_mean'])} ± {fmt(cv['auc_std'])}" if cv else "–"

    cols = [
        Col("Model", key("model"), num=False),
        Col("AUC", key("auc"), fmt),
        Col("AUC 95 % CI", lambda r: (r["auc_ci_low"], r["auc_ci_high"]),
            lambda t: f"[{fmt(t[0])}, {fmt(t[1])}]", title="DeLong"),
        Col("Gini", key("gini"), fmt),
        Col("KS", key("ks"), fmt),
        Col("Brier", key("brier"), fmt),
        Col("Log loss", key("log_loss"), fmt),
        Col("ECE", key("ece"), fmt, title="expected calibration error, pd deciles"),
        Col("Mean pd", key("mean_pd"), pct),
        Col("Default rate", key("default_rate"), pct),
        Col("CV AUC mean ± sd", key("cv"), cv_auc, title=src.cv),
    ]
    parts.append(table(rows, cols, f"Source: {src.holdout}; last column: {src.cv}.",
                       cls="headline"))
    tests = []
    d = validation.get("delong")
    if d:
        tests.append(("DeLong test, card vs challenger (holdout)",
                      f"ΔAUC {d['difference']:+.4f} [{d['ci_low']:+.4f}, {d['ci_high']:+.4f}], "
                      f"z = {d['z']:.3f}, p = {pval(d['p_value'])}, correlation "
                      f"{d['correlation']:.3f}"))
    else:
        tests.append(("DeLong test, card vs challenger", "not applicable: no challenger run"))
    r = validation.get("rounding", {})
    tests.append(("Rounding cost (holdout)",
                  f"AUC unrounded {fmt(r.get('auc_unrounded'), 5)} → integer points "
                  f"{fmt(r.get('auc_rounded'), 5)}: cost {fmt(r.get('auc_cost'), 5)}"))
    hl = validation.get("hosmer_lemeshow") or {}
    if hl:
        tests.append(("Hosmer-Lemeshow (holdout, card)",
                      f"χ² = {fmt(hl.get('statistic'), 2)} on {hl.get('dof')} dof, "
                      f"p = {pval(hl.get('p_value'))}"))
    stab = metrics.get("stability")
    tests.append(("Score PSI (development → to predict)",
                  f"{fmt(stab['score_psi'])} ({stab['score_psi_status']})" if stab
                  else "not applicable: no rows to predict"))
    parts.append('<dl class="kv">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                              for k, v in tests) + "</dl>")
    parts.append(_cv_tables(validation, src))
    parts.append("</section>")
    return "".join(parts)


def _cv_tables(validation: Mapping[str, Any], src: Sources) -> str:
    models = validation["models"]
    names = [n for n in plots.ordered_models(models) if models[n].get("cv")]
    if not names:
        return na("no cross-validation results")
    rows = []
    for n in names:
        cv = models[n]["cv"]
        rows.append({"model": plots.model_label(n),
                     **{k: (cv.get(f"{k}_mean"), cv.get(f"{k}_std")) for k in METRIC_KEYS}})
    cols = [Col("Model", key("model"), num=False)] + [
        Col(label, key(k), lambda t: f"{fmt(t[0])} ± {fmt(t[1])}")
        for k, label in zip(METRIC_KEYS, ("AUC", "Gini", "KS", "Brier", "Log loss", "ECE"),
                            strict=True)]
    out = ["<h3>Cross-validation</h3>",
           table(rows, cols, f"Source: {src.cv}; mean ± sd over folds; every model refitted "
                             "per fold with parameters tuned on the development rows only.")]
    fold_names = [f["split"] for f in models[names[0]]["cv"]["folds"]]
    fold_rows = []
    for i, split in enumerate(fold_names):
        row: dict[str, Any] = {"split": split}
        for n in names:
            folds = models[n]["cv"]["folds"]
            row[n] = folds[i]["auc"] if i < len(folds) else None
            row["n"] = folds[i]["n"] if i < len(folds) else None
        fold_rows.append(row)
    fcols = [Col("Fold", key("split"), num=False), Col("Test rows", key("n"), count)]
    fcols += [Col(f"AUC {plots.model_label(n)}", key(n), fmt) for n in names]
    out.append(table(fold_rows, fcols, f"Source: {src.cv}; AUC on each fold's test rows."))
    params = [(n, models[n]["best_params"]) for n in names if models[n].get("best_params")]
    if params:
        out.append("<h4>Challenger parameters (tuned by inner CV on the development rows)</h4>"
                   '<dl class="kv">')
        for n, p in params:
            text = ", ".join(f"{k} = {v}" for k, v in sorted(p.items()))
            out.append(f"<dt>{esc(plots.model_label(n))}</dt><dd class=\"mono\">{esc(text)}</dd>")
        out.append("</dl>")
    return "".join(out)


def _discrimination(validation: Mapping[str, Any], src: Sources) -> str:
    curves = validation.get("curves") or {}
    parts = ['<section id="discrimination"><h2>Discrimination</h2>']
    if not curves:
        parts.append(na("no curves in the validation results"))
        return "".join(parts) + "</section>"
    parts.append(f'<p class="lead">All models overlaid; every curve is on the '
                 f'{esc(src.holdout)}.</p>')
    parts.append(figure(plots.roc_plot(curves, "holdout"), f"ROC curves. Source: {src.holdout}."))
    parts.append(figure(plots.cap_plot(curves, "holdout"),
                        f"Cumulative accuracy profiles (AR = Gini). Source: {src.holdout}."))
    parts.append(figure(plots.ks_plot(curves, "holdout"),
                        f"KS: cumulative bads and goods by cut-off. Source: {src.holdout}."))
    rows = []
    for n in plots.ordered_models(curves):
        ks = curves[n]["ks"]["ks"]
        rows.append({"model": plots.model_label(n), **ks})
    parts.append(table(rows, [
        Col("Model", key("model"), num=False), Col("KS", key("ks"), fmt),
        Col("At pd ≥", key("threshold"), fmt, title="cut-off on the model's pd"),
        Col("Population flagged", key("population_share"), pct),
        Col("Bads flagged", key("bad_rate"), pct), Col("Goods flagged", key("good_rate"), pct),
    ], f"KS points. Source: {src.holdout}."))
    return "".join(parts) + "</section>"


def _calibration(validation: Mapping[str, Any], src: Sources) -> str:
    parts = ['<section id="calibration"><h2>Calibration</h2>']
    rel = validation.get("reliability") or {}
    if rel:
        parts.append(figure(plots.reliability_plot(rel, "holdout"),
                            f"Reliability by pd decile with Jeffreys 95 % intervals (on log "
                            f"axes a zero default rate sits on the lower edge). "
                            f"Source: {src.holdout}."))
        card = rel.get("scorecard")
        if isinstance(card, pd.DataFrame):
            parts.append(table(records(card), [
                Col("pd bin", key("bin"), lambda b: str(int(b) + 1)),
                Col("Rows", key("n"), count), Col("Defaults", key("defaults"), count),
                Col("pd range", lambda r: (r["p_min"], r["p_max"]),
                    lambda t: f"{pct(t[0])} – {pct(t[1])}"),
                Col("Mean pd", key("mean_pd"), pct), Col("Observed", key("observed"), pct),
                Col("Jeffreys 95 %", lambda r: (r["ci_low"], r["ci_high"]),
                    lambda t: f"[{pct(t[0])}, {pct(t[1])}]"),
                Col("Inside", lambda r: r["ci_low"] <= r["mean_pd"] <= r["ci_high"],
                    lambda b: "yes" if b else "NO"),
            ], f"Scorecard reliability table (equal-frequency pd bins, ties kept together). "
               f"Source: {src.holdout}.",
                flag=lambda r: not r["ci_low"] <= r["mean_pd"] <= r["ci_high"]))
    else:
        parts.append(na("no reliability curves"))
    hl = validation.get("hosmer_lemeshow") or {}
    if hl:
        verdict = ("calibration rejected at 5 %" if (hl.get("p_value") or 1) < 0.05
                   else "no evidence of miscalibration at 5 %")
        parts.append(f'<p><b>Hosmer-Lemeshow</b> (scorecard, {esc(src.holdout)}, '
                     f'{hl.get("n_groups")} pd groups): χ² = {esc(fmt(hl.get("statistic"), 2))} '
                     f'on {hl.get("dof")} dof, p = {esc(pval(hl.get("p_value")))}: '
                     f'{esc(verdict)}.</p>')
    grades = validation.get("grades")
    parts.append("<h3>Observed vs predicted per grade</h3>")
    if isinstance(grades, pd.DataFrame) and not grades.empty:
        parts.append(figure(plots.grade_plot(grades, "holdout"),
                            f"Per grade: observed default rate with Jeffreys 95 % interval "
                            f"and mean predicted pd. Source: {src.holdout}."))
        parts.append(table(records(grades), [
            Col("Grade", key("grade"), num=False), Col("Rows", key("n"), count),
            Col("Defaults", key("defaults"), count), Col("Observed", key("observed"), pct),
            Col("Predicted (mean pd)", key("predicted"), pct),
            Col("Jeffreys 95 %", lambda r: (r["ci_low"], r["ci_high"]),
                lambda t: f"[{pct(t[0])}, {pct(t[1])}]"),
            Col("Binomial p", key("binomial_p_value"), pval,
                title="one-sided P(X ≥ defaults), small = pd underestimated"),
            Col("Jeffreys p", key("jeffreys_p_value"), pval, title="ECB/TRIM form"),
            Col("Outside interval", key("outside_interval"), flag_text),
            Col("Underestimated", key("underestimated"), yes_no),
        ], f"Grade backtest; a flagged row's predicted pd lies outside the Jeffreys interval. "
           f"Source: {src.holdout}.", flag=lambda r: bool(r["outside_interval"])))
    else:
        parts.append(na("no grade backtest in the validation results"))
    return "".join(parts) + "</section>"


def _master_scale(artifact: Mapping[str, Any], validation: Mapping[str, Any],
                  src: Sources) -> str:
    parts = ['<section id="master-scale"><h2>Master scale and score bands</h2>']
    scale = validation.get("master_scale") or []
    if scale:
        parts.append(table(scale, [
            Col("Grade", key("grade"), num=False),
            Col("pd from", key("pd_low"), lambda x: pct(x, 3)),
            Col("pd to", key("pd_high"), lambda x: pct(x, 3)),
            Col("Nominal pd", key("pd_nominal"), lambda x: pct(x, 3),
                title="geometric mean of the grade's bounds"),
            Col("Score from", key("score_low"), lambda x: "−∞" if x is None else f"{x:.2f}"),
            Col("Score to", key("score_high"), lambda x: "+∞" if x is None else f"{x:.2f}"),
        ], "Master scale definition (fixed pd ladder; score = points). Source: the artifact, "
           "independent of any sample."))
    else:
        parts.append(na("no master scale"))
    bands = validation.get("score_bands")
    if isinstance(bands, pd.DataFrame) and not bands.empty:
        parts.append("<h3>Cut-off table</h3>")
        parts.append(table(records(bands), [
            Col("Band", key("band"), num=False),
            Col("Cut-off (score ≥)", key("cutoff"), g,
                title="approving score ≥ cut-off approves this band and all better ones"),
            Col("Scores seen", lambda r: (r["score_min"], r["score_max"]),
                lambda t: f"{g(t[0])} – {g(t[1])}"),
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
        ], f"Score bands by master-scale grade, best first. Source: {src.holdout}."))
    else:
        parts.append(na("no score-band table"))
    return "".join(parts) + "</section>"


def _distributions(artifact: Mapping[str, Any], validation: Mapping[str, Any],
                   src: Sources) -> str:
    dist = validation.get("score_distribution") or {}
    cuts = (artifact.get("master_scale") or {}).get("score_cuts") or []
    parts = ['<section id="distributions"><h2>Score distributions</h2>']
    good, bad = dist.get("holdout_good", []), dist.get("holdout_bad", [])
    if len(good) and len(bad):
        parts.append(figure(plots.score_hist_plot(
            [("Goods", good, plots.GOOD_COLOR), ("Bads", bad, plots.BAD_COLOR)],
            "Goods vs bads · holdout", "dist-holdout", cuts),
            f"Score distribution of goods and bads; dotted lines are master-scale cuts. "
            f"Source: {src.holdout}."))
    else:
        parts.append(na("no holdout scores"))
    dev, new = dist.get("development", []), dist.get("to_predict", [])
    if len(dev) and len(new):
        parts.append(figure(plots.score_hist_plot(
            [("Development", dev, "#5b9bd5"), ("To predict", new, "#ed7d31")],
            "Development vs to predict", "dist-shift", cuts),
            f"Score distribution. Source: {src.development} vs {src.to_predict}."))
    else:
        parts.append(na("there are no rows to predict to compare with the development "
                        "sample"))
    return "".join(parts) + "</section>"


def _stability(validation: Mapping[str, Any], src: Sources) -> str:
    parts = ['<section id="stability"><h2>Stability</h2>']
    stab = validation.get("stability") or {}
    if "psi" not in stab:
        parts.append(na("the data have no rows to predict, so there is no population to "
                        "compare with the development sample"))
        return "".join(parts) + "</section>"
    p = stab["psi"]
    parts.append(f'<p>Score PSI, reference = {esc(src.development)}, target = '
                 f'{esc(src.to_predict)}: <b>{esc(fmt(p["psi"]))}</b> ({esc(p["status"])}; '
                 f'&lt; 0.10 stable, 0.10–0.25 moderate, ≥ 0.25 significant; shares floored at '
                 f'{esc(p["eps"])}).</p>')
    parts.append(figure(plots.psi_plot(p["table"], "development vs to predict"),
                        f"Share per development score decile. Source: {src.development} vs "
                        f"{src.to_predict}."))
    parts.append(table(p["table"], [
        Col("Bin", key("bin"), lambda b: str(int(b) + 1)),
        Col("Score range", lambda r: r, plots._bin_range),
        Col("Development rows", key("ref_count"), count),
        Col("To-predict rows", key("target_count"), count),
        Col("Development share", key("ref_share"), pct),
        Col("To-predict share", key("target_share"), pct),
        Col("PSI contribution", key("contribution"), lambda x: fmt(x, 5)),
    ], f"PSI per score bin. Source: {src.development} vs {src.to_predict}."))
    csi = stab.get("csi")
    if isinstance(csi, pd.DataFrame) and not csi.empty:
        parts.append(table(records(csi), [
            Col("Characteristic", key("characteristic"), num=False),
            Col("CSI", key("csi"), lambda x: fmt(x, 5)), Col("Status", key("status"), num=False),
            Col("Bins", key("n_bins"), count),
        ], f"Characteristic stability (card bins), most shifted first. Source: "
           f"{src.development} vs {src.to_predict}.", flag=lambda r: r["status"] != "stable"))
    return "".join(parts) + "</section>"


def _iv_vif(validation: Mapping[str, Any], src: Sources) -> str:
    parts = ['<section id="iv-vif"><h2>Information value and multicollinearity</h2>']
    iv = validation.get("iv")
    if isinstance(iv, pd.DataFrame) and not iv.empty:
        parts.append(table(records(iv), [
            Col("Feature", key("feature"), num=False), Col("IV", key("iv"), fmt),
            Col("Strength", key("strength"), num=False,
                title="Siddiqi: <0.02 unpredictive, <0.1 weak, <0.3 medium, <0.5 strong"),
            Col("In card", key("in_card"), yes_no, num=False),
        ], f"Information value of every binned candidate. Source: {src.development}.",
            flag=lambda r: r["strength"] == "suspicious"))
    else:
        parts.append(na("no IV table"))
    vif = validation.get("vif")
    if isinstance(vif, pd.DataFrame) and not vif.empty:
        parts.append(table(records(vif), [
            Col("Characteristic", key("feature"), num=False), Col("VIF", key("vif"), f2),
            Col("R²", key("r_squared"), f3), Col("VIF > 5", key("high"), flag_text),
        ], f"Variance inflation of the card's WoE columns. Source: {src.development}.",
            flag=lambda r: bool(r["high"])))
    else:
        parts.append(na("no VIF table"))
    return "".join(parts) + "</section>"


def _card(artifact: Mapping[str, Any], selection_log: pd.DataFrame | None,
          coefficients: pd.DataFrame | None, src: Sources) -> str:
    sc = artifact["scaling"]
    features = artifact["features"]
    overridden = set(artifact.get("metadata", {}).get("config", {})
                     .get("overridden_features") or [])
    overridden |= {f["name"] for f in features if f.get("overridden")}
    parts = ['<section id="card"><h2>The card</h2>',
             f'<p class="lead">{sc["base_score"]:g} points at {sc["base_odds"]:g}:1 good:bad '
             f'odds, {sc["pdo"]:g} points to double the odds: factor {sc["factor"]:.4f}, '
             f'offset {sc["offset"]:.4f}, intercept {artifact.get("intercept", 0.0):.6f}. '
             f'<code>{esc(artifact.get("pd_formula", ""))}</code>. Bins, WoE, counts and '
             f'points come from the {esc(src.development)}.</p>']
    rows = []
    for f in features:
        pts = [b["points"] for b in f["bins"]]
        rows.append({"name": f["name"], "code": f.get("reason_code"),
                     "desc": f.get("description") or "", "iv": f.get("iv"),
                     "coef": f.get("coefficient"), "dir": feature_direction(f),
                     "bins": len(f["bins"]), "pts": (min(pts), max(pts)),
                     "unseen": f.get("unseen_points"), "ovr": f["name"] in overridden})
    parts.append(table(rows, [
        Col("Characteristic", key("name"), num=False),
        Col("Reason code", key("code"), num=False),
        Col("Description", key("desc"), num=False, wrap=True),
        Col("IV", key("iv"), fmt), Col("Coefficient", key("coef"), fmt),
        Col("Direction", key("dir"), num=False), Col("Bins", key("bins"), count),
        Col("Points", key("pts"), lambda t: f"{t[0]} – {t[1]}"),
        Col("Unseen value", key("unseen"), str, title="points for a category never seen"),
        Col("Overridden", key("ovr"), yes_no, num=False),
    ], f"Characteristics in the card. Source: {src.development}.",
        flag=lambda r: bool(r["ovr"])))
    if isinstance(coefficients, pd.DataFrame) and not coefficients.empty:
        parts.append("<h3>Logistic regression on WoE</h3>")
        parts.append(table(records(coefficients), [
            Col("Term", key("term"), num=False), Col("Coefficient", key("coef"), fmt),
            Col("SE", key("std_err"), fmt), Col("z", key("z"), f2),
            Col("p-value", key("p_value"), pval),
            Col("95 % CI", lambda r: (r["ci_low"], r["ci_high"]),
                lambda t: f"[{fmt(t[0])}, {fmt(t[1])}]"),
        ], f"Coefficients of pd's log-odds on WoE (negative = more WoE, less risk). "
           f"Source: {src.development}."))
    if isinstance(selection_log, pd.DataFrame) and not selection_log.empty:
        parts.append("<h3>Selection log</h3>")
        parts.append(table(records(selection_log), [
            Col("Feature", key("feature"), num=False), Col("IV", key("iv"), fmt),
            Col("Decision", key("decision"), num=False), Col("Step", key("step"), num=False),
            Col("Reason", key("reason"), num=False, wrap=True),
            Col("Overridden", lambda r: bool(r.get("overridden")) or r["feature"] in overridden,
                yes_no, num=False),
        ], f"Every candidate's decision; rows with binning overridden by the risk team are "
           f"tinted. Source: {src.development}.",
            flag=lambda r: bool(r.get("overridden")) or r["feature"] in overridden))
    parts.append("<h3>Characteristics</h3>")
    for f in features:
        total = sum(int(b.get("count") or 0) for b in f["bins"]) or 1
        pills = f'<span class="pill">{esc(f.get("reason_code"))}</span>'
        pills += f'<span class="pill">IV {esc(fmt(f.get("iv"), 3))}</span>'
        pills += f'<span class="pill">{esc(feature_direction(f))}</span>'
        if f["name"] in overridden:
            pills += '<span class="pill flag">binning overridden</span>'
        parts.append(f'<div class="feature" id="feature-{esc(f["name"])}">'
                     f'<h4>{esc(f["name"])}{pills}</h4>'
                     f'<p class="lead">{esc(f.get("description") or "")}; coefficient '
                     f'{esc(fmt(f.get("coefficient")))}; unseen values score '
                     f'{esc(f.get("unseen_points"))} points.</p>')
        parts.append(figure(plots.feature_plot(f), f"{f['name']}: WoE and points per bin. "
                                                   f"Source: {src.development}."))
        # An empty bin (a special code never seen in development) has no default rate.
        bins = [{**b, "share": (b.get("count") or 0) / total, "code": f.get("reason_code"),
                 "rate": b.get("event_rate") if b.get("count") else None} for b in f["bins"]]
        parts.append(table(bins, [
            Col("#", key("index"), str), Col("Bin", key("label"), num=False, wrap=True),
            Col("Type", key("type"), num=False), Col("Rows", key("count"), count),
            Col("Share", key("share"), pct), Col("Defaults", key("event"), count),
            Col("Default rate", key("rate"), pct), Col("WoE", key("woe"), fmt),
            Col("Points", key("points"), str), Col("Reason code", key("code"), num=False),
        ], f"{f['name']} bins. Source: {src.development}."))
        parts.append("</div>")
    return "".join(parts) + "</section>"


def _oracle(validation: Mapping[str, Any], src: Sources) -> str:
    parts = ['<section id="oracle"><h2>Oracle: distance to the true pd</h2>']
    od = validation.get("oracle_distance")
    oracle = validation["models"].get("oracle")
    if not od or not oracle:
        parts.append(na("the true pd is known only for generated data; for this data set it "
                        "is unknown"))
        return "".join(parts) + "</section>"
    h = oracle["holdout"]
    parts.append(f'<p>The oracle scores every holdout row with the generator\'s true pd: its '
                 f'AUC {esc(fmt(h["auc"]))} and Brier {esc(fmt(h["brier"]))} are what a '
                 f'perfect model would reach on these rows, up to sampling noise. Source: '
                 f'{esc(src.holdout)}.</p>')
    rows = [{"model": plots.model_label(n), **od[n]} for n in plots.ordered_models(od)]
    parts.append(table(rows, [
        Col("Model", key("model"), num=False),
        Col("AUC gap to oracle", key("auc_gap"), fmt, title="oracle AUC − model AUC"),
        Col("Brier excess", key("brier_gap"), fmt, title="model Brier − oracle Brier"),
        Col("Mean |pd − true pd|", key("mean_abs_pd_error"), pct),
    ], f"Distance of each model to the true pd. Source: {src.holdout}."))
    return "".join(parts) + "</section>"


def _reproducibility(artifact: Mapping[str, Any]) -> str:
    meta = artifact.get("metadata", {})
    cfg = meta.get("config", {})
    libs = meta.get("libraries", {})
    rows = [{"k": k, "v": json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v}
            for k, v in sorted(cfg.items())]
    rows += [{"k": f"library {k}", "v": v} for k, v in sorted(libs.items())]
    return ('<section id="reproducibility"><h2>Reproducibility</h2>'
            + table(rows, [Col("Setting", key("k"), num=False),
                           Col("Value", key("v"), str, num=False)],
                    "Configuration and library versions. Source: the artifact's metadata; "
                    "with the same data file (fingerprint above) they reproduce this report "
                    "byte for byte.")
            + "</section>")


def render_html(artifact: Mapping[str, Any], validation: Mapping[str, Any],
                selection_log: pd.DataFrame | None, coefficients: pd.DataFrame | None,
                metrics: Mapping[str, Any]) -> str:
    """The whole validation page as one string."""
    src = Sources.from_inputs(artifact, validation)
    body = [
        _header(artifact, validation, metrics),
        "<main>",
        _summary(artifact, validation, metrics, src),
        _discrimination(validation, src),
        _calibration(validation, src),
        _master_scale(artifact, validation, src),
        _distributions(artifact, validation, src),
        _stability(validation, src),
        _iv_vif(validation, src),
        _card(artifact, selection_log, coefficients, src),
        _oracle(validation, src),
        _reproducibility(artifact),
        "</main>",
        f"<footer>Generated from artifact {esc(artifact.get('content_hash'))}. Figures: "
        "metrics.json; one-page explanation: MODEL.md.</footer>",
    ]
    title = f"Validation report · {artifact.get('model_id')}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
