"""Characteristics derived from an input column, scored from that column alone.

A *rounding* characteristic says how round a whole-number value is: its label is the largest
of the card's ``steps`` (descending positive integers) that divides the value (``"5000"``),
``"0"`` for zero, ``"other"`` for any other value (one with a fraction too), and missing for
a missing value. A stated income of round thousands may default apart from an exact one of
the same size (``scorecard init-spec`` names such columns); bins of magnitude cannot score
that, a category of the value's rounding can. In the artifact it is a categorical
characteristic over those labels with ``"derived": {"input": column, "rounding": steps}``
(:mod:`scorecard.card.artifact`); its name is :func:`rounding_name` of the column. The
engine, the SQL export and the fit all label values here, so they agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

ZERO = "0"
OTHER = "other"


def rounding_name(column: str) -> str:
    """The name of ``column``'s rounding characteristic."""
    return f"{column}_rounding"


def rounding_label(value: Any, steps: Sequence[int]) -> str | None:
    """The rounding label of one value (module docstring): ``None`` when it is missing (or
    no number at all)."""
    if isinstance(value, bool):
        return OTHER
    try:
        x = float(value)
    except (TypeError, ValueError):  # None, pandas' NA, a marker: no number to label
        return None
    if math.isnan(x):
        return None
    if x == 0:
        return ZERO
    if math.isinf(x):
        return OTHER
    for step in steps:
        if math.fmod(x, step) == 0:
            return str(step)
    return OTHER


def rounding_labels(values: Any, steps: Sequence[int]) -> np.ndarray:
    """The rounding labels of a 1-D array-like of values, shape (n,), object (``None``
    where a value is missing), as :func:`rounding_label` gives them one by one."""
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):  # objects: pandas' NA, None, a marker
        return np.asarray([rounding_label(v, steps) for v in values], dtype=object)
    out = np.full(x.shape, OTHER, dtype=object)
    # Coarsest step first, each finer one only where no coarser step divides the value;
    # only finite values other than zero are divided (infinities are "other").
    todo = np.flatnonzero(np.isfinite(x) & (x != 0))
    for step in steps:
        hit = np.fmod(x[todo], step) == 0
        out[todo[hit]] = str(step)
        todo = todo[~hit]
    out[x == 0] = ZERO
    out[np.isnan(x)] = None
    return out


def rounding_text(labels: Sequence[str]) -> str:
    """A bin's label of rounding labels, for people: ``multiple of 5000``, ``zero``, ``not
    round`` (none of the steps divides it), joined by ``, ``."""
    words = {ZERO: "zero", OTHER: "not round"}
    return ", ".join(words.get(lab, f"multiple of {lab}") for lab in labels)


def derived_input(f: Mapping[str, Any]) -> str | None:
    """The input column a derived characteristic reads, or ``None`` for any other."""
    derived = f.get("derived")
    return str(derived["input"]) if isinstance(derived, Mapping) else None
