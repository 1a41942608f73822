"""Writes the validation report's files (rendered by :mod:`validation.report`) atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scorecard.data.atomic import atomic_write_text
from validation.report import render_reports
from validation.result import ValidationResult


def write_reports(out: Path, artifact: dict, validation: ValidationResult,
                  selection_log: pd.DataFrame, coefficients: pd.DataFrame) -> None:
    """Write ``metrics.json``, ``MODEL.md`` and ``validation.html`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_reports(artifact, validation, selection_log, coefficients).items():
        atomic_write_text(out / name, text)
