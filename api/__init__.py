"""HTTP scoring service for the published scorecard (Litestar on uvicorn).

Layers: :mod:`api.routes` (thin handlers) -> :mod:`api.service` (validation and scoring, no
web code) -> :mod:`scorecard.card.engine` / :mod:`scorecard.data.contract`. Only numpy-light modules
are imported: the serving image has no pandas, pandera, optbinning or statsmodels.
"""
