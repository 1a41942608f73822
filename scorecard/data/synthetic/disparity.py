"""A group column with a known disparity, to test the fair-lending checks against a truth.

``generate-data --groups`` writes ``<stem>.groups.csv`` (``uuid,group``) beside the data:
each row is in group ``B`` with probability :data:`GROUP_B_SHARE`, else ``A``, drawn
independently of everything else, so on its own the column carries no disparity.
``--disparity COLUMN[=FACTOR]`` also plants one: the ``COLUMN`` values of the group-``B``
rows are multiplied by ``FACTOR`` (rounded for whole-number columns, kept inside the
contract's bounds; missing stays missing) *after* the true pd and the labels were drawn, so
group ``B`` looks worse on that characteristic at exactly the same true risk. A card fitted
on such data scores ``B`` lower than its risk warrants: the fairness test must find it, and
name ``COLUMN``. The truth file keeps the true pd of the unmodified rows.

The factor must move the column towards risk: below 1 for a count of good behaviour (as
the default, ``num_arch_ok_0_12m=0``: group ``B``'s invoices paid without issue in the last
12 months are not on record, as for applicants whose history sits with another provider),
above 1 for one of bad behaviour (``avg_payment_span_0_12m=3``). The four-fifths rule is
insensitive at high approval rates: on the committed card the default disparity gives
group ``B`` an adverse impact ratio near 0.96 when a tenth is declined and near 0.55 at the
median score, so the tests use a strict cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scorecard.data.contract import KLARNA

GROUP_B_SHARE = 0.3
GROUP_COLUMN = "group"
DEFAULT_DISPARITY = "num_arch_ok_0_12m=0"
_SALT = 31  # the groups' own random stream: adding them leaves the data file unchanged


@dataclass(frozen=True)
class Disparity:
    column: str
    factor: float

    @classmethod
    def parse(cls, text: str) -> Disparity:
        column, _, raw = text.partition("=")
        column = column.strip()
        kinds = {c.name: c.kind for c in KLARNA.features}
        if kinds.get(column) not in ("numeric", "integer"):
            numeric = [n for n, k in kinds.items() if k in ("numeric", "integer")]
            raise ValueError(f"--disparity {text!r}: {column!r} is not a numeric feature column "
                             f"of the Klarna contract (e.g. {', '.join(numeric[:4])}, ...)")
        try:
            factor = float(raw) if raw.strip() else 0.0
        except ValueError:
            raise ValueError(f"--disparity {text!r}: the factor {raw!r} is not a number"
                             ) from None
        if not (np.isfinite(factor) and factor >= 0 and factor != 1):
            raise ValueError(f"--disparity {text!r}: the factor must be 0 or more and not 1")
        return cls(column, factor)


def default() -> Disparity:
    return Disparity.parse(DEFAULT_DISPARITY)


def groups_path(output: str) -> str:
    """``<stem>.groups.csv`` beside the data file."""
    from pathlib import Path

    p = Path(output)
    return str(p.with_name(f"{p.stem}.groups.csv"))


def assign_groups(n_rows: int, seed: int) -> np.ndarray:
    """``"A"``/``"B"`` per row, independent of the data (its own seeded stream)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, _SALT]))
    return np.where(rng.random(n_rows) < GROUP_B_SHARE, "B", "A").astype(object)


def plant(frame: pd.DataFrame, groups: np.ndarray, disparity: Disparity) -> pd.DataFrame:
    """``frame`` with ``disparity.column`` of the group-``B`` rows scaled (module docstring)."""
    col = next(c for c in KLARNA.columns if c.name == disparity.column)
    out = frame.copy()
    x = out[col.name].to_numpy(dtype=float, copy=True)
    b = (groups == "B") & np.isfinite(x)
    y = x[b] * disparity.factor
    if col.kind == "integer" or col.csv_format == "int":
        y = np.round(y)
    lo = -np.inf if col.min is None else col.min
    hi = np.inf if col.max is None else col.max
    x[b] = np.clip(y, lo, hi)
    out[col.name] = pd.Series(x, index=out.index, dtype=out[col.name].dtype)
    return out


def write_groups(path: str, uuids: pd.Series, groups: np.ndarray) -> None:
    from scorecard.data.atomic import atomic_write_text

    lines = [f"uuid,{GROUP_COLUMN}"] + [f"{u},{g}" for u, g in zip(uuids, groups, strict=True)]
    atomic_write_text(path, "\n".join(lines) + "\n")
