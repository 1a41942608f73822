"""Credit scorecard: monotonic WoE binning, logistic regression in points, numpy scoring.

Import direction: ``validation`` (contract, metrics) <- ``scorecard`` (domain, CLI) <- ``api``.
This package's ``__init__`` imports nothing heavy, so the serving image can import
:mod:`scorecard.card.engine` and :mod:`scorecard.card.artifact` with numpy alone.
"""

__version__ = "0.1.0"
