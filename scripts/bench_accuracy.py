"""Black-box accuracy benchmark: k-fold CV of the card methods, the challenger and references.

For every fold the training rows and the test rows (target set to missing) go into one file
in the spec's format; ``scorecard regenerate --spec S --data F --out D --no-challenger`` fits
the published card on it (the card method, the final fit and the interaction search come
from a copy of the spec with ``card_method``, ``final_fit`` and ``interactions`` set:
``--final-fit all_labelled,development`` runs each card both ways, refitted on every labelled
training row after validation or published as the validated development fit;
``--interactions none,auto`` runs each without and with the pair search, and prints the
pairs each fold's card chose), and the test rows' AUC is read from ``D/predictions.csv``.
The same folds score the gradient-boosted challenger (tuned by inner CV on the training
rows), LightGBM (if installed, tuned by a wider search), the explainable boosting machine of
``interpret`` (EBM, a boosted GAM with pairs, if installed: both are in the dev lock; and
the same EBM without pairs, ``ebm_mains``, which says whether a gap to it lies in the
main effects' shapes or in the pairs), LightGBM given only the first joint card's bins
(``card_bins``: additive, and with trees of any depth, which says whether a gap to
LightGBM lies in the bins or in how they combine),
plain optbinning WoE + scikit-learn ``LogisticRegression``, and the true pd where a
``<stem>.truth.csv`` lies beside the data (with ``<stem>.truth.json``, the planted pairs of
``generate-data --truth interactions`` are printed beside the ones found). A benchmark, not
a test: it prints one table of mean AUC, its spread and the mean fit time per fold, then the
paired challenger - LightGBM gap.

    .venv/bin/python scripts/bench_accuracy.py --spec heloc
    .venv/bin/python scripts/bench_accuracy.py --spec klarna --data data/dataset.csv --folds 3
    .venv/bin/python scripts/bench_accuracy.py --spec my_spec.json --data my.csv
    .venv/bin/python scripts/bench_accuracy.py --spec heloc --interactions none,auto \
        --skip card_woe,challenger,optbinning_lr --final-fit all_labelled

``--holdout 0.3`` replaces the k folds by one stratified holdout of that share of the
labelled rows, passed to ``regenerate`` as ``NA``-target rows beside the rest: the cards'
holdout AUC against the oracle's on the same rows (the issue-13 setting on 300,000
generated rows: ``scorecard generate-data --rows 300000 --unlabelled 0``; ``--interactions``
as with folds).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from scorecard.data.files import read_dataset, write_dataset
from scorecard.data.paths import DEFAULT_DATA, SHARED_DATA
from scorecard.fit.spec import FINAL_FITS, DatasetSpec, load_spec
from scorecard.fit.validate import challenger_frame
from validation.discrimination import roc_auc

REPO = Path(__file__).resolve().parents[1]
SCORECARD = Path(sys.executable).with_name("scorecard")
DEFAULT_DATA_OF = {"heloc": SHARED_DATA / "heloc" / "heloc_dataset_v1.csv",
                   "klarna": DEFAULT_DATA}
# The LightGBM reference's search: wider than the challenger's (row and column subsampling,
# more leaf sizes and penalties) and sampled at random rather than staged, so a gap to it
# measures the challenger's search as well as its library.
LGBM_SPACE = {"learning_rate": [0.02, 0.05, 0.1], "num_leaves": [4, 8, 16, 32, 64],
              "min_child_samples": [10, 20, 50, 100, 200, 400],
              "reg_lambda": [0.0, 0.1, 1.0, 10.0], "colsample_bytree": [0.5, 0.7, 1.0],
              "subsample": [0.7, 1.0]}
LGBM_POINTS = 30


def spec_file(spec: DatasetSpec, spec_arg: str, method: str, final_fit: str,
              folder: Path, interactions: str | None = None) -> Path:
    """A JSON copy of the spec with ``card_method``, ``final_fit`` and (given)
    ``interactions`` set (the CLI takes a spec file)."""
    raw = spec.to_dict() if spec_arg in ("klarna", "heloc") else json.loads(
        Path(spec_arg).read_text())
    raw["card_method"] = method
    raw["final_fit"] = final_fit
    if interactions is not None:
        raw["interactions"] = interactions
    path = folder / f"spec_{method}_{final_fit}_{interactions}.json"
    path.write_text(json.dumps(raw))
    return path


def card_fold(spec_path: Path, frame: pd.DataFrame, contract, test_ids: np.ndarray,
              folder: Path, pairs: list[str] | None = None) -> tuple[np.ndarray, float]:
    """The test rows' pd from one ``regenerate`` and its seconds; ``pairs`` (given) gets
    the names of the card's interactions."""
    data = folder / ("data.csv" if contract.separator == "," else "data.txt")
    write_dataset(frame, data, contract)
    out = folder / "out"
    t = time.perf_counter()
    subprocess.run([str(SCORECARD), "regenerate", "--spec", str(spec_path), "--data",
                    str(data), "--out", str(out), "--no-challenger"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    if pairs is not None:
        card = json.loads((out / "scorecard.json").read_text())
        pairs += [f["name"] for f in card["features"] if f["kind"] == "interaction"]
    pred = pd.read_csv(out / "predictions.csv", dtype=str)
    id_col = pred.columns[0]
    p = pred.set_index(id_col)["pd"].astype(float)
    return p.reindex(test_ids).to_numpy(), seconds


def plain_optbinning_lr(spec: DatasetSpec, X_tr: pd.DataFrame, y_tr: np.ndarray,
                        X_te: pd.DataFrame) -> np.ndarray:
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression

    names = [c.name for c in spec.features]
    cats = [n for n in names if n in spec.categorical]
    special = {n: v for n, v in spec.special_codes.items() if n in names}
    prep = {n: (X_tr[n].astype(str) if n in cats else X_tr[n]) for n in names}
    bp = BinningProcess(names, categorical_variables=cats,
                        binning_fit_params={n: {"special_codes": special[n]} for n in special})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bp.fit(pd.DataFrame(prep), y_tr)
        w_tr = bp.transform(pd.DataFrame(prep), metric="woe")
        te = {n: (X_te[n].astype(str) if n in cats else X_te[n]) for n in names}
        w_te = bp.transform(pd.DataFrame(te), metric="woe")
    lr = LogisticRegression(max_iter=2000).fit(w_tr, y_tr)
    return lr.predict_proba(w_te)[:, 1]


def lightgbm_fold(X_tr: pd.DataFrame, y_tr: np.ndarray, X_te: pd.DataFrame,
                  seed: int) -> np.ndarray | None:
    """A well-tuned LightGBM: :data:`LGBM_POINTS` random points of :data:`LGBM_SPACE` scored by
    3-fold inner CV AUC on the training rows; every fit stops early (50 rounds without a
    better log loss) on a stratified 10 % of its own training rows and predicts with its
    best iteration. ``None`` when LightGBM is not installed."""
    try:
        import lightgbm as lgb
    except ImportError:
        return None
    from sklearn.model_selection import ParameterSampler, train_test_split

    def fit(params: dict, X: pd.DataFrame, y: np.ndarray):
        tr, va = train_test_split(np.arange(len(y)), test_size=0.1, stratify=y,
                                  random_state=seed)
        m = lgb.LGBMClassifier(n_estimators=5000, subsample_freq=1, random_state=seed,
                               verbose=-1, n_jobs=1, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eval_set's rename in 4.7; same meaning
            m.fit(X.iloc[tr], y[tr], eval_set=[(X.iloc[va], y[va])],
                  callbacks=[lgb.early_stopping(50, verbose=False)])
        return m

    cv = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(X_tr, y_tr))
    best, best_auc = None, -1.0
    for params in ParameterSampler(LGBM_SPACE, LGBM_POINTS, random_state=seed):
        auc = np.mean([roc_auc(y_tr[te], fit(params, X_tr.iloc[tr], y_tr[tr])
                               .predict_proba(X_tr.iloc[te])[:, 1]) for tr, te in cv])
        if auc > best_auc:
            best, best_auc = params, float(auc)
    return fit(best, X_tr, y_tr).predict_proba(X_te)[:, 1]


def ebm_fold(X_tr: pd.DataFrame, y_tr: np.ndarray, X_te: pd.DataFrame,
             seed: int, pairs: bool = True) -> np.ndarray | None:
    """interpret's explainable boosting machine with its default pairs (``pairs``) or
    none; ``None`` when interpret is not installed."""
    try:
        from interpret.glassbox import ExplainableBoostingClassifier
    except ImportError:
        return None
    m = ExplainableBoostingClassifier(random_state=seed, n_jobs=1,
                                      **({} if pairs else {"interactions": 0}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X_tr, y_tr)
    return m.predict_proba(X_te)[:, 1]


def card_bins_fold(card: dict, rows: pd.DataFrame, y_tr: np.ndarray, n_tr: int,
                   seed: int) -> dict[str, np.ndarray] | None:
    """LightGBM given only the card's bins (each characteristic and pair as its bin index,
    a category), fitted on the first ``n_tr`` of ``rows`` and predicting the rest: with
    stumps (additive, what the card itself can reach with these bins) and with trees of
    any depth (how far the same bins go when they combine freely). Against LightGBM on the
    raw columns the two split a gap in two: what the bins lose, and what only combinations
    of three or more characteristics hold. Fixed settings, early stopping on a stratified
    10 % of the training rows. ``None`` when LightGBM is not installed."""
    try:
        import lightgbm as lgb
    except ImportError:
        return None
    from sklearn.model_selection import train_test_split

    from scorecard.card.engine import ScoringEngine

    engine = ScoringEngine(card)
    bins = pd.DataFrame(engine.score(rows).bin_table(), columns=engine.features_
                        ).astype("category")
    X_tr, X_te = bins.iloc[:n_tr], bins.iloc[n_tr:]
    tr, va = train_test_split(np.arange(n_tr), test_size=0.1, stratify=y_tr,
                              random_state=seed)
    out = {}
    for label, depth in (("additive", 1), ("any depth", -1)):
        params = dict(learning_rate=0.05, num_leaves=2 if depth == 1 else 16, max_depth=depth,
                      min_child_samples=20, subsample=0.8, subsample_freq=1,
                      random_state=seed, verbose=-1, n_jobs=1)
        m = lgb.LGBMClassifier(n_estimators=6000, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(X_tr.iloc[tr], y_tr[tr], eval_set=[(X_tr.iloc[va], y_tr[va])],
                  callbacks=[lgb.early_stopping(100, verbose=False)])
            full = lgb.LGBMClassifier(n_estimators=m.best_iteration_, **params
                                      ).fit(X_tr, y_tr)
        out[label] = full.predict_proba(X_te)[:, 1]
    return out


def card_variants(skip: set[str], final_fits: list[str], interactions: list[str | None],
                  ) -> list[tuple[str, str, str, str | None]]:
    """``(label, card_method, final_fit, interactions)`` of every card to run; the final
    fit and the interactions are named only when more than one is; only the joint card
    searches pairs."""
    out = []
    for method in ("joint", "woe"):
        if f"card_{method}" in skip:
            continue
        for ff in final_fits:
            for inter in (interactions if method == "joint" else [None]):
                parts = [method, *([ff] if len(final_fits) > 1 else []),
                         *([f"pairs {inter}"] if inter and len(interactions) > 1 else [])]
                out.append((f"card ({', '.join(parts)})", method, ff, inter))
    return out


def holdout_cards(spec: DatasetSpec, spec_arg: str, lab: pd.DataFrame, y: np.ndarray,
                  truth: np.ndarray | None, share: float, seed: int, skip: set[str],
                  final_fits: list[str], interactions: list[str | None]) -> None:
    """Print the card methods' and the oracle's AUC on one stratified holdout of ``share``
    of the labelled rows, the holdout passed to ``regenerate`` as ``NA``-target rows."""
    from sklearn.model_selection import train_test_split

    target = spec.contract.target
    tr, te = train_test_split(np.arange(len(y)), test_size=share, stratify=y,
                              random_state=seed)
    tr, te = np.sort(tr), np.sort(te)
    frame = pd.concat([lab.iloc[tr], lab.iloc[te].assign(**{target: np.nan})],
                      ignore_index=True)
    ids = (frame[spec.contract.id_column].to_numpy()[len(tr):] if spec.contract.id_column
           else np.arange(len(tr), len(frame)).astype(str))
    rows: list[tuple[str, float, float]] = []
    chosen: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, method, ff, inter in card_variants(skip, final_fits, interactions):
            path = spec_file(spec, spec_arg, method, ff, Path(tmp), inter)
            pairs = chosen.setdefault(label, [])
            p, s = card_fold(path, frame, spec.contract, ids, Path(tmp), pairs)
            rows.append((label, roc_auc(y[te], p), s))
            print(f"{label}: {rows[-1][1]:.4f} in {s:.0f} s", file=sys.stderr, flush=True)
    oracle = roc_auc(y[te], truth[te]) if truth is not None else None
    print(f"\n{spec.name}: {len(lab)} labelled rows, {y.mean():.2%} bad; holdout "
          f"{len(te)} rows ({share:.0%}, seed {seed}) passed as NA rows")
    print(f"{'model':32s} {'AUC':>7s} {'gap to oracle':>14s} {'regenerate s':>13s}")
    for name, auc, sec in rows:
        gap = f"{oracle - auc:14.4f}" if oracle is not None else f"{'-':>14s}"
        print(f"{name:32s} {auc:7.4f} {gap} {sec:13.0f}")
    if oracle is not None:
        print(f"{'oracle (true pd)':32s} {oracle:7.4f}")
    for label, pairs in chosen.items():
        print(f"{label}: pairs {', '.join(pairs) or 'none'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="heloc")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", type=int, default=None, help="subsample labelled rows first")
    ap.add_argument("--holdout", type=float, default=None,
                    help="one stratified holdout of this share instead of k folds (cards "
                    "and oracle only)")
    ap.add_argument("--skip", default="", help="comma list of models to skip "
                    "(card_joint, card_woe, challenger, lightgbm, card_bins, ebm, ebm_mains, "
                    "optbinning_lr)")
    ap.add_argument("--interactions", default="",
                    help="comma list of the joint card's interaction searches to run (none, "
                    "auto; default: the spec's)")
    ap.add_argument("--final-fit", default=",".join(FINAL_FITS),
                    help="comma list of the cards' final fits to run (all_labelled: refit on "
                    "every labelled training row after validation; development: the "
                    "validated fit)")
    args = ap.parse_args(argv)
    final_fits = list(filter(None, args.final_fit.split(",")))
    if not final_fits or set(final_fits) - set(FINAL_FITS):
        print(f"--final-fit: a comma list of {FINAL_FITS}, not {args.final_fit!r}",
              file=sys.stderr)
        return 2
    spec = load_spec(args.spec)
    data = args.data or DEFAULT_DATA_OF.get(spec.name)
    if data is None or not Path(data).exists():
        print(f"no data: pass --data (looked for {data})", file=sys.stderr)
        return 2
    skip = set(filter(None, args.skip.split(",")))
    interactions: list[str | None] = list(filter(None, args.interactions.split(","))) or [None]
    ds = read_dataset(Path(data), spec.contract, require_labelled=True)
    lab = ds.labelled.reset_index(drop=True)
    if args.rows and args.rows < len(lab):
        lab = lab.sample(n=args.rows, random_state=args.seed).reset_index(drop=True)
    target = spec.contract.target
    y = lab[target].to_numpy(dtype=int)
    truth_path = Path(data).with_name(f"{Path(data).stem}.truth.csv")
    truth = None
    if truth_path.exists() and spec.contract.id_column:
        t = pd.read_csv(truth_path, dtype={spec.contract.id_column: str})
        truth = t.set_index(spec.contract.id_column)["true_pd"].reindex(
            lab[spec.contract.id_column].to_numpy()).to_numpy()
    meta_path = truth_path.with_suffix(".json")
    if meta_path.exists():
        planted = json.loads(meta_path.read_text())["pairs"]
        print("planted pairs: " + "; ".join(f"{p['term']} ({' x '.join(p['columns'])})"
                                             for p in planted), file=sys.stderr, flush=True)
    if args.holdout:
        holdout_cards(spec, args.spec, lab, y, truth, args.holdout, args.seed, skip,
                      final_fits, interactions)
        return 0
    X_ch = challenger_frame(spec, lab)
    aucs: dict[str, list[float]] = {}
    times: dict[str, list[float]] = {}

    def record(name: str, auc: float, seconds: float) -> None:
        aucs.setdefault(name, []).append(auc)
        times.setdefault(name, []).append(seconds)

    lgbm_missing = ebm_missing = False
    chosen: dict[str, list[str]] = {}
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        variants = card_variants(skip, final_fits, interactions)
        specs = {label: spec_file(spec, args.spec, m, ff, Path(tmp), inter)
                 for label, m, ff, inter in variants}
        for k, (tr, te) in enumerate(folds.split(np.zeros(len(y)), y)):
            for label, _method, _ff, _inter in variants:
                frame = pd.concat([lab.iloc[tr], lab.iloc[te].assign(**{target: np.nan})],
                                  ignore_index=True)
                ids = (frame[spec.contract.id_column].to_numpy()[len(tr):]
                       if spec.contract.id_column else np.arange(len(tr), len(frame)).astype(str))
                pairs: list[str] = []
                p, s = card_fold(specs[label], frame, spec.contract, ids, Path(tmp), pairs)
                record(label, roc_auc(y[te], p), s)
                chosen.setdefault(label, []).append(", ".join(pairs) or "none")
                if _method == "joint" and "card_bins" not in skip and not lgbm_missing \
                        and label == next(v[0] for v in variants if v[1] == "joint"):
                    t0 = time.perf_counter()
                    card = json.loads((Path(tmp) / "out" / "scorecard.json").read_text())
                    got = card_bins_fold(card, frame, y[tr], len(tr), args.seed)
                    if got is None:
                        lgbm_missing = True
                    for how, q in (got or {}).items():
                        record(f"LightGBM on card bins, {how}", roc_auc(y[te], q),
                               (time.perf_counter() - t0) / 2)
                if _method == "joint":
                    print(f"fold {k + 1} {label}: pairs {chosen[label][-1]}", file=sys.stderr,
                          flush=True)
            if "challenger" not in skip:
                from scorecard.fit.challenger import GradientBoostedChallenger

                t0 = time.perf_counter()
                ch = GradientBoostedChallenger(random_state=args.seed).fit(X_ch.iloc[tr], y[tr])
                record("challenger (HistGB)", roc_auc(y[te], ch.predict_pd(X_ch.iloc[te])),
                       time.perf_counter() - t0)
                print(f"fold {k + 1} challenger: {ch.best_params_}, "
                      f"{ch.model_.n_iter_} trees", file=sys.stderr, flush=True)
            if "lightgbm" not in skip and not lgbm_missing:
                t0 = time.perf_counter()
                p = lightgbm_fold(X_ch.iloc[tr], y[tr], X_ch.iloc[te], args.seed)
                if p is None:
                    lgbm_missing = True
                else:
                    record("LightGBM", roc_auc(y[te], p), time.perf_counter() - t0)
            if "ebm" not in skip and not ebm_missing:
                t0 = time.perf_counter()
                p = ebm_fold(X_ch.iloc[tr], y[tr], X_ch.iloc[te], args.seed)
                if p is None:
                    ebm_missing = True
                else:
                    record("EBM (interpret, pairs)", roc_auc(y[te], p), time.perf_counter() - t0)
            if "ebm_mains" not in skip and not ebm_missing:
                t0 = time.perf_counter()
                p = ebm_fold(X_ch.iloc[tr], y[tr], X_ch.iloc[te], args.seed, pairs=False)
                if p is None:
                    ebm_missing = True
                else:
                    record("EBM (interpret, no pairs)", roc_auc(y[te], p),
                           time.perf_counter() - t0)
            if "optbinning_lr" not in skip:
                t0 = time.perf_counter()
                p = plain_optbinning_lr(spec, lab.iloc[tr], y[tr], lab.iloc[te])
                record("optbinning WoE + sklearn LR", roc_auc(y[te], p), time.perf_counter() - t0)
            if truth is not None:
                record("oracle (true pd)", roc_auc(y[te], truth[te]), 0.0)
            done = ", ".join(f"{n} {v[-1]:.4f}" for n, v in aucs.items())
            print(f"fold {k + 1}/{args.folds}: {done}", file=sys.stderr, flush=True)
    print(f"\n{spec.name}: {len(lab)} labelled rows, {y.mean():.2%} bad, "
          f"{args.folds}-fold stratified CV (seed {args.seed}), the same folds for every model")
    print(f"{'model':32s} {'AUC mean':>9s} {'AUC std':>8s} {'fit s/fold':>10s}")
    for name, v in aucs.items():
        print(f"{name:32s} {np.mean(v):9.4f} {np.std(v, ddof=1) if len(v) > 1 else 0:8.4f} "
              f"{np.mean(times[name]):10.1f}")
    ch, lg = aucs.get("challenger (HistGB)"), aucs.get("LightGBM")
    if ch and lg:  # paired: the same folds, so the fold-to-fold spread cancels
        gap = np.subtract(ch, lg)
        print(f"challenger - LightGBM: {gap.mean():+.4f} AUC "
              f"(per fold {' '.join(f'{g:+.4f}' for g in gap)})")
    for label, per_fold in chosen.items():
        if any(p != "none" for p in per_fold):
            print(f"{label}: pairs per fold: " + " | ".join(per_fold))
    if lgbm_missing:
        print("LightGBM not installed: skipped (pip install lightgbm)")
    if ebm_missing:
        print("EBM not installed: skipped (pip install interpret-core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
