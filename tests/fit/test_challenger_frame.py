"""The challenger sees every column as the card does: on an inferred spec (open categories,
no ``allowed`` lists) its categorical columns carry their observed labels, never a default
list that would blank them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from scorecard.data.files import read_dataset
from scorecard.fit.challenger import GradientBoostedChallenger
from scorecard.fit.spec import load_spec
from scorecard.fit.spec_inference import infer_spec
from scorecard.fit.validate import challenger_frame
from validation.discrimination import roc_auc
from validation.splits import make_splits

FAST = {"param_grid": {"learning_rate": [0.1], "max_leaf_nodes": [15],
                       "min_samples_leaf": [20]}, "n_splits": 2, "max_iter": 150}


def _informative_categories(path: Path, rows: int = 6_000, seed: int = 0) -> Path:
    """A credit CSV whose risk lives mostly in two categorical columns (text labels, one of
    them rare-labelled) beside one weak numeric column."""
    rng = np.random.default_rng(seed)
    housing = rng.choice(["own", "rent", "family", "other"], rows, p=[0.4, 0.35, 0.2, 0.05])
    purpose = rng.choice(["car", "tv", "business", "education", "repairs", "holiday"], rows)
    income = rng.lognormal(8, 0.4, rows)
    logit = (-1.2 + 1.4 * (housing == "rent") + 2.0 * (housing == "other")
             - 0.8 * (housing == "own") + 1.5 * (purpose == "business")
             + 1.0 * (purpose == "holiday") - 1.0 * (purpose == "car")
             - 0.2 * np.log(income / 3000))
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    pd.DataFrame({"id": np.arange(rows), "housing": housing, "purpose": purpose,
                  "income": income.round(2), "bad": y}).to_csv(path, index=False)
    return path


def test_the_challenger_uses_the_categoricals_of_an_inferred_spec(tmp_path: Path) -> None:
    data = _informative_categories(tmp_path / "credit.csv")
    spec_path = tmp_path / "credit.spec.json"
    inferred = infer_spec(data, target="bad")
    spec_path.write_text(json.dumps(inferred.spec))
    spec = load_spec(str(spec_path))
    assert {"housing", "purpose"} <= set(spec.categorical)
    assert all(spec.contract.column(c).allowed is None for c in ("housing", "purpose"))
    labelled = read_dataset(data, spec.contract).labelled
    y = labelled[spec.contract.target].to_numpy(dtype=int)
    design = make_splits(y, seed=0, holdout_fraction=0.3, n_splits=2, n_repeats=1)
    X = challenger_frame(spec, labelled, design.development)
    assert sorted(X["housing"].cat.categories) == ["family", "other", "own", "rent"]
    assert X["housing"].isna().sum() == 0 and X["purpose"].isna().sum() == 0
    blanked = X.copy()
    for col in spec.categorical:
        blanked[col] = pd.Categorical([None] * len(X), categories=X[col].cat.categories)

    def holdout_auc(frame: pd.DataFrame) -> float:
        model = GradientBoostedChallenger(**FAST).fit(frame.iloc[design.development],
                                                      y[design.development])
        return roc_auc(y[design.holdout], model.predict_pd(frame.iloc[design.holdout]))

    seeing, blind = holdout_auc(X), holdout_auc(blanked)
    assert seeing > blind + 0.1, (seeing, blind)


def test_a_label_the_development_rows_never_showed_is_missing_to_the_challenger(
        tmp_path: Path) -> None:
    data = _informative_categories(tmp_path / "credit.csv", rows=400)
    spec_path = tmp_path / "credit.spec.json"
    spec_path.write_text(json.dumps(infer_spec(data, target="bad").spec))
    spec = load_spec(str(spec_path))
    frame = read_dataset(data, spec.contract).labelled.reset_index(drop=True)
    frame.loc[0, "housing"] = "castle"  # only in a row outside the development rows
    development = np.arange(1, len(frame))
    X = challenger_frame(spec, frame, development)
    assert "castle" not in X["housing"].cat.categories
    assert pd.isna(X.loc[0, "housing"])
    assert X["housing"].iloc[1:].notna().all()
