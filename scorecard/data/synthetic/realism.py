"""How close generated rows are to real ones, column by column.

Per feature column: the missing rate in both frames (difference in percentage points), and for
the non-missing values the two-sample Kolmogorov-Smirnov statistic (numeric and integer
columns) or the total-variation distance of the value frequencies (status codes, categories,
booleans). A column passes when the missing rates differ by at most ``MAX_MISSING_DIFF_PP`` and
the distance is within its threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from scorecard.data.contract import KLARNA, Contract

MAX_MISSING_DIFF_PP = 2.0
MAX_KS = 0.10
MAX_TV = 0.05

COLUMNS = ["column", "kind", "missing_real", "missing_generated", "missing_diff_pp", "metric",
           "distance", "threshold", "passed"]


def total_variation(a: pd.Series, b: pd.Series) -> float:
    """Total-variation distance (0..1) between the value frequencies of ``a`` and ``b``
    (missing values excluded)."""
    pa = a.dropna().astype(str).value_counts(normalize=True)
    pb = b.dropna().astype(str).value_counts(normalize=True)
    if pa.empty or pb.empty:
        return 0.0 if pa.empty and pb.empty else 1.0
    both = pa.index.union(pb.index)
    return 0.5 * float(np.abs(pa.reindex(both, fill_value=0.0)
                              - pb.reindex(both, fill_value=0.0)).sum())


def ks_statistic(a: pd.Series, b: pd.Series) -> float:
    """Two-sample KS statistic (0..1) of the non-missing values of ``a`` and ``b``."""
    x, y = a.dropna().to_numpy(dtype=float), b.dropna().to_numpy(dtype=float)
    if len(x) == 0 or len(y) == 0:
        return 0.0 if len(x) == len(y) else 1.0
    return float(ks_2samp(x, y).statistic)


def realism_table(generated: pd.DataFrame, real: pd.DataFrame,
                  contract: Contract = KLARNA) -> pd.DataFrame:
    """One row per feature column of ``contract`` (id and target excluded).

    Args:
        generated, real: typed frames as :func:`scorecard.data.files.read_dataset` returns them.

    Returns:
        Frame with columns ``column, kind, missing_real, missing_generated`` (fractions),
        ``missing_diff_pp`` (generated minus real, percentage points), ``metric`` (``KS`` or
        ``TV``), ``distance``, ``threshold`` and ``passed``; sorted worst first (by distance
        relative to its threshold, then by missing difference).
    """
    rows = []
    for col in contract.features:
        g, r = generated[col.name], real[col.name]
        miss_g, miss_r = float(g.isna().mean()), float(r.isna().mean())
        diff_pp = 100.0 * (miss_g - miss_r)
        if col.kind in ("numeric", "integer"):
            metric, distance, threshold = "KS", ks_statistic(g, r), MAX_KS
        else:
            metric, distance, threshold = "TV", total_variation(g, r), MAX_TV
        rows.append({"column": col.name, "kind": col.kind, "missing_real": miss_r,
                     "missing_generated": miss_g, "missing_diff_pp": diff_pp,
                     "metric": metric, "distance": distance, "threshold": threshold,
                     "passed": distance <= threshold and abs(diff_pp) <= MAX_MISSING_DIFF_PP})
    table = pd.DataFrame(rows, columns=COLUMNS)
    severity = np.maximum(table["distance"] / table["threshold"],
                          table["missing_diff_pp"].abs() / MAX_MISSING_DIFF_PP)
    order = np.argsort(-severity.to_numpy(), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def realism_summary(table: pd.DataFrame, worst: int = 5) -> str:
    """A printable summary: pass count and the ``worst`` columns of :func:`realism_table`."""
    n_pass = int(table["passed"].sum())
    lines = [f"realism: {n_pass}/{len(table)} columns pass "
             f"(missing rate within {MAX_MISSING_DIFF_PP:g} pp, KS <= {MAX_KS:g}, "
             f"TV <= {MAX_TV:g})", f"worst {min(worst, len(table))} columns:"]
    for row in table.head(worst).itertuples(index=False):
        lines.append(f"  {row.column:<38} {row.metric} {row.distance:.4f} "
                     f"(<= {row.threshold:g})  missing {100 * row.missing_real:5.1f}% real, "
                     f"{100 * row.missing_generated:5.1f}% generated "
                     f"({row.missing_diff_pp:+.2f} pp)  {'ok' if row.passed else 'FAIL'}")
    return "\n".join(lines)


def format_table(table: pd.DataFrame) -> str:
    """The whole table as aligned text (fractions as percentages)."""
    shown = table.assign(
        missing_real=(100 * table["missing_real"]).map("{:.2f}%".format),
        missing_generated=(100 * table["missing_generated"]).map("{:.2f}%".format),
        missing_diff_pp=table["missing_diff_pp"].map("{:+.2f}".format),
        distance=table["distance"].map("{:.4f}".format),
        passed=table["passed"].map({True: "ok", False: "FAIL"}),
    )
    return shown.to_string(index=False)
