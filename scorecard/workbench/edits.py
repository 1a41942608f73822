"""Binning edits: one characteristic's binning recomputed from pre-aggregated counts.

A :class:`FeatureData` holds, for the development rows, the defaults and non-defaults per
distinct value (numeric: sorted values; categorical: categories), per special-code group and
for missing values, built once. :func:`binning_table` then turns a :class:`Binning` (split
points or category groups) into the table ``regenerate`` writes (``reports/binning/*.csv``
columns) with ``np.bincount`` over the distinct values, never over the rows: an edit costs
microseconds to a few milliseconds whatever the number of rows.

The formulas are optbinning's own (``BinningTable.build``): a bin with no default or no
non-default has event rate and WoE 0; WoE = ``ln(1 / rate - 1) + ln(total bads / total
goods)``; IV per bin is Jeffrey's divergence. Numeric bin ``i`` holds
``splits[i-1] <= x < splits[i]``; categorical groups are ordered by event rate, as
optbinning orders user groups. The preview is therefore exactly the table the fit writes
for the same overrides (``tests/workbench/test_preview_is_the_truth.py``).

:func:`flags` names what the fitter would not honour as given: a bin below the minimum
share, an empty or pure bin (optbinning refuses fixed splits that make one), more bins than
allowed, and a trend the bins break (with every split fixed the optimiser would drop
splits). The workbench shows them and refuses to save them; it never repairs them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scorecard.fit.overrides import binning_trend


@dataclass(frozen=True)
class Binning:
    """One characteristic's binning as the reviewer sees it (also the override it becomes).

    ``splits``: numeric split points; ``groups``: categorical groups; ``trend``: the
    override's trend (``None``: the spec's; ``"none"``: no monotone constraint, see
    :class:`~scorecard.fit.overrides.FeatureOverride`); ``exclude``: a reason to leave it
    out.
    """

    splits: tuple[float, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    trend: str | None = None
    exclude: str | None = None


@dataclass
class FeatureData:
    """Pre-aggregated development counts of one feature."""

    name: str
    kind: str  # numeric | categorical
    values: np.ndarray  # numeric: sorted distinct clean values; categorical: categories
    event: np.ndarray  # defaults per value
    nonevent: np.ndarray
    special_labels: list[str]
    special_event: np.ndarray
    special_nonevent: np.ndarray
    missing_event: int
    missing_nonevent: int
    spec_trend: str | None
    # Defaults and non-defaults per value in the training rows of each CV fold (n_folds,
    # n_values): the card is refitted per fold, and optbinning refuses a fixed split that
    # leaves a bin without defaults or goods in any of those fits.
    fold_event: np.ndarray | None = None
    fold_nonevent: np.ndarray | None = None
    fold_names: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.event.sum() + self.nonevent.sum() + self.special_event.sum()
                   + self.special_nonevent.sum() + self.missing_event + self.missing_nonevent)

    @classmethod
    def build(cls, name: str, kind: str, column: pd.Series | np.ndarray, y: np.ndarray,
              special: dict[str, list[float]], spec_trend: str | None,
              folds: dict[str, np.ndarray] | None = None) -> FeatureData:
        """Aggregate ``column`` (typed as the binner's ``prepare`` gives it) against 0/1 ``y``;
        ``folds``: CV fold name -> boolean mask of its training rows among these rows."""
        fd = cls._build(name, kind, column, y, special, spec_trend)
        if folds:
            fd.fold_names = tuple(folds)
            fe, fn = [], []
            for mask in folds.values():
                sub = cls._build(name, kind, np.asarray(column, dtype=object)[mask]
                                 if kind == "categorical" else np.asarray(column)[mask],
                                 np.asarray(y)[mask], special, spec_trend)
                pos = np.searchsorted(fd.values, sub.values) if kind == "numeric" else \
                    np.searchsorted(fd.values.astype(str), sub.values.astype(str))
                e, n = np.zeros(len(fd.values), np.int64), np.zeros(len(fd.values), np.int64)
                e[pos], n[pos] = sub.event, sub.nonevent
                fe.append(e)
                fn.append(n)
            fd.fold_event, fd.fold_nonevent = np.vstack(fe), np.vstack(fn)
        return fd

    @classmethod
    def _build(cls, name: str, kind: str, column: pd.Series | np.ndarray, y: np.ndarray,
               special: dict[str, list[float]], spec_trend: str | None) -> FeatureData:
        y = np.asarray(y, dtype=np.int64)
        if kind == "categorical":
            raw = np.asarray(column, dtype=object)
            missing = np.array([v is None for v in raw], dtype=bool)
            clean = raw[~missing].astype(str)
            values, inverse = np.unique(clean, return_inverse=True)
            yc = y[~missing]
            event = np.bincount(inverse, weights=yc, minlength=len(values)).astype(np.int64)
            total = np.bincount(inverse, minlength=len(values)).astype(np.int64)
            return cls(name, kind, values.astype(object), event, total - event, [],
                       np.zeros(0, np.int64), np.zeros(0, np.int64),
                       int(y[missing].sum()), int((1 - y[missing]).sum()), spec_trend)
        x = pd.to_numeric(pd.Series(np.asarray(column)), errors="coerce").to_numpy(float)
        missing = np.isnan(x)
        labels = list(special)
        s_event = np.zeros(len(labels), np.int64)
        s_non = np.zeros(len(labels), np.int64)
        is_special = np.zeros(len(x), dtype=bool)
        for j, label in enumerate(labels):
            m = np.isin(x, np.asarray(special[label], dtype=float)) & ~missing
            s_event[j], s_non[j] = int(y[m].sum()), int((1 - y[m]).sum())
            is_special |= m
        clean = ~missing & ~is_special
        values, inverse = np.unique(x[clean], return_inverse=True)
        yc = y[clean]
        event = np.bincount(inverse, weights=yc, minlength=len(values)).astype(np.int64)
        total = np.bincount(inverse, minlength=len(values)).astype(np.int64)
        return cls(name, kind, values, event, total - event, labels, s_event, s_non,
                   int(y[missing].sum()), int((1 - y[missing]).sum()), spec_trend)

    # -- bin membership of the distinct values

    def regular_index(self, b: Binning) -> np.ndarray:
        """Regular bin of each distinct value (-1: a category in no group)."""
        if self.kind == "numeric":
            return np.searchsorted(np.asarray(b.splits, dtype=float), self.values, side="right")
        where = {c: i for i, g in enumerate(b.groups) for c in g}
        return np.asarray([where.get(str(v), -1) for v in self.values], dtype=np.int64)

    def ordered_groups(self, b: Binning) -> tuple[tuple[str, ...], ...]:
        """The groups in optbinning's order (by event rate, its own sort)."""
        if not b.groups:
            return ()
        idx = self.regular_index(b)
        ok = idx >= 0
        ev = np.bincount(idx[ok], weights=self.event[ok], minlength=len(b.groups))
        n = ev + np.bincount(idx[ok], weights=self.nonevent[ok], minlength=len(b.groups))
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = ev / n
        order = np.argsort(rate)
        return tuple(tuple(sorted(b.groups[i])) for i in order)

    def fold_counts(self, b: Binning, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        """Defaults and goods per CV fold (rows) and regular bin (columns)."""
        if self.fold_event is None or self.fold_nonevent is None:  # not an assert: -O
            raise RuntimeError("fold counts were not collected for this characteristic")
        if self.kind == "numeric":  # sorted values: bin sums are differences of cumsums
            if not hasattr(self, "_fold_cum"):
                pad = np.zeros((len(self.fold_names), 1), np.int64)
                self._fold_cum = (np.hstack([pad, np.cumsum(self.fold_event, axis=1)]),
                                  np.hstack([pad, np.cumsum(self.fold_nonevent, axis=1)]))
            edges = np.concatenate([[0], np.searchsorted(self.values, np.asarray(
                b.splits, float), side="left"), [len(self.values)]])
            ce, cn = self._fold_cum
            return np.diff(ce[:, edges], axis=1), np.diff(cn[:, edges], axis=1)
        idx = self.regular_index(b)
        ok = idx >= 0
        fe = np.vstack([np.bincount(idx[ok], weights=r[ok], minlength=n_bins)
                        for r in self.fold_event])
        fn = np.vstack([np.bincount(idx[ok], weights=r[ok], minlength=n_bins)
                        for r in self.fold_nonevent])
        return fe, fn

    def regular_counts(self, b: Binning) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "numeric":  # sorted values: bin sums are differences of cumsums
            if not hasattr(self, "_cum"):
                self._cum = (np.concatenate([[0], np.cumsum(self.event)]),
                             np.concatenate([[0], np.cumsum(self.nonevent)]))
            edges = np.concatenate([[0], np.searchsorted(self.values, np.asarray(
                b.splits, float), side="left"), [len(self.values)]])
            return np.diff(self._cum[0][edges]), np.diff(self._cum[1][edges])
        n_bins = len(b.groups)
        idx = self.regular_index(b)
        ok = idx >= 0
        ev = np.bincount(idx[ok], weights=self.event[ok], minlength=n_bins)
        ne = np.bincount(idx[ok], weights=self.nonevent[ok], minlength=n_bins)
        return ev.astype(np.int64), ne.astype(np.int64)


def _labels(fd: FeatureData, b: Binning) -> list[str]:
    if fd.kind == "numeric":
        from optbinning.binning.binning_statistics import bin_str_format

        edges = np.concatenate([[-np.inf], np.asarray(b.splits, float), [np.inf]])
        return [str(s) for s in bin_str_format(edges, 2)]
    return [", ".join(sorted(g)) for g in b.groups]


def normalise(fd: FeatureData, b: Binning) -> Binning:
    """Splits sorted and unique; groups in optbinning's order."""
    if fd.kind == "numeric":
        return replace(b, splits=tuple(sorted({float(s) for s in b.splits})))
    return replace(b, groups=fd.ordered_groups(b))


def binning_table(fd: FeatureData, b: Binning) -> pd.DataFrame:
    """The binning table of ``b`` on the development rows, in ``_bin_table``'s columns."""
    b = normalise(fd, b)
    ev, ne = fd.regular_counts(b)
    labels = _labels(fd, b)
    types = ["regular"] * len(labels)
    if fd.special_labels:
        ev = np.concatenate([ev, fd.special_event])
        ne = np.concatenate([ne, fd.special_nonevent])
        labels += fd.special_labels
        types += ["special"] * len(fd.special_labels)
    ev = np.concatenate([ev, [fd.missing_event]]).astype(np.int64)
    ne = np.concatenate([ne, [fd.missing_nonevent]]).astype(np.int64)
    labels.append("Missing")
    types.append("missing")
    n = ev + ne
    t_ev, t_ne = ev.sum(), ne.sum()
    mask = (ev > 0) & (ne > 0)
    rate = np.zeros(len(n))
    woe = np.zeros(len(n))
    iv = np.zeros(len(n))
    rate[mask] = ev[mask] / n[mask]
    woe[mask] = np.log(1 / rate[mask] - 1) + np.log(t_ev / t_ne)
    p_ev, p_ne = ev[mask] / t_ev, ne[mask] / t_ne
    from scipy.special import xlogy

    iv[mask] = xlogy(p_ev - p_ne, p_ev / p_ne)
    return pd.DataFrame({
        "feature": fd.name, "bin": np.arange(len(n)), "type": types, "label": labels,
        "count": n, "count_share": n / (t_ev + t_ne), "non_event": ne, "event": ev,
        "event_rate": rate, "woe": woe, "iv": iv,
    })


def wilson(event: np.ndarray, n: np.ndarray, z: float = 1.959963984540054
           ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score 95 % interval of a rate (NaN for an empty bin)."""
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(event, float) / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def effective_trend(fd: FeatureData, b: Binning) -> str | None:
    """The trend the fit bins ``b`` with (``None``: no monotone constraint)."""
    return binning_trend(b.trend, fd.spec_trend)


def _shape(rate: np.ndarray, trend: str) -> bool:
    d = np.diff(rate)
    if trend == "ascending":
        return bool((d >= 0).all())
    if trend == "descending":
        return bool((d <= 0).all())
    if trend in ("peak", "valley"):
        s = d if trend == "peak" else -d
        turn = int(np.argmax(s < 0)) if (s < 0).any() else len(s)
        return bool((s[:turn] >= 0).all() and (s[turn:] <= 0).all())
    return True


def trend_kept(fd: FeatureData, b: Binning) -> tuple[bool, str | None]:
    """Whether the regular bins' event rates follow the trend the fit would impose, and
    that trend (optbinning decides an ``auto*`` trend from the same bins)."""
    trend = effective_trend(fd, b)
    if fd.kind == "categorical" or trend is None:
        return True, None  # groups are ordered by event rate; None: no trend to keep
    ev, ne = fd.regular_counts(normalise(fd, b))
    if len(ev) < 2 or ((ev + ne) == 0).any():
        return True, trend  # an empty bin has no rate (flagged as empty by :func:`flags`)
    mode = trend
    if mode.startswith("auto"):
        from optbinning.binning.auto_monotonic import auto_monotonic

        mode = str(auto_monotonic(ne, ev, mode))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = ev / (ev + ne)
    return _shape(rate, mode), mode


def flags(fd: FeatureData, b: Binning, min_share: float, max_bins: int,
          min_events: int | None = None) -> list[str]:
    """What the fitter would not honour as given (empty: the override stands exactly).

    ``min_events``: the fewest defaults a bin must hold (the card method's
    ``min_bin_n_event``), on all development rows and in every CV fold's training rows."""
    if b.exclude is not None:
        return []
    b = normalise(fd, b)
    ev, ne = fd.regular_counts(b)
    n = ev + ne
    out = []
    floor = math.ceil(min_share * fd.n_rows)
    labels = _labels(fd, b)
    for i, label in enumerate(labels):
        if n[i] == 0:
            out.append(f"bin {i} {label} is empty")
        elif ev[i] == 0 or ne[i] == 0:
            out.append(f"bin {i} {label} is pure (no {'defaults' if ev[i] == 0 else 'goods'})")
        if n[i] < floor:
            out.append(f"bin {i} {label} holds {n[i]} rows, below the minimum share "
                       f"{min_share:.0%} ({floor} rows)")
        if min_events and 0 < ev[i] < min_events:
            out.append(f"bin {i} {label} holds {ev[i]} defaults, below the {min_events} a "
                       "bin needs")
    if fd.fold_event is not None and fd.fold_nonevent is not None:
        fev_all, fne_all = fd.fold_counts(b, len(labels))
        pure: dict[int, list[str]] = {}
        for k, fold in enumerate(fd.fold_names):
            fev, fne = fev_all[k], fne_all[k]
            thin = (fev < min_events) if min_events else np.zeros(len(fev), dtype=bool)
            for i in np.flatnonzero((fev == 0) | (fne == 0) | thin).tolist():
                if ev[i] > 0 and ne[i] > 0 and (not min_events or ev[i] >= min_events):
                    pure.setdefault(int(i), []).append(fold)  # all rows: flagged above
        for i, folds in pure.items():
            out.append(f"bin {i} {labels[i]} is pure or below the minimum defaults in the "
                       f"training rows of {', '.join(folds)}: the card's refit there would "
                       "refuse the split")
    if len(labels) < 2:  # optbinning fails on fixed splits that leave no split at all
        out.append("a single bin carries no information: exclude the characteristic instead")
    if len(labels) > max_bins:
        out.append(f"{len(labels)} bins, more than the maximum {max_bins}")
    kept, trend = trend_kept(fd, b)
    if not kept:
        out.append(f"the event rate does not follow the trend {trend}")
    return out


def split_suggestions(fd: FeatureData, b: Binning, i: int, min_share: float,
                      max_bins: int, top: int = 3, max_checks: int = 25,
                      min_events: int | None = None) -> list[float]:
    """Split points inside numeric bin ``i`` that maximise the feature's IV, best first,
    among the bin's distinct values whose split raises no flag (both halves at least
    ``min_share``, the trend kept, at most ``max_bins`` bins)."""
    if fd.kind != "numeric":
        return []
    b = normalise(fd, b)
    idx = fd.regular_index(b)
    inside = np.flatnonzero(idx == i)
    if len(inside) < 2:
        return []
    total_ev = fd.event.sum() + fd.special_event.sum() + fd.missing_event
    total_ne = fd.nonevent.sum() + fd.special_nonevent.sum() + fd.missing_nonevent
    ev, ne = fd.event[inside], fd.nonevent[inside]
    lev, lne = np.cumsum(ev)[:-1], np.cumsum(ne)[:-1]  # left of candidate values[inside][1:]
    rev, rne = ev.sum() - lev, ne.sum() - lne
    floor = min_share * fd.n_rows

    def part(e: np.ndarray, g: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            pe, pg = e / total_ev, g / total_ne
            v = (pg - pe) * np.log(pg / pe)
        return np.where((e > 0) & (g > 0), v, 0.0)

    gain = part(lev, lne) + part(rev, rne)
    least = max(min_events or 1, 1)
    ok = ((lev + lne) >= floor) & ((rev + rne) >= floor) & (lev >= least) & (lne > 0) \
        & (rev >= least) & (rne > 0)
    cand = fd.values[inside][1:]
    out: list[float] = []
    # Best IV first, keeping only points the fit would honour (trend, shares): at most
    # ``max_checks`` full checks, each a few hundred microseconds.
    for j in [j for j in np.argsort(-gain, kind="stable") if ok[j]][:max_checks]:
        trial = replace(b, splits=tuple(sorted((*b.splits, float(cand[j])))))
        if not flags(fd, trial, min_share, max_bins, min_events):
            out.append(float(cand[j]))
            if len(out) == top:
                break
    return out


def csi_table(dev: pd.DataFrame, target_counts: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Per-bin shares on the development rows and the rows to predict, and the CSI."""
    expected = dev["count_share"].to_numpy(float)
    total = target_counts.sum()
    actual = target_counts / total if total else np.zeros(len(target_counts))
    e, a = np.maximum(expected, 1e-4), np.maximum(actual, 1e-4)
    contrib = (a - e) * np.log(a / e)
    table = pd.DataFrame({"label": dev["label"], "type": dev["type"], "dev_share": expected,
                          "predict_count": target_counts, "predict_share": actual,
                          "csi": contrib})
    return table, float(contrib.sum())


def assign_bins(fd: FeatureData, b: Binning, column: np.ndarray,
                special: dict[str, list[float]]) -> np.ndarray:
    """The bin (table row) of every row of ``column`` (prepared like the binner's)."""
    b = normalise(fd, b)
    n_regular = len(b.splits) + 1 if fd.kind == "numeric" else len(b.groups)
    n_special = len(fd.special_labels)
    out = np.full(len(column), n_regular + n_special, dtype=np.int64)  # missing
    if fd.kind == "categorical":
        where = {c: i for i, g in enumerate(b.groups) for c in g}
        for r, v in enumerate(column):
            if v is not None:
                out[r] = where.get(str(v), n_regular + n_special)
        return out
    x = pd.to_numeric(pd.Series(np.asarray(column)), errors="coerce").to_numpy(float)
    missing = np.isnan(x)
    special_mask = np.zeros(len(x), dtype=bool)
    for j, label in enumerate(fd.special_labels):
        m = np.isin(x, np.asarray(special[label], float)) & ~missing
        out[m] = n_regular + j
        special_mask |= m
    clean = ~missing & ~special_mask
    out[clean] = np.searchsorted(np.asarray(b.splits, float), x[clean], side="right")
    return out
