"""A small credit file in a shape unlike the case's: the example of "bring your own data".

Comma separated, empty cells for missing values, an integer id, integer-coded categories
(``sex`` 1/2, ``education`` 1-4), repayment statuses with the sentinels ``-2`` (no
consumption) and ``-1`` (paid duly) below the month counts ``0..8``, a utilisation with
``-1`` for "no credit line", a text region with non-ASCII names, and a target whose name
contains dots (``default.next.month``, 1 = default, empty = to predict). The labels are
Bernoulli draws of a documented logistic truth, so the file is learnable but not additive in
WoE steps. Deterministic in ``seed``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scorecard.data.atomic import atomic_write

REGIONS = ("Zürich", "Genève", "Bern", "Basel", "Lugano", "Chur")


def example_frame(rows: int = 5_000, unlabelled: int = 500, seed: int = 0) -> pd.DataFrame:
    """``rows`` applicants, the last ``unlabelled`` of them without a target."""
    if rows < 1 or not 0 <= unlabelled <= rows:
        raise ValueError("need rows >= 1 and 0 <= unlabelled <= rows")
    rng = np.random.default_rng(seed)
    age = rng.integers(21, 76, rows)
    limit = np.round(rng.lognormal(10.5, 0.8, rows), -3)
    education = rng.choice([1, 2, 3, 4], rows, p=[0.35, 0.45, 0.17, 0.03])
    sex = rng.choice([1, 2], rows, p=[0.4, 0.6])
    region = rng.choice(REGIONS, rows)
    trouble = rng.normal(size=rows)
    pay = {}
    for m in (1, 2, 3):
        late = np.clip(np.floor(trouble + rng.normal(scale=0.8, size=rows)), 0, 8)
        status = np.where(rng.random(rows) < 0.25, -1, late)
        status = np.where(rng.random(rows) < 0.08, -2, status)
        pay[f"pay_{m}"] = status.astype(int)
    bill = np.round(limit * np.clip(rng.beta(2, 3, rows) + 0.1 * trouble, 0, 1.2))
    util = np.where(rng.random(rows) < 0.05, -1.0, np.round(bill / limit, 3))
    income = np.where(rng.random(rows) < 0.1, np.nan, np.round(rng.lognormal(8.3, 0.5, rows)))
    logit = (-1.6 + 0.55 * np.maximum(pay["pay_1"], 0) + 0.25 * np.maximum(pay["pay_2"], 0)
             - 0.35 * (pay["pay_1"] == -1) + 0.6 * np.clip(util, 0, None) ** 2
             - 0.25 * np.log(limit / 36_000) - 0.012 * (age - 40) + 0.0006 * (age - 40) ** 2
             + 0.2 * (education == 3) + 0.15 * (region == "Lugano")
             + 0.3 * np.isnan(income))
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(float)
    y[rows - unlabelled:] = np.nan
    frame = pd.DataFrame({
        "id": np.arange(1, rows + 1), "limit_bal": limit.astype(int), "sex": sex,
        "education": education, "age": age, "region": region, **pay,
        "bill_amt": bill.astype(int), "utilisation": util, "monthly_income": income,
        "default.next.month": y,
    })
    return frame


def write_example(path: str | Path, rows: int = 5_000, unlabelled: int = 500,
                  seed: int = 0) -> Path:
    """Write :func:`example_frame` as CSV (``,``, empty = missing) atomically."""
    frame = example_frame(rows, unlabelled, seed)
    frame["default.next.month"] = frame["default.next.month"].astype("Int64")
    path = Path(path)
    with atomic_write(path) as fh:
        frame.to_csv(fh, index=False, lineterminator="\n", na_rep="")
    return path
