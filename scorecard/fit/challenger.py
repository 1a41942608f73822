"""A gradient-boosted challenger benchmarked against the scorecard on the same splits.

:class:`GradientBoostedChallenger` wraps :class:`sklearn.ensemble.HistGradientBoostingClassifier`
with native missing values and native categorical splits, and tunes a small grid by stratified
cross-validation *inside the training data it is given* (ROC AUC), so the holdout stays
untouched. The monotone variant applies the same per-feature direction constraints as the
scorecard, which shows how much of the challenger's lift survives monotonicity.

Target convention: ``y`` is 0/1 with 1 = default, so ``predict_pd`` is the probability of
class 1 and a ``+1`` constraint means "pd increases with the feature".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import ParameterGrid, StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from validation.discrimination import roc_auc

# A bounded search over the knobs that matter most for boosted trees on tabular credit data:
# tree size, leaf size, L2 on the leaf values, and the step; early stopping on an inner
# validation split sets the number of trees. Searched in two stages (see ``staged``): the
# 8 tree settings at the first learning rate, then the other rates for the best of them.
DEFAULT_PARAM_GRID: dict[str, list[Any]] = {
    "learning_rate": [0.1, 0.03],
    "max_leaf_nodes": [15, 31],
    "min_samples_leaf": [20, 100],
    "l2_regularization": [0.0, 1.0],
}


class GradientBoostedChallenger(ClassifierMixin, BaseEstimator):
    """Tuned histogram gradient boosting, optionally monotone.

    Args:
        monotone: apply ``monotonic_cst``; it must then be given.
        monotonic_cst: feature name -> ``+1`` (pd increases with the feature), ``-1`` (pd
            decreases) or ``0`` (free). Only numeric features can be constrained.
        param_grid: dict of HistGradientBoostingClassifier parameters -> candidate lists
            (default :data:`DEFAULT_PARAM_GRID`). Tried in
            :class:`~sklearn.model_selection.ParameterGrid` order; ties go to the first.
        staged: search ``learning_rate`` last: first every other combination at the first
            listed rate, then each further rate with the best of those (9 fits per fold
            instead of 16 for the default grid; a smaller step rarely changes which tree
            shape wins). ``False``: the full grid.
        n_splits: stratified CV folds used for tuning.
        random_state: seeds the CV shuffle and the boosting's early-stopping split.
        max_iter: upper bound on boosting iterations (early stopping usually stops sooner).
        validation_fraction, n_iter_no_change: early stopping on the log loss of an internal
            stratified validation fraction of each training set.
        n_threads: OpenMP threads per boosting fit and prediction (``None`` = all cores).
            Default 1: each boosting iteration is only milliseconds of work, so the OpenMP
            barriers dominate as soon as the cores are shared with anything else (on a busy
            2-core box an 8-point grid took 29 s on 1 thread and 506 s on 2). Results do
            not depend on the thread count.

    Attributes:
        best_params_: the chosen grid point.
        cv_results_: ``params``, ``mean_test_auc``, ``std_test_auc``, ``split{k}_test_auc``,
            ``mean_n_iter``, ``rank_test_auc`` (lists in grid order; plain Python values).
        model_: the HistGradientBoostingClassifier refitted on all the training data.
        categories_: categories of each categorical column seen in ``fit``; values outside
            them are treated as missing at prediction.
        feature_names_in_, n_features_in_, classes_: as in scikit-learn.
    """

    def __init__(
        self,
        monotone: bool = False,
        monotonic_cst: Mapping[str, int] | None = None,
        param_grid: Mapping[str, Sequence[Any]] | None = None,
        n_splits: int = 3,
        random_state: int = 0,
        max_iter: int = 1000,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 20,
        n_threads: int | None = 1,
        staged: bool = True,
    ) -> None:
        self.monotone = monotone
        self.monotonic_cst = monotonic_cst
        self.param_grid = param_grid
        self.n_splits = n_splits
        self.random_state = random_state
        self.max_iter = max_iter
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_threads = n_threads
        self.staged = staged

    # -- data preparation -------------------------------------------------------------------

    @staticmethod
    def _as_frame(X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError("X must be 2-D")
        return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])

    def _learn_categories(self, X: pd.DataFrame) -> dict[str, list[Any]]:
        cats: dict[str, list[Any]] = {}
        for col in X.columns:
            s = X[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                cats[col] = list(s.cat.categories)
            elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
                cats[col] = sorted(s.dropna().unique().tolist(), key=str)
        return cats

    def _prepare(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        """Cast to the dtypes seen in ``fit``: categoricals with the fit categories, bools to
        0/1 floats (missing stays missing), everything else to float."""
        X = self._as_frame(X)
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"X is missing columns: {missing}")
        out = {}
        for col in self.feature_names_in_:
            s = X[col]
            if col in self.categories_:
                out[col] = pd.Categorical(s.astype(object), categories=self.categories_[col])
            else:
                if pd.api.types.is_bool_dtype(s):
                    s = s.astype("Float64")
                # to_numpy with na_value: nullable Int64 / Float64 / boolean NA -> NaN
                out[col] = pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.DataFrame(out, index=X.index)

    def _constraints(self, columns: Sequence[str]) -> dict[str, int] | None:
        if not self.monotone:
            return None
        if not self.monotonic_cst:
            raise ValueError("monotone=True needs monotonic_cst (feature -> +1 / -1 / 0)")
        bad = sorted(str(k) for k, v in self.monotonic_cst.items() if v not in (-1, 0, 1))
        if bad:
            raise ValueError(f"monotonic_cst values must be -1, 0 or +1: {bad}")
        cst = {str(k): int(v) for k, v in self.monotonic_cst.items()}
        unknown = sorted(set(cst) - set(columns))
        if unknown:
            raise ValueError(f"monotonic_cst names unknown features: {unknown}")
        categorical = sorted(k for k, v in cst.items() if v != 0 and k in self.categories_)
        if categorical:
            raise ValueError(f"categorical features cannot be monotone: {categorical}")
        return {k: v for k, v in cst.items() if v != 0}

    def _booster(
        self, params: Mapping[str, Any], cst: dict[str, int] | None
    ) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            loss="log_loss",
            max_iter=self.max_iter,
            early_stopping=True,
            scoring="loss",
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            categorical_features="from_dtype",
            monotonic_cst=cst,
            random_state=self.random_state,
            **params,
        )

    # -- estimator API ----------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> GradientBoostedChallenger:
        """Tune on stratified CV folds of ``(X, y)`` and refit the best grid point on all of it.

        Args:
            X: shape ``(n, k)`` frame; numeric columns may hold NaN, categorical columns are
                pandas categoricals or strings, bool columns become 0/1.
            y: shape ``(n,)``, 0/1 with 1 = default.
        """
        return self._fit(X, y, tune=True)

    def refit_with_best(self, X: pd.DataFrame, y: np.ndarray) -> GradientBoostedChallenger:
        """A new challenger with this one's tuned parameters, fitted on ``(X, y)`` untuned.

        For cross-validating the *chosen* configuration on other folds without repeating the
        grid search. ``cv_results_`` of the result is empty and ``best_score_`` is ``None``.
        """
        check_is_fitted(self, "best_params_")
        fixed = {k: [v] for k, v in self.best_params_.items()}
        return clone(self).set_params(param_grid=fixed)._fit(X, y, tune=False)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, tune: bool) -> GradientBoostedChallenger:
        X = self._as_frame(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != len(X):
            raise ValueError("y must be 1-D with one label per row of X")
        if not np.isin(y, (0, 1)).all() or np.unique(y).size != 2:
            raise ValueError("y must contain both 0 (good) and 1 (default), nothing else")
        y = y.astype(np.int64)
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        X = X.set_axis(list(self.feature_names_in_), axis=1)  # a new frame: caller's X untouched
        self.n_features_in_ = len(self.feature_names_in_)
        self.categories_ = self._learn_categories(X)
        Xp = self._prepare(X)
        cst = self._constraints(list(Xp.columns))

        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            self._tune_and_refit(Xp, y, cst, tune)
        self.classes_ = np.array([0, 1])
        return self

    def _tune_and_refit(
        self, Xp: pd.DataFrame, y: np.ndarray, cst: dict[str, int] | None, tune: bool
    ) -> None:
        grid = list(ParameterGrid(dict(self.param_grid or DEFAULT_PARAM_GRID)))
        if not tune:
            if len(grid) != 1:
                raise ValueError("an untuned fit needs a single-point param_grid")
            self.cv_results_ = {}
            self.best_params_ = dict(grid[0])
            self.best_score_: float | None = None
            self.model_ = self._booster(self.best_params_, cst).fit(Xp, y)
            return
        cv = StratifiedKFold(n_splits=self.n_splits, shuffle=True, random_state=self.random_state)
        folds = list(cv.split(np.zeros(len(y)), y))

        def evaluate(points: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
            sc = np.empty((len(points), len(folds)))
            it = np.empty((len(points), len(folds)))
            for i, params in enumerate(points):
                for j, (tr, te) in enumerate(folds):
                    m = self._booster(params, cst).fit(Xp.iloc[tr], y[tr])
                    sc[i, j] = roc_auc(y[te], m.predict_proba(Xp.iloc[te])[:, 1])
                    it[i, j] = m.n_iter_
            return sc, it

        full = dict(self.param_grid or DEFAULT_PARAM_GRID)
        rates = list(full.get("learning_rate", []))
        if self.staged and len(rates) > 1:
            grid = [dict(p) for p in ParameterGrid({**full, "learning_rate": rates[:1]})]
            scores, n_iter = evaluate(grid)
            first = grid[int(np.argmax(scores.mean(axis=1)))]
            more = [{**first, "learning_rate": r} for r in rates[1:]]
            s2, i2 = evaluate(more)
            grid, scores, n_iter = grid + more, np.vstack([scores, s2]), np.vstack([n_iter, i2])
        else:
            scores, n_iter = evaluate(grid)
        mean = scores.mean(axis=1)
        best = int(np.argmax(mean))  # first maximum: ties go to the earlier grid point
        order = np.argsort(-mean, kind="mergesort")
        rank = np.empty(len(grid), dtype=np.int64)
        rank[order] = np.arange(1, len(grid) + 1)
        self.cv_results_: dict[str, list[Any]] = {
            "params": [dict(p) for p in grid],
            "mean_test_auc": mean.tolist(),
            "std_test_auc": scores.std(axis=1).tolist(),
            **{f"split{j}_test_auc": scores[:, j].tolist() for j in range(len(folds))},
            "mean_n_iter": n_iter.mean(axis=1).tolist(),
            "rank_test_auc": rank.tolist(),
        }
        self.best_params_ = dict(grid[best])
        self.best_score_ = float(mean[best])
        self.model_ = self._booster(self.best_params_, cst).fit(Xp, y)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Shape ``(n, 2)``: probabilities of good (column 0) and default (column 1)."""
        check_is_fitted(self, "model_")
        Xp = self._prepare(X)
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return self.model_.predict_proba(Xp)

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Shape ``(n,)``: probability of default of each row."""
        return self.predict_proba(X)[:, 1]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 at a pd threshold of 0.5 (for scikit-learn compatibility; policy uses pd)."""
        return (self.predict_pd(X) >= 0.5).astype(np.int64)

    def summary(self) -> dict[str, Any]:
        """Tuning outcome as plain JSON: best params, CV AUC, trees used, constraints."""
        check_is_fitted(self, "model_")
        return {
            "best_params": self.best_params_,
            "best_cv_auc": self.best_score_,
            "n_splits": self.n_splits,
            "random_state": self.random_state,
            "n_iter": int(self.model_.n_iter_),
            "monotone": bool(self.monotone),
            "monotonic_cst": self._constraints(list(self.feature_names_in_)),
            "cv_results": self.cv_results_,
        }
