"""Group labels of a fairness test: an age column in bands, any other column's values.

Shared by ``scorecard fairness`` (:mod:`scorecard.jobs.fairness`), ``monitor`` and the fairness
section :meth:`Scorecard.validate` adds to the validation report when the spec names
protected attributes.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from scorecard.errors import UsageError

AGE_BANDS = (18, 25, 35, 45, 55, 65)  # lower edges: 18-24, 25-34, ..., 65+
AGE_NAME = re.compile(r"^age$|^age_|_age$", re.IGNORECASE)
MAX_GROUPS = 20  # distinct values above which a column is a measurement, not a group
DECLINED_SHARE = 0.10  # the default cut-off declines the riskiest tenth of development


class FairnessError(UsageError):
    """A groups argument or reference that cannot be used as given (a usage error)."""


def age_bands(values: pd.Series) -> np.ndarray:
    """Age in whole years cut into bands ``18-24`` ... ``65+`` (below 18: ``<18``)."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    labels = (["<18"] + [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(AGE_BANDS)]
              + [f"{AGE_BANDS[-1]}+"])
    idx = np.searchsorted(np.asarray(AGE_BANDS, dtype=float), x, side="right")
    out = np.array(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]
    out[~np.isfinite(x)] = None
    return out


def as_groups(name: str, values: pd.Series) -> tuple[np.ndarray, str]:
    """``(labels, how)`` of one group column: age bands, or its values as text."""
    numeric = pd.to_numeric(values, errors="coerce")
    is_numeric = values.notna().sum() > 0 and numeric.notna().sum() == values.notna().sum()
    if is_numeric and AGE_NAME.search(name):
        return age_bands(values), f"age bands {', '.join(str(a) for a in AGE_BANDS)}+"
    distinct = values.dropna().unique()
    if len(distinct) > MAX_GROUPS:
        raise FairnessError(f"--groups: column {name!r} has {len(distinct)} distinct values, "
                            f"more than {MAX_GROUPS}: band it first (a groups file)")
    if is_numeric:
        text = numeric.map(lambda v: None if pd.isna(v) else
                           (f"{int(v)}" if float(v).is_integer() else f"{v:g}"))
        return text.to_numpy(dtype=object), "values"
    return values.map(lambda v: None if pd.isna(v) else str(v).strip()).to_numpy(dtype=object), \
        "values"




def protected_fairness(engine: Any, dev: pd.DataFrame, hold: pd.DataFrame, y_hold: np.ndarray,
                       protected: Sequence[str]) -> dict[str, Any]:
    """The validation report's fairness section: every protected column of the spec tested
    on the holdout rows with the validated card, at the cut-off declining the riskiest
    :data:`DECLINED_SHARE` of the development rows."""
    from validation.fairness import group_figures

    cutoff = math.ceil(float(np.quantile(engine.score(dev).score, DECLINED_SHARE)))
    scored = engine.score(hold)
    approved = scored.score >= cutoff
    columns = []
    for name in protected:
        labels, how = as_groups(name, hold[name].reset_index(drop=True))
        fig = group_figures(scored.score, approved, labels, pd=scored.pd,
                            y=np.asarray(y_hold, dtype=float))
        columns.append({"column": name, "source": f"holdout rows, {how}", **fig})
    return {"cutoff": cutoff, "declined_share": DECLINED_SHARE, "rows": len(hold),
            "approval_rate": float(approved.mean()), "columns": columns,
            "flagged": [f"{c['column']}={g}" for c in columns for g in c["flagged"]]}
