"""``scorecard regenerate``: from a data file to the card, its tables, report and predictions.

Steps: read and validate the data; split labelled rows into a development sample and a
stratified holdout; fit the card on the development sample; validate it on the holdout and in
cross-validation; then fit the published card (below); score every row from the sealed
artifact with the numpy engine; write everything into the output folder.

Which rows the published card is fitted on is the spec's ``final_fit`` (or
:attr:`RegenerateConfig.final_fit`):

* ``"development"``: the published card is the validated development fit, so every holdout
  figure validates exactly the card that scores the predictions.
* ``"all_labelled"`` (default): validate the *procedure* on the holdout, then publish its
  refit on every labelled row (development + holdout) with the same binning, selection and
  penalty choice; ~43 % more rows for the points. The holdout figures still validate the
  development fit (nothing of the holdout reached it); the report shows how far the published
  card is from it (score correlation, grade agreement, per-characteristic points change, both
  AUCs on the holdout rows, the refit's in-sample) and the selection log records the refit.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.base import clone

from scorecard.card.artifact import dumps
from scorecard.card.engine import ScoringEngine
from scorecard.card.grades import MasterScale
from scorecard.card.scaling import Scaling
from scorecard.data.atomic import atomic_write_text
from scorecard.data.errors import ContractError
from scorecard.data.files import read_dataset
from scorecard.fit.binning import MAX_N_BINS, MIN_BIN_SHARE
from scorecard.fit.estimator import BINNING_DEFAULTS, Scorecard
from scorecard.fit.overrides import OverridesError, builtin_overrides, load_overrides
from scorecard.fit.selection import SelectionConfig
from scorecard.fit.spec import FINAL_FITS, DatasetSpec
from scorecard.jobs.outputs import write_csv, write_reports, write_workbook
from scorecard.jobs.predict import predictions_frame
from scorecard.jobs.progress import Progress
from validation.splits import make_splits

# The joint card's selection: a low IV floor and loose correlation / VIF guards only. Its L2
# penalty (tuned by inner CV) handles collinear and weak characteristics, so it does not
# need the WoE logit's backward elimination, which drops characteristics it would use, nor
# a tight cap (300k generated rows: 35 characteristics instead of 30 capped, holdout AUC up).
JOINT_SELECTION = SelectionConfig(min_iv=0.005, max_corr=0.95, max_vif=50.0, max_pvalue=1.0,
                                  max_features=50, backward=False)

LIBRARIES = ("optbinning", "statsmodels", "scikit-learn", "numpy", "pandas", "scipy")


@dataclass(frozen=True)
class RegenerateConfig:
    """Everything that, with the data, determines the outputs.

    ``card_method``: ``"joint"`` or ``"woe"`` for the published card (``None``: the spec's
    ``card_method``); the other method is fitted on the same splits for comparison when
    ``compare_methods``. ``min_bin_share``, ``max_n_bins``, ``selection`` configure the
    classic WoE card, the ``joint_*`` fields the joint card. ``final_fit``:
    ``"all_labelled"`` or ``"development"``, the rows the published card is fitted on
    (``None``: the spec's ``final_fit``).
    """

    seed: int = 0
    holdout_share: float = 0.3
    card_method: str | None = None
    final_fit: str | None = None
    compare_methods: bool = True
    min_bin_share: float = MIN_BIN_SHARE
    max_n_bins: int = MAX_N_BINS
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    joint_min_bin_share: float = BINNING_DEFAULTS["joint"]["min_bin_share"]
    joint_max_n_bins: int = BINNING_DEFAULTS["joint"]["max_n_bins"]
    joint_min_bin_n_event: int = BINNING_DEFAULTS["joint"]["min_bin_n_event"]
    joint_max_n_prebins: int = BINNING_DEFAULTS["joint"]["max_n_prebins"]
    joint_selection: SelectionConfig = field(default_factory=lambda: JOINT_SELECTION)
    scaling: Scaling = field(default_factory=Scaling)
    cv_folds: int = 5
    cv_repeats: int = 2
    challenger: bool = True
    n_jobs: int = 2

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("n_jobs")  # how many processes ran does not change a single figure
        d["scaling"] = {k: self.scaling.to_dict()[k] for k in ("base_score", "base_odds", "pdo")}
        return d

    def card_params(self, method: str) -> dict[str, Any]:
        """:class:`Scorecard` keyword arguments of a card fitted with ``method``."""
        if method == "joint":
            return {"method": "joint", "selection": self.joint_selection,
                    "min_bin_share": self.joint_min_bin_share,
                    "max_n_bins": self.joint_max_n_bins,
                    "min_bin_n_event": self.joint_min_bin_n_event,
                    "max_n_prebins": self.joint_max_n_prebins, "random_state": self.seed}
        return {"method": "woe", "selection": self.selection,
                "min_bin_share": self.min_bin_share, "max_n_bins": self.max_n_bins,
                "min_bin_n_event": None, "max_n_prebins": BINNING_DEFAULTS["woe"]["max_n_prebins"],
                "random_state": self.seed}


def fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def library_versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in LIBRARIES}


def regenerate(spec: DatasetSpec, data: Path, out: Path, overrides: Path | None = None,
               config: RegenerateConfig | None = None,
               progress: Progress | None = None) -> dict[str, Any]:
    """Fit, validate and write the card and its reports into ``out``; return the metrics."""
    config = config or RegenerateConfig()
    progress = progress or Progress(enabled=False)
    try:
        if overrides is None:
            overrides = builtin_overrides(spec.name)
        feature_overrides = load_overrides(overrides)
    except OverridesError as exc:  # a user's file or a broken install: one line, no traceback
        raise ContractError(str(exc)) from exc
    with progress.step(f"reading {data}"):
        data_fingerprint = fingerprint(data)
        dataset = read_dataset(data, spec.contract, require_labelled=True)
    labelled = dataset.labelled
    y = labelled[spec.contract.target].to_numpy(dtype=int)
    try:
        design = make_splits(y, holdout_fraction=config.holdout_share,
                             n_splits=config.cv_folds, n_repeats=config.cv_repeats,
                             seed=config.seed)
    except ValueError as exc:  # too few rows of a class: a data problem, not a crash
        counts = ", ".join(f"{int((y == c).sum())} of class {c}" for c in (0, 1))
        raise ContractError(
            f"class_counts: column '{spec.contract.target}' has {counts}: too few to split "
            f"into a stratified holdout ({config.holdout_share:.0%}) and {config.cv_folds}-fold "
            f"cross-validation ({exc})") from exc
    dev_idx, hold_idx = design.development, design.holdout
    dev, hold = labelled.iloc[dev_idx], labelled.iloc[hold_idx]
    progress.say(f"{len(labelled)} labelled rows ({y.mean():.2%} bad): development "
                 f"{len(dev)}, holdout {len(hold)}; {len(dataset.to_predict)} rows to predict")
    method = config.card_method or spec.card_method
    final_fit = config.final_fit or spec.final_fit
    if final_fit not in FINAL_FITS:
        raise ValueError(f"final_fit: must be one of {FINAL_FITS}, not {final_fit!r}")
    card = Scorecard(spec, feature_overrides, scaling=config.scaling,
                     **config.card_params(method))
    with progress.step(f"fitting the {method} scorecard (binning, selection, logistic "
                       "regression)"):
        card.fit(dev, y[dev_idx], progress)

    scale = MasterScale.from_pd_ladder(scaling=config.scaling)
    provisional = ScoringEngine(card.to_artifact({}, scale.to_dict()))
    with progress.step("validating on the holdout and in cross-validation"):
        from scorecard.jobs.model_validation import compare_final_fit, validate_card

        validation = validate_card(card, provisional, spec, dataset, design, config,
                                   progress, data)
    published, fit_rows, fit_y = card, dev, y[dev_idx]
    log = card.selection_log_
    if final_fit == "all_labelled":
        with progress.step(f"refitting the published card on all {len(labelled)} labelled "
                           "rows (development + holdout; same binning, selection and penalty "
                           "choice)"):
            published = clone(card).fit(labelled, y, progress)
        fit_rows, fit_y = labelled, y
    validation["final_fit"] = compare_final_fit(card, provisional, published, scale.to_dict(),
                                                labelled, y, design, final_fit)
    if spec.protected:  # tested on the holdout, never used: the report's fairness section
        from scorecard.jobs.groups import protected_fairness

        validation["fairness"] = protected_fairness(provisional, dev, hold, y[hold_idx],
                                                    spec.protected)
    if published is not card:
        ff = validation["final_fit"]
        progress.say(f"published card: {len(published.features_)} characteristics "
                     f"({len(card.features_)} validated); on the holdout rows score "
                     f"correlation {ff['score_correlation']:.4f}, same grade "
                     f"{ff['grade_agreement']:.1%}")
        log = pd.concat([published.selection_log_,
                         pd.DataFrame([final_fit_decision(ff)])], ignore_index=True)
    metadata = {
        "training_data": {
            "file": data.name,
            "fingerprint": data_fingerprint,
            "rows": len(dataset.frame),
            "labelled": len(labelled),
            "to_predict": len(dataset.to_predict),
            "development_rows": len(dev),
            "holdout_rows": len(hold),
            "default_rate": float(y.mean()),
            # Which rows the published card's bins, points and coefficients come from.
            "fitted_on": FITTED_ON[final_fit],
            "fitted_rows": len(fit_rows),
        },
        "config": {**config.to_dict(), "card_method": method, "final_fit": final_fit,
                   "overrides_file": overrides.name if overrides else None,
                   "overridden_features": sorted(n for n, b in published.binner_.bins_.items()
                                                 if b.overridden)},
        "libraries": library_versions(),
        "metrics": validation["headline"],
    }
    artifact = published.to_artifact(metadata, scale.to_dict(), fit_rows, fit_y,
                                     reference_sample=REFERENCE_SAMPLE[final_fit])
    engine = ScoringEngine(artifact)
    with progress.step(f"writing outputs to {out}"):
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "scorecard.json", dumps(artifact))
        tables = {name: published.binner_.bins_[name].table
                  for name in published.binner_.features_}
        tables |= {p.name: p.table for p in published.interactions_}  # cells, points per cell
        (out / "binning").mkdir(exist_ok=True)
        for old in (out / "binning").glob("*.csv"):
            if old.stem not in tables:
                old.unlink()
        for name, table in tables.items():
            write_csv(_with_points(table, published, name), out / "binning" / f"{name}.csv")
        write_workbook({n: _with_points(t, published, n) for n, t in tables.items()},
                       out / "binning_tables.xlsx", log, feature_overrides,
                       {n: published.binner_.bins_[n].splits for n in published.binner_.features_
                        if published.binner_.bins_[n].kind == "numeric"})
        write_csv(published.coefficients_, out / "coefficients.csv")
        write_csv(log, out / "selection_log.csv")
        write_csv(predictions_frame(engine, dataset, dataset.to_predict),
                  out / "predictions.csv")
        write_reports(out, artifact, validation, log, published.coefficients_)
    return validation["headline"]


FITTED_ON = {"all_labelled": "all labelled rows (development + holdout)",
             "development": "development rows"}
REFERENCE_SAMPLE = {"all_labelled": "all labelled", "development": "development"}
# The selection log's row for the refit (``feature`` is not a candidate's name).
FINAL_FIT_ROW = "(published card)"


def final_fit_decision(ff: dict[str, Any]) -> dict[str, Any]:
    """The selection log's row recording the refit of the published card, with its reason."""
    added, dropped = ff["features_added"], ff["features_dropped"]
    change = ("the same characteristics as the validated card" if not (added or dropped)
              else "; ".join(part for part in (
                  f"added {', '.join(added)}" if added else "",
                  f"dropped {', '.join(dropped)}" if dropped else "") if part))
    penalty = (f"; L2 penalty {ff['penalty_published']:g} (validated "
               f"{ff['penalty_validated']:g})" if ff.get("penalty_published") is not None
               else "")
    return {"feature": FINAL_FIT_ROW, "iv": float("nan"), "decision": "refit",
            "step": "final_fit",
            "reason": (f"refit on all {ff['fitted_rows']} labelled rows (development "
                       f"{ff['development_rows']} + holdout {ff['holdout_rows']}) by the "
                       "validated procedure, so the published points use every label; the "
                       "holdout figures validate the development fit; "
                       f"{change}{penalty}; holdout-row score correlation "
                       f"{ff['score_correlation']:.4f}"),
            "overridden": False}


def _with_points(table: pd.DataFrame, card: Scorecard, name: str) -> pd.DataFrame:
    t = table.copy()
    if name in card.points_:
        t["points"] = card.points_[name]
        t["in_card"] = True
    else:
        t["points"] = pd.NA
        t["in_card"] = False
    return t
