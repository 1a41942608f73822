"""``scorecard explain``: decision, adverse-action reasons and counterfactuals per applicant.

The same explanation as ``POST /v1/explain`` (:class:`scorecard.card.recourse.Explainer`),
for every applicant of a file: a JSON file (one applicant object, or an array of them, in
the contract's field names, null = missing) or a data file in the card's format. Writes one
JSON document (``--output``, atomically; default stdout).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from scorecard import settings
from scorecard.cli import EXIT_OK, UsageError, non_empty, non_negative_int, positive_int
from scorecard.data.paths import DEFAULT_ARTIFACT

ENV_CUTOFF = settings.CUTOFF.name  # as the service's setting


def _json_applicants(path: Path, artifact: dict[str, Any]) -> list[dict[str, Any]]:
    from scorecard.card.artifact import input_contract
    from scorecard.data.errors import ContractError
    from scorecard.data.records import InvalidRecordsError, RecordValidator

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: not valid JSON ({exc})") from None
    items = raw if isinstance(raw, list) else [raw]
    columns = input_contract(artifact)
    target = next((c.name for c in columns if c.kind == "target"), None)
    validator = RecordValidator(columns, artifact["id_column"], target, True)
    try:
        validator.check_batch(items, max(len(items), 1))
    except InvalidRecordsError as exc:
        lines = [f"{path}: item {i.index if i.index is not None else 0}: field {i.field}: "
                 f"{i.rule}: {i.message}" for i in exc.issues]
        raise ContractError("\n".join(lines)) from None
    return items


def _file_applicants(path: Path, artifact: dict[str, Any]) -> list[dict[str, Any]]:
    from scorecard.data.files import read_dataset
    from scorecard.jobs.batch import contract_for

    frame = read_dataset(path, contract_for(artifact)).frame
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else
                        v.item() if hasattr(v, "item") else v) for k, v in record.items()})
    return out


def _explain(args: argparse.Namespace) -> int:
    from scorecard.card.artifact import input_contract, load_artifact, master_scale
    from scorecard.card.decisions import PolicyError, make_policy
    from scorecard.card.engine import ScoringEngine
    from scorecard.card.reasons import (
        ReasonError,
        reason_entry,
        reason_value,
        reference_points,
        top_reasons,
    )
    from scorecard.card.recourse import Explainer
    from scorecard.data import safety
    from scorecard.data.atomic import atomic_write_text

    safety.artifact_file(args.artifact)
    safety.input_file(args.input, "--input", kind="data")
    safety.data_file(args.input)
    if args.output is not None:
        safety.output_file(args.output, "--output",
                           [("--input", args.input), ("--artifact", args.artifact)])
    artifact = load_artifact(args.artifact)
    scale = master_scale(artifact)
    cutoff = args.cutoff or settings.CUTOFF.read()
    if cutoff is None:
        raise UsageError(f"--cutoff is required (or set {ENV_CUTOFF}): a score (600), a pd "
                         "(pd:0.05) or a grade (grade:E)")
    try:
        policy = make_policy(cutoff, args.refer_band, artifact, scale)
        if policy is None:  # pragma: no cover - a non-empty cut-off always makes a policy
            raise UsageError("--cutoff: empty")
        reference = reference_points(artifact, args.reason_method, policy.cutoff_score)
    except (PolicyError, ReasonError) as exc:
        raise UsageError(f"--cutoff/--reason-method: {exc}") from None
    path = Path(args.input)
    applicants = (_json_applicants(path, artifact) if path.suffix.lower() == ".json"
                  else _file_applicants(path, artifact))
    engine = ScoringEngine(artifact)
    explainer = Explainer(engine, input_contract(artifact), scale)
    results = []
    if applicants:
        scored = engine.score({n: [a.get(n) for a in applicants] for n in engine.columns_})
        picks = top_reasons(engine, scored, 4, reference).tolist()
        id_column = artifact["id_column"]
        for i, applicant in enumerate(applicants):
            out = explainer.explain(applicant, policy, args.k)
            reasons = [reason_entry(engine, j, int(scored.bin_table()[i, j]),
                                    int(scored.points[i, j]),
                                    reason_value(engine.inputs_[j], applicant),
                                    args.reason_method, reference[j])
                       for j in picks[i] if j >= 0]
            results.append({"uuid": applicant.get(id_column) if id_column else None, **out,
                            "reasons": reasons})
    document = {"model_id": artifact["model_id"], "content_hash": artifact["content_hash"],
                "policy": policy.to_dict(), "reason_method": args.reason_method,
                "count": len(results), "results": results}
    text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(args.output, text)
        found = sum(r["status"] == "found" for r in results)
        print(f"explained {len(results)} applicant(s) with {artifact['model_id']} at cut-off "
              f"score {policy.cutoff_score} ({found} with counterfactuals) into "
              f"{args.output}", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``explain`` to the ``scorecard`` parser."""
    p = sub.add_parser("explain", help="decision, reasons and counterfactuals per applicant",
                       description="For each applicant of --input (a JSON applicant or array "
                       "of applicants, or a data file in the card's format): the decision at "
                       "the cut-off, the adverse-action reasons and up to --k counterfactuals "
                       "with the fewest changed actionable characteristics that reach the "
                       "cut-off, each re-scored by the engine. Same answer as POST "
                       "/v1/explain.")
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--input", type=non_empty, required=True,
                   help="applicants: .json (object or array) or a data file")
    p.add_argument("--output", type=non_empty, help="JSON to write (default stdout)")
    p.add_argument("--cutoff", help=f"a score (600), pd:0.05 or grade:E (default ${ENV_CUTOFF})")
    p.add_argument("--refer-band", type=non_negative_int, default=0,
                   help="points below the cut-off that are referred (default 0)")
    p.add_argument("--reason-method", choices=("max", "cutoff", "average"), default="max",
                   help="what reasons are measured against (default max: the best bin)")
    p.add_argument("--k", type=positive_int, default=3,
                   help="counterfactual alternatives per applicant (default 3)")
    p.set_defaults(func=_explain)
