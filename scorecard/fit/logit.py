"""The logistic regression on WoE, fitted with statsmodels for an auditable coefficient table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def fit_logit(woe: pd.DataFrame, y: np.ndarray) -> object:
    """Fit ``P(default) = 1 / (1 + exp(-(b0 + sum_i b_i * woe_i)))`` by maximum likelihood.

    Args:
        woe: WoE values, shape (n_rows, n_features); a constant is added here.
        y: 0/1 defaults, shape (n_rows,).

    Returns:
        The statsmodels ``LogitResults``.
    """
    import statsmodels.api as sm

    exog = sm.add_constant(woe.astype(float), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.Logit(np.asarray(y, dtype=float), exog).fit(method="newton", maxiter=100,
                                                               disp=False)


def coefficient_table(result: object) -> pd.DataFrame:
    """Coefficient, standard error, z, p-value and 95 % confidence interval per term."""
    r = result  # statsmodels LogitResults
    ci = r.conf_int(alpha=0.05)  # type: ignore[attr-defined]
    return pd.DataFrame({
        "term": list(r.params.index),  # type: ignore[attr-defined]
        "coef": r.params.to_numpy(),  # type: ignore[attr-defined]
        "std_err": r.bse.to_numpy(),  # type: ignore[attr-defined]
        "z": r.tvalues.to_numpy(),  # type: ignore[attr-defined]
        "p_value": r.pvalues.to_numpy(),  # type: ignore[attr-defined]
        "ci_low": ci.iloc[:, 0].to_numpy(),
        "ci_high": ci.iloc[:, 1].to_numpy(),
    })
