"""Deterministic writers for the files a risk team reviews: CSV tables and the Excel workbook.

Every writer is atomic (see :func:`scorecard.data.atomic.atomic_write`) and byte-reproducible:
floats use Python's shortest round-trip repr, and the workbook's zip entries and document
properties carry a fixed timestamp.

CSV files are opened in spreadsheets, which run a cell starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return as a formula (CSV injection): :func:`neutralise_formulas` gives
such text cells a leading ``'`` (OWASP's advice). Numeric columns are untouched, so the
project's own tables are unchanged (``reports/predictions.csv`` holds hex uuids and numbers).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from scorecard.data.atomic import atomic_write, atomic_write_bytes

FIXED_TIME = datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


# What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts with one of :data:`FORMULA_PREFIXES`
    prefixed by ``'``; the same object when no cell does. Only text cells of text
    columns (object or string dtype) change: numbers, even negative, are left alone."""
    out: pd.DataFrame | None = None
    for j, name in enumerate(frame.columns):
        col = frame.iloc[:, j]
        if not (col.dtype == object or isinstance(col.dtype, pd.StringDtype)):
            continue
        try:
            starts = col.str.startswith(FORMULA_PREFIXES)  # NaN/NA for non-text cells
            mask = starts.astype("boolean").fillna(False).to_numpy(dtype=bool)
        except AttributeError:  # an object column holding no text at all (e.g. ints)
            mask = np.array([isinstance(v, str) and v.startswith(FORMULA_PREFIXES)
                             for v in col], dtype=bool)
        if not mask.any():
            continue
        values = col.to_numpy(dtype=object, copy=True)
        values[mask] = ["'" + v for v in values[mask]]
        if out is None:
            out = frame.copy()
        out.isetitem(j, pd.Series(values, index=col.index, dtype=col.dtype, name=name))
    return frame if out is None else out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Comma-separated, header, no index, ``\\n`` line endings, floats as shortest repr;
    text cells that a spreadsheet would run as formulas are neutralised
    (:func:`neutralise_formulas`)."""
    frame = neutralise_formulas(frame)
    with atomic_write(path) as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")


def write_csv_frames(frames: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write frames one after another as one CSV (as :func:`write_csv` writes a frame),
    atomically: a failure in any frame leaves no output. Returns the rows written."""
    rows = 0
    with atomic_write(path) as fh:
        for i, frame in enumerate(frames):
            neutralise_formulas(frame).to_csv(fh, index=False, header=(i == 0),
                                              lineterminator="\n")
            rows += len(frame)
    return rows


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | Path) -> None:
    """One sheet per table (names cut to Excel's 31 characters), reproducible bytes."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, frame in sheets.items():
        title = re.sub(r"[\[\]\*\?/\\:]", "_", name)[:31]
        i = 1
        while title in used:
            suffix = f"~{i}"
            title, i = title[: 31 - len(suffix)] + suffix, i + 1
        used.add(title)
        ws = wb.create_sheet(title)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(60, width + 2)
        ws.freeze_panes = "A2"
    wb.properties.creator = "scorecard"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, _normalise_zip(buf.getvalue()))


def _cell(value: object) -> object:
    """Excel-safe cell value: missing -> empty, numpy scalars -> Python."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps and fixed document times."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                                 rb"\g<1>" + stamp.encode(), content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    return out.getvalue()
