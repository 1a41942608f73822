"""Two-dimensional interaction characteristics for the joint card, only where they pay.

**Grid.** A pair's grid is built on its parents' axis units, grouped into at most
``MAX_AXIS`` (4) regular bins each (numeric: a subset of its units' split points;
categorical: unions of its units, in any combination), each at least ``MIN_AXIS_SHARE`` of
the rows, a bound on how many cuts a grid may choose from, or ``MIN_REFINED_SHARE`` in a
parent that a grid which ranks in cuts more than once (the pair has ranked in on its two
by two, so a thinner slice only shapes it: the tail of many service calls, under a tenth of
a telecom's customers, is where their usage turns to churn); a parent of two units (a flag,
such as an add-on plan that fewer than a tenth of the customers hold) has no cut to choose,
so its rarer value is a grid bin however few rows it holds (the cells' support is
``MIN_CELL_EVENTS``'); its special and missing bins stay as they are. A pair is ranked on
its parents' own bins; for one that ranks in, a numeric parent's cuts may also fall on its
``AXIS_QUANTILES``-quantiles (:func:`finer_axes`), kept when the grid then gains more: an
interaction's threshold lies where it lies, often where the parent's own risk is flat and
its bins merged (on a telecom churn set, many service calls matter most at low usage, where
the usage bins are one). A categorical parent's units are finer than its bins, which group
categories by their own risk while an interaction may follow another grouping (a coarser
column left out of the card, say) that cuts across them: each category with
``MIN_CELL_EVENTS`` defaults on its own, the rest of each bin together (:func:`finer_axes`;
a parent with a declared trend keeps its bins). The cuts are chosen on the main-effects
card's residuals (below), where the interaction is, not where a parent's own risk steps (an
interaction such as "young and slow to pay" sits at its own thresholds): first the best
two-by-two grid over every pair of cuts (a categorical parent's units ordered by how
differently the residuals lean across the other parent's cut, so one cut in that order
separates the categories the interaction sets apart), then, for a pair above the rank
floor, one cut more at a time while it gains more than :data:`REFINE_COST` (1 nat, AIC's
price) a contrast. Which pairs may enter is a multiple-testing question, priced by BIC
below; how fine an entered pair's grid is, is a question of prediction within one model,
and the card's L2 penalty shrinks the cells a cut adds. The published grid has one
row per coarse bin of x and one column per coarse bin of y. Treatment coding: a cell with
a regular bin of at least one parent and at least ``MIN_CELL_EVENTS`` defaults, off the
most populated regular row and column (the baseline lines), is a group of its own; every
other cell (a baseline line, too few defaults, or special or missing in both parents) falls
in one more group, the baseline (contribution 0). The parents' own points hold the rows'
and the columns' risk, so a grid of ``a`` by ``b`` regular bins adds at most ``(a - 1) (b -
1)`` contrasts, and ``a - 1`` along each of y's special or missing lines (``b - 1`` along
x's): what they cannot hold. A parent's missing line belongs in the grid: where a value is
missing for a reason (a payment span without a paid invoice), its risk may climb with the
other parent as the regular values' does, and without that line a proxy whose "none" is a
regular value (the largest paid invoice, 0) would hold what the pair cannot.

**Ranking** (the idea of FAST, Lou et al., KDD 2013: score every pair cheaply on the
residuals of the additive model, fit only the best). On the development rows, with ``p``
the main-effects card's pd, ``g = p - y`` and ``h = p (1 - p)``, a lookup fitted to the
residuals with one Newton step per group gains ``sum_groups G^2 / (2 H)`` of log likelihood
(``G``, ``H`` the sums of ``g``, ``h`` over the group's rows: numpy bincounts of each pair's
own-bin histogram, so every pair of the card's characteristics is ranked, numeric or
categorical). A grid's gain is that of a step in every supported cell with a regular bin
less the same for its rows alone and its columns alone (what main effects already hold),
less a BIC cost, ``log(n) / 2`` per contrast. Many grids are tried (every pair, each with
its cuts), so the rank floor is a multiple-testing bound: ``log(m) / n`` per row for ``m``
pairs (the likelihood gain the best of ``m`` pure-noise pairs reaches beyond that cost).
Once a pair is in, each later candidate is ranked again, grid and all, on the residuals of
the card with the pairs already in, and must still reach the floor (a pair that only echoes
one already in does not).

**Confirmation.** In the joint design (:mod:`scorecard.fit.joint`) an interaction adds its
own parameters on top of its parents' characteristics, penalised with the same
variance-weighted L2 penalty as the bins: one indicator per group of cells but the baseline
(empty cells get the row-weighted mean, neutral), or, when a parent has a declared trend,
monotone steps (below). Pairs above the rank floor are confirmed best first by out-of-fold
log loss on stratified inner folds of the development rows: in each fold the joint card
without interactions is fitted once at the penalty it chose, and a pair's parameters (with
an intercept shift) are fitted on top of that fold's card as it stands (its logit held
fixed, the same penalty per parameter), so a confirmation costs a small fit, not a refit of
the card. Its grid's rows and columns are fitted on both sides of the comparison (with and
without the pair's contrasts): the parents' points move with a pair in the joint fit, and a
pair is credited neither for undoing their shrinkage nor denied what they give up to it. A
pair is added while its out-of-fold gain on top of the pairs already in reaches the larger
of ``MIN_GAIN`` of the main-effects card's log loss and the rank floor (the pairs confirmed
were picked on these very rows, so a noise pair that ranked high still shows some gain out
of fold): as many as pay. The published card then fits the main effects and the pairs
together. A time budget (the joint method's ``interaction_budget_s``,
:data:`scorecard.fit.spec.METHOD_DEFAULTS`) bounds the confirmations; pairs left when it is
spent are logged as such. The floors, not the budget, end the search on ordinary data, so
the same data give the same card.

**Monotone.** A pair may not turn a parent's declared trend (``ascending`` or
``descending`` in the spec or an override) around. With one declared parent the grid is
coded as steps towards that parent's risk within each column (row) of the other's bins,
each bounded to add risk, so the parent's own points plus the grid's keep its trend in
every line; with both declared, one step per corner of the two regular parts (the cells at
or beyond both), bounded alike, and one per corner of their safe parts (the cells before
both), bounded to take risk off: the first lets two risks compound, the second lets them
add up to less than their sum (one already high, the other adds less); either keeps both
trends in every line, as the riskiest cells only get riskier and the safest only safer; a
special or missing line of one parent, outside its order, gets steps along the other, as
with one declared parent; with one declared parent, its own special and missing lines are
free cells, as in a pair with none. A step needs ``MIN_CELL_EVENTS`` defaults in its
corner cell, a free cell in itself. An override's ``trend = "none"`` lifts the spec's
trend: that parent is not held.
The chosen pairs are then fitted together on all development rows and checked; a pair that
still turns a trend by more than ``TREND_TOLERANCE`` is dropped and the rest refitted.

**Overrides** (:class:`~scorecard.fit.overrides.PairOverride`, a reviewer's
``[pairs."X*Y"]`` table): an excluded pair is never confirmed, and the log says so with the
reviewer's reason; a coarsened pair's axis takes the reviewer's groups (split points that
are some of the parent's own, or unions of its category groups; on rows binned otherwise,
the nearest such, see :func:`axis_groups`) instead of the cuts chosen on the residuals,
and is then ranked and confirmed as any other pair: an override may remove or coarsen a
pair, never force one into the card.

Every pair considered is logged with its rank gain, its inner-CV gain and why it is in or
out.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit

from scorecard.card.engine import UNSEEN, InteractionRule
from scorecard.fit.binning import FeatureBins
from scorecard.fit.joint import (
    INNER_FOLDS,
    FeatureCoding,
    _log_loss,
    bin_indices,
    code_feature,
    design_matrix,
    indicator,
    penalty_weights,
    solve,
)
from scorecard.fit.overrides import OverridesError, PairOverride

MAX_AXIS = 4  # regular bins per parent in a grid: at most 4 x 4 cells of two regular bins
# Of the rows, in each of a parent's merged bins where it has a cut to choose (more than two
# units): many cuts to choose from find noise in thin slices.
MIN_AXIS_SHARE = 0.1
# Of the rows, in each bin of a parent that a grid cuts more than once: only a pair whose
# two by two ranked in is cut again (choose_axes).
MIN_REFINED_SHARE = 0.05
# The share of the main-effects card's log loss a pair must save out of fold at least:
# relative, as log loss scales with the default rate. On many rows it is the floor that
# binds: a grid confirmed on the rows its cuts and category groups were chosen on gains a
# little out of fold even where it is noise (a category axis has many groupings to choose
# from), and the multiple-testing floor log(m) / n falls below that.
MIN_GAIN = 2e-3
MIN_CELL_EVENTS = 30
# Log likelihood a cut must add per contrast to refine a grid that ranks in (AIC's price).
REFINE_COST = 1.0
# A numeric parent's axis units: its own split points and the quantiles of this order (a
# grid bin takes MIN_REFINED_SHARE of the rows at least, so finer units only place its cuts).
AXIS_QUANTILES = 20
DECLARED = {"ascending": 1, "descending": -1}
# A turn against a declared trend smaller than this (logit) is rounding, not a turn: below
# one point at the default scaling.
TREND_TOLERANCE = 0.02


@dataclass
class PairBins:
    """One interaction's bins: ``parents`` (the artifact's parent rules, no points),
    ``group`` (n_cells,) the group of each cell, ``n_groups``, ``table`` one row per cell
    (row-major: ``type`` "cell", ``row``, ``col``, ``label``, ``x_bin`` and ``y_bin`` (the
    parents' bin labels), ``count``, ``event``, ``event_rate``, ``woe`` over the fitting
    rows, ``group``), the 2D ``iv``, ``maps``: each parent's axis units (its own bins, or
    :func:`finer_axes`' units) to the grid's, and ``signs``: each parent's declared trend
    (+1 ascending, -1 descending, 0 none)."""

    name: str
    x: str
    y: str
    parents: list[dict[str, Any]]
    group: np.ndarray
    n_groups: int
    table: pd.DataFrame
    iv: float
    maps: tuple[np.ndarray, np.ndarray]
    signs: tuple[int, int] = (0, 0)

    def rule(self) -> InteractionRule:
        n_x, n_y = (len(p["bins"]) for p in self.parents)
        return InteractionRule({"parents": self.parents, "grid": [[0] * n_y] * n_x,
                                "unseen_points": 0})

    def cells(self, X: pd.DataFrame) -> np.ndarray:
        """Each row's cell (flattened, row-major), shape (n,), by the engine's own rule."""
        return self.rule().assign(X[self.x], X[self.y])[0]

    def cells_of(self, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
        """Each row's cell from its parents' axis units (``maps``, shape (n,)): the same
        cells as :meth:`cells` on the rows the parents were binned on."""
        return _cells(*self.maps, bx, by, len(self.parents[1]["bins"]))

    def feature_bins(self) -> FeatureBins:
        """The cells as a :class:`FeatureBins` (kind ``interaction``): the joint fit reads
        its counts and labels."""
        return FeatureBins(self.name, "interaction", None, table=self.table, iv=self.iv)

    def coding(self) -> FeatureCoding:
        """The pair's parameters (module docstring): one indicator per non-baseline group
        of cells, or, with a declared parent, the monotone steps."""
        if any(self.signs):
            return self._monotone_coding()
        counts = self.table["count"].to_numpy()
        per_group = np.bincount(self.group, weights=counts, minlength=self.n_groups)
        # The last group (a baseline line, special or missing in both parents, or too few
        # defaults) is the baseline: its rows' risk is their parents' own bins', so a
        # parameter there would only repeat them.
        baseline = (self.n_groups - 1 if per_group[-1] > 0
                    else int(np.argmax(per_group)))
        coding = FeatureCoding(self.name, 0, baseline, np.zeros((len(counts), 0)))
        coding.neutral = [int(c) for c in np.flatnonzero(counts == 0)]
        for g in range(self.n_groups):
            members = np.flatnonzero((self.group == g) & (counts > 0))
            if g != baseline and len(members):
                coding.add(indicator(len(counts), members),
                           f"{self.name}: group {g} ({len(members)} cells)", "cell group",
                           int(members[0]))
        return coding

    def _monotone_coding(self) -> FeatureCoding:
        """Steps towards risk that hold a declared trend by their sign bounds (module
        docstring): along a declared parent within each line of the other's bins, or, both
        declared, one step per corner of the two regular parts."""
        n_x, n_y = (len(p["bins"]) for p in self.parents)
        reg = [sum(b["type"] == "regular" for b in p["bins"]) for p in self.parents]
        events = self.table["event"].to_numpy().reshape(n_x, n_y)
        coding = FeatureCoding(self.name, 1, 0, np.zeros((n_x * n_y, 0)))

        def upper(axis: int, r: int) -> np.ndarray:
            """The regular bins of a parent from ``r`` on, towards its risk."""
            k = np.arange((n_x, n_y)[axis])
            if self.signs[axis] >= 0:
                return (k >= r) & (k < reg[axis])
            return k < r  # descending: risk lies at the low bins

        def corner(axis: int, r: int) -> int:
            return r if self.signs[axis] >= 0 else r - 1

        def lower(axis: int, r: int) -> np.ndarray:
            """The regular bins of a parent before ``r``, away from its risk."""
            return ~upper(axis, r) & (np.arange((n_x, n_y)[axis]) < reg[axis])

        def add(mask: np.ndarray, i: int, j: int, what: str,
                bound: tuple[float | None, float | None] = (0.0, None)) -> None:
            if events[i, j] >= MIN_CELL_EVENTS:
                coding.add(mask.ravel().astype(float), f"{self.name}: {what}", "cell step",
                           int(i * n_y + j), bound)

        def along(axis: int, lines: range) -> None:
            """Steps along declared parent ``axis`` within each of the other's ``lines``."""
            n_other = (n_y, n_x)[axis]
            for line in lines:
                for r in range(1, reg[axis]):
                    across = np.arange(n_other) == line
                    mask = (np.outer(upper(axis, r), across) if axis == 0
                            else np.outer(across, upper(axis, r)))
                    i, j = ((corner(0, r), line) if axis == 0 else (line, corner(1, r)))
                    add(mask, i, j, f"step at row {i}, column {j}")

        if all(self.signs):
            for r in range(1, reg[0]):
                for c in range(1, reg[1]):
                    add(np.outer(upper(0, r), upper(1, c)), corner(0, r), corner(1, c),
                        f"step at row {corner(0, r)}, column {corner(1, c)}")
                    # Risk taken off the safe corner: the two parents' risks then add up to
                    # less than their sum (one already high, the other adds less), still
                    # monotone, as the safest cells only get safer.
                    i, j = corner(0, r) - self.signs[0], corner(1, c) - self.signs[1]
                    add(np.outer(lower(0, r), lower(1, c)), i, j,
                        f"safe corner at row {i}, column {j}", (None, 0.0))
            # A special or missing line of one parent has no place in its order: the
            # other's trend alone holds there.
            along(0, range(reg[1], n_y))
            along(1, range(reg[0], n_x))
        else:
            axis = 0 if self.signs[0] else 1
            along(axis, range((n_y, n_x)[axis]))
            # The declared parent's own special and missing lines lie outside its order:
            # their cells are free, as in a pair with no declared parent, off the other's
            # most populated regular line (the parent's own special bin holds that one).
            other = 1 - axis
            base = _baselines(self.table["count"].to_numpy().reshape(n_x, n_y), *reg)[other]
            for line in range(reg[axis], (n_x, n_y)[axis]):
                for k in range(reg[other]):
                    i, j = (line, k) if axis == 0 else (k, line)
                    if k != base:
                        add(np.outer(np.arange(n_x) == i, np.arange(n_y) == j), i, j,
                            f"cell at row {i}, column {j}", (None, None))
        return coding


def finer_axes(binned: Mapping[str, FeatureBins], X: pd.DataFrame, y: np.ndarray,
               category_match: str | None = None,
               declared: Mapping[str, str] | None = None,
               ) -> dict[str, tuple[FeatureBins, np.ndarray]]:
    """The axis units (module docstring) of each characteristic of ``binned`` whose bins
    they split, and each of ``X``'s rows' unit, shape (n,). Numeric: its own split points
    and its ``AXIS_QUANTILES``-quantiles (:func:`_numeric_units`). Categorical without a
    declared trend: every category of one of its bins with ``MIN_CELL_EVENTS`` defaults or
    more in ``y`` on its own, the rest of each bin together, then its special and missing
    bins as they are. A rarer category stays with its bin: alone, the residuals' lean
    across a grid's cut would place it by noise."""
    out = {}
    yy = np.asarray(y, dtype=float)
    for name, fb in binned.items():
        if fb.kind == "numeric":
            numeric = _numeric_units(fb, X[name], category_match)
            if numeric is not None:
                out[name] = numeric
            continue
        if fb.kind != "categorical" or (declared or {}).get(name) in DECLARED:
            continue
        singles = [[c] for g in fb.groups for c in g]
        one = FeatureBins(name, fb.kind, fb.trend, groups=singles, special=fb.special,
                          table=pd.concat([pd.DataFrame({"type": "regular", "label": [
                              c[0] for c in singles]}), fb.table.iloc[fb.n_regular:][
                              ["type", "label"]]], ignore_index=True))
        rows = bin_indices(one, X[name], category_match)
        events = np.bincount(rows[rows != UNSEEN], weights=yy[rows != UNSEEN],
                             minlength=len(one.table))
        groups: list[list[str]] = []
        unit, k = np.empty(len(one.table), dtype=np.int64), 0
        for g in fb.groups:
            at = np.arange(k, k + len(g))
            alone = events[at] >= MIN_CELL_EVENTS
            for members in [[i] for i in at[alone]] + ([at[~alone]] if (~alone).any() else []):
                groups.append([singles[i][0] for i in members])
                unit[members] = len(groups) - 1
            k += len(g)
        if len(groups) == fb.n_regular:
            continue  # no bin splits: the card's own bins are the axis
        unit[k:] = len(groups) + np.arange(len(one.table) - k)
        table = pd.concat([pd.DataFrame({"type": "regular", "label": [
            ", ".join(g) for g in groups]}), fb.table.iloc[fb.n_regular:][["type", "label"]]],
            ignore_index=True)
        out[name] = (FeatureBins(name, fb.kind, fb.trend, groups=groups, special=fb.special,
                                 table=table),
                     np.where(rows == UNSEEN, UNSEEN, unit[np.where(rows == UNSEEN, 0, rows)]))
    return out


def _numeric_units(fb: FeatureBins, values: pd.Series, category_match: str | None,
                   ) -> tuple[FeatureBins, np.ndarray] | None:
    """A numeric characteristic's axis units (module docstring): its own split points and
    the :data:`AXIS_QUANTILES`-quantiles of its regular rows, so a grid can cut where an
    interaction's threshold is rather than only where the parent's own risk steps; each
    unit lies within one of its bins. ``None`` when they add no split point."""
    own = bin_indices(fb, values, category_match)
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)[own < fb.n_regular]
    x = x[np.isfinite(x)]
    if not len(x):
        return None
    inner = np.quantile(x, np.arange(1, AXIS_QUANTILES) / AXIS_QUANTILES, method="lower")
    splits = np.unique(np.concatenate([np.asarray(fb.splits, dtype=float),
                                       inner[(inner > x.min()) & (inner <= x.max())]]))
    if len(splits) == len(fb.splits):
        return None
    edges = [-math.inf, *splits.tolist(), math.inf]
    table = pd.concat([pd.DataFrame({"type": "regular", "label": [
        _label(edges[i], edges[i + 1]) for i in range(len(splits) + 1)]}),
        fb.table.iloc[fb.n_regular:][["type", "label"]]], ignore_index=True)
    units = FeatureBins(fb.name, fb.kind, fb.trend, splits=splits.tolist(),
                        special=fb.special, table=table)
    return units, bin_indices(units, values, category_match)


def _label(lo: float, hi: float) -> str:
    return f"[{lo:.6g}, {hi:.6g})"


def coarse_parent(fb: FeatureBins, group: np.ndarray, category_match: str | None = None,
                  ) -> tuple[dict[str, Any], np.ndarray]:
    """A parent's rule in a grid (module docstring) from ``group``, the grid bin of each of
    its regular bins (numeric: contiguous), and the map from its own bins (rows of
    ``fb.table``) to the grid's, shape (n_bins,)."""
    t = fb.table
    n_reg = fb.n_regular
    n_groups = int(group.max()) + 1 if n_reg else 0
    bins: list[dict[str, Any]] = []
    parent: dict[str, Any] = {"name": fb.name, "kind": fb.kind}
    if fb.kind == "numeric":
        splits = [float(fb.splits[b - 1]) for b in range(1, n_reg) if group[b] != group[b - 1]]
        edges = [-math.inf, *splits, math.inf]
        bins = [{"index": i, "type": "regular", "label": _label(edges[i], edges[i + 1])}
                for i in range(n_groups)]
        parent["splits"] = splits
    else:
        for g in range(n_groups):
            cats = [c for b in np.flatnonzero(group == g) for c in fb.groups[b]]
            bins.append({"index": g, "type": "regular", "label": ", ".join(cats),
                         "categories": cats})
        if category_match is not None:
            parent["category_match"] = category_match
    for _, row in t.iloc[n_reg:].iterrows():
        b = {"index": len(bins), "type": str(row["type"]), "label": str(row["label"])}
        if row["type"] == "special":
            b["codes"] = [float(c) for c in fb.special[row["label"]]]
        bins.append(b)
    parent["bins"] = bins
    return parent, np.concatenate([group, n_groups + np.arange(len(t) - n_reg)]).astype(
        np.int64)


def axis_groups(fb: FeatureBins, splits: tuple[float, ...] | None,
                groups: tuple[tuple[str, ...], ...] | None, where: str,
                ) -> tuple[np.ndarray | None, str]:
    """Each regular bin of ``fb``'s grid group as an override sets it (``None``: not set),
    shape (n_regular,), and what had to be adjusted (``""``: nothing). ``where`` names the
    override's axis (``pairs."X*Y".x``) in the errors and the note.

    The grid's groups are unions of the parent's own bins, and a fit on other rows (a CV
    fold) bins the parent a little differently from the rows the reviewer saw: a split
    point that is not one of the parent's moves to its nearest one, and a category group
    of the parent cut by the override goes to the group holding most of its categories;
    the note says so.

    Raises:
        OverridesError: the grouping is of the wrong kind for the parent, or places none
            of a category group's categories.
    """
    n_reg = fb.n_regular
    axis = where.rsplit(".", 1)[-1]
    if splits is not None:
        if fb.kind != "numeric":
            raise OverridesError(f"{where}_splits: {fb.name} is categorical; give "
                                 f"{axis}_groups")
        own = np.asarray(fb.splits, dtype=float)
        if not len(own):
            return np.zeros(n_reg, dtype=np.int64), (f"{where}_splits: {fb.name} has one "
                                                     "bin, nothing to split")
        cuts, moved = set(), []  # split k of the parent's bins separates its bins k, k + 1
        for v in splits:
            k = int(np.argmin(np.abs(own - v)))
            if not np.isclose(own[k], v, rtol=1e-12, atol=0.0):
                moved.append(f"{v:g} to {own[k]:g}")
            cuts.add(k)
        note = (f"{where}_splits: moved to {fb.name}'s nearest split points "
                f"({', '.join(moved)})" if moved else "")
        return np.searchsorted(np.asarray(sorted(cuts)), np.arange(n_reg),
                               side="left").astype(np.int64), note
    if groups is not None:
        if fb.kind != "categorical":
            raise OverridesError(f"{where}_groups: {fb.name} is numeric; give "
                                 f"{axis}_splits")
        of = {c: g for g, cats in enumerate(groups) for c in cats}
        out, cut = [], []
        for cats in fb.groups[:n_reg]:
            placed = [of[c] for c in cats if c in of]
            if not placed:
                raise OverridesError(f"{where}_groups: places none of {fb.name}'s "
                                     f"categories {', '.join(cats)}")
            if len(set(placed)) > 1 or len(placed) < len(cats):
                cut.append("{" + ", ".join(cats) + "}")
            out.append(min(set(placed), key=lambda g: (-placed.count(g), g)))
        note = (f"{where}_groups: {fb.name}'s groups {'; '.join(cut)} went whole to the "
                "group holding most of their categories" if cut else "")
        # Groups numbered as they come, none left empty.
        return np.unique(np.asarray(out), return_inverse=True)[1].astype(np.int64), note
    return None, ""


def pair_grid(fx: FeatureBins, fy: FeatureBins, gx: np.ndarray, gy: np.ndarray,
              bx: np.ndarray, by: np.ndarray, y: np.ndarray,
              category_match: str | None = None, signs: tuple[int, int] = (0, 0),
              ) -> PairBins:
    """The grid of one pair (module docstring): ``gx``, ``gy`` the grid bin of each of its
    parents' own bins (:func:`choose_axes`), from the development rows' own bins of its
    parents (``bx``, ``by``, shape (n,)), their 0/1 ``y`` and the parents' declared trends
    (``signs``: +1 ascending, -1 descending, 0 none)."""
    px, mx = coarse_parent(fx, gx[:fx.n_regular], category_match)
    py, my = coarse_parent(fy, gy[:fy.n_regular], category_match)
    n_x, n_y = len(px["bins"]), len(py["bins"])
    regular_x = sum(b["type"] == "regular" for b in px["bins"])
    regular_y = sum(b["type"] == "regular" for b in py["bins"])
    cells = _cells(mx, my, bx, by, n_y)
    yy = np.asarray(y, dtype=float)
    count = np.bincount(cells, minlength=n_x * n_y)
    event = np.bincount(cells, weights=yy, minlength=n_x * n_y).astype(np.int64)
    row, col = np.divmod(np.arange(n_x * n_y), n_y)
    own = _own_cells(count.reshape(n_x, n_y), event.reshape(n_x, n_y), regular_x,
                     regular_y).ravel()
    group = np.full(n_x * n_y, int(own.sum()), dtype=np.int64)
    group[own] = np.arange(int(own.sum()))
    name = f"{fx.name}_x_{fy.name}"
    good, bad = count - event, event
    with np.errstate(divide="ignore", invalid="ignore"):
        woe = np.log((good / max(good.sum(), 1)) / (bad / max(bad.sum(), 1)))
        rate = np.where(count > 0, event / np.maximum(count, 1), 0.0)
    woe = np.where((good > 0) & (bad > 0), woe, 0.0)  # an empty or pure cell: neutral
    labels = [f"{fx.name} {bx_['label']}, {fy.name} {by_['label']}"
              for bx_ in px["bins"] for by_ in py["bins"]]
    table = pd.DataFrame({
        "feature": name, "bin": np.arange(n_x * n_y), "type": "cell", "row": row,
        "col": col, "label": labels,
        "x_bin": [b["label"] for b in px["bins"] for _ in py["bins"]],
        "y_bin": [b["label"] for _ in px["bins"] for b in py["bins"]],
        "count": count, "event": event, "event_rate": rate, "woe": woe, "group": group})
    share_good, share_bad = good / max(good.sum(), 1), bad / max(bad.sum(), 1)
    return PairBins(name, fx.name, fy.name, [px, py], group, int(own.sum()) + 1, table,
                    float(np.sum((share_good - share_bad) * woe)), (mx, my), signs)


def _own_cells(count: np.ndarray, event: np.ndarray, a: int, b: int) -> np.ndarray:
    """Which cells of a grid (shape (n_x, n_y), ``a`` and ``b`` regular rows and columns
    first) have a parameter of their own: a regular bin of at least one parent
    (:func:`_one_regular`), ``MIN_CELL_EVENTS`` defaults, and neither the most populated
    regular row nor column, the baseline lines (treatment coding: the parents' own points
    hold the rows' and the columns' risk, so a pair holds only what they cannot: (a - 1)
    (b - 1) contrasts at most, and as many as the other's regular bins less one along
    each special or missing line)."""
    own = (event >= MIN_CELL_EVENTS) & _one_regular(count.shape, a, b)
    row, col = _baselines(count, a, b)
    own[row, :] = False
    own[:, col] = False
    return own


def _baselines(count: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """A grid's baseline lines (shape (n_x, n_y), ``a`` and ``b`` regular rows and
    columns first): its most populated regular row and column."""
    return int(np.argmax(count[:a].sum(axis=1))), int(np.argmax(count[:, :b].sum(axis=0)))


def _one_regular(shape: tuple[int, int], a: int, b: int) -> np.ndarray:
    """The cells of a grid (``a`` and ``b`` regular rows and columns first) with a regular
    bin of at least one parent: a special or missing line of one parent crosses the
    other's regular bins, where the interaction may lie too (a payment span missing for
    want of a paid invoice, whose risk climbs with youth as the slow payers' does)."""
    row, col = np.indices(shape)
    return (row < a) | (col < b)


def _cells(mx: np.ndarray, my: np.ndarray, bx: np.ndarray, by: np.ndarray, n_y: int,
           ) -> np.ndarray:
    """Each row's grid cell from its parents' own bins (an unseen category: the parent's
    last bin, its missing bin; development rows have none)."""
    i = mx[np.where(bx == UNSEEN, len(mx) - 1, bx)]
    j = my[np.where(by == UNSEEN, len(my) - 1, by)]
    return i * n_y + j


@dataclass
class _Hist:
    """A pair's development rows summed over its parents' own bins (shape (n_x, n_y)): the
    main effects' gradient ``G`` and hessian ``H``, the defaults ``E`` and the rows ``N``;
    ``reg``: each parent's number of regular bins (the first ones)."""

    G: np.ndarray
    H: np.ndarray
    E: np.ndarray
    N: np.ndarray
    reg: tuple[int, int]


def _hist(bx: np.ndarray, by: np.ndarray, shape: tuple[int, int], reg: tuple[int, int],
          g: np.ndarray, h: np.ndarray, y: np.ndarray) -> _Hist:
    n_x, n_y = shape
    key = np.where(bx == UNSEEN, n_x - 1, bx) * n_y + np.where(by == UNSEEN, n_y - 1, by)

    def total(w: np.ndarray | None) -> np.ndarray:
        return np.bincount(key, weights=w, minlength=n_x * n_y).reshape(n_x, n_y)

    return _Hist(total(g), total(h), total(y), total(None).astype(float), reg)


def _sq(G: np.ndarray, H: np.ndarray) -> np.ndarray:
    """One Newton step's gain of log likelihood per group, ``G^2 / (2 H)`` (0 where empty)."""
    return np.where(H > 0, G ** 2 / (2 * np.where(H > 0, H, 1.0)), 0.0)


def _grid_gain(hist: _Hist, gx: np.ndarray, gy: np.ndarray) -> tuple[float, int]:
    """The interaction gain (log likelihood, module docstring) of the grid whose row of
    each of x's own bins is ``gx`` (regular groups first) and column ``gy``, and its
    degrees of freedom."""
    a, b = int(gx[:hist.reg[0]].max()) + 1, int(gy[:hist.reg[1]].max()) + 1
    Mx = np.zeros((len(gx), int(gx.max()) + 1))
    Mx[np.arange(len(gx)), gx] = 1.0
    My = np.zeros((len(gy), int(gy.max()) + 1))
    My[np.arange(len(gy)), gy] = 1.0
    G, H, E, N = (Mx.T @ m @ My for m in (hist.G, hist.H, hist.E, hist.N))
    # Every supported cell of two regular bins steps, as the parents' points may move
    # with the pair's in the joint fit: the gain is the interaction's once the rows' and
    # the columns' are taken off.
    cell = (E >= MIN_CELL_EVENTS) & _one_regular(G.shape, a, b)
    lookup = _sq(G[cell], H[cell]).sum()
    gain = lookup - _sq(G.sum(axis=1), H.sum(axis=1)).sum() - _sq(G.sum(axis=0),
                                                                   H.sum(axis=0)).sum()
    return float(gain), int(_own_cells(N, E, a, b).sum())


def _best_2x2(hist: _Hist, ox: np.ndarray, oy: np.ndarray, cost: float,
              ) -> tuple[float, int, int]:
    """The best two-by-two grid with x's regular bins in order ``ox`` and y's in ``oy``:
    its gain less ``cost`` per degree of freedom and its cuts (positions in those orders);
    ``-inf`` when no cut leaves ``MIN_AXIS_SHARE`` of the rows on both sides (a flag aside)."""
    rx, ry = hist.reg
    rows_x = np.r_[ox, rx:hist.G.shape[0]]
    cols_y = np.r_[oy, ry:hist.G.shape[1]]
    ii, jj = np.meshgrid(np.arange(1, rx), np.arange(1, ry), indexing="ij")
    total_n = hist.N.sum()
    quads, lines = {}, []
    for name in ("G", "H", "E", "N"):
        full = getattr(hist, name)[rows_x][:, cols_y]
        C = np.zeros((rx + 1, ry + 1))
        C[1:, 1:] = full[:rx, :ry].cumsum(axis=0).cumsum(axis=1)
        q00 = C[ii, jj]
        q01 = C[ii, ry] - q00
        q10 = C[rx, jj] - q00
        q11 = C[rx, ry] - C[ii, ry] - C[rx, jj] + q00
        quads[name] = (q00, q01, q10, q11)
        row, col = full.sum(axis=1), full.sum(axis=0)
        lines.append((np.cumsum(row[:rx])[:-1], row[:rx].sum(), row[rx:],
                      np.cumsum(col[:ry])[:-1], col[:ry].sum(), col[ry:]))
    (nx_lo, nx_all, _, ny_lo, ny_all, _) = lines[3]
    # The one cell of its own: across from the most populated row and column (_own_cells).
    far = (np.where(nx_lo >= nx_all - nx_lo, 2, 0)[:, None]
           + np.where(ny_lo >= ny_all - ny_lo, 1, 0)[None, :])
    e_far = np.choose(far, quads["E"])
    lookup = sum(np.where(e >= MIN_CELL_EVENTS, _sq(g, h), 0.0)
                 for e, g, h in zip(quads["E"], quads["G"], quads["H"], strict=True))
    (gx_lo, gx_all, gx_ex, gy_lo, gy_all, gy_ex) = lines[0]
    (hx_lo, hx_all, hx_ex, hy_lo, hy_all, hy_ex) = lines[1]
    rows = (_sq(gx_lo, hx_lo) + _sq(gx_all - gx_lo, hx_all - hx_lo))[:, None] + _sq(
        gx_ex, hx_ex).sum()
    cols = (_sq(gy_lo, hy_lo) + _sq(gy_all - gy_lo, hy_all - hy_lo))[None, :] + _sq(
        gy_ex, hy_ex).sum()
    score = np.where(e_far >= MIN_CELL_EVENTS, lookup - rows - cols - cost, -math.inf)
    sx, sy = (_min_share(r, 1) * total_n for r in (rx, ry))
    ok = (((nx_lo >= sx) & (nx_all - nx_lo >= sx))[:, None]
          & ((ny_lo >= sy) & (ny_all - ny_lo >= sy))[None, :])
    if not ok.any():
        return -math.inf, 0, 0
    score = np.where(ok, score, -math.inf)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(score[i, j]), int(i) + 1, int(j) + 1


def _min_share(units: int, cuts: int) -> float:
    """The least share of the rows a grid bin may hold along a parent of ``units`` regular
    units cut ``cuts`` times (module docstring): none for a flag (two units, no cut to
    choose), ``MIN_AXIS_SHARE`` for the two by two's one cut, ``MIN_REFINED_SHARE`` for a
    parent a ranked grid cuts again."""
    if units == 2:
        return 0.0
    return MIN_AXIS_SHARE if cuts == 1 else MIN_REFINED_SHARE


def _contrast_order(hist: _Hist, axis: int, other_hi: np.ndarray) -> np.ndarray:
    """A categorical parent's regular bins ordered by how differently the residuals lean
    on the two sides of the other parent's cut (``other_hi``: its regular bins beyond it):
    a cut in this order then separates the categories the interaction sets apart."""
    rx, ry = hist.reg
    G, H = (m[:rx, :ry] if axis == 0 else m[:rx, :ry].T for m in (hist.G, hist.H))
    hi = np.zeros(G.shape[1], dtype=bool)
    hi[other_hi] = True
    lean = (G[:, hi].sum(axis=1) / (H[:, hi].sum(axis=1) + 1.0)
            - G[:, ~hi].sum(axis=1) / (H[:, ~hi].sum(axis=1) + 1.0))
    return np.argsort(lean, kind="stable")


def _groups(order: np.ndarray, cuts: list[int], n_bins: int) -> np.ndarray:
    """Each own bin's grid bin: regular bins by their position in ``order`` among ``cuts``,
    then one grid bin per special or missing bin."""
    reg = len(order)
    group = np.empty(reg, dtype=np.int64)
    group[order] = np.searchsorted(np.asarray(sorted(cuts), dtype=np.int64),
                                   np.arange(reg), side="right")
    return np.concatenate([group, len(cuts) + 1 + np.arange(n_bins - reg)])


def choose_axes(hist: _Hist, categorical: tuple[bool, bool], cost: float, floor: float,
                ) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The grid a pair is ranked and published with (module docstring): its gain less
    :data:`REFINE_COST` per degree of freedom and each parent's own bins' grid bins;
    ``None`` when no grid leaves ``MIN_AXIS_SHARE`` of the rows in each of its parents'
    bins. The two by two it starts from is the best at ``cost`` per degree of freedom;
    grids below ``floor`` are not refined past it; a parent cut more than once may have
    bins of ``MIN_REFINED_SHARE``."""
    rx, ry = hist.reg
    if rx < 2 or ry < 2:
        return None
    orders = [np.arange(rx), np.arange(ry)]
    score, i, j = _best_2x2(hist, orders[0], orders[1], cost)
    for _ in range(2):  # a categorical axis: reorder by contrast across the other's cut
        for axis in (0, 1):
            if not categorical[axis]:
                continue
            other = orders[1 - axis][(j, i)[axis]:]
            reordered = list(orders)
            reordered[axis] = _contrast_order(hist, axis, other)
            s, ti, tj = _best_2x2(hist, reordered[0], reordered[1], cost)
            if s > score:
                score, i, j, orders = s, ti, tj, reordered
    if score == -math.inf:
        return None
    cuts = [[i], [j]]
    n_bins = hist.G.shape

    def evaluate(c: list[list[int]]) -> float:
        gx, gy = (_groups(orders[a], c[a], n_bins[a]) for a in (0, 1))
        for a, grp in ((0, gx), (1, gy)):
            shares = np.bincount(grp[:hist.reg[a]], weights=hist.N.sum(axis=1 - a)[
                :hist.reg[a]]) / hist.N.sum()
            if shares.min() < _min_share(hist.reg[a], len(c[a])):
                return -math.inf
        gain, dof = _grid_gain(hist, gx, gy)
        return gain - REFINE_COST * dof

    score = evaluate(cuts)  # the two by two, priced as a refinement is
    while score >= floor:  # refine: the cut that adds most, while it pays REFINE_COST
        best = (score, cuts)
        for axis in (0, 1):
            if len(cuts[axis]) >= MAX_AXIS - 1:
                continue
            for k in range(1, hist.reg[axis]):
                if k in cuts[axis]:
                    continue
                trial = [list(cuts[0]), list(cuts[1])]
                trial[axis].append(k)
                s = evaluate(trial)
                if s > best[0]:
                    best = (s, trial)
        if best[1] is cuts:
            break
        score, cuts = best
    return score, _groups(orders[0], cuts[0], n_bins[0]), _groups(orders[1], cuts[1],
                                                                   n_bins[1])


def _lines(pair: PairBins, cells: np.ndarray) -> sparse.csr_matrix:
    """Indicators of a grid's regular rows and columns but the baseline lines
    (:func:`_own_cells`) for rows in ``cells``, shape (n, rows + columns - 2)."""
    n_x, n_y = (len(p["bins"]) for p in pair.parents)
    a, b = (sum(x["type"] == "regular" for x in p["bins"]) for p in pair.parents)
    count = pair.table["count"].to_numpy().reshape(n_x, n_y)
    base = _baselines(count, a, b)
    row, col = np.divmod(cells, n_y)
    cols = [row == r for r in range(a) if r != base[0]] + [
        col == c for c in range(b) if c != base[1]]
    return sparse.csr_matrix(np.column_stack(cols).astype(float))


def _cv_fits(X: sparse.csr_matrix, y: np.ndarray, bounds: list[Any], penalty: float,
             folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, list[np.ndarray]]:
    """Mean out-of-fold log loss of the joint fit at ``penalty`` and each fold's logit on
    every row (shape (n,) each)."""
    weights = penalty_weights(X)
    losses, logits = [], []
    for tr, te in folds:
        p = solve(X[tr], y[tr], penalty * weights, bounds)
        z = p[0] + X @ p[1:]
        losses.append(_log_loss(y[te], z[te]))
        logits.append(z)
    return float(np.mean(losses)), logits


def _column_var(X: sparse.csr_matrix) -> np.ndarray:
    mean = np.asarray(X.mean(axis=0)).ravel()
    return np.maximum(np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean ** 2, 1e-12)


def _fit_on_top(Xp: sparse.csr_matrix, y: np.ndarray, offset: np.ndarray,
                penalty: np.ndarray, bounds: list[Any]) -> np.ndarray:
    """``[shift, beta...]``: a pair's parameters and an intercept shift fitted on top of a
    card's logit ``offset`` (held fixed), L2 ``penalty`` per parameter, under the bounds."""
    XT = Xp.T.tocsr()
    n = len(y)

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        beta = params[1:]
        z = offset + params[0] + Xp @ beta
        r = expit(z) - y
        loss = float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * beta @ (penalty * beta))
        return loss / n, np.concatenate([[r.sum()], XT @ r + penalty * beta]) / n

    res = minimize(objective, np.zeros(Xp.shape[1] + 1), jac=True, method="L-BFGS-B",
                   bounds=[(None, None), *bounds],
                   options={"maxiter": 5000, "ftol": 1e-12, "gtol": 1e-8})
    return np.asarray(res.x, dtype=float)


def search_interactions(binned: Mapping[str, FeatureBins], bins: Mapping[str, np.ndarray],
                        y: np.ndarray, penalty: float,
                        random_state: int = 0,
                        say: Callable[[str], None] = lambda _m: None,
                        budget_s: float = math.inf, category_match: str | None = None,
                        declared: Mapping[str, str] | None = None,
                        overrides: Mapping[str, PairOverride] | None = None,
                        axes: Mapping[str, tuple[FeatureBins, np.ndarray]] | None = None,
                        codings: Mapping[str, FeatureCoding] | None = None,
                        ) -> tuple[list[PairBins], pd.DataFrame]:
    """The interactions that pay (module docstring) and the log of every pair considered
    (the selection log's columns: ``feature``, ``iv``, ``decision``, ``step``,
    ``reason``, ``overridden``). ``bins``: each development row's bin per characteristic
    of ``binned`` (the card's; a pair's x comes before its y in this order);
    ``budget_s``: seconds the confirmations may take; ``declared``: the characteristics'
    declared trends (``ascending``/``descending``; others are not held); ``overrides``:
    the reviewer's pairs by ``"X*Y"`` key (module docstring); ``axes``: finer units than
    its bins for a characteristic's axis in a grid and each row's unit
    (:func:`finer_axes`); ``codings``: the main-effects card's coding of a characteristic
    (:attr:`JointBinLogit.codings_ <scorecard.fit.joint.JointBinLogit>`, its directions)
    instead of :func:`~scorecard.fit.joint.code_feature`'s."""
    from sklearn.model_selection import StratifiedKFold

    sign = {n: DECLARED.get(t, 0) for n, t in (declared or {}).items()}

    clock = time.monotonic()
    yy = np.asarray(y, dtype=float)
    given = codings or {}
    codings = {n: given[n] if n in given else code_feature(fb) for n, fb in binned.items()}
    X0 = design_matrix(codings, bins)
    bounds0 = [b for c in codings.values() for b in c.bounds]
    # The main-effects card on all development rows: its residuals rank the pairs.
    main = solve(X0, yy, penalty * penalty_weights(X0), bounds0)
    z = main[0] + X0 @ main[1:]
    p = expit(z)
    g, h = p - yy, p * (1 - p)
    n = len(yy)
    names = list(binned)
    # Pairs are ranked on their parents' bins (a categorical parent's finer units); a
    # numeric parent's finer units only place the cuts of a pair that ranks in, so they
    # add no grids to the multiple testing that the rank floor bounds.
    axes = dict(axes or {})
    fine = {n: axes.pop(n) for n in names if n in axes and axes[n][0].kind == "numeric"}
    axis = {n: axes.get(n, (binned[n], bins[n])) for n in names}
    units: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # pair -> its parents' row units
    # Many grids are tried (every pair, each with its cuts): a pair ranks in only if its
    # gain, less a BIC cost per degree of freedom, beats what the best of that many pure
    # noise pairs would reach, log(number of pairs) (a Bonferroni bound in likelihood).
    cost = math.log(n) / 2
    n_pairs = len(names) * (len(names) - 1) // 2
    floor_ll = math.log(max(n_pairs, 2))
    rank_floor = floor_ll / n
    log: list[dict[str, Any]] = []
    ranked: list[tuple[float, PairBins]] = []
    overrides = dict(overrides or {})
    # The reviewer's pairs: an excluded one is never graded, a coarsened one keeps the
    # reviewer's axis groups (the other axis, if free, as the residuals choose it).
    reviewed: dict[tuple[str, str], tuple[PairOverride, tuple[np.ndarray | None,
                                                                np.ndarray | None]]] = {}
    overridden: dict[str, str] = {}  # pair name -> the override's words for the log
    for a, b in itertools.combinations(names, 2):
        # on the finer units: a reviewer coarsens the grid as the card drew it, whose cuts
        # may lie between a numeric parent's own split points
        ov, groups, adjusted = _override_of(overrides, fine.get(a, axis[a])[0],
                                            fine.get(b, axis[b])[0])
        if ov is None:
            continue
        reviewed[a, b] = ov, groups
        if ov.exclude is None:
            overridden[f"{a}_x_{b}"] = ("axis groups from the override"
                                        + (f" ({ov.reason})" if ov.reason else "")
                                        + (f"; {adjusted}" if adjusted else ""))
    for key in sorted(overrides):
        say(f"interactions: the override of {key} is not used: its parents are not both "
            "characteristics of the card")

    def grid(a: str, b: str, g: np.ndarray, h: np.ndarray) -> tuple[float, PairBins] | str:
        """The pair's grid chosen on residuals ``g``, ``h`` and its rank gain per row, or
        why it has none: on its parents' bins, then, for a pair that ranks in, with its
        cuts placed on a numeric parent's finer units when that gains more (a reviewed
        pair: on the units its override's groups were read on)."""
        ax, ay = fine.get(a, axis[a]), fine.get(b, axis[b])
        if (a, b) in reviewed:
            graded, on = graded_on(a, b, ax, ay, g, h), (ax[1], ay[1])
        else:
            graded, on = graded_on(a, b, axis[a], axis[b], g, h), (axis[a][1], axis[b][1])
            if not (isinstance(graded, str) or graded[0] < rank_floor
                    or not (a in fine or b in fine)):
                finer = graded_on(a, b, ax, ay, g, h)
                if not isinstance(finer, str) and finer[0] > graded[0]:
                    graded, on = finer, (ax[1], ay[1])
        if not isinstance(graded, str):
            units[graded[1].name] = on
        return graded

    def graded_on(a: str, b: str, ax: tuple[FeatureBins, np.ndarray],
                  ay: tuple[FeatureBins, np.ndarray], g: np.ndarray, h: np.ndarray,
                  ) -> tuple[float, PairBins] | str:
        (fa, ba), (fb_, bb) = ax, ay
        hist = _hist(ba, bb, (len(fa.table), len(fb_.table)),
                     (fa.n_regular, fb_.n_regular), g, h, yy)
        fixed = reviewed.get((a, b), (None, (None, None)))[1]
        if fixed[0] is not None and fixed[1] is not None:
            gx, gy = _all_bins(fixed[0], len(fa.table)), _all_bins(fixed[1], len(fb_.table))
        else:
            axes = choose_axes(hist, (fa.kind != "numeric", fb_.kind != "numeric"), cost,
                               floor_ll)
            if axes is None:
                return (f"no grid leaves {100 * MIN_AXIS_SHARE:g} % of the rows in each "
                        "parent's bins")
            _, gx, gy = axes
            if fixed[0] is not None:
                gx = _all_bins(fixed[0], len(fa.table))
            if fixed[1] is not None:
                gy = _all_bins(fixed[1], len(fb_.table))
        gain, dof = _grid_gain(hist, gx, gy)
        pair = pair_grid(fa, fb_, gx, gy, ba, bb, yy, category_match,
                         (sign.get(a, 0), sign.get(b, 0)))
        if pair.n_groups < 2:
            return (f"no cell of two regular bins with {MIN_CELL_EVENTS} defaults or more: "
                    "nothing to add")
        return (gain - cost * dof) / n, pair

    for a, b in itertools.combinations(names, 2):
        ov = reviewed.get((a, b), (None, None))[0]
        if ov is not None and ov.exclude is not None:
            log.append(_row(f"{a}_x_{b}", 0.0, "out", f"excluded by override: {ov.exclude}",
                            overridden=True))
            continue
        graded = grid(a, b, g, h)
        if isinstance(graded, str):
            log.append(_row(f"{a}_x_{b}", 0.0, "out", graded))
        else:
            ranked.append(graded)
    ranked.sort(key=lambda m: (-m[0], m[1].name))
    say(f"interactions: {len(ranked)} pair(s) ranked on the main effects' residuals")
    folds = list(StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True,
                                 random_state=random_state).split(np.zeros(len(yy)), yy))
    to_confirm = [(r, pair) for r, pair in ranked if r >= rank_floor]
    main_loss, logits = (_cv_fits(X0, yy, bounds0, penalty, folds)
                         if to_confirm else (math.nan, []))
    noise = f"log({n_pairs}) / n, what the best of {n_pairs} noise pairs reaches"
    # Out of fold too: the pairs confirmed were picked on these very rows, so a noise pair
    # that ranked high still shows a gain; it must beat the same bound.
    floor = max(MIN_GAIN * main_loss, rank_floor)
    why_floor = (noise if floor == rank_floor
                 else f"{100 * MIN_GAIN:g} % of the main-effects card's log loss")
    scale = float(_column_var(X0).mean()) if X0.shape[1] else 1.0  # penalty_weights' mean 1
    chosen: list[tuple[PairBins, FeatureCoding]] = []
    for r, pair in ranked:
        ranks = f"rank gain {r:.5f}"
        if r < rank_floor:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}, below {rank_floor:.5f} "
                            f"({noise}): not confirmed"))
            continue
        if time.monotonic() - clock > budget_s:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}; not confirmed: the "
                            f"search's time budget of {budget_s:g} s was spent"))
            continue
        if chosen:  # ranked again on the residuals of the card with the pairs already in
            graded = grid(pair.x, pair.y, g, h)
            if isinstance(graded, str) or graded[0] < rank_floor:
                again = graded if isinstance(graded, str) else f"rank gain {graded[0]:.5f}"
                log.append(_row(pair.name, pair.iv, "out", f"{ranks} on the main effects; on "
                                f"top of the pairs already in {again}, below {rank_floor:.5f}"
                                f" ({noise})"))
                continue
            r, pair = graded
            ranks = f"{ranks}, {r:.5f} on top of the pairs already in"
        coding = pair.coding()
        if not coding.A.shape[1]:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}; no step along its "
                            "declared trend has the defaults to support it"))
            continue
        cells = pair.cells_of(*units[pair.name])
        Xp = design_matrix({pair.name: coding}, {pair.name: cells})
        # Its grid's rows and columns move too, on both sides of the comparison: the
        # parents' points move with a pair in the joint fit, and a pair is credited only
        # with what they cannot hold (not with undoing their shrinkage).
        Xl = _lines(pair, cells)
        Xb = sparse.hstack([Xl, Xp], format="csr")
        free = [(None, None)] * Xl.shape[1]
        w_l, w_b = (penalty * _column_var(m) / scale for m in (Xl, Xb))

        def out_of_fold(X: sparse.csr_matrix, w: np.ndarray, bounds: list[Any],
                        start: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
            ahead = []
            for (tr, _), zf in zip(folds, start, strict=True):
                q = _fit_on_top(X[tr], yy[tr], zf[tr], w, bounds)
                ahead.append(zf + q[0] + X @ q[1:])
            return float(np.mean([_log_loss(yy[te], zf[te])
                                  for (_, te), zf in zip(folds, ahead, strict=True)])), ahead

        without, _ = out_of_fold(Xl, w_l, free, logits)
        loss, ahead = out_of_fold(Xb, w_b, [*free, *coding.bounds], logits)
        added = without - loss
        if added < floor:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}, out-of-fold gain "
                            f"{added:.5f} on top of the interactions already in, below "
                            f"{floor:.5f} ({why_floor})"))
            continue
        chosen.append((pair, coding))
        logits = ahead
        # The card with this pair on all development rows: the next pairs rank on its
        # residuals.
        q = _fit_on_top(Xb, yy, z, w_b, [*free, *coding.bounds])
        z = z + q[0] + Xb @ q[1:]
        p = expit(z)
        g, h = p - yy, p * (1 - p)
        kind = "monotone steps" if any(pair.signs) else "groups of cells"
        log.append(_row(pair.name, pair.iv, "in", f"{ranks}, out-of-fold gain {added:.5f} "
                        f"added to the card ({coding.A.shape[1]} parameters: {kind}, "
                        f"{len(pair.group)} cells)"))
    say(f"interactions: {len(to_confirm)} pair(s) to confirm in inner "
        f"CV, {len(chosen)} paid")
    kept = _monotone(chosen, binned, codings, bins, units, yy, penalty, bounds0, log)
    for entry in log:
        if entry["feature"] in overridden:
            entry["reason"] = f"{overridden[entry['feature']]}; {entry['reason']}"
            entry["overridden"] = True
    return kept, pd.DataFrame(log, columns=["feature", "iv", "decision", "step", "reason",
                                            "overridden"])


def _monotone(chosen: list[tuple[PairBins, FeatureCoding]],
              binned: Mapping[str, FeatureBins], codings: Mapping[str, FeatureCoding],
              bins: Mapping[str, np.ndarray],
              units: Mapping[str, tuple[np.ndarray, np.ndarray]], y: np.ndarray,
              penalty: float, bounds0: list[Any], log: list[dict[str, Any]],
              ) -> list[PairBins]:
    """The chosen pairs less those that turn a parent's declared trend around, fitted
    together on all development rows (module docstring; ``units``: each pair's parents'
    axis unit of each row); the log says which and why."""
    while chosen:
        design = {**codings, **{pair.name: coding for pair, coding in chosen}}
        rows = {**bins, **{pair.name: pair.cells_of(*units[pair.name])
                           for pair, _ in chosen}}
        X = design_matrix(design, rows)
        bounds = [*bounds0, *(b for _, c in chosen for b in c.bounds)]
        params = solve(X, y, penalty * penalty_weights(X), bounds)
        contributions, at = {}, 0
        for name, coding in design.items():
            contributions[name] = coding.A @ params[1 + at:1 + at + coding.A.shape[1]]
            at += coding.A.shape[1]
        against = next(((pair, why) for pair, _ in chosen
                        if (why := _against_trend(pair, binned, contributions))), None)
        if against is None:
            return [pair for pair, _ in chosen]
        pair, why = against
        chosen = [(p, c) for p, c in chosen if p is not pair]
        entry = next(e for e in log if e["feature"] == pair.name)
        entry["decision"] = "out"
        entry["reason"] += f"; dropped: {why}"
    return []


def _against_trend(pair: PairBins, binned: Mapping[str, FeatureBins],
                   contributions: Mapping[str, np.ndarray]) -> str | None:
    """Why the pair's grid turns a parent's declared trend around, or ``None``: the
    parent's points plus the grid's, piece by piece of the parent's bins and the grid's
    (:func:`_pieces`), in every line of the grid."""
    n_x, n_y = (len(p["bins"]) for p in pair.parents)
    grid = contributions[pair.name].reshape(n_x, n_y)
    populated = (pair.table["count"].to_numpy() > 0).reshape(n_x, n_y)
    for axis, (name, parent) in enumerate(zip((pair.x, pair.y), pair.parents, strict=True)):
        sign = pair.signs[axis]
        if not sign:
            continue
        own, line = _pieces(binned[name], parent)
        main = contributions[name][own]
        g = grid if axis == 0 else grid.T
        pop = populated if axis == 0 else populated.T
        for k in range(g.shape[1]):
            keep = pop[line, k]
            total = (main + g[line, k])[keep]
            if np.any(sign * np.diff(total) < -TREND_TOLERANCE):
                trend = "ascending" if sign > 0 else "descending"
                return (f"its points turn {name}'s declared {trend} trend around in a "
                        f"{'column' if axis == 0 else 'row'} of the grid")
    return None


def _pieces(fb: FeatureBins, parent: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The regular values of a characteristic cut by its own bins and by a grid's bins
    along it (``parent``, the grid's rule): each piece's own bin and grid bin, in order,
    shape (n_pieces,) each. A grid may cut a numeric parent between its own split points
    (:func:`finer_axes`); a categorical parent's grid bins are unions of its own bins."""
    if fb.kind == "numeric":
        own_splits = np.asarray(fb.splits, dtype=float)
        grid_splits = np.asarray(parent["splits"], dtype=float)
        lower: np.ndarray = np.r_[-math.inf, np.unique(np.r_[own_splits, grid_splits])]
        return (np.searchsorted(own_splits, lower, side="right"),
                np.searchsorted(grid_splits, lower, side="right"))
    of = {c: b["index"] for b in parent["bins"] if b["type"] == "regular"
          for c in b["categories"]}
    return (np.arange(fb.n_regular),
            np.array([of[g[0]] for g in fb.groups], dtype=np.int64))


def _all_bins(regular: np.ndarray, n_bins: int) -> np.ndarray:
    """A reviewer's grid bins of a parent's regular bins (:func:`axis_groups`), then one grid
    bin per special or missing bin, shape (n_bins,)."""
    k = int(regular.max()) + 1 if len(regular) else 0
    return np.concatenate([regular, k + np.arange(n_bins - len(regular))]).astype(np.int64)


def _override_of(overrides: dict[str, PairOverride], fx: FeatureBins, fy: FeatureBins,
                 ) -> tuple[PairOverride | None,
                            tuple[np.ndarray | None, np.ndarray | None], str]:
    """The override of the pair (x, y), taken out of ``overrides`` (a ``"Y*X"`` key: its
    axes swapped), its axis groups and what they adjusted (:func:`axis_groups`)."""
    for key, swap in ((f"{fx.name}*{fy.name}", False), (f"{fy.name}*{fx.name}", True)):
        ov = overrides.pop(key, None)
        if ov is None:
            continue
        where = f'pairs."{key}".'
        axes = (ov.axis(1), ov.axis(0)) if swap else (ov.axis(0), ov.axis(1))
        names = ("yx" if swap else "xy")
        if ov.exclude is not None:
            return ov, (None, None), ""
        (gx, nx), (gy, ny) = (axis_groups(fx, *axes[0], where + names[0]),
                              axis_groups(fy, *axes[1], where + names[1]))
        return ov, (gx, gy), "; ".join(n for n in (nx, ny) if n)
    return None, (None, None), ""


def _row(name: str, iv: float, decision: str, reason: str,
         overridden: bool = False) -> dict[str, Any]:
    return {"feature": name, "iv": iv, "decision": decision, "step": "interaction",
            "reason": reason, "overridden": overridden}
