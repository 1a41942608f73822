"""The monitoring page (``monitoring.html``) of ``scorecard monitor``: plain data in, text out.

Receives the report dict of :mod:`scorecard.jobs.monitor` (every figure already computed by
:mod:`validation.drift`) and lays it out with ``templates/monitoring.html.j2``, which
extends the validation report's ``base.html.j2``: one self-contained page, stylesheet
inlined, trend charts across periods as inline SVG, no script, no external URL,
byte-deterministic (fixed SVG salts, fixed float formats).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from validation.plots import _figure, _style, to_svg
from validation.report import environment
from validation.tables import Col, key, table

AMBER, RED = "#bf9000", "#c00000"


def _f(digits: int) -> Callable[[Any], str]:
    return lambda v: "–" if v is None else f"{v:.{digits}f}"


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.2f} %"


def _trend(periods: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str,
           ylabel: str, salt: str, lines: Sequence[tuple[float, str]] = (),
           bands: Mapping[str, tuple[Sequence[float | None], Sequence[float | None]]] | None
           = None, zero_based: bool = False) -> str:
    with _style(f"monitoring:{salt}"):
        fig, (ax,) = _figure(6.4, 3.0)
        x = np.arange(len(periods))
        for i, (label, ys) in enumerate(series.items()):
            y = np.array([np.nan if v is None else v for v in ys], dtype=float)
            ax.plot(x, y, marker="o", label=label, color=("#1f4e79", "#c55a11", "#548235",
                                                          "#7f7f7f")[i % 4])
            if bands and label in bands:
                lo, hi = (np.array([np.nan if v is None else v for v in b], dtype=float)
                          for b in bands[label])
                ax.fill_between(x, lo, hi, color="#8faadc", alpha=0.35, linewidth=0)
        for value, colour in lines:
            ax.axhline(value, color=colour, linestyle="--", linewidth=1.0)
        ax.set_xticks(x, list(periods), rotation=30 if len(periods) > 6 else 0)
        ax.set(title=title, ylabel=ylabel, xlabel="Period")
        # Plain tick labels, never an offset ("+1.086e4"): counts read as they are, and a
        # count axis starts at zero so 10,860 vs 10,861 does not look like 0 vs 1.
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        if zero_based:
            ax.set_ylim(bottom=0, top=max(1.0, ax.get_ylim()[1]) * 1.05)
        ax.legend(loc="best", frameon=False)
        return to_svg(fig, title)


def _largest_csi(period: Mapping[str, Any]) -> Mapping[str, Any]:
    """The characteristic with the largest CSI in ``period`` (the first on a tie)."""
    return max(period["characteristics"], key=lambda c: c["csi"])


def render_monitoring(report: Mapping[str, Any]) -> str:
    """The HTML text of the monitoring page."""
    periods = report["periods"]
    names = [p["name"] for p in periods]
    largest = [_largest_csi(p) for p in periods]
    charts = [(_trend(names, {"score PSI": [p["score"]["psi"] for p in periods],
                              "largest CSI": [c["csi"] for c in largest]},
                      "Score PSI and largest CSI per period", "index", "psi",
                      [(0.10, AMBER), (0.25, RED)]),
               "Amber line 0.10, red line 0.25; reference = the card's development sample. "
               "Largest CSI: " + ", ".join(f"{n} {c['name']}" for n, c in
                                           zip(names, largest, strict=True)) + "."),
              (_trend(names, {"volume": [p["volume"] for p in periods]},
                      "Applicants per period", "applicants", "volume", zero_based=True),
               "Scored applicants (axis from zero).")]
    if any(p["grades"] for p in periods):
        charts.append((_trend(names, {"HHI": [p["grades"]["hhi"] if p["grades"] else None
                                              for p in periods]},
                              "Herfindahl index of the grade distribution", "HHI", "hhi"),
                       "sum of squared grade shares; 1/G when even, 1 when concentrated."))
    with_outcomes = [p for p in periods if p.get("outcomes")]
    if with_outcomes:
        auc = [p["outcomes"].get("auc") if p.get("outcomes") else None for p in periods]
        ref = report["reference"]["auc"]
        charts.append((_trend(
            names, {"AUC": [a["auc"] if a else None for a in auc]}, "AUC per period (DeLong "
            "95 % interval)", "AUC", "auc", [(ref, "#7f7f7f")] if ref is not None else [],
            {"AUC": ([a["ci_low"] if a else None for a in auc],
                     [a["ci_high"] if a else None for a in auc])}),
            f"Grey line: development AUC ({report['reference']['auc_source']})."))
        cal = [p["outcomes"]["calibration"] if p.get("outcomes") else None for p in periods]
        charts.append((_trend(names, {"default rate": [c["default_rate"] if c else None
                                                       for c in cal],
                                      "mean pd": [c["mean_pd"] if c else None for c in cal]},
                              "Default rate and mean pd per period", "rate", "calibration"),
                       "Calibration in the large."))
    fair = [p.get("fairness") for p in periods]
    for col in dict.fromkeys(c for f in fair if f for c in f["columns"]):
        groups = sorted({g for f in fair if f and col in f["columns"]
                         for g in f["columns"][col]["ratios"]})
        charts.append((_trend(names, {g: [f["columns"][col]["ratios"].get(g)
                                          if f and col in f["columns"] else None
                                          for f in fair] for g in groups},
                              f"Adverse impact ratio by {col} per period", "ratio",
                              f"air:{col}", [(0.80, RED)]),
                       f"Approval rate of each group of the protected attribute {col} over "
                       "the reference group's at the default cut-off of scorecard fairness; "
                       "red line 0.80 (four-fifths rule)."))
    summary = table(
        [{"name": p["name"], "volume": p["volume"], "psi": p["score"]["psi"],
          "max_csi": _largest_csi(p)["csi"], "max_csi_name": _largest_csi(p)["name"],
          "hhi": p["grades"]["hhi"] if p["grades"] else None,
          "auc": (p.get("outcomes") or {}).get("auc", {}).get("auc"),
          "dr": (p.get("outcomes") or {}).get("calibration", {}).get("default_rate"),
          "mpd": (p.get("outcomes") or {}).get("calibration", {}).get("mean_pd"),
          "status": "breach" if p["breaches"] else ("warning" if p["warnings"] else "ok"),
          "flag": bool(p["breaches"])} for p in periods],
        [Col("Period", key("name"), num=False), Col("Applicants", key("volume"), str),
         Col("Score PSI", key("psi"), _f(4)), Col("Max CSI", key("max_csi"), _f(4)),
         Col("Max CSI characteristic", key("max_csi_name"), num=False),
         Col("Grade HHI", key("hhi"), _f(4)), Col("AUC", key("auc"), _f(4)),
         Col("Default rate", key("dr"), _pct), Col("Mean pd", key("mpd"), _pct),
         Col("Status", key("status"), num=False)],
        "Every period against the development sample", flag=key("flag"))
    seen = report.get("oversight")
    oversight = None
    if seen:  # from the decision log: referrals, overrides and the backlog per period
        rows = [{"name": name, **o} for name, o in seen["periods"].items()]
        rows.append({"name": "all", **seen})
        oversight = table(
            rows,
            [Col("Period", key("name"), num=False), Col("Decisions", key("decisions"), str),
             Col("Referred", key("referred"), str),
             Col("Declines referred", key("referred_declines"), str),
             Col("Overridden", key("overridden"), str),
             Col("Override rate", key("override_rate"), _pct),
             Col("Referrals open", key("open_referrals"), str)],
            "Human oversight: referrals, reviewers' overrides and the referral backlog")
    details = []
    for p in periods:
        tables = [table(p["score"]["bands"],
                        [Col("Band", key("band"), str), Col("Score range", key("range"),
                                                              num=False),
                         Col("Applicants", key("count"), str),
                         Col("Development share", key("ref_share"), _pct),
                         Col("Share", key("share"), _pct),
                         Col("PSI contribution", key("contribution"), _f(4))],
                        f"Score bands · {p['name']} (PSI {p['score']['psi']:.4f})"),
                  table(p["characteristics"],
                        [Col("Characteristic", key("name"), num=False),
                         Col("CSI", key("csi"), _f(4)),
                         Col("Light", key("light"), num=False),
                         Col("Missing", key("missing_share"), _pct),
                         Col("Missing (dev)", key("ref_missing_share"), _pct),
                         Col("Unseen categories", key("unseen_share"), _pct)],
                        f"Characteristic stability · {p['name']}",
                        flag=lambda r: r["light"] == "red")]
        if p["grades"]:
            g = p["grades"]
            tables.append(table(
                [{"grade": lab, "count": c, "ref": r, "share": s} for lab, c, r, s in
                 zip(g["labels"], g["counts"], g["ref_shares"], g["shares"], strict=True)],
                [Col("Grade", key("grade"), num=False), Col("Applicants", key("count"), str),
                 Col("Development share", key("ref"), _pct), Col("Share", key("share"), _pct)],
                f"Grades · {p['name']} (HHI {g['hhi']:.4f}, development {g['ref_hhi']:.4f})"))
        o = p.get("outcomes")
        if o and o.get("grade_tests"):
            tables.append(table(
                o["grade_tests"],
                [Col("Grade", key("grade"), num=False), Col("n", key("n"), str),
                 Col("Defaults", key("defaults"), str), Col("Observed", key("observed"), _pct),
                 Col("Predicted", key("predicted"), _pct),
                 Col("Jeffreys low", key("ci_low"), _pct),
                 Col("Jeffreys high", key("ci_high"), _pct),
                 Col("Binomial p", key("binomial_p_value"), _f(4))],
                f"Per-grade back-test · {p['name']}", flag=key("outside_interval")))
        details.append({"name": p["name"], "breaches": p["breaches"],
                        "warnings": p["warnings"], "outcomes": o, "tables": tables})
    return environment().get_template("monitoring.html.j2").render(
        report=report, charts=charts, summary=summary, details=details, oversight=oversight)
