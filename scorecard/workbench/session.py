"""A review session: the development rows, every characteristic's binning, the edits.

The session splits the labelled rows exactly as ``regenerate`` does (same seed, same
stratified holdout), so every table it shows is on the development rows the card is fitted
on. Edits change a :class:`~scorecard.workbench.edits.Binning` and the override it becomes;
each one carries a reason and can be undone and redone. Saving writes the overrides file
(every override not touched kept as it was); rebuilding runs
:func:`scorecard.jobs.regenerate.regenerate` in a background thread into the session folder.

The card's interactions (pairs, :mod:`scorecard.fit.interactions`) are read from the last
finished build; a reviewer drops a pair or merges two adjacent groups of one of its axes,
each an audited :class:`~scorecard.fit.overrides.PairOverride` (reason, who, when) that the
next rebuild honours.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scorecard import settings
from scorecard.data.files import read_dataset
from scorecard.errors import UsageError
from scorecard.fit.binning import WoEBinner, with_derived
from scorecard.fit.overrides import (
    TRENDS,
    FeatureOverride,
    PairOverride,
    builtin_overrides,
    header_of,
    load_overrides,
    load_pair_overrides,
    write_overrides,
)
from scorecard.fit.spec import DatasetSpec, method_defaults
from scorecard.jobs.progress import Progress
from scorecard.workbench.edits import (
    Binning,
    FeatureData,
    assign_bins,
    binning_table,
    csi_table,
    flags,
    normalise,
    split_suggestions,
    wilson,
)
from validation.splits import make_splits


class WorkbenchError(UsageError):
    """An edit, save or rebuild the reviewer asked for that cannot be done as asked."""


@dataclass(frozen=True)
class Edit:
    feature: str
    action: str
    detail: str
    reason: str
    before: Binning
    after: Binning
    before_override: FeatureOverride | None
    after_override: FeatureOverride | None


@dataclass(frozen=True)
class PairEdit:
    """An edit of one interaction: ``feature`` is its ``"X*Y"`` key."""

    feature: str
    action: str
    detail: str
    reason: str
    before_override: PairOverride | None
    after_override: PairOverride | None


class _Captured(Progress):
    """Progress lines kept for the polling endpoint."""

    def __init__(self) -> None:
        super().__init__(enabled=False)
        self.lines: list[str] = []

    def say(self, message: str) -> None:
        self.lines.append(f"[{time.perf_counter() - self._t0:6.1f}s] {message}")


@dataclass
class Build:
    """One regenerate run of the session (``baseline``: the starting overrides)."""

    name: str
    out: Path
    overrides: dict[str, FeatureOverride]
    pairs: dict[str, PairOverride] = field(default_factory=dict)
    status: str = "queued"  # queued | running | done | failed
    error: str = ""
    progress: _Captured = field(default_factory=_Captured)


class Session:
    """Everything the workbench pages show and change (one reviewer, one process)."""

    def __init__(self, spec: DatasetSpec, data: Path, overrides_path: Path | None,
                 workdir: Path, reviewer: str = "", seed: int = 0,
                 holdout_share: float = 0.3, min_share: float | None = None,
                 max_bins: int | None = None, baseline: bool = True) -> None:
        # The binning constraints of the card method regenerate fits, so a preview the
        # workbench accepts is one the rebuild honours exactly.
        params = method_defaults(spec.card_method)
        min_share = params.min_bin_share if min_share is None else min_share
        max_bins = params.max_n_bins if max_bins is None else max_bins
        self.min_events: int | None = params.min_bin_n_event
        self.max_prebins: int = params.max_n_prebins
        self.spec, self.data, self.workdir = spec, data, workdir
        self.overrides_path = overrides_path or builtin_overrides(spec.name)
        self.reviewer = reviewer
        self.min_share, self.max_bins = min_share, max_bins
        self.lock = threading.RLock()
        self.saved_overrides = load_overrides(self.overrides_path) \
            if self.overrides_path is not None and self.overrides_path.exists() else {}
        self.header = header_of(self.overrides_path) \
            if self.overrides_path is not None and self.overrides_path.exists() else ""
        self.overrides: dict[str, FeatureOverride] = dict(self.saved_overrides)
        self.saved_pairs = load_pair_overrides(self.overrides_path) \
            if self.overrides_path is not None and self.overrides_path.exists() else {}
        self.pairs: dict[str, PairOverride] = dict(self.saved_pairs)
        dataset = read_dataset(data, spec.contract, require_labelled=True)
        labelled = dataset.labelled
        y = labelled[spec.contract.target].to_numpy(dtype=int)
        design = make_splits(y, holdout_fraction=holdout_share, n_splits=5, n_repeats=2,
                             seed=seed)
        dev_pos = np.asarray(design.development)
        folds = {f.name: np.isin(dev_pos, f.train) for f in design.folds}
        self.dev = labelled.iloc[design.development]
        self.y_dev = y[design.development]
        self.to_predict = dataset.to_predict
        binner = WoEBinner(spec, self.overrides, min_share, max_bins,
                           max_n_prebins=self.max_prebins,
                           min_bin_n_event=self.min_events).fit(self.dev, self.y_dev)
        names = spec.candidates
        prepared = binner.prepare(with_derived(self.dev, spec)[names])
        self.prepared_predict = binner.prepare(with_derived(self.to_predict, spec)[names])
        self.features: dict[str, FeatureData] = {}
        self.state: dict[str, Binning] = {}
        self.optimiser_iv: dict[str, float] = {}
        for name in names:
            kind = "categorical" if spec.binned_as_category(name) else "numeric"
            special = {str(k): [float(c) for c in v]
                       for k, v in spec.special_codes.get(name, {}).items()}
            self.features[name] = FeatureData.build(name, kind, prepared[name], self.y_dev,
                                                    special, spec.trend(name), folds)
            ov = self.overrides.get(name, FeatureOverride())
            if name in binner.bins_:
                fb = binner.bins_[name]
                self.state[name] = Binning(tuple(fb.splits), tuple(tuple(g) for g in fb.groups),
                                           ov.trend, None)
            else:
                self.state[name] = Binning((), (), ov.trend, ov.exclude or "excluded")
        self.history: list[Edit | PairEdit] = []
        self.future: list[Edit | PairEdit] = []
        self.builds: list[Build] = []
        self._queue: list[Build] = []
        self._worker: threading.Thread | None = None
        if baseline:
            self._enqueue("baseline", dict(self.saved_overrides), dict(self.saved_pairs))

    # ------------------------------------------------------------------ reading

    def special(self, name: str) -> dict[str, list[float]]:
        return {str(k): [float(c) for c in v]
                for k, v in self.spec.special_codes.get(name, {}).items()}

    def table(self, name: str, b: Binning | None = None) -> pd.DataFrame:
        """The binning table on the development rows, with the interval of each rate."""
        fd = self.features[name]
        b = b or self.state[name]
        t = binning_table(fd, b)
        lo, hi = wilson(t["event"].to_numpy(), t["count"].to_numpy())
        t["rate_low"], t["rate_high"] = lo, hi
        return t

    def flags(self, name: str) -> list[str]:
        """What the fit would not honour of the bins fixed for ``name`` (none when the
        optimiser bins it: its own solution meets every constraint, fold by fold)."""
        ov = self.overrides.get(name)
        if ov is None or (ov.splits is None and ov.groups is None):
            return []
        return flags(self.features[name], self.state[name], self.min_share, self.max_bins,
                     self.min_events)

    def edited(self, name: str) -> bool:
        return self.overrides.get(name) != self.saved_overrides.get(name)

    def csi(self, name: str) -> tuple[pd.DataFrame, float]:
        fd, b = self.features[name], self.state[name]
        t = binning_table(fd, b)
        bins = assign_bins(fd, b, self.prepared_predict[name].to_numpy(), self.special(name))
        return csi_table(t, np.bincount(bins, minlength=len(t)))

    def suggestions(self, name: str, i: int) -> list[float]:
        return split_suggestions(self.features[name], self.state[name], i, self.min_share,
                                 self.max_bins, min_events=self.min_events)

    def overview(self) -> list[dict[str, Any]]:
        log = self.latest_log()
        rows = []
        for name, fd in self.features.items():
            b = self.state[name]
            t = binning_table(fd, b) if b.exclude is None else None
            ov = self.overrides.get(name)
            entry = log.get(name, {})
            rows.append({
                "name": name, "kind": fd.kind,
                "iv": float(t["iv"].sum()) if t is not None else None,
                "bins": int((t["type"] == "regular").sum()) if t is not None else 0,
                "trend": b.trend or fd.spec_trend or "",
                "excluded": b.exclude,
                "decision": entry.get("decision", ""), "why": entry.get("reason", ""),
                "overridden": ov is not None, "note": (ov.reason or ov.note or ov.exclude or "")
                if ov else "", "edited": self.edited(name), "flags": self.flags(name),
            })
        rows.sort(key=lambda r: (-(r["iv"] if r["iv"] is not None else -1), r["name"]))
        return rows

    # ------------------------------------------------------------------ editing

    def _override_for(self, name: str, b: Binning, reason: str) -> FeatureOverride:
        prev = self.overrides.get(name, FeatureOverride())
        fd = self.features[name]
        b = normalise(fd, b)
        return FeatureOverride(
            splits=b.splits if fd.kind == "numeric" else None,
            groups=b.groups if fd.kind == "categorical" else None,
            trend=b.trend, exclude=None, note=prev.note, reason=reason,
            who=self.reviewer, when=date.today().isoformat())

    def _apply(self, edit: Edit) -> None:
        self.state[edit.feature] = edit.after
        if edit.after_override is None:
            self.overrides.pop(edit.feature, None)
        else:
            self.overrides[edit.feature] = edit.after_override

    def _record(self, name: str, action: str, detail: str, reason: str, after: Binning,
                override: FeatureOverride | None) -> Edit:
        if self.save_problem:  # refused before the first edit, not after the last
            raise WorkbenchError(self.save_problem)
        reason = reason.strip()
        if not reason:
            raise WorkbenchError(f"{name}: {action} needs a reason (field 'reason')")
        edit = Edit(name, action, detail, reason, self.state[name], after,
                    self.overrides.get(name), override)
        self._apply(edit)
        self.history.append(edit)
        self.future.clear()
        return edit

    def _feature(self, name: str) -> FeatureData:
        if name not in self.features:
            raise WorkbenchError(f"unknown characteristic {name!r}")
        if self.state[name].exclude is not None:
            raise WorkbenchError(f"{name} is excluded: include it before editing its bins")
        return self.features[name]

    def merge(self, name: str, i: int, reason: str) -> Edit:
        """Merge regular bin ``i`` with bin ``i + 1``."""
        fd, b = self._feature(name), normalise(self.features[name], self.state[name])
        n = len(b.splits) + 1 if fd.kind == "numeric" else len(b.groups)
        if not 0 <= i < n - 1:
            raise WorkbenchError(f"{name}: bins {i} and {i + 1} are not two adjacent "
                                 f"regular bins (0..{n - 1})")
        if fd.kind == "numeric":
            after = replace(b, splits=b.splits[:i] + b.splits[i + 1:])
        else:
            merged = b.groups[i] + b.groups[i + 1]
            after = replace(b, groups=(*b.groups[:i], merged, *b.groups[i + 2:]))
        after = normalise(fd, after)
        return self._record(name, "merge", f"bins {i} and {i + 1}", reason, after,
                            self._override_for(name, after, reason))

    def split(self, name: str, value: float, reason: str) -> Edit:
        """Split the numeric bin holding ``value`` at ``value`` (``value`` opens the upper)."""
        fd, b = self._feature(name), normalise(self.features[name], self.state[name])
        if fd.kind != "numeric":
            raise WorkbenchError(f"{name}: a categorical characteristic is split by "
                                 "regrouping its categories")
        if not np.isfinite(value):
            raise WorkbenchError(f"{name}: split value must be a finite number")
        if value in b.splits:
            raise WorkbenchError(f"{name}: {value:g} is already a split point")
        after = normalise(fd, replace(b, splits=(*b.splits, float(value))))
        return self._record(name, "split", f"at {value:g}", reason, after,
                            self._override_for(name, after, reason))

    def set_splits(self, name: str, splits: list[float], reason: str) -> Edit:
        """Replace every split point of a numeric characteristic (the workbook import)."""
        fd = self._feature(name)
        if fd.kind != "numeric":
            raise WorkbenchError(f"{name}: only numeric characteristics have split points")
        if not all(np.isfinite(v) for v in splits):
            raise WorkbenchError(f"{name}: split points must be finite numbers")
        if len(set(splits)) != len(splits):
            raise WorkbenchError(f"{name}: split points must be distinct")
        after = normalise(fd, replace(self.state[name], splits=tuple(float(v) for v in splits)))
        return self._record(name, "set splits", ", ".join(f"{v:g}" for v in after.splits),
                            reason, after, self._override_for(name, after, reason))

    def regroup(self, name: str, category: str, group: int, reason: str) -> Edit:
        """Move ``category`` into group ``group`` (``len(groups)``: a new group of its own)."""
        fd, b = self._feature(name), normalise(self.features[name], self.state[name])
        if fd.kind != "categorical":
            raise WorkbenchError(f"{name}: only categorical characteristics are regrouped")
        if category not in {c for g in b.groups for c in g}:
            raise WorkbenchError(f"{name}: unknown category {category!r}")
        if not 0 <= group <= len(b.groups):
            raise WorkbenchError(f"{name}: group {group} does not exist (0..{len(b.groups)})")
        groups = [list(g) for g in b.groups]
        target = groups[group] if group < len(groups) else None
        for g in groups:
            if category in g:
                g.remove(category)
        if target is None:
            groups.append([category])
        else:
            target.append(category)
        after = normalise(fd, replace(b, groups=tuple(tuple(g) for g in groups if g)))
        return self._record(name, "regroup", f"{category} to group {group}", reason, after,
                            self._override_for(name, after, reason))

    def set_trend(self, name: str, trend: str | None, reason: str) -> Edit:
        """Force a trend, ``"none"`` for no monotone constraint (``None``: back to the
        spec's), and fix the current bins with it (:meth:`reset` then re-optimises them
        under it)."""
        fd = self._feature(name)
        if trend is not None and trend not in TRENDS:
            raise WorkbenchError(f"{name}: trend {trend!r} is not one of {', '.join(TRENDS)}")
        if fd.kind == "categorical":
            raise WorkbenchError(f"{name}: categorical groups are ordered by event rate; "
                                 "no trend to set")
        after = replace(normalise(fd, self.state[name]), trend=trend)
        return self._record(name, "trend", trend or "spec default", reason, after,
                            self._override_for(name, after, reason))

    def exclude(self, name: str, reason: str) -> Edit:
        if name not in self.features:
            raise WorkbenchError(f"unknown characteristic {name!r}")
        after = replace(self.state[name], exclude=reason.strip())
        prev = self.overrides.get(name, FeatureOverride())
        ov = replace(prev, exclude=reason.strip(), reason=reason.strip(), who=self.reviewer,
                     when=date.today().isoformat())
        return self._record(name, "exclude", "", reason, after, ov)

    def include(self, name: str, reason: str) -> Edit:
        if name not in self.features:
            raise WorkbenchError(f"unknown characteristic {name!r}")
        b = self.state[name]
        prev = self.overrides.get(name, FeatureOverride())
        if not b.splits and not b.groups:
            b = self._optimised(name, b.trend)
        ov = replace(prev, exclude=None, reason=reason.strip(), who=self.reviewer,
                     when=date.today().isoformat())
        # nothing left to override: the optimiser bins it
        bare = ov.splits is None and ov.groups is None and ov.trend is None
        return self._record(name, "include", "", reason, replace(b, exclude=None),
                            None if bare else ov)

    def _optimised(self, name: str, trend: str | None) -> Binning:
        """The optimiser's binning of ``name`` alone (one optbinning fit)."""
        others = {n: FeatureOverride(exclude="fit alone") for n in self.spec.candidates
                  if n != name}
        others[name] = FeatureOverride(trend=trend)
        fb = WoEBinner(self.spec, others, self.min_share, self.max_bins,
                       max_n_prebins=self.max_prebins,
                       min_bin_n_event=self.min_events).fit(self.dev, self.y_dev).bins_[name]
        return Binning(tuple(fb.splits), tuple(tuple(g) for g in fb.groups), trend, None)

    def reset(self, name: str, reason: str) -> Edit:
        """Back to the optimiser's binning (keeping a trend the reviewer forced)."""
        self._feature(name)
        trend = self.state[name].trend
        after = self._optimised(name, trend)
        prev = self.overrides.get(name, FeatureOverride())
        ov = None if trend is None else FeatureOverride(
            trend=trend, note=prev.note, reason=reason.strip(), who=self.reviewer,
            when=date.today().isoformat())
        return self._record(name, "reset", "optimiser's binning", reason, after, ov)

    def undo(self) -> Edit | PairEdit | None:
        if not self.history:
            return None
        edit = self.history.pop()
        if isinstance(edit, PairEdit):
            _put(self.pairs, edit.feature, edit.before_override)
        else:
            self.state[edit.feature] = edit.before
            _put(self.overrides, edit.feature, edit.before_override)
        self.future.append(edit)
        return edit

    def redo(self) -> Edit | PairEdit | None:
        if not self.future:
            return None
        edit = self.future.pop()
        if isinstance(edit, PairEdit):
            _put(self.pairs, edit.feature, edit.after_override)
        else:
            self._apply(edit)
        self.history.append(edit)
        return edit

    # ------------------------------------------------------------------ saving

    # ------------------------------------------------------------------ pairs

    def pair_rows(self) -> list[dict[str, Any]]:
        """The last fitted card's pairs and every pair with an override (saved or not):
        ``key`` (``"X*Y"``), ``x``, ``y``, ``name``, ``in_card``, ``decision`` and ``why``
        (the selection log's), ``rank_gain``, ``cv_gain``, ``cells``, ``override``,
        ``edited``; the card's pairs first, by name."""
        card, log = self._last_card()
        rows: dict[str, dict[str, Any]] = {}
        for f in card:
            x, y = (p["name"] for p in f["parents"])
            rows[f"{x}*{y}"] = {"x": x, "y": y, "name": f["name"], "in_card": True,
                                "cells": len(f["bins"])}
        for key, ov in {**self.saved_pairs, **self.pairs}.items():
            rows.setdefault(key, {"x": ov.x, "y": ov.y, "name": ov.name,
                                  "in_card": False, "cells": None})
        out = []
        for key, r in rows.items():
            entry = log.get(r["name"], {})
            why = entry.get("reason")
            why = why if isinstance(why, str) else ""
            out.append({**r, "key": key, "decision": str(entry.get("decision", "")),
                        "why": why, "rank_gain": _gain("rank gain", why),
                        "cv_gain": _gain("out-of-fold gain", why),
                        "override": self.pairs.get(key), "edited": self.pair_edited(key)})
        out.sort(key=lambda r: (not r["in_card"], r["name"]))
        return out

    def pair_edited(self, key: str) -> bool:
        return self.pairs.get(key) != self.saved_pairs.get(key)

    def pair_grid(self, key: str, colour: str = "points") -> dict[str, Any] | None:
        """The last fitted card's grid of the pair ``key`` (``None``: not in that card):
        ``rows`` / ``cols`` (each parent's bins: ``label``, ``type``), ``cells`` (one list
        per row: ``points``, ``count``, ``event``, ``rate``, ``colour``: by its points, or
        by its default rate when ``colour`` is ``"rate"``) and ``top`` (the largest size
        of a cell's points or rate, for the legend)."""
        card, _ = self._last_card()
        f = next((f for f in card if "*".join(p["name"] for p in f["parents"]) == key), None)
        if f is None:
            return None
        px, py = f["parents"]
        n_y = len(py["bins"])
        bins = f["bins"]
        by_rate = colour == "rate"
        top = (max([float(b["event_rate"]) for b in bins if b["count"]] + [1e-9]) if by_rate
               else max([abs(int(v)) for row in f["grid"] for v in row] + [1]))
        cells = []
        for i, row in enumerate(f["grid"]):
            line = []
            for j, points in enumerate(row):
                b = bins[i * n_y + j]
                shade = (heat_colour(-float(b["event_rate"]), top) if by_rate
                         else heat_colour(float(points), top))
                line.append({"points": int(points), "count": int(b["count"]),
                             "event": int(b["event"]), "rate": float(b["event_rate"]),
                             "colour": shade if b["count"] else EMPTY_CELL})
            cells.append(line)
        return {"name": f["name"], "x": px["name"], "y": py["name"], "rows": px["bins"],
                "cols": py["bins"], "cells": cells, "top": top, "by_rate": by_rate,
                "parents": [px, py]}

    def _last_card(self) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """The interactions of the last finished build's card and its selection log."""
        done = self.done_builds()
        if not done:
            return [], {}
        artifact = json.loads((done[-1].out / "scorecard.json").read_text())
        return ([f for f in artifact["features"] if f["kind"] == "interaction"],
                self.latest_log())

    def _pair(self, key: str) -> tuple[str, str]:
        parts = key.split("*")
        if len(parts) != 2 or not all(p in self.features for p in parts):
            raise WorkbenchError(f"unknown pair {key!r}: a pair is \"X*Y\", two "
                                 "characteristics of the spec")
        return parts[0], parts[1]

    def _record_pair(self, key: str, action: str, detail: str, reason: str,
                     override: PairOverride | None) -> PairEdit:
        if self.save_problem:
            raise WorkbenchError(self.save_problem)
        if not reason.strip():
            raise WorkbenchError(f"{key}: {action} needs a reason (field 'reason')")
        edit = PairEdit(key, action, detail, reason.strip(), self.pairs.get(key), override)
        _put(self.pairs, key, override)
        self.history.append(edit)
        self.future.clear()
        return edit

    def drop_pair(self, key: str, reason: str) -> PairEdit:
        """Leave the pair out of the card (an override ``exclude`` with the reason)."""
        x, y = self._pair(key)
        # A dropped pair has no grid: an axis grouping set before is not kept.
        ov = PairOverride(x, y, exclude=reason.strip(), reason=reason.strip(),
                          who=self.reviewer, when=date.today().isoformat(),
                          note=self.pairs[key].note if key in self.pairs else "")
        return self._record_pair(key, "drop", "the pair", reason, ov)

    def restore_pair(self, key: str, reason: str) -> PairEdit:
        """Remove the pair's override: the fit groups and confirms it on its own again."""
        self._pair(key)
        if key not in self.pairs:
            raise WorkbenchError(f"{key}: no override to remove")
        return self._record_pair(key, "restore", "the fit's own grid", reason, None)

    def merge_pair(self, key: str, axis: str, i: int, reason: str) -> PairEdit:
        """Merge groups ``i`` and ``i + 1`` of the pair's ``axis`` (``"x"`` or ``"y"``):
        the axis's grouping (the override's, else the last fitted grid's) less one group."""
        x, y = self._pair(key)
        if axis not in ("x", "y"):
            raise WorkbenchError(f"{key}: field 'axis' must be 'x' or 'y', got {axis!r}")
        parent = x if axis == "x" else y
        grid = self.pair_grid(key)
        prev = self.pairs.get(key, PairOverride(x, y))
        if prev.exclude is not None:
            raise WorkbenchError(f"{key} is dropped: restore it before coarsening it")
        splits, groups = prev.axis(0 if axis == "x" else 1)
        rule = None if grid is None else grid["parents"][0 if axis == "x" else 1]
        if splits is None and groups is None:
            if rule is None:
                raise WorkbenchError(f"{key} is not in the last fitted card: no grid to "
                                     "coarsen (rebuild first)")
            if rule["kind"] == "numeric":
                splits = tuple(float(v) for v in rule["splits"])
            else:
                groups = tuple(tuple(b["categories"]) for b in rule["bins"]
                               if b["type"] == "regular")
        n = len(splits) + 1 if splits is not None else len(groups or ())
        if not 0 <= i < n - 1:
            raise WorkbenchError(f"{key}: groups {i} and {i + 1} of {parent} are not two "
                                 f"adjacent regular groups (0..{n - 1})")
        if n - 1 < 2:
            raise WorkbenchError(f"{key}: {parent} would be left with one group, which is "
                                 "no interaction: drop the pair instead")
        own = self.state[parent]
        if own.exclude is not None:
            raise WorkbenchError(f"{key}: {parent} is excluded from the card")
        if splits is not None:
            splits = splits[:i] + splits[i + 1:]
            # a grid may cut between the parent's own split points (the fit's finer units),
            # so the fitted grid's cuts are valid too
            fitted = rule.get("splits", []) if rule is not None else []
            valid = np.asarray([*own.splits, *fitted], dtype=float)
            missing = [v for v in splits if not np.any(np.isclose(valid, v, rtol=1e-12,
                                                                  atol=0.0))]
            if missing:
                raise WorkbenchError(f"{key}: {', '.join(f'{v:g}' for v in missing)} no "
                                     f"longer split {parent}'s bins (edited since the last "
                                     "fit): rebuild first")
            ov = (replace(prev, x_splits=splits) if axis == "x"
                  else replace(prev, y_splits=splits))
        else:
            if groups is None:  # neither splits nor groups: nothing was read above
                raise WorkbenchError(f"{key}: {parent} has no axis groups to merge")
            groups = (*groups[:i], groups[i] + groups[i + 1], *groups[i + 2:])
            of = {c: k for k, g in enumerate(groups) for c in g}
            if any(len({of.get(c, -1) for c in g}) != 1 or -1 in {of.get(c, -1) for c in g}
                   for g in own.groups):
                raise WorkbenchError(f"{key}: {parent}'s category groups changed since the "
                                     "last fit: rebuild first")
            ov = (replace(prev, x_groups=groups) if axis == "x"
                  else replace(prev, y_groups=groups))
        ov = replace(ov, reason=reason.strip(), who=self.reviewer,
                     when=date.today().isoformat())
        return self._record_pair(key, "merge", f"{parent} groups {i} and {i + 1}", reason, ov)

    def blocking(self) -> list[str]:
        """Flags of every edited characteristic: what the fit would not honour exactly."""
        return [f"{name}: {f}" for name in sorted(self.features) if self.edited(name)
                for f in self.flags(name)]

    @property
    def save_problem(self) -> str:
        """Why edits could not be saved (``""``: they can): a session without an overrides
        file (no ``--overrides`` and no built-in file for the spec) is read-only, and says
        so before the first edit rather than at the save after the last."""
        if self.overrides_path is None:
            return ("read-only session: no overrides file to save edits to; restart with "
                    "`scorecard review --overrides FILE` (a new file is created)")
        return ""

    def save(self, path: Path | None = None) -> Path:
        path = path or self.overrides_path
        if path is None:
            raise WorkbenchError(self.save_problem)
        problems = self.blocking()
        if problems:
            raise WorkbenchError("not saved, the fit would not keep these bins as given: "
                                 + "; ".join(problems))
        with self.lock:
            write_overrides(path, self.overrides, self.header, self.pairs)
            self.saved_overrides = load_overrides(path)
            self.overrides = dict(self.saved_overrides)
            self.saved_pairs = load_pair_overrides(path)
            self.pairs = dict(self.saved_pairs)
        return path

    # ------------------------------------------------------------------ rebuilding

    def rebuild(self) -> Build:
        problems = self.blocking()
        if problems:
            raise WorkbenchError("cannot rebuild, the fit would not keep these bins as "
                                 "given: " + "; ".join(problems))
        return self._enqueue(f"rebuild-{sum(b.name != 'baseline' for b in self.builds) + 1}",
                             dict(self.overrides), dict(self.pairs))

    def _enqueue(self, name: str, overrides: dict[str, FeatureOverride],
                 pairs: dict[str, PairOverride]) -> Build:
        build = Build(name, self.workdir / name, overrides, pairs)
        with self.lock:
            self.builds.append(build)
            self._queue.append(build)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run_queue, daemon=True)
                self._worker.start()
        return build

    def _run_queue(self) -> None:
        from scorecard.jobs.regenerate import RegenerateConfig, regenerate

        while True:
            with self.lock:
                if not self._queue:
                    return
                build = self._queue.pop(0)
            build.status = "running"
            try:
                build.out.mkdir(parents=True, exist_ok=True)
                ov_file = build.out / "overrides.toml"
                write_overrides(ov_file, build.overrides, pairs=build.pairs)
                # The validated development fit: its tables are the previews the session
                # showed (all on the development rows), not a refit on every labelled row.
                regenerate(self.spec, self.data, build.out, ov_file,
                           RegenerateConfig(challenger=False, n_jobs=1,
                                            final_fit="development"), build.progress)
                build.status = "done"
            except Exception as exc:  # shown on the page; the session goes on
                build.status, build.error = "failed", f"{type(exc).__name__}: {exc}"

    def done_builds(self) -> list[Build]:
        return [b for b in self.builds if b.status == "done"]

    def latest_log(self) -> dict[str, dict[str, Any]]:
        done = self.done_builds()
        if not done:
            return {}
        log = pd.read_csv(done[-1].out / "selection_log.csv")
        return {str(r["feature"]): r for r in log.to_dict("records")}

    def wait(self, timeout: float = 600.0) -> None:
        """Block until every queued build has finished (for the CLI and tests)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    """Set ``table[key]`` (``None``: remove it)."""
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def _gain(what: str, reason: str) -> float | None:
    """A gain the selection log's reason states (``"rank gain 0.00123"``), or ``None``."""
    m = re.search(rf"{what} (-?\d+(?:\.\d+)?)", reason)
    return float(m.group(1)) if m else None


# A cell without rows: its points are the card's (scored if a row ever lands there), its
# colour says there was nothing to fit them on.
EMPTY_CELL = "#ececec"


def heat_colour(points: float, top: float) -> str:
    """A cell's background for its points: red where the grid takes points off (riskier),
    blue where it adds, paler towards zero; light enough that the dark numbers in the cell
    stay readable. (A default rate is coloured as points taken off: red, deeper as it
    rises.)"""
    share = min(abs(points) / max(top, 1e-9), 1.0)
    rgb = (192, 0, 0) if points < 0 else (31, 78, 121)
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {0.08 + 0.5 * share:.2f})" if points else \
        "transparent"


def card_summary(out: Path) -> dict[str, Any]:
    """What the before/after view shows of one regenerate output folder."""
    metrics = json.loads((out / "metrics.json").read_text())
    artifact = json.loads((out / "scorecard.json").read_text())
    log = pd.read_csv(out / "selection_log.csv")
    card = metrics["models"]["scorecard"]
    return {
        "model_id": metrics["model_id"],
        "holdout": card["holdout"], "cv": card["cv"],
        "calibration": metrics["calibration"],
        "iv": {str(r["feature"]): float(r["iv"]) for r in log.to_dict("records")},
        "decision": {str(r["feature"]): str(r["decision"]) for r in log.to_dict("records")},
        "selected": [f["name"] for f in artifact["features"]],
        "points": {f["name"]: [(b["label"], b["points"]) for b in f["bins"]]
                   for f in artifact["features"]},
    }


def grade_migration(before: Path, after: Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Grade of every row to predict under the card in ``before`` (rows) and ``after``
    (columns): counts, on the master scale of each card."""
    from scorecard.card.artifact import load_artifact
    from scorecard.card.engine import ScoringEngine
    from scorecard.card.grades import MasterScale

    out = []
    for folder in (before, after):
        art = load_artifact(folder / "scorecard.json")
        scale = MasterScale.from_dict(art["master_scale"])
        score = ScoringEngine(art).score(rows).score
        out.append((np.asarray(scale.grades)[scale.grade_index(score)], scale.grades))
    (g0, grades), (g1, _) = out
    table = pd.crosstab(pd.Categorical(g0, categories=grades),
                        pd.Categorical(g1, categories=grades), dropna=False)
    table.index.name, table.columns.name = "before", "after"
    return table


def default_reviewer() -> str:
    return settings.REVIEWER.read() or settings.USER.read() or ""
