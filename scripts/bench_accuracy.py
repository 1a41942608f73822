"""Black-box accuracy benchmark: k-fold CV of the card methods, the challenger and references.

For every fold the training rows and the test rows (target set to missing) go into one file
in the spec's format; ``scorecard regenerate --spec S --data F --out D --no-challenger`` fits
the published card on it (the card method and the final fit come from a copy of the spec with
``card_method`` and ``final_fit`` set: ``--final-fit all_labelled,development`` runs each card
both ways, refitted on every labelled training row after validation or published as the
validated development fit), and the test rows' AUC is read from ``D/predictions.csv``. The
same folds score the gradient-boosted challenger (tuned by inner CV on the training rows),
LightGBM (if installed, tuned by a wider search), plain optbinning WoE + scikit-learn
``LogisticRegression``, and the true pd where a ``<stem>.truth.csv`` lies beside the data. A
benchmark, not a test: it prints one table of mean AUC, its spread and the mean fit time per
fold, then the paired challenger - LightGBM gap.

    .venv/bin/python scripts/bench_accuracy.py --spec heloc
    .venv/bin/python scripts/bench_accuracy.py --spec klarna --data data/dataset.csv --folds 3
    .venv/bin/python scripts/bench_accuracy.py --spec my_spec.json --data my.csv

``--holdout 0.3`` replaces the k folds by one stratified holdout of that share of the
labelled rows, passed to ``regenerate`` as ``NA``-target rows beside the rest: the cards'
holdout AUC against the oracle's on the same rows (the issue-13 setting on 300,000
generated rows: ``scorecard generate-data --rows 300000 --unlabelled 0``).
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
              folder: Path) -> Path:
    """A JSON copy of the spec with ``card_method`` and ``final_fit`` set (the CLI takes a
    spec file)."""
    raw = spec.to_dict() if spec_arg in ("klarna", "heloc") else json.loads(
        Path(spec_arg).read_text())
    raw["card_method"] = method
    raw["final_fit"] = final_fit
    path = folder / f"spec_{method}_{final_fit}.json"
    path.write_text(json.dumps(raw))
    return path


def card_fold(spec_path: Path, frame: pd.DataFrame, contract, test_ids: np.ndarray,
              folder: Path) -> tuple[np.ndarray, float]:
    data = folder / ("data.csv" if contract.separator == "," else "data.txt")
    write_dataset(frame, data, contract)
    out = folder / "out"
    t = time.perf_counter()
    subprocess.run([str(SCORECARD), "regenerate", "--spec", str(spec_path), "--data",
                    str(data), "--out", str(out), "--no-challenger"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
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


def card_variants(skip: set[str], final_fits: list[str]) -> list[tuple[str, str, str]]:
    """``(label, card_method, final_fit)`` of every card to run; the final fit is named only
    when more than one is."""
    return [(f"card ({method}{', ' + ff if len(final_fits) > 1 else ''})", method, ff)
            for method in ("joint", "woe") if f"card_{method}" not in skip
            for ff in final_fits]


def holdout_cards(spec: DatasetSpec, spec_arg: str, lab: pd.DataFrame, y: np.ndarray,
                  truth: np.ndarray | None, share: float, seed: int, skip: set[str],
                  final_fits: list[str]) -> None:
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
    with tempfile.TemporaryDirectory() as tmp:
        for label, method, ff in card_variants(skip, final_fits):
            path = spec_file(spec, spec_arg, method, ff, Path(tmp))
            p, s = card_fold(path, frame, spec.contract, ids, Path(tmp))
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
                    "(card_joint, card_woe, challenger, lightgbm, optbinning_lr)")
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
    if args.holdout:
        holdout_cards(spec, args.spec, lab, y, truth, args.holdout, args.seed, skip,
                      final_fits)
        return 0
    X_ch = challenger_frame(spec, lab)
    aucs: dict[str, list[float]] = {}
    times: dict[str, list[float]] = {}

    def record(name: str, auc: float, seconds: float) -> None:
        aucs.setdefault(name, []).append(auc)
        times.setdefault(name, []).append(seconds)

    lgbm_missing = False
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        variants = card_variants(skip, final_fits)
        specs = {label: spec_file(spec, args.spec, m, ff, Path(tmp))
                 for label, m, ff in variants}
        for k, (tr, te) in enumerate(folds.split(np.zeros(len(y)), y)):
            for label, _method, _ff in variants:
                frame = pd.concat([lab.iloc[tr], lab.iloc[te].assign(**{target: np.nan})],
                                  ignore_index=True)
                ids = (frame[spec.contract.id_column].to_numpy()[len(tr):]
                       if spec.contract.id_column else np.arange(len(tr), len(frame)).astype(str))
                p, s = card_fold(specs[label], frame, spec.contract, ids, Path(tmp))
                record(label, roc_auc(y[te], p), s)
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
    if lgbm_missing:
        print("LightGBM not installed: skipped (pip install lightgbm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
