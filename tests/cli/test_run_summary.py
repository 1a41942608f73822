"""``scorecard run`` / ``regenerate`` end with a few lines a person reads, not sixty figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scorecard.cli.model import summary
from tests.support.paths import REPO

REPORTS = REPO / "reports"


def _metrics() -> dict:
    """What ``regenerate`` returned for the committed card (stored in its metadata)."""
    return json.loads((REPORTS / "scorecard.json").read_text())["metadata"]["metrics"]


def test_the_summary_of_the_committed_run() -> None:
    text = summary(_metrics(), REPORTS)
    report = json.loads((REPORTS / "metrics.json").read_text())
    hold = report["models"]["scorecard"]["holdout"]
    lines = text.splitlines()
    assert 4 <= len(lines) <= 8, text
    assert lines[0] == f"done: {report['model_id']} in {REPORTS.resolve()}"
    assert (f"card holdout AUC        {hold['auc']:.4f}  (95 % CI {hold['auc_ci_low']:.4f}-"
            f"{hold['auc_ci_high']:.4f})") in text
    assert f"challenger holdout AUC  {_metrics()['challenger_holdout_auc']:.4f}" in text
    assert f"oracle holdout AUC      {_metrics()['oracle_holdout_auc']:.4f}" in text
    assert lines[-1] == "serve it: scorecard serve"  # the default card: no flag needed
    assert "=" not in text  # no key=value dump


def test_a_run_elsewhere_without_challenger_or_oracle(tmp_path: Path) -> None:
    shutil.copyfile(REPORTS / "metrics.json", tmp_path / "metrics.json")
    metrics = {k: v for k, v in _metrics().items()
               if not k.startswith(("challenger", "oracle"))}
    text = summary(metrics, tmp_path)
    assert "challenger" not in text and "oracle" not in text
    assert text.splitlines()[-1] == (f"serve it: scorecard serve --artifact "
                                     f"{tmp_path.resolve() / 'scorecard.json'}")
    (tmp_path / "metrics.json").unlink()  # no CI to quote: the AUC alone, no failure
    assert f"card holdout AUC        {metrics['scorecard_holdout_auc']:.4f}\n" in summary(
        metrics, tmp_path)
