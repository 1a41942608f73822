"""Deterministic writers for the files a risk team reviews: CSV tables, the Excel workbook
and the validation report's files.

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
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from scorecard.data.atomic import atomic_write, atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

    from validation.result import ValidationResult

FIXED_TIME = datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


# What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts with one of :data:`FORMULA_PREFIXES`
    prefixed by ``'``; the same object when no cell does. Only text cells of text
    columns (object or string dtype) change: numbers, even negative, are left alone."""
    import pandas as pd

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


_NEEDS_QUOTES = (",", '"', "\n", "\r")
_QUOTED_BYTES = tuple(c.encode() for c in _NEEDS_QUOTES)
_FORMULA_BYTES = np.frombuffer("".join(FORMULA_PREFIXES).encode(), dtype=np.uint8)


def _plain_text(cells: object, alone: bool) -> bool:
    """Whether the text cells (an arrow ``large_string`` array) are written as they are:
    none missing, none needing quotes or neutralising (:func:`neutralise_formulas`), and
    none empty when ``alone`` in its row (pandas writes a lone empty string as ``""``).
    Checked on the array's one text buffer and its offsets, not cell by cell."""
    from scorecard.data.arrays import text_bytes

    if cells.null_count:  # type: ignore[attr-defined]
        return False
    data, offsets = text_bytes(cells)
    empty = offsets[1:] == offsets[:-1]
    if alone and empty.any():
        return False
    text = data[offsets[0]:offsets[-1]].tobytes()
    if any(c in text for c in _QUOTED_BYTES):
        return False
    # Every prefix is one ASCII character: a cell's first byte decides.
    return not np.isin(data[offsets[:-1][~empty]], _FORMULA_BYTES).any()


def _arrow_cells(values: pa.Array, alone: bool, end: str = "") -> pa.Array | None:
    """One column's cells as an arrow ``large_string`` array spelled as pandas writes them,
    each followed by ``end``, or ``None`` if pandas must write the column (``alone``: the
    table's only column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from scorecard.data.arrays import from_numpy, text, texts, to_numpy

    kind = values.type
    if pa.types.is_float64(kind):  # not float32: its repr would be the float64 widening
        numbers = to_numpy(values)
        if values.null_count or np.isnan(numbers).any():
            return None
        # Python's shortest repr, as pandas writes floats; a score's pd takes few values,
        # so each distinct value is spelled once.
        distinct, at = np.unique(numbers, return_inverse=True)
        return texts([repr(v) + end for v in distinct.tolist()]).take(from_numpy(at))
    if pa.types.is_dictionary(kind):  # each distinct text judged and spelled once
        labels = _arrow_cells(values.dictionary, alone, end)
        return None if labels is None or values.null_count else labels.take(values.indices)
    if pa.types.is_integer(kind):
        if values.null_count:
            return None
        cells = pc.cast(values, pa.large_string())
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        cells = pc.cast(values, pa.large_string())
        if not _plain_text(cells, alone):
            return None
    else:
        return None
    if end:
        cells = pc.binary_join_element_wise(cells, text(""), text(end))
    return cells


def _series_cells(col: pd.Series, alone: bool, end: str) -> pa.Array | None:
    """:func:`_arrow_cells` of a pandas column (float64, integer or text dtypes only)."""
    import pandas as pd
    import pyarrow as pa

    if col.dtype == np.float64 or col.dtype.kind in "iu":
        return _arrow_cells(pa.array(col.to_numpy()), alone, end)
    if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
        try:  # arrow-backed text converts without a copy
            cells = pa.array(col.array if col.dtype != object else col.to_numpy(),
                             pa.large_string())
        except (pa.ArrowException, UnicodeError):  # a cell that is not text (a number)
            return None
        if isinstance(cells, pa.ChunkedArray):  # pandas' arrow-backed str: one buffer
            cells = cells.combine_chunks()
        return _arrow_cells(cells, alone, end)
    return None


def _plain_csv(frame: pd.DataFrame | pa.Table, header: bool) -> bytes | memoryview | None:
    """``frame.to_csv(index=False, header=header, lineterminator="\\n")`` in UTF-8, byte for
    byte and without pandas' per-cell formatting, for the tables scoring writes (a pandas
    frame or an arrow table): float columns without NaN (Python's shortest repr, as pandas
    writes them), integer columns, and text columns (arrow dictionaries too) that need no
    quoting and no neutralising (:func:`neutralise_formulas`). ``None`` for anything else:
    pandas writes it.
    pyarrow joins the cells into lines, in C; the last column's cells carry the line end
    (a dictionary's labels, once each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from scorecard.data.arrays import text, text_bytes

    arrow = isinstance(frame, pa.Table)
    names = [str(c) for c in (frame.column_names if arrow else frame.columns)]
    if any(c in name for name in names for c in _NEEDS_QUOTES) or not names or not len(frame):
        return None
    columns = []
    for j in range(len(names)):
        end = "\n" if j == len(names) - 1 else ""
        cells = (_arrow_cells(frame.column(j).combine_chunks(), len(names) == 1, end) if arrow
                 else _series_cells(frame.iloc[:, j], len(names) == 1, end))
        if cells is None:
            return None
        columns.append(cells)
    lines = pc.binary_join_element_wise(*columns, text(","))
    data, offsets = text_bytes(lines)
    # memoryview(array) as .data: numpy's stubs declare its buffer protocol for 3.12+ only
    body = data[offsets[0]:offsets[-1]].data
    return (",".join(names) + "\n").encode("utf-8") + body if header else body


def _as_frame(table: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """A pandas frame of the table's cells, dictionaries as their text."""
    import pyarrow as pa

    if not isinstance(table, pa.Table):
        return table
    for j, kind in enumerate(table.schema.types):
        if pa.types.is_dictionary(kind):
            table = table.set_column(j, table.field(j).name,
                                     table.column(j).cast(kind.value_type))
    return table.to_pandas()


def _write_frame_csv(fh: IO[bytes], frame: pd.DataFrame | pa.Table, header: bool) -> None:
    """Write ``frame`` as CSV in UTF-8 to the binary file ``fh`` (see :func:`write_csv`)."""
    data = _plain_csv(frame, header)
    if data is not None:
        fh.write(data)
        return
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="")  # pandas streams its chunks
    try:
        neutralise_formulas(_as_frame(frame)).to_csv(text, index=False, header=header,
                                                     lineterminator="\n")
        text.flush()
    finally:
        text.detach()  # fh stays open for the next frame


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Comma-separated, header, no index, ``\\n`` line endings, floats as shortest repr;
    text cells that a spreadsheet would run as formulas are neutralised
    (:func:`neutralise_formulas`)."""
    with atomic_write(path, "wb") as fh:
        _write_frame_csv(fh, frame, header=True)


def write_csv_frames(frames: Iterable[pd.DataFrame | pa.Table], path: str | Path) -> int:
    """Write frames (pandas frames or arrow tables) one after another as one CSV (as
    :func:`write_csv` writes a frame), atomically: a failure in any frame leaves no output.
    Returns the rows written."""
    frames = iter(frames)
    first = next(frames, None)  # a lazy input is judged before the output folder is touched
    rows = 0
    with atomic_write(path, "wb") as fh:
        for i, frame in enumerate(chain([first], frames) if first is not None else ()):
            _write_frame_csv(fh, frame, header=(i == 0))
            rows += len(frame)
    return rows


# Number formats of the reviewer's workbook, by column.
_FORMATS = {"count_share": "0.00%", "event_rate": "0.00%", "woe": "0.000", "iv": "0.0000",
            "count": "#,##0", "non_event": "#,##0", "event": "#,##0"}
SPLITS_LABEL = "splits"  # the row of a numeric sheet that ``scorecard review --import-xlsx`` reads
FEATURE_LABEL = "characteristic"


def _sheet_title(name: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]\*\?/\\:]", "_", name)[:31]
    i = 1
    while title in used:
        suffix = f"~{i}"
        title, i = title[: 31 - len(suffix)] + suffix, i + 1
    used.add(title)
    return title


def _write_frame(ws: object, frame: pd.DataFrame) -> None:
    from openpyxl.utils import get_column_letter

    ws.append(list(frame.columns))  # type: ignore[attr-defined]
    for row in frame.itertuples(index=False):
        ws.append([_cell(v) for v in row])  # type: ignore[attr-defined]
    for j, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
        ws.column_dimensions[letter].width = min(60, width + 2)  # type: ignore[attr-defined]
        fmt = _FORMATS.get(str(col))
        if fmt:
            for cell in ws[letter][1:]:  # type: ignore[index]
                cell.number_format = fmt
    ws.freeze_panes = "A2"  # type: ignore[attr-defined]


def _chart(ws: object, n_rows: int, columns: list[str], name: str) -> None:
    """Share bars and the event-rate line (secondary axis) of a binning sheet."""
    from openpyxl.chart import BarChart, LineChart, Reference

    share, rate, label = (columns.index(c) + 1 for c in ("count_share", "event_rate", "label"))
    bars = BarChart()
    bars.title = f"{name}: share of rows and default rate"
    bars.y_axis.title = "share of rows"
    bars.y_axis.number_format = "0%"
    bars.add_data(Reference(ws, min_col=share, min_row=1, max_row=n_rows + 1),
                  titles_from_data=True)
    cats = Reference(ws, min_col=label, min_row=2, max_row=n_rows + 1)
    bars.set_categories(cats)
    line = LineChart()
    line.add_data(Reference(ws, min_col=rate, min_row=1, max_row=n_rows + 1),
                  titles_from_data=True)
    line.y_axis.axId = 200
    line.y_axis.title = "default rate"
    line.y_axis.number_format = "0.0%"
    line.y_axis.crosses = "max"
    bars += line
    bars.height, bars.width = 7.5, 16
    ws.add_chart(bars, f"B{n_rows + 7}")  # type: ignore[attr-defined]


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | Path,
                   selection_log: pd.DataFrame | None = None,
                   overrides: dict[str, object] | None = None,
                   splits: dict[str, list[float]] | None = None) -> None:
    """The reviewer's workbook, reproducible bytes.

    First an ``overview`` sheet (characteristic or interaction, IV, in the card or not and
    why, override and its reason) when ``selection_log`` is given (``overrides``: a
    characteristic's by its name, an interaction's by its ``"X*Y"`` key, as in the
    overrides file); then one sheet per binning table
    (names cut to Excel's 31 characters) with shares and rates as percentages, WoE to three
    decimals, frozen headers and a chart. Below a numeric table, the exact ``splits`` row
    (``splits``: feature -> split points) is the one ``scorecard review --import-xlsx``
    reads back as overrides."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    if selection_log is not None:
        # An interaction's row in the log carries its name, not its "X*Y" key.
        by_name = {getattr(ov, "name", key): ov for key, ov in (overrides or {}).items()}
        rows = []
        for r in selection_log.to_dict("records"):
            ov = by_name.get(str(r["feature"]))
            rows.append({
                "characteristic": r["feature"], "iv": r["iv"], "in_card": r["decision"] == "in",
                "step": r["step"], "why": r["reason"],
                "override": ov is not None,
                "override_reason": (getattr(ov, "reason", "") or getattr(ov, "note", "")
                                    or getattr(ov, "exclude", "") or "") if ov else "",
            })
        import pandas as pd

        _write_frame(wb.create_sheet(_sheet_title("overview", used)), pd.DataFrame(rows))
    for name, frame in sheets.items():
        ws = wb.create_sheet(_sheet_title(name, used))
        _write_frame(ws, frame)
        columns = [str(c) for c in frame.columns]
        if len(frame) and {"count_share", "event_rate", "label"} <= set(columns):
            _chart(ws, len(frame), columns, name)
        if {"row", "col", "x_bin", "y_bin", "points"} <= set(columns):
            _points_grid(ws, frame)
        if splits is not None and name in splits:
            ws.append([])
            ws.append([FEATURE_LABEL, name])
            ws.append([SPLITS_LABEL, *splits[name]])
            ws.append(["edit the split points in the row above, then run "
                       "`scorecard review --import-xlsx FILE` to turn them into overrides"])
    wb.properties.creator = "scorecard"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, _normalise_zip(buf.getvalue()))


def _points_grid(ws: Any, frame: pd.DataFrame) -> None:
    """Below an interaction's cell table, its points as a grid: one row per bin of the first
    parent (``x_bin``), one column per bin of the second (``y_bin``)."""
    rows = frame.drop_duplicates("row").sort_values("row")
    cols = frame.drop_duplicates("col").sort_values("col")
    points = {(int(r), int(c)): p for r, c, p in zip(frame["row"], frame["col"],
                                                      frame["points"], strict=True)}
    ws.append([])
    ws.append(["points grid (rows: first parent's bins, columns: second parent's bins)"])
    ws.append(["", *cols["y_bin"].tolist()])
    for r, label in zip(rows["row"], rows["x_bin"], strict=True):
        ws.append([label, *(_cell(points.get((int(r), int(c)))) for c in cols["col"])])


def _cell(value: object) -> object:
    """Excel-safe cell value: missing -> empty, numpy scalars -> Python."""
    if value is None or type(value).__name__ == "NAType" or (
            isinstance(value, float) and value != value):
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


def write_reports(out: Path, artifact: dict, validation: ValidationResult,
                  selection_log: pd.DataFrame, coefficients: pd.DataFrame) -> None:
    """Write ``metrics.json``, ``MODEL.md`` and ``validation.html`` (rendered by
    :mod:`validation.report`) into ``out``."""
    # The renderer loads Jinja2 and the plotting stack: only the report writer needs it.
    from validation.report import render_reports

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_reports(artifact, validation, selection_log, coefficients).items():
        atomic_write_text(out / name, text)
