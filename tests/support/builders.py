"""Builders of test inputs: random contract-valid rows (:func:`sample_frame`), a sealed card
over every feature of a contract (:func:`demo_card`, interactions included), generated
applicants, the validation report's inputs built without fitting (:func:`build_synthetic`),
a hand-computed card (:data:`EXACT_CARD`) and loans whose default rate turns with their
approval year (:func:`vintage_frame`)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd

from scorecard.card.artifact import SCHEMA_VERSION
from scorecard.card.grades import MasterScale
from scorecard.card.scaling import Scaling as MSScaling
from scorecard.data.contract import Column, Contract
from scorecard.data.synthetic.generator import generate
from scorecard.fit.spec import DatasetSpec
from validation.result import ValidationResult
from validation.splits import make_splits

N_BASE = 2_000


def sample_frame(contract: Contract, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` random contract-valid rows, typed as :func:`scorecard.data.files.read_dataset`
    returns them (floats with NaN, object strings, bools). Values come from coarse grids
    (integers, halves) so they often equal a bin boundary exactly."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for col in contract.columns:
        data[col.name] = _sample_column(col, contract, n, rng)
    return pd.DataFrame(data)


def _sample_column(col: Column, contract: Contract, n: int,
                   rng: np.random.Generator) -> np.ndarray:
    if col.kind == "id":
        return np.array([f"s{seed:09d}" for seed in range(n)], dtype=object)
    if col.kind == "target":
        labels = np.array([0.0, 1.0, np.nan])
        return labels[rng.choice(3, n, p=[0.6, 0.1, 0.3])]
    if col.kind == "boolean":
        return rng.random(n) < 0.6
    if col.kind == "category":
        allowed = np.array(col.allowed or ("a", "b"), dtype=object)
        return allowed[rng.integers(0, len(allowed), n)]
    if col.kind == "code":
        values = np.array([float(a) for a in col.allowed or (0, 1)])[
            rng.integers(0, len(col.allowed or (0, 1)), n)]
    else:
        lo = col.min if col.min is not None else -10.0
        hi = col.max if col.max is not None else lo + 200.0
        raw = lo + rng.exponential(0.15 * (hi - lo), n)
        # A third exact zeros (or the minimum): the real data's most common value.
        raw = np.where(rng.random(n) < 0.3, lo, raw)
        step = 1.0 if col.csv_format == "int" or col.kind == "integer" else 0.5
        values = np.floor(raw / step) * step
        upper = hi - step if col.max_exclusive else hi
        values = np.clip(values, lo, upper)
    if col.nullable:
        values = np.where(rng.random(n) < 0.15, np.nan, values)
    return values.astype(float)


def demo_card(contract: Contract, frame: pd.DataFrame, seed: int = 0,
              interactions: bool = False, rounding: bool = False) -> dict[str, Any]:
    """A sealed card over every feature of ``contract`` — not a model: bins at values that
    occur in ``frame`` (so rows sit exactly on boundaries), special codes on the most
    common value of every third numeric feature, some categories left out (unseen) and
    random integer points. It exercises every path of a scoring runner.

    ``interactions``: also three interaction characteristics (:func:`add_interactions`);
    ``rounding``: also two rounding characteristics (:func:`add_rounding`)."""
    from scorecard.card.artifact import SCHEMA_VERSION, seal
    from scorecard.card.scaling import Scaling

    rng = np.random.default_rng(seed)
    features = []
    for pos, col in enumerate(contract.features):
        points = lambda k: [int(p) for p in rng.integers(-20, 61, k)]  # noqa: E731
        if col.kind in ("category", "boolean"):
            cats = (["False", "True"] if col.kind == "boolean"
                    else sorted(str(a) for a in (col.allowed or ())))
            cats = [cats[i] for i in rng.permutation(len(cats))]
            keep = cats if col.kind == "boolean" else cats[: max(1, int(len(cats) * 0.8))]
            groups = [sorted(g.tolist()) for g in np.array_split(np.array(keep, dtype=object),
                                                                min(3, len(keep)))]
            pts = points(len(groups) + 1)
            bins = [{"index": i, "type": "regular", "label": ", ".join(g), "categories": g,
                     "points": pts[i]} for i, g in enumerate(groups)]
            bins.append({"index": len(groups), "type": "missing", "label": "Missing",
                         "points": pts[-1]})
            kind, splits = "categorical", None
        else:
            values = frame[col.name].dropna().to_numpy(dtype=float)
            uniq = np.unique(values)
            qs = np.unique(np.quantile(uniq, [0.1, 0.3, 0.5, 0.7, 0.9], method="nearest"))
            splits = [float(s) for s in qs[qs > uniq.min()]] if len(uniq) > 1 else []
            special = ([float(pd.Series(values).mode().iloc[0])]
                       if pos % 3 == 0 and len(values) else [])
            pts = points(len(splits) + 1 + len(special) + 1)
            edges = [-np.inf, *splits, np.inf]
            bins = [{"index": i, "type": "regular", "label": f"[{edges[i]}, {edges[i + 1]})",
                     "points": pts[i]} for i in range(len(splits) + 1)]
            for code in special:
                bins.append({"index": len(bins), "type": "special", "label": f"code {code}",
                             "codes": [code], "points": pts[len(bins)]})
            bins.append({"index": len(bins), "type": "missing", "label": "Missing",
                         "points": pts[-1]})
            kind = "numeric"
        unseen = int(rng.integers(-5, 6))
        features.append({
            "name": col.name, "kind": kind, "description": col.description,
            "reason_code": f"D{pos + 1:02d}", "coefficient": 1.0, "trend": None,
            "overridden": False, "iv": 0.0, "splits": splits, "unseen_points": unseen,
            "max_points": max(b["points"] for b in bins),
            "best_bin": int(np.argmax([b["points"] for b in bins])), "bins": bins,
        })
    from dataclasses import asdict

    artifact = {
        "schema_version": SCHEMA_VERSION,
        "spec": {"name": f"{contract.name}-demo", "contract": contract.name},
        "id_column": contract.id_column,
        "input_contract": [{k: (list(v) if isinstance(v, tuple) else v)
                            for k, v in asdict(c).items()} for c in contract.columns],
        "scaling": Scaling().to_dict(),
        "pd_formula": "pd = 1 / (1 + exp((score - offset) / factor))",
        "intercept": 0.0,
        "features": features,
        "master_scale": {},
        "metadata": {"note": "demo card for testing scoring runners; not a model"},
    }
    if interactions:
        add_interactions(artifact, rng)
    if rounding:
        add_rounding(artifact, frame, rng)
    return seal(artifact)


def add_rounding(artifact: dict[str, Any], frame: pd.DataFrame,
                 rng: np.random.Generator) -> None:
    """Append rounding characteristics (:mod:`scorecard.card.derived`) of the first two
    whole-number columns of ``frame`` with zeros among their values: steps 10 and 5 on the
    first, 5 and 2 on the second, the label ``"0"`` left unseen on the second (one input
    stays a characteristic of its own, the other is only an input)."""
    from scorecard.card.derived import OTHER, ZERO, rounding_name

    names = {f["name"] for f in artifact["features"]}
    whole = [c for c in frame.columns if c in names and pd.api.types.is_numeric_dtype(frame[c])
             and (frame[c].dropna() == frame[c].dropna().round()).all()
             and (frame[c] == 0).any()][:2]
    for k, (col, steps) in enumerate(zip(whole, ([10, 5], [5, 2]), strict=False)):
        labels = [*map(str, steps), OTHER] + ([ZERO] if k == 0 else [])
        groups = [[labels[0]], labels[1:]] if k == 0 else [[lab] for lab in labels]
        pts = [int(p) for p in rng.integers(-20, 61, len(groups) + 1)]
        bins = [{"index": i, "type": "regular", "label": ", ".join(g), "categories": g,
                 "points": pts[i]} for i, g in enumerate(groups)]
        bins.append({"index": len(groups), "type": "missing", "label": "Missing",
                     "points": pts[-1]})
        artifact["features"].append({
            "name": rounding_name(col), "kind": "categorical", "description": f"{col} rounding",
            "derived": {"input": col, "rounding": steps}, "reason_code": f"DR{k + 1}",
            "coefficient": 1.0, "trend": None, "overridden": False, "iv": 0.0, "splits": None,
            "unseen_points": int(rng.integers(-5, 6)), "max_points": max(pts),
            "best_bin": int(np.argmax(pts)), "bins": bins})
    if len(whole) == 2:  # the second input is then only an input
        artifact["features"] = [f for f in artifact["features"] if f["name"] != whole[1]]


def interaction_feature(x: dict[str, Any], y: dict[str, Any], code: str,
                        rng: np.random.Generator) -> dict[str, Any]:
    """An interaction of two characteristics' bin rules, random integer points per cell."""
    def parent(f: dict[str, Any]) -> dict[str, Any]:
        keep = ("index", "type", "label", "codes", "categories")
        p = {"name": f["name"], "kind": f["kind"],
             "bins": [{k: b[k] for k in keep if k in b} for b in f["bins"]]}
        if f["kind"] == "numeric":
            p["splits"] = list(f["splits"])
        return p

    n_x, n_y = len(x["bins"]), len(y["bins"])
    grid = [[int(v) for v in row] for row in rng.integers(-30, 41, (n_x, n_y))]
    bins = [{"index": i * n_y + j, "type": "cell", "row": i, "col": j,
             "label": f"{x['bins'][i]['label']} & {y['bins'][j]['label']}",
             "points": grid[i][j]} for i in range(n_x) for j in range(n_y)]
    best = int(np.argmax([b["points"] for b in bins]))
    return {"name": f"{x['name']}_x_{y['name']}", "kind": "interaction",
            "description": f"{x['name']} by {y['name']}", "reason_code": code,
            "coefficient": None, "trend": None, "parents": [parent(x), parent(y)],
            "grid": grid, "unseen_points": int(rng.integers(-5, 6)),
            "max_points": bins[best]["points"], "best_bin": best, "bins": bins}


def add_interactions(artifact: dict[str, Any], rng: np.random.Generator) -> None:
    """Append three interactions to an unsealed demo card: numeric x numeric (special codes
    in the first), numeric x boolean, categorical x categorical (unseen categories on both
    sides); the last one's second parent is then dropped as a characteristic of its own, so
    a parent that is only a parent is covered too."""
    feats = artifact["features"]
    numeric = [f for f in feats if f["kind"] == "numeric"]
    special = [f for f in numeric if any(b["type"] == "special" for b in f["bins"])]
    boolean = [f for f in feats if f["kind"] == "categorical"
               and {c for b in f["bins"] for c in b.get("categories", [])} <= {"True", "False"}]
    cats = [f for f in feats if f["kind"] == "categorical" and f not in boolean]
    x0 = special[0] if special else numeric[0]
    pairs = [(x0, next(f for f in numeric if f is not x0))]
    if boolean:
        pairs.append((numeric[-1], boolean[0]))
    if len(cats) >= 2:
        pairs.append((cats[0], cats[1]))
    new = [interaction_feature(x, y, f"DX{k + 1}", rng) for k, (x, y) in enumerate(pairs)]
    if len(cats) >= 2:
        feats.remove(cats[1])
    feats.extend(new)


def card_splits(artifact: dict[str, Any]) -> dict[str, list[float]]:
    """The split points of every numeric characteristic of the card."""
    return {f["name"]: f["splits"] for f in artifact["features"] if f["kind"] == "numeric"}


@functools.cache
def generated_rows() -> list[dict[str, Any]]:
    """Generated applicants as JSON-like dicts (None = missing); all contract-valid."""
    frame, _ = generate(N_BASE, 0, seed=101)
    records = frame.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v)
             for k, v in r.items()} for r in records]


VINTAGE_CONTRACT = Contract(
    name="vintages",
    columns=(
        Column("uid", "id"),
        Column("bad", "target", allowed=(0, 1)),
        Column("approval_year", "numeric", min=1990, max=2020),
        Column("inquiries", "numeric", min=0, max=20),
        Column("region", "category", allowed=("n", "s", "e", "w")),
    ),
    id_column="uid", target="bad", separator=",", na_value="",
)
# The spec declares the approval year ascending (its Spearman correlation is clearly
# positive), which a reviewer who sees the turn lifts with an override's trend "none".
VINTAGE_SPEC = DatasetSpec(name="vintages", contract=VINTAGE_CONTRACT, categorical=("region",),
                           monotonic={"approval_year": "ascending", "inquiries": "ascending"})


def vintage_frame(n: int = 12_000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Loans of :data:`VINTAGE_SPEC` and their 0/1 labels: the default rate rises with the
    approval year to 2008, then falls back well below its peak (a vintage's turn)."""
    rng = np.random.default_rng(seed)
    year = rng.integers(1995, 2015, n)
    inquiries = rng.integers(0, 8, n)
    region = rng.choice(np.array(["n", "s", "e", "w"], dtype=object), n)
    p = np.where(year <= 2008, 0.03 + 0.02 * (year - 1995), 0.29 - 0.045 * (year - 2008))
    p = np.clip(p + 0.01 * inquiries + np.where(region == "n", 0.03, 0.0), 0.01, 0.9)
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"uid": [f"v{seed}_{i}" for i in range(n)], "bad": y,
                         "approval_year": year.astype(float),
                         "inquiries": inquiries.astype(float), "region": region}), y


SECTIONS = ("Summary", "Discrimination", "Calibration", "Master scale and score bands",
            "Score distributions", "Stability", "Information value and multicollinearity",
            "The card", "Oracle: distance to the true pd", "Reproducibility")


def _feature(name: str, code: str, x: np.ndarray, y: np.ndarray, coef: float,
             n_features: int, intercept: float, factor: float, offset: float) -> dict:
    edges = np.quantile(x, [0.2, 0.4, 0.6, 0.8])
    b = np.searchsorted(edges, x, side="right")
    bins = []
    n_good, n_bad = (y == 0).sum(), (y == 1).sum()
    for i in range(5):
        m = b == i
        goods, bads = int((y[m] == 0).sum()), int((y[m] == 1).sum())
        woe = float(np.log(max(goods / n_good, 1e-4) / max(bads / n_bad, 1e-4)))
        lo = "-inf" if i == 0 else f"{edges[i - 1]:.2f}"
        hi = "inf" if i == 4 else f"{edges[i]:.2f}"
        bins.append({"index": i, "type": "regular", "label": f"[{lo}, {hi})",
                     "count": int(m.sum()), "event": bads, "event_rate": bads / max(m.sum(), 1),
                     "woe": woe})
    bins.append({"index": 5, "type": "missing", "label": "Missing", "count": 0, "event": 0,
                 "event_rate": None, "woe": 0.0})
    for bn in bins:
        bn["points"] = round(offset / n_features - factor * (intercept / n_features
                                                             + coef * bn["woe"]))
    pts = [bn["points"] for bn in bins]
    return {"name": name, "kind": "numeric", "description": f"synthetic driver {name}",
            "reason_code": code, "coefficient": coef, "trend": "descending",
            "overridden": name == "x1", "iv": 0.3 if name == "x0" else 0.1,
            "splits": edges.tolist(), "unseen_points": pts[-1], "max_points": max(pts),
            "best_bin": int(np.argmax(pts)), "bins": bins}


def build_synthetic(full: bool, seed: int = 0) -> tuple[dict, ValidationResult, pd.DataFrame,
                                                      pd.DataFrame]:
    """``(artifact, validation, selection_log, coefficients)`` shaped as the pipeline's."""
    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.normal(size=(n, 2))
    true_logit = -3.0 - 1.1 * x[:, 0] - 0.6 * x[:, 1]
    true_pd = 1 / (1 + np.exp(-true_logit))
    y = (rng.random(n) < true_pd).astype(int)
    design = make_splits(y, holdout_fraction=0.3, n_splits=3, n_repeats=1, seed=0)
    dev, hold = design.development, design.holdout
    ms_scaling = MSScaling()
    factor, offset = ms_scaling.factor, ms_scaling.offset
    scaling = {"base_score": 600.0, "base_odds": 50.0, "pdo": 20.0, "factor": factor,
               "offset": offset}

    def score_of(logit: np.ndarray) -> np.ndarray:
        return np.rint(offset - factor * logit)

    def pd_of(score: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp((score - offset) / factor))

    card_logit = -2.9 - 1.0 * x[:, 0] - 0.5 * x[:, 1]
    score = score_of(card_logit)
    p_card = pd_of(score)
    holdout_pd = {"scorecard": p_card[hold]}
    if full:
        noise = rng.normal(scale=0.3, size=n)
        holdout_pd["challenger"] = 1 / (1 + np.exp(-(card_logit + noise)))[hold]
        holdout_pd["challenger_monotone"] = 1 / (1 + np.exp(-(card_logit + 0.5 * noise)))[hold]
    scale = MasterScale.from_pd_ladder(scaling=ms_scaling)
    new_score = score_of(-2.8 - 1.0 * rng.normal(0.1, 1, 800) - 0.5 * rng.normal(size=800))
    # The same constructor as the fitting job; fold figures only need the right shape, so
    # every model reuses the card's pd on the fold's test rows.
    validation = ValidationResult.from_predictions(
        y, design, holdout_pd, {name: [p_card[s.test] for s in design.folds]
                                for name in holdout_pd},
        score[hold], offset - factor * card_logit[hold], scale, score[dev],
        pd.DataFrame({"x0": x[dev, 0], "x1": x[dev, 1]}), {"x0": 0.3, "x1": 0.1, "x2": 0.01},
        ["x0", "x1"],
        best_params={name: {"learning_rate": 0.05, "max_leaf_nodes": 15}
                     for name in holdout_pd if name.startswith("challenger")},
        truth=true_pd[hold] if full else None,
        to_predict_score=new_score if full else None,
        development_bins={"x0": np.digitize(x[dev, 0], [-1, 0, 1]),
                          "x1": np.digitize(x[dev, 1], [-1, 0, 1])},
        to_predict_bins={"x0": np.digitize(rng.normal(0.1, 1, 800), [-1, 0, 1]),
                         "x1": np.digitize(rng.normal(size=800), [-1, 0, 1])})

    intercept = -2.9
    features = [_feature(f"x{j}", f"S0{j + 1}", x[dev, j], y[dev], c, 2, intercept, factor,
                         offset) for j, c in enumerate((-1.0, -0.5))]
    artifact = {
        "schema_version": 1, "spec": {"name": "synthetic"}, "scaling": scaling,
        "pd_formula": "pd = 1 / (1 + exp((score - offset) / factor)); score = sum of points",
        "intercept": intercept, "features": features, "master_scale": scale.to_dict(),
        "metadata": {
            "training_data": {"file": "synthetic.csv", "fingerprint": "sha256:" + "ab" * 32,
                              "rows": n + (800 if full else 0), "labelled": n,
                              "to_predict": 800 if full else 0,
                              "development_rows": len(dev), "holdout_rows": len(hold),
                              "default_rate": float(y.mean())},
            "config": {"seed": 0, "cv_folds": 3, "cv_repeats": 1, "challenger": full,
                       "overridden_features": ["x1"]},
            "libraries": {"numpy": np.__version__},
        },
        "content_hash": "sha256:" + "cd" * 32,
        "model_id": "synthetic-scorecard-cdcdcdcdcdcd",
    }
    selection_log = pd.DataFrame([
        {"feature": "x0", "iv": 0.3, "decision": "in", "step": "final", "reason": "ok",
         "overridden": False},
        {"feature": "x1", "iv": 0.1, "decision": "in", "step": "final", "reason": "ok",
         "overridden": True},
        {"feature": "x2", "iv": 0.01, "decision": "out", "step": "iv",
         "reason": "IV 0.0100 below the floor 0.02", "overridden": False}])
    coefficients = pd.DataFrame([
        {"term": t, "coef": c, "std_err": 0.05, "z": c / 0.05, "p_value": 1e-6,
         "ci_low": c - 0.1, "ci_high": c + 0.1}
        for t, c in (("const", intercept), ("x0", -1.0), ("x1", -0.5))])
    return artifact, validation, selection_log, coefficients


def _bins(*rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    out = []
    for i, (kind, label, points, extra) in enumerate(rows):
        out.append({"index": i, "type": kind, "label": label, "points": points, **extra})
    return out


EXACT_CARD: dict[str, Any] = {
    "schema_version": SCHEMA_VERSION,
    "spec": {"name": "exact", "contract": "exact"},
    "id_column": "uuid",
    "input_contract": [
        {"name": "uuid", "kind": "id", "nullable": False, "min": None, "max": None,
         "max_exclusive": False, "allowed": None, "csv_format": "text", "description": "id"},
        {"name": "default", "kind": "target", "nullable": True, "min": None, "max": None,
         "max_exclusive": False, "allowed": [0, 1], "csv_format": "int", "description": "t"},
        {"name": "balance", "kind": "numeric", "nullable": True, "min": -1, "max": None,
         "max_exclusive": False, "allowed": None, "csv_format": "float",
         "description": "account balance"},
        {"name": "segment", "kind": "category", "nullable": True, "min": None, "max": None,
         "max_exclusive": False, "allowed": ["A", "B", "C", "D"], "csv_format": "text",
         "description": "customer segment"},
        {"name": "has_paid", "kind": "boolean", "nullable": True, "min": None, "max": None,
         "max_exclusive": False, "allowed": None, "csv_format": "bool",
         "description": "has paid before"},
    ],
    "scaling": MSScaling().to_dict(),
    "pd_formula": "pd = 1 / (1 + exp((score - offset) / factor))",
    "intercept": 0.0,
    "features": [
        {"name": "balance", "kind": "numeric", "description": "account balance",
         "reason_code": "T01", "coefficient": 1.0, "trend": "descending", "overridden": False,
         "iv": 0.1, "splits": [100.0, 500.0], "unseen_points": 0, "max_points": 30,
         "best_bin": 0,
         "bins": _bins(("regular", "(-inf, 100)", 30, {}), ("regular", "[100, 500)", 20, {}),
                       ("regular", "[500, inf)", 5, {}),
                       ("special", "code -1", 12, {"codes": [-1.0]}),
                       ("missing", "Missing", 8, {}))},
        {"name": "segment", "kind": "categorical", "description": "customer segment",
         "reason_code": "T02", "coefficient": 1.0, "trend": None, "overridden": False,
         "iv": 0.1, "splits": None, "unseen_points": 4, "max_points": 25, "best_bin": 0,
         "bins": _bins(("regular", "A, B", 25, {"categories": ["A", "B"]}),
                       ("regular", "C", 10, {"categories": ["C"]}),
                       ("missing", "Missing", 15, {}))},
        {"name": "has_paid", "kind": "categorical", "description": "has paid before",
         "reason_code": "T03", "coefficient": 1.0, "trend": None, "overridden": False,
         "iv": 0.1, "splits": None, "unseen_points": 9, "max_points": 18, "best_bin": 0,
         "bins": _bins(("regular", "True", 18, {"categories": ["True"]}),
                       ("regular", "False", 2, {"categories": ["False"]}),
                       ("missing", "Missing", 9, {}))},
    ],
    "master_scale": {},
    "metadata": {"note": "hand-computed test card"},
}
