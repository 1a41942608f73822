"""The spec's ``final_fit``: which labelled rows the published card is fitted on."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scorecard.data.synthetic.example import write_example
from scorecard.fit.spec import (
    DEFAULT_FINAL_FIT,
    FINAL_FITS,
    KLARNA_SPEC,
    SpecError,
    load_spec,
)
from scorecard.fit.spec_inference import infer_spec


def test_an_unknown_final_fit_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"final_fit must be one of .*'all_labelled'.*"
                                         r"not 'holdout'"):
        replace(KLARNA_SPEC, final_fit="holdout")


def test_a_spec_file_with_an_unknown_final_fit_is_a_spec_error_naming_the_field(
        tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({**KLARNA_SPEC.to_dict(), "final_fit": "everything"}))
    with pytest.raises(SpecError, match="final_fit must be one of"):
        load_spec(str(path))


def test_final_fit_round_trips_through_a_spec_file_and_defaults_when_absent(
        tmp_path: Path) -> None:
    for value in FINAL_FITS:
        path = tmp_path / f"{value}.json"
        path.write_text(json.dumps(replace(KLARNA_SPEC, final_fit=value).to_dict()))
        assert load_spec(str(path)).final_fit == value
    raw = KLARNA_SPEC.to_dict()
    del raw["final_fit"]
    path = tmp_path / "older.json"
    path.write_text(json.dumps(raw))
    assert load_spec(str(path)).final_fit == DEFAULT_FINAL_FIT
    assert KLARNA_SPEC.final_fit == DEFAULT_FINAL_FIT == "all_labelled"


def test_an_inferred_spec_writes_out_the_default_final_fit(tmp_path: Path) -> None:
    data = write_example(tmp_path / "credit.csv", rows=1_000, unlabelled=100, seed=3)
    spec = infer_spec(data, target="default.next.month").spec
    assert spec["final_fit"] == DEFAULT_FINAL_FIT
    path = tmp_path / "inferred.json"
    path.write_text(json.dumps(spec))
    assert load_spec(str(path)).final_fit == DEFAULT_FINAL_FIT
