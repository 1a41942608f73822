"""The fairness page (``fairness.html``) of ``scorecard fairness``: plain data in, text out.

Receives the report dict of :mod:`scorecard.jobs.fairness` (every figure computed by
:mod:`validation.fairness`) and lays it out with ``templates/fairness.html.j2``, which extends
the validation report's ``base.html.j2``: one self-contained page, charts as inline SVG, no
script, no external URL, byte-deterministic (fixed SVG salts, fixed float formats).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from validation.plots import BAD_COLOR, GOOD_COLOR, _figure, _style, to_svg
from validation.report import environment
from validation.tables import Col, key, table

REF_COLOR, GREY = "#1f4e79", "#7f7f7f"


def _f(digits: int) -> Callable[[Any], str]:
    return lambda v: "–" if v is None else f"{v:.{digits}f}"


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def _height(n: int) -> float:
    return 1.2 + 0.32 * max(n, 2)


def approval_chart(column: Mapping[str, Any], air: float, salt: str) -> str:
    """Approval rate per group, the reference's in dark blue, flagged groups red, and the
    four-fifths line (``air`` x the reference rate)."""
    groups = column["groups"]
    names = [g["group"] for g in groups]
    rates = [g["approval_rate"] or 0.0 for g in groups]
    colors = [REF_COLOR if g.get("reference") else BAD_COLOR if g["group"] in column["flagged"]
              else GOOD_COLOR if g["tested"] else GREY for g in groups]
    title = f"Approval rate at the cut-off by {column['column']}"
    with _style(f"fairness:approval:{salt}"):
        fig, (ax,) = _figure(6.4, _height(len(names)))
        y = np.arange(len(names))
        ax.barh(y, rates, color=colors, height=0.6)
        for yi, r in zip(y, rates, strict=True):
            ax.text(r + 0.01, yi, f"{100 * r:.1f} %", va="center", fontsize=8)
        ref = next((g for g in groups if g.get("reference")), None)
        if ref is not None:
            ax.axvline(air * ref["approval_rate"], color=BAD_COLOR, linestyle="--",
                       linewidth=1.0, label=f"{air:.0%} of the reference rate")
            ax.legend(loc="lower right", frameon=False)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.12)
        ax.set(title=title, xlabel="share approved")
        return to_svg(fig, title)


def calibration_chart(column: Mapping[str, Any], salt: str) -> str | None:
    """Per group: the default rate with its Jeffreys interval and the mean pd."""
    rows = [g for g in column["groups"] if g.get("calibration")]
    if not rows:
        return None
    title = f"Default rate (Jeffreys 95 %) and mean pd by {column['column']}"
    with _style(f"fairness:calibration:{salt}"):
        fig, (ax,) = _figure(6.4, _height(len(rows)))
        y = np.arange(len(rows))
        c = [g["calibration"] for g in rows]
        rate = np.array([x["default_rate"] for x in c])
        lo = np.array([x["ci_low"] for x in c])
        hi = np.array([x["ci_high"] for x in c])
        ax.errorbar(rate, y, xerr=[rate - lo, hi - rate], fmt="o", color=REF_COLOR,
                    capsize=3, label="default rate")
        ax.scatter([x["mean_pd"] for x in c], y, marker="D", color=BAD_COLOR, zorder=3,
                   label="mean pd")
        ax.set_yticks(y, [g["group"] for g in rows])
        ax.invert_yaxis()
        top = max(float(hi.max()), max(x["mean_pd"] for x in c))
        ax.set_xlim(0, 1.1 * top if top > 0 else 1.0)
        ax.set(title=title, xlabel="rate")
        ax.legend(loc="best", frameon=False)
        return to_svg(fig, title)


def gap_chart(column: str, group: str, reference: str, gaps: Sequence[Mapping[str, Any]],
              salt: str) -> str:
    """Mean points of the group minus the reference group's, per characteristic."""
    title = f"Points {column}={group} minus {reference}, by characteristic"
    with _style(f"fairness:gaps:{salt}"):
        fig, (ax,) = _figure(6.4, _height(len(gaps)))
        y = np.arange(len(gaps))
        vals = [g["gap"] for g in gaps]
        ax.barh(y, vals, color=[BAD_COLOR if v < 0 else GOOD_COLOR for v in vals], height=0.6)
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_yticks(y, [g["characteristic"] for g in gaps])
        ax.invert_yaxis()
        ax.set(title=title, xlabel="mean points difference (negative: the group loses)")
        return to_svg(fig, title)


def _groups_table(column: Mapping[str, Any]) -> Any:
    rows = []
    for g in column["groups"]:
        air = g.get("air") or {}
        auc = g.get("auc") or {}
        cal = g.get("calibration") or {}
        rows.append({
            "group": g["group"] + (" (reference)" if g.get("reference") else ""),
            "n": g["n"], "share": g["share"], "rate": g["approval_rate"],
            "ratio": air.get("ratio"),
            "p": None if g.get("reference") else air.get("p_value"),
            "smd": None if g.get("reference") else g.get("smd"), "auc": auc.get("auc"),
            "auc_ci": (f"[{auc['ci_low']:.3f}, {auc['ci_high']:.3f}]" if auc else "–"),
            "dr": cal.get("default_rate"), "mpd": cal.get("mean_pd"),
            "jeff": (f"[{100 * cal['ci_low']:.2f}, {100 * cal['ci_high']:.2f}] %"
                     if cal else "–"),
            "status": ("not tested (too few rows)" if not g["tested"] else
                       "FLAGGED" if g["group"] in column["flagged"] else
                       "pd outside interval" if cal.get("outside_interval") else "ok"),
            "flag": g["group"] in column["flagged"]})
    return table(rows, [
        Col("Group", key("group"), num=False), Col("Rows", key("n"), lambda v: f"{v:,}"),
        Col("Share", key("share"), _pct), Col("Approved", key("rate"), _pct),
        Col("Impact ratio", key("ratio"), _f(3), title="approval rate / reference's"),
        Col("p (one-sided)", key("p"), lambda v: "–" if v is None else f"{v:.2g}"),
        Col("Score SMD", key("smd"), _f(3), title="standardised mean score difference"),
        Col("AUC", key("auc"), _f(3)), Col("AUC 95 % (DeLong)", key("auc_ci"), num=False),
        Col("Default rate", key("dr"), lambda v: "–" if v is None else f"{100 * v:.2f} %"),
        Col("Mean pd", key("mpd"), lambda v: "–" if v is None else f"{100 * v:.2f} %"),
        Col("Jeffreys 95 %", key("jeff"), num=False), Col("Status", key("status"), num=False)],
        f"Groups of {column['column']} ({column['source']}); reference {column['reference']}",
        flag=key("flag"))


def _reasons_table(column: Mapping[str, Any]) -> Any:
    rows = [{"group": g, "rank": i + 1, "code": r["code"], "ch": r["characteristic"],
             "share": r["share"]}
            for g, rs in column["reasons"].items() for i, r in enumerate(rs)]
    return table(rows, [Col("Group", key("group"), num=False), Col("Rank", key("rank"), str),
                        Col("Code", key("code"), num=False),
                        Col("Characteristic", key("ch"), num=False),
                        Col("Share of the group", key("share"), _pct)],
                 f"Most frequent first reason by {column['column']}")


def _refit_table(refit: Mapping[str, Any], column: str, group: str) -> Any:
    rows = [{"variant": ("the published card" if v.get("variant") == "published"
                         else "refitted with every characteristic" if v["drop"] is None
                         else f"refitted without {v['drop']}"),
             "auc": v["auc"], "ci": f"[{v['auc_ci_low']:.4f}, {v['auc_ci_high']:.4f}]",
             "cost": v["auc_cost"], "rate": v["approval_rate"], "air": v["air"]}
            for v in refit["variants"]]
    return table(rows, [Col("Variant", key("variant"), num=False),
                        Col("Holdout AUC", key("auc"), _f(4)),
                        Col("95 % (DeLong)", key("ci"), num=False),
                        Col("AUC cost", key("cost"), _f(4)),
                        Col(f"{group} approved", key("rate"), _pct),
                        Col("Impact ratio", key("air"), _f(3))],
                 f"Less discriminatory alternatives for {column}={group}: refitted on "
                 f"{refit['development_rows']:,} development rows, measured on "
                 f"{refit['holdout_rows']:,} holdout rows approving "
                 f"{100 * refit['approval_share']:.1f} %")


def render_fairness(report: Mapping[str, Any]) -> str:
    """The HTML text of the fairness page."""
    air = report["thresholds"]["air"]
    sections = []
    for i, col in enumerate(report["columns"]):
        charts = [(approval_chart(col, air, str(i)),
                   f"Dashed line: {air:.0%} of the reference group's rate (four-fifths rule). "
                   "Red: flagged; grey: too few rows to test.")]
        cal = calibration_chart(col, str(i))
        if cal:
            charts.append((cal, "Blue: observed default rate with its Jeffreys interval; "
                           "red diamond: the card's mean pd. A diamond outside the bar: the "
                           "card misstates the group's risk."))
        drivers = []
        for g, d in col["drivers"].items():
            drivers.append({
                "group": g,
                "figure": (gap_chart(col["column"], g, col["reference"], d["gaps"],
                                     f"{i}:{g}"),
                           "The characteristics where the group loses most points against "
                           "the reference group."),
                "refit": _refit_table(d["refit"], col["column"], g) if d["refit"] else None})
        sections.append({"anchor": f"column-{i + 1}", "column": col, "charts": charts,
                         "groups": _groups_table(col), "reasons": _reasons_table(col),
                         "drivers": drivers})
    cut = report["cutoff"]
    header_items = [
        ("card", report["content_hash"]),
        ("input", f"{report['input']}, {report['rows']:,} rows, {report['labelled']:,} with "
                  "outcomes"),
        ("cut-off", f"score ≥ {cut['score']} (pd ≤ {cut['pd']:.4f}), "
                    f"{100 * cut['approval_rate']:.1f} % approved"
                    + ("" if cut["given"] else " (default: the development sample's "
                       "lowest score decile declined)")),
        ("status", "adverse impact flagged" if report["flagged"] else "nothing flagged")]
    return environment().get_template("fairness.html.j2").render(
        report=report, sections=sections, header_items=header_items)
