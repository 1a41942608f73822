"""What the monitoring page shows: a count axis from zero, the characteristic behind the
largest CSI (issue 32, item 9)."""

from __future__ import annotations

import re

from validation.monitoring_report import _trend, render_monitoring


def _texts(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_the_applicants_axis_starts_at_zero_without_an_offset() -> None:
    svg = _trend(["p1", "p2"], {"volume": [10_860, 10_861]}, "Applicants per period",
                 "applicants", "volume", zero_based=True)
    ticks = _texts(svg)
    assert "0" in ticks and not any("+" in t or "e4" in t for t in ticks), ticks
    assert any(t.replace(",", "").isdigit() and int(t.replace(",", "")) >= 10_000
               for t in ticks), ticks


def _period(name: str, csi: dict[str, float]) -> dict:
    return {"name": name, "volume": 100, "score": {"psi": 0.01, "bands": []},
            "characteristics": [{"name": n, "csi": v, "light": "green", "missing_share": 0,
                                 "ref_missing_share": 0, "unseen_share": 0}
                                for n, v in csi.items()],
            "grades": None, "breaches": [], "warnings": []}


def test_the_largest_csi_names_its_characteristic() -> None:
    report = {"model_id": "m", "content_hash": "h", "source": "rows", "breached": False,
              "reference": {"sample": "development", "rows": 100, "auc": None},
              "thresholds": {"alpha": 0.01},
              "periods": [_period("2026-10", {"age": 0.02, "income": 0.07}),
                          _period("2026-11", {"age": 0.12, "income": 0.03})]}
    page = render_monitoring(report)
    assert "Max CSI characteristic" in page
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    summary = [r for r in rows if "2026-1" in r]
    assert "income" in summary[0] and "age" in summary[1]
    assert "Largest CSI: 2026-10 income, 2026-11 age." in page
