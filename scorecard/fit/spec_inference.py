"""Infer a data set's spec from a CSV file: from any credit file to a spec a human reviews.

:func:`infer_spec` reads a delimited text file and proposes a :class:`~scorecard.fit.spec.
DatasetSpec` (an inline contract plus the modelling choices) together with a review list
that says what was guessed and why, and what a human must confirm. The rules, in order:

* **Format.** The separator is the one of ``, ; TAB |`` that splits the header and the first
  rows into the same number of fields (most fields wins); the missing-value token is the most
  frequent of ``NA``, ``""``, ``NaN``, ``null``, ``NULL``, ``N/A``, ``?`` in the sample (``NA``
  when none occurs and the separator is ``;``, else the empty string).
* **Target.** ``--target`` if given; else the one two-valued column named exactly like a
  target (``default``, ``target``, ``bad``, ``label``, ``y``, ``class``, ``outcome``,
  ``flag``); else the only two-valued column; else refused (exit 2) with the candidates
  named: a guess among several two-valued columns can make a feature the target and keep
  the real target as a feature. The bad class (1) is the
  value that reads as bad (``1``, ``bad``, ``yes``, ``y``, ``true``, ``default``, ``b``, or
  ``2`` against ``1``), else the minority value.
* **Id.** ``--id`` if given; else a column named like an id (``id``, ``uuid``, ``*_id``, an
  unnamed first column) whose values are unique and present in every row.
* **Kinds.** ``True``/``False`` text is ``boolean``; text that parses as numbers is
  ``integer`` (all whole) or ``numeric``; other text is ``category`` when it has at most
  :data:`MAX_CATEGORIES` distinct values and at most :data:`MAX_CATEGORY_SHARE` of its
  present rows, else excluded (free text or an identifier).
  Constant columns are excluded.
* **Special codes.** In a numeric column whose values are otherwise non-negative, each
  negative whole value that occurs is a code, not a magnitude (for example FICO's ``-9 -8
  -7``), when there are at most :data:`MAX_SPECIAL_CODES` of them and at least
  :data:`MIN_MAGNITUDES` distinct non-negative values; and a value of nines (``99``,
  ``999``, ``9999``, ...) that is more than ten times the 99th percentile of the other
  values is one too.
* **Coded categories.** A whole-number column with at least 3 and at most
  :data:`MAX_CODE_VALUES` distinct values (special codes aside), all within
  ``-MAX_CODE..MAX_CODE``, may be codes rather than magnitudes (an education code 1..6, a
  region number). It is proposed as a ``category`` (its codes become labels; no trend, no
  special codes) when its name says it is a code (:data:`_CODE_WORDS`: ``education``,
  ``type``, ``code``, ``sector``, ...; then with up to :data:`MAX_NAMED_CODE_VALUES`
  distinct values of any size, such as two-digit industry sectors) or when its default
  rate is not monotone over the
  values (a significant rise and a significant fall between neighbouring values, each of
  at least :data:`MIN_CODE_ROWS` labelled rows, at 2 standard errors); otherwise it stays
  numeric (counts or ordered levels, with any negative special codes apart). Either way the
  review says which and why, and the reviewer confirms it.
* **Implausible magnitudes.** A column named as an age in years (a word ``age``, a median
  within :data:`AGE_RANGE`) is bounded to that natural range in the contract (the API
  refuses an age of 200); when the file itself holds ages outside it, the range becomes the
  column's ``plausible`` range instead, so the spec still reads the file it came from and
  those values are binned apart (:mod:`scorecard.fit.binning`). Every other numeric column
  gets a ``plausible`` range an order of magnitude past its own tails
  (:data:`TAIL_FACTOR`), and a duration of a life (tenure, employment length: by its name)
  at most :data:`LIFETIME_YEARS` years, unless more than :data:`MAX_IMPLAUSIBLE_SHARE` of
  its values exceed that (its unit is then another: an account's length in days). A
  duration longer than the applicant's age is flagged likewise. Implausible values are
  counted by ``check``, never refused, and listed for review.
* **Ratios of other columns.** A numeric column that is another's ratio to a third (or a
  hundred times it), to one unit of its own last decimal, in at least
  :data:`MIN_RATIO_SHARE` of the rows where all three are present (a loan's share of
  income, a loan-to-value; zeros aside, and only a column fine for its size: its unit at
  most :data:`RATIO_PRECISION` of its median) is named as derived, and the rows where it
  is not are listed
  with their default rate against the file's: such rows were made another way (a data
  fault), and when their default rate stands apart they carry the outcome into the
  data (a leak a tree ensemble exploits, through the three columns together, and a card
  cannot), for a human to look at. Screened on the first :data:`RATIO_SCREEN_ROWS` rows,
  confirmed on all; at most :data:`MAX_RATIO_COLUMNS` numeric columns take part.
* **Heaped values.** In a numeric column, a value that holds at least
  :data:`MIN_HEAP_SHARE` of the labelled rows (special codes aside), at least
  :data:`HEAP_FACTOR` times as many as an average value around it, and whose default rate
  stands apart, in the same direction, from both the :data:`HEAP_WINDOW` share of the rows
  just below it and as many just above it (at :data:`HEAP_Z` standard errors each) is a
  heap: a stated income of round thousands, say, recorded or chosen otherwise than its
  neighbours. A smooth trend through it cannot score it, so it becomes a special code (a
  bin of its own, ``heap 54000``) whose own rows set its points, and the review names it
  with the three default rates, for a human to say how the column was recorded. A value at
  either end (no rows on one side) is a bin's edge, not a heap.
* **Rounded values.** In a whole-number column (special codes and heaps aside), the
  multiples of a round step (10, 20, 50, 100, ..., or 3, 6, 12, 24, 60, ... for terms in
  months, up to the median magnitude over :data:`ROUNDING_MAGNITUDES`) may default apart
  from the other values of the same size: a round income stated, an exact one read off a
  payslip, a term of whole years against one cut short. Compared within
  :data:`ROUNDING_BANDS` bands of equal rows (Mantel-Haenszel, so a column whose round
  values are merely larger is not a finding), the step that stands most apart, at
  :data:`HEAP_Z` standard errors and a common odds ratio beyond :data:`ROUNDING_ODDS`, is
  named in the review with both default rates. Bins of magnitude cannot score it, so the
  spec's ``rounding`` gives the column a characteristic of how round its values are (that
  step and every coarser one, :mod:`scorecard.card.derived`), and the confirm list asks how
  the column was recorded.
* **Margins (documented policy).** A bound is declared only at a natural limit the data sit
  against, never at the observed extreme, so the rows to predict are not refused for a new
  maximum: ``min`` is 0 for non-negative columns (or the smallest special code), there is no
  ``max``. Categories are open (an unseen category is scored in the card's unseen bin) and
  every feature is nullable (the card has a missing bin); the review lists what was seen.
* **Actionable.** The numeric and boolean features named for conduct an applicant can
  change (payments, bills and balances, utilisation, inquiries, delinquencies), never one
  whose name has a word of age, a protected attribute, place, time, a lender's setting or
  time that only passes: the only characteristics a counterfactual may propose changing,
  proposed for review.
* **Trend.** A monotone direction is proposed only where the data show one clearly: the
  Spearman correlation of the values with the target, on the labelled rows outside special
  codes and heaps, is at least :data:`CLEAR_TREND` in absolute value and has the same sign
  on both halves of the rows, and the default rate over :data:`TREND_BANDS` bands of equal
  rows nowhere turns back against it by :data:`HEAP_Z` standard errors (a rate that rises
  with a loan's vintage, then falls again, is no trend to impose: the review says where
  it turns, and the column's trend is ``null``, no constraint, so its bins follow a peak
  or a valley rather than force one direction); otherwise the binning detects a direction.
* **Protected attributes.** A column that looks like age, sex or gender, marital status,
  nationality, religion, race or ethnicity, disability or pregnancy, by its name or (for
  categories) its values (:func:`scorecard.fit.protected.looks_protected`), is listed under
  ``protected``: kept out of the card and tested by ``scorecard fairness``, for a human to
  confirm.

Deterministic: the same file gives the same spec, byte for byte.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scorecard.card.derived import rounding_name
from scorecard.data.errors import ContractError
from scorecard.errors import UsageError
from scorecard.fit.protected import looks_protected
from scorecard.fit.spec import (
    DEFAULT_CATEGORY_MATCH,
    DEFAULT_FINAL_FIT,
    DEFAULT_MIN_BIN_EVENTS,
    DEFAULT_MISSING_POLICY,
)

SEPARATORS = (",", ";", "\t", "|")
NA_TOKENS = ("NA", "", "NaN", "null", "NULL", "N/A", "?")
MAX_CATEGORIES = 200
MAX_CATEGORY_SHARE = 0.5  # distinct values per present row above which text is free text
MAX_SPECIAL_CODES = 5
MIN_MAGNITUDES = 3  # distinct non-negative values a column needs for negatives to be codes
# A whole-number column of few distinct small values may be codes (see the module docstring).
MAX_CODE_VALUES = 12
MAX_CODE = 99
# A column named as a code (an industry sector, a region number) is one at any magnitude and
# with more values than an unnamed one needs to be taken for codes.
MAX_NAMED_CODE_VALUES = 60
MIN_CODE_ROWS = 30  # labelled rows a value needs to count in the monotone-rate test
CLEAR_TREND = 0.10
TREND_BANDS = 10  # bands of equal rows in which a proposed trend may not turn back
SNIFF_ROWS = 200
# Implausible magnitudes: beyond TAIL_FACTOR times the 99th percentile (1st for negative
# values) of the column's own values, i.e. an order of magnitude past its tail.
TAIL_FACTOR = 10.0
AGE_RANGE = (18, 120)  # years: the natural range of an applicant's age (a hard bound)
LIFETIME_YEARS = 100  # a duration (tenure, employment length) longer than this is implausible
# Implausible values are data errors, rare by definition: a bound that more of a column's
# values break than this share says the unit is not the one its name suggests.
MAX_IMPLAUSIBLE_SHARE = 0.05
# Ratios of other columns (see the module docstring).
MIN_RATIO_SHARE = 0.9
RATIO_SCREEN_ROWS = 1000
MAX_RATIO_COLUMNS = 60
RATIO_PRECISION = 0.1  # a ratio column's unit at most this share of its median magnitude
MIN_HEAP_SHARE = 0.002  # of the labelled rows, in a heaped value
HEAPS_REVIEWED = 5  # the busiest heaps of a column the review line gives figures for
HEAP_FACTOR = 5.0  # a heap's rows against an average value's in its windows
HEAP_WINDOW = 0.05  # of the labelled rows, on each side of a heap, its neighbours
HEAP_Z = 4.0  # standard errors between a heap's default rate and each side's
# Rounded values (see the module docstring): a whole-number column's multiples of a round
# step, compared with the rest within ROUNDING_BANDS bands of equal rows.
ROUNDING_BANDS = 10
ROUNDING_MIN_ROWS = 1000  # labelled rows (heaps and special codes aside) the test needs
ROUNDING_MIN_SHARE = 0.05  # of those rows, in the multiples and in the rest
ROUNDING_ODDS = 1.5  # the common odds ratio of default (or its inverse) a finding needs
ROUNDING_MAGNITUDES = 5  # a step at most the column's median magnitude over this
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_EXACT_TARGET_NAMES = re.compile(r"default|target|bad|label|y|class|outcome|flag",
                                 re.IGNORECASE)
# Conduct an applicant can change: paying, balances and bills, utilisation and burden,
# inquiries, delinquencies. Matched in the lower-cased name.
_ACTIONABLE_WORDS = re.compile(r"pay|paid|bill|bal|debt|owed|util|burden|revolv|inq|enquir|"
                               r"delinq|delq|dpd|late|overdue|arrear|past_?due|unpaid|dunning|"
                               r"collection|written_?off|_dc_|_rem_|status|_inv_|invoice",
                               re.IGNORECASE)
# Never proposed, whatever else the name says: who the applicant is (age and protected
# attributes), where and when they apply, what the lender sets, and time that only passes.
# Matched as whole words of the name (``person_age``, ``PersonAge``; not ``average``).
_NEVER_ACTIONABLE = frozenset((
    "age", "sex", "gender", "marital", "married", "marriage", "nationality", "national",
    "citizen", "citizenship", "race", "ethnic", "ethnicity", "religion", "birth", "dob",
    "disability", "pregnant", "children", "dependents", "time", "hour", "hours", "day",
    "weekday", "region", "zip", "postcode", "city", "country", "email", "name", "merchant",
    "limit", "since", "ever", "tenure", "oldest", "years", "yrs", "emp", "employment", "length",
    "grade", "rate", "intent", "purpose", "home", "ownership", "education"))
# Words of a column name that say its numbers are codes, not magnitudes.
_CODE_WORDS = frozenset((
    "code", "codes", "type", "kind", "category", "cat", "class", "education", "edu",
    "marital", "region", "district", "sector", "industry", "occupation", "job", "purpose",
    "segment", "channel", "product", "housing", "ownership"))
_ID_NAMES = re.compile(r"^(id|uuid|key|index|unnamed: ?0|)$|_id$|^id_", re.IGNORECASE)
_BAD_WORDS = {"1", "bad", "yes", "y", "true", "default", "defaulted", "b", "1.0",
              "charged off", "delinquent"}
_GOOD_WORDS = {"0", "good", "no", "n", "false", "g", "0.0", "fully paid", "current"}


class SpecInferenceError(ContractError):
    """The file cannot be turned into a spec (no binary target, no usable column, ...)."""


class TargetChoiceError(UsageError):
    """The target cannot be chosen without ``--target`` (none or several candidates), or
    the named one is absent: a usage error (exit 2), not bad data."""


@dataclass
class InferredSpec:
    """The proposed spec (``spec``: the JSON object :func:`~scorecard.fit.spec.load_spec`
    reads) and the review list (``review``: one line per guess, ``confirm``: what a human
    must check)."""

    spec: dict[str, Any]
    review: list[str] = field(default_factory=list)
    confirm: list[str] = field(default_factory=list)


def _sniff(text: str) -> str:
    lines = [ln for ln in text.splitlines()[: SNIFF_ROWS + 1] if ln.strip()]
    if not lines:
        raise SpecInferenceError("empty_file: the file has no header row")
    best, best_fields = None, 1
    for sep in SEPARATORS:
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        if counts[0] > best_fields and all(c == counts[0] for c in counts):
            best, best_fields = sep, counts[0]
    if best is None:
        raise SpecInferenceError("separator: no separator of , ; TAB | splits the header and "
                                 "the first rows into the same number (>= 2) of fields")
    return best


def _na_token(frame: pd.DataFrame, sep: str) -> str:
    counts: Counter[str] = Counter()
    for token in NA_TOKENS:
        counts[token] = int((frame == token).to_numpy().sum())
    token, n = max(counts.items(), key=lambda kv: (kv[1], -NA_TOKENS.index(kv[0])))
    if n == 0:
        return "NA" if sep == ";" else ""
    return token


def _numbers(values: pd.Series) -> pd.Series | None:
    """The column as floats, or ``None`` if some present cell is not a number."""
    parsed = pd.to_numeric(values, errors="coerce")
    if parsed.notna().sum() != len(values):
        return None
    parsed = parsed.astype(float)
    return parsed if np.isfinite(parsed.to_numpy()).all() else None


def _bad_label(labels: list[str], counts: Counter) -> tuple[str, str]:
    """``(bad, why)`` among the two target labels."""
    low = {lab: lab.strip().lower() for lab in labels}
    bad = [lab for lab in labels if low[lab] in _BAD_WORDS]
    good = [lab for lab in labels if low[lab] in _GOOD_WORDS]
    if len(bad) == 1 and (len(good) == 1 or len(labels) == 2):
        return bad[0], f"{bad[0]!r} reads as the bad outcome"
    if sorted(low.values()) == ["1", "2"]:
        two = next(lab for lab in labels if low[lab] == "2")
        return two, "coded 1/2: 2 is taken as bad (as in the German credit data)"
    minority = min(labels, key=lambda lab: (counts[lab], lab))
    return minority, f"{minority!r} is the minority class ({counts[minority]} rows)"


def _pick_target(frame: pd.DataFrame, na: str, target: str | None) -> tuple[str, str]:
    """``(target, why)``: the named column, the one two-valued column named exactly like a
    target, or the only two-valued column; several candidates and no clear name are
    refused with the candidates named (a guess would make a feature the target)."""
    if target is not None:
        if target not in frame.columns:
            raise TargetChoiceError(f"target: no column {target!r} in the file (columns: "
                                    f"{', '.join(map(str, frame.columns[:20]))})")
        return target, "named with --target"
    binary = [str(c) for c in frame.columns
              if frame[c][frame[c] != na].nunique() == 2]
    exact = [c for c in binary if _EXACT_TARGET_NAMES.fullmatch(c)]
    if len(exact) == 1:
        return exact[0], "the only two-valued column named exactly like a target"
    if len(binary) == 1:
        return binary[0], "the only two-valued column"
    if len(binary) > 1:
        shown = ", ".join(binary[:20]) + (" ..." if len(binary) > 20 else "")
        raise TargetChoiceError(
            f"target: {len(binary)} two-valued columns could be the target ({shown}); "
            "name it with --target COLUMN")
    looks = [str(c) for c in frame.columns if _EXACT_TARGET_NAMES.fullmatch(str(c))]
    if looks:
        return looks[0], "named as a target"  # infer_spec says why it cannot be one
    raise TargetChoiceError(
        "target: no binary target column found (no column has exactly two values); "
        "name it with --target COLUMN")


def _pick_id(frame: pd.DataFrame, na: str, id_column: str | None, target: str) -> str | None:
    if id_column is not None:
        if id_column not in frame.columns:
            raise SpecInferenceError(f"id: no column {id_column!r} in the file")
        return id_column
    for c in frame.columns:
        if c == target or not _ID_NAMES.search(str(c)):
            continue
        values = frame[c]
        if (values != na).all() and values.is_unique:
            return str(c)
    return None


def _special_codes(x: np.ndarray) -> list[float]:
    """Sentinel values that sit apart from the distribution (see the module docstring)."""
    codes: list[float] = []
    negatives = np.unique(x[x < 0])
    if 0 < len(negatives) <= MAX_SPECIAL_CODES and len(np.unique(x[x >= 0])) >= MIN_MAGNITUDES:
        codes.extend(float(v) for v in negatives if float(v).is_integer())
    rest = x[~np.isin(x, codes)]
    if len(rest):
        p99 = float(np.quantile(rest, 0.99))
        for v in np.unique(rest):
            if v >= 9 and re.fullmatch(r"9+", f"{v:.0f}") and float(v).is_integer() \
                    and v > 10 * max(p99, 1.0) - 1e-9 and p99 < v:
                codes.append(float(v))
    return sorted(codes)


def _heaps(x: np.ndarray, y: np.ndarray) -> list[tuple[float, int, float, float, float]]:
    """The heaped values of ``x`` (see the module docstring), ascending, each as ``(value,
    rows, default rate, rate just below, rate just above)``; ``x``, ``y``: the labelled
    values outside special codes and their 0/1 target."""
    n = len(x)
    window = int(HEAP_WINDOW * n)
    if window < MIN_CODE_ROWS:
        return []
    order = np.argsort(x, kind="stable")
    xs, events = x[order], np.concatenate([[0.0], np.cumsum(y[order])])
    values, starts, counts = np.unique(xs, return_index=True, return_counts=True)
    out = []
    for i in np.flatnonzero(counts >= max(MIN_HEAP_SHARE * n, MIN_CODE_ROWS)):
        lo, start, end = starts[i] - window, starts[i], starts[i] + counts[i]
        hi = end + window
        if lo < 0 or hi > n:
            continue
        # The distinct values around it: those whose first row lies in the two windows
        # (itself among them, so a lone busy value is still counted against one).
        around = np.searchsorted(starts, hi) - np.searchsorted(starts, lo, side="right")
        if counts[i] < HEAP_FACTOR * 2 * window / max(int(around), 1):
            continue
        rate = (events[end] - events[start]) / counts[i]
        sides = [(events[start] - events[lo]) / window, (events[hi] - events[end]) / window]
        z = []
        for side in sides:
            pooled = (rate * counts[i] + side * window) / (counts[i] + window)
            se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / counts[i] + 1 / window))
            z.append((rate - side) / se)
        if min(z) >= HEAP_Z or max(z) <= -HEAP_Z:
            out.append((float(values[i]), int(counts[i]), float(rate), float(sides[0]),
                        float(sides[1])))
    return out


def _steps(x: np.ndarray) -> list[list[int]]:
    """Round steps of at most the median magnitude of ``x`` over :data:`ROUNDING_MAGNITUDES`
    (a coarser step only sorts values by their size), ascending, one list per family: the
    decimal steps (10, 20, 50, 100, ...) and the calendar ones (3, 6, 12, 24, 60, 120, ...:
    quarters and years of a term counted in months)."""
    nonzero = np.abs(x[x != 0])
    top = float(np.median(nonzero)) / ROUNDING_MAGNITUDES if nonzero.size else 0.0
    decimal = [m for k in range(1, 16) for m in (10**k, 2 * 10**k, 5 * 10**k)]
    calendar = [3, 6, *(12 * m for k in range(15) for m in (10**k, 2 * 10**k, 5 * 10**k))]
    return [[m for m in family if m <= top] for family in (decimal, calendar)]


def _rounding(x: np.ndarray, y: np.ndarray,
              ) -> tuple[list[int], float, float, float, float] | None:
    """The round step whose multiples default most apart from the rest of ``x`` at the same
    magnitude (see the module docstring), as ``(steps, share of rows, their default rate,
    the rest's, z)``, or None: ``steps`` is that step and every coarser one of its family,
    descending; ``x``, ``y``: the labelled whole values outside special codes and heaps,
    and their 0/1 target.

    Mantel-Haenszel over :data:`ROUNDING_BANDS` bands of equal rows: within each band the
    multiples' defaults against their expectation at the band's rate, summed, over the sum
    of their hypergeometric variances; a finding needs ``|z|`` of :data:`HEAP_Z` and a
    common odds ratio beyond :data:`ROUNDING_ODDS` either way (a large file makes a small
    difference significant, not worth a reviewer's question). Of the steps found, the
    coarsest within one standard error of the strongest is named."""
    n = len(x)
    if n < ROUNDING_MIN_ROWS:
        return None
    band = np.empty(n, dtype=np.int64)
    band[np.argsort(x, kind="stable")] = np.arange(n) * ROUNDING_BANDS // n
    # per band: rows and defaults; per step below, the multiples and their defaults
    rows = np.bincount(band, minlength=ROUNDING_BANDS).astype(float)
    bad = np.bincount(band, weights=y, minlength=ROUNDING_BANDS)
    found = []
    for family, step in ((f, m) for f in _steps(x) for m in f):
        r = (x % step == 0) & (x != 0)
        if not ROUNDING_MIN_SHARE <= r.mean() <= 1 - ROUNDING_MIN_SHARE:
            continue
        mult = np.bincount(band, weights=r, minlength=ROUNDING_BANDS)
        bad_mult = np.bincount(band, weights=y * r, minlength=ROUNDING_BANDS)
        excess = float(np.sum(bad_mult - mult * bad / rows))
        var = float(np.sum(mult * (rows - mult) * bad * (rows - bad) / (rows**2 * (rows - 1))))
        # Mantel-Haenszel's common odds ratio: multiples against the rest
        good_rest = (rows - mult) - (bad - bad_mult)
        odds = (float(np.sum(bad_mult * good_rest / rows))
                / max(float(np.sum((mult - bad_mult) * (bad - bad_mult) / rows)), 1e-12))
        z = excess / math.sqrt(var) if var > 0 else 0.0
        if abs(z) >= HEAP_Z and not 1 / ROUNDING_ODDS < odds < ROUNDING_ODDS:
            found.append(([m for m in reversed(family) if m >= step], float(r.mean()),
                          float(y[r].mean()), float(y[~r].mean()), z))
    if not found:
        return None
    # The coarsest step within one standard error of the strongest: the multiples of 500
    # are those of 1000 and a few more, as strong by chance when the thousands are the
    # finding.
    strongest = max(abs(f[4]) for f in found)
    return max((f for f in found if abs(f[4]) >= strongest - 1), key=lambda f: f[0][-1])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 20 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    r = np.corrcoef(rx, ry)[0, 1]
    return 0.0 if not math.isfinite(r) else float(r)


def _trend(x: np.ndarray, y: np.ndarray) -> tuple[str | None, float, str | None]:
    """A monotone direction of the default rate in ``x`` when it is clear, else ``None``;
    the Spearman correlation; and where the rate turns against the correlation's sign
    (:func:`_turn`), which keeps a direction from being proposed."""
    rho = _spearman(x, y)
    half = len(x) // 2
    a, b = _spearman(x[:half], y[:half]), _spearman(x[half:], y[half:])
    turn = _turn(x, y, 1 if rho > 0 else -1) if rho else None
    if abs(rho) >= CLEAR_TREND and np.sign(a) == np.sign(b) == np.sign(rho) and turn is None:
        return ("ascending" if rho > 0 else "descending"), rho, None
    return None, rho, turn


def _turn(x: np.ndarray, y: np.ndarray, sign: int) -> str | None:
    """Where the default rate over :data:`TREND_BANDS` bands of equal rows of ``x`` (sorted)
    runs against ``sign`` (+1: rising) by :data:`HEAP_Z` standard errors, between the two
    bands that do so most (a rate that rises, then falls back, as loans of one vintage
    default most), e.g. ``"falls from 37.0% (2005 .. 2007) to 13.1% (2009 .. 2014)"``;
    ``None`` when it does not."""
    n = len(x)
    if n < TREND_BANDS * MIN_CODE_ROWS:
        return None
    xs = np.sort(x)
    # a value's rows all in the band of its first row: ties are never split (the rows of
    # one value in file order may differ by when they were booked, not by the value)
    band = np.searchsorted(xs, x, side="left") * TREND_BANDS // n
    rows = np.bincount(band, minlength=TREND_BANDS).astype(float)
    used = np.flatnonzero(rows > 0)
    rate = np.bincount(band, weights=y, minlength=TREND_BANDS)[used] / rows[used]
    var = np.clip(rate * (1 - rate), 1e-12, None) / rows[used]
    # against the sign: an earlier band's rate above a later one's when rising
    gap = sign * (rate[:, None] - rate[None, :])
    z = np.where(np.triu(np.ones((len(used), len(used)), dtype=bool), 1),
                 gap / np.sqrt(var[:, None] + var[None, :]), 0.0)
    i, j = np.unravel_index(int(np.argmax(z)), z.shape)
    if z[i, j] < HEAP_Z:
        return None
    span = [f"{_fmt(x[band == used[k]].min())} .. {_fmt(x[band == used[k]].max())}"
            for k in (i, j)]
    return (f"{'falls' if sign > 0 else 'rises'} from {rate[i]:.1%} ({span[0]}) to "
            f"{rate[j]:.1%} ({span[1]})")


def _rate_reversal(x: np.ndarray, y: np.ndarray) -> str | None:
    """Where the default rate over the sorted values of ``x`` both rises and falls
    significantly between neighbours (values of at least :data:`MIN_CODE_ROWS` rows, 2
    standard errors), e.g. ``"rises 1 -> 2, falls 2 -> 3"``; ``None`` when it does not."""
    values, counts = np.unique(x, return_counts=True)
    values = values[counts >= MIN_CODE_ROWS]
    if len(values) < 3:
        return None
    rates = np.array([y[x == v].mean() for v in values])
    n = np.array([(x == v).sum() for v in values], dtype=float)
    var = np.clip(rates * (1 - rates), 1e-12, None) / n
    diff = np.diff(rates)
    se = np.sqrt(var[1:] + var[:-1])
    up, down = np.flatnonzero(diff > 2 * se), np.flatnonzero(diff < -2 * se)
    if not len(up) or not len(down):
        return None
    return (f"rises {_fmt(values[up[0]])} -> {_fmt(values[up[0] + 1])}, falls "
            f"{_fmt(values[down[0]])} -> {_fmt(values[down[0] + 1])}")


def _coded(name: str, magnitudes: np.ndarray, x: np.ndarray,
           y: np.ndarray) -> tuple[bool, str] | None:
    """Whether a numeric column looks like codes (see the module docstring): ``None`` when
    it does not; else ``(as_category, why)``. ``magnitudes``: its values outside special
    codes; ``x``, ``y``: the labelled ones and their 0/1 target."""
    distinct = np.unique(magnitudes)
    if len(distinct) < 3 or not np.all(distinct == np.floor(distinct)):
        return None
    shown = ", ".join(_fmt(v) for v in distinct[:MAX_CODE_VALUES])
    more = f", ... {len(distinct) - MAX_CODE_VALUES} more" if len(distinct) > MAX_CODE_VALUES \
        else ""
    if len(distinct) <= MAX_NAMED_CODE_VALUES and (words := sorted(_words(name) & _CODE_WORDS)):
        return True, (f"{len(distinct)} distinct whole numbers ({shown}{more}), named as a "
                      f"code ({', '.join(words)})")
    if len(distinct) > MAX_CODE_VALUES or np.abs(distinct).max() > MAX_CODE:
        return None
    few = f"{len(distinct)} distinct small whole numbers ({shown})"
    if reversal := _rate_reversal(x, y):
        return True, f"{few}, default rate not monotone over them ({reversal})"
    return False, f"{few}, default rate without a significant reversal over them"


def _words(name: str) -> set[str]:
    """The lower-case words of a column name: split at non-letters and camelCase humps."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)  # MSince -> M Since
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", spaced)
    return {w.lower() for w in re.split(r"[^A-Za-z]+", spaced) if w}


def actionable_candidates(names: list[str]) -> list[str]:
    """The features among ``names`` proposed as actionable for counterfactuals: named for
    conduct an applicant can change (:data:`_ACTIONABLE_WORDS`) and for nothing in
    :data:`_NEVER_ACTIONABLE`. A proposal for review, in the order given."""
    return [n for n in names if _ACTIONABLE_WORDS.search(f"_{n}_")
            and not _words(n) & _NEVER_ACTIONABLE]


def _age_years(name: str, x: np.ndarray) -> bool:
    """Whether the column is an age in years: named ``age`` (as a word) and mostly adult
    values (median within the natural range)."""
    return "age" in _words(name) and AGE_RANGE[0] <= float(np.median(x)) <= AGE_RANGE[1]


def _duration_years(name: str) -> float | None:
    """Years per unit when the column is a duration of a life (tenure, employment length,
    months since the oldest account): 1 for years, 1/12 for months; else ``None``."""
    w = _words(name)
    if not w & {"tenure", "length", "years", "yrs", "year", "since", "oldest", "emp"}:
        return None
    return 1 / 12 if w & {"month", "months", "mths", "mon", "m"} else 1.0


def _tail_range(x: np.ndarray) -> tuple[float | None, float | None]:
    """``(low, high)`` beyond which a value is an order of magnitude past the column's own
    tails (``None``: no such side)."""
    q01, q99 = (float(q) for q in np.quantile(x, [0.01, 0.99]))
    high = _round_out(TAIL_FACTOR * q99) if q99 > 0 else None
    low = _round_out(TAIL_FACTOR * q01) if q01 < 0 else None
    return low, high


def _round_out(v: float) -> float:
    """``v`` rounded away from zero to two significant figures (a readable bound)."""
    step = 10.0 ** (math.floor(math.log10(abs(v))) - 1)
    return math.copysign(float(f"{math.ceil(abs(v) / step) * step:.3g}"), v)


def _outside(x: np.ndarray, low: float | None, high: float | None) -> str | None:
    """``"3 rows above 1e+05 (max 6e+06)"`` for the values outside, or ``None``."""
    parts = []
    if high is not None and (n := int((x > high).sum())):
        parts.append(f"{n} row(s) above {_fmt(high)} (max {_fmt(float(x.max()))})")
    if low is not None and (n := int((x < low).sum())):
        parts.append(f"{n} row(s) below {_fmt(low)} (min {_fmt(float(x.min()))})")
    return "; ".join(parts) or None


def _decimal_commas(frame: pd.DataFrame, na: str, sep: str) -> list[str]:
    """Columns whose present values are all numbers written with a decimal comma (some
    with a comma): only possible when the separator is not a comma."""
    if sep == ",":
        return []
    found = []
    for col in frame.columns:
        seen = frame[col][frame[col] != na]
        if len(seen) and seen.str.contains(",", regex=False).any() and \
                seen.str.match(r"^\s*-?\d+([.,]\d+)?\s*$").all() and \
                seen.map(lambda v: bool(_DECIMAL_COMMA.match(v))).any():
            found.append(str(col))
    return found


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def _plausibility(col: str, entry: dict[str, Any], x: np.ndarray, out: InferredSpec,
                  plausible: dict[str, list[float | None]]) -> bool:
    """Bounds and flags of a numeric column's magnitudes ``x`` (special codes left out), and
    whether it is an age in years: an age gets the natural range as hard ``min``/``max``
    (the API refuses an age of 200), or as its plausible range when ``x`` holds ages
    outside it (module docstring); a duration of a life gets a plausible maximum of a
    lifetime; every column gets a plausible range an order of magnitude past its own tails.
    Plausible ranges are counted by ``check``, not refused."""
    if _age_years(col, x):
        natural = f"{AGE_RANGE[0]}..{AGE_RANGE[1]}"
        bad = _outside(x, *AGE_RANGE)
        if not bad:
            entry["min"], entry["max"] = AGE_RANGE
            out.review.append(f"{col}: an age in years: bounded to the natural range "
                              f"{natural} (contract min/max, refused outside)")
            return True
        # The spec must read the very file it is inferred from: its impossible ages are
        # implausible values (binned apart, counted by check), not a refused file.
        plausible[col] = [float(AGE_RANGE[0]), float(AGE_RANGE[1])]
        out.review.append(f"{col}: an age in years; IMPLAUSIBLE: {bad}: the natural range "
                          f"{natural} is its plausible range (counted by `check`, binned "
                          "apart), not contract bounds, so this file still reads")
        out.confirm.append(f"{col}: {bad} outside {natural}: fix these rows, or keep them "
                           "as implausible values")
        return True
    low, high = _tail_range(x)
    unit = _duration_years(col)
    if unit is not None:
        over = float(np.mean(x > LIFETIME_YEARS / unit))
        if over > MAX_IMPLAUSIBLE_SHARE:
            out.review.append(f"{col}: named like a duration of a life, but {over:.0%} of its "
                              f"values exceed {LIFETIME_YEARS} years read so: another unit, "
                              "no lifetime bound")
            unit = None
        else:
            high = min(high if high is not None else math.inf, LIFETIME_YEARS / unit)
    if low is None and high is None:
        return False
    plausible[col] = [low, high]
    bad = _outside(x, low, high)
    if bad:
        why = (f"beyond {TAIL_FACTOR:g} x the column's 99th percentile"
               + (f" or {LIFETIME_YEARS} years" if unit is not None else ""))
        out.review.append(f"{col}: IMPLAUSIBLE magnitudes: {bad} ({why}); kept, counted by "
                          "`check`: look at the values and the unit")
        out.confirm.append(f"{col}: {bad} are real values, not errors or another unit")
    return False


def _durations_within_ages(frame: pd.DataFrame, na: str, columns: list[dict[str, Any]],
                           ages: list[str], out: InferredSpec) -> None:
    """Flag rows whose duration of a life (tenure, employment length) exceeds the
    applicant's age (``ages``: the columns that are ages in years; one, or no flags)."""
    if len(ages) != 1:
        return
    age = pd.to_numeric(frame[ages[0]].where(frame[ages[0]] != na), errors="coerce")
    for c in columns:
        unit = _duration_years(c["name"]) if c["kind"] in ("integer", "numeric") else None
        if unit is None:
            continue
        years = pd.to_numeric(frame[c["name"]].where(frame[c["name"]] != na),
                              errors="coerce") * unit
        over = np.flatnonzero((years > age).to_numpy())
        # Many such rows say the unit is not years (an account's length in days), not that
        # the rows are wrong.
        if len(over) and len(over) <= MAX_IMPLAUSIBLE_SHARE * int(years.notna().sum()):
            rows = ", ".join(str(r + 1) for r in over[:5])
            out.review.append(f"{c['name']}: IMPLAUSIBLE: {len(over)} row(s) with a duration "
                              f"longer than the age in {ages[0]!r} (data rows {rows})")
            out.confirm.append(f"{c['name']}: {len(over)} row(s) longer than the applicant's "
                               "age")


def _ratios_of_others(frame: pd.DataFrame, na: str, columns: list[dict[str, Any]],
                      special: dict[str, dict[str, list[float]]], is_bad: pd.Series,
                      out: InferredSpec) -> None:
    """Name each numeric column that is another's ratio to a third in nearly every row, and
    the rows where it is not, with their default rate (module docstring; ``is_bad``: 1 for
    a bad label, 0 for a good one, missing where unlabelled)."""
    names = [c["name"] for c in columns if c["kind"] in ("integer", "numeric")]
    if len(names) < 3:
        return
    if len(names) > MAX_RATIO_COLUMNS:
        out.review.append(f"ratios: only the first {MAX_RATIO_COLUMNS} of {len(names)} "
                          "numeric columns were checked for ratios of others")
        names = names[:MAX_RATIO_COLUMNS]
    values = np.column_stack([
        pd.to_numeric(frame[n].where(frame[n] != na), errors="coerce")
        .where(lambda v, n=n: ~v.isin([c for cs in special.get(n, {}).values()
                                       for c in cs])).to_numpy(dtype=float)
        for n in names])
    screen = values[:RATIO_SCREEN_ROWS]
    # every a / b, zeros aside; one too large for a float is inf, and left out as not finite
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = (np.where(screen != 0, screen, np.nan)[:, :, None]
                 / np.where(screen > 0, screen, np.nan)[:, None, :])
    finite = np.isfinite(ratio)
    for k, name in enumerate(names):
        text = frame[name][frame[name] != na].head(RATIO_SCREEN_ROWS)
        # Its decimals: most values' (a few written with float noise, 0.15000000000000002,
        # do not make it finer).
        decimals = int(np.percentile(text.str.partition(".")[2].str.len(), 90)) if len(
            text) else 0
        unit = 10.0 ** -decimals
        present = screen[:, k][np.isfinite(screen[:, k]) & (screen[:, k] != 0)]
        # A column coarse for its size (a count of a few, to 1) matches many ratios by
        # chance; so do zeros (0 = 0 / anything).
        if not len(present) or np.median(np.abs(present)) <= unit / RATIO_PRECISION:
            continue
        best: tuple[float, int, int, float] | None = None
        with np.errstate(invalid="ignore"):
            target = np.where(screen[:, k] != 0, screen[:, k], np.nan)[:, None, None]
            seen = finite & np.isfinite(target)
            n_seen = seen.sum(axis=0)
            for scale in (1.0, 100.0):
                near = np.abs(target - scale * ratio) <= unit * (1 + 1e-9)
                share = near.sum(axis=0) / np.maximum(n_seen, 1)
                share[k, :] = share[:, k] = 0.0
                np.fill_diagonal(share, 0.0)
                share[n_seen < 30] = 0.0
                a, b = map(int, np.unravel_index(int(np.argmax(share)), share.shape))
                if share[a, b] >= MIN_RATIO_SHARE and (best is None or share[a, b] > best[0]):
                    best = (float(share[a, b]), int(a), int(b), scale)
        if best is None:
            continue
        _, a, b, scale = best
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = (scale * np.where(values[:, a] != 0, values[:, a], np.nan)
                       / np.where(values[:, b] > 0, values[:, b], np.nan))
        seen = np.isfinite(derived) & np.isfinite(values[:, k]) & (values[:, k] != 0)
        off = seen & (np.abs(values[:, k] - derived) > unit * (1 + 1e-9))
        if seen.sum() == 0 or off.sum() > (1 - MIN_RATIO_SHARE) * seen.sum():
            continue
        times = "100 x " if scale == 100.0 else ""
        what = f"{times}{names[a]} / {names[b]} (to {unit:g})"
        if not off.any():
            out.review.append(f"{name}: derived, {what} in every row where all three are "
                              "present")
            continue
        rows = ", ".join(str(r + 1) for r in np.flatnonzero(off)[:5])
        labelled = is_bad.notna().to_numpy()
        rate = float(is_bad[off & labelled].mean()) if (off & labelled).any() else math.nan
        overall = float(is_bad[labelled].mean())
        rates = ("" if math.isnan(rate) else f"; default rate {rate:.1%} among the labelled "
                 f"ones against {overall:.1%} in the file")
        out.review.append(f"{name}: DERIVED, {what} in {1 - off.sum() / seen.sum():.1%} of "
                          f"{int(seen.sum())} rows; {int(off.sum())} row(s) are not (data "
                          f"rows {rows}){rates}: rows made another way (a data fault), or, "
                          "with a default rate apart, the outcome leaking into the data")
        out.confirm.append(f"{name}: {int(off.sum())} row(s) that are not {what}: how were "
                           "they made?")


def infer_spec(path: str | Path, *, target: str | None = None, id_column: str | None = None,
               name: str | None = None) -> InferredSpec:
    """Propose a spec for the data file at ``path`` (see the module docstring for the rules).

    Raises:
        SpecInferenceError: the file is empty, has no separator, no binary target, or the
            named target/id column is absent.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecInferenceError(f"encoding: {path} is not UTF-8 text ({exc.reason} at byte "
                                 f"{exc.start}); save it as UTF-8") from exc
    sep = _sniff(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_values=[], engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SpecInferenceError(f"parse: {path} is not a well-formed table ({exc})") from exc
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")], delimiter=sep))
    frame.columns = header  # the file's names, not pandas' renaming of blanks and duplicates
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise SpecInferenceError(f"unique_columns: the header repeats {dup}")
    if frame.empty:
        raise SpecInferenceError("empty_file: the file has a header but no data rows")
    na = _na_token(frame, sep)
    commas = _decimal_commas(frame, na, sep)
    if commas:
        example = next(v for v in frame[commas[0]] if "," in v)
        raise SpecInferenceError(
            f"decimal_comma: column(s) {', '.join(commas[:10])} write numbers with a decimal "
            f"comma (e.g. {example!r} in {commas[0]!r}); the readers take a decimal point "
            "only, and reading them as text would make a number a category: save the file "
            "with decimal points (the separator may stay ';')")
    out = InferredSpec(spec={})
    out.review.append(f"format: separator {sep!r}, missing value {na!r}, {len(frame)} rows, "
                      f"{len(header)} columns")
    target_name, target_why = _pick_target(frame, na, target)
    t = frame[target_name]
    labelled = t != na
    labels = sorted(t[labelled].unique().tolist())
    if len(labels) != 2:
        raise SpecInferenceError(f"target: column {target_name!r} has {len(labels)} distinct "
                                 f"values {labels[:10]}; a target needs exactly two")
    bad, bad_why = _bad_label(labels, Counter(t[labelled].tolist()))
    good = next(lab for lab in labels if lab != bad)
    y = (t[labelled] == bad).to_numpy(dtype=float)
    out.review.append(f"target: {target_name!r} ({target_why}; {int(labelled.sum())} "
                      f"labelled rows, {y.mean():.2%} bad, {int((~labelled).sum())} to "
                      f"predict); bad = {bad!r} because {bad_why}")
    out.confirm.append(f"target {target_name!r}: {bad!r} is the bad outcome (1), {good!r} good")
    ident = _pick_id(frame, na, id_column, target_name)
    out.review.append(f"id: {ident!r}" if ident else "id: none (rows are numbered)")

    numeric_labels = all(_numbers(pd.Series([lab])) is not None for lab in labels)
    columns: list[dict[str, Any]] = []
    categorical: list[str] = []
    special: dict[str, dict[str, list[float]]] = {}
    heaps: dict[str, dict[str, list[float]]] = {}
    rounding: dict[str, list[int]] = {}
    monotonic: dict[str, str | None] = {}
    exclude: dict[str, str] = {}
    plausible: dict[str, list[float | None]] = {}
    ages: list[str] = []
    for col in header:
        values = frame[col]
        present = values != na
        if col == target_name:
            entry: dict[str, Any] = {"name": col, "kind": "target", "nullable": True,
                                     "description": f"1 = {bad}, 0 = {good}, missing = to "
                                                    "predict"}
            if numeric_labels and {float(bad), float(good)} == {0.0, 1.0}:
                entry.update(allowed=[0, 1], csv_format="int")
            else:
                entry.update(allowed=[good, bad], csv_format="text")
            columns.append(entry)
            continue
        if col == ident:
            columns.append({"name": col, "kind": "id", "csv_format": "text",
                            "description": "row identifier"})
            continue
        seen = values[present]
        entry = {"name": col, "nullable": True, "description": col}
        n_distinct = seen.nunique()
        if len(seen) == 0 or n_distinct <= 1:
            only = "no value" if len(seen) == 0 else f"only {seen.iloc[0]!r}"
            entry.update(kind="category", csv_format="text")
            columns.append(entry)
            exclude[col] = f"constant: {only} in {len(frame)} rows"
            out.review.append(f"{col}: excluded, {exclude[col]}")
            continue
        if set(seen.unique()) <= {"True", "False", "true", "false"}:
            entry.update(kind="boolean", csv_format="bool")
            columns.append(entry)
            categorical.append(col)
            out.review.append(f"{col}: boolean")
            continue
        x = _numbers(seen)
        if x is None:
            entry.update(kind="category", csv_format="text")
            columns.append(entry)
            if n_distinct > MAX_CATEGORIES or n_distinct > MAX_CATEGORY_SHARE * len(seen):
                exclude[col] = (f"text with {n_distinct} distinct values in {len(seen)} rows: "
                                "free text or an identifier")
                out.review.append(f"{col}: excluded, {exclude[col]}")
            else:
                categorical.append(col)
                out.review.append(f"{col}: category, {n_distinct} values seen (open set: an "
                                  "unseen one scores in the unseen bin)")
            continue
        arr = x.to_numpy()
        whole = bool(np.all(arr == np.floor(arr)))
        entry.update(kind="integer" if whole else "numeric",
                     csv_format="int" if whole and not any("." in s for s in seen.head(1000))
                     else "float")
        codes = _special_codes(arr)
        magnitudes = arr[~np.isin(arr, codes)]
        lab_mask = labelled.to_numpy()[present.to_numpy()]
        xv = arr[lab_mask]
        yv = (t[present & labelled] == bad).to_numpy(dtype=float)
        keep = ~np.isin(xv, codes)
        coded = _coded(col, magnitudes, xv[keep], yv[keep]) if whole else None
        if coded is not None and coded[0]:
            entry.update(kind="category", csv_format="text")
            columns.append(entry)
            categorical.append(col)
            out.review.append(f"{col}: CODED CATEGORY: {coded[1]}: proposed as a category "
                              "(each code a label, no trend)")
            out.confirm.append(f"{col}: its numbers are codes (a category), not magnitudes; "
                               "if they are ordered levels, make it an `integer` column and "
                               "remove it from `categorical`")
            continue
        lowest = min(codes) if codes and min(codes) < 0 else None
        if magnitudes.size and magnitudes.min() >= 0:
            entry["min"] = lowest if lowest is not None else 0
        columns.append(entry)
        kind_note = (f"{entry['kind']}, observed {_fmt(arr.min())} .. {_fmt(arr.max())}, "
                     f"{int((~present).sum())} missing")
        if magnitudes.size and _plausibility(col, entry, magnitudes, out, plausible):
            ages.append(col)
        if codes:
            special[col] = {f"code {_fmt(c)}": [c] for c in codes}
            kind_note += f"; special codes {', '.join(_fmt(c) for c in codes)}"
            out.confirm.append(f"{col}: {', '.join(_fmt(c) for c in codes)} are codes, not "
                               "magnitudes")
        if coded is not None:
            kind_note += (f"; kept numeric, maybe codes: {coded[1]} (if codes, make it a "
                          "`category` column listed in `categorical`)")
        found = _heaps(xv[keep], yv[keep])
        plain = keep & ~np.isin(xv, [v for v, *_ in found])
        # heaps are bins of their own, so the trend is that of the other values
        direction, rho, turn = _trend(xv[plain], yv[plain])
        if direction is not None:
            monotonic[col] = direction
            kind_note += f"; default rate {direction} (Spearman {rho:+.2f})"
        elif turn:
            # neither direction: the bins follow the rate where it turns (a peak, a valley)
            monotonic[col] = None
            kind_note += (f"; not monotone: the rate {turn} (Spearman {rho:+.2f}), so no "
                          "trend is imposed (null: the bins follow the rate)")
        else:
            kind_note += f"; trend detected by the binning (Spearman {rho:+.2f})"
        out.review.append(f"{col}: {kind_note}")
        if found:
            heaps[col] = {f"heap {_fmt(v)}": [v] for v, *_ in found}
            busiest = sorted(found, key=lambda h: -h[1])[:HEAPS_REVIEWED]
            listed = "; ".join(f"{_fmt(v)}: {n} rows, {r:.1%} bad against {lo:.1%} just "
                               f"below and {hi:.1%} just above" for v, n, r, lo, hi in busiest)
            more = (f"; {len(found) - len(busiest)} more (named below, each with its rows "
                    "and rate in the binning table)" if len(found) > len(busiest) else "")
            out.review.append(f"{col}: HEAPED VALUES, {listed}{more}: scored in bins of their "
                              "own (special codes)")
            out.confirm.append(f"{col}: {', '.join(_fmt(v) for v, *_ in found)} hold many "
                               "rows whose default rate stands apart from the values around "
                               "them: how was it recorded? (to score them as magnitudes, "
                               "remove their `heap` entries from `special_codes`)")
        if whole and (rounded := _rounding(xv[plain], yv[plain])):
            # The step named and every coarser one: the binning groups their labels.
            rounding[col], share, rate, rest, z = rounded
            step = rounding[col][-1]
            aside = " and heaps" if found else ""
            out.review.append(
                f"{col}: ROUNDED VALUES, multiples of {step} ({share:.1%} of the labelled "
                f"rows, special codes{aside} aside) default at {rate:.1%} against {rest:.1%} "
                f"for the other values, {'less' if z < 0 else 'more'} at the same magnitude "
                f"({ROUNDING_BANDS} bands, z {z:+.1f}): how a value is stated carries risk "
                "that its size does not, so the card scores it as a characteristic of its "
                f"own, {rounding_name(col)} (the largest of "
                f"{', '.join(map(str, rounding[col]))} that divides the value)")
            out.confirm.append(
                f"{col}: round values (multiples of {step}) default "
                f"{'less' if z < 0 else 'more'} than others of the same size: how was it "
                "recorded (stated by the applicant, verified)? (to score magnitudes only, "
                f"remove {col} from `rounding`)")
    _durations_within_ages(frame, na, columns, ages, out)
    _ratios_of_others(frame, na, columns, special,
                      (t == bad).astype(float).where(labelled), out)
    for col, heaped in heaps.items():  # after the ratios: a heap is a magnitude there
        special.setdefault(col, {}).update(heaped)
    protected = []
    for c in columns:
        if c["kind"] in ("id", "target") or c["name"] in exclude:
            continue
        seen = frame[c["name"]][frame[c["name"]] != na]
        why = looks_protected(c["name"], seen.unique()[:50] if c["name"] in categorical else ())
        if why:
            protected.append(c["name"])
            out.review.append(f"{c['name']}: likely a protected attribute ({why}): kept out of "
                              "the card, a default group of `scorecard fairness`")
            out.confirm.append(f"{c['name']}: a protected attribute, never a characteristic "
                               "(to use it anyway, move it from `protected` to "
                               "`protected_use` with the reason)")
    features = [c for c in columns if c["kind"] not in ("id", "target")
                and c["name"] not in exclude and c["name"] not in protected]
    if not features:
        raise SpecInferenceError("features: no usable feature column (all are the target, "
                                 "the id, constant, free text or protected attributes)")
    actionable = actionable_candidates([c["name"] for c in features
                                        if c["kind"] != "category"])
    if actionable:
        out.review.append(f"actionable (counterfactuals may propose changing them): "
                          f"{', '.join(actionable)}")
        out.confirm.append("actionable: an applicant can change "
                           f"{', '.join(actionable)} by their own conduct (never age or a "
                           "protected attribute); edit the spec's `actionable` list")
    else:
        out.review.append("actionable: none found by name; list in the spec's `actionable` "
                          "the characteristics an applicant can change, or every declined "
                          "applicant's counterfactual is unreachable")
    spec_name = name or re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem).strip("_") or "data"
    out.spec = {
        "name": spec_name,
        "contract": {"name": spec_name, "id_column": ident, "target": target_name,
                     "separator": sep, "na_value": na,
                     "target_labels": {good: 0, bad: 1}, "columns": columns},
        "categorical": categorical,
        "special_codes": special,
        "monotonic": monotonic,
        "exclude": exclude,
        "actionable": actionable,
        "plausible": plausible,
        "protected": protected,
        "rounding": {c: v for c, v in rounding.items() if c not in protected},
        "reason_prefix": "R",
        # Written out, so a reviewer of the spec file sees where the published card is fitted
        # and what a missing, unseen or thin value may score (scorecard.fit.support).
        "final_fit": DEFAULT_FINAL_FIT,
        "missing_policy": DEFAULT_MISSING_POLICY,
        "min_bin_events": DEFAULT_MIN_BIN_EVENTS,
        "category_match": DEFAULT_CATEGORY_MATCH,
    }
    return out
