"""Fit and validate a card as ``scorecard regenerate`` publishes it (``Scorecard.validate``).

Design: the labelled rows are split once into a development sample and a stratified
holdout (:func:`validation.splits.make_splits`); repeated stratified k-fold CV runs on the
development sample only. The card is fitted on the development sample and refitted per CV
fold; the challenger (and the joint card's L2 penalty) is tuned once by inner CV on the
development sample, then refitted per fold with those parameters. Nothing is tuned on the
holdout. The card method that is not published (classic WoE or joint) is fitted on the same
splits and reported beside it. Every figure is computed by
:meth:`validation.result.ValidationResult.from_predictions` from what the models predicted.

Then the published card is fitted per ``final_fit``: ``"development"`` publishes the
validated development fit, so every holdout figure validates exactly the card that scores
the predictions; ``"all_labelled"`` validates the *procedure* on the holdout, then refits
it on every labelled row (development + holdout) with the same binning, selection and
penalty choice. The holdout figures still validate the development fit (nothing of the
holdout reached it); the result's ``final_fit`` says how far the published card is from it.

The estimator is passed in (this module does not import :mod:`scorecard.fit.estimator`,
which calls it).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from joblib.externals.loky import ProcessPoolExecutor
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from scorecard.card.engine import ScoringEngine
from scorecard.card.grades import MasterScale, assign_grades, master_scale_for
from scorecard.card.reasons import top_reasons
from scorecard.data.errors import TooFewRowsError
from scorecard.data.files import Dataset
from scorecard.fit.binning import category_keys
from scorecard.fit.overrides import FeatureOverride, binning_trend
from scorecard.fit.spec import METHOD_DEFAULTS, DatasetSpec
from validation import discrimination
from validation.result import ValidationResult
from validation.splits import Split, SplitDesign, make_splits

# The model name of the card method that is *not* published, in ``models``.
METHOD_LABELS = {"woe": "scorecard_classic", "joint": "scorecard_joint"}
LIBRARIES = ("optbinning", "statsmodels", "scikit-learn", "numpy", "pandas", "scipy")
FITTED_ON = {"all_labelled": "all labelled rows (development + holdout)",
             "development": "development rows"}
REFERENCE_SAMPLE = {"all_labelled": "all labelled", "development": "development"}
# The selection log's row for the refit (``feature`` is not a candidate's name).
FINAL_FIT_ROW = "(published card)"
# The card parameters the method comparison resets to the other method's defaults.
METHOD_PARAMS = ("selection", "min_bin_share", "max_n_bins", "min_bin_n_event",
                 "max_n_prebins")


class _Quiet:
    def say(self, _message: str) -> None:
        pass

    def step(self, _message: str) -> Any:
        from contextlib import nullcontext

        return nullcontext()


def library_versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in LIBRARIES}


# scikit-learn's native categorical splits take at most max_bins (255) categories; a rarer
# label beyond these is missing to the challenger.
MAX_CHALLENGER_CATEGORIES = 250


def challenger_frame(spec: DatasetSpec, frame: pd.DataFrame,
                     development: np.ndarray | None = None) -> pd.DataFrame:
    """Features for the gradient-boosted challenger, seen as the card sees them: numerics as
    floats; categoricals as pandas categories over the labels observed in the development
    rows (``development``: positions in ``frame``; ``None``: every row), spelled by the
    card's own :func:`~scorecard.card.engine.category_key`. Codes are stable across folds;
    a label the development rows never showed is missing to the challenger, as it is unseen
    to the card. Never a default category list: that would blank every open category."""
    rows = frame if development is None else frame.iloc[development]
    out = {}
    for col in spec.features:
        if col.name in spec.categorical:
            values = category_keys(frame[col.name])
            seen = pd.Series(category_keys(rows[col.name])).value_counts()
            kept = sorted(seen.sort_index(kind="stable")
                          .sort_values(ascending=False, kind="stable")
                          .index[:MAX_CHALLENGER_CATEGORIES])
            out[col.name] = pd.Categorical(values, categories=kept)
        else:
            out[col.name] = frame[col.name].astype(float)
    return pd.DataFrame(out, index=frame.index)


def monotone_constraints(spec: DatasetSpec,
                         overrides: Mapping[str, FeatureOverride]) -> dict[str, int]:
    """The monotone challenger's direction per feature: ``+1`` (pd rises with it) or ``-1``,
    for each feature whose trend, as the card is binned with it (an override's, else the
    spec's), is declared ascending or descending. So a trend the risk team lifted
    (``"none"``) frees the challenger too, and one they forced binds it, as it binds the
    card."""
    signs = {"ascending": 1, "descending": -1}
    out = {}
    for c in spec.features:
        ov = overrides.get(c.name)
        trend = binning_trend(ov.trend if ov is not None else None, spec.trend(c.name))
        if trend in signs:
            out[c.name] = signs[trend]
    return out


def _tuned(card: Any) -> Any:
    """The card to refit per CV fold: a joint card keeps the penalty its inner CV chose on
    the development sample (as the challenger keeps its tuned parameters); the binning,
    selection and points are refitted from scratch."""
    if card.method_ != "joint":
        return card
    return clone(card).set_params(penalty_grid=(card.joint_.penalty_,),
                                  smoothness_grid=(card.joint_.smoothness_,))


def _card_fold(card: Any, labelled: pd.DataFrame, y: np.ndarray, split: Split) -> np.ndarray:
    fold_card = clone(card).fit(labelled.iloc[split.train], y[split.train])
    return fold_card.engine().score(labelled.iloc[split.test]).pd


def _challenger_fold(challenger: Any, X: pd.DataFrame, y: np.ndarray,
                     split: Split) -> np.ndarray:
    fold = challenger.refit_with_best(X.iloc[split.train], y[split.train])
    return fold.predict_pd(X.iloc[split.test])


def _say_cv(progress: Any, label: str, y: np.ndarray, design: SplitDesign,
            folds: list[np.ndarray]) -> None:
    for split, p in zip(design.folds, folds, strict=True):
        progress.say(f"{label} {split.name}: AUC "
                     f"{discrimination.roc_auc(y[split.test], p):.4f}")


def validate_card(card: Any, engine: ScoringEngine, dataset: Dataset, design: SplitDesign,
                  progress: Any, *, challenger: bool = True, compare_methods: bool = True,
                  n_jobs: int = 2, truth: pd.Series | None = None) -> ValidationResult:
    """Every figure of the validation report for ``card``, fitted on the development rows
    of ``design`` (``engine`` scores its provisional artifact, with the master scale).

    ``truth``: the true pd by row id (generated data), shown as model ``oracle``."""
    spec: DatasetSpec = card.spec
    labelled = dataset.labelled
    y_all = labelled[spec.contract.target].to_numpy(dtype=int)
    dev, hold = labelled.iloc[design.development], labelled.iloc[design.holdout]
    y_dev = y_all[design.development]
    res_hold = engine.score(hold)
    res_dev = engine.score(dev)
    holdout_pd: dict[str, np.ndarray] = {"scorecard": res_hold.pd}
    # Folds are independent: fit them in parallel processes (results do not depend on it).
    cv_pd: dict[str, list[np.ndarray]] = {"scorecard": Parallel(n_jobs=n_jobs)(
        delayed(_card_fold)(_tuned(card), labelled, y_all, split) for split in design.folds)}
    _say_cv(progress, "card", y_all, design, cv_pd["scorecard"])
    best_params: dict[str, dict[str, Any]] = {}
    if compare_methods:
        # The other card method on the same development rows, holdout and CV folds, so the
        # report shows the classic and the joint card side by side.
        other = "woe" if card.method_ == "joint" else "joint"
        label = METHOD_LABELS[other]
        with progress.step(f"fitting the {other} card for comparison"):
            alt = clone(card).set_params(method=other, **dict.fromkeys(METHOD_PARAMS)).fit(
                dev, y_dev)
        holdout_pd[label] = alt.engine().score(hold).pd
        cv_pd[label] = Parallel(n_jobs=n_jobs)(
            delayed(_card_fold)(_tuned(alt), labelled, y_all, split) for split in design.folds)
        progress.say(f"{label}: holdout AUC "
                     f"{discrimination.roc_auc(y_all[design.holdout], holdout_pd[label]):.4f}")
    if challenger:
        from scorecard.fit.challenger import GradientBoostedChallenger

        X_all = challenger_frame(spec, labelled, design.development)
        X_dev, X_hold = X_all.iloc[design.development], X_all.iloc[design.holdout]
        with progress.step("tuning the challenger inside the development sample"):
            tuned = GradientBoostedChallenger(random_state=design.seed, n_jobs=n_jobs).fit(
                X_dev, y_dev)
        variants = {"challenger": tuned}
        # no trend declared: no monotone variant
        if cst := monotone_constraints(spec, card.overrides_):
            # The tuned configuration under the card's directions: the two challengers
            # differ by the constraints alone (and a second search is not paid for).
            variants["challenger_monotone"] = tuned.refit_with_best(
                X_dev, y_dev, monotone=True, monotonic_cst=cst)
        for label, ch in variants.items():
            holdout_pd[label] = ch.predict_pd(X_hold)
            best_params[label] = dict(ch.best_params_)
            if ch.monotone and ch.monotonic_cst:  # its directions, beside its parameters
                best_params[label]["monotonic_cst"] = ", ".join(
                    f"{name} {sign:+d}" for name, sign in sorted(ch.monotonic_cst.items()))
            cv_pd[label] = Parallel(n_jobs=n_jobs)(
                delayed(_challenger_fold)(ch, X_all, y_all, split) for split in design.folds)
            progress.say(f"{label}: holdout AUC "
                         f"{discrimination.roc_auc(y_all[design.holdout], holdout_pd[label]):.4f}")
    true_pd = None
    if truth is not None:
        values = truth.reindex(dataset.ids(hold).to_numpy())
        true_pd = None if values.isna().any() else values.to_numpy(dtype=float)
    to_predict = dataset.to_predict
    res_new = engine.score(to_predict) if len(to_predict) else None
    return ValidationResult.from_predictions(
        y_all, design, holdout_pd, cv_pd, res_hold.score, card.raw_score(hold),
        MasterScale.from_dict(engine.artifact["master_scale"]), res_dev.score,
        card.binner_.transform(dev, card.features_),
        {n: b.iv for n, b in card.binner_.bins_.items()}, card.features_,
        best_params=best_params, truth=true_pd,
        to_predict_score=res_new.score if res_new is not None else None,
        development_bins=(pd.DataFrame(res_dev.bins, columns=engine.features_)
                          if res_new is not None else None),
        to_predict_bins=(pd.DataFrame(res_new.bins, columns=engine.features_)
                         if res_new is not None else None),
        first_reasons=first_reason_shares(engine, res_hold))


def first_reason_shares(engine: ScoringEngine, scored: Any) -> dict[str, float]:
    """Per characteristic, the share of the scored applicants whose first reason it is
    (reasons by the card's ``max`` rule, :func:`scorecard.card.reasons.top_reasons`)."""
    first = top_reasons(engine, scored, 1)[:, 0]
    n = max(len(first), 1)
    counts = np.bincount(first[first >= 0], minlength=len(engine.features_))
    return {name: float(c) / n for name, c in zip(engine.features_, counts, strict=True)
            if c}


def compare_final_fit(validated: Any, validated_engine: ScoringEngine,
                      published: Any, master_scale: dict[str, Any],
                      labelled: pd.DataFrame, y: np.ndarray, design: SplitDesign,
                      final_fit: str) -> dict[str, Any]:
    """How the published card compares with the validated (development-fit) one, on the
    holdout rows.

    With ``final_fit == "all_labelled"`` the published card was refitted on every labelled
    row, the holdout included, so its holdout AUC (``auc_published``) is in-sample; the
    validated card's (``auc_validated``) is the honest figure. ``score_correlation`` is
    Pearson's r of the two integer scores, ``grade_agreement`` the share of holdout rows in
    the same master-scale grade, ``mean_abs_score_difference`` in points.
    ``characteristics``: one row per characteristic of either card, with its bins and
    points range in each and ``mean_abs_points_change``, the mean over holdout rows of
    |points change| after centring each card's points on their holdout mean (so the share of
    the constant each characteristic carries does not count). With ``"development"`` the
    published card is the validated one and every difference is zero.
    """
    hold = labelled.iloc[design.holdout]
    y_hold = y[design.holdout]
    pub_engine = (validated_engine if published is validated
                  else ScoringEngine(published.to_artifact({}, master_scale)))
    res_v, res_p = validated_engine.score(hold), pub_engine.score(hold)
    scale = MasterScale.from_dict(master_scale)
    same_grade = assign_grades(res_v.score, scale) == assign_grades(res_p.score, scale)
    diff = np.abs(res_p.score - res_v.score)
    corr = (1.0 if np.array_equal(res_v.score, res_p.score)
            else float(np.corrcoef(res_v.score, res_p.score)[0, 1]))
    rows = []
    names = [*validated.features_, *[n for n in published.features_
                                     if n not in validated.features_]]
    for name in names:
        row: dict[str, Any] = {"feature": name}
        for label, c, res, eng in (("validated", validated, res_v, validated_engine),
                                   ("published", published, res_p, pub_engine)):
            pts = c.points_.get(name)
            row[f"in_{label}"] = pts is not None
            row[f"bins_{label}"] = len(pts) if pts is not None else None
            row[f"points_min_{label}"] = int(pts.min()) if pts is not None else None
            row[f"points_max_{label}"] = int(pts.max()) if pts is not None else None
            row[f"_points_{label}"] = (res.points[:, eng.features_.index(name)].astype(float)
                                       if pts is not None else None)
        a, b = row.pop("_points_validated"), row.pop("_points_published")
        row["mean_abs_points_change"] = (float(np.mean(np.abs((b - b.mean())
                                                              - (a - a.mean()))))
                                         if a is not None and b is not None else None)
        rows.append(row)

    def penalty(c: Any) -> float | None:
        return float(c.joint_.penalty_) if c.method_ == "joint" else None

    return {
        "final_fit": final_fit,
        "refit": published is not validated,
        "fitted_rows": len(labelled) if published is not validated else len(design.development),
        "development_rows": len(design.development),
        "holdout_rows": len(design.holdout),
        "features_added": [n for n in published.features_ if n not in validated.features_],
        "features_dropped": [n for n in validated.features_ if n not in published.features_],
        "penalty_validated": penalty(validated),
        "penalty_published": penalty(published),
        "auc_validated": float(discrimination.roc_auc(y_hold, res_v.pd)),
        "auc_published": float(discrimination.roc_auc(y_hold, res_p.pd)),
        "score_correlation": corr,
        "grade_agreement": float(np.mean(same_grade)),
        "mean_abs_score_difference": float(np.mean(diff)),
        "max_abs_score_difference": int(diff.max()) if diff.size else 0,
        "characteristics": pd.DataFrame(rows),
    }


def final_fit_decision(ff: dict[str, Any]) -> dict[str, Any]:
    """The selection log's row recording the refit of the published card, with its reason."""
    added, dropped = ff["features_added"], ff["features_dropped"]
    change = ("the same characteristics as the validated card" if not (added or dropped)
              else "; ".join(part for part in (
                  f"added {', '.join(added)}" if added else "",
                  f"dropped {', '.join(dropped)}" if dropped else "") if part))
    penalty = (f"; L2 penalty {ff['penalty_published']:g} (validated "
               f"{ff['penalty_validated']:g})" if ff.get("penalty_published") is not None
               else "")
    return {"feature": FINAL_FIT_ROW, "iv": float("nan"), "decision": "refit",
            "step": "final_fit",
            "reason": (f"refit on all {ff['fitted_rows']} labelled rows (development "
                       f"{ff['development_rows']} + holdout {ff['holdout_rows']}) by the "
                       "validated procedure, so the published points use every label; the "
                       "holdout figures validate the development fit; "
                       f"{change}{penalty}; holdout-row score correlation "
                       f"{ff['score_correlation']:.4f}"),
            "overridden": False}


def settings_record(card: Any, holdout_share: float, compare_methods: bool, cv_folds: int,
                    cv_repeats: int, challenger: bool) -> dict[str, Any]:
    """What, with the data, determines a published card: the design and both methods'
    resolved parameters (the published method's as fitted, the compared one's from
    :data:`METHOD_DEFAULTS`), as the card's ``metadata.config`` records them."""
    def params(method: str) -> dict[str, Any]:
        if method == card.method_:
            return {**card.binning_, "selection": vars(card.selection_).copy()}
        d = METHOD_DEFAULTS[method]
        return {"min_bin_share": d.min_bin_share, "max_n_bins": d.max_n_bins,
                "min_bin_n_event": d.min_bin_n_event, "max_n_prebins": d.max_n_prebins,
                "selection": dict(d.selection)}

    woe, joint = params("woe"), params("joint")
    smoothness = (card.smoothness_grid_ if card.method_ == "joint"
                  else METHOD_DEFAULTS["joint"].smoothness_grid)
    return {
        "seed": card.random_state, "holdout_share": holdout_share,
        "card_method": card.method_, "final_fit": card.final_fit_,
        "master_scale": (card.spec.master_scale if isinstance(card.spec.master_scale, str)
                         else "given"),
        "compare_methods": compare_methods,
        "min_bin_share": woe["min_bin_share"], "max_n_bins": woe["max_n_bins"],
        "selection": woe["selection"],
        **{f"joint_{k}": joint[k] for k in ("min_bin_share", "max_n_bins", "min_bin_n_event",
                                            "max_n_prebins", "selection")},
        # Recorded only when a difference penalty is tried, so earlier cards keep their bytes.
        **({"joint_smoothness_grid": list(smoothness)} if any(smoothness) else {}),
        "scaling": {k: card.scaling_.to_dict()[k] for k in ("base_score", "base_odds", "pdo")},
        "cv_folds": cv_folds, "cv_repeats": cv_repeats, "challenger": challenger,
        "overrides_file": card.overrides_file_.name if card.overrides_file_ else None,
        "overridden_features": sorted(n for n, b in card.binner_.bins_.items()
                                      if b.overridden),
        # Recorded only when a pair is overridden, so earlier cards keep their bytes.
        **({"overridden_pairs": sorted(card.pair_overrides_)} if card.pair_overrides_
           else {}),
    }


def _fit_card(card: Any, rows: pd.DataFrame, y: np.ndarray) -> Any:
    """``card`` fitted on ``rows`` and ``y`` with one BLAS thread: the same card, to the
    bit, in a worker process as in this one."""
    with threadpool_limits(limits=1, user_api="blas"):
        return card.fit(rows, y)


def _validate(validated: Any, dataset: Dataset, design: SplitDesign, dev: pd.DataFrame,
              y_dev: np.ndarray, *, challenger: bool, compare_methods: bool, n_jobs: int,
              truth: pd.Series | None, progress: Any
              ) -> tuple[ValidationResult, ScoringEngine, MasterScale]:
    """Fit ``validated`` on the development rows and validate it: the figures, its
    provisional engine (with the master scale) and the master scale."""
    with progress.step("fitting the scorecard on the development rows (binning, "
                       "selection, logistic regression)"):
        validated.fit(dev, y_dev, progress)
    # The master scale fits the book (spec ``master_scale``): read off the development rows.
    ladder = MasterScale.from_pd_ladder(scaling=validated.scaling_).to_dict()
    dev_pd = ScoringEngine(validated.to_artifact({}, ladder)).score(dev, with_bins=False).pd
    scale = master_scale_for(validated.spec.master_scale, dev_pd, validated.scaling_)
    provisional = ScoringEngine(validated.to_artifact({}, scale.to_dict()))
    with progress.step("validating on the holdout and in cross-validation"):
        result = validate_card(validated, provisional, dataset, design, progress,
                               challenger=challenger, compare_methods=compare_methods,
                               n_jobs=n_jobs, truth=truth)
    return result, provisional, scale


def fit_and_validate(card: Any, dataset: Dataset, *, holdout_share: float = 0.3,
                     cv_folds: int = 5, cv_repeats: int = 2, challenger: bool = True,
                     compare_methods: bool = True, n_jobs: int = 2,
                     truth: pd.Series | None = None, progress: Any = None) -> ValidationResult:
    """Split, fit on the development rows, validate, then fit ``card`` as published (per
    its ``final_fit``); ``card`` ends fitted with ``validation_`` and ``artifact_`` (the
    sealed card, its metadata recording the data, the settings, the libraries and the
    headline figures). See the module docstring."""
    progress = progress or _Quiet()
    spec: DatasetSpec = card.spec
    labelled = dataset.labelled
    y = labelled[spec.contract.target].to_numpy(dtype=int)
    try:
        design = make_splits(y, holdout_fraction=holdout_share, n_splits=cv_folds,
                             n_repeats=cv_repeats, seed=card.random_state)
    except ValueError as exc:  # too few rows of a class: a data problem, not a crash
        counts = ", ".join(f"{int((y == c).sum())} of class {c}" for c in (0, 1))
        raise TooFewRowsError(
            f"class_counts: column '{spec.contract.target}' has {counts}: too few to split "
            f"into a stratified holdout ({holdout_share:.0%}) and {cv_folds}-fold "
            f"cross-validation ({exc})") from exc
    dev_idx = design.development
    dev = labelled.iloc[dev_idx]
    progress.say(f"{len(labelled)} labelled rows ({y.mean():.2%} bad): development "
                 f"{len(dev)}, holdout {len(design.holdout)}; {len(dataset.to_predict)} rows "
                 "to predict")
    validated = clone(card)
    validated._resolve()
    final_fit = validated.final_fit_
    # The refit on every labelled row needs nothing the validation learns: with a second
    # process it starts now, on the core the validation's serial steps leave idle.
    # loky, as joblib: its worker never re-runs the caller's main script.
    pool = (ProcessPoolExecutor(max_workers=1)
            if final_fit == "all_labelled" and n_jobs > 1 else None)
    refitting = (f"refitting the published card on all {len(labelled)} labelled rows "
                 "(development + holdout; same binning, selection and penalty choice)")
    try:
        if pool is not None:
            progress.say(f"{refitting} in a second process ...")
            refit = pool.submit(_fit_card, clone(card), labelled, y)
        # One BLAS thread here too: the processes already share the cores, and BLAS
        # threads that wait for a core are slower than none.
        with threadpool_limits(limits=1, user_api="blas"):
            result, provisional, scale = _validate(
                validated, dataset, design, dev, y[dev_idx], challenger=challenger,
                compare_methods=compare_methods, n_jobs=n_jobs, truth=truth,
                progress=progress)
        if pool is not None:
            with progress.step("waiting for the published card's refit"):
                vars(card).update(vars(refit.result()))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, kill_workers=True)
    if final_fit == "all_labelled":
        if pool is None:
            with progress.step(refitting):
                vars(card).update(vars(_fit_card(clone(card), labelled, y)))
        fit_rows, fit_y = labelled, y
    else:  # the validated fit is the published card: take over its learned state
        vars(card).update({k: v for k, v in vars(validated).items() if k.endswith("_")})
        fit_rows, fit_y = dev, y[dev_idx]
    published = card if final_fit == "all_labelled" else validated
    ff = compare_final_fit(validated, provisional, published, scale.to_dict(), labelled, y,
                           design, final_fit)
    result = result.with_final_fit(ff)
    if spec.protected:  # tested on the holdout, never used: the report's fairness section
        from scorecard.fit.groups import protected_fairness

        hold = labelled.iloc[design.holdout]
        result = result.with_fairness(protected_fairness(
            provisional, dev, hold, y[design.holdout], spec.protected))
    if ff["refit"]:
        progress.say(f"published card: {len(card.features_)} characteristics "
                     f"({len(validated.features_)} validated); on the holdout rows score "
                     f"correlation {ff['score_correlation']:.4f}, same grade "
                     f"{ff['grade_agreement']:.1%}")
        card.selection_log_ = pd.concat([card.selection_log_,
                                         pd.DataFrame([final_fit_decision(ff)])],
                                        ignore_index=True)
    metadata = {
        "training_data": {
            "file": dataset.source,
            "fingerprint": dataset.fingerprint,
            "rows": len(dataset.frame),
            "labelled": len(labelled),
            "to_predict": len(dataset.to_predict),
            "development_rows": len(dev),
            "holdout_rows": len(design.holdout),
            "default_rate": float(y.mean()),
            # Which rows the published card's bins, points and coefficients come from.
            "fitted_on": FITTED_ON[final_fit],
            "fitted_rows": len(fit_rows),
        },
        "config": settings_record(card, holdout_share, compare_methods, cv_folds, cv_repeats,
                                  challenger),
        "libraries": library_versions(),
        "metrics": result.headline,
    }
    card.validation_ = result
    card.artifact_ = card.to_artifact(metadata, scale.to_dict(), fit_rows, fit_y,
                                      reference_sample=REFERENCE_SAMPLE[final_fit])
    return result
