"""Shared fixtures: paths to the real data beside the repository (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import REPO, shared


@pytest.fixture(scope="session")
def klarna_real_path() -> Path:
    """The 10,000 real unlabelled Klarna rows (``../shared/data/klarna``)."""
    return shared("klarna/dataset_unlabelled_10k.csv")


@pytest.fixture(scope="session")
def klarna_peers_path() -> Path:
    """Nine public solutions' predictions for the real 10k rows."""
    return shared("klarna/peer_predictions_10k.csv")


@pytest.fixture(scope="session")
def heloc_path() -> Path:
    """The real labelled FICO HELOC data set."""
    return shared("heloc/heloc_dataset_v1.csv")


@pytest.fixture(scope="session")
def artifact_path() -> Path:
    """The committed Klarna card, ``reports/scorecard.json`` (produced by ``scorecard run``)."""
    path = REPO / "reports" / "scorecard.json"
    assert path.exists(), "reports/scorecard.json is missing: run `scorecard run` first"
    return path
