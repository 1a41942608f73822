"""Cell formats shared by the validation page and ``MODEL.md``: one rule per kind of figure,
so a number reads the same wherever it appears."""

from __future__ import annotations

import math
from typing import Any


def fmt(x: Any, digits: int = 4) -> str:
    """Fixed-point number, ``–`` for missing or non-finite."""
    if x is None:
        return "–"
    x = float(x)
    return f"{x:.{digits}f}" if math.isfinite(x) else "–"


def pct(x: Any, digits: int = 2) -> str:
    """A fraction as a percentage (``0.0213`` -> ``2.13 %``)."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    return f"{100.0 * float(x):.{digits}f} %"


def pval(x: Any) -> str:
    """A p-value: four decimals, scientific below 0.0001."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    x = float(x)
    return f"{x:.1e}" if x < 1e-4 else f"{x:.4f}"


def count(x: Any) -> str:
    return "–" if x is None else f"{int(x):,}"


def f2(x: Any) -> str:
    return fmt(x, 2)


def f3(x: Any) -> str:
    return fmt(x, 3)


def score_bound(x: Any) -> str:
    """Score cut-offs and bounds: short general format, infinities as symbols."""
    if x is None:
        return "–"
    x = float(x)
    if math.isinf(x):
        return "+∞" if x > 0 else "−∞"
    return f"{x:.2f}" if x != round(x) else f"{x:.0f}"


def yes_no(x: Any) -> str:
    return "yes" if bool(x) else "no"


def flag_text(x: Any) -> str:
    return "FLAG" if bool(x) else "ok"
