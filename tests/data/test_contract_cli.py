"""The reader and the data commands on bad files: every error names rule, column and rows.

Each bad file is a small generated file with one edit. Rows in messages are 1-based data rows
(the header excluded), so editing text line ``k`` (0 = header) is reported as row ``k``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard.cli import EXIT_BAD_DATA, main
from scorecard.data.errors import ContractError
from scorecard.data.files import read_dataset
from scorecard.data.synthetic.generator import write_generated


@pytest.fixture(scope="module")
def good_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contract") / "good.csv"
    write_generated(path, rows=200, unlabelled=40, seed=7)
    return path


@pytest.fixture()
def lines(good_file: Path) -> list[str]:
    """The good file's lines (header first), without the trailing empty one."""
    return good_file.read_text().rstrip("\n").split("\n")


def _header(lines: list[str]) -> list[str]:
    return lines[0].split(";")


def _edit(lines: list[str], line: int, column: str, value: str) -> list[str]:
    out = list(lines)
    cells = out[line].split(";")
    cells[_header(lines).index(column)] = value
    out[line] = ";".join(cells)
    return out


def _write(tmp_path: Path, lines: list[str] | str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(lines if isinstance(lines, str) else "\n".join(lines) + "\n")
    return path


def _validate(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Run ``scorecard validate`` and return its stderr; the exit code must be 3."""
    assert main(["check", str(path), *extra]) == EXIT_BAD_DATA
    return capsys.readouterr().err


def _check(err: str, rule: str, column: str | None = None, rows: str | None = None) -> None:
    assert f"{rule}" in err, err
    if column is not None:
        assert f"column '{column}'" in err, err
    if rows is not None:
        assert f"row(s): {rows}" in err, err


def test_good_file_validates(good_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(good_file)]) == 0
    assert capsys.readouterr().out.strip() == "valid: 200 rows (160 labelled, 40 to predict)"


@pytest.mark.shared
def test_real_rows_validate_with_zero_violations(klarna_real_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    dataset = read_dataset(klarna_real_path)
    assert len(dataset.frame) == 10_000 and len(dataset.to_predict) == 10_000
    assert main(["check", str(klarna_real_path)]) == 0
    assert "valid: 10000 rows (0 labelled, 10000 to predict)" in capsys.readouterr().out


def test_wrong_separator(tmp_path: Path, lines: list[str],
                         capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, [line.replace(";", ",") for line in lines])
    err = _validate(path, capsys)
    _check(err, "separator:")
    assert "','" in err and "';'" in err  # the separator found and the one expected


def test_missing_column(tmp_path: Path, lines: list[str],
                        capsys: pytest.CaptureFixture[str]) -> None:
    i = _header(lines).index("age")
    path = _write(tmp_path, [";".join(c for j, c in enumerate(line.split(";")) if j != i)
                             for line in lines])
    _check(_validate(path, capsys), "[column_in_dataframe]", "age")


def test_extra_column(tmp_path: Path, lines: list[str],
                      capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, [lines[0] + ";shoe_size"] + [line + ";42" for line in lines[1:]])
    _check(_validate(path, capsys), "[column_in_schema]", "shoe_size")


def test_duplicated_column(tmp_path: Path, lines: list[str],
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, [lines[0] + ";time_hours"] + [line + ";1.5" for line in lines[1:]])
    _check(_validate(path, capsys), "[unique_columns]", "time_hours")


def test_duplicate_uuids(tmp_path: Path, lines: list[str],
                         capsys: pytest.CaptureFixture[str]) -> None:
    first = lines[3].split(";")[0]
    path = _write(tmp_path, _edit(lines, 17, "uuid", first))
    _check(_validate(path, capsys), "[unique]", "uuid", "3, 17")


def test_non_numeric_text_in_numeric_column(tmp_path: Path, lines: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _edit(lines, 5, "num_unpaid_bills", "three"))
    err = _validate(path, capsys)
    _check(err, "[dtype]", "num_unpaid_bills", "5")
    assert "'three'" in err
    # the unparsable text is reported once, not again as a missing value
    assert "not_nullable" not in err


def test_unknown_category(tmp_path: Path, lines: list[str],
                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _edit(lines, 12, "name_in_email", "Pseudonym"))
    err = _validate(path, capsys)
    _check(err, "[isin]", "name_in_email", "12")
    assert "'Pseudonym'" in err


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _validate(_write(tmp_path, ""), capsys)
    _check(err, "empty_file:")
    assert "no header row" in err


def test_header_only_file(tmp_path: Path, lines: list[str],
                          capsys: pytest.CaptureFixture[str]) -> None:
    err = _validate(_write(tmp_path, [lines[0]]), capsys)
    _check(err, "empty_file:")
    assert "no data rows" in err


def test_no_labelled_rows_when_training_requires_them(tmp_path: Path, lines: list[str],
                                                      capsys: pytest.CaptureFixture[str],
                                                      ) -> None:
    edited = list(lines)
    for k in range(1, len(edited)):
        edited = _edit(edited, k, "default", "NA")
    path = _write(tmp_path, edited)
    assert len(read_dataset(path).to_predict) == 200  # fine for predicting
    with pytest.raises(ContractError, match=r"labelled_rows: column 'default'"):
        read_dataset(path, require_labelled=True)
    _check(_validate(path, capsys, "--require-labelled"), "labelled_rows:", "default")


@pytest.mark.parametrize(("column", "value", "line", "rule"), [
    ("age", "17", 6, "[greater_than_or_equal_to]"),
    ("age", "101", 7, "[less_than_or_equal_to]"),
    ("time_hours", "24.0", 9, "[less_than]"),
    ("default", "2", 8, "[isin]"),
])
def test_out_of_range_values(tmp_path: Path, lines: list[str],
                             capsys: pytest.CaptureFixture[str], column: str, value: str,
                             line: int, rule: str) -> None:
    path = _write(tmp_path, _edit(lines, line, column, value))
    err = _validate(path, capsys)
    _check(err, rule, column, str(line))
    assert f"{float(value)!r}" in err  # the offending value, shown plainly


def test_several_violations_are_all_reported(tmp_path: Path, lines: list[str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    edited = _edit(_edit(lines, 2, "age", "17"), 4, "merchant_group", "Spaceships")
    err = _validate(_write(tmp_path, edited), capsys)
    assert "2 contract violation(s)" in err
    _check(err, "[greater_than_or_equal_to]", "age", "2")
    _check(err, "[isin]", "merchant_group", "4")


# --------------------------------------------------------------------------- other commands


@pytest.mark.parametrize("command", ["generate-data", "check", "oracle", "realism"])
def test_every_data_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: scorecard {command}" in out and len(out) > 300


def test_generate_data_command_writes_data_and_truth(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "mini.csv"
    assert main(["generate-data", "--output", str(out), "--rows", "300", "--unlabelled", "30",
                 "--seed", "4"]) == 0
    captured = capsys.readouterr()
    assert "generating 300 rows" in captured.err and "wrote" in captured.out
    assert out.exists() and (tmp_path / "sub" / "mini.truth.csv").exists()
    assert len(read_dataset(out).to_predict) == 30


def test_realism_command_skips_without_real_file(tmp_path: Path, good_file: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["realism", "--data", str(good_file), "--real",
                 str(tmp_path / "absent.csv")]) == 0
    assert "skipped" in capsys.readouterr().out


@pytest.mark.shared
def test_realism_command_prints_the_table(good_file: Path, klarna_real_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["realism", "--data", str(good_file), "--real", str(klarna_real_path)]) == 0
    out = capsys.readouterr().out
    assert "missing_diff_pp" in out and "worst 5 columns" in out and "merchant_category" in out
