"""Scoring from the artifact alone (numpy + stdlib: no optbinning, no statsmodels).

For each characteristic the card's bin rule finds a value's bin — numeric: missing, then
special code, then ``bisect_right(splits, x)`` (bin ``i`` holds ``splits[i-1] <= x <
splits[i]``, as optbinning bins); categorical: missing, the group holding the category, or
*unseen* (neutral WoE 0) — and the engine adds the bins' integer points. The total score
gives pd through the published scaling (:mod:`scorecard.card.scaling`).

Each rule (:class:`NumericRule`, :class:`CategoricalRule`) is parsed once from the artifact
and offers the vectorised ``assign(values)`` for batches (:class:`ScoringEngine`) and the
scalar ``assign_one(value)`` for one API applicant (:class:`RowScorer`, where numpy's call
overhead would dominate), both reading the same tables and the same :func:`is_missing` /
:func:`category_key`, so a rule changes in one place.

An *interaction* characteristic (``kind`` ``"interaction"``, :class:`InteractionRule`) reads
two input columns, its *parents*: each parent's own numeric or categorical rule finds its
bin ``i`` (of ``n_x``) and ``j`` (of ``n_y``), and the characteristic's bin is the cell
``i * n_y + j`` of its points grid (row-major). An unseen category in either parent gives the
bin ``UNSEEN`` and the characteristic's ``unseen_points``. A parent may also be a
characteristic of its own; the engine reads each input column once per characteristic.

A *derived* characteristic (:mod:`scorecard.card.derived`, :class:`RoundingRule`) reads one
input column and bins a label made of its value, as a categorical rule bins a category.

A value is *missing* (``None``, NaN, pandas' NA: the missing bin prices it) or *omitted*
(:data:`OMITTED`: the caller did not give the field at all, as an API body that leaves it
out): every rule scores an omitted value in its characteristic's riskiest bin (``worst``,
the lowest points, the unseen points included), so leaving a field out never raises a score.
A categorical rule with ``category_match`` ``"normalised"`` matches a label no group holds as
written again by :func:`label_key` (case and surrounding spaces ignored).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from scorecard.card.derived import derived_input, rounding_label, rounding_labels
from scorecard.card.ranking import TOP_REASONS, row_reasons
from scorecard.card.scaling import Scaling

if TYPE_CHECKING:  # pragma: no cover
    from scorecard.card.grades import MasterScale

UNSEEN = -1  # bin index of a category the card never saw


class _Omitted:
    """The type of :data:`OMITTED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OMITTED"


# A value the caller did not give at all (an API field left out), as opposed to a missing
# value (null / NA, which the missing bin prices). Every rule scores it in its characteristic's
# riskiest bin (``worst``), so leaving a field out never raises a score.
OMITTED = _Omitted()
_COUNTED_EDGES = 32  # a numeric rule with at most this many edges counts, not bisects


@dataclass(frozen=True)
class ScoredRows:
    """Scores of ``n`` rows on a card of ``k`` characteristics.

    ``bins`` (n, k) int: bin index per characteristic (``UNSEEN`` for unseen categories;
    ``None`` when scored without bins); ``points`` (n, k) int (int32 unless a card's sums
    could overflow it); ``score`` (n,) int64: total points; ``pd`` (n,) float.
    """

    bins: np.ndarray | None
    points: np.ndarray
    score: np.ndarray
    pd: np.ndarray

    def bin_table(self) -> np.ndarray:
        """``bins``, of rows scored with them (the default of :meth:`ScoringEngine.score`)."""
        if self.bins is None:
            raise ValueError("these rows were scored without bins (with_bins=False)")
        return self.bins


_FLOATS = (float, np.floating)
_BOOLS = (bool, np.bool_)


def is_missing(v: object) -> bool:
    """Whether one value is missing: ``None``, a float NaN (Python or numpy) or pandas' NA."""
    if v is None:
        return True
    kind = type(v)
    if kind is float:  # the common cases first: called for every value of every applicant
        return v != v
    if kind is int or kind is str:
        return False
    if isinstance(v, _FLOATS):
        return bool(v != v)
    # pandas' NA without importing pandas: the card layer is numpy + stdlib only.
    return kind.__name__ == "NAType"


def category_key(v: object) -> str | None:
    """The category text of one value as the card's groups spell it: ``None`` if missing,
    ``"True"``/``"False"`` for booleans (Python or numpy), else ``str(v)``. Fitting
    (:mod:`scorecard.fit.binning`) normalises categories with this same function."""
    if type(v) is str:
        return v
    if is_missing(v):
        return None
    if isinstance(v, _BOOLS):
        return "True" if v else "False"
    return str(v)


NORMALISED = "normalised"  # a card's category_match: case and surrounding spaces ignored


def label_key(label: str) -> str:
    """A category label as ``category_match`` ``"normalised"`` compares it: surrounding
    spaces removed, lower case (SQL's ``LOWER(TRIM(x))``, so the SQL export agrees)."""
    return label.strip(" ").lower()


def _worst(bins: list[int], unseen: int | None = None) -> tuple[int, int]:
    """``(bin, points)`` of the lowest points among ``bins`` (points by bin index; the first
    on ties), or ``(UNSEEN, unseen)`` when the unseen points are lower still."""
    j = min(range(len(bins)), key=bins.__getitem__)
    if unseen is not None and unseen < bins[j]:
        return UNSEEN, unseen
    return j, bins[j]


def _omitted_mask(values: Any) -> np.ndarray | None:
    """Where a 1-D array-like holds :data:`OMITTED` (``None`` when nowhere: only an object
    array can hold it)."""
    if hasattr(getattr(values, "cat", values), "codes"):
        return None
    arr = np.asarray(values)
    if arr.dtype != object:
        return None
    mask = np.fromiter((v is OMITTED for v in arr), dtype=bool, count=len(arr))
    return mask if mask.any() else None


def _points_range(points: list[int]) -> tuple[int, int]:
    """``(lowest, highest)`` points a rule can give."""
    return int(min(points)), int(max(points))


def _missing_bin(f: Mapping[str, Any]) -> tuple[int, int]:
    m = next(b for b in f["bins"] if b["type"] == "missing")
    return int(m["index"]), int(m["points"])


class NumericRule:
    """Bin rule of a numeric characteristic: missing, then special codes, then splits."""

    __slots__ = ("_edges", "_interval_bin", "_interval_points", "missing", "points_range",
                 "regular", "special", "splits", "worst")

    def __init__(self, f: Mapping[str, Any]) -> None:
        self.splits = [float(s) for s in f["splits"]]
        self.regular = [int(b["points"]) for b in f["bins"][:len(self.splits) + 1]]
        self.missing = _missing_bin(f)
        self.points_range = _points_range([b["points"] for b in f["bins"]])
        self.worst = _worst([int(b["points"]) for b in f["bins"]])
        # code -> (bin, points); were a code listed in two special bins, the later one wins.
        self.special: dict[float, tuple[int, int]] = {
            float(c): (int(b["index"]), int(b["points"]))
            for b in f["bins"] if b["type"] == "special" for c in b["codes"]}
        # The same rule as one sorted edge array for assign(): one searchsorted finds every
        # value's interval, whose (bin, points) assign_one gave once. The edges are the
        # splits, each code c and the next float after it (so [c, next) holds c alone), then
        # +inf and NaN: numpy sorts NaN after +inf, so +inf and NaN get intervals of their own.
        codes = sorted(self.special)
        inner = sorted({*self.splits, *codes, *(float(np.nextafter(c, np.inf)) for c in codes)}
                       - {np.inf})
        self._edges = np.asarray([*inner, np.inf, np.nan], dtype=float)
        # Interval t holds edges[t-1] <= x < edges[t]; interval 0 lies below every edge.
        ends = [-np.inf, *inner, np.inf, np.nan]
        # The last interval, past NaN's, is OMITTED's: the worst bin.
        table = [*(self.assign_one(v) for v in ends), self.worst]
        self._interval_bin = np.asarray([b for b, _ in table], dtype=np.int64)
        self._interval_points = np.asarray([p for _, p in table], dtype=np.int64)

    def assign_one(self, v: Any) -> tuple[int, int]:
        """``(bin, points)`` of one value."""
        if is_missing(v):
            return self.missing
        if v is OMITTED:
            return self.worst
        x = float(v)  # compared as float64, as assign() does
        hit = self.special.get(x)
        if hit is not None:
            return hit
        i = bisect_right(self.splits, x)  # == searchsorted(side="right")
        return i, self.regular[i]

    def assign(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(bins, points)`` of a 1-D array-like of values, both shape (n,)."""
        at, bins, points = self.locate(values)
        return bins[at], points[at]

    def locate(self, values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(at, bins, points)``: each value's position ``at`` (n,) in the rule's tables,
        whose ``bins[at]`` and ``points[at]`` are its bin and points (:meth:`assign`)."""
        arr = np.asarray(values)
        omitted = None
        if arr.dtype == object:  # None / pandas NA among the values: missing, as assign_one
            omitted = _omitted_mask(arr)
            x = np.fromiter((np.nan if is_missing(v) or v is OMITTED else float(v)
                             for v in arr), dtype=float, count=len(arr))
        else:
            x = arr.astype(float, copy=False)
        if len(self._edges) <= _COUNTED_EDGES:
            # The count of edges <= x is searchsorted's answer; for a few edges, a pass per
            # edge over bytes beats a binary search per value. NaN compares false.
            interval: np.ndarray = np.zeros(len(x), dtype=np.uint8)
            for edge in self._edges[:-1]:
                interval += x >= edge
            np.putmask(interval, np.isnan(x), len(self._edges))
        else:
            interval = np.searchsorted(self._edges, x, side="right")
        if omitted is not None:
            interval[omitted] = len(self._edges) + 1
        return interval, self._interval_bin, self._interval_points


class CategoricalRule:
    """Bin rule of a categorical characteristic: missing, the group of the category's
    :func:`category_key`, or unseen. With the feature's ``category_match``
    ``"normalised"`` a label that matches no group as written is looked up again by its
    :func:`label_key` (case and surrounding spaces ignored); without it (cards of schema
    version 1), labels match exactly."""

    __slots__ = ("_bins", "_index_of", "_points", "lookup", "missing", "normalised",
                 "points_range", "unseen", "worst")

    def __init__(self, f: Mapping[str, Any]) -> None:
        self.missing = _missing_bin(f)
        self.unseen = (UNSEEN, int(f["unseen_points"]))
        # category key -> (bin, points); the key None is the missing bin.
        self.lookup: dict[str | None, tuple[int, int]] = {
            str(c): (int(b["index"]), int(b["points"]))
            for b in f["bins"] if b["type"] == "regular" for c in b["categories"]}
        # label_key -> (bin, points) when labels are normalised, else None.
        self.normalised: dict[str, tuple[int, int]] | None = (
            {label_key(k): v for k, v in self.lookup.items() if k is not None}
            if f.get("category_match") == NORMALISED else None)
        self.lookup[None] = self.missing
        self.worst = _worst([int(b["points"]) for b in f["bins"]], self.unseen[1])
        # The same tables for assign(): bin index -> points, the unseen bin stored last so
        # that UNSEEN (-1) indexes it.
        self._index_of: dict[Any, int] = {k: i for k, (i, _) in self.lookup.items()}
        self._index_of[OMITTED] = self.worst[0]
        self._points = np.asarray([int(b["points"]) for b in f["bins"]]
                                  + [self.unseen[1]], dtype=np.int64)
        self._bins = np.asarray([*range(len(f["bins"])), UNSEEN], dtype=np.int64)
        self.points_range = _points_range(self._points.tolist())

    def assign_one(self, v: Any) -> tuple[int, int]:
        """``(bin, points)`` of one value."""
        if v is OMITTED:
            return self.worst
        key = v if type(v) is str else category_key(v)
        hit = self.lookup.get(key)
        if hit is not None:
            return hit
        if self.normalised is not None and key is not None:
            return self.normalised.get(label_key(key), self.unseen)
        return self.unseen

    def assign(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(bins, points)`` of a 1-D array-like of values, both shape (n,)."""
        idx = self.bins(values)
        return idx, self._points[idx]

    def locate(self, values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(at, bins, points)`` as :meth:`NumericRule.locate`: ``at`` is the bin index."""
        return self.bins(values), self._bins, self._points

    def bins(self, values: Any) -> np.ndarray:
        """The bin index of each of a 1-D array-like of values, shape (n,)."""
        # A pandas categorical column (.cat), or anything with its codes and categories (a
        # pandas Categorical, a streamed block's Categories): its few labels looked up once.
        cat = getattr(values, "cat", values)
        if hasattr(cat, "codes") and hasattr(cat, "categories"):
            at = self.bins(np.asarray(cat.categories, dtype=object))
            codes = np.asarray(cat.codes)
            return np.where(codes < 0, self.missing[0], at[codes])
        arr = np.asarray(values)
        get = self._index_of.get
        if arr.dtype == bool:  # a whole boolean column: its two keys looked up once
            return np.where(arr, get("True", UNSEEN), get("False", UNSEEN))
        arr = arr.astype(object, copy=False)
        # A dict lookup per row beats sorting strings (np.unique) by ~30x on 1M rows. Strings
        # are their own keys; a value that misses (NaN, pandas NA, a number, a boolean, a
        # label spelled otherwise) is looked up again as assign_one does.
        idx = np.fromiter(map(get, arr, repeat(UNSEEN)), dtype=np.int64, count=len(arr))
        for i in np.flatnonzero(idx == UNSEEN):
            idx[i] = self.assign_one(arr[i])[0]
        return idx


class RoundingRule(CategoricalRule):
    """Bin rule of a rounding characteristic (:mod:`scorecard.card.derived`): the
    categorical rule of its labels, each value labelled by :func:`rounding_label`."""

    __slots__ = ("steps",)

    def __init__(self, f: Mapping[str, Any]) -> None:
        super().__init__(f)
        self.steps = tuple(int(s) for s in f["derived"]["rounding"])

    def assign_one(self, v: Any) -> tuple[int, int]:
        """``(bin, points)`` of one value."""
        if v is OMITTED:
            return self.worst
        return super().assign_one(rounding_label(v, self.steps))

    def bins(self, values: Any) -> np.ndarray:
        """The bin index of each of a 1-D array-like of values, shape (n,)."""
        idx = super().bins(rounding_labels(values, self.steps))
        if (mask := _omitted_mask(values)) is not None:
            idx[mask] = self.worst[0]
        return idx


def _parent_rule(p: Mapping[str, Any]) -> NumericRule | CategoricalRule:
    """The bin rule of an interaction's parent: only its bin indices are used (its bins
    carry no points of their own; the grid does)."""
    f = {**p, "bins": [{**b, "points": 0} for b in p["bins"]], "unseen_points": 0}
    return NumericRule(f) if p["kind"] == "numeric" else CategoricalRule(f)


class InteractionRule:
    """Bin rule of a two-dimensional characteristic (module docstring): the cell of its two
    parents' bins in a points grid of shape (n_x, n_y)."""

    __slots__ = ("_bins", "_points", "inputs", "n_cols", "points_range", "rules", "unseen",
                 "worst")

    def __init__(self, f: Mapping[str, Any]) -> None:
        px, py = f["parents"]
        self.inputs = (str(px["name"]), str(py["name"]))
        self.rules = (_parent_rule(px), _parent_rule(py))
        grid = [[int(p) for p in row] for row in f["grid"]]
        self.n_cols = len(grid[0])
        self.unseen = (UNSEEN, int(f["unseen_points"]))
        flat = [p for row in grid for p in row]
        # The unseen points stored last so that UNSEEN (-1) indexes them, as CategoricalRule.
        self._points = np.asarray([*flat, self.unseen[1]], dtype=np.int64)
        self._bins = np.asarray([*range(len(flat)), UNSEEN], dtype=np.int64)
        categorical = any(p["kind"] != "numeric" for p in (px, py))
        self.points_range = _points_range(flat + ([self.unseen[1]] if categorical else []))
        self.worst = _worst(flat, self.unseen[1] if categorical else None)

    def assign_one(self, vx: Any, vy: Any) -> tuple[int, int]:
        """``(bin, points)`` of one pair of parent values."""
        if vx is OMITTED or vy is OMITTED:
            return self.worst
        i = self.rules[0].assign_one(vx)[0]
        j = self.rules[1].assign_one(vy)[0]
        if i == UNSEEN or j == UNSEEN:
            return self.unseen
        cell = i * self.n_cols + j
        return cell, int(self._points[cell])

    def assign(self, xs: Any, ys: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(bins, points)`` of two 1-D array-likes of parent values, all shape (n,)."""
        cell = self.locate(xs, ys)[0]
        return cell, self._points[cell]

    def locate(self, xs: Any, ys: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(at, bins, points)`` as :meth:`NumericRule.locate`: ``at`` is the cell."""
        i = self.rules[0].assign(xs)[0]
        j = self.rules[1].assign(ys)[0]
        cell = np.where((i == UNSEEN) | (j == UNSEEN), UNSEEN, i * self.n_cols + j)
        for mask in (_omitted_mask(xs), _omitted_mask(ys)):
            if mask is not None:
                cell[mask] = self.worst[0]
        return cell, self._bins, self._points


BinRule = NumericRule | CategoricalRule | InteractionRule


def bin_rule(f: Mapping[str, Any]) -> BinRule:
    """The bin rule of one characteristic of the artifact."""
    if f["kind"] == "interaction":
        return InteractionRule(f)
    if derived_input(f) is not None:
        return RoundingRule(f)
    return NumericRule(f) if f["kind"] == "numeric" else CategoricalRule(f)


def feature_inputs(f: Mapping[str, Any]) -> tuple[str, ...]:
    """The input columns one characteristic reads: its own name, its two parents', or a
    derived characteristic's input."""
    if f["kind"] == "interaction":
        return tuple(str(p["name"]) for p in f["parents"])
    return (derived_input(f) or str(f["name"]),)


class ScoringEngine:
    """Scores rows with a verified artifact (see :func:`scorecard.card.artifact.load_artifact`).

    ``features_`` lists the characteristics in card order; ``rules_`` their bin rules;
    ``inputs_`` the input columns each reads (:func:`feature_inputs`); ``columns_`` every
    input column the card reads, once each, in card order (what a caller must supply: an
    interaction's name is no column); ``scaling_`` the published scaling; ``max_points_``
    (k,) the best attainable points of each characteristic.
    """

    def __init__(self, artifact: dict[str, Any]) -> None:
        self.artifact = artifact
        self.scaling_ = Scaling.from_dict(artifact["scaling"])
        self.features_ = [f["name"] for f in artifact["features"]]
        self.rules_ = [bin_rule(f) for f in artifact["features"]]
        self.inputs_ = [feature_inputs(f) for f in artifact["features"]]
        self.columns_ = list(dict.fromkeys(c for cols in self.inputs_ for c in cols))
        self.max_points_ = np.array([f["max_points"] for f in artifact["features"]],
                                    dtype=np.int64)
        # Points held in int32 when no sum of them can overflow it (any real card): half
        # the memory traffic of the (k, n) table, which scoring and the reasons stream.
        extreme = sum(max(abs(lo), abs(hi)) for lo, hi in (r.points_range for r in self.rules_))
        self.points_dtype_ = np.int32 if extreme < np.iinfo(np.int32).max else np.int64

    def score(self, data: Mapping[str, Any], with_bins: bool = True) -> ScoredRows:
        """Score rows given column-wise: ``data[column]`` is a 1-D array-like of length n
        for every column of ``columns_`` (a pandas DataFrame, or a
        :class:`scorecard.data.block.Block`, works; a category column may be coded, with
        ``codes`` and ``categories``). Missing values are ``NaN``/``None``/``pd.NA``. Without
        ``with_bins`` the result's ``bins`` is ``None`` (points, score and pd only)."""
        n = len(data[self.columns_[0]]) if self.columns_ else 0
        k = len(self.features_)
        # Filled a characteristic (a contiguous row) at a time and handed out as the (n, k)
        # transpose: writing (n, k) column by column strides through memory.
        bins = np.empty((k, n), dtype=np.int64) if with_bins else None
        points = np.empty((k, n), dtype=self.points_dtype_)
        for j, (cols, rule) in enumerate(zip(self.inputs_, self.rules_, strict=True)):
            at, bin_table, point_table = rule.locate(*(data[c] for c in cols))
            # "wrap": UNSEEN (-1) takes a table's last entry, the unseen one; and unlike
            # "raise", take writes into out without an intermediate buffer
            np.take(point_table.astype(points.dtype, copy=False), at, out=points[j],
                    mode="wrap")
            if bins is not None:
                np.take(bin_table, at, out=bins[j], mode="wrap")
        score = points.sum(axis=0, dtype=np.int64)
        return ScoredRows(bins=None if bins is None else bins.T, points=points.T, score=score,
                          pd=self.scaling_.pd(score))


class RowScorer:
    """Scores one applicant with the engine's bin rules (``assign_one``), no numpy in the loop.

    The pd and grade of a total score are looked up in tables computed once with the
    engine's own vectorised scaling, so the float results are bit-identical to a batch pass.
    """

    def __init__(self, engine: ScoringEngine, scale: MasterScale | None = None) -> None:
        from scorecard.card.grades import assign_grades  # grades imports scaling only

        self.names = list(engine.features_)
        self.rules = list(engine.rules_)
        self.inputs = list(engine.inputs_)
        self.max_points = [int(p) for p in engine.max_points_]
        self._row_reasons = row_reasons
        # Every total score the card can give, for the pd and grade tables.
        lo = sum(r.points_range[0] for r in self.rules)
        hi = sum(r.points_range[1] for r in self.rules)
        self.lo = lo
        scores = np.arange(lo, hi + 1, dtype=np.int64)
        self.pd_table: list[float] = engine.scaling_.pd(scores).tolist()
        self.grade_table: list[str] | None = (assign_grades(scores, scale).tolist()
                                              if scale is not None else None)

    def score(self, obj: dict[str, Any]) -> tuple[list[int], list[int], int]:
        """``(bins, points, total)`` of one applicant."""
        bins: list[int] = []
        points: list[int] = []
        get = obj.get
        for cols, rule in zip(self.inputs, self.rules, strict=True):
            b, p = (rule.assign_one(get(cols[0]), get(cols[1]))
                    if isinstance(rule, InteractionRule) else rule.assign_one(get(cols[0])))
            bins.append(b)
            points.append(p)
        return bins, points, sum(points)

    def reasons(self, points: list[int], top: int = TOP_REASONS) -> list[int]:
        """Indices of the reason characteristics (:func:`scorecard.card.ranking.row_reasons`)."""
        return self._row_reasons([m - p for m, p in zip(self.max_points, points, strict=True)],
                                 top)
