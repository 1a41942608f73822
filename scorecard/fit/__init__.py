"""How a card is learned from labelled rows.

* :mod:`.spec` — what the pipeline knows about a data set (contract, trends, special codes);
  :mod:`.spec_inference` — a spec proposed for any credit CSV (``init-spec``).
* :mod:`.overrides` — the risk team's binning overrides (TOML).
* :mod:`.binning` — optimal monotonic WoE binning (optbinning).
* :mod:`.selection` — traceable characteristic selection; :mod:`.logit` — statsmodels logit.
* :mod:`.joint` — points per bin estimated jointly; :mod:`.interactions` — two-dimensional
  characteristics.
* :mod:`.estimator` — :class:`~.estimator.Scorecard`, the scikit-learn style estimator.
* :mod:`.challenger` — the gradient-boosted challenger.

Imports :mod:`scorecard.data`, :mod:`scorecard.card` and :mod:`validation`, never
:mod:`scorecard.jobs` or the CLI.
"""
