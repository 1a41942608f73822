"""The commands on the real 10,000 unlabelled Klarna rows (skipped without ../shared)."""

from __future__ import annotations

import pandas as pd

from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.files import read_dataset, write_dataset
from scorecard.data.synthetic.generator import generate


def test_predict_scores_every_real_uuid(artifact_path, klarna_real_path, tmp_path) -> None:
    out = tmp_path / "real_predictions.csv"
    assert main(["predict", "--artifact", str(artifact_path), "--input",
                 str(klarna_real_path), "--output", str(out)]) == 0
    pred = pd.read_csv(out)
    real = read_dataset(klarna_real_path).frame
    assert list(pred.columns[:3]) == ["uuid", "pd", "score"]
    assert pred["uuid"].tolist() == real["uuid"].tolist()  # all 10,000, input order
    assert pred["pd"].between(0, 1, inclusive="neither").all()
    # The real rows average near the case's known 1.43 % default rate.
    assert 0.008 < pred["pd"].mean() < 0.025


def test_regenerate_predicts_the_real_rows_in_a_case_format_file(klarna_real_path,
                                                                 tmp_path) -> None:
    """A user with the case's dataset.csv: labelled rows plus the real rows to predict."""
    labelled, _ = generate(n_rows=30_000, n_unlabelled=0, seed=11)
    real = read_dataset(klarna_real_path).frame
    data = tmp_path / "dataset.csv"
    write_dataset(pd.concat([labelled, real], ignore_index=True), data, KLARNA)
    out = tmp_path / "reports"
    assert main(["regenerate", "--data", str(data), "--out", str(out), "--no-challenger",
                 "--quiet"]) == 0
    pred = pd.read_csv(out / "predictions.csv")
    assert list(pred.columns) == ["uuid", "pd"]
    assert pred["uuid"].tolist() == real["uuid"].tolist()
