"""The published card and everything that serves it: numpy and the standard library only.

* :mod:`.artifact` — the sealed JSON file and all of its checks.
* :mod:`.scaling` — log-odds to points and back; :mod:`.grades` — the master scale.
* :mod:`.engine` — vectorised scoring and the one-row scorer, sharing the bin rules;
  :mod:`.derived` — characteristics made of an input's value (how round it is).
* :mod:`.reasons` — reason codes; :mod:`.ranking` — the one reason-ranking rule.
* :mod:`.decisions` — the cut-off policy; :mod:`.recourse` — counterfactuals.
* :mod:`.sql` — the card as one SQL query.

Imports only :mod:`scorecard.data.contract` of the project; the API imports nothing else of
``scorecard`` but this package and the data contract.
"""
