"""``scorecard fairness`` against generated data with a planted disparity (the truth is known).

The committed card (``reports/scorecard.json``, fitted on the default generated data) scores
fresh generated rows whose group file is drawn independently of everything (``--groups``),
and the same rows with group B's clean invoices of the last 12 months removed at equal true
risk (``--disparity``). The planted disparity must be flagged for group B and pinned on
``num_arch_ok_0_12m``; the plain groups must not be flagged.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.data.synthetic.disparity import DEFAULT_DISPARITY

REPO = Path(__file__).resolve().parents[2]
CARD = REPO / "reports" / "scorecard.json"
ROWS = 12_000
STRICT = "663"  # the development median: the four-fifths rule is blunt at high approval
PLANTED = DEFAULT_DISPARITY.split("=")[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fairness")
    plain, planted = root / "plain.csv", root / "planted.csv"
    for path, flag in ((plain, "--groups"), (planted, "--disparity")):
        assert main(["generate-data", "--output", str(path), "--rows", str(ROWS),
                     "--unlabelled", "0", "--seed", "7", "--quiet", flag]) == 0
    return {"plain": plain, "planted": planted, "root": root}


def _run(data: dict[str, Path], which: str, out: str, *extra: str) -> tuple[int, dict]:
    target = data["root"] / out
    code = main(["fairness", "--artifact", str(CARD), "--input", str(data[which]),
                 "--groups", str(data[which].with_name(f"{which}.groups.csv")),
                 "--out", str(target), "--quiet", *extra])
    return code, json.loads((target / "fairness.json").read_text())


def test_the_planted_disparity_is_flagged_on_the_right_group_and_characteristic(
        data: dict[str, Path]) -> None:
    code, report = _run(data, "planted", "planted", "--cutoff", STRICT, "--refit", "0")
    assert code == 5 and report["flagged"]
    col = report["columns"][0]
    assert col["column"] == "group" and col["reference"] == "A" and col["flagged"] == ["B"]
    b = next(g for g in col["groups"] if g["group"] == "B")
    assert b["air"]["ratio"] < 0.8 and b["air"]["p_value"] < 0.05 and b["smd"] < 0
    assert col["drivers"]["B"]["gaps"][0]["characteristic"] == PLANTED
    # at equal true risk the card overstates group B's risk
    assert b["calibration"]["mean_pd"] > b["calibration"]["default_rate"]
    html = (data["root"] / "planted" / "fairness.html").read_text()
    assert "Why group=B is approved less often" in html and "<script" not in html


def test_the_same_rows_without_the_disparity_flag_nothing(data: dict[str, Path]) -> None:
    for extra, out in ((("--cutoff", STRICT), "plain_strict"), ((), "plain_default")):
        code, report = _run(data, "plain", out, *extra)
        assert code == 0 and not report["flagged"] and report["flags"] == []
        b = next(g for g in report["columns"][0]["groups"] if g["group"] == "B")
        assert b["air"]["ratio"] > 0.9


def test_the_ratios_match_a_count_by_hand(data: dict[str, Path]) -> None:
    from scorecard.card.artifact import load_artifact
    from scorecard.card.engine import ScoringEngine
    from scorecard.data.contract import KLARNA
    from scorecard.data.files import read_dataset

    _, report = _run(data, "planted", "planted_counts", "--cutoff", STRICT, "--refit", "0")
    frame = read_dataset(data["planted"], KLARNA).frame
    score = ScoringEngine(load_artifact(CARD)).score(frame).score
    with data["planted"].with_name("planted.groups.csv").open() as fh:
        group = {r["uuid"]: r["group"] for r in csv.DictReader(fh)}
    ok = {"A": [0, 0], "B": [0, 0]}
    for uuid, s in zip(frame["uuid"], score, strict=True):
        ok[group[uuid]][0] += int(s >= int(STRICT))
        ok[group[uuid]][1] += 1
    rates = {g: a / n for g, (a, n) in ok.items()}
    b = next(g for g in report["columns"][0]["groups"] if g["group"] == "B")
    assert b["n"] == ok["B"][1]
    assert b["air"]["ratio"] == pytest.approx(rates["B"] / rates["A"])


def test_age_bands_come_from_the_age_column(data: dict[str, Path]) -> None:
    target = data["root"] / "age"
    code = main(["fairness", "--artifact", str(CARD), "--input", str(data["plain"]),
                 "--groups", "age", "--out", str(target), "--quiet", "--refit", "0"])
    report = json.loads((target / "fairness.json").read_text())
    assert code in (0, 5)
    names = [g["group"] for g in report["columns"][0]["groups"]]
    assert set(names) <= {"<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"}
    assert sum(g["n"] for g in report["columns"][0]["groups"]) == ROWS


def test_dropping_the_planted_characteristic_costs_little_auc_and_narrows_the_gap(
        data: dict[str, Path]) -> None:
    _, report = _run(data, "planted", "planted_refit", "--cutoff", STRICT, "--refit", "1")
    refit = report["columns"][0]["drivers"]["B"]["refit"]
    published, full, dropped = refit["variants"]
    assert published["variant"] == "published" and full["drop"] is None
    assert dropped["drop"] == PLANTED
    assert dropped["auc_cost"] == pytest.approx(full["auc"] - dropped["auc"])
    # the published card keeps the gap on the holdout rows; the card without it closes it
    assert published["air"] < 0.8 <= dropped["air"]
    assert abs(dropped["auc_cost"]) < 0.02


@pytest.mark.parametrize(("args", "message"), [
    (["--groups", "no_such_column"], "neither a file nor columns"),
    (["--reference", "group=C"], "'C' does not occur"),
    (["--reference", "sex=F"], "not a group column"),
    (["--cutoff", "grade:Z"], "--cutoff"),
    (["--groups", "merchant_category"], "55 distinct values, more than 20: band it first"),
    (["--min-rows", "100000"], None),
])
def test_bad_arguments_are_one_line_errors_or_notes(
        data: dict[str, Path], args: list[str], message: str | None,
        capsys: pytest.CaptureFixture[str]) -> None:
    groups = ["--groups", str(data["plain"].with_name("plain.groups.csv"))]
    if "--groups" in args:
        groups = []
    code = main(["fairness", "--artifact", str(CARD), "--input", str(data["plain"]),
                 *groups, "--out", str(data["root"] / "bad"), "--quiet", "--refit", "0",
                 *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if message is None:  # every group too small: reported, nothing tested
        assert code == 0 and "reported, not tested" in err
    else:
        assert code == 2 and message in err
        assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1


def test_a_groups_file_whose_ids_do_not_match_is_refused(
        data: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    wrong = data["root"] / "wrong.groups.csv"
    wrong.write_text("uuid,group\nnot-an-id,A\nnor-this,B\n")
    code = main(["fairness", "--artifact", str(CARD), "--input", str(data["plain"]),
                 "--groups", str(wrong), "--out", str(data["root"] / "wrong"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "none of its 2 ids" in err and "Traceback" not in err
    partial = data["root"] / "partial.groups.csv"
    lines = data["plain"].with_name("plain.groups.csv").read_text().splitlines()
    partial.write_text("\n".join(lines[: ROWS // 2]) + "\nextra-id,B\n")
    code = main(["fairness", "--artifact", str(CARD), "--input", str(data["plain"]),
                 "--groups", str(partial), "--out", str(data["root"] / "partial"),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 0 and "have no row in partial.groups.csv" in err
    assert "1 rows of partial.groups.csv match no input row" in err
