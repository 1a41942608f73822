"""The card as SQL (``scorecard export-sql``) and the scale runners (``scorecard score``).

DuckDB and Spark must give the numpy engine's integer points and scores exactly and its pd
within 1e-9, on the real 10,000 Klarna rows, on generated data and on random contract-valid
rows that sit on bin boundaries. Cards: the published one (``reports/scorecard.json``, or
fitted on generated data while it does not exist) and a demo card over every feature (bins
at data values, special codes, unseen categories) that exercises every SQL path.

Spark tests share one local SparkSession (C1-only JVM for a quick start) and are skipped,
with the reason, when pyspark or Java is missing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import struct
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from scorecard.card.artifact import dumps, load_artifact, seal
from scorecard.card.engine import ScoringEngine
from scorecard.card.sql import SqlExportError, card_sql, double_literal, string_literal
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.errors import ContractError
from scorecard.data.files import read_dataset, write_dataset
from scorecard.jobs.batch import (
    QUICK_JVM,
    score_duckdb,
    score_numpy,
    score_spark,
    spark_frame,
    spark_session,
    stop_spark,
)
from tests.support.builders import demo_card, sample_frame

REPO = Path(__file__).resolve().parents[2]
PD_TOLERANCE = 1e-9
AWKWARD_FLOATS = (0.1, 1 / 3, 0.30000000000000004, 59.5, -2.5, 1e-05, 6.02e23, 1e16,
                  123456789.12345679, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                  -0.0, 2.0 ** 53 + 2)


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    """A card over every Klarna feature, bins at values the sample rows take, three
    interaction characteristics (numeric x numeric, numeric x boolean, categorical x
    categorical with a parent that is no characteristic of its own) and two rounding
    characteristics (one of an input that is no characteristic of its own)."""
    return demo_card(KLARNA, sample_frame(KLARNA, 5_000, seed=11), seed=5, interactions=True,
                     rounding=True)


@pytest.fixture(scope="module")
def published(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The Klarna card: reports/scorecard.json, else one fitted on generated data."""
    if (REPO / "reports" / "scorecard.json").exists():
        return load_artifact(request.getfixturevalue("artifact_path"))
    if importlib.util.find_spec("scorecard.data.synthetic") is None:
        pytest.skip("no fitted Klarna card: reports/scorecard.json is missing and "
                    "scorecard.data.synthetic.generator is not available to fit one")
    from scorecard.data.synthetic.generator import generate
    from scorecard.fit.estimator import Scorecard
    from scorecard.fit.spec import KLARNA_SPEC

    frame, _ = generate(n_rows=30_000, n_unlabelled=0, seed=1)
    try:
        artifact = Scorecard(KLARNA_SPEC, method="woe").fit(
            frame, frame["default"].astype(int).values).to_artifact({}, {})
    except Exception as exc:  # fitting is tested elsewhere; here it only supplies a card
        pytest.skip(f"no fitted Klarna card: reports/scorecard.json is missing and fitting "
                    f"one on generated data failed ({type(exc).__name__}: {exc})")
    path = tmp_path_factory.mktemp("card") / "scorecard.json"
    path.write_text(dumps(artifact))
    return load_artifact(path)


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 random contract-valid rows in the case's CSV format."""
    path = tmp_path_factory.mktemp("sample") / "sample.csv"
    write_dataset(sample_frame(KLARNA, 20_000, seed=7), path, KLARNA)
    return path


@pytest.fixture(scope="module")
def generated_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 rows from the data generator in the case's CSV format."""
    if importlib.util.find_spec("scorecard.data.synthetic") is None:
        pytest.skip("scorecard.data.synthetic.generator is not available")
    from scorecard.data.synthetic.generator import generate

    frame, _ = generate(n_rows=20_000, n_unlabelled=0, seed=2)
    path = tmp_path_factory.mktemp("generated") / "generated.csv"
    write_dataset(frame, path, KLARNA)
    return path


@pytest.fixture(scope="module")
def heloc_card(heloc_path: Path) -> dict[str, Any]:
    """A card fitted on the real HELOC data: special codes -9/-8/-7, no id column."""
    from scorecard.fit.estimator import Scorecard
    from scorecard.fit.spec import HELOC_SPEC

    labelled = read_dataset(heloc_path, HELOC_SPEC.contract).labelled
    return Scorecard(HELOC_SPEC, method="woe").fit(
        labelled, labelled["RiskPerformance"].astype(int).values).to_artifact({}, {})


def _spark_unavailable() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install pyspark)"
    if shutil.which("java") is None:
        return "Java is not on PATH (Spark needs Java 17+)"
    return None


@pytest.fixture(scope="module")
def spark() -> Any:
    """One local Spark session for the module (C1-only JVM: quick start-up)."""
    reason = _spark_unavailable()
    if reason:
        pytest.skip(reason)
    session = spark_session("local[1]", driver_memory="1g", shuffle_partitions=1,
                            java_options=QUICK_JVM)
    yield session
    stop_spark(session)


# ------------------------------------------------------------------------------- helpers


def _reference(card: dict[str, Any], path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """numpy engine on a CSV: (id/pd/score frame, per-feature points (n, k))."""
    dataset = read_dataset(path, KLARNA if card["id_column"] else _contract(card))
    result = ScoringEngine(card).score(dataset.frame)
    frame = pd.DataFrame({"pd": result.pd, "score": result.score})
    if card["id_column"]:
        frame.insert(0, card["id_column"], dataset.frame[card["id_column"]].to_numpy())
    return frame, result.points


def _contract(card: dict[str, Any]) -> Any:
    from scorecard.jobs.batch import contract_for

    return contract_for(card)


def _assert_same(got: pd.DataFrame, want: pd.DataFrame, id_col: str | None) -> None:
    assert len(got) == len(want)
    if id_col:
        assert got[id_col].astype(str).tolist() == want[id_col].astype(str).tolist()
    np.testing.assert_array_equal(got["score"].to_numpy(dtype=np.int64),
                                  want["score"].to_numpy(dtype=np.int64))
    assert np.abs(got["pd"].to_numpy(dtype=float) - want["pd"].to_numpy()).max() <= PD_TOLERANCE


def _points(card: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    return frame[[f"pts_{f['name']}" for f in card["features"]]].to_numpy(dtype=np.int64)


def _duckdb_card(card: dict[str, Any], relation: str, **tables: pd.DataFrame) -> pd.DataFrame:
    with duckdb.connect() as con:
        for name, table in tables.items():
            con.register(name, table)
        con.execute(f"CREATE VIEW applicants AS SELECT * FROM {relation}")
        return con.execute(card_sql(card)).df()


def _write_parts(frame: pd.DataFrame, folder: Path) -> list[Path]:
    """``frame`` as three Parquet files, smallest first: an engine that orders files by
    size, not name, would reverse them."""
    paths = []
    for i, part in enumerate(np.split(np.arange(len(frame)), [len(frame) // 10,
                                                              len(frame) // 3])):
        paths.append(folder / f"part-{i}.parquet")
        frame.iloc[part].to_parquet(paths[-1], index=False)
    return paths


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _edge_frame(card: dict[str, Any], n: int = 64, seed: int = 3) -> pd.DataFrame:
    """Rows made of the card's own boundaries: every split, its neighbours, every special
    code, NaN, each category, an unseen category and a missing one, each rounding step's
    multiples and values beside them."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {"uuid": [f"e{i}" for i in range(n)]}
    rules = {}  # every column's rule: the characteristics' and the interactions' parents'
    rounded: dict[str, list[int]] = {}  # rounding characteristics' inputs: their steps
    for f in card["features"]:
        if "derived" in f:
            rounded.setdefault(f["derived"]["input"], []).extend(f["derived"]["rounding"])
            continue
        for r in (f["parents"] if f["kind"] == "interaction" else [f]):
            rules.setdefault(r["name"], r)
    for col, steps in rounded.items():
        if col not in rules:  # an input only: its multiples, their neighbours, 0, NaN
            pool = [math.nan, 0.0, -0.0, 0.5, 7.0]
            for step in steps:
                pool += [step, 3.0 * step, step + 1.0, step - 0.5, -step]
            data[col] = rng.choice(np.array(pool, dtype=float), n)
    for f in rules.values():
        if f["kind"] == "numeric":
            pool = [math.nan]
            for s in f["splits"]:
                pool += [s, math.nextafter(s, -math.inf), math.nextafter(s, math.inf)]
            pool += [c for b in f["bins"] if b["type"] == "special" for c in b["codes"]]
            for step in rounded.get(f["name"], []):  # its rounding's labels, too
                pool += [0.0, step, 3.0 * step, step + 1.0, step - 0.5]
            data[f["name"]] = rng.choice(np.array(pool, dtype=float), n)
        else:
            pool = [c for b in f["bins"] if b["type"] == "regular" for c in b["categories"]]
            pool += ["never seen", None]
            data[f["name"]] = rng.choice(np.array(pool, dtype=object), n)
    return pd.DataFrame(data)


def _engine_view(frame: pd.DataFrame) -> pd.DataFrame:
    """``has_paid`` as the engine takes booleans: True/False objects, None for missing (the
    engine reads ``pd.NA`` as the category "<NA>", i.e. unseen, not missing)."""
    values = frame["has_paid"].map({"True": True, "False": False}).astype(object)
    unknown = ~frame["has_paid"].isin(["True", "False"]) & frame["has_paid"].notna()
    values[unknown] = frame["has_paid"][unknown]
    return frame.assign(has_paid=values.where(frame["has_paid"].notna(), None))


def _with_booleans(frame: pd.DataFrame, column: str, form: str) -> pd.DataFrame:
    """``column`` ("True"/"False"/None text) as a nullable BOOLEAN, or lower-case text."""
    out = frame.copy()
    if form == "bool":
        out[column] = out[column].map({"True": True, "False": False}).astype("boolean")
    elif form == "lower":
        out[column] = out[column].map({"True": "true", "False": "false"})
    return out


# ------------------------------------------------------------------ SQL text, literals


def test_double_literals_are_exact_in_duckdb() -> None:
    sql = "SELECT " + ", ".join(f"{double_literal(x)} AS v{i}"
                                for i, x in enumerate(AWKWARD_FLOATS))
    with duckdb.connect() as con:
        got = con.execute(sql).fetchone()
        types = con.execute(f"SELECT typeof({double_literal(3.5)})").fetchone()
    assert [_bits(v) for v in got] == [_bits(x) for x in AWKWARD_FLOATS]
    assert types == ("DOUBLE",)


def test_string_literals_survive_quotes_and_backslashes() -> None:
    texts = ["plain", "O'Brien", "back\\slash", "''", "\\'", "Wine, Beer & Liquor", ""]
    sql = "SELECT " + ", ".join(f"{string_literal(t)} AS v{i}" for i, t in enumerate(texts))
    with duckdb.connect() as con:
        assert list(con.execute(sql).fetchone()) == texts


def test_export_sql_header_and_shape(demo: dict[str, Any], tmp_path: Path) -> None:
    card_path = tmp_path / "card.json"
    card_path.write_text(dumps(demo))
    out = tmp_path / "card.sql"
    assert main(["export-sql", "--artifact", str(card_path), "--table", "apps",
                 "--output", str(out)]) == 0
    text = out.read_text()
    assert text.splitlines()[0] == f"-- scorecard {demo['model_id']}"
    assert text.splitlines()[1] == f"-- content_hash {demo['content_hash']}"
    assert "FROM apps" in text and not text.rstrip().endswith(";")
    for f in demo["features"]:
        assert f"END AS pts_{f['name']}" in text
    assert "has_paid IN ('True', 'true')" in text or "has_paid IN ('False', 'false')" in text
    assert "IS NULL OR isnan(" in text
    assert text == card_sql(demo, "apps")


def test_export_sql_to_stdout_and_bad_artifacts(demo: dict[str, Any], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "card.json"
    good.write_text(dumps(demo))
    assert main(["export-sql", "--artifact", str(good)]) == 0
    assert capsys.readouterr().out == card_sql(demo)

    tampered = json.loads(dumps(demo))
    tampered["features"][0]["bins"][0]["points"] += 1
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    assert main(["export-sql", "--artifact", str(bad)]) == 4
    assert "content_hash" in capsys.readouterr().err
    assert main(["score", "--artifact", str(bad), "--input", str(bad),
                 "--output", str(tmp_path / "x.csv")]) == 4


@pytest.mark.parametrize("name", ["order", "bad name", "1st", "default"])
def test_non_portable_names_are_refused(demo: dict[str, Any], name: str,
                                        tmp_path: Path) -> None:
    raw = json.loads(dumps(demo))
    raw["features"][0]["name"] = name
    card = seal(raw)
    with pytest.raises(SqlExportError, match="plain SQL identifier"):
        card_sql(card)
    path = tmp_path / "card.json"
    path.write_text(dumps(card))
    assert main(["export-sql", "--artifact", str(path)]) == 4


# ------------------------------------------------------------------------------- DuckDB


def test_duckdb_points_match_engine_on_boundary_rows(demo: dict[str, Any],
                                                     sample_csv: Path) -> None:
    want, points = _reference(demo, sample_csv)
    typed = "read_csv('{p}', delim=';', nullstr='NA', header=true, auto_detect=true)"
    got = _duckdb_card(demo, typed.format(p=sample_csv))
    np.testing.assert_array_equal(_points(demo, got), points)
    _assert_same(got, want, "uuid")


def test_duckdb_edges_nan_unseen_and_boolean_forms(demo: dict[str, Any]) -> None:
    edges = _edge_frame(demo, n=2_000)
    engine = ScoringEngine(demo)
    want = engine.score(_engine_view(edges))
    assert (want.bins == -1).any(), "the edge rows should hit unseen categories"
    kinds = np.array([f["kind"] for f in demo["features"]])
    cells = want.bins[:, kinds == "interaction"]
    assert (cells == -1).any() and len(np.unique(cells)) > 20, "edges should hit many cells"
    got = _duckdb_card(demo, "edges", edges=edges)
    np.testing.assert_array_equal(_points(demo, got), want.points)
    known = edges[edges["has_paid"] != "never seen"]
    ref = engine.score(_engine_view(known))
    for form in ("text", "bool", "lower"):
        got = _duckdb_card(demo, "frame", frame=_with_booleans(known, "has_paid", form))
        np.testing.assert_array_equal(_points(demo, got), ref.points, err_msg=form)
        assert np.abs(got["pd"].to_numpy() - ref.pd).max() <= PD_TOLERANCE


def test_duckdb_matches_respelled_labels_as_the_engine_on_a_normalised_card(
        demo: dict[str, Any]) -> None:
    card = json.loads(json.dumps(demo))
    parents = {p["name"] for f in card["features"] for p in f.get("parents", [])}
    text = [f["name"] for f in card["features"] if f["kind"] == "categorical"
            and f["name"] != "has_paid" and f["name"] not in parents and "derived" not in f]
    assert text
    for f in card["features"]:
        if f["name"] in text:
            f["category_match"] = "normalised"
    card = seal({k: v for k, v in card.items() if k not in ("content_hash", "model_id")})
    rows = _edge_frame(card, n=500)
    respelled = rows.copy()
    for name in text:
        respelled[name] = [v if not isinstance(v, str) else f"  {v.upper()} "
                           for v in rows[name]]
    engine = ScoringEngine(card)
    want = engine.score(_engine_view(rows))
    again = engine.score(_engine_view(respelled))
    np.testing.assert_array_equal(again.points, want.points)
    got = _duckdb_card(card, "respelled", respelled=respelled)
    np.testing.assert_array_equal(_points(card, got), want.points)
    exact = ScoringEngine(demo).score(_engine_view(respelled))
    assert (exact.points != want.points).any()  # as written, the respelled labels are unseen


def test_duckdb_runner_csv_and_parquet_via_cli(demo: dict[str, Any], sample_csv: Path,
                                               tmp_path: Path) -> None:
    want, _ = _reference(demo, sample_csv)
    card = tmp_path / "card.json"
    card.write_text(dumps(demo))
    frame = read_dataset(sample_csv, KLARNA).frame
    _write_parts(frame, tmp_path)
    cases = [(str(sample_csv), "duckdb", "out.csv"),
             (str(sample_csv), "duckdb", "out.parquet"),
             (str(tmp_path / "part-*.parquet"), "duckdb", "from_parquet.csv"),
             (str(tmp_path / "part-*.parquet"), "numpy", "numpy_parquet.parquet"),
             (str(sample_csv), "numpy", "numpy.csv")]
    for source, engine, name in cases:
        out = tmp_path / name
        assert main(["score", "--engine", engine, "--artifact", str(card), "--input", source,
                     "--output", str(out), "--memory-limit", "256MB", "--threads", "2"]) == 0
        got = _read(out)
        assert list(got.columns) == ["uuid", "pd", "score"], name
        _assert_same(got, want, "uuid")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_failed_run_leaves_previous_output(demo: dict[str, Any], sample_csv: Path,
                                           tmp_path: Path) -> None:
    lines = sample_csv.read_text().splitlines()
    header = lines[0].split(";")
    broken = lines[1].split(";")
    broken[header.index("age")] = "forty"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[2], ";".join(broken)]) + "\n")
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    with pytest.raises(ContractError, match="parse"):
        score_duckdb(demo, bad, out)
    card = tmp_path / "card.json"
    card.write_text(dumps(demo))
    assert main(["score", "--artifact", str(card), "--input", str(bad),
                 "--output", str(out)]) == 3
    missing = tmp_path / "missing.csv"
    missing.write_text(";".join(h for h in header if h != "age") + "\n")
    assert main(["score", "--artifact", str(card), "--input", str(missing),
                 "--output", str(out)]) == 3
    assert out.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.shared
@pytest.mark.parametrize("which", ["demo", "published"])
def test_duckdb_equals_numpy_on_real_rows(which: str, request: pytest.FixtureRequest,
                                          klarna_real_path: Path, tmp_path: Path) -> None:
    card = request.getfixturevalue(which)
    want, _ = _reference(card, klarna_real_path)
    run = score_duckdb(card, klarna_real_path, tmp_path / "out.csv")
    assert run.rows == 10_000
    _assert_same(_read(tmp_path / "out.csv"), want, "uuid")


@pytest.mark.parametrize("which", ["demo", "published"])
def test_duckdb_equals_numpy_on_generated_rows(which: str, request: pytest.FixtureRequest,
                                               generated_csv: Path, tmp_path: Path) -> None:
    card = request.getfixturevalue(which)
    want, _ = _reference(card, generated_csv)
    score_duckdb(card, generated_csv, tmp_path / "out.parquet")
    _assert_same(_read(tmp_path / "out.parquet"), want, "uuid")


@pytest.mark.shared
def test_duckdb_on_fitted_heloc_card(heloc_card: dict[str, Any], heloc_path: Path,
                                     tmp_path: Path) -> None:
    want, points = _reference(heloc_card, heloc_path)
    run = score_duckdb(heloc_card, heloc_path, tmp_path / "out.csv")
    got = _read(tmp_path / "out.csv")
    assert list(got.columns) == ["pd", "score"] and run.rows == len(want)
    _assert_same(got, want, None)
    relation = f"read_csv('{heloc_path}', header=true, auto_detect=true)"
    np.testing.assert_array_equal(_points(heloc_card, _duckdb_card(heloc_card, relation)),
                                  points)


# -------------------------------------------------------------------------------- Spark


def test_spark_literals_are_exact(spark: Any) -> None:
    sql = "SELECT " + ", ".join(f"{double_literal(x)} AS v{i}"
                                for i, x in enumerate(AWKWARD_FLOATS))
    texts = ["plain", "O'Brien", "back\\slash", "\\'", ""]
    sql += ", " + ", ".join(f"{string_literal(t)} AS s{i}" for i, t in enumerate(texts))
    row = spark.sql(sql).collect()[0]
    assert [_bits(row[f"v{i}"]) for i in range(len(AWKWARD_FLOATS))] == [
        _bits(x) for x in AWKWARD_FLOATS]
    assert [row[f"s{i}"] for i in range(len(texts))] == texts


def test_spark_points_match_engine(spark: Any, demo: dict[str, Any], sample_csv: Path,
                                   tmp_path: Path) -> None:
    """The exported SQL, unchanged, over the CSV (has_paid read as BOOLEAN) and over Parquet
    with NaN doubles, missing and unseen categories and has_paid as BOOLEAN or as text."""
    from scorecard.jobs.batch import expand_inputs

    want, points = _reference(demo, sample_csv)
    spark_frame(spark, expand_inputs(sample_csv), "csv", KLARNA, demo
                ).createOrReplaceTempView("applicants")
    spark.sql(card_sql(demo)).write.parquet(str(tmp_path / "csv_pts"))
    got = pd.read_parquet(tmp_path / "csv_pts").set_index("uuid").loc[want["uuid"]]
    np.testing.assert_array_equal(_points(demo, got), points)
    _assert_same(got.reset_index(), want, "uuid")

    edges = _edge_frame(demo, n=2_000)
    known = edges[edges["has_paid"] != "never seen"]
    ref = ScoringEngine(demo).score(_engine_view(known))
    for form in ("bool", "lower"):  # a BOOLEAN column, and lower-case text
        _with_booleans(known, "has_paid", form).to_parquet(tmp_path / f"{form}.parquet",
                                                           index=False)
        spark.read.parquet(str(tmp_path / f"{form}.parquet")
                           ).createOrReplaceTempView("applicants")
        spark.sql(card_sql(demo)).write.parquet(str(tmp_path / f"{form}_pts"))
        got = pd.read_parquet(tmp_path / f"{form}_pts").set_index("uuid").loc[known["uuid"]]
        np.testing.assert_array_equal(_points(demo, got), ref.points, err_msg=form)
        assert np.abs(got["pd"].to_numpy() - ref.pd).max() <= PD_TOLERANCE


@pytest.mark.shared
@pytest.mark.parametrize("which", ["demo", "published"])
def test_spark_equals_numpy_on_real_rows(which: str, spark: Any,
                                         request: pytest.FixtureRequest,
                                         klarna_real_path: Path, tmp_path: Path) -> None:
    card = request.getfixturevalue(which)
    want, _ = _reference(card, klarna_real_path)
    run = score_spark(card, klarna_real_path, tmp_path / "out.csv", spark=spark)
    assert run.rows == 10_000
    _assert_same(_read(tmp_path / "out.csv"), want, "uuid")


def test_spark_runner_keeps_order_across_files(spark: Any, demo: dict[str, Any],
                                              sample_csv: Path, tmp_path: Path) -> None:
    want, _ = _reference(demo, sample_csv)
    _write_parts(read_dataset(sample_csv, KLARNA).frame, tmp_path)
    run = score_spark(demo, str(tmp_path / "part-*.parquet"), tmp_path / "out.csv",
                      spark=spark)
    assert run.rows == len(want)
    _assert_same(_read(tmp_path / "out.csv"), want, "uuid")


def test_spark_runner_on_generated_rows(spark: Any, published: dict[str, Any],
                                        generated_csv: Path, tmp_path: Path) -> None:
    want, _ = _reference(published, generated_csv)
    score_spark(published, generated_csv, tmp_path / "out.parquet", spark=spark)
    _assert_same(_read(tmp_path / "out.parquet"), want, "uuid")


@pytest.mark.shared
def test_spark_on_fitted_heloc_card(spark: Any, heloc_card: dict[str, Any], heloc_path: Path,
                                    tmp_path: Path) -> None:
    want, _ = _reference(heloc_card, heloc_path)
    run = score_spark(heloc_card, heloc_path, tmp_path / "out.parquet", spark=spark)
    assert run.rows == len(want)
    _assert_same(_read(tmp_path / "out.parquet"), want, None)


def test_numpy_runner_matches_engine(demo: dict[str, Any], sample_csv: Path,
                                     tmp_path: Path) -> None:
    want, _ = _reference(demo, sample_csv)
    run = score_numpy(demo, sample_csv, tmp_path / "out.csv")
    assert run.rows == len(want)
    _assert_same(_read(tmp_path / "out.csv"), want, "uuid")
