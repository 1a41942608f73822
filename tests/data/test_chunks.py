"""Chunked reading: the same frame and the same problems as a whole-file read, global rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from scorecard.data.arrow import prefetched
from scorecard.data.block import Block, Categories, id_hashes
from scorecard.data.chunks import (
    StreamUnavailableError,
    _duplicates,
    iter_dataset,
    read_chunks,
)
from scorecard.data.contract import KLARNA
from scorecard.data.errors import ContractError
from scorecard.data.files import read_dataset, write_dataset
from tests.support.builders import sample_frame

SMALL = 64 << 10  # 64 KiB blocks: a 3,000-row file spans a dozen of them


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "clean.csv"
    write_dataset(sample_frame(KLARNA, 3_000, seed=21), path, KLARNA)
    return path


def _edit(path: Path, out: Path, edits: dict[tuple[int, str], str]) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines()
    for (row, column), value in edits.items():
        cells = lines[row].split(";")
        cells[KLARNA.names.index(column)] = value
        lines[row] = ";".join(cells)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_chunks_of_a_clean_file_concatenate_to_the_whole_file_read(clean: Path) -> None:
    chunks = list(iter_dataset(clean, KLARNA, chunk_bytes=SMALL))
    assert len(chunks) > 5
    assert chunks[1].start == len(chunks[0])  # global rows
    frames = [c.to_frame() for c in chunks]
    assert frames[1].index[0] == len(chunks[0])
    pd.testing.assert_frame_equal(pd.concat(frames), read_dataset(clean, KLARNA).frame,
                                  check_exact=True)


def test_problems_in_different_chunks_are_reported_once_with_global_rows(
        clean: Path, tmp_path: Path) -> None:
    uuid = clean.read_text().splitlines()[3].split(";")[0]
    bad = _edit(clean, tmp_path / "bad.csv", {(10, "age"): "101", (2_900, "age"): "150",
                                              (2_500, "uuid"): uuid, (1_200, "time_hours"): "24"})
    with pytest.raises(ContractError) as chunked:
        for _ in iter_dataset(bad, KLARNA, chunk_bytes=SMALL):
            pass
    with pytest.raises(ContractError) as whole:
        read_dataset(bad, KLARNA)
    assert chunked.value.report == whole.value.report
    assert "in 2 row(s): 3, 2500" in chunked.value.report
    assert "in 2 row(s): 10, 2900" in chunked.value.report


def test_a_block_that_does_not_parse_names_its_rows(clean: Path, tmp_path: Path) -> None:
    bad = _edit(clean, tmp_path / "text.csv", {(2_000, "age"): "forty"})
    with pytest.raises(ContractError, match="parse: "):
        list(iter_dataset(bad, KLARNA, chunk_bytes=SMALL))


def test_a_header_that_is_not_the_contract_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("uuid;age\nx;30\n")
    with pytest.raises(ContractError, match="column_in_dataframe"):
        list(iter_dataset(path, KLARNA))


def test_a_header_without_rows_is_an_empty_file(clean: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(clean.read_text().splitlines()[0] + "\n")
    with pytest.raises(ContractError, match="empty_file"):
        list(iter_dataset(path, KLARNA))


def test_read_chunks_gives_the_precise_report_for_a_small_file_the_stream_cannot_parse(
        clean: Path, tmp_path: Path) -> None:
    bad = _edit(clean, tmp_path / "text.csv", {(2_000, "age"): "forty"})
    with pytest.raises(ContractError) as chunked:
        list(read_chunks(bad, KLARNA, chunk_bytes=SMALL))
    with pytest.raises(ContractError) as whole:
        read_dataset(bad, KLARNA)
    assert chunked.value.report == whole.value.report
    assert "forty" in chunked.value.report and "2000" in chunked.value.report


def test_read_chunks_keeps_the_stream_message_for_a_file_too_large_to_read_whole(
        clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _edit(clean, tmp_path / "text.csv", {(2_000, "age"): "forty"})
    monkeypatch.setenv("SCORECARD_STREAM_ABOVE_BYTES", "1000")
    with pytest.raises(StreamUnavailableError, match=r"parse: after data row \d+: .*'forty'"):
        list(read_chunks(bad, KLARNA, chunk_bytes=SMALL))


def test_read_chunks_holds_categories_as_codes_of_the_whole_file_values(clean: Path) -> None:
    chunks = list(read_chunks(clean, KLARNA, chunk_bytes=SMALL))
    categories = [c.name for c in KLARNA.columns if c.kind == "category"]
    assert categories and all(isinstance(chunks[0][c], Categories) for c in categories)
    first = chunks[0][categories[0]]
    assert len(first.categories) < len(first) and first.codes.dtype == np.int32
    whole = read_dataset(clean, KLARNA).frame
    pd.testing.assert_frame_equal(pd.concat(c.to_frame() for c in chunks), whole,
                                  check_exact=True)


def test_a_frame_made_a_block_and_back_is_the_same_frame(clean: Path) -> None:
    whole = read_dataset(clean, KLARNA).frame
    rest = whole.iloc[1_000:]
    block = Block.from_frame(rest, KLARNA, start=1_000)
    pd.testing.assert_frame_equal(block.to_frame(), rest, check_exact=True)
    some = block.to_frame([0, 5, 17])
    pd.testing.assert_frame_equal(some, rest.iloc[[0, 5, 17]], check_exact=True)


def test_a_byte_order_mark_is_read_whole_by_read_chunks(clean: Path, tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + clean.read_bytes())
    assert sum(len(c) for c in read_chunks(bom, KLARNA, chunk_bytes=SMALL)) == 3_000


def test_a_hash_collision_alone_is_not_a_duplicate(clean: Path) -> None:
    ids = pa.array(read_dataset(clean, KLARNA).frame["uuid"].to_numpy(dtype=object), pa.string())
    forged = id_hashes(ids)
    forged[7] = forged[3]  # two different ids whose hashes agree
    assert _duplicates(clean, KLARNA, list(KLARNA.names), forged, SMALL) == []


def test_read_ahead_hands_over_every_block_in_order_and_the_error_where_it_happened() -> None:
    def blocks() -> Iterator[pd.DataFrame]:
        for k in range(5):
            yield pd.DataFrame({"k": [k]})
        raise ContractError("broken after five blocks")

    seen: list[int] = []
    with pytest.raises(ContractError, match="broken after five blocks"):
        for block in prefetched(blocks(), depth=1):
            seen.append(int(block["k"].iloc[0]))
    assert seen == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_stops_the_read_ahead() -> None:
    closed: list[bool] = []

    def endless() -> Iterator[pd.DataFrame]:
        try:
            while True:
                yield pd.DataFrame({"k": [0]})
        finally:
            closed.append(True)

    for _ in zip(range(3), prefetched(endless(), depth=2), strict=False):
        pass
    assert closed == [True]
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_a_streamed_block_scores_as_its_frame_on_every_kind_of_rule(clean: Path) -> None:
    # demo_card: numeric, special-code, categorical (with unseen labels), boolean and
    # interaction rules; the block holds categories as arrow dictionaries, the frame as text.
    from scorecard.card.engine import ScoringEngine
    from tests.support.builders import demo_card

    whole = read_dataset(clean, KLARNA).frame
    engine = ScoringEngine(demo_card(KLARNA, whole, seed=3, interactions=True))
    blocks = list(read_chunks(clean, KLARNA, chunk_bytes=SMALL))
    streamed = [engine.score(b) for b in blocks]
    direct = engine.score(whole)
    for name in ("bins", "points", "score", "pd"):
        got = np.concatenate([getattr(r, name) for r in streamed])
        np.testing.assert_array_equal(got, getattr(direct, name), err_msg=name)
    fast = engine.score(blocks[0], with_bins=False)
    assert fast.bins is None
    np.testing.assert_array_equal(fast.points, streamed[0].points)
