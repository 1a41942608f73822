"""``python -m scorecard``: the same command line as ``scorecard``."""

import sys

from scorecard.cli import main

sys.exit(main())
