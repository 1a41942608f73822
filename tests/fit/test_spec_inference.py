"""``init-spec``: a spec inferred from any credit CSV, reviewed by a human, fit without edits."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.data.files import read_dataset
from scorecard.data.synthetic.example import write_example
from scorecard.data.synthetic.generator import write_generated
from scorecard.fit.spec import HELOC_SPEC, SpecError, load_spec
from scorecard.fit.spec_inference import SpecInferenceError, TargetChoiceError, infer_spec
from scorecard.jobs.regenerate import RegenerateConfig, regenerate

# The example file has two two-valued columns (sex 1/2 and the target): its target is named.
EXAMPLE_TARGET = "default.next.month"


def _write_spec(tmp: Path, data: Path, **kwargs: object) -> Path:
    path = tmp / "inferred.spec.json"
    path.write_text(json.dumps(infer_spec(data, **kwargs).spec, indent=2))  # type: ignore[arg-type]
    return path


def test_the_example_file_gets_a_spec_that_finds_its_sentinels(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=2_000, unlabelled=200, seed=3)
    inferred = infer_spec(data, target=EXAMPLE_TARGET)
    spec = inferred.spec
    assert spec["contract"]["target"] == "default.next.month"
    assert spec["contract"]["id_column"] == "id"
    assert spec["contract"]["separator"] == "," and spec["contract"]["na_value"] == ""
    assert spec["special_codes"]["pay_1"] == {"code -2": [-2.0], "code -1": [-1.0]}
    assert spec["special_codes"]["utilisation"] == {"code -1": [-1.0]}
    assert "region" in spec["categorical"]
    assert spec["monotonic"]["pay_1"] == "ascending"
    assert any("pay_1" in line for line in inferred.confirm)
    # an education code 1..4 is a category; the statuses stay numeric, their codes apart
    assert "education" in spec["categorical"] and "pay_1" not in spec["categorical"]
    line = next(x for x in inferred.review if x.startswith("pay_1:"))
    assert "special codes -2, -1; kept numeric, maybe codes" in line


def test_the_inferred_spec_validates_the_file_it_came_from(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=1_000, unlabelled=100, seed=4)
    spec = load_spec(str(_write_spec(tmp_path, data, target=EXAMPLE_TARGET)))
    dataset = read_dataset(data, spec.contract)
    assert len(dataset.to_predict) == 100 and len(dataset.labelled) == 900


def test_inference_is_deterministic(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=800, unlabelled=0, seed=5)
    assert (infer_spec(data, target=EXAMPLE_TARGET).spec
            == infer_spec(data, target=EXAMPLE_TARGET).spec)


def test_a_file_without_a_binary_target_is_refused_with_the_candidates(tmp_path: Path) -> None:
    path = tmp_path / "no_target.csv"
    path.write_text("a,b,c\n1,2,x\n3,4,y\n5,6,z\n")
    with pytest.raises(TargetChoiceError, match="no binary target"):
        infer_spec(path)
    with pytest.raises(TargetChoiceError, match="no column 'nope'"):
        infer_spec(path, target="nope")


def test_several_two_valued_columns_are_refused_with_the_candidates_named(
        tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=300, unlabelled=30, seed=8)
    with pytest.raises(TargetChoiceError, match=r"2 two-valued columns could be the target "
                                                 r"\(sex, default\.next\.month\)"):
        infer_spec(data)
    run = subprocess.run([sys.executable, "-m", "scorecard", "init-spec", str(data),
                          "--output", str(tmp_path / "s.json")], capture_output=True,
                         text=True)
    assert run.returncode == 2, run.stderr
    assert "sex, default.next.month" in run.stderr and "--target" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "s.json").exists()
    # A column named exactly like a target is not a guess; nor is the only two-valued one.
    named = tmp_path / "named.csv"
    named.write_text("flagged,x,default\n" + "".join(
        f"{i % 2},{i},{int(i % 3 == 0)}\n" for i in range(30)))
    assert infer_spec(named).spec["contract"]["target"] == "default"
    only = tmp_path / "only.csv"
    only.write_text("x,RiskPerformance\n" + "".join(
        f"{i},{'Bad' if i % 3 else 'Good'}\n" for i in range(30)))
    assert infer_spec(only).spec["contract"]["target"] == "RiskPerformance"


def test_a_named_target_with_three_values_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text("x,default\n1,0\n2,1\n3,2\n")
    with pytest.raises(SpecInferenceError, match="exactly two"):
        infer_spec(path)


def test_text_labels_map_the_bad_word_to_one(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    rows = "\n".join(f"{i},{'Bad' if i % 3 == 0 else 'Good'}" for i in range(60))
    path.write_text("score,RiskPerformance\n" + rows + "\n")
    spec = infer_spec(path).spec
    assert spec["contract"]["target_labels"] == {"Good": 0, "Bad": 1}


def test_a_card_from_an_inferred_spec_predicts_without_the_spec(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=3_000, unlabelled=300, seed=6)
    spec_path = _write_spec(tmp_path, data, target=EXAMPLE_TARGET)
    out = tmp_path / "card"
    regenerate(load_spec(str(spec_path)), data, out,
               config=RegenerateConfig(challenger=False, cv_folds=2, cv_repeats=1))
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["id", "pd"] and len(predictions) == 300
    run = subprocess.run([sys.executable, "-m", "scorecard", "predict", "--artifact",
                          str(out / "scorecard.json"), "--input", str(data), "--output",
                          str(tmp_path / "scored.csv")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert len(scored) == 3_000
    np.testing.assert_array_equal(scored["pd"].to_numpy()[-300:], predictions["pd"].to_numpy())


def test_init_spec_command_writes_the_spec_and_a_review(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=500, unlabelled=50, seed=7)
    run = subprocess.run([sys.executable, "-m", "scorecard", "init-spec", str(data),
                          "--target", EXAMPLE_TARGET, "--output", str(tmp_path / "s.json")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "confirm before publishing" in run.stderr and "pay_1" in run.stderr
    assert json.loads((tmp_path / "s.json").read_text())["contract"]["target"] == (
        "default.next.month")


# ------------------------------------------------------------------ property test

_TEXT = st.text(alphabet=string.ascii_letters + "äöüéß€ -_", min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and s not in ("NA", "True", "False", "true", "false", "null",
                                          "NULL", "NaN", "N/A", "?"))


@st.composite
def credit_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    columns: dict[str, list[str]] = {}
    for k in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["int", "float", "text", "bool", "sentinel"]))
        if kind == "int":
            cells = [str(draw(st.integers(-5, 500))) for _ in range(n)]
        elif kind == "float":
            cells = [repr(draw(st.floats(-1e6, 1e6, allow_nan=False))) for _ in range(n)]
        elif kind == "text":
            cells = [draw(_TEXT) for _ in range(n)]
        elif kind == "bool":
            cells = [draw(st.sampled_from(["True", "False"])) for _ in range(n)]
        else:
            cells = [str(draw(st.sampled_from([-9, -8, 0, 1, 2, 3, 7, 9999]))) for _ in range(n)]
        missing = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        columns[f"x{k}"] = ["NA" if m and draw(st.booleans()) else c
                            for c, m in zip(cells, missing, strict=True)]
    if draw(st.booleans()):
        columns["default"] = [draw(st.sampled_from(["0", "1", "NA"])) for _ in range(n)]
    return pd.DataFrame(columns)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(frame=credit_frames(), sep=st.sampled_from([";", ","]))
def test_any_small_file_gives_a_spec_that_validates_it_or_a_clear_error(
        tmp_path: Path, frame: pd.DataFrame, sep: str) -> None:
    path = tmp_path / "any.csv"
    path.write_text(frame.to_csv(sep=sep, index=False, lineterminator="\n"), encoding="utf-8")
    try:
        inferred = infer_spec(path)
    except (SpecInferenceError, TargetChoiceError) as exc:
        assert str(exc).split(":")[0] in {"target", "features", "separator", "empty_file"}
        return
    spec_path = tmp_path / "any.spec.json"
    spec_path.write_text(json.dumps(inferred.spec))
    dataset = read_dataset(path, load_spec(str(spec_path)).contract)
    assert len(dataset.frame) == len(frame)


# ------------------------------------------------------------------ real data


@pytest.mark.shared
@pytest.mark.slow
def test_heloc_inferred_spec_cards_as_well_as_the_builtin_one(heloc_path: Path,
                                                              tmp_path: Path) -> None:
    inferred = infer_spec(heloc_path)
    codes = inferred.spec["special_codes"]
    assert codes["MSinceMostRecentDelq"] == {"code -9": [-9.0], "code -8": [-8.0],
                                             "code -7": [-7.0]}
    assert all(set(v) <= {"code -9", "code -8", "code -7"} for v in codes.values())
    assert len(codes) == 23
    config = RegenerateConfig(challenger=False)
    spec_path = tmp_path / "heloc.spec.json"
    spec_path.write_text(json.dumps(inferred.spec))
    mine = regenerate(load_spec(str(spec_path)), heloc_path, tmp_path / "inferred", None, config)
    builtin = regenerate(HELOC_SPEC, heloc_path, tmp_path / "builtin", None, config)
    assert abs(mine["scorecard_cv_auc_mean"] - builtin["scorecard_cv_auc_mean"]) <= 0.003


@pytest.mark.shared
def test_a_spec_inferred_from_generated_klarna_validates_the_real_rows(
        tmp_path: Path, klarna_real_path: Path) -> None:
    data = tmp_path / "generated.csv"
    write_generated(data, rows=20_000, unlabelled=1_000, seed=2)
    spec = load_spec(str(_write_spec(tmp_path, data)))
    dataset = read_dataset(klarna_real_path, spec.contract)
    assert len(dataset.frame) == 10_000


# ------------------------------------------------------------------ actionable, data checks


def test_init_spec_proposes_conduct_never_age_or_protected_attributes() -> None:
    from scorecard.fit.spec_inference import actionable_candidates

    names = ["pay_1", "bill_amt", "utilisation", "NumInqLast6M", "NetFractionRevolvingBurden",
             "age", "person_age", "sex", "marital_status", "nationality", "limit_bal",
             "MSinceOldestTradeOpen", "AverageMInFile", "region", "time_hours",
             "loan_percent_income"]
    assert actionable_candidates(names) == ["pay_1", "bill_amt", "utilisation",
                                            "NumInqLast6M", "NetFractionRevolvingBurden"]


def test_the_inferred_spec_lists_actionable_features_for_review(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=600, unlabelled=60, seed=9)
    inferred = infer_spec(data, target=EXAMPLE_TARGET)
    assert inferred.spec["actionable"] == ["pay_1", "pay_2", "pay_3", "bill_amt",
                                           "utilisation"]
    assert any(line.startswith("actionable:") for line in inferred.confirm)
    assert load_spec(str(_write_spec(tmp_path, data, target=EXAMPLE_TARGET))).actionable == (
        "pay_1", "pay_2", "pay_3", "bill_amt", "utilisation")


def _with(data: Path, out: Path, **cells: tuple[int, object]) -> Path:
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    for column, (row, value) in cells.items():
        frame.loc[row, column] = str(value)
    frame.to_csv(out, index=False, lineterminator="\n")
    return out


def test_implausible_magnitudes_are_flagged_by_init_spec_and_counted_by_validate(
        tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=1_500, unlabelled=100, seed=10)
    bad = _with(data, tmp_path / "bad.csv", monthly_income=(3, 6_000_000), age=(5, 144))
    inferred = infer_spec(bad, target=EXAMPLE_TARGET)
    review = "\n".join(inferred.review)
    assert "monthly_income: IMPLAUSIBLE magnitudes: 1 row(s) above" in review
    assert "(max 6000000)" in review
    assert "age: an age in years; IMPLAUSIBLE: 1 row(s) above 120 (max 144): the natural " \
           "range 18..120 is its plausible range" in review
    # the spec reads the file it came from: the impossible age is implausible, not refused
    age = next(c for c in inferred.spec["contract"]["columns"] if c["name"] == "age")
    assert "max" not in age and inferred.spec["plausible"]["age"] == [18.0, 120.0]
    low, high = inferred.spec["plausible"]["monthly_income"]
    assert low is None and 10_000 < high < 6_000_000
    own_spec = tmp_path / "own.spec.json"
    own_spec.write_text(json.dumps(inferred.spec))
    run = subprocess.run([sys.executable, "-m", "scorecard", "check", str(bad),
                          "--spec", str(own_spec)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "implausible: column 'age': 1 row(s) above 120" in run.stdout
    # a clean file's ages are bounded by the contract: an age of 144 is refused later
    clean = infer_spec(data, target=EXAMPLE_TARGET)
    assert "age: an age in years: bounded to the natural range 18..120" in "\n".join(
        clean.review)
    spec_path = tmp_path / "clean.spec.json"
    spec_path.write_text(json.dumps(clean.spec))
    income_only = _with(data, tmp_path / "income.csv", monthly_income=(3, 6_000_000))
    run = subprocess.run([sys.executable, "-m", "scorecard", "check", str(income_only),
                          "--spec", str(spec_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "implausible: column 'monthly_income': 1 row(s) above" in run.stdout
    run = subprocess.run([sys.executable, "-m", "scorecard", "check", str(bad),
                          "--spec", str(spec_path)], capture_output=True, text=True)
    assert run.returncode == 3 and "column 'age': less_than_or_equal_to(120)" in run.stderr


def test_a_duration_longer_than_the_age_is_flagged(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    age = rng.integers(20, 70, 300)
    frame = pd.DataFrame({"person_age": age, "person_emp_length": rng.integers(0, 10, 300),
                          "default": rng.integers(0, 2, 300)})
    frame.loc[7, "person_emp_length"] = 123
    frame.to_csv(tmp_path / "emp.csv", index=False)
    review = "\n".join(infer_spec(tmp_path / "emp.csv").review)
    assert "person_emp_length: IMPLAUSIBLE: 1 row(s) with a duration longer than the age" in (
        review) and "(data rows 8)" in review


def test_a_duration_named_so_but_counted_in_days_gets_no_lifetime_bound(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"person_age": rng.integers(20, 70, 400),
                          "account_length": rng.integers(1, 250, 400),
                          "default": rng.integers(0, 2, 400)})
    frame.to_csv(tmp_path / "days.csv", index=False)
    inferred = infer_spec(tmp_path / "days.csv")
    review = "\n".join(inferred.review)
    assert "account_length: named like a duration of a life, but" in review
    assert "another unit, no lifetime bound" in review
    assert inferred.spec["plausible"]["account_length"][1] > 250
    assert "longer than the age" not in review and "IMPLAUSIBLE" not in review


def _loans(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.integers(10_000, 200_000, rows)
    amount = rng.integers(500, 35_000, rows)
    return pd.DataFrame({"income": income, "amount": amount,
                         "share_of_income": np.round(amount / income, 2),
                         "open_loans": rng.poisson(0.4, rows),  # mostly zero, a count
                         "default": rng.integers(0, 2, rows)})


def test_a_ratio_of_two_columns_is_named_and_the_rows_that_break_it_listed(
        tmp_path: Path) -> None:
    """A loan's share of income is its amount over the income; 40 rows made otherwise, all
    of them defaults, are a leak of the outcome a reviewer must see."""
    frame = _loans(3000, 3)
    broken = np.arange(5, 3000, 75)[:40]
    frame.loc[broken, "share_of_income"] = np.round(frame.loc[broken, "share_of_income"] + 0.05,
                                                    2)
    frame.loc[broken, "default"] = 1
    frame.to_csv(tmp_path / "loans.csv", index=False)
    inferred = infer_spec(tmp_path / "loans.csv")
    line = next(x for x in inferred.review if x.startswith("share_of_income: DERIVED"))
    assert "amount / income (to 0.01)" in line
    off = len(broken)
    assert f"{off} row(s) are not (data rows {broken[0] + 1}, " in line
    assert "default rate 100.0% among the labelled ones" in line
    assert any(x.startswith(f"share_of_income: {off} row(s) that are not amount / income")
               for x in inferred.confirm)
    # the count, mostly zeros, and the columns the ratio is made of are no ratio themselves
    assert [x for x in inferred.review if "DERIVED" in x or "derived" in x] == [line]


def test_an_exact_ratio_is_named_as_derived_without_a_finding(tmp_path: Path) -> None:
    _loans(3000, 4).to_csv(tmp_path / "loans.csv", index=False)
    inferred = infer_spec(tmp_path / "loans.csv")
    assert ("share_of_income: derived, amount / income (to 0.01) in every row where all "
            "three are present") in inferred.review
    assert not any("share_of_income" in x for x in inferred.confirm)


def test_a_semicolon_file_with_decimal_commas_is_refused_with_the_reason(
        tmp_path: Path) -> None:
    rows = [f"{i};{i % 7},{i % 10}{i % 3};0,{i:03d};{i % 2}" for i in range(80)]
    path = tmp_path / "comma.csv"
    path.write_text("id;rate;ratio;default\n" + "\n".join(rows) + "\n")
    with pytest.raises(SpecInferenceError, match=r"decimal_comma: column\(s\) rate, ratio "
                                                 r"write numbers with a decimal comma"):
        infer_spec(path)
    run = subprocess.run([sys.executable, "-m", "scorecard", "init-spec", str(path),
                          "--output", str(tmp_path / "s.json")], capture_output=True,
                         text=True)
    assert run.returncode == 3 and "decimal comma" in run.stderr
    assert "Traceback" not in run.stderr


def _coded_frame(rows: int, seed: int) -> pd.DataFrame:
    """An education code named as one, an unnamed code whose default rate rises then falls,
    and a count whose default rate only rises: few distinct small whole numbers each; an
    industry sector named as one (24 two-digit codes) and a count of as many values."""
    rng = np.random.default_rng(seed)
    edu = rng.integers(1, 7, rows)  # 1..6
    grp = rng.integers(1, 6, rows)  # 1..5: rate peaks at 3
    cards = rng.integers(0, 7, rows)  # 0..6: rate rises
    logit = -1.5 + np.array([0, 0, 0.3, 1.6, 0.4, -0.2])[grp] + 0.25 * cards + 0.1 * edu
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    sectors = np.array([11, 21, 22, 23, 31, 32, 33, 42, 44, 45, 48, 49, 51, 52, 53, 54, 55,
                        56, 61, 62, 71, 72, 81, 92])
    return pd.DataFrame({"id": np.arange(rows), "education_level": edu, "grp": grp,
                         "num_cards": cards, "amount": rng.gamma(2, 500, rows).round(2),
                         "naics_sector": rng.choice(sectors, rows),
                         "months_on_book": rng.integers(0, 24, rows), "default": y})


def test_numbers_that_are_codes_are_proposed_as_categories_with_the_reason(
        tmp_path: Path) -> None:
    path = tmp_path / "coded.csv"
    _coded_frame(4_000, seed=1).to_csv(path, index=False)
    inferred = infer_spec(path)
    spec, review = inferred.spec, "\n".join(inferred.review)
    kinds = {c["name"]: c["kind"] for c in spec["contract"]["columns"]}
    # by its name, and by a default rate that rises and falls over the codes
    assert {"education_level", "grp"} <= set(spec["categorical"])
    assert kinds["education_level"] == kinds["grp"] == "category"
    assert ("education_level: CODED CATEGORY: 6 distinct whole numbers (1, 2, 3, 4, 5, "
            "6), named as a code (education)") in review
    # a name that says code takes more values, of any size; a count of as many does not
    assert kinds["naics_sector"] == "category" and "naics_sector" in spec["categorical"]
    assert ("naics_sector: CODED CATEGORY: 24 distinct whole numbers (11, 21, 22, 23, 31, 32, "
            "33, 42, 44, 45, 48, 49, ... 12 more), named as a code (sector)") in review
    assert kinds["months_on_book"] == "integer" and "months_on_book" not in spec["categorical"]
    assert "months_on_book: integer" in review and "maybe codes" not in next(
        line for line in inferred.review if line.startswith("months_on_book:"))
    assert "grp: CODED CATEGORY: 5 distinct small whole numbers" in review
    assert "default rate not monotone over them (rises" in review
    assert "grp" not in spec["monotonic"] and "grp" not in spec["special_codes"]
    assert any(line.startswith("grp: its numbers are codes") for line in inferred.confirm)
    # a count with a rising rate stays numeric, flagged for the reviewer all the same
    assert kinds["num_cards"] == "integer" and "num_cards" not in spec["categorical"]
    assert "num_cards: integer" in review and "kept numeric, maybe codes: 7 distinct" in review
    # magnitudes are not codes
    assert kinds["amount"] == "numeric" and "amount" not in spec["categorical"]
    # the proposed spec reads the file and fits a card with the codes as categories
    spec_path = tmp_path / "coded.spec.json"
    spec_path.write_text(json.dumps(spec))
    from scorecard.fit.estimator import Scorecard

    loaded = load_spec(str(spec_path))
    data = read_dataset(path, loaded.contract)
    card = Scorecard(loaded).fit(data.labelled, data.labelled["default"].to_numpy(dtype=int))
    assert card.binner_.bins_["grp"].kind == "categorical"
    assert "grp" in card.features_



def _incomes(rows: int, seed: int) -> pd.DataFrame:
    """Incomes spread over many values, riskier the lower, with no value held by many."""
    rng = np.random.default_rng(seed)
    income = rng.integers(10_000, 150_000, rows)
    pd_ = 0.35 - 0.2 * (income - 10_000) / 140_000
    return pd.DataFrame({"income": income, "default": (rng.random(rows) < pd_).astype(int)})


def test_a_rate_that_rises_and_falls_back_is_binned_free_of_a_trend_and_the_turn_named(
        tmp_path: Path) -> None:
    """A loan's vintage: defaults rise from 1990 to 2007, then fall back (Spearman still
    clearly positive), and the few oldest loans are as risky as the worst year; a count
    that only rises keeps its trend, though its busiest value's rows differ by file order
    (as rows booked at different times do)."""
    rng = np.random.default_rng(21)
    rows = 12000
    year = np.where(rng.random(rows) < 0.05, rng.integers(1985, 1990, rows),
                    rng.integers(1990, 2015, rows))
    peak = np.where(year < 1990, 0.4, np.where(year <= 2007, 0.02 + 0.02 * (year - 1990),
                                               0.36 - 0.05 * (year - 2007)))
    count = np.where(rng.random(rows) < 0.4, 0, rng.integers(1, 10, rows))
    p = np.clip(peak + 0.03 * count, 0.01, 0.9)
    p[count == 0] = np.where(np.arange(rows)[count == 0] < rows / 2, 0.12, 0.02)  # file order
    frame = pd.DataFrame({"id": np.arange(rows), "approval_year": year, "inquiries": count,
                          "default": (rng.random(rows) < p).astype(int)})
    frame.to_csv(tmp_path / "vintages.csv", index=False)
    inferred = infer_spec(tmp_path / "vintages.csv")
    assert "approval_year" in inferred.spec["monotonic"]
    assert inferred.spec["monotonic"]["approval_year"] is None
    line = next(x for x in inferred.review if x.startswith("approval_year: integer"))
    assert "; not monotone: the rate falls from " in line
    assert "so no trend is imposed (null: the bins follow the rate)" in line
    assert inferred.spec["monotonic"]["inquiries"] == "ascending"
    # the bins follow the rate down from the oldest loans, up to 2007 and down after it
    # (optbinning's own "auto" picks one peak and merges the oldest loans into the safe
    # years)
    spec_path = tmp_path / "vintages.spec.json"
    spec_path.write_text(json.dumps(inferred.spec))
    from scorecard.fit.binning import WoEBinner

    loaded = load_spec(str(spec_path))
    data = read_dataset(tmp_path / "vintages.csv", loaded.contract)
    fb = WoEBinner(loaded).fit(data.labelled, data.labelled["default"].to_numpy(dtype=int)
                               ).bins_["approval_year"]
    assert fb.trend is None
    rates = fb.table.loc[fb.table["type"] == "regular", "event_rate"].to_numpy()
    top = int(np.argmax(rates[1:])) + 1
    assert rates[0] > 2 * rates[1] and rates[1] < rates[top] / 2
    assert top < len(rates) - 1 and rates[-1] < rates[top] / 2


def test_a_heaped_value_whose_default_rate_stands_apart_gets_a_bin_of_its_own(
        tmp_path: Path) -> None:
    """300 stated incomes of exactly 54,000 default at 60 %, around them 24 %: a trend
    through them cannot score them, their own bin can. 400 of exactly 90,000 default as
    the incomes around them do: a heap, but nothing stands apart."""
    frame = _incomes(8000, 5)
    heap, plain = np.arange(0, 8000, 26)[:300], np.arange(13, 8000, 20)[:400]
    frame.loc[heap, "income"] = 54_000
    frame.loc[heap, "default"] = (np.arange(300) % 5 < 3).astype(int)
    frame.loc[plain, "income"] = 90_000
    frame.to_csv(tmp_path / "incomes.csv", index=False)
    inferred = infer_spec(tmp_path / "incomes.csv")
    assert inferred.spec["special_codes"] == {"income": {"heap 54000": [54000.0]}}
    line = next(x for x in inferred.review if "HEAPED" in x)
    assert line.startswith("income: HEAPED VALUES, 54000: 300 rows, 60.0% bad against ")
    assert any(x.startswith("income: 54000 hold many rows") for x in inferred.confirm)
    spec = load_spec(str(_write_spec(tmp_path, tmp_path / "incomes.csv")))
    assert spec.special_codes == {"income": {"heap 54000": [54000.0]}}
    assert spec.trend("income") == "descending"  # the heap does not hide the trend


def test_a_step_at_a_busy_value_and_the_values_of_a_count_are_no_heaps(
        tmp_path: Path) -> None:
    """A busy value on one side of a step in the default rate is like that side; the
    values of a small count are each as busy as their neighbours; a busy lowest value has
    no neighbours below: none of them stands apart."""
    rng = np.random.default_rng(6)
    step = _incomes(8000, 6)
    busy = np.arange(1, 8000, 20)[:400]
    step.loc[busy, "income"] = 60_000
    above = (step["income"] > 60_000).to_numpy()
    step.loc[above, "default"] = (rng.random(8000) < 0.05)[above].astype(int)
    step.loc[busy, "default"] = (np.arange(400) % 20 == 0).astype(int)  # 5 %, as above it
    count = pd.DataFrame({"open_loans": rng.poisson(3, 8000),
                          "default": (rng.random(8000) < 0.2).astype(int)})
    count.loc[count["open_loans"] == 4, "default"] = 1
    tenure = pd.DataFrame({"tenure": np.where(np.arange(8000) % 4 == 0, 0,
                                              rng.integers(1, 400, 8000)),
                           "default": (rng.random(8000) < 0.2).astype(int)})
    tenure.loc[tenure["tenure"] == 0, "default"] = 1
    for name, frame in (("step", step), ("count", count), ("tenure", tenure)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        inferred = infer_spec(tmp_path / f"{name}.csv")
        assert inferred.spec["special_codes"] == {}, name
        assert not [x for x in inferred.review if "HEAPED" in x], name


def test_the_review_gives_figures_for_the_busiest_heaps_and_names_every_one(
        tmp_path: Path) -> None:
    frame = _incomes(12000, 7)
    values = [30_000, 44_000, 58_000, 72_000, 86_000, 100_000, 114_000]
    for k, v in enumerate(values):
        rows = np.arange(k, 12000, 40)[:150 + 10 * k]
        frame.loc[rows, "income"] = v
        frame.loc[rows, "default"] = (np.arange(len(rows)) % 5 < 4).astype(int)  # 80 %
    frame.to_csv(tmp_path / "incomes.csv", index=False)
    inferred = infer_spec(tmp_path / "incomes.csv")
    assert list(inferred.spec["special_codes"]["income"]) == [f"heap {v}" for v in values]
    line = next(x for x in inferred.review if "HEAPED" in x)
    assert "; 2 more (named below" in line and "30000:" not in line and "114000: 210" in line
    assert any(x.startswith(f"income: {', '.join(map(str, values))} hold many rows")
               for x in inferred.confirm)


def _rounded(rows: int, seed: int, round_pd: float | None) -> pd.DataFrame:
    """Incomes riskier the lower, a third of them stated in round thousands (over many
    values, so no one value is a heap), defaulting at ``round_pd`` (None: as their size)."""
    frame = _incomes(rows, seed)
    rng = np.random.default_rng(seed + 1)
    rounded = rng.random(rows) < 1 / 3
    frame.loc[rounded, "income"] = frame.loc[rounded, "income"] // 1000 * 1000
    if round_pd is not None:
        frame.loc[rounded, "default"] = (rng.random(rows) < round_pd)[rounded].astype(int)
    return frame


def test_round_values_that_default_apart_at_the_same_size_are_named_with_their_rates(
        tmp_path: Path) -> None:
    """Round thousands default at 8 % whatever their size, the other incomes at 35 to 15 %:
    the review names the step and both rates, the confirm list asks how it was recorded."""
    _rounded(8000, 8, 0.08).to_csv(tmp_path / "incomes.csv", index=False)
    inferred = infer_spec(tmp_path / "incomes.csv")
    line = next(x for x in inferred.review if "ROUNDED" in x)
    assert line.startswith("income: ROUNDED VALUES, multiples of 1000 (")
    assert " default at 8." in line and "less at the same magnitude" in line
    assert any(x.startswith("income: round values (multiples of 1000) default less")
               for x in inferred.confirm)
    assert inferred.spec["special_codes"] == {}  # no one value is a heap
    assert inferred.spec["rounding"] == {"income": [10_000, 5_000, 2_000, 1_000]}
    assert "scores it as a characteristic of its own, income_rounding (the largest of " \
           "10000, 5000, 2000, 1000 that divides the value)" in line


def test_a_term_of_whole_years_that_defaults_apart_is_named_as_multiples_of_12(
        tmp_path: Path) -> None:
    """Terms of 6 to 300 months, riskier the shorter; those of whole years (no one of them a
    heap) default at 3 %: the calendar step is named, not a decimal one."""
    rng = np.random.default_rng(12)
    rows = 6000
    term = rng.integers(6, 301, rows)
    years = rng.random(rows) < 0.5
    term[years] = np.clip(term[years] // 12, 1, None) * 12
    pd_ = np.where(years, 0.03, 0.45 - term / 1000)
    frame = pd.DataFrame({"id": np.arange(rows), "term_months": term,
                          "default": (rng.random(rows) < pd_).astype(int)})
    frame.to_csv(tmp_path / "terms.csv", index=False)
    inferred = infer_spec(tmp_path / "terms.csv")
    line = next(x for x in inferred.review if "ROUNDED" in x)
    assert line.startswith("term_months: ROUNDED VALUES, multiples of 12 (")
    assert inferred.spec["rounding"]["term_months"][-1] == 12
    assert all(m % 12 == 0 for m in inferred.spec["rounding"]["term_months"])


def test_a_card_scores_how_round_a_value_is_and_ranks_better_for_it(tmp_path: Path) -> None:
    """On the proposed spec the card gains ``income_rounding``, whose points the engine
    gives exactly as the fitted pipeline does, and it ranks held-out rows better than the
    same card without it."""
    from scorecard.card.engine import ScoringEngine
    from scorecard.fit.estimator import Scorecard
    from validation.discrimination import roc_auc

    frame = _rounded(12_000, 12, 0.08)
    frame.iloc[:8000].to_csv(tmp_path / "incomes.csv", index=False)
    spec = load_spec(str(_write_spec(tmp_path, tmp_path / "incomes.csv")))
    assert spec.rounding == {"income": (10_000, 5_000, 2_000, 1_000)}
    train, test = frame.iloc[:8000], frame.iloc[8000:]
    card = Scorecard(spec).fit(train, train["default"].to_numpy())
    assert "income_rounding" in card.features_
    artifact = card.to_artifact({}, {})
    f = next(f for f in artifact["features"] if f["name"] == "income_rounding")
    assert f["derived"] == {"input": "income", "rounding": [10_000, 5_000, 2_000, 1_000]}
    assert f["kind"] == "categorical" and f["reason_code"] == "R01r"
    labels = ", ".join(b["label"] for b in f["bins"] if b["type"] == "regular")
    assert "multiple of 1000" in labels and "not round" in labels  # words, for reasons
    scored = ScoringEngine(artifact).score(test[["income"]])
    np.testing.assert_array_equal(scored.points, card.pipeline_points(test))
    plain = Scorecard(load_spec(str(_without(tmp_path, spec, "rounding")))).fit(
        train, train["default"].to_numpy())
    y = test["default"].to_numpy()
    assert roc_auc(y, scored.pd) > roc_auc(y, plain.predict_proba(test)[:, 1]) + 0.02


def _without(tmp: Path, spec: Any, key: str) -> Path:
    """``spec`` written to a file without ``key``."""
    raw = spec.to_dict()
    raw.pop(key)
    raw["contract"] = {**raw["contract"], "columns": [c.to_dict() for c in spec.contract.columns]}
    path = tmp / f"without_{key}.spec.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(("rounding", "message"), [
    ({"no_such": [10]}, "rounding: 'no_such' is not a numeric column"),
    ({"income": [10, 100]}, "rounding: income: steps must be a strictly decreasing"),
    ({"income": [10.5]}, "rounding: income: steps must be"),
    ({"income": []}, "rounding: income: steps must be"),
])
def test_a_spec_whose_rounding_is_not_a_list_of_round_steps_is_refused(
        tmp_path: Path, rounding: dict[str, Any], message: str) -> None:
    _incomes(200, 1).to_csv(tmp_path / "incomes.csv", index=False)
    raw = json.loads(_write_spec(tmp_path, tmp_path / "incomes.csv").read_text())
    (tmp_path / "bad.spec.json").write_text(json.dumps({**raw, "rounding": rounding}))
    with pytest.raises(SpecError, match=message):
        load_spec(str(tmp_path / "bad.spec.json"))


def test_round_values_that_default_as_their_size_says_are_no_finding(
        tmp_path: Path) -> None:
    """Round thousands defaulting as their size says; round values that are merely larger
    (so riskier only by size, which the bands hold); a difference too small to matter on
    many rows: none is a finding."""
    same = _rounded(8000, 9, None)
    larger = _incomes(8000, 10)
    big = (larger["income"] > 100_000).to_numpy()
    larger.loc[big, "income"] = larger.loc[big, "income"] // 1000 * 1000
    rng = np.random.default_rng(11)
    small = _incomes(200_000, 11)
    rounded = rng.random(200_000) < 0.5
    small.loc[rounded, "income"] = small.loc[rounded, "income"] // 1000 * 1000
    fewer = rounded & (small["default"] == 1).to_numpy() & (rng.random(200_000) < 0.08)
    small.loc[fewer, "default"] = 0  # 8 % fewer defaults among the round ones
    for name, frame in (("same", same), ("larger", larger), ("small", small)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        inferred = infer_spec(tmp_path / f"{name}.csv")
        assert not [x for x in inferred.review if "ROUNDED" in x], name


def test_a_rounding_whose_name_is_a_column_already_is_refused(tmp_path: Path) -> None:
    frame = _incomes(200, 2).assign(income_rounding=1)
    frame.to_csv(tmp_path / "incomes.csv", index=False)
    raw = json.loads(_write_spec(tmp_path, tmp_path / "incomes.csv").read_text())
    (tmp_path / "bad.spec.json").write_text(json.dumps({**raw, "rounding": {"income": [10]}}))
    with pytest.raises(SpecError, match="the contract has a column 'income_rounding' already"):
        load_spec(str(tmp_path / "bad.spec.json"))
