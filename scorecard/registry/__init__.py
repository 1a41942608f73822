"""The card registry: sealed cards under review and in service, and who moved them.

* :mod:`.store` — where the registry lives: a local folder, or an S3 bucket read and
  written with the standard library alone (Signature V4), so the serving image needs no
  AWS SDK.
* :mod:`.lifecycle` — the states (candidate -> approved -> champion | challenger ->
  retired), the four-eyes rule, the hash-chained history of every transition and the live
  pointer the service follows.

Standard library and :mod:`scorecard.card` only: the scoring API imports it.
"""
