"""Two-dimensional interaction characteristics for the joint card, only where they pay.

**Grid.** A pair's grid is built on its parents' own bins: each parent's regular bins are
merged, adjacent ones together, into at most ``MAX_AXIS`` (4) groups (numeric: a subset of
its splits; categorical: unions of its category groups, which the binning orders by default
rate), cut where the parent's WoE steps most, each group at least ``MIN_AXIS_SHARE`` of the
rows (an interaction tends to live where the average effect of a parent changes, and a grid
cut there does not cross a parent's own steep step); its special and missing bins stay as
they are. The
published grid has one row per coarse bin of x and one column per coarse bin of y. A cell of
two regular bins with at least ``MIN_CELL_EVENTS`` defaults is a group of its own; every
other cell (too few defaults, or a special or missing parent) falls in one more group.

**Ranking** (the idea of FAST, Lou et al., KDD 2013: score every pair cheaply on the
residuals of the additive model, fit only the best). On the development rows, with ``p``
the main-effects card's pd, ``g = p - y`` and ``h = p (1 - p)``, a lookup fitted to the
residuals with one Newton step per group gains ``sum_groups G^2 / (2 H)`` of log likelihood
(``G``, ``H`` the sums of ``g``, ``h`` over the group's rows: numpy bincounts, so every
pair of the card's characteristics is ranked, numeric or categorical). A pair's rank gain
per row is that gain less the same for its grid's rows alone and columns alone (what main
effects already hold) and less ``(groups - 1) / (2 n)``, what as many free parameters gain
on noise in sample.

**Confirmation.** In the joint design (:mod:`scorecard.fit.joint`) an interaction adds its
own parameters on top of its parents' characteristics, penalised with the same
variance-weighted L2 penalty as the bins: one indicator per group of cells (one-hot;
baseline, contribution 0, the most populated group; empty cells get the row-weighted mean,
neutral), or, when a parent has a declared trend, monotone steps (below). Pairs whose rank
gain reaches ``MIN_GAIN`` of the main-effects card's log loss (a share: log loss scales
with the default rate) are confirmed best first by out-of-fold log loss on stratified
inner folds of the development rows: in each fold the joint card without interactions is
fitted once at the penalty it chose, and a pair's parameters (with an intercept shift) are
fitted on top of that fold's card as it stands (its logit held fixed, the same penalty per
parameter), so a confirmation costs a small fit, not a refit of the card; a pair is added
while it saves at least that share on top of the pairs already in: as many as pay. The
published card then fits the main effects and the pairs together. A time budget (the joint
method's ``interaction_budget_s``, :data:`scorecard.fit.spec.METHOD_DEFAULTS`) bounds the
confirmations; pairs left when it is spent are logged as such. The rank floor, not the
budget, ends the search on ordinary data, so the same data give the same card.

**Monotone.** A pair may not turn a parent's declared trend (``ascending`` or
``descending`` in the spec or an override) around. With one declared parent the grid is
coded as steps towards that parent's risk within each column (row) of the other's bins,
each bounded to add risk, so the parent's own points plus the grid's keep its trend in
every line; with both declared, one step per corner of the two regular parts (the cells at
or beyond both), bounded alike. A step needs ``MIN_CELL_EVENTS`` defaults in its corner cell.
The chosen pairs are then fitted together on all development rows and checked; a pair that
still turns a trend by more than ``TREND_TOLERANCE`` is dropped and the rest refitted.

**Overrides** (:class:`~scorecard.fit.overrides.PairOverride`, a reviewer's
``[pairs."X*Y"]`` table): an excluded pair is never confirmed, and the log says so with the
reviewer's reason; a coarsened pair's axis takes the reviewer's groups (split points that
are some of the parent's own, or unions of its category groups; on rows binned otherwise,
the nearest such, see :func:`axis_groups`) instead of the merge above, and is then ranked
and confirmed as any other pair: an override may remove or coarsen a
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
    code_feature,
    design_matrix,
    indicator,
    penalty_weights,
    solve,
)
from scorecard.fit.overrides import OverridesError, PairOverride

MAX_AXIS = 4  # regular bins per parent in a grid: at most 4 x 4 cells of two regular bins
MIN_AXIS_SHARE = 0.1  # of the rows, in each of a parent's merged bins
# The share of the main-effects card's log loss a pair must save out of fold (and its rank
# gain reach in sample): relative, as log loss scales with the default rate. HELOC fold 1
# of 5: a pair saving 0.05 % got in and cost holdout AUC.
MIN_GAIN = 1e-3
MIN_CELL_EVENTS = 30
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
    rows, ``group``), the 2D ``iv``, ``maps``: each parent's own bins to the grid's, and
    ``signs``: each parent's declared trend (+1 ascending, -1 descending, 0 none)."""

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
        """Each row's cell from its parents' own bins (shape (n,)): the same cells as
        :meth:`cells` on the rows the parents were binned on."""
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
        baseline = int(np.argmax(per_group))
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

        def add(mask: np.ndarray, i: int, j: int, what: str) -> None:
            if events[i, j] >= MIN_CELL_EVENTS:
                coding.add(mask.ravel().astype(float), f"{self.name}: {what}", "cell step",
                           int(i * n_y + j), (0.0, None))

        if all(self.signs):
            for r in range(1, reg[0]):
                for c in range(1, reg[1]):
                    add(np.outer(upper(0, r), upper(1, c)), corner(0, r), corner(1, c),
                        f"step at row {corner(0, r)}, column {corner(1, c)}")
        else:
            axis = 0 if self.signs[0] else 1
            n_other = (n_y, n_x)[axis]
            for line in range(n_other):
                for r in range(1, reg[axis]):
                    along = upper(axis, r)
                    across = np.arange(n_other) == line
                    mask = np.outer(along, across) if axis == 0 else np.outer(across, along)
                    i, j = ((corner(0, r), line) if axis == 0 else (line, corner(1, r)))
                    add(mask, i, j, f"step at row {i}, column {j}")
        return coding


def _label(lo: float, hi: float) -> str:
    return f"[{lo:.6g}, {hi:.6g})"


def coarse_parent(fb: FeatureBins, category_match: str | None = None,
                  group: np.ndarray | None = None) -> tuple[dict[str, Any], np.ndarray]:
    """A parent's rule in a grid (module docstring) and the map from its own bins (rows of
    ``fb.table``) to the grid's, shape (n_bins,). ``group``: each regular bin's grid group
    as a reviewer set it (:func:`axis_groups`; ``None``: merged where the WoE steps)."""
    t = fb.table
    n_reg = fb.n_regular
    if group is None:
        group = _merge(t["count"].to_numpy(dtype=float)[:n_reg], t["woe"].to_numpy()[:n_reg])
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


def _merge(counts: np.ndarray, woe: np.ndarray) -> np.ndarray:
    """Each regular bin's group when adjacent bins are merged (module docstring): cuts go
    where the WoE steps most, largest first, each kept only if every group it leaves holds
    ``MIN_AXIS_SHARE`` of the rows, at most ``MAX_AXIS - 1`` cuts."""
    total = max(float(counts.sum()), 1.0)
    cuts: list[int] = []
    for b in sorted(range(1, len(counts)), key=lambda b: (-abs(woe[b] - woe[b - 1]), b)):
        trial = sorted([*cuts, b])
        shares = np.add.reduceat(counts, [0, *trial]) / total
        if len(cuts) < MAX_AXIS - 1 and shares.min() >= MIN_AXIS_SHARE:
            cuts = trial
    return np.searchsorted(np.asarray(cuts, dtype=np.int64), np.arange(len(counts)),
                           side="right").astype(np.int64)


def pair_grid(fx: FeatureBins, fy: FeatureBins, bx: np.ndarray, by: np.ndarray,
              y: np.ndarray, category_match: str | None = None,
              signs: tuple[int, int] = (0, 0),
              groups: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
              ) -> PairBins:
    """The grid of one pair (module docstring) from the development rows' own bins of its
    parents (``bx``, ``by``, shape (n,)), their 0/1 ``y``, the parents' declared trends
    (``signs``: +1 ascending, -1 descending, 0 none) and an override's axis groups
    (``groups``, see :func:`axis_groups`)."""
    px, mx = coarse_parent(fx, category_match, groups[0])
    py, my = coarse_parent(fy, category_match, groups[1])
    n_x, n_y = len(px["bins"]), len(py["bins"])
    regular_x = sum(b["type"] == "regular" for b in px["bins"])
    regular_y = sum(b["type"] == "regular" for b in py["bins"])
    cells = _cells(mx, my, bx, by, n_y)
    yy = np.asarray(y, dtype=float)
    count = np.bincount(cells, minlength=n_x * n_y)
    event = np.bincount(cells, weights=yy, minlength=n_x * n_y).astype(np.int64)
    row, col = np.divmod(np.arange(n_x * n_y), n_y)
    own = (row < regular_x) & (col < regular_y) & (event >= MIN_CELL_EVENTS)
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


def _cells(mx: np.ndarray, my: np.ndarray, bx: np.ndarray, by: np.ndarray, n_y: int,
           ) -> np.ndarray:
    """Each row's grid cell from its parents' own bins (an unseen category: the parent's
    last bin, its missing bin; development rows have none)."""
    i = mx[np.where(bx == UNSEEN, len(mx) - 1, bx)]
    j = my[np.where(by == UNSEEN, len(my) - 1, by)]
    return i * n_y + j


def _newton_gain(key: np.ndarray, n_keys: int, g: np.ndarray, h: np.ndarray) -> float:
    """Log likelihood one Newton step per key gains: ``sum G^2 / (2 H)``."""
    G = np.bincount(key, weights=g, minlength=n_keys)
    H = np.bincount(key, weights=h, minlength=n_keys)
    ok = H > 0
    return float(np.sum(G[ok] ** 2 / H[ok])) / 2


def rank_gain(pair: PairBins, bx: np.ndarray, by: np.ndarray, g: np.ndarray,
              h: np.ndarray) -> float:
    """The FAST-style rank gain per row of one pair (module docstring)."""
    mx, my = pair.maps
    n_x, n_y = (len(p["bins"]) for p in pair.parents)
    cells = _cells(mx, my, bx, by, n_y)
    n = len(g)
    lookup = _newton_gain(pair.group[cells], pair.n_groups, g, h)
    rows = _newton_gain(cells // n_y, n_x, g, h)
    cols = _newton_gain(cells % n_y, n_y, g, h)
    return (lookup - rows - cols) / n - (pair.n_groups - 1) / (2 * n)


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
                        ) -> tuple[list[PairBins], pd.DataFrame]:
    """The interactions that pay (module docstring) and the log of every pair considered
    (the selection log's columns: ``feature``, ``iv``, ``decision``, ``step``,
    ``reason``, ``overridden``). ``bins``: each development row's bin per characteristic
    of ``binned`` (the card's; a pair's x comes before its y in this order);
    ``budget_s``: seconds the confirmations may take; ``declared``: the characteristics'
    declared trends (``ascending``/``descending``; others are not held); ``overrides``:
    the reviewer's pairs by ``"X*Y"`` key (module docstring)."""
    from sklearn.model_selection import StratifiedKFold

    sign = {n: DECLARED.get(t, 0) for n, t in (declared or {}).items()}

    clock = time.monotonic()
    yy = np.asarray(y, dtype=float)
    codings = {n: code_feature(fb) for n, fb in binned.items()}
    X0 = design_matrix(codings, bins)
    bounds0 = [b for c in codings.values() for b in c.bounds]
    # The main-effects card on all development rows: its residuals rank the pairs.
    main = solve(X0, yy, penalty * penalty_weights(X0), bounds0)
    z = main[0] + X0 @ main[1:]
    p = expit(z)
    g, h = p - yy, p * (1 - p)
    rank_floor = MIN_GAIN * _log_loss(yy, z)
    log: list[dict[str, Any]] = []
    ranked: list[tuple[float, PairBins]] = []
    overrides = dict(overrides or {})
    overridden: dict[str, str] = {}  # pair name -> the override's words for the log
    for a, b in itertools.combinations(list(binned), 2):
        ov, groups, adjusted = _override_of(overrides, binned[a], binned[b])
        pair = pair_grid(binned[a], binned[b], bins[a], bins[b], yy, category_match,
                         (sign.get(a, 0), sign.get(b, 0)), groups)
        if ov is not None and ov.exclude is not None:
            log.append(_row(pair.name, pair.iv, "out", f"excluded by override: {ov.exclude}",
                            overridden=True))
            continue
        if ov is not None:
            overridden[pair.name] = ("axis groups from the override"
                                     + (f" ({ov.reason})" if ov.reason else "")
                                     + (f"; {adjusted}" if adjusted else ""))
        if pair.n_groups < 2:
            log.append(_row(pair.name, pair.iv, "out", f"no cell of two regular bins with "
                            f"{MIN_CELL_EVENTS} defaults or more: nothing to add"))
            continue
        ranked.append((rank_gain(pair, bins[a], bins[b], g, h), pair))
    for key in sorted(overrides):
        say(f"interactions: the override of {key} is not used: its parents are not both "
            "characteristics of the card")
    ranked.sort(key=lambda m: (-m[0], m[1].name))
    say(f"interactions: {len(ranked)} pair(s) ranked on the main effects' residuals")
    folds = list(StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True,
                                 random_state=random_state).split(np.zeros(len(yy)), yy))
    to_confirm = [(r, pair) for r, pair in ranked if r >= rank_floor]
    current_loss, logits = (_cv_fits(X0, yy, bounds0, penalty, folds)
                            if to_confirm else (math.nan, []))
    floor = MIN_GAIN * current_loss
    share = f"{100 * MIN_GAIN:g} % of the main-effects card's log loss"
    scale = float(_column_var(X0).mean()) if X0.shape[1] else 1.0  # penalty_weights' mean 1
    chosen: list[tuple[PairBins, FeatureCoding]] = []
    for r, pair in ranked:
        ranks = f"rank gain {r:.5f}"
        if r < rank_floor:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}, below {rank_floor:.5f} "
                            f"({share}): not confirmed"))
            continue
        if time.monotonic() - clock > budget_s:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}; not confirmed: the "
                            f"search's time budget of {budget_s:g} s was spent"))
            continue
        coding = pair.coding()
        if not coding.A.shape[1]:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}; no step along its "
                            "declared trend has the defaults to support it"))
            continue
        Xp = design_matrix({pair.name: coding}, {pair.name: pair.cells_of(
            bins[pair.x], bins[pair.y])})
        weights = penalty * _column_var(Xp) / scale
        fits = [_fit_on_top(Xp[tr], yy[tr], z[tr], weights, coding.bounds)
                for (tr, _), z in zip(folds, logits, strict=True)]
        ahead = [z + q[0] + Xp @ q[1:] for z, q in zip(logits, fits, strict=True)]
        loss = float(np.mean([_log_loss(yy[te], z[te])
                              for (_, te), z in zip(folds, ahead, strict=True)]))
        added = current_loss - loss
        if added < floor:
            log.append(_row(pair.name, pair.iv, "out", f"{ranks}, out-of-fold gain "
                            f"{added:.5f} on top of the interactions already in, below "
                            f"{floor:.5f} ({share})"))
            continue
        chosen.append((pair, coding))
        current_loss, logits = loss, ahead
        kind = "monotone steps" if any(pair.signs) else "groups of cells"
        log.append(_row(pair.name, pair.iv, "in", f"{ranks}, out-of-fold gain {added:.5f} "
                        f"added to the card ({coding.A.shape[1]} parameters: {kind}, "
                        f"{len(pair.group)} cells)"))
    say(f"interactions: {len(to_confirm)} pair(s) to confirm in inner "
        f"CV, {len(chosen)} paid")
    kept = _monotone(chosen, binned, codings, bins, yy, penalty, bounds0, log)
    for entry in log:
        if entry["feature"] in overridden:
            entry["reason"] = f"{overridden[entry['feature']]}; {entry['reason']}"
            entry["overridden"] = True
    return kept, pd.DataFrame(log, columns=["feature", "iv", "decision", "step", "reason",
                                            "overridden"])


def _monotone(chosen: list[tuple[PairBins, FeatureCoding]],
              binned: Mapping[str, FeatureBins], codings: Mapping[str, FeatureCoding],
              bins: Mapping[str, np.ndarray], y: np.ndarray, penalty: float,
              bounds0: list[Any], log: list[dict[str, Any]]) -> list[PairBins]:
    """The chosen pairs less those that turn a parent's declared trend around, fitted
    together on all development rows (module docstring); the log says which and why."""
    while chosen:
        design = {**codings, **{pair.name: coding for pair, coding in chosen}}
        rows = {**bins, **{pair.name: pair.cells_of(bins[pair.x], bins[pair.y])
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
    """Why the pair's grid turns a parent's declared trend around, or ``None``."""
    n_x, n_y = (len(p["bins"]) for p in pair.parents)
    grid = contributions[pair.name].reshape(n_x, n_y)
    populated = (pair.table["count"].to_numpy() > 0).reshape(n_x, n_y)
    for axis, (name, m) in enumerate(zip((pair.x, pair.y), pair.maps, strict=True)):
        fb = binned[name]
        sign = pair.signs[axis]
        if not sign:
            continue
        n_reg = fb.n_regular
        main = contributions[name][:n_reg]
        g = grid if axis == 0 else grid.T
        pop = populated if axis == 0 else populated.T
        for k in range(g.shape[1]):
            keep = pop[m[:n_reg], k]
            total = (main + g[m[:n_reg], k])[keep]
            if np.any(sign * np.diff(total) < -TREND_TOLERANCE):
                trend = "ascending" if sign > 0 else "descending"
                return (f"its points turn {name}'s declared {trend} trend around in a "
                        f"{'column' if axis == 0 else 'row'} of the grid")
    return None


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
