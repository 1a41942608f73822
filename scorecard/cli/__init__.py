"""The ``scorecard`` command line.

Each submodule registers its subcommands; ``main`` dispatches. Exit codes: 0 success,
1 unexpected failure, 2 usage error (argparse), 3 invalid input data (contract violation),
4 invalid or tampered model artifact.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BAD_DATA = 3
EXIT_BAD_ARTIFACT = 4

# Command modules, each exposing ``register(subparsers)``; imported lazily by name so that
# ``scorecard --help`` stays fast and a command's heavy imports load only when it runs.
_COMMAND_MODULES = ("data", "spec", "model", "serve", "batch")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="scorecard",
        description="Auditable monotonic credit scorecard: data, model, validation, serving.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"scorecard.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"scorecard.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from scorecard.data.errors import ContractError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ContractError as exc:
        print(f"error: invalid input data\n{exc.report}", file=sys.stderr)
        return EXIT_BAD_DATA
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
