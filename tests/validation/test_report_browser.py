"""The validation page in a real browser: headless Chromium renders it offline.

Chromium is driven from the command line (no JavaScript, no driver): ``--dump-dom`` gives
the DOM after parsing and ``--screenshot`` a PNG. Name resolution is mapped to nothing, so
nothing can be fetched, and Chromium's NetLog records every request the page attempts.
Checks: no request on the page's behalf and no console errors; every ``<svg>`` has drawable
content; no broken ``<img>``; the expected sections and tables are in the DOM; the inline
CSS is applied; the screenshot is not blank.

Runs on the committed ``reports/validation.html`` (when present) and on a report written
from synthetic inputs (always). Skipped only when no Chromium is installed (CI installs the
Debian ``chromium`` package in ``.ci/run``).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from scorecard.jobs.outputs import write_reports
from tests.support.browser import DRAWABLE, PAGE_ERROR, needs_chromium, page_requests, render
from tests.support.builders import SECTIONS, build_synthetic

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "reports" / "validation.html"
WIDTH, HEIGHT = 1400, 4000

pytestmark = needs_chromium


class _Dom(HTMLParser):
    """Just enough of the DOM: SVGs and their drawable children, images, headings, tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.svgs: list[dict[str, int]] = []
        self.svg_depth = 0
        self.images: list[dict[str, str | None]] = []
        self.headings: dict[str, list[str]] = {"h2": [], "h3": []}
        self.tables = 0
        self.table_rows = 0
        self._heading: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            if self.svg_depth == 0:
                self.svgs.append({"drawable": 0})
            self.svg_depth += 1
        elif self.svg_depth and tag in DRAWABLE and (tag != "path"
                                                     or (a.get("d") or "").strip()):
            self.svgs[-1]["drawable"] += 1  # an empty path draws nothing
        if tag == "img":
            self.images.append(a)
        elif tag == "table":
            self.tables += 1
        elif tag == "tr":
            self.table_rows += 1
        elif tag in self.headings:
            self._heading, self._text = tag, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.svg_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.svg_depth:
            self.svg_depth -= 1
        elif tag == self._heading:
            self.headings[tag].append("".join(self._text).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)


@pytest.fixture(scope="module", params=["committed", "synthetic"])
def rendered(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The page, its dumped DOM, Chromium's log and the screenshot path."""
    tmp = tmp_path_factory.mktemp(f"browser_{request.param}")
    if request.param == "committed":
        if not COMMITTED.exists():
            pytest.skip(f"{COMMITTED} is not committed yet (run `scorecard run`)")
        page = COMMITTED
    else:
        write_reports(tmp / "report", *build_synthetic(full=True))
        page = tmp / "report" / "validation.html"
    return render(page, tmp, (WIDTH, HEIGHT))


def test_page_makes_no_network_request(rendered: dict) -> None:
    assert rendered["netlog"].exists()
    assert not page_requests(rendered["netlog"])


def test_no_console_or_network_errors(rendered: dict) -> None:
    problems = [line for line in rendered["log"].splitlines() if PAGE_ERROR.search(line)]
    assert not problems, "\n".join(problems[:20])


def test_dom_has_sections_tables_and_drawn_plots(rendered: dict) -> None:
    dom = _Dom()
    dom.feed(rendered["dom"])
    assert dom.headings["h2"] == list(SECTIONS)
    assert {"Headline figures", "Cut-off table", "Selection log",
            "Observed vs predicted per grade"} <= set(dom.headings["h3"])
    source = rendered["page"].read_text(encoding="utf-8")
    assert len(dom.svgs) == source.count("<svg ") >= 8
    empty = [i for i, s in enumerate(dom.svgs) if s["drawable"] < 3]
    assert not empty, f"SVGs without drawable content: {empty}"
    for img in dom.images:  # none today; any added later must be inline data
        assert (img.get("src") or "").startswith("data:"), img
    assert dom.tables >= 15 and dom.table_rows >= 100
    assert "Scorecard" in rendered["dom"] and "AUC" in rendered["dom"]


def test_screenshot_is_rendered(rendered: dict) -> None:
    from PIL import Image, ImageStat

    png: Path = rendered["png"]
    assert png.exists() and png.stat().st_size > 10_000
    with Image.open(png) as im:
        rgb = im.convert("RGB")
    assert rgb.size == (WIDTH, HEIGHT)
    # The inline CSS is applied: the header band has the report's accent colour #1f4e79.
    r, g, b = rgb.getpixel((6, 6))
    assert abs(r - 0x1F) < 12 and abs(g - 0x4E) < 12 and abs(b - 0x79) < 12, (r, g, b)
    gray = rgb.convert("L")
    assert ImageStat.Stat(gray).stddev[0] > 20  # far from a blank page
    for top in range(0, HEIGHT, HEIGHT // 4):  # ink in every quarter: nothing collapsed
        band = gray.crop((0, top, WIDTH, top + HEIGHT // 4))
        inked = sum(band.point(lambda v: 255 if v < 200 else 0).histogram()[255:])
        assert inked > 0.005 * WIDTH * HEIGHT / 4, f"quarter at y={top} is nearly blank"
    colours = rgb.resize((WIDTH // 4, HEIGHT // 4)).getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 200  # plots and text, not flat fills
