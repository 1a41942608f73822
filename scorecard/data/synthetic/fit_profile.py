"""Derive the generator profile and the truth coefficients from the real 10k Klarna rows.

Run from the repository root (needs ``../shared/data/klarna``)::

    .venv/bin/python -m scorecard.data.synthetic.fit_profile

It writes two small JSON files beside this module, both reproducible from the real file:

* ``klarna_profile.json``: for every generator node (:data:`generator.NODES`) and parent
  state, the marginal as a frequency table or as missing rate plus quantile knots, the order
  of the nominal categories, and the latent correlation matrix of the Gaussian copula. No raw
  row is stored: only frequencies, quantile knots (values at evenly spaced probabilities,
  6 significant digits) and correlations.
* ``klarna_truth.json``: the coefficients of :func:`truth.true_pd`.

Correlations: per node and row, the conditional normal score ``s = E[z | cell]`` of the row's
value (the cell is the value's probability interval in its key state's distribution, so a child
is scored within its parent state). For a Gaussian latent the score is a step function of
``z`` with Hermite coefficients ``h_k``; for two latents with correlation ``rho``,
``E[s_i s_j] = sum_k h_ik h_jk rho^k / k!`` (Mehler). Solving this for ``rho`` given the
observed mean product undoes the attenuation that discrete values and point masses cause
(a polychoric-style estimate). Each pair uses only the rows where both nodes vary (a child is
generated from within-state ranks, so that is where its dependence lives); a pair whose
effective size ``n * h_i1 * h_j1`` is small (rare values) is shrunk to 0. Pairwise estimates
from different rows need not form a valid matrix, so eigenvalues are finally floored at 0.02
and the diagonal rescaled to 1.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import eval_hermitenorm, logit, ndtri

from scorecard.data.atomic import atomic_write_text
from scorecard.data.files import read_dataset
from scorecard.data.paths import REAL_KLARNA, REAL_KLARNA_PEERS
from scorecard.data.synthetic import generator as gen
from scorecard.data.synthetic import truth

REAL_PATH = REAL_KLARNA
PEERS_PATH = REAL_KLARNA_PEERS

HERMITE_TERMS = 16
ATOM_MIN_SHARE = 0.01  # a value holding >= 1 % of a state's rows is kept as an exact atom
MIN_ROWS_PER_KNOT = 5
MIN_EFFECTIVE_ROWS = 20.0  # pairs with less information get latent correlation 0
SHRINK_EFFECTIVE_ROWS = 20.0  # rho * n_eff / (n_eff + 20): pulls weakly informed pairs to 0
CATEGORY_SHRINK = 20.0  # pseudo-rows pulling a category's mean risk to the overall mean
TARGET_RATE = 0.0143
TARGET_ORACLE_AUC = 0.905
CALIBRATION_ROWS = 400_000
CALIBRATION_SEED = 20_240_601


def _sig(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


# --------------------------------------------------------------------------- marginals


def _order_codes(values: np.ndarray, order: list[Any] | None) -> tuple[np.ndarray, list[Any]]:
    """Rank code per row (-1 = missing) and the ordered list of distinct non-missing values."""
    if order is not None:
        index = {v: i for i, v in enumerate(order)}
        codes = np.array([index.get(v, -1) if v is not None and v == v else -1
                          for v in values])
        return codes, list(order)
    x = values.astype(float)
    present = ~np.isnan(x)
    uniq = np.unique(x[present])
    codes = np.full(len(x), -1)
    codes[present] = np.searchsorted(uniq, x[present])
    return codes, uniq.tolist()


def fit_discrete(values: np.ndarray, nullable: bool, order: list[Any] | None = None,
                 ) -> dict[str, Any]:
    """Frequency table of one state; ``None`` (missing) first when present."""
    codes, uniq = _order_codes(values, order)
    out_v: list[Any] = []
    out_p: list[float] = []
    n = len(codes)
    if nullable and (codes == -1).any():
        out_v.append(None)
        out_p.append(_sig((codes == -1).sum() / n))
    counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
    for v, k in zip(uniq, counts, strict=True):
        if k > 0:
            out_v.append(v if isinstance(v, str) else _sig(float(v), 10))
            out_p.append(_sig(k / n))
    return {"type": "discrete", "values": out_v, "p": out_p}


def fit_mixed(values: np.ndarray, nullable: bool, knots: int) -> dict[str, Any]:
    """Missing rate and quantile knots of one state's non-missing values.

    Knots: ``knots + 1`` evenly spaced probabilities of the empirical quantile function
    (plotting positions ``(i + 0.5) / n``), plus both ends of every atom (a value with at least
    ``ATOM_MIN_SHARE`` of the rows) so that atoms keep their exact mass.
    """
    x = values.astype(float)
    na = np.isnan(x)
    p_na = float(na.mean()) if nullable else 0.0
    v = np.sort(x[~na])
    n = len(v)
    if n == 0:
        return {"type": "mixed", "p_na": 1.0, "u": [0.0, 1.0], "x": [0.0, 0.0]}
    # A small state gets fewer knots (>= 5 rows each): its knots interpolate between order
    # statistics instead of listing the rows' values.
    knots = min(knots, max(2, n // MIN_ROWS_PER_KNOT))
    uniq, first, counts = np.unique(v, return_index=True, return_counts=True)
    pos = (np.arange(n) + 0.5) / n
    points: list[tuple[float, float]] = [(0.0, v[0]), (1.0, v[-1])]
    atoms = [(first[i] / n, (first[i] + counts[i]) / n, uniq[i]) for i in range(len(uniq))
             if counts[i] >= max(2, ATOM_MIN_SHARE * n)]
    for lo, hi, a in atoms:
        i_lo, i_hi = round(lo * n), round(hi * n)
        if i_lo > 0:
            points.append((lo, v[i_lo - 1]))
        points += [(lo, a), (hi, a)]
        if i_hi < n:
            points.append((hi, v[i_hi]))
    for u in np.linspace(0.0, 1.0, knots + 1)[1:-1]:
        if not any(lo < u < hi for lo, hi, _ in atoms):
            points.append((float(u), float(np.interp(u, pos, v))))
    points = sorted({(round(u, 6), _sig(float(xx))) for u, xx in points})
    return {"type": "mixed", "p_na": _sig(p_na), "u": [p[0] for p in points],
            "x": [p[1] for p in points]}


def _cells(values: np.ndarray, order: list[Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row the probability interval ``[lo, hi)`` of its value within these rows."""
    codes, _ = _order_codes(values, order)
    shifted = codes + 1  # missing (-1) becomes 0, the first cell
    counts = np.bincount(shifted)
    cum = np.concatenate([[0], np.cumsum(counts)]) / len(codes)
    return cum[shifted], cum[shifted + 1]


# --------------------------------------------------------------------------- copula


def _scores(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conditional normal scores E[z | cell] and their Hermite contributions per row.

    Returns ``(s, herm)`` with ``herm[:, k-1]`` the row's share of ``E[s(z) He_k(z)]``.
    """
    a, b = ndtri(np.clip(lo, 0.0, 1.0)), ndtri(np.clip(hi, 0.0, 1.0))
    pa = np.where(np.isfinite(a), np.exp(-0.5 * np.nan_to_num(a, posinf=0, neginf=0) ** 2), 0.0)
    pb = np.where(np.isfinite(b), np.exp(-0.5 * np.nan_to_num(b, posinf=0, neginf=0) ** 2), 0.0)
    pa, pb = pa / math.sqrt(2 * math.pi), pb / math.sqrt(2 * math.pi)
    width = np.maximum(hi - lo, 1e-300)
    s = (pa - pb) / width
    herm = np.zeros((len(lo), HERMITE_TERMS))
    af = np.nan_to_num(a, posinf=0.0, neginf=0.0)
    bf = np.nan_to_num(b, posinf=0.0, neginf=0.0)
    for k in range(1, HERMITE_TERMS + 1):
        herm[:, k - 1] = s * (eval_hermitenorm(k - 1, af) * pa
                              - eval_hermitenorm(k - 1, bf) * pb) / width
    return s, herm


def _solve_rho(h_i: np.ndarray, h_j: np.ndarray, target: float) -> float:
    """The latent correlation whose Mehler series gives ``E[s_i s_j] = target``."""
    k = np.arange(1, HERMITE_TERMS + 1)
    coef = h_i * h_j / np.array([math.factorial(int(i)) for i in k])
    grid = np.linspace(-0.995, 0.995, 3981)
    vals = (grid[:, None] ** k[None, :]) @ coef
    return float(grid[np.argmin(np.abs(vals - target))])


def _pair_rho(scores: np.ndarray, herm: np.ndarray, rows: np.ndarray) -> float:
    """Latent correlation of two nodes from the rows where both are informative.

    A child is generated from within-state ranks, so its dependence on another node lives
    inside the states where both vary; rows where either is fixed (a degenerate state: e.g.
    every count is 0 for a new applicant) carry no information and would only dilute it.
    """
    if not rows.any():
        return 0.0
    h_i, h_j = herm[rows, 0].mean(axis=0), herm[rows, 1].mean(axis=0)
    # Effective sample size: the inversion divides by h_i1 * h_j1 (the variance each score
    # keeps), so a rare value (e.g. 3 written-off rows) gives a huge, meaningless estimate.
    n_eff = float(rows.sum()) * h_i[0] * h_j[0]
    if n_eff < MIN_EFFECTIVE_ROWS:
        return 0.0
    target = float(np.mean(scores[rows, 0] * scores[rows, 1]))
    return _solve_rho(h_i, h_j, target) * n_eff / (n_eff + SHRINK_EFFECTIVE_ROWS)


def _nearest_correlation(r: np.ndarray, floor: float = 0.02) -> np.ndarray:
    """Clip eigenvalues at ``floor`` and rescale to unit diagonal (positive definite)."""
    for _ in range(50):
        w, v = np.linalg.eigh((r + r.T) / 2)
        if w.min() >= floor * 0.999:
            break
        r = (v * np.maximum(w, floor)) @ v.T
        d = np.sqrt(np.diag(r))
        r = r / np.outer(d, d)
    return r


# --------------------------------------------------------------------------- fitting


def frame_columns(frame: pd.DataFrame) -> gen.Cols:
    """The typed frame as generator columns: floats (NaN missing), text as object arrays."""
    cols: gen.Cols = {}
    for name in frame.columns:
        s = frame[name]
        cols[name] = (s.to_numpy(dtype=object) if s.dtype == object
                      else s.to_numpy(dtype=float))
    return cols


def _category_order(values: np.ndarray, risk: np.ndarray) -> list[str]:
    """Nominal categories ordered by shrunken mean risk, so the copula latent is a risk axis."""
    df = pd.DataFrame({"v": values, "r": risk})
    g = df.groupby("v")["r"].agg(["sum", "count"])
    mean = (g["sum"] + CATEGORY_SHRINK * risk.mean()) / (g["count"] + CATEGORY_SHRINK)
    return [str(v) for v in mean.sort_values(kind="stable").index]


def fit_generator_profile(real: pd.DataFrame, risk: np.ndarray) -> dict[str, Any]:
    """The generator profile (see module docstring) from the real typed frame."""
    cols = frame_columns(real)
    n = len(real)
    orders = {name: _category_order(cols[name], risk)
              for name in ("merchant_category", "name_in_email")}
    nodes: dict[str, Any] = {}
    latent = gen.latent_nodes()
    m = len(latent)
    scores = np.zeros((n, m))
    herm = np.zeros((n, m, HERMITE_TERMS))
    informative = np.zeros((n, m), dtype=bool)  # observed, in a state with > 1 value
    for j, node in enumerate(latent):
        target = node.target(cols)
        if node.name.startswith("_"):
            cols[node.name] = target.astype(np.int64)  # hidden flags later keys read
        key = (node.key(cols).astype(np.int64) if node.key is not None
               else np.zeros(n, dtype=np.int64))
        order = orders.get(node.name)
        observed = (np.ones(n, dtype=bool) if node.nullable or order is not None
                    else ~np.isnan(target.astype(float)))
        states: dict[str, Any] = {}
        for s in [*np.unique(key).tolist(), "*"]:
            idx = observed & (key == s if s != "*" else True)
            if not idx.any():
                continue
            t = target[idx]
            if node.kind == "discrete":
                states[str(s)] = fit_discrete(t, node.nullable, order)
            else:
                states[str(s)] = fit_mixed(t, node.nullable, node.knots)
            if s == "*":
                continue
            lo, hi = _cells(t, order)
            scores[idx, j], herm[idx, j] = _scores(lo, hi)
            informative[idx, j] = (hi - lo).min() < 1.0
        nodes[node.name] = {"states": states}
    corr = np.eye(m)
    for i in range(m):
        for k in range(i):
            corr[i, k] = corr[k, i] = _pair_rho(scores[:, [i, k]], herm[:, [i, k]],
                                                informative[:, i] & informative[:, k])
    corr = _nearest_correlation(corr)
    return {
        "note": ("Derived by scorecard/synthetic/fit_profile.py from the 10,000 real unlabelled "
                 "rows (../shared/data/klarna/dataset_unlabelled_10k.csv): per node and parent "
                 "state a frequency table or missing rate + quantile knots (6 significant "
                 "digits), nominal categories ordered by mean itdxer risk, and the Gaussian "
                 "copula correlation of conditional normal scores (Hermite-corrected). "
                 "No raw rows."),
        "source_rows": n,
        "latent_order": [node.name for node in latent],
        "category_order": orders,
        "nodes": nodes,
        "correlation": [[round(float(x), 5) for x in row] for row in corr],
    }


# --------------------------------------------------------------------------- truth


def expected_oracle_auc(p: np.ndarray) -> float:
    """Expected ROC AUC of ``p`` (shape ``(n,)``) against labels drawn as Bernoulli(``p``):
    expected concordant positive-negative pairs over expected pairs (ties in ``p`` are
    ordered arbitrarily, negligible for continuous scores)."""
    p = np.sort(np.asarray(p, dtype=float))
    neg = 1.0 - p
    cum_neg = np.cumsum(neg) - neg
    num = float(np.sum(p * cum_neg))
    den = float(p.sum() * neg.sum() - np.sum(p * neg))
    return num / den


def _ridge(x: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """Least squares with an L2 penalty per coefficient (0 = unpenalised)."""
    a = x.T @ x + np.diag(penalty)
    return np.linalg.solve(a, x.T @ y)


def fit_truth(real: pd.DataFrame, itdxer: np.ndarray) -> dict[str, Any]:
    """Uncalibrated coefficients: ridge fit of logit(itdxer) with the designed terms fixed."""
    y = logit(np.clip(itdxer, 1e-5, 1 - 1e-5))
    x = truth.design(real)
    offset = sum(eff * x[t].to_numpy() for t, eff in truth.DESIGNED_EFFECTS.items())
    fitted = [t for t in x.columns if t not in truth.DESIGNED_EFFECTS]
    blocks = [np.ones((len(x), 1)), x[fitted].to_numpy()]
    penalties = [0.0] + [1e-3] * len(fitted)
    levels: dict[str, list[str]] = {}
    for col in ("merchant_category", "name_in_email"):
        levels[col] = sorted(real[col].unique())
        blocks.append((real[col].to_numpy()[:, None] == np.array(levels[col])[None, :])
                      .astype(float))
        penalties += [CATEGORY_SHRINK] * len(levels[col])
    design = np.hstack(blocks)
    beta = _ridge(design, y - offset, np.array(penalties))
    coef = {t: float(b) for t, b in zip(fitted, beta[1:1 + len(fitted)], strict=True)}
    coef.update(truth.DESIGNED_EFFECTS)
    out: dict[str, Any] = {"intercept": float(beta[0]),
                           "coefficients": {t: coef[t] for t in x.columns}}
    start = 1 + len(fitted)
    for col in ("merchant_category", "name_in_email"):
        eff = beta[start:start + len(levels[col])]
        start += len(levels[col])
        centred = eff - eff.mean()
        out["intercept"] += float(eff.mean())
        out[f"{col}_effect"] = {lv: float(e) for lv, e in zip(levels[col], centred,
                                                               strict=True)}
    return out


def _scaled(c: dict[str, Any], scale: float, intercept: float) -> dict[str, Any]:
    return {
        "intercept": intercept,
        "coefficients": {t: b * scale for t, b in c["coefficients"].items()},
        **{k: {lv: e * scale for lv, e in c[k].items()}
           for k in ("merchant_category_effect", "name_in_email_effect")},
    }


def calibrate_truth(raw: dict[str, Any], sample: pd.DataFrame) -> dict[str, Any]:
    """Scale all effects and shift the intercept so that on ``sample`` (generated rows) the
    mean pd is ``TARGET_RATE`` and the expected oracle AUC is ``TARGET_ORACLE_AUC``."""
    from scipy.optimize import brentq

    base = truth.linear_predictor(sample, _scaled(raw, 1.0, 0.0))

    def intercept_for(scale: float) -> float:
        return brentq(lambda b: float(np.mean(1 / (1 + np.exp(-(b + scale * base)))))
                      - TARGET_RATE, -40, 40)

    def auc_gap(scale: float) -> float:
        b = intercept_for(scale)
        return expected_oracle_auc(1 / (1 + np.exp(-(b + scale * base)))) - TARGET_ORACLE_AUC

    scale = brentq(auc_gap, 0.3, 3.0)
    return _scaled(raw, scale, intercept_for(scale)) | {"scale": scale}


def _rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return _sig(obj, 8)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def to_json(obj: Any, indent: int = 0) -> str:
    """JSON with one line per key and lists of numbers kept on one line (reviewable diffs)."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict) and obj:
        items = [f"{pad}{json.dumps(k)}: {to_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list) and any(isinstance(x, dict | list) for x in obj):
        items = [f"{pad}{to_json(x, indent + 1)}" for x in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(obj)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=Path, default=REAL_PATH)
    parser.add_argument("--peers", type=Path, default=PEERS_PATH)
    parser.add_argument("--profile", type=Path, default=gen.PROFILE_PATH)
    parser.add_argument("--truth", type=Path, default=truth.TRUTH_PATH)
    args = parser.parse_args(argv)

    real = read_dataset(args.real).frame
    peers = pd.read_csv(args.peers, sep=";")
    itdxer = peers.set_index("uuid").loc[real["uuid"], "itdxer"].to_numpy(dtype=float)
    risk = logit(np.clip(itdxer, 1e-5, 1 - 1e-5))

    profile = fit_generator_profile(real, risk)
    atomic_write_text(args.profile, to_json(profile) + "\n")
    print(f"wrote {args.profile} ({len(profile['latent_order'])} latents)")

    raw = fit_truth(real, itdxer)
    rng = np.random.default_rng(CALIBRATION_SEED)
    cols = gen.generate_features(CALIBRATION_ROWS, rng, profile)
    sample = gen.to_frame(cols, np.array([""] * CALIBRATION_ROWS, dtype=object),
                          np.full(CALIBRATION_ROWS, np.nan))
    calibrated = calibrate_truth(raw, sample)
    doc = {
        "note": ("Derived by scorecard/synthetic/fit_profile.py: ridge fit of logit(itdxer pd) "
                 "on the 10,000 real rows (../shared/data/klarna/peer_predictions_10k.csv), "
                 "designed terms fixed (truth.DESIGNED_EFFECTS), then all effects scaled by "
                 f"'scale' and the intercept set so that on {CALIBRATION_ROWS} generated rows "
                 f"(seed {CALIBRATION_SEED}) mean pd = {TARGET_RATE} and expected oracle AUC "
                 f"= {TARGET_ORACLE_AUC}. See truth.py for the terms."),
        **_rounded(calibrated),
    }
    atomic_write_text(args.truth, to_json(doc) + "\n")
    pd_real = truth.true_pd(real, doc)
    from scipy.stats import spearmanr

    print(f"wrote {args.truth}: scale {calibrated['scale']:.3f}, "
          f"mean pd real {pd_real.mean():.4f}, "
          f"Spearman vs itdxer {spearmanr(pd_real, itdxer).statistic:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
