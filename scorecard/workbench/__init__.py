"""The binning workbench (``scorecard review``): the risk team reviews and edits the card's
binning in a browser, with every edit recomputed at once on the development rows, saved as
overrides with a reason, and the card rebuilt for a before/after comparison.

* :mod:`.app` — the Litestar app (pages, forms); :mod:`.session` — one review session;
* :mod:`.edits` — one characteristic's binning recomputed from counts;
* :mod:`.xlsx` — split points edited in the workbook become overrides.

Layer: on top of ``scorecard.jobs`` (it runs ``regenerate``), below ``scorecard.cli``.
"""
