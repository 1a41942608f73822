"""Predictions of a card for a data set: the ``uuid,pd`` table and its detailed variant.

:func:`predictions_frame` gives them for a pandas frame (the fitting jobs), and
:func:`predictions_table` as an arrow table for a :class:`~scorecard.data.block.Block` (the
streaming ``predict``, which never loads pandas for a clean file); both compute them once,
in :func:`_predictions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from scorecard.card.engine import ScoringEngine
from scorecard.card.reasons import top_reasons

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

    from scorecard.data.block import Block
    from scorecard.data.contract import Contract
    from scorecard.data.files import Dataset


def _predictions(engine: ScoringEngine, data: Any, id_name: str, ids: Any,
                 with_details: bool, top: int) -> tuple[dict[str, Any], list[str]]:
    """The output columns, ``ids`` first, reasons as card positions (the card's
    characteristic count where a row has fewer reasons), and the codes those index: the
    card's reason codes then ``""``."""
    result = engine.score(data, with_bins=False)
    columns = {"uuid" if id_name == "uuid" else id_name: ids, "pd": result.pd}
    codes = [f["reason_code"] for f in engine.artifact["features"]] + [""]
    if with_details:
        columns["score"] = result.score
        picks = top_reasons(engine, result, top)
        picks[picks < 0] = len(codes) - 1
        for r in range(top):
            columns[f"reason_{r + 1}"] = picks[:, r]
    return columns, codes


def predictions_frame(engine: ScoringEngine, dataset: Dataset, frame: pd.DataFrame,
                      with_details: bool = False, top: int = 4) -> pd.DataFrame:
    """``uuid`` (or the spec's id, or the row number) and ``pd`` per row, in input order;
    with details also ``score`` and ``reason_1..top`` codes."""
    import pandas as pd

    # Text columns stay object: pandas would convert them to its string type and back. One
    # constructor call, no column inserted after (each insertion copies the block).
    ids = pd.Series(dataset.ids(frame).to_numpy(), dtype=object, copy=False)
    columns, codes = _predictions(engine, frame, dataset.contract.id_column or "id", ids,
                                  with_details, top)
    spelled = np.array(codes, dtype=object)
    for r in range(top if with_details else 0):
        name = f"reason_{r + 1}"
        columns[name] = pd.Series(spelled[columns[name]], dtype=object, copy=False)
    return pd.DataFrame(columns, copy=False)


def predictions_table(engine: ScoringEngine, block: Block, contract: Contract,
                      top: int = 4) -> pa.Table:
    """:func:`predictions_frame` with details of a block, as an arrow table: the id as
    read, ``pd`` float64, ``score`` int64, each reason a dictionary of the card's codes."""
    import pyarrow as pa

    from scorecard.data.arrays import from_numpy, texts

    columns, codes = _predictions(engine, block, contract.id_column or "id",
                                  block.ids(contract), True, top)
    columns["pd"], columns["score"] = from_numpy(columns["pd"]), from_numpy(columns["score"])
    dictionary = texts(codes)
    for r in range(top):
        name = f"reason_{r + 1}"
        columns[name] = pa.DictionaryArray.from_arrays(
            from_numpy(columns[name].astype(np.int32)), dictionary)
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))
