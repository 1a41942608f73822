"""Vectorised scoring from the artifact alone (numpy only: no optbinning, no statsmodels).

For each characteristic the engine finds every row's bin — numeric: special code, then
missing, then ``searchsorted(splits, x, side="right")`` (bin ``i`` holds
``splits[i-1] <= x < splits[i]``, as optbinning bins); categorical: the group holding the
category, missing, or *unseen* (neutral WoE 0) — and adds the bins' integer points. The
total score gives pd through the published scaling (:mod:`scorecard.card.scaling`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from scorecard.card.scaling import Scaling

if TYPE_CHECKING:  # pragma: no cover
    from scorecard.card.grades import MasterScale

UNSEEN = -1  # bin index of a category the card never saw


@dataclass(frozen=True)
class ScoredRows:
    """Scores of ``n`` rows on a card of ``k`` characteristics.

    ``bins`` (n, k) int: bin index per characteristic (``UNSEEN`` for unseen categories);
    ``points`` (n, k) int; ``score`` (n,) int: total points; ``pd`` (n,) float.
    """

    bins: np.ndarray
    points: np.ndarray
    score: np.ndarray
    pd: np.ndarray


class _Numeric:
    def __init__(self, f: dict[str, Any]) -> None:
        self.splits = np.asarray(f["splits"], dtype=float)
        bins = f["bins"]
        n_regular = len(self.splits) + 1
        self.regular_points = np.array([b["points"] for b in bins[:n_regular]], dtype=np.int64)
        self.special = [(np.asarray(b["codes"], dtype=float), b["index"], b["points"])
                        for b in bins if b["type"] == "special"]
        missing = next(b for b in bins if b["type"] == "missing")
        self.missing_index, self.missing_points = missing["index"], missing["points"]

    def assign(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(values, dtype=float)
        idx = np.searchsorted(self.splits, x, side="right")
        pts = self.regular_points[np.minimum(idx, len(self.regular_points) - 1)]
        nan = np.isnan(x)
        if nan.any():
            idx = np.where(nan, self.missing_index, idx)
            pts = np.where(nan, self.missing_points, pts)
        for codes, index, points in self.special:
            hit = np.isin(x, codes)
            if hit.any():
                idx = np.where(hit, index, idx)
                pts = np.where(hit, points, pts)
        return idx, pts


class _Categorical:
    def __init__(self, f: dict[str, Any]) -> None:
        bins = f["bins"]
        # Bin index -> points, with the unseen category stored last (index -1 wraps to it).
        self.points = np.array([b["points"] for b in bins] + [f["unseen_points"]],
                               dtype=np.int64)
        missing = next(b for b in bins if b["type"] == "missing")
        self.missing_index = int(missing["index"])
        self.index_of: dict[object, int] = {}
        for b in bins:
            if b["type"] == "regular":
                for cat in b["categories"]:
                    self.index_of[cat] = int(b["index"])
        self.index_of[None] = self.missing_index

    def assign(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(values)
        if arr.dtype == bool:  # booleans are the categories "True"/"False"
            arr = np.where(arr, "True", "False")
        arr = arr.astype(object, copy=False)
        # A dict lookup per row beats sorting strings (np.unique) by ~30x on 1M rows.
        get = self.index_of.get
        idx = np.fromiter((get(v, UNSEEN) if isinstance(v, str) or v is None else UNSEEN
                           for v in arr), dtype=np.int64, count=len(arr))
        for i in np.flatnonzero(idx == UNSEEN):  # rare: NaN/NA, Python bools, unseen text
            key = _key(arr[i])
            idx[i] = self.missing_index if key == _MISSING else get(key, UNSEEN)
        return idx, self.points[idx]


_MISSING = "\x00missing"


def _key(v: object) -> str:
    """The category text of one value; ``_MISSING`` for None, NaN and pandas' NA."""
    if v is None or (isinstance(v, float) and v != v) or type(v).__name__ == "NAType":
        return _MISSING
    if isinstance(v, bool | np.bool_):
        return "True" if v else "False"
    return str(v)


class ScoringEngine:
    """Scores rows with a verified artifact (see :func:`scorecard.card.artifact.load_artifact`).

    ``features_`` lists the characteristics in card order; ``scaling_`` the published
    scaling; ``max_points_`` (k,) the best attainable points of each characteristic.
    """

    def __init__(self, artifact: dict[str, Any]) -> None:
        self.artifact = artifact
        self.scaling_ = Scaling.from_dict(artifact["scaling"])
        self.features_ = [f["name"] for f in artifact["features"]]
        self._columns = [(_Numeric(f) if f["kind"] == "numeric" else _Categorical(f))
                         for f in artifact["features"]]
        self.max_points_ = np.array([f["max_points"] for f in artifact["features"]],
                                    dtype=np.int64)

    def score(self, data: Mapping[str, Any]) -> ScoredRows:
        """Score rows given column-wise: ``data[feature]`` is a 1-D array-like of length n
        (a pandas DataFrame works). Missing values are ``NaN``/``None``."""
        n = len(data[self.features_[0]]) if self.features_ else 0
        k = len(self.features_)
        bins = np.empty((n, k), dtype=np.int64)
        points = np.empty((n, k), dtype=np.int64)
        for j, (name, col) in enumerate(zip(self.features_, self._columns, strict=True)):
            bins[:, j], points[:, j] = col.assign(data[name])
        score = points.sum(axis=1)
        return ScoredRows(bins=bins, points=points, score=score, pd=self.scaling_.pd(score))


# ------------------------------------------------------------------ one row at a time
# The same bin rules as _Numeric/_Categorical above, for a single applicant: numpy's call
# overhead (~60 us for one row) would dominate an API request. Kept next to the vectorised
# rules so a change to one is seen beside the other; tests prove them identical.


class _NumericRow:
    """Scalar twin of ``scorecard.card.engine._Numeric``."""

    __slots__ = ("missing", "n_regular", "regular", "specials", "splits")

    def __init__(self, f: dict[str, Any]) -> None:
        self.splits = [float(s) for s in f["splits"]]
        self.n_regular = len(self.splits) + 1
        self.regular = [int(b["points"]) for b in f["bins"][:self.n_regular]]
        # The engine applies special bins in order, so the last matching one wins.
        self.specials = [(frozenset(float(c) for c in b["codes"]), int(b["index"]),
                          int(b["points"])) for b in reversed(f["bins"]) if b["type"] == "special"]
        m = next(b for b in f["bins"] if b["type"] == "missing")
        self.missing = (int(m["index"]), int(m["points"]))

    def assign(self, v: Any) -> tuple[int, int]:
        if v is None:
            return self.missing
        x = float(v)  # the engine compares float64 values
        if x != x:
            return self.missing
        for codes, index, points in self.specials:
            if x in codes:
                return index, points
        i = bisect_right(self.splits, x)  # == searchsorted(side="right")
        return i, self.regular[min(i, self.n_regular - 1)]


class _CategoricalRow:
    """Scalar twin of ``scorecard.card.engine._Categorical``."""

    __slots__ = ("lookup", "missing", "unseen")

    def __init__(self, f: dict[str, Any]) -> None:
        self.lookup = {str(c): (int(b["index"]), int(b["points"]))
                       for b in f["bins"] if b["type"] == "regular" for c in b["categories"]}
        m = next(b for b in f["bins"] if b["type"] == "missing")
        self.missing = (int(m["index"]), int(m["points"]))
        self.unseen = (UNSEEN, int(f["unseen_points"]))

    def assign(self, v: Any) -> tuple[int, int]:
        if v is None or (type(v) is float and v != v):
            return self.missing
        if type(v) is bool:
            return self.lookup.get("True" if v else "False", self.unseen)
        return self.lookup.get(str(v), self.unseen)


class RowScorer:
    """Scores one applicant from the artifact without numpy in the loop.

    Bins and points follow the engine's rules exactly; the pd and grade of a total score
    are looked up in tables computed once with the engine's own vectorised scaling, so the
    float results are bit-identical to a batch pass.
    """

    def __init__(self, engine: ScoringEngine, scale: MasterScale | None = None) -> None:
        from scorecard.card.grades import assign_grades  # master_scale imports scaling only

        features = engine.artifact["features"]
        self.names = list(engine.features_)
        self.rules = [_NumericRow(f) if f["kind"] == "numeric" else _CategoricalRow(f)
                      for f in features]
        self.max_points = [int(p) for p in engine.max_points_]
        lo = hi = 0
        for f in features:
            pts = [int(b["points"]) for b in f["bins"]]
            if f["kind"] != "numeric":
                pts.append(int(f["unseen_points"]))
            lo, hi = lo + min(pts), hi + max(pts)
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
        for name, rule in zip(self.names, self.rules, strict=True):
            b, p = rule.assign(get(name))
            bins.append(b)
            points.append(p)
        return bins, points, sum(points)

    def reasons(self, points: list[int], top: int = 4) -> list[int]:
        """Indices of the reason characteristics: largest loss first, card order on ties,
        losses > 0 only (as :func:`scorecard.card.reasons.top_reasons`)."""
        lost = [m - p for m, p in zip(self.max_points, points, strict=True)]
        order = sorted(range(len(lost)), key=lambda j: (-lost[j], j))[:top]
        return [j for j in order if lost[j] > 0]
