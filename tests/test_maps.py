"""The maps a reader trusts: every package's docstring and the README's layout block list
exactly the package's modules, so a module added, renamed or removed shows up here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent for root in ("scorecard", "api", "validation")
                  for p in (REPO / root).rglob("__init__.py")
                  if "__pycache__" not in p.parts and p.parent != REPO / "scorecard")


def _dotted(package: Path) -> str:
    return ".".join(package.relative_to(REPO).parts)


def children(package: Path) -> set[str]:
    """The package's modules and subpackages (``__main__`` is an entry point, not a module)."""
    return ({p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
            | {p.parent.name for p in package.glob("*/__init__.py")})


def mentioned(package: Path) -> set[str]:
    """The children of ``package`` its docstring names with ``:mod:``."""
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    dotted = _dotted(package)
    out = set()
    for ref in re.findall(r":mod:`~?([\w.]+)`", doc):
        if ref.startswith("."):
            out.add(ref[1:].split(".")[0])
        elif ref.startswith(dotted + "."):
            out.add(ref[len(dotted) + 1:].split(".")[0])
    return out


@pytest.mark.parametrize("package", PACKAGES, ids=_dotted)
def test_each_package_docstring_lists_exactly_its_modules(package: Path) -> None:
    have, said = children(package), mentioned(package)
    assert not have - said, f"{_dotted(package)}: docstring omits {sorted(have - said)}"
    assert not said - have, f"{_dotted(package)}: docstring names missing {sorted(said - have)}"


def _layout_entries() -> dict[str, str]:
    """The README's layout block, as {folder path: its text} (``scorecard/data`` etc.)."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    parent, current = "", None
    for line in block.splitlines():
        head = re.match(r"^( *)([\w.]+)/(?: |$)", line)
        if head:
            indent, name = head.groups()
            if not indent:
                parent = name
            current = name if not indent else f"{parent}/{name}"
            entries[current] = line[head.end():]
        elif current is not None:
            entries[current] += " " + line.strip()
    return entries


@pytest.mark.parametrize("package", PACKAGES, ids=_dotted)
def test_the_readme_layout_lists_exactly_each_packages_modules(package: Path) -> None:
    entries = _layout_entries()
    where = "/".join(package.relative_to(REPO).parts)
    if where not in entries:  # a subpackage is described inside its parent's entry
        parent = "/".join(package.relative_to(REPO).parts[:-1])
        assert f"{package.name}/" in entries.get(parent, ""), f"README layout omits {where}/"
        return
    text = entries[where]
    said = set(re.findall(r"\b(\w+)\.py\b", text)) | set(re.findall(r"\b(\w+)/", text))
    have = children(package)
    said -= {p.name for p in package.iterdir() if p.is_dir()} - have  # templates/, static/
    said.discard("__init__")
    assert not have - said, f"README layout of {where}/ omits {sorted(have - said)}"
    assert not said - have, f"README layout of {where}/ names missing {sorted(said - have)}"


def test_every_module_and_test_marked_slow_by_name_still_exists() -> None:
    from tests.conftest import SLOW_MODULES, SLOW_TESTS

    for module in SLOW_MODULES:
        assert (REPO / module).exists(), f"SLOW_MODULES names {module}, which is gone"
    for test in SLOW_TESTS:
        path, name = test.split("::")
        assert f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), \
            f"SLOW_TESTS names {test}, which is gone"
