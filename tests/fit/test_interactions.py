"""Interaction characteristics in the joint card: a pair whose risk is not additive is found,
binned in 2D and published as a points grid the engine scores as the pipeline does; on an
additive truth no pair pays and the selection log says why for every pair considered."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from scorecard.card.artifact import verify
from scorecard.card.engine import ScoringEngine
from scorecard.data.contract import Column, Contract
from scorecard.fit.estimator import Scorecard
from scorecard.fit.interactions import MIN_CELL_EVENTS, MIN_GAIN, finer_axes
from scorecard.fit.spec import DatasetSpec

CONTRACT = Contract(
    name="pairs",
    columns=(
        Column("uid", "id", csv_format="text"),
        Column("bad", "target", allowed=(0, 1)),
        Column("a", "numeric", nullable=True, min=-9, max=100),
        Column("b", "numeric", min=0, max=100),
        Column("c", "numeric", min=0, max=100),
    ),
    id_column="uid", target="bad", separator=",", na_value="",
)
JOINT = {"method": "joint"}  # the rest from the one table of method defaults


def _spec(interactions: str) -> DatasetSpec:
    return DatasetSpec(name="pairs", contract=CONTRACT,
                       special_codes={"a": {"no record (-9)": [-9]}},
                       interactions=interactions)


def _frame(n: int, seed: int, crossed: bool) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b, c = (np.round(rng.uniform(0, 100, n)) for _ in range(3))
    # Risky only where a and b are both high (crossed), or a sum of main effects.
    logit = (-2.0 + 2.5 * ((a > 50) & (b > 50)) if crossed
             else -2.0 + 0.02 * a + 0.015 * b) + 0.01 * c
    y = (rng.random(n) < expit(logit)).astype(int)
    a = np.where(rng.random(n) < 0.05, -9.0, a)
    a = np.where(rng.random(n) < 0.05, np.nan, a)
    return pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": a, "b": b, "c": c}), y


@pytest.fixture(scope="module")
def crossed() -> tuple[Scorecard, pd.DataFrame, np.ndarray]:
    X, y = _frame(8_000, 1, crossed=True)
    return Scorecard(_spec("auto"), **JOINT).fit(X, y), X, y


def test_a_crossed_pair_becomes_a_points_grid(crossed) -> None:
    card, X, _ = crossed
    assert [p.name for p in card.interactions_] == ["a_x_b"]
    artifact = verify(card.to_artifact({}, {}))
    f = artifact["features"][-1]
    assert f["kind"] == "interaction" and f["reason_code"] == "R01x02"
    assert [p["name"] for p in f["parents"]] == ["a", "b"]
    grid = np.asarray(f["grid"])
    assert grid.shape == tuple(len(p["bins"]) for p in f["parents"])
    # The card's points (parents' and grid's) are not additive where the truth is not: high a
    # and high b together lose far more than each alone says (2.5 logits, ~72 points).
    corners = pd.DataFrame({"uid": ["hh", "hl", "lh", "ll"], "a": [90.0, 90.0, 10.0, 10.0],
                            "b": [90.0, 10.0, 90.0, 10.0], "c": 50.0})
    score = ScoringEngine(artifact).score(corners).score
    assert score[0] - score[1] - score[2] + score[3] < -40
    assert sum(b["count"] for b in f["bins"]) == len(X)
    log = card.selection_log_.set_index("feature")
    assert log.loc["a_x_b", "decision"] == "in" and log.loc["a_x_b", "step"] == "interaction"


def test_the_engine_scores_the_grid_as_the_pipeline(crossed) -> None:
    card, X, _ = crossed
    result = ScoringEngine(card.to_artifact({}, {})).score(X)
    np.testing.assert_array_equal(result.points, card.pipeline_points(X))


def test_the_pair_pays_on_the_holdout(crossed) -> None:
    card, _, _ = crossed
    X, y = _frame(8_000, 2, crossed=True)
    without = Scorecard(_spec("none"), **JOINT).fit(*_frame(8_000, 1, crossed=True))
    from validation.calibration import log_loss

    base = log_loss(y, without.predict_proba(X)[:, 1])
    assert log_loss(y, card.predict_proba(X)[:, 1]) < base - MIN_GAIN * base


def test_no_pair_pays_on_an_additive_truth_and_the_log_says_why() -> None:
    X, y = _frame(8_000, 3, crossed=False)
    card = Scorecard(_spec("auto"), **JOINT).fit(X, y)
    assert card.interactions_ == []
    pairs = card.selection_log_[card.selection_log_["step"] == "interaction"]
    assert len(pairs) == 3 and (pairs["decision"] == "out").all()
    assert pairs["reason"].str.contains("rank gain|nothing to add").all()
    assert all(f["kind"] != "interaction" for f in card.to_artifact({}, {})["features"])
    none = Scorecard(_spec("none"), **JOINT).fit(X, y)
    assert (none.selection_log_["step"] != "interaction").all()


def test_the_spec_setting_reads_back_and_refuses_a_typo(tmp_path) -> None:
    import json

    from scorecard.fit.spec import KLARNA_SPEC, SpecError, load_spec

    assert "interactions" not in KLARNA_SPEC.to_dict()  # default: cards keep their hash
    assert KLARNA_SPEC.interactions == "auto"
    raw = {**KLARNA_SPEC.to_dict(), "interactions": "none"}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(raw))
    spec = load_spec(str(path))
    assert spec.interactions == "none" and spec.to_dict()["interactions"] == "none"
    path.write_text(json.dumps({**raw, "interactions": "yes"}))
    with pytest.raises(SpecError, match="interactions must be one of"):
        load_spec(str(path))


MIXED = Contract(
    name="mixed",
    columns=(
        Column("uid", "id", csv_format="text"),
        Column("bad", "target", allowed=(0, 1)),
        Column("a", "numeric", min=0, max=100),
        Column("k", "category", nullable=True, allowed=("A", "B", "C", "D", "E"),
               csv_format="text"),
        Column("m", "category", allowed=("x", "y", "z"), csv_format="text"),
        Column("c", "numeric", min=0, max=100),
    ),
    id_column="uid", target="bad", separator=",", na_value="",
)


def mixed_spec(interactions: str = "auto") -> DatasetSpec:
    return DatasetSpec(name="mixed", contract=MIXED, categorical=("k", "m"),
                       monotonic={"a": "ascending"}, interactions=interactions)


def mixed_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Two planted pairs: high ``a`` is far riskier in categories A and B of ``k``
    (numeric x categorical), and ``m`` = x is far riskier in category E (categorical x
    categorical); ``c`` adds on its own."""
    rng = np.random.default_rng(seed)
    a, c = (np.round(rng.uniform(0, 100, n)) for _ in range(2))
    k = rng.choice(np.array(["A", "B", "C", "D", "E"], dtype=object), n)
    m = rng.choice(np.array(["x", "y", "z"], dtype=object), n)
    logit = (-2.2 + 0.01 * a + 0.01 * c + 2.0 * ((a > 50) & np.isin(k, ["A", "B"]))
             + 2.0 * ((k == "E") & (m == "x")))
    y = (rng.random(n) < expit(logit)).astype(int)
    k = np.where(rng.random(n) < 0.03, None, k)
    return pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": a, "k": k, "m": m,
                         "c": c}), y


@pytest.fixture(scope="module")
def mixed() -> tuple[Scorecard, pd.DataFrame, np.ndarray]:
    X, y = mixed_frame(10_000, 1)
    return Scorecard(mixed_spec(), **JOINT).fit(X, y), X, y


def test_pairs_with_categorical_parents_are_found_and_no_others(mixed) -> None:
    card, _, _ = mixed
    assert sorted(p.name for p in card.interactions_) == ["a_x_k", "k_x_m"]
    artifact = verify(card.to_artifact({}, {}))
    kinds = {f["name"]: [p["kind"] for p in f["parents"]] for f in artifact["features"]
             if f["kind"] == "interaction"}
    assert kinds == {"a_x_k": ["numeric", "categorical"],
                     "k_x_m": ["categorical", "categorical"]}
    # Every pair of the card's characteristics was considered and logged with its rank gain.
    log = card.selection_log_[card.selection_log_["step"] == "interaction"]
    n = len(card.features_)
    assert len(log) == n * (n - 1) // 2
    assert log["reason"].str.contains("rank gain|nothing to add").all()
    assert set(log.loc[log["decision"] == "in", "feature"]) == {"a_x_k", "k_x_m"}
    assert log.loc[log["decision"] == "in", "reason"].str.contains("out-of-fold gain").all()


def test_a_grid_is_its_parents_axis_units_merged_and_each_group_has_the_events(mixed) -> None:
    from scorecard.fit.joint import bin_indices

    card, X, y = mixed
    binned = {n: card.binner_.bins_[n] for n in card.features_}
    axes = finer_axes(binned, X, y, "normalised")
    for pair in card.interactions_:
        # a categorical parent's finer units always; a numeric parent's quantile units
        # where they placed the cuts (its map is then longer than its own bins)
        units = {n: axes[n] if n in axes and len(m) == len(axes[n][0].table) else (
                     binned[n], bin_indices(binned[n], X[n], "normalised"))
                 for n, m in zip((pair.x, pair.y), pair.maps, strict=True)}
        for parent, own in zip(pair.parents, (pair.x, pair.y), strict=True):
            regular = [b for b in parent["bins"] if b["type"] == "regular"]
            assert 2 <= len(regular) <= min(4, units[own][0].n_regular)
            if parent["kind"] == "categorical":  # every category of the card's own groups
                assert sorted(c for b in regular for c in b["categories"]) == sorted(
                    c for g in binned[own].groups for c in g)
        t = pair.table
        own = t["group"] < pair.n_groups - 1
        assert (t.loc[own, "event"] >= MIN_CELL_EVENTS).all()
        np.testing.assert_array_equal(pair.cells_of(units[pair.x][1], units[pair.y][1]),
                                      pair.cells(X))
        assert int(t["count"].sum()) == len(X) and int(t["event"].sum()) == int(y.sum())


def test_a_categorical_axis_has_each_category_with_the_defaults_on_its_own() -> None:
    """The rarer categories of a bin stay together, a bin of one category and the missing
    bin stay as they are; a characteristic with a declared trend keeps its bins."""
    from scorecard.fit.binning import FeatureBins

    fb = FeatureBins("k", "categorical", None, groups=[["A", "B", "C"], ["D"]],
                     table=pd.DataFrame({"type": ["regular", "regular", "missing"],
                                         "label": ["A, B, C", "D", "Missing"]}))
    sizes = {"A": (400, 40), "B": (100, 5), "C": (100, 5), "D": (400, 40), None: (50, 5)}
    values = pd.Series([v for v, (n, _) in sizes.items() for _ in range(n)], dtype=object)
    y = np.concatenate([np.r_[np.ones(e), np.zeros(n - e)] for n, e in sizes.values()])
    units, rows = finer_axes({"k": fb}, pd.DataFrame({"k": values}), y)["k"]
    assert units.groups == [["A"], ["B", "C"], ["D"]]
    assert units.table["type"].tolist() == ["regular"] * 3 + ["missing"]
    np.testing.assert_array_equal(rows, np.repeat([0, 1, 2, 3], [400, 200, 400, 50]))
    assert finer_axes({"k": fb}, pd.DataFrame({"k": values}), y,
                      declared={"k": "ascending"}) == {}


def test_the_engine_scores_categorical_grids_as_the_pipeline(mixed) -> None:
    card, X, _ = mixed
    odd = X.head(50).copy()
    odd.loc[odd.index[:10], "k"] = None
    result = ScoringEngine(card.to_artifact({}, {})).score(pd.concat([X, odd]))
    np.testing.assert_array_equal(result.points, card.pipeline_points(pd.concat([X, odd])))


def test_points_follow_a_declared_trend_across_the_grid(mixed) -> None:
    card, _, _ = mixed
    artifact = card.to_artifact({}, {})
    a = next(f for f in artifact["features"] if f["name"] == "a")
    pair = next(f for f in artifact["features"] if f["name"] == "a_x_k")
    # Each applicant's points for a plus the grid's never rise with a (ascending risk) in
    # any column of populated cells.
    edges = [-np.inf, *pair["parents"][0]["splits"], np.inf]
    grid = np.asarray(pair["grid"])
    counts = np.asarray([b["count"] for b in pair["bins"]]).reshape(grid.shape)
    mids = [(lo + hi) / 2 for lo, hi in zip([0, *a["splits"]], [*a["splits"], 100],
                                             strict=True)]
    for col in range(grid.shape[1]):
        total = []
        for x, pts in zip(mids, [b["points"] for b in a["bins"] if b["type"] == "regular"],
                          strict=True):
            row = int(np.searchsorted(edges, x, side="right")) - 1
            if counts[row, col]:
                total.append(pts + grid[row, col])
        assert all(d <= 1 for d in np.diff(total)), (col, total)  # one point: rounding


def test_a_pair_against_a_declared_trend_is_named_as_such(mixed) -> None:
    from scorecard.fit.interactions import _against_trend

    card, _, _ = mixed
    pair = next(p for p in card.interactions_ if p.name == "a_x_k")
    contributions = dict(card.joint_.contributions_)
    assert _against_trend(pair, card.binner_.bins_, contributions) is None
    n_x, n_y = (len(p["bins"]) for p in pair.parents)
    falling = -5.0 * np.repeat(np.arange(n_x, dtype=float), n_y)  # risk falls with a
    why = _against_trend(pair, card.binner_.bins_, {**contributions, pair.name: falling})
    assert why is not None and "a's declared ascending trend" in why


def test_a_spent_budget_confirms_no_pair_and_the_log_says_so() -> None:
    X, y = _frame(8_000, 1, crossed=True)
    card = Scorecard(_spec("auto"), interaction_budget_s=0.0, **JOINT).fit(X, y)
    assert card.interactions_ == []
    log = card.selection_log_.set_index("feature")
    assert "time budget of 0 s was spent" in log.loc["a_x_b", "reason"]


def test_the_interactions_truth_gives_the_planted_pairs_and_no_others() -> None:
    """The search on generated rows of ``--truth interactions`` (one training half of the
    benchmark's size) puts in the three planted pairs and nothing else. The Klarna
    overrides exclude ``merchant_group`` as a coarser duplicate of ``merchant_category``,
    so its pairs come in through the finer column, which determines it."""
    from scorecard.data.synthetic import generate
    from scorecard.data.synthetic.truth import PAIR_TERMS
    from scorecard.fit.spec import KLARNA_SPEC

    frame, _ = generate(45_000, 0, seed=1, truth="interactions")
    y = frame["default"].to_numpy(dtype=int)
    card = Scorecard(KLARNA_SPEC, interactions="auto", **JOINT).fit(frame, y)
    finer = {"merchant_group": "merchant_category"}
    planted = {frozenset(finer.get(c, c) for c in t.columns) for t in PAIR_TERMS.values()}
    assert {frozenset((p.x, p.y)) for p in card.interactions_} == planted
    log = card.selection_log_[card.selection_log_["step"] == "interaction"]
    assert (log["decision"] == "in").sum() == 3


def _two_risks(n: int, seed: int, logit_of) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b, c = (np.round(rng.uniform(0, 100, n), 1) for _ in range(3))
    y = (rng.random(n) < expit(logit_of(a, b) + 0.005 * c)).astype(int)
    return pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": a, "b": b, "c": c}), y


def _lattice_scores(card: Scorecard) -> np.ndarray:
    v = np.arange(5.0, 100.0, 10.0)
    a, b = np.meshgrid(v, v, indexing="ij")
    rows = pd.DataFrame({"uid": [f"g{i}" for i in range(a.size)], "a": a.ravel(),
                         "b": b.ravel(), "c": 50.0})
    return ScoringEngine(card.to_artifact({}, {})).score(rows).score.reshape(a.shape)


def test_two_declared_risks_that_add_up_to_less_than_their_sum_are_a_monotone_pair() -> None:
    # each risk alone adds 2 logits, both together only 2.3: a step that takes risk off the
    # safe corner holds it, and both declared trends hold in every line
    X, y = _two_risks(12_000, 4, lambda a, b: -3.0 + 2.0 * (a > 60) + 2.0 * (b > 60)
                      - 1.7 * ((a > 60) & (b > 60)))
    spec = DatasetSpec(name="pairs", contract=CONTRACT, interactions="auto",
                       monotonic={"a": "ascending", "b": "ascending"})
    card = Scorecard(spec, **JOINT).fit(X, y)
    assert [p.name for p in card.interactions_] == ["a_x_b"]
    score = _lattice_scores(card)
    assert (np.diff(score, axis=0) <= 0).all() and (np.diff(score, axis=1) <= 0).all()
    hh, hl, lh, ll = score[-1, -1], score[-1, 0], score[0, -1], score[0, 0]
    assert hh - hl - lh + ll > 40  # together they lose far less than each alone says


def test_a_grid_cuts_where_the_interaction_is_between_the_parents_own_splits() -> None:
    # a's own risk steps only at 80, so its bins are few; the pair's threshold is at 30
    X, y = _two_risks(12_000, 5, lambda a, b: -2.5 + 1.5 * (a > 80)
                      + 2.0 * ((a < 30) & (b > 50)) - 1.0 * (b > 50))
    card = Scorecard(_spec("auto"), **JOINT).fit(X, y)
    pair = next(p for p in card.interactions_ if p.name == "a_x_b")
    own = card.binner_.bins_["a"].splits
    cuts = pair.parents[0]["splits"]
    assert any(abs(cut - 30) < 5 for cut in cuts), cuts
    assert not any(abs(s - 30) < 5 for s in own), own


@pytest.mark.parametrize("trends", [{}, {"a": "ascending"}], ids=["free", "a declared"])
def test_an_interaction_on_a_parents_missing_line_is_held_by_the_grid(
        trends: dict[str, str]) -> None:
    # b matters only where a is missing (a payment span without a paid invoice, say): the
    # grid's missing line of a must hold it, or a proxy would; with a's trend declared, that
    # line lies outside its order, so its cells are free as in a pair with none declared
    rng = np.random.default_rng(6)
    n = 12_000
    a, b, c = (np.round(rng.uniform(0, 100, n)) for _ in range(3))
    gone = rng.random(n) < 0.25
    logit = -2.5 + 0.01 * np.where(gone, 50.0, a) + 1.5 * (gone & (b > 50)) + 0.005 * c
    y = (rng.random(n) < expit(logit)).astype(int)
    X = pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": np.where(gone, np.nan, a),
                      "b": b, "c": c})
    card = Scorecard(replace(_spec("auto"), monotonic=trends), **JOINT).fit(X, y)
    assert [p.name for p in card.interactions_] == ["a_x_b"]
    assert card.interactions_[0].signs == ((1, 0) if trends else (0, 0))
    rows = pd.DataFrame({"uid": ["lo", "hi", "lo_seen", "hi_seen"],
                         "a": [np.nan, np.nan, 50.0, 50.0], "b": [10.0, 90.0, 10.0, 90.0],
                         "c": 50.0})
    score = ScoringEngine(card.to_artifact({}, {})).score(rows).score
    # b's high half costs far more points where a is missing than where it is known: the
    # truth's 43 points less the penalty's shrinkage (a grid without the line holds none)
    assert (score[0] - score[1]) - (score[2] - score[3]) > 15


def test_a_flag_held_by_few_rows_is_a_grid_bin_of_its_own() -> None:
    # an add-on plan held by 7 % of the rows, whose risk climbs with a only there (an
    # international plan whose callers churn on their international minutes): a flag has
    # no cut to choose, so its rarer value is a grid bin though it holds under a tenth
    rng = np.random.default_rng(7)
    n = 20_000
    a, c = (np.round(rng.uniform(0, 100, n)) for _ in range(2))
    plan = rng.random(n) < 0.07
    logit = -2.0 + 0.01 * a + 0.01 * c + np.where(plan, -1.0 + 0.04 * a, 0.0)
    y = (rng.random(n) < expit(logit)).astype(int)
    X = pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": a,
                      "k": rng.choice(np.array(["A", "B"], dtype=object), n),
                      "m": np.where(plan, "x", "y"), "c": c})
    card = Scorecard(mixed_spec(), **JOINT).fit(X, y)
    assert "a_x_m" in [p.name for p in card.interactions_]
    rows = pd.DataFrame({"uid": ["plan_lo", "plan_hi", "lo", "hi"], "a": [10.0, 90.0] * 2,
                         "k": "A", "m": ["x", "x", "y", "y"], "c": 50.0})
    score = ScoringEngine(card.to_artifact({}, {})).score(rows).score
    # a's high values cost far more points on the plan than off it (the truth: 92 points)
    assert (score[0] - score[1]) - (score[2] - score[3]) > 40


def test_a_pair_that_ranks_in_may_cut_a_thinner_tail_where_its_risk_turns_again() -> None:
    # b's risk climbs over the top 15 % of a and far more steeply over its top 6 % (a tail of
    # many service calls): the two by two ranks on the first cut, and the refined grid cuts
    # the tail apart though it holds under a tenth of the rows
    X, y = _two_risks(20_000, 7, lambda a, b: -2.0 + 0.01 * b
                      + np.where(a > 85, -0.5 + 0.02 * b, 0.0)
                      + np.where(a > 94, -1.0 + 0.04 * b, 0.0))
    card = Scorecard(_spec("auto"), **JOINT).fit(X, y)
    pair = next(p for p in card.interactions_ if p.name == "a_x_b")
    splits = pair.parents[0]["splits"]
    assert any(83 < cut < 88 for cut in splits) and any(92 < cut < 96 for cut in splits)
    rows = pd.DataFrame({"uid": ["tail_lo", "tail_hi", "mid_lo", "mid_hi"],
                         "a": [98.0, 98.0, 89.0, 89.0], "b": [10.0, 90.0, 10.0, 90.0],
                         "c": 50.0})
    score = ScoringEngine(card.to_artifact({}, {})).score(rows).score
    # b's high values cost more points in the tail than just below it
    assert (score[0] - score[1]) - (score[2] - score[3]) > 15
