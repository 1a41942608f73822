"""The risk team's binning overrides: one TOML file per spec, read into :class:`FeatureOverride`.

A built-in spec may ship its overrides file beside this module (``<spec>.toml``, for example
``klarna.toml``). :data:`BUILTIN` names the specs that do: for those the file is part of the
card's definition, so its absence (for example a wheel built without it) is an error, never a
silently different card.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

BUILTIN_DIR = Path(__file__).resolve().parent
# Built-in specs whose card is defined together with an overrides file in BUILTIN_DIR.
BUILTIN: dict[str, str] = {"klarna": "klarna.toml", "heloc": "heloc.toml"}


class OverridesError(ValueError):
    """An overrides file is missing, unreadable or holds an unknown key."""


@dataclass(frozen=True)
class FeatureOverride:
    """The risk team's override of one feature's binning (all fields optional).

    ``splits``: fixed numeric split points; ``groups``: fixed category groups;
    ``trend``: forced monotonic direction (optbinning ``monotonic_trend``);
    ``exclude``: a reason to leave the feature out.
    """

    splits: tuple[float, ...] | None = None
    groups: tuple[tuple[str, ...], ...] | None = None
    trend: str | None = None
    exclude: str | None = None
    note: str = ""


def load_overrides(path: str | Path | None) -> dict[str, FeatureOverride]:
    """Read a TOML overrides file: one ``[features.NAME]`` table per overridden feature."""
    if path is None:
        return {}
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise OverridesError(f"overrides {path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OverridesError(f"overrides {path}: not valid TOML ({exc})") from exc
    out: dict[str, FeatureOverride] = {}
    known = {"splits", "groups", "trend", "exclude", "note"}
    for name, table in raw.get("features", {}).items():
        unknown = set(table) - known
        if unknown:
            raise OverridesError(f"overrides {path}: feature {name!r} has unknown keys "
                             f"{sorted(unknown)}; allowed: {sorted(known)}")
        out[name] = FeatureOverride(
            splits=tuple(float(s) for s in table["splits"]) if "splits" in table else None,
            groups=tuple(tuple(str(c) for c in g) for g in table["groups"])
            if "groups" in table else None,
            trend=table.get("trend"),
            exclude=table.get("exclude"),
            note=table.get("note", ""),
        )
    return out


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
