"""Batch work on the decision log (:mod:`scorecard.data.decision_log`): export, observed
outcomes, the applicants of a card as monitoring periods, and the human oversight of each
period (referrals, overrides, the backlog)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd

from scorecard.data.atomic import atomic_write
from scorecard.data.decision_log import FIELDS, DecisionStore
from scorecard.data.errors import ContractError

OUTCOME_COLUMNS = ("default", "observed_default")
ID_COLUMNS = ("decision_id", "applicant_id", "uuid")


OVERRIDE_COLUMNS = ("overrides", "current_decision", "overridden_by", "overridden_at",
                    "override_reason")


def frame(store: DecisionStore, where: str = "", params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """The records as a frame (columns :data:`FIELDS`, ``observed_default`` and
    :data:`OVERRIDE_COLUMNS`: the number of overrides, the decision in effect and who made
    the last override, when and why), in decision id (time) order."""
    rows = [[r[f] for f in FIELDS] for r in store.records(where, params)]
    out = pd.DataFrame(rows, columns=list(FIELDS))
    outcomes = store.outcomes()
    out["observed_default"] = pd.array([outcomes.get(d) for d in out["decision_id"]],
                                       dtype="Int8")
    counts: dict[str, int] = {}
    last: dict[str, dict[str, Any]] = {}
    for o in store.overrides():  # chain order: the last one seen is in effect
        counts[o["decision_id"]] = counts.get(o["decision_id"], 0) + 1
        last[o["decision_id"]] = o
    ids = out["decision_id"].tolist()
    out["overrides"] = pd.array([counts.get(d, 0) for d in ids], dtype="Int64")
    out["current_decision"] = [last[d]["decision"] if d in last else dec
                               for d, dec in zip(ids, out["decision"], strict=True)]
    for column, name in (("overridden_by", "reviewer"), ("overridden_at", "recorded"),
                         ("override_reason", "reason")):
        out[column] = [last[d][name] if d in last else None for d in ids]
    return out


def export(store: DecisionStore, path: Path, where: str = "",
           params: tuple[Any, ...] = ()) -> int:
    """Write the records to ``path`` (``.csv`` or ``.parquet``) atomically; returns the
    count."""
    data = frame(store, where, params)
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_write(path, "wb") as fh:
            pq.write_table(pa.Table.from_pandas(data, preserve_index=False), fh)
    else:
        with atomic_write(path, "w", newline="") as fh:
            data.to_csv(fh, index=False, lineterminator="\n")
    return len(data)


def attach_outcomes(store: DecisionStore, path: Path) -> tuple[int, int]:
    """Observed defaults from a CSV with a ``decision_id`` (or ``applicant_id``/``uuid``:
    every decision of that applicant) column and a ``default`` (or ``observed_default``)
    column of 0/1; returns (decisions updated, rows that matched none)."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        key = next((c for c in ID_COLUMNS if c in header), None)
        target = next((c for c in OUTCOME_COLUMNS if c in header), None)
        if key is None or target is None:
            raise ContractError(f"{path}: needs a column {' or '.join(ID_COLUMNS)} and a "
                                f"column {' or '.join(OUTCOME_COLUMNS)}; found "
                                f"{', '.join(header) or 'none'}")
        wanted: list[tuple[str, int]] = []
        for line, row in enumerate(reader, start=2):
            value = (row.get(target) or "").strip()
            if value in ("", "NA"):
                continue
            if value not in ("0", "1", "0.0", "1.0"):
                raise ContractError(f"{path}: line {line}: {target} {value!r} is not 0 or 1")
            wanted.append(((row.get(key) or "").strip(), int(float(value))))
    by_applicant: dict[str, list[str]] = {}
    if key != "decision_id":
        for r in store.records():
            if r["applicant_id"] is not None:
                by_applicant.setdefault(r["applicant_id"], []).append(r["decision_id"])
    pairs, unmatched = [], 0
    for ident, y in wanted:
        if key == "decision_id":
            ids = [ident] if store.get(ident) is not None else []
        else:
            ids = by_applicant.get(ident, [])
        unmatched += not ids
        pairs += [(d, y) for d in ids]
    store.record_outcomes(pairs)
    return len(pairs), unmatched


def periods(store: DecisionStore, artifact: dict[str, Any], period: str,
            target: str | None) -> list[tuple[str, pd.DataFrame]]:
    """The applicants the card (by content hash) scored, one frame per calendar ``month``
    or ``quarter`` of receipt, as ``monitor --input`` reads them (with the observed default
    as the target column)."""
    outcomes = store.outcomes()
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in store.records("content_hash = ?", (artifact["content_hash"],)):
        stamp = pd.Timestamp(r["received"][:10])
        key = (f"{stamp.year}-{stamp.month:02d}" if period == "month"
               else f"{stamp.year}Q{stamp.quarter}")
        row = json.loads(r["inputs"])
        if target is not None:
            row[target] = outcomes.get(r["decision_id"])
        groups.setdefault(key, []).append(row)
    if not groups:
        raise ContractError(f"the decision log holds no decision of {artifact['model_id']} "
                            f"({artifact['content_hash']})")
    return [(k, pd.DataFrame(groups[k])) for k in sorted(groups)]


def period_bounds(key: str) -> tuple[str, str]:
    """The first day of a ``2026-01`` month or ``2026Q1`` quarter and of the next one."""
    if "Q" in key:
        year, quarter = int(key[:4]), int(key[-1])
        first, months = 3 * quarter - 2, 3
    else:
        year, first, months = int(key[:4]), int(key[5:7]), 1
    end = first + months
    after = f"{year + (end > 12)}-{(end - 1) % 12 + 1:02d}-01"
    return f"{year}-{first:02d}-01", after


def with_rate(counts: dict[str, int]) -> dict[str, Any]:
    """``counts`` (:meth:`DecisionStore.oversight`) and the override rate (overridden
    decisions over decisions; ``None`` without decisions)."""
    n = counts["decisions"]
    return {**counts, "override_rate": counts["overridden"] / n if n else None}


def oversight(store: DecisionStore, artifact: dict[str, Any], names: list[str]
              ) -> dict[str, Any]:
    """The human oversight of the card's decisions (by content hash), over the whole log
    (its ``open_referrals``: the referral backlog) and per period ``names`` (as
    :func:`periods` names them)."""
    card = "content_hash = ?"
    params: tuple[Any, ...] = (artifact["content_hash"],)
    out = with_rate(store.oversight(card, params))
    out["periods"] = {}
    for name in names:
        start, end = period_bounds(name)
        out["periods"][name] = with_rate(store.oversight(
            f"{card} AND received >= ? AND received < ?", (*params, start, end)))
    return out
