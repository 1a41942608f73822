"""``load_artifact`` refuses exactly the cards the API cannot serve.

Each edit below is re-sealed (so the hash is right) and must be refused by
:func:`scorecard.card.artifact.load_artifact` with an error naming the place; the API
refuses it too, and every card the API's own typed view cannot carry is one ``verify``
refuses (the API adds no check of its own).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.service import ScoringService, _card_view
from scorecard.card.artifact import ArtifactError, dumps, load_artifact, seal
from scorecard.card.grades import MasterScale
from scorecard.data.contract import Column


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(a: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = a
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value
    return edit


def _rescale_master_scale(a: dict[str, Any]) -> None:
    a["master_scale"]["scaling"]["pdo"] = 99.0
    del a["master_scale"]["score_cuts"]  # consistent in itself, not with the card


def _drop_feature_column(a: dict[str, Any]) -> None:
    name = a["features"][0]["name"]
    a["input_contract"] = [c for c in a["input_contract"] if c["name"] != name]


EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "master scale on another scaling": (_rescale_master_scale, "master_scale.scaling: differs"),
    "unusable master scale": (_set("master_scale.grades", ["A"]), "master_scale: unusable"),
    "contract lacks a card feature": (_drop_feature_column, "input_contract: lacks the card's"),
    "unknown contract field": (_set("input_contract.2.colour", "red"),
                               "input_contract[2] (account_amount_added_12_24m).colour"),
    "unknown contract kind": (_set("input_contract.2.kind", "money"),
                              "input_contract[2] (account_amount_added_12_24m).kind"),
    "contract bound not a number": (_set("input_contract.2.min", "0"),
                                    "input_contract[2] (account_amount_added_12_24m).min"),
    "empty contract": (_set("input_contract", []), "input_contract: must be a non-empty"),
    "id column not in the contract": (_set("id_column", "applicant"), "id_column"),
    "coefficient not a number": (_set("features.0.coefficient", "high"),
                                 "features[0] ("),
    "woe not a number": (_set("features.0.bins.0.woe", "x"), "features[0].bins[0]"),
    "count not an integer": (_set("features.0.bins.1.count", 1.5), ".count: must be an integer"),
    "description not text": (_set("features.0.description", 5), ".description: must be a string"),
    "trend not text": (_set("features.0.trend", 3), ".trend: must be a string or null"),
    "intercept as text": (_set("intercept", "1.0"), "intercept: must be a finite number"),
    "scaling factor as text": (_set("scaling.factor", "x"), "scaling.factor"),
}


@pytest.fixture(scope="module")
def artifact(artifact_path: Path) -> dict[str, Any]:
    return load_artifact(artifact_path)


def _edited(artifact: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    a = copy.deepcopy(artifact)
    a.pop("content_hash"), a.pop("model_id")
    edit(a)
    return seal(a)


@pytest.mark.parametrize("name", EDITS)
def test_an_unservable_card_is_refused_at_load_naming_the_place(
        name: str, artifact: dict[str, Any], tmp_path: Path) -> None:
    edit, place = EDITS[name]
    path = tmp_path / "card.json"
    path.write_text(dumps(_edited(artifact, edit)))
    with pytest.raises(ArtifactError) as refused:
        load_artifact(path)
    assert place in str(refused.value)
    with pytest.raises(ArtifactError):
        ScoringService.from_path(path)


@pytest.mark.parametrize("name", EDITS)
def test_what_the_card_view_cannot_carry_verify_refuses(name: str,
                                                        artifact: dict[str, Any]) -> None:
    """The API's typed view, built without ``verify``: whenever it fails, ``verify`` fails."""
    edited = _edited(artifact, EDITS[name][0])
    try:
        columns = [Column.from_dict(c) for c in edited["input_contract"]]
        scale = MasterScale.from_dict(edited["master_scale"])
        _card_view(edited, columns, scale)
    except (ArtifactError, ValueError, TypeError, KeyError):
        view_refuses = True
    else:
        view_refuses = False
    if view_refuses:
        with pytest.raises(ArtifactError):
            ScoringService(edited)


def test_the_committed_card_serves(artifact: dict[str, Any]) -> None:
    service = ScoringService(artifact)
    assert service.card.model_id == artifact["model_id"]
    assert [c.to_dict() for c in service.columns] == artifact["input_contract"]
