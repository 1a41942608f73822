"""``scorecard settings``: every environment variable the project reads, with its value."""

from __future__ import annotations

import argparse
import sys

from scorecard import settings
from scorecard.cli import EXIT_OK
from scorecard.settings import SettingsError


def _settings(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(settings.markdown_table())
        return EXIT_OK
    rows = settings.current()
    width = max(len(s.name) for s, _, _ in rows)
    unusable = []
    for s, value, source in rows:
        if value.startswith(settings.UNUSABLE):
            unusable.append(value.removeprefix(settings.UNUSABLE))
        elif s.unit and value not in ("unset", "(hidden)"):
            value = f"{value} {s.unit}"
        print(f"{s.name:<{width}}  {s.type:<7}  {value} ({source})")
        print(f"{'':<{width}}  {s.meaning.replace('`', '')}")
    if unusable:
        raise SettingsError("; ".join(unusable))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help="list every environment variable the project reads",
                       description="Every environment variable the commands and the service "
                       "read: name, type, the value in effect (set, or the default), unit and "
                       "meaning. Secrets are never printed.")
    p.add_argument("--markdown", action="store_true",
                   help="print the table of names, types, defaults, units and meanings as "
                        "Markdown (the README's table)")
    p.set_defaults(func=_settings)
