"""Data contract and model validation.

``validation`` is the bottom layer of the project: it imports nothing from ``scorecard`` or
``api``. The contract modules (:mod:`scorecard.data.contract`, :mod:`scorecard.data.schema`,
:mod:`validation.reader`) declare and check the input data; the metric modules compute the
figures of the validation report from plain arrays.
"""
