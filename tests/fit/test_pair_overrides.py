"""A reviewer's interaction overrides (``[pairs."X*Y"]`` in the overrides file): they read
back as written, a mistake is named by its exact key, an excluded pair never enters the card
and the selection log says why, and a coarsened pair's grid has the reviewer's groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard.fit.estimator import Scorecard
from scorecard.fit.overrides import (
    FeatureOverride,
    OverridesError,
    PairOverride,
    dumps_overrides,
    load_overrides,
    load_pair_overrides,
    write_overrides,
)
from tests.fit.test_interactions import JOINT, _frame, _spec


def test_pair_overrides_read_back_as_written(tmp_path: Path) -> None:
    features = {"age": FeatureOverride(trend="descending", reason="policy")}
    pairs = {"a*b": PairOverride("a", "b", x_splits=(20.0, 50.0), reason="coarser",
                                 who="Rita", when="2026-12-06"),
             "k*m": PairOverride("k", "m", y_groups=(("x",), ("y", "z"))),
             "c*d": PairOverride("c", "d", exclude="not explainable", who="Rita")}
    path = tmp_path / "overrides.toml"
    write_overrides(path, features, "# the team's file", pairs)
    assert load_overrides(path) == features
    assert load_pair_overrides(path) == pairs
    assert path.read_text() == dumps_overrides(features, "# the team's file", pairs)
    assert '[pairs."a*b"]\nx_splits = [20.0, 50.0]\n' in path.read_text()


@pytest.mark.parametrize(("table", "named"), [
    ('[pairs."a*b"]\nx_split = [1.0]', 'pairs."a*b" has unknown keys [\'x_split\']'),
    ('[pairs."a-b"]\nexclude = "no"', 'pairs."a-b": a pair is named "X*Y"'),
    ('[pairs."a*b"]\nexclude = ""', 'pairs."a*b".exclude must give the reason'),
    ('[pairs."a*b"]\ny_splits = [5.0, 1.0]', 'pairs."a*b".y_splits must be strictly'),
    ('[pairs."a*b"]\nx_groups = [["A"], ["A", "B"]]', 'pairs."a*b".x_groups: a category'),
    ('[pairs."a*b"]\nx_splits = [1.0, 2.0, 3.0, 4.0]', 'pairs."a*b".x_splits: 5 groups'),
])
def test_a_bad_pair_override_is_refused_naming_its_key(tmp_path: Path, table: str,
                                                       named: str) -> None:
    path = tmp_path / "overrides.toml"
    path.write_text(table + "\n")
    with pytest.raises(OverridesError) as err:
        load_overrides(path)  # what every command reads first
    assert named in str(err.value)


def test_an_excluded_pair_stays_out_and_the_log_says_why(tmp_path: Path) -> None:
    path = tmp_path / "overrides.toml"
    path.write_text('[pairs."a*b"]\nexclude = "not explainable to an applicant"\n')
    X, y = _frame(4_000, 1, crossed=True)
    card = Scorecard(_spec("auto"), path, **JOINT).fit(X, y)
    assert "a_x_b" not in [p.name for p in card.interactions_]
    log = card.selection_log_.set_index("feature")
    assert log.loc["a_x_b", "decision"] == "out"
    assert log.loc["a_x_b", "reason"] == "excluded by override: not explainable to an applicant"
    assert bool(log.loc["a_x_b", "overridden"])


def test_a_coarsened_pair_has_the_reviewers_axis_groups() -> None:
    X, y = _frame(4_000, 1, crossed=True)
    free = Scorecard(_spec("auto"), {}, **JOINT).fit(X, y)
    own = list(free.binner_.bins_["a"].splits)
    cut = min(own, key=lambda s: abs(s - 50))  # the truth's own step
    po = PairOverride("a", "b", x_splits=(cut,), reason="one cut, at the policy's")
    card = Scorecard(_spec("auto"), {}, pair_overrides={"a*b": po}, **JOINT).fit(X, y)
    pair = next(p for p in card.interactions_ if p.name == "a_x_b")
    x = pair.parents[0]
    assert x["splits"] == [cut]
    assert [b["type"] for b in x["bins"]].count("regular") == 2
    assert pair.table["count"].sum() == len(X)
    log = card.selection_log_.set_index("feature")
    assert log.loc["a_x_b", "reason"].startswith("axis groups from the override (one cut")
    # A split point that is not one of a's own (a CV fold bins a otherwise) moves to the
    # nearest one, and the log says so.
    odd = cut + 0.25
    card = Scorecard(_spec("auto"), {}, pair_overrides={"a*b": PairOverride(
        "a", "b", x_splits=(odd,))}, **JOINT).fit(X, y)
    pair = next(p for p in card.interactions_ if p.name == "a_x_b")
    assert pair.parents[0]["splits"] == [cut]
    assert (f'pairs."a*b".x_splits: moved to a\'s nearest split points ({odd:g} to {cut:g})'
            in card.selection_log_.set_index("feature").loc["a_x_b", "reason"])


def test_a_pair_override_of_the_wrong_kind_is_refused_naming_its_key() -> None:
    X, y = _frame(4_000, 1, crossed=True)
    po = PairOverride("a", "b", y_groups=(("1",), ("2",)))
    with pytest.raises(OverridesError, match=r'pairs\."a\*b"\.y_groups: b is numeric; '
                                             "give y_splits"):
        Scorecard(_spec("auto"), {}, pair_overrides={"a*b": po}, **JOINT).fit(X, y)
