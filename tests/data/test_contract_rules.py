"""The column contract's rules for one value, each at its boundary, and the HELOC contract's
declared numbers written out (the Klarna contract is pinned by the committed card)."""

from __future__ import annotations

import pytest

from scorecard.data.contract import HELOC, HELOC_SPECIAL_CODES, Column


def test_a_boolean_is_not_a_number_in_a_column_declaration() -> None:
    for key in ("min", "max"):
        with pytest.raises(ValueError, match=rf"column \(age\)\.{key}: must be a number"):
            Column.from_dict({"name": "age", "kind": "integer", key: True})
    with pytest.raises(ValueError, match="allowed: must be a list"):
        Column.from_dict({"name": "s", "kind": "code", "allowed": [1, False]})
    assert Column.from_dict({"name": "age", "kind": "integer", "min": 0, "max": 1.5}).max == 1.5


def test_a_target_column_is_always_nullable() -> None:
    assert Column("default", "target").nullable is True
    assert Column("age", "integer").nullable is False


def test_a_category_must_be_one_of_the_allowed_ones() -> None:
    col = Column("group", "category", allowed=("A", "B"))
    assert col.check_value("A") is None
    assert col.check_value("C") == "isin: 'C' is not an allowed category"
    assert Column("group", "category").check_value("anything") is None  # no list: any text
    assert Column("uuid", "id").check_value("") == "str_length: must not be empty"
    assert Column("uuid", "id").check_value("x1") is None


def test_a_code_must_be_one_of_the_allowed_numbers() -> None:
    col = Column("status", "code", allowed=(1, 2, 3, 4))
    assert col.check_value(4) is None and col.check_value(1.0) is None
    assert col.check_value(5) == "isin: 5 is not one of [1, 2, 3, 4]"
    assert col.check_value(2.5) == "integer: must be a whole number"


def test_bounds_are_inclusive_unless_the_maximum_is_declared_exclusive() -> None:
    hours = Column("time_hours", "numeric", min=0, max=24, max_exclusive=True)
    assert hours.check_value(0) is None and hours.check_value(23.999) is None
    assert hours.check_value(24) == "less_than: must be < 24"
    assert hours.check_value(-0.001) == "greater_than_or_equal_to: must be >= 0"
    age = Column("age", "integer", min=18, max=100)
    assert age.check_value(18) is None and age.check_value(100) is None
    assert age.check_value(101) == "less_than_or_equal_to: must be <= 100"
    assert age.check_value(17) == "greater_than_or_equal_to: must be >= 18"


def test_the_heloc_contract_is_written_out() -> None:
    # FICO's special codes -9, -8, -7 lie below every real value, so each feature's minimum
    # is the lowest code; the target is the text Good / Bad.
    assert HELOC_SPECIAL_CODES == (-9, -8, -7)
    target, *features = HELOC.columns
    assert (target.name, target.kind, target.allowed, HELOC.target_labels) == (
        "RiskPerformance", "target", ("Good", "Bad"), {"Good": 0, "Bad": 1})
    assert len(features) == 23
    assert all((c.kind, c.nullable, c.min, c.max, c.csv_format) == ("integer", False, -9, None,
                                                                   "int") for c in features)
    assert (HELOC.separator, HELOC.na_value, HELOC.id_column) == (",", "", None)
