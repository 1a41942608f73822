"""A column the binning solver cannot prove optimal in time is binned again from fewer
pre-bins until it is: no best-so-far bins that depend on the machine's speed, no solve that
runs to optbinning's own time limit, and the selection log says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scorecard.data.contract import Column, Contract
from scorecard.fit.binning import MIN_FALLBACK_PREBINS, WoEBinner
from scorecard.fit.spec import DatasetSpec, method_defaults

TERMS = Contract(
    name="terms",
    columns=(Column("uid", "id"), Column("bad", "target", allowed=(0, 1)),
             Column("term_months", "numeric", min=1, max=360),
             Column("age", "numeric", min=18, max=100)),
    id_column="uid", target="bad", separator=",", na_value="",
)
# No trend on the term: its rate jumps between neighbouring values.
SPEC = DatasetSpec(name="terms", contract=TERMS,
                   monotonic={"term_months": None, "age": "descending"})


def terms(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Loans whose whole years (12 .. 240 months) default at 6 %, the odd months between
    them at 50 %, and an age that lowers the rate a little."""
    rng = np.random.default_rng(seed)
    n = 20_000
    whole = rng.random(n) < 0.6
    odd = rng.integers(1, 241, n)
    term = np.where(whole, 12 * rng.integers(1, 21, n), np.where(odd % 12 == 0, odd + 1, odd))
    age = rng.integers(18, 80, n)
    p = np.where(whole, 0.06, 0.5) * (1.3 - age / 100)
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"term_months": term.astype(float), "age": age.astype(float)}), y


def test_a_jumpy_column_is_binned_from_fewer_prebins_until_its_bins_are_proved_optimal(
        ) -> None:
    X, y = terms(3)
    d = method_defaults("joint")

    # At 15 bins the jumps cannot all be kept, and proving which to merge outlasts the
    # limit (the joint default of up to 30 is proved at once here).
    def fit() -> WoEBinner:
        return WoEBinner(SPEC, min_bin_share=d.min_bin_share, max_n_bins=15,
                         max_n_prebins=d.max_n_prebins,
                         min_bin_n_event=d.min_bin_n_event).fit(X, y)

    binner = fit()
    term = binner.bins_["term_months"]
    assert term.status == "OPTIMAL"
    note = binner.resolved_["term_months"]
    assert note.startswith("optbinning did not prove its bins optimal within 10 s from "
                           f"{d.max_n_prebins} pre-bins: binned from ")
    assert MIN_FALLBACK_PREBINS <= int(note.rsplit(" ", 1)[1]) < d.max_n_prebins
    # the jumps are kept: whole years apart from the odd months around them
    rates = term.table.loc[term.table["type"] == "regular", "event_rate"].to_numpy()
    assert int((np.diff(np.sign(np.diff(rates))) != 0).sum()) >= 8
    # a column the solver proves at once keeps its pre-bins and says nothing
    assert binner.bins_["age"].status == "OPTIMAL" and "age" not in binner.resolved_
    assert fit().bins_["term_months"].splits == term.splits
