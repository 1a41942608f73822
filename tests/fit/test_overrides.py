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
