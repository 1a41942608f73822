"""What the commands run: whole jobs over files, built from the layers below.

* :mod:`.regenerate` — from a data file to the card (fitted and validated by
  ``Scorecard.validate``), its tables, report and predictions.
* :mod:`.predict` — predictions of a card for a data set; :mod:`.batch` — DuckDB/Spark/numpy.
* :mod:`.outputs`, :mod:`.reports` — CSV, workbook and report files; :mod:`.progress`.

Imports :mod:`scorecard.data`, :mod:`scorecard.card`, :mod:`scorecard.fit` and
:mod:`validation`; only the CLI imports this package.
"""
