"""The fairness page (``fairness.html``) of ``scorecard fairness``: plain data in, text out.

Receives the report dict of :mod:`scorecard.jobs.fairness` (every figure computed by
:mod:`validation.fairness`) and lays it out with ``templates/fairness.html.j2``, which extends
the validation report's ``base.html.j2``: one self-contained page, charts as inline SVG, no
script, no external URL, byte-deterministic (fixed SVG salts, fixed float formats).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validation.fairness_views import (
    approval_chart,
    calibration_chart,
    f_digits,
    gap_chart,
    groups_table,
    pct,
)
from validation.report import environment
from validation.tables import Col, key, table


def _reasons_table(column: Mapping[str, Any]) -> Any:
    rows = [{"group": g, "rank": i + 1, "code": r["code"], "ch": r["characteristic"],
             "share": r["share"]}
            for g, rs in column["reasons"].items() for i, r in enumerate(rs)]
    return table(rows, [Col("Group", key("group"), num=False), Col("Rank", key("rank"), str),
                        Col("Code", key("code"), num=False),
                        Col("Characteristic", key("ch"), num=False),
                        Col("Share of the group", key("share"), pct)],
                 f"Most frequent first reason by {column['column']}")


def _refit_table(refit: Mapping[str, Any], column: str, group: str) -> Any:
    rows = [{"variant": ("the published card" if v.get("variant") == "published"
                         else "refitted with every characteristic" if v["drop"] is None
                         else f"refitted without {v['drop']}"),
             "auc": v["auc"], "ci": f"[{v['auc_ci_low']:.4f}, {v['auc_ci_high']:.4f}]",
             "cost": v["auc_cost"], "rate": v["approval_rate"], "air": v["air"]}
            for v in refit["variants"]]
    return table(rows, [Col("Variant", key("variant"), num=False),
                        Col("Holdout AUC", key("auc"), f_digits(4)),
                        Col("95 % (DeLong)", key("ci"), num=False),
                        Col("AUC cost", key("cost"), f_digits(4)),
                        Col(f"{group} approved", key("rate"), pct),
                        Col("Impact ratio", key("air"), f_digits(3))],
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
                   "Dark blue: the reference group; red: flagged; grey: too few rows to test.")]
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
                         "groups": groups_table(col), "reasons": _reasons_table(col),
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
