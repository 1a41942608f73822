"""The workbook round trip: split points edited in ``binning_tables.xlsx`` become overrides.

Each numeric sheet of the reviewer's workbook ends with a ``characteristic`` row (the full name;
sheet titles are cut to 31 characters) and a ``splits`` row holding the exact split points
(:func:`scorecard.jobs.outputs.write_workbook`). A reviewer edits that row; the import
applies every changed row as a session edit, so the same checks hold as in the browser:
flagged bins (below the minimum share, pure, a broken trend) are refused on save.
"""

from __future__ import annotations

from pathlib import Path

from scorecard.jobs.outputs import FEATURE_LABEL, SPLITS_LABEL
from scorecard.workbench.edits import normalise
from scorecard.workbench.session import Session, WorkbenchError


def read_splits(path: Path) -> dict[str, list[float]]:
    """Feature -> split points of every sheet with a ``splits`` row."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook: the user's file, one line
        raise WorkbenchError(f"--import-xlsx {path}: not a readable .xlsx workbook "
                             f"({type(exc).__name__})") from exc
    out: dict[str, list[float]] = {}
    for ws in wb.worksheets:
        feature = None  # set by a marker row, used by the splits row right below it
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if not row:
                feature = None
                continue
            if row[0] == FEATURE_LABEL and len(row) > 1 and isinstance(row[1], str):
                feature = row[1]
                continue
            if row[0] == SPLITS_LABEL and feature is not None:
                values = []
                for c, v in enumerate(row[1:], start=2):
                    if v is None or v == "":
                        continue
                    if isinstance(v, bool) or not isinstance(v, int | float):
                        raise WorkbenchError(f"--import-xlsx {path}: sheet {ws.title!r} row "
                                             f"{r} column {c}: split point {v!r} is not a "
                                             "number")
                    values.append(float(v))
                out[feature] = values
            feature = None
    wb.close()
    return out


def import_workbook(session: Session, path: Path, reason: str) -> list[str]:
    """Apply every changed ``splits`` row as an edit; return the changed features."""
    changed = []
    for name, splits in read_splits(path).items():
        if name not in session.features:
            raise WorkbenchError(f"--import-xlsx {path}: unknown characteristic {name!r}")
        current = normalise(session.features[name], session.state[name]).splits
        if tuple(sorted(splits)) != current:
            session.set_splits(name, splits, reason)
            changed.append(name)
    return changed
