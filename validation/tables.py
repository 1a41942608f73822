"""Tables of the validation page as plain view-models: every cell formatted in Python, the
markup left to the ``table`` macro of ``templates/macros.html.j2``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Col:
    """One table column: header, value getter, formatter, and whether it is numeric
    (right-aligned)."""

    head: str
    get: Callable[[Mapping[str, Any]], Any]
    fmt: Callable[[Any], str] = str
    num: bool = True
    title: str = ""
    wrap: bool = False  # long free text (descriptions, reasons) may wrap; the rest may not

    @property
    def head_class(self) -> str:
        return "num" if self.num else "txt"

    @property
    def cell_class(self) -> str:
        return "num" if self.num else ("txt wrap" if self.wrap else "txt")


@dataclass(frozen=True)
class Cell:
    cls: str
    text: str


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    flagged: bool


@dataclass(frozen=True)
class Table:
    """What the ``table`` macro draws; ``caption`` names the source split."""

    caption: str
    head: tuple[Col, ...]
    rows: tuple[Row, ...]
    cls: str = ""


def key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get(name)


def table(rows: Sequence[Mapping[str, Any]], cols: Sequence[Col], caption: str,
          flag: Callable[[Mapping[str, Any]], bool] | None = None, cls: str = "") -> Table:
    """Format every cell of ``rows``; flagged rows are tinted by the stylesheet."""
    return Table(caption=caption, head=tuple(cols), cls=cls, rows=tuple(
        Row(cells=tuple(Cell(c.cell_class, c.fmt(c.get(row))) for c in cols),
            flagged=flag is not None and bool(flag(row)))
        for row in rows))
