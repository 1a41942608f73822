"""Inline SVG plots for the validation report, byte-deterministic.

Every function takes plain data (the dicts and frames :mod:`validation.discrimination`,
:mod:`validation.calibration` and :mod:`validation.stability` return) and gives back an
``<svg>`` string for the ``figure`` macro of ``templates/macros.html.j2``: no XML prolog,
no RDF metadata, no date.

Determinism: matplotlib names clip paths and markers by hashing ``rcParams['svg.hashsalt']``
with their content, and uses a random salt when none is set. Each figure gets a fixed salt
derived from its name, so the same data give the same bytes, and two figures on one page
never share an element id. Text stays text (``svg.fonttype = 'none'``): smaller, searchable
and rendered with the reader's own sans-serif font, never fetched from anywhere.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot), so writing a
report neither needs a display nor touches global figure state.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.typing import LegendLocType, RcKeyType

# Display names and colours of the models, in the order they are drawn and tabulated.
MODEL_LABELS: dict[str, str] = {
    "scorecard": "Scorecard",
    "scorecard_classic": "Classic WoE card",
    "challenger": "Challenger (GBM)",
    "challenger_monotone": "Monotone challenger",
    "oracle": "Oracle (true pd)",
}
MODEL_COLORS: dict[str, str] = {
    "scorecard": "#1f4e79",
    "challenger": "#c55a11",
    "challenger_monotone": "#548235",
    "oracle": "#7f7f7f",
}
_FALLBACK_COLORS = ("#7030a0", "#bf9000", "#2f5597", "#843c0c")
GOOD_COLOR = "#2e75b6"
BAD_COLOR = "#c00000"
FLAG_COLOR = "#c00000"

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "lines.linewidth": 1.6,
    "path.simplify": False,  # keep every curve point: simplification is data-dependent noise
}


def model_label(name: str) -> str:
    """Human-readable name of a model key (unknown keys are shown as given)."""
    return MODEL_LABELS.get(name, name.replace("_", " "))


def model_color(name: str, position: int = 0) -> str:
    """Fixed colour of a model, so one model looks the same in every plot."""
    return MODEL_COLORS.get(name, _FALLBACK_COLORS[position % len(_FALLBACK_COLORS)])


def ordered_models(names: Sequence[str] | Mapping[str, Any]) -> list[str]:
    """Known models first in their canonical order, then any others alphabetically."""
    names = list(names)
    known = [n for n in MODEL_LABELS if n in names]
    return known + sorted(n for n in names if n not in MODEL_LABELS)


@contextmanager
def _style(salt: str) -> Iterator[None]:
    with mpl.rc_context({**_RC, "svg.hashsalt": f"scorecard-report:{salt}"}):
        yield


_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)


def to_svg(fig: Figure, title: str) -> str:
    """Serialise ``fig`` to an inline ``<svg>`` element with an accessible title.

    Must be called inside the figure's :func:`_style` context (the salt is read on save).
    """
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Title": title})
    text = _METADATA.sub("", _PROLOG.sub("", buf.getvalue(), count=1), count=1)
    # role/aria-label: screen readers and the DOM test identify plots by their title.
    return text.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1).strip()


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _plain_legend(ax: Axes, loc: LegendLocType = "lower right") -> None:
    ax.legend(loc=loc, frameon=False)


# ------------------------------------------------------------------------------------------
# discrimination
# ------------------------------------------------------------------------------------------


def roc_plot(curves: Mapping[str, Mapping[str, Any]], source: str) -> str:
    """ROC curves of every model overlaid, AUC in the legend.

    ``curves[name]["roc"]`` is :meth:`validation.discrimination.ROCCurve.to_dict` output.
    """
    with _style("roc"):
        fig, (ax,) = _figure(5.2, 4.4)
        ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=1, ls=":", label="Random (AUC 0.5)")
        for i, name in enumerate(ordered_models(curves)):
            roc = curves[name]["roc"]
            ax.plot(roc["fpr"], roc["tpr"], color=model_color(name, i),
                    ls="--" if name == "oracle" else "-",
                    label=f"{model_label(name)} (AUC {roc['auc']:.4f})")
        ax.set(xlim=(0, 1), ylim=(0, 1.005), xlabel="False positive rate (goods flagged)",
               ylabel="True positive rate (bads flagged)", title=f"ROC · {source}")
        ax.set_aspect("equal")
        _plain_legend(ax)
        return to_svg(fig, f"ROC curves, {source}")


def cap_plot(curves: Mapping[str, Mapping[str, Any]], source: str) -> str:
    """Cumulative accuracy profiles of every model, with the perfect model's profile."""
    with _style("cap"):
        fig, (ax,) = _figure(5.2, 4.4)
        ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=1, ls=":", label="Random")
        bad_rate = None
        for i, name in enumerate(ordered_models(curves)):
            cap = curves[name]["cap"]
            bad_rate = cap.get("bad_rate", bad_rate)
            ax.plot(cap["population_share"], cap["bads_captured"], color=model_color(name, i),
                    ls="--" if name == "oracle" else "-",
                    label=f"{model_label(name)} (AR {cap['accuracy_ratio']:.4f})")
        if bad_rate:
            ax.plot([0, bad_rate, 1], [0, 1, 1], color="#444444", lw=1, ls="-.",
                    label="Perfect model")
        ax.set(xlim=(0, 1), ylim=(0, 1.005), xlabel="Share of population (riskiest first)",
               ylabel="Share of bads captured", title=f"CAP · {source}")
        ax.set_aspect("equal")
        _plain_legend(ax)
        return to_svg(fig, f"CAP curves, {source}")


def ks_plot(curves: Mapping[str, Mapping[str, Any]], source: str) -> str:
    """Left: the scorecard's cumulative bad and good rates with the KS gap marked.
    Right: the separation ``F_bad - F_good`` of every model, KS point marked."""
    with _style("ks"):
        fig, (left, right) = _figure(9.6, 4.0, ncols=2)
        names = ordered_models(curves)
        main = "scorecard" if "scorecard" in curves else names[0]
        ks = curves[main]["ks"]
        x = np.asarray(ks["population_share"], dtype=float)
        left.plot(x, ks["cum_bad"], color=BAD_COLOR, label="Bads (cumulative share)")
        left.plot(x, ks["cum_good"], color=GOOD_COLOR, label="Goods (cumulative share)")
        k = ks["ks"]
        left.vlines(k["population_share"], k["good_rate"], k["bad_rate"], color="#222222",
                    lw=1.4, ls="--", label=f"KS {k['ks']:.4f}")
        left.set(xlim=(0, 1), ylim=(0, 1.005), xlabel="Share of population (riskiest first)",
                 ylabel="Cumulative share", title=f"KS · {model_label(main)}")
        _plain_legend(left)
        for i, name in enumerate(names):
            c = curves[name]["ks"]
            share = np.asarray(c["population_share"], dtype=float)
            gap = np.asarray(c["cum_bad"], dtype=float) - np.asarray(c["cum_good"], dtype=float)
            color = model_color(name, i)
            right.plot(share, gap, color=color, ls="--" if name == "oracle" else "-",
                       label=f"{model_label(name)} (KS {c['ks']['ks']:.4f})")
            right.plot([c["ks"]["population_share"]], [c["ks"]["ks"]], "o", color=color, ms=4)
        right.set(xlim=(0, 1), ylim=(0, None), xlabel="Share of population (riskiest first)",
                  ylabel="F_bad − F_good", title=f"Separation · {source}")
        _plain_legend(right, "lower center")
        return to_svg(fig, f"KS plots, {source}")


# ------------------------------------------------------------------------------------------
# calibration
# ------------------------------------------------------------------------------------------


def _use_log(values: np.ndarray) -> bool:
    """Log axes when the pds span well over an order of magnitude (low-default books)."""
    pos = values[values > 0]
    return pos.size > 1 and float(pos.max() / pos.min()) > 30.0


def reliability_plot(tables: Mapping[str, pd.DataFrame], source: str) -> str:
    """Mean predicted pd against observed default rate per pd bin, Jeffreys 95 % bars."""
    with _style("reliability"):
        fig, (ax,) = _figure(5.6, 4.6)
        names = ordered_models(tables)
        allv = np.concatenate([np.r_[t["mean_pd"].to_numpy(float), t["observed"].to_numpy(float)]
                               for t in tables.values()] or [np.zeros(1)])
        log = _use_log(allv)
        floor = float(allv[allv > 0].min()) / 3 if log else 0.0
        hi = float(max(t["ci_high"].max() for t in tables.values())) if tables else 1.0
        hi = min(1.0, max(hi, float(allv.max())) * 1.08)
        lo = floor if log else 0.0
        ax.plot([lo, hi], [lo, hi], color="#bbbbbb", lw=1, ls=":", label="Perfect calibration")
        n = len(names)
        for i, name in enumerate(names):
            t = tables[name]
            x = t["mean_pd"].to_numpy(float)
            # Small multiplicative/additive jitter keeps overlaid error bars apart.
            shift = (i - (n - 1) / 2) * 0.012
            xs = x * (1 + shift) if log else x + shift * hi * 0.5
            y = t["observed"].to_numpy(float)
            ylo = np.maximum(t["ci_low"].to_numpy(float), floor)
            yhi = t["ci_high"].to_numpy(float)
            yc = np.maximum(y, floor)
            # Markers without joining lines: with sparse low-pd deciles the lines zigzag
            # and hide the intervals that carry the message.
            ax.errorbar(xs, yc, yerr=[yc - np.minimum(ylo, yc), yhi - yc],
                        fmt="o" if name == "scorecard" else "s", ms=4 if name == "scorecard"
                        else 3.2, elinewidth=1.0, capsize=2, color=model_color(name, i),
                        label=model_label(name), alpha=1.0 if name == "scorecard" else 0.8)
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="Mean predicted pd (pd decile)",
               ylabel="Observed default rate (Jeffreys 95 %)",
               title=f"Reliability · {source}")
        _plain_legend(ax, "upper left")
        return to_svg(fig, f"Reliability curves, {source}")


def grade_plot(grades: pd.DataFrame, source: str) -> str:
    """Observed default rate per grade with its Jeffreys interval against the predicted pd;
    grades whose predicted pd lies outside the interval are drawn in red."""
    with _style("grades"):
        fig, (ax,) = _figure(6.4, 3.8)
        g = grades.reset_index(drop=True)
        x = np.arange(len(g))
        obs = g["observed"].to_numpy(float)
        pred = g["predicted"].to_numpy(float)
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        vals = np.r_[obs, pred, hi]
        log = _use_log(vals)
        floor = float(vals[vals > 0].min()) / 3 if log and (vals > 0).any() else 0.0
        flag = g["outside_interval"].to_numpy(bool)
        ax.errorbar(x, np.maximum(obs, floor), yerr=[np.maximum(obs, floor) - np.maximum(lo, floor),
                                                     hi - np.maximum(obs, floor)],
                    fmt="o", ms=5, capsize=3, color="#333333",
                    label="Observed default rate (Jeffreys 95 %)")
        ax.scatter(x[~flag], pred[~flag], marker="_", s=260, lw=2.4,
                   color=MODEL_COLORS["scorecard"], label="Predicted pd (mean)", zorder=3)
        if flag.any():
            ax.scatter(x[flag], pred[flag], marker="_", s=260, lw=2.4, color=FLAG_COLOR,
                       label="Predicted pd outside the interval", zorder=3)
        if log:
            ax.set_yscale("log")
        ax.set_xticks(x, [f"{gr}\n(n={n:,})" for gr, n in zip(g["grade"], g["n"], strict=True)])
        ax.set(ylabel="Default rate", title=f"Observed vs predicted per grade · {source}")
        ax.set_xlim(-0.6, len(g) - 0.4)
        _plain_legend(ax, "upper left")
        return to_svg(fig, f"Observed vs predicted per grade, {source}")


# ------------------------------------------------------------------------------------------
# distributions and stability
# ------------------------------------------------------------------------------------------


def _score_bins(*arrays: np.ndarray, target: int = 40) -> np.ndarray:
    """Common integer-aligned histogram edges for score arrays (points are integers)."""
    allv = np.concatenate([np.asarray(a, dtype=float) for a in arrays if len(a)])
    lo, hi = math.floor(allv.min()), math.ceil(allv.max())
    width = max(1, math.ceil((hi - lo + 1) / target))
    return np.arange(lo, hi + width + 1, width, dtype=float) - 0.5


def score_hist_plot(samples: Sequence[tuple[str, np.ndarray, str]], title: str,
                    salt: str, cuts: Sequence[float] = ()) -> str:
    """Overlaid density histograms of score samples ``(label, scores, colour)``; optional
    vertical lines at the master scale's score cuts."""
    with _style(salt):
        fig, (ax,) = _figure(6.0, 3.6)
        present = [(lab, np.asarray(s, dtype=float), c) for lab, s, c in samples if len(s)]
        edges = _score_bins(*(s for _, s, _ in present))
        # matplotlib's stubs type `bins` as a Sequence[float]; it takes an array of edges too.
        for lab, s, c in present:
            ax.hist(s, bins=edges,  # type: ignore[arg-type]
                    density=True, histtype="stepfilled", alpha=0.35, color=c,
                    label=f"{lab} (n={len(s):,}, median {np.median(s):.0f})")
            ax.hist(s, bins=edges,  # type: ignore[arg-type]
                    density=True, histtype="step", color=c, lw=1.2)
        for cut in cuts:
            if edges[0] <= cut <= edges[-1]:
                ax.axvline(cut, color="#999999", lw=0.7, ls=":")
        ax.set(xlabel="Score (points; higher = safer)", ylabel="Density", title=title)
        _plain_legend(ax, "upper left")
        return to_svg(fig, title)


def psi_plot(table: Sequence[Mapping[str, Any]], source: str) -> str:
    """Reference (development) vs target (to-predict) share per score bin, with each bin's
    PSI contribution."""
    with _style("psi"):
        fig, (ax,) = _figure(6.4, 3.6)
        x = np.arange(len(table))
        ref = np.array([r["ref_share"] for r in table], dtype=float)
        tgt = np.array([r["target_share"] for r in table], dtype=float)
        ax.bar(x - 0.2, ref, width=0.4, color="#8faadc", label="Development")
        ax.bar(x + 0.2, tgt, width=0.4, color="#f4b183", label="To predict")
        ax.set_xticks(x, [_bin_range(r) for r in table], rotation=30, ha="right")
        ax.set(ylabel="Share of rows", xlabel="Score bin (development deciles)",
               title=f"Score PSI bins · {source}")
        ax.set_ylim(0, float(max(ref.max(initial=0), tgt.max(initial=0))) * 1.3 or 1.0)
        ax.legend(loc="upper center", ncol=2, frameon=False)  # above the bars, not on them
        return to_svg(fig, f"PSI per score bin, {source}")


def _bin_range(row: Mapping[str, Any]) -> str:
    lo, hi = row.get("lower"), row.get("upper")
    lo_s = "−∞" if lo is None or not math.isfinite(lo) else f"{lo:g}"
    hi_s = "+∞" if hi is None or not math.isfinite(hi) else f"{hi:g}"
    return f"[{lo_s}, {hi_s})"


# ------------------------------------------------------------------------------------------
# the card
# ------------------------------------------------------------------------------------------


def _short(label: str, width: int = 30) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _n(x: float) -> str:
    """SVG coordinate: two decimals, no trailing noise."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def feature_plot(feature: Mapping[str, Any]) -> str:
    """WoE and points per bin of one card characteristic (an artifact ``features`` entry).

    Drawn as hand-written SVG rather than with matplotlib: a card has a dozen of these, two
    bar panels need no layout engine, and matplotlib's text measuring made them the slowest
    part of the report.
    """
    name = str(feature["name"])
    bins = feature["bins"]
    row, top, label_w, panel_w, gap = 21.0, 34.0, 210.0, 330.0, 40.0
    width = label_w + 2 * panel_w + gap + 20
    height = top + row * len(bins) + 26
    woe = [float(b["woe"]) for b in bins]
    pts = [float(b["points"]) for b in bins]
    wmax = max(max(abs(w) for w in woe), 1e-9) * 1.3  # room for the value labels
    plo, phi = min(0.0, min(pts)), max(1.0, max(pts))
    pspan = (phi - plo) * 1.12
    x_w0 = label_w + panel_w / 2  # WoE axis is centred on 0
    x_p0 = label_w + panel_w + gap - plo / pspan * panel_w
    title = f"WoE and points per bin of {name}, development sample"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_attr(title)}" '
           f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
           'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="11">',
           f"<title>{_attr(title)}</title>",
           f'<rect width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>',
           f'<text x="{_n(x_w0)}" y="14" text-anchor="middle" font-weight="bold">'
           "WoE (ln good/bad share; &gt; 0 safer)</text>",
           f'<text x="{_n(label_w + panel_w + gap + panel_w / 2)}" y="14" text-anchor="middle" '
           'font-weight="bold">Points</text>']
    for i, b in enumerate(bins):
        y = top + i * row
        mid = y + row / 2
        if i % 2:
            out.append(f'<rect x="0" y="{_n(y)}" width="{_n(width)}" height="{_n(row)}" '
                       'fill="#f6f7f9"/>')
        label = str(b["label"])
        out.append(f'<text x="{_n(label_w - 8)}" y="{_n(mid + 4)}" text-anchor="end">'
                   f"<title>{_attr(label)}</title>{_attr(_short(label))}</text>")
        w = woe[i] / wmax * panel_w / 2
        color = GOOD_COLOR if woe[i] >= 0 else BAD_COLOR
        out.append(f'<rect x="{_n(min(x_w0, x_w0 + w))}" y="{_n(y + 3)}" '
                   f'width="{_n(max(abs(w), 0.5))}" height="{_n(row - 6)}" fill="{color}"/>')
        anchor, dx = ("start", 4) if woe[i] >= 0 else ("end", -4)
        out.append(f'<text x="{_n(x_w0 + w + dx)}" y="{_n(mid + 4)}" text-anchor="{anchor}" '
                   f'font-size="10" fill="#333333">{woe[i]:+.3f}</text>')
        p = pts[i] / pspan * panel_w
        out.append(f'<rect x="{_n(min(x_p0, x_p0 + p))}" y="{_n(y + 3)}" '
                   f'width="{_n(max(abs(p), 0.5))}" height="{_n(row - 6)}" '
                   f'fill="{MODEL_COLORS["scorecard"]}"/>')
        anchor, dx = ("start", 4) if pts[i] >= 0 else ("end", -4)
        out.append(f'<text x="{_n(x_p0 + p + dx)}" y="{_n(mid + 4)}" text-anchor="{anchor}" '
                   f'font-size="10" fill="#333333">{pts[i]:.0f}</text>')
    bottom = top + row * len(bins)
    for x0 in (x_w0, x_p0):
        out.append(f'<line x1="{_n(x0)}" y1="{_n(top - 4)}" x2="{_n(x0)}" y2="{_n(bottom + 4)}" '
                   'stroke="#666666" stroke-width="1"/>')
    out.append(f'<text x="{_n(x_w0)}" y="{_n(bottom + 18)}" text-anchor="middle" '
               f'font-size="10" fill="#5b6475">0 (scale ±{wmax:.2f})</text>')
    out.append(f'<text x="{_n(x_p0)}" y="{_n(bottom + 18)}" text-anchor="middle" '
               'font-size="10" fill="#5b6475">0</text>')
    out.append("</svg>")
    return "".join(out)
