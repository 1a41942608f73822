"""``MODEL.md`` is the case's one-page explanation: printed to A4 by headless Chromium, both
plain (11 pt serif, 2 cm margins) and as GitHub renders it (18 mm margins), it fills one
page with about two lines to spare, for the committed Klarna build, for the
synthetic inputs (full and minimal) and for HELOC (no oracle, no rows to predict).

The Markdown is turned into HTML by :func:`to_html`, a converter for the subset
``render_model_md`` writes (headings, paragraphs, bullet lists, pipe tables, bold, code), so
the test depends on nothing but the browser. Skipped only when no Chromium is installed.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard.jobs.outputs import write_reports
from tests.support.browser import CHROMIUM, needs_chromium
from tests.support.builders import build_synthetic, interaction_feature

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "reports" / "MODEL.md"
# Print rules of an ordinary Markdown stylesheet: body text 11 pt, headings a step larger.
PRINT_CSS = ("@page { size: A4; margin: 2cm } body { font: 11pt serif; margin: 0 } "
             "h1 { font-size: 16pt; margin: 0 0 6pt } h2 { font-size: 13pt; margin: 8pt 0 3pt } "
             "p, ul, table { margin: 0 0 5pt } ul { padding-left: 1.4em } "
             "table { border-collapse: collapse } th, td { border: 1px solid #999; "
             "padding: 0 4px }")
# GitHub's rendering (github-markdown-css: 16 px sans-serif at line height 1.5, headings 2 and
# 1.5 em with a rule under them, 16 px between blocks, cells padded 6 x 13 px) as a browser
# prints a GitHub page on A4 with 18 mm margins: its reading column fitted to the paper.
GITHUB_CSS = ("@page { size: A4; margin: 18mm } body { font: 16px/1.5 -apple-system, "
              "'Segoe UI', 'Noto Sans', Helvetica, Arial, sans-serif; margin: 0; zoom: 0.6 } "
              "h1 { font-size: 2em; margin: .67em 0; padding-bottom: .3em; "
              "border-bottom: 1px solid #d1d9e0 } h2 { font-size: 1.5em; margin: 24px 0 16px; "
              "padding-bottom: .3em; border-bottom: 1px solid #d1d9e0 } "
              "p, ul, table { margin: 0 0 16px } ul { padding-left: 2em } "
              "li + li { margin-top: .25em } table { border-collapse: collapse } "
              "th, td { padding: 6px 13px; border: 1px solid #d1d9e0 } "
              "code { font-size: 85%; padding: .2em .4em }")
# Kept free at the foot of the page in both styles, about two lines: a longer figure,
# another font or a renderer's rounding must not push the page onto a second one.
RESERVE = "8mm"
STYLES = {"plain": PRINT_CSS, "github": GITHUB_CSS}
# A page object of the PDF; "/Type /Pages" (the page tree) must not count.
PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")

def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_html(markdown: str) -> str:
    """HTML of the Markdown subset MODEL.md uses; anything else is a failure, not a guess."""
    body: list[str] = []
    blocks = re.split(r"\n\s*\n", markdown.strip())
    for block in blocks:
        lines = block.split("\n")
        if m := re.fullmatch(r"(#{1,3}) (.+)", block):
            level = len(m.group(1))
            body.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif all(line.startswith("- ") for line in lines):
            body.append("<ul>" + "".join(f"<li>{_inline(x[2:])}</li>" for x in lines) + "</ul>")
        elif all(line.startswith("|") for line in lines):
            assert len(lines) >= 2 and re.fullmatch(r"\|(?:\s*:?-+:?\s*\|)+", lines[1]), block
            align = ["right" if c.endswith(":") else "left" for c in _cells(lines[1])]
            head = "".join(f"<th>{_inline(c)}</th>" for c in _cells(lines[0]))
            rows = "".join("<tr>" + "".join(f'<td style="text-align:{a}">{_inline(c)}</td>'
                                            for c, a in zip(_cells(r), align, strict=True))
                           + "</tr>" for r in lines[2:])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        else:
            assert not any(line.startswith(("#", "- ", "|", "    ")) for line in lines), block
            body.append(f"<p>{_inline(' '.join(lines))}</p>")
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            f"<style>{PRINT_CSS}</style></head><body>{''.join(body)}</body></html>")


def printed_pages(markdown: str, tmp: Path, css: str = PRINT_CSS, reserve: str = "0mm") -> int:
    """Pages of the Markdown printed to PDF by headless Chromium with the stylesheet ``css``,
    a blank block of height ``reserve`` after the text."""
    assert CHROMIUM is not None
    page, pdf = tmp / "model.html", tmp / "model.pdf"
    text = to_html(markdown).replace(PRINT_CSS, css)
    text = text.replace("</body>", f'<div style="height:{reserve}"></div></body>')
    page.write_text(text, encoding="utf-8")
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp / 'profile'}",
         f"--print-to-pdf={pdf}", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "HOME": str(tmp)})
    assert run.returncode == 0 and pdf.exists(), run.stderr[-2000:]
    return len(PAGE.findall(pdf.read_bytes()))


def test_the_converter_reads_every_block_of_the_subset() -> None:
    page = to_html("# T\n\nSome **bold** `x<1`\ngoes on.\n\n- a\n- b\n\n"
                   "| k | v |\n|---|--:|\n| a | 1 |\n")
    assert "<h1>T</h1>" in page and "<p>Some <b>bold</b> <code>x&lt;1</code> goes on.</p>" in page
    assert "<ul><li>a</li><li>b</li></ul>" in page
    assert '<th>v</th>' in page and '<td style="text-align:right">1</td>' in page


@needs_chromium
def test_two_pages_of_text_are_counted_as_two(tmp_path: Path) -> None:
    """The page count can fail: a text twice too long for one page prints on two."""
    long = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(40))
    assert printed_pages(long, tmp_path) >= 2


@needs_chromium
def test_the_reserve_is_counted(tmp_path: Path) -> None:
    """Twenty short paragraphs fit a page; with a reserve of most of the page they spill."""
    text = "\n\n".join(f"Paragraph {i}." for i in range(20))
    assert printed_pages(text, tmp_path) == 1
    assert printed_pages(text, tmp_path, reserve="250mm") == 2


@needs_chromium
@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("full", [True, False], ids=["full", "minimal"])
def test_synthetic_model_md_prints_on_one_page(full: bool, style: str, tmp_path: Path) -> None:
    write_reports(tmp_path / "out", *build_synthetic(full=full))
    assert printed_pages((tmp_path / "out" / "MODEL.md").read_text(encoding="utf-8"),
                         tmp_path, STYLES[style], RESERVE) == 1


@needs_chromium
@pytest.mark.parametrize("style", sorted(STYLES))
def test_committed_model_md_prints_on_one_page_with_room_to_spare(style: str,
                                                                   tmp_path: Path) -> None:
    if not COMMITTED.exists():
        pytest.skip(f"{COMMITTED} is not committed yet (run `scorecard run`)")
    assert printed_pages(COMMITTED.read_text(encoding="utf-8"), tmp_path, STYLES[style],
                         RESERVE) == 1


@needs_chromium
@pytest.mark.shared
@pytest.mark.parametrize("style", sorted(STYLES))
def test_heloc_model_md_prints_on_one_page(heloc_inputs: tuple, style: str,
                                           tmp_path: Path) -> None:
    write_reports(tmp_path / "out", *heloc_inputs)
    doc = (tmp_path / "out" / "MODEL.md").read_text(encoding="utf-8")
    assert "Oracle" not in doc  # no true pd for real data: no row, no note
    assert printed_pages(doc, tmp_path, STYLES[style], RESERVE) == 1


def test_pairs_searched_are_counted_as_pairs_not_as_candidates(tmp_path: Path) -> None:
    """The card's pair is no characteristic kept: 2 of the candidates, and 1 of 3 pairs."""
    artifact, validation, log, coefficients = build_synthetic(full=True)
    first, second = artifact["features"][:2]
    artifact["features"].append(interaction_feature(first, second, "X1",
                                                    np.random.default_rng(0)))
    candidates = int((log["step"] != "final_fit").sum()) if "step" in log else len(log)
    pairs = pd.DataFrame({"feature": ["a_x_b", "a_x_c", "b_x_c"], "iv": 0.0,
                          "decision": ["in", "out", "out"], "step": "interaction",
                          "reason": "inner CV"})
    write_reports(tmp_path, artifact, validation, pd.concat([log, pairs], ignore_index=True),
                  coefficients)
    text = (tmp_path / "MODEL.md").read_text(encoding="utf-8")
    assert f"2 of {candidates} candidates and 1 of 3 pairs kept (" in text
