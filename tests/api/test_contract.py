"""The API accepts exactly what the file contract accepts, field by field.

For every column of the served card's input contract and a set of probe values (valid
values, bounds and just beyond, fractions for whole-number kinds, unknown categories and
codes, wrong JSON types, numbers too large for a float, null), one request is sent with
that value in an otherwise valid applicant and the API's verdict is compared with:

* pandera: ``scorecard.data.schema.build_schema`` on the one-row frame the file reader would
  produce for that row (numbers as float64, booleans as bool, text as object);
* the request schema published in OpenAPI (JSON Schema 2020-12).

The only deliberate difference: the id (``uuid``) may be null or absent in a request (it is
only echoed back), while every file row must carry one. A field absent from a request counts
as null (a file always has every column).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import msgspec
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from api.openapi import applicant_schema, example_applicant
from api.service import ScoringService
from scorecard.card.artifact import load_artifact
from scorecard.data.contract import CONTRACTS, Column, Contract
from scorecard.data.records import check_value
from scorecard.data.schema import build_schema
from tests.api.conftest import ClientFactory

EXAMPLE_APPLICANT = example_applicant(CONTRACTS["klarna"].columns, "uuid")

NUMERIC = ("numeric", "integer", "code", "target")
UNKNOWN = "zz_not_in_contract"


@pytest.fixture(scope="module")
def service(artifact_path: Path) -> ScoringService:
    return ScoringService(load_artifact(artifact_path))


@pytest.fixture(scope="module")
def contract(service: ScoringService) -> Contract:
    target = service.target or ""
    return Contract("served", tuple(service.columns), service.id_column, target)


@pytest.fixture(scope="module")
def client(api_client: ClientFactory) -> Iterator[TestClient]:
    # Strict mode accepts exactly what the file contract accepts. The default mode differs
    # only in that null/absent features are scored as missing (tested in test_api.py).
    with api_client(allow_missing=False) as c:
        yield c


def test_served_contract_is_the_declared_one(artifact_path: Path,
                                             service: ScoringService) -> None:
    """The card carries the same declarations as ``scorecard.data.contract`` (one source)."""
    spec = load_artifact(artifact_path)["spec"]
    declared = CONTRACTS[spec["contract"]]
    assert tuple(service.columns) == declared.columns


def probes(col: Column) -> list[Any]:
    """Scalar probes (what a file cell can hold); containers are tested separately."""
    wrong_types: list[Any] = [None, "text", True, False, ""]
    if col.kind in NUMERIC:
        values: list[Any] = [0, 1, -1, 0.5, 3.0, 2.5, 1e300, -1e300, 10**400, -(10**400),
                             2**60, "12"]
        for bound in (col.min, col.max):
            if bound is not None:
                values += [bound, bound + 1, bound - 1, bound - 0.5, bound + 0.5,
                           float(np.nextafter(bound, math.inf)),
                           float(np.nextafter(bound, -math.inf))]
        if col.allowed is not None:
            nums = [a for a in col.allowed if not isinstance(a, str)]
            values += [*col.allowed, *(float(a) for a in nums)]
            if nums:
                values += [max(nums) + 1, min(nums) - 1, min(nums) + 0.5]
        return wrong_types + values
    if col.kind == "category":
        allowed = [str(a) for a in col.allowed or ()]
        return [*wrong_types, *allowed[:6], allowed[0].lower(), allowed[0] + " ", "zzz", 5, 1.5]
    if col.kind == "boolean":
        return [*wrong_types, "True", "true", 1, 0, 1.0]
    return [*wrong_types, "6f6e6c6a", " ", 5, 1.5]  # id


def typed(col: Column, v: Any) -> pd.Series:
    """The cell as ``scorecard.data.files`` types it: numbers float64 (too large -> inf, as the
    text ``1e400`` parses), booleans bool, anything else object (a dtype failure where a
    number or boolean is declared)."""
    if col.kind in NUMERIC and v is None:
        return pd.Series([np.nan], dtype=float)
    if col.kind in NUMERIC and type(v) in (int, float):
        try:
            x = float(v)
        except OverflowError:
            x = math.inf if v > 0 else -math.inf
        return pd.Series([x], dtype=float)
    if col.kind == "boolean" and type(v) is bool:
        return pd.Series([v], dtype=bool)
    return pd.Series([v], dtype=object)


def pandera_verdicts(schema: pa.DataFrameSchema, col: Column, values: list[Any]) -> list[bool]:
    """pandera's verdict on each value as a cell of ``col``: the column's own schema (dtype,
    nullability, checks) on a one-column frame; the rest of the row is known valid.

    For speed, values of the same dtype share a frame, one row each: the checks are
    element-wise and their failures carry the row index, and a dtype failure (an object
    column where float64 or bool is declared) fails every row alike, as it would fail each
    one-row frame. Ids get one frame each (``unique`` compares rows).
    """
    one = pa.DataFrameSchema({col.name: schema.columns[col.name]})
    cells = [typed(col, v) for v in values]
    verdicts: dict[int, bool] = {}
    by_dtype: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        by_dtype.setdefault(str(i) if col.kind == "id" else str(cell.dtype), []).append(i)
    groups = list(by_dtype.values())
    for group in groups:
        frame = pd.DataFrame({col.name: pd.concat([cells[i] for i in group],
                                                  ignore_index=True)})
        try:
            one.validate(frame, lazy=True)
            failed: set[int] = set()
        except pa.errors.SchemaErrors as exc:
            index = exc.failure_cases["index"]
            # A failure without a row index (dtype) fails every row of the frame.
            failed = (set(range(len(group))) if index.isna().any()
                      else {int(i) for i in index})
        verdicts.update({i: k not in failed for k, i in enumerate(group)})
    return [verdicts[i] for i in range(len(values))]


def test_api_and_pandera_agree_field_by_field(client: TestClient, service: ScoringService,
                                              contract: Contract) -> None:
    schema = build_schema(contract)
    columns = list(contract.columns)
    json_schema = jsonschema_rs.Draft202012Validator(
        applicant_schema(columns, service.id_column, service.target, False).to_schema())
    base = copy.deepcopy(EXAMPLE_APPLICANT)
    full = pd.DataFrame({c.name: typed(c, base.get(c.name)) for c in columns})
    schema.validate(full)  # the base row is valid
    with pytest.raises(pa.errors.SchemaErrors, match=UNKNOWN):  # strict: unknown columns fail
        schema.validate(full.assign(**{UNKNOWN: 1}))

    disagreements = []
    n_cases = 0
    for col in columns:
        name = col.name
        # As the server sees them after the JSON round trip (e.g. 3.0 stays a float).
        values = [msgspec.json.decode(msgspec.json.encode(v)) for v in probes(col)]
        for value, pandera_ok in zip(values, pandera_verdicts(schema, col, values),
                                     strict=True):
            row = {**base, name: value}
            r = client.post("/v1/score", content=msgspec.json.encode(row),
                            headers={"content-type": "application/json"})
            assert r.status_code in (200, 422), (name, value, r.text)
            named = {e["field"] for e in r.json().get("errors", [])}
            assert named <= {name}, (name, value, named)  # only the probed field is blamed
            api_ok = r.status_code == 200
            if api_ok != pandera_ok:
                disagreements.append((name, value, api_ok, pandera_ok))
            assert json_schema.is_valid(row) == api_ok, (name, value, api_ok)
            n_cases += 1
    assert n_cases > 15 * len(columns)
    # The one documented difference: the id is optional in a request.
    assert disagreements == [(service.id_column, None, True, False)]


def test_unknown_fields_and_non_scalars_are_rejected(client: TestClient,
                                                     service: ScoringService) -> None:
    json_schema = jsonschema_rs.Draft202012Validator(applicant_schema(
        service.columns, service.id_column, service.target, False).to_schema())
    for name, value in [(UNKNOWN, 1), (UNKNOWN, None), *(
            (c.name, v) for c in service.columns for v in ({"a": 1}, [1], []))]:
        row = {**EXAMPLE_APPLICANT, name: value}
        r = client.post("/v1/score", json=row)
        assert r.status_code == 422, (name, value)
        assert {e["field"] for e in r.json()["errors"]} == {name}
        assert not json_schema.is_valid(row)


_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
    st.sampled_from([0, 1, 4, 5, 17, 18, 24, 24.0, 23.999, 100, 101, 366, 367, -0.0, 0.5,
                     2**53, 2**53 + 1, 10**400, "Underwear", "F", "True", "", [], {}]),
)


@pytest.fixture(scope="module")
def lax(service: ScoringService) -> ScoringService:
    return ScoringService(service.artifact, allow_missing=True)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_fast_path_never_accepts_what_the_contract_rejects(service: ScoringService,
                                                           lax: ScoringService,
                                                           data: st.DataObject) -> None:
    """The generated fast path and the field-by-field ``check_value`` path agree: whenever
    the fast path accepts a row, the reference finds nothing and the same missing fields."""
    row = dict(EXAMPLE_APPLICANT)
    for col in data.draw(st.lists(st.sampled_from(service.columns), min_size=1, max_size=3)):
        value = data.draw(_values)
        if col.allowed and data.draw(st.booleans()):
            value = data.draw(st.sampled_from(col.allowed))
        row[col.name] = value
    if data.draw(st.booleans()):
        del row[data.draw(st.sampled_from(sorted(row)))]
    validators = [service.validator, lax.validator]
    for validator in validators:
        issues, missing = validator.check_slow(row)
        fast = validator.fast(row)
        if fast is not None:
            assert not issues and fast == missing, (row, issues)
        # The public check is the reference's verdict.
        assert validator.check(row) == (issues, missing)
    # ...and the reference is check_value's verdict, field by field.
    for col in service.columns:
        value = row.get(col.name)
        verdict = check_value(col, value)
        rejected = any(i.field == col.name for i in validators[0].check_slow(row)[0])
        assert rejected == (verdict is not None and not (value is None and
                                                         col.name == service.id_column))


# ------------------------------------------------------- contract (de)serialisation


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_a_contract_survives_its_dict_form(name: str) -> None:
    contract = CONTRACTS[name]
    assert Contract.from_dict(contract.to_dict()) == contract
    assert [Column.from_dict(c.to_dict()) for c in contract.columns] == list(contract.columns)


def test_the_card_stores_its_contract_in_the_columns_dict_form(artifact_path: Path) -> None:
    """Byte for byte: the artifact's ``input_contract`` is ``Column.to_dict`` in order."""
    import json

    stored = load_artifact(artifact_path)["input_contract"]
    assert json.dumps([c.to_dict() for c in CONTRACTS["klarna"].columns]) == json.dumps(stored)


@pytest.mark.parametrize(("raw", "named"), [
    ({"name": "age", "kind": "integer", "colour": "red"}, "column (age).colour: is not a field"),
    ({"name": "age", "kind": "money"}, "column (age).kind: 'money' is not one of"),
    ({"name": "age", "kind": "integer", "min": "0"}, "column (age).min: must be a number"),
    ({"name": "age", "kind": "integer", "nullable": 1}, "column (age).nullable: must be true"),
    ({"kind": "integer"}, "column: missing field 'name'"),
    ({"name": "x", "kind": "category", "allowed": [["a"]]}, "column (x).allowed: must be a list"),
])
def test_a_broken_column_is_named_with_its_rule(raw: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError) as refused:
        Column.from_dict(raw)
    assert named in str(refused.value)


def test_a_broken_contract_names_the_column_index() -> None:
    raw = CONTRACTS["klarna"].to_dict()
    raw["columns"][5]["max"] = "high"
    with pytest.raises(ValueError, match=r"contract\.columns\[5\] \(\w+\)\.max"):
        Contract.from_dict(raw)
    with pytest.raises(ValueError, match="target: 'nope' is not one of its columns"):
        Contract.from_dict({**CONTRACTS["klarna"].to_dict(), "target": "nope"})
