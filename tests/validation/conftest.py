"""Fixtures shared by the validation tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def heloc_inputs(heloc_path: Path) -> tuple:
    """What ``regenerate`` passes to ``write_reports`` on HELOC, through the Python API:
    the sealed card, the validation result, the selection log and the coefficients."""
    from scorecard import Scorecard, load_spec, read_dataset

    spec = load_spec("heloc")
    card = Scorecard(spec)
    result = card.validate(read_dataset(heloc_path, spec.contract), challenger=False,
                           cv_folds=2, cv_repeats=1)
    return card.artifact_, result, card.selection_log_, card.coefficients_
