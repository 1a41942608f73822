"""Shared fixtures: paths to the real data beside the repository (skipped when absent)."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL on loopback for this test session (:mod:`tests.support.postgres`)."""
    from tests.support import postgres

    if not postgres.available():
        pytest.skip(postgres.MISSING)
    with postgres.server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new empty database on the session's PostgreSQL."""
    from tests.support.postgres import fresh_database

    return fresh_database(postgres_server)
