"""Decision policy: a cut-off (and an optional refer band) turns a score into a decision.

A cut-off is written one of three ways (the service's ``SCORECARD_CUTOFF``, ``predict
--cutoff``):

``600`` (a score)
    accept scores ``>= 600`` (a fractional cut-off is rounded up: scores are integers);
``pd:0.05``
    accept a pd ``<= 0.05``: the lowest integer score whose published pd
    (:mod:`scorecard.card.scaling`) is at most 0.05, found on the same function the engine
    uses, so the decision never disagrees with the pd in the same response;
``grade:E``
    accept grades ``A`` .. ``E`` of the card's master scale (:mod:`scorecard.card.grades`):
    the lowest integer score graded ``E`` or better (the worst grade accepts every score).

Every form resolves to one integer ``cutoff_score``. With a refer band of ``r`` points
(``SCORECARD_REFER_BAND``, ``--refer-band``, default 0) the decision of a score ``s`` is

* ``accept``  when ``s >= cutoff_score``;
* ``refer``   when ``cutoff_score - r <= s < cutoff_score`` (to a person);
* ``decline`` below that, unless automated declines are off
  (``SCORECARD_AUTOMATED_DECLINES=off``, a person must decide every refusal): then
  ``refer`` too. :meth:`Policy.card_decision` is what the card alone decides either way.

No policy (the default) means no decision: responses carry ``decision: null``. The reasons
of a decline are the adverse-action reasons of :mod:`scorecard.card.reasons`; what would
reach the cut-off is :mod:`scorecard.card.recourse`. numpy + stdlib only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scorecard.card.grades import MasterScale
from scorecard.card.scaling import Scaling
from scorecard.errors import UsageError

DECISIONS = ("accept", "refer", "decline")
CUTOFF_FORMS = "a score (600), a pd (pd:0.05) or a grade (grade:E)"


class PolicyError(UsageError):
    """A cut-off or refer band that cannot be a policy for this card."""


@dataclass(frozen=True)
class Policy:
    """A resolved decision policy.

    Attributes:
        cutoff: the cut-off as written (``"600"``, ``"pd:0.05"``, ``"grade:E"``).
        kind: ``score``, ``pd`` or ``grade``.
        cutoff_score: the lowest integer score accepted.
        refer_band: points below ``cutoff_score`` that are referred, not declined.
        cutoff_pd: the published pd of ``cutoff_score`` (the highest pd accepted).
        automated_declines: ``False``: what the card declines is referred to a person.
    """

    cutoff: str
    kind: str
    cutoff_score: int
    refer_band: int
    cutoff_pd: float
    automated_declines: bool = True

    @property
    def refer_from(self) -> int:
        """The lowest score referred (``cutoff_score`` when there is no refer band)."""
        return self.cutoff_score - self.refer_band

    @property
    def lowest(self) -> str:
        """The decision below the refer band: ``decline``, or ``refer`` when automated
        declines are off."""
        return "decline" if self.automated_declines else "refer"

    def card_decision(self, score: int) -> str:
        """What the card decides of one total score, automated declines on or off."""
        if score >= self.cutoff_score:
            return "accept"
        return "refer" if score >= self.refer_from else "decline"

    def decide(self, score: int) -> str:
        """The decision of one total score."""
        if score >= self.cutoff_score:
            return "accept"
        return "refer" if score >= self.refer_from else self.lowest

    def decide_many(self, scores: np.ndarray) -> np.ndarray:
        """The decision of each score (array of str, same shape)."""
        s = np.asarray(scores)
        out = np.where(s >= self.cutoff_score, "accept",
                       np.where(s >= self.refer_from, "refer", self.lowest))
        return out.astype(object)

    def record(self, score: int) -> dict[str, Any]:
        """The policy as the decision log keeps it for one decision: :meth:`to_dict`, and,
        when the card declined but automated declines are off, the card's decision and why
        the answer is a referral."""
        out = self.to_dict()
        if not self.automated_declines and score < self.refer_from:
            out["card_decision"] = "decline"
            out["referred_because"] = ("automated declines are off: a person decides every "
                                       "decline of the card")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The policy as ``GET /v1/scorecard`` publishes it (and the decision log keeps)."""
        return {"cutoff": self.cutoff, "kind": self.kind, "cutoff_score": self.cutoff_score,
                "cutoff_pd": self.cutoff_pd, "refer_band": self.refer_band,
                "refer_from_score": self.refer_from, "decisions": list(DECISIONS),
                "automated_declines": self.automated_declines}


def _score_cutoff(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise PolicyError(f"cut-off {text!r}: not {CUTOFF_FORMS}") from None
    if not math.isfinite(value):
        raise PolicyError(f"cut-off {text!r}: the score must be finite")
    return math.ceil(value)


def _pd_cutoff(text: str, raw: str, scaling: Scaling) -> int:
    try:
        p = float(raw)
    except ValueError:
        raise PolicyError(f"cut-off {text!r}: {raw!r} is not a pd") from None
    if not 0.0 < p < 1.0:
        raise PolicyError(f"cut-off {text!r}: the pd must be strictly between 0 and 1")
    s = math.ceil(float(scaling.score(p)))
    # The float inverse may be off by one near the boundary: settle on the published pd.
    while float(scaling.pd(s - 1)) <= p:
        s -= 1
    while float(scaling.pd(s)) > p:
        s += 1
    return s


def _grade_cutoff(text: str, grade: str, scale: MasterScale | None, lowest: int) -> int:
    if scale is None:
        raise PolicyError(f"cut-off {text!r}: the card has no master scale to grade with")
    if grade not in scale.grades:
        raise PolicyError(f"cut-off {text!r}: {grade!r} is not a grade of the card "
                          f"({', '.join(scale.grades)})")
    k = scale.grades.index(grade)
    if k == scale.n_grades - 1:
        return lowest  # the worst grade: every score is that grade or better
    s = math.ceil(scale.score_cuts[k])
    while int(scale.grade_index(s - 1)) <= k:
        s -= 1
    while int(scale.grade_index(s)) > k:
        s += 1
    return s


def lowest_score(artifact: dict[str, Any]) -> int:
    """The lowest total score the card can give (the engine's bin rules' lowest points:
    unseen points count where a category can be unseen)."""
    from scorecard.card.engine import bin_rule

    return sum(bin_rule(f).points_range[0] for f in artifact["features"])


def make_policy(cutoff: str | None, refer_band: int, artifact: dict[str, Any],
                scale: MasterScale | None, automated_declines: bool = True) -> Policy | None:
    """The policy of ``cutoff`` (``None``/empty: no policy) for a verified artifact.
    Raises PolicyError naming the cut-off and the rule it breaks."""
    if cutoff is None or not str(cutoff).strip():
        if refer_band:
            raise PolicyError("refer band: needs a cut-off to be below of")
        return None
    text = str(cutoff).strip()
    if isinstance(refer_band, bool) or not isinstance(refer_band, int) or refer_band < 0:
        raise PolicyError(f"refer band {refer_band!r}: must be a whole number of points >= 0")
    scaling = Scaling.from_dict(artifact["scaling"])
    head, sep, rest = text.partition(":")
    form = head.strip().lower() if sep else "score"
    if form == "score":
        score = _score_cutoff(rest.strip() if sep else text)
    elif form == "pd":
        score = _pd_cutoff(text, rest.strip(), scaling)
    elif form == "grade":
        score = _grade_cutoff(text, rest.strip().upper(), scale, lowest_score(artifact))
    else:
        raise PolicyError(f"cut-off {text!r}: not {CUTOFF_FORMS}")
    return Policy(cutoff=text, kind=form, cutoff_score=score, refer_band=refer_band,
                  cutoff_pd=float(scaling.pd(score)),
                  automated_declines=automated_declines)
