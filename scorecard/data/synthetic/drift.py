"""Generated periods with a known drift, to test monitoring against a known truth.

``generate_periods(n_periods, rows, unlabelled, seed, drifts)`` returns one
``(frame, true_pd)`` per period, each from the generator with its own seed (derived from
``seed`` and the period number), so stable periods are fresh samples of the development
population. A drift ``KIND@PERIOD`` applies from that period (1-based) on:

* ``shift:<column>[=s]`` population shift of one characteristic: the period's rows are drawn
  from a pool three times larger with weights ``exp(s * z)``, ``z`` the normal score of the
  row's rank in ``column`` (missing values: ``z = 0``), default ``s = 1``. Rows stay whole
  generated rows (every joint rule holds) and keep labels drawn from the unchanged true pd:
  the mix moves, the risk of a given applicant does not.
* ``risk[=r]`` deterioration of the true risk: every applicant's odds of default multiplied
  by ``r`` (default 2), labels redrawn from the raised pd (the truth file holds it); the
  population does not move.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtri

from scorecard.data.contract import KLARNA
from scorecard.data.synthetic.generator import generate

_DRIFT = re.compile(r"^(?:shift:(?P<column>[A-Za-z_][\w]*)|(?P<risk>risk))"
                    r"(?:=(?P<value>[0-9.]+))?@(?P<period>[0-9]+)$")


@dataclass(frozen=True)
class Drift:
    kind: str           # "shift" or "risk"
    period: int         # first drifted period, 1-based
    column: str | None = None
    strength: float = 1.0

    @classmethod
    def parse(cls, text: str, n_periods: int) -> Drift:
        """``shift:<column>[=s]@P`` or ``risk[=r]@P``; raises ValueError with the rule."""
        m = _DRIFT.match(text)
        if not m:
            raise ValueError(f"--drift {text!r}: expected shift:<column>[=s]@PERIOD or "
                             "risk[=r]@PERIOD")
        period = int(m["period"])
        if not 1 <= period <= n_periods:
            raise ValueError(f"--drift {text!r}: period {period} is not in 1..{n_periods}")
        value = float(m["value"]) if m["value"] else None
        if m["column"]:
            column = m["column"]
            if column not in KLARNA.names or KLARNA.column(column).kind in ("id", "target"):
                raise ValueError(f"--drift {text!r}: {column!r} is not a feature column of "
                                 "the contract")
            return cls("shift", period, column, 1.0 if value is None else value)
        r = 2.0 if value is None else value
        if not r > 0:
            raise ValueError(f"--drift {text!r}: the odds ratio must be positive")
        return cls("risk", period, None, r)


def period_seed(seed: int, period: int) -> int:
    return int(np.random.SeedSequence([seed, period]).generate_state(1)[0])


def _tilt(values: pd.Series, strength: float) -> np.ndarray:
    ranks = values.rank(method="average", na_option="keep").to_numpy(dtype=float)
    n = np.isfinite(ranks).sum()
    z = np.where(np.isfinite(ranks), ndtri(np.nan_to_num(ranks, nan=0.5) / (n + 1)), 0.0)
    w = np.exp(strength * z)
    return w / w.sum()


def generate_period(period: int, rows: int, unlabelled: int, seed: int,
                    drifts: list[Drift]) -> tuple[pd.DataFrame, np.ndarray]:
    """One period (1-based) with every drift whose period has come."""
    active = [d for d in drifts if d.period <= period]
    s = period_seed(seed, period)
    rng = np.random.default_rng(s + 1)
    shifts = [d for d in active if d.kind == "shift"]
    if shifts:
        pool, pool_pd = generate(3 * rows, 0, s)
        w = np.ones(len(pool)) / len(pool)
        for d in shifts:
            w = w * _tilt(pool[d.column], d.strength)
        pick = np.sort(rng.choice(len(pool), size=rows, replace=False, p=w / w.sum()))
        frame, pd_true = pool.iloc[pick].reset_index(drop=True), pool_pd[pick]
    else:
        frame, pd_true = generate(rows, 0, s)
    odds = math.prod(d.strength for d in active if d.kind == "risk")
    if odds != 1.0:
        pd_true = expit(logit(pd_true) + math.log(odds))
        frame["default"] = (rng.random(rows) < pd_true).astype(float)
    if unlabelled:
        frame.loc[rng.choice(rows, size=unlabelled, replace=False), "default"] = np.nan
    return frame, pd_true


def generate_periods(n_periods: int, rows: int, unlabelled: int, seed: int,
                     drifts: list[Drift]) -> list[tuple[pd.DataFrame, np.ndarray]]:
    return [generate_period(k, rows, unlabelled, seed, drifts)
            for k in range(1, n_periods + 1)]
