"""Charts and the groups table of the fairness tests, shared by ``fairness.html`` and the
validation report's fairness section: the plain dicts of
:func:`validation.fairness.group_figures` in, inline SVG and table view-models out,
byte-deterministic (fixed salts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from validation.plots import BAD_COLOR, GOOD_COLOR, _figure, _style, to_svg
from validation.tables import Col, Table, key, table

REF_COLOR, GREY = "#1f4e79", "#7f7f7f"


def f_digits(digits: int) -> Callable[[Any], str]:
    return lambda v: "–" if v is None else f"{v:.{digits}f}"


def pct(v: Any) -> str:
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
            ax.text(r + 0.01, float(yi), f"{100 * r:.1f} %", va="center", fontsize=8)
        ref = next((g for g in groups if g.get("reference")), None)
        if ref is not None:
            ax.axvline(air * ref["approval_rate"], color=BAD_COLOR, linestyle="--",
                       linewidth=1.0)  # the caption says what it is: no legend over bars
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


def groups_table(column: Mapping[str, Any]) -> Table:
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
        Col("Share", key("share"), pct), Col("Approved", key("rate"), pct),
        Col("Impact ratio", key("ratio"), f_digits(3), title="approval rate / reference's"),
        Col("p (one-sided)", key("p"), lambda v: "–" if v is None else f"{v:.2g}"),
        Col("Score SMD", key("smd"), f_digits(3), title="standardised mean score difference"),
        Col("AUC", key("auc"), f_digits(3)), Col("AUC 95 % (DeLong)", key("auc_ci"), num=False),
        Col("Default rate", key("dr"), lambda v: "–" if v is None else f"{100 * v:.2f} %"),
        Col("Mean pd", key("mpd"), lambda v: "–" if v is None else f"{100 * v:.2f} %"),
        Col("Jeffreys 95 %", key("jeff"), num=False), Col("Status", key("status"), num=False)],
        f"Groups of {column['column']} ({column['source']}); reference {column['reference']}",
        flag=key("flag"))
