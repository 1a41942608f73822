"""Replay the decision log: re-score every record with the card of its content hash, under
the policy and reason method it records, through the service that answered it
(:class:`~api.service.ScoringService`), and list every difference.

Used by ``scorecard decisions replay``; records are read in pages and scored in batches, so
memory stays flat whatever the log's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from api.service import ScoringService
from scorecard.card.artifact import ArtifactError, load_artifact
from scorecard.data.decision_log import DecisionStore
from scorecard.data.records import InvalidRecordsError

COMPARED = ("pd", "score", "grade", "decision", "reasons")
BATCH = 5_000


@dataclass
class ReplayReport:
    """Records replayed and every difference, one line each (``decision id: field logged
    X, replayed Y``)."""

    replayed: int = 0
    differences: list[str] = field(default_factory=list)
    cards: dict[str, str] = field(default_factory=dict)  # content hash -> path used


def cards_in(folder: Path) -> dict[str, Path]:
    """Every verified card under ``folder`` by content hash (other JSON files are
    skipped)."""
    out: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.json")):
        try:
            artifact = load_artifact(path)
        except (ArtifactError, OSError, ValueError):
            continue
        out.setdefault(artifact["content_hash"], path)
    return out


def replay(store: DecisionStore, cards: Path, where: str = "", params: tuple[Any, ...] = (),
           limit_differences: int = 1000) -> ReplayReport:
    """Re-score the records matching ``where`` (SQL over the log's columns) and compare."""
    found = cards_in(cards)
    report = ReplayReport()
    services: dict[tuple[str, str | None, str], ScoringService | None] = {}
    for chunk in _chunks(store.records(where, params), BATCH):
        groups: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
        for rec in chunk:
            groups.setdefault((rec["content_hash"], rec["policy"], rec["reason_method"]),
                              []).append(rec)
        for key, recs in groups.items():
            if key not in services:
                services[key] = _service(key, found, report)
            service = services[key]
            report.replayed += len(recs)
            if service is None:
                report.differences += [f"decision {r['decision_id']}: no card with content "
                                       f"hash {key[0]} under {cards}" for r in recs]
                continue
            _compare(service, recs, report)
        if len(report.differences) > limit_differences:
            break
    return report


def _service(key: tuple[str, str | None, str], found: dict[str, Path],
             report: ReplayReport) -> ScoringService | None:
    content_hash, policy, method = key
    path = found.get(content_hash)
    if path is None:
        return None
    report.cards[content_hash] = str(path)
    spec = json.loads(policy) if policy else None
    return ScoringService(load_artifact(path), allow_missing=True, max_batch=BATCH,
                          cutoff=None if spec is None else spec["cutoff"],
                          refer_band=0 if spec is None else int(spec["refer_band"]),
                          reason_method=method,
                          automated_declines=spec is None or spec.get("automated_declines",
                                                                      True))


def _compare(service: ScoringService, recs: list[dict[str, Any]], report: ReplayReport) -> None:
    inputs = [msgspec.json.decode(r["inputs"]) for r in recs]
    try:
        results = service.score_batch(inputs).results
    except InvalidRecordsError as exc:
        bad = {i.index for i in exc.issues}
        report.differences += [f"decision {recs[i]['decision_id']}: its inputs no longer pass "
                               "the card's contract" for i in sorted(b for b in bad
                                                                       if b is not None)]
        keep = [i for i in range(len(recs)) if i not in bad]
        if not keep or len(keep) == len(recs):
            return
        return _compare(service, [recs[i] for i in keep], report)
    for rec, res in zip(recs, results, strict=True):
        replayed = {"pd": res.pd, "score": res.score, "grade": res.grade,
                    "decision": res.decision, "reasons": [r.code for r in res.reasons]}
        logged = {**{k: rec[k] for k in COMPARED[:-1]}, "reasons": json.loads(rec["reasons"])}
        for name in COMPARED:
            if logged[name] != replayed[name]:
                report.differences.append(f"decision {rec['decision_id']}: {name} logged "
                                          f"{logged[name]!r}, replayed {replayed[name]!r}")


def _chunks(records: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
