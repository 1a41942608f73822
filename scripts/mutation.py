"""Mutation testing of the core rules: plant one small bug at a time, see if the tests fail.

For each module below, every mutation point of its source is found with ``ast`` (a
comparison flipped or relaxed, ``+``/``-`` and ``*``/``/`` swapped, ``and``/``or`` swapped,
a ``not`` dropped, an integer constant moved by one, a unary minus dropped, ``min``/``max``
swapped); a deterministic sample of them (``--per-module``, all with ``--all``) is applied
one at a time to a scratch copy of the repository (``git worktree``, so the working tree is
never touched) and the module's fast tests run against it. A mutant the tests fail on is
*killed*; one they pass is a *survivor*, printed with its line so it can be killed by a new
test or explained. The tests first run once on the unmutated copy: if they fail there, no
score is given (every mutant would look killed). Mutants reviewed as equivalent (they cannot
change observable behaviour) are listed in :data:`EQUIVALENT` with the reason; they are
printed, not run, and left out of the score. Prints the mutation score per module and overall.

    python scripts/mutation.py [--per-module 40] [--all] [--jobs 2] [--module NAME ...]
                               [--index N ...]
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

# module -> the fast tests that guard it (tests marked slow or shared are deselected, so
# nothing here needs ../shared; the scratch trees sit where ../shared does not exist anyway).
# RowScorer, the one-applicant scorer, lives in engine.py.
MODULES: dict[str, list[str]] = {
    "scorecard/card/engine.py": ["tests/card"],
    "scorecard/card/scaling.py": ["tests/card"],
    "scorecard/card/grades.py": ["tests/card", "tests/validation/test_score_bands.py"],
    "scorecard/card/reasons.py": ["tests/card"],
    "scorecard/card/ranking.py": ["tests/card"],
    "scorecard/fit/selection.py": ["tests/fit/test_selection_rules.py"],
    "scorecard/fit/overrides/__init__.py": ["tests/fit/test_overrides.py"],
    "validation/discrimination.py": ["tests/validation/test_oracles.py",
                                     "tests/validation/test_discrimination.py"],
    "validation/calibration.py": ["tests/validation/test_oracles.py",
                                  "tests/validation/test_calibration.py"],
    "validation/stability.py": ["tests/validation/test_oracles.py",
                                "tests/validation/test_stability.py"],
    "scorecard/data/contract.py": ["tests/data/test_contract_rules.py",
                                   "tests/data/test_contract_cli.py", "tests/api/test_contract.py"],
}


@dataclass(frozen=True)
class Equivalent:
    """A reviewed mutant that cannot change observable behaviour, and why.

    It matches the mutation points of ``module`` whose description is ``what`` and whose
    source line contains ``line``; ``nth`` picks one of several such points on that line
    (0-based, in the order the points are found). A matching mutant is not run: it is
    printed with its reason and left out of the score.
    """

    module: str
    line: str
    what: str
    reason: str
    nth: int | None = None


EQUIVALENT: list[Equivalent] = [
    Equivalent("scorecard/card/engine.py", "f[\"bins\"][:len(self.splits) + 1]", "1 -> 2",
               "the regular points are read only at a bisect/searchsorted position over the "
               "splits (0 .. len(splits)), so one more entry in the list is never read"),
    Equivalent("scorecard/card/engine.py", "if self.features_ else 0", "0 -> 1",
               "the no-characteristic branch: a verified artifact has at least one "
               "characteristic (load_artifact refuses an empty list)", nth=1),
    Equivalent("scorecard/card/ranking.py", "* -(k + 1)", "1 -> 2",
               "positions run 0 .. k-1, so any multiplier above k-1 keeps the key "
               "lexicographic in (loss, position): k + 2 orders exactly as k + 1"),
    Equivalent("scorecard/card/ranking.py", "* 100", "100 -> 101",
               "losses come in steps of 0.01; 101 * loss rounds distinct hundredths to distinct "
               "integers in the same order and equal losses to equal ones (a tie at .5 needs "
               "a loss n + 0.5, which is an exact float)"),
    Equivalent("scorecard/card/reasons.py", "if top < k:", "Lt -> LtE",
               "with top == k the partial sort selects every rank and then sorts them: the "
               "order of the full sort, as ranks are distinct within a row"),
    Equivalent("scorecard/card/reasons.py", "min(hi_s - total_lo, len(total) - 1)",
               "Sub -> Add", "the clamp of the window's top at len(total) - 1: a numpy slice "
               "stops at the end of total anyway, so len(total) + 1 sums the same scores",
               nth=2),
    Equivalent("scorecard/card/reasons.py", "if mass > 1e-300 or width", "Gt -> GtE",
               "a window's mass is 0 or at least one product of count shares, one per "
               "characteristic (each >= 2^-53): above 1e-300 for any card of up to 18 "
               "characteristics, so it is never exactly 1e-300", nth=0),
    Equivalent("scorecard/card/reasons.py", "if mass > 1e-300 or width", "Gt -> GtE",
               "at width = len(total) + |cutoff - lowest score| the window covers every "
               "score, so the mass test has already broken the loop", nth=1),
    Equivalent("validation/stability.py", "> VIF_HIGH", "Gt -> GtE",
               "VIF = 1 / (1 - R^2) with 1 - R^2 exact on the 2^-53 grid near 0.2, none of "
               "whose points is within rounding of 0.2: a VIF is never exactly 5.0"),
]

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


def _equivalent(m: Mutant, points: list[tuple[ast.AST, str]], lines: list[str]) -> str | None:
    """The reason of the :data:`EQUIVALENT` entry matching ``m``, if any."""
    for e in EQUIVALENT:
        if e.module != m.module or e.what != m.what or e.line not in lines[m.line - 1]:
            continue
        if e.nth is not None:
            same = [i for i, (node, what) in enumerate(points)
                    if what == m.what and getattr(node, "lineno", 0) == m.line]
            if same.index(m.index) != e.nth:
                continue
        return e.reason
    return None


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
    shutil.copytree(REPO / "tests" / "support", path / "tests" / "support", dirs_exist_ok=True)
    return path


def _run(trees: queue.Queue[Path], mutant: Mutant, timeout: float) -> tuple[Mutant, str]:
    tree = trees.get()  # a scratch tree holds one mutant at a time
    try:
        return _run_in(tree, mutant, timeout)
    finally:
        trees.put(tree)


def _pytest(tree: Path, module: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """The module's fast tests, run in ``tree`` (raises TimeoutExpired)."""
    tests = [t for t in MODULES[module] if (tree / t).exists()]
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "-m", "not slow and not shared", "--no-header",
                           *tests],
                          cwd=tree, capture_output=True, text=True, timeout=timeout,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin",
                               "HOME": str(tree)})


def _run_in(tree: Path, mutant: Mutant, timeout: float) -> tuple[Mutant, str]:
    target = tree / mutant.module
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(_mutate(original, mutant.index), encoding="utf-8")
        run = _pytest(tree, mutant.module, timeout)
        verdict = "survived" if run.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        verdict = "killed"  # a mutant that hangs the tests is caught too
    finally:
        target.write_text(original, encoding="utf-8")
    return mutant, verdict


def _baseline_failures(tree: Path, modules: list[str], timeout: float) -> list[str]:
    """The modules whose tests fail on the unmutated tree: every mutant would count as
    killed, so the score would mean nothing."""
    failing, seen = [], set()
    for module in modules:
        tests = tuple(MODULES[module])
        if tests in seen:
            continue
        seen.add(tests)
        run = _pytest(tree, module, timeout)
        if run.returncode != 0:
            failing.append(f"{module}: {' '.join(tests)}\n{run.stdout[-2000:]}")
    return failing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-module", type=int, default=40)
    parser.add_argument("--all", action="store_true", help="every mutation point")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--module", nargs="*", help="only these module paths")
    parser.add_argument("--index", type=int, nargs="*",
                        help="only these mutation points (of the one --module), to re-check "
                             "survivors")
    args = parser.parse_args()
    if args.index is not None and len(args.module or ()) != 1:
        parser.error("--index needs exactly one --module")
    modules = args.module or list(MODULES)
    mutants: list[Mutant] = []
    equivalent: dict[Mutant, str] = {}
    for module in modules:
        source = (REPO / module).read_text(encoding="utf-8")
        points = _points(source)
        chosen = list(range(len(points)))
        if args.index is not None:
            chosen = sorted(set(args.index) & set(chosen))
        elif not args.all and len(chosen) > args.per_module:
            chosen = sorted(random.Random(module).sample(chosen, args.per_module))
        lines = source.splitlines()
        for i in chosen:
            node, what = points[i]
            mutants.append(Mutant(module, i, getattr(node, "lineno", 0), what))
        for m in mutants[-len(chosen):] if chosen else []:
            reason = _equivalent(m, points, lines)
            if reason is not None:
                equivalent[m] = reason
    run = [m for m in mutants if m not in equivalent]
    base = Path(tempfile.mkdtemp(prefix="mutation_"))
    trees = [_worktree(base, k) for k in range(args.jobs)]
    free: queue.Queue[Path] = queue.Queue()
    for tree in trees:
        free.put(tree)
    start = time.perf_counter()
    results: list[tuple[Mutant, str]] = []
    try:
        failing = _baseline_failures(trees[0], modules, args.timeout)
        if failing:
            print("the tests fail without any mutant, so no score:\n" + "\n".join(failing))
            return 2
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(_run, free, m, args.timeout) for m in run]
            for future in futures:
                results.append(future.result())
                m, verdict = results[-1]
                print(f"{verdict:>8}  {m.module}:{m.line}  {m.what}  [#{m.index}]", flush=True)
    finally:
        for tree in trees:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           check=False)
        shutil.rmtree(base, ignore_errors=True)
    if equivalent:
        print("\nequivalent mutants (not run, not scored):")
        for m, reason in equivalent.items():
            print(f"  {m.module}:{m.line}  {m.what}  [#{m.index}]: {reason}")
    print(f"\n{'module':<40} {'mutants':>8} {'equiv':>6} {'killed':>7} {'score':>7}")
    total = killed = 0
    for module in modules:
        mine = [v for m, v in results if m.module == module]
        same = sum(m.module == module for m in equivalent)
        k = sum(v == "killed" for v in mine)
        total, killed = total + len(mine), killed + k
        if mine:
            print(f"{module:<40} {len(mine):>8} {same:>6} {k:>7} {k / len(mine):>7.1%}")
    print(f"{'all':<40} {total:>8} {len(equivalent):>6} {killed:>7} "
          f"{killed / max(total, 1):>7.1%}  "
          f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
