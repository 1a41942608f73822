"""Built-in overrides files are part of a card's definition: a spec whose file is not
installed is an error, never a silently different card."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from scorecard.fit import overrides as installed


def _install_without(tmp_path: Path, missing: str,
                     monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The overrides package installed into ``tmp_path`` with the file ``missing`` left out,
    as a wheel built without its data files would be."""
    target = tmp_path / "overrides"
    shutil.copytree(installed.BUILTIN_DIR, target,
                    ignore=shutil.ignore_patterns(missing, "__pycache__"))
    spec = importlib.util.spec_from_file_location("overrides_copy", target / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_builtin_overrides_file_is_installed() -> None:
    for spec_name, file in installed.BUILTIN.items():
        path = installed.builtin_overrides(spec_name)
        assert path == installed.BUILTIN_DIR / file and path.is_file()
    assert installed.load_overrides(installed.builtin_overrides("klarna"))  # not empty


def test_a_spec_whose_builtin_overrides_file_is_missing_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _install_without(tmp_path, "klarna.toml", monkeypatch)
    with pytest.raises(module.OverridesError, match=r"'klarna' expects .*klarna\.toml"):
        module.builtin_overrides("klarna")
    assert module.builtin_overrides("heloc") == tmp_path / "overrides" / "heloc.toml"
    assert module.builtin_overrides("a-spec-without-overrides") is None


def test_an_unreadable_overrides_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(installed.OverridesError, match=r"nope\.toml: cannot read"):
        installed.load_overrides(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[features.age\n")
    with pytest.raises(installed.OverridesError, match=r"bad\.toml: not valid TOML"):
        installed.load_overrides(bad)


def test_no_overrides_file_means_no_overrides() -> None:
    assert installed.load_overrides(None) == {}


def test_an_overrides_file_is_written_as_the_exact_text_and_reads_back(tmp_path: Path) -> None:
    ov = installed.FeatureOverride
    overrides = {
        "segment": ov(groups=(("A", "B"), ("C",)), reason="merge small segments",
                      who="risk", when="2026-01-05"),
        "age": ov(splits=(25.0, 40), trend="ascending", note="policy"),
        "time_hours": ov(exclude="not a credit characteristic"),
    }
    text = installed.dumps_overrides(overrides, header="Risk team overrides\n# kept\n\n")
    assert text == (
        "# Risk team overrides\n"
        "# kept\n"
        "\n"
        '[features."age"]\n'
        "splits = [25.0, 40.0]\n"
        'trend = "ascending"\n'
        'note = "policy"\n'
        "\n"
        '[features."segment"]\n'
        'groups = [["A", "B"], ["C"]]\n'
        'reason = "merge small segments"\n'
        'who = "risk"\n'
        'when = "2026-01-05"\n'
        "\n"
        '[features."time_hours"]\n'
        'exclude = "not a credit characteristic"\n'
    )
    path = tmp_path / "ov.toml"
    installed.write_overrides(path, overrides, header="Risk team overrides\n# kept")
    assert installed.load_overrides(path) == {**overrides, "age": ov(
        splits=(25.0, 40.0), trend="ascending", note="policy")}
    assert installed.header_of(path) == "# Risk team overrides\n# kept"
    assert installed.dumps_overrides({}) == "\n"


def test_the_header_of_an_overrides_file_is_its_leading_comment_block(tmp_path: Path) -> None:
    path = tmp_path / "ov.toml"
    path.write_text("# one\n\n# two\n[features.age]\n# not header\nsplits = [1.0]\n")
    assert installed.header_of(path) == "# one\n\n# two"
    path.write_text("[features.age]\nsplits = [1.0]\n")
    assert installed.header_of(path) == ""
    assert installed.load_overrides(path) == {"age": installed.FeatureOverride(splits=(1.0,))}
