"""What the commands run: whole jobs over files, built from the layers below.

* :mod:`.regenerate` — from a data file to the card (fitted and validated by
  ``Scorecard.validate``), its tables, report and predictions.
* :mod:`.predict` — predictions of a card for a data set; :mod:`.batch` — DuckDB/Spark/numpy.
* :mod:`.fairness` — ``scorecard fairness``: disparate impact, per-group accuracy.
* :mod:`.monitor`, :mod:`.recalibrate`, :mod:`.diff` — after go-live; :mod:`.decisions` —
  export, outcomes and monitoring periods from the decision log; :mod:`.compare` — a
  registry challenger against the champion on the logged traffic.
* :mod:`.outputs` — CSV, workbook and report files; :mod:`.progress` — progress lines.

Imports :mod:`scorecard.data`, :mod:`scorecard.card`, :mod:`scorecard.fit` and
:mod:`validation`; only the CLI and the workbench import this package.
"""
