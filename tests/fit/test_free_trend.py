"""An override's ``trend = "none"``: no monotone constraint, as a spec's null trend.

The data are loans whose default rate rises with the approval year to 2008 and then falls
back (:func:`tests.support.builders.vintage_frame`); the spec declares the year ascending.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard.errors import UsageError
from scorecard.fit.binning import FeatureBins, WoEBinner
from scorecard.fit.estimator import Scorecard
from scorecard.fit.joint import trend_sign
from scorecard.fit.overrides import FeatureOverride, OverridesError, load_overrides
from scorecard.fit.validate import monotone_constraints
from tests.support.builders import VINTAGE_SPEC, vintage_frame

FREE = '[features.approval_year]\ntrend = "none"\nreason = "the 2008 vintages turn"\n'


@pytest.fixture(scope="module")
def vintages() -> tuple[pd.DataFrame, np.ndarray]:
    return vintage_frame()


def regular_rates(fb: FeatureBins) -> np.ndarray:
    return fb.table.loc[fb.table["type"] == "regular", "event_rate"].to_numpy()


def test_an_override_of_trend_none_bins_a_rate_that_rises_and_falls_without_a_constraint(
        vintages: tuple[pd.DataFrame, np.ndarray], tmp_path: Path) -> None:
    X, y = vintages
    declared = WoEBinner(VINTAGE_SPEC).fit(X, y).bins_["approval_year"]
    assert declared.trend == "ascending"
    assert (np.diff(regular_rates(declared)) >= 0).all()  # held to the spec's direction

    path = tmp_path / "overrides.toml"
    path.write_text(FREE + '\n[features.region]\ntrend = "none"\n')
    overrides = load_overrides(path)
    assert overrides["approval_year"].trend == "none"
    free = WoEBinner(VINTAGE_SPEC, overrides).fit(X, y).bins_["approval_year"]
    assert free.trend is None and free.overridden
    rates = regular_rates(free)
    top = int(np.argmax(rates))
    # the bins follow the turn: up to the riskiest vintages, then well down again
    assert 0 < top < len(rates) - 1
    assert (np.diff(rates[:top + 1]) > 0).all() and (np.diff(rates[top:]) < 0).all()
    assert rates[-1] < rates[top] / 2
    # a categorical's groups are ordered by their rate: "none" bins it as without a trend
    plain = WoEBinner(VINTAGE_SPEC).fit(X, y).bins_["region"]
    region = WoEBinner(VINTAGE_SPEC, overrides).fit(X, y).bins_["region"]
    assert region.groups == plain.groups and region.trend is None


@pytest.mark.parametrize("value", ['"flat"', '"None"', '"auto"', "1"])
def test_an_unknown_trend_in_an_overrides_file_is_refused_naming_the_file_the_feature_and_the_allowed_values(  # noqa: E501
        tmp_path: Path, value: str) -> None:
    path = tmp_path / "risk.toml"
    path.write_text(f"[features.approval_year]\ntrend = {value}\n")
    with pytest.raises(OverridesError) as caught:
        load_overrides(path)
    message = str(caught.value)
    assert str(path) in message and "feature 'approval_year' has trend" in message
    assert ("allowed: 'ascending', 'descending', 'peak', 'valley', 'auto_asc_desc', 'none'"
            in message)
    assert isinstance(caught.value, UsageError)  # the CLI's exit 2


def test_the_joint_fit_leaves_a_freed_characteristic_free_of_any_direction(
        vintages: tuple[pd.DataFrame, np.ndarray], tmp_path: Path) -> None:
    X, y = vintages
    path = tmp_path / "overrides.toml"
    path.write_text(FREE)
    card = Scorecard(VINTAGE_SPEC, path, method="joint", interactions="none").fit(X, y)
    fb = card.binner_.bins_["approval_year"]
    assert trend_sign(fb) == 0 and card.joint_.codings_["approval_year"].sign == 0
    assert all(bound == (None, None) for bound in card.joint_.codings_["approval_year"].bounds)
    assert "approval_year" not in card.joint_.directions_
    assert card._declared() == {"inquiries": "ascending"}  # no interaction holds it either
    points = card.points_["approval_year"][:fb.n_regular]
    top = int(np.argmin(points))  # fewest points: the riskiest vintages
    assert 0 < top < len(points) - 1 and points[-1] - points[top] >= 20

    spec_trend = Scorecard(VINTAGE_SPEC, {"approval_year": FeatureOverride()}, method="joint",
                           interactions="none").fit(X, y)
    assert spec_trend.joint_.codings_["approval_year"].sign == 1
    held = spec_trend.points_["approval_year"][
        :spec_trend.binner_.bins_["approval_year"].n_regular]
    assert (np.diff(held) <= 0).all()


def test_the_monotone_challenger_takes_the_cards_directions_with_the_overrides_applied(
        tmp_path: Path) -> None:
    # the spec declares both ascending; an override lifts one and turns the other round
    assert monotone_constraints(VINTAGE_SPEC, {}) == {"approval_year": 1, "inquiries": 1}
    path = tmp_path / "overrides.toml"
    path.write_text(FREE + '[features.inquiries]\ntrend = "descending"\nreason = "a test"\n')
    assert monotone_constraints(VINTAGE_SPEC, load_overrides(path)) == {"inquiries": -1}
