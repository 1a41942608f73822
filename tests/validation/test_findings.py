"""Report sentences are computed from the figures of the tables beside them."""

from __future__ import annotations

import re
from typing import Any

from validation.findings import challenger_sentence


def _models(card_auc: float, ch_auc: float, card_cv: float, ch_cv: float,
            std: float = 0.004) -> dict[str, Any]:
    def model(h: float, cv: float) -> dict[str, Any]:
        return {"holdout": {"auc": h}, "cv": {"auc_mean": cv, "auc_std": std, "n_folds": 10}}
    return {"scorecard": model(card_auc, card_cv), "challenger": model(ch_auc, ch_cv)}


def test_the_challenger_sentence_quotes_the_tables_auc_figures() -> None:
    models = _models(0.898, 0.895, 0.897, 0.896)
    text = challenger_sentence(models, {"auc_difference": 0.003, "p_value": 0.4})
    assert re.findall(r"\b0\.\d{4}\b", text)[:2] == ["0.8980", "0.8950"]
    assert "0.8970" in text and "0.8960" in text
    assert text.startswith("No measurable difference")


def test_a_challenger_far_ahead_in_cv_is_never_called_no_difference() -> None:
    # The holdout test alone is not significant, but every fold says the challenger wins.
    models = _models(0.898, 0.905, 0.897, 0.944)
    text = challenger_sentence(models, {"auc_difference": -0.007, "p_value": 0.2})
    assert "No measurable" not in text and "costs no" not in text
    assert text.startswith("The card is behind the challenger")


def test_a_significant_holdout_gap_says_which_model_is_ahead() -> None:
    worse = challenger_sentence(_models(0.898, 0.944, 0.897, 0.943),
                                {"auc_difference": -0.046, "p_value": 1e-9})
    better = challenger_sentence(_models(0.95, 0.90, 0.95, 0.90),
                                 {"auc_difference": 0.05, "p_value": 1e-6})
    assert worse.startswith("The challenger ranks significantly better")
    assert better.startswith("The card ranks significantly better")
