"""Holdout rows never reach fitting, selection or tuning: poisoning them leaves the card.

The holdout is drawn from the labels alone (stratified, seeded), so scrambling the feature
values of the holdout rows keeps the split. If any holdout row reached the binning, the
selection, the logistic fit or the challenger's tuning, the card or the tuned parameters
would move; the holdout figures must move (the poison is real).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scorecard.data.contract import KLARNA
from scorecard.data.files import read_dataset, write_dataset
from scorecard.data.synthetic.generator import generate
from scorecard.fit.spec import KLARNA_SPEC
from scorecard.jobs.regenerate import RegenerateConfig, regenerate
from validation.splits import make_splits

# The published card is the validated development fit here: with final_fit = "all_labelled"
# it is refitted on the holdout rows too, by design (tests/jobs/test_final_fit.py).
CONFIG = RegenerateConfig(cv_folds=2, cv_repeats=1, final_fit="development")


@pytest.mark.slow
def test_scrambling_the_holdout_rows_changes_no_fitted_number(tmp_path: Path) -> None:
    frame, _ = generate(12_000, 500, seed=13)
    clean = tmp_path / "clean.csv"
    write_dataset(frame, clean, KLARNA)
    labelled = read_dataset(clean, KLARNA).labelled
    y = labelled["default"].to_numpy(dtype=int)
    design = make_splits(y, holdout_fraction=CONFIG.holdout_share, n_splits=CONFIG.cv_folds,
                         n_repeats=CONFIG.cv_repeats, seed=CONFIG.seed)
    holdout_rows = labelled.index[design.holdout]
    rng = np.random.default_rng(0)
    poisoned = frame.copy()
    features = [c.name for c in KLARNA.features]
    # Each holdout row gets another holdout row's features: valid rows, wrong labels.
    poisoned.loc[holdout_rows, features] = frame.loc[rng.permutation(holdout_rows),
                                                     features].to_numpy()
    dirty = tmp_path / "poisoned.csv"
    write_dataset(poisoned, dirty, KLARNA)

    a, b = tmp_path / "a", tmp_path / "b"
    regenerate(KLARNA_SPEC, clean, a, config=CONFIG)
    regenerate(KLARNA_SPEC, dirty, b, config=CONFIG)
    card_a = json.loads((a / "scorecard.json").read_text())
    card_b = json.loads((b / "scorecard.json").read_text())
    assert card_a["features"] == card_b["features"]
    assert card_a["intercept"] == card_b["intercept"]
    for name in ("coefficients.csv", "selection_log.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    metrics_a = json.loads((a / "metrics.json").read_text())["models"]
    metrics_b = json.loads((b / "metrics.json").read_text())["models"]
    assert metrics_a["scorecard"]["cv"] == metrics_b["scorecard"]["cv"]
    assert metrics_a["challenger"]["cv"] == metrics_b["challenger"]["cv"]
    assert metrics_a["scorecard"]["holdout"]["auc"] != metrics_b["scorecard"]["holdout"]["auc"]
    assert card_a["metadata"]["metrics"]["scorecard_holdout_auc"] > (
        card_b["metadata"]["metrics"]["scorecard_holdout_auc"] + 0.05)
