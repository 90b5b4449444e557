"""``lean_local``'s layering (docs/ARCHITECTURE.md): imports only go down, no import cycle, small modules.
The workspace's jobs (``src/workspace_jobs``: training, the demo) sit above the runtime: the runtime never
imports them.

Every ``import`` in ``src/lean_local`` and ``src/workspace_jobs`` counts, module-level or inside a function (a lazy import is
still a dependency); only imports under ``if TYPE_CHECKING:`` (never executed) are left out. The
known exceptions are listed with their reason, so a new violation fails the test and a fixed one
must be removed from the list (the test checks the lists hold no stale entry).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.source_scan import imported_from

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src"

#: The layers, bottom first, as docs/ARCHITECTURE.md's table: a module may import its own layer and
#: those below it. A module belongs to the row of its longest matching prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("chores", ("lean_local.atomic", "lean_local.lazy", "lean_local.progress", "lean_local.run_folders", "lean_local.parameters",
                "lean_local.workspace", "lean_local.json_text", "lean_local.collector")),
    ("data files", ("lean_local.data.formats", "lean_local.data.market_hours", "lean_local.data.symbol_properties",
                    "lean_local.data.map_files", "lean_local.object_store")),
    ("data tools", ("lean_local.data",)),
    ("statistics", ("lean_local.statistics",)),
    ("engine", ("lean_local.engine", "lean_local.indicators", "lean_local.consolidators")),
    ("framework", ("lean_local.framework",)),
    ("results", ("lean_local.results", "lean_local.report")),
    ("front", ("lean_local.shim", "lean_local.backtest", "lean_local.research", "lean_local.optimize", "lean_local.conformance",
               "lean_local.cli", "lean_local")),
    ("workspace jobs", ("workspace_jobs",)),
]

#: Imports that go up, each with its reason.
KNOWN_UPWARD_IMPORTS: dict[tuple[str, str], str] = {
    ("lean_local.engine.algorithm", "lean_local.framework.api"):
        "QCAlgorithm mixes in FrameworkAlgorithm: in LEAN the framework's members (set_alpha, insights, ...) "
        "are QCAlgorithm's own, and QCAlgorithm is imported from lean_local.engine.algorithm by the engine "
        "(the loop, the record) and every caller",
}

#: Import cycles (each a set of modules importing each other), each with its reason. `lean-local`'s
#: dispatcher (cli.py) loads each command's module by name from its COMMANDS table, so cli -> demo -> cli
#: is no import cycle.
KNOWN_CYCLES: dict[frozenset[str], str] = {}

#: The largest module size (lines) the team's guide allows, and the modules over it, each with its reason.
MAX_LINES = 500
KNOWN_LARGE_MODULES: dict[str, str] = {}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of ``lean_local`` and of the workspace's jobs: dotted name -> (file, is a package's
    ``__init__``)."""
    modules = {}
    for path in sorted([*(SOURCE / "lean_local").rglob("*.py"), *(SOURCE / "workspace_jobs").rglob("*.py")]):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if package else parts)] = (path, package)
    return modules


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module ``name`` lives in (``a.b.c`` may be a function ``c`` of module ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_edges(module: str) -> set[str]:
    """The ``lean_local`` and ``workspace_jobs`` modules ``module`` imports anywhere in its file (lazy imports
    included)."""
    path, is_package = MODULES[module]
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(filter(None, (_owner(alias.name) for alias in child.names)))
            elif isinstance(child, ast.ImportFrom):
                base = imported_from(child, package)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in MODULES else _owner(base)
                    if target:
                        found.add(target)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    found.discard(module)
    return found


GRAPH = {module: import_edges(module) for module in MODULES}


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS` of the row with the longest prefix of ``module``."""
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer of LAYERS: add it to the table (and to docs/ARCHITECTURE.md)"
    return rank


def upward_imports() -> dict[tuple[str, str], str]:
    """Every import from a module to one in a higher layer, with both layers' names."""
    return {
        (module, target): f"{LAYERS[layer_of(module)][0]} -> {LAYERS[layer_of(target)][0]}"
        for module, targets in GRAPH.items() for target in targets
        if layer_of(target) > layer_of(module)
    }


def import_cycles() -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(GRAPH):
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(frozenset(component))
    return cycles


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_imports_only_go_down():
    found = upward_imports()
    new = {edge: layers for edge, layers in found.items() if edge not in KNOWN_UPWARD_IMPORTS}
    assert not new, "imports that go up a layer (docs/ARCHITECTURE.md):\n" + "\n".join(
        f"  {a} imports {b} ({layers})" for (a, b), layers in sorted(new.items()))
    stale = set(KNOWN_UPWARD_IMPORTS) - set(found)
    assert not stale, f"no longer imported, remove from KNOWN_UPWARD_IMPORTS: {sorted(stale)}"


def test_no_import_cycle():
    found = import_cycles()
    new = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    assert not new, f"import cycles (lazy imports count): {new}"
    stale = set(KNOWN_CYCLES) - set(found)
    assert not stale, f"no longer a cycle, remove from KNOWN_CYCLES: {[sorted(c) for c in stale]}"


def test_no_module_over_the_size_limit():
    sizes = {str(path.relative_to(SOURCE)): len(path.read_text(encoding="utf-8").splitlines())
             for path, _ in MODULES.values()}
    large = {name for name, lines in sizes.items() if lines > MAX_LINES}
    assert not large - set(KNOWN_LARGE_MODULES), {name: sizes[name] for name in large - set(KNOWN_LARGE_MODULES)}
    assert not set(KNOWN_LARGE_MODULES) - large, "now small enough, remove from KNOWN_LARGE_MODULES"


#: One module per shared chore: the code that decides a progress bar, and the code that writes a file
#: atomically, each live in one module; a copy elsewhere is listed with its reason.
CHORES = {
    "progress bar": (("isatty(", "from tqdm", "import tqdm"), "lean_local/progress.py", {}),
    "atomic write": (("os.replace(", "mkstemp(", "NamedTemporaryFile("), "lean_local/atomic.py", {}),
}


@pytest.mark.parametrize("chore", sorted(CHORES))
def test_each_shared_chore_has_one_home(chore):
    needles, home, known = CHORES[chore]
    holders = {str(path.relative_to(SOURCE)) for path, _ in MODULES.values()
               if any(needle in path.read_text(encoding="utf-8") for needle in needles)}
    assert home in holders
    assert holders - {home} - set(known) == set(), f"a {chore} written outside {home}"
    assert set(known) <= holders, f"no longer a copy, remove from CHORES[{chore!r}]: {set(known) - holders}"


# --- the checker itself, on made-up sources -------------------------------------------------------


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """A tiny ``lean_local`` tree (chores ``atomic`` and ``progress``, engine ``engine.feed``, front ``cli``)
    and a job ``workspace_jobs.demo``."""
    package = tmp_path / "lean_local"
    (package / "engine").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "atomic.py").write_text("import os\n")
    (package / "cli.py").write_text("from lean_local.engine import feed\n")
    (package / "engine" / "feed.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from lean_local import atomic\n"
        "if TYPE_CHECKING:\n    import lean_local\n"
        "def lazy():\n    from lean_local.cli import main\n")
    jobs = tmp_path / "workspace_jobs"
    jobs.mkdir()
    (jobs / "__init__.py").write_text("")
    (jobs / "demo.py").write_text("from lean_local import cli\n")
    (package / "progress.py").write_text("def job():\n    import workspace_jobs.demo\n")
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "SOURCE", tmp_path)
    monkeypatch.setattr(this, "MODULES", _modules())
    graph = {m: import_edges(m) for m in this.MODULES}
    monkeypatch.setattr(this, "GRAPH", graph)
    return graph


def test_checker_sees_lazy_imports_and_skips_type_checking_ones(fake_package):
    assert fake_package["lean_local.engine.feed"] == {"lean_local.atomic", "lean_local.cli"}
    assert fake_package["workspace_jobs.demo"] == {"lean_local.cli"}  # the jobs use the runtime: down
    assert set(upward_imports()) == {("lean_local.engine.feed", "lean_local.cli"),
                                     ("lean_local.progress", "workspace_jobs.demo")}
    assert import_cycles() == [frozenset({"lean_local.cli", "lean_local.engine.feed"})]
