"""Interaction (two-dimensional) characteristics: the cell of two parents' bins, scored alike
by the batch engine and the one-applicant scorer, verified field by field in the artifact,
ranked as reasons like any characteristic and never a recourse target."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scorecard.card.artifact import ArtifactError, input_contract, seal, verify
from scorecard.card.decisions import Policy, lowest_score
from scorecard.card.engine import (
    UNSEEN,
    InteractionRule,
    RowScorer,
    ScoringEngine,
    bin_rule,
)
from scorecard.card.reasons import reason_details, top_reasons
from scorecard.card.recourse import Explainer
from scorecard.data.contract import KLARNA
from tests.support.builders import demo_card, sample_frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return sample_frame(KLARNA, 3_000, seed=4)


@pytest.fixture(scope="module")
def card(frame: pd.DataFrame) -> dict[str, Any]:
    return demo_card(KLARNA, frame, seed=9, interactions=True)


def _interactions(card: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(j, f) for j, f in enumerate(card["features"]) if f["kind"] == "interaction"]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def test_the_demo_card_has_three_kinds_of_interaction(card: dict[str, Any]) -> None:
    kinds = [tuple(p["kind"] for p in f["parents"]) for _, f in _interactions(verify(card))]
    assert kinds == [("numeric", "numeric"), ("numeric", "categorical"),
                     ("categorical", "categorical")]
    names = {f["name"] for f in card["features"]}
    assert card["features"][-3]["parents"][0]["name"] in names  # a parent scored on its own
    assert card["features"][-1]["parents"][1]["name"] not in names  # a parent only


def test_the_bin_is_the_flattened_cell_of_the_parents_bins(card: dict[str, Any],
                                                           frame: pd.DataFrame) -> None:
    result = ScoringEngine(card).score(frame)
    for j, f in _interactions(card):
        px, py = f["parents"]
        # The parents' rules applied on their own, as one-dimensional characteristics.
        i = bin_rule({**px, "bins": [{**b, "points": 0} for b in px["bins"]],
                      "unseen_points": 0}).assign(frame[px["name"]])[0]
        k = bin_rule({**py, "bins": [{**b, "points": 0} for b in py["bins"]],
                      "unseen_points": 0}).assign(frame[py["name"]])[0]
        unseen = (i == UNSEEN) | (k == UNSEEN)
        grid = np.asarray(f["grid"])
        assert result.bins[~unseen, j].tolist() == (i * len(py["bins"]) + k)[~unseen].tolist()
        assert result.points[~unseen, j].tolist() == grid[i[~unseen], k[~unseen]].tolist()
        assert (result.bins[unseen, j] == UNSEEN).all()
        assert (result.points[unseen, j] == f["unseen_points"]).all()
    assert (result.bins[:, -1] == UNSEEN).any()  # categorical parents meet unseen categories


def test_scalar_and_vectorised_agree_on_rows_and_odd_values(card: dict[str, Any],
                                                            frame: pd.DataFrame) -> None:
    engine = ScoringEngine(card)
    batch = engine.score(frame)
    row = RowScorer(engine)
    for i, rec in enumerate(_records(frame)):
        bins, points, total = row.score(rec)
        assert bins == batch.bins[i].tolist() and points == batch.points[i].tolist()
        assert row.pd_table[total - row.lo] == float(batch.pd[i])
    for _, f in _interactions(card):
        rule = bin_rule(f)
        assert isinstance(rule, InteractionRule)
        odd: list[list[Any]] = []
        for p in f["parents"]:
            if p["kind"] == "numeric":
                odd.append([None, float("nan"), pd.NA, *p["splits"], -1e300, 1e300,
                            *(c for b in p["bins"] for c in b.get("codes", []))])
            else:
                odd.append([None, pd.NA, "never seen", True, False,
                            *(c for b in p["bins"] for c in b.get("categories", []))])
        pairs = [(a, b) for a in odd[0] for b in odd[1]]
        xs = np.empty(len(pairs), dtype=object)
        ys = np.empty(len(pairs), dtype=object)
        xs[:], ys[:] = [a for a, _ in pairs], [b for _, b in pairs]
        bins, points = rule.assign(xs, ys)
        assert [(int(b), int(p)) for b, p in zip(bins, points, strict=True)] == [
            rule.assign_one(a, b) for a, b in pairs]


def test_lowest_score_and_the_scorers_range_agree(card: dict[str, Any]) -> None:
    engine = ScoringEngine(card)
    assert lowest_score(card) == RowScorer(engine).lo
    # An all-numeric interaction never gives its unseen points: they are not in its range.
    j, f = _interactions(card)[0]
    low = min(min(r) for r in f["grid"])
    raw = copy.deepcopy(card)
    raw["features"][j]["unseen_points"] = low - 100
    assert bin_rule(raw["features"][j]).points_range[0] == low


def _refused(card: dict[str, Any], edit: Any, message: str) -> None:
    raw = copy.deepcopy(card)
    edit(raw)
    with pytest.raises(ArtifactError, match=message):
        verify(seal(raw))


def test_a_malformed_interaction_is_refused_naming_the_place(card: dict[str, Any]) -> None:
    j, _ = _interactions(card)[0]
    at = rf"features\[{j}\]"

    def feature(raw: dict[str, Any]) -> dict[str, Any]:
        return raw["features"][j]

    _refused(card, lambda r: feature(r)["grid"].pop(), at + r".*grid: must be \d+ rows")
    _refused(card, lambda r: feature(r)["grid"][0].append(1), at + r".*grid: must be")
    _refused(card, lambda r: feature(r)["grid"][0].__setitem__(0, 1.5),
             at + r".*grid: points must be integers")
    _refused(card, lambda r: feature(r)["grid"][1].__setitem__(0, 10**6),
             at + r".*bins\[\d+\]: points .* differ from grid\[1\]\[0\]")
    _refused(card, lambda r: feature(r).__setitem__("max_points", feature(r)["max_points"] + 1),
             at + r".*max_points is not the largest")
    _refused(card, lambda r: feature(r)["parents"].pop(), at + r".*parents: must be a list of two")
    _refused(card, lambda r: feature(r)["parents"][0]["splits"].reverse(),
             at + r".*\.parents\[0\].*splits must be a strictly increasing")
    _refused(card, lambda r: feature(r)["parents"][1].__setitem__("kind", "interaction"),
             at + r".*\.parents\[1\]: needs a name and a kind")
    _refused(card, lambda r: feature(r)["bins"][1].__setitem__("row", 5),
             at + r".*bins\[1\]: must be the cell")
    _refused(card, lambda r: feature(r)["parents"][0].__setitem__("name", "no_such_column"),
             r"input_contract: lacks the card's feature\(s\) \['no_such_column'\]")


def test_an_interaction_is_a_reason_like_any_characteristic(card: dict[str, Any],
                                                           frame: pd.DataFrame) -> None:
    engine = ScoringEngine(card)
    result = engine.score(frame)
    picks = top_reasons(engine, result, 4)
    j, f = _interactions(card)[0]
    rows = np.flatnonzero((picks == j).any(axis=1))
    assert len(rows) > 0, "the interaction should explain some scores"
    details = reason_details(engine, result, int(rows[0]), _records(frame)[rows[0]])
    mine = next(d for d in details if d["characteristic"] == f["name"])
    assert mine["code"] == f["reason_code"]
    assert mine["points_lost"] == f["max_points"] - int(result.points[rows[0], j])
    assert " & " in mine["bin"]  # the cell's label names both parents' bins


def test_an_interaction_is_never_a_recourse_target(card: dict[str, Any],
                                                   frame: pd.DataFrame) -> None:
    raw = copy.deepcopy(card)
    inter = [f["name"] for _, f in _interactions(card)]
    raw["spec"]["actionable"] = [*inter, card["features"][0]["name"]]
    raw = seal(raw)
    engine = ScoringEngine(raw)
    explainer = Explainer(engine, input_contract(raw), None)
    assert explainer.actionable == [card["features"][0]["name"]]
    out = explainer.explain(_records(frame)[0], Policy("1000000", "score", 10**6, 0, 0.0))
    assert out["status"] == "unreachable"
