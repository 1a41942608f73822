"""Validation of a fitted card against the challenger and, on generated data, the oracle.

Design: the labelled rows are split once into a development sample and a stratified
holdout (:func:`validation.splits.make_splits`); repeated stratified k-fold CV runs
on the development sample only. The card is refitted per CV fold; the challenger (and the
joint card's L2 penalty) is tuned once by inner CV on the development sample, then
refitted per fold with those parameters.
Nothing is tuned on the holdout. Every figure names its split. The card method that is not
published (classic WoE or joint) is fitted on the same splits and reported beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone

from scorecard.card.engine import ScoringEngine, category_key
from scorecard.card.grades import MasterScale, assign_grades
from scorecard.card.reasons import top_reasons
from scorecard.data.files import Dataset
from scorecard.fit.estimator import Scorecard
from scorecard.fit.spec import DatasetSpec
from scorecard.jobs.progress import Progress
from validation import calibration, discrimination, stability
from validation.score_bands import score_band_table
from validation.splits import Split, SplitDesign

# The model name of the card method that is *not* published, in ``models``.
METHOD_LABELS = {"woe": "scorecard_classic", "joint": "scorecard_joint"}
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
            values = [category_key(v) for v in frame[col.name]]
            seen = pd.Series([category_key(v) for v in rows[col.name]]).value_counts()
            # Native categorical splits take at most 255 categories: the most frequent.
            kept = sorted(seen.sort_index(kind="stable")
                          .sort_values(ascending=False, kind="stable")
                          .index[:MAX_CHALLENGER_CATEGORIES])
            out[col.name] = pd.Categorical(values, categories=kept)
        else:
            out[col.name] = frame[col.name].astype(float)
    return pd.DataFrame(out, index=frame.index)


def _monotone_constraints(spec: DatasetSpec) -> dict[str, int]:
    signs = {"ascending": 1, "descending": -1}
    return {c.name: signs[spec.trend(c.name)] for c in spec.features
            if spec.trend(c.name) in signs}


def _tuned(card: Scorecard) -> Scorecard:
    """The card to refit per CV fold: a joint card keeps the penalty its inner CV chose on
    the development sample (as the challenger keeps its tuned parameters); the binning,
    selection and points are refitted from scratch."""
    if card.method != "joint":
        return card
    return clone(card).set_params(penalty_grid=(card.joint_.penalty_,))


def _card_fold(card: Scorecard, labelled: pd.DataFrame, y: np.ndarray,
               split: Split) -> dict[str, Any]:
    fold_card = clone(card).fit(labelled.iloc[split.train], y[split.train])
    p = fold_card.engine().score(labelled.iloc[split.test]).pd
    return {"split": split.name, **model_metrics(y[split.test], p)}


def _challenger_fold(challenger: Any, X: pd.DataFrame, y: np.ndarray,
                     split: Split) -> dict[str, Any]:
    fold = challenger.refit_with_best(X.iloc[split.train], y[split.train])
    return {"split": split.name, **model_metrics(y[split.test],
                                                 fold.predict_pd(X.iloc[split.test]))}


def model_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Discrimination and calibration figures of one model on one split."""
    auc = discrimination.delong_auc(y, p)
    ks = discrimination.ks_statistic(y, p)
    return {
        "n": len(y),
        "defaults": int(y.sum()),
        "auc": auc.auc, "auc_ci_low": auc.ci_low, "auc_ci_high": auc.ci_high,
        "gini": auc.gini, "gini_ci_low": auc.gini_ci_low, "gini_ci_high": auc.gini_ci_high,
        "ks": ks.ks,
        "brier": calibration.brier(y, p),
        "log_loss": calibration.log_loss(y, p),
        "ece": calibration.expected_calibration_error(y, p),
        "mean_pd": float(np.mean(p)),
        "default_rate": float(np.mean(y)),
    }


def _cv_summary(folds: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("auc", "gini", "ks", "brier", "log_loss", "ece")
    return {"folds": folds,
            **{f"{k}_mean": float(np.mean([f[k] for f in folds])) for k in keys},
            **{f"{k}_std": float(np.std([f[k] for f in folds], ddof=1)) if len(folds) > 1
               else 0.0 for k in keys}}


def _truth(data_path: Path, ids: pd.Series) -> np.ndarray | None:
    """The generator's true pd for ``ids`` if ``<stem>.truth.csv`` lies beside the data."""
    path = data_path.with_name(f"{data_path.stem}.truth.csv")
    if not path.exists():
        return None
    truth = pd.read_csv(path, dtype={"uuid": str}).set_index("uuid")["true_pd"]
    values = truth.reindex(ids.to_numpy())
    return None if values.isna().any() else values.to_numpy(dtype=float)


def validate_card(card: Scorecard, engine: ScoringEngine, spec: DatasetSpec, dataset: Dataset,
                  design: SplitDesign, config: Any,
                  progress: Progress, data_path: Path | None = None) -> dict[str, Any]:
    """Every figure of the validation report, as plain data (see :mod:`validation.report`)."""
    labelled = dataset.labelled
    y_all = labelled[spec.contract.target].to_numpy(dtype=int)
    dev, hold = labelled.iloc[design.development], labelled.iloc[design.holdout]
    y_dev, y_hold = y_all[design.development], y_all[design.holdout]
    res_hold = engine.score(hold)
    res_dev = engine.score(dev)
    out: dict[str, Any] = {"design": design.to_dict(y_all)}
    models: dict[str, dict[str, Any]] = {"scorecard": {"holdout": model_metrics(y_hold,
                                                                               res_hold.pd)}}
    raw = card.raw_score(hold)
    auc_raw = discrimination.roc_auc(y_hold, -raw)
    out["rounding"] = {"auc_unrounded": auc_raw,
                       "auc_rounded": models["scorecard"]["holdout"]["auc"],
                       "auc_cost": auc_raw - models["scorecard"]["holdout"]["auc"]}

    # Folds are independent: fit them in parallel processes (results do not depend on it).
    folds = Parallel(n_jobs=config.n_jobs)(
        delayed(_card_fold)(_tuned(card), labelled, y_all, split) for split in design.folds)
    for fold in folds:
        progress.say(f"card {fold['split']}: AUC {fold['auc']:.4f}")
    models["scorecard"]["cv"] = _cv_summary(folds)

    p_models = {"scorecard": res_hold.pd}
    if getattr(config, "compare_methods", False):
        # The other card method on the same development rows, holdout and CV folds, so the
        # report shows the classic and the joint card side by side.
        other = "woe" if card.method == "joint" else "joint"
        label = METHOD_LABELS[other]
        with progress.step(f"fitting the {other} card for comparison"):
            alt = clone(card).set_params(**config.card_params(other)).fit(dev, y_dev)
        p_models[label] = alt.engine().score(hold).pd
        models[label] = {"holdout": model_metrics(y_hold, p_models[label])}
        folds = Parallel(n_jobs=config.n_jobs)(
            delayed(_card_fold)(_tuned(alt), labelled, y_all, split) for split in design.folds)
        models[label]["cv"] = _cv_summary(folds)
        progress.say(f"{label}: holdout AUC {models[label]['holdout']['auc']:.4f}, "
                     f"CV AUC {models[label]['cv']['auc_mean']:.4f}")
    if config.challenger:
        from scorecard.fit.challenger import GradientBoostedChallenger

        X_all = challenger_frame(spec, labelled, design.development)
        X_dev, X_hold = X_all.iloc[design.development], X_all.iloc[design.holdout]
        variants: dict[str, dict[str, Any]] = {"challenger": {}}
        if cst := _monotone_constraints(spec):  # no trend declared: no monotone variant
            variants["challenger_monotone"] = {"monotone": True, "monotonic_cst": cst}
        for label, kwargs in variants.items():
            with progress.step(f"tuning the {label.replace('_', ' ')} inside the "
                               "development sample"):
                ch = GradientBoostedChallenger(random_state=config.seed, n_jobs=config.n_jobs,
                                               **kwargs)
                ch.fit(X_dev, y_dev)
            p = ch.predict_pd(X_hold)
            p_models[label] = p
            models[label] = {"holdout": model_metrics(y_hold, p),
                             "best_params": ch.best_params_}
            folds = Parallel(n_jobs=config.n_jobs)(
                delayed(_challenger_fold)(ch, X_all, y_all, split) for split in design.folds)
            models[label]["cv"] = _cv_summary(folds)
            progress.say(f"{label}: holdout AUC {models[label]['holdout']['auc']:.4f}, "
                         f"CV AUC {models[label]['cv']['auc_mean']:.4f}")
        d = discrimination.delong_test(y_hold, res_hold.pd, p_models["challenger"])
        out["delong"] = d.to_dict()

    truth = _truth(data_path, dataset.ids(hold)) if data_path is not None else None
    if truth is not None:
        models["oracle"] = {"holdout": model_metrics(y_hold, truth)}
        p_models["oracle"] = truth
        out["oracle_distance"] = {
            name: {"auc_gap": models["oracle"]["holdout"]["auc"] - models[name]["holdout"]["auc"],
                   "brier_gap": models[name]["holdout"]["brier"]
                   - models["oracle"]["holdout"]["brier"],
                   "mean_abs_pd_error": float(np.mean(np.abs(p_models[name] - truth)))}
            for name in p_models if name != "oracle"}
    out["models"] = models
    out["curves"] = {name: {"roc": discrimination.roc_curve(y_hold, p).to_dict(),
                            "cap": discrimination.cap_curve(y_hold, p).to_dict(),
                            "ks": discrimination.ks_curve(y_hold, p).to_dict()}
                     for name, p in p_models.items()}
    out["reliability"] = {name: calibration.reliability_curve(y_hold, p)
                          for name, p in p_models.items()}
    # Holdout rows were not used to fit: no degrees of freedom are lost to estimation.
    out["hosmer_lemeshow"] = calibration.hosmer_lemeshow(y_hold, res_hold.pd,
                                                         dof_reduction=0).to_dict()

    scale = MasterScale.from_dict(engine.artifact["master_scale"])
    grades = assign_grades(res_hold.score, scale)
    out["grades"] = calibration.grade_test(y_hold, res_hold.pd, grades,
                                           order=list(scale.grades))
    out["master_scale"] = scale.table()
    out["score_bands"] = score_band_table(y_hold, res_hold.score, scale)

    to_predict = dataset.to_predict
    res_new = engine.score(to_predict) if len(to_predict) else None
    stab: dict[str, Any] = {}
    if res_new is not None:
        stab["psi"] = stability.psi(res_dev.score, res_new.score).to_dict()
        stab["csi"] = stability.csi_table(
            pd.DataFrame(res_dev.bins, columns=engine.features_),
            pd.DataFrame(res_new.bins, columns=engine.features_))
    out["stability"] = stab
    woe_dev = card.binner_.transform(dev, card.features_)
    out["vif"] = stability.vif_table(woe_dev)
    out["iv"] = pd.DataFrame([{"feature": n, "iv": b.iv, "strength": stability.iv_strength(b.iv),
                               "in_card": n in card.features_}
                              for n, b in sorted(card.binner_.bins_.items(),
                                                 key=lambda kv: -kv[1].iv)])
    out["score_distribution"] = {
        "holdout_good": res_hold.score[y_hold == 0], "holdout_bad": res_hold.score[y_hold == 1],
        "development": res_dev.score,
        "to_predict": res_new.score if res_new is not None else np.array([], dtype=int)}
    out["first_reasons"] = first_reason_shares(engine, res_hold)
    out["headline"] = _headline(out)
    return out


def first_reason_shares(engine: ScoringEngine, scored: Any) -> dict[str, float]:
    """Per characteristic, the share of the scored applicants whose first reason it is
    (reasons by the card's ``max`` rule, :func:`scorecard.card.reasons.top_reasons`)."""
    first = top_reasons(engine, scored, 1)[:, 0]
    n = max(len(first), 1)
    counts = np.bincount(first[first >= 0], minlength=len(engine.features_))
    return {name: float(c) / n for name, c in zip(engine.features_, counts, strict=True)
            if c}


def compare_final_fit(validated: Scorecard, validated_engine: ScoringEngine,
                      published: Scorecard, master_scale: dict[str, Any],
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

    def penalty(c: Scorecard) -> float | None:
        return float(c.joint_.penalty_) if c.method == "joint" else None

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


def _headline(v: dict[str, Any]) -> dict[str, Any]:
    h: dict[str, Any] = {}
    for name, m in v["models"].items():
        for k in ("auc", "gini", "ks", "brier", "log_loss", "ece", "mean_pd", "default_rate"):
            h[f"{name}_holdout_{k}"] = m["holdout"][k]
        if "cv" in m:
            h[f"{name}_cv_auc_mean"] = m["cv"]["auc_mean"]
            h[f"{name}_cv_auc_std"] = m["cv"]["auc_std"]
    if "delong" in v:
        h["delong_p_value"] = v["delong"]["p_value"]
    if "psi" in v["stability"]:
        h["score_psi"] = v["stability"]["psi"]["psi"]
    h["rounding_auc_cost"] = v["rounding"]["auc_cost"]
    return h
