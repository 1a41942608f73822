"""The published card's final fit: validated on the holdout as a development fit, then refit
on every labelled row (``all_labelled``) or published as validated (``development``)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard.data.contract import KLARNA
from scorecard.data.files import read_dataset, write_dataset
from scorecard.data.synthetic.generator import generate
from scorecard.fit.estimator import Scorecard
from scorecard.fit.spec import KLARNA_SPEC
from scorecard.jobs.regenerate import RegenerateConfig, regenerate
from validation.plain import rounded
from validation.splits import make_splits

CONFIG = RegenerateConfig(cv_folds=2, cv_repeats=1, challenger=False, compare_methods=False,
                          n_jobs=1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``data`` and one regenerate output folder per final fit, from the spec's setting."""
    tmp = tmp_path_factory.mktemp("final_fit")
    frame, _ = generate(12_000, 500, seed=13)
    data = tmp / "data.csv"
    write_dataset(frame, data, KLARNA)
    out = {"data": data}
    for final_fit in ("all_labelled", "development"):
        out[final_fit] = tmp / final_fit
        regenerate(replace(KLARNA_SPEC, final_fit=final_fit), data, out[final_fit],
                   config=CONFIG)
    return out


def _card(folder: Path) -> dict:
    return json.loads((folder / "scorecard.json").read_text())


def _binning_totals(folder: Path) -> set[int]:
    return {int(pd.read_csv(p)["count"].sum()) for p in (folder / "binning").glob("*.csv")}


def _design(data: Path) -> tuple[pd.DataFrame, np.ndarray, object]:
    labelled = read_dataset(data, KLARNA).labelled
    y = labelled["default"].to_numpy(dtype=int)
    return labelled, y, make_splits(y, holdout_fraction=CONFIG.holdout_share,
                                    n_splits=CONFIG.cv_folds, n_repeats=CONFIG.cv_repeats,
                                    seed=CONFIG.seed)


def test_with_all_labelled_the_published_card_is_fitted_on_every_labelled_row(
        runs: dict[str, Path]) -> None:
    labelled, _, design = _design(runs["data"])
    card = _card(runs["all_labelled"])
    data = card["metadata"]["training_data"]
    assert data["fitted_rows"] == data["labelled"] == len(labelled)
    assert data["fitted_on"] == "all labelled rows (development + holdout)"
    assert card["metadata"]["config"]["final_fit"] == "all_labelled"
    assert card["spec"]["final_fit"] == "all_labelled"
    # Every binning table (in the card or not) counts all labelled rows, as do the card's bins.
    assert _binning_totals(runs["all_labelled"]) == {len(labelled)}
    assert {sum(b["count"] for b in f["bins"]) for f in card["features"]} == {len(labelled)}
    assert card["reference"]["sample"] == "all labelled"
    assert card["reference"]["rows"] == len(labelled)
    # ... and it is not the development fit: other counts, other points.
    dev_card = _card(runs["development"])
    assert card["features"] != dev_card["features"]
    assert len(design.development) < len(labelled)


def test_both_final_fits_validate_the_same_development_fit(runs: dict[str, Path]) -> None:
    a = json.loads((runs["all_labelled"] / "metrics.json").read_text())
    d = json.loads((runs["development"] / "metrics.json").read_text())
    assert a["models"] == d["models"]
    assert a["rounding"] == d["rounding"] and a["calibration"] == d["calibration"]
    # Its holdout AUC is the honest one; the refit's on the same rows is in-sample.
    assert a["final_fit"]["auc_validated"] == a["models"]["scorecard"]["holdout"]["auc"]
    assert a["final_fit"]["auc_published_in_sample"] is not None
    assert d["final_fit"]["auc_published_in_sample"] is None
    assert d["final_fit"]["score_correlation"] == 1.0 == d["final_fit"]["grade_agreement"]
    assert a["final_fit"]["score_correlation"] < 1.0


def test_development_publishes_the_card_fitted_on_the_development_rows(
        runs: dict[str, Path]) -> None:
    labelled, y, design = _design(runs["data"])
    dev = design.development
    fitted = Scorecard(KLARNA_SPEC, scaling=CONFIG.scaling, random_state=CONFIG.seed).fit(
        labelled.iloc[dev], y[dev])
    card = _card(runs["development"])
    assert [f["name"] for f in card["features"]] == fitted.features_
    for f in card["features"]:
        assert [b["points"] for b in f["bins"]] == fitted.points_[f["name"]].tolist()
    assert card["intercept"] == rounded(fitted.joint_.intercept_)  # as published
    assert card["metadata"]["training_data"]["fitted_rows"] == len(dev)
    assert card["reference"]["sample"] == "development"
    assert _binning_totals(runs["development"]) == {len(dev)}
    log = pd.read_csv(runs["development"] / "selection_log.csv")
    assert "final_fit" not in set(log["step"])


def test_the_report_says_which_rows_the_published_card_was_fitted_on(
        runs: dict[str, Path]) -> None:
    labelled, _, design = _design(runs["data"])
    n, n_dev = f"{len(labelled):,}", f"{len(design.development):,}"
    doc = (runs["all_labelled"] / "MODEL.md").read_text()
    assert f"Published card refitted on all {n} labelled rows" in doc
    assert f"validate its fit on the {n_dev} development rows" in doc
    page = (runs["all_labelled"] / "validation.html").read_text()
    assert "The rows the published card was fitted on" in page
    assert f"was refitted on all {n} labelled rows (development + holdout)" in page
    assert "in-sample: the refit saw these rows" in page
    assert "Mean |Δ points|" in page
    log = pd.read_csv(runs["all_labelled"] / "selection_log.csv")
    refit = log[log["step"] == "final_fit"]
    assert refit["decision"].tolist() == ["refit"]
    assert f"refit on all {len(labelled)} labelled rows" in refit["reason"].iloc[0]
    # Neither the refit's row nor a pair searched is a candidate characteristic.
    candidates = int((~log["step"].isin(["final_fit", "interaction"])).sum())
    assert f"{candidates} candidates" in doc

    doc = (runs["development"] / "MODEL.md").read_text()
    assert f"Published card: the validated fit on the {n_dev} development rows" in doc
    page = (runs["development"] / "validation.html").read_text()
    assert "spec final_fit = development" in page


def test_the_refit_in_a_second_process_publishes_the_same_bytes_as_in_this_one(
        runs: dict[str, Path], tmp_path: Path) -> None:
    # n_jobs=2 refits the published card in a worker process while the validation runs
    regenerate(replace(KLARNA_SPEC, final_fit="all_labelled"), runs["data"], tmp_path,
               config=replace(CONFIG, n_jobs=2))
    for name in ("scorecard.json", "coefficients.csv", "selection_log.csv", "predictions.csv"):
        assert (tmp_path / name).read_bytes() == (runs["all_labelled"] / name).read_bytes()


def test_a_script_without_a_main_guard_validates_with_a_second_process(
        runs: dict[str, Path], tmp_path: Path) -> None:
    # What a modeller's first script looks like: no `if __name__ == "__main__":`. A worker
    # that re-ran it would start workers of its own, without end.
    script = tmp_path / "notebook.py"
    script.write_text(
        "from pathlib import Path\n"
        "from scorecard.data.contract import KLARNA\n"
        "from scorecard.data.files import read_dataset\n"
        "from scorecard.fit.estimator import Scorecard\n"
        "from scorecard.fit.spec import KLARNA_SPEC\n"
        f"data = read_dataset(Path({str(runs['data'])!r}), KLARNA)\n"
        "card = Scorecard(KLARNA_SPEC)\n"
        "card.validate(data, cv_folds=2, cv_repeats=1, challenger=False,\n"
        "              compare_methods=False, n_jobs=2)\n"
        "print('published', card.artifact_['model_id'])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("published klarna-")
    assert "bootstrapping phase" not in done.stderr
