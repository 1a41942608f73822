"""Reading and writing data files in a contract's format.

The case's ``dataset.csv`` is semicolon-separated with ``NA`` for missing and ``True``/``False``
booleans. :func:`read_dataset` parses such a file into a typed frame and checks it against the
contract (:mod:`scorecard.data.schema`); :func:`write_dataset` writes a frame back in exactly that
format, atomically (:mod:`scorecard.data.atomic`).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from scorecard.data.atomic import atomic_write
from scorecard.data.contract import KLARNA, Contract
from scorecard.data.errors import ContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """A contract-valid data set.

    Attributes:
        frame: all rows in file order, typed: numeric kinds as float64 (NaN = missing),
            categories and ids as ``object`` strings, booleans as ``bool``; the target mapped
            to 0.0/1.0 with NaN for rows to predict.
        contract: the contract it was checked against.
    """

    frame: pd.DataFrame
    contract: Contract

    @property
    def labelled(self) -> pd.DataFrame:
        """Rows whose target is set, shape (n_labelled, n_columns)."""
        return self.frame[self.frame[self.contract.target].notna()]

    @property
    def to_predict(self) -> pd.DataFrame:
        """Rows whose target is missing: the rows the case asks a pd for."""
        return self.frame[self.frame[self.contract.target].isna()]

    def ids(self, frame: pd.DataFrame | None = None) -> pd.Series:
        """The id column of ``frame`` (default: all rows); the 0-based row number if the
        contract has no id column."""
        import pandas as pd

        frame = self.frame if frame is None else frame
        if self.contract.id_column is None:
            return pd.Series(frame.index.astype(str), index=frame.index, name="id")
        return frame[self.contract.id_column]


def _sniff_problem(head: str, contract: Contract) -> str | None:
    first = head.splitlines()[0] if head else ""
    if not first.strip():
        return "empty_file: the file has no header row"
    if contract.separator not in first:
        for sep in (",", ";", "\t", "|"):
            if sep != contract.separator and first.count(sep) >= 2:
                return (f"separator: the header is split by {sep!r}, the contract "
                        f"'{contract.name}' expects {contract.separator!r}")
        return f"separator: the header has no {contract.separator!r} separator"
    return None


def _field_counts(text: str, sep: str) -> Iterator[int]:
    """Fields in each non-blank record after the header (the parser skips blank lines)."""
    if '"' not in text:  # fast path: no quoting, so a record is a line
        for line in text.split("\n")[1:]:
            if line.strip("\r"):
                yield line.count(sep) + 1
        return
    # Quoted fields may hold the separator or a newline: let the csv module split records.
    # Its 128 KiB field limit is lifted for the scan: a huge cell is the contract's to report.
    old = csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
        next(reader, None)
        for record in reader:
            if record:
                yield len(record)
    except csv.Error:
        return  # malformed quoting: pandas' parser names it
    finally:
        csv.field_size_limit(old)


def _short_rows(text: str, contract: Contract, n_header: int) -> str | None:
    """Rows with fewer fields than the header: the parser would silently pad them with empty
    cells, so a file cut off mid-row would surface as odd per-column errors (or, cut inside
    a nullable column, not at all)."""
    short: list[tuple[int, int]] = []
    row = 0
    for row, n in enumerate(_field_counts(text, contract.separator), start=1):
        if n < n_header:
            short.append((row, n))
    if not short:
        return None
    shown = ", ".join(f"{r} ({n} fields)" for r, n in short[:5])
    more = f" and {len(short) - 5} more" if len(short) > 5 else ""
    last = " (the last row: the file looks truncated)" if short[-1][0] == row else ""
    return (f"field_count: {len(short)} row(s) have fewer fields than the header's "
            f"{n_header}: row(s) {shown}{more}{last}")


def read_dataset(
    source: str | Path | IO[str],
    contract: Contract = KLARNA,
    *,
    require_labelled: bool = False,
) -> Dataset:
    """Read and validate a data file in ``contract``'s format.

    Two paths give the same frame and the same report. The fast one parses with types in
    one pass (pyarrow's CSV reader, the contract naming every column's type) and checks the
    rules by vectorised numpy (:func:`~scorecard.data.schema.check_typed`), running pandera
    only on the rows those checks flag. Anything it does not handle exactly as the precise
    path (a file that does not parse, text that is not a number, a ``nan`` cell, an unknown
    boolean or label, structure problems) sends the whole file to the precise path, which
    reads every cell as text and names every problem at once.

    Args:
        source: path or text stream of the file.
        contract: the contract the file must satisfy (default: the Klarna ``dataset.csv``).
        require_labelled: also fail when the file has no labelled rows (for training).

    Raises:
        ContractError: with every violation found (lazy validation), each naming the rule,
            the column and the first offending rows (1-based data row numbers).
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise ContractError(f"file: {path} does not exist")
        raw = path.read_bytes()
    else:
        raw = source.read().encode("utf-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    frame = _read_fast(raw, contract)
    if frame is None:
        frame = _read_precise(raw, contract)
    dataset = Dataset(frame, contract)
    if require_labelled:
        labelled = dataset.labelled
        if labelled.empty:
            raise ContractError(
                f"labelled_rows: column '{contract.target}' has no labelled row; "
                "training needs rows with the target set"
            )
        if labelled[contract.target].nunique() < 2:
            only = int(labelled[contract.target].iloc[0])
            raise ContractError(
                f"two_classes: column '{contract.target}' has only class {only} among the "
                f"{len(labelled)} labelled rows; training needs both 0 and 1"
            )
    return dataset


def _header(raw: bytes, contract: Contract) -> list[str] | None:
    """The header's names, or ``None`` when the header itself is a problem (the precise
    path reports it)."""
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _sniff_problem(line, contract):
        return None
    return next(csv.reader([line], delimiter=contract.separator))


def _read_fast(raw: bytes, contract: Contract) -> pd.DataFrame | None:
    """The typed frame by the fast path, or ``None`` to use the precise one."""
    from scorecard.data.arrow import typed_file
    from scorecard.data.block import suspect_rows
    from scorecard.data.schema import check_suspects

    header = _header(raw, contract)
    if header is None or sorted(header) != sorted(contract.names):
        return None  # missing, extra or repeated columns: the precise path names them
    block = typed_file(io.BytesIO(raw), contract, header)
    if block is None or not len(block):
        return None
    frame = block.to_frame()
    check_suspects(frame, np.flatnonzero(suspect_rows(block, contract)), contract)
    return frame


def _read_precise(raw: bytes, contract: Contract) -> pd.DataFrame:
    """Every cell read as text, converted and checked, every problem named (see
    :func:`~scorecard.data.schema.check_frame`)."""
    import pandas as pd

    # Imported here: schema pulls in pandera, which the serving path never needs.
    from scorecard.data.schema import check_frame

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start)  # 0 = header, k = data row k
        where = "the header" if line == 0 else f"data row {line}"
        raise ContractError(f"encoding: the file is not UTF-8 text: {where} holds byte "
                            f"0x{raw[exc.start]:02x} ({exc.reason}); save it as UTF-8") from exc
    problem = _sniff_problem(text[:65536], contract)
    if problem:
        raise ContractError(problem)
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")],
                             delimiter=contract.separator))
    problem = _short_rows(text, contract, len(header))
    if problem:
        raise ContractError(problem)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=contract.separator,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ContractError(f"parse: the file is not a well-formed table ({exc})") from exc
    if len(header) == frame.shape[1] and len(set(header)) == len(header):
        frame.columns = header  # the file's names: pandas renames a blank one "Unnamed: 0"
    return check_frame(frame, contract, header)


def _format_column(values: pd.Series, fmt: str, na: str) -> pd.Series:
    import pandas as pd

    missing = values.isna()
    if fmt == "text":
        out = values.astype(object).where(~missing, na)
    elif fmt == "bool":
        out = values.map({True: "True", False: "False"}).astype(object).where(~missing, na)
    elif fmt == "int":
        out = pd.Series(na, index=values.index, dtype=object)
        out[~missing] = values[~missing].astype(np.int64).astype(str)
    else:  # float: Python's shortest repr, as pandas writes a float column ("3.0", "0.25")
        out = pd.Series(na, index=values.index, dtype=object)
        out[~missing] = [repr(float(v)) for v in values[~missing]]
    return out


def write_dataset(frame: pd.DataFrame, path: str | Path, contract: Contract = KLARNA) -> None:
    """Write ``frame`` (typed as :func:`read_dataset` returns it) in ``contract``'s exact
    file format, atomically. Columns are written in contract order."""
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for col in contract.columns:
        fmt = col.csv_format
        if col.kind == "target" and col.allowed and isinstance(col.allowed[0], str):
            inverse = {float(v): k for k, v in contract.target_labels.items()}
            out[col.name] = [inverse.get(v, contract.na_value) for v in frame[col.name]]
            continue
        out[col.name] = _format_column(frame[col.name], fmt, contract.na_value)
    with atomic_write(path) as fh:
        out.to_csv(fh, sep=contract.separator, index=False, lineterminator="\n")
