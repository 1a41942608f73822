"""No command damages a file it was not asked to write (issue 18).

Real files and real commands (``scorecard.cli.main`` in-process, or a subprocess where a
regression could hang on a FIFO): an output that is an input or the artifact, a symbolic
link, a directory, a FIFO or a device is refused with exit 2 and everything stays intact;
inputs that are not regular files or exceed the documented size limits are refused before
they are read; text cells a spreadsheet would run as formulas are neutralised in CSV outputs.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scorecard.cli import EXIT_BAD_ARTIFACT, EXIT_BAD_DATA, EXIT_OK, EXIT_USAGE, main
from scorecard.data.atomic import atomic_write_text
from scorecard.data.safety import UnsafePathError, output_file
from scorecard.jobs.outputs import neutralise_formulas, write_csv
from tests.support.paths import REPO

CORPUS = REPO / "tests" / "data" / "corpus"
FORMULAS = ["=1+2", "@SUM(A1)", "-2+3", "+1", "\tx"]


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    shutil.copyfile(CORPUS / "base.csv", path)
    return path


@pytest.fixture()
def card(tmp_path: Path) -> Path:
    path = tmp_path / "card.json"
    shutil.copyfile(REPO / "reports" / "scorecard.json", path)
    return path


def _snapshot(*paths: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths}


def _intact(before: dict[Path, bytes]) -> None:
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} changed"
        assert not list(path.parent.glob(".*.tmp")), "a temporary file was left behind"


# A command writing OUT, given the input data file and the card.
Writer = Callable[[Path, Path, Path], list[str]]
WRITERS: dict[str, Writer] = {
    "predict": lambda data, art, out: ["predict", "--artifact", str(art), "--input", str(data),
                                       "--output", str(out)],
    "score duckdb": lambda data, art, out: ["score", "--artifact", str(art), "--input",
                                            str(data), "--output", str(out)],
    "score numpy": lambda data, art, out: ["score", "--engine", "numpy", "--artifact",
                                           str(art), "--input", str(data), "--output",
                                           str(out)],
    "export-sql": lambda data, art, out: ["export-sql", "--artifact", str(art), "--output",
                                          str(out)],
    "oracle": lambda data, art, out: ["oracle", "--input", str(data), "--output", str(out)],
    "generate-data": lambda data, art, out: ["generate-data", "--rows", "30", "--unlabelled",
                                             "5", "--quiet", "--output", str(out)],
}
READS_DATA = ("predict", "score duckdb", "score numpy", "oracle")
READS_CARD = ("predict", "score duckdb", "score numpy", "export-sql")


def _spellings(good: Path) -> dict[str, Path]:
    """The input under other names: the same path, with ``..``, a hard link."""
    (good.parent / "sub").mkdir(exist_ok=True)
    hard = good.parent / "hard.csv"
    if not hard.exists():
        os.link(good, hard)
    return {"same path": good, "dotdot": good.parent / "sub" / ".." / good.name,
            "hard link": hard}


@pytest.mark.parametrize("spelling", ["same path", "dotdot", "hard link"])
@pytest.mark.parametrize("command", READS_DATA)
def test_an_output_that_is_the_input_is_refused(command: str, spelling: str, good: Path,
                                                card: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = _spellings(good)[spelling]
    before = _snapshot(good, card)
    assert main(WRITERS[command](good, card, out)) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "is the same file as --input" in err and str(out) in err, err
    _intact(before)


@pytest.mark.parametrize("command", READS_CARD)
def test_an_output_that_is_the_artifact_is_refused(command: str, good: Path, card: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(good, card)
    assert main(WRITERS[command](good, card, card)) == EXIT_USAGE
    assert "is the same file as --artifact" in capsys.readouterr().err
    _intact(before)


def _special(kind: str, tmp_path: Path, other: Path) -> Path:
    path = tmp_path / f"special-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "symlink":
        path.symlink_to(other)
    elif kind == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere.csv")
    elif kind == "device":
        try:  # a null device of our own: the system's /dev/null is never put at risk
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except (PermissionError, OSError):
            pytest.skip("cannot create a device node here")
    return path


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink", "dangling symlink",
                                  "device"])
@pytest.mark.parametrize("command", list(WRITERS))
def test_an_output_that_is_not_a_regular_file_is_refused(
        command: str, kind: str, good: Path, card: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "someone_elses.csv"
    other.write_text("precious\n")
    out = _special(kind, tmp_path, other)
    mode = os.lstat(out).st_mode
    before = _snapshot(good, card, other)
    assert main(WRITERS[command](good, card, out)) == EXIT_USAGE
    err = capsys.readouterr().err
    assert str(out) in err and "refusing to replace it" in err, err
    assert os.lstat(out).st_mode == mode  # still the FIFO, directory, link or device
    _intact(before)


def test_the_system_dev_null_is_refused_by_the_check_and_the_writer() -> None:
    """Both layers refuse before any write (calling them cannot touch /dev/null)."""
    with pytest.raises(UnsafePathError, match="is a device"):
        output_file("/dev/null")
    with pytest.raises(UnsafePathError, match="not a regular file"):
        atomic_write_text("/dev/null", "x")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_an_input_that_is_not_a_regular_file_is_refused_unread(source: str,
                                                               tmp_path: Path) -> None:
    """In a subprocess: reading a FIFO with no writer would block forever."""
    path = source
    if source == "fifo":
        path = str(tmp_path / "pipe")
        os.mkfifo(path)
    for args in (["predict", "--input", path, "--output", str(tmp_path / "o.csv")],
                 ["check", path], ["score", "--input", path, "--output",
                                      str(tmp_path / "o.csv")]):
        run = subprocess.run([sys.executable, "-m", "scorecard", *args], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == EXIT_BAD_DATA, run.stderr
        assert f"{path}: is a" in run.stderr and "name a regular file" in run.stderr
    assert not (tmp_path / "o.csv").exists()


def test_inputs_above_the_limit_are_refused(good: Path, card: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.csv"
    monkeypatch.setenv("SCORECARD_MAX_INPUT_BYTES", "1KiB")
    assert main(WRITERS["score numpy"](good, card, out)) == EXIT_BAD_DATA
    err = capsys.readouterr().err
    assert "above the limit of 1.0 KiB" in err and "SCORECARD_MAX_INPUT_BYTES" in err, err
    # predict, validate and DuckDB stream: the in-memory limit does not apply to them.
    for args in (WRITERS["predict"](good, card, out), ["check", str(good)],
                 WRITERS["score duckdb"](good, card, out)):
        assert main(args) == EXIT_OK
    monkeypatch.setenv("SCORECARD_MAX_INPUT_BYTES", "lots")
    assert main(WRITERS["score numpy"](good, card, out)) == EXIT_USAGE
    assert "SCORECARD_MAX_INPUT_BYTES" in capsys.readouterr().err


def test_an_artifact_above_the_limit_is_refused(good: Path, card: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SCORECARD_MAX_ARTIFACT_BYTES", "4096")
    for args in (WRITERS["predict"](good, card, tmp_path / "o.csv"),
                 ["export-sql", "--artifact", str(card)], ["serve", "--artifact", str(card)]):
        assert main(args) == EXIT_BAD_ARTIFACT
        err = capsys.readouterr().err
        assert f"{card}: is " in err and "SCORECARD_MAX_ARTIFACT_BYTES" in err, err
    assert not (tmp_path / "o.csv").exists()


def test_missing_output_folders_are_created_and_a_file_in_the_way_is_named(
        good: Path, card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "a" / "b" / "c" / "scores.csv"
    assert main(WRITERS["predict"](good, card, deep)) == EXIT_OK
    assert deep.read_text().startswith("uuid,pd,score,")
    under_a_file = good / "scores.csv"
    before = _snapshot(good)
    assert main(WRITERS["predict"](good, card, under_a_file)) == EXIT_USAGE
    assert f"{under_a_file}: a part of the path is a file" in capsys.readouterr().err
    _intact(before)


def test_a_name_too_long_is_named_not_a_traceback(good: Path, card: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(WRITERS["predict"](good, card, tmp_path / ("x" * 256))) == EXIT_USAGE
    assert "too long (256 bytes; the file system allows 255)" in capsys.readouterr().err
    # A name just under the limit works: the temporary name beside it is cut to fit.
    near = tmp_path / ("y" * 251 + ".csv")
    assert main(WRITERS["predict"](good, card, near)) == EXIT_OK and near.exists()


def test_regenerate_refuses_an_out_folder_that_holds_its_data(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    data = out / "predictions.csv"  # what regenerate would write over
    shutil.copyfile(good, data)
    before = _snapshot(data)
    assert main(["regenerate", "--data", str(data), "--out", str(out), "--quiet"]) == EXIT_USAGE
    assert "is the same file as --data" in capsys.readouterr().err
    _intact(before)


def test_generate_data_refuses_a_symlinked_truth_file(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    precious = tmp_path / "precious.csv"
    precious.write_text("keep me\n")
    (tmp_path / "gen.truth.csv").symlink_to(precious)
    assert main(["generate-data", "--rows", "20", "--unlabelled", "2", "--quiet",
                 "--output", str(tmp_path / "gen.csv")]) == EXIT_USAGE
    assert "gen.truth.csv: is a symbolic link" in capsys.readouterr().err
    assert precious.read_text() == "keep me\n" and not (tmp_path / "gen.csv").exists()


# ------------------------------------------------------------------------- CSV injection


@pytest.fixture()
def formulas(tmp_path: Path) -> Path:
    """The corpus file with uuids a spreadsheet would run as formulas."""
    lines = (CORPUS / "base.csv").read_text().split("\n")
    for i, value in enumerate(FORMULAS, start=1):
        cells = lines[i].split(";")
        cells[0] = value
        lines[i] = ";".join(cells)
    path = tmp_path / "formulas.csv"
    path.write_text("\n".join(lines))
    return path


@pytest.mark.parametrize("command", ["predict", "score duckdb", "score numpy"])
def test_formula_cells_are_neutralised_in_csv_outputs(command: str, formulas: Path,
                                                      card: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert main(WRITERS[command](formulas, card, out)) == EXIT_OK
    frame = pd.read_csv(out, dtype={"uuid": str}, keep_default_na=False)
    assert frame["uuid"].head(len(FORMULAS)).tolist() == [f"'{v}" for v in FORMULAS]
    assert not frame["uuid"].iloc[len(FORMULAS):].str.startswith("'").any()
    assert frame["pd"].dtype == float and (frame["pd"] > 0).all()  # numbers untouched


def test_parquet_outputs_keep_the_ids_as_read(formulas: Path, card: Path,
                                              tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    assert main(WRITERS["score duckdb"](formulas, card, out)) == EXIT_OK
    assert pd.read_parquet(out)["uuid"].head(len(FORMULAS)).tolist() == FORMULAS


def test_every_formula_prefix_is_neutralised_in_text_columns_only() -> None:
    frame = pd.DataFrame({"text": ["=a", "+b", "-c", "@d", "\te", "\rf", "g", None],
                          "string": pd.array(["=a", "b", None, "-1", "x", "y", "z", "@"],
                                             dtype="string"),
                          "number": [-1.0, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0]})
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:7] == ["'=a", "'+b", "'-c", "'@d", "'\te", "'\rf", "g"]
    assert out["text"].isna().tolist()[-1]
    assert out["string"].dtype == frame["string"].dtype
    strings = out["string"].astype(object).where(out["string"].notna(), None).tolist()
    assert strings == ["'=a", "b", None, "'-1", "x", "y", "z", "'@"]
    assert out["number"].equals(frame["number"])
    assert frame["text"].tolist()[0] == "=a"  # the caller's frame is not modified


def test_write_csv_leaves_numbers_and_the_committed_predictions_alone(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": ["=x", "ok", None, "-1"], "value": [-1.5, 2.0, -3.0, 4.0],
                          "count": [-1, 2, 3, -4]})
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == (
        "name,value,count\n'=x,-1.5,-1\nok,2.0,2\n,-3.0,3\n'-1,4.0,-4\n")
    committed = REPO / "reports" / "predictions.csv"
    write_csv(pd.read_csv(committed, dtype={"uuid": str}), tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_bytes() == committed.read_bytes()
