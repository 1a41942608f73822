"""Model validation: the statistics of the validation report and its rendering.

``validation`` is a leaf library: it imports nothing from ``scorecard`` or ``api`` (``fit``
and ``jobs`` import it) and works on plain arrays, dicts and frames.

* statistics: :mod:`~validation.splits` (the split design), :mod:`~validation.discrimination`
  (AUC/Gini with DeLong, KS, ROC/CAP), :mod:`~validation.calibration` (Brier, reliability,
  Hosmer-Lemeshow, per-grade backtests), :mod:`~validation.stability` (PSI, CSI, IV, VIF),
  :mod:`~validation.score_bands` (the cut-off table), :mod:`~validation.drift` (a served
  card's periods against development); :mod:`~validation.result` (the typed, frozen
  :class:`~validation.result.ValidationResult` every output reads, built from the models'
  predictions by its one constructor);
* shared helpers: :mod:`~validation.plain` (JSON-plain values), :mod:`~validation.formats`
  (how a figure is printed), :mod:`~validation.findings` (the findings and limitations,
  one sentence each), :mod:`~validation.card_checks` (oddities of the card itself),
  :mod:`~validation.fairness` (adverse impact, per-group accuracy and calibration);
* outputs: :mod:`~validation.metrics_json` (``metrics.json``), :mod:`~validation.model_doc`
  (the one-page ``MODEL.md``), :mod:`~validation.report` (``validation.html`` from the
  Jinja2 templates in ``validation/templates/``, with :mod:`~validation.tables` for the
  table view-models and :mod:`~validation.plots` for the inline SVG) and its entry point
  :func:`validation.report.render_reports`; :mod:`~validation.monitoring_report`
  (``monitoring.html``), :mod:`~validation.fairness_report` with
  :mod:`~validation.fairness_views` (``fairness.html``).
"""
