"""The scorecard estimator: binning -> selection -> logistic regression -> points.

Two card methods, the same artifact (integer points per bin):

* ``"woe"`` (classic): points = ``coefficient x univariate WoE`` per bin, from a statsmodels
  logit on the WoE columns; at most 8 bins of >= 5 % of rows.
* ``"joint"``: the same selection, then every bin's logit contribution estimated jointly by a
  penalised, sign-constrained logistic regression on step / bin indicators
  (:mod:`scorecard.fit.joint`), on finer bins (up to 15, >= 0.5 % of rows and >= 30
  defaults each). The artifact's ``coefficient`` is then 1.0 (points are the contributions
  themselves, scaled); the bins' ``woe`` stays the univariate WoE of the binning table.

:class:`Scorecard` is a scikit-learn estimator (``BaseEstimator``, ``ClassifierMixin``):
parameters are stored verbatim in ``__init__`` (so ``get_params``, ``set_params`` and
``sklearn.base.clone`` work), ``fit`` learns state with trailing underscores,
``predict_proba`` gives ``(n, 2)`` probabilities through the integer card, ``score`` the
integer scores, ``reasons`` the reason codes, ``table`` the card bin by bin, and
``to_artifact`` exports the plain-JSON card that
:class:`scorecard.card.engine.ScoringEngine` scores from. ``validate`` fits and validates
the card as ``scorecard regenerate`` publishes it (:mod:`scorecard.fit.validate`) and
returns a :class:`~validation.result.ValidationResult`; ``save`` writes the sealed card.
Every parameter left ``None`` resolves from the spec and
:data:`scorecard.fit.spec.METHOD_DEFAULTS`, the one table of method defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from scorecard.card.artifact import SCHEMA_VERSION, dumps, seal
from scorecard.card.engine import ScoringEngine
from scorecard.card.grades import MasterScale
from scorecard.card.scaling import Scaling, feature_points
from scorecard.data.atomic import atomic_write_text
from scorecard.fit.binning import FeatureBins, WoEBinner, with_derived
from scorecard.fit.interactions import PairBins, finer_axes, search_interactions
from scorecard.fit.joint import DEFAULT_PENALTY_GRID, JointBinLogit, bin_indices, trend_sign
from scorecard.fit.logit import coefficient_table, fit_logit
from scorecard.fit.overrides import (
    FeatureOverride,
    PairOverride,
    binning_trend,
    builtin_overrides,
    load_overrides,
    load_pair_overrides,
)
from scorecard.fit.selection import SelectionConfig, select_features
from scorecard.fit.spec import (
    FINAL_FITS,
    INTERACTION_MODES,
    DatasetSpec,
    load_spec,
    method_defaults,
)
from scorecard.fit.support import Support, apply_support
from validation.discrimination import plain
from validation.plain import rounded, rounded_frame

if TYPE_CHECKING:  # pragma: no cover
    from scorecard.data.files import Dataset
    from validation.result import ValidationResult

PD_FORMULA = "pd = 1 / (1 + exp((score - offset) / factor)); score = sum of points"


class Scorecard(ClassifierMixin, BaseEstimator):
    """A monotonic WoE logistic scorecard in integer points.

    ``Scorecard(spec)`` (or :meth:`from_spec`) is the card ``scorecard regenerate`` publishes
    for that spec: every parameter left ``None`` is resolved in ``fit`` from the spec and the
    one table of method defaults (:data:`scorecard.fit.spec.METHOD_DEFAULTS`), and
    :meth:`validate` runs the job's whole procedure (development fit, holdout and CV
    validation, final fit per the spec's ``final_fit``).

    Parameters (stored as given):
        spec: dataset spec (feature kinds, special codes, directions, card method).
        overrides: the risk team's binning overrides: a mapping of
            :class:`~scorecard.fit.overrides.FeatureOverride`, a TOML file's path, or
            ``None`` for the spec's built-in overrides file (``{}``: none).
        method: ``"woe"`` or ``"joint"`` (see the module docstring; ``None``: the spec's
            ``card_method``).
        selection: selection thresholds (``None``: the method's, :data:`METHOD_DEFAULTS`).
        scaling: points scaling (``None``: :class:`Scaling` defaults).
        min_bin_share, max_n_bins, min_bin_n_event, max_n_prebins: binning constraints (see
            :class:`WoEBinner`; ``None``: the method's). ``min_prebin_size``: ``None`` lets
            the binner derive it.
        penalty_grid: the joint method's L2 penalties tried by inner CV.
        smoothness_grid: the joint method's second-order difference penalties between
            adjacent bins, tried by inner CV with every L2 penalty (``None``: the method's).
        random_state: seeds the joint method's inner CV (and :meth:`validate`'s splits).
        interactions: ``"auto"`` or ``"none"``: whether the joint method searches
            two-dimensional interaction characteristics (:mod:`scorecard.fit.interactions`);
            ``None``: the spec's ``interactions``.
        interaction_budget_s: seconds the pair search may spend confirming pairs
            (``None``: the method's, :data:`METHOD_DEFAULTS`).
        final_fit: ``"all_labelled"`` or ``"development"``: the rows :meth:`validate`
            fits the published card on (``None``: the spec's ``final_fit``).
        pair_overrides: the reviewer's interaction overrides by ``"X*Y"`` key
            (:class:`~scorecard.fit.overrides.PairOverride`: a pair excluded or coarsened);
            ``None``: the ``[pairs]`` tables of the overrides file, if any.

    Learned state: ``method_``, ``selection_``, ``scaling_``, ``binning_`` (the resolved
    binning constraints), ``overrides_``, ``pair_overrides_`` and ``overrides_file_`` (the
    resolved overrides and their file, if any), ``binner_``, ``features_`` (card
    characteristics, by IV),
    ``selection_log_``, ``logit_`` (the woe method's statsmodels result), ``coefficients_``
    (table, as published: floats to 6 significant digits, like the artifact's intercept),
    ``points_`` (feature -> int points per bin), ``raw_points_`` (unrounded), ``classes_``
    (``[0, 1]``: 1 = default). The joint method adds ``joint_``
    (:class:`~scorecard.fit.joint.JointBinLogit`); its ``coefficients_`` has one row per
    bin indicator plus the intercept, and ``interactions_`` (the chosen
    :class:`~scorecard.fit.interactions.PairBins`, published after the characteristics;
    every pair considered is in ``selection_log_``). :meth:`validate` adds
    ``validation_``, ``master_scale_`` and ``metadata_``.
    """

    def __init__(self, spec: DatasetSpec,
                 overrides: Mapping[str, FeatureOverride] | str | Path | None = None, *,
                 method: str | None = None, selection: SelectionConfig | None = None,
                 scaling: Scaling | None = None, min_bin_share: float | None = None,
                 max_n_bins: int | None = None, min_bin_n_event: int | None = None,
                 max_n_prebins: int | None = None, min_prebin_size: float | None = None,
                 penalty_grid: tuple[float, ...] = DEFAULT_PENALTY_GRID,
                 random_state: int = 0, interactions: str | None = None,
                 final_fit: str | None = None,
                 smoothness_grid: tuple[float, ...] | None = None,
                 interaction_budget_s: float | None = None,
                 pair_overrides: Mapping[str, PairOverride] | None = None) -> None:
        self.spec = spec
        self.overrides = overrides
        self.method = method
        self.selection = selection
        self.scaling = scaling
        self.min_bin_share = min_bin_share
        self.max_n_bins = max_n_bins
        self.min_bin_n_event = min_bin_n_event
        self.max_n_prebins = max_n_prebins
        self.min_prebin_size = min_prebin_size
        self.penalty_grid = penalty_grid
        self.random_state = random_state
        self.interactions = interactions
        self.final_fit = final_fit
        self.smoothness_grid = smoothness_grid
        self.interaction_budget_s = interaction_budget_s
        self.pair_overrides = pair_overrides

    @classmethod
    def from_spec(cls, spec: DatasetSpec | str, **params: Any) -> Scorecard:
        """The card of ``spec`` (a :class:`DatasetSpec`, a built-in spec's name or a spec
        file), every parameter not given resolved as ``scorecard regenerate`` resolves it."""
        return cls(load_spec(spec) if isinstance(spec, str) else spec, **params)

    def _resolve(self) -> None:
        """Every ``None`` parameter from the spec and :data:`METHOD_DEFAULTS`."""
        method = self.method if self.method is not None else self.spec.card_method
        defaults = method_defaults(method)
        self.method_ = method
        self.selection_ = (self.selection if self.selection is not None
                           else SelectionConfig(**defaults.selection))
        self.scaling_ = self.scaling if self.scaling is not None else Scaling()
        given = {"min_bin_share": self.min_bin_share, "max_n_bins": self.max_n_bins,
                 "min_bin_n_event": self.min_bin_n_event,
                 "max_n_prebins": self.max_n_prebins}
        self.binning_: dict[str, Any] = {k: v if v is not None else getattr(defaults, k)
                                         for k, v in given.items()}
        self.smoothness_grid_ = (tuple(self.smoothness_grid) if self.smoothness_grid
                                 is not None else defaults.smoothness_grid)
        self.interactions_mode_ = (self.interactions if self.interactions is not None
                                   else self.spec.interactions)
        self.interaction_budget_s_ = (self.interaction_budget_s
                                      if self.interaction_budget_s is not None
                                      else defaults.interaction_budget_s)
        if self.interactions_mode_ not in INTERACTION_MODES:
            raise ValueError(f"interactions must be one of {INTERACTION_MODES}, not "
                             f"{self.interactions_mode_!r}")
        self.final_fit_ = self.final_fit if self.final_fit is not None else self.spec.final_fit
        if self.final_fit_ not in FINAL_FITS:
            raise ValueError(f"final_fit must be one of {FINAL_FITS}, not {self.final_fit_!r}")
        path = (builtin_overrides(self.spec.name) if self.overrides is None
                else self.overrides if isinstance(self.overrides, str | Path) else None)
        inline = None if isinstance(self.overrides, str | Path) else self.overrides  # a mapping
        self.overrides_file_ = Path(path) if path is not None else None
        self.overrides_ = load_overrides(path) if path is not None else dict(inline or {})
        self.pair_overrides_ = (dict(self.pair_overrides) if self.pair_overrides is not None
                                else load_pair_overrides(path))

    def fit(self, X: pd.DataFrame, y: np.ndarray, progress: Any = None) -> Scorecard:
        """Fit on ``X`` (rows x contract columns, typed as read) and 0/1 ``y``."""
        say = progress.say if progress is not None else (lambda _m: None)
        y = np.asarray(y, dtype=int)
        X = with_derived(X, self.spec)
        self._resolve()
        self.binner_ = WoEBinner(self.spec, self.overrides_,
                                 self.binning_["min_bin_share"], self.binning_["max_n_bins"],
                                 max_n_prebins=self.binning_["max_n_prebins"],
                                 min_bin_n_event=self.binning_["min_bin_n_event"],
                                 min_prebin_size=self.min_prebin_size).fit(X, y)
        say(f"binned {len(self.binner_.features_)} candidate features")
        woe = self.binner_.transform(X)
        iv = {n: b.iv for n, b in self.binner_.bins_.items()}
        self.features_, self.selection_log_ = select_features(
            woe, y, iv, self.selection_, self.binner_.excluded_)
        overridden = {n for n, b in self.binner_.bins_.items() if b.overridden}
        self.selection_log_["overridden"] = self.selection_log_["feature"].isin(overridden)
        self._note_protected(X)
        self._note_binning()
        say(f"selected {len(self.features_)} characteristics")
        self.raw_points_: dict[str, np.ndarray] = {}
        self.points_: dict[str, np.ndarray] = {}
        self.classes_ = np.array([0, 1])
        self.interactions_: list[PairBins] = []
        if self.method_ == "joint":
            return self._fit_joint(X, y, say)
        self.logit_ = fit_logit(woe[self.features_], y)
        self.coefficients_ = rounded_frame(coefficient_table(self.logit_))
        intercept = float(self.logit_.params["const"])  # type: ignore[attr-defined]
        for name in self.features_:
            coef = float(self.logit_.params[name])  # type: ignore[attr-defined]
            woe_bins = self.binner_.bins_[name].table["woe"].to_numpy()
            raw = feature_points(coef, intercept, woe_bins, len(self.features_), self.scaling_)
            self.raw_points_[name] = raw
            self.points_[name] = np.rint(raw).astype(np.int64)
        self._apply_support()
        return self

    def _apply_support(self) -> None:
        """The spec's ``missing_policy`` on every characteristic's fitted points
        (:mod:`scorecard.fit.support`): ``support_`` holds each outcome, ``points_`` the
        points after it."""
        self.support_: dict[str, Support] = {}
        for name in self.features_:
            table = self.binner_.bins_[name].table
            sup = apply_support(self.points_[name], self._fitted_unseen_points(name),
                                table["type"].tolist(), table["count"].to_numpy(),
                                table["event"].to_numpy(), self.binner_.bins_[name].kind,
                                self.spec.min_bin_events, self.spec.missing_policy)
            self.support_[name] = sup
            self.points_[name] = sup.points

    def _append_reason(self, i: int, note: str) -> None:
        """Add ``note`` to the reason of the selection log's row ``i`` (position)."""
        log = self.selection_log_
        log.iloc[i, log.columns.get_loc("reason")] = f"{log['reason'].iloc[i]}; {note}"

    def _note_binning(self) -> None:
        """A feature with values outside the spec's ``plausible`` range says in its
        selection-log reason what the binning did with them, and one the solver binned again
        from fewer pre-bins says that (:mod:`scorecard.fit.binning`)."""
        for i, name in enumerate(self.selection_log_["feature"]):
            for notes in (self.binner_.implausible_, self.binner_.resolved_):
                if note := notes.get(name):
                    self._append_reason(i, note)

    def _note_protected(self, X: pd.DataFrame) -> None:
        """A characteristic that looks like a protected attribute (:mod:`scorecard.fit.
        protected`) enters the card with a warning in its selection-log reason, or with the
        spec's ``protected_use`` reason when its use is confirmed."""
        from scorecard.fit.protected import looks_protected

        log = self.selection_log_
        for i in np.flatnonzero((log["decision"] == "in").to_numpy()).tolist():
            name = log["feature"].iloc[i]
            confirmed = self.spec.protected_use.get(name)
            why = None if confirmed else looks_protected(
                name, X[name].dropna().unique()[:50] if name in self.spec.categorical else ())
            if confirmed:
                note = f"looks like a protected attribute, use confirmed in the spec: {confirmed}"
            elif why:
                note = (f"WARNING: looks like a protected attribute ({why}): name it under "
                        "the spec's `protected` to keep it out, or confirm its use under "
                        "`protected_use` with the reason")
            else:
                continue
            self._append_reason(i, note)

    def _fit_joint(self, X: pd.DataFrame, y: np.ndarray, say: Any) -> Scorecard:
        binned = {n: self.binner_.bins_[n] for n in self.features_}
        bins = {n: bin_indices(fb, X[n], self.spec.category_match) for n, fb in binned.items()}
        self.joint_ = JointBinLogit(self.penalty_grid, random_state=self.random_state,
                                    smoothness_grid=self.smoothness_grid_).fit(binned, bins, y)
        say(f"joint fit: penalty {self.joint_.penalty_:g}, smoothness "
            f"{self.joint_.smoothness_:g} chosen by inner CV")
        self._log_directions(binned)
        if self.interactions_mode_ == "auto":
            # pairs (x, y) of input columns: a derived characteristic is none
            in_columns = {n: binned[n] for n in X.columns
                          if n in binned and n not in self.spec.derived}
            declared = self._declared()
            pairs, log = search_interactions(in_columns, bins, y, self.joint_.penalty_,
                                             self.random_state, say,
                                             self.interaction_budget_s_,
                                             self.spec.category_match, declared,
                                             self.pair_overrides_,
                                             finer_axes(in_columns, X, y,
                                                        self.spec.category_match, declared),
                                             self.joint_.codings_)
            self.selection_log_ = pd.concat([self.selection_log_, log], ignore_index=True)
            if pairs:
                self.interactions_ = pairs
                say(f"interactions: {', '.join(p.name for p in pairs)}")
                # Refit with the pairs at the penalty chosen without them (no second CV).
                # The main effects keep their codings (the directions chosen without pairs).
                first = self.joint_
                binned = {**binned, **{p.name: p.feature_bins() for p in pairs}}
                bins = {**bins, **{p.name: p.cells(X) for p in pairs}}
                self.joint_ = JointBinLogit((first.penalty_,),
                                            random_state=self.random_state,
                                            smoothness_grid=(first.smoothness_,)).fit(
                    binned, bins, y, codings={**first.codings_,
                                              **{p.name: p.coding() for p in pairs}})
                self.joint_.cv_results_ = first.cv_results_
                self.joint_.directions_ = first.directions_
        self.coefficients_ = rounded_frame(self.joint_.coefficient_table(binned))
        n = len(self.features_)
        self.constant_points_ = self._constant_points()
        for name in self.features_:
            c = self.joint_.contributions_[name]
            self.raw_points_[name] = feature_points(1.0, self.joint_.intercept_, c, n,
                                                    self.scaling_)
            self.points_[name] = self.constant_points_[name] + np.rint(
                -self.scaling_.factor * c).astype(np.int64)
        for pair in self.interactions_:  # no share of the constant: a correction on top
            c = self.joint_.contributions_[pair.name]
            self.raw_points_[pair.name] = -self.scaling_.factor * c
            self.points_[pair.name] = np.rint(-self.scaling_.factor * c).astype(np.int64)
        self._apply_support()
        return self

    def _log_directions(self, binned: dict[str, FeatureBins]) -> None:
        """Say in the selection log where a detected trend's joint direction is not the one
        the binning saw on the characteristic alone (:mod:`scorecard.fit.joint`)."""
        log = self.selection_log_
        word = {1: "ascending", -1: "descending"}
        for name, sign in self.joint_.directions_.items():
            alone = trend_sign(binned[name])
            if sign == alone:
                continue
            at = np.flatnonzero(((log["feature"] == name) & (log["decision"] == "in"))
                                .to_numpy())
            note = (f"default rate {word[alone]} on its own but {word[sign]} given the "
                    f"other characteristics (the joint fit's pilot): its points are held "
                    f"{word[sign]}")
            for i in at:
                self._append_reason(int(i), note)

    def _declared(self) -> dict[str, str]:
        """Each characteristic's trend as declared (an override's, else the spec's; none
        for one an override frees of its constraint)."""
        out = {}
        for name in self.features_:
            ov = self.overrides_.get(name)
            trend = binning_trend(ov.trend if ov is not None else None,
                                  self.spec.monotonic.get(name))
            if trend is not None:
                out[name] = trend
        return out

    def _constant_points(self) -> dict[str, int]:
        """The score's constant ``offset - factor * intercept``, rounded once and spread over
        the characteristics as whole points (shares differ by at most one point).

        Each characteristic's most populated bin has contribution 0, so rounding
        ``constant / n + contribution`` per bin would repeat the same rounding error in every
        characteristic (up to 0.5 x n points of bias); rounding the constant once and the
        contributions separately keeps the integer score within ``0.5 (n + 1)`` of the
        model's and unbiased."""
        n = len(self.features_)
        total = int(np.rint(self.scaling_.offset - self.scaling_.factor
                            * self.joint_.intercept_))
        q, r = divmod(total, n)
        return {name: q + (1 if j < r else 0) for j, name in enumerate(self.features_)}

    def _bins(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        X = with_derived(X, self.spec)
        return {**{n: bin_indices(self.binner_.bins_[n], X[n], self.spec.category_match)
                    for n in self.features_},
                **{p.name: p.cells(X) for p in self.interactions_}}

    def _counts(self) -> dict[str, np.ndarray]:
        return {**{n: self.binner_.bins_[n].table["count"].to_numpy() for n in self.features_},
                **{p.name: p.table["count"].to_numpy() for p in self.interactions_}}

    def _intercept(self) -> float:
        if self.method_ == "joint":
            return self.joint_.intercept_
        return float(self.logit_.params["const"])  # type: ignore[attr-defined]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Shape ``(n, 2)``: probabilities of good (column 0) and default (column 1), the
        published pd of each row's integer score (as the engine scores it)."""
        p = self.engine().score(X).pd
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 at a pd threshold of 0.5 (for scikit-learn compatibility; policy uses pd)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Integer score of each row (higher = safer), shape ``(n,)``, as the engine scores
        it. A card's score, not scikit-learn's accuracy: give model-selection helpers a
        ``scoring`` (e.g. ``"roc_auc"``)."""
        return self.engine().score(X, with_bins=False).score

    def reasons(self, X: pd.DataFrame, top: int = 4) -> pd.DataFrame:
        """Reason codes of each row: the characteristics with the most points lost against
        their best bin, best first; columns ``reason_1..top``, ``""`` where fewer apply."""
        from scorecard.card.reasons import top_reasons

        engine = self.engine()
        picks = top_reasons(engine, engine.score(X, with_bins=False), top)
        codes = np.array([f["reason_code"] for f in engine.artifact["features"]] + [""],
                         dtype=object)
        picks[picks < 0] = len(codes) - 1
        return pd.DataFrame({f"reason_{r + 1}": codes[picks[:, r]] for r in range(top)},
                            index=X.index)

    def table(self) -> pd.DataFrame:
        """The card, one row per bin in card order: ``characteristic``, ``reason_code``,
        ``bin``, ``type``, ``label``, ``count``, ``event`` (defaults), ``event_rate``,
        ``woe``, ``points``."""
        check_is_fitted(self, "coefficients_")
        return pd.DataFrame([
            {"characteristic": f["name"], "reason_code": f["reason_code"], "bin": b["index"],
             **{k: b[k] for k in ("type", "label", "count", "event", "event_rate", "woe",
                                  "points")}}
            for f in self.to_artifact({}, {})["features"] for b in f["bins"]])

    def validate(self, data: Dataset, *, holdout_share: float = 0.3, cv_folds: int = 5,
                 cv_repeats: int = 2, challenger: bool = True, compare_methods: bool = True,
                 n_jobs: int = 2, truth: pd.Series | None = None,
                 progress: Any = None) -> ValidationResult:
        """Fit and validate the card as ``scorecard regenerate`` does; return the figures.

        Splits ``data``'s labelled rows (seed ``random_state``) into a development sample
        and a stratified ``holdout_share`` holdout, fits a copy of this card on the
        development rows, validates it on the holdout and in ``cv_folds`` x ``cv_repeats``
        CV (against the other card method and the gradient-boosted challengers when
        ``compare_methods`` / ``challenger``), then fits this card as published: on every
        labelled row (``final_fit="all_labelled"``) or as the validated development fit.
        Afterwards ``validation_`` is the returned result and ``artifact_`` the sealed card
        (:meth:`save` writes it), byte for byte the ``scorecard.json`` regenerate writes.
        ``truth``: the true pd by row id (generated data), shown as model ``oracle``.

        Raises:
            ContractError: too few rows of a class for the split design.
        """
        from scorecard.fit.validate import fit_and_validate

        return fit_and_validate(self, data, holdout_share=holdout_share, cv_folds=cv_folds,
                                cv_repeats=cv_repeats, challenger=challenger,
                                compare_methods=compare_methods, n_jobs=n_jobs, truth=truth,
                                progress=progress)

    def save(self, path: str | Path) -> None:
        """Write the validated card (``artifact_``, see :meth:`validate`) as JSON,
        atomically."""
        check_is_fitted(self, "artifact_")
        atomic_write_text(Path(path), dumps(self.artifact_))

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """Unrounded score from the fitted pipeline (optbinning WoE and the logit), shape
        (n,). Used to measure the cost of rounding points."""
        check_is_fitted(self, "coefficients_")
        if self.method_ == "joint":
            logit = self.joint_.logit(self._bins(X), self._counts())
            return self.scaling_.offset - self.scaling_.factor * logit
        woe = self.binner_.transform(X, self.features_)
        intercept = float(self.logit_.params["const"])  # type: ignore[attr-defined]
        coefs = self.logit_.params[self.features_].to_numpy()  # type: ignore[attr-defined]
        logit = intercept + woe.to_numpy() @ coefs
        return self.scaling_.offset - self.scaling_.factor * logit

    def pipeline_points(self, X: pd.DataFrame) -> np.ndarray:
        """Integer points per row and characteristic, shape (n, k), found through
        optbinning's own transform (WoE -> bin) rather than the engine: the reference the
        engine is tested against. Interactions follow, their cells found by their parents'
        rules (shape (n, k + number of interactions))."""
        check_is_fitted(self, "coefficients_")
        woe = self.binner_.transform(X, self.features_)
        out = np.empty((len(woe), len(self.features_) + len(self.interactions_)),
                       dtype=np.int64)
        for j, pair in enumerate(self.interactions_, start=len(self.features_)):
            cells = pair.cells(X)
            table = np.append(self.points_[pair.name], self._unseen_points(pair.name))
            out[:, j] = table[np.where(cells < 0, len(table) - 1, cells)]
        for j, name in enumerate(self.features_):
            # Points are linear in WoE, so the bin with the nearest WoE has the same points
            # (bins sharing a WoE share their points; WoE 0 also covers unseen categories).
            table_woe = self.binner_.bins_[name].table["woe"].to_numpy()
            w = woe[name].to_numpy()
            nearest = np.abs(w[:, None] - table_woe[None, :]).argmin(axis=1)
            out[:, j] = self.points_[name][nearest]
        return out

    def _unseen_points(self, name: str) -> int:
        """An unseen category's points after the spec's ``missing_policy``."""
        if name in getattr(self, "support_", {}):
            return self.support_[name].unseen_points
        return self._fitted_unseen_points(name)

    def _fitted_unseen_points(self, name: str) -> int:
        if name in {p.name for p in self.interactions_}:
            return 0  # an unseen category: no correction, its parents' own rules score it
        if self.method_ == "joint":  # the characteristic's mean contribution: neutral
            c = self.joint_.neutral(name, self._counts()[name])
            return self.constant_points_[name] + int(np.rint(-self.scaling_.factor * c))
        intercept = float(self.logit_.params["const"])  # type: ignore[attr-defined]
        coef = float(self.logit_.params[name])  # type: ignore[attr-defined]
        return int(np.rint(feature_points(coef, intercept, np.array([0.0]),
                                          len(self.features_), self.scaling_))[0])

    def to_artifact(self, metadata: dict[str, Any], master_scale: dict[str, Any],
                    reference: pd.DataFrame | None = None,
                    reference_y: np.ndarray | None = None,
                    reference_sample: str = "development") -> dict:
        """The sealed JSON card (see :mod:`scorecard.card.artifact`).

        ``reference``: the rows the card was fitted on (named ``reference_sample``); when
        given, the card carries their score-band and grade counts (and AUC with
        ``reference_y``) under ``reference``, for monitoring.
        """
        check_is_fitted(self, "coefficients_")
        contract = self.spec.contract
        features = []
        coefs = self.logit_.params if self.method_ == "woe" else {}  # type: ignore[attr-defined]
        for name in self.features_:
            fb = self.binner_.bins_[name]
            sup = self.support_[name]
            derived = self.spec.derived.get(name)
            col = contract.column(derived[0] if derived else name)
            bins = []
            for i, row in fb.table.iterrows():
                b: dict[str, Any] = {
                    "index": int(i),
                    "type": row["type"],
                    "label": row["label"],
                    "count": int(row["count"]),
                    "event": int(row["event"]),
                    "event_rate": plain(row["event_rate"]),
                    "woe": float(row["woe"]),
                    "points": int(self.points_[name][i]),
                }
                if row["type"] == "regular" and fb.kind == "categorical":
                    b["categories"] = fb.groups[int(i)]
                if row["type"] == "special":
                    b["codes"] = fb.special[row["label"]]
                b["supported"] = bool(sup.supported[int(i)])
                if int(i) in sup.notes:
                    b["fitted_points"] = int(sup.fitted[int(i)])
                    b["support"] = sup.notes[int(i)]
                bins.append(b)
            pts = self.points_[name]
            features.append({
                "name": name,
                "kind": fb.kind,
                "description": (col.description if derived is None else
                                f"how round {col.description or col.name} is: the largest "
                                f"of {', '.join(map(str, derived[1]))} that divides it"),
                **({"derived": {"input": derived[0], "rounding": list(derived[1])}}
                   if derived else {}),
                "reason_code": self.spec.reason_code(name),
                "coefficient": 1.0 if self.method_ == "joint" else float(coefs[name]),
                "trend": fb.trend,
                "overridden": fb.overridden,
                "iv": fb.iv,
                "splits": fb.splits if fb.kind == "numeric" else None,
                **({"category_match": self.spec.category_match}
                   if fb.kind == "categorical" else {}),
                "unseen_points": self._unseen_points(name),
                **({"unseen_rule": sup.unseen_note} if sup.unseen_note else {}),
                "max_points": int(pts.max()),
                "best_bin": int(np.argmax(pts)),
                "bins": bins,
            })
        features += [self._interaction_feature(p) for p in self.interactions_]
        artifact = {
            "schema_version": SCHEMA_VERSION,
            "spec": self.spec.to_dict(),
            "id_column": contract.id_column,
            "input_contract": [c.to_dict() for c in contract.columns],
            "scaling": self.scaling_.to_dict(),
            "pd_formula": PD_FORMULA,
            "intercept": rounded(self._intercept()),
            "features": features,
            "master_scale": master_scale,
            "metadata": metadata,
        }
        if reference is not None:
            artifact = {**artifact, "reference": self._reference(artifact, reference,
                                                                 reference_y, reference_sample)}
        return seal(artifact)

    def _interaction_feature(self, pair: PairBins) -> dict[str, Any]:
        """One interaction as the artifact holds it (:mod:`scorecard.card.artifact`)."""
        pts = self.points_[pair.name]
        n_y = len(pair.parents[1]["bins"])
        bins = [{"index": int(r["bin"]), "type": "cell", "row": int(r["row"]),
                 "col": int(r["col"]), "label": r["label"], "count": int(r["count"]),
                 "event": int(r["event"]), "event_rate": plain(r["event_rate"]),
                 "woe": float(r["woe"]), "points": int(pts[int(r["bin"])])}
                for _, r in pair.table.iterrows()]
        cx = self.spec.contract.column(pair.x)
        cy = self.spec.contract.column(pair.y)
        code_x, code_y = self.spec.reason_code(pair.x), self.spec.reason_code(pair.y)
        return {
            "name": pair.name,
            "kind": "interaction",
            "description": f"{cx.description or pair.x} by {cy.description or pair.y}",
            "reason_code": f"{code_x}x{code_y[len(self.spec.reason_prefix):]}",
            "coefficient": None,
            "trend": None,
            "overridden": False,
            "iv": pair.iv,
            "parents": pair.parents,
            "grid": [[int(p) for p in pts[i * n_y:(i + 1) * n_y]]
                     for i in range(len(pts) // n_y)],
            "unseen_points": self._unseen_points(pair.name),
            "max_points": int(pts.max()),
            "best_bin": int(np.argmax(pts)),
            "bins": bins,
        }

    @staticmethod
    def _reference(artifact: dict[str, Any], rows: pd.DataFrame, y: np.ndarray | None,
                   sample: str = "development") -> dict[str, Any]:
        """Score-band and grade counts of ``rows`` under the finished (unsealed) card."""
        from validation.discrimination import roc_auc
        from validation.stability import reference_edges

        scored = ScoringEngine(artifact).score(rows)
        for j, f in enumerate(artifact["features"]):  # the bins' counts are the reference
            col = scored.bin_table()[:, j]
            engine_counts = np.bincount(col[col >= 0], minlength=len(f["bins"]))
            if engine_counts.tolist() != [b["count"] for b in f["bins"]]:
                raise ValueError(f"{f['name']}: binning-table counts differ from the engine's")
        edges = [float(e) for e in reference_edges(scored.score.astype(float), 10)]
        bands = np.bincount(np.searchsorted(edges, scored.score, side="right"),
                            minlength=len(edges) + 1)
        grades = None
        if master_scale := artifact.get("master_scale"):
            scale = MasterScale.from_dict(master_scale)
            grades = {"counts": [int(c) for c in np.bincount(
                scale.grade_index(scored.score), minlength=scale.n_grades)]}
        auc = (float(roc_auc(np.asarray(y), scored.score, higher_is_riskier=False))
               if y is not None else None)
        return {"sample": sample, "rows": len(rows),
                "score_bands": {"edges": edges, "counts": [int(c) for c in bands]},
                "grades": grades, "auc": auc}

    def engine(self, metadata: dict[str, Any] | None = None) -> ScoringEngine:
        """The numpy engine over this card's artifact (no master scale)."""
        return ScoringEngine(self.to_artifact(metadata or {}, {}))
