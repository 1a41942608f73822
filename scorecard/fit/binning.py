"""Monotonic optimal WoE binning of every candidate feature, with risk-team overrides.

:class:`WoEBinner` wraps optbinning's ``BinningProcess``: numeric features get optimal
splits under the spec's monotonic default-rate trend (declared, or detected), special codes
and missing values get bins of their own, categorical features are grouped as categories,
and every bin holds at least ``min_bin_share`` of the rows. The overrides file fixes split
points or category groups, forces a direction or lifts the constraint (``trend = "none"``),
or excludes a feature.

WoE follows optbinning's sign: ``ln(share of goods / share of bads)`` — a *higher* WoE is a
*safer* bin. Unseen categories, empty special bins and empty missing bins get WoE 0 (neutral).

**Implausible values** (outside the spec's ``plausible`` range of a numeric feature: an age
of 144, an employment of 123 years) are data errors, not the largest magnitudes, so they
must not bend the bins of real values: the distinct implausible values of the fitting rows
become one special bin of their own, labelled ``implausible (outside low..high)``
(:func:`implausible_label`), with their own WoE and points (capped by the spec's
``missing_policy`` like any special bin without the events to support it). The binning
table shows the bin and its rows; the selection log says how many rows and values went
there. An implausible value first seen when scoring falls in the nearest regular bin (the
open-ended first or last), as any value past the fitted range does. A feature with more
than :data:`MAX_IMPLAUSIBLE_VALUES` distinct implausible values keeps them as magnitudes
(the range, not the data, is then suspect) and the selection log says so.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scorecard.card.derived import rounding_labels, rounding_text
from scorecard.card.engine import NORMALISED, category_key, label_key
from scorecard.fit.overrides import FeatureOverride, binning_trend
from scorecard.fit.spec import METHOD_DEFAULTS, DatasetSpec

# optbinning imports cvxpy, which probes every solver it knows at import and logs a warning
# for one whose binary does not load (HiGHS in some wheels); optbinning never asks for it.
# A filter, not a level: cvxpy sets its logger's level when it is imported.
logging.getLogger("__cvxpy__").addFilter(
    lambda record: not record.getMessage().startswith("Encountered unexpected exception "
                                                      "importing solver"))

# The binning constraints' defaults: the classic card's (METHOD_DEFAULTS, the one table).
MIN_BIN_SHARE = METHOD_DEFAULTS["woe"].min_bin_share
MAX_N_BINS = METHOD_DEFAULTS["woe"].max_n_bins
# Distinct implausible values a special bin may list (see the module docstring).
MAX_IMPLAUSIBLE_VALUES = 100
# optbinning's solver proves a binning optimal within a second or two, but a column whose
# rate jumps about with no trend to hold it (a loan term: whole years against odd months)
# can keep it searching until its time limit (optbinning's own: 100 s per column), and a
# best-so-far answer depends on the machine's speed. So a solve stops after SOLVE_LIMIT_S,
# and a binning not proved optimal by then is solved again from two thirds of the pre-bins,
# down to MIN_FALLBACK_PREBINS, until one is: the same data give the same bins anywhere.
SOLVE_LIMIT_S = 10
MIN_FALLBACK_PREBINS = 8


def category_keys(values: pd.Series) -> np.ndarray:
    """:func:`~scorecard.card.engine.category_key` of every value, shape (n,), object.

    A column of strings (and missing values) is keyed once per distinct label; any other
    column value by value, since hashing would merge ``True``, ``1`` and ``1.0``, which
    the card spells differently."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        codes, labels = pd.factorize(values)
        return np.asarray([*labels, None], dtype=object)[codes]  # code -1 (missing) -> None
    if pd.api.types.is_bool_dtype(values.dtype):  # numpy or nullable booleans
        missing = values.isna().to_numpy()
        truth = values.fillna(False).to_numpy(dtype=bool)
        return np.asarray([None, "True", "False"], dtype=object)[
            np.where(missing, 0, np.where(truth, 1, 2))]
    return np.asarray([category_key(v) for v in values], dtype=object)


def implausible_label(low: float | None, high: float | None) -> str:
    """The label of the special bin of values outside ``low..high`` (either ``None``)."""
    if low is None:
        return f"implausible (above {high:g})"
    if high is None:
        return f"implausible (below {low:g})"
    return f"implausible (outside {low:g}..{high:g})"


@dataclass
class FeatureBins:
    """One feature's fitted bins, in plain data.

    Regular bins are ordered: numeric bin ``i`` holds ``splits[i-1] <= x < splits[i]``;
    categorical bin ``i`` holds the categories ``groups[i]``. ``special`` maps a special
    bin's label to its codes. Statistics are over the fitting rows: ``count``, ``event``
    (defaults), ``event_rate``, ``woe`` per regular bin, then special bins, then missing.
    """

    name: str
    kind: str  # "numeric" | "categorical"
    trend: str | None  # the monotonic_trend binned with (None: no constraint)
    splits: list[float] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    special: dict[str, list[float]] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    iv: float = 0.0
    overridden: bool = False
    status: str = ""

    @property
    def n_regular(self) -> int:
        return len(self.splits) + 1 if self.kind == "numeric" else len(self.groups)


def _bin_table(name: str, optb: object, kind: str,
               special: dict[str, list[float]]) -> pd.DataFrame:
    raw = optb.binning_table.build(add_totals=False)  # type: ignore[attr-defined]
    labels = [str(b) for b in raw["Bin"]]
    # optbinning always reports special rows: one per named group when codes are given as a
    # dict, else a single "Special" row. Without codes that row is always empty: drop it.
    n_special_rows = len(special) if special else 1
    n_regular = len(labels) - 1 - n_special_rows
    rows: list[dict[str, object]] = []
    for i, label in enumerate(labels):
        if i < n_regular:
            bin_type = "regular"
            if kind == "categorical":
                label = ", ".join(sorted(str(c) for c in raw["Bin"].iloc[i]))
        elif i == len(labels) - 1:
            bin_type = "missing"
        elif not special:
            continue
        else:
            bin_type = "special"
        rows.append({
            "feature": name,
            "bin": len(rows),
            "type": bin_type,
            "label": label,
            "count": int(raw["Count"].iloc[i]),
            "count_share": float(raw["Count (%)"].iloc[i]),
            "non_event": int(raw["Non-event"].iloc[i]),
            "event": int(raw["Event"].iloc[i]),
            "event_rate": float(raw["Event rate"].iloc[i]),
            "woe": float(raw["WoE"].iloc[i]),
            "iv": float(raw["IV"].iloc[i]),
        })
    return pd.DataFrame(rows)


def with_derived(X: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """``X`` with a column per derived characteristic of ``spec`` (its labels, as the
    engine makes them: :mod:`scorecard.card.derived`); ``X`` itself when it has them all or
    the spec has none."""
    todo = {n: d for n, d in spec.derived.items() if n not in X.columns and d[0] in X.columns}
    if not todo:
        return X
    return X.assign(**{n: rounding_labels(X[col], steps) for n, (col, steps) in todo.items()})


class WoEBinner:
    """Optimal monotonic WoE binning of a frame's candidate features.

    Parameters:
        spec: the dataset spec (feature kinds, special codes, known trends).
        overrides: the risk team's per-feature overrides.
        min_bin_share: minimum share of rows in a regular bin (0.05 = 5 %).
        max_n_bins: maximum number of regular bins per feature.
        max_n_prebins: pre-binning resolution (at most this many CART pre-bins).
        min_prebin_size: smallest pre-bin as a share of rows (``None``: ``min(0.05,
            min_bin_share)``). optbinning's own 0.05 would cap the pre-bins at 20 of 5 %
            whatever ``max_n_prebins`` says, so a finer bin floor could never be used.
        min_bin_n_event: minimum defaults in a regular bin (``None``: no floor); lets a
            finer binning (more, smaller bins) stay supported by the events.
        cat_cutoff: categories rarer than this share are pooled into one ``others`` group.

    Learned state: ``bins_`` (feature -> :class:`FeatureBins`), ``process_`` (the
    optbinning ``BinningProcess``), ``features_`` (binned features, in spec order),
    ``excluded_`` (feature -> reason), ``implausible_codes_`` (feature -> {label: its
    implausible values}: the special bin they form), ``implausible_`` (feature -> what was
    done with its values outside the spec's ``plausible`` range, for the selection log),
    ``resolved_`` (feature -> why it was binned from fewer pre-bins: its solve was not
    proved optimal in time, :data:`SOLVE_LIMIT_S`; for the selection log).
    """

    def __init__(self, spec: DatasetSpec, overrides: dict[str, FeatureOverride] | None = None,
                 min_bin_share: float = MIN_BIN_SHARE, max_n_bins: int = MAX_N_BINS,
                 max_n_prebins: int = METHOD_DEFAULTS["woe"].max_n_prebins,
                 cat_cutoff: float = 0.01, min_bin_n_event: int | None = None,
                 min_prebin_size: float | None = None) -> None:
        self.spec = spec
        self.overrides = overrides or {}
        self.min_bin_share = min_bin_share
        self.max_n_bins = max_n_bins
        self.max_n_prebins = max_n_prebins
        self.cat_cutoff = cat_cutoff
        self.min_bin_n_event = min_bin_n_event
        self.min_prebin_size = min_prebin_size

    def _special(self, name: str) -> dict[str, list[float]]:
        """The feature's named special codes: the spec's, then its implausible values."""
        special = {str(k): [float(c) for c in v]
                   for k, v in self.spec.special_codes.get(name, {}).items()}
        return {**special, **getattr(self, "implausible_codes_", {}).get(name, {})}

    def _find_implausible(self, X: pd.DataFrame, names: list[str]) -> None:
        """The special bin of each numeric feature's implausible values (module docstring)."""
        self.implausible_codes_: dict[str, dict[str, list[float]]] = {}
        self.implausible_: dict[str, str] = {}
        for name in names:
            if name not in self.spec.plausible or name in self.spec.categorical:
                continue
            low, high = self.spec.plausible[name]
            x = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            declared = [c for v in self.spec.special_codes.get(name, {}).values() for c in v]
            out = ~np.isnan(x) & ~np.isin(x, declared) & (
                (x < low if low is not None else False)
                | (x > high if high is not None else False))
            if not out.any():
                continue
            values = np.unique(x[out])
            label = implausible_label(low, high)
            shown = ", ".join(f"{v:g}" for v in values[:5]) + (" ..." if len(values) > 5 else "")
            if len(values) > MAX_IMPLAUSIBLE_VALUES:
                self.implausible_[name] = (
                    f"{int(out.sum())} rows outside the plausible range ({shown}), "
                    f"{len(values)} distinct values: too many for a bin of their own, kept as "
                    "magnitudes; check the spec's plausible range")
                continue
            self.implausible_codes_[name] = {label: [float(v) for v in values]}
            self.implausible_[name] = (f"{int(out.sum())} rows outside the plausible range "
                                       f"({shown}) scored in their own bin '{label}'")

    def _fit_params(self, name: str) -> tuple[dict[str, object], str | None, bool]:
        ov = self.overrides.get(name, FeatureOverride())
        params: dict[str, object] = {}
        trend = binning_trend(ov.trend, self.spec.trend(name))
        if trend is not None or not self.spec.binned_as_category(name):
            # a numeric column's None (a spec's null, an override's "none"): no monotone
            # constraint (optbinning's own default, "auto", would still pick a shape); a
            # category keeps optbinning's default, its groups ordered by their rate
            params["monotonic_trend"] = trend
        if ov.splits is not None:
            params["user_splits"] = np.asarray(ov.splits, dtype=float)
            params["user_splits_fixed"] = [True] * len(ov.splits)
        if ov.groups is not None:
            params["user_splits"] = [np.asarray(g, dtype=object) for g in ov.groups]
            params["user_splits_fixed"] = [True] * len(ov.groups)
        if special := self._special(name):
            params["special_codes"] = special
        overridden = name in self.overrides and ov.exclude is None
        return params, trend, overridden

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> WoEBinner:
        """Fit the bins on ``X`` (rows x candidate features, typed as read) and ``y`` (0/1)."""
        from optbinning import BinningProcess

        self.excluded_: dict[str, str] = dict(self.spec.exclude)
        for name, ov in self.overrides.items():
            if ov.exclude is not None:
                self.excluded_[name] = f"override: {ov.exclude}"
        self.excluded_.update({p: r for p, r in self.spec.excluded.items()
                               if p in self.spec.protected})
        names = [n for n in self.spec.candidates if n not in self.excluded_]
        X = with_derived(X, self.spec)
        self._find_implausible(X, names)
        fit_params = {n: self._fit_params(n)[0] for n in names}
        for params in fit_params.values():  # not BinningProcess arguments: per feature
            params["time_limit"] = SOLVE_LIMIT_S
            if self.min_bin_n_event is not None:
                params["min_bin_n_event"] = self.min_bin_n_event
        categorical = [n for n in names if self.spec.binned_as_category(n)]
        self.process_ = BinningProcess(
            variable_names=names,
            categorical_variables=categorical,
            max_n_prebins=self.max_n_prebins,
            min_prebin_size=(self.min_prebin_size if self.min_prebin_size is not None
                             else min(0.05, self.min_bin_share)),
            min_bin_size=self.min_bin_share,
            max_n_bins=self.max_n_bins,
            binning_fit_params=fit_params,
            n_jobs=1,
        )
        self.spellings_ = self._spellings(X[categorical])
        Xb = self.prepare(X[names])
        yy = np.asarray(y, dtype=int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.process_.fit(Xb, yy)
            self.resolved_: dict[str, str] = {}
            for name in names:
                self._prove_optimal(name, Xb[name].to_numpy(), yy)
        self.bins_: dict[str, FeatureBins] = {}
        for name in names:
            optb = self.process_.get_binned_variable(name)
            _, trend, overridden = self._fit_params(name)
            kind = "categorical" if name in categorical else "numeric"
            special = self._special(name)
            fb = FeatureBins(name=name, kind=kind, trend=trend, special=special,
                             overridden=overridden, status=str(optb.status))
            if kind == "numeric":
                fb.splits = [float(s) for s in optb.splits]
            else:
                fb.groups = [sorted(str(c) for c in g) for g in optb.splits]
            fb.table = _bin_table(name, optb, kind, special)
            if name in self.spec.derived:  # its labels read as words (reasons quote them)
                regular = (fb.table["type"] == "regular").to_numpy()
                fb.table.loc[regular, "label"] = [rounding_text(g) for g in fb.groups]
            fb.iv = float(fb.table["iv"].sum())
            self.bins_[name] = fb
        self.features_ = names
        return self

    def _prove_optimal(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        """Bin ``name`` again from fewer pre-bins while the solver has not proved its bins
        optimal within :data:`SOLVE_LIMIT_S` (module constants), and say so in
        ``resolved_``."""
        from sklearn.base import clone

        optb = self.process_.get_binned_variable(name)
        if optb.user_splits is not None:  # the reviewer's bins: kept as they are
            return
        prebins = self.max_n_prebins
        # FEASIBLE: a best-so-far answer at the time limit (UNKNOWN: none found by then);
        # INFEASIBLE is proved, and fewer pre-bins cannot change it
        while optb.status in ("FEASIBLE", "UNKNOWN") and prebins > MIN_FALLBACK_PREBINS:
            prebins = max(MIN_FALLBACK_PREBINS, prebins * 2 // 3)
            optb = clone(optb).set_params(max_n_prebins=prebins).fit(x, y)
        if prebins == self.max_n_prebins:
            return
        self.process_.update_binned_variable(name, optb)
        self.resolved_[name] = (
            f"optbinning did not prove its bins optimal within {SOLVE_LIMIT_S} s from "
            f"{self.max_n_prebins} pre-bins: binned from {prebins}"
            + ("" if optb.status == "OPTIMAL" else f", still {str(optb.status).lower()}"))

    def _spellings(self, X: pd.DataFrame) -> dict[str, dict[str, str]]:
        """With the spec's ``category_match`` ``"normalised"``: per categorical column, each
        label's :func:`~scorecard.card.engine.label_key` -> the one spelling the card keeps
        (the most frequent, then the first in sort order), so labels that differ only in
        case or surrounding spaces are one category, as the engine will match them."""
        if self.spec.category_match != NORMALISED:
            return {}
        out: dict[str, dict[str, str]] = {}
        for name in X.columns:
            counts = pd.Series(category_keys(X[name])).value_counts()
            keep: dict[str, str] = {}
            for label in sorted(counts.index, key=lambda c: (-counts[c], c)):
                keep.setdefault(label_key(label), label)
            out[name] = keep
        return out

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """Categorical and boolean columns as plain object strings ("True"/"False" for
        booleans, None for missing): the scoring engine's own
        :func:`~scorecard.card.engine.category_key`, so both see the same categories; with
        ``category_match`` ``"normalised"``, in the spelling the card keeps."""
        out = X.copy()
        spellings = getattr(self, "spellings_", {})
        for name in out.columns:
            if self.spec.binned_as_category(name):
                keys = category_keys(out[name])
                if name in spellings:
                    keep = spellings[name]
                    codes, labels = pd.factorize(keys)  # keys are str or None: safe to hash
                    spelt = np.asarray([keep.get(label_key(k), k) for k in labels] + [None],
                                       dtype=object)
                    keys = spelt[codes]  # code -1 (missing) -> None
                out[name] = keys
        return out

    def transform(self, X: pd.DataFrame, features: list[str] | None = None) -> pd.DataFrame:
        """WoE of each row and feature, shape (n_rows, n_features); specials and missing
        get their bins' empirical WoE."""
        features = features or self.features_
        Xb = self.prepare(with_derived(X, self.spec)[features])
        out = {}
        for name in features:
            optb = self.process_.get_binned_variable(name)
            out[name] = optb.transform(Xb[name].to_numpy(), metric="woe",
                                       metric_special="empirical",
                                       metric_missing="empirical")
        return pd.DataFrame(out, index=X.index)
