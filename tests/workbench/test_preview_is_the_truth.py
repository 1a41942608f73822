"""The preview is the truth: after any script of edits, the table the workbench shows is the
binning table the fit writes for the same overrides, and the fit keeps fixed splits exactly.

The fit here is :class:`~scorecard.fit.binning.WoEBinner` on the session's development rows
with the session's overrides: what ``Scorecard.fit`` (and so ``regenerate``) runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.fit.binning import WoEBinner
from scorecard.fit.overrides import FeatureOverride
from scorecard.workbench.session import Session, WorkbenchError

COLUMNS = ["feature", "bin", "type", "label", "count", "count_share", "non_event", "event",
           "event_rate", "woe", "iv"]
EXACT = ["feature", "bin", "type", "label", "count", "non_event", "event"]


def _fitted(session: Session, names: list[str]) -> dict[str, pd.DataFrame]:
    """The fit's tables of ``names`` (the others left out: each feature is binned alone)."""
    overrides = {c.name: FeatureOverride(exclude="not under test")
                 for c in session.spec.features if c.name not in names}
    overrides.update({n: session.overrides[n] for n in names if n in session.overrides})
    binner = WoEBinner(session.spec, overrides, session.min_share, session.max_bins)
    binner.fit(session.dev, session.y_dev)
    return {n: binner.bins_[n].table for n in names}


def _assert_same(preview: pd.DataFrame, fitted: pd.DataFrame) -> None:
    preview = preview[COLUMNS].reset_index(drop=True)
    fitted = fitted[COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(preview[EXACT], fitted[EXACT], check_dtype=False)
    np.testing.assert_allclose(preview[["count_share", "event_rate", "woe", "iv"]].to_numpy(float),
                               fitted[["count_share", "event_rate", "woe", "iv"]].to_numpy(float),
                               rtol=0, atol=1e-12)


def test_the_unedited_preview_is_the_optimisers_table_for_every_feature(
        session: Session) -> None:
    names = [n for n, b in session.state.items() if b.exclude is None]
    fitted = _fitted(session, names)
    for name in names:
        _assert_same(session.table(name), fitted[name])


_OPS = st.lists(st.tuples(st.sampled_from(["merge", "split", "regroup", "trend", "undo",
                                           "reset"]),
                          st.integers(0, 5), st.integers(0, 7), st.floats(0, 1)),
                min_size=1, max_size=6)


@pytest.fixture(scope="module")
def shared(small_data: object, tmp_path_factory: pytest.TempPathFactory) -> Session:
    from dataclasses import replace

    from scorecard.fit.spec import load_spec

    spec = replace(load_spec("klarna"), card_method="woe")  # as the conftest's session
    return Session(spec, small_data, None,  # type: ignore[arg-type]
                   tmp_path_factory.mktemp("prop"), reviewer="prop", baseline=False)


compared: list[str] = []


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=_OPS)
def test_after_any_edit_script_the_preview_is_the_fitted_table(
        shared: Session, script: list[tuple[str, int, int, float]]) -> None:
    s = shared
    numeric = ["age", "avg_payment_span_0_12m", "num_arch_ok_0_12m", "max_paid_inv_0_24m",
               "sum_capital_paid_account_0_12m"]
    pool = [*numeric, "merchant_category"]
    try:
        for op, f, i, u in script:
            name = pool[f % len(pool)]
            t = s.table(name)
            n_regular = int((t["type"] == "regular").sum())
            try:
                if op == "merge":
                    s.merge(name, i % max(n_regular - 1, 1), "r")
                elif op == "split" and name in numeric:
                    values = s.features[name].values
                    s.split(name, float(values[int(u * (len(values) - 1))]), "r")
                elif op == "regroup" and name == "merchant_category":
                    cats = [c for g in s.state[name].groups for c in g]
                    s.regroup(name, cats[i % len(cats)], int(u * n_regular), "r")
                elif op == "trend" and name in numeric:
                    s.set_trend(name, ["ascending", "descending", None][i % 3], "r")
                elif op == "undo":
                    s.undo()
                elif op == "reset":
                    s.reset(name, "r")
            except WorkbenchError:
                pass  # an edit the workbench refuses changes nothing
        honoured = [n for n in pool if n in s.overrides and not s.flags(n)
                    and s.state[n].exclude is None]
        compared.extend(honoured)
        fitted = _fitted(s, honoured)
        for name in honoured:
            _assert_same(s.table(name), fitted[name])
    finally:
        while s.undo():
            pass
        s.future.clear()


def test_the_edit_scripts_compared_overridden_tables() -> None:
    """Runs after the property test (file order): it must not have compared nothing."""
    assert compared, "no edit script left an honoured override to compare"


def test_the_fit_keeps_fixed_splits_exactly_as_given(session: Session) -> None:
    for name in ("avg_payment_span_0_12m", "age", "max_paid_inv_0_24m", "num_unpaid_bills",
                 "sum_paid_inv_0_12m", "max_paid_inv_0_12m"):
        session.merge(name, 0, "one risk level")
        if not session.flags(name):
            break
        session.undo()
    else:
        raise AssertionError("no clean merge on the test data")
    given_splits = session.overrides[name].splits
    fitted = WoEBinner(session.spec, {**{c.name: FeatureOverride(exclude="x")
                                         for c in session.spec.features if c.name != name},
                                      name: session.overrides[name]}).fit(
        session.dev, session.y_dev).bins_[name]
    assert fitted.splits == list(given_splits)  # the very floats, none moved or dropped
    assert fitted.overridden


def test_a_split_below_the_minimum_share_is_flagged_and_the_fit_would_not_keep_it(
        session: Session) -> None:
    name = "avg_payment_span_0_12m"
    fd = session.features[name]
    tiny = float(fd.values[1])  # a first bin holding only the smallest value's rows
    session.split(name, tiny, "try a tiny bin")
    problems = session.flags(name)
    assert problems and any("below the minimum share" in p or "pure" in p for p in problems)
    with pytest.raises(WorkbenchError, match=name):
        session.save()
    # Why the workbench refuses: optbinning would not keep this override as given.
    ov = session.overrides[name]
    others = {c.name: FeatureOverride(exclude="x") for c in session.spec.features
              if c.name != name}
    try:
        fb = WoEBinner(session.spec, {**others, name: ov}).fit(session.dev,
                                                               session.y_dev).bins_[name]
    except ValueError:
        return  # optbinning refuses a fixed split that leaves a pure bin
    assert fb.splits != list(ov.splits)
