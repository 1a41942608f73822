"""``metrics.json``: the machine-readable headline figures of the validation report.

:func:`build_metrics` picks the figures from the artifact and the
:class:`~validation.result.ValidationResult` and rounds every float to six significant
digits (:func:`validation.plain.rounded`); :func:`dumps_metrics` writes them with sorted keys,
so the same inputs give the same bytes. The keys are documented one by one in the README.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from validation.plain import rounded
from validation.result import ValidationResult

METRICS_SCHEMA_VERSION = 1
METRIC_KEYS = ("auc", "gini", "ks", "brier", "log_loss", "ece")
HOLDOUT_KEYS = (*METRIC_KEYS, "auc_ci_low", "auc_ci_high", "gini_ci_low", "gini_ci_high",
                "mean_pd", "default_rate", "n", "defaults")


def build_metrics(artifact: Mapping[str, Any], validation: ValidationResult) -> dict[str, Any]:
    """The machine-readable headline figures (documented key by key in the README)."""
    design = validation.design
    hold = validation.holdout_split
    data = artifact.get("metadata", {}).get("training_data", {})
    models: dict[str, Any] = {}
    for name, m in validation.models.items():
        entry: dict[str, Any] = {"holdout": {k: rounded(m["holdout"].get(k)) for k in HOLDOUT_KEYS}}
        cv = m.get("cv")
        entry["cv"] = ({**{f"{k}_{s}": rounded(cv.get(f"{k}_{s}")) for k in METRIC_KEYS
                           for s in ("mean", "std")}, "n_folds": len(cv.get("folds", []))}
                       if cv else None)
        models[name] = entry
    delong = validation.delong
    od = validation.oracle_distance
    stab = validation.stability
    stability = None
    if "psi" in stab:
        csi = stab.get("csi")
        top = csi.iloc[0] if isinstance(csi, pd.DataFrame) and not csi.empty else None
        stability = {
            "score_psi": rounded(stab["psi"]["psi"]),
            "score_psi_status": stab["psi"]["status"],
            "n_reference": int(stab["psi"]["n_ref"]),
            "n_target": int(stab["psi"]["n_target"]),
            "max_csi": rounded(top["csi"]) if top is not None else None,
            "max_csi_characteristic": str(top["characteristic"]) if top is not None else None,
        }
    hl = validation.hosmer_lemeshow
    grades = validation.grades
    outside: list[str] = []
    under: list[str] = []
    if isinstance(grades, pd.DataFrame) and not grades.empty:
        outside = [str(g) for g in grades.loc[grades["outside_interval"], "grade"]]
        under = [str(g) for g in grades.loc[grades["underestimated"], "grade"]]
    rounding = validation.rounding
    ff = validation.final_fit
    return {
        "schema_version": METRICS_SCHEMA_VERSION,
        "model_id": artifact.get("model_id"),
        "content_hash": artifact.get("content_hash"),
        "data": {
            "file": data.get("file"),
            "fingerprint": data.get("fingerprint"),
            "rows": data.get("rows"),
            "labelled": data.get("labelled"),
            "to_predict": data.get("to_predict"),
            "default_rate": rounded(data.get("default_rate")),
        },
        "design": {
            "seed": design.get("seed"),
            "holdout_fraction": rounded(design.get("holdout_fraction")),
            "cv_folds": design.get("n_splits"),
            "cv_repeats": design.get("n_repeats"),
            "n_labelled": design.get("n"),
            "n_development": hold.get("n_train"),
            "n_holdout": hold.get("n_test"),
            "holdout_defaults": hold.get("defaults_test"),
            "split_fingerprint": design.get("fingerprint"),
        },
        "models": models,
        "delong": None if not delong else {
            "model_a": "scorecard",
            "model_b": "challenger",
            "auc_difference": rounded(delong["difference"]),
            "ci_low": rounded(delong["ci_low"]),
            "ci_high": rounded(delong["ci_high"]),
            "z": rounded(delong["z"]),
            "p_value": rounded(delong["p_value"]),
        },
        "oracle_distance": None if not od else {
            name: {k: rounded(v) for k, v in d.items()} for name, d in od.items()},
        "rounding": {k: rounded(rounding.get(k)) for k in ("auc_unrounded", "auc_rounded",
                                                       "auc_cost")},
        "calibration": {
            "hosmer_lemeshow_statistic": rounded(hl.get("statistic")),
            "hosmer_lemeshow_dof": hl.get("dof"),
            "hosmer_lemeshow_p_value": rounded(hl.get("p_value")),
            "grades_outside_interval": outside,
            "grades_underestimated": under,
        },
        "stability": stability,
        # Which rows the published card was fitted on; for a refit on all labelled rows, how
        # it compares with the validated card on the holdout (its AUC there is in-sample).
        "final_fit": None if not ff else {
            "setting": ff["final_fit"],
            "fitted_rows": ff["fitted_rows"],
            "features_added": list(ff["features_added"]),
            "features_dropped": list(ff["features_dropped"]),
            **{k: rounded(ff[k]) for k in ("score_correlation", "grade_agreement",
                                           "mean_abs_score_difference", "auc_validated")},
            "auc_published_in_sample": rounded(ff["auc_published"]) if ff["refit"] else None,
        },
    }


def dumps_metrics(metrics: Mapping[str, Any]) -> str:
    """``metrics.json`` text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(metrics, indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"
