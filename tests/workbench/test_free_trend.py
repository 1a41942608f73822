"""A reviewer lifts a characteristic's monotone constraint in the workbench: the trend
``"none"``, audited like any edit, saved as ``trend = "none"`` and read back.

The data are loans whose default rate rises with the approval year to 2008 and then falls
back; the spec declares the year ascending (:data:`tests.support.builders.VINTAGE_SPEC`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from litestar.testing import TestClient

from scorecard.fit.overrides import load_overrides
from scorecard.workbench.app import create_app
from scorecard.workbench.edits import Binning, flags, split_suggestions, trend_kept
from scorecard.workbench.session import Session, WorkbenchError
from tests.support.builders import VINTAGE_SPEC, vintage_frame

NAME = "approval_year"


@pytest.fixture(scope="module")
def vintages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vintages") / "vintages.csv"
    vintage_frame()[0].to_csv(path, index=False)
    return path


def session_on(data: Path, folder: Path) -> Session:
    # The classic card's binning (at least 5 % of rows a bin): on 12,000 rows the joint
    # card's floor of 30 defaults a bin is not met by every CV fold's oldest vintages.
    return Session(replace(VINTAGE_SPEC, card_method="woe"), data, folder / "overrides.toml",
                   folder / "work", reviewer="tester", baseline=False)


def regular_rates(session: Session) -> np.ndarray:
    t = session.table(NAME)
    return t.loc[t["type"] == "regular", "event_rate"].to_numpy()


def test_a_reviewer_lifts_the_trend_and_the_optimiser_follows_the_turn_saved_and_read_back(
        vintages: Path, tmp_path: Path) -> None:
    s = session_on(vintages, tmp_path)
    assert (np.diff(regular_rates(s)) >= 0).all()  # the spec's ascending
    with pytest.raises(WorkbenchError, match="needs a reason"):
        s.set_trend(NAME, "none", " ")
    s.set_trend(NAME, "none", "the 2008 vintages turn")
    ov = s.overrides[NAME]
    assert ov.trend == "none" and ov.reason == "the 2008 vintages turn" and ov.who == "tester"
    assert s.state[NAME].trend == "none" and not s.flags(NAME)
    s.reset(NAME, "let the bins follow the turn")
    assert s.overrides[NAME].trend == "none" and s.overrides[NAME].splits is None
    rates = regular_rates(s)
    top = int(np.argmax(rates))
    assert 0 < top < len(rates) - 1 and rates[-1] < rates[top] / 2  # the bins turn

    path = s.save()
    assert 'trend = "none"' in path.read_text()
    assert load_overrides(path)[NAME].trend == "none"
    again = session_on(vintages, tmp_path)  # a new session on the saved file
    assert again.state[NAME].trend == "none"
    assert again.state[NAME].splits == s.state[NAME].splits
    row = next(r for r in again.overview() if r["name"] == NAME)
    assert row["trend"] == "none" and row["overridden"]


def test_a_free_trend_is_always_kept_and_split_suggestions_may_turn_the_rate(
        vintages: Path, tmp_path: Path) -> None:
    s = session_on(vintages, tmp_path)
    s.set_trend(NAME, "none", "the 2008 vintages turn")
    s.reset(NAME, "let the bins follow the turn")
    fd, free = s.features[NAME], s.state[NAME]
    assert trend_kept(fd, free) == (True, None)
    assert not flags(fd, free, s.min_share, s.max_bins, s.min_events)
    spec_trend = replace(free, trend=None)  # the same bins under the spec's ascending
    assert trend_kept(fd, spec_trend) == (False, "ascending")
    assert "the event rate does not follow the trend ascending" in flags(
        fd, spec_trend, s.min_share, s.max_bins, s.min_events)

    # Two bins, the second holding the peak and the fall: only a free trend may split it
    # after the peak, where the rate falls.
    def suggested(trend: str | None) -> list[float]:
        return split_suggestions(fd, Binning((2001.5,), (), trend, None), 1, s.min_share,
                                 s.max_bins, min_events=s.min_events)

    assert any(v > 2008 for v in suggested("none"))
    assert not any(v > 2008 for v in suggested(None))


def test_an_unknown_trend_is_refused_with_the_allowed_ones(vintages: Path,
                                                           tmp_path: Path) -> None:
    s = session_on(vintages, tmp_path)
    with pytest.raises(WorkbenchError, match="'flat' is not one of ascending, descending, "
                                             "peak, valley, auto_asc_desc, none"):
        s.set_trend(NAME, "flat", "a typo")
    with pytest.raises(WorkbenchError, match="no trend to set"):
        s.set_trend("region", "none", "categories")
    assert not s.history


def test_the_trend_menu_offers_no_constraint_and_its_form_records_the_override(
        vintages: Path, tmp_path: Path) -> None:
    s = session_on(vintages, tmp_path)
    with TestClient(create_app(s)) as client:
        page = client.get(f"/feature/{NAME}").text
        menu = re.search(r'<select name="trend" id="trend-value">(.*?)</select>', page)
        assert menu is not None
        assert ('<option value="none">none: no monotone constraint, the rate may rise and '
                'fall</option>') in menu.group(1)
        token = re.search(r'name="token" value="([^"]+)"', page)
        assert token is not None
        form = {"token": token.group(1), "action": "trend", "trend": "none"}
        refused = client.post(f"/feature/{NAME}/edit", data={**form, "reason": ""},
                              follow_redirects=False)
        assert refused.status_code == 400 and "needs a reason" in refused.text
        assert NAME not in s.overrides
        done = client.post(f"/feature/{NAME}/edit",
                           data={**form, "reason": "the 2008 vintages turn"},
                           follow_redirects=False)
        assert done.status_code == 303
        assert s.overrides[NAME].trend == "none"
        page = client.get(f"/feature/{NAME}").text
        assert "trend none: no monotone constraint, the rate may rise and fall (override)" in page
        assert '<option value="none" selected>' in page
        assert "the 2008 vintages turn" in page
