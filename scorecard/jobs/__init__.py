"""What the commands run: whole jobs over files, built from the layers below.

* :mod:`.regenerate` — from a data file to the card, its tables, report and predictions.
* :mod:`.model_validation` — the split design run: holdout, cross-validation, challenger.
* :mod:`.predict` — predictions of a card for a data set; :mod:`.batch` — DuckDB/Spark/numpy.
* :mod:`.monitor`, :mod:`.recalibrate`, :mod:`.diff` — after go-live.
* :mod:`.outputs` — CSV, workbook and report files; :mod:`.progress` — progress lines.

Imports :mod:`scorecard.data`, :mod:`scorecard.card`, :mod:`scorecard.fit` and
:mod:`validation`; only the CLI and the workbench import this package.
"""
