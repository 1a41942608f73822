"""Master scale: scaling arithmetic, grade lookup, serialization (the score-band table is
tested in tests/validation/test_score_bands.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.card.grades import (
    MasterScale,
    Scaling,
    assign_grades,
    geometric_pd_boundaries,
)
from tests.support.paths import REPO


def test_scaling_anchor_points() -> None:
    sc = Scaling()
    assert float(sc.score(1 / 51)) == pytest.approx(600.0)  # 50:1 odds
    assert float(sc.score(1 / 101)) == pytest.approx(620.0)  # 100:1, odds doubled
    assert float(sc.score(1 / 26)) == pytest.approx(580.0)  # 25:1, odds halved
    assert float(sc.pd(600.0)) == pytest.approx(1 / 51)
    assert float(sc.pd(sc.offset)) == pytest.approx(0.5)
    s = np.linspace(300, 900, 61)
    np.testing.assert_allclose(sc.score(sc.pd(s)), s, rtol=1e-10)
    # extreme scores do not overflow
    assert np.isfinite(sc.pd(np.array([-1e6, 1e6]))).all()


def test_default_ladder_and_cuts() -> None:
    scale = MasterScale.from_pd_ladder()
    assert scale.grades == tuple("ABCDEFGH")
    assert scale.pd_boundaries == pytest.approx((0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16))
    assert np.all(np.diff(scale.score_cuts) < 0)
    assert scale.score_cuts[3] == pytest.approx(Scaling().score(0.02))
    with pytest.raises(ValueError):
        geometric_pd_boundaries(8, first=0.1, ratio=2.0)  # reaches pd >= 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(300, 900, allow_nan=False), min_size=2, max_size=200))
def test_grades_are_monotone_in_score(scores: list[float]) -> None:
    scale = MasterScale.from_pd_ladder()
    s = np.sort(np.array(scores))[::-1]  # best score first
    idx = scale.grade_index(s)
    assert np.all(np.diff(idx) >= 0)  # lower score never gets a better grade


def test_grade_agrees_with_pd_boundaries_and_cut_goes_to_better_grade() -> None:
    scale = MasterScale.from_pd_ladder()
    sc = scale.scaling
    rng = np.random.default_rng(0)
    pds = np.exp(rng.uniform(np.log(1e-4), np.log(0.6), 2000))
    by_score = scale.grade_index(sc.score(pds))
    by_pd = np.searchsorted(np.array(scale.pd_boundaries), pds, side="left")
    assert np.array_equal(by_score, by_pd)
    for k, cut in enumerate(scale.score_cuts):
        assert scale.grade(cut) == scale.grades[k]
        assert scale.grade(np.nextafter(cut, -np.inf)) == scale.grades[k + 1]
    labels = assign_grades(np.array([[700.0, 600.0], [550.0, 400.0]]), scale)
    assert labels.shape == (2, 2) and labels.tolist() == [["A", "D"], ["G", "H"]]
    with pytest.raises(ValueError, match="finite"):
        scale.grade_index(np.array([600.0, np.nan]))


def test_round_trip_through_json_and_tamper_check() -> None:
    scale = MasterScale.from_pd_ladder(6, first=0.005, ratio=2.5,
                                       scaling=Scaling(500.0, 20.0, 40.0))
    data = json.loads(json.dumps(scale.to_dict(), allow_nan=False))
    back = MasterScale.from_dict(data)
    assert back == scale
    assert back.score_cuts == scale.score_cuts
    data["score_cuts"][0] += 1.0
    with pytest.raises(ValueError, match="score_cuts"):
        MasterScale.from_dict(data)
    with pytest.raises(ValueError):
        MasterScale(("A", "B", "C"), (0.05, 0.01))  # not increasing
    table = scale.table()
    json.dumps(table, allow_nan=False)
    assert table[0]["score_high"] is None and table[-1]["score_low"] is None
    nominal = [row["pd_nominal"] for row in table]
    assert all(row["pd_low"] <= row["pd_nominal"] <= row["pd_high"] for row in table)
    assert np.all(np.diff(nominal) > 0)


def test_grade_lookup_needs_numpy_only() -> None:
    code = (
        "import sys; sys.modules['pandas'] = None; sys.modules['scipy'] = None; "
        "import json; from scorecard.card.grades import MasterScale, assign_grades; "
        "s = MasterScale.from_dict(json.loads(json.dumps(MasterScale.from_pd_ladder().to_dict())));"
        "print(assign_grades([700.0, 590.0], s).tolist())"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "['A', 'E']"
