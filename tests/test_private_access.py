"""``lean_local``'s objects talk through their public members (docs/ARCHITECTURE.md, "Who talks to whom").

A module reads or sets another object's private member (``x._name``) only where the list below says why.
Not counted: ``self._name`` and ``cls._name``; a member of a module (``os._exit``); an access in the
module whose classes define ``_name`` (a module's private members are its own: ``other._sid`` in
``Symbol.__eq__``, a holding reading its security's portfolio); dunder names. Every listed access must still occur (the list holds no stale
entry).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.source_scan import imported_from

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "lean_local"

#: (module path under src/lean_local, private member) -> why it is read from outside its object.
KNOWN_PRIVATE_ACCESSES: dict[tuple[str, str], str] = {
    ("engine/runner.py", "_attach_engine"):
        "the one seam between the engine and an algorithm: it hands the runner the algorithm's RunContext "
        "(QCAlgorithm's public names are LEAN's API, so the seam cannot be public)",
    ("engine/algorithm.py", "_prices"):
        "the algorithm gives its SecurityBenchmark the daily prices it evaluates (LEAN's SecurityBenchmark has "
        "no such member: it reads its security)",
    ("engine/common.py", "_strike"): "Symbol's option string reads its SecurityIdentifier's exact decimal strike",
    ("engine/fundamental_universe.py", "_sid"):
        "whether a Symbol was read with its identifier (Symbol.id would resolve one through the map files)",
    ("engine/slice.py", "_sub"): "a slice's bars are read from a BarView's subscription row without a copy",
    ("engine/slice.py", "_i"): "a slice's bars are read from a BarView's subscription row without a copy",
    ("engine/slice.py", "_end"): "a slice's data point takes a fill-forward BarView's end time",
    ("engine/transactions.py", "_filled"): "the transaction manager keeps its tickets' filled quantity",
    ("engine/order_batches.py", "_filled"): "as engine/transactions.py's (the transaction manager's many-order paths)",
    ("engine/universe_api.py", "_default_settings"):
        "whether a universe took the algorithm's universe settings (LEAN's Universe has no such member)",
    ("engine/volatility.py", "_from_values"): "TradeBar's constructor from values (LEAN's TradeBar has no such member)",
    ("engine/volatility.py", "_scaled_history_bars"):
        "a volatility model's warm-up reads the algorithm's history as LEAN's internal history request does",
    ("framework/api.py", "_default_settings"): "as engine/universe_api.py's",
    ("framework/driver.py", "_add_framework_universe"):
        "a universe selection model's universes join the algorithm's (LEAN's internal AddUniverse path)",
    ("framework/driver.py", "_state"): "the driver asks the portfolio construction model for its rebalance state",
    ("framework/insight_collection.py", "_framework_activate"):
        "emitting insights turns the algorithm framework on (LEAN's QCAlgorithm.Insights)",
    ("framework/targets.py", "_order_quantity"):
        "a portfolio target's quantity is sized as set_holdings sizes it (LEAN's internal CalculateOrderQuantity)",
    ("indicators/base.py", "_lean_wrapped"): "marks a user's update method already wrapped (a function attribute)",
    ("indicators/helpers.py", "_from_values"): "as engine/volatility.py's",
    ("indicators/helpers.py", "_input_kind"): "what an indicator takes (a point or a bar; LEAN's type parameter)",
    ("indicators/helpers.py", "_update"):
        "the subscription manager's consolidators take the step's slice (LEAN's internal SubscriptionManager path)",
    ("statistics/summary.py", "_analysis"): "the statistics cache their result on the record (a dataclass field)",
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_module(name: str) -> bool:
    """Is ``name`` one of ``lean_local``'s modules? (Another package's modules are named by ``import x``.)"""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return name.split(".")[0] == "lean_local" and (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file())


def _module_names(tree: ast.Module, package: str) -> set[str]:
    """The names a module binds to modules (``import x``, ``from lean_local.pkg import module``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = imported_from(node, package)
            for alias in node.names:
                if _is_module(f"{base}.{alias.name}"):
                    names.add(alias.asname or alias.name)
    return names


def _own_members(tree: ast.Module) -> set[str]:
    """The private members the module's classes define: methods, class attributes and ``self._x = ...``."""
    members: set[str] = set()
    for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                members.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                members.add(node.id)
                if node.id == "__slots__":
                    members.update(slot.value for slot in ast.walk(cls) if isinstance(slot, ast.Constant)
                                   and isinstance(slot.value, str))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                members.add(node.attr)
    return {name for name in members if _is_private(name)}


def private_accesses(source: str, package: str = "lean_local") -> list[tuple[str, str, int]]:
    """``(member, expression, line)`` of each access to another object's private member in a module's
    ``source`` (of ``package``, for its relative imports)."""
    tree = ast.parse(source)
    skipped = {"self", "cls", *_module_names(tree, package)}
    own = _own_members(tree)
    return [(node.attr, ast.unparse(node), node.lineno) for node in sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Attribute) and _is_private(node.attr)
         and node.attr not in own and not (isinstance(node.value, ast.Name) and node.value.id in skipped)),
        key=lambda node: (node.lineno, node.end_col_offset))]


def all_accesses() -> dict[tuple[str, str], list[str]]:
    """(module path, member) -> ``file:line expression`` of each access, over ``src/lean_local``."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        package = ".".join(path.relative_to(PACKAGE.parent).parts[:-1])
        for member, expression, line in private_accesses(path.read_text(encoding="utf-8"), package):
            found.setdefault((name, member), []).append(f"{name}:{line} {expression}")
    return found


def test_no_new_private_access():
    found = all_accesses()
    new = {key: places for key, places in found.items() if key not in KNOWN_PRIVATE_ACCESSES}
    assert not new, "another object's private member (make it public or go through an interface):\n" + "\n".join(
        place for places in new.values() for place in places)


def test_known_private_accesses_are_not_stale():
    stale = set(KNOWN_PRIVATE_ACCESSES) - set(all_accesses())
    assert not stale, f"no longer accessed, remove from KNOWN_PRIVATE_ACCESSES: {sorted(stale)}"


def test_the_scan_counts_other_objects_private_members_only():
    source = (
        "import os\n"
        "from lean_local.engine import feed as feeds\n"
        "class Book:\n"
        "    def __init__(self):\n"
        "        self._cash = 0\n"
        "    def same(self, other):\n"
        "        return other._cash + self._cash + Book._rate\n"
        "    _rate = 1\n"
        "def reach(algo, security):\n"
        "    os._exit(0)\n"
        "    feeds._private_helper()\n"
        "    security.__class__\n"
        "    return algo._feed.clock._time + security._column\n"
    )
    found = private_accesses(source)
    assert [(member, expression) for member, expression, _ in found] == [
        ("_feed", "algo._feed"), ("_time", "algo._feed.clock._time"), ("_column", "security._column")]
    assert [line for *_, line in found] == [13, 13, 13]


if __name__ == "__main__":
    for (module, member), places in sorted(all_accesses().items(), key=lambda item: -len(item[1])):
        print(len(places), module, member)
