"""Dataset specifications: what the pipeline needs to know about a tabular credit data set.

A :class:`DatasetSpec` names the contract (columns, id, target), which features are
categorical, the special codes that are not magnitudes, the monotonic direction the domain
knows for a feature, and features excluded by design. Built-in specs cover the Klarna case
format and FICO HELOC; a JSON spec file describes any other data set.

Directions follow optbinning's ``monotonic_trend`` on the *default rate*: ``ascending`` means
a larger value is riskier, ``descending`` safer; ``auto_asc_desc`` lets the binning detect it.
"""

from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from scorecard.card.derived import rounding_name
from scorecard.data.contract import CONTRACTS, HELOC_SPECIAL_CODES, Column, Contract
from scorecard.errors import UsageError

DETECT = "auto_asc_desc"
# How the published card's points are fitted (scorecard.fit.estimator): "joint" estimates every
# bin's points together; "woe" is the classic coefficient x WoE card.
CARD_METHODS = ("joint", "woe")
DEFAULT_CARD_METHOD = "joint"
# Whether the joint card searches two-dimensional interaction characteristics
# (scorecard.fit.interactions): "auto" adds the pairs that pay in inner CV, "none" never.
INTERACTION_MODES = ("auto", "none")
DEFAULT_INTERACTIONS = "auto"
# Which labelled rows the published card is fitted on (Scorecard.validate). The holdout
# always validates the card fitted on the development rows; "all_labelled" then refits the
# published card on development + holdout rows by the same procedure (binning, selection,
# penalty choice), "development" publishes the validated fit itself.
FINAL_FITS = ("all_labelled", "development")
DEFAULT_FINAL_FIT = "all_labelled"
# How the master scale's pd boundaries are set (scorecard.card.grades.fitted_master_scale).
MASTER_SCALES = ("development", "ladder")
DEFAULT_MASTER_SCALE = "development"


class SelectionDefaults(TypedDict):
    """The keyword arguments of :class:`scorecard.fit.selection.SelectionConfig`."""

    min_iv: float
    max_corr: float
    max_vif: float
    max_pvalue: float
    max_features: int
    backward: bool


@dataclass(frozen=True)
class MethodDefaults:
    """What a card method fits with unless a parameter says otherwise.

    ``min_bin_share``, ``max_n_bins``, ``min_bin_n_event`` (``None``: no floor),
    ``max_n_prebins``: the binning constraints (:class:`scorecard.fit.binning.WoEBinner`);
    ``selection``: the keyword arguments of :class:`scorecard.fit.selection.SelectionConfig`;
    ``smoothness_grid``: the joint card's second-order difference penalties tried by inner CV
    (:class:`scorecard.fit.joint.JointBinLogit`; ``(0.0,)``: none).
    ``interaction_budget_s``: the seconds the joint card's pair search may spend confirming
    pairs in inner CV (:mod:`scorecard.fit.interactions`; a safety bound: its rank floor
    ends the search first on ordinary data).
    """

    min_bin_share: float
    max_n_bins: int
    min_bin_n_event: int | None
    max_n_prebins: int
    selection: SelectionDefaults
    smoothness_grid: tuple[float, ...] = (0.0,)
    interaction_budget_s: float = 120.0


# Every default that depends on the card method, in one table: the estimator resolves its
# parameters from it, and the regenerate job, the workbench and the method comparison of
# the validation read nothing else. The method itself, the final fit and the interaction
# search default to the spec's fields (DEFAULT_CARD_METHOD, ... above).
METHOD_DEFAULTS: dict[str, MethodDefaults] = {
    # The classic card: at most 8 bins of >= 5 % of rows; IV floor, tight correlation and
    # VIF guards, backward elimination of wrong signs and weak p-values, 20 characteristics.
    "woe": MethodDefaults(min_bin_share=0.05, max_n_bins=8, min_bin_n_event=None,
                          max_n_prebins=20,
                          selection={"min_iv": 0.02, "max_corr": 0.8, "max_vif": 5.0,
                                     "max_pvalue": 0.05, "max_features": 20,
                                     "backward": True}),
    # The joint card supports finer bins: up to 30, each of a row share of 0.5 % and a floor
    # of 30 defaults, so the events, not a row share or a count, decide how fine a bin may
    # be (a rare, risky value such as debt in collection gets its own bin on a large
    # sample; a jumpy rate on a large sample keeps its steps). Its selection
    # is a low IV floor and loose correlation / VIF guards only: its L2 penalty (tuned by
    # inner CV) handles collinear and weak characteristics, so it needs neither the WoE
    # logit's backward elimination, which drops characteristics it would use, nor a tight
    # cap.
    # No second-order difference penalty: finer bins held by it did not pay in the accuracy
    # benchmark and multiply the inner CV's fits (figures in the README's model section).
    "joint": MethodDefaults(min_bin_share=0.005, max_n_bins=30, min_bin_n_event=30,
                            max_n_prebins=50,
                            selection={"min_iv": 0.005, "max_corr": 0.95, "max_vif": 50.0,
                                       "max_pvalue": 1.0, "max_features": 50,
                                       "backward": False},
                            smoothness_grid=(0.0,)),
}


def method_defaults(method: str) -> MethodDefaults:
    """The defaults of card ``method`` (``"joint"`` or ``"woe"``)."""
    if method not in METHOD_DEFAULTS:
        raise ValueError(f"method must be one of {CARD_METHODS}, not {method!r}")
    return METHOD_DEFAULTS[method]
# What a missing, special or unseen value, or a bin with too little support, may score
# (scorecard.fit.support): "cautious" never above the riskiest supported bin of its
# characteristic unless its own development rows support it; "fitted" keeps the fitted points.
MISSING_POLICIES = ("cautious", "fitted")
DEFAULT_MISSING_POLICY = "cautious"
# The events a bin's points must rest on to count as supported (scorecard.fit.support).
DEFAULT_MIN_BIN_EVENTS = 30
# How a category label is matched to the card's groups (scorecard.card.engine.label_key):
# "normalised" ignores case and surrounding spaces, "exact" compares the text as written.
CATEGORY_MATCHES = ("normalised", "exact")
DEFAULT_CATEGORY_MATCH = "normalised"


@dataclass(frozen=True)
class DatasetSpec:
    """How to model one data set.

    Attributes:
        name: spec name (``klarna``, ``heloc`` or the spec file's name).
        contract: the column contract files are validated against.
        categorical: features binned as categories (the others are numeric).
        special_codes: per feature, named special values binned apart from the magnitudes.
        monotonic: per feature, the known direction of the default rate (optbinning's
            ``monotonic_trend``); features not listed get ``DETECT``. ``None`` is no
            monotone constraint: a numeric feature's bins follow its rate wherever it turns
            (categorical features take ``None`` as they are).
        exclude: features left out by design, with the reason (logged in the selection log).
        reason_prefix: prefix of the stable reason codes (``K01`` ... by contract order).
        card_method: ``"joint"`` or ``"woe"``: how the published card's points are fitted.
        final_fit: ``"all_labelled"`` or ``"development"``: the rows the published card is
            fitted on. The holdout figures validate the development fit either way;
            ``"all_labelled"`` refits the published card on every labelled row with the
            same procedure once that validation is done.
        actionable: features an applicant can change by their own conduct (paying, lowering
            a balance, fewer inquiries), the only ones a counterfactual explanation
            (:mod:`scorecard.card.recourse`) may propose to change; never age, time or
            where they shop. Recorded in the artifact's ``spec``.
        protected: protected attributes (:mod:`scorecard.fit.protected`): columns of the
            contract that are never characteristics (the selection log says why) and are the
            default groups of ``scorecard fairness``; when named, the validation report and
            MODEL.md carry a fairness section. Recorded in the artifact's ``spec`` when set.
        protected_use: columns that look like protected attributes but are confirmed as
            characteristics, each with its reason (recorded in the selection log instead of
            a warning). Recorded when set.
        interactions: ``"auto"`` (default: the joint card adds the two-dimensional
            interactions that pay in inner CV, :mod:`scorecard.fit.interactions`) or
            ``"none"``. The default is the measured one: the search never cost AUC on FICO
            HELOC, the default generated data or the interactions truth, and left
            ``scorecard run`` within 3 minutes on two cores (README, "The model").
        plausible: per numeric feature, ``(low, high)`` (either ``None``): the range beyond
            which a value is implausible (far outside the data's own tails, or a natural
            limit such as a duration of more than a lifetime). Values outside are counted
            by ``check`` and flagged by ``init-spec``, never refused (a hard limit is the
            contract's ``min``/``max``).
        rounding: per whole-number feature, round steps (strictly decreasing positive
            integers): the card gains a categorical characteristic of how round its values
            are (:mod:`scorecard.card.derived`; named by ``init-spec`` where round values
            default apart from others of the same size). Recorded when set.
        master_scale: how the grades' pd boundaries are set (:mod:`scorecard.card.grades`):
            ``"development"`` (default: derived from the development rows' pds, so the
            grades fit the book), ``"ladder"`` (the fixed ladder 0.25 %, 0.5 %, ... 16 %)
            or the ascending pd boundaries themselves.
    """

    name: str
    contract: Contract
    categorical: tuple[str, ...] = ()
    special_codes: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    monotonic: dict[str, str | None] = field(default_factory=dict)
    exclude: dict[str, str] = field(default_factory=dict)
    reason_prefix: str = "R"
    card_method: str = DEFAULT_CARD_METHOD
    final_fit: str = DEFAULT_FINAL_FIT
    actionable: tuple[str, ...] = ()
    interactions: str = DEFAULT_INTERACTIONS  # "auto" | "none" (INTERACTION_MODES)
    plausible: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    master_scale: str | tuple[float, ...] = DEFAULT_MASTER_SCALE
    missing_policy: str = DEFAULT_MISSING_POLICY
    min_bin_events: int = DEFAULT_MIN_BIN_EVENTS
    category_match: str = DEFAULT_CATEGORY_MATCH
    protected: tuple[str, ...] = ()
    protected_use: dict[str, str] = field(default_factory=dict)
    rounding: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.interactions not in INTERACTION_MODES:
            raise ValueError(f"spec {self.name!r}: interactions must be one of "
                             f"{INTERACTION_MODES}, not {self.interactions!r}")
        if self.card_method not in CARD_METHODS:
            raise ValueError(f"spec {self.name!r}: card_method must be one of {CARD_METHODS}, "
                             f"not {self.card_method!r}")
        if self.final_fit not in FINAL_FITS:
            raise ValueError(f"spec {self.name!r}: final_fit must be one of {FINAL_FITS}, "
                             f"not {self.final_fit!r}")
        if isinstance(self.master_scale, str) and self.master_scale not in MASTER_SCALES:
            raise ValueError(f"spec {self.name!r}: master_scale must be one of "
                             f"{MASTER_SCALES} or a list of ascending pd boundaries, not "
                             f"{self.master_scale!r}")
        if not isinstance(self.master_scale, str):
            b = [float(x) for x in self.master_scale]
            if len(b) < 1 or not all(0 < x < 1 for x in b) or b != sorted(set(b)):
                raise ValueError(f"spec {self.name!r}: master_scale boundaries must be "
                                 "strictly increasing pds within (0, 1)")
        lost = [p for p in self.plausible if p not in self.contract.names]
        if lost:
            raise ValueError(f"plausible: {lost} are not columns of the contract")
        if self.missing_policy not in MISSING_POLICIES:
            raise ValueError(f"spec {self.name!r}: missing_policy must be one of "
                             f"{MISSING_POLICIES}, not {self.missing_policy!r}")
        if (type(self.min_bin_events) is not int or self.min_bin_events < 1):
            raise ValueError(f"spec {self.name!r}: min_bin_events must be a whole number "
                             f">= 1, not {self.min_bin_events!r}")
        if self.category_match not in CATEGORY_MATCHES:
            raise ValueError(f"spec {self.name!r}: category_match must be one of "
                             f"{CATEGORY_MATCHES}, not {self.category_match!r}")
        unknown = [a for a in self.actionable if a not in self.contract.names]
        if unknown:
            raise ValueError(f"actionable: {unknown} are not columns of the contract "
                             f"{self.contract.name!r}")
        unknown = [a for a in self.protected if a not in self.contract.names]
        if unknown:
            raise ValueError(f"protected: {unknown} are not columns of the contract "
                             f"{self.contract.name!r}")
        both = sorted(set(self.protected) & set(self.protected_use))
        if both:
            raise ValueError(f"protected_use: {both} are also named protected; a column is "
                             "either kept out or confirmed, not both")
        acting = sorted(set(self.protected) & set(self.actionable))
        if acting:
            raise ValueError(f"actionable: {acting} are protected attributes")
        for col, steps in self.rounding.items():
            if col not in self.contract.names or col in self.categorical:
                raise ValueError(f"rounding: {col!r} is not a numeric column of the contract")
            if rounding_name(col) in self.contract.names:
                raise ValueError(f"rounding: {col}: the contract has a column "
                                 f"{rounding_name(col)!r} already, the name of its rounding")
            if not steps or not all(type(s) is int and s > 0 for s in steps) or any(
                    a <= b for a, b in itertools.pairwise(steps)):
                raise ValueError(f"rounding: {col}: steps must be a strictly decreasing list "
                                 f"of positive whole numbers, not {list(steps)!r}")

    @functools.cached_property
    def derived(self) -> dict[str, tuple[str, tuple[int, ...]]]:
        """The derived characteristics (:mod:`scorecard.card.derived`): name -> (input
        column, rounding steps), for each ``rounding`` column not left out."""
        out = self.excluded
        return {rounding_name(c): (c, steps) for c, steps in self.rounding.items()
                if c not in out}

    @property
    def candidates(self) -> list[str]:
        """Every candidate characteristic: :attr:`features`' names, then :attr:`derived`."""
        return [c.name for c in self.features] + list(self.derived)

    def binned_as_category(self, name: str) -> bool:
        """Whether the characteristic ``name`` is binned as categories: a ``categorical``
        column or a derived characteristic's labels."""
        return name in self.categorical or name in self.derived

    @property
    def excluded(self) -> dict[str, str]:
        """Features left out before binning, with the reason: ``exclude`` and the protected
        attributes (their reason wins: a protected column is never a characteristic)."""
        from scorecard.fit.protected import PROTECTED_REASON

        return {**self.exclude, **{p: PROTECTED_REASON for p in self.protected}}

    @property
    def features(self) -> list[Column]:
        """Candidate feature columns, in contract order (excluded and protected ones left
        out)."""
        out = self.excluded
        return [c for c in self.contract.features if c.name not in out]

    def trend(self, feature: str) -> str | None:
        if self.binned_as_category(feature):
            return None
        return self.monotonic.get(feature, DETECT)

    def reason_code(self, feature: str) -> str:
        """Stable reason code: the feature's position among the contract's features (a
        derived characteristic: its input's code and ``r``)."""
        if feature in self.derived:
            return f"{self.reason_code(self.derived[feature][0])}r"
        names = [c.name for c in self.contract.features]
        return f"{self.reason_prefix}{names.index(feature) + 1:02d}"

    def to_dict(self) -> dict[str, object]:
        """The spec as the artifact records it. ``contract`` is the built-in contract's name,
        or, for a spec file's own contract, its file format (name, id, target, separator,
        NA token, target labels; the columns are the artifact's ``input_contract``), so a
        card scores files without its spec file."""
        own = CONTRACTS.get(self.contract.name) != self.contract
        fmt = {k: v for k, v in self.contract.to_dict().items() if k != "columns"}
        return {
            "name": self.name,
            "contract": fmt if own else self.contract.name,
            "categorical": list(self.categorical),
            "special_codes": self.special_codes,
            "monotonic": self.monotonic,
            "exclude": self.exclude,
            "reason_prefix": self.reason_prefix,
            "card_method": self.card_method,
            "final_fit": self.final_fit,
            "actionable": list(self.actionable),
            # Recorded only when searched, so cards sealed before the setting keep their hash.
            **({"interactions": self.interactions}
               if self.interactions != DEFAULT_INTERACTIONS else {}),
            **({"plausible": {k: list(v) for k, v in self.plausible.items()}}
               if self.plausible else {}),
            **({"master_scale": (self.master_scale if isinstance(self.master_scale, str)
                                 else list(self.master_scale))}
               if self.master_scale != DEFAULT_MASTER_SCALE else {}),
            "missing_policy": self.missing_policy,
            "min_bin_events": self.min_bin_events,
            "category_match": self.category_match,
            # Likewise recorded only when set.
            **({"protected": list(self.protected)} if self.protected else {}),
            **({"protected_use": dict(self.protected_use)} if self.protected_use else {}),
            **({"rounding": {c: list(v) for c, v in self.rounding.items()}}
               if self.rounding else {}),
        }


_UP, _DOWN = "ascending", "descending"

KLARNA_SPEC = DatasetSpec(
    name="klarna",
    contract=CONTRACTS["klarna"],
    categorical=("merchant_category", "merchant_group", "name_in_email", "has_paid"),
    monotonic={
        # Past trouble on the account or invoices raises risk.
        "account_days_in_dc_12_24m": _UP,
        "account_days_in_rem_12_24m": _UP,
        "account_days_in_term_12_24m": _UP,
        "account_status": _UP,
        "account_worst_status_0_3m": _UP,
        "account_worst_status_12_24m": _UP,
        "account_worst_status_3_6m": _UP,
        "account_worst_status_6_12m": _UP,
        "worst_status_active_inv": _UP,
        "status_last_archived_0_24m": _UP,
        "status_2nd_last_archived_0_24m": _UP,
        "status_3rd_last_archived_0_24m": _UP,
        "status_max_archived_0_6_months": _UP,
        "status_max_archived_0_12_months": _UP,
        "status_max_archived_0_24_months": _UP,
        "num_arch_dc_0_12m": _UP,
        "num_arch_dc_12_24m": _UP,
        "num_arch_rem_0_12m": _UP,
        "num_arch_written_off_0_12m": _UP,
        "num_arch_written_off_12_24m": _UP,
        "num_unpaid_bills": _UP,
        "num_active_inv": _UP,
        "num_active_div_by_paid_inv_0_12m": _UP,
        "avg_payment_span_0_12m": _UP,
        "avg_payment_span_0_3m": _UP,
        "recovery_debt": _UP,
        "account_incoming_debt_vs_paid_0_24m": _UP,
        # A longer clean payment history lowers risk.
        "num_arch_ok_0_12m": _DOWN,
        "num_arch_ok_12_24m": _DOWN,
        "sum_paid_inv_0_12m": _DOWN,
        "max_paid_inv_0_12m": _DOWN,
        "max_paid_inv_0_24m": _DOWN,
        # Age and time of day: no known direction; the binning may find a peak or valley.
        "age": "auto",
        "time_hours": "auto",
    },
    reason_prefix="K",
    # Payments, balances and invoice statuses; never age, time of day, the merchant or the
    # e-mail address.
    actionable=tuple(c.name for c in CONTRACTS["klarna"].features if c.name not in (
        "age", "time_hours", "merchant_category", "merchant_group", "name_in_email")),
)

HELOC_SPEC = DatasetSpec(
    name="heloc",
    contract=CONTRACTS["heloc"],
    special_codes={
        c.name: {"no bureau record (-9)": [-9], "no usable trades (-8)": [-8],
                 "condition not met (-7)": [-7]}
        for c in CONTRACTS["heloc"].features
    },
    monotonic={
        "ExternalRiskEstimate": _DOWN,
        "MSinceOldestTradeOpen": _DOWN,
        "AverageMInFile": _DOWN,
        "NumSatisfactoryTrades": _DOWN,
        "PercentTradesNeverDelq": _DOWN,
        "MSinceMostRecentDelq": _DOWN,
        "MaxDelq2PublicRecLast12M": _DOWN,
        "MaxDelqEver": _DOWN,
        "MSinceMostRecentInqexcl7days": _DOWN,
        "NumTrades60Ever2DerogPubRec": _UP,
        "NumTrades90Ever2DerogPubRec": _UP,
        "NumInqLast6M": _UP,
        "NumInqLast6Mexcl7days": _UP,
        "NetFractionRevolvingBurden": _UP,
        "NetFractionInstallBurden": _UP,
        "NumRevolvingTradesWBalance": _UP,
        "NumBank2NatlTradesWHighUtilization": _UP,
        "PercentTradesWBalance": _UP,
    },
    reason_prefix="H",
    # Burden, utilisation, inquiries and balances; never time in file or past delinquency.
    actionable=("NetFractionRevolvingBurden", "NetFractionInstallBurden",
                "NumRevolvingTradesWBalance", "NumInstallTradesWBalance",
                "NumBank2NatlTradesWHighUtilization", "PercentTradesWBalance", "NumInqLast6M",
                "NumInqLast6Mexcl7days", "MSinceMostRecentInqexcl7days"),
)
if set(HELOC_SPECIAL_CODES) != {-9, -8, -7}:  # not an assert: `python -O` strips those
    raise RuntimeError("HELOC special codes changed; review the HELOC spec")

BUILTIN_SPECS: dict[str, DatasetSpec] = {"klarna": KLARNA_SPEC, "heloc": HELOC_SPEC}


class SpecError(UsageError):
    """An unknown spec name, or a spec file that cannot be read as a spec."""


def load_spec(name_or_path: str) -> DatasetSpec:
    """A built-in spec by name, or a JSON spec file.

    The file holds the keys of :meth:`DatasetSpec.to_dict`; ``contract`` is a built-in
    contract name or an inline object ``{"name", "id_column", "target", "separator",
    "na_value", "target_labels", "columns": [{"name", "kind", ...}]}``.

    Raises:
        SpecError: ``name_or_path`` is neither a built-in spec nor a readable spec file.
    """
    if name_or_path in BUILTIN_SPECS:
        return BUILTIN_SPECS[name_or_path]
    path = Path(name_or_path)
    if not path.exists():
        raise SpecError(f"unknown spec {name_or_path!r}: not one of {sorted(BUILTIN_SPECS)} "
                        "and no such file")
    if not path.is_file():  # a directory, or a device or FIFO a read would never finish
        raise SpecError(f"spec {path}: not a regular file")
    try:
        return _spec_from_file(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SpecError(f"spec {path}: not a valid spec file ({type(exc).__name__}: "
                        f"{exc})") from exc


def _spec_from_file(path: Path) -> DatasetSpec:
    raw = json.loads(path.read_text(encoding="utf-8"))
    contract_raw = raw.get("contract")
    if isinstance(contract_raw, str):
        contract = CONTRACTS[contract_raw]
    elif not isinstance(contract_raw, dict):
        raise ValueError(f"{path}: contract: must be a built-in contract name or an object")
    else:
        # A spec file's own contract defaults to plain CSV (comma, empty NA).
        contract = Contract.from_dict({"separator": ",", "na_value": "", **contract_raw},
                                      where=f"{path}: contract")
    return DatasetSpec(
        name=raw.get("name", path.stem),
        contract=contract,
        categorical=tuple(raw.get("categorical", ())),
        special_codes=raw.get("special_codes", {}),
        monotonic=raw.get("monotonic", {}),
        exclude=raw.get("exclude", {}),
        reason_prefix=raw.get("reason_prefix", "R"),
        card_method=raw.get("card_method", DEFAULT_CARD_METHOD),
        final_fit=raw.get("final_fit", DEFAULT_FINAL_FIT),
        actionable=tuple(raw.get("actionable", ())),
        interactions=raw.get("interactions", DEFAULT_INTERACTIONS),
        plausible={str(k): (v[0], v[1]) for k, v in raw.get("plausible", {}).items()},
        master_scale=(ms if isinstance(ms := raw.get("master_scale", DEFAULT_MASTER_SCALE),
                                       str) else tuple(float(x) for x in ms)),
        missing_policy=raw.get("missing_policy", DEFAULT_MISSING_POLICY),
        min_bin_events=raw.get("min_bin_events", DEFAULT_MIN_BIN_EVENTS),
        category_match=raw.get("category_match", DEFAULT_CATEGORY_MATCH),
        protected=tuple(raw.get("protected", ())),
        protected_use=dict(raw.get("protected_use", {})),
        rounding={str(k): tuple(v) for k, v in raw.get("rounding", {}).items()},
    )
