"""The Python API: what a notebook does gives what ``scorecard regenerate`` publishes.

A notebook fits ``Scorecard(load_spec("heloc"))`` on HELOC rows and gets the same
``scorecard.json`` bytes as ``regenerate`` on those rows; its typed ``ValidationResult``
gives exactly the ``metrics.json`` the job writes, and every figure there reads back as
the result's own. The README's example runs as written (on a HELOC sample).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard.data.contract import Column, Contract
from scorecard.fit.selection import SelectionConfig
from scorecard.fit.spec import METHOD_DEFAULTS, DatasetSpec
from tests.support.builders import build_synthetic
from tests.support.paths import shared
from validation.metrics_json import HOLDOUT_KEYS, METRIC_KEYS, build_metrics, dumps_metrics
from validation.plain import rounded
from validation.result import ValidationResult

REPO = Path(__file__).resolve().parents[1]
# Quick settings for the tests; the same for the job and the notebook.
QUICK = {"cv_folds": 2, "cv_repeats": 1, "challenger": False}


@pytest.fixture(scope="module")
def heloc_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every eighth HELOC row (about 1,300), as a file of its own."""
    lines = shared("heloc/heloc_dataset_v1.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("heloc") / "heloc_sample.csv"
    path.write_text("\n".join([lines[0], *lines[1::8]]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def regenerated(heloc_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scorecard.fit.spec import HELOC_SPEC
    from scorecard.jobs.regenerate import RegenerateConfig, regenerate

    out = tmp_path_factory.mktemp("regenerated")
    regenerate(HELOC_SPEC, heloc_sample, out, config=RegenerateConfig(**QUICK))
    return out


@pytest.mark.slow
@pytest.mark.shared
def test_a_notebook_publishes_the_card_regenerate_publishes(heloc_sample: Path,
                                                              regenerated: Path,
                                                              tmp_path: Path) -> None:
    from scorecard import Scorecard, load_spec, read_dataset

    spec = load_spec("heloc")
    data = read_dataset(heloc_sample, spec.contract)
    card = Scorecard(spec)
    result = card.validate(data, **QUICK)
    card.save(tmp_path / "scorecard.json")
    assert (tmp_path / "scorecard.json").read_bytes() == (
        regenerated / "scorecard.json").read_bytes()
    assert card.method_ == "joint" and card.artifact_["metadata"]["config"]["card_method"] == (
        "joint")
    # The typed result gives the job's metrics.json, byte for byte.
    assert isinstance(result, ValidationResult) and result is card.validation_
    assert dumps_metrics(build_metrics(card.artifact_, result)) == (
        regenerated / "metrics.json").read_text(encoding="utf-8")
    assert card.artifact_["metadata"]["metrics"] == result.headline


def _metrics_read_back_as_the_result(metrics: dict, result: ValidationResult) -> None:
    """Every figure of ``metrics.json`` is the result's own figure, rounded as written."""
    assert set(metrics["models"]) == set(result.models)
    for name, m in result.models.items():
        for k in HOLDOUT_KEYS:
            assert metrics["models"][name]["holdout"][k] == rounded(m["holdout"][k]), (name, k)
        cv = metrics["models"][name]["cv"]
        if "cv" in m:
            assert cv["n_folds"] == len(m["cv"]["folds"])
            for k in METRIC_KEYS:
                assert cv[f"{k}_mean"] == rounded(m["cv"][f"{k}_mean"]), (name, k)
                assert cv[f"{k}_std"] == rounded(m["cv"][f"{k}_std"]), (name, k)
        else:
            assert cv is None
    assert metrics["rounding"] == {k: rounded(v) for k, v in result.rounding.items()}
    hl = result.hosmer_lemeshow
    assert (metrics["calibration"]["hosmer_lemeshow_statistic"],
            metrics["calibration"]["hosmer_lemeshow_dof"],
            metrics["calibration"]["hosmer_lemeshow_p_value"]) == (
        rounded(hl["statistic"]), hl["dof"], rounded(hl["p_value"]))
    outside = result.grades.loc[result.grades["outside_interval"], "grade"].tolist()
    assert metrics["calibration"]["grades_outside_interval"] == outside
    hold = result.holdout_split
    assert (metrics["design"]["n_development"], metrics["design"]["n_holdout"],
            metrics["design"]["split_fingerprint"]) == (
        hold["n_train"], hold["n_test"], result.design["fingerprint"])
    if result.delong is None:
        assert metrics["delong"] is None
    else:
        assert metrics["delong"]["p_value"] == rounded(result.delong["p_value"])
    if "psi" in result.stability:
        assert metrics["stability"]["score_psi"] == rounded(result.stability["psi"]["psi"])
    else:
        assert metrics["stability"] is None
    ff = result.final_fit
    if ff is None:
        assert metrics["final_fit"] is None
    else:
        assert metrics["final_fit"]["fitted_rows"] == ff["fitted_rows"]
        assert metrics["final_fit"]["auc_validated"] == rounded(ff["auc_validated"])


@pytest.mark.slow
@pytest.mark.shared
def test_the_written_metrics_json_reads_back_as_the_validation_result(
        heloc_sample: Path, regenerated: Path) -> None:
    from scorecard import Scorecard, load_spec, read_dataset

    spec = load_spec("heloc")
    card = Scorecard(spec, final_fit="development")
    result = card.validate(read_dataset(heloc_sample, spec.contract), **QUICK)
    assert result.final_fit is not None and result.final_fit["refit"] is False
    text = dumps_metrics(build_metrics(card.artifact_, result))
    _metrics_read_back_as_the_result(json.loads(text), result)
    # The job's file (published card refitted on all rows) likewise: same holdout figures.
    written = json.loads((regenerated / "metrics.json").read_text(encoding="utf-8"))
    assert written["models"] == json.loads(text)["models"]


@pytest.mark.parametrize("full", [True, False])
def test_a_synthetic_result_round_trips_to_metrics_json(full: bool) -> None:
    artifact, result, *_ = build_synthetic(full=full)
    metrics = build_metrics(artifact, result)
    _metrics_read_back_as_the_result(metrics, result)
    assert json.loads(dumps_metrics(metrics)) == metrics


def test_a_validation_result_is_frozen() -> None:
    _, result, *_ = build_synthetic(full=False)
    with pytest.raises(AttributeError):
        result.models = {}  # type: ignore[misc]
    # The published card's comparison is added as a copy.
    updated = result.with_final_fit({"refit": False})
    assert updated.final_fit == {"refit": False} and result.final_fit is None


# ------------------------------------------------------------------ one table of defaults

TOY = Contract(
    name="toy_api",
    columns=(Column("uid", "id"), Column("bad", "target", allowed=(0, 1)),
             Column("a", "numeric", min=0, max=100), Column("b", "numeric", min=0, max=100)),
    id_column="uid", target="bad", separator=",", na_value="",
)


def _toy(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
    y = (rng.random(n) < 1 / (1 + np.exp(3 - 0.03 * a + 0.02 * b))).astype(int)
    frame = pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "bad": y.astype(float),
                          "a": a, "b": b})
    return frame, y


@pytest.mark.parametrize("method", ["joint", "woe"])
def test_every_method_default_comes_from_the_one_table(method: str) -> None:
    from scorecard import Scorecard

    X, y = _toy()
    d = METHOD_DEFAULTS[method]
    # Whether the method comes from the spec or from the parameter, its defaults follow it.
    for card in (Scorecard(DatasetSpec("toy_api", TOY, card_method=method)),
                 Scorecard(DatasetSpec("toy_api", TOY, card_method="woe" if method == "joint"
                                       else "joint"), method=method)):
        card.fit(X, y)
        assert card.method_ == method
        assert card.binning_ == {"min_bin_share": d.min_bin_share, "max_n_bins": d.max_n_bins,
                                 "min_bin_n_event": d.min_bin_n_event,
                                 "max_n_prebins": d.max_n_prebins}
        assert card.selection_ == SelectionConfig(**d.selection)
        assert card.binner_.max_n_bins == d.max_n_bins
        assert card.binner_.min_bin_n_event == d.min_bin_n_event
        assert card.interaction_budget_s_ == d.interaction_budget_s


def test_a_given_parameter_wins_over_the_table_and_is_stored_verbatim() -> None:
    from scorecard import Scorecard

    X, y = _toy()
    card = Scorecard(DatasetSpec("toy_api", TOY), method="joint", max_n_bins=4)
    assert card.get_params()["max_n_bins"] == 4 and card.get_params()["min_bin_share"] is None
    card.fit(X, y)
    assert card.binning_["max_n_bins"] == 4
    assert card.binning_["min_bin_share"] == METHOD_DEFAULTS["joint"].min_bin_share
    assert all(len(p) <= 4 + 2 for p in card.points_.values())  # regular + special/missing


def test_score_reasons_and_table_agree_with_the_engine() -> None:
    from scorecard import Scorecard, ScoringEngine

    X, y = _toy()
    card = Scorecard(DatasetSpec("toy_api", TOY, reason_prefix="T")).fit(X, y)
    scored = ScoringEngine(card.to_artifact({}, {})).score(X)
    np.testing.assert_array_equal(card.score(X), scored.score)
    np.testing.assert_array_equal(card.predict_proba(X)[:, 1], scored.pd)
    reasons = card.reasons(X, top=2)
    assert list(reasons.columns) == ["reason_1", "reason_2"] and len(reasons) == len(X)
    assert set(reasons.to_numpy().ravel()) <= {"T01", "T02", ""}
    table = card.table()
    for name in card.features_:
        assert table.loc[table["characteristic"] == name, "points"].tolist() == (
            card.points_[name].tolist())


def test_a_bad_method_or_final_fit_is_refused_when_fitting() -> None:
    from scorecard import Scorecard

    X, y = _toy(500)
    with pytest.raises(ValueError, match="method must be one of"):
        Scorecard(DatasetSpec("toy_api", TOY), method="tree").fit(X, y)
    with pytest.raises(ValueError, match="final_fit must be one of"):
        Scorecard(DatasetSpec("toy_api", TOY), final_fit="everything").fit(X, y)


# ------------------------------------------------------------------ the package's names


def test_importing_the_package_loads_no_training_stack() -> None:
    code = ("import sys, scorecard; heavy = [m for m in ('pandas', 'sklearn', 'optbinning', "
            "'scorecard.fit', 'scorecard.data.files') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_each_public_name_has_one_defining_module() -> None:
    import scorecard
    from scorecard.card.engine import ScoringEngine
    from scorecard.data.files import read_dataset
    from scorecard.fit.estimator import Scorecard
    from scorecard.fit.spec import load_spec

    assert (scorecard.Scorecard, scorecard.load_spec, scorecard.read_dataset,
            scorecard.ScoringEngine) == (Scorecard, load_spec, read_dataset, ScoringEngine)
    assert set(scorecard.__all__) == {"Scorecard", "ScoringEngine", "load_spec",
                                      "read_dataset", "__version__"}
    with pytest.raises(AttributeError, match="no attribute 'Scorcard'"):
        _ = scorecard.Scorcard  # type: ignore[attr-defined]


# ------------------------------------------------------------------ the README's example


def _readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the Python API section has one example"
    return blocks[0]


@pytest.mark.slow
@pytest.mark.shared
def test_the_readme_example_runs_and_saves_the_published_card(
        heloc_sample: Path, regenerated: Path, tmp_path: Path) -> None:
    code = _readme_example()
    shared_path = "../shared/data/heloc/heloc_dataset_v1.csv"
    assert shared_path in code
    out = subprocess.run([sys.executable, "-c", code.replace(shared_path, str(heloc_sample))],
                         capture_output=True, text=True, cwd=tmp_path, timeout=1200,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "holdout AUC" in out.stdout and "reason_1" in out.stdout
    assert (tmp_path / "heloc_card.json").read_bytes() == (
        regenerated / "scorecard.json").read_bytes()
