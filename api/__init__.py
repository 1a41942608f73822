"""HTTP scoring service for the published scorecard (Litestar on uvicorn).

Layers: :mod:`api.app` (the factory) -> :mod:`api.controllers` (thin handlers;
:mod:`api.bodies` decodes with bounded work, :mod:`api.errors` answers errors,
:mod:`api.responses` the response structs, :mod:`api.openapi` the request schemas,
:mod:`api.docs` the offline docs) -> :mod:`api.service` (no web code) ->
:mod:`scorecard.card` (artifact, engine, reasons) and :mod:`scorecard.data.records` /
:mod:`scorecard.data.contract`. Around them: :mod:`api.settings` (the environment, once),
:mod:`api.auth`, :mod:`api.access_log`, :mod:`api.prometheus`, :mod:`api.overload` (load
shedding), :mod:`api.protocols` (uvicorn protocols with head deadlines), :mod:`api.probes`
(readiness, and the probe port that :mod:`api.probe_process` answers beside each worker) and
:mod:`api.decisions` (every answer recorded before it leaves, and the reviewers' overrides
of it; :mod:`api.replay` re-scores the log), :mod:`api.live` (the cards served from the card
registry, switched while serving).
``tests/test_layout.py`` proves the API imports nothing else of the project: the serving
image has no pandas, pandera, optbinning or statsmodels.
"""
