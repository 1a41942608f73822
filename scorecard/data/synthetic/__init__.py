"""Synthetic Klarna data in the case's exact format, with an explicit ground-truth pd.

* :func:`generate` / :func:`write_generated` (:mod:`.generator`): rows from a Gaussian copula
  over per-column empirical profiles (``klarna_profile.json``), labels Bernoulli(true pd).
* :func:`true_pd` (:mod:`.truth`): the documented risk surface (``klarna_truth.json``).
* :func:`realism_table` (:mod:`.realism`): generated vs real, column by column.
* :mod:`.drift` — generated periods with a known drift (monitoring tests);
  :mod:`.example` — a small non-Klarna credit file (``example-data``);
  :mod:`.fit_profile` — derives the profile and truth from the real rows;
  :mod:`.disparity` — a planted group disparity at equal true risk (fairness tests).
"""

from scorecard.data.synthetic.generator import generate, write_generated
from scorecard.data.synthetic.realism import realism_summary, realism_table
from scorecard.data.synthetic.truth import true_pd

__all__ = ["generate", "realism_summary", "realism_table", "true_pd", "write_generated"]
