"""Where the repository and the real data beside it (``../shared``) are; a test that needs
the real data skips cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


SHARED = REPO.parent / "shared" / "data"


def shared(relative: str) -> Path:
    """A file of the real data beside the repository; skips the test when it is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path
