"""The fast typed reader and the precise reader accept and reject exactly the same cells."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.data import files
from scorecard.data.chunks import read_chunks
from scorecard.data.contract import HELOC, KLARNA, Column, Contract
from scorecard.data.errors import ContractError
from scorecard.data.files import write_dataset
from tests.support.builders import sample_frame

# Cell texts that break (or nearly break) a rule, for any column kind.
FAULTS = ("-1", "1.5", "7", "400", "24", "NA", "", "nan", "inf", "-inf", "1e400", "abc",
          "true", "TRUE", "yes", " 1", "2.0", "0", "Unknown category", "1,5", "00012")


def _near_rule(col: Column) -> tuple[str, ...]:
    """Cell texts at and just past the column's own bounds and value set: a fault that only
    this column's rule catches (the generic FAULTS rarely land on the one column they break)."""
    out: list[float | str] = []
    for bound in (col.min, col.max):
        if bound is not None:
            out += [bound, bound - 1, bound + 1, bound + 0.5]
    if col.allowed is not None:
        if isinstance(col.allowed[0], str):
            out += [str(col.allowed[0]).upper(), f"{col.allowed[-1]} "]
        else:
            out += [max(col.allowed) + 1, min(col.allowed) - 1, max(col.allowed)]
    return tuple(repr(v) if isinstance(v, float) else str(v) for v in out)


def _base_lines(contract: Contract, n: int, seed: int) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.csv"
        write_dataset(sample_frame(contract, n, seed=seed), path, contract)
        text = path.read_text(encoding="utf-8")
    return [line.split(contract.separator) for line in text.splitlines()]


def read_dataset_bytes(raw: bytes, contract: Contract) -> pd.DataFrame:
    """What :func:`read_dataset` does with a file's bytes: fast path, else precise."""
    frame = files._read_fast(raw, contract)
    return files._read_precise(raw, contract) if frame is None else frame


@st.composite
def faulty_files(draw: st.DrawFn) -> tuple[bytes, Contract]:
    contract = draw(st.sampled_from([KLARNA, HELOC]))
    lines = _base_lines(contract, 30, seed=draw(st.integers(0, 3)))
    header, rows = lines[0], [list(r) for r in lines[1:]]
    ruled = [k for k, name in enumerate(header) if _near_rule(contract.column(name))]
    for _ in range(draw(st.integers(0, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.one_of(st.integers(0, len(header) - 1), st.sampled_from(ruled)))
        near = _near_rule(contract.column(header[c]))
        rows[r][c] = draw(st.one_of(st.sampled_from(FAULTS), st.sampled_from(near))
                          if near else st.sampled_from(FAULTS))
    if contract.id_column and draw(st.booleans()):
        k = header.index(contract.id_column)
        rows[1][k] = rows[0][k]  # a duplicated id
    end = draw(st.sampled_from(["\n", "\r\n"]))  # a piece may end between \r and \n
    last = draw(st.sampled_from([end, "", end * 3]))  # no final line end, or blank lines
    text = end.join(contract.separator.join(r) for r in [header, *rows]) + last
    return text.encode("utf-8"), contract


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=faulty_files())
def test_fast_and_precise_paths_give_the_same_frame_or_the_same_report(
        case: tuple[bytes, Contract]) -> None:
    raw, contract = case
    assert_same_outcome(lambda: read_dataset_bytes(raw, contract),
                        lambda: files._read_precise(raw, contract))


def _outcome(read: Callable[[], pd.DataFrame]) -> pd.DataFrame | str:
    try:
        return read()
    except ContractError as exc:
        return exc.report


def assert_same_outcome(read: Callable[[], pd.DataFrame],
                        expected: Callable[[], pd.DataFrame]) -> None:
    """Both reads give the same frame, or both fail with the same report."""
    got, want = _outcome(read), _outcome(expected)
    if isinstance(got, str) or isinstance(want, str):
        assert got == want
    else:
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_clean_file_takes_the_fast_path_and_reads_as_the_precise_path(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    write_dataset(sample_frame(KLARNA, 500, seed=9), path, KLARNA)
    raw = path.read_bytes()
    fast = files._read_fast(raw, KLARNA)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, files._read_precise(raw, KLARNA), check_exact=True)


def test_a_rule_broken_on_a_clean_parse_is_reported_by_the_fast_path_with_global_rows(
        tmp_path: Path) -> None:
    path = tmp_path / "ages.csv"
    frame = sample_frame(KLARNA, 200, seed=3)
    frame.loc[[17, 150], "age"] = 101.0
    write_dataset(frame, path, KLARNA)
    raw = path.read_bytes()
    with pytest.raises(ContractError) as fast:
        files._read_fast(raw, KLARNA)
    with pytest.raises(ContractError) as precise:
        files._read_precise(raw, KLARNA)
    assert fast.value.report == precise.value.report
    assert "in 2 row(s): 18, 151" in fast.value.report


def test_text_in_a_number_column_falls_back_to_the_precise_report(tmp_path: Path) -> None:
    path = tmp_path / "text.csv"
    frame = sample_frame(KLARNA, 50, seed=4)
    write_dataset(frame, path, KLARNA)
    lines = path.read_text().splitlines()
    cells = lines[5].split(";")
    cells[KLARNA.names.index("age")] = "forty"
    lines[5] = ";".join(cells)
    raw = ("\n".join(lines) + "\n").encode()
    assert files._read_fast(raw, KLARNA) is None
    with pytest.raises(ContractError, match=r"\[dtype\] column 'age'.*row\(s\): 5"):
        read_dataset_bytes(raw, KLARNA)


def test_real_rows_read_the_same_by_both_paths(klarna_real_path: Path) -> None:
    raw = klarna_real_path.read_bytes()
    fast = files._read_fast(raw, KLARNA)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, files._read_precise(raw, KLARNA), check_exact=True)
    assert np.isfinite(fast["age"]).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=faulty_files(), piece=st.sampled_from([600, 2_000, 1 << 20]))
def test_the_stream_in_pieces_gives_the_precise_frame_or_the_precise_report(
        case: tuple[bytes, Contract], piece: int) -> None:
    # Pieces of a few rows each: the faults and the duplicated id fall in different blocks,
    # parsed by different threads, and the report must still be the whole-file one.
    raw, contract = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "faulty.csv"
        path.write_bytes(raw)
        assert_same_outcome(lambda: pd.concat(b.to_frame() for b in
                                              read_chunks(path, contract, chunk_bytes=piece)),
                            lambda: files._read_precise(raw, contract))
