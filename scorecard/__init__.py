"""Credit scorecard: monotonic WoE binning, logistic regression in points, numpy scoring.

The Python API (README, "Python API")::

    from scorecard import Scorecard, ScoringEngine, load_spec, read_dataset

Each name is imported on first use (PEP 562 ``__getattr__``), from its one module:
:class:`~scorecard.fit.estimator.Scorecard` (fit, validate, score, explain a card),
:func:`~scorecard.fit.spec.load_spec`, :func:`~scorecard.data.files.read_dataset` and
:class:`~scorecard.card.engine.ScoringEngine` (numpy-only scoring of a published card). So
``import scorecard`` stays light: the serving image imports :mod:`scorecard.card.engine`
and :mod:`scorecard.card.artifact` with numpy alone, and the import graph
(``tests/test_layout.py``) sees no edge from this package to the training layers.

Import direction: ``validation`` (contract, metrics) <- ``scorecard`` (domain, CLI) <- ``api``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> the module that defines it (its one import path besides this package).
_EXPORTS = {
    "Scorecard": "scorecard.fit.estimator",
    "load_spec": "scorecard.fit.spec",
    "read_dataset": "scorecard.data.files",
    "ScoringEngine": "scorecard.card.engine",
}
__all__ = ["Scorecard", "ScoringEngine", "__version__", "load_spec", "read_dataset"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scorecard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
