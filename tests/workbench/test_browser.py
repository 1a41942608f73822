"""The workbench in a real headless Chromium (Playwright driving the system browser).

A reviewer opens the overview, merges two bins of one characteristic, splits another at a
suggested point, excludes a third, each with a reason, saves, rebuilds, and reads the
before/after view. Asserted: the rebuilt card honours the three edits exactly (its binning
tables are the previewed ones), the overrides file holds exactly the three new blocks (and
the file's own overrides untouched) with their reasons, the before/after view shows the two
cards' figures, every control is reachable by Tab with a visible focus ring, no console
error, and no request leaves 127.0.0.1. Screenshots of each view go to the test's tmp
folder (``screenshots/``; also copied to ``$WORKBENCH_SCREENSHOTS`` when set). Skipped
without a Chromium (CI installs it in ``.ci/run``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from scorecard.fit.overrides import BUILTIN_DIR
from scorecard.fit.spec import load_spec
from scorecard.workbench.session import Session
from tests.support.browser import local_page, needs_chromium
from tests.support.servers import free_port, wait_http

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium


def _classic_spec(folder: Path) -> Path:
    """The Klarna spec with the classic card's binning (at least 5 % of rows a bin): on
    20,000 rows the joint card's floor of 30 defaults a bin leaves no clean split to make."""
    path = folder / "klarna_classic.json"
    path.write_text(json.dumps({**load_spec("klarna").to_dict(), "card_method": "woe"}))
    return path


def _edits(data: Path, overrides: Path, work: Path,
           spec: Path) -> tuple[str, str, float, str]:
    """Three characteristics the edits leave unflagged: found with the workbench's own
    model on the same data (merge bins 0 and 1; split at a suggested point; exclude)."""
    s = Session(load_spec(str(spec)), data, overrides, work, baseline=False)
    numeric = [r["name"] for r in s.overview() if r["kind"] == "numeric"
               and not r["excluded"] and not r["overridden"] and r["bins"] >= 3]

    def clean(name: str, edit: str, arg: float | int) -> bool:
        getattr(s, edit)(name, arg, "probe")
        ok = not s.flags(name)
        s.undo()
        return ok

    merge = next(n for n in numeric if clean(n, "merge", 0))
    for name in numeric:
        if name == merge:
            continue
        t = s.table(name)
        for i in range(int((t["type"] == "regular").sum())):
            for value in s.suggestions(name, i):
                if clean(name, "split", value):
                    exclude = next(n for n in numeric if n not in (merge, name))
                    return merge, name, value, exclude
    raise AssertionError("no clean split found on the generated data")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    path = folder / "d20k.csv"
    subprocess.run([sys.executable, "-m", "scorecard", "generate-data", "--output", str(path),
                    "--rows", "20000", "--unlabelled", "2000", "--seed", "3"], check=True,
                   capture_output=True)
    return path


def test_a_reviewer_merges_splits_excludes_saves_and_rebuilds_in_a_browser(
        data_file: Path, tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.toml"
    shutil.copy(BUILTIN_DIR / "klarna.toml", overrides)
    original = tomllib.loads(overrides.read_text())["features"]
    spec = _classic_spec(tmp_path)
    merge, split, value, exclude = _edits(data_file, overrides, tmp_path / "probe", spec)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    work = tmp_path / "session"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SCORECARD_REVIEWER": "Rita Reviewer"}
    proc = subprocess.Popen([sys.executable, "-m", "scorecard", "review", "--spec", str(spec),
                             "--data", str(data_file), "--overrides", str(overrides), "--port",
                             str(port), "--workdir", str(work)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_http(base + "/", proc)
        _drive(base, merge, split, value, exclude, shots, work)
    finally:
        proc.terminate()
        proc.wait(30)

    # The overrides file: the file's own overrides untouched, plus exactly the three edits.
    saved = tomllib.loads(overrides.read_text())["features"]
    assert set(saved) == set(original) | {merge, split, exclude}
    for name, table in original.items():
        assert saved[name] == table
    assert saved[merge]["reason"] == "two bins of one risk level"
    assert saved[split]["reason"] == "the policy cut-off"
    assert saved[exclude]["exclude"] == saved[exclude]["reason"] == "not explainable"
    for name in (merge, split, exclude):
        assert saved[name]["who"] == "Rita Reviewer" and len(saved[name]["when"]) == 10
    assert value in saved[split]["splits"]

    # The rebuilt card honours the edits: its tables are the previews, the exclusion logged.
    rebuilt = work / "rebuild-1"
    before = pd.read_csv(work / "baseline" / "binning" / f"{merge}.csv")
    after = pd.read_csv(rebuilt / "binning" / f"{merge}.csv")
    assert (after["type"] == "regular").sum() == (before["type"] == "regular").sum() - 1
    assert after["count"].iloc[0] == before["count"].iloc[:2].sum()
    split_table = pd.read_csv(rebuilt / "binning" / f"{split}.csv")
    assert split_table["label"].str.contains(f"{value:.2f}", regex=False).any()
    assert not (rebuilt / "binning" / f"{exclude}.csv").exists()
    log = pd.read_csv(rebuilt / "selection_log.csv").set_index("feature")
    assert log.loc[exclude, "decision"] == "out" and "not explainable" in log.loc[exclude,
                                                                                  "reason"]
    previews = json.loads((shots / "previews.json").read_text())
    for name in (merge, split):
        fitted = pd.read_csv(rebuilt / "binning" / f"{name}.csv")
        assert fitted["label"].tolist() == previews[name]["label"]
        assert fitted["count"].tolist() == previews[name]["count"]


def _drive(base: str, merge: str, split: str, value: float, exclude: str, shots: Path,
           work: Path) -> None:
    previews: dict[str, dict[str, list]] = {}
    with local_page(base) as local:
        page = local.page

        page.goto(base + "/")
        assert page.locator("#overview tbody tr").count() >= 30
        page.screenshot(path=str(shots / "overview.png"), full_page=True)
        # Keyboard: Tab reaches the save button, and the focused control is outlined.
        for _ in range(200):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "save":
                break
        else:
            raise AssertionError("the save button is not reachable by Tab")
        style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert style not in ("none", "")

        def edit(name: str, form: str, fill: dict[str, str], reason: str) -> None:
            page.goto(f"{base}/feature/{name}")
            for sel, v in fill.items():
                if page.locator(sel).evaluate("e => e.tagName") == "SELECT":
                    page.select_option(sel, v)
                else:
                    page.fill(sel, v)
            page.fill(f"#{form}-reason", reason)
            with page.expect_navigation():
                page.click(f"#{form}-form button[type=submit]")
            assert page.locator(".error").count() == 0, page.locator(".error").inner_text()

        def preview(name: str) -> None:
            rows = page.locator("#bins tbody tr")
            cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
            previews[name] = {"label": [c[2] for c in cells],
                              "count": [int(c[3]) for c in cells]}

        edit(merge, "merge", {"#merge-bin": "0"}, "two bins of one risk level")
        preview(merge)
        page.screenshot(path=str(shots / "feature_merged.png"), full_page=True)
        edit(split, "split", {"#split-value": repr(value)}, "the policy cut-off")
        preview(split)
        page.screenshot(path=str(shots / "feature_split.png"), full_page=True)
        # Undo and redo the split: the table goes back and forth.
        with page.expect_navigation():
            page.click("nav form[action='/history/undo'] button")
        assert len(page.locator("#bins tbody tr").all()) == len(previews[split]["label"]) - 1
        with page.expect_navigation():
            page.click("nav form[action='/history/redo'] button")
        assert len(page.locator("#bins tbody tr").all()) == len(previews[split]["label"])
        edit(exclude, "exclude", {}, "not explainable")
        assert "Excluded: not explainable" in page.content()

        page.goto(base + "/")
        with page.expect_navigation():
            page.click("#save")
        assert "saved" in page.locator(".message").inner_text()
        page.click("#rebuild")
        page.wait_for_url(base + "/rebuild")
        page.wait_for_selector("#builds[data-done=true]", timeout=600_000)
        page.screenshot(path=str(shots / "rebuild.png"), full_page=True)
        assert "failed" not in page.locator("#builds").inner_text()
        with page.expect_navigation():
            page.click("#compare-link")
        page.screenshot(path=str(shots / "compare.png"), full_page=True)
        text = page.locator("#figures").inner_text()
        for folder in ("baseline", "rebuild-1"):
            metrics = json.loads((work / folder / "metrics.json").read_text())
            assert metrics["model_id"] in text
            assert f"{metrics['models']['scorecard']['holdout']['auc']:.3f}" in text
        assert page.locator("#migration tbody tr").count() >= 2
    (shots / "previews.json").write_text(json.dumps(previews))
    keep = os.environ.get("WORKBENCH_SCREENSHOTS")  # a folder to keep them in, for the docs
    if keep:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
    assert not local.errors, local.errors
    assert not local.off_machine, local.off_machine
