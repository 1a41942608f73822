"""The monitoring page in a real browser: headless Chromium renders it offline.

As for the validation page (``test_report_browser.py``): Chromium from the command line,
name resolution mapped to nothing, its NetLog recording every request. Checks: no request
on the page's behalf, no console errors, every ``<svg>`` draws, the period sections and
tables are in the DOM, the inline CSS applies, the screenshot is not blank. The page is
written by ``scorecard monitor`` for generated periods (one drifted, with outcomes).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from scorecard.cli import main
from tests.support.browser import DRAWABLE, PAGE_ERROR, needs_chromium, page_requests, render

REPO = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1400, 3000

pytestmark = needs_chromium


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.svgs: list[int] = []
        self.depth = 0
        self.h2: list[str] = []
        self.tables = 0
        self._in_h2 = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            if self.depth == 0:
                self.svgs.append(0)
            self.depth += 1
        elif self.depth and tag in DRAWABLE and (tag != "path" or (a.get("d") or "").strip()):
            self.svgs[-1] += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "h2":
            self._in_h2, self._text = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.depth:
            self.depth -= 1
        elif tag == "h2" and self._in_h2:
            self.h2.append("".join(self._text).strip())
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self._text.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("monitoring_browser")
    data = tmp / "m.csv"
    assert main(["generate-data", "--output", str(data), "--rows", "4000", "--unlabelled",
                 "0", "--periods", "3", "--drift", "risk@3", "--quiet"]) == 0
    files = [str(tmp / f"m.p0{k}.csv") for k in (1, 2, 3)]
    assert main(["monitor", "--artifact", str(REPO / "reports" / "scorecard.json"),
                 "--input", *files, "--outcomes", "--out", str(tmp / "out")]) == 5
    page = tmp / "out" / "monitoring.html"
    return render(page, tmp, (WIDTH, HEIGHT))


def test_page_makes_no_network_request_and_logs_no_error(rendered: dict) -> None:
    assert not page_requests(rendered["netlog"])
    problems = [line for line in rendered["log"].splitlines() if PAGE_ERROR.search(line)]
    assert not problems, "\n".join(problems[:20])


def test_dom_has_periods_tables_and_drawn_trend_charts(rendered: dict) -> None:
    dom = _Dom()
    dom.feed(rendered["dom"])
    assert dom.h2 == ["Summary", "Period m.p01", "Period m.p02", "Period m.p03"]
    source = rendered["page"].read_text(encoding="utf-8")
    assert len(dom.svgs) == source.count("<svg ") == 5  # PSI, volume, HHI, AUC, calibration
    assert all(n >= 10 for n in dom.svgs), dom.svgs
    assert dom.tables >= 1 + 3 * 4
    assert "Breach:" in rendered["dom"] and "default rate" in rendered["dom"]
    assert "<script" not in source and "http://" not in source.replace(
        "http://www.w3.org/", "")


def test_screenshot_is_rendered(rendered: dict) -> None:
    from PIL import Image, ImageStat

    with Image.open(rendered["png"]) as im:
        rgb = im.convert("RGB")
    assert rgb.size == (WIDTH, HEIGHT)
    r, g, b = rgb.getpixel((6, 6))  # the header band in the report's accent colour
    assert abs(r - 0x1F) < 12 and abs(g - 0x4E) < 12 and abs(b - 0x79) < 12, (r, g, b)
    assert ImageStat.Stat(rgb.convert("L")).stddev[0] > 20
