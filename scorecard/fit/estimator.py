"""The scorecard estimator: binning -> selection -> logistic regression -> points.

Two card methods, the same artifact (integer points per bin):

* ``"woe"`` (classic): points = ``coefficient x univariate WoE`` per bin, from a statsmodels
  logit on the WoE columns; at most 8 bins of >= 5 % of rows.
* ``"joint"``: the same selection, then every bin's logit contribution estimated jointly by a
  penalised, sign-constrained logistic regression on step / bin indicators
  (:mod:`scorecard.fit.joint`), on finer bins (up to 15, >= 0.5 % of rows and >= 30
  defaults each). The artifact's ``coefficient`` is then 1.0 (points are the contributions
  themselves, scaled); the bins' ``woe`` stays the univariate WoE of the binning table.

:class:`Scorecard` is a scikit-learn estimator (``BaseEstimator``, ``ClassifierMixin``):
parameters are stored verbatim in ``__init__`` (so ``get_params``, ``set_params`` and
``sklearn.base.clone`` work), ``fit`` learns state with trailing underscores,
``predict_proba`` gives ``(n, 2)`` probabilities through the integer card, and
``to_artifact`` exports the plain-JSON card that
:class:`scorecard.card.engine.ScoringEngine` scores from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from scorecard.card.artifact import SCHEMA_VERSION, seal
from scorecard.card.engine import ScoringEngine
from scorecard.card.grades import MasterScale
from scorecard.card.scaling import Scaling, feature_points
from scorecard.fit.binning import MAX_N_BINS, MIN_BIN_SHARE, WoEBinner
from scorecard.fit.interactions import PairBins, search_interactions
from scorecard.fit.joint import DEFAULT_PENALTY_GRID, JointBinLogit, bin_indices
from scorecard.fit.logit import coefficient_table, fit_logit
from scorecard.fit.overrides import FeatureOverride
from scorecard.fit.selection import SelectionConfig, select_features
from scorecard.fit.spec import CARD_METHODS, INTERACTION_MODES, DatasetSpec
from validation.discrimination import plain

PD_FORMULA = "pd = 1 / (1 + exp((score - offset) / factor)); score = sum of points"
# Binning constraints per method: the joint fit can support finer bins, so it gets them.
BINNING_DEFAULTS: dict[str, dict[str, Any]] = {
    "woe": {"min_bin_share": MIN_BIN_SHARE, "max_n_bins": MAX_N_BINS, "min_bin_n_event": None,
            "max_n_prebins": 20},
    # A row share of 0.5 % and a floor of 30 defaults per bin: the events, not a row share,
    # decide how fine a bin may be (a rare, risky value such as debt in collection gets its
    # own bin on a large sample). 300k generated rows: holdout AUC 0.9011 -> 0.9029 with the
    # looser joint selection (regenerate.JOINT_SELECTION) and the variance-weighted
    # penalty; HELOC neutral (10k rows, 52 % bad).
    "joint": {"min_bin_share": 0.005, "max_n_bins": 15, "min_bin_n_event": 30,
              "max_n_prebins": 50},
}


class Scorecard(ClassifierMixin, BaseEstimator):
    """A monotonic WoE logistic scorecard in integer points.

    Parameters (stored as given; defaults are resolved in ``fit``):
        spec: dataset spec (feature kinds, special codes, directions).
        overrides: the risk team's binning overrides (``None``: none).
        selection: selection thresholds (``None``: :class:`SelectionConfig` defaults).
        scaling: points scaling (``None``: :class:`Scaling` defaults).
        min_bin_share, max_n_bins, min_bin_n_event, max_n_prebins, min_prebin_size: binning
            constraints
            (see :class:`WoEBinner`; :data:`BINNING_DEFAULTS` per method).
        method: ``"woe"`` or ``"joint"`` (see the module docstring).
        penalty_grid: the joint method's L2 penalties tried by inner CV.
        random_state: seeds the joint method's inner CV.
        interactions: ``"auto"`` or ``"none"``: whether the joint method searches
            two-dimensional interaction characteristics (:mod:`scorecard.fit.interactions`);
            ``None``: the spec's ``interactions``.

    Learned state: ``scaling_``, ``selection_`` (the resolved parameters), ``binner_``,
    ``features_`` (card characteristics, by IV), ``selection_log_``, ``logit_``
    (statsmodels result), ``coefficients_`` (table), ``points_`` (feature -> int points per
    bin), ``raw_points_`` (unrounded), ``classes_`` (``[0, 1]``: 1 = default). The joint
    method adds ``joint_`` (:class:`~scorecard.fit.joint.JointBinLogit`); its
    ``coefficients_`` has one row per bin indicator plus the intercept, and
    ``interactions_`` (the chosen :class:`~scorecard.fit.interactions.PairBins`, published
    after the characteristics; every pair considered is in ``selection_log_``).
    """

    def __init__(self, spec: DatasetSpec, overrides: dict[str, FeatureOverride] | None = None,
                 selection: SelectionConfig | None = None, scaling: Scaling | None = None,
                 min_bin_share: float = MIN_BIN_SHARE, max_n_bins: int = MAX_N_BINS,
                 method: str = "woe", min_bin_n_event: int | None = None,
                 max_n_prebins: int = 20,
                 penalty_grid: tuple[float, ...] = DEFAULT_PENALTY_GRID,
                 random_state: int = 0, min_prebin_size: float | None = None,
                 interactions: str | None = None) -> None:
        self.spec = spec
        self.overrides = overrides
        self.selection = selection
        self.scaling = scaling
        self.min_bin_share = min_bin_share
        self.max_n_bins = max_n_bins
        self.method = method
        self.min_bin_n_event = min_bin_n_event
        self.max_n_prebins = max_n_prebins
        self.penalty_grid = penalty_grid
        self.random_state = random_state
        self.min_prebin_size = min_prebin_size
        self.interactions = interactions

    def fit(self, X: pd.DataFrame, y: np.ndarray, progress: Any = None) -> Scorecard:
        """Fit on ``X`` (rows x contract columns, typed as read) and 0/1 ``y``."""
        say = progress.say if progress is not None else (lambda _m: None)
        y = np.asarray(y, dtype=int)
        if self.method not in CARD_METHODS:
            raise ValueError(f"method must be one of {CARD_METHODS}, not {self.method!r}")
        self.scaling_ = self.scaling if self.scaling is not None else Scaling()
        self.selection_ = self.selection if self.selection is not None else SelectionConfig()
        self.binner_ = WoEBinner(self.spec, self.overrides or {}, self.min_bin_share,
                                 self.max_n_bins, max_n_prebins=self.max_n_prebins,
                                 min_bin_n_event=self.min_bin_n_event,
                                 min_prebin_size=self.min_prebin_size).fit(X, y)
        say(f"binned {len(self.binner_.features_)} candidate features")
        woe = self.binner_.transform(X)
        iv = {n: b.iv for n, b in self.binner_.bins_.items()}
        self.features_, self.selection_log_ = select_features(
            woe, y, iv, self.selection_, self.binner_.excluded_)
        overridden = {n for n, b in self.binner_.bins_.items() if b.overridden}
        self.selection_log_["overridden"] = self.selection_log_["feature"].isin(overridden)
        self._note_protected(X)
        say(f"selected {len(self.features_)} characteristics")
        self.logit_ = fit_logit(woe[self.features_], y)
        self.raw_points_: dict[str, np.ndarray] = {}
        self.points_: dict[str, np.ndarray] = {}
        self.classes_ = np.array([0, 1])
        self.interactions_: list[PairBins] = []
        if self.method == "joint":
            return self._fit_joint(X, y, say)
        self.coefficients_ = coefficient_table(self.logit_)
        intercept = float(self.logit_.params["const"])  # type: ignore[attr-defined]
        for name in self.features_:
            coef = float(self.logit_.params[name])  # type: ignore[attr-defined]
            woe_bins = self.binner_.bins_[name].table["woe"].to_numpy()
            raw = feature_points(coef, intercept, woe_bins, len(self.features_), self.scaling_)
            self.raw_points_[name] = raw
            self.points_[name] = np.rint(raw).astype(np.int64)
        return self

    def _note_protected(self, X: pd.DataFrame) -> None:
        """A characteristic that looks like a protected attribute (:mod:`scorecard.fit.
        protected`) enters the card with a warning in its selection-log reason, or with the
        spec's ``protected_use`` reason when its use is confirmed."""
        from scorecard.fit.protected import looks_protected

        log = self.selection_log_
        for i in np.flatnonzero((log["decision"] == "in").to_numpy()):
            name = log["feature"].iloc[i]
            confirmed = self.spec.protected_use.get(name)
            why = None if confirmed else looks_protected(
                name, X[name].dropna().unique()[:50] if name in self.spec.categorical else ())
            if confirmed:
                note = f"; looks like a protected attribute, use confirmed in the spec: {confirmed}"
            elif why:
                note = (f"; WARNING: looks like a protected attribute ({why}): name it under "
                        "the spec's `protected` to keep it out, or confirm its use under "
                        "`protected_use` with the reason")
            else:
                continue
            log.iloc[i, log.columns.get_loc("reason")] = log["reason"].iloc[i] + note

    def _fit_joint(self, X: pd.DataFrame, y: np.ndarray, say: Any) -> Scorecard:
        binned = {n: self.binner_.bins_[n] for n in self.features_}
        bins = {n: bin_indices(fb, X[n]) for n, fb in binned.items()}
        self.joint_ = JointBinLogit(self.penalty_grid, random_state=self.random_state).fit(
            binned, bins, y)
        say(f"joint fit: penalty {self.joint_.penalty_:g} chosen by inner CV")
        mode = self.interactions if self.interactions is not None else self.spec.interactions
        if mode not in INTERACTION_MODES:
            raise ValueError(f"interactions must be one of {INTERACTION_MODES}, not {mode!r}")
        if mode == "auto":
            pairs, log = search_interactions(binned, bins, X, y, self.joint_.penalty_,
                                             self.random_state, say)
            self.selection_log_ = pd.concat([self.selection_log_, log], ignore_index=True)
            if pairs:
                self.interactions_ = pairs
                say(f"interactions: {', '.join(p.name for p in pairs)}")
                # Refit with the pairs at the penalty chosen without them (no second CV).
                cv_results = self.joint_.cv_results_
                binned = {**binned, **{p.name: p.feature_bins() for p in pairs}}
                bins = {**bins, **{p.name: p.cells(X) for p in pairs}}
                self.joint_ = JointBinLogit((self.joint_.penalty_,),
                                            random_state=self.random_state).fit(
                    binned, bins, y, codings={p.name: p.coding() for p in pairs})
                self.joint_.cv_results_ = cv_results
        self.coefficients_ = self.joint_.coefficient_table(binned)
        n = len(self.features_)
        self.constant_points_ = self._constant_points()
        for name in self.features_:
            c = self.joint_.contributions_[name]
            self.raw_points_[name] = feature_points(1.0, self.joint_.intercept_, c, n,
                                                    self.scaling_)
            self.points_[name] = self.constant_points_[name] + np.rint(
                -self.scaling_.factor * c).astype(np.int64)
        for pair in self.interactions_:  # no share of the constant: a correction on top
            c = self.joint_.contributions_[pair.name]
            self.raw_points_[pair.name] = -self.scaling_.factor * c
            self.points_[pair.name] = np.rint(-self.scaling_.factor * c).astype(np.int64)
        return self

    def _constant_points(self) -> dict[str, int]:
        """The score's constant ``offset - factor * intercept``, rounded once and spread over
        the characteristics as whole points (shares differ by at most one point).

        Each characteristic's most populated bin has contribution 0, so rounding
        ``constant / n + contribution`` per bin would repeat the same rounding error in every
        characteristic (up to 0.5 x n points of bias); rounding the constant once and the
        contributions separately keeps the integer score within ``0.5 (n + 1)`` of the
        model's and unbiased."""
        n = len(self.features_)
        total = int(np.rint(self.scaling_.offset - self.scaling_.factor
                            * self.joint_.intercept_))
        q, r = divmod(total, n)
        return {name: q + (1 if j < r else 0) for j, name in enumerate(self.features_)}

    def _bins(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        return {**{n: bin_indices(self.binner_.bins_[n], X[n]) for n in self.features_},
                **{p.name: p.cells(X) for p in self.interactions_}}

    def _counts(self) -> dict[str, np.ndarray]:
        return {**{n: self.binner_.bins_[n].table["count"].to_numpy() for n in self.features_},
                **{p.name: p.table["count"].to_numpy() for p in self.interactions_}}

    def _intercept(self) -> float:
        if self.method == "joint":
            return self.joint_.intercept_
        return float(self.logit_.params["const"])  # type: ignore[attr-defined]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Shape ``(n, 2)``: probabilities of good (column 0) and default (column 1), the
        published pd of each row's integer score (as the engine scores it)."""
        p = self.engine().score(X).pd
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 at a pd threshold of 0.5 (for scikit-learn compatibility; policy uses pd)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """Unrounded score from the fitted pipeline (optbinning WoE and the logit), shape
        (n,). Used to measure the cost of rounding points."""
        check_is_fitted(self, "logit_")
        if self.method == "joint":
            logit = self.joint_.logit(self._bins(X), self._counts())
            return self.scaling_.offset - self.scaling_.factor * logit
        woe = self.binner_.transform(X, self.features_)
        intercept = float(self.logit_.params["const"])  # type: ignore[attr-defined]
        coefs = self.logit_.params[self.features_].to_numpy()  # type: ignore[attr-defined]
        logit = intercept + woe.to_numpy() @ coefs
        return self.scaling_.offset - self.scaling_.factor * logit

    def pipeline_points(self, X: pd.DataFrame) -> np.ndarray:
        """Integer points per row and characteristic, shape (n, k), found through
        optbinning's own transform (WoE -> bin) rather than the engine: the reference the
        engine is tested against. Interactions follow, their cells found by their parents'
        rules (shape (n, k + number of interactions))."""
        check_is_fitted(self, "logit_")
        woe = self.binner_.transform(X, self.features_)
        out = np.empty((len(woe), len(self.features_) + len(self.interactions_)),
                       dtype=np.int64)
        for j, pair in enumerate(self.interactions_, start=len(self.features_)):
            cells = pair.cells(X)
            table = np.append(self.points_[pair.name], self._unseen_points(pair.name))
            out[:, j] = table[np.where(cells < 0, len(table) - 1, cells)]
        for j, name in enumerate(self.features_):
            # Points are linear in WoE, so the bin with the nearest WoE has the same points
            # (bins sharing a WoE share their points; WoE 0 also covers unseen categories).
            table_woe = self.binner_.bins_[name].table["woe"].to_numpy()
            w = woe[name].to_numpy()
            nearest = np.abs(w[:, None] - table_woe[None, :]).argmin(axis=1)
            out[:, j] = self.points_[name][nearest]
        return out

    def _unseen_points(self, name: str) -> int:
        if name in {p.name for p in self.interactions_}:  # numeric parents: never unseen
            return 0
        if self.method == "joint":  # the characteristic's mean contribution: neutral
            c = self.joint_.neutral(name, self._counts()[name])
            return self.constant_points_[name] + int(np.rint(-self.scaling_.factor * c))
        intercept = float(self.logit_.params["const"])  # type: ignore[attr-defined]
        coef = float(self.logit_.params[name])  # type: ignore[attr-defined]
        return int(np.rint(feature_points(coef, intercept, np.array([0.0]),
                                          len(self.features_), self.scaling_))[0])

    def to_artifact(self, metadata: dict[str, Any], master_scale: dict[str, Any],
                    reference: pd.DataFrame | None = None,
                    reference_y: np.ndarray | None = None,
                    reference_sample: str = "development") -> dict:
        """The sealed JSON card (see :mod:`scorecard.card.artifact`).

        ``reference``: the rows the card was fitted on (named ``reference_sample``); when
        given, the card carries their score-band and grade counts (and AUC with
        ``reference_y``) under ``reference``, for monitoring.
        """
        check_is_fitted(self, "logit_")
        contract = self.spec.contract
        features = []
        coefs = self.logit_.params  # type: ignore[attr-defined]
        for name in self.features_:
            fb = self.binner_.bins_[name]
            col = contract.column(name)
            bins = []
            for i, row in fb.table.iterrows():
                b: dict[str, Any] = {
                    "index": int(i),
                    "type": row["type"],
                    "label": row["label"],
                    "count": int(row["count"]),
                    "event": int(row["event"]),
                    "event_rate": plain(row["event_rate"]),
                    "woe": float(row["woe"]),
                    "points": int(self.points_[name][i]),
                }
                if row["type"] == "regular" and fb.kind == "categorical":
                    b["categories"] = fb.groups[int(i)]
                if row["type"] == "special":
                    b["codes"] = fb.special[row["label"]]
                bins.append(b)
            pts = self.points_[name]
            features.append({
                "name": name,
                "kind": fb.kind,
                "description": col.description,
                "reason_code": self.spec.reason_code(name),
                "coefficient": 1.0 if self.method == "joint" else float(coefs[name]),
                "trend": fb.trend,
                "overridden": fb.overridden,
                "iv": fb.iv,
                "splits": fb.splits if fb.kind == "numeric" else None,
                "unseen_points": self._unseen_points(name),
                "max_points": int(pts.max()),
                "best_bin": int(np.argmax(pts)),
                "bins": bins,
            })
        features += [self._interaction_feature(p) for p in self.interactions_]
        artifact = {
            "schema_version": SCHEMA_VERSION,
            "spec": self.spec.to_dict(),
            "id_column": contract.id_column,
            "input_contract": [c.to_dict() for c in contract.columns],
            "scaling": self.scaling_.to_dict(),
            "pd_formula": PD_FORMULA,
            "intercept": self._intercept(),
            "features": features,
            "master_scale": master_scale,
            "metadata": metadata,
        }
        if reference is not None:
            artifact = {**artifact, "reference": self._reference(artifact, reference,
                                                                 reference_y, reference_sample)}
        return seal(artifact)

    def _interaction_feature(self, pair: PairBins) -> dict[str, Any]:
        """One interaction as the artifact holds it (:mod:`scorecard.card.artifact`)."""
        pts = self.points_[pair.name]
        n_y = len(pair.parents[1]["bins"])
        bins = [{"index": int(r["bin"]), "type": "cell", "row": int(r["row"]),
                 "col": int(r["col"]), "label": r["label"], "count": int(r["count"]),
                 "event": int(r["event"]), "event_rate": plain(r["event_rate"]),
                 "woe": float(r["woe"]), "points": int(pts[int(r["bin"])])}
                for _, r in pair.table.iterrows()]
        cx = self.spec.contract.column(pair.x)
        cy = self.spec.contract.column(pair.y)
        code_x, code_y = self.spec.reason_code(pair.x), self.spec.reason_code(pair.y)
        return {
            "name": pair.name,
            "kind": "interaction",
            "description": f"{cx.description or pair.x} by {cy.description or pair.y}",
            "reason_code": f"{code_x}x{code_y[len(self.spec.reason_prefix):]}",
            "coefficient": None,
            "trend": None,
            "overridden": False,
            "iv": pair.iv,
            "parents": pair.parents,
            "grid": [[int(p) for p in pts[i * n_y:(i + 1) * n_y]]
                     for i in range(len(pts) // n_y)],
            "unseen_points": self._unseen_points(pair.name),
            "max_points": int(pts.max()),
            "best_bin": int(np.argmax(pts)),
            "bins": bins,
        }

    @staticmethod
    def _reference(artifact: dict[str, Any], rows: pd.DataFrame, y: np.ndarray | None,
                   sample: str = "development") -> dict[str, Any]:
        """Score-band and grade counts of ``rows`` under the finished (unsealed) card."""
        from validation.discrimination import roc_auc
        from validation.stability import reference_edges

        scored = ScoringEngine(artifact).score(rows)
        for j, f in enumerate(artifact["features"]):  # the bins' counts are the reference
            col = scored.bins[:, j]
            engine_counts = np.bincount(col[col >= 0], minlength=len(f["bins"]))
            if engine_counts.tolist() != [b["count"] for b in f["bins"]]:
                raise ValueError(f"{f['name']}: binning-table counts differ from the engine's")
        edges = [float(e) for e in reference_edges(scored.score.astype(float), 10)]
        bands = np.bincount(np.searchsorted(edges, scored.score, side="right"),
                            minlength=len(edges) + 1)
        grades = None
        if master_scale := artifact.get("master_scale"):
            scale = MasterScale.from_dict(master_scale)
            grades = {"counts": [int(c) for c in np.bincount(
                scale.grade_index(scored.score), minlength=scale.n_grades)]}
        auc = (float(roc_auc(np.asarray(y), scored.score, higher_is_riskier=False))
               if y is not None else None)
        return {"sample": sample, "rows": len(rows),
                "score_bands": {"edges": edges, "counts": [int(c) for c in bands]},
                "grades": grades, "auc": auc}

    def engine(self, metadata: dict[str, Any] | None = None) -> ScoringEngine:
        """The numpy engine over this card's artifact (no master scale)."""
        return ScoringEngine(self.to_artifact(metadata or {}, {}))
