"""The risk team's binning overrides: one TOML file per spec, read into :class:`FeatureOverride`
(one ``[features.NAME]`` table per characteristic) and :class:`PairOverride` (one
``[pairs."X*Y"]`` table per interaction of the joint card, X its row parent, Y its column
parent)::

    [features.approval_year]
    splits = [2004.0, 2008.0]     # fixed split points (a categorical: groups = [[..], ..])
    trend = "none"                # one of TRENDS, "none": no monotone constraint; left out:
                                  # the spec's trend
    exclude = "reason"            # or: leave the characteristic out
    reason = "..."  who = "..."  when = "YYYY-MM-DD"  note = "..."

    [pairs."age*income"]
    exclude = "reason"            # the pair is never confirmed
    x_splits = [35.0]             # numeric parent: the grid's split points (a subset of its bins')
    y_groups = [["A", "B"], ["C"]]  # categorical parent: unions of its category groups
    reason = "..."  who = "..."  when = "YYYY-MM-DD"  note = "..."

An axis left out is grouped by the fit (:mod:`scorecard.fit.interactions`).

A built-in spec may ship its overrides file beside this module (``<spec>.toml``, for example
``klarna.toml``). :data:`BUILTIN` names the specs that do: for those the file is part of the
card's definition, so its absence (for example a wheel built without it) is an error, never a
silently different card.
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorecard.data.atomic import atomic_write_text
from scorecard.errors import UsageError

BUILTIN_DIR = Path(__file__).resolve().parent
# Built-in specs whose card is defined together with an overrides file in BUILTIN_DIR.
BUILTIN: dict[str, str] = {"klarna": "klarna.toml", "heloc": "heloc.toml"}


# The keys of a feature's table, in the order the writer puts them.
KEYS = ("exclude", "splits", "groups", "trend", "reason", "who", "when", "note")
# The keys of a pair's table, in the order the writer puts them.
PAIR_KEYS = ("exclude", "x_splits", "x_groups", "y_splits", "y_groups", "reason", "who",
             "when", "note")
# The override's trend meaning "no monotone constraint" (optbinning's ``monotonic_trend=None``,
# a spec's null): TOML has no null, and a missing ``trend`` already means "the spec's trend".
FREE_TREND = "none"
# The trends an override may set: optbinning's ``monotonic_trend`` names the workbench can
# check (scorecard.workbench.edits.trend_kept), then FREE_TREND.
TRENDS = ("ascending", "descending", "peak", "valley", "auto_asc_desc", FREE_TREND)
# A grid axis holds at most this many regular groups (scorecard.fit.interactions.MAX_AXIS:
# the fit may coarsen an axis, never refine it beyond its own grid).
MAX_PAIR_AXIS = 4


class OverridesError(UsageError):
    """An overrides file is missing, unreadable or holds an unknown key."""


@dataclass(frozen=True)
class FeatureOverride:
    """The risk team's override of one feature's binning (all fields optional).

    ``splits``: fixed numeric split points; ``groups``: fixed category groups;
    ``trend``: one of :data:`TRENDS`, a forced monotonic direction (optbinning
    ``monotonic_trend``) or :data:`FREE_TREND` (``"none"``): no monotone constraint, as a
    spec's null, so a numeric feature's bins follow its rate where it turns (a categorical
    feature's groups, ordered by their rate, are binned as without a trend); ``None``: the
    spec's trend (:func:`binning_trend`);
    ``exclude``: a reason to leave the feature out; ``note``: a free comment;
    ``reason``, ``who``, ``when``: why the override was made, by whom, on which ISO date
    (written by the binning workbench, ``scorecard review``).
    """

    splits: tuple[float, ...] | None = None
    groups: tuple[tuple[str, ...], ...] | None = None
    trend: str | None = None
    exclude: str | None = None
    note: str = ""
    reason: str = ""
    who: str = ""
    when: str = ""


@dataclass(frozen=True)
class PairOverride:
    """The risk team's override of one interaction ``x*y`` (all fields optional).

    ``exclude``: a reason to leave the pair out of the card; ``x_splits`` / ``y_splits``:
    a numeric parent's grid split points (each one of the parent's own split points);
    ``x_groups`` / ``y_groups``: a categorical parent's grid groups (each a union of the
    parent's category groups); ``reason``, ``who``, ``when``, ``note`` as for a feature.
    """

    x: str
    y: str
    exclude: str | None = None
    x_splits: tuple[float, ...] | None = None
    x_groups: tuple[tuple[str, ...], ...] | None = None
    y_splits: tuple[float, ...] | None = None
    y_groups: tuple[tuple[str, ...], ...] | None = None
    note: str = ""
    reason: str = ""
    who: str = ""
    when: str = ""

    @property
    def key(self) -> str:
        return f"{self.x}*{self.y}"

    @property
    def name(self) -> str:
        """The interaction's name in the card and the selection log."""
        return f"{self.x}_x_{self.y}"

    def axis(self, i: int) -> tuple[tuple[float, ...] | None,
                                   tuple[tuple[str, ...], ...] | None]:
        """The ``(splits, groups)`` of axis ``i`` (0: x, 1: y)."""
        return (self.x_splits, self.x_groups) if i == 0 else (self.y_splits, self.y_groups)


def binning_trend(override: str | None, spec: str | None) -> str | None:
    """The ``monotonic_trend`` a feature is binned with: the override's ``trend``, else the
    spec's; ``None``: no monotone constraint (the override's :data:`FREE_TREND`)."""
    if override is None:
        return spec
    return None if override == FREE_TREND else override


def _read(path: str | Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise OverridesError(f"overrides {path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OverridesError(f"overrides {path}: not valid TOML ({exc})") from exc


def load_overrides(path: str | Path | None) -> dict[str, FeatureOverride]:
    """Read a TOML overrides file: one ``[features.NAME]`` table per overridden feature (its
    ``[pairs]`` tables are checked too, see :func:`load_pair_overrides`)."""
    if path is None:
        return {}
    raw = _read(path)
    _parse_pairs(raw, path)  # a mistake in a pair's table is reported with the file's
    out: dict[str, FeatureOverride] = {}
    known = set(KEYS)
    for name, table in raw.get("features", {}).items():
        unknown = set(table) - known
        if unknown:
            raise OverridesError(f"overrides {path}: feature {name!r} has unknown keys "
                             f"{sorted(unknown)}; allowed: {sorted(known)}")
        if "trend" in table and table["trend"] not in TRENDS:
            raise OverridesError(
                f"overrides {path}: feature {name!r} has trend {table['trend']!r}; allowed: "
                f"{', '.join(map(repr, TRENDS))} ({FREE_TREND!r}: no monotone constraint; "
                "leave trend out for the spec's)")
        out[name] = FeatureOverride(
            splits=tuple(float(s) for s in table["splits"]) if "splits" in table else None,
            groups=tuple(tuple(str(c) for c in g) for g in table["groups"])
            if "groups" in table else None,
            trend=table.get("trend"),
            exclude=table.get("exclude"),
            note=table.get("note", ""),
            reason=table.get("reason", ""),
            who=table.get("who", ""),
            when=table.get("when", ""),
        )
    return out


def load_pair_overrides(path: str | Path | None) -> dict[str, PairOverride]:
    """Read the ``[pairs."X*Y"]`` tables of a TOML overrides file (module docstring)."""
    return {} if path is None else _parse_pairs(_read(path), path)


def _parse_pairs(raw: dict[str, Any], path: str | Path) -> dict[str, PairOverride]:
    """Every pair's table, each mistake named by its exact key."""
    pairs = raw.get("pairs", {})
    if not isinstance(pairs, dict):
        raise OverridesError(f"overrides {path}: 'pairs' must be a table of "
                             '[pairs."X*Y"] tables')
    out: dict[str, PairOverride] = {}
    for key, table in pairs.items():
        where = f"overrides {path}: pairs.{_toml_string(key)}"
        parents = key.split("*")
        if len(parents) != 2 or not all(p.strip() for p in parents) or parents[0] == parents[1]:
            raise OverridesError(f"{where}: a pair is named \"X*Y\", two different "
                                 "characteristics joined by one '*'")
        if not isinstance(table, dict):
            raise OverridesError(f"{where}: must be a table")
        unknown = set(table) - set(PAIR_KEYS)
        if unknown:
            raise OverridesError(f"{where} has unknown keys {sorted(unknown)}; allowed: "
                                 f"{list(PAIR_KEYS)}")
        for k in ("exclude", "reason", "who", "when", "note"):
            if k in table and not isinstance(table[k], str):
                raise OverridesError(f"{where}.{k} must be a string")
        if "exclude" in table and not table["exclude"].strip():
            raise OverridesError(f"{where}.exclude must give the reason (a non-empty string)")
        axes: dict[str, Any] = {}
        for axis in ("x", "y"):
            splits, groups = table.get(f"{axis}_splits"), table.get(f"{axis}_groups")
            if splits is not None and groups is not None:
                raise OverridesError(f"{where}: {axis}_splits and {axis}_groups both given; "
                                     "a numeric parent has splits, a categorical one groups")
            if splits is not None:
                axes[f"{axis}_splits"] = _pair_splits(splits, f"{where}.{axis}_splits")
            if groups is not None:
                axes[f"{axis}_groups"] = _pair_groups(groups, f"{where}.{axis}_groups")
        out[key] = PairOverride(
            parents[0], parents[1], exclude=table.get("exclude"), **axes,
            note=table.get("note", ""), reason=table.get("reason", ""),
            who=table.get("who", ""), when=table.get("when", ""))
    return out


def _pair_splits(value: Any, where: str) -> tuple[float, ...]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise OverridesError(f"{where} must be a non-empty list of numbers")
    splits = tuple(float(v) for v in value)
    if any(b <= a for a, b in itertools.pairwise(splits)):
        raise OverridesError(f"{where} must be strictly increasing")
    if not all(math.isfinite(v) for v in splits):
        raise OverridesError(f"{where} must be finite numbers")
    if len(splits) + 1 > MAX_PAIR_AXIS:
        raise OverridesError(f"{where}: {len(splits) + 1} groups; a grid axis holds at "
                             f"most {MAX_PAIR_AXIS}")
    return splits


def _pair_groups(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    if (not isinstance(value, list) or len(value) < 2
            or not all(isinstance(g, list) and g and all(isinstance(c, str) for c in g)
                       for g in value)):
        raise OverridesError(f"{where} must be a list of at least two non-empty lists of "
                             "category names")
    groups = tuple(tuple(g) for g in value)
    seen = [c for g in groups for c in g]
    if len(set(seen)) != len(seen):
        raise OverridesError(f"{where}: a category is in more than one group")
    if len(groups) > MAX_PAIR_AXIS:
        raise OverridesError(f"{where}: {len(groups)} groups; a grid axis holds at most "
                             f"{MAX_PAIR_AXIS}")
    return groups


def builtin_overrides(spec_name: str) -> Path | None:
    """The built-in overrides file of ``spec_name``, or ``None`` if the spec has none.

    Raises:
        OverridesError: the spec expects a built-in file that is not installed.
    """
    name = BUILTIN.get(spec_name)
    if name is None:
        return None
    path = BUILTIN_DIR / name
    if not path.is_file():
        raise OverridesError(f"overrides: the built-in spec {spec_name!r} expects {path}, "
                             "which is not installed (a broken installation?)")
    return path


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def dumps_overrides(overrides: dict[str, FeatureOverride], header: str = "",
                    pairs: Mapping[str, PairOverride] | None = None) -> str:
    """The TOML text of ``overrides`` and ``pairs``: features then pairs sorted by name,
    keys in :data:`KEYS` (:data:`PAIR_KEYS`) order, empty fields left out, so the same
    overrides always give the same bytes. ``header`` (comment lines) is kept at the top."""
    lines = [ln if ln.startswith("#") or not ln.strip() else f"# {ln}"
             for ln in header.rstrip("\n").splitlines()] if header.strip() else []
    for name in sorted(overrides):
        ov = overrides[name]
        lines += ["", f"[features.{_toml_string(name)}]"]
        if ov.exclude is not None:
            lines.append(f"exclude = {_toml_string(ov.exclude)}")
        if ov.splits is not None:
            lines.append("splits = [" + ", ".join(repr(float(s)) for s in ov.splits) + "]")
        if ov.groups is not None:
            groups = ", ".join("[" + ", ".join(_toml_string(c) for c in g) + "]"
                               for g in ov.groups)
            lines.append(f"groups = [{groups}]")
        for key in ("trend", "reason", "who", "when", "note"):
            value = getattr(ov, key)
            if value:
                lines.append(f"{key} = {_toml_string(value)}")
    for key in sorted(pairs or {}):
        po = (pairs or {})[key]
        lines += ["", f"[pairs.{_toml_string(po.key)}]"]
        if po.exclude is not None:
            lines.append(f"exclude = {_toml_string(po.exclude)}")
        for axis in ("x", "y"):
            cuts, sets = po.axis(0 if axis == "x" else 1)
            if cuts is not None:
                lines.append(f"{axis}_splits = [" + ", ".join(repr(float(s)) for s in cuts)
                             + "]")
            if sets is not None:
                text = ", ".join("[" + ", ".join(_toml_string(c) for c in g) + "]"
                                 for g in sets)
                lines.append(f"{axis}_groups = [{text}]")
        for k in ("reason", "who", "when", "note"):
            value = getattr(po, k)
            if value:
                lines.append(f"{k} = {_toml_string(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def header_of(path: str | Path) -> str:
    """The leading comment block of an overrides file (kept when the file is rewritten)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") and line.strip():
            break
        out.append(line)
    return "\n".join(out).strip("\n")


def write_overrides(path: str | Path, overrides: dict[str, FeatureOverride],
                    header: str = "", pairs: Mapping[str, PairOverride] | None = None) -> None:
    """Write ``overrides`` and ``pairs`` atomically (see :func:`dumps_overrides`); the
    result reads back to the same overrides with :func:`load_overrides` and
    :func:`load_pair_overrides`."""
    text = dumps_overrides(overrides, header, pairs)
    tomllib.loads(text)  # never publish a file the reader would refuse
    atomic_write_text(path, text)
