"""Feature selection a validator can trace: IV floor, correlation and VIF limits, and a
logistic fit whose every coefficient keeps points monotone in WoE.

Every candidate ends with one decision in the selection log: ``in``, or ``out`` with the
step and the reason. WoE is higher for safer bins (see :mod:`scorecard.fit.binning`), so a
coefficient on WoE must be *negative* in the model of ``P(default)``; a positive one would
hand more points to riskier bins and is not accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scorecard.fit.logit import fit_logit
from scorecard.fit.spec import METHOD_DEFAULTS
from validation.stability import vif_table


@dataclass(frozen=True)
class SelectionConfig:
    """Thresholds of the selection steps.

    ``min_iv``: information value floor; ``max_corr``: largest |Pearson r| between two
    selected WoE columns; ``max_vif``: largest variance inflation factor; ``max_pvalue``:
    backward elimination stops when every coefficient's p-value is below it;
    ``max_features``: cap on the card's characteristics (by IV); ``backward``: run the
    backward elimination on a WoE logit (sign, then p-value). The joint card turns it off:
    its points are fitted under sign bounds and an L2 penalty chosen by inner CV, which
    does the elimination's work, and a WoE coefficient's sign or p-value says nothing about
    a characteristic's joint bin contributions.
    """

    # Defaults: the classic card's (scorecard.fit.spec.METHOD_DEFAULTS, the one table).
    min_iv: float = float(METHOD_DEFAULTS["woe"].selection["min_iv"])
    max_corr: float = float(METHOD_DEFAULTS["woe"].selection["max_corr"])
    max_vif: float = float(METHOD_DEFAULTS["woe"].selection["max_vif"])
    max_pvalue: float = float(METHOD_DEFAULTS["woe"].selection["max_pvalue"])
    max_features: int = int(METHOD_DEFAULTS["woe"].selection["max_features"])
    backward: bool = bool(METHOD_DEFAULTS["woe"].selection["backward"])


def select_features(woe: pd.DataFrame, y: np.ndarray, iv: dict[str, float],
                    config: SelectionConfig,
                    excluded: dict[str, str] | None = None) -> tuple[list[str], pd.DataFrame]:
    """Choose the card's characteristics.

    Args:
        woe: WoE of every binned candidate, shape (n_rows, n_candidates).
        y: 0/1 defaults, shape (n_rows,).
        iv: information value per candidate.
        config: thresholds.
        excluded: features left out before binning, with the reason (logged as ``design``).

    Returns:
        The selected features (by IV, descending) and the selection log with columns
        ``feature, iv, decision, step, reason``.
    """
    log: dict[str, tuple[str, str, str]] = {}
    for name, why in (excluded or {}).items():
        log[name] = ("out", "design", why)
    order = sorted(woe.columns, key=lambda c: (-iv[c], c))
    kept: list[str] = []
    for name in order:
        if iv[name] < config.min_iv:
            log[name] = ("out", "iv", f"IV {iv[name]:.4f} below the floor {config.min_iv}")
            continue
        if woe[name].std() == 0:
            log[name] = ("out", "iv", "a single bin: no information")
            continue
        corr = [(abs(float(np.corrcoef(woe[name], woe[k])[0, 1])), k) for k in kept]
        worst = max(corr, default=(0.0, ""))
        if worst[0] > config.max_corr:
            log[name] = ("out", "correlation",
                         f"|r| = {worst[0]:.3f} with {worst[1]} (higher IV) exceeds "
                         f"{config.max_corr}")
            continue
        kept.append(name)
    while len(kept) > 1:
        # The validation report's own VIF (validation.stability.vif_table): one definition.
        vif = vif_table(woe[kept]).set_index("feature")["vif"]
        name = str(vif.idxmax())
        if vif[name] <= config.max_vif:
            break
        kept.remove(name)
        log[name] = ("out", "vif", f"VIF {vif[name]:.2f} exceeds {config.max_vif}")
    for name in kept[config.max_features:]:
        log[name] = ("out", "max_features",
                     f"beyond the {config.max_features} highest-IV characteristics")
    kept = kept[: config.max_features]
    if not config.backward:
        for name in kept:
            log[name] = ("in", "final", f"IV {iv[name]:.4f}; passes the correlation and VIF "
                         "limits (joint fit: no WoE-logit elimination)")
    # Backward elimination: first wrong signs (largest positive coefficient), then p-values.
    while kept and config.backward:
        result = fit_logit(woe[kept], y)
        coefs = result.params.drop("const")  # type: ignore[attr-defined]
        pvals = result.pvalues.drop("const")  # type: ignore[attr-defined]
        wrong = coefs[coefs >= 0]
        if not wrong.empty:
            name = str(wrong.idxmax())
            log[name] = ("out", "sign", f"coefficient {coefs[name]:+.4f} on WoE is not negative:"
                         " points would not be monotone in WoE")
            kept.remove(name)
            continue
        if pvals.max() > config.max_pvalue:
            name = str(pvals.idxmax())
            log[name] = ("out", "significance",
                         f"p-value {pvals[name]:.4f} above {config.max_pvalue}")
            kept.remove(name)
            continue
        for name in kept:
            log[name] = ("in", "final", f"coefficient {coefs[name]:+.4f}, p-value "
                         f"{pvals[name]:.2e}")
        break
    rows = [{"feature": n, "iv": iv.get(n, float("nan")), "decision": d, "step": s,
             "reason": r} for n, (d, s, r) in log.items()]
    table = pd.DataFrame(rows).sort_values(["decision", "iv", "feature"],
                                           ascending=[True, False, True], na_position="last")
    return kept, table.reset_index(drop=True)
