"""Mutation testing of the core rules: plant one small bug at a time, see if the tests fail.

For each module below, every mutation point of its source is found with ``ast`` (a
comparison flipped or relaxed, ``+``/``-`` and ``*``/``/`` swapped, ``and``/``or`` swapped,
a ``not`` dropped, an integer constant moved by one, a unary minus dropped, ``min``/``max``
swapped); a deterministic sample of them (``--per-module``, all with ``--all``) is applied
one at a time to a scratch copy of the repository (``git worktree``, so the working tree is
never touched) and the module's fast tests run against it. A mutant the tests fail on is
*killed*; one they pass is a *survivor*, printed with its line so it can be killed by a new
test or explained. Prints the mutation score per module and overall.

    python scripts/mutation.py [--per-module 40] [--all] [--jobs 2] [--module NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# module -> the fast tests that guard it (no test marked slow or needing ../shared).
MODULES: dict[str, list[str]] = {
    "scorecard/card/engine.py": ["tests/card"],
    "scorecard/card/scaling.py": ["tests/card"],
    "scorecard/card/grades.py": ["tests/card", "tests/validation/test_score_bands.py"],
    "scorecard/card/reasons.py": ["tests/card"],
    "scorecard/fit/selection.py": ["tests/fit/test_selection_rules.py"],
    "scorecard/fit/overrides/__init__.py": ["tests/fit"],
    "validation/discrimination.py": ["tests/validation/test_oracles.py",
                                     "tests/validation/test_discrimination.py"],
    "validation/calibration.py": ["tests/validation/test_oracles.py",
                                  "tests/validation/test_calibration.py"],
    "validation/stability.py": ["tests/validation/test_oracles.py",
                                "tests/validation/test_stability.py"],
    "scorecard/data/contract.py": ["tests/data/test_contract_cli.py", "tests/api/test_contract.py"],
}
_CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
             ast.In: ast.NotIn, ast.NotIn: ast.In}
_BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
             ast.FloorDiv: ast.Div, ast.Pow: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # the index-th mutation point of the module, in ast.walk order
    line: int
    what: str


class _Points(ast.NodeVisitor):
    """Collects the mutation points of a tree (skipping docstrings and type annotations)."""

    def __init__(self) -> None:
        self.points: list[tuple[ast.AST, str]] = []

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_arg(self, node: ast.arg) -> None:
        return

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for stmt in node.body:
            self.visit(stmt)
        for default in node.args.defaults:
            self.visit(default)

    def visit_Compare(self, node: ast.Compare) -> None:
        if type(node.ops[0]) in _CMP_SWAP:
            self.points.append((node, f"{type(node.ops[0]).__name__} -> "
                                      f"{_CMP_SWAP[type(node.ops[0])].__name__}"))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) in _BIN_SWAP and not isinstance(node.left, ast.Constant | ast.JoinedStr):
            self.points.append((node, f"{type(node.op).__name__} -> "
                                      f"{_BIN_SWAP[type(node.op)].__name__}"))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.points.append((node, f"{type(node.op).__name__} swapped"))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not | ast.USub):
            self.points.append((node, f"{type(node.op).__name__} dropped"))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if type(node.value) is int:
            self.points.append((node, f"{node.value} -> {node.value + 1}"))

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            self.points.append((node, f"{node.func.id} -> "
                                      f"{'max' if node.func.id == 'min' else 'min'}"))
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.generic_visit(node)


def _points(source: str) -> list[tuple[ast.AST, str]]:
    visitor = _Points()
    visitor.visit(ast.parse(source))
    return visitor.points


def _mutate(source: str, index: int) -> str:
    tree = ast.parse(source)
    node, _ = _points_of_tree(tree)[index]
    if isinstance(node, ast.Compare):
        node.ops[0] = _CMP_SWAP[type(node.ops[0])]()
    elif isinstance(node, ast.BinOp):
        node.op = _BIN_SWAP[type(node.op)]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        _replace(tree, node, node.operand)
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1
    elif isinstance(node, ast.Call):
        node.func.id = "max" if node.func.id == "min" else "min"  # type: ignore[attr-defined]
    return ast.unparse(ast.fix_missing_locations(tree))


def _points_of_tree(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    visitor = _Points()
    visitor.visit(tree)
    return visitor.points


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def _worktree(base: Path, k: int) -> Path:
    path = base / f"tree{k}"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(path),
                    "HEAD"], check=True)
    # Files the index does not hold yet (a change under test) come along too.
    for rel in MODULES:
        shutil.copy(REPO / rel, path / rel)
    for tests in {t for ts in MODULES.values() for t in ts}:
        src = REPO / tests
        if src.is_dir():
            shutil.copytree(src, path / tests, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy(src, path / tests)
    shutil.copy(REPO / "tests" / "helpers.py", path / "tests" / "helpers.py")
    return path


def _run(trees: queue.Queue[Path], mutant: Mutant, timeout: float) -> tuple[Mutant, str]:
    tree = trees.get()  # a scratch tree holds one mutant at a time
    try:
        return _run_in(tree, mutant, timeout)
    finally:
        trees.put(tree)


def _run_in(tree: Path, mutant: Mutant, timeout: float) -> tuple[Mutant, str]:
    target = tree / mutant.module
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(_mutate(original, mutant.index), encoding="utf-8")
        tests = [t for t in MODULES[mutant.module] if (tree / t).exists()]
        run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                              "-p", "no:randomly", "-m", "not slow", "--no-header", *tests],
                             cwd=tree, capture_output=True, text=True, timeout=timeout,
                             env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin",
                                  "HOME": str(tree)})
        verdict = "survived" if run.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        verdict = "killed"  # a mutant that hangs the tests is caught too
    finally:
        target.write_text(original, encoding="utf-8")
    return mutant, verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-module", type=int, default=40)
    parser.add_argument("--all", action="store_true", help="every mutation point")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--module", nargs="*", help="only these module paths")
    args = parser.parse_args()
    modules = args.module or list(MODULES)
    mutants: list[Mutant] = []
    for module in modules:
        source = (REPO / module).read_text(encoding="utf-8")
        points = _points(source)
        chosen = list(range(len(points)))
        if not args.all and len(chosen) > args.per_module:
            chosen = sorted(random.Random(module).sample(chosen, args.per_module))
        for i in chosen:
            node, what = points[i]
            mutants.append(Mutant(module, i, getattr(node, "lineno", 0), what))
    base = Path(tempfile.mkdtemp(prefix="mutation_"))
    trees = [_worktree(base, k) for k in range(args.jobs)]
    free: queue.Queue[Path] = queue.Queue()
    for tree in trees:
        free.put(tree)
    start = time.perf_counter()
    results: list[tuple[Mutant, str]] = []
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(_run, free, m, args.timeout) for m in mutants]
            for future in futures:
                results.append(future.result())
                m, verdict = results[-1]
                print(f"{verdict:>8}  {m.module}:{m.line}  {m.what}", flush=True)
    finally:
        for tree in trees:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           check=False)
        shutil.rmtree(base, ignore_errors=True)
    print(f"\n{'module':<40} {'mutants':>8} {'killed':>7} {'score':>7}")
    total = killed = 0
    for module in modules:
        mine = [v for m, v in results if m.module == module]
        k = sum(v == "killed" for v in mine)
        total, killed = total + len(mine), killed + k
        if mine:
            print(f"{module:<40} {len(mine):>8} {k:>7} {k / len(mine):>7.1%}")
    print(f"{'all':<40} {total:>8} {killed:>7} {killed / max(total, 1):>7.1%}  "
          f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
