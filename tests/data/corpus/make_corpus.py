"""Build the bad-file corpus in this folder (run once; the files are committed).

``python tests/corpus/make_corpus.py`` generates a tiny synthetic file (never the shared real
data), keeps 12 of its rows as ``base.csv`` (2 defaults, 6 repaid, 4 to predict) and writes
one file per case of :data:`CASES`, each ``base.csv`` with one defect. The 5 MB cases of
:data:`LARGE_CASES` are built by the tests from ``base.csv`` on the fly instead of being
committed. What each file must do is asserted in ``tests/test_bad_files.py`` and
listed in ``README.md`` here.

Row numbers: data row ``k`` is text line ``k`` of the file (line 0 is the header), the
numbering the contract's error messages use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / "base.csv"
SEP = ";"

Builder = Callable[[list[str]], bytes]


def _text(lines: list[str], newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode("utf-8")


def _edit(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """``lines`` with the cell (data row ``row``, ``column``) replaced by ``value``."""
    out = list(lines)
    cells = out[row].split(SEP)
    cells[lines[0].split(SEP).index(column)] = value
    out[row] = SEP.join(cells)
    return out


def _set(row: int, column: str, value: str) -> Builder:
    return lambda lines: _text(_edit(lines, row, column, value))


def _quote_all(lines: list[str]) -> list[str]:
    return [SEP.join(f'"{c}"' for c in line.split(SEP)) for line in lines]


def _truncated(lines: list[str]) -> bytes:
    # The last row cut in the middle of a cell, as an interrupted copy leaves it.
    data = _text(lines)
    cut = data.rstrip(b"\n").rfind(SEP.encode(), 0, len(data) - 60)
    return data[:cut + 3]


def _truncated_quoted(lines: list[str]) -> bytes:
    data = _text(_quote_all(lines))
    return data[:len(data) - 40]


def _short_row(lines: list[str]) -> bytes:
    out = list(lines)
    out[5] = SEP.join(out[5].split(SEP)[:20])
    return _text(out)


def _long_row(lines: list[str]) -> bytes:
    out = list(lines)
    out[3] += f"{SEP}42"
    return _text(out)


def _one_class(lines: list[str]) -> bytes:
    # Every labelled row repaid (0); the rows to predict stay NA.
    out = list(lines)
    col = lines[0].split(SEP).index("default")
    for k in range(1, len(out)):
        if out[k].split(SEP)[col] == "1":
            out = _edit(out, k, "default", "0")
    return _text(out)


def _renamed_column(lines: list[str]) -> bytes:
    return _text([lines[0].replace(f"{SEP}age{SEP}", f"{SEP}agee{SEP}"), *lines[1:]])


def _huge_category(lines: list[str]) -> bytes:
    return _text(_edit(lines, 6, "merchant_category", "A" * 5_000_000))


def _huge_number(lines: list[str]) -> bytes:
    return _text(_edit(lines, 7, "recovery_debt", "9" * 5_000_000))


CASES: dict[str, Builder] = {
    # accepted: the same data in another encoding of the table
    "bom.csv": lambda lines: b"\xef\xbb\xbf" + _text(lines),
    "crlf.csv": lambda lines: _text(lines, "\r\n"),
    "quoted.csv": lambda lines: _text(_quote_all(lines)),
    "bom_crlf_quoted.csv": lambda lines: b"\xef\xbb\xbf" + _text(_quote_all(lines), "\r\n"),
    "blank_lines.csv": lambda lines: _text([*lines[:4], "", *lines[4:], "", ""]),
    # rejected
    "truncated.csv": _truncated,
    "truncated_quoted.csv": _truncated_quoted,
    "short_row.csv": _short_row,
    "long_row.csv": _long_row,
    "tab_separated.csv": lambda lines: _text([line.replace(SEP, "\t") for line in lines]),
    "quoted_invalid.csv": lambda lines: _text(_quote_all(_edit(lines, 4, "age", "twelve"))),
    "unterminated_quote.csv": _set(3, "merchant_category", '"Pet supplies'),
    "duplicate_uuid.csv": lambda lines: _text(_edit(lines, 9, "uuid", lines[2].split(SEP)[0])),
    "missing_uuid_na.csv": _set(4, "uuid", "NA"),
    "missing_uuid_empty.csv": _set(8, "uuid", ""),
    "renamed_column.csv": _renamed_column,
    "comma_decimal.csv": _set(3, "time_hours", "12,5"),
    "number_as_word.csv": _set(5, "num_unpaid_bills", "twelve"),
    "inf.csv": _set(2, "max_paid_inv_0_12m", "inf"),
    "infinity.csv": _set(6, "account_incoming_debt_vs_paid_0_24m", "Infinity"),
    "minus_infinity.csv": _set(7, "recovery_debt", "-Infinity"),
    "nan_text.csv": _set(4, "avg_payment_span_0_12m", "NaN"),
    "label_yes.csv": _set(1, "default", "yes"),
    "label_half.csv": _set(1, "default", "0.5"),
    "label_minus_one.csv": _set(1, "default", "-1"),
    "label_empty.csv": _set(1, "default", ""),
    "one_class.csv": _one_class,
    "empty.csv": lambda lines: b"",
    "blank.csv": lambda lines: b"\n  \n\n",
    "latin1.csv": lambda lines: _text(_edit(lines, 3, "merchant_category", "Caf\u00e9"))
    .replace("Caf\u00e9".encode(), "Caf\u00e9".encode("latin-1")),
    "utf16.csv": lambda lines: "\n".join([*lines, ""]).encode("utf-16"),
    "nul_byte.csv": _set(3, "name_in_email", "F\x00L"),
}

# Too large to commit: built by the tests into a temporary folder.
LARGE_CASES: dict[str, Builder] = {
    "huge_category.csv": _huge_category,
    "huge_number.csv": _huge_number,
}


def base_lines(path: Path = BASE) -> list[str]:
    """The base file's lines, header first, without the final empty one."""
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def build(name: str, lines: list[str] | None = None) -> bytes:
    """The bytes of case ``name`` (from :data:`CASES` or :data:`LARGE_CASES`)."""
    builder = {**CASES, **LARGE_CASES}[name]
    return builder(base_lines() if lines is None else lines)


def make_base(path: Path = BASE) -> None:
    """12 generated rows: 2 defaults, 6 repaid, 4 to predict, in generated order."""
    from scorecard.data.contract import KLARNA
    from scorecard.data.files import write_dataset
    from scorecard.data.synthetic.generator import generate

    frame, _ = generate(300, 60, seed=11)
    target = frame["default"]
    keep = (list(frame.index[target == 1][:2]) + list(frame.index[target == 0][:6])
            + list(frame.index[target.isna()][:4]))
    write_dataset(frame.loc[sorted(keep)].reset_index(drop=True), path, KLARNA)


def main() -> int:
    sys.path.insert(0, str(HERE.parents[2]))
    from scorecard.data.atomic import atomic_write_bytes

    make_base()
    lines = base_lines()
    for name in CASES:
        atomic_write_bytes(HERE / name, build(name, lines))
    print(f"wrote base.csv and {len(CASES)} cases into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
