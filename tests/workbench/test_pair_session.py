"""A review session's pair edits (the card's interactions): merging two adjacent groups of
one axis becomes an override with the grid's other split points and the reviewer's reason,
the rebuilt card's grid has exactly those groups (its settings record the override); an
edit that would leave one group, name an unknown axis or pair, or lack a reason is refused;
undo, redo, drop and restore move the override back and forth, and saving writes it to the
overrides file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from scorecard.data.files import write_dataset
from scorecard.fit.overrides import load_pair_overrides
from scorecard.workbench.session import Session, WorkbenchError
from tests.fit.test_interactions import _spec


def _stairs(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows whose risk climbs in two steps of ``a`` where ``b`` is high: a grid with three
    groups along ``a``, two of which a reviewer may merge."""
    rng = np.random.default_rng(seed)
    a, b, c = (np.round(rng.uniform(0, 100, n)) for _ in range(3))
    logit = -2.0 + 1.5 * (b > 50) * ((a > 33).astype(float) + (a > 66)) + 0.01 * c
    y = (rng.random(n) < expit(logit)).astype(int)
    return pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": a, "b": b, "c": c}), y


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    tmp = tmp_path_factory.mktemp("pair_session")
    spec = _spec("auto")
    X, y = _stairs(6_000, 1)
    data = tmp / "pairs.csv"
    write_dataset(X.assign(bad=y), data, spec.contract)
    s = Session(spec, data, tmp / "overrides.toml", tmp / "work", reviewer="Rita")
    s.wait()
    assert s.builds[0].status == "done", s.builds[0].error
    return s


def test_merging_two_groups_of_an_axis_is_an_override_the_rebuild_honours(
        session: Session) -> None:
    before = session.pair_grid("a*b")
    assert before is not None
    splits = before["parents"][0]["splits"]
    assert len(splits) >= 2
    session.merge_pair("a*b", "x", 0, "one group below the policy age")
    ov = session.pairs["a*b"]
    assert ov.x_splits == tuple(splits[1:]) and ov.y_splits is None and ov.exclude is None
    assert (ov.reason, ov.who) == ("one group below the policy age", "Rita")
    assert session.pair_rows()[0]["edited"]
    session.save()
    assert load_pair_overrides(session.overrides_path)["a*b"] == ov
    session.rebuild()
    session.wait()
    assert session.builds[-1].status == "done", session.builds[-1].error
    after = session.pair_grid("a*b")
    assert after is not None and after["parents"][0]["splits"] == splits[1:]
    assert "axis groups from the override" in session.pair_rows()[0]["why"]
    card = json.loads((session.builds[-1].out / "scorecard.json").read_text())
    assert card["metadata"]["config"]["overridden_pairs"] == ["a*b"]


def test_a_pair_edit_that_cannot_be_made_is_refused(session: Session) -> None:
    with pytest.raises(WorkbenchError, match="field 'axis' must be 'x' or 'y'"):
        session.merge_pair("a*b", "z", 0, "why")
    with pytest.raises(WorkbenchError, match="unknown pair 'a\\*nope'"):
        session.drop_pair("a*nope", "why")
    with pytest.raises(WorkbenchError, match="needs a reason"):
        session.drop_pair("a*b", " ")
    with pytest.raises(WorkbenchError, match="not two adjacent regular groups"):
        session.merge_pair("a*b", "y", 7, "why")
    n = len(session.history)
    while True:  # merge an axis down to two groups: one more merge is refused
        try:
            session.merge_pair("a*b", "y", 0, "coarser")
        except WorkbenchError as exc:
            assert "drop the pair instead" in str(exc)
            break
    for _ in range(len(session.history) - n):
        session.undo()
    assert len(session.history) == n


def test_drop_restore_undo_and_redo_move_the_override(session: Session) -> None:
    kept = session.pairs.get("a*b")
    session.drop_pair("a*b", "not explainable")
    assert session.pairs["a*b"].exclude == "not explainable"
    assert session.pairs["a*b"].x_splits is None  # a dropped pair keeps no grouping
    with pytest.raises(WorkbenchError, match="restore it before coarsening"):
        session.merge_pair("a*b", "x", 0, "why")
    session.undo()
    assert session.pairs.get("a*b") == kept
    session.redo()
    session.restore_pair("a*b", "explainable after all")
    assert "a*b" not in session.pairs
    session.undo()
    session.undo()
    assert session.pairs.get("a*b") == kept
