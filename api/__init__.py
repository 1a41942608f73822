"""HTTP scoring service for the published scorecard (Litestar on uvicorn).

Layers: :mod:`api.controllers` (thin handlers; :mod:`api.bodies` decodes with bounded work,
:mod:`api.errors` answers errors) -> :mod:`api.service` (no web code) ->
:mod:`scorecard.card` (artifact, engine, reasons) and :mod:`scorecard.data.records` /
:mod:`scorecard.data.contract`. ``tests/test_layout.py`` proves the API imports nothing else
of the project: the serving image has no pandas, pandera, optbinning or statsmodels.
"""
