"""Vectorised scoring from the artifact alone (numpy only: no optbinning, no statsmodels).

For each characteristic the engine finds every row's bin — numeric: special code, then
missing, then ``searchsorted(splits, x, side="right")`` (bin ``i`` holds
``splits[i-1] <= x < splits[i]``, as optbinning bins); categorical: the group holding the
category, missing, or *unseen* (neutral WoE 0) — and adds the bins' integer points. The
total score gives pd through the published scaling (:mod:`scorecard.scaling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scorecard.scaling import Scaling

UNSEEN = -1  # bin index of a category the card never saw


@dataclass(frozen=True)
class ScoreResult:
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
    """Scores rows with a verified artifact (see :func:`scorecard.artifact.load_artifact`).

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

    def score(self, data: Mapping[str, Any]) -> ScoreResult:
        """Score rows given column-wise: ``data[feature]`` is a 1-D array-like of length n
        (a pandas DataFrame works). Missing values are ``NaN``/``None``."""
        n = len(data[self.features_[0]]) if self.features_ else 0
        k = len(self.features_)
        bins = np.empty((n, k), dtype=np.int64)
        points = np.empty((n, k), dtype=np.int64)
        for j, (name, col) in enumerate(zip(self.features_, self._columns, strict=True)):
            bins[:, j], points[:, j] = col.assign(data[name])
        score = points.sum(axis=1)
        return ScoreResult(bins=bins, points=points, score=score, pd=self.scaling_.pd(score))
