"""The column contract of a tabular credit data set, as plain data.

One :class:`Column` per column states its kind, nullability, range and allowed values. The
pandera schema (:mod:`scorecard.data.schema`) and the API's request validation are both built from
these declarations, so the file contract and the HTTP contract cannot disagree.

This module depends only on the standard library: the serving image imports it without pandas.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args

_LARGEST_FLOAT_INT = int(sys.float_info.max)

Kind = Literal["id", "target", "numeric", "integer", "code", "category", "boolean"]
CsvFormat = Literal["int", "float", "text", "bool"]
KINDS: tuple[str, ...] = get_args(Kind)
CSV_FORMATS: tuple[str, ...] = get_args(CsvFormat)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _field_problem(name: str, v: object) -> str | None:
    """Why ``v`` cannot be the value of the :class:`Column` field ``name`` (``None``: it can)."""
    if name in ("name", "description"):
        return None if isinstance(v, str) else "must be a string"
    if name == "kind":
        return None if v in KINDS else f"{v!r} is not one of {list(KINDS)}"
    if name == "csv_format":
        return None if v in CSV_FORMATS else f"{v!r} is not one of {list(CSV_FORMATS)}"
    if name in ("nullable", "max_exclusive"):
        return None if isinstance(v, bool) else "must be true or false"
    if name in ("min", "max"):
        return None if v is None or _is_number(v) else "must be a number or null"
    if name == "allowed":
        if v is None:
            return None
        if not isinstance(v, list | tuple) or not all(
                isinstance(a, str) or _is_number(a) for a in v):
            return "must be a list of strings/numbers or null"
        return None
    return "is not a field of a column"


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Attributes:
        name: column name as in the file header.
        kind: ``id`` (unique text; a JSON request may send a number), ``target`` (0/1,
            missing = to predict), ``numeric`` (real), ``integer`` (whole numbers stored as
            int or float), ``code`` (numeric status code from a fixed set), ``category``
            (text from a fixed set), ``boolean`` (True/False).
        nullable: whether ``NA`` is allowed. Always true for the ``target``: a target is by
            definition missing on the rows to predict (set so by ``__post_init__``).
        min, max: inclusive bounds for numeric kinds; ``max_exclusive`` makes ``max`` open.
        allowed: the value set for ``code``, ``category`` and ``target`` kinds.
        csv_format: how the case's file writes the value: ``int`` (``3``), ``float`` (``3.0``),
            ``text`` or ``bool`` (``True``/``False``).
        description: plain-language meaning, used in reason texts and docs.
    """

    name: str
    kind: Kind
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    max_exclusive: bool = False
    allowed: tuple[str | int | float, ...] | None = None
    csv_format: CsvFormat = "float"
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind == "target" and not self.nullable:
            object.__setattr__(self, "nullable", True)

    def to_dict(self) -> dict[str, Any]:
        """Every field in declaration order, ``allowed`` as a list: the artifact's
        ``input_contract`` entry (JSON-ready)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "column") -> Column:
        """The column of a :meth:`to_dict` mapping; omitted fields keep their defaults.

        Raises ValueError naming ``where``, the field and the rule (unknown field, wrong
        type, unknown kind)."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: must be an object")
        label = f"{where} ({raw['name']})" if isinstance(raw.get("name"), str) else where
        for key in ("name", "kind"):
            if key not in raw:
                raise ValueError(f"{label}: missing field {key!r}")
        for key, value in raw.items():
            problem = _field_problem(key, value)
            if problem:
                raise ValueError(f"{label}.{key}: {problem}")
        allowed = raw.get("allowed")
        return cls(**{**raw, "allowed": None if allowed is None else tuple(allowed)})

    def check_value(self, value: object) -> str | None:
        """Return the broken rule for one scalar ``value`` (``None`` when it conforms).

        ``None`` stands for missing. Used by the API; :mod:`scorecard.data.schema` expresses the
        same rules as pandera checks, and a test proves the two agree.
        """
        if value is None:
            return None if self.nullable else "not_nullable: value is required"
        if self.kind == "id" and isinstance(value, int | float) and not isinstance(value, bool):
            # A file's id cell is text whatever it holds (``1`` included); a JSON client may
            # send a whole-number id as a number. It is only echoed, so any finite number is
            # the id it spells.
            return (None if isinstance(value, int) or math.isfinite(value)
                    else "finite: must be a finite number")
        if self.kind in ("id", "category"):
            if not isinstance(value, str):
                return ("dtype: must be a string or a number" if self.kind == "id"
                        else "dtype: must be a string")
            if self.kind == "category" and self.allowed is not None and value not in self.allowed:
                return f"isin: {value!r} is not an allowed category"
            if self.kind == "id" and not value:
                return "str_length: must not be empty"
            return None
        if self.kind == "boolean":
            return None if isinstance(value, bool) else "dtype: must be true or false"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "dtype: must be a number"
        # A JSON integer beyond the largest float would silently round to it: refuse it.
        if isinstance(value, int) and abs(value) > _LARGEST_FLOAT_INT:
            return "finite: must be a finite number"
        x = float(value)
        if x != x or x in (float("inf"), float("-inf")):
            return "finite: must be a finite number"
        if self.kind in ("integer", "code", "target") and not x.is_integer():
            return "integer: must be a whole number"
        if self.allowed is not None and x not in {float(a) for a in self.allowed}:
            return f"isin: {value!r} is not one of {list(self.allowed)}"
        if self.min is not None and x < self.min:
            return f"greater_than_or_equal_to: must be >= {self.min:g}"
        if self.max is not None:
            if self.max_exclusive and x >= self.max:
                return f"less_than: must be < {self.max:g}"
            if not self.max_exclusive and x > self.max:
                return f"less_than_or_equal_to: must be <= {self.max:g}"
        return None


@dataclass(frozen=True)
class Contract:
    """An ordered set of columns with one id and one target column."""

    name: str
    columns: tuple[Column, ...]
    id_column: str | None
    target: str
    separator: str = ";"
    na_value: str = "NA"
    # Target values, as written in the file, mapped to 0 (good) / 1 (bad).
    target_labels: dict[str, int] = field(default_factory=lambda: {"0": 0, "1": 1})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def features(self) -> list[Column]:
        return [c for c in self.columns if c.kind not in ("id", "target")]

    def for_header(self, header: list[str]) -> Contract:
        """The contract a file with ``header`` is read against, the same rule for every
        command: a file may leave out the target column, the normal shape of a file of new
        applicants, and then every row is a row to predict (the reader adds the column, all
        missing). Training still needs the column (``require_labelled``)."""
        if self.target in header or self.target not in self.names:
            return self
        return replace(self, columns=tuple(c for c in self.columns if c.name != self.target))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The contract as JSON-ready data (the inline ``contract`` of a spec file)."""
        return {"name": self.name, "id_column": self.id_column, "target": self.target,
                "separator": self.separator, "na_value": self.na_value,
                "target_labels": dict(self.target_labels),
                "columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "contract") -> Contract:
        """The contract of a :meth:`to_dict` mapping; ``separator``, ``na_value``,
        ``target_labels`` and ``id_column`` may be omitted (defaults). Raises ValueError
        naming ``where`` and the offending field."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: must be an object")
        unknown = sorted(set(raw) - {"name", "id_column", "target", "separator", "na_value",
                                     "target_labels", "columns"})
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {unknown}")
        for key in ("name", "target", "columns"):
            if key not in raw:
                raise ValueError(f"{where}: missing field {key!r}")
        raw_columns = raw["columns"]
        if not isinstance(raw_columns, list | tuple):
            raise ValueError(f"{where}.columns: must be a list of column objects")
        columns = tuple(Column.from_dict(c, f"{where}.columns[{i}]")
                        for i, c in enumerate(raw_columns))
        names = [c.name for c in columns]
        for key in ("id_column", "target"):
            value = raw.get(key)
            if value is not None and value not in names:
                raise ValueError(f"{where}.{key}: {value!r} is not one of its columns")
        labels = raw.get("target_labels", {"0": 0, "1": 1})
        if not isinstance(labels, Mapping) or not all(
                isinstance(k, str) and v in (0, 1) for k, v in labels.items()):
            raise ValueError(f"{where}.target_labels: must map file values to 0 or 1")
        for key in ("name", "separator", "na_value"):
            if key in raw and not isinstance(raw[key], str):
                raise ValueError(f"{where}.{key}: must be a string")
        return cls(name=raw["name"], columns=columns, id_column=raw.get("id_column"),
                   target=raw["target"], separator=raw.get("separator", ";"),
                   na_value=raw.get("na_value", "NA"), target_labels=dict(labels))


ACCOUNT_STATUS = (1, 2, 3, 4)
ARCHIVED_STATUS = (0, 1, 2, 3, 4, 5)

MERCHANT_CATEGORIES: dict[str, str] = {
    "Automotive Parts & Accessories": "Automotive Products",
    "Wheels & Tires": "Automotive Products",
    "Children Clothes & Nurturing products": "Children Products",
    "Children toys": "Children Products",
    "Diversified children products": "Children Products",
    "Adult Shoes & Clothing": "Clothing & Shoes",
    "General Shoes & Clothing": "Clothing & Shoes",
    "Underwear": "Clothing & Shoes",
    "Youthful Shoes & Clothing": "Clothing & Shoes",
    "Car electronics": "Electronics",
    "Diversified electronics": "Electronics",
    "Electronic equipment & Related accessories": "Electronics",
    "Household electronics (whitegoods/appliances)": "Electronics",
    "Office machines & Related accessories (excl. computers)": "Electronics",
    "Books & Magazines": "Entertainment",
    "Diversified entertainment": "Entertainment",
    "Music & Movies": "Entertainment",
    "Video Games & Related accessories": "Entertainment",
    "Diversified erotic material": "Erotic Materials",
    "Erotic Clothing & Accessories": "Erotic Materials",
    "Sex toys": "Erotic Materials",
    "Food & Beverage": "Food & Beverage",
    "Tobacco": "Food & Beverage",
    "Wine, Beer & Liquor": "Food & Beverage",
    "Body & Hair Care": "Health & Beauty",
    "Cosmetics": "Health & Beauty",
    "Dietary supplements": "Health & Beauty",
    "Diversified Health & Beauty products": "Health & Beauty",
    "Fragrances": "Health & Beauty",
    "Personal care & Body improvement": "Health & Beauty",
    "Pharmaceutical products": "Health & Beauty",
    "Prescription optics": "Health & Beauty",
    "Cleaning & Sanitary": "Home & Garden",
    "Decoration & Art": "Home & Garden",
    "Diversified Home & Garden products": "Home & Garden",
    "Furniture": "Home & Garden",
    "Kitchenware": "Home & Garden",
    "Pet supplies": "Home & Garden",
    "Plants & Flowers": "Home & Garden",
    "Safety products": "Home & Garden",
    "Tools & Home improvement": "Home & Garden",
    "Dating services": "Intangible products",
    "Digital services": "Intangible products",
    "Education": "Intangible products",
    "Event tickets": "Intangible products",
    "Travel services": "Intangible products",
    "Bags & Wallets": "Jewelry & Accessories",
    "Diversified Jewelry & Accessories": "Jewelry & Accessories",
    "Jewelry & Watches": "Jewelry & Accessories",
    "Non": "Jewelry & Accessories",
    "Collectibles": "Leisure, Sport & Hobby",
    "Concept stores & Miscellaneous": "Leisure, Sport & Hobby",
    "Costumes & Party supplies": "Leisure, Sport & Hobby",
    "Hobby articles": "Leisure, Sport & Hobby",
    "Musical Instruments & Equipment": "Leisure, Sport & Hobby",
    "Prints & Photos": "Leisure, Sport & Hobby",
    "Sports gear & Outdoor": "Leisure, Sport & Hobby",
}
MERCHANT_GROUPS = tuple(sorted(set(MERCHANT_CATEGORIES.values())))
NAME_IN_EMAIL = ("F", "F+L", "F1+L", "Initials", "L", "L1+F", "Nick", "no_match")


def _amount(name: str, description: str, fmt: CsvFormat = "int",
            nullable: bool = False) -> Column:
    return Column(name, "numeric", nullable, min=0, csv_format=fmt, description=description)


def _count(name: str, description: str, fmt: CsvFormat = "int",
           nullable: bool = False) -> Column:
    return Column(name, "integer", nullable, min=0, csv_format=fmt, description=description)


def _days(name: str, description: str) -> Column:
    return Column(name, "integer", True, min=0, max=366, csv_format="float",
                  description=description)


def _acc_status(name: str, description: str, nullable: bool = True) -> Column:
    return Column(name, "code", nullable, allowed=ACCOUNT_STATUS, csv_format="float",
                  description=description)


def _arch_status(name: str, description: str) -> Column:
    return Column(name, "code", False, allowed=ARCHIVED_STATUS, csv_format="int",
                  description=description)


KLARNA_COLUMNS: tuple[Column, ...] = (
    Column("uuid", "id", csv_format="text", description="applicant identifier"),
    Column("default", "target", True, allowed=(0, 1), csv_format="int",
           description="1 = defaulted, 0 = repaid, NA = to predict"),
    _amount("account_amount_added_12_24m", "amount added to the account 12-24 months ago"),
    _days("account_days_in_dc_12_24m", "days the account was in debt collection 12-24 months ago"),
    _days("account_days_in_rem_12_24m", "days the account was in reminder 12-24 months ago"),
    _days("account_days_in_term_12_24m", "days the account was in termination 12-24 months ago"),
    _amount("account_incoming_debt_vs_paid_0_24m", "incoming debt relative to paid, last 24 months",
            "float", nullable=True),
    _acc_status("account_status", "current account status"),
    _acc_status("account_worst_status_0_3m", "worst account status, last 3 months"),
    _acc_status("account_worst_status_12_24m", "worst account status, 12-24 months ago"),
    _acc_status("account_worst_status_3_6m", "worst account status, 3-6 months ago"),
    _acc_status("account_worst_status_6_12m", "worst account status, 6-12 months ago"),
    Column("age", "integer", False, min=18, max=100, csv_format="int",
           description="applicant age in years"),
    Column("avg_payment_span_0_12m", "numeric", True, min=0, csv_format="float",
           description="average days to pay an invoice, last 12 months"),
    Column("avg_payment_span_0_3m", "numeric", True, min=0, csv_format="float",
           description="average days to pay an invoice, last 3 months"),
    Column("merchant_category", "category", False, allowed=tuple(MERCHANT_CATEGORIES),
           csv_format="text", description="merchant category of the purchase"),
    Column("merchant_group", "category", False, allowed=MERCHANT_GROUPS, csv_format="text",
           description="merchant group of the purchase"),
    Column("has_paid", "boolean", False, csv_format="bool",
           description="whether the applicant has paid before"),
    _amount("max_paid_inv_0_12m", "largest paid invoice, last 12 months", "float"),
    _amount("max_paid_inv_0_24m", "largest paid invoice, last 24 months", "float"),
    Column("name_in_email", "category", False, allowed=NAME_IN_EMAIL, csv_format="text",
           description="how the applicant's name appears in the e-mail address"),
    Column("num_active_div_by_paid_inv_0_12m", "numeric", True, min=0, csv_format="float",
           description="active invoices per paid invoice, last 12 months"),
    _count("num_active_inv", "number of active invoices"),
    _count("num_arch_dc_0_12m", "archived invoices in debt collection, last 12 months"),
    _count("num_arch_dc_12_24m", "archived invoices in debt collection, 12-24 months ago"),
    _count("num_arch_ok_0_12m", "archived invoices paid without issue, last 12 months"),
    _count("num_arch_ok_12_24m", "archived invoices paid without issue, 12-24 months ago"),
    _count("num_arch_rem_0_12m", "archived invoices that needed a reminder, last 12 months"),
    _count("num_arch_written_off_0_12m", "archived invoices written off, last 12 months",
           "float", nullable=True),
    _count("num_arch_written_off_12_24m", "archived invoices written off, 12-24 months ago",
           "float", nullable=True),
    _count("num_unpaid_bills", "number of unpaid bills"),
    _arch_status("status_last_archived_0_24m", "status of the last archived invoice"),
    _arch_status("status_2nd_last_archived_0_24m", "status of the 2nd last archived invoice"),
    _arch_status("status_3rd_last_archived_0_24m", "status of the 3rd last archived invoice"),
    _arch_status("status_max_archived_0_6_months", "worst archived status, last 6 months"),
    _arch_status("status_max_archived_0_12_months", "worst archived status, last 12 months"),
    _arch_status("status_max_archived_0_24_months", "worst archived status, last 24 months"),
    _amount("recovery_debt", "debt in recovery"),
    _amount("sum_capital_paid_account_0_12m", "capital paid on the account, last 12 months"),
    _amount("sum_capital_paid_account_12_24m", "capital paid on the account, 12-24 months ago"),
    _amount("sum_paid_inv_0_12m", "sum of paid invoices, last 12 months"),
    Column("time_hours", "numeric", False, min=0, max=24, max_exclusive=True, csv_format="float",
           description="hour of day of the purchase"),
    _acc_status("worst_status_active_inv", "worst status of the active invoices"),
)

KLARNA = Contract(name="klarna", columns=KLARNA_COLUMNS, id_column="uuid", target="default")

# FICO HELOC: -9 no record, -8 no usable trades, -7 condition not met are codes, not magnitudes.
HELOC_SPECIAL_CODES = (-9, -8, -7)
_HELOC_FEATURES: tuple[tuple[str, str], ...] = (
    ("ExternalRiskEstimate", "consolidated external risk estimate"),
    ("MSinceOldestTradeOpen", "months since oldest trade opened"),
    ("MSinceMostRecentTradeOpen", "months since most recent trade opened"),
    ("AverageMInFile", "average months in file"),
    ("NumSatisfactoryTrades", "number of satisfactory trades"),
    ("NumTrades60Ever2DerogPubRec", "trades 60+ days delinquent or derogatory"),
    ("NumTrades90Ever2DerogPubRec", "trades 90+ days delinquent or derogatory"),
    ("PercentTradesNeverDelq", "percent of trades never delinquent"),
    ("MSinceMostRecentDelq", "months since most recent delinquency"),
    ("MaxDelq2PublicRecLast12M", "worst delinquency or public record, last 12 months"),
    ("MaxDelqEver", "worst delinquency ever"),
    ("NumTotalTrades", "total number of trades"),
    ("NumTradesOpeninLast12M", "trades opened in the last 12 months"),
    ("PercentInstallTrades", "percent of installment trades"),
    ("MSinceMostRecentInqexcl7days", "months since most recent inquiry (excl. last 7 days)"),
    ("NumInqLast6M", "inquiries in the last 6 months"),
    ("NumInqLast6Mexcl7days", "inquiries in the last 6 months (excl. last 7 days)"),
    ("NetFractionRevolvingBurden", "revolving balance over credit limit, percent"),
    ("NetFractionInstallBurden", "installment balance over original loan, percent"),
    ("NumRevolvingTradesWBalance", "revolving trades with a balance"),
    ("NumInstallTradesWBalance", "installment trades with a balance"),
    ("NumBank2NatlTradesWHighUtilization", "bank/national trades with high utilization"),
    ("PercentTradesWBalance", "percent of trades with a balance"),
)

HELOC = Contract(
    name="heloc",
    columns=(
        Column("RiskPerformance", "target", True, allowed=("Good", "Bad"), csv_format="text",
               description="Bad = 90+ days past due within 24 months"),
        *(Column(n, "integer", False, min=-9, csv_format="int", description=d)
          for n, d in _HELOC_FEATURES),
    ),
    id_column=None,
    target="RiskPerformance",
    separator=",",
    na_value="",
    target_labels={"Good": 0, "Bad": 1},
)

CONTRACTS: dict[str, Contract] = {"klarna": KLARNA, "heloc": HELOC}
