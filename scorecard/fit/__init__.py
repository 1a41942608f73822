"""How a card is learned from labelled rows.

* :mod:`.spec` — what the pipeline knows about a data set (contract, trends, special codes);
  :mod:`.spec_inference` — a spec proposed for any credit CSV (``init-spec``).
* :mod:`.overrides` — the risk team's binning overrides (TOML).
* :mod:`.binning` — optimal monotonic WoE binning (optbinning).
* :mod:`.selection` — traceable characteristic selection; :mod:`.logit` — statsmodels logit.
* :mod:`.joint` — points per bin estimated jointly; :mod:`.interactions` — two-dimensional
  characteristics.
* :mod:`.support` — what a missing, special or unseen value, or a thin bin, may score
  (the spec's ``missing_policy``).
* :mod:`.estimator` — :class:`~.estimator.Scorecard`, the scikit-learn style estimator.
* :mod:`.validate` — ``Scorecard.validate``: the split design run (holdout, cross-validation,
  challenger) and the published card's final fit.
* :mod:`.protected` — columns that look like protected attributes; :mod:`.groups` — group
  labels of a fairness test (age bands) and the report's fairness section.
* :mod:`.challenger` — the gradient-boosted challenger.

Imports :mod:`scorecard.data`, :mod:`scorecard.card` and :mod:`validation`, never
:mod:`scorecard.jobs` or the CLI.
"""
