"""Where the project's files live by default, relative to the repository (one place).

Every default is absolute, so a command gives the same answer from any working directory:
``generate-data`` writes where ``regenerate`` reads. Standard library only.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO / "data" / "dataset.csv"  # the generated default data set
DEFAULT_REPORTS = REPO / "reports"  # what `scorecard run` writes (committed)
DEFAULT_ARTIFACT = DEFAULT_REPORTS / "scorecard.json"  # the published card
SHARED_DATA = REPO.parent / "shared" / "data"  # real data beside the repository, if present
REAL_KLARNA = SHARED_DATA / "klarna" / "dataset_unlabelled_10k.csv"
REAL_KLARNA_PEERS = SHARED_DATA / "klarna" / "peer_predictions_10k.csv"
