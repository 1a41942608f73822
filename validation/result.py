"""The typed result of a card's validation: every figure the report, ``metrics.json``,
``MODEL.md`` and the findings read, computed in one place.

:meth:`ValidationResult.from_predictions` is the one constructor: it takes what the models
predicted on the split design (holdout pds, per-fold pds, the card's integer and unrounded
holdout scores, the development and to-predict scores and bins) and computes every figure
from them, so the fitting job (``Scorecard.validate``) and the tests build the result the
same way and cannot drift apart. The object is frozen; :meth:`ValidationResult.with_final_fit`
returns a copy that records how the published card compares with the validated one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from validation import calibration, discrimination, stability
from validation.score_bands import GradeScale, score_band_table
from validation.splits import SplitDesign

# Figures of a model's CV summary and of the headline.
CV_KEYS = ("auc", "gini", "ks", "brier", "log_loss", "ece")
HEADLINE_KEYS = ("auc", "gini", "ks", "brier", "log_loss", "ece", "mean_pd", "default_rate")
CARD = "scorecard"  # the validated card's name among the models
ORACLE = "oracle"  # the true pd's name, on generated data


class MasterScaleLike(GradeScale, Protocol):
    """A master scale that can list its grades as a table (``scorecard.card.grades``)."""

    def table(self) -> list[dict[str, Any]]: ...


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


def cv_summary(folds: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation of each figure over the CV folds, with the folds."""
    return {"folds": folds,
            **{f"{k}_mean": float(np.mean([f[k] for f in folds])) for k in CV_KEYS},
            **{f"{k}_std": float(np.std([f[k] for f in folds], ddof=1)) if len(folds) > 1
               else 0.0 for k in CV_KEYS}}


@dataclass(frozen=True, eq=False)
class ValidationResult:
    """Every figure of a card's validation, each naming its split.

    Attributes:
        design: the split design (:meth:`SplitDesign.to_dict`: parameters, sizes, fingerprint).
        models: per model (``scorecard`` first; the other card method, ``challenger``,
            ``challenger_monotone`` when run; ``oracle`` on generated data): ``holdout``
            (:func:`model_metrics`), ``cv`` (:func:`cv_summary`, with the folds) and, for a
            tuned challenger, ``best_params``.
        rounding: holdout AUC of the unrounded and the integer card and the difference.
        curves: per model, ``roc``, ``cap`` and ``ks`` curves on the holdout.
        reliability: per model, the reliability table on the holdout.
        hosmer_lemeshow: the card's Hosmer-Lemeshow test on the holdout (no degree of
            freedom lost: the holdout did not fit the card).
        grades: per master-scale grade, the Jeffreys backtest on the holdout.
        master_scale: the master scale, one dict per grade.
        score_bands: the cut-off table on the holdout.
        stability: ``psi`` (score, development vs to-predict) and ``csi`` (per
            characteristic); empty without rows to predict.
        vif: VIF of the card's WoE columns on the development rows.
        iv: every candidate's IV, strength and whether it is in the card.
        score_distribution: integer scores: ``holdout_good``, ``holdout_bad``,
            ``development``, ``to_predict``.
        delong: card vs challenger on the holdout (``None`` without a challenger).
        oracle_distance: per model, its distance to the true pd (``None`` without one).
        final_fit: the published card against the validated one (``None`` until
            :meth:`with_final_fit`).
        first_reasons: per characteristic, the share of holdout applicants whose first
            reason it is (``None`` when not computed).
        fairness: the spec's protected attributes tested on the holdout
            (:func:`validation.fairness.group_figures` per column; ``None`` until
            :meth:`with_fairness`).
    """

    design: Mapping[str, Any]
    models: Mapping[str, Mapping[str, Any]]
    rounding: Mapping[str, float]
    curves: Mapping[str, Mapping[str, Any]]
    reliability: Mapping[str, pd.DataFrame]
    hosmer_lemeshow: Mapping[str, Any]
    grades: pd.DataFrame
    master_scale: Sequence[Mapping[str, Any]]
    score_bands: pd.DataFrame
    stability: Mapping[str, Any]
    vif: pd.DataFrame
    iv: pd.DataFrame
    score_distribution: Mapping[str, np.ndarray]
    delong: Mapping[str, Any] | None = None
    oracle_distance: Mapping[str, Mapping[str, float]] | None = None
    final_fit: Mapping[str, Any] | None = None
    first_reasons: Mapping[str, float] | None = None
    fairness: Mapping[str, Any] | None = None

    @classmethod
    def from_predictions(
        cls,
        y: np.ndarray,
        design: SplitDesign,
        holdout_pd: Mapping[str, np.ndarray],
        cv_pd: Mapping[str, Sequence[np.ndarray]],
        holdout_score: np.ndarray,
        holdout_raw_score: np.ndarray,
        scale: MasterScaleLike,
        development_score: np.ndarray,
        woe_development: pd.DataFrame,
        iv: Mapping[str, float],
        in_card: Sequence[str],
        *,
        best_params: Mapping[str, Mapping[str, Any]] | None = None,
        truth: np.ndarray | None = None,
        to_predict_score: np.ndarray | None = None,
        development_bins: Mapping[str, np.ndarray] | pd.DataFrame | None = None,
        to_predict_bins: Mapping[str, np.ndarray] | pd.DataFrame | None = None,
        first_reasons: Mapping[str, float] | None = None,
    ) -> ValidationResult:
        """Every figure, from what the models predicted on ``design``.

        Args:
            y: 0/1 outcome of every labelled row, shape ``(n,)``; ``design`` indexes it.
            holdout_pd: per model, its pd on the holdout rows; ``scorecard`` (the card)
                first, and ``challenger`` if the DeLong test is wanted.
            cv_pd: per model, its pd on the test rows of each CV fold, in ``design.folds``
                order (each fold's model fitted on that fold's training rows).
            holdout_score, holdout_raw_score: the card's integer and unrounded scores on
                the holdout rows.
            scale: the card's master scale.
            development_score: the card's integer scores on the development rows.
            woe_development: the card's WoE columns on the development rows (for VIF).
            iv: every candidate characteristic's IV; ``in_card``: those in the card.
            best_params: per tuned model, its chosen hyper-parameters.
            truth: the true pd of the holdout rows (generated data), as model ``oracle``.
            to_predict_score, development_bins, to_predict_bins: the card's scores and bin
                indices (per characteristic) on the rows to predict and on the development
                rows, for PSI and CSI; ``None`` when there are no rows to predict.
        """
        y = np.asarray(y, dtype=int)
        y_hold = y[design.holdout]
        p_models = dict(holdout_pd)
        if truth is not None:
            p_models[ORACLE] = np.asarray(truth, dtype=float)
        models: dict[str, dict[str, Any]] = {}
        for name, p in p_models.items():
            models[name] = {"holdout": model_metrics(y_hold, p)}
            if name in (best_params or {}):
                models[name]["best_params"] = dict((best_params or {})[name])
            if name in cv_pd:
                models[name]["cv"] = cv_summary([
                    {"split": split.name, **model_metrics(y[split.test], p_fold)}
                    for split, p_fold in zip(design.folds, cv_pd[name], strict=True)])
        card = models[CARD]["holdout"]
        auc_raw = discrimination.roc_auc(y_hold, -np.asarray(holdout_raw_score))
        rounding = {"auc_unrounded": auc_raw, "auc_rounded": card["auc"],
                    "auc_cost": auc_raw - card["auc"]}
        delong = (discrimination.delong_test(y_hold, p_models[CARD],
                                             p_models["challenger"]).to_dict()
                  if "challenger" in p_models else None)
        oracle_distance = None
        if truth is not None:
            oracle = models[ORACLE]["holdout"]
            oracle_distance = {
                name: {"auc_gap": oracle["auc"] - models[name]["holdout"]["auc"],
                       "brier_gap": models[name]["holdout"]["brier"] - oracle["brier"],
                       "mean_abs_pd_error": float(np.mean(np.abs(p - p_models[ORACLE])))}
                for name, p in p_models.items() if name != ORACLE}
        grades = np.asarray(scale.grades, dtype=object)[scale.grade_index(holdout_score)]
        stab: dict[str, Any] = {}
        if to_predict_score is not None:
            stab["psi"] = stability.psi(development_score, to_predict_score).to_dict()
            if development_bins is not None and to_predict_bins is not None:
                stab["csi"] = stability.csi_table(development_bins, to_predict_bins)
        return cls(
            design=design.to_dict(y),
            models=models,
            rounding=rounding,
            curves={name: {"roc": discrimination.roc_curve(y_hold, p).to_dict(),
                           "cap": discrimination.cap_curve(y_hold, p).to_dict(),
                           "ks": discrimination.ks_curve(y_hold, p).to_dict()}
                    for name, p in p_models.items()},
            reliability={name: calibration.reliability_curve(y_hold, p)
                         for name, p in p_models.items()},
            # Holdout rows were not used to fit: no degrees of freedom are lost to estimation.
            hosmer_lemeshow=calibration.hosmer_lemeshow(y_hold, p_models[CARD],
                                                        dof_reduction=0).to_dict(),
            grades=calibration.grade_test(y_hold, p_models[CARD], grades,
                                          order=list(scale.grades)),
            master_scale=scale.table(),
            score_bands=score_band_table(y_hold, holdout_score, scale),
            stability=stab,
            vif=stability.vif_table(woe_development),
            iv=pd.DataFrame([{"feature": n, "iv": v, "strength": stability.iv_strength(v),
                              "in_card": n in in_card}
                             for n, v in sorted(iv.items(), key=lambda kv: -kv[1])]),
            score_distribution={
                "holdout_good": holdout_score[y_hold == 0],
                "holdout_bad": holdout_score[y_hold == 1],
                "development": development_score,
                "to_predict": (to_predict_score if to_predict_score is not None
                               else np.array([], dtype=int))},
            delong=delong,
            oracle_distance=oracle_distance,
            first_reasons=dict(first_reasons) if first_reasons is not None else None,
        )

    def with_final_fit(self, final_fit: Mapping[str, Any]) -> ValidationResult:
        """A copy recording how the published card compares with the validated one."""
        return replace(self, final_fit=final_fit)

    def with_fairness(self, fairness: Mapping[str, Any]) -> ValidationResult:
        """A copy recording the protected attributes' fairness figures on the holdout."""
        return replace(self, fairness=fairness)

    @property
    def holdout_split(self) -> Mapping[str, Any]:
        """The holdout split's sizes (``n_train``, ``n_test``, defaults of each)."""
        for s in self.design.get("splits", []):
            if s.get("name") == "holdout":
                return s
        return {}

    @property
    def headline(self) -> dict[str, Any]:
        """The figures a card's metadata records (``metrics``): per model its holdout
        figures and CV AUC, the DeLong p-value, the score PSI and the cost of rounding."""
        h: dict[str, Any] = {}
        for name, m in self.models.items():
            for k in HEADLINE_KEYS:
                h[f"{name}_holdout_{k}"] = m["holdout"][k]
            if "cv" in m:
                h[f"{name}_cv_auc_mean"] = m["cv"]["auc_mean"]
                h[f"{name}_cv_auc_std"] = m["cv"]["auc_std"]
        if self.delong is not None:
            h["delong_p_value"] = self.delong["p_value"]
        if "psi" in self.stability:
            h["score_psi"] = self.stability["psi"]["psi"]
        h["rounding_auc_cost"] = self.rounding["auc_cost"]
        return h
