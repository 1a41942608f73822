"""A card's interaction in the workbench, in headless Chromium (Playwright driving the system
browser): the overview lists the pair with its gains, its page shows the points grid as a
heat map whose every cell states its points, rows, defaults and default rate (the card's own
figures; coloured by points or by default rate), a reviewer drops the pair with a reason,
saves and rebuilds, and the pair is gone from the rebuilt card, the selection log naming the
override, the overrides file holding it with reason, reviewer and date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from scorecard.data.files import write_dataset
from tests.fit.test_interactions import _frame, _spec
from tests.support.browser import local_page, needs_chromium
from tests.support.servers import free_port, wait_http

pytestmark = needs_chromium
playwright = pytest.importorskip("playwright.sync_api")
REASON = "not explainable to an applicant"


def test_a_reviewer_reads_a_pairs_heat_map_drops_it_and_the_rebuild_has_it_gone(
        tmp_path: Path) -> None:
    spec = _spec("auto")
    X, y = _frame(4_000, 1, crossed=True)  # a planted pair: a and b both high
    data = tmp_path / "pairs.csv"
    write_dataset(X.assign(bad=y), data, spec.contract)
    spec_file = tmp_path / "pairs.spec.json"
    spec_file.write_text(json.dumps({**spec.to_dict(), "contract": spec.contract.to_dict()}))
    overrides, work = tmp_path / "overrides.toml", tmp_path / "work"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "scorecard", "review", "--spec",
                             str(spec_file), "--data", str(data), "--overrides",
                             str(overrides), "--port", str(port), "--workdir", str(work)],
                            env={**os.environ, "SCORECARD_REVIEWER": "Rita Reviewer"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_http(base + "/", proc)
        _drive(base, work, tmp_path)
    finally:
        proc.terminate()
        proc.wait(30)

    saved = tomllib.loads(overrides.read_text())["pairs"]["a*b"]
    assert saved["exclude"] == saved["reason"] == REASON
    assert saved["who"] == "Rita Reviewer" and len(saved["when"]) == 10
    card = json.loads((work / "rebuild-1" / "scorecard.json").read_text())
    assert all(f["kind"] != "interaction" for f in card["features"])
    log = pd.read_csv(work / "rebuild-1" / "selection_log.csv").set_index("feature")
    assert log.loc["a_x_b", "reason"] == f"excluded by override: {REASON}"


def _drive(base: str, work: Path, shots: Path) -> None:
    with local_page(base) as local:
        page = local.page

        def built() -> None:
            page.goto(base + "/rebuild")
            page.wait_for_selector("#builds[data-done=true]", timeout=600_000)
            assert "failed" not in page.locator("#builds").inner_text()

        built()  # the baseline card
        page.goto(base + "/")
        row = page.locator("#pairs tbody tr", has_text="a_x_b")
        cells = row.locator("td").all_inner_texts()
        assert cells[3] == "in" and float(cells[4]) > 0 and float(cells[5]) > 0
        with page.expect_navigation():
            row.locator("a").click()

        # The heat map: one cell per grid cell, each with the card's numbers in it.
        card = json.loads((work / "baseline" / "scorecard.json").read_text())
        pair = next(f for f in card["features"] if f["name"] == "a_x_b")
        heat = page.locator("#pair-grid td.cell")
        assert heat.count() == len(pair["bins"])
        texts = heat.all_inner_texts()
        for b, text in zip(pair["bins"], texts, strict=True):
            lines = text.split("\n")
            assert int(lines[0]) == b["points"]
            assert lines[1:3] == [f"{b['count']} rows", f"{b['event']} defaults"]
        heads = page.locator("#pair-grid thead th").all_inner_texts()[1:]
        assert heads == [c["label"] for c in pair["parents"][1]["bins"]]
        assert page.locator("#pair-grid tbody th").all_inner_texts() == [
            r["label"] + (" (special)" if r["type"] == "special" else "")
            for r in pair["parents"][0]["bins"]]
        page.screenshot(path=str(shots / "pair.png"), full_page=True)
        # Coloured by default rate instead: the same numbers in the cells.
        with page.expect_navigation():
            page.click("#colour-rate")
        assert "coloured by default rate" in page.locator("#pair-grid caption").inner_text()
        assert heat.all_inner_texts() == texts
        with page.expect_navigation():
            page.click("#colour-points")

        page.fill("#drop-reason", REASON)
        with page.expect_navigation():
            page.click("#drop-form button[type=submit]")
        assert page.locator(".error").count() == 0
        assert f"dropped: {REASON}" in page.locator("#pair-override").inner_text()

        page.goto(base + "/")
        with page.expect_navigation():
            page.click("#save")
        assert "saved 1 override(s)" in page.locator(".message").inner_text()
        page.click("#rebuild")
        page.wait_for_url(base + "/rebuild")
        built()
        page.goto(base + "/pair/a%2Ab")
        assert page.locator("#pair-grid").count() == 0
        assert "dropped by the override" in page.locator("#no-grid").inner_text()
        assert f"excluded by override: {REASON}" in page.locator("#pair-why").inner_text()
        page.screenshot(path=str(shots / "pair_dropped.png"), full_page=True)
    assert not local.errors, local.errors
    assert not local.off_machine, local.off_machine
