"""``python -m scorecard``: the same command line as ``scorecard``."""

import sys

from scorecard.cli import run

sys.exit(run())
