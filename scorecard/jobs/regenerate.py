"""``scorecard regenerate``: from a data file to the card, its tables, report and predictions.

Fit and validate, then write: read and validate the data; :meth:`Scorecard.validate`
(:mod:`scorecard.fit.validate`) splits the labelled rows into a development sample and a
stratified holdout, fits the card on the development sample, validates it on the holdout
and in cross-validation, then fits the published card (below); :func:`write_outputs`
writes the sealed card, its tables, the reports and the predictions (scored by the numpy
engine from the sealed artifact) into the output folder. A notebook doing the same with the
Python API (README, "Python API") gets the same ``scorecard.json``.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scorecard.card.engine import ScoringEngine
from scorecard.card.scaling import Scaling
from scorecard.data.files import read_dataset
from scorecard.fit.estimator import Scorecard
from scorecard.fit.overrides import builtin_overrides, load_overrides
from scorecard.fit.spec import DatasetSpec
from scorecard.fit.support import bin_support
from scorecard.jobs.outputs import write_csv, write_reports, write_workbook
from scorecard.jobs.predict import predictions_frame
from scorecard.jobs.progress import Progress


@dataclass(frozen=True)
class RegenerateConfig:
    """Everything that, with the data and the spec, determines the outputs.

    ``card_method``: ``"joint"`` or ``"woe"`` for the published card (``None``: the spec's
    ``card_method``); the other method is fitted on the same splits for comparison when
    ``compare_methods``. ``final_fit``: ``"all_labelled"`` or ``"development"``, the rows
    the published card is fitted on (``None``: the spec's ``final_fit``). Each method's
    binning and selection are its defaults (:data:`scorecard.fit.spec.METHOD_DEFAULTS`).
    ``seed`` seeds the split design, the joint card's inner CV and the challenger.
    """

    seed: int = 0
    holdout_share: float = 0.3
    card_method: str | None = None
    final_fit: str | None = None
    compare_methods: bool = True
    scaling: Scaling = field(default_factory=Scaling)
    cv_folds: int = 5
    cv_repeats: int = 2
    challenger: bool = True
    n_jobs: int = 2  # how many processes run changes no figure (not recorded in the card)


def fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _truth(data: Path) -> pd.Series | None:
    """The generator's true pd by id if ``<stem>.truth.csv`` lies beside the data."""
    path = data.with_name(f"{data.stem}.truth.csv")
    if not path.exists():
        return None
    return pd.read_csv(path, dtype={"uuid": str}).set_index("uuid")["true_pd"]


def regenerate(spec: DatasetSpec, data: Path, out: Path, overrides: Path | None = None,
               config: RegenerateConfig | None = None,
               progress: Progress | None = None) -> dict[str, Any]:
    """Fit and validate the card (:meth:`Scorecard.validate`), then write it and its
    tables, reports and predictions into ``out``; return the headline metrics."""
    config = config or RegenerateConfig()
    progress = progress or Progress(enabled=False)
    if overrides is None:
        overrides = builtin_overrides(spec.name)
    # Checked before the data is read; its OverridesError is a usage error (exit 2).
    load_overrides(overrides)
    with progress.step(f"reading {data}"):
        dataset = read_dataset(data, spec.contract, require_labelled=True)
    card = Scorecard(spec, overrides if overrides is not None else {},
                     method=config.card_method, final_fit=config.final_fit,
                     scaling=config.scaling, random_state=config.seed)
    validation = card.validate(dataset, holdout_share=config.holdout_share,
                               cv_folds=config.cv_folds, cv_repeats=config.cv_repeats,
                               challenger=config.challenger,
                               compare_methods=config.compare_methods, n_jobs=config.n_jobs,
                               truth=_truth(data), progress=progress)
    write_outputs(card, dataset, out, progress)
    return validation.headline


def write_outputs(card: Scorecard, dataset: Any, out: Path,
                  progress: Progress | None = None) -> None:
    """Write a validated card (:meth:`Scorecard.validate`) and everything derived from it
    into ``out``: the card, its binning tables and workbook, coefficients, selection log,
    the predictions of ``dataset``'s rows to predict and the validation reports."""
    progress = progress or Progress(enabled=False)
    artifact, validation, log = card.artifact_, card.validation_, card.selection_log_
    engine = ScoringEngine(artifact)
    with progress.step(f"writing outputs to {out}"):
        out.mkdir(parents=True, exist_ok=True)
        card.save(out / "scorecard.json")
        tables = {name: card.binner_.bins_[name].table for name in card.binner_.features_}
        tables |= {p.name: p.table for p in card.interactions_}  # cells, points per cell
        (out / "binning").mkdir(exist_ok=True)
        for old in (out / "binning").glob("*.csv"):
            if old.stem not in tables:
                old.unlink()
        for name, table in tables.items():
            write_csv(_with_points(table, card, name), out / "binning" / f"{name}.csv")
        write_workbook({n: _with_points(t, card, n) for n, t in tables.items()},
                       out / "binning_tables.xlsx", log,
                       {**card.overrides_, **card.pair_overrides_},
                       {n: card.binner_.bins_[n].splits for n in card.binner_.features_
                        if card.binner_.bins_[n].kind == "numeric"})
        write_csv(card.coefficients_, out / "coefficients.csv")
        write_csv(log, out / "selection_log.csv")
        write_csv(predictions_frame(engine, dataset, dataset.to_predict),
                  out / "predictions.csv")
        write_reports(out, artifact, validation, log, card.coefficients_)


def _with_points(table: pd.DataFrame, card: Scorecard, name: str) -> pd.DataFrame:
    """The binning table with the card's points, whether each bin's points rest on enough
    events (``supported``) and, for a bin the spec's ``missing_policy`` capped, the reason
    (``support``; :mod:`scorecard.fit.support`)."""
    t = table.copy()
    sup = getattr(card, "support_", {}).get(name)
    if name in card.points_:
        t["points"] = card.points_[name]
        t["in_card"] = True
    else:
        t["points"] = pd.NA
        t["in_card"] = False
    if sup is not None:
        t["supported"] = sup.supported
        t["support"] = [sup.notes.get(i, "") for i in range(len(t))]
    else:
        t["supported"] = bin_support(t["count"].to_numpy(), t["event"].to_numpy(),
                                     card.spec.min_bin_events)
        t["support"] = ""
    return t
