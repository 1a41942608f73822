"""``scorecard monitor``: periods of a served card's population against its development sample.

Each period is reduced to counts (applicants per score band, per master-scale grade, per
characteristic bin; the bands and the development counts are the card's ``reference``, see
:mod:`scorecard.card.artifact`), and every population figure is computed from those counts by
:mod:`validation.drift`. The counts come either from applicant rows
(:func:`counts_from_rows`) or from the live service's Prometheus counters
(:func:`counts_from_metrics`): the same applicants give the same figures either way. With
outcomes (the target filled in) a period also gets AUC/Gini with DeLong intervals and a test
against the development AUC, the default rate against the mean pd, per-grade Jeffreys and
binomial tests, and the Brier score.

A period *breaches* (exit code 5 of the command) when its score PSI or any CSI is >= 0.25
(red), or, with outcomes, its AUC is significantly below development or its default rate
differs significantly from the mean pd (both at :data:`validation.drift.ALPHA`).
Amber PSI/CSI (0.10-0.25) is reported as a warning only.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scorecard import settings
from scorecard.card.artifact import ArtifactError, master_scale
from scorecard.card.engine import UNSEEN, ScoringEngine
from scorecard.data.atomic import atomic_write_text
from scorecard.data.errors import ContractError
from validation import drift as stats
from validation.calibration import brier, grade_test

RED = 0.25


@dataclass
class PeriodCounts:
    """One period's population as counts over the card's closed sets."""

    name: str
    n: int
    bands: list[int]
    grades: list[int] | None
    bins: dict[str, list[int]]          # per characteristic, per bin index
    unseen: dict[str, int] = field(default_factory=dict)


def reference_of(artifact: dict[str, Any]) -> dict[str, Any]:
    ref = artifact.get("reference")
    if not ref:
        raise ArtifactError("reference: the card carries no development distributions; "
                            "refit it with this version (scorecard regenerate) to monitor it")
    return ref


def counts_from_scored(name: str, artifact: dict[str, Any], score: np.ndarray,
                       bins: np.ndarray) -> PeriodCounts:
    """Counts of scored rows (``score`` (n,), ``bins`` (n, k) from the engine)."""
    ref = reference_of(artifact)
    edges = np.asarray(ref["score_bands"]["edges"], dtype=float)
    bands = np.bincount(np.searchsorted(edges, score, side="right"), minlength=edges.size + 1)
    scale = master_scale(artifact)
    grades = (np.bincount(scale.grade_index(score), minlength=scale.n_grades).tolist()
              if scale is not None else None)
    per_bin: dict[str, list[int]] = {}
    unseen: dict[str, int] = {}
    for j, f in enumerate(artifact["features"]):
        col = bins[:, j]
        per_bin[f["name"]] = np.bincount(col[col >= 0], minlength=len(f["bins"])).tolist()
        unseen[f["name"]] = int((col == UNSEEN).sum())
    return PeriodCounts(name, int(score.size), [int(b) for b in bands], grades, per_bin, unseen)


_SAMPLE = re.compile(r'^(\w+)\{(.*)\}\s+(\S+)')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m:
            labels = {k: v.replace('\\"', '"').replace("\\\\", "\\")
                      for k, v in _LABEL.findall(m.group(2))}
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def read_metrics(source: str) -> str:
    """The exposition text of a file or an ``http(s)://`` URL (``/metrics``; sends
    ``X-API-Key: $SCORECARD_API_KEY`` when that is set)."""
    if re.match(r"^https?://", source):
        # a /metrics behind the service's key: the same variable the service reads
        key = settings.API_KEY.read()
        request = urllib.request.Request(source, headers={"X-API-Key": key} if key else {})
        try:
            # the scheme was checked above: only http(s), never file:// or ftp://
            with urllib.request.urlopen(request, timeout=30) as resp:  # nosec B310
                return resp.read().decode("utf-8")
        except OSError as exc:
            raise ContractError(f"--metrics: cannot read {source} ({exc})") from exc
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"--metrics: cannot read {source} ({exc})") from exc


def counts_from_metrics(name: str, artifact: dict[str, Any], text: str,
                        base: str | None = None) -> PeriodCounts:
    """Counts of the card's applicants in a Prometheus snapshot (minus ``base``, an earlier
    snapshot of the same process, when given)."""
    ref = reference_of(artifact)
    mid = artifact["model_id"]

    def parse(t: str) -> dict[tuple[str, ...], float]:
        got: dict[tuple[str, ...], float] = {}
        for metric, labels, value in _samples(t):
            if labels.get("model_id") != mid:
                continue
            if metric == "scorecard_score_band_applicants_total":
                got[("band", labels["band"])] = value
            elif metric == "scorecard_grade_applicants_total":
                got[("grade", labels["grade"])] = value
            elif metric == "scorecard_characteristic_bin_applicants_total":
                got[("bin", labels["characteristic"], labels["bin"])] = value
        return got

    now = parse(text)
    if not now:
        raise ContractError(f"--metrics: no population counters of {mid} in the snapshot "
                            "(is it the service of this card?)")
    before = parse(base) if base is not None else {}
    delta = {k: v - before.get(k, 0.0) for k, v in now.items()}
    if any(v < 0 for v in delta.values()):
        raise ContractError("--metrics-base: counts above the snapshot's; the base must be an "
                            "earlier snapshot of the same service process")

    def get(*key: str) -> int:
        return int(delta.get(key, 0.0))

    n_bands = len(ref["score_bands"]["edges"]) + 1
    bands = [get("band", str(b)) for b in range(n_bands)]
    scale = master_scale(artifact)
    grades = [get("grade", g) for g in scale.grades] if scale is not None else None
    bins = {f["name"]: [get("bin", f["name"], str(b["index"])) for b in f["bins"]]
            for f in artifact["features"]}
    unseen = {f["name"]: get("bin", f["name"], "unseen") for f in artifact["features"]}
    return PeriodCounts(name, sum(bands), bands, grades, bins, unseen)


def _band_ranges(edges: list[float]) -> list[str]:
    e = ["-inf", *(f"{x:g}" for x in edges), "inf"]
    return [f"[{a}, {b})" for a, b in itertools.pairwise(e)]


def population_figures(artifact: dict[str, Any], c: PeriodCounts) -> dict[str, Any]:
    """Every population figure of one period, from its counts alone."""
    if c.n == 0:
        raise ContractError(f"period {c.name}: no applicants")
    ref = reference_of(artifact)
    psi = stats.psi_counts(ref["score_bands"]["counts"], c.bands)
    ranges = _band_ranges(ref["score_bands"]["edges"])
    out: dict[str, Any] = {
        "name": c.name, "volume": c.n,
        "score": {"psi": psi["psi"], "light": psi["light"], "bands": [
            {"band": b, "range": ranges[b], "count": c.bands[b], "ref_share": psi["ref_share"][b],
             "share": psi["share"][b], "contribution": psi["contribution"][b]}
            for b in range(len(c.bands))]},
    }
    chars = []
    for f in artifact["features"]:
        name = f["name"]
        counts = [*c.bins[name], c.unseen.get(name, 0)]  # unseen: a bin the reference lacks
        ref_counts = [*(b["count"] for b in f["bins"]), 0]
        r = stats.psi_counts(ref_counts, counts)
        # An interaction's cells have no missing bin of their own: its missing share is 0.
        miss = [b["index"] for b in f["bins"] if b["type"] == "missing"]
        chars.append({
            "name": name, "csi": r["psi"], "light": r["light"],
            "missing_share": sum(c.bins[name][m] for m in miss) / c.n,
            "ref_missing_share": sum(f["bins"][m]["count"] for m in miss) / ref["rows"],
            "unseen_share": c.unseen.get(name, 0) / c.n,
            "bins": [{"bin": b["index"], "label": b["label"], "count": c.bins[name][i],
                      "ref_share": r["ref_share"][i], "share": r["share"][i]}
                     for i, b in enumerate(f["bins"])]})
    out["characteristics"] = chars
    scale = master_scale(artifact)
    if c.grades is not None and scale is not None and ref.get("grades"):
        g = stats.psi_counts(ref["grades"]["counts"], c.grades)
        out["grades"] = {"labels": list(scale.grades), "counts": c.grades,
                         "shares": g["share"], "ref_shares": g["ref_share"], "psi": g["psi"],
                         **stats.herfindahl(c.grades),
                         "ref_hhi": stats.herfindahl(ref["grades"]["counts"])["hhi"]}
    else:
        out["grades"] = None
    return out


def reference_auc(artifact: dict[str, Any]) -> tuple[float | None, str]:
    """The development AUC tested against: the validated holdout AUC when the card's
    metadata has it, else the in-sample development AUC of ``reference``."""
    holdout = artifact.get("metadata", {}).get("metrics", {}).get("scorecard_holdout_auc")
    if isinstance(holdout, int | float):
        return float(holdout), "holdout (metadata.metrics.scorecard_holdout_auc)"
    auc = artifact.get("reference", {}).get("auc")
    return (float(auc), "development sample (reference.auc)") if auc is not None else (None, "")


def outcome_figures(artifact: dict[str, Any], score: np.ndarray, p: np.ndarray,
                    y: np.ndarray) -> dict[str, Any] | None:
    """Back-test of one period's labelled rows (``y`` 0/1); ``None`` without both classes."""
    if y.size == 0 or y.min() == y.max():
        return None
    auc_ref, source = reference_auc(artifact)
    out: dict[str, Any] = {"n": int(y.size), "brier": brier(y, p),
                           "calibration": stats.default_rate_test(y, p)}
    if auc_ref is not None:
        out["auc"] = {**stats.auc_against_reference(y, score, auc_ref).to_dict(),
                      "reference_source": source}
    scale = master_scale(artifact)
    if scale is not None:
        grades = np.asarray(scale.grades, dtype=object)[scale.grade_index(score)]
        table = grade_test(y, p, grades, order=list(scale.grades))
        out["grade_tests"] = json.loads(table.to_json(orient="records"))
    return out


def fairness_figures(artifact: dict[str, Any], frame: pd.DataFrame, score: np.ndarray,
                     protected: list[str]) -> dict[str, Any]:
    """Adverse impact ratio of every group of each protected column at the default cut-off
    of ``scorecard fairness`` (:mod:`scorecard.jobs.fairness`)."""
    from scorecard.fit.groups import as_groups
    from scorecard.jobs.fairness import default_cutoff
    from validation.fairness import group_figures

    cutoff = default_cutoff(artifact)
    approved = score >= cutoff
    columns = {}
    for name in protected:
        labels, _ = as_groups(name, frame[name].reset_index(drop=True))
        fig = group_figures(score, approved, labels)
        columns[name] = {"reference": fig["reference"], "flagged": fig["flagged"],
                         "ratios": {g["group"]: g["air"]["ratio"] for g in fig["groups"]
                                    if g["tested"]}}
    return {"cutoff": cutoff, "columns": columns}


def alerts_of(period: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(breaches, warnings)`` of one period, in words."""
    breaches, warnings = [], []

    def lit(what: str, value: float, colour: str) -> None:
        if colour == "red":
            breaches.append(f"{what} {value:.3f} >= {RED}")
        elif colour == "amber":
            warnings.append(f"{what} {value:.3f} >= 0.10")

    lit("score PSI", period["score"]["psi"], period["score"]["light"])
    for ch in period["characteristics"]:
        lit(f"CSI of {ch['name']}", ch["csi"], ch["light"])
    o = period.get("outcomes")
    if o:
        if o.get("auc") and o["auc"]["alert"]:
            breaches.append(f"AUC {o['auc']['auc']:.3f} below development "
                            f"{o['auc']['reference_auc']:.3f} (p = {o['auc']['p_value']:.2g})")
        cal = o["calibration"]
        if cal["alert"]:
            breaches.append(f"default rate {cal['default_rate']:.4f} vs mean pd "
                            f"{cal['mean_pd']:.4f} (p = {cal['p_value']:.2g})")
        for g in o.get("grade_tests", []):
            if g["outside_interval"]:
                warnings.append(f"grade {g['grade']}: pd {g['predicted']:.4f} outside the "
                                f"Jeffreys interval of {g['observed']:.4f}")
    for col, f in (period.get("fairness") or {}).get("columns", {}).items():
        for g in f["flagged"]:
            warnings.append(f"{col}={g}: adverse impact ratio {f['ratios'][g]:.2f} against "
                            f"{f['reference']} (scorecard fairness for the full test)")
    return breaches, warnings


def _finish(artifact: dict[str, Any], periods: list[dict[str, Any]], source: str,
            ) -> dict[str, Any]:
    any_breach = False
    for p in periods:
        p["breaches"], p["warnings"] = alerts_of(p)
        any_breach |= bool(p["breaches"])
    ref = reference_of(artifact)
    auc, auc_source = reference_auc(artifact)
    return {"schema_version": 1, "model_id": artifact["model_id"],
            "content_hash": artifact["content_hash"], "source": source,
            "reference": {"sample": ref.get("sample"), "rows": ref["rows"], "auc": auc,
                          "auc_source": auc_source},
            "thresholds": {"psi_amber": 0.10, "psi_red": RED, "alpha": stats.ALPHA},
            "breached": any_breach, "periods": periods}


def split_periods(frame: pd.DataFrame, column: str, period: str | None,
                  ) -> list[tuple[str, pd.DataFrame]]:
    """Rows grouped by ``column`` (by calendar ``month``/``quarter`` of its dates when
    ``period`` is given), periods in sorted order."""
    if column not in frame.columns:
        raise ContractError(f"--period-column: {column!r} is not a column of the file")
    values = frame[column]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise ContractError(f"{column}: row {row + 1} has no period value")
    if period is not None:
        dates = pd.to_datetime(values.astype(str), errors="coerce")
        if dates.isna().any():
            row = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise ContractError(f"{column}: row {row + 1} ({values.iloc[row]!r}) is not a date")
        keys = dates.dt.to_period("M" if period == "month" else "Q").astype(str)
    else:
        keys = values.astype(str)
    return [(str(k), frame[keys.to_numpy() == k]) for k in sorted(keys.unique())]


def monitor_frames(artifact: dict[str, Any], periods: list[tuple[str, pd.DataFrame]],
                   outcomes: bool, target: str | None) -> dict[str, Any]:
    """The monitoring report of applicant rows, one frame per period."""
    engine = ScoringEngine(artifact)
    out = []
    for name, frame in periods:
        scored = engine.score(frame)
        counts = counts_from_scored(name, artifact, scored.score, scored.bin_table())
        fig = population_figures(artifact, counts)
        fig["outcomes"] = None
        if outcomes:
            if target is None or target not in frame.columns:
                raise ContractError(f"--outcomes: period {name} has no target column")
            labelled = frame[target].notna().to_numpy()
            if not labelled.any():
                raise ContractError(f"--outcomes: period {name} has no labelled rows "
                                    f"({target} is empty)")
            y = frame[target].to_numpy()[labelled].astype(int)
            fig["outcomes"] = outcome_figures(artifact, scored.score[labelled],
                                              scored.pd[labelled], y)
        protected = [c for c in artifact.get("spec", {}).get("protected", [])
                     if c in frame.columns]
        if protected:  # the spec's protected attributes: adverse impact ratios per period
            fig["fairness"] = fairness_figures(artifact, frame, scored.score, protected)
        out.append(fig)
    return _finish(artifact, out, "rows")


def monitor_metrics(artifact: dict[str, Any], text: str, base: str | None,
                    name: str = "live") -> dict[str, Any]:
    """The monitoring report of a metrics snapshot (one period)."""
    counts = counts_from_metrics(name, artifact, text, base)
    fig = population_figures(artifact, counts)
    fig["outcomes"] = None
    return _finish(artifact, [fig], "metrics")


def _plain(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return _plain(x.item())
    return x


def dumps_report(report: dict[str, Any]) -> str:
    return json.dumps(_plain(report), indent=1, allow_nan=False) + "\n"


def write_outputs(report: dict[str, Any], out: Path) -> None:
    """``monitoring.json`` and ``monitoring.html`` into ``out``."""
    from validation.monitoring_report import render_monitoring

    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "monitoring.json", dumps_report(report))
    atomic_write_text(out / "monitoring.html", render_monitoring(_plain(report)))
