"""Counterfactual explanations: the fewest changes that lift an applicant to the cut-off.

The card is additive, so the search is exact. For an applicant below the cut-off score
``c`` with score ``s`` the needed gain is ``c - s`` points. Each *actionable*
characteristic (the artifact's ``spec.actionable``, declared in
:mod:`scorecard.fit.spec`; no other characteristic is ever changed) offers one option per
target bin that scores more than the applicant's bin: its gain is the target's points minus
the applicant's. Choosing at most one option per characteristic so that the gains add up to
at least the needed points, with the fewest characteristics changed, is a small
multiple-choice knapsack; :meth:`Recourse.search` solves it exactly:

* sets of characteristics are enumerated in increasing size; a set is feasible iff the sum
  of its characteristics' largest gains reaches the needed points, which also prunes the
  enumeration (characteristics in decreasing order of their largest gain, a branch stops
  once even the largest remaining gains cannot reach);
* within a feasible set, the options are chosen by a pruned depth-first search for the
  best assignment: fewest total points gained (the smallest change that reaches the
  cut-off), then fewest bins moved, then card order. For a monotone characteristic that
  is the nearest bin giving enough points; a change of value is stated as a range (the
  target bin), with one representative value;
* the alternatives (``k``, default 3) are diverse: each is a different set of
  characteristics, and minimal: no proper subset of its set reaches the cut-off (a
  superset of a solution adds a needless change). They are ranked by number of changes,
  then by the tie-break above; all sets of one size are ranked before any larger one, so
  the first alternative is the optimum and the list is the exact top ``k``.

The work is bounded by a count of search nodes (``budget``, deterministic, unlike a clock):
past it the search stops, returns what it found and sets ``limit_reached`` (the result is
then not proven optimal). When even every actionable characteristic at its best bin cannot
reach the cut-off, the result says so (``reachable`` false, no alternatives).

Targets: only *regular* bins. An applicant cannot become "missing", and a special code
(e.g. HELOC's -9 "no bureau record") is a condition, not a value to aim for, so a missing
or special bin (or a categorical characteristic's unseen points) is never a target; the
applicant may, however, start in one. A target bin needs a representative value that the
input contract accepts and the card's own bin rule puts in that bin: for a numeric bin
``[a, b)`` the value ``a`` (rounded up for whole-number columns), for the open-ended first
bin the contract's minimum, else ``b - 1``; for a category bin its first category the
contract allows; a bin without such a value is no target.

An interaction (two-dimensional) characteristic is never actionable: it offers no targets,
even when its parents are declared actionable, since its cell moves with two columns at
once. A change of an actionable parent that is also a characteristic of its own can still
move the interaction's cell; the arithmetic does not count that, the engine re-score below
does (an alternative the interaction pulls below the cut-off is dropped). A derived
characteristic (how round an input is, :mod:`scorecard.card.derived`) is never actionable
either: its input's change moves it, which the re-score counts alike.

:class:`Explainer` checks every alternative rather than trusting the arithmetic: the
applicant is rebuilt with the representative values and re-scored by
:class:`~scorecard.card.engine.ScoringEngine`; only alternatives whose engine score reaches
the cut-off are returned, with the engine's score, pd, grade and decision. numpy + stdlib.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from scorecard.card.decisions import Policy
from scorecard.card.engine import OMITTED, InteractionRule, ScoringEngine
from scorecard.card.grades import MasterScale, assign_grades
from scorecard.card.reasons import bin_label
from scorecard.data.contract import Column

DEFAULT_K = 3
MAX_K = 10
DEFAULT_BUDGET = 200_000  # search nodes; the real card needs a few hundred


@dataclass(frozen=True)
class Option:
    """One change: characteristic ``j`` (card position) into bin ``to_bin``."""

    j: int
    to_bin: int
    gain: int
    moved: int
    value: Any


@dataclass(frozen=True)
class Alternative:
    """A set of changes (card order) and its totals."""

    changes: tuple[Option, ...]
    gain: int
    moved: int

    def key(self) -> tuple[Any, ...]:
        """Rank: fewest changes, fewest points gained, fewest bins moved, card order."""
        return (len(self.changes), self.gain, self.moved,
                tuple((o.j, o.to_bin) for o in self.changes))


@dataclass
class SearchResult:
    needed: int
    max_gain: int
    alternatives: list[Alternative] = field(default_factory=list)
    limit_reached: bool = False
    nodes: int = 0

    @property
    def reachable(self) -> bool:
        return self.max_gain >= self.needed


class _BudgetExceededError(Exception):
    pass


def _whole(col: Column | None) -> bool:
    return col is not None and col.kind in ("integer", "code")


def _numeric_candidates(lo: float, hi: float, col: Column | None) -> list[float]:
    out: list[float] = []
    if col is not None and col.allowed is not None:  # codes: the smallest allowed in range
        out += sorted(float(a) for a in col.allowed
                      if isinstance(a, int | float) and lo <= float(a) < hi)
    if math.isfinite(lo):
        out.append(float(math.ceil(lo)) if _whole(col) else lo)
    else:
        if col is not None and col.min is not None:
            out.append(float(math.ceil(col.min)) if _whole(col) else float(col.min))
        if math.isfinite(hi):
            out.append(float(math.ceil(hi) - 1) if _whole(col) else hi - 1.0)
    return out


class Recourse:
    """The counterfactual search over one card (module docstring).

    ``targets_[j]``: for each characteristic, ``(bin, points, value)`` of every regular bin
    with a representative value; ``actionable_``: card positions of the actionable ones.
    """

    def __init__(self, engine: ScoringEngine, columns: Sequence[Column],
                 actionable: Sequence[str]) -> None:
        self.engine = engine
        by_name = {c.name: c for c in columns}
        acting = set(actionable)
        self.actionable_ = [j for j, f in enumerate(engine.artifact["features"])
                            if f["name"] in acting and f["kind"] != "interaction"
                            and "derived" not in f]
        self.n_regular_: list[int] = []
        self.targets_: list[list[tuple[int, int, Any]]] = []
        for j, f in enumerate(engine.artifact["features"]):
            col = by_name.get(f["name"])
            rule = engine.rules_[j]
            targets = []
            if isinstance(rule, InteractionRule):  # never actionable: no targets (docstring)
                self.n_regular_.append(0)
            elif f["kind"] == "numeric":
                edges = [-math.inf, *(float(s) for s in f["splits"]), math.inf]
                self.n_regular_.append(len(edges) - 1)
                for i in range(len(edges) - 1):
                    for v in _numeric_candidates(edges[i], edges[i + 1], col):
                        value: Any = int(v) if _whole(col) else v
                        if ((col is None or col.check_value(value) is None)
                                and rule.assign_one(value)[0] == i):
                            targets.append((i, int(f["bins"][i]["points"]), value))
                            break
            else:
                self.n_regular_.append(0)
                for b in f["bins"]:
                    if b["type"] != "regular":
                        continue
                    for cat in b["categories"]:
                        value = (cat == "True" if col is not None and col.kind == "boolean"
                                 else cat)
                        if ((col is None or col.check_value(value) is None)
                                and rule.assign_one(value)[0] == b["index"]):
                            targets.append((int(b["index"]), int(b["points"]), value))
                            break
            self.targets_.append(targets)

    def _moved(self, j: int, from_bin: int, to_bin: int) -> int:
        """Bins moved: the distance between regular numeric bins, else 1."""
        n = self.n_regular_[j]
        if 0 <= from_bin < n and to_bin < n:
            return abs(to_bin - from_bin)
        return 1

    def options(self, bins: Sequence[int], points: Sequence[int]) -> dict[int, list[Option]]:
        """Options of each actionable characteristic that has one, gain ascending."""
        out: dict[int, list[Option]] = {}
        for j in self.actionable_:
            p = points[j]
            opts = [Option(j, t, tp - p, self._moved(j, bins[j], t), v)
                    for t, tp, v in self.targets_[j] if tp > p]
            if opts:
                out[j] = sorted(opts, key=lambda o: (o.gain, o.moved, o.to_bin))
        return out

    def search(self, bins: Sequence[int], points: Sequence[int], needed: int,
               k: int = DEFAULT_K, budget: int = DEFAULT_BUDGET) -> SearchResult:
        """The exact top-``k`` alternatives reaching ``needed`` more points (module
        docstring). ``needed <= 0``: nothing to change."""
        opts = self.options(bins, points)
        best_gain = {j: o[-1].gain for j, o in opts.items()}
        result = SearchResult(needed=needed, max_gain=sum(best_gain.values()))
        if needed <= 0 or not result.reachable or k < 1:
            return result
        order = sorted(opts, key=lambda j: (-best_gain[j], j))
        gains = [best_gain[j] for j in order]
        # Gains descend along `order`: the largest s gains among order[i:] are order[i:i+s].
        prefix = [0, *accumulate(gains)]
        m = len(order)
        feasible: list[frozenset[int]] = []
        found: list[Alternative] = []
        nodes = 0

        def tick() -> None:
            nonlocal nodes
            nodes += 1
            if nodes > budget:
                raise _BudgetExceededError

        try:
            for size in range(1, m + 1):
                level: list[Alternative] = []

                def combos(start: int, chosen: list[int], total: int, size: int = size,
                           level: list[Alternative] = level) -> None:
                    tick()
                    left = size - len(chosen)
                    if left == 0:
                        if total >= needed:
                            members = frozenset(chosen)
                            if not any(f <= members for f in feasible):
                                alt = self._assign([order[i] for i in chosen], opts, needed,
                                                   tick)
                                level.append(alt)
                        return
                    for i in range(start, m - left + 1):
                        # The largest gains still available are order[i:i+left].
                        if total + prefix[i + left] - prefix[i] < needed:
                            break  # gains descend: later starts reach even less
                        chosen.append(i)
                        combos(i + 1, chosen, total + gains[i])
                        chosen.pop()

                combos(0, [], 0)
                level.sort(key=Alternative.key)
                feasible.extend(frozenset(order.index(o.j) for o in a.changes) for a in level)
                found.extend(level[:k - len(found)])
                if len(found) >= k:
                    break
        except _BudgetExceededError:
            result.limit_reached = True
            level.sort(key=Alternative.key)
            found.extend(level[:k - len(found)])
        result.alternatives = sorted(found, key=Alternative.key)[:k]
        result.nodes = nodes
        return result

    @staticmethod
    def _assign(js: list[int], opts: dict[int, list[Option]], needed: int,
                tick: Any) -> Alternative:
        """The best options for the characteristics ``js`` (each changes): fewest points
        gained reaching ``needed``, then fewest bins moved, then card order."""
        js = sorted(js)
        max_rest = [0] * (len(js) + 1)
        min_rest = [0] * (len(js) + 1)
        for i in range(len(js) - 1, -1, -1):
            max_rest[i] = max_rest[i + 1] + opts[js[i]][-1].gain
            min_rest[i] = min_rest[i + 1] + opts[js[i]][0].gain
        best: list[Any] = [None, None]  # key, options

        def dfs(i: int, gain: int, moved: int, chosen: list[Option]) -> None:
            tick()
            if i == len(js):
                if gain >= needed:
                    key = (gain, moved, tuple(o.to_bin for o in chosen))
                    if best[0] is None or key < best[0]:
                        best[0], best[1] = key, tuple(chosen)
                return
            for o in opts[js[i]]:
                g = gain + o.gain
                if g + max_rest[i + 1] < needed:
                    continue  # too little even with the rest at their best
                if best[0] is not None and g + min_rest[i + 1] > best[0][0]:
                    break  # options ascend in gain: every later one is worse
                chosen.append(o)
                dfs(i + 1, g, moved + o.moved, chosen)
                chosen.pop()

        dfs(0, 0, 0, [])
        changes: tuple[Option, ...] = best[1]
        return Alternative(changes, sum(o.gain for o in changes),
                           sum(o.moved for o in changes))


def actionable_of(artifact: Mapping[str, Any]) -> list[str]:
    """The actionable characteristics the artifact's spec declares (none when absent)."""
    spec = artifact.get("spec") or {}
    raw = spec.get("actionable") if isinstance(spec, Mapping) else None
    return [str(a) for a in raw] if isinstance(raw, list) else []


class Explainer:
    """Decision, reasons and checked counterfactuals of one applicant (plain dicts)."""

    def __init__(self, engine: ScoringEngine, columns: Sequence[Column],
                 scale: MasterScale | None) -> None:
        self.engine = engine
        self.scale = scale
        self.recourse = Recourse(engine, columns, actionable_of(engine.artifact))
        self.actionable = [engine.features_[j] for j in self.recourse.actionable_]

    def _grade(self, score: int) -> str | None:
        return None if self.scale is None else str(assign_grades(score, self.scale))

    def explain(self, applicant: Mapping[str, Any], policy: Policy, k: int = DEFAULT_K,
                budget: int = DEFAULT_BUDGET) -> dict[str, Any]:
        """The explanation of one contract-valid applicant against ``policy``."""
        engine = self.engine
        names = engine.features_
        scored = engine.score({n: [applicant.get(n)] for n in engine.columns_})
        bins = scored.bin_table()[0].tolist()
        points = scored.points[0].tolist()
        score = int(scored.score[0])
        needed = policy.cutoff_score - score
        found = self.recourse.search(bins, points, needed, k, budget)
        features = engine.artifact["features"]
        checked: list[dict[str, Any]] = []
        if found.alternatives:
            rebuilt = []
            for alt in found.alternatives:
                row = dict(applicant)
                for o in alt.changes:
                    row[names[o.j]] = o.value
                rebuilt.append(row)
            again = engine.score({n: [r.get(n) for r in rebuilt] for n in engine.columns_})
            for i, alt in enumerate(found.alternatives):
                new_score = int(again.score[i])
                if new_score < policy.cutoff_score:
                    continue  # the check, not the arithmetic, decides
                changes = []
                for o in alt.changes:
                    f = features[o.j]
                    to_label = bin_label(f, o.to_bin)
                    from_label = bin_label(f, bins[o.j])
                    value = applicant.get(names[o.j])
                    value = None if value is OMITTED else value  # not given: no value
                    changes.append({
                        "code": f["reason_code"], "characteristic": f["name"],
                        "from_bin": from_label, "from_value": value,
                        "to_bin": to_label, "to_value": o.value,
                        "points_from": points[o.j], "points_to": points[o.j] + o.gain,
                        "points_gained": o.gain,
                        "text": (f"{f['name']}: from bin {from_label} (value "
                                 f"{'missing' if value is None else value}) to bin "
                                 f"{to_label}: +{o.gain} points"),
                    })
                checked.append({
                    "characteristics_changed": len(alt.changes),
                    "points_gained": alt.gain, "bins_moved": alt.moved,
                    "score": new_score, "pd": float(again.pd[i]),
                    "grade": self._grade(new_score), "decision": policy.decide(new_score),
                    "changes": changes,
                })
        if needed <= 0:
            status, message = "accepted", "the applicant already reaches the cut-off"
        elif not found.reachable:
            status = "unreachable"
            message = (f"no change of the actionable characteristics reaches the cut-off: "
                       f"they can add at most {found.max_gain} points, {needed} are needed")
        elif checked:
            status = "found"
            message = (f"{checked[0]['characteristics_changed']} change(s) reach the cut-off "
                       f"({needed} points needed)")
        else:
            status = "not_found"
            message = "the search limit was reached before any change was found"
        return {
            "score": score, "pd": float(scored.pd[0]), "grade": self._grade(score),
            "decision": policy.decide(score), "cutoff_score": policy.cutoff_score,
            "points_needed": max(needed, 0), "max_gain": found.max_gain, "status": status,
            "message": message, "exact": not found.limit_reached,
            "search_limit_reached": found.limit_reached,
            "actionable": list(self.actionable), "counterfactuals": checked,
        }
