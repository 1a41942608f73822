"""The deterministic split design every model and every figure refers to.

One stratified holdout (default 30 % of rows, never used for fitting or tuning) and, on the
remaining development rows, repeated stratified k-fold cross-validation (default 5 folds x 2
repeats). Everything derives from one integer ``seed``, so the same labels and seed give
exactly the same index arrays on every machine and run.

Every split carries a name used in captions: ``"holdout"`` (train = all development rows,
test = holdout rows) and ``"cv r{repeat}f{fold}"`` with 1-based numbers (``"cv r1f3"``). Index
arrays are positions into the ``y`` passed to :func:`make_splits` (0 .. n - 1), sorted
ascending, int64.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split

HOLDOUT = "holdout"


@dataclass(frozen=True, eq=False)
class Split:
    """A named train/test pair of row positions.

    ``repeat``/``fold`` are 1-based for CV splits and ``None`` for the holdout.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    repeat: int | None = None
    fold: int | None = None

    def summary(self, y: np.ndarray | None = None) -> dict[str, Any]:
        """Sizes (and default counts when ``y`` is given) as plain JSON values."""
        out: dict[str, Any] = {
            "name": self.name,
            "repeat": self.repeat,
            "fold": self.fold,
            "n_train": int(self.train.size),
            "n_test": int(self.test.size),
        }
        if y is not None:
            y = np.asarray(y)
            out["defaults_train"] = int(y[self.train].sum())
            out["defaults_test"] = int(y[self.test].sum())
        return out


def _fingerprint(arrays: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype="<i8").tobytes())
        h.update(b"|")
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class SplitDesign:
    """The holdout split plus the CV folds on the development rows.

    Attributes:
        seed, holdout_fraction, n_splits, n_repeats: the design parameters.
        n: number of rows of the ``y`` the design was made from.
        development: sorted positions of the rows used for fitting and tuning.
        holdout: sorted positions of the holdout rows.
        folds: the CV splits, repeat-major (``r1f1 .. r1fK, r2f1 ..``), positions into ``y``.
    """

    seed: int
    holdout_fraction: float
    n_splits: int
    n_repeats: int
    n: int
    development: np.ndarray
    holdout: np.ndarray
    folds: tuple[Split, ...]

    @property
    def holdout_split(self) -> Split:
        return Split(HOLDOUT, self.development, self.holdout)

    def splits(self) -> Iterator[Split]:
        """The holdout split first, then every CV fold."""
        yield self.holdout_split
        yield from self.folds

    def __getitem__(self, name: str) -> Split:
        for split in self.splits():
            if split.name == name:
                return split
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.splits()]

    def fingerprint(self) -> str:
        """SHA-256 over all index arrays: two designs with equal fingerprints are identical."""
        arrays = [self.development, self.holdout]
        for f in self.folds:
            arrays += [f.train, f.test]
        return _fingerprint(arrays)

    def to_dict(self, y: np.ndarray | None = None) -> dict[str, Any]:
        """Parameters, per-split sizes and the fingerprint (not the indices) as plain JSON."""
        return {
            "seed": self.seed,
            "holdout_fraction": self.holdout_fraction,
            "n_splits": self.n_splits,
            "n_repeats": self.n_repeats,
            "n": self.n,
            "fingerprint": self.fingerprint(),
            "splits": [s.summary(y) for s in self.splits()],
        }


def make_splits(
    y: np.ndarray,
    *,
    holdout_fraction: float = 0.3,
    n_splits: int = 5,
    n_repeats: int = 2,
    seed: int = 0,
) -> SplitDesign:
    """Build the split design for labels ``y``.

    Args:
        y: shape ``(n,)``, 0/1 labels (stratification target).
        holdout_fraction: share of rows held out, in ``(0, 1)``.
        n_splits: CV folds per repeat (>= 2).
        n_repeats: CV repeats (>= 1); each repeat reshuffles.
        seed: the only source of randomness.

    Returns:
        :class:`SplitDesign`. Holdout and CV folds are stratified on ``y``, so each carries the
        portfolio's default rate up to rounding.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError("y must be 1-D")
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError("holdout_fraction must lie in (0, 1)")
    if n_splits < 2 or n_repeats < 1:
        raise ValueError("need n_splits >= 2 and n_repeats >= 1")
    positions = np.arange(y.size, dtype=np.int64)
    dev, hold = train_test_split(
        positions, test_size=holdout_fraction, stratify=y, random_state=seed, shuffle=True
    )
    dev = np.sort(dev)
    hold = np.sort(hold)
    # A seed derived from, not equal to, the holdout seed keeps the two draws independent.
    cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed + 1)
    folds = []
    for i, (tr, te) in enumerate(cv.split(np.zeros(dev.size), y[dev])):
        repeat, fold = divmod(i, n_splits)
        folds.append(
            Split(
                name=f"cv r{repeat + 1}f{fold + 1}",
                train=np.sort(dev[tr]),
                test=np.sort(dev[te]),
                repeat=repeat + 1,
                fold=fold + 1,
            )
        )
    return SplitDesign(
        seed=seed,
        holdout_fraction=holdout_fraction,
        n_splits=n_splits,
        n_repeats=n_repeats,
        n=int(y.size),
        development=dev,
        holdout=hold,
        folds=tuple(folds),
    )
