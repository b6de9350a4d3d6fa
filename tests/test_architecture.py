"""The layout holds: imports point one way (pyproject's import-linter
contracts), a compiled model loads neither Lark nor sqlglot, no module
imports itself round a cycle (docs/architecture.md, "Layers"), and the map's
"Modules" table names every module.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def package_dirs() -> dict:
    """Each top-level package of the distribution → its folder (pyproject's package-dir)."""
    mapping = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in mapping.items()}


# ---- the import contracts ----------------------------------------------------------------

def linked_tree(base: Path, copy: str | None = None) -> Path:
    """`leadscore` as one folder of links, as import-linter needs it: dsl/, compiler/, runtime/
    and grammar/ are packages of `leadscore` only by package-dir. `copy`: a subpackage copied
    instead of linked, so a test can change it."""
    tree = base / "leadscore"
    tree.mkdir(parents=True)
    entries = {p.name: p for p in (ROOT / "leadscore").iterdir() if p.name != "__pycache__"}
    for name, folder in package_dirs().items():
        if name.count(".") == 1:
            entries[name.split(".")[1]] = folder
    for name, target in entries.items():
        if name == copy:
            shutil.copytree(target, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (tree / name).symlink_to(target, target_is_directory=target.is_dir())
    return base


def lint_imports(base: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (the `test` extra)")
    env = {**os.environ, "PYTHONPATH": str(base)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(PYPROJECT)], cwd=base, env=env,
                          capture_output=True, text=True, timeout=300)


def test_imports_keep_the_contracts(tmp_path):
    """pyproject's [tool.importlinter]: the layers, the runtime as the floor, no cycle between siblings."""
    run = lint_imports(linked_tree(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_contract_fails_when_the_runtime_imports_the_front_end(tmp_path):
    """The contract bites: one runtime module importing the checker breaks it, named."""
    base = linked_tree(tmp_path, copy="runtime")
    plan = base / "leadscore" / "runtime" / "plan.py"
    plan.write_text(plan.read_text(encoding="utf-8") + "\nfrom ..dsl import check  # noqa\n", encoding="utf-8")
    run = lint_imports(base)
    assert run.returncode != 0
    assert "leadscore.runtime.plan -> leadscore.dsl" in run.stdout, run.stdout


# ---- a compiled model ----------------------------------------------------------------------

def test_a_compiled_model_loads_neither_lark_nor_sqlglot(tmp_path):
    """`leadscore compile`'s module, imported in a fresh interpreter, scores with the runtime alone."""
    scorer = tmp_path / "b2b_scorer.py"
    result = CliRunner().invoke(main, ["compile", str(ROOT / "examples" / "b2b.score"), "-o", str(scorer)])
    assert result.exit_code == 0, result.output
    probe = "\n".join([
        "import sys",
        "sys.path.insert(0, sys.argv[1])",
        "import b2b_scorer",
        "b2b_scorer.score({'id': 'L1'}, now='2026-11-20T00:00:00Z')",
        "front = ('lark', 'sqlglot', 'leadscore.dsl', 'leadscore.compiler', 'leadscore.grammar')",
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(front))))",
    ])
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"a compiled model loaded: {run.stdout.strip()}"


def test_the_checked_model_loads_without_the_parser():
    """`from leadscore.dsl import ir` (what the backends and engines import) does not load Lark:
    the package's `__init__` loads the parser and checker only when text is analyzed."""
    probe = "import sys; from leadscore.dsl import ir; print(' '.join(m for m in sys.modules if m.startswith('lark')))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


# ---- the map ------------------------------------------------------------------------------

def named_in_map(path: Path, lines: list) -> bool:
    """Does a line of docs/architecture.md name the module: its path (`dsl/format.py`), or its
    file name on a line that names its folder (`leadscore/lsp/hover.py`, `completion.py`)?"""
    relative = path.relative_to(ROOT).as_posix()
    folder = relative.rsplit("/", 1)[0] + "/"
    return any(relative in line or (f"`{path.name}`" in line and folder in line) for line in lines)


def test_the_map_names_every_module():
    """A module added or moved without its line in docs/architecture.md's "Modules" fails here."""
    lines = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
    missing = sorted(p.relative_to(ROOT).as_posix() for p, _ in modules().values()
                     if p.name != "__init__.py" and not named_in_map(p, lines))
    assert not missing, f"docs/architecture.md does not say what these modules do: {', '.join(missing)}"


# ---- no cycle ------------------------------------------------------------------------------

def modules() -> dict:
    """Every module of the distribution: dotted name → (path, is a package)."""
    found = {}
    for package, folder in package_dirs().items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            found[".".join([package, *parts])] = (path, is_package)
    return found


def top_level_imports(tree: ast.Module):
    """The imports a module runs when it is loaded: its top-level statements, and those inside
    top-level `try` and `if` blocks (not `if TYPE_CHECKING:`); never those inside functions."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            pending += node.body + node.orelse


def import_graph() -> dict:
    """module → the modules of ours it imports at load time."""
    known = modules()
    graph = {}
    for name, (path, is_package) in known.items():
        package = name if is_package else name.rpartition(".")[0]
        edges = set()
        for node in top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in known}
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                edges.add(target if target in known else base)
        graph[name] = {e for e in edges if e in known and e != name}
    return graph


def cycles(graph: dict) -> list:
    """The strongly connected components of more than one module (Tarjan), each as one cycle."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(a_cycle(graph, component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def a_cycle(graph: dict, component: set) -> list:
    """One cycle through a component: from its first module, the shortest way back to it."""
    start = min(component)
    paths = {w: [start, w] for w in graph[start] if w in component}
    while start not in paths:
        step = {}
        for end, path in paths.items():
            for w in graph[end]:
                if w in component and w not in paths and w not in step:
                    step[w] = path + [w]
        paths.update(step)
    return paths[start]


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_round_a_cycle():
    """Top-level imports only: a cycle among them makes the import order matter."""
    graph = import_graph()
    assert "leadscore.runtime.model" in graph and "leadscore.cli.options" in graph
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" → ".join(cycle) for cycle in found)
