"""The bad-file corpus (``tests/data/corpus``) through ``validate``, ``predict`` and ``regenerate``.

Every file is ``corpus/base.csv`` (12 generated rows) with one defect. A rejected file must
exit with 3 and a message naming the rule (and the column and 1-based data row where there is
one), and leave no output behind: the output path stays absent, or a previous output stays
byte-identical, and no temporary file is left in its folder. An accepted file (byte-order
mark, CRLF line endings, quoted fields, blank lines) must read to exactly the frame of
``base.csv`` and give byte-identical predictions. Most runs are in-process
(``scorecard.cli.main``); a representative subset runs the installed ``scorecard`` binary.
See ``corpus/README.md`` for the decisions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from scorecard.cli import EXIT_BAD_DATA, EXIT_OK, main
from scorecard.data.files import read_dataset
from tests.data.corpus.make_corpus import CASES, LARGE_CASES, build

CORPUS = Path(__file__).resolve().parent / "corpus"
SCORECARD = Path(sys.executable).parent / "scorecard"
ACCEPTED = ("bom.csv", "crlf.csv", "quoted.csv", "bom_crlf_quoted.csv", "blank_lines.csv")


@dataclass(frozen=True)
class Bad:
    """What the error message must contain: the rule, and column/rows/detail when given."""

    rule: str
    column: str | None = None
    rows: str | None = None
    detail: str | None = None


REJECTED: dict[str, Bad] = {
    "truncated.csv": Bad("field_count:", rows="row(s) 12 (24 fields)", detail="truncated"),
    "truncated_quoted.csv": Bad("field_count:", rows="row(s) 12 (38 fields)",
                                detail="truncated"),
    "short_row.csv": Bad("field_count:", rows="row(s) 5 (20 fields)"),
    "long_row.csv": Bad("parse:", detail="Expected 43 fields in line 4, saw 44"),
    "tab_separated.csv": Bad("separator:", detail="'\\t'"),
    "quoted_invalid.csv": Bad("[dtype]", "age", "4", "'twelve'"),
    "unterminated_quote.csv": Bad("parse:", detail="EOF inside string"),
    "duplicate_uuid.csv": Bad("[unique]", "uuid", "2, 9"),
    "missing_uuid_na.csv": Bad("[not_nullable]", "uuid", "4"),
    "missing_uuid_empty.csv": Bad("[str_length]", "uuid", "8"),
    "renamed_column.csv": Bad("[column_in_schema]", "agee", detail="[column_in_dataframe] "
                              "column 'age'"),
    "comma_decimal.csv": Bad("[dtype]", "time_hours", "3", "'12,5'"),
    "number_as_word.csv": Bad("[dtype]", "num_unpaid_bills", "5", "'twelve'"),
    "inf.csv": Bad("[finite]", "max_paid_inv_0_12m", "2", "(e.g. inf)"),
    "infinity.csv": Bad("[finite]", "account_incoming_debt_vs_paid_0_24m", "6", "(e.g. inf)"),
    "minus_infinity.csv": Bad("[finite]", "recovery_debt", "7", "(e.g. -inf)"),
    "nan_text.csv": Bad("[dtype]", "avg_payment_span_0_12m", "4", "'NaN'"),
    "label_yes.csv": Bad("[dtype]", "default", "1", "'yes'"),
    "label_half.csv": Bad("[integer]", "default", "1", "(e.g. 0.5)"),
    "label_minus_one.csv": Bad("[isin]", "default", "1", "(e.g. -1.0)"),
    "label_empty.csv": Bad("[dtype]", "default", "1", "(e.g. '')"),
    "empty.csv": Bad("empty_file:", detail="no header row"),
    "blank.csv": Bad("empty_file:", detail="no header row"),
    "latin1.csv": Bad("encoding:", detail="data row 3 holds byte 0xe9"),
    "utf16.csv": Bad("encoding:", detail="the header holds byte 0xff"),
    "nul_byte.csv": Bad("[isin]", "name_in_email", "3", "'F\\x00L'"),
    "huge_category.csv": Bad("[isin]", "merchant_category", "6", "(5000000 characters)"),
    "huge_number.csv": Bad("[dtype]", "recovery_debt", "7", "(5000000 characters)"),
}
# Fine for scoring, refused for training (regenerate, validate --require-labelled).
ONE_CLASS = Bad("two_classes:", detail="column 'default' has only class 0 among the 8 "
                "labelled rows")


def _check_message(err: str, bad: Bad) -> None:
    assert "error: invalid input data" in err, err
    assert bad.rule in err, err
    if bad.column is not None:
        assert f"column '{bad.column}'" in err, err
    if bad.rows is not None:
        assert (f"row(s): {bad.rows}" in err if bad.column else bad.rows in err), err
    if bad.detail is not None:
        assert bad.detail in err, err
    assert len(err) < 5_000, "the message must stay readable (no 5 MB cell echoed back)"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case by name: the committed files, plus the large ones built on the fly."""
    large = tmp_path_factory.mktemp("large")
    paths = {name: CORPUS / name for name in CASES}
    for name in LARGE_CASES:
        paths[name] = large / name
        paths[name].write_bytes(build(name))
    return paths


def test_corpus_is_complete_and_reproducible() -> None:
    """Every committed file is a known case, rebuilt byte for byte from base.csv."""
    committed = {p.name for p in CORPUS.glob("*.csv")} - {"base.csv"}
    assert committed == set(CASES)
    assert set(CASES) | set(LARGE_CASES) == set(REJECTED) | set(ACCEPTED) | {"one_class.csv"}
    for name in CASES:
        assert (CORPUS / name).read_bytes() == build(name), f"{name} drifted from make_corpus"
    readme = (CORPUS / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in [*CASES, *LARGE_CASES])


# --------------------------------------------------------------------------- accepted


@pytest.fixture(scope="module")
def base_frame() -> pd.DataFrame:
    return read_dataset(CORPUS / "base.csv").frame


@pytest.fixture(scope="module")
def base_predictions(artifact_path: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("base") / "pred.csv"
    assert main(["predict", "--artifact", str(artifact_path), "--input",
                 str(CORPUS / "base.csv"), "--output", str(out)]) == EXIT_OK
    return out.read_bytes()


@pytest.mark.parametrize("name", ACCEPTED)
def test_same_data_in_another_layout_is_accepted(name: str, base_frame: pd.DataFrame,
                                                 base_predictions: bytes, artifact_path: Path,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / name
    pd.testing.assert_frame_equal(read_dataset(path).frame, base_frame)
    assert main(["check", str(path), "--require-labelled"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == "valid: 12 rows (8 labelled, 4 to predict)"
    out = tmp_path / "pred.csv"
    assert main(["predict", "--artifact", str(artifact_path), "--input", str(path),
                 "--output", str(out)]) == EXIT_OK
    assert out.read_bytes() == base_predictions


# --------------------------------------------------------------------------- rejected


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_validate_rejects(name: str, corpus: dict[str, Path],
                          capsys: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    assert main(["check", str(corpus[name])]) == EXIT_BAD_DATA
    assert time.monotonic() - start < 30  # a 5 MB cell is an error, not a hang
    _check_message(capsys.readouterr().err, REJECTED[name])


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_predict_rejects_and_writes_nothing(name: str, corpus: dict[str, Path],
                                            artifact_path: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fresh = tmp_path / "fresh" / "pred.csv"
    assert main(["predict", "--artifact", str(artifact_path), "--input", str(corpus[name]),
                 "--output", str(fresh)]) == EXIT_BAD_DATA
    _check_message(capsys.readouterr().err, REJECTED[name])
    assert not fresh.exists()
    assert not fresh.parent.exists() or not any(fresh.parent.iterdir())
    # A previous output survives untouched, with no temp file beside it.
    old = tmp_path / "old"
    old.mkdir()
    (old / "pred.csv").write_text("uuid,pd\nprevious,0.5\n")
    before = _folder_state(old)
    assert main(["predict", "--artifact", str(artifact_path), "--input", str(corpus[name]),
                 "--output", str(old / "pred.csv")]) == EXIT_BAD_DATA
    assert _folder_state(old) == before


@pytest.mark.parametrize("name", sorted([*REJECTED, "one_class.csv"]))
def test_regenerate_refuses_before_writing(name: str, corpus: dict[str, Path],
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "card"
    path = corpus.get(name, CORPUS / name)
    assert main(["regenerate", "--data", str(path), "--out", str(out), "--no-challenger",
                 "--quiet"]) == EXIT_BAD_DATA
    _check_message(capsys.readouterr().err, REJECTED.get(name, ONE_CLASS))
    assert not out.exists()
    # A previously published card in the output folder stays as it was.
    out.mkdir()
    (out / "scorecard.json").write_text('{"previous": true}\n')
    assert main(["regenerate", "--data", str(path), "--out", str(out), "--no-challenger",
                 "--quiet"]) == EXIT_BAD_DATA
    assert _folder_state(out) == {"scorecard.json": b'{"previous": true}\n'}


def test_one_class_is_fine_for_scoring_but_not_for_training(
        artifact_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "one_class.csv"
    assert main(["check", str(path)]) == EXIT_OK
    assert main(["check", str(path), "--require-labelled"]) == EXIT_BAD_DATA
    _check_message(capsys.readouterr().err, ONE_CLASS)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--artifact", str(artifact_path), "--input", str(path),
                 "--output", str(out)]) == EXIT_OK
    assert len(pd.read_csv(out)) == 12


def test_too_few_defaults_to_split_is_a_data_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """base.csv is valid but has 2 defaults: training refuses with the rule (exit 3), not a
    traceback from the cross-validation splitter."""
    out = tmp_path / "card"
    assert main(["regenerate", "--data", str(CORPUS / "base.csv"), "--out", str(out),
                 "--no-challenger", "--quiet"]) == EXIT_BAD_DATA
    err = capsys.readouterr().err
    assert "class_counts: column 'default' has 6 of class 0, 2 of class 1" in err, err
    assert not out.exists()


def test_missing_input_file(artifact_path: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--artifact", str(artifact_path), "--input",
                 str(tmp_path / "absent.csv"), "--output", str(tmp_path / "p.csv")]) == 3
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


# --------------------------------------------------------------------------- real binary


@dataclass
class Run:
    args: list[str]
    out: Path
    proc: subprocess.Popen[str] | None = None
    stderr: str = ""


@pytest.fixture(scope="module")
def binary_runs(corpus: dict[str, Path], artifact_path: Path,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """A representative subset through the installed ``scorecard`` entry point, started
    together (each run pays the interpreter and import start-up)."""
    tmp = tmp_path_factory.mktemp("binary")
    (tmp / "old").mkdir()
    shutil.copy(CORPUS / "base.csv", tmp / "old" / "pred.csv")  # a previous output
    card = ["--artifact", str(artifact_path)]
    runs = {
        "validate huge": Run(["check", str(corpus["huge_category.csv"])], tmp / "none"),
        "predict truncated over old": Run(["predict", *card, "--input",
                                           str(corpus["truncated.csv"]), "--output",
                                           str(tmp / "old" / "pred.csv")], tmp / "old"),
        "predict latin1": Run(["predict", *card, "--input", str(corpus["latin1.csv"]),
                               "--output", str(tmp / "l1" / "pred.csv")], tmp / "l1"),
        "regenerate one class": Run(["regenerate", "--data", str(CORPUS / "one_class.csv"),
                                     "--out", str(tmp / "card"), "--no-challenger"],
                                    tmp / "card"),
        "predict bom crlf quoted": Run(["predict", *card, "--input",
                                        str(CORPUS / "bom_crlf_quoted.csv"), "--output",
                                        str(tmp / "ok" / "pred.csv")], tmp / "ok"),
    }
    for run in runs.values():
        run.proc = subprocess.Popen([str(SCORECARD), *run.args], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
    for run in runs.values():
        assert run.proc is not None
        _, run.stderr = run.proc.communicate(timeout=300)
    return runs


def test_binary_huge_field_is_a_short_clear_error(binary_runs: dict[str, Run]) -> None:
    run = binary_runs["validate huge"]
    assert run.proc is not None and run.proc.returncode == EXIT_BAD_DATA, run.stderr
    _check_message(run.stderr, REJECTED["huge_category.csv"])
    # Nothing but the error: no library warnings in front of it.
    assert run.stderr.startswith("error: invalid input data"), run.stderr[:500]


def test_binary_truncated_keeps_previous_output(binary_runs: dict[str, Run]) -> None:
    run = binary_runs["predict truncated over old"]
    assert run.proc is not None and run.proc.returncode == EXIT_BAD_DATA, run.stderr
    _check_message(run.stderr, REJECTED["truncated.csv"])
    assert _folder_state(run.out) == {"pred.csv": (CORPUS / "base.csv").read_bytes()}


def test_binary_latin1_writes_nothing(binary_runs: dict[str, Run]) -> None:
    run = binary_runs["predict latin1"]
    assert run.proc is not None and run.proc.returncode == EXIT_BAD_DATA, run.stderr
    _check_message(run.stderr, REJECTED["latin1.csv"])
    assert not run.out.exists()


def test_binary_regenerate_one_class(binary_runs: dict[str, Run]) -> None:
    run = binary_runs["regenerate one class"]
    assert run.proc is not None and run.proc.returncode == EXIT_BAD_DATA, run.stderr
    _check_message(run.stderr, ONE_CLASS)
    assert not run.out.exists()


def test_binary_accepts_bom_crlf_quoted(binary_runs: dict[str, Run],
                                        base_predictions: bytes) -> None:
    run = binary_runs["predict bom crlf quoted"]
    assert run.proc is not None and run.proc.returncode == EXIT_OK, run.stderr
    assert _folder_state(run.out) == {"pred.csv": base_predictions}
