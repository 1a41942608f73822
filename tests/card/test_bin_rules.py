"""One bin rule per characteristic, two ways to apply it: ``assign`` (a batch, vectorised) and
``assign_one`` (one API applicant, no numpy) must give the same bin and points for every
value, missing and odd ones included; the two reason paths must pick the same reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.card.engine import (
    UNSEEN,
    CategoricalRule,
    NumericRule,
    RowScorer,
    ScoringEngine,
    category_key,
    is_missing,
)
from scorecard.card.ranking import row_reasons
from scorecard.card.reasons import top_reasons
from scorecard.data.contract import KLARNA
from scorecard.fit.binning import category_keys
from tests.support.builders import demo_card, sample_frame

# Missing in every spelling a caller may hand over: JSON null, float NaN (Python and numpy),
# pandas' NA (nullable dtypes, object columns read by pandas).
MISSING = [None, float("nan"), np.float64("nan"), np.float32("nan"), pd.NA]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return sample_frame(KLARNA, 3_000, seed=4)


@pytest.fixture(scope="module")
def engine(frame: pd.DataFrame) -> ScoringEngine:
    return ScoringEngine(demo_card(KLARNA, frame, seed=9))


def _numeric(engine: ScoringEngine) -> list[tuple[str, NumericRule]]:
    return [(n, r) for n, r in zip(engine.features_, engine.rules_, strict=True)
            if isinstance(r, NumericRule)]


def _categorical(engine: ScoringEngine) -> list[tuple[str, CategoricalRule]]:
    return [(n, r) for n, r in zip(engine.features_, engine.rules_, strict=True)
            if isinstance(r, CategoricalRule)]


def _agree(rule: NumericRule | CategoricalRule, values: list[Any]) -> None:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    bins, points = rule.assign(column)
    one = [rule.assign_one(v) for v in values]
    assert [(int(b), int(p)) for b, p in zip(bins, points, strict=True)] == one, values


def test_the_demo_card_has_special_codes_and_unseen_categories(engine: ScoringEngine,
                                                              frame: pd.DataFrame) -> None:
    # Guards the tests below: they prove nothing if the card lacks the paths they cover.
    assert any(r.special for _, r in _numeric(engine))
    result = engine.score(frame)
    specials = {r.special[c][0] for _, r in _numeric(engine) for c in r.special}
    assert np.isin(result.bins, list(specials)).any()
    assert (result.bins == UNSEEN).any()


def test_scalar_and_vectorised_agree_on_generated_rows(engine: ScoringEngine,
                                                       frame: pd.DataFrame) -> None:
    batch = engine.score(frame)
    row = RowScorer(engine)
    for i, rec in enumerate(frame[engine.features_].to_dict(orient="records")):
        bins, points, total = row.score(rec)
        assert bins == batch.bins[i].tolist() and points == batch.points[i].tolist()
        assert total == int(batch.score[i])
        assert row.pd_table[total - row.lo] == float(batch.pd[i])


def test_scalar_and_vectorised_agree_on_odd_numeric_values(engine: ScoringEngine) -> None:
    for _, rule in _numeric(engine):
        edges = [*rule.splits, *rule.special]
        values = [*MISSING, *edges, *(np.float64(e) for e in edges),
                  *(np.float32(e) for e in edges),
                  *(np.int64(e) for e in edges if float(e).is_integer()),
                  *(int(e) for e in edges if float(e).is_integer()),
                  True, False, np.True_, np.False_, float("inf"), float("-inf"), -0.0, 1e300]
        _agree(rule, values)


def _hand_rule(splits: list[float], codes: list[list[float]]) -> NumericRule:
    regular = [{"index": i, "type": "regular", "points": 10 * i} for i in range(len(splits) + 1)]
    special = [{"index": len(regular) + j, "type": "special", "points": -7 - j, "codes": c}
               for j, c in enumerate(codes)]
    missing = {"index": len(regular) + len(special), "type": "missing", "points": 3}
    return NumericRule({"splits": splits, "bins": [*regular, *special, missing]})


@settings(max_examples=200, deadline=None)
@given(splits=st.lists(st.floats(-1e6, 1e6), max_size=40, unique=True).map(sorted),
       codes=st.lists(st.lists(st.floats(-1e6, 1e6) | st.sampled_from([0.0, -0.0, np.inf]),
                               min_size=1, max_size=3), max_size=3),
       extra=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20))
def test_a_float_column_gets_the_scalar_rule_next_to_every_split_and_code(
        splits: list[float], codes: list[list[float]], extra: list[float]) -> None:
    # The vectorised path looks values up in one merged edge array (counted when short,
    # bisected when long): every value at, just below and just above each split and code
    # must land where bisect and the code table put it.
    rule = _hand_rule(splits, codes)
    edges = [*splits, *(c for group in codes for c in group)]
    values = np.array([*edges, *np.nextafter(edges, np.inf), *np.nextafter(edges, -np.inf),
                       *extra, np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=float)
    bins, points = rule.assign(values)
    assert list(zip(bins.tolist(), points.tolist(), strict=True)) == \
        [rule.assign_one(v) for v in values.tolist()]


def test_missing_numeric_values_get_the_missing_bin(engine: ScoringEngine) -> None:
    for _, rule in _numeric(engine):
        for v in MISSING:
            assert rule.assign_one(v) == rule.missing
        # A nullable pandas column hands pd.NA to the vectorised path.
        series = pd.Series([1.0, None], dtype="Float64")
        assert int(rule.assign(series)[0][1]) == rule.missing[0]


def test_scalar_and_vectorised_agree_on_odd_categorical_values(engine: ScoringEngine) -> None:
    for _, rule in _categorical(engine):
        known = [k for k in rule.lookup if k is not None]
        values = [*MISSING, *known, *(np.str_(k) for k in known), "never seen", "", "nan",
                  "None", True, False, np.True_, np.False_, 1, np.int64(1), 1.5, b"True"]
        _agree(rule, values)


def test_boolean_columns_score_as_their_category_text(engine: ScoringEngine) -> None:
    flags = [n for n, c in ((c.name, c) for c in KLARNA.features) if c.kind == "boolean"]
    assert flags
    for name, rule in _categorical(engine):
        if name not in flags:
            continue
        as_bool = rule.assign(np.array([True, False, True]))
        as_text = rule.assign(np.array(["True", "False", "True"], dtype=object))
        assert as_bool[0].tolist() == as_text[0].tolist()
        assert rule.assign_one(np.True_) == rule.assign_one("True") == rule.assign_one(True)


def test_missing_and_category_keys_have_one_definition() -> None:
    assert all(is_missing(v) for v in MISSING)
    assert not any(is_missing(v) for v in (0, 0.0, "", "nan", False, np.int64(0)))
    assert [category_key(v) for v in (None, pd.NA, np.nan, True, np.False_, "a", 3)] == \
        [None, None, None, "True", "False", "a", "3"]


@pytest.mark.parametrize("column", [
    pd.Series(["a", None, "b", np.nan, "a", "", pd.NA, " A"], dtype=object),
    pd.Series(["a", None, "b"], dtype="string"),
    pd.Series([True, False, True]),
    pd.Series([True, None, False], dtype="boolean"),
    pd.Series([True, 1, 1.0, "1", None, np.False_], dtype=object),  # equal hashes, own keys
    pd.Series([], dtype=object),
], ids=["object", "string", "bool", "nullable-bool", "mixed", "empty"])
def test_a_columns_category_keys_are_its_values_keys_one_by_one(column: pd.Series) -> None:
    keys = category_keys(column)
    assert keys.dtype == object
    assert keys.tolist() == [category_key(v) for v in column]
    assert all(k is None or type(k) is str for k in keys)


def test_the_two_reason_paths_pick_the_same_reasons(engine: ScoringEngine) -> None:
    rng = np.random.default_rng(2)
    k = len(engine.features_)
    # Points drawn from few values: many tied losses and many zero losses.
    maxp = engine.max_points_
    points = maxp[None, :] - rng.integers(0, 4, (400, k))
    result = engine.score({n: [None] * 400 for n in engine.features_})
    result = type(result)(result.bins, points, points.sum(axis=1), result.pd)
    row = RowScorer(engine)
    for top in (1, 4, k + 2):
        picks = top_reasons(engine, result, top)
        for i in range(len(points)):
            lost = (maxp - points[i]).tolist()
            expected = [j for j in picks[i].tolist() if j >= 0]
            assert row_reasons(lost, top) == expected == row.reasons(points[i].tolist(), top)
            # The rule itself, spelled out: larger loss first, card order on ties, > 0 only.
            assert expected == [j for j in sorted(range(k), key=lambda j: (-lost[j], j))[:top]
                                if lost[j] > 0]


def test_a_categorical_column_scores_as_its_labels_do(engine: ScoringEngine) -> None:
    for _, rule in _categorical(engine):
        known = [k for k in rule.lookup if k is not None]
        labels = [*known, "never seen", "", *known[:2], None, "never seen"]
        as_text = np.empty(len(labels), dtype=object)
        as_text[:] = labels
        as_category = pd.Series(labels, dtype="category")
        assert as_category.isna().sum() == 1
        bins, points = rule.assign(as_category)
        assert bins.tolist() == rule.assign(as_text)[0].tolist()
        assert points.tolist() == [rule.assign_one(v)[1] for v in labels]
