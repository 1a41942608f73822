"""The data layer's errors: a file or frame that breaks the data contract, or valid data too
small to fit on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scorecard.errors import InvalidDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class ContractError(InvalidDataError):
    """A file or frame breaks the data contract.

    ``report`` is the human-readable report (rule, column, first offending rows) and
    ``failures`` a frame with one row per failure (columns ``rule``, ``column``, ``rows``).
    """

    def __init__(self, report: str, failures: pd.DataFrame | None = None) -> None:
        super().__init__(report)
        self.report = report
        if failures is None:
            import pandas as pd  # the error is raised by readers that have pandas loaded

            failures = pd.DataFrame()
        self.failures = failures


class TooFewRowsError(InvalidDataError):
    """Valid data with too few rows of a class to split into the validation design."""
