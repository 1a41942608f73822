"""The reviewer's workbook: deterministic bytes, an overview sheet, formats, charts, and split
points edited in it imported back as overrides with the workbench's checks."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from scorecard.cli import main
from scorecard.fit.overrides import BUILTIN_DIR, PairOverride
from scorecard.jobs.outputs import write_workbook
from scorecard.workbench.session import Session


def _workbook(session: Session, path: Path) -> None:
    names = [n for n, b in session.state.items() if b.exclude is None][:6]
    tables = {n: session.table(n).drop(columns=["rate_low", "rate_high"]) for n in names}
    log = pd.DataFrame({"feature": names, "iv": [float(t["iv"].sum()) for t in tables.values()],
                        "decision": "in", "step": "final", "reason": "kept"})
    splits = {n: list(session.state[n].splits) for n in names
              if session.features[n].kind == "numeric"}
    write_workbook(tables, path, log, session.overrides, splits)


def _sheet_of(wb: object, session: Session, min_splits: int) -> tuple[str, object]:
    """A numeric sheet with at least ``min_splits`` splits, and its feature (full name)."""
    for ws in wb.worksheets[1:]:  # type: ignore[attr-defined]
        name = next((r[1].value for r in ws.iter_rows() if r[0].value == "characteristic"), None)
        if name and len(session.state[name].splits) >= min_splits:
            return name, ws
    raise AssertionError("no numeric sheet")


def test_the_workbook_is_deterministic_and_a_reviewers_document(session: Session,
                                                                 tmp_path: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    _workbook(session, a)
    _workbook(session, b)
    assert a.read_bytes() == b.read_bytes()
    wb = load_workbook(a)
    assert wb.sheetnames[0] == "overview"
    ws = wb[wb.sheetnames[1]]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert ws.cell(2, header.index("count_share") + 1).number_format == "0.00%"
    assert ws.cell(2, header.index("woe") + 1).number_format == "0.000"
    assert len(ws._charts) == 1


def test_split_points_edited_in_the_workbook_become_overrides(
        session: Session, small_data: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    _workbook(session, book)
    wb = load_workbook(book)
    name, ws = _sheet_of(wb, session, 2)
    row = next(r for r in ws.iter_rows() if r[0].value == "splits")
    kept = [c.value for c in row[1:] if c.value is not None]
    row[1 + len(kept) - 1].value = None  # the reviewer deletes the last split point
    wb.save(book)
    out = tmp_path / "overrides.toml"
    shutil.copy(BUILTIN_DIR / "klarna.toml", out)
    spec = tmp_path / "klarna_classic.json"  # the session's classic-card constraints
    spec.write_text(json.dumps({**session.spec.to_dict(), "card_method": "woe"}))
    code = main(["review", "--spec", str(spec), "--data", str(small_data), "--overrides",
                 str(out), "--import-xlsx", str(book), "--reason", "coarser top bins",
                 "--reviewer", "Ann"])
    assert code == 0
    saved = tomllib.loads(out.read_text())["features"]
    assert saved[name]["splits"] == kept[:-1]
    assert saved[name]["reason"] == "coarser top bins" and saved[name]["who"] == "Ann"
    assert {"merchant_group", "time_hours", "age"} <= set(saved)


def test_a_non_number_in_the_splits_row_is_one_line_naming_the_cell(
        session: Session, small_data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.xlsx"
    _workbook(session, book)
    wb = load_workbook(book)
    _name, ws = _sheet_of(wb, session, 1)
    row = next(r for r in ws.iter_rows() if r[0].value == "splits")
    row[1].value = "twelve"
    wb.save(book)
    code = main(["review", "--data", str(small_data), "--overrides",
                 str(tmp_path / "o.toml"), "--import-xlsx", str(book)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "'twelve' is not a number" in err[0] and ws.title in err[0]


def test_a_pair_override_shows_in_the_overview_beside_its_pair(tmp_path: Path) -> None:
    log = pd.DataFrame({"feature": ["a", "a_x_b"], "iv": [0.1, 0.0], "decision": ["in", "out"],
                        "step": ["final", "interactions"],
                        "reason": ["kept", "excluded by override: not explainable"]})
    path = tmp_path / "book.xlsx"
    write_workbook({}, path, log, {"a*b": PairOverride("a", "b", exclude="not explainable")})
    header, *rows = load_workbook(path)["overview"].iter_rows(values_only=True)
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_name["a_x_b"]["override"] is True
    assert by_name["a_x_b"]["override_reason"] == "not explainable"
    assert by_name["a"]["override"] is False
