"""The contract check of decoded JSON records (one applicant, or a batch of them).

A record is a decoded JSON object (``dict``) in the contract's field names.
:meth:`scorecard.data.contract.Column.check_value` decides every rejection, so a record is
accepted exactly when the same row of a data file would be (proved field by field against
the pandera schema in ``tests/api/test_contract.py``). Two deliberate differences: the id
is optional (``None``/absent), and with ``allow_missing`` the contract's non-nullable
features may be null/absent. The target is checked against the contract and then ignored.

Speed: a straight-line check generated from the contract accepts the common, fully valid
record (~5 us for the Klarna contract); anything it does not accept goes through
``check_value`` field by field, which decides and names every broken rule.

Standard library only: the serving image imports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scorecard.data.contract import Column
from scorecard.errors import InvalidDataError

MAX_ISSUES = 1000  # a 10k batch of garbage must not produce a 100 MB error body
_EXACT_INT = 2**53  # ints beyond this lose precision as floats: let check_value decide


@dataclass(frozen=True, slots=True)
class Issue:
    """One broken rule of a record (``index`` = batch item, ``None`` for a single one)."""

    field: str
    rule: str
    message: str
    index: int | None = None


class InvalidRecordsError(InvalidDataError):
    """The records break the contract; ``issues`` lists every offending field."""

    def __init__(self, issues: list[Issue], truncated: bool = False) -> None:
        super().__init__(f"{len(issues)} contract violation(s)")
        self.issues = issues
        self.truncated = truncated


def _accept_expr(col: Column, k: int, env: dict[str, Any]) -> str | None:
    """A Python expression over ``v`` (not None) that implies ``col.check_value(v) is None``
    (never the converse: ``False`` only means "ask check_value"). Constants go through
    ``env``, so no artifact text is ever pasted into code. ``None``: no fast test."""
    kind = col.kind
    if kind == "category":
        if col.allowed is None:
            return "type(v) is str"
        env[f"A{k}"] = frozenset(a for a in col.allowed if isinstance(a, str))
        return f"(type(v) is str and v in A{k})"
    if kind == "id":
        return ('((type(v) is str and v != "") or type(v) is int or '
                '(type(v) is float and v - v == 0.0))')
    if kind == "boolean":
        return "type(v) is bool"
    tail = ""
    if col.allowed is not None:
        try:
            env[f"A{k}"] = frozenset(float(a) for a in col.allowed)
        except (TypeError, ValueError):  # text labels (a target "Good"/"Bad"): no fast test
            return None
        tail += f" and v in A{k}"
    if col.min is not None:
        env[f"L{k}"] = col.min
        tail += f" and v >= L{k}"
    if col.max is not None:
        env[f"H{k}"] = col.max
        tail += f" and v {'<' if col.max_exclusive else '<='} H{k}"
    whole = " and v.is_integer()" if kind in ("integer", "code", "target") else ""
    # Floats: finite (inf - inf and nan - nan are nan). Ints: exactly representable, so the
    # comparisons mean what they mean on the float check_value builds.
    return (f"((type(v) is float and v - v == 0.0{whole}{tail}) or "
            f"(type(v) is int and -EXACT <= v <= EXACT{tail}))")


def _compile_fast_path(fields: list[tuple[str, Column, bool, bool]],
                       names: frozenset[str]) -> Callable[[dict[str, Any]], list[str] | None]:
    """Straight-line code for the common case, a fully valid record: returns its missing
    features, or ``None`` as soon as any value needs :meth:`Column.check_value` (the slow
    path then finds and names every problem). ``tests/api/test_contract.py`` proves it
    never accepts what the contract rejects."""
    env: dict[str, Any] = {"EXACT": _EXACT_INT, "NAMES": names}
    body = ["def fast(obj):", "    get = obj.get", "    missing = []"]
    for k, (name, col, null_ok, is_feature) in enumerate(fields):
        env[f"N{k}"] = name
        expr = _accept_expr(col, k, env) or "False"
        body.append(f"    v = get(N{k})")
        body.append("    if v is None:")
        body.append(f"        missing.append(N{k})" if is_feature else "        pass")
        if not null_ok:
            body.append("        return None")
        body.append(f"    elif not {expr}:")
        body.append("        return None")
    body.append("    return missing if obj.keys() <= NAMES else None")
    # Fixed templates only; every contract value reaches the code through env.
    exec(compile("\n".join(body), "<contract fast path>", "exec"), env)  # nosec B102
    return env["fast"]


def check_value(col: Column, value: Any) -> str | None:
    """:meth:`Column.check_value` made total for decoded JSON: ints too large for a float
    are infinite, as the file reader makes them (``1e400`` -> inf) — ``float()`` would raise
    on them; and a rule that cannot be evaluated (a number against text labels) rejects
    instead of raising."""
    if type(value) is int and col.kind != "id":  # an id of any size is only echoed
        try:
            float(value)
        except OverflowError:
            value = math.inf if value > 0 else -math.inf
    try:
        return col.check_value(value)
    except (TypeError, ValueError):
        return f"isin: {value!r} is not one of {list(col.allowed or ())}"


def _issue(name: str, broken: str, index: int | None) -> Issue:
    rule, _, message = broken.partition(": ")
    return Issue(name, rule, message or rule, index)


class RecordValidator:
    """Checks decoded JSON objects against the contract columns.

    Args:
        columns: the contract, in order.
        id_column: optional field (may be null or absent).
        target: checked and ignored.
        allow_missing: non-nullable features may be null/absent.
    """

    def __init__(self, columns: Sequence[Column], id_column: str | None, target: str | None,
                 allow_missing: bool = False) -> None:
        self.columns = tuple(columns)
        self.names = frozenset(c.name for c in self.columns)
        self.id_column = id_column
        self.target = target
        self.allow_missing = allow_missing
        self.features = tuple(c.name for c in self.columns if c.name not in (id_column, target))
        self._fields: list[tuple[str, Column, bool, bool]] = []
        for c in self.columns:
            is_feature = c.name not in (id_column, target)
            null_ok = c.nullable or c.name == id_column or (allow_missing and is_feature)
            self._fields.append((c.name, c, null_ok, is_feature))
        self.fast = _compile_fast_path(self._fields, self.names)

    def check(self, obj: Any, index: int | None = None) -> tuple[list[Issue], list[str]]:
        """``(issues, missing)``: every broken rule, and the features that are null/absent."""
        if type(obj) is not dict:
            return [Issue("$", "type", "an applicant must be a JSON object", index)], []
        missing = self.fast(obj)
        if missing is not None:
            return [], missing
        return self.check_slow(obj, index)

    def check_slow(self, obj: dict[str, Any],
                   index: int | None = None) -> tuple[list[Issue], list[str]]:
        """The reference: :meth:`Column.check_value` on every field, every problem named."""
        issues: list[Issue] = []
        missing: list[str] = []
        for name, col, null_ok, is_feature in self._fields:
            v = obj.get(name)
            if v is None:
                if is_feature:
                    missing.append(name)
                if null_ok:
                    continue
            broken = check_value(col, v)
            if broken is not None:
                issues.append(_issue(name, broken, index))
        if not obj.keys() <= self.names:
            issues.extend(Issue(k, "unknown_field", "not a field of the data contract", index)
                          for k in obj if k not in self.names)
        return issues, missing

    def check_one(self, obj: Any) -> list[str]:
        """The missing features of one record, or :class:`InvalidRecordsError`."""
        issues, missing = self.check(obj)
        if issues:
            raise InvalidRecordsError(issues)
        return missing

    def check_batch(self, payload: Any, max_items: int) -> list[list[str]]:
        """Check every item of a decoded JSON array; the missing features per item, or
        :class:`InvalidRecordsError` (at most :data:`MAX_ISSUES` issues, then truncated)."""
        if type(payload) is not list:
            raise InvalidRecordsError([Issue("$", "type", "the body must be a JSON array of "
                                             "applicants")])
        if len(payload) > max_items:
            raise InvalidRecordsError([too_many(max_items, len(payload))])
        check = self.check
        issues: list[Issue] = []
        missing: list[list[str]] = []
        for i, item in enumerate(payload):
            found, absent = check(item, i)
            missing.append(absent)
            if found:
                issues.extend(found)
                if len(issues) >= MAX_ISSUES:
                    raise InvalidRecordsError(issues[:MAX_ISSUES], truncated=True)
        if issues:
            raise InvalidRecordsError(issues)
        return missing


def too_many(max_items: int, count: int | str) -> Issue:
    """The issue of a batch longer than ``max_items`` (``count`` may be a lower bound)."""
    return Issue("$", "max_items", f"at most {max_items} applicants per request, got {count}")
