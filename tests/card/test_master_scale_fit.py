"""The master scale fits the book: grades span the development pds at any default rate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scorecard.card.grades import (
    MasterScale,
    assign_grades,
    fitted_pd_boundaries,
    geometric_pd_boundaries,
    master_scale_for,
)
from scorecard.card.scaling import Scaling
from scorecard.fit.spec import load_spec


def _book(default_rate_logit: float, n: int = 30_000, seed: int = 0
          ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logit = default_rate_logit + 1.6 * rng.normal(size=n)
    pd_ = 1 / (1 + np.exp(-logit))
    return pd_, (rng.random(n) < pd_).astype(int)


@pytest.mark.parametrize("centre", [-5.5, -1.8])  # about 1 % and 22 % defaults
def test_every_grade_holds_applicants_and_the_worst_grades_hold_the_defaults(
        centre: float) -> None:
    pd_, y = _book(centre)
    scaling = Scaling()
    scale = master_scale_for("development", pd_, scaling)
    grades = assign_grades(scaling.score(pd_), scale)
    counts = {g: int((grades == g).sum()) for g in scale.grades}
    defaults = {g: int(y[grades == g].sum()) for g in scale.grades}
    assert all(c > 0 for c in counts.values()), counts
    assert max(counts.values()) < 0.35 * len(pd_), counts
    rates = [defaults[g] / counts[g] for g in scale.grades]
    assert rates == sorted(rates)  # riskier grades hold more defaults
    assert defaults[scale.grades[-1]] + defaults[scale.grades[-2]] > 0
    assert scale.pd_boundaries[0] < np.quantile(pd_, 0.02)
    assert scale.pd_boundaries[-1] > np.quantile(pd_, 0.98)


def test_the_fixed_ladder_does_not_fit_a_book_of_22_percent_defaults() -> None:
    pd_, _ = _book(-1.8)
    ladder = MasterScale.from_pd_ladder()
    worst = float((assign_grades(Scaling().score(pd_), ladder) == "H").mean())
    fitted = master_scale_for("development", pd_, Scaling())
    worst_fitted = float((assign_grades(Scaling().score(pd_), fitted) == "H").mean())
    assert worst > 0.3 and worst_fitted < 0.05


def test_the_setting_chooses_the_ladder_or_given_boundaries(tmp_path: Path) -> None:
    pd_, _ = _book(-3.0)
    assert master_scale_for("ladder", pd_, Scaling()).pd_boundaries == (
        geometric_pd_boundaries())
    given = master_scale_for((0.01, 0.05, 0.2), pd_, Scaling())
    assert given.grades == ("A", "B", "C", "D") and given.pd_boundaries == (0.01, 0.05, 0.2)
    raw = load_spec("klarna").to_dict()
    for value in ("ladder", [0.01, 0.05, 0.2]):
        path = tmp_path / "spec.json"
        path.write_text(json.dumps({**raw, "master_scale": value}))
        assert load_spec(str(path)).master_scale == (
            value if isinstance(value, str) else tuple(value))
    path.write_text(json.dumps({**raw, "master_scale": [0.2, 0.1]}))
    with pytest.raises(Exception, match="strictly increasing"):
        load_spec(str(path))


def test_boundaries_are_readable_and_deterministic() -> None:
    pd_, _ = _book(-2.5)
    b = fitted_pd_boundaries(pd_)
    assert b == fitted_pd_boundaries(pd_.copy()) and len(b) == 7
    assert all(float(f"{x:.2g}") == x for x in b)
    assert fitted_pd_boundaries(np.full(100, 0.05)) == geometric_pd_boundaries()
