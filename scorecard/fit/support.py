"""Omission never helps: what a missing, special or unseen value, or a thin bin, may score.

A fitted card gives every bin the points its estimate says. A bin with few development rows
(a missing bin of nine rows, a rare special code) or none (an unseen category, an empty
missing bin) has an estimate the data barely constrain, so left alone it lands near the
population's average, above the riskiest real bins: leaving a field out, or misspelling a
category, would then raise a risky applicant's score. The spec's ``missing_policy``
``"cautious"`` (the default) applies one stated rule after the points are fitted:

* A bin is **supported** when its points rest on enough events: it holds at least
  ``min_bin_events`` defaults, or enough rows that ``min_bin_events`` defaults were expected
  at the development sample's default rate (``count x rate >= min_bin_events``; so a large
  bin with few defaults shows it is safer, a small one with few shows nothing).
* The characteristic's **floor** is the lowest points of its supported regular bins (of all
  its regular bins when none is supported).
* A missing or special bin, or a category group, that is not supported scores at most the
  floor; an unseen category (no development row at all) scores at most the floor. Regular
  bins of a numeric characteristic keep their points: each holds the binning's minimum
  share and sits between neighbours on the value axis (and its trend, when it has one).

``"fitted"`` keeps the fitted points. Every capped bin carries its reason and its fitted
points in the card (``support``, ``fitted_points``) and the binning table; the unseen
category's in ``unseen_rule``. A field left out altogether (the engine's ``OMITTED``, an API
body without it) scores the characteristic's lowest points, never more than any value could.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CAUTIOUS = "cautious"


@dataclass(frozen=True)
class Support:
    """The rule's outcome for one characteristic.

    ``points``: the points per bin after the rule (``fitted``: before it); ``supported``:
    per bin, whether its points rest on enough events; ``notes``: per capped bin, the reason;
    ``floor``: the riskiest supported bin's points; ``unseen_points`` and ``unseen_note``
    (``None`` when the unseen points were already at or below the floor).
    """

    points: np.ndarray
    fitted: np.ndarray
    supported: np.ndarray
    floor: int
    unseen_points: int
    notes: dict[int, str] = field(default_factory=dict)
    unseen_note: str | None = None


def bin_support(count: np.ndarray, event: np.ndarray, min_events: int) -> np.ndarray:
    """Whether each bin's points rest on enough events (module docstring), shape (n,)."""
    count = np.asarray(count, dtype=float)
    event = np.asarray(event, dtype=float)
    total = count.sum()
    rate = event.sum() / total if total > 0 else 0.0
    return (event >= min_events) | (count * rate >= min_events)


def apply_support(points: np.ndarray, unseen_points: int, types: list[str],
                  count: np.ndarray, event: np.ndarray, kind: str, min_events: int,
                  policy: str = CAUTIOUS) -> Support:
    """The rule on one characteristic's fitted integer ``points`` per bin (bins typed
    ``regular``/``special``/``missing`` as in the binning table; ``kind`` ``numeric`` or
    ``categorical``) and its fitted ``unseen_points``."""
    fitted = np.asarray(points, dtype=np.int64)
    points = fitted.copy()
    supported = bin_support(count, event, min_events)
    regular = np.array([t == "regular" for t in types])
    pool = points[regular & supported] if (regular & supported).any() else points[regular]
    floor = int(pool.min())
    if policy != CAUTIOUS:
        return Support(points, fitted, supported, floor, int(unseen_points))
    rows = float(np.sum(count))
    rate = float(np.sum(event)) / rows if rows else 0.0
    notes: dict[int, str] = {}
    for i, t in enumerate(types):
        capped_kind = t in ("missing", "special") or (t == "regular" and kind == "categorical")
        if supported[i] or not capped_kind or points[i] <= floor:
            continue
        notes[i] = (f"capped at the riskiest supported bin ({floor} points; fitted "
                    f"{int(points[i])}): {int(count[i])} rows, {int(event[i])} defaults, "
                    f"{count[i] * rate:.1f} expected, fewer than {min_events}")
        points[i] = floor
    unseen, note = int(unseen_points), None
    if kind == "categorical" and unseen > floor:
        note = (f"an unseen category scores the riskiest supported bin ({floor} points; "
                f"fitted {unseen}): no development row supports it")
        unseen = floor
    return Support(points, fitted, supported, floor, unseen, notes, note)
