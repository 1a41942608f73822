"""Master scale: risk grades A, B, C, ... with pd ranges and score cuts; score-band tables.

Scores and pds are related by the card's points scaling (:mod:`scorecard.card.scaling`,
``pd = 1 / (1 + exp((score - offset) / factor))``).

Grade boundaries are *pd* boundaries, set by the spec's ``master_scale``
(:func:`master_scale_for`):

* ``development`` (the default): fitted to the book. The boundaries are evenly spaced on the
  log-odds (= points) scale between the 1st and the 99th percentile of the development rows'
  pds (:data:`FIT_QUANTILES`), rounded to two significant figures, so the grades span the
  observed risk whatever the default rate: the best and worst grades hold the outer 1 % of
  applicants, every grade between holds applicants, and the worst grades hold the defaults.
  A book of 1.5 % defaults gets grades from about 0.1 % to 10 %, one of 22 % grades up to
  about 90 %. The boundaries move when the card is refitted on other data.
* ``ladder``: a fixed geometric ladder, ``b_k = first * ratio^k`` (0.25 %, 0.5 %, 1 %, ...,
  16 % for 8 grades), the same in every model version, fit for a book of low default rates.
* an explicit list of ascending pd boundaries.

Each pd boundary is converted to a score cut with the scaling above; grade
``k`` (0 = ``A``, the best) holds pds in ``(b_{k-1}, b_k]``, i.e. scores in
``[cut_k, cut_{k-1})``: a score exactly on a cut gets the better grade.

This module imports only numpy: the API grades a score with :class:`MasterScale` loaded
from the model's JSON artifact. The cut-off table per grade is
:func:`validation.score_bands.score_band_table`.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from scorecard.card.scaling import Scaling


def geometric_pd_boundaries(
    n_grades: int = 8, first: float = 0.0025, ratio: float = 2.0
) -> tuple[float, ...]:
    """The ``n_grades - 1`` pd boundaries ``first * ratio^k``, ascending (fractions)."""
    if n_grades < 2 or n_grades > 26:
        raise ValueError("n_grades must be between 2 and 26")
    if not (0 < first < 1 and ratio > 1):
        raise ValueError("need 0 < first < 1 and ratio > 1")
    bounds = tuple(first * ratio**k for k in range(n_grades - 1))
    if bounds[-1] >= 1:
        raise ValueError(f"the ladder reaches pd {bounds[-1]:g} >= 1; lower first or ratio")
    return bounds


FIT_QUANTILES = (0.01, 0.99)  # development pds the fitted boundaries span
N_GRADES = 8


def fitted_pd_boundaries(pds: np.ndarray, n_grades: int = N_GRADES) -> tuple[float, ...]:
    """The ``n_grades - 1`` ascending pd boundaries fitted to ``pds`` (module docstring):
    evenly spaced log-odds between the :data:`FIT_QUANTILES` of the pds, two significant
    figures. Falls back to the fixed ladder when the pds are too concentrated for
    distinct boundaries."""
    p = np.asarray(pds, dtype=np.float64)
    p = p[np.isfinite(p)]
    if len(p) == 0:
        return geometric_pd_boundaries(n_grades)
    lo, hi = (float(np.clip(q, 1e-5, 1 - 1e-5)) for q in np.quantile(p, FIT_QUANTILES))
    logits = np.linspace(math.log(lo / (1 - lo)), math.log(hi / (1 - hi)), n_grades - 1)
    bounds = tuple(float(f"{b:.2g}") for b in 1 / (1 + np.exp(-logits)))
    if len(set(bounds)) != len(bounds) or not all(0 < b < 1 for b in bounds):
        return geometric_pd_boundaries(n_grades)
    return bounds


@dataclass(frozen=True)
class MasterScale:
    """Grades with ascending pd boundaries and the equivalent descending score cuts.

    Attributes:
        grades: labels, best first (``("A", "B", ...)``).
        pd_boundaries: ``len(grades) - 1`` ascending pds; grade ``k`` holds pds in
            ``(pd_boundaries[k-1], pd_boundaries[k]]``.
        scaling: the points scaling that maps boundaries to score cuts.
        score_cuts: derived, descending; grade ``k`` holds scores in
            ``[score_cuts[k], score_cuts[k-1])``.
    """

    grades: tuple[str, ...]
    pd_boundaries: tuple[float, ...]
    scaling: Scaling = field(default_factory=Scaling)
    score_cuts: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        grades = tuple(str(g) for g in self.grades)
        bounds = tuple(float(b) for b in self.pd_boundaries)
        if len(grades) < 2 or len(set(grades)) != len(grades):
            raise ValueError("need at least two distinct grade labels")
        if len(bounds) != len(grades) - 1:
            raise ValueError("need exactly len(grades) - 1 pd boundaries")
        if any(not 0 < b < 1 for b in bounds) or any(b >= c for b, c in pairwise(bounds)):
            raise ValueError("pd boundaries must be strictly increasing within (0, 1)")
        object.__setattr__(self, "grades", grades)
        object.__setattr__(self, "pd_boundaries", bounds)
        cuts = self.scaling.score(np.array(bounds))
        object.__setattr__(self, "score_cuts", tuple(float(c) for c in cuts))

    @classmethod
    def from_pd_ladder(
        cls,
        n_grades: int = 8,
        first: float = 0.0025,
        ratio: float = 2.0,
        scaling: Scaling | None = None,
    ) -> MasterScale:
        """Grades ``A``, ``B``, ... on the geometric pd ladder (module docstring)."""
        bounds = geometric_pd_boundaries(n_grades, first, ratio)
        return cls(tuple(string.ascii_uppercase[:n_grades]), bounds, scaling or Scaling())

    @property
    def n_grades(self) -> int:
        return len(self.grades)

    def grade_index(self, score: np.ndarray | float) -> np.ndarray:
        """Grade position (0 = best) of each score; same shape as ``score``, int64.

        Raises ``ValueError`` on a non-finite score rather than grading it silently.
        """
        s = np.asarray(score, dtype=np.float64)
        if not np.isfinite(s).all():
            raise ValueError("scores must be finite to be graded")
        ascending = np.asarray(self.score_cuts[::-1])
        # number of cuts at or below the score; a score on a cut gets the better grade
        above = np.searchsorted(ascending, s, side="right")
        return (self.n_grades - 1 - above).astype(np.int64)

    def grade(self, score: float) -> str:
        """The grade label of one score."""
        return self.grades[int(self.grade_index(score))]

    def nominal_pd(self) -> tuple[float, ...]:
        """A representative pd per grade: the geometric mid-point of its pd range.

        Open-ended end grades take the neighbouring boundary divided (best grade) or
        multiplied (worst grade) by the square root of the adjacent boundary ratio, capped
        below 1, so the nominal pds form the same geometric ladder as the boundaries.
        """
        b = self.pd_boundaries
        inner = [math.sqrt(lo * hi) for lo, hi in pairwise(b)]
        r_first = math.sqrt(b[1] / b[0]) if len(b) > 1 else 2.0
        r_last = math.sqrt(b[-1] / b[-2]) if len(b) > 1 else 2.0
        worst = min(b[-1] * r_last, (b[-1] + 1.0) / 2.0)
        return (b[0] / r_first, *inner, worst)

    def table(self) -> list[dict[str, Any]]:
        """One dict per grade, best first: ``grade``, ``pd_low``, ``pd_high``, ``pd_nominal``,
        ``score_low``, ``score_high`` (``None`` where the range is open)."""
        b = (0.0, *self.pd_boundaries, 1.0)
        cuts = (None, *self.score_cuts, None)
        nominal = self.nominal_pd()
        return [
            {
                "grade": g,
                "pd_low": b[k],
                "pd_high": b[k + 1],
                "pd_nominal": nominal[k],
                "score_low": cuts[k + 1],
                "score_high": cuts[k],
            }
            for k, g in enumerate(self.grades)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``score_cuts`` included for readers; recomputed on load)."""
        return {
            "grades": list(self.grades),
            "pd_boundaries": list(self.pd_boundaries),
            "score_cuts": list(self.score_cuts),
            "scaling": self.scaling.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MasterScale:
        """Inverse of :meth:`to_dict`; rejects stored score cuts that disagree with the pds."""
        scale = cls(
            tuple(data["grades"]),
            tuple(float(b) for b in data["pd_boundaries"]),
            Scaling.from_dict(data["scaling"]),
        )
        stored = data.get("score_cuts")
        if stored is not None and not np.allclose(stored, scale.score_cuts, rtol=0, atol=1e-6):
            raise ValueError("score_cuts do not match pd_boundaries under the scaling")
        return scale


def master_scale_for(setting: str | tuple[float, ...], development_pd: np.ndarray,
                     scaling: Scaling) -> MasterScale:
    """The master scale the spec's ``master_scale`` setting asks for (module docstring):
    ``"development"`` fitted to ``development_pd``, ``"ladder"`` the fixed ladder, or the
    given ascending pd boundaries."""
    if setting == "ladder":
        return MasterScale.from_pd_ladder(scaling=scaling)
    bounds = (fitted_pd_boundaries(development_pd) if setting == "development"
              else tuple(float(b) for b in setting))
    return MasterScale(tuple(string.ascii_uppercase[:len(bounds) + 1]), bounds, scaling)


def assign_grades(score: np.ndarray | float, scale: MasterScale) -> np.ndarray:
    """Grade label of each score (array of str, same shape as ``score``); numpy only."""
    return np.asarray(scale.grades, dtype=object)[scale.grade_index(score)]
