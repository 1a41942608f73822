"""Fixtures shared by the validation tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def heloc_inputs(heloc_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """The exact arguments ``regenerate`` passes to ``write_reports`` on HELOC."""
    import scorecard.jobs.regenerate as regenerate_module
    from scorecard.fit.spec import HELOC_SPEC
    from scorecard.jobs.regenerate import RegenerateConfig, regenerate

    captured: list[tuple] = []

    def capture(out: Path, *args: Any) -> None:
        captured.append(args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(regenerate_module, "write_reports", capture)
        regenerate(HELOC_SPEC, heloc_path, tmp_path_factory.mktemp("heloc_run"),
                   config=RegenerateConfig(challenger=False, cv_folds=2, cv_repeats=1))
    assert len(captured) == 1
    return captured[0]
