"""Synthetic Klarna ``dataset.csv`` rows: a Gaussian copula over a small DAG of conditionals.

The real labelled rows are not public, so the project generates its own in the exact case
format. The model has two layers:

* **Nodes** (:data:`NODES`, in generation order). Each node is one variable: a file column
  (``age``), a hidden state (``_new``: no archived invoice in 24 months; ``_nz``: how many of
  the last three archived-invoice slots are filled) or a helper decoded into columns
  (``sum_ratio`` = ``sum_paid_inv_0_12m / max_paid_inv_0_12m``). A node may have a *key*, a
  discrete parent state computed from nodes generated before it (e.g. the lowest value
  ``status_max_archived_0_24_months`` may take given the 12-month status and the counts).
  Per key state the profile stores the node's empirical marginal: a frequency table (discrete
  nodes) or a missing rate plus quantile knots (mixed nodes; atoms such as 0 are flat
  segments). ``decode`` writes the file columns and enforces the hard rules
  (``max_paid_inv_0_24m >= max_paid_inv_0_12m``, statuses that bound each other, blocks that
  are missing together), so they hold on every row by construction.
* **Copula.** Every sampled node has one standard-normal latent; the latents are jointly
  normal with the profile's correlation matrix (estimated on the real rows from conditional
  normal scores, Hermite-corrected for discreteness, see :mod:`.fit_profile`). A node without
  key maps ``Phi(z)`` through its inverse marginal; a keyed node maps the within-state rank of
  ``z``, which reproduces its conditional distribution given the parent state exactly while
  keeping the dependence on everything else.

What it does not capture: dependence beyond what keys and one Gaussian copula express (e.g.
a threshold in the account-existence vs invoice-count relation is smoothed); the pairwise
Spearman correlations of generated vs real columns differ by 0.02 on average.

Determinism: one ``numpy.random.default_rng(seed)`` draws, in fixed order, the latent normals,
the uuids, the positions of the rows to predict and the labels; the same seed gives the same
frame and the same file bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from scorecard.data.atomic import atomic_write_text
from scorecard.data.contract import KLARNA, MERCHANT_CATEGORIES, Contract
from scorecard.data.files import write_dataset

PROFILE_PATH = Path(__file__).with_name("klarna_profile.json")

DEFAULT_ROWS = 99_976
DEFAULT_UNLABELLED = 10_000

# Columns, by name, as float arrays (NaN = missing) or object arrays (text).
Cols = dict[str, np.ndarray]


@dataclass(frozen=True)
class Node:
    """One generated variable.

    Attributes:
        name: a file column, a hidden state (leading ``_``: kept in the generated columns
            for later keys, never written) or a helper its ``decode`` turns into columns.
        kind: ``discrete`` (frequency table) or ``mixed`` (missing rate + quantile knots).
        target: the node's value on a typed frame's columns (used by the fit). NaN means
            missing for a ``nullable`` node and "not observable here" otherwise.
        decode: writes the sampled values (shape ``(n,)``) into the generated columns.
        key: the parent state per row (int array, shape ``(n,)``) from columns generated
            earlier; ``None`` for a single state.
        nullable: whether NaN is a value of the variable (its own cell, ordered first).
        knots: number of evenly spaced quantile knots for a mixed node's continuous part.
    """

    name: str
    kind: Literal["discrete", "mixed"]
    target: Callable[[Cols], np.ndarray]
    decode: Callable[[Cols, np.ndarray], None]
    key: Callable[[Cols], np.ndarray] | None = None
    nullable: bool = False
    knots: int = 64


# --------------------------------------------------------------------------- helpers


def _lvl(x: np.ndarray) -> np.ndarray:
    """A status code as int with NA as 0, shape preserved."""
    return np.nan_to_num(x.astype(float), nan=0.0).astype(np.int64)


def _present(x: np.ndarray) -> np.ndarray:
    return (~np.isnan(x.astype(float))).astype(np.int64)


def _sig15(x: np.ndarray) -> np.ndarray:
    """Round to 15 significant digits, as the case's file writes floats (R's default)."""
    out = np.array(x, dtype=float, copy=True)
    ok = np.isfinite(out)
    out[ok] = [float(f"{v:.15g}") for v in out[ok]]
    return out


def _on_grid(x: np.ndarray, denom: np.ndarray) -> np.ndarray:
    """Snap averages to multiples of ``1/denom`` (an average of whole days over ``denom``
    invoices), then to 15 significant digits; NaN stays NaN."""
    d = np.maximum(denom, 1).astype(float)
    return _sig15(np.round(x * d) / d)


def _n12(c: Cols) -> np.ndarray:
    """Archived invoices in the last 12 months (ok + reminder + debt collection)."""
    return c["num_arch_ok_0_12m"] + c["num_arch_rem_0_12m"] + c["num_arch_dc_0_12m"]


def _c24(c: Cols) -> np.ndarray:
    """Archived invoices over 24 months that the file counts."""
    return (_n12(c) + c["num_arch_ok_12_24m"] + c["num_arch_dc_12_24m"])


def _set(name: str) -> Callable[[Cols, np.ndarray], None]:
    """Decoder writing whole numbers (NaN stays NaN) into column ``name``."""
    def decode(c: Cols, v: np.ndarray) -> None:
        c[name] = np.round(v.astype(float))

    return decode


def _set_text(name: str) -> Callable[[Cols, np.ndarray], None]:
    def decode(c: Cols, v: np.ndarray) -> None:
        c[name] = v.astype(object)

    return decode


def _col(name: str) -> Callable[[Cols], np.ndarray]:
    return lambda c: c[name].astype(float)


_AGE_EDGES = np.array([20, 25, 30, 40, 50, 60, 70])  # age bands 18-19, 20-24, ..., 70+


def _count_state(n: np.ndarray) -> np.ndarray:
    """Bucket of an invoice count: 0, 1, 2, 3-5, 6-10, 11-20, 21+ -> 0..6."""
    return np.searchsorted(np.array([1, 2, 3, 6, 11, 21]), n, side="right")


# --------------------------------------------------------------------------- decoders


def _decode_merchant(c: Cols, v: np.ndarray) -> None:
    c["merchant_category"] = v.astype(object)
    c["merchant_group"] = np.array([MERCHANT_CATEGORIES[x] for x in v], dtype=object)


def _decode_time(c: Cols, v: np.ndarray) -> None:
    # The file stores whole seconds as hours (seconds / 3600), below 24 h.
    seconds = np.clip(np.round(v.astype(float) * 3600.0), 0, 86_399)
    c["time_hours"] = _sig15(seconds / 3600.0)


def _decode_days(name: str) -> Callable[[Cols, np.ndarray], None]:
    def decode(c: Cols, v: np.ndarray) -> None:
        v = np.round(v.astype(float))
        c[name] = np.where(c["_days_na"] == 1, np.nan, np.clip(v, 0, 366))

    return decode


def _decode_status_max_12(c: Cols, v: np.ndarray) -> None:
    del v
    # Worst status of the invoices archived in 12 months, from the counts: 3 debt collection,
    # 2 reminder, 1 paid, 0 none (holds for 99.8 % of the real rows).
    c["status_max_archived_0_12_months"] = np.select(
        [c["num_arch_dc_0_12m"] > 0, c["num_arch_rem_0_12m"] > 0, c["num_arch_ok_0_12m"] > 0],
        [3.0, 2.0, 1.0], 0.0)


def _max24_lower(c: Cols) -> np.ndarray:
    """Lowest possible status_max_archived_0_24_months: 0 without archived invoices, else at
    least the 12-month status, 1, and 3 when an invoice went to debt collection 12-24m ago."""
    lb = np.maximum(c["status_max_archived_0_12_months"], 1.0)
    lb = np.where(c["num_arch_dc_12_24m"] > 0, np.maximum(lb, 3.0), lb)
    return np.where(c["_nz"] == 0, 0, lb).astype(np.int64)


def _decode_max24(c: Cols, v: np.ndarray) -> None:
    lb = _max24_lower(c)
    c["status_max_archived_0_24_months"] = np.where(lb == 0, 0.0, np.maximum(v, lb)).astype(float)


def _decode_max6(c: Cols, v: np.ndarray) -> None:
    c["status_max_archived_0_6_months"] = np.minimum(v, c["status_max_archived_0_12_months"])


def _last_bound(c: Cols) -> np.ndarray:
    """Worst status the last archived invoice can have: the 6-month worst if any invoice was
    archived in 6 months, else the 12-month one, else the 24-month one; 0 = no invoice."""
    m6, m12, m24 = (c[f"status_max_archived_0_{w}_months"] for w in (6, 12, 24))
    bound = np.where(m6 > 0, m6, np.where(m12 > 0, m12, m24))
    return np.where(c["_nz"] == 0, 0, bound).astype(np.int64)


def _decode_last(c: Cols, v: np.ndarray) -> None:
    b = _last_bound(c)
    c["status_last_archived_0_24m"] = np.where(b == 0, 0.0, np.clip(v, 1, b)).astype(float)


def _slot_key(slot: int, prev: str) -> Callable[[Cols], np.ndarray]:
    def key(c: Cols) -> np.ndarray:
        k = 10 * _lvl(c[prev]) + _lvl(c["status_max_archived_0_24_months"])
        return np.where(c["_nz"] < slot, 0, k)

    return key


def _decode_slot(name: str, slot: int) -> Callable[[Cols, np.ndarray], None]:
    def decode(c: Cols, v: np.ndarray) -> None:
        m24 = c["status_max_archived_0_24_months"]
        c[name] = np.where(c["_nz"] < slot, 0.0, np.clip(v, 1, np.maximum(m24, 1))).astype(float)

    return decode


def _decode_written_off_12_24(c: Cols, v: np.ndarray) -> None:
    # Both written-off counts are missing together.
    c["num_arch_written_off_12_24m"] = np.where(np.isnan(c["num_arch_written_off_0_12m"]),
                                                np.nan, v)


def _sum_ratio_key(c: Cols) -> np.ndarray:
    return np.where(c["max_paid_inv_0_12m"] > 0, 1 + _count_state(_n12(c)), 0)


def _sum_ratio_target(c: Cols) -> np.ndarray:
    mx = c["max_paid_inv_0_12m"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mx > 0, c["sum_paid_inv_0_12m"] / mx, np.nan)


def _decode_sum_paid(c: Cols, v: np.ndarray) -> None:
    mx = c["max_paid_inv_0_12m"]
    extra = np.round(mx * np.maximum(np.nan_to_num(v, nan=1.0) - 1.0, 0.0))
    c["sum_paid_inv_0_12m"] = np.where(mx > 0, mx + extra, 0.0)


def _max24_key(c: Cols) -> np.ndarray:
    return np.where(c["max_paid_inv_0_12m"] > 0, 2,
                    (c["status_max_archived_0_24_months"] > 0).astype(np.int64))


def _max24_target(c: Cols) -> np.ndarray:
    mx = c["max_paid_inv_0_12m"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mx > 0, c["max_paid_inv_0_24m"] / mx, c["max_paid_inv_0_24m"])


def _decode_max_paid_24(c: Cols, v: np.ndarray) -> None:
    # Above 0 the node is the ratio to the 12-month maximum, so the bound holds by design.
    mx = c["max_paid_inv_0_12m"]
    c["max_paid_inv_0_24m"] = np.where(mx > 0, np.maximum(np.round(mx * v), mx),
                                       np.maximum(np.round(v), 0))


def _decode_span12(c: Cols, v: np.ndarray) -> None:
    n = c["num_arch_ok_0_12m"] + c["num_arch_rem_0_12m"]
    c["avg_payment_span_0_12m"] = _on_grid(v, n)


def _decode_span3(c: Cols, v: np.ndarray) -> None:
    n3 = np.round((c["num_arch_ok_0_12m"] + c["num_arch_rem_0_12m"]) / 4.0)
    c["avg_payment_span_0_3m"] = np.where(np.isnan(c["avg_payment_span_0_12m"]), np.nan,
                                          _on_grid(v, n3))


def _span3_key(c: Cols) -> np.ndarray:
    """0: no 12-month span (so none for 3 months); else whether an invoice was archived in
    6 months and the 12-month invoice count bucket (few invoices, likely none in 3 months)."""
    n = _count_state(c["num_arch_ok_0_12m"] + c["num_arch_rem_0_12m"])
    key = 1 + 10 * (c["status_max_archived_0_6_months"] > 0) + n
    return np.where(np.isnan(c["avg_payment_span_0_12m"]), 0, key)


def _decode_worst_active(c: Cols, v: np.ndarray) -> None:
    c["worst_status_active_inv"] = np.where(c["num_active_inv"] > 0, np.maximum(v, 1), np.nan)


def _decode_unpaid(c: Cols, v: np.ndarray) -> None:
    c["num_unpaid_bills"] = c["num_active_inv"] + np.maximum(np.round(v), 0)


def _div_key(c: Cols) -> np.ndarray:
    return (2 * (c["status_max_archived_0_12_months"] == 0)
            + np.isnan(c["avg_payment_span_0_12m"])).astype(np.int64)


def _den_extra_target(c: Cols) -> np.ndarray:
    r = c["num_active_div_by_paid_inv_0_12m"]
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = np.round(c["num_active_inv"] / r - _n12(c))
    return np.where(r > 0, np.maximum(extra, 0), np.nan)


def _decode_div(c: Cols, v: np.ndarray) -> None:
    den = np.maximum(_n12(c) + np.round(v), 1.0)
    c["num_active_div_by_paid_inv_0_12m"] = np.where(c["_div_na"] == 1, np.nan,
                                                     _sig15(c["num_active_inv"] / den))


def _decode_incoming(c: Cols, v: np.ndarray) -> None:
    c["account_incoming_debt_vs_paid_0_24m"] = _sig15(v)


# --------------------------------------------------------------------------- the DAG


def _acct_key_1224(c: Cols) -> np.ndarray:
    return 10 * c["_has_account"] + _lvl(c["account_worst_status_12_24m"])


def _acct_key_612(c: Cols) -> np.ndarray:
    # Also whether capital was paid 12-24m ago: both sums zero is what leaves
    # account_incoming_debt_vs_paid_0_24m undefined, so that joint zero must be exact.
    return (100 * (c["sum_capital_paid_account_12_24m"] > 0) + 10 * c["_has_account"]
            + _lvl(c["account_worst_status_6_12m"]))


def _days_key(c: Cols) -> np.ndarray:
    return np.where(c["_days_na"] == 1, 9, _lvl(c["account_worst_status_12_24m"]))


def _incoming_key(c: Cols) -> np.ndarray:
    paid = c["sum_capital_paid_account_0_12m"] + c["sum_capital_paid_account_12_24m"]
    return np.where(c["_has_account"] == 0, 0, np.where(paid > 0, 2, 1))


def _flag(name: str) -> Callable[[Cols, np.ndarray], None]:
    def decode(c: Cols, v: np.ndarray) -> None:
        c[name] = v.astype(np.int64)

    return decode


NODES: tuple[Node, ...] = (
    # Applicant and purchase.
    Node("merchant_category", "discrete", lambda c: c["merchant_category"], _decode_merchant),
    Node("name_in_email", "discrete", lambda c: c["name_in_email"], _set_text("name_in_email")),
    Node("age", "discrete", _col("age"), _set("age")),
    Node("time_hours", "mixed", _col("time_hours"), _decode_time, knots=96),
    # Invoice history: new applicants (no archived invoice in 24 months) are more common
    # among the youngest and the oldest, a U shape a Gaussian copula cannot express; the
    # counts are conditional on it (all zero for a new applicant).
    Node("_new", "discrete", lambda c: (c["status_last_archived_0_24m"] == 0).astype(float),
         _flag("_new"), key=lambda c: np.searchsorted(_AGE_EDGES, c["age"], side="right")),
    *(Node(name, "mixed", _col(name), _set(name), key=lambda c: c["_new"])
      for name in ("num_arch_ok_0_12m", "num_arch_ok_12_24m")),
    # Whether any invoice was archived in 12 months (status_max_archived_0_12_months > 0)
    # must come out exactly: reminders conditional on no paid invoice, debt collection on
    # neither.
    Node("num_arch_rem_0_12m", "discrete", _col("num_arch_rem_0_12m"),
         _set("num_arch_rem_0_12m"),
         key=lambda c: np.where(c["_new"] == 1, 9, c["num_arch_ok_0_12m"] == 0)),
    Node("num_arch_dc_0_12m", "discrete", _col("num_arch_dc_0_12m"), _set("num_arch_dc_0_12m"),
         key=lambda c: np.where(c["_new"] == 1, 9, (c["num_arch_ok_0_12m"]
                                                    + c["num_arch_rem_0_12m"]) == 0)),
    Node("num_arch_dc_12_24m", "discrete", _col("num_arch_dc_12_24m"),
         _set("num_arch_dc_12_24m"), key=lambda c: c["_new"]),
    Node("num_active_inv", "discrete", _col("num_active_inv"), _set("num_active_inv")),
    Node("recovery_debt", "mixed", _col("recovery_debt"), _set("recovery_debt"), knots=16),
    # Account block: days columns missing (no account record), else an account may exist.
    Node("_days_na", "discrete", lambda c: np.isnan(c["account_days_in_dc_12_24m"]).astype(float),
         _flag("_days_na")),
    Node("_has_account", "discrete", lambda c: _present(c["account_status"]).astype(float),
         _flag("_has_account"), key=lambda c: c["_days_na"]),
    Node("account_status", "discrete", _col("account_status"), _set("account_status"),
         key=lambda c: c["_has_account"], nullable=True),
    Node("account_worst_status_0_3m", "discrete", _col("account_worst_status_0_3m"),
         _set("account_worst_status_0_3m"), key=lambda c: _lvl(c["account_status"]),
         nullable=True),
    Node("account_worst_status_3_6m", "discrete", _col("account_worst_status_3_6m"),
         _set("account_worst_status_3_6m"), key=lambda c: c["_has_account"], nullable=True),
    Node("account_worst_status_6_12m", "discrete", _col("account_worst_status_6_12m"),
         _set("account_worst_status_6_12m"), key=lambda c: c["_has_account"], nullable=True),
    Node("account_worst_status_12_24m", "discrete", _col("account_worst_status_12_24m"),
         _set("account_worst_status_12_24m"),
         key=lambda c: c["_has_account"] * (1 + _present(c["account_worst_status_6_12m"])),
         nullable=True),
    *(Node(f"account_days_in_{w}_12_24m", "mixed", _col(f"account_days_in_{w}_12_24m"),
           _decode_days(f"account_days_in_{w}_12_24m"), key=_days_key, nullable=True,
           knots=32) for w in ("rem", "dc", "term")),
    Node("account_amount_added_12_24m", "mixed", _col("account_amount_added_12_24m"),
         _set("account_amount_added_12_24m"), key=_acct_key_1224, knots=48),
    Node("sum_capital_paid_account_12_24m", "mixed", _col("sum_capital_paid_account_12_24m"),
         _set("sum_capital_paid_account_12_24m"), key=_acct_key_1224, knots=48),
    Node("sum_capital_paid_account_0_12m", "mixed", _col("sum_capital_paid_account_0_12m"),
         _set("sum_capital_paid_account_0_12m"), key=_acct_key_612, knots=48),
    Node("account_incoming_debt_vs_paid_0_24m", "mixed",
         _col("account_incoming_debt_vs_paid_0_24m"), _decode_incoming, key=_incoming_key,
         nullable=True),
    # Archived-invoice statuses: derived 12-month worst, slots filled, bounded children.
    Node("status_max_archived_0_12_months", "discrete", _col("status_max_archived_0_12_months"),
         _decode_status_max_12),
    Node("_nz", "discrete",
         lambda c: (np.column_stack([c[f"status_{s}_archived_0_24m"]
                                     for s in ("last", "2nd_last", "3rd_last")]) > 0)
         .sum(axis=1).astype(float),
         _flag("_nz"),
         key=lambda c: np.where(c["_new"] == 1, 9, np.minimum(_c24(c), 3)).astype(np.int64)),
    Node("status_max_archived_0_24_months", "discrete",
         _col("status_max_archived_0_24_months"), _decode_max24, key=_max24_lower),
    Node("status_max_archived_0_6_months", "discrete", _col("status_max_archived_0_6_months"),
         _decode_max6, key=lambda c: _lvl(c["status_max_archived_0_12_months"])),
    Node("status_last_archived_0_24m", "discrete", _col("status_last_archived_0_24m"),
         _decode_last, key=_last_bound),
    Node("status_2nd_last_archived_0_24m", "discrete", _col("status_2nd_last_archived_0_24m"),
         _decode_slot("status_2nd_last_archived_0_24m", 2),
         key=_slot_key(2, "status_last_archived_0_24m")),
    Node("status_3rd_last_archived_0_24m", "discrete", _col("status_3rd_last_archived_0_24m"),
         _decode_slot("status_3rd_last_archived_0_24m", 3),
         key=_slot_key(3, "status_2nd_last_archived_0_24m")),
    # has_paid is False almost only for applicants without any archived invoice.
    Node("has_paid", "discrete", _col("has_paid"), _set("has_paid"),
         key=lambda c: (2 * (c["status_max_archived_0_24_months"] > 0)
                        + c["_has_account"]).astype(np.int64)),
    Node("num_arch_written_off_0_12m", "discrete", _col("num_arch_written_off_0_12m"),
         _set("num_arch_written_off_0_12m"), nullable=True,
         key=lambda c: (c["status_max_archived_0_24_months"] > 0).astype(np.int64)),
    Node("num_arch_written_off_12_24m", "discrete", _col("num_arch_written_off_12_24m"),
         _decode_written_off_12_24, nullable=True,
         key=lambda c: _present(c["num_arch_written_off_0_12m"])),
    # Paid amounts and payment spans.
    Node("max_paid_inv_0_12m", "mixed", _col("max_paid_inv_0_12m"), _set("max_paid_inv_0_12m"),
         key=lambda c: (c["status_max_archived_0_12_months"] > 0).astype(np.int64)),
    Node("sum_ratio", "mixed", _sum_ratio_target, _decode_sum_paid, key=_sum_ratio_key,
         knots=48),
    Node("max_paid_ratio_24", "mixed", _max24_target, _decode_max_paid_24, key=_max24_key,
         knots=48),
    Node("avg_payment_span_0_12m", "mixed", _col("avg_payment_span_0_12m"), _decode_span12,
         key=lambda c: (c["status_max_archived_0_12_months"] > 0).astype(np.int64),
         nullable=True),
    Node("avg_payment_span_0_3m", "mixed", _col("avg_payment_span_0_3m"), _decode_span3,
         key=_span3_key,
         nullable=True, knots=48),
    # Active invoices.
    Node("worst_status_active_inv", "discrete", _col("worst_status_active_inv"),
         _decode_worst_active, key=lambda c: (c["num_active_inv"] > 0).astype(np.int64),
         nullable=True),
    Node("unpaid_excess", "mixed",
         lambda c: np.maximum(c["num_unpaid_bills"] - c["num_active_inv"], 0.0),
         _decode_unpaid, key=lambda c: (2 * c["_has_account"] + (c["num_active_inv"] > 0)),
         knots=48),  # account holders get statements: unpaid bills beyond the invoices
    Node("_div_na", "discrete",
         lambda c: np.isnan(c["num_active_div_by_paid_inv_0_12m"]).astype(float),
         _flag("_div_na"), key=_div_key),
    Node("den_extra", "discrete", _den_extra_target, _decode_div),
)

# Nodes computed from earlier ones by a rule, without a latent or a fitted marginal.
DERIVED_NODES = frozenset({"status_max_archived_0_12_months"})


def latent_nodes() -> list[Node]:
    """The nodes with a copula latent, in generation order (the profile's matrix order)."""
    return [n for n in NODES if n.name not in DERIVED_NODES]


# --------------------------------------------------------------------------- marginals


def sample_marginal(spec: dict[str, Any], u: np.ndarray) -> np.ndarray:
    """Inverse marginal of one key state: uniforms ``u`` (shape ``(n,)``) -> values.

    Discrete specs hold ``values`` (``None`` = missing, listed first) and ``p``; mixed specs
    hold ``p_na`` and quantile knots ``u``/``x`` of the non-missing part (atoms are flat
    segments between two knots with the same ``x``).
    """
    if spec["type"] == "discrete":
        cum = np.cumsum(np.asarray(spec["p"], dtype=float))
        idx = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)
        values = spec["values"]
        if any(isinstance(v, str) for v in values):
            return np.asarray(values, dtype=object)[idx]
        return np.array([np.nan if v is None else float(v) for v in values])[idx]
    p_na = float(spec["p_na"])
    out = np.full(u.shape, np.nan)
    ok = u >= p_na
    if p_na < 1.0:
        w = np.clip((u[ok] - p_na) / (1.0 - p_na), 0.0, 1.0)
        out[ok] = np.interp(w, np.asarray(spec["u"], float), np.asarray(spec["x"], float))
    return out


def _within_state_uniforms(u: np.ndarray) -> np.ndarray:
    """Mid-ranks of ``u`` scaled to (0, 1): exactly uniform within the state, same order.

    A child's latent is correlated with its parents' latents, so inside one parent state its
    uniforms are not uniform (the state selects a region of the parents' latents). The fit
    scored children by their rank inside the state; using the same within-state ranks here
    reproduces the child's conditional distribution exactly while keeping its dependence.
    """
    ranks = np.empty(len(u))
    ranks[np.argsort(u, kind="stable")] = np.arange(len(u))
    return (ranks + 0.5) / len(u)


def sample_node(profile: dict[str, Any], u: np.ndarray, key: np.ndarray | None) -> np.ndarray:
    """Values of one node from its uniforms ``u`` (shape ``(n,)``): per key state, the inverse
    marginal of that state (or the pooled marginal ``*`` for a state the real rows never
    showed). ``key=None``: one state, ``u`` used as is."""
    states = profile["states"]
    first = next(iter(states.values()))
    is_text = first["type"] == "discrete" and any(isinstance(v, str) for v in first["values"])
    if key is None:
        return sample_marginal(states["0"], u)
    out = np.empty(u.shape, dtype=object) if is_text else np.full(u.shape, np.nan)
    for s in np.unique(key):
        idx = key == s
        spec = states.get(str(int(s)), states["*"])
        out[idx] = sample_marginal(spec, _within_state_uniforms(u[idx]))
    return out


# --------------------------------------------------------------------------- generation


@lru_cache(maxsize=4)
def _load_profile(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_profile(path: str | Path | None = None) -> dict[str, Any]:
    """The generator profile (JSON, see ``klarna_profile.json``'s ``note``); cached, treat
    as read-only."""
    return _load_profile(str(path or PROFILE_PATH))


def _cholesky(profile: dict[str, Any]) -> np.ndarray:
    names = profile["latent_order"]
    expected = [n.name for n in latent_nodes()]
    if names != expected:
        raise ValueError(f"profile latent order {names} does not match the generator's nodes")
    return np.linalg.cholesky(np.asarray(profile["correlation"], dtype=float))


def _correlated_normals(rng: np.random.Generator, n: int, chol: np.ndarray) -> np.ndarray:
    """``n`` draws of N(0, L L^T) as rows of shape ``(m, n)`` (one row per latent).

    Summed latent by latent rather than by a BLAS product, so the result does not depend on
    threading (the file must be byte-identical for a seed).
    """
    m = chol.shape[0]
    eps = rng.standard_normal((m, n))
    z = np.zeros((m, n))
    for j in range(m):
        for k in range(j + 1):
            if chol[j, k] != 0.0:
                z[j] += chol[j, k] * eps[k]
    return z


def _uuid4(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct uuid4 strings from the seeded RNG (version and variant bits set)."""
    b = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    h = b.tobytes().hex()
    out = np.array([f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-"
                    f"{h[i + 20:i + 32]}" for i in range(0, 32 * n, 32)], dtype=object)
    if len(set(out)) != n:  # 2^-122 per pair: would mean a broken RNG
        raise RuntimeError("uuid collision")
    return out


def generate_features(n_rows: int, rng: np.random.Generator,
                      profile: dict[str, Any] | None = None) -> Cols:
    """Sample the feature columns (and hidden helpers) of ``n_rows`` rows."""
    profile = profile or load_profile()
    chol = _cholesky(profile)
    u = ndtr(_correlated_normals(rng, n_rows, chol))
    cols: Cols = {}
    j = 0
    for node in NODES:
        if node.name in DERIVED_NODES:
            node.decode(cols, np.empty(0))
            continue
        key = node.key(cols).astype(np.int64) if node.key is not None else None
        node.decode(cols, sample_node(profile["nodes"][node.name], u[j], key))
        j += 1
    return cols


def to_frame(cols: Cols, uuids: np.ndarray, default: np.ndarray,
             contract: Contract = KLARNA) -> pd.DataFrame:
    """Assemble the typed frame in contract column order, dtypes as ``read_dataset`` gives."""
    data: dict[str, Any] = {}
    for col in contract.columns:
        if col.kind == "id":
            data[col.name] = pd.Series(uuids, dtype=object)
        elif col.kind == "target":
            data[col.name] = pd.Series(default, dtype=float)
        elif col.kind == "boolean":
            data[col.name] = pd.Series(cols[col.name].astype(float) > 0.5, dtype=bool)
        elif col.kind == "category":
            data[col.name] = pd.Series(cols[col.name], dtype=object)
        else:
            data[col.name] = pd.Series(cols[col.name], dtype=float)
    return pd.DataFrame(data)


def generate(n_rows: int = DEFAULT_ROWS, n_unlabelled: int = DEFAULT_UNLABELLED,
             seed: int = 0, profile: dict[str, Any] | None = None, truth: str = "default",
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """Generate a synthetic Klarna data set.

    Args:
        n_rows: total rows (labelled + to predict).
        n_unlabelled: rows whose ``default`` is NA, at random (seeded) positions.
        seed: RNG seed; the same seed gives the same frame.
        profile: generator profile (default: the packaged ``klarna_profile.json``).
        truth: which risk surface draws the labels (:data:`.truth.TRUTHS`): the same rows
            either way, only ``default`` and the truth differ.

    Returns:
        ``(frame, true_pd)``: the typed frame (shape ``(n_rows, 43)``, dtypes as
        :func:`scorecard.data.files.read_dataset` returns them) and the ground-truth default
        probability of every row (float64, shape ``(n_rows,)``, from
        :func:`scorecard.data.synthetic.truth.true_pd`). Labels are Bernoulli(true_pd).
    """
    from scorecard.data.synthetic.truth import true_pd

    if n_rows < 1 or not 0 <= n_unlabelled <= n_rows:
        raise ValueError(f"need n_rows >= 1 and 0 <= n_unlabelled <= n_rows "
                         f"(got {n_rows}, {n_unlabelled})")
    rng = np.random.default_rng(seed)
    cols = generate_features(n_rows, rng, profile)
    uuids = _uuid4(rng, n_rows)
    unlabelled = np.zeros(n_rows, dtype=bool)
    unlabelled[rng.choice(n_rows, size=n_unlabelled, replace=False)] = True
    draws = rng.random(n_rows)
    frame = to_frame(cols, uuids, np.full(n_rows, np.nan))
    pd_true = true_pd(frame, truth=truth)
    frame["default"] = np.where(unlabelled, np.nan, (draws < pd_true).astype(float))
    return frame, pd_true


def truth_path(output: str | Path) -> Path:
    """``<stem>.truth.csv`` beside the data file."""
    output = Path(output)
    return output.with_name(f"{output.stem}.truth.csv")


def write_truth(path: str | Path, uuids: pd.Series | np.ndarray, pd_true: np.ndarray) -> None:
    """Write ``uuid,true_pd`` (comma-separated, full-precision float repr), atomically."""
    lines = ["uuid,true_pd"]
    lines += [f"{u},{float(p)!r}" for u, p in zip(uuids, pd_true, strict=True)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def metadata_path(output: str | Path) -> Path:
    """``<stem>.truth.json`` beside the data file: which truth drew the labels and its
    planted pairs (:func:`.truth.truth_metadata`); written for a non-default truth."""
    output = Path(output)
    return output.with_name(f"{output.stem}.truth.json")


def write_metadata(path: str | Path, truth: str) -> None:
    from scorecard.data.synthetic.truth import truth_metadata

    atomic_write_text(path, json.dumps(truth_metadata(truth), indent=2) + "\n")


def write_generated(output: str | Path, rows: int = DEFAULT_ROWS,
                    unlabelled: int = DEFAULT_UNLABELLED, seed: int = 0,
                    truth: str = "default",
                    ) -> tuple[Path, Path, pd.DataFrame, np.ndarray]:
    """Generate and write the data file (case format) and ``<stem>.truth.csv`` beside it
    (and ``<stem>.truth.json`` for a non-default ``truth``).

    Returns ``(data_path, truth_path, frame, true_pd)``.
    """
    frame, pd_true = generate(rows, unlabelled, seed, truth=truth)
    output = Path(output)
    write_dataset(frame, output, KLARNA)
    tpath = truth_path(output)
    write_truth(tpath, frame["uuid"], pd_true)
    if truth != "default":
        write_metadata(metadata_path(output), truth)
    return output, tpath, frame, pd_true
