"""``scorecard monitor`` against generated periods with a known drift (the truth is known).

The committed card (``reports/scorecard.json``, which carries its development reference)
monitors fresh generated periods: stable periods must not alert, a drift introduced in
period k must alert in period k.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from scorecard.card.artifact import ArtifactError, load_artifact, seal, verify
from scorecard.cli import main
from scorecard.data.errors import ContractError
from scorecard.data.synthetic.drift import Drift, generate_period
from scorecard.jobs.monitor import monitor_frames, split_periods

REPO = Path(__file__).resolve().parents[2]
CARD = REPO / "reports" / "scorecard.json"
ROWS = 5000
COLUMN = "avg_payment_span_0_12m"  # a characteristic of the card


@pytest.fixture(scope="module")
def card() -> dict:
    return load_artifact(CARD)


def _periods(seed: int, drifts: list[str], n: int = 3) -> list[tuple[str, object]]:
    parsed = [Drift.parse(d, n) for d in drifts]
    return [(f"p{k}", generate_period(k, ROWS, 0, seed, parsed)[0]) for k in range(1, n + 1)]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_stable_periods_do_not_alert(card: dict, seed: int) -> None:
    report = monitor_frames(card, _periods(seed, []), True, "default")
    assert not report["breached"], [p["breaches"] for p in report["periods"]]
    for p in report["periods"]:
        assert p["score"]["light"] == "green" and p["volume"] == ROWS
        assert p["outcomes"]["auc"]["p_value"] > 0.01


@pytest.mark.parametrize("seed", [21, 22])
def test_a_population_shift_alerts_in_its_period_only_on_its_characteristic(
        card: dict, seed: int) -> None:
    report = monitor_frames(card, _periods(seed, [f"shift:{COLUMN}@3"]), False, "default")
    stable, drifted = report["periods"][:2], report["periods"][2]
    assert all(not p["breaches"] for p in stable)
    assert drifted["breaches"], drifted
    red = [c["name"] for c in drifted["characteristics"] if c["light"] == "red"]
    assert red == [COLUMN]
    assert drifted["outcomes"] is None  # no --outcomes: no back-test


@pytest.mark.parametrize("seed", [31, 32])
def test_a_risk_deterioration_alerts_on_outcomes_not_on_the_population(card: dict,
                                                                       seed: int) -> None:
    report = monitor_frames(card, _periods(seed, ["risk@2"]), True, "default")
    first, second, third = report["periods"]
    assert not first["breaches"]
    for p in (second, third):  # from period 2 on
        assert p["outcomes"]["calibration"]["alert"]
        assert p["outcomes"]["calibration"]["default_rate"] > 1.5 * p["outcomes"][
            "calibration"]["mean_pd"]
        assert p["score"]["light"] == "green"  # the mix did not move, the risk did
    assert report["breached"]


def test_cli_exit_codes_files_and_byte_identical_reruns(tmp_path: Path) -> None:
    data = tmp_path / "m.csv"
    assert main(["generate-data", "--output", str(data), "--rows", str(ROWS), "--unlabelled",
                 "500", "--periods", "2", "--seed", "5", "--quiet"]) == 0
    files = [str(tmp_path / "m.p01.csv"), str(tmp_path / "m.p02.csv")]
    out = tmp_path / "ok"
    assert main(["monitor", "--artifact", str(CARD), "--input", *files, "--outcomes",
                 "--out", str(out)]) == 0
    report = json.loads((out / "monitoring.json").read_text())
    assert [p["name"] for p in report["periods"]] == ["m.p01", "m.p02"]
    assert report["periods"][0]["outcomes"]["n"] == ROWS - 500
    first = (out / "monitoring.html").read_bytes()
    assert main(["monitor", "--artifact", str(CARD), "--input", *files, "--outcomes",
                 "--out", str(out)]) == 0
    assert (out / "monitoring.html").read_bytes() == first

    assert main(["generate-data", "--output", str(data), "--rows", str(ROWS), "--periods", "2",
                 "--unlabelled", "0", "--drift", f"shift:{COLUMN}=1.5@2", "--quiet"]) == 0
    assert main(["monitor", "--artifact", str(CARD), "--input", *files,
                 "--out", str(tmp_path / "bad")]) == 5


def test_one_file_split_by_a_period_column(card: dict, tmp_path: Path) -> None:
    frame = _periods(1, [], n=1)[0][1]
    periods = split_periods(frame, "merchant_group", None)
    assert sum(len(f) for _, f in periods) == ROWS
    assert [n for n, _ in periods] == sorted(frame["merchant_group"].unique())
    report = monitor_frames(card, periods, False, None)
    assert [p["volume"] for p in report["periods"]] == [len(f) for _, f in periods]


def test_cli_mistakes_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["monitor", "--artifact", str(CARD), "--out", str(tmp_path)]) == 2
    assert "give one of --input" in capsys.readouterr().err
    assert main(["generate-data", "--output", str(tmp_path / "x.csv"), "--periods", "2",
                 "--drift", "shift:nope@1"]) == 2
    assert "not a feature column" in capsys.readouterr().err
    assert main(["generate-data", "--output", str(tmp_path / "x.csv"), "--periods", "2",
                 "--drift", "risk@3"]) == 2
    assert "not in 1..2" in capsys.readouterr().err


def test_the_reference_is_sealed_and_checked(card: dict) -> None:
    ref = card["reference"]
    assert sum(ref["score_bands"]["counts"]) == ref["rows"] == sum(ref["grades"]["counts"])
    assert len(ref["score_bands"]["counts"]) == len(ref["score_bands"]["edges"]) + 1
    edited = copy.deepcopy(card)
    edited["reference"]["score_bands"]["counts"][0] += 1
    with pytest.raises(ArtifactError, match="content_hash"):
        verify(edited)
    body = {k: v for k, v in edited.items() if k not in ("content_hash", "model_id")}
    with pytest.raises(ArtifactError, match=r"reference\.score_bands\.counts"):
        verify(seal(body))
    body["reference"]["score_bands"]["counts"][0] -= 1
    body["features"][0]["bins"][0]["count"] += 1
    with pytest.raises(ArtifactError, match="bin counts of"):
        verify(seal(body))


def test_dates_group_into_calendar_months_and_quarters(card: dict) -> None:
    frame = _periods(2, [], n=1)[0][1].iloc[:6].copy()
    frame["when"] = ["2026-01-05", "2026-01-31", "2026-02-01", "2026-04-30", "2026-05-02",
                     "2026-12-31"]
    months = split_periods(frame, "when", "month")
    assert [(n, len(f)) for n, f in months] == [("2026-01", 2), ("2026-02", 1), ("2026-04", 1),
                                                ("2026-05", 1), ("2026-12", 1)]
    quarters = split_periods(frame, "when", "quarter")
    assert [(n, len(f)) for n, f in quarters] == [("2026Q1", 3), ("2026Q2", 2), ("2026Q4", 1)]
    frame.loc[frame.index[3], "when"] = "not a date"
    with pytest.raises(ContractError, match="row 4"):
        split_periods(frame, "when", "month")


def test_monitor_tracks_the_adverse_impact_ratios_of_protected_attributes(
        card: dict, tmp_path: Path) -> None:
    from scorecard.card.engine import ScoringEngine
    from scorecard.fit.groups import age_bands
    from scorecard.jobs.fairness import default_cutoff
    from scorecard.jobs.monitor import write_outputs
    from validation.fairness import group_figures

    protected = copy.deepcopy(card)
    protected["spec"]["protected"] = ["age"]
    protected = seal(protected)
    periods = _periods(21, [], n=2)
    report = monitor_frames(protected, periods, False, "default")
    engine_score = ScoringEngine(protected)
    for p, (_, frame) in zip(report["periods"], periods, strict=True):
        score = engine_score.score(frame).score
        fig = group_figures(score, score >= default_cutoff(protected),
                            age_bands(frame["age"]))
        ratios = p["fairness"]["columns"]["age"]["ratios"]
        assert ratios == {g["group"]: g["air"]["ratio"] for g in fig["groups"] if g["tested"]}
    write_outputs(report, tmp_path)
    assert "Adverse impact ratio by age per period" in (tmp_path / "monitoring.html").read_text()
    # the committed card names no protected attribute: no fairness figures
    assert "fairness" not in monitor_frames(card, periods, False, "default")["periods"][0]
