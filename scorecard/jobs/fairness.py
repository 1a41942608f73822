"""``scorecard fairness``: fair-lending tests of a card on applicant rows.

The groups are never model inputs: a column of the input file (an age column is cut into
:data:`AGE_BANDS`), a side file joined by the card's id column, or by default the spec's
``protected`` columns. Each group column is tested by
:func:`validation.fairness.group_figures` at a cut-off (a score, ``pd:``, ``grade:``; by
default the 10th percentile of the card's development scores, so the riskiest tenth of the
development sample would be declined). A group *flagged* for adverse impact gets:

* the characteristics whose points differ most from the reference group
  (:func:`validation.fairness.point_gaps`), and
* with outcomes and ``refit > 0``, what dropping each of the ``refit`` characteristics with
  the largest loss would cost: the card is refitted, with every characteristic and without
  each of them, on the development rows of the same split ``regenerate`` uses (labelled rows
  of the input, seed 0, 30 % holdout; the spec's built-in overrides). On the holdout each
  variant, and the published card, gets its AUC (cost: against the refit with every
  characteristic) and the group's adverse impact ratio when it approves the published
  card's overall share, so a reviewer weighs a less discriminatory alternative with
  figures.

The report is ``fairness.json`` and ``fairness.html``; the command exits 5 when a group is
flagged, like ``monitor``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scorecard.card.artifact import master_scale
from scorecard.card.decisions import make_policy
from scorecard.card.engine import ScoringEngine
from scorecard.card.reasons import top_reasons
from scorecard.data.atomic import atomic_write_text
from scorecard.fit.groups import FairnessError, as_groups
from validation import fairness as stats
from validation.plain import plain

TOP_REASONS_SHOWN = 3
TOP_GAPS = 5


def _sniff_separator(header: str) -> str:
    return max((",", ";", "\t", "|"), key=header.count)


def read_group_file(path: Path, ids: pd.Series, id_column: str,
                    ) -> tuple[dict[str, pd.Series], list[str]]:
    """The group columns of a side file joined to the input rows by ``id_column``, and notes
    on the join. Raises :class:`FairnessError` when the file has no such column, repeats an
    id, or no id matches."""
    text = path.read_text(encoding="utf-8-sig")
    sep = _sniff_separator(text.split("\n", 1)[0])
    side = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                       encoding="utf-8-sig")
    if id_column not in side.columns:
        raise FairnessError(f"--groups {path}: no column {id_column!r} (the card's id column) "
                            f"to join on; columns: {', '.join(map(str, side.columns[:20]))}")
    others = [c for c in side.columns if c != id_column]
    if not others:
        raise FairnessError(f"--groups {path}: no group column besides {id_column!r}")
    dup = side[id_column].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise FairnessError(f"--groups {path}: id {side[id_column].iloc[row]!r} repeated "
                            f"(row {row + 2})")
    keyed = side.set_index(id_column)
    key = ids.astype(str)
    found = key.isin(keyed.index)
    if not found.any():
        raise FairnessError(f"--groups {path}: none of its {len(side)} ids is an id of the "
                            f"input ({id_column!r}, e.g. {key.iloc[0]!r} against "
                            f"{str(side[id_column].iloc[0])!r})")
    notes = []
    if not found.all():
        notes.append(f"{int((~found).sum())} input rows have no row in {path.name}: left out "
                     "of every group")
    extra = int((~keyed.index.isin(key)).sum())
    if extra:
        notes.append(f"{extra} rows of {path.name} match no input row: ignored")
    joined = keyed.reindex(key.to_numpy())
    return {c: pd.Series(joined[c].to_numpy(), dtype=object) for c in others}, notes


def group_columns(frame: pd.DataFrame, groups: str | None, artifact: dict[str, Any],
                  ids: pd.Series) -> tuple[dict[str, tuple[np.ndarray, str]], list[str]]:
    """``{column: (labels, how)}`` and notes, from ``--groups`` (a file, or column names
    of the input) or the spec's ``protected`` columns."""
    notes: list[str] = []
    raw: dict[str, pd.Series] = {}
    source: dict[str, str] = {}
    if groups is None:
        protected = list(artifact.get("spec", {}).get("protected", []))
        if not protected:
            raise FairnessError("--groups: none given and the card's spec names no protected "
                                "attributes; give a groups file or column names")
        groups = ",".join(protected)
    path = Path(groups)
    if path.is_file():
        id_col = artifact.get("id_column")
        if not id_col:
            raise FairnessError("--groups FILE: the card has no id column to join on; name "
                                "columns of the input instead")
        raw, notes = read_group_file(path, ids, id_col)
        source = {c: f"groups file {path.name}" for c in raw}
    else:
        names = [n.strip() for n in groups.split(",") if n.strip()]
        missing = [n for n in names if n not in frame.columns]
        if missing or not names:
            raise FairnessError(f"--groups {groups!r}: neither a file nor columns of the input "
                                f"({', '.join(missing) or 'empty'} not found)")
        for n in names:
            raw[n] = frame[n].reset_index(drop=True)
            source[n] = "input column"
    out = {}
    for name, values in raw.items():
        labels, how = as_groups(name, values)
        out[name] = (labels, f"{source[name]}, {how}")
    return out, notes


def parse_references(items: list[str] | None) -> dict[str, str]:
    refs: dict[str, str] = {}
    for item in items or []:
        col, sep, value = item.partition("=")
        if not sep or not col.strip() or not value.strip():
            raise FairnessError(f"--reference {item!r}: expected GROUP_COLUMN=VALUE")
        refs[col.strip()] = value.strip()
    return refs


def default_cutoff(artifact: dict[str, Any]) -> int:
    """The lowest score of the development sample's second score decile: the riskiest
    tenth of the development applicants would be declined."""
    edges = artifact.get("reference", {}).get("score_bands", {}).get("edges")
    if not edges:
        raise FairnessError("--cutoff: the card carries no development score bands; give one")
    return math.ceil(float(edges[0]))


def spec_of(artifact: dict[str, Any]) -> Any:
    """The card's :class:`~scorecard.fit.spec.DatasetSpec`, rebuilt from the artifact."""
    from scorecard.card.artifact import file_contract
    from scorecard.data.contract import CONTRACTS
    from scorecard.fit.spec import DatasetSpec

    s = artifact["spec"]
    name = s.get("contract")
    contract = CONTRACTS[name] if isinstance(name, str) and name in CONTRACTS \
        else file_contract(artifact)
    keys = ("categorical", "special_codes", "monotonic", "exclude", "reason_prefix",
            "card_method", "final_fit", "actionable", "interactions", "protected")
    kwargs: dict[str, Any] = {k: (tuple(s[k]) if isinstance(s[k], list) else s[k])
                              for k in keys if k in s}
    return DatasetSpec(name=s["name"], contract=contract, **kwargs)


def refit_costs(artifact: dict[str, Any], frame: pd.DataFrame, target: str,
                labels: np.ndarray, group: str, reference: str, drop: list[str],
                approve_share: float) -> dict[str, Any]:
    """The card refitted on the development rows with and without each of ``drop``: holdout
    AUC, its cost, and the group's adverse impact ratio when each variant approves
    ``approve_share`` of the holdout (the published card's approval rate)."""
    from dataclasses import replace

    from scorecard.fit.estimator import Scorecard
    from scorecard.fit.overrides import builtin_overrides, load_overrides
    from scorecard.jobs.regenerate import RegenerateConfig
    from validation.discrimination import delong_auc
    from validation.splits import make_splits

    spec = spec_of(artifact)
    lab = frame[target].notna().to_numpy()
    rows = frame[lab].reset_index(drop=True)
    y = rows[target].to_numpy(dtype=int)
    design = make_splits(y, holdout_fraction=0.3, seed=0)
    dev, hold = design.development, design.holdout
    in_g, in_r = labels[lab][hold] == group, labels[lab][hold] == reference
    config = RegenerateConfig()
    overrides = load_overrides(builtin_overrides(spec.name))

    def variant(drop_name: str | None, published: bool = False) -> dict[str, Any]:
        if published:
            score = ScoringEngine(artifact).score(rows.iloc[hold]).score.astype(float)
        else:
            s = spec if drop_name is None else replace(
                spec, exclude={**spec.exclude, drop_name: "fairness: dropped to weigh its cost"})
            # Every method-dependent default from the spec and the one table, as regenerate.
            card = Scorecard(s, {k: v for k, v in overrides.items() if k not in s.exclude},
                             scaling=config.scaling, random_state=config.seed)
            card.fit(rows.iloc[dev], y[dev])
            score = card.engine().score(rows.iloc[hold]).score.astype(float)
        r = delong_auc(y[hold], score, higher_is_riskier=False)
        t = np.quantile(score, 1.0 - approve_share, method="lower")
        ok = score >= t
        rate_g = float(ok[in_g].mean()) if in_g.any() else None
        rate_r = float(ok[in_r].mean()) if in_r.any() else None
        air = rate_g / rate_r if rate_g is not None and rate_r else None
        return {"variant": "published" if published else "refit", "drop": drop_name,
                "auc": r.auc, "auc_ci_low": r.ci_low,
                "auc_ci_high": r.ci_high, "approval_rate": rate_g,
                "reference_rate": rate_r, "air": air}

    # the published card on the same holdout rows (in-sample when it was fitted on them)
    variants = [variant(None, published=True), variant(None)] + [variant(n) for n in drop]
    for v in variants:
        v["auc_cost"] = variants[1]["auc"] - v["auc"]
    return {"development_rows": int(dev.size), "holdout_rows": int(hold.size),
            "approval_share": approve_share, "variants": variants}


def fairness_report(artifact: dict[str, Any], frame: pd.DataFrame, ids: pd.Series,
                    groups: str | None, cutoff: str | None, references: dict[str, str],
                    target: str | None, *, min_rows: int = stats.MIN_ROWS, refit: int = 3,
                    input_name: str = "", progress: Any = None) -> dict[str, Any]:
    """Every figure of ``fairness.json`` (module docstring)."""
    say = progress.say if progress is not None else (lambda _m: None)
    columns, notes = group_columns(frame, groups, artifact, ids)
    unknown = sorted(set(references) - set(columns))
    if unknown:
        raise FairnessError(f"--reference: {', '.join(unknown)} is not a group column "
                            f"({', '.join(columns)})")
    engine = ScoringEngine(artifact)
    frame = frame.reset_index(drop=True)
    scored = engine.score(frame)
    text = cutoff if cutoff is not None else str(default_cutoff(artifact))
    policy = make_policy(text, 0, artifact, master_scale(artifact))
    if policy is None:  # a non-empty cut-off always gives one; not an assert (python -O)
        raise FairnessError(f"--cutoff {text!r}: no policy")
    approved = scored.score >= policy.cutoff_score
    y = None
    if target is not None and target in frame.columns and frame[target].notna().any():
        y = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=float)
    first = top_reasons(engine, scored, 1)[:, 0]
    feats = artifact["features"]
    out_cols = []
    for name, (labels, how) in columns.items():
        try:
            fig = stats.group_figures(scored.score, approved, labels, references.get(name),
                                      pd=scored.pd, y=y, min_rows=min_rows)
        except ValueError as exc:
            raise FairnessError(f"--reference {name}={references.get(name)}: {exc}") from exc
        small = [g["group"] for g in fig["groups"] if not g["tested"]]
        if small:
            notes.append(f"{name}: {', '.join(small)} with fewer than {min_rows} rows: "
                         "reported, not tested")
        if fig["reference"] is None:
            notes.append(f"{name}: no group has {min_rows} rows; nothing tested")
        ref = fig["reference"]
        reasons = {}
        for g in fig["groups"]:
            m = labels == g["group"]
            picks = first[m]
            picks = picks[picks >= 0]
            counts = np.bincount(picks, minlength=len(feats)) if picks.size else \
                np.zeros(len(feats), dtype=int)
            order = sorted(range(len(feats)), key=lambda j: (-counts[j], j))[:TOP_REASONS_SHOWN]
            reasons[g["group"]] = [{"code": feats[j]["reason_code"],
                                    "characteristic": feats[j]["name"],
                                    "share": float(counts[j] / m.sum())}
                                   for j in order if counts[j] > 0]
        drivers = {}
        for g in fig["flagged"]:
            gaps = stats.point_gaps(scored.points, engine.features_, labels == g,
                                    labels == ref)[:TOP_GAPS]
            entry: dict[str, Any] = {"gaps": gaps, "refit": None}
            losers = [r["characteristic"] for r in gaps if r["gap"] < 0][:refit]
            # y is set only with a target column
            if refit and y is not None and target is not None and losers:
                say(f"{name}={g}: refitting the card without {', '.join(losers)}")
                entry["refit"] = refit_costs(artifact, frame, target, labels, g, ref, losers,
                                             float(approved.mean()))
            drivers[g] = entry
        out_cols.append({"column": name, "source": how, **fig, "reasons": reasons,
                         "drivers": drivers})
    flags = [f"{c['column']}={g}: approval rate {r['approval_rate']:.1%} against "
             f"{r['air']['reference_rate']:.1%} for {c['reference']} (adverse impact ratio "
             f"{r['air']['ratio']:.2f} < {stats.AIR_THRESHOLD}, p = {r['air']['p_value']:.2g})"
             for c in out_cols for r in c["groups"] if r["group"] in c["flagged"]]
    warnings = [f"{c['column']}={r['group']}: mean pd {r['calibration']['mean_pd']:.2%} outside "
                f"the Jeffreys interval [{r['calibration']['ci_low']:.2%}, "
                f"{r['calibration']['ci_high']:.2%}] of its default rate "
                f"{r['calibration']['default_rate']:.2%}"
                for c in out_cols for r in c["groups"]
                if r.get("calibration") and r["calibration"]["outside_interval"]]
    return plain({
        "schema_version": 1, "model_id": artifact["model_id"],
        "content_hash": artifact["content_hash"], "input": input_name,
        "rows": len(frame), "labelled": int(np.isfinite(y).sum()) if y is not None else 0,
        "cutoff": {"given": cutoff, "score": policy.cutoff_score, "pd": policy.cutoff_pd,
                   "approval_rate": float(approved.mean())},
        "thresholds": {"air": stats.AIR_THRESHOLD, "alpha": stats.ALPHA, "min_rows": min_rows},
        "flagged": bool(flags), "flags": flags, "warnings": warnings, "notes": notes,
        "columns": out_cols})


def write_outputs(report: dict[str, Any], out: Path) -> None:
    """``fairness.json`` and ``fairness.html`` into ``out``, atomically."""
    from validation.fairness_report import render_fairness

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "fairness.json",
                      json.dumps(report, indent=1, allow_nan=False) + "\n")
    atomic_write_text(out / "fairness.html", render_fairness(report))
