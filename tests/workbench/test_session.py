"""Edits, undo/redo, saving and the overrides writer of the review session."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scorecard.fit.overrides import (
    FeatureOverride,
    OverridesError,
    dumps_overrides,
    load_overrides,
    write_overrides,
)
from scorecard.workbench.session import Session, WorkbenchError


def test_every_edit_needs_a_reason(session: Session) -> None:
    with pytest.raises(WorkbenchError, match="reason"):
        session.merge("age", 0, "  ")
    assert not session.history


def test_a_merge_recomputes_the_table_and_undo_redo_restore_it(session: Session) -> None:
    before = session.table("age")
    session.merge("age", 1, "same risk")
    merged = session.table("age")
    assert len(merged) == len(before) - 1
    assert merged["count"].iloc[1] == before["count"].iloc[1:3].sum()
    assert merged["count"].sum() == before["count"].sum()
    session.undo()
    assert session.table("age").equals(before)
    assert session.overrides["age"] == session.saved_overrides["age"]
    session.redo()
    assert session.table("age").equals(merged)


def test_split_regroup_trend_exclude_and_reset(session: Session) -> None:
    name = "avg_payment_span_0_12m"
    n = len(session.state[name].splits)
    session.split(name, 7.25, "policy")
    assert 7.25 in session.state[name].splits and len(session.state[name].splits) == n + 1
    with pytest.raises(WorkbenchError, match="already a split"):
        session.split(name, 7.25, "again")
    groups = session.state["merchant_category"].groups
    cat = groups[0][0]
    session.regroup("merchant_category", cat, len(groups), "its own group")
    assert (cat,) in session.state["merchant_category"].groups
    session.set_trend(name, "ascending", "domain")
    assert session.overrides[name].trend == "ascending"
    session.exclude("num_unpaid_bills", "not explainable")
    assert session.overrides["num_unpaid_bills"].exclude == "not explainable"
    session.reset(name, "back")
    assert session.overrides[name].splits is None  # the optimiser's, under the forced trend
    assert session.overrides[name].trend == "ascending"


def test_saving_keeps_untouched_overrides_and_signs_the_edited_ones(session: Session) -> None:
    path = session.overrides_path
    assert path is not None
    original = tomllib.loads(path.read_text())["features"]
    session.merge("num_unpaid_bills", 0, "one risk level")
    session.save()
    saved = tomllib.loads(path.read_text())["features"]
    assert {k: v for k, v in saved.items() if k != "num_unpaid_bills"} == original
    block = saved["num_unpaid_bills"]
    assert block["reason"] == "one risk level" and block["who"] == "tester"
    assert len(block["when"]) == 10 and block["splits"] == list(
        session.state["num_unpaid_bills"].splits)
    assert path.read_text().startswith("# Binning overrides")  # the file's header kept
    assert load_overrides(path) == session.saved_overrides


def test_the_writer_is_stable_and_reads_back(tmp_path: Path) -> None:
    ovs = {"b": FeatureOverride(splits=(0.1, 2.5e-07, 1e16), trend="ascending", reason="r \"q\"",
                                who="Ann", when="2026-12-01"),
           "a": FeatureOverride(groups=(("x", "y"), ("z",)), note="n"),
           "c": FeatureOverride(exclude="why")}
    text = dumps_overrides(ovs, "# header")
    assert text == dumps_overrides(dict(reversed(list(ovs.items()))), "# header")
    assert text.index("[features.\"a\"]") < text.index("[features.\"b\"]")
    path = tmp_path / "o.toml"
    write_overrides(path, ovs, "# header")
    assert load_overrides(path) == ovs


def test_an_unknown_key_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text('[features.age]\nreasons = "typo"\n')
    with pytest.raises(OverridesError, match="reasons"):
        load_overrides(path)
