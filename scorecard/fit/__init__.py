"""How a card is learned from labelled rows.

* :mod:`.spec` — what the pipeline knows about a data set (contract, trends, special codes).
* :mod:`.overrides` — the risk team's binning overrides (TOML).
* :mod:`.binning` — optimal monotonic WoE binning (optbinning).
* :mod:`.selection` — traceable characteristic selection; :mod:`.logit` — statsmodels logit.
* :mod:`.estimator` — :class:`~.estimator.Scorecard`, the scikit-learn style estimator.
* :mod:`.validate` — ``Scorecard.validate``: the split design run (holdout, cross-validation,
  challenger) and the published card's final fit.
* :mod:`.challenger` — the gradient-boosted challenger.

Imports :mod:`scorecard.data`, :mod:`scorecard.card` and :mod:`validation`, never
:mod:`scorecard.jobs` or the CLI.
"""
