"""A whole-number id column (``init-spec`` on the example data infers ``id`` = 1, 2, ...)
is accepted by the API as a JSON number, exactly as the same row of a file is, and the
answer carries the id as the client sent it. The file side is the real reader
(:func:`scorecard.data.files.read_dataset`); the API side the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from scorecard.card.artifact import dumps
from scorecard.data.contract import Contract
from scorecard.data.files import read_dataset
from scorecard.data.synthetic.example import write_example
from scorecard.fit.spec import load_spec
from scorecard.fit.spec_inference import infer_spec
from tests.support.builders import demo_card


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, api_client: Any
           ) -> Iterator[tuple[Contract, list[dict[str, Any]], TestClient]]:
    folder = tmp_path_factory.mktemp("numeric-ids")
    data = folder / "credit.csv"
    write_example(data, rows=600, unlabelled=60)
    inferred = infer_spec(data, target="default.next.month")
    (folder / "spec.json").write_text(json.dumps(inferred.spec))
    contract = load_spec(str(folder / "spec.json")).contract
    frame = read_dataset(data, contract).frame  # the file's ids 1, 2, ... are accepted
    # demo_card bins a category by its declared labels: close the open ones on the data.
    contract = replace(contract, columns=tuple(
        replace(c, allowed=tuple(sorted(frame[c.name].dropna().unique())))
        if c.kind == "category" and c.allowed is None else c for c in contract.columns))
    (folder / "card.json").write_text(dumps(demo_card(contract, frame, seed=3)))
    # The file's rows as JSON, each id as the number it spells.
    rows = json.loads(frame.drop(columns=[contract.target]).head(20).to_json(orient="records"))
    for row in rows:
        row[contract.id_column] = int(row[contract.id_column])
    with api_client(artifact=folder / "card.json") as client:
        yield contract, rows, client


def test_an_inferred_whole_number_id_is_an_id_column_of_the_card(served: tuple) -> None:
    contract, rows, _ = served
    assert contract.id_column == "id"
    assert [row["id"] for row in rows[:3]] == [1, 2, 3]


@pytest.mark.parametrize("sent", [1, 0, -7, 2**70, 12.5, "1", "A-1"])
def test_a_numeric_or_text_id_is_accepted_and_echoed_as_sent(served: tuple, sent: Any) -> None:
    _, rows, client = served
    body = msgspec.json.encode({**rows[0], "id": sent})
    r = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    echoed = msgspec.json.decode(r.content)["uuid"]
    assert echoed == sent and type(echoed) is type(sent)


def test_a_batch_echoes_every_id_in_input_order(served: tuple) -> None:
    _, rows, client = served
    r = client.post("/v1/score/batch", content=msgspec.json.encode(rows),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert [x["uuid"] for x in r.json()["results"]] == [row["id"] for row in rows]


@pytest.mark.parametrize(("sent", "rule"), [(True, "dtype"), ("", "str_length"),
                                            ([1], "dtype"), ({"a": 1}, "dtype")])
def test_an_id_that_no_file_cell_could_hold_is_refused_naming_it(served: tuple, sent: Any,
                                                                 rule: str) -> None:
    _, rows, client = served
    r = client.post("/v1/score", content=msgspec.json.encode({**rows[0], "id": sent}),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["id"] and errors[0]["rule"] == rule


def test_the_published_schema_declares_an_id_as_text_or_number(served: tuple) -> None:
    _, _, client = served
    schema = client.get("/schema/openapi.json").json()
    text = json.dumps(schema)
    assert '"string", "number"' in text.replace("'", '"')


def test_the_rows_of_a_file_with_numeric_ids_read_as_the_api_accepts_them(
        served: tuple, tmp_path: Path) -> None:
    contract, rows, client = served
    header = [c.name for c in contract.columns]
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join("" if row.get(n) is None else str(row[n]) for n in header))
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    frame = read_dataset(path, contract).frame
    assert frame["id"].tolist() == [str(row["id"]) for row in rows]
    r = client.post("/v1/score/batch", content=msgspec.json.encode(rows),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200
