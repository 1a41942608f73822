"""The risk team's binning overrides: one TOML file per spec, read into :class:`FeatureOverride`.

A built-in spec may ship its overrides file beside this module (``<spec>.toml``, for example
``klarna.toml``). :data:`BUILTIN` names the specs that do: for those the file is part of the
card's definition, so its absence (for example a wheel built without it) is an error, never a
silently different card.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from scorecard.data.atomic import atomic_write_text
from scorecard.errors import UsageError

BUILTIN_DIR = Path(__file__).resolve().parent
# Built-in specs whose card is defined together with an overrides file in BUILTIN_DIR.
BUILTIN: dict[str, str] = {"klarna": "klarna.toml", "heloc": "heloc.toml"}


# The keys of a feature's table, in the order the writer puts them.
KEYS = ("exclude", "splits", "groups", "trend", "reason", "who", "when", "note")


class OverridesError(UsageError):
    """An overrides file is missing, unreadable or holds an unknown key."""


@dataclass(frozen=True)
class FeatureOverride:
    """The risk team's override of one feature's binning (all fields optional).

    ``splits``: fixed numeric split points; ``groups``: fixed category groups;
    ``trend``: forced monotonic direction (optbinning ``monotonic_trend``);
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
    known = set(KEYS)
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
            reason=table.get("reason", ""),
            who=table.get("who", ""),
            when=table.get("when", ""),
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


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def dumps_overrides(overrides: dict[str, FeatureOverride], header: str = "") -> str:
    """The TOML text of ``overrides``: features sorted by name, keys in :data:`KEYS` order,
    empty fields left out, so the same overrides always give the same bytes. ``header``
    (comment lines) is kept at the top."""
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
                    header: str = "") -> None:
    """Write ``overrides`` atomically (see :func:`dumps_overrides`); the result reads back
    to the same overrides with :func:`load_overrides`."""
    text = dumps_overrides(overrides, header)
    tomllib.loads(text)  # never publish a file the reader would refuse
    atomic_write_text(path, text)
