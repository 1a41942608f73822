"""The scorecard artifact: one JSON file that holds everything needed to score.

Layout (``schema_version`` 1)::

    {
      "schema_version": 1,
      "model_id": "<spec>-scorecard-<first 12 hex of the content hash>",
      "spec": {...},                 # dataset spec (names, special codes, trends)
      "id_column": "uuid" | null,
      "input_contract": [ {column rules} ],   # what a request or file must satisfy
      "scaling": {"base_score", "base_odds", "pdo", "factor", "offset"},
      "pd_formula": "...",
      "intercept": float,
      "features": [ {name, kind, description, reason_code, coefficient, trend, overridden,
                     splits | groups, unseen_points, max_points,
                     bins: [{index, type, label, codes?, count, event, event_rate, woe,
                             points}]} ],
      "master_scale": {...},
      "metadata": {...},
      "content_hash": "sha256:<hex>"
    }

The content hash is SHA-256 over the canonical JSON (sorted keys, no spaces) of everything
but ``content_hash`` and ``model_id``. :func:`load_artifact` refuses a file whose hash does
not match, whose schema version is unknown, or that lacks a required field. Standard
library only: the serving image loads it without pandas.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
REQUIRED = ("schema_version", "spec", "id_column", "input_contract", "scaling", "intercept",
            "features", "master_scale", "metadata", "content_hash")
REQUIRED_FEATURE = ("name", "kind", "reason_code", "bins", "unseen_points", "max_points")
REQUIRED_BIN = ("index", "type", "label", "points")


class ArtifactError(ValueError):
    """The artifact is unreadable, incomplete, of an unknown version or tampered with."""


def _canonical(artifact: dict[str, Any]) -> bytes:
    body = {k: v for k, v in artifact.items() if k not in ("content_hash", "model_id")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_hash(artifact: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the artifact's canonical JSON, ``content_hash`` excluded."""
    return "sha256:" + hashlib.sha256(_canonical(artifact)).hexdigest()


def seal(artifact: dict[str, Any]) -> dict[str, Any]:
    """Return ``artifact`` with its ``content_hash`` and ``model_id`` set."""
    digest = content_hash(artifact)
    name = artifact.get("spec", {}).get("name", "model")
    return {**artifact, "content_hash": digest,
            "model_id": f"{name}-scorecard-{digest.split(':')[1][:12]}"}


def dumps(artifact: dict[str, Any]) -> str:
    """Stable, reviewable JSON text (indented, keys in insertion order)."""
    return json.dumps(artifact, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def verify(artifact: dict[str, Any]) -> dict[str, Any]:
    """Check version, required fields and hash; return the artifact or raise ArtifactError."""
    if not isinstance(artifact, dict):
        raise ArtifactError("artifact: the top level must be a JSON object")
    version = artifact.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ArtifactError(f"schema_version: {version!r} is not supported "
                            f"(this build reads version {SCHEMA_VERSION})")
    missing = [k for k in REQUIRED if k not in artifact]
    if missing:
        raise ArtifactError(f"missing field(s): {', '.join(missing)}")
    for i, feature in enumerate(artifact["features"]):
        lacking = [k for k in REQUIRED_FEATURE if k not in feature]
        if lacking:
            raise ArtifactError(f"features[{i}] ({feature.get('name', '?')}): missing "
                                f"field(s) {', '.join(lacking)}")
        for j, b in enumerate(feature["bins"]):
            lacking = [k for k in REQUIRED_BIN if k not in b]
            if lacking:
                raise ArtifactError(f"features[{i}].bins[{j}] ({feature['name']}): missing "
                                    f"field(s) {', '.join(lacking)}")
    expected = content_hash(artifact)
    if artifact["content_hash"] != expected:
        raise ArtifactError(
            f"content_hash: the file says {artifact['content_hash']} but its content hashes "
            f"to {expected}; the artifact was edited after it was sealed")
    return artifact


def load_artifact(path: str | Path) -> dict[str, Any]:
    """Read and :func:`verify` an artifact file."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"artifact: {path} does not exist") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"artifact: {path} is not valid JSON ({exc})") from exc
    return verify(raw)
