"""Two-dimensional interaction characteristics for the joint card, only where they pay.

Candidates are the pairs of the card's ``TOP_FEATURES`` (6) characteristics of highest IV,
at most 15 pairs; a pair with a categorical parent is logged and not searched. Each pair is
binned by optbinning's ``OptimalBinning2D`` (no trend, every 2D bin at least
``MIN_CELL_SHARE`` of the rows and ``MIN_CELL_EVENTS`` defaults), on top of the parents'
special codes and missing values. Its 2D bins are rectangles; the union of their edges makes
each parent's splits, so the published grid (rows: the bins of x, then x's special and
missing bins; columns: the same for y) has cells that each lie in one rectangle. All cells
with a special or missing parent form one more group.

In the joint design (:mod:`scorecard.fit.joint`) an interaction adds one indicator per
group of cells (one-hot; baseline, contribution 0, the most populated group), penalised with
the same variance-weighted L2 penalty as the bins, on top of its parents' own
characteristics; empty cells get the row-weighted mean (neutral). A pair is measured by the
out-of-fold log loss of the whole joint card with and without it, on the development rows,
the same stratified inner folds and the penalty the card chose without interactions; pairs
are added greedily, best first, while each adds at least ``MIN_GAIN`` to the card as it
stands, at most ``MAX_INTERACTIONS`` (3). Every pair considered is logged with its gains and
why it is in or out.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from scorecard.card.engine import InteractionRule
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

TOP_FEATURES = 6  # pairs among the 6 characteristics of highest IV: at most 15
MAX_INTERACTIONS = 3
# Out-of-fold log loss per row a pair must save. HELOC fold 1 of 5: at 2e-4 (and 2 % cells)
# a pair got in with a 0.0003 inner gain and cost 0.0026 holdout AUC.
MIN_GAIN = 5e-4
MIN_CELL_SHARE = 0.05
MIN_CELL_EVENTS = 30
MAX_PREBINS = 5  # per axis: at most 25 prebin cells, OptimalBinning2D stays cheap


@dataclass
class PairBins:
    """One interaction's bins: ``parents`` (the artifact's parent rules, no points),
    ``group`` (n_cells,) the 2D bin of each cell, ``n_groups``, ``table`` one row per cell
    (row-major: ``type`` "cell", ``row``, ``col``, ``label``, ``x_bin`` and ``y_bin`` (the
    parents' bin labels), ``count``, ``event``, ``event_rate``, ``woe`` over the fitting
    rows, ``group``) and the 2D ``iv``."""

    name: str
    x: str
    y: str
    parents: list[dict[str, Any]]
    group: np.ndarray
    n_groups: int
    table: pd.DataFrame
    iv: float

    def rule(self) -> InteractionRule:
        n_x, n_y = (len(p["bins"]) for p in self.parents)
        return InteractionRule({"parents": self.parents, "grid": [[0] * n_y] * n_x,
                                "unseen_points": 0})

    def cells(self, X: pd.DataFrame) -> np.ndarray:
        """Each row's cell (flattened, row-major), shape (n,), by the engine's own rule."""
        return self.rule().assign(X[self.x], X[self.y])[0]

    def feature_bins(self) -> FeatureBins:
        """The cells as a :class:`FeatureBins` (kind ``interaction``): the joint fit reads
        its counts and labels."""
        return FeatureBins(self.name, "interaction", None, table=self.table, iv=self.iv)

    def coding(self) -> FeatureCoding:
        """One indicator per non-baseline group of cells (module docstring)."""
        counts = self.table["count"].to_numpy()
        per_group = np.bincount(self.group, weights=counts, minlength=self.n_groups)
        baseline = int(np.argmax(per_group))
        coding = FeatureCoding(self.name, 0, baseline, np.zeros((len(counts), 0)))
        coding.neutral = [int(c) for c in np.flatnonzero(counts == 0)]
        for g in range(self.n_groups):
            members = np.flatnonzero((self.group == g) & (counts > 0))
            if g != baseline and len(members):
                coding.add(indicator(len(counts), members),
                           f"{self.name}: 2D bin {g} ({len(members)} cells)", "cell group",
                           int(members[0]))
        return coding


def _label(lo: float, hi: float) -> str:
    return f"[{lo:.6g}, {hi:.6g})"


def _parent(fb: FeatureBins, splits: list[float]) -> dict[str, Any]:
    edges = [-math.inf, *splits, math.inf]
    bins: list[dict[str, Any]] = [{"index": i, "type": "regular",
                                   "label": _label(edges[i], edges[i + 1])}
                                  for i in range(len(splits) + 1)]
    for label, codes in fb.special.items():
        bins.append({"index": len(bins), "type": "special", "label": str(label),
                     "codes": [float(c) for c in codes]})
    bins.append({"index": len(bins), "type": "missing", "label": "Missing"})
    return {"name": fb.name, "kind": "numeric", "splits": splits, "bins": bins}


def bin_pair(fx: FeatureBins, fy: FeatureBins, X: pd.DataFrame, y: np.ndarray
             ) -> PairBins | str:
    """The 2D bins of one pair (module docstring), or why there are none."""
    from optbinning import OptimalBinning2D

    xs = X[fx.name].to_numpy(dtype=float)
    ys = X[fy.name].to_numpy(dtype=float)
    codes_x = [c for cs in fx.special.values() for c in cs]
    codes_y = [c for cs in fy.special.values() for c in cs]
    ob = OptimalBinning2D(name_x=fx.name, name_y=fy.name, max_n_prebins_x=MAX_PREBINS,
                          max_n_prebins_y=MAX_PREBINS, min_bin_size=MIN_CELL_SHARE,
                          min_bin_n_event=MIN_CELL_EVENTS,
                          special_codes_x=codes_x or None, special_codes_y=codes_y or None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ob.fit(xs, ys, np.asarray(y))
    if ob.status not in ("OPTIMAL", "FEASIBLE"):
        return f"OptimalBinning2D found no binning ({ob.status})"
    rx, ry = (np.asarray(s, dtype=float) for s in ob.splits)
    if len(rx) < 2:
        return "OptimalBinning2D kept a single 2D bin above the floor"
    sx = sorted({float(v) for v in rx.ravel() if math.isfinite(v)})
    sy = sorted({float(v) for v in ry.ravel() if math.isfinite(v)})
    px, py = _parent(fx, sx), _parent(fy, sy)
    n_x, n_y = len(px["bins"]), len(py["bins"])
    other = len(rx)  # the group of cells with a special or missing parent
    group = np.full(n_x * n_y, other, dtype=np.int64)

    def mid(edges: list[float], i: int) -> float:
        e = [edges[0] - 1.0 if edges else -1.0, *edges, edges[-1] + 1.0 if edges else 1.0]
        return (e[i] + e[i + 1]) / 2

    for i in range(len(sx) + 1):
        for j in range(len(sy) + 1):
            mx, my = mid(sx, i), mid(sy, j)
            hit = np.flatnonzero((rx[:, 0] <= mx) & (mx < rx[:, 1])
                                 & (ry[:, 0] <= my) & (my < ry[:, 1]))
            group[i * n_y + j] = int(hit[0]) if len(hit) else other
    pair = PairBins(f"{fx.name}_x_{fy.name}", fx.name, fy.name, [px, py], group, other + 1,
                    pd.DataFrame(), 0.0)
    cells = pair.cells(X)
    yy = np.asarray(y, dtype=float)
    count = np.bincount(cells, minlength=n_x * n_y)
    event = np.bincount(cells, weights=yy, minlength=n_x * n_y).astype(np.int64)
    good, bad = count - event, event
    with np.errstate(divide="ignore", invalid="ignore"):
        woe = np.log((good / max(good.sum(), 1)) / (bad / max(bad.sum(), 1)))
        rate = np.where(count > 0, event / np.maximum(count, 1), 0.0)
    woe = np.where((good > 0) & (bad > 0), woe, 0.0)  # an empty or pure cell: neutral
    labels = [f"{fx.name} {bx['label']}, {fy.name} {by['label']}"
              for bx in px["bins"] for by in py["bins"]]
    pair.table = pd.DataFrame({
        "feature": pair.name, "bin": np.arange(n_x * n_y), "type": "cell",
        "row": np.repeat(np.arange(n_x), n_y), "col": np.tile(np.arange(n_y), n_x),
        "label": labels, "x_bin": [b["label"] for b in px["bins"] for _ in py["bins"]],
        "y_bin": [b["label"] for _ in px["bins"] for b in py["bins"]],
        "count": count, "event": event, "event_rate": rate, "woe": woe, "group": group})
    share_good, share_bad = good / max(good.sum(), 1), bad / max(bad.sum(), 1)
    pair.iv = float(np.sum((share_good - share_bad) * woe))
    return pair


def _cv_loss(X: sparse.csr_matrix, y: np.ndarray, bounds: list[Any], penalty: float,
             folds: list[tuple[np.ndarray, np.ndarray]],
             starts: list[np.ndarray] | None = None) -> tuple[float, list[np.ndarray]]:
    """Mean out-of-fold log loss of the joint fit at ``penalty``, and each fold's solution
    (warm starts: ``starts`` padded with zeros for the new parameters)."""
    weights = penalty_weights(X)
    losses, params = [], []
    for k, (tr, te) in enumerate(folds):
        start = None
        if starts is not None:
            start = np.zeros(X.shape[1] + 1)
            start[:len(starts[k])] = starts[k]
        p = solve(X[tr], y[tr], penalty * weights, bounds, start)
        losses.append(_log_loss(y[te], p[0] + X[te] @ p[1:]))
        params.append(p)
    return float(np.mean(losses)), params


def search_interactions(binned: Mapping[str, FeatureBins], bins: Mapping[str, np.ndarray],
                        X: pd.DataFrame, y: np.ndarray, penalty: float,
                        random_state: int = 0,
                        say: Callable[[str], None] = lambda _m: None,
                        ) -> tuple[list[PairBins], pd.DataFrame]:
    """The interactions that pay (module docstring) and the log of every pair considered
    (the selection log's columns: ``feature``, ``iv``, ``decision``, ``step``,
    ``reason``, ``overridden``)."""
    from sklearn.model_selection import StratifiedKFold

    yy = np.asarray(y, dtype=float)
    codings = {n: code_feature(fb) for n, fb in binned.items()}
    X0 = design_matrix(codings, bins)
    bounds0 = [b for c in codings.values() for b in c.bounds]
    folds = list(StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True,
                                 random_state=random_state).split(np.zeros(len(yy)), yy))
    base, base_params = _cv_loss(X0, yy, bounds0, penalty, folds)
    best = set(sorted(binned, key=lambda n: -binned[n].iv)[:TOP_FEATURES])
    top = [n for n in X.columns if n in best]  # pairs (x, y) in column order
    log: list[dict[str, Any]] = []
    measured: list[tuple[float, PairBins, sparse.csr_matrix, list[Any]]] = []
    for a, b in itertools.combinations(top, 2):
        fx, fy = binned[a], binned[b]
        name = f"{a}_x_{b}"
        if fx.kind != "numeric" or fy.kind != "numeric":
            log.append(_row(name, np.nan, "out", "a categorical parent: only numeric pairs "
                            "are searched"))
            continue
        pair = bin_pair(fx, fy, X, yy)
        if isinstance(pair, str):
            log.append(_row(name, np.nan, "out", pair))
            continue
        coding = pair.coding()
        if not coding.A.shape[1]:
            log.append(_row(name, pair.iv, "out", "one populated 2D bin: nothing to add"))
            continue
        Xp = design_matrix({pair.name: coding}, {pair.name: pair.cells(X)})
        loss, _ = _cv_loss(sparse.hstack([X0, Xp], format="csr"), yy,
                           [*bounds0, *coding.bounds], penalty, folds, base_params)
        measured.append((base - loss, pair, Xp, coding.bounds))
    say(f"interactions: {len(measured)} pair(s) measured in inner CV")
    measured.sort(key=lambda m: (-m[0], m[1].name))
    chosen: list[PairBins] = []
    current, current_bounds, current_loss = X0, list(bounds0), base
    for gain, pair, Xp, bounds in measured:
        alone = f"out-of-fold log loss gain {gain:.5f} alone"
        if gain < MIN_GAIN:
            log.append(_row(pair.name, pair.iv, "out", f"{alone}, below {MIN_GAIN:g}"))
            continue
        if len(chosen) >= MAX_INTERACTIONS:
            log.append(_row(pair.name, pair.iv, "out",
                            f"{alone}; already {MAX_INTERACTIONS} interactions"))
            continue
        candidate = sparse.hstack([current, Xp], format="csr")
        if chosen:
            loss, _ = _cv_loss(candidate, yy, [*current_bounds, *bounds], penalty, folds)
        else:
            loss = base - gain
        added = current_loss - loss
        if added < MIN_GAIN:
            log.append(_row(pair.name, pair.iv, "out", f"{alone}, {added:.5f} on top of the "
                            f"interactions already in, below {MIN_GAIN:g}"))
            continue
        chosen.append(pair)
        current, current_bounds, current_loss = candidate, [*current_bounds, *bounds], loss
        log.append(_row(pair.name, pair.iv, "in", f"{alone}, {added:.5f} added to the card "
                        f"({pair.n_groups} 2D bins, {len(pair.group)} cells)"))
    return chosen, pd.DataFrame(log, columns=["feature", "iv", "decision", "step", "reason",
                                              "overridden"])


def _row(name: str, iv: float, decision: str, reason: str) -> dict[str, Any]:
    return {"feature": name, "iv": iv, "decision": decision, "step": "interaction",
            "reason": reason, "overridden": False}
