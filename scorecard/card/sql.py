"""The card as one portable SQL query: ``scorecard export-sql``.

:func:`card_sql` turns a verified artifact into a single ``SELECT`` that scores every row of
a table the way :class:`scorecard.card.engine.ScoringEngine` does, and runs unchanged in DuckDB
and Spark SQL (both are tested). Per characteristic it writes one ``CASE``:

* numeric: the input is cast to ``DOUBLE``; special codes (exact match) first, then ``NULL``
  or ``NaN`` → the missing bin, then ``x < split[0]``, ``x < split[1]``, … ``ELSE`` the last
  bin — i.e. bin ``i`` holds ``split[i-1] <= x < split[i]``, numpy's
  ``searchsorted(side="right")``;
* categorical: the input is cast to text; ``NULL`` → the missing bin, ``IN (...)`` per group
  (with ``category_match`` ``"normalised"``, then ``LOWER(TRIM(x)) IN (...)`` per group),
  ``ELSE`` the unseen points. Booleans are the categories ``'True'``/``'False'``; casting a
  ``BOOLEAN`` gives ``'true'``/``'false'`` in both engines, so both spellings are listed;
* interaction: the same two rules, written for each parent but giving its bin index (an
  unseen category: ``-1000000``), are combined into the cell ``i * n_y + j``; a ``CASE`` on
  the cell gives its grid points, ``ELSE`` (a negative cell: an unseen category in either
  parent) the unseen points — the engine's flattened cell, exactly.

Exactness: every float (splits, special codes, offset, factor) is written as Python's
shortest round-trip ``repr`` in scientific form (``3.5E0``, ``1E-05``), which DuckDB and
Spark both parse as an exact ``DOUBLE`` literal (a plain ``3.5`` would be a ``DECIMAL``).
Points are integer literals, so ``score`` is an exact integer sum; ``pd`` repeats the numpy
operations in the same order and agrees to within a few ulp.

Portability limits, checked here rather than left to fail in one engine: column names must
be plain identifiers (letters, digits, ``_``) and not reserved words, since DuckDB quotes
with ``"`` and Spark with backticks. Category text containing ``'`` or ``\\`` is spelled with
``chr()`` because the two engines escape string literals differently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from scorecard.card.derived import OTHER, ZERO, derived_input
from scorecard.card.engine import NORMALISED, label_key
from scorecard.card.scaling import Scaling
from scorecard.errors import InvalidArtifactError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Words reserved in ANSI SQL, DuckDB or Spark's ANSI mode that could plausibly name a column.
_RESERVED = frozenset({
    "all", "and", "any", "array", "as", "asc", "at", "between", "both", "by", "case", "cast",
    "check", "collate", "column", "constraint", "create", "cross", "current", "current_date",
    "current_time", "current_timestamp", "current_user", "default", "desc", "distinct", "else",
    "end", "except", "exists", "false", "fetch", "filter", "for", "foreign", "from", "full",
    "grant", "group", "having", "in", "inner", "intersect", "interval", "into", "is", "join",
    "lateral", "leading", "left", "like", "limit", "natural", "not", "null", "of", "offset", "on",
    "only", "or", "order", "outer", "over", "overlaps", "primary", "references", "right",
    "select", "session_user", "some", "table", "then", "time", "timestamp", "to", "trailing",
    "true", "union", "unique", "user", "using", "values", "when", "where", "window", "with"
})
_BOOLEAN_SPELLINGS = {"True": ("True", "true"), "False": ("False", "false")}


class SqlExportError(InvalidArtifactError):
    """The card cannot be written as portable SQL (e.g. a column name needs quoting)."""

    prefix = "cannot write the card as portable SQL: "


def double_literal(x: float) -> str:
    """An exact ``DOUBLE`` literal for DuckDB and Spark: ``repr`` in scientific notation.

    ``3.5`` → ``3.5E0``, ``1e-05`` → ``1E-05``; both engines read these as the same double
    Python holds (a plain ``3.5`` would be a ``DECIMAL`` in both).
    """
    x = float(x)
    if not math.isfinite(x):
        raise SqlExportError(f"non-finite number {x!r} cannot be a SQL literal")
    text = repr(x)
    return text.replace("e", "E") if "e" in text else text + "E0"


def string_literal(text: str) -> str:
    """A text literal both engines read alike: ``'...'``, with ``'`` and ``\\`` spelled as
    ``chr(39)``/``chr(92)`` (DuckDB doubles quotes and keeps backslashes; Spark processes
    backslash escapes)."""
    parts = re.split(r"(['\\])", text)
    pieces = [f"chr({ord(p)})" if p in ("'", "\\") else f"'{p}'" for p in parts if p != ""]
    if not pieces:
        return "''"
    return pieces[0] if len(pieces) == 1 else "(" + " || ".join(pieces) + ")"


def identifier(name: str) -> str:
    """``name`` as an unquoted identifier valid in both engines, or :class:`SqlExportError`."""
    if not _IDENTIFIER.match(name) or name.lower() in _RESERVED:
        raise SqlExportError(
            f"column {name!r} is not a plain SQL identifier (letters, digits, '_', not a "
            "reserved word); DuckDB and Spark quote differently, so it cannot be exported "
            "portably — rename the column")
    return name


def _comment(text: object) -> str:
    # Line comments end at a newline; Spark also continues one after a trailing backslash.
    return re.sub(r"[\r\n\\]+", " ", str(text)).strip()


_UNSEEN_INDEX = -1_000_000  # a parent's unseen category: every cell sum with it is < 0


def _points(b: dict[str, Any]) -> int:
    return int(b["points"])


def _index(b: dict[str, Any]) -> int:
    return int(b["index"])


def _rules(artifact: dict[str, Any]) -> list[dict[str, Any]]:
    """Every one-column bin rule of the card: characteristics and interactions' parents."""
    out: list[dict[str, Any]] = []
    for f in artifact["features"]:
        out += f["parents"] if f["kind"] == "interaction" else [f]
    return out


def _column_kinds(artifact: dict[str, Any]) -> dict[str, str]:
    """Each input column the card reads, in card order, with the kind it is read as (a
    derived characteristic's input: numeric)."""
    return {derived_input(f) or f["name"]: "numeric" if derived_input(f) else f["kind"]
            for f in _rules(artifact)}


def _rounding_label(f: dict[str, Any]) -> str:
    """The typed query's column of a rounding characteristic: its label, as
    :func:`scorecard.card.derived.rounding_label` gives it."""
    x = f"CAST({identifier(str(derived_input(f)))} AS DOUBLE)"
    whens = [f"WHEN {x} IS NULL OR isnan({x}) THEN NULL",
             f"WHEN {x} = 0 THEN {string_literal(ZERO)}",
             *(f"WHEN {x} % {double_literal(float(step))} = 0 THEN {string_literal(str(step))}"
               for step in f["derived"]["rounding"])]
    return (f"CASE {' '.join(whens)} ELSE {string_literal(OTHER)} END AS "
            f"{identifier(f['name'])}")


def _boolean_features(artifact: dict[str, Any]) -> set[str]:
    kinds = {c["name"]: c.get("kind") for c in artifact.get("input_contract", [])}
    out = set()
    for f in _rules(artifact):
        cats = {c for b in f["bins"] if b["type"] == "regular" for c in b.get("categories", [])}
        if f["kind"] != "numeric" and (kinds.get(f["name"]) == "boolean"
                                       or (cats and cats <= set(_BOOLEAN_SPELLINGS))):
            out.add(f["name"])
    return out


def _numeric_case(f: dict[str, Any], col: str,
                  value: Callable[[dict[str, Any]], int] = _points) -> list[str]:
    bins = f["bins"]
    splits = [float(s) for s in f["splits"]]
    regular = bins[: len(splits) + 1]
    # The engine applies special bins in order, a later bin overriding an earlier one on a
    # shared code; keep, per code, the bin that wins there.
    winner: dict[float, dict[str, Any]] = {}
    for b in bins:
        if b["type"] == "special":
            for code in b["codes"]:
                winner[float(code)] = b
    lines = []
    for b in bins:
        if b["type"] != "special":
            continue
        codes = [c for c, w in winner.items() if w is b]
        if codes:
            lits = ", ".join(double_literal(c) for c in codes)
            lines.append(f"WHEN {col} IN ({lits}) THEN {value(b)}"
                         f"  -- special: {_comment(b['label'])}")
    missing = next(b for b in bins if b["type"] == "missing")
    lines.append(f"WHEN {col} IS NULL OR isnan({col}) THEN {value(missing)}"
                 "  -- missing")
    for split, b in zip(splits, regular, strict=False):
        lines.append(f"WHEN {col} < {double_literal(split)} THEN {value(b)}"
                     f"  -- {_comment(b['label'])}")
    last = regular[-1]
    lines.append(f"ELSE {value(last)}  -- {_comment(last['label'])}")
    return lines


def _categorical_case(f: dict[str, Any], col: str, boolean: bool,
                      value: Callable[[dict[str, Any]], int] = _points,
                      unseen: int | None = None) -> list[str]:
    bins = f["bins"]
    # Mirror the engine's lookup: a category listed in two groups belongs to the later one.
    owner: dict[str, int] = {}
    for pos, b in enumerate(bins):
        if b["type"] == "regular":
            for cat in b["categories"]:
                owner[str(cat)] = pos
    missing = next(b for b in bins if b["type"] == "missing")
    lines = [f"WHEN {col} IS NULL THEN {value(missing)}  -- missing"]
    for pos, b in enumerate(bins):
        if b["type"] != "regular":
            continue
        cats = [c for c, p in owner.items() if p == pos]
        spellings: list[str] = []
        for c in cats:
            spellings.extend(_BOOLEAN_SPELLINGS.get(c, (c,)) if boolean else (c,))
        if spellings:
            lines += _in_list(col, [string_literal(s) for s in spellings], value(b))
    if f.get("category_match") == NORMALISED and not boolean:
        # As the engine: a label no group holds as written is matched again ignoring case
        # and surrounding spaces (label_key is LOWER(TRIM(x))).
        keys: dict[str, int] = {}
        for c, pos in owner.items():
            keys[label_key(c)] = pos  # the engine's lookup: a later group wins
        for pos, b in enumerate(bins):
            folded = sorted(k for k, p in keys.items() if p == pos)
            if folded:
                lines += _in_list(f"LOWER(TRIM({col}))", [string_literal(k) for k in folded],
                                  value(b))
    lines.append(f"ELSE {int(f['unseen_points']) if unseen is None else unseen}"
                 "  -- unseen category")
    return lines


def _parent_case(p: dict[str, Any], booleans: set[str]) -> list[str]:
    """``CASE ... END`` giving the bin index of an interaction's parent."""
    col = identifier(p["name"])
    body = (_numeric_case(p, col, _index) if p["kind"] == "numeric"
            else _categorical_case(p, col, col in booleans, _index, _UNSEEN_INDEX))
    return ["CASE", *_indent(body, 1), "END"]


def _interaction_case(f: dict[str, Any], booleans: set[str]) -> list[str]:
    """The body of an interaction's ``CASE``: on its cell ``i * n_y + j``, the grid's
    points; a negative cell (an unseen category) gets the unseen points."""
    px, py = f["parents"]
    n_y = len(py["bins"])
    cell = ["(", *_indent(_parent_case(px, booleans), 1), f") * {n_y} + (",
            *_indent(_parent_case(py, booleans), 1), ")"]
    lines = [*cell]
    for b in f["bins"]:
        lines.append(f"  WHEN {int(b['index'])} THEN {int(b['points'])}"
                     f"  -- {_comment(b['label'])}")
    lines.append(f"  ELSE {int(f['unseen_points'])}  -- unseen category")
    return lines


def _in_list(col: str, literals: list[str], points: int, width: int = 88) -> list[str]:
    """``WHEN col IN (...) THEN points``, the list wrapped to ``width`` characters."""
    one = f"WHEN {col} IN ({', '.join(literals)}) THEN {points}"
    if len(one) <= width:
        return [one]
    rows, current = [], ""
    for lit in literals:
        if current and len(current) + len(lit) + 2 > width:
            rows.append(current + ",")
            current = ""
        current = f"{current}, {lit}" if current else lit
    return [f"WHEN {col} IN (", *(f"    {r}" for r in [*rows, current]), f") THEN {points}"]


def _indent(lines: Iterable[str], depth: int) -> list[str]:
    pad = "  " * depth
    return [pad + line for line in lines]


def card_sql(artifact: dict[str, Any], table: str = "applicants") -> str:
    """The card as one ``SELECT`` over ``table`` (a name or any relation expression).

    Args:
        artifact: a verified artifact (:func:`scorecard.card.artifact.load_artifact`).
        table: what the query reads; it must have the id column (if the card has one) and
            every characteristic of the card.

    Returns:
        SQL text, no trailing semicolon, whose result has one row per input row and the
        columns: the id (if any), ``pts_<feature>`` (integer points, card order),
        ``score`` (integer, their sum) and ``pd`` (double).
    """
    features = artifact["features"]
    if not features:
        raise SqlExportError("the card has no characteristics")
    scaling = Scaling.from_dict(artifact["scaling"])
    id_col = artifact.get("id_column")
    ids = [identifier(id_col)] if id_col else []
    names = [identifier(f["name"]) for f in features]
    pts = [identifier(f"pts_{n}") for n in names]
    booleans = _boolean_features(artifact)
    columns = {identifier(c): k for c, k in _column_kinds(artifact).items()}

    typed = [f"CAST({n} AS DOUBLE) AS {n}" if k == "numeric"
             else f"CAST({n} AS STRING) AS {n}" for n, k in columns.items()]
    typed += [_rounding_label(f) for f in features if derived_input(f)]
    cases: list[str] = []
    for n, p, f in zip(names, pts, features, strict=True):
        if f["kind"] == "interaction":
            px, py = (q["name"] for q in f["parents"])
            cases.append(f"-- {n} ({f['reason_code']}, interaction of {px} (rows) and {py})")
            cases += ["CASE", *_indent(_interaction_case(f, booleans), 1), f"END AS {p},"]
            continue
        body = (_numeric_case(f, n) if f["kind"] == "numeric"
                else _categorical_case(f, n, n in booleans))
        kind = f["kind"] + (", boolean" if n in booleans else "")
        cases.append(f"-- {n} ({f['reason_code']}, {kind})")
        cases += ["CASE", *_indent(body, 1), f"END AS {p},"]
    cases[-1] = cases[-1].rstrip(",")

    pd_expr = (f"1.0E0 / (1.0E0 + EXP((CAST(score AS DOUBLE) - "
               f"{double_literal(scaling.offset)}) / {double_literal(scaling.factor)})) AS pd")
    header = [
        f"-- scorecard {artifact.get('model_id', '?')}",
        f"-- content_hash {artifact['content_hash']}",
        "-- Generated by `scorecard export-sql` from the sealed artifact: regenerate it, do",
        "-- not edit. Portable SQL, tested in DuckDB and Spark SQL.",
        f"-- Reads {_comment(table)}: "
        + (f"{id_col} and " if id_col else "") + f"{len(names)} characteristics.",
        "-- numeric: cast to DOUBLE; special codes (exact) first, NULL/NaN -> missing bin,",
        "--   then bin i holds split[i-1] <= x < split[i] (splits are exact double literals).",
        "-- categorical: NULL -> missing bin, IN (...) per group, anything else -> unseen",
        "--   points; booleans match 'True'/'False' as text or as a BOOLEAN column.",
        *([] if not any(derived_input(f) for f in features) else [
            "-- rounding: the input's label (the largest step that divides it, '0', 'other')",
            "--   binned as a category."]),
        *([] if not any(f["kind"] == "interaction" for f in features) else [
            "-- interaction: each parent's rule gives its bin index i, j; the cell",
            "--   i * n_y + j gives the grid's points (an unseen category: unseen points)."]),
        "-- Returns " + (f"{id_col}, " if id_col else "")
        + "pts_<characteristic> (integer points), score (their sum), pd;",
        "--   no ORDER BY: match results to inputs by "
        + (f"{id_col}." if id_col else "position only where the engine keeps order."),
        f"-- pd = 1 / (1 + exp((score - offset) / factor)), offset = {scaling.offset!r}, "
        f"factor = {scaling.factor!r}",
    ]
    sum_expr = "\n      + ".join(pts)
    lines = [
        *header,
        "SELECT",
        *_indent([*(f"{c}," for c in ids), *(f"{p}," for p in pts), "score,", pd_expr], 1),
        "FROM (",
        "  SELECT",
        *_indent([*(f"{c}," for c in ids), *(f"{p}," for p in pts)], 2),
        f"    {sum_expr} AS score",
        "  FROM (",
        "    SELECT",
        *_indent([*(f"{c}," for c in ids), *cases], 3),
        "    FROM (",
        "      SELECT",
        *_indent([*(f"{c}," for c in ids), *(t + "," for t in typed[:-1]), typed[-1]], 4),
        f"      FROM {table}",
        "    ) AS typed",
        "  ) AS points",
        ") AS scored",
    ]
    return "\n".join(lines) + "\n"


def input_columns(artifact: dict[str, Any]) -> list[str]:
    """The columns :func:`card_sql` reads: the id (if any), then the characteristics' input
    columns (an interaction's parents), once each."""
    id_col = artifact.get("id_column")
    return ([id_col] if id_col else []) + list(_column_kinds(artifact))
