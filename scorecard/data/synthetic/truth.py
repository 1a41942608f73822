"""The ground-truth default probability of the synthetic data: an explicit risk surface.

``true_pd(frame) = 1 / (1 + exp(-eta))`` with

    eta = intercept
          + sum_t coef[t] * term_t(row)                      (the terms listed below)
          + merchant_category_effect[merchant_category]
          + name_in_email_effect[name_in_email]

Notation: ``L(x) = log(1 + x)`` with a missing ``x`` read as 0, ``1{.}`` is 1 when the
condition holds (a missing value never satisfies it), ``h = time_hours``.

Terms (name: definition):

* ``thin_recent``: 1{num_arch_ok_0_12m == 0}  -- no invoice paid on time this year
* ``ok_0_12m``: L(num_arch_ok_0_12m)
* ``thin_old``: 1{num_arch_ok_12_24m == 0}
* ``ok_12_24m``: L(num_arch_ok_12_24m)
* ``dc_0_12m``: L(num_arch_dc_0_12m)
* ``span_12m``: L(avg_payment_span_0_12m); ``span_12m_na``: 1{avg_payment_span_0_12m is NA}
* ``span_3m_na``: 1{avg_payment_span_0_3m is NA}
* ``unpaid``: L(num_unpaid_bills)
* ``active_per_paid``: L(num_active_div_by_paid_inv_0_12m);
  ``active_per_paid_na``: 1{num_active_div_by_paid_inv_0_12m is NA}
* ``acct_none``: 1{account_status is NA}; ``acct_status_2``: 1{account_status == 2}
* ``acct_worst_3m_2``, ``acct_worst_3m_3``: 1{account_worst_status_0_3m >= 2}, ... >= 3
* ``acct_worst_6m_2``, ``acct_worst_6m_3``: 1{account_worst_status_3_6m >= 2}, ... >= 3
* ``arch_any_24m``: 1{status_max_archived_0_24_months >= 1};
  ``arch_dc_24m``: 1{status_max_archived_0_24_months >= 3}
* ``max_paid_24m``: L(max_paid_inv_0_24m); ``max_paid_12m``: L(max_paid_inv_0_12m);
  ``sum_paid_12m``: L(sum_paid_inv_0_12m)  (amounts in the case's currency units)
* ``incoming_debt``: L(account_incoming_debt_vs_paid_0_24m);
  ``incoming_debt_na``: 1{account_incoming_debt_vs_paid_0_24m is NA}
* ``has_paid``: 1{has_paid}
* ``recovery``: 1{recovery_debt > 0}
* ``age_decades``: (age - 40) / 10; ``age_over_25``: max(age - 25, 0) / 10;
  ``age_over_50``: max(age - 50, 0) / 10  -- a piecewise-linear age curve
* ``night``: exp(-d^2 / (2 * 2^2)), d = circular distance in hours between h and 03:00
  -- a non-monotone bump for purchases in the small hours (designed, see below)
* ``late_x_active``: 1{account_worst_status_0_3m >= 2 or status_max_archived_0_6_months >= 2}
  * L(num_active_inv)  -- recent payment delays weigh more with more open invoices
  (designed interaction, see below)

Terms a first fit gave no or a counter-intuitive effect once the others were in (reminder
count, 3-month span value, active-invoice count alone, a smooth daily cycle) are left out, so
each remaining effect has a plain reading.

Calibration (``fit_profile.py``, stored in ``klarna_truth.json``): the coefficients of all
terms but the two designed ones are a least-squares fit of logit(itdxer pd) on the real 10k
rows (the strongest public solution, 0.912 CV AUC), with ridge-shrunken category effects; the
designed terms ``night`` and ``late_x_active`` get fixed effects that itdxer's model does not
show, so a gradient-boosted challenger has a real non-monotone effect and a real interaction to
find that an additive monotone scorecard cannot express. Finally every effect is scaled by
one factor and the intercept shifted so that on generated data the mean pd is 1.43 % and the
oracle AUC (true pd against Bernoulli(true pd) labels) is about 0.905.

The ``interactions`` truth (``generate-data --truth interactions``): the same surface without
``late_x_active`` and with three planted pairwise terms (:data:`PAIR_TERMS`), each a
product of two thresholds, so an additive card cannot express them and a pair search has
named pairs to find:

* ``young_x_slow`` (numeric x numeric): 1{age < 30} * 1{avg_payment_span_0_12m >= 20}
* ``clothing_x_unpaid`` (categorical x numeric):
  1{merchant_group == "Clothing & Shoes"} * 1{num_unpaid_bills >= 3}
* ``nomatch_x_entertainment`` (categorical x categorical):
  1{name_in_email in ("no_match", "Nick")} * 1{merchant_group == "Entertainment"}

Their effects are fixed logit units (no common scale factor) and the intercept shifts by
:data:`INTERACTIONS_SHIFT`, so that the mean pd stays that of the default truth on default
generated data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

TRUTH_PATH = Path(__file__).with_name("klarna_truth.json")

# Designed effects (logit units, before the common scale factor): fixed, not fitted.
DESIGNED_EFFECTS: dict[str, float] = {"night": 1.0, "late_x_active": 0.6}
NIGHT_CENTRE_H = 3.0
NIGHT_WIDTH_H = 2.0

TRUTHS = ("default", "interactions")


@dataclass(frozen=True)
class PairTerm:
    """A planted pairwise term of the ``interactions`` truth: its two columns (as a pair
    search names them), its definition and its effect in logit units."""

    columns: tuple[str, str]
    definition: str
    effect: float


PAIR_TERMS: dict[str, PairTerm] = {
    "young_x_slow": PairTerm(("age", "avg_payment_span_0_12m"),
                             "1{age < 30} * 1{avg_payment_span_0_12m >= 20}", 1.5),
    "clothing_x_unpaid": PairTerm(("merchant_group", "num_unpaid_bills"),
                                  '1{merchant_group == "Clothing & Shoes"} * '
                                  "1{num_unpaid_bills >= 3}", 1.5),
    "nomatch_x_entertainment": PairTerm(("name_in_email", "merchant_group"),
                                        '1{name_in_email in ("no_match", "Nick")} * '
                                        '1{merchant_group == "Entertainment"}', 1.2),
}
# Keeps the mean pd of default generated data (seed 0) at the default truth's.
INTERACTIONS_SHIFT = -0.58


def _num(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=float)


def _log1p(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(np.nan_to_num(x, nan=0.0), 0.0))


def _ge(x: np.ndarray, level: float) -> np.ndarray:
    return (np.nan_to_num(x, nan=-np.inf) >= level).astype(float)


def _na(x: np.ndarray) -> np.ndarray:
    return np.isnan(x).astype(float)


def design(frame: pd.DataFrame) -> pd.DataFrame:
    """The numeric terms of the module docstring, one column each, shape ``(n_rows, n_terms)``.

    ``frame`` is typed as :func:`scorecard.data.files.read_dataset` returns it (any contract-valid
    Klarna frame). Category effects are not part of the design matrix.
    """
    f = frame
    ok12, ok24 = _num(f, "num_arch_ok_0_12m"), _num(f, "num_arch_ok_12_24m")
    span12 = _num(f, "avg_payment_span_0_12m")
    div = _num(f, "num_active_div_by_paid_inv_0_12m")
    status = _num(f, "account_status")
    w03, w36 = _num(f, "account_worst_status_0_3m"), _num(f, "account_worst_status_3_6m")
    m24, m6 = _num(f, "status_max_archived_0_24_months"), _num(f, "status_max_archived_0_6_months")
    incoming = _num(f, "account_incoming_debt_vs_paid_0_24m")
    age, hour = _num(f, "age"), _num(f, "time_hours")
    active = _log1p(_num(f, "num_active_inv"))
    d_night = np.abs(hour - NIGHT_CENTRE_H) % 24.0
    d_night = np.minimum(d_night, 24.0 - d_night)
    late = np.maximum(_ge(w03, 2), _ge(m6, 2))
    terms = {
        "thin_recent": (ok12 == 0).astype(float),
        "ok_0_12m": _log1p(ok12),
        "thin_old": (ok24 == 0).astype(float),
        "ok_12_24m": _log1p(ok24),
        "dc_0_12m": _log1p(_num(f, "num_arch_dc_0_12m")),
        "span_12m": _log1p(span12),
        "span_12m_na": _na(span12),
        "span_3m_na": _na(_num(f, "avg_payment_span_0_3m")),
        "unpaid": _log1p(_num(f, "num_unpaid_bills")),
        "active_per_paid": _log1p(div),
        "active_per_paid_na": _na(div),
        "acct_none": _na(status),
        "acct_status_2": _ge(status, 2),
        "acct_worst_3m_2": _ge(w03, 2),
        "acct_worst_3m_3": _ge(w03, 3),
        "acct_worst_6m_2": _ge(w36, 2),
        "acct_worst_6m_3": _ge(w36, 3),
        "arch_any_24m": _ge(m24, 1),
        "arch_dc_24m": _ge(m24, 3),
        "max_paid_24m": _log1p(_num(f, "max_paid_inv_0_24m")),
        "max_paid_12m": _log1p(_num(f, "max_paid_inv_0_12m")),
        "sum_paid_12m": _log1p(_num(f, "sum_paid_inv_0_12m")),
        "incoming_debt": _log1p(incoming),
        "incoming_debt_na": _na(incoming),
        "has_paid": f["has_paid"].to_numpy(dtype=bool).astype(float),
        "recovery": _ge(_num(f, "recovery_debt"), 1e-9),
        "age_decades": (age - 40.0) / 10.0,
        "age_over_25": np.maximum(age - 25.0, 0.0) / 10.0,
        "age_over_50": np.maximum(age - 50.0, 0.0) / 10.0,
        "night": np.exp(-0.5 * (d_night / NIGHT_WIDTH_H) ** 2),
        "late_x_active": late * active,
    }
    return pd.DataFrame(terms, index=frame.index)


def pair_design(frame: pd.DataFrame) -> pd.DataFrame:
    """The planted pairwise terms of :data:`PAIR_TERMS`, one column each (0/1 floats)."""
    f = frame
    age = _num(f, "age")
    span = _num(f, "avg_payment_span_0_12m")
    group = f["merchant_group"].to_numpy(dtype=object)
    email = f["name_in_email"].to_numpy(dtype=object)
    terms = {
        "young_x_slow": (age < 30) & (_ge(span, 20) > 0),
        "clothing_x_unpaid": (group == "Clothing & Shoes")
        & (_ge(_num(f, "num_unpaid_bills"), 3) > 0),
        "nomatch_x_entertainment": np.isin(email, ["no_match", "Nick"])
        & (group == "Entertainment"),
    }
    return pd.DataFrame({k: v.astype(float) for k, v in terms.items()}, index=frame.index)


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_truth(path: str | Path | None = None) -> dict[str, Any]:
    """The calibrated coefficients (``klarna_truth.json``); cached, treat as read-only."""
    return _load(str(path or TRUTH_PATH))


def _truth_name(truth: str) -> str:
    if truth not in TRUTHS:
        raise ValueError(f"truth must be one of {TRUTHS}, not {truth!r}")
    return truth


def linear_predictor(frame: pd.DataFrame, coefficients: dict[str, Any] | None = None,
                     truth: str = "default") -> np.ndarray:
    """``eta`` (log-odds of default) per row, shape ``(n_rows,)``, of the ``truth`` named
    (:data:`TRUTHS`, module docstring)."""
    _truth_name(truth)
    c = coefficients or load_truth()
    x = design(frame)
    missing = set(x.columns) - set(c["coefficients"])
    if missing:
        raise KeyError(f"truth coefficients lack terms {sorted(missing)}")
    beta = np.array([c["coefficients"][t] for t in x.columns], dtype=float)
    if truth == "interactions":
        beta[list(x.columns).index("late_x_active")] = 0.0
    eta = c["intercept"] + x.to_numpy() @ beta
    for col in ("merchant_category", "name_in_email"):
        effects = c[f"{col}_effect"]
        eta = eta + np.array([effects.get(v, 0.0) for v in frame[col]], dtype=float)
    if truth == "interactions":
        pairs = pair_design(frame)
        eta = eta + INTERACTIONS_SHIFT + pairs.to_numpy() @ np.array(
            [PAIR_TERMS[t].effect for t in pairs.columns])
    return eta


def true_pd(frame: pd.DataFrame, coefficients: dict[str, Any] | None = None,
            truth: str = "default") -> np.ndarray:
    """The true default probability of every row (float64 in (0, 1), shape ``(n_rows,)``).

    Works on any contract-valid Klarna frame (generated or real); see the module docstring
    for every term.
    """
    return expit(linear_predictor(frame, coefficients, truth))


def truth_metadata(truth: str) -> dict[str, Any]:
    """What a generated file's ``<stem>.truth.json`` states: the truth's name and its planted
    pairs (columns, definition, effect), so a test can check what a pair search found."""
    return {"truth": _truth_name(truth),
            "pairs": [{"term": name, "columns": list(t.columns), "definition": t.definition,
                       "effect": t.effect}
                      for name, t in (PAIR_TERMS.items() if truth == "interactions" else ())]}
