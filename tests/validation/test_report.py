"""The validation report: deterministic bytes, a self-contained page, a one-page MODEL.md
whose headline AUC matches metrics.json, and a stable metrics.json schema.

Three sources of inputs:

* ``synthetic``: a small validation dict built here from the ``validation`` metric modules,
  in a *full* variant (challenger, monotone challenger, oracle, DeLong, rows to predict)
  and a *minimal* one (card only, nothing to predict), so both paths always run;
* ``heloc``: a real ``regenerate`` on FICO HELOC (challenger off; the ``heloc_inputs``
  fixture of ``conftest.py``), skipped without ``../shared``;
* the committed ``reports/`` outputs, checked when present.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

from scorecard.jobs.outputs import write_reports
from tests.support.builders import SECTIONS, build_synthetic
from validation.model_doc import MAX_LINES
from validation.report import build_metrics

REPO = Path(__file__).resolve().parents[2]
REPORTS = REPO / "reports"
FILES = ("validation.html", "MODEL.md", "metrics.json")

TOP_KEYS = {"calibration", "content_hash", "data", "delong", "design", "final_fit", "model_id",
            "models", "oracle_distance", "rounding", "schema_version", "stability"}
HOLDOUT_KEYS = {"auc", "auc_ci_low", "auc_ci_high", "gini", "gini_ci_low", "gini_ci_high",
                "ks", "brier", "log_loss", "ece", "mean_pd", "default_rate", "n", "defaults"}
CV_KEYS = {f"{k}_{s}" for k in ("auc", "gini", "ks", "brier", "log_loss", "ece")
           for s in ("mean", "std")} | {"n_folds"}

# An external resource: a src/href/url() or @import pointing at http(s) or protocol-relative.
EXTERNAL = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["']?)"""
                      r"""(?:https?:)?//""", re.I)


# ------------------------------------------------------------------------------------------
# synthetic inputs
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["full", "minimal"])
def synthetic(request: pytest.FixtureRequest) -> tuple:
    return build_synthetic(full=request.param == "full")


def _write_twice(inputs: tuple, tmp: Path) -> tuple[Path, Path, float]:
    a, b = tmp / "a", tmp / "b"
    start = time.perf_counter()
    write_reports(a, *inputs)
    elapsed = time.perf_counter() - start
    write_reports(b, *inputs)
    return a, b, elapsed


def _check_outputs(out: Path) -> dict[str, Any]:
    """Shared checks of one output folder; returns metrics.json."""
    page = (out / "validation.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "<img" not in page.lower()  # plots are inline SVG
    for title in SECTIONS:
        assert f">{title}</h2>" in page, title
    # Every table and figure says which sample it comes from.
    for caption in re.findall(r"<(?:fig)?caption>(.*?)</(?:fig)?caption>", page, re.S):
        assert "Source:" in caption, caption
    text = (out / "metrics.json").read_text(encoding="utf-8")
    metrics = json.loads(text)
    assert text == json.dumps(metrics, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert set(metrics) == TOP_KEYS
    for name, m in metrics["models"].items():
        assert set(m["holdout"]) == HOLDOUT_KEYS, name
        assert m["cv"] is None or set(m["cv"]) == CV_KEYS, name
        assert all(v is not None and math.isfinite(v) for v in m["holdout"].values()), name
    doc = (out / "MODEL.md").read_text(encoding="utf-8")
    assert len(doc.splitlines()) <= MAX_LINES
    auc = metrics["models"]["scorecard"]["holdout"]["auc"]
    assert f"| Scorecard | {auc:.4f} |" in doc
    assert metrics["model_id"] in doc and metrics["content_hash"][:23] in doc
    return metrics


# ------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------


def test_synthetic_report_is_deterministic_and_complete(synthetic: tuple,
                                                        tmp_path: Path) -> None:
    a, b, _ = _write_twice(synthetic, tmp_path)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    metrics = _check_outputs(a)
    full = "challenger" in synthetic[1].models
    page = (a / "validation.html").read_text(encoding="utf-8")
    if full:
        assert set(metrics["models"]) == {"scorecard", "challenger", "challenger_monotone",
                                          "oracle"}
        assert metrics["delong"]["p_value"] == pytest.approx(
            synthetic[1].delong["p_value"], rel=1e-5)
        assert set(metrics["oracle_distance"]) == {"scorecard", "challenger",
                                                   "challenger_monotone"}
        assert metrics["stability"]["score_psi"] is not None
        assert "Not applicable" not in page
    else:
        assert set(metrics["models"]) == {"scorecard"}
        assert metrics["delong"] is None and metrics["oracle_distance"] is None
        assert metrics["stability"] is None
        # Absent sections are explained, not dropped.
        assert page.count('class="na"') >= 3
        assert "the true pd is known only for generated data" in page


def test_metrics_match_validation(synthetic: tuple) -> None:
    artifact, validation, *_ = synthetic
    metrics = build_metrics(artifact, validation)
    for name, m in validation.models.items():
        assert metrics["models"][name]["holdout"]["auc"] == pytest.approx(
            m["holdout"]["auc"], rel=1e-5)
    assert metrics["rounding"]["auc_cost"] == pytest.approx(
        validation.rounding["auc_cost"], rel=1e-5, abs=1e-12)
    assert metrics["design"]["n_holdout"] == len(validation.score_distribution
                                                 ["holdout_good"]) + len(
        validation.score_distribution["holdout_bad"])


def test_overridden_feature_is_flagged(tmp_path: Path) -> None:
    inputs = build_synthetic(full=False)
    write_reports(tmp_path, *inputs)
    page = (tmp_path / "validation.html").read_text(encoding="utf-8")
    assert "binning overridden" in page
    assert re.search(r'<tr class="flagged"><td class="txt">x1</td>', page)


def test_pairs_searched_are_summarised_apart_and_listed_in_full_collapsed(
        tmp_path: Path) -> None:
    import pandas as pd

    artifact, validation, log, coefficients = build_synthetic(full=False)
    no_grid = "no grid leaves 10 % of the rows in each parent's bins"
    ranked = [f"rank gain 0.000{9 - i}0, below 0.00070: not confirmed" for i in range(12)]
    pairs = pd.DataFrame({
        "feature": ["a_x_b", *(f"r{i}_x_s" for i in range(12)), "c_x_d", "c_x_e"],
        "iv": 0.1, "decision": ["in", *["out"] * 14], "step": "interaction",
        "reason": ["rank gain 0.00200, out-of-fold gain 0.00100", *ranked, no_grid, no_grid]})
    write_reports(tmp_path, artifact, validation, pd.concat([log, pairs], ignore_index=True),
                  coefficients)
    page = (tmp_path / "validation.html").read_text(encoding="utf-8")
    selection, _, rest = page.partition('id="pairs-searched"')
    assert "r0_x_s" not in selection  # the characteristics' log holds no pair
    assert ("15 pair(s) searched, 1 kept. 13 were ranked on the main effects&#x27; "
            "residuals; not ranked: 2 no grid leaves 10 % of the rows in each parent&#x27;s "
            "bins.") in rest
    top, _, full = rest.partition("<details")
    # The kept pair flagged, then the ten best ranked others; the rest only in the full list.
    assert '<tr class="flagged"><td class="txt">a_x_b</td>' in top
    assert all(f">r{i}_x_s<" in top for i in range(10)) and ">r10_x_s<" not in top
    assert "All 15 pairs searched</summary>" in full
    assert all(f">{name}<" in full for name in ("a_x_b", "r11_x_s", "c_x_d", "c_x_e"))


@pytest.mark.shared
def test_heloc_report(heloc_inputs: tuple, tmp_path: Path) -> None:
    a, b, elapsed = _write_twice(heloc_inputs, tmp_path)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    metrics = _check_outputs(a)
    assert elapsed < 15.0, f"write_reports took {elapsed:.1f}s"
    artifact, validation = heloc_inputs[0], heloc_inputs[1]
    assert metrics["content_hash"] == artifact["content_hash"]
    assert metrics["models"]["scorecard"]["holdout"]["auc"] == pytest.approx(
        validation.headline["scorecard_holdout_auc"], rel=1e-5)
    page = (a / "validation.html").read_text(encoding="utf-8")
    for feature in artifact["features"]:
        assert f'id="feature-{feature["name"]}"' in page
    # HELOC has no rows to predict and here no challenger: said, not crashed on.
    assert "no rows to predict" in page and "no challenger run" in page


def test_report_modules_do_not_import_scorecard() -> None:
    """Layering: the report receives plain data and never reaches into ``scorecard``."""
    import ast

    for path in sorted((REPO / "validation").glob("*.py")):
        name = path.stem
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(m.split(".")[0] in ("scorecard", "api") for m in mods), name


def test_page_inlines_the_one_stylesheet_and_escapes_text(tmp_path: Path) -> None:
    """The page carries ``templates/report.css`` verbatim, and text from the data is escaped
    (a feature description with markup and quotes must not become markup)."""
    artifact, validation, selection_log, coefficients = build_synthetic(full=False)
    artifact = {**artifact, "features": [
        {**f, "description": '<b>"risky" & \'odd\'</b>'} if i == 0 else f
        for i, f in enumerate(artifact["features"])]}
    write_reports(tmp_path, artifact, validation, selection_log, coefficients)
    page = (tmp_path / "validation.html").read_text(encoding="utf-8")
    css = (REPO / "validation" / "templates" / "report.css").read_text(encoding="utf-8")
    assert page.count("<style>") == 1 and f"<style>\n{css}</style>" in page
    assert "<b>&quot;risky" not in page and '<b>"risky"' not in page
    assert "&lt;b&gt;&quot;risky&quot; &amp; &#x27;odd&#x27;&lt;/b&gt;" in page


def _committed(name: str) -> Path:
    path = REPORTS / name
    if not path.exists():
        pytest.skip(f"{path} is not committed yet (run `scorecard run`)")
    return path


def test_committed_reports() -> None:
    _committed("validation.html")
    _committed("MODEL.md")
    _committed("metrics.json")
    metrics = _check_outputs(REPORTS)
    card = json.loads(_committed("scorecard.json").read_text(encoding="utf-8"))
    assert metrics["content_hash"] == card["content_hash"]
    assert metrics["model_id"] == card["model_id"]
