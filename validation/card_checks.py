"""Checks of the card itself, shown among the validation page's findings: oddities a
reviewer should see before the card is used, each one sentence naming what it found.

* **Points that do not vary**: a characteristic whose regular bins all get the same points
  (it adds a constant and ranks no one, or ranks only through its missing and special
  bins: said so), and two category groups with the same points (the
  binning kept apart what the points do not distinguish).
* **Thin bins**: a bin with development rows whose points rest on fewer than
  ``min_bin_events`` events: fewer defaults than that, and too few rows for that many to be
  expected at the sample's default rate (the spec's ``min_bin_events``, the support rule of
  ``scorecard.fit.support``; an empty bin is the missing policy's matter, not listed).
* **A reason dominating the top slot**: the share of applicants whose first reason is the
  same characteristic, above :data:`DOMINANT_REASON_SHARE`.

Plain data in (the artifact's JSON and the first-reason shares), plain text out; nothing of
the project is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_MIN_BIN_EVENTS = 30  # a card whose spec does not say (scorecard.fit.spec's default)
# Above this share of applicants with the same first reason, the reasons barely inform.
DOMINANT_REASON_SHARE = 0.5


def _supported(bins: list[Mapping[str, Any]], min_events: int) -> list[bool]:
    """Per bin: the card's own ``supported`` flag, else the support rule on its counts."""
    total = sum(int(b.get("count") or 0) for b in bins)
    rate = sum(int(b.get("event") or 0) for b in bins) / total if total else 0.0
    return [bool(b["supported"]) if "supported" in b else
            (int(b.get("event") or 0) >= min_events
             or int(b.get("count") or 0) * rate >= min_events) for b in bins]


def flat_points(artifact: Mapping[str, Any]) -> list[str]:
    """Characteristics whose points do not vary, and category groups sharing their points."""
    out = []
    for f in artifact["features"]:
        if f.get("kind") == "interaction":
            continue
        regular = [b for b in f["bins"] if b.get("type") == "regular"]
        points = [b["points"] for b in regular]
        if len(set(points)) < 2:
            flat = points[0] if points else "?"
            others = sorted({b["points"] for b in f["bins"] if b.get("type") != "regular"}
                            - {flat})
            if others:  # it still ranks, through its missing and special bins alone
                out.append(f"{f['name']}: every regular bin gets {flat} points; it ranks "
                           "applicants only by whether the value is missing or special "
                           f"({', '.join(str(p) for p in others)} points); rebin it or "
                           "treat it as a missing-value indicator.")
            else:
                out.append(f"{f['name']}: every bin gets {flat} points, so it ranks no "
                           "one; drop it or rebin it.")
            continue
        if f.get("kind") != "categorical":
            continue
        by_points: dict[int, list[str]] = {}
        for b in regular:
            by_points.setdefault(b["points"], []).append(str(b["label"]))
        for p, labels in sorted(by_points.items()):
            if len(labels) > 1:
                out.append(f"{f['name']}: the groups {' and '.join(repr(x) for x in labels)} "
                           f"get the same {p} points; merge them or say why they differ.")
    return out


def thin_bins(artifact: Mapping[str, Any]) -> list[str]:
    """Bins with rows whose points rest on fewer than the spec's ``min_bin_events``."""
    spec = artifact.get("spec") or {}
    min_events = int(spec.get("min_bin_events") or DEFAULT_MIN_BIN_EVENTS)
    out = []
    for f in artifact["features"]:
        if f.get("kind") == "interaction":
            continue
        bins = f["bins"]
        for b, ok in zip(bins, _supported(bins, min_events), strict=True):
            if ok or not b.get("count"):
                continue
            fate = (f"capped at {b['points']} points (fitted {b['fitted_points']})"
                    if "fitted_points" in b else f"{b['points']} points kept")
            out.append(f"{f['name']}, bin {b['label']}: {b['count']} rows and "
                       f"{b.get('event', 0)} defaults, fewer than {min_events} events to rest "
                       f"its points on ({fate}).")
    return out


def dominant_reason(first_reasons: Mapping[str, float] | None,
                    threshold: float = DOMINANT_REASON_SHARE) -> str | None:
    """A sentence when one characteristic is the first reason of more than ``threshold`` of
    the applicants (``first_reasons``: characteristic -> share), else ``None``."""
    if not first_reasons:
        return None
    name, share = max(first_reasons.items(), key=lambda kv: (kv[1], kv[0]))
    if share <= threshold:
        return None
    return (f"{name} is the first reason of {100 * share:.1f} % of holdout applicants (above "
            f"{100 * threshold:.0f} %): the top reason barely differs between applicants, so "
            "it tells them little; review its points range against the others'.")


def card_checks(artifact: Mapping[str, Any],
                first_reasons: Mapping[str, float] | None) -> list[str]:
    """Every card check's sentence (module docstring), in a stable order."""
    dominant = dominant_reason(first_reasons)
    return [*flat_points(artifact), *thin_bins(artifact), *([dominant] if dominant else [])]
