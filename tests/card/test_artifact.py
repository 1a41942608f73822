"""The artifact refuses tampering, missing fields and unknown versions, with a clear message."""

from __future__ import annotations

import copy
import json

import pytest

from scorecard.card.artifact import ArtifactError, dumps, load_artifact, seal, verify


@pytest.fixture(scope="module")
def artifact(artifact_path) -> dict:
    return load_artifact(artifact_path)


def test_committed_artifact_verifies(artifact) -> None:
    assert artifact["content_hash"].startswith("sha256:")
    assert artifact["model_id"].endswith(artifact["content_hash"][7:19])


def test_edited_points_are_refused(artifact) -> None:
    edited = copy.deepcopy(artifact)
    edited["features"][0]["bins"][0]["points"] += 1
    with pytest.raises(ArtifactError, match="content_hash"):
        verify(edited)


def test_edited_hash_is_refused(artifact) -> None:
    edited = {**artifact, "content_hash": "sha256:" + "0" * 64}
    with pytest.raises(ArtifactError, match="edited after it was sealed"):
        verify(edited)


def test_missing_field_is_named(artifact) -> None:
    edited = {k: v for k, v in artifact.items() if k != "scaling"}
    with pytest.raises(ArtifactError, match=r"missing field.*scaling"):
        verify(edited)
    feature_less = copy.deepcopy(artifact)
    del feature_less["features"][1]["bins"][0]["points"]
    with pytest.raises(ArtifactError, match=r"features\[1\].bins\[0\].*points"):
        verify(feature_less)


def test_unknown_schema_version_is_refused(artifact) -> None:
    with pytest.raises(ArtifactError, match="schema_version"):
        verify(seal({**artifact, "schema_version": 99}))


def test_load_reports_bad_json_and_missing_file(tmp_path) -> None:
    with pytest.raises(ArtifactError, match="does not exist"):
        load_artifact(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_artifact(bad)


def test_resealed_round_trip(artifact, tmp_path) -> None:
    path = tmp_path / "card.json"
    path.write_text(dumps(artifact))
    assert load_artifact(path) == artifact
    assert json.loads(path.read_text())["content_hash"] == artifact["content_hash"]


def test_cards_of_both_readable_versions_load_and_a_newer_one_is_refused(artifact) -> None:
    from scorecard.card.artifact import READABLE_VERSIONS, SCHEMA_VERSION

    assert READABLE_VERSIONS == (1, 2) and SCHEMA_VERSION == 2
    for version in READABLE_VERSIONS:
        assert verify(seal({**artifact, "schema_version": version}))["schema_version"] == version
    with pytest.raises(ArtifactError, match=r"reads versions 1, 2"):
        verify(seal({**artifact, "schema_version": 3}))
    with pytest.raises(ArtifactError, match="schema_version"):
        verify(seal({**artifact, "schema_version": True}))


def test_a_normalised_card_whose_groups_collide_ignoring_case_is_refused(artifact) -> None:
    card = json.loads(json.dumps(artifact))
    f = next(f for f in card["features"] if f["kind"] == "categorical"
             and sum(b["type"] == "regular" for b in f["bins"]) >= 2)
    f["category_match"] = "normalised"
    regular = [b for b in f["bins"] if b["type"] == "regular"]
    regular[1]["categories"] = [*regular[1]["categories"],
                                f"  {regular[0]['categories'][0].upper()} "]
    with pytest.raises(ArtifactError, match="equal ignoring case and spaces"):
        verify(seal({k: v for k, v in card.items() if k not in ("content_hash", "model_id")}))
