"""When the spec names protected attributes, validation.html and MODEL.md carry a fairness
section (computed by ``regenerate`` on the holdout), and MODEL.md still prints on one page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scorecard.jobs.outputs import write_reports
from tests.support.browser import needs_chromium
from tests.support.builders import build_synthetic
from tests.validation.test_model_doc import printed_pages
from validation.fairness import group_figures


def _fairness(flag: bool) -> dict:
    rng = np.random.default_rng(3)
    n = 2000
    sex = np.where(rng.random(n) < 0.4, "F", "M").astype(object)
    score = rng.normal(650, 40, n) - (60 if flag else 0) * (sex == "F")
    y = (rng.random(n) < 0.05).astype(float)
    approved = score >= 620
    fig = group_figures(score, approved, sex, pd=np.full(n, 0.05), y=y)
    return {"cutoff": 620, "declined_share": 0.1, "rows": n,
            "approval_rate": float(approved.mean()),
            "columns": [{"column": "sex", "source": "holdout rows, values", **fig}],
            "flagged": [f"sex={g}" for g in fig["flagged"]]}


@pytest.mark.parametrize("flag", [True, False], ids=["flagged", "clear"])
def test_the_reports_carry_a_fairness_section_when_protected_attributes_are_named(
        flag: bool, tmp_path: Path) -> None:
    artifact, validation, log, coefficients = build_synthetic(full=True)
    validation = validation.with_fairness(_fairness(flag))
    write_reports(tmp_path, artifact, validation, log, coefficients)
    page = (tmp_path / "validation.html").read_text(encoding="utf-8")
    doc = (tmp_path / "MODEL.md").read_text(encoding="utf-8")
    assert '<a href="#fairness">Fairness</a>' in page and '<section id="fairness">' in page
    assert "Approval rate at the cut-off by sex" in page
    assert "**Fairness** (protected attributes" in doc
    assert ("flagged: sex=F" in doc) == flag and ("flagged: no group" in doc) != flag


def test_without_protected_attributes_there_is_no_fairness_section(tmp_path: Path) -> None:
    write_reports(tmp_path, *build_synthetic(full=True))
    assert 'id="fairness"' not in (tmp_path / "validation.html").read_text(encoding="utf-8")
    assert "**Fairness**" not in (tmp_path / "MODEL.md").read_text(encoding="utf-8")


@needs_chromium
def test_model_md_with_the_fairness_line_prints_on_one_page(tmp_path: Path) -> None:
    artifact, validation, log, coefficients = build_synthetic(full=True)
    validation = validation.with_fairness(_fairness(True))
    write_reports(tmp_path / "out", artifact, validation, log, coefficients)
    assert printed_pages((tmp_path / "out" / "MODEL.md").read_text(encoding="utf-8"),
                         tmp_path) == 1
