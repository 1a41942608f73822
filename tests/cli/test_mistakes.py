"""A new user's mistakes, against every command: one clear line, a documented exit code.

Each case runs the real command line in a subprocess (``python -m scorecard ...``) and asserts
the exit code (2 usage, 3 invalid input data, 4 invalid artifact), that stderr holds no
Python traceback, and that the message names the offending path, flag or field. The list of
commands comes from ``scorecard --help``, so a new command without cases fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import REPO

CORPUS = REPO / "tests" / "data" / "corpus"
Outcomes = dict[tuple[str, str], tuple["Mistake", "subprocess.CompletedProcess[str]"]]
DOCUMENTED = {1, 2, 3, 4}


@dataclass(frozen=True)
class Mistake:
    """``args`` must end with exit ``code`` and a message containing ``names``."""

    label: str
    args: tuple[str, ...]
    code: int
    names: str


@dataclass(frozen=True)
class Files:
    root: Path
    good: Path  # a contract-valid Klarna file (12 rows)
    artifact: Path  # a copy of the committed card
    not_json: Path
    folder: Path
    absent: Path
    fifo: Path
    long: Path  # a file name of 300 bytes
    bad_toml: Path
    unwritable: Path  # a folder in which no file can be created, even by root


def _unwritable_folder(root: Path) -> Path | None:
    """A folder nobody can create a file in: a 0555 folder, or for root (who ignores the
    mode bits) a kernel file system such as /sys."""
    locked = root / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for candidate in (locked, Path("/sys"), Path("/proc")):
        try:
            fd, name = tempfile.mkstemp(dir=candidate)
        except OSError:
            return candidate
        os.close(fd)
        os.unlink(name)
    return None


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    root = tmp_path_factory.mktemp("mistakes")
    good = root / "good.csv"
    shutil.copyfile(CORPUS / "base.csv", good)
    artifact = root / "card.json"
    shutil.copyfile(REPO / "reports" / "scorecard.json", artifact)
    not_json = root / "not_json.json"
    not_json.write_text("this is not JSON\n")
    (root / "no_target.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    (root / "folder").mkdir()
    fifo = root / "pipe"
    os.mkfifo(fifo)
    bad_toml = root / "bad.toml"
    bad_toml.write_text("[features.age\nsplits = ")
    unwritable = _unwritable_folder(root)
    if unwritable is None:
        pytest.skip("no folder here refuses new files (cannot test an unwritable output)")
    before = {p: p.read_bytes() for p in (good, artifact)}
    yield Files(root, good, artifact, not_json, root / "folder", root / "absent.csv", fifo,
                root / ("n" * 296 + ".csv"), bad_toml, unwritable)
    (root / "locked").chmod(0o755)
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} changed"


def _mistakes(f: Files) -> dict[str, list[Mistake]]:
    """Every command's mistakes; ``names`` is what the message must name."""
    out_in_locked = str(f.unwritable / "out.csv")
    card = ("--artifact", str(f.artifact))
    good = str(f.good)
    return {
        "generate-data": [
            Mistake("negative rows", ("--rows", "-5"), 2, "--rows"),
            Mistake("zero rows", ("--rows", "0"), 2, "--rows"),
            Mistake("rows not a number", ("--rows", "many"), 2, "'many'"),
            Mistake("more unlabelled than rows", ("--rows", "5", "--unlabelled", "9"), 2,
                    "--unlabelled"),
            Mistake("negative seed", ("--seed", "-1"), 2, "--seed"),
            Mistake("disparity of no column", ("--disparity", "nosuch=2"), 2, "nosuch"),
            Mistake("disparity with periods", ("--periods", "2", "--groups"), 2, "--periods"),
            Mistake("output is a folder", ("--output", str(f.folder)), 2, str(f.folder)),
            Mistake("unwritable folder", ("--output", out_in_locked), 2, str(f.unwritable)),
            Mistake("name too long", ("--output", str(f.long)), 2, "too long"),
        ],
        "check": [
            Mistake("nonexistent input", (str(f.absent),), 3, str(f.absent)),
            Mistake("a folder as input", (str(f.folder),), 3, str(f.folder)),
            Mistake("a device as input", ("/dev/zero",), 3, "/dev/zero"),
            Mistake("a FIFO as input", (str(f.fifo),), 3, str(f.fifo)),
            Mistake("name too long", (str(f.long),), 3, "too long"),
            Mistake("unknown spec", (good, "--spec", "nosuchspec"), 2, "nosuchspec"),
        ],
        "oracle": [
            Mistake("nonexistent input", ("--input", str(f.absent), "--output", "o.csv"), 3,
                    str(f.absent)),
            Mistake("a folder as input", ("--input", str(f.folder), "--output", "o.csv"), 3,
                    str(f.folder)),
            Mistake("output is the input", ("--input", good, "--output", good), 2, good),
            Mistake("unwritable folder", ("--input", good, "--output", out_in_locked), 2,
                    str(f.unwritable)),
            Mistake("name too long", ("--input", good, "--output", str(f.long)), 2,
                    "too long"),
        ],
        "realism": [
            Mistake("a folder as real data", ("--real", str(f.folder)), 3, str(f.folder)),
            Mistake("nonexistent data", ("--real", good, "--data", str(f.absent)), 3,
                    str(f.absent)),
            Mistake("zero worst columns", ("--worst", "0"), 2, "--worst"),
        ],
        "run": [
            Mistake("negative seed", ("--seed", "-1"), 2, "--seed"),
            Mistake("seed not a number", ("--seed", "x1"), 2, "'x1'"),
            Mistake("unknown flag", ("--frseh",), 2, "--frseh"),
        ],
        "regenerate": [
            Mistake("unknown spec", ("--spec", "nosuchspec"), 2, "nosuchspec"),
            Mistake("a folder as spec", ("--spec", str(f.folder)), 2, str(f.folder)),
            Mistake("nonexistent input", ("--data", str(f.absent)), 3, str(f.absent)),
            Mistake("a folder as input", ("--data", str(f.folder)), 3, str(f.folder)),
            Mistake("name too long", ("--data", str(f.long)), 3, "too long"),
            Mistake("output folder is a file", ("--data", good, "--out", good), 2, good),
            Mistake("unwritable folder", ("--data", good, "--out", str(f.unwritable / "r")),
                    2, str(f.unwritable)),
            Mistake("overrides not TOML", ("--data", good, "--overrides", str(f.bad_toml)), 2,
                    str(f.bad_toml)),
            Mistake("nonexistent overrides", ("--data", good, "--overrides", str(f.absent)), 2,
                    str(f.absent)),
            Mistake("negative seed", ("--seed", "-3"), 2, "--seed"),
        ],
        "predict": [
            Mistake("nonexistent input", (*card, "--input", str(f.absent), "--output",
                                          "o.csv"), 3, str(f.absent)),
            Mistake("a folder as input", (*card, "--input", str(f.folder), "--output", "o.csv"),
                    3, str(f.folder)),
            Mistake("a device as input", (*card, "--input", "/dev/zero", "--output", "o.csv"),
                    3, "/dev/zero"),
            Mistake("a FIFO as input", (*card, "--input", str(f.fifo), "--output", "o.csv"),
                    3, str(f.fifo)),
            Mistake("artifact not JSON", ("--artifact", str(f.not_json), "--input", good,
                                          "--output", "o.csv"), 4, str(f.not_json)),
            Mistake("nonexistent artifact", ("--artifact", str(f.absent), "--input", good,
                                             "--output", "o.csv"), 4, str(f.absent)),
            Mistake("a folder as artifact", ("--artifact", str(f.folder), "--input", good,
                                             "--output", "o.csv"), 4, str(f.folder)),
            Mistake("output is a folder", (*card, "--input", good, "--output", str(f.folder)),
                    2, str(f.folder)),
            Mistake("unwritable folder", (*card, "--input", good, "--output", out_in_locked),
                    2, str(f.unwritable)),
            Mistake("name too long", (*card, "--input", good, "--output", str(f.long)), 2,
                    "too long"),
            Mistake("unknown spec", (*card, "--input", good, "--output", "o.csv", "--spec",
                                     "nosuchspec"), 2, "nosuchspec"),
            Mistake("negative top", (*card, "--input", good, "--output", "o.csv", "--top",
                                     "-1"), 2, "--top"),
            Mistake("top above the card", (*card, "--input", good, "--output", "o.csv",
                                           "--top", "99"), 2, "--top"),
            Mistake("missing --input", (*card, "--output", "o.csv"), 2, "--input"),
            Mistake("cutoff not a policy", (*card, "--input", good, "--output", "o.csv",
                                            "--cutoff", "pd:1.5"), 2, "--cutoff"),
            Mistake("refer band without cutoff", (*card, "--input", good, "--output", "o.csv",
                                                  "--refer-band", "5"), 2, "--refer-band"),
        ],
        "explain": [
            Mistake("nonexistent input", (*card, "--input", str(f.absent), "--cutoff", "600"),
                    3, str(f.absent)),
            Mistake("a folder as input", (*card, "--input", str(f.folder), "--cutoff", "600"),
                    3, str(f.folder)),
            Mistake("input not JSON", (*card, "--input", str(f.not_json), "--cutoff", "600"),
                    3, str(f.not_json)),
            Mistake("artifact not JSON", ("--artifact", str(f.not_json), "--input", good,
                                          "--cutoff", "600"), 4, str(f.not_json)),
            Mistake("no cutoff", (*card, "--input", good), 2, "--cutoff"),
            Mistake("unknown grade", (*card, "--input", good, "--cutoff", "grade:Z"), 2,
                    "grade:Z"),
            Mistake("zero alternatives", (*card, "--input", good, "--cutoff", "600", "--k",
                                          "0"), 2, "--k"),
            Mistake("output is the input", (*card, "--input", good, "--cutoff", "600",
                                            "--output", good), 2, good),
            Mistake("unwritable folder", (*card, "--input", good, "--cutoff", "600",
                                          "--output", out_in_locked), 2, str(f.unwritable)),
        ],
        "decisions": [
            Mistake("log folder missing", ("verify", "--log", f"sqlite:///{f.folder}/no/x.db"),
                    2, "does not exist"),
            Mistake("not a log URL", ("verify", "--log", "mysql://x/y"), 2, "mysql://x/y"),
            Mistake("show from a bad URL", ("show", "some-id", "--log", "mysql://x"), 2,
                    "mysql://x"),
            Mistake("export to an unknown format", ("export", "--log", "mysql://x", "--output",
                                                    "out.txt"), 2, "--output"),
            Mistake("replay without cards", ("replay", "--log", "mysql://x", "--cards",
                                             str(f.absent)), 2, "--cards"),
        ],
        "serve": [
            Mistake("artifact not JSON", ("--artifact", str(f.not_json)), 4, str(f.not_json)),
            Mistake("nonexistent artifact", ("--artifact", str(f.absent)), 4, str(f.absent)),
            Mistake("a folder as artifact", ("--artifact", str(f.folder)), 4, str(f.folder)),
            Mistake("a device as artifact", ("--artifact", "/dev/zero"), 4, "/dev/zero"),
            Mistake("name too long", ("--artifact", str(f.long)), 4, "too long"),
            Mistake("port zero", (*card, "--port", "0"), 2, "--port"),
            Mistake("port too large", (*card, "--port", "70000"), 2, "--port"),
            Mistake("zero workers", (*card, "--workers", "0"), 2, "--workers"),
        ],
        "init-spec": [
            Mistake("nonexistent input", (str(f.absent),), 3, str(f.absent)),
            Mistake("a folder as input", (str(f.folder),), 3, str(f.folder)),
            Mistake("a device as input", ("/dev/zero",), 3, "/dev/zero"),
            Mistake("no binary target", (str(f.root / "no_target.csv"),), 2, "--target"),
            Mistake("unknown target column", (good, "--target", "nope"), 2, "'nope'"),
            Mistake("output is the input", (good, "--output", good), 2, good),
            Mistake("name too long", (good, "--output", str(f.long)), 2, "too long"),
        ],
        "example-data": [
            Mistake("zero rows", ("--output", "x.csv", "--rows", "0"), 2, "--rows"),
            Mistake("more unlabelled than rows", ("--output", "x.csv", "--rows", "5",
                                                  "--unlabelled", "9"), 2, "--unlabelled"),
            Mistake("output is a folder", ("--output", str(f.folder)), 2, str(f.folder)),
            Mistake("name too long", ("--output", str(f.long)), 2, "too long"),
        ],
        "registry": [
            Mistake("no store", ("list",), 2, "--store"),
            Mistake("nonexistent card", ("add", str(f.absent), "--store", str(f.folder),
                                         "--author", "alice"), 4, str(f.absent)),
            Mistake("unknown card id", ("approve", "deadbeef", "--store", str(f.folder),
                                        "--reviewer", "bob", "--reason", "checked"), 2,
                    "'deadbeef'"),
        ],
        "review": [
            Mistake("nonexistent data", ("--data", str(f.absent)), 3, str(f.absent)),
            Mistake("a folder as data", ("--data", str(f.folder)), 3, str(f.folder)),
            Mistake("port zero", ("--data", good, "--port", "0"), 2, "--port"),
            Mistake("unknown spec", ("--data", good, "--spec", "nosuchspec"), 2, "nosuchspec"),
        ],
        "export-sql": [
            Mistake("artifact not JSON", ("--artifact", str(f.not_json)), 4, str(f.not_json)),
            Mistake("nonexistent artifact", ("--artifact", str(f.absent)), 4, str(f.absent)),
            Mistake("a folder as artifact", ("--artifact", str(f.folder)), 4, str(f.folder)),
            Mistake("output is the artifact", (*card, "--output", str(f.artifact)), 2,
                    str(f.artifact)),
            Mistake("unwritable folder", (*card, "--output", out_in_locked), 2,
                    str(f.unwritable)),
            Mistake("name too long", (*card, "--output", str(f.long)), 2, "too long"),
        ],
        "monitor": [
            Mistake("nonexistent input", (*card, "--input", str(f.absent), "--out", "m"), 3,
                    str(f.absent)),
            Mistake("a folder as input", (*card, "--input", str(f.folder), "--out", "m"), 3,
                    str(f.folder)),
            Mistake("artifact not JSON", ("--artifact", str(f.not_json), "--input", good,
                                          "--out", "m"), 4, str(f.not_json)),
            Mistake("output is a file", (*card, "--input", good, "--out", good), 2, good),
            Mistake("unwritable folder", (*card, "--input", good, "--out",
                                          str(f.unwritable / "m")), 2, str(f.unwritable)),
            Mistake("input and metrics", (*card, "--input", good, "--metrics", good, "--out",
                                          "m"), 2, "--metrics"),
            Mistake("metrics file absent", (*card, "--metrics", str(f.absent), "--out", "m"),
                    3, str(f.absent)),
            Mistake("period without column", (*card, "--input", good, "--period", "month",
                                              "--out", "m"), 2, "--period-column"),
            Mistake("unknown period column", (*card, "--input", good, "--period-column",
                                              "nosuch", "--out", "m"), 3, "nosuch"),
        ],
        "fairness": [
            Mistake("nonexistent input", (*card, "--input", str(f.absent), "--groups", "age",
                                          "--out", "f"), 3, str(f.absent)),
            Mistake("artifact not JSON", ("--artifact", str(f.not_json), "--input", good,
                                          "--groups", "age", "--out", "f"), 4, str(f.not_json)),
            Mistake("output is a file", (*card, "--input", good, "--groups", "age", "--out",
                                         good), 2, good),
            Mistake("no groups, none protected", (*card, "--input", good, "--out", "f"), 2,
                    "--groups"),
            Mistake("unknown group column", (*card, "--input", good, "--groups", "nosuch",
                                             "--out", "f"), 2, "nosuch"),
            Mistake("reference of no group column", (*card, "--input", good, "--groups", "age",
                                                     "--reference", "sex=F", "--out", "f"), 2,
                    "--reference"),
            Mistake("cut-off not a cut-off", (*card, "--input", good, "--groups", "age",
                                              "--cutoff", "grade:Z", "--out", "f"), 2,
                    "--cutoff"),
        ],
        "recalibrate": [
            Mistake("nonexistent data", (*card, "--data", str(f.absent), "--target-rate",
                                         "0.02", "--output", "c.json"), 3, str(f.absent)),
            Mistake("artifact not JSON", ("--artifact", str(f.not_json), "--data", good,
                                          "--target-rate", "0.02", "--output", "c.json"), 4,
                    str(f.not_json)),
            Mistake("output is the artifact", (*card, "--data", good, "--target-rate", "0.02",
                                               "--output", str(f.artifact)), 2,
                    str(f.artifact)),
            Mistake("rate out of range", (*card, "--data", good, "--target-rate", "2",
                                          "--output", "c.json"), 2, "--target-rate"),
            Mistake("neither rate nor outcomes", (*card, "--data", good, "--output",
                                                  "c.json"), 2, "--target-rate"),
        ],
        "diff": [
            Mistake("nonexistent card", (str(f.artifact), str(f.absent)), 4, str(f.absent)),
            Mistake("card not JSON", (str(f.not_json), str(f.artifact)), 4, str(f.not_json)),
            Mistake("cutoff without data", (str(f.artifact), str(f.artifact), "--cutoff",
                                            "600"), 2, "--data"),
            Mistake("unknown grade", (str(f.artifact), str(f.artifact), "--data", good,
                                      "--cutoff", "Z"), 2, "'Z'"),
            Mistake("nonexistent data", (str(f.artifact), str(f.artifact), "--data",
                                         str(f.absent)), 3, str(f.absent)),
        ],
        "score": [
            Mistake("nonexistent input", (*card, "--input", str(f.absent), "--output",
                                          "o.csv"), 3, str(f.absent)),
            Mistake("a folder as input", (*card, "--input", str(f.folder), "--output", "o.csv"),
                    3, str(f.folder)),
            Mistake("a FIFO as input", (*card, "--input", str(f.fifo), "--output", "o.csv"),
                    3, str(f.fifo)),
            Mistake("artifact not JSON", ("--artifact", str(f.not_json), "--input", good,
                                          "--output", "o.csv"), 4, str(f.not_json)),
            Mistake("output is the input", (*card, "--input", good, "--output", good), 2,
                    good),
            Mistake("unwritable folder", (*card, "--input", good, "--output", out_in_locked),
                    2, str(f.unwritable)),
            Mistake("name too long", (*card, "--input", good, "--output", str(f.long)), 2,
                    "too long"),
            Mistake("zero threads", (*card, "--input", good, "--output", "o.csv", "--threads",
                                     "0"), 2, "--threads"),
            Mistake("memory limit not a size", (*card, "--input", good, "--output", "o.csv",
                                                "--memory-limit", "lots"), 2, "'lots'"),
            Mistake("unknown spec", (*card, "--input", good, "--output", "o.csv", "--spec",
                                     "nosuchspec"), 2, "nosuchspec"),
        ],
        "settings": [
            Mistake("unknown option", ("--json",), 2, "--json"),
        ],
    }


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _run(args: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scorecard", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=180, check=False)


def _commands() -> list[str]:
    """The commands ``scorecard --help`` lists (the indented names under COMMAND)."""
    run = _run(("--help",), REPO)
    assert run.returncode == 0, run.stderr
    block = run.stdout.split("COMMAND\n", 1)[1].split("\noptions:", 1)[0]
    return re.findall(r"^ {4}(\S+)", block, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def outcomes(files: Files) -> Outcomes:
    """Every mistake run once, two at a time (the machine is shared)."""
    cases = [(command, m) for command, ms in _mistakes(files).items() for m in ms]
    work = files.root / "cwd"
    work.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda c: _run((c[0], *c[1].args), work), cases))
    # Nothing was written where the command ran (every refusal came before any write).
    assert sorted(p.name for p in work.iterdir()) == []
    return {(c, m.label): (m, r) for (c, m), r in zip(cases, runs, strict=True)}


def test_every_command_has_its_mistakes_listed(files: Files) -> None:
    commands = _commands()
    assert len(commands) >= 10, commands
    assert sorted(_mistakes(files)) == sorted(commands)


def test_the_required_mistakes_are_covered(files: Files) -> None:
    labels = {m.label for ms in _mistakes(files).values() for m in ms}
    for required in ("nonexistent input", "a folder as input", "unknown spec", "negative rows",
                     "zero rows", "artifact not JSON", "unwritable folder", "name too long"):
        assert required in labels, required


def test_each_mistake_is_one_clear_line_and_a_documented_code(
        outcomes: Outcomes) -> None:
    problems = []
    for (command, label), (mistake, run) in outcomes.items():
        err = run.stderr
        lines = err.strip().splitlines()
        # Ours ("error: ...") or argparse's ("scorecard [COMMAND]: error: ...").
        errors = [line for line in lines if re.match(r"(scorecard( \S+)?: )?error: ", line)]
        why = []
        if run.returncode != mistake.code or run.returncode not in DOCUMENTED:
            why.append(f"exit {run.returncode}, expected {mistake.code}")
        if "Traceback" in err:
            why.append("a traceback")
        if len(errors) != 1:
            why.append(f"{len(errors)} error lines")
        elif mistake.names not in errors[0]:
            why.append(f"the error line does not name {mistake.names!r}")
        if why:
            problems.append(f"{command} ({label}): {', '.join(why)}\n    {err[-600:]!r}")
    assert not problems, "\n".join(problems)


def test_debug_shows_the_traceback(files: Files) -> None:
    run = _run(("--debug", "predict", "--artifact", str(files.not_json), "--input",
                str(files.good), "--output", str(files.root / "o.csv")), files.root)
    assert run.returncode == 4
    assert "Traceback (most recent call last)" in run.stderr
    assert run.stderr.rstrip().splitlines()[-1].startswith("error: invalid model artifact")


def test_a_huge_header_is_a_short_report(files: Files) -> None:
    """A 100k-column header breaks the contract in 100k ways; the report stays a page."""
    header = CORPUS.joinpath("base.csv").read_text().split("\n", 1)[0]
    extra = ";".join(f"extra_column_{i}" for i in range(100_000))
    path = files.root / "wide.csv"
    path.write_text(f"{header};{extra}\n")
    run = _run(("check", str(path)), files.root)
    assert run.returncode == 3, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert len(run.stderr) < 120_000, len(run.stderr)
    assert "extra_column_0" in run.stderr
    assert "left out" in run.stderr or "more line" in run.stderr
