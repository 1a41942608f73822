"""Likely protected attributes: columns a credit model must not use without a reason.

Anti-discrimination law (EU Charter art. 21, the Gender Goods and Services Directive, the
US Equal Credit Opportunity Act) names characteristics a lending decision may not rest on:
sex or gender, marital status, nationality or national origin, religion, race or ethnic
origin, disability, and (with exceptions) age. A spec names them under ``protected``: they
are never characteristics of the card (the selection log says why) and are the default
groups of ``scorecard fairness``. :func:`looks_protected` is how ``init-spec`` proposes
them and how a fit warns when a column that looks like one enters the card unconfirmed
(the spec's ``protected_use`` records the reason a looked-like column may be used).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# (attribute, name pattern); names are matched case-blind on word parts (``_``, ``-``, space,
# camelCase split), so ``average``, ``mortgage`` or ``page`` are no age.
_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern)) for what, pattern in (
        ("age", r"^(age|ages|birth|birthdate|dob|born|yob)$"),
        ("sex", r"^(sex|gender)$"),
        ("marital status", r"^(marital|married|marriage|civil)$"),
        ("nationality", r"^(nationality|citizenship|citizen|foreign|immigrant|origin)$"),
        ("religion", r"^(religion|religious|faith|confession)$"),
        ("race or ethnicity", r"^(race|racial|ethnic|ethnicity|ethnical)$"),
        ("disability", r"^(disability|disabled|handicap)$"),
        ("pregnancy", r"^(pregnant|pregnancy|maternity)$"),
    ))
_SEX_VALUES = {"m", "f", "male", "female", "man", "woman", "men", "women", "x", "other",
               "non-binary", "nonbinary", "diverse"}
_MARITAL_VALUES = {"single", "married", "divorced", "widowed", "separated", "widow",
                   "widower", "cohabiting", "partnered", "civil partnership", "unmarried"}
PROTECTED_REASON = "protected attribute (the spec's `protected`): never a characteristic"


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w]


def looks_protected(name: str, values: Iterable[object] = ()) -> str | None:
    """Why column ``name`` (with its distinct present ``values``, optional) looks like a
    protected attribute (``"sex: by its name"``), or ``None``."""
    words = _words(name)
    for what, pattern in _NAMES:
        if any(pattern.match(w) for w in words):
            return f"{what}: by its name"
    seen = {str(v).strip().lower() for v in values}
    if len(seen) >= 2 and len(seen & _SEX_VALUES) >= 2 and seen <= _SEX_VALUES | {""}:
        return "sex: by its values " + ", ".join(sorted(seen - {""})[:6])
    if len(seen & _MARITAL_VALUES) >= 2:
        return "marital status: by its values " + ", ".join(sorted(seen & _MARITAL_VALUES)[:6])
    return None
