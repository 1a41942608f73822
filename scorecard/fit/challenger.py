"""A gradient-boosted challenger benchmarked against the scorecard on the same splits.

:class:`GradientBoostedChallenger` wraps :class:`sklearn.ensemble.HistGradientBoostingClassifier`
with native missing values and native categorical splits. Every fit stops early on the log
loss of an inner validation split of its own training rows, and a bounded, staged search
(:data:`DEFAULT_PARAM_GRID`, :data:`DEFAULT_STAGES`) is tuned by stratified cross-validation
*inside the training data it is given* (ROC AUC), so the holdout stays untouched. The
monotone variant (:meth:`GradientBoostedChallenger.refit_with_best` with the constraints) is
the tuned configuration under the same per-feature direction constraints as the scorecard:
the two differ by the constraints alone, which shows how much of the challenger's lift
survives monotonicity.

Target convention: ``y`` is 0/1 with 1 = default, so ``predict_pd`` is the probability of
class 1 and a ``+1`` constraint means "pd increases with the feature".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import ParameterGrid, StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from validation.discrimination import roc_auc

# A bounded search over the knobs that matter most for boosted trees on tabular credit data:
# tree size, leaf size, L2 on the leaf values, feature subsampling per split and the step;
# early stopping on an inner validation split sets the number of trees. The first value of
# each list is where the search starts (see ``stages``).
DEFAULT_PARAM_GRID: dict[str, list[Any]] = {
    "max_leaf_nodes": [4, 8, 16, 32],
    "min_samples_leaf": [20, 100, 400],
    "l2_regularization": [0.0, 1.0, 10.0],
    "max_features": [1.0, 0.5],
    "learning_rate": [0.1, 0.05],
}
# Coordinate-wise stages: each tries every combination of its parameters with the others held
# at the best point so far. Tree shape first at the fastest rate (it decides most of the
# fit), then its regularisation, then the smaller step for the chosen model only: 12 + 5 + 1
# = 18 grid points instead of the full grid's 144. (A third rate, 0.025, doubles the trees of
# every fit it wins and would take regenerate to the edge of its time budget.)
DEFAULT_STAGES: tuple[tuple[str, ...], ...] = (
    ("max_leaf_nodes", "min_samples_leaf"),
    ("l2_regularization", "max_features"),
    ("learning_rate",),
)


def _fold_fit(booster: HistGradientBoostingClassifier, X: pd.DataFrame, y: np.ndarray,
              train: np.ndarray, test: np.ndarray, n_threads: int | None) -> tuple[float, int]:
    """One grid point on one tuning fold: its test-fold AUC and the trees early stopping kept."""
    # set again here: a joblib worker process does not inherit the caller's limit
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        m = booster.fit(X.iloc[train], y[train])
        return roc_auc(y[test], m.predict_proba(X.iloc[test])[:, 1]), int(m.n_iter_)


class GradientBoostedChallenger(ClassifierMixin, BaseEstimator):
    """Tuned histogram gradient boosting, optionally monotone.

    Args:
        monotone: apply ``monotonic_cst``; it must then be given.
        monotonic_cst: feature name -> ``+1`` (pd increases with the feature), ``-1`` (pd
            decreases) or ``0`` (free). Only numeric features can be constrained.
        param_grid: dict of HistGradientBoostingClassifier parameters -> candidate lists
            (default :data:`DEFAULT_PARAM_GRID`). The first value of each list is the
            search's starting point; ties go to the point tried first.
        stages: the search, as a sequence of groups of ``param_grid`` names (default
            :data:`DEFAULT_STAGES`): each stage tries every combination of its parameters,
            the others held at the best point so far, so the search costs the sum of the
            stages' grid sizes, not their product. Names the grid lacks are skipped and grid
            parameters no stage names form a last stage. ``None``: the full grid.
        n_splits: stratified CV folds used for tuning.
        random_state: seeds the CV shuffle, the boosting's early-stopping split and its
            feature subsampling: a refit on the same rows gives identical predictions.
        max_iter: upper bound on boosting iterations per fit (early stopping stops sooner).
        validation_fraction, n_iter_no_change: early stopping: every fit (tuning folds and
            the final refit) holds out this stratified fraction of its own training rows and
            stops once their log loss has not improved for ``n_iter_no_change`` iterations.
        n_threads: OpenMP threads per boosting fit and prediction (``None`` = all cores).
            Default 1: each boosting iteration is only milliseconds of work, so the OpenMP
            barriers dominate as soon as the cores are shared with anything else (on a busy
            2-core box an 8-point grid took 29 s on 1 thread and 506 s on 2). Results do
            not depend on the thread count.
        n_jobs: processes for the tuning fits of one stage (joblib; 1 = in this process).
            Results do not depend on it.

    Attributes:
        best_params_: the chosen grid point.
        best_score_: its mean inner-CV AUC (``None`` after :meth:`refit_with_best`).
        cv_results_: ``params``, ``stage``, ``mean_test_auc``, ``std_test_auc``,
            ``split{k}_test_auc``, ``mean_n_iter``, ``rank_test_auc`` (lists in the order the
            points were tried; plain Python values).
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
        stages: Sequence[Sequence[str]] | None = DEFAULT_STAGES,
        n_splits: int = 3,
        random_state: int = 0,
        max_iter: int = 2000,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 20,
        n_threads: int | None = 1,
        n_jobs: int | None = 1,
    ) -> None:
        self.monotone = monotone
        self.monotonic_cst = monotonic_cst
        self.param_grid = param_grid
        self.stages = stages
        self.n_splits = n_splits
        self.random_state = random_state
        self.max_iter = max_iter
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_threads = n_threads
        self.n_jobs = n_jobs

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

    def refit_with_best(self, X: pd.DataFrame, y: np.ndarray,
                        **params: Any) -> GradientBoostedChallenger:
        """A new challenger with this one's tuned parameters, fitted on ``(X, y)`` untuned.

        For cross-validating the *chosen* configuration on other folds without repeating the
        search, or (``params``: constructor parameters to change, such as ``monotone`` and
        ``monotonic_cst``) fitting the same configuration under other constraints.
        ``cv_results_`` of the result is empty and ``best_score_`` is ``None``.
        """
        check_is_fitted(self, "best_params_")
        fixed = {k: [v] for k, v in self.best_params_.items()}
        return clone(self).set_params(**params, param_grid=fixed)._fit(X, y, tune=False)

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

    def _grid(self) -> dict[str, list[Any]]:
        grid = {str(k): list(v) for k, v in (self.param_grid or DEFAULT_PARAM_GRID).items()}
        empty = sorted(k for k, v in grid.items() if not v)
        if empty:
            raise ValueError(f"param_grid lists no candidates for: {empty}")
        return grid

    def _stage_plan(self, grid: Mapping[str, list[Any]]) -> list[tuple[str, ...]]:
        """The stages actually searched: ``stages`` restricted to the grid, plus a last stage
        for grid parameters no stage names; one stage of everything when ``stages`` is None."""
        if self.stages is None:
            return [tuple(grid)]
        plan: list[tuple[str, ...]] = []
        seen: set[str] = set()
        for stage in self.stages:
            names = tuple(n for n in stage if n in grid and n not in seen)
            seen.update(names)
            if names:
                plan.append(names)
        rest = tuple(n for n in grid if n not in seen)
        return [*plan, rest] if rest else plan

    def _tune_and_refit(
        self, Xp: pd.DataFrame, y: np.ndarray, cst: dict[str, int] | None, tune: bool
    ) -> None:
        grid = self._grid()
        if not tune:
            if any(len(v) != 1 for v in grid.values()):
                raise ValueError("an untuned fit needs a single-point param_grid")
            self.cv_results_: dict[str, list[Any]] = {}
            self.best_params_ = {k: v[0] for k, v in grid.items()}
            self.best_score_: float | None = None
            self.model_ = self._booster(self.best_params_, cst).fit(Xp, y)
            return
        cv = StratifiedKFold(n_splits=self.n_splits, shuffle=True, random_state=self.random_state)
        folds = list(cv.split(np.zeros(len(y)), y))
        tried: list[dict[str, Any]] = []
        stage_of: list[int] = []
        scores: list[list[float]] = []
        n_iter: list[list[int]] = []

        def key(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
            return tuple((k, repr(params[k])) for k in grid)

        done: set[tuple[tuple[str, str], ...]] = set()
        best = {k: v[0] for k, v in grid.items()}
        for s, stage in enumerate(self._stage_plan(grid)):
            points = []
            for combo in ParameterGrid({n: grid[n] for n in stage}):
                params = {k: combo.get(k, best[k]) for k in grid}
                if key(params) not in done:  # the best point so far is in every later stage
                    done.add(key(params))
                    points.append(params)
            fits = Parallel(n_jobs=self.n_jobs)(
                delayed(_fold_fit)(self._booster(params, cst), Xp, y, tr, te, self.n_threads)
                for params in points for tr, te in folds)
            for i, params in enumerate(points):
                mine = fits[i * len(folds):(i + 1) * len(folds)]
                tried.append(params)
                stage_of.append(s + 1)
                scores.append([auc for auc, _ in mine])
                n_iter.append([trees for _, trees in mine])
            # first maximum: ties go to the point tried first
            best = tried[int(np.argmax(np.mean(scores, axis=1)))]
        sc_arr = np.asarray(scores)
        mean = sc_arr.mean(axis=1)
        order = np.argsort(-mean, kind="mergesort")
        rank = np.empty(len(tried), dtype=np.int64)
        rank[order] = np.arange(1, len(tried) + 1)
        self.cv_results_ = {
            "params": [dict(p) for p in tried],
            "stage": stage_of,
            "mean_test_auc": mean.tolist(),
            "std_test_auc": sc_arr.std(axis=1).tolist(),
            **{f"split{j}_test_auc": sc_arr[:, j].tolist() for j in range(len(folds))},
            "mean_n_iter": np.mean(n_iter, axis=1).tolist(),
            "rank_test_auc": rank.tolist(),
        }
        self.best_params_ = dict(best)
        self.best_score_ = float(mean[int(np.argmax(mean))])
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
            "stages": [list(st) for st in self._stage_plan(self._grid())],
            "n_splits": self.n_splits,
            "random_state": self.random_state,
            "n_iter": int(self.model_.n_iter_),
            "monotone": bool(self.monotone),
            "monotonic_cst": self._constraints(list(self.feature_names_in_)),
            "cv_results": self.cv_results_,
        }
