"""Scaling log-odds to points, and the published score -> pd function (numpy only).

``score = offset + factor * ln(odds of good)``, ``factor = pdo / ln 2``,
``offset = base_score - factor * ln(base_odds)``. With the defaults (600 points at 50:1
good:bad odds, 20 points to double the odds) an applicant at 600 has pd = 1/51 ≈ 1.96 %,
at 620 pd = 1/101 ≈ 0.99 %. The pd of an integer total score is

    pd(score) = 1 / (1 + exp((score - offset) / factor))

which anyone holding the published card reproduces exactly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Scaling:
    """Points scaling: ``base_score`` points at ``base_odds`` good:bad odds, ``pdo`` points to
    double the odds."""

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if self.pdo <= 0 or self.base_odds <= 0:
            raise ValueError("pdo and base_odds must be positive")

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Score at even (1:1) odds."""
        return self.base_score - self.factor * math.log(self.base_odds)

    def pd(self, score: np.ndarray | float) -> np.ndarray:
        """pd of a (total) score; shape as ``score``."""
        z = (np.asarray(score, dtype=float) - self.offset) / self.factor
        with np.errstate(over="ignore"):  # exp overflow -> inf -> pd 0: the correct limit
            return 1.0 / (1.0 + np.exp(z))

    def score(self, pd: np.ndarray | float) -> np.ndarray:
        """Unrounded score of a pd (inverse of :meth:`pd`)."""
        p = np.asarray(pd, dtype=float)
        return self.offset + self.factor * np.log((1.0 - p) / p)

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "factor": self.factor, "offset": self.offset}

    @classmethod
    def from_dict(cls, raw: dict[str, float]) -> Scaling:
        return cls(base_score=raw["base_score"], base_odds=raw["base_odds"], pdo=raw["pdo"])


def feature_points(coef: float, intercept: float, woe: np.ndarray, n_features: int,
                   scaling: Scaling) -> np.ndarray:
    """Unrounded points of each bin of one feature.

    The intercept and offset are spread evenly over the ``n_features`` characteristics:
    ``points = offset/n - factor * (intercept/n + coef * woe)``; summing over features gives
    ``offset - factor * logit(pd)``, the score.
    """
    n = n_features
    return scaling.offset / n - scaling.factor * (intercept / n + coef * np.asarray(woe))
