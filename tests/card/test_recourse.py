"""The counterfactual search: exact against brute force, checked by the engine and by SQL.

Small random cards are built like :func:`tests.support.builders.demo_card` (every feature of the
Klarna contract, special codes, unseen categories, random points) with four actionable
characteristics, so brute force over every combination of target bins is a few thousand
cases per applicant.
"""

from __future__ import annotations

import math
from itertools import combinations, product
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from scorecard.card.artifact import input_contract, load_artifact, master_scale, seal
from scorecard.card.decisions import make_policy
from scorecard.card.engine import ScoringEngine
from scorecard.card.recourse import Explainer, Recourse, actionable_of
from scorecard.card.sql import card_sql
from scorecard.data.contract import KLARNA
from tests.support.builders import demo_card, sample_frame
from tests.support.paths import REPO

N_ACTIONABLE = 4


def _card(seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
    frame = sample_frame(KLARNA, 300, seed)
    card = demo_card(KLARNA, frame, seed)
    rng = np.random.default_rng(seed)
    names = [f["name"] for f in card["features"]]
    # At least one categorical and one numeric with a special bin among the actionable.
    cats = [f["name"] for f in card["features"] if f["kind"] == "categorical"]
    special = [f["name"] for f in card["features"]
               if any(b["type"] == "special" for b in f["bins"])]
    chosen = {str(rng.choice(cats)), str(rng.choice(special))}
    while len(chosen) < N_ACTIONABLE:
        chosen.add(str(rng.choice(names)))
    body = {k: v for k, v in card.items() if k not in ("content_hash", "model_id")}
    body["spec"] = {**card["spec"], "actionable": sorted(chosen)}
    return seal(body), frame


def _moved(f: dict[str, Any], a: int, b: int) -> int:
    n = len(f["splits"]) + 1 if f["kind"] == "numeric" else 0
    return abs(a - b) if 0 <= a < n and b < n else 1


def _brute(card: dict[str, Any], rec: Recourse, bins: list[int], points: list[int],
           needed: int) -> list[tuple[Any, ...]]:
    """Every minimal set's best assignment, ranked, from all combinations of bins."""
    acts = rec.actionable_
    feats = card["features"]
    choices = [[None, *[(t, p) for t, p, _ in rec.targets_[j]]] for j in acts]
    best: dict[frozenset[int], tuple[Any, ...]] = {}
    for combo in product(*choices):
        changed = [(j, c) for j, c in zip(acts, combo, strict=True)
                   if c is not None and c[0] != bins[j]]
        gain = sum(p - points[j] for j, (_, p) in changed)
        if not changed or gain < needed:
            continue
        key = (gain, sum(_moved(feats[j], bins[j], t) for j, (t, _) in changed),
               tuple(t for _, (t, _) in changed))
        members = frozenset(j for j, _ in changed)
        if members not in best or key < best[members]:
            best[members] = (*key, tuple((j, t) for j, (t, _) in changed))
    minimal = [s for s in best if not any(o < s for o in best)]
    return sorted((len(s), best[s][0], best[s][1], best[s][3]) for s in minimal)


@pytest.mark.parametrize("seed", range(8))
def test_the_search_is_optimal_against_brute_force(seed: int) -> None:
    card, frame = _card(seed)
    engine = ScoringEngine(card)
    rec = Recourse(engine, input_contract(card), actionable_of(card))
    assert len(rec.actionable_) == N_ACTIONABLE
    result = engine.score(frame)
    rng = np.random.default_rng(100 + seed)
    checked = 0
    for i in rng.choice(len(frame), 25, replace=False):
        bins, points = result.bins[i].tolist(), result.points[i].tolist()
        opts = rec.options(bins, points)
        max_gain = sum(o[-1].gain for o in opts.values())
        needed = int(rng.integers(1, max_gain + 4))
        for k in (1, 3, 50):
            found = rec.search(bins, points, needed, k)
            assert not found.limit_reached
            want = _brute(card, rec, bins, points, needed)
            got = [a.key() for a in found.alternatives]
            assert got == [(w[0], w[1], w[2], w[3]) for w in want][:k]
            assert found.reachable == bool(want)
            assert len({frozenset(o.j for o in a.changes) for a in found.alternatives}) == \
                len(got)  # diverse: different sets of characteristics
            checked += bool(want)
    assert checked > 20


def _sql_scores(card: dict[str, Any], rows: list[dict[str, Any]]) -> list[int]:
    frame = pd.DataFrame(rows)
    for f in card["features"]:
        if f["kind"] == "numeric":
            frame[f["name"]] = frame[f["name"]].astype(float)
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute("CREATE VIEW applicants AS SELECT * FROM frame")
        return con.execute(card_sql(card)).df()["score"].astype(int).tolist()


@pytest.mark.parametrize("seed", range(4))
def test_every_counterfactual_reaches_the_cutoff_in_the_engine_and_in_sql(seed: int) -> None:
    card, frame = _card(seed)
    engine = ScoringEngine(card)
    explainer = Explainer(engine, input_contract(card), None)
    actionable = set(actionable_of(card))
    result = engine.score(frame)
    rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v)
             for k, v in r.items()} for r in frame.to_dict(orient="records")]
    rebuilt: list[dict[str, Any]] = []
    cutoffs: list[int] = []
    statuses = set()
    for i in range(0, len(rows), 3):
        policy = make_policy(str(int(result.score[i]) + 1 + (i * 13) % 300), 0, card, None)
        assert policy is not None
        out = explainer.explain(rows[i], policy, k=3)
        statuses.add(out["status"])
        assert out["exact"] and not out["search_limit_reached"]
        for cf in out["counterfactuals"]:
            row = dict(rows[i])
            for change in cf["changes"]:
                assert change["characteristic"] in actionable
                assert change["points_gained"] > 0
                f = next(x for x in card["features"] if x["name"] == change["characteristic"])
                target = next(b for b in f["bins"] if b["label"] == change["to_bin"])
                assert target["type"] == "regular"  # never into a missing or special bin
                row[change["characteristic"]] = change["to_value"]
            assert cf["score"] >= policy.cutoff_score and cf["decision"] == "accept"
            before = engine.score({n: [rows[i].get(n)] for n in engine.features_})
            after = engine.score({n: [row.get(n)] for n in engine.features_})
            fixed = [j for j, n in enumerate(engine.features_) if n not in actionable]
            assert after.points[0, fixed].tolist() == before.points[0, fixed].tolist()
            assert int(after.score[0]) == cf["score"] == int(before.score[0]) + \
                cf["points_gained"]
            rebuilt.append(row)
            cutoffs.append(policy.cutoff_score)
    assert {"found", "unreachable"} <= statuses
    assert rebuilt
    sql = _sql_scores(card, rebuilt)
    assert all(s >= c for s, c in zip(sql, cutoffs, strict=True))
    assert sql == ScoringEngine(card).score(pd.DataFrame(rebuilt)).score.tolist()


def test_unreachable_cutoffs_and_accepted_applicants_are_said_so() -> None:
    card, frame = _card(0)
    engine = ScoringEngine(card)
    explainer = Explainer(engine, input_contract(card), None)
    row = frame.iloc[0].to_dict()
    score = int(engine.score(frame.iloc[[0]]).score[0])
    far = explainer.explain(row, make_policy(str(score + 10_000), 0, card, None), 3)  # type: ignore[arg-type]
    assert far["status"] == "unreachable" and far["counterfactuals"] == []
    assert f"{score + 10_000 - score} are needed" in far["message"]
    done = explainer.explain(row, make_policy(str(score), 0, card, None), 3)  # type: ignore[arg-type]
    assert done["status"] == "accepted" and done["points_needed"] == 0


def test_a_search_past_its_budget_says_it_is_not_proven_optimal() -> None:
    card, frame = _card(1)
    engine = ScoringEngine(card)
    rec = Recourse(engine, input_contract(card), actionable_of(card))
    result = engine.score(frame)
    bins, points = result.bins[0].tolist(), result.points[0].tolist()
    max_gain = sum(o[-1].gain for o in rec.options(bins, points).values())
    found = rec.search(bins, points, max_gain, 3, budget=2)
    assert found.limit_reached
    assert rec.search(bins, points, max_gain, 3).limit_reached is False


def test_targets_are_regular_bins_with_a_contract_valid_value_in_them() -> None:
    for seed in range(4):
        card, _ = _card(seed)
        engine = ScoringEngine(card)
        columns = {c.name: c for c in input_contract(card)}
        rec = Recourse(engine, input_contract(card), actionable_of(card))
        for j, targets in enumerate(rec.targets_):
            f = card["features"][j]
            for t, points, value in targets:
                assert f["bins"][t]["type"] == "regular"
                assert f["bins"][t]["points"] == points
                assert columns[f["name"]].check_value(value) is None
                assert engine.rules_[j].assign_one(value)[0] == t


def test_the_committed_card_proposes_only_payments_balances_and_statuses() -> None:
    card = load_artifact(REPO / "reports" / "scorecard.json")
    actionable = actionable_of(card)
    assert {"age", "merchant_category", "time_hours"}.isdisjoint(actionable)
    assert "num_unpaid_bills" in actionable
    explainer = Explainer(ScoringEngine(card), input_contract(card), master_scale(card))
    assert "age" not in explainer.actionable and "merchant_category" not in explainer.actionable
    # The worst applicant the card can score: every characteristic in its lowest bin.
    row = {}
    for f in card["features"]:
        worst = min(f["bins"], key=lambda b: b["points"])
        if f["kind"] == "numeric":
            edges = [-math.inf, *f["splits"], math.inf]
            row[f["name"]] = max(edges[worst["index"]], 0.0)
        else:
            row[f["name"]] = worst["categories"][0]
    out = explainer.explain(row, make_policy("grade:E", 0, card, master_scale(card)), 3)  # type: ignore[arg-type]
    assert out["status"] in ("found", "unreachable")
    for cf in out["counterfactuals"]:
        assert {c["characteristic"] for c in cf["changes"]} <= set(actionable)
        assert cf["grade"] in ("A", "B", "C", "D", "E")


def test_alternatives_are_minimal() -> None:
    card, frame = _card(2)
    engine = ScoringEngine(card)
    rec = Recourse(engine, input_contract(card), actionable_of(card))
    result = engine.score(frame)
    for i in range(40):
        bins, points = result.bins[i].tolist(), result.points[i].tolist()
        opts = rec.options(bins, points)
        best = {j: o[-1].gain for j, o in opts.items()}
        needed = max(1, sum(best.values()) // 2)
        for alt in rec.search(bins, points, needed, 10).alternatives:
            js = [o.j for o in alt.changes]
            for r in range(1, len(js)):
                assert all(sum(best[j] for j in sub) < needed for sub in combinations(js, r))
