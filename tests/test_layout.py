"""The project's import graph, read from the source with ``ast`` (no import executed).

Every ``import`` counts, at module level or inside a function (a lazy import is still an
import of the serving image), ``TYPE_CHECKING`` blocks included. Asserted: no cycles
between modules; the layer rules (data <- card <- registry, fit <- jobs <- cli, validation a leaf
library, api on card and the stdlib-only data modules, the stdlib-only foundation under
all); and that the API's transitive closure holds neither the training/batch layers nor the
training stack. Each failure names the importing module and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("scorecard", "api", "validation")
HEAVY = ("pandas", "pandera", "optbinning", "statsmodels", "sklearn", "scipy", "matplotlib",
         "duckdb", "pyarrow")
# Standard-library-only modules under every layer (the error family, the settings table):
# any module may import them, they import no project module.
FOUNDATION = ("scorecard.errors", "scorecard.settings")
# The card registry: on the card layer and the API's data modules; the API serves from it.
REGISTRY = "scorecard.registry"
# The stdlib-only data modules the API may import; the decision log's store is one (it
# imports psycopg only when a postgresql:// URL is opened).
API_DATA = ("scorecard.data.contract", "scorecard.data.records", "scorecard.data.paths",
            "scorecard.data.decision_log", *FOUNDATION)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # a project module, or the top-level name of a third-party one
    line: int
    lazy: bool  # inside a function

    def __str__(self) -> str:
        return f"{self.source} (line {self.line}) imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    out = {}
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            if "__pycache__" not in path.parts:
                out[_module_name(path)] = path
    return out


def _imports(name: str, path: Path) -> Iterator[tuple[str, int, bool]]:
    """``(imported name, line, lazy)`` for every import statement of the module."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, lazy: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef |
                                       ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, lazy
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    yield (full if full in modules() else base), child.lineno, lazy
            yield from visit(child, inner)

    yield from visit(tree, False)


@cache
def edges() -> tuple[Edge, ...]:
    out = []
    for name, path in modules().items():
        for target, line, lazy in _imports(name, path):
            top = target.split(".")[0]
            if top in ROOTS:
                # `import scorecard.card.engine` names a module (or a package's __init__)
                while target not in modules() and "." in target:
                    target = target.rpartition(".")[0]
            else:
                target = top
            out.append(Edge(name, target, line, lazy))
    return tuple(out)


def _inside(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _project(edge: Edge) -> bool:
    return edge.target.split(".")[0] in ROOTS


def test_there_are_modules_to_check() -> None:
    assert {"api.app", "scorecard.card.engine", "scorecard.data.records",
            "validation"} <= set(modules())
    assert any(e.lazy for e in edges()), "lazy imports must be found too"


def test_no_import_cycles() -> None:
    graph: dict[str, list[Edge]] = {}
    for e in edges():
        if _project(e) and e.target != e.source:
            graph.setdefault(e.source, []).append(e)
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[Edge] = []

    def walk(node: str) -> None:
        state[node] = 1
        for e in graph.get(node, ()):
            if state.get(e.target) == 1:
                start = next(i for i, p in enumerate(path) if p.source == e.target) if any(
                    p.source == e.target for p in path) else len(path)
                cycle = [*path[start:], e]
                raise AssertionError("import cycle: " + "; ".join(map(str, cycle)))
            if state.get(e.target) is None:
                path.append(e)
                walk(e.target)
                path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)


def _allowed(edge: Edge) -> bool:
    """The layer rules (module docstrings of each package)."""
    s, t = edge.source, edge.target
    if s in FOUNDATION:
        return t in FOUNDATION
    if t in FOUNDATION:
        return True
    if _inside(s, "scorecard.data"):
        return _inside(t, "scorecard.data")
    if _inside(s, "scorecard.card"):
        return _inside(t, "scorecard.card", *API_DATA)
    if _inside(s, REGISTRY):
        return _inside(t, REGISTRY, "scorecard.card", *API_DATA)
    if _inside(s, "scorecard.fit"):
        return _inside(t, "scorecard.data", "scorecard.card", "scorecard.fit", "validation")
    if _inside(s, "validation"):
        return _inside(t, "validation")
    if _inside(s, "scorecard.jobs"):
        return _inside(t, "scorecard.data", "scorecard.card", "scorecard.fit", "validation",
                       "scorecard.jobs", REGISTRY)
    if _inside(s, "scorecard.workbench"):  # the review app: on the jobs layer, under cli
        return _inside(t, "scorecard.data", "scorecard.card", "scorecard.fit", "validation",
                       "scorecard.jobs", "scorecard.workbench")
    if _inside(s, "scorecard.cli") or s in ("scorecard", "scorecard.__main__"):
        return _inside(t, "scorecard", "validation") or (_inside(t, "api") and edge.lazy)
    if _inside(s, "api"):
        return _inside(t, "api", "scorecard.card", REGISTRY, *API_DATA) or t == "scorecard"
    raise AssertionError(f"{s}: a module outside every layer")


def test_every_import_respects_the_layers() -> None:
    broken = [str(e) for e in edges() if _project(e) and not _allowed(e)]
    assert not broken, "layer rule broken:\n" + "\n".join(broken)


def test_the_card_layer_imports_no_training_stack_even_lazily() -> None:
    broken = [str(e) for e in edges() if _inside(e.source, "scorecard.card") and e.target in HEAVY]
    assert not broken, "\n".join(broken)


def _closure(start: str) -> dict[str, Edge | None]:
    """Every module (project, or third-party top level) ``start`` imports transitively,
    package ``__init__`` modules included, each with the edge that first reached it."""
    by_source: dict[str, list[Edge]] = {}
    for e in edges():
        by_source.setdefault(e.source, []).append(e)
    reached: dict[str, Edge | None] = {start: None}
    todo = [start]
    while todo:
        node = todo.pop()
        parents = [node.rsplit(".", k)[0] for k in range(1, node.count(".") + 1)]
        for e in [*by_source.get(node, ()), *(Edge(node, p, 0, False) for p in parents
                                               if p in modules())]:
            if e.target not in reached:
                reached[e.target] = e
                if e.target in modules():
                    todo.append(e.target)
    return reached


def test_the_api_closure_holds_no_training_code_nor_stack() -> None:
    reached = _closure("api.app")
    assert "scorecard.card.engine" in reached and "scorecard.data.records" in reached
    forbidden = [(m, e) for m, e in reached.items()
                 if _inside(m, "scorecard.fit", "scorecard.jobs", "scorecard.cli", "validation")
                 or m in HEAVY or (_inside(m, "scorecard.data") and m not in
                                   ("scorecard.data", *API_DATA))]
    assert not forbidden, "the API reaches:\n" + "\n".join(f"{m}: via {e}"
                                                           for m, e in forbidden)


def test_the_serving_image_copies_the_api_closure() -> None:
    """Every project module the API reaches is a file the Dockerfile copies."""
    copied = ("api/", "scorecard/__init__.py", "scorecard/card/", "scorecard/registry/",
              "scorecard/data/__init__.py",
              *(f"{m.replace('.', '/')}.py" for m in API_DATA))
    dockerfile = (REPO / "Dockerfile").read_text()
    for source in copied:
        assert f"COPY {source}" in dockerfile or f" {source}" in dockerfile, source
    for module in _closure("api.app"):
        if module in modules():
            rel = modules()[module].relative_to(REPO).as_posix()
            assert any(rel == c or (c.endswith("/") and rel.startswith(c)) for c in copied), rel
