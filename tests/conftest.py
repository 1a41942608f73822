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


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty decision log, once on SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/log.db"
    return str(request.getfixturevalue("postgres_url"))


# ------------------------------------------------------------------ the fast inner loop
# `bash scripts/test.sh --fast` runs `-m "not slow"`. Slow: tests that fit a card on real
# data, run a whole job, start a browser, Spark, a container, Terraform or a fresh install,
# or kill processes on purpose; marked here in one place, by fixture, module and name, so a
# new test that uses a heavy fixture is slow without anyone remembering to say so.
HEAVY_FIXTURES = {"heloc_inputs", "postgres_server"}
SLOW_MODULES = {
    "tests/deploy", "tests/workbench/test_browser.py", "tests/workbench/test_own_data_browser.py",
    "tests/validation/test_report_browser.py", "tests/validation/test_monitoring_browser.py",
    "tests/api/test_docs_offline.py", "tests/api/test_schemathesis.py",
    "tests/api/test_decision_log_durability.py", "tests/jobs/test_regenerate.py",
    "tests/jobs/test_final_fit.py", "tests/jobs/test_holdout_isolation.py",
    "tests/fit/test_estimator_heloc.py", "tests/fit/test_challenger.py",
    "tests/data/test_atomic_writes.py", "tests/cli/test_mistakes.py",
    "tests/cli/test_readme_own_data.py", "tests/test_python_api.py",
    "tests/jobs/test_interaction_outputs.py",
}
SLOW_NAMES = ("spark", "heloc", "inferred_spec", "sigkill", "postgresql")
# Single tests that fit or read at full size (the rest of their module stays fast).
SLOW_TESTS = {
    "tests/data/test_real_klarna.py::test_regenerate_predicts_the_real_rows_in_a_case_format_file",
    "tests/data/test_fast_reader.py::"
    "test_fast_and_precise_paths_give_the_same_frame_or_the_same_report",
    "tests/data/test_fast_reader.py::"
    "test_the_stream_in_pieces_gives_the_precise_frame_or_the_precise_report",
    "tests/api/test_omission.py::"
    "test_a_fitted_cards_thin_missing_and_special_bins_score_no_better_than_its_floor",
    "tests/api/test_load.py::test_overload_run_sheds_with_503_only_and_a_killed_worker_is_replaced",
    "tests/fit/test_interactions.py::"
    "test_the_interactions_truth_gives_the_planted_pairs_and_no_others",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(REPO).as_posix()
        if (HEAVY_FIXTURES & set(getattr(item, "fixturenames", ()))
                or any(where == m or where.startswith(m + "/") for m in SLOW_MODULES)
                or any(n in item.name.lower() for n in SLOW_NAMES)
                or f"{where}::{item.name.split('[')[0]}" in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
