"""The workbench on own data, started without ``--overrides`` and with no rows to predict,
in headless Chromium (issue 32, item 9): it says at once that edits cannot be saved and
refuses the first edit; trends read as words, not optbinning's internal names; the chart's
axes carry ticks; no CSI is shown when there is nothing to predict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard.data.synthetic.example import write_example
from scorecard.fit.spec_inference import infer_spec
from tests.support.browser import CHROMIUM, needs_chromium
from tests.support.servers import free_port, wait_http

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("own_workbench")
    data = write_example(tmp / "credit.csv", rows=3_000, unlabelled=0, seed=12)
    spec = tmp / "credit.spec.json"
    spec.write_text(json.dumps(infer_spec(data, target="default.next.month").spec))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scorecard", "review", "--spec", str(spec),
                             "--data", str(data), "--port", str(port), "--workdir",
                             str(tmp / "work")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/", proc)
        yield base, tmp
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_workbench_reads_as_words_and_refuses_edits_it_could_not_save(
        server: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    base, tmp = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        # At start, before any edit: the session says it is read-only and why.
        assert "restart with `scorecard review --overrides FILE`" in page.locator(
            "#read-only").inner_text()
        assert "auto_asc_desc" not in page.locator("body").inner_text()
        assert "detected by the binning" in page.locator("#overview").inner_text()
        page.screenshot(path=str(tmp / "overview.png"), full_page=True)

        page.goto(base + "/feature/limit_bal")
        lead = page.locator("p.lead").first.inner_text()
        assert "no rows to predict, so no CSI" in lead and "CSI 0" not in lead
        assert page.locator("#csi").count() == 0
        assert "auto_asc_desc" not in page.locator("body").inner_text()  # values stay
        ticks = page.locator("figure svg line.tick")
        assert ticks.count() >= 6
        axis = page.locator("figure svg text").evaluate_all("es => es.map(e => e.textContent)")
        assert "0%" in axis and "share of rows" in axis and "default rate" in axis
        page.screenshot(path=str(tmp / "feature.png"), full_page=True)

        # The first edit is refused, with the reason, and changes nothing.
        rows = page.locator("#bins tbody tr").count()
        page.fill("#merge-reason", "one risk level")
        with page.expect_navigation():
            page.click("#merge-form button[type=submit]")
        assert "read-only session" in page.locator("p.error[role=alert]").last.inner_text()
        assert page.locator("#bins tbody tr").count() == rows
        assert "0 edit(s) this session" in page.locator("nav").inner_text()
        browser.close()
