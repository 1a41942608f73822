"""Protected attributes: proposed by ``init-spec``, kept out of the card when named, and a
warning in the selection log when a column that looks like one enters the card unconfirmed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.data.files import read_dataset
from scorecard.fit.estimator import Scorecard
from scorecard.fit.protected import PROTECTED_REASON, looks_protected
from scorecard.fit.spec import load_spec


@pytest.mark.parametrize(("name", "values", "what"), [
    ("age", (), "age"), ("Applicant_Age", (), "age"), ("dateOfBirth", (), "age"),
    ("sex", (), "sex"), ("personal_status_sex", (), "sex"), ("Gender", (), "sex"),
    ("MaritalStatus", (), "marital status"), ("nationality", (), "nationality"),
    ("foreign_worker", (), "nationality"), ("religion", (), "religion"),
    ("ethnic_group", (), "race or ethnicity"),
    ("x7", ("M", "F"), "sex"), ("x8", ("female", "male", ""), "sex"),
    ("status", ("single", "married", "divorced"), "marital status"),
])
def test_likely_protected_attributes_are_found_by_name_or_values(
        name: str, values: tuple, what: str) -> None:
    why = looks_protected(name, values)
    assert why is not None and why.startswith(what)


@pytest.mark.parametrize("name", ["average_balance", "mortgage_amt", "page_views", "usage",
                                  "stage", "account_status", "max_paid_inv_0_24m",
                                  "MSinceOldestTradeOpen", "region"])
def test_ordinary_credit_columns_are_not_protected(name: str) -> None:
    assert looks_protected(name, ("North", "South")) is None


TARGET = "default.next.month"  # the example has two two-valued columns: name the target


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("protected")
    data, spec = root / "credit.csv", root / "credit.spec.json"
    assert main(["example-data", "--output", str(data)]) == 0
    assert main(["init-spec", str(data), "--target", TARGET, "--output", str(spec)]) == 0
    return data, spec


def test_init_spec_proposes_protected_attributes_and_keeps_them_out(
        example: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data, spec_path = example
    raw = json.loads(spec_path.read_text())
    assert raw["protected"] == ["sex", "age"]
    spec = load_spec(str(spec_path))
    assert {"sex", "age"}.isdisjoint(c.name for c in spec.features)
    assert {"sex", "age"} <= set(spec.contract.names)  # still read, for fairness tests
    main(["init-spec", str(data), "--target", TARGET, "--output",
          str(spec_path.with_name("again.json"))])
    err = capsys.readouterr().err
    assert "[ ] sex: a protected attribute, never a characteristic" in err


def _fit(spec, data: Path) -> Scorecard:  # type: ignore[no-untyped-def]
    frame = read_dataset(data, spec.contract).labelled
    y = frame[spec.contract.target].to_numpy(dtype=int)
    return Scorecard(spec, method="woe", random_state=0).fit(frame, y)


def test_a_named_protected_attribute_is_logged_out_with_the_reason(
        example: tuple[Path, Path]) -> None:
    data, spec_path = example
    card = _fit(load_spec(str(spec_path)), data)
    log = card.selection_log_.set_index("feature")
    for name in ("sex", "age"):
        assert log.loc[name, "decision"] == "out" and log.loc[name, "step"] == "design"
        assert log.loc[name, "reason"] == PROTECTED_REASON
        assert name not in card.features_


def test_an_unconfirmed_protected_looking_characteristic_carries_a_warning(
        example: tuple[Path, Path]) -> None:
    data, spec_path = example
    spec = replace(load_spec(str(spec_path)), protected=())
    log = _fit(spec, data).selection_log_.set_index("feature")
    entered = [n for n in ("sex", "age") if log.loc[n, "decision"] == "in"]
    assert entered, "the example's age or sex should carry information"
    for name in entered:
        assert "WARNING: looks like a protected attribute" in log.loc[name, "reason"]
    confirmed = replace(spec, protected_use={n: "allowed by the lender's policy"
                                             for n in entered})
    log = _fit(confirmed, data).selection_log_.set_index("feature")
    for name in entered:
        assert "use confirmed in the spec: allowed by the lender's policy" in \
            log.loc[name, "reason"]
        assert "WARNING" not in log.loc[name, "reason"]


def test_a_spec_cannot_both_protect_and_use_a_column(example: tuple[Path, Path]) -> None:
    spec = load_spec(str(example[1]))
    with pytest.raises(ValueError, match="either kept out or confirmed"):
        replace(spec, protected_use={"age": "why"})
    with pytest.raises(ValueError, match="not columns of the contract"):
        replace(spec, protected=("no_such",))
