"""LEAN's members the runtime lacks (lean_local.engine.lean_members): each raises NotSupportedError
naming it, a name no LEAN member has raises Python's AttributeError, and the classes made per order
(and the transaction manager, the algorithm and its slices, the portfolio, the holdings and the securities
collection) define no ``__getattr__`` (which would keep CPython from specialising their attribute reads)."""

from __future__ import annotations

import ast
import inspect
from importlib.metadata import distribution
from pathlib import Path

import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import NotSupportedError, Resolution
from lean_local.engine.lean_members import NotSupportedMember, name_lean_members, pascal_case
from lean_local.engine.orders import Order, OrderEvent, OrderTicket
from lean_local.engine.portfolio import SecurityPortfolioManager
from lean_local.engine.runner import run_algorithm
from lean_local.engine.securities import Security, SecurityHolding, SecurityManager
from lean_local.engine.slice import Slice
from lean_local.engine.transactions import TransactionManager
from tests import fixtures

_ABSENT = object()
_MESSAGE = "{}.{} is part of LEAN's API but the lean_local runtime does not provide it"


def test_pascal_case_is_leans_spelling():
    assert pascal_case("get_hash_code") == "GetHashCode"
    assert pascal_case("symbol") == "Symbol"
    assert pascal_case("NULL_LEVERAGE") == "NullLeverage"


def test_a_missing_member_raises_on_an_instance_and_on_the_class():
    class Thing:
        __slots__ = ("here",)

    name_lean_members(Thing, "Lean.Thing", ("here",), ("gone",))
    thing = Thing()
    thing.here = 1
    for read in (lambda: thing.gone, lambda: Thing.gone):
        with pytest.raises(NotSupportedError, match=_MESSAGE.format("Lean.Thing", "gone")):
            read()
    # both spellings of LEAN's members: the implemented one's PascalCase too
    with pytest.raises(NotSupportedError, match=_MESSAGE.format("Lean.Thing", "Here")):
        _ = thing.Here
    with pytest.raises(NotSupportedError, match=_MESSAGE.format("Lean.Thing", "Gone")):
        _ = thing.Gone
    with pytest.raises(AttributeError) as unknown:
        _ = thing.unknown
    assert type(unknown.value) is AttributeError and not hasattr(thing, "gone")


def test_a_defined_member_is_not_named_missing():
    class Thing:
        def kept(self) -> int:
            return 1

    with pytest.raises(TypeError, match="Thing.kept is defined"):
        name_lean_members(Thing, "Thing", (), ("kept",))


def test_an_attribute_of_the_instance_wins_over_the_missing_member():
    # a non-data descriptor, as the __getattr__ it replaces (which ran only when nothing else was found)
    class Thing:
        pass

    name_lean_members(Thing, "Thing", (), ("data",))
    thing = Thing()
    thing.data = 5
    assert thing.data == 5


class _Trades(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 7)
        self.add_equity("AAA", Resolution.DAILY)
        self.ticket = None
        self.events: list[OrderEvent] = []

    def on_data(self, data):
        self.slice = data
        if self.ticket is None:
            self.ticket = self.market_order("AAA", 10)

    def on_order_event(self, order_event):
        self.events.append(order_event)


def _stub_members(module: str, classes: tuple[str, ...]) -> set[str]:
    """The public members of ``classes`` in quantconnect-stubs' ``module``, System.Object's included."""
    stub = distribution("quantconnect-stubs").locate_file(f"{module.replace('.', '/')}/__init__.pyi")
    tree = ast.parse(Path(str(stub)).read_text())
    names = {"equals", "get_hash_code", "get_type", "reference_equals", "to_string"}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AnnAssign | ast.Assign):
                    targets = item.targets if isinstance(item, ast.Assign) else [getattr(item, "target", item)]
                    names.update(getattr(t, "id", getattr(t, "name", "")) for t in targets)
    return {name for name in names if name and not name.startswith("_")}


_ORDERS = ("Order", "LimitOrder", "StopMarketOrder", "StopLimitOrder", "LimitIfTouchedOrder", "TrailingStopOrder",
           "MarketOrder", "MarketOnOpenOrder", "MarketOnCloseOrder", "OptionExerciseOrder", "ComboOrder",
           "ComboMarketOrder", "ComboLimitOrder", "ComboLegLimitOrder")


def test_every_lean_member_is_implemented_or_raises_not_supported(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"],
                                                     [10, 11, 12, 13]))
    algo, _, _ = run_algorithm(_Trades, root)
    ticket = algo.ticket
    order = algo.transactions.get_order_by_id(ticket.order_id)
    security = algo.securities["AAA"]
    members = {
        "Order": (order, _stub_members("QuantConnect.Orders", _ORDERS)),
        "OrderTicket": (ticket, _stub_members("QuantConnect.Orders", ("OrderTicket",))),
        "OrderEvent": (algo.events[0], _stub_members("QuantConnect.Orders", ("OrderEvent",))),
        "QCAlgorithm": (algo, _stub_members("QuantConnect.Algorithm", ("QCAlgorithm",))),
        "Slice": (algo.slice, _stub_members("QuantConnect.Data", ("Slice",))
                  | _stub_members("QuantConnect", ("ExtendedDictionary",))),
        "SecurityTransactionManager": (algo.transactions,
                                       _stub_members("QuantConnect.Securities", ("SecurityTransactionManager",))),
        "SecurityPortfolioManager": (algo.portfolio,
                                     _stub_members("QuantConnect.Securities", ("SecurityPortfolioManager",))
                                     | _stub_members("QuantConnect", ("ExtendedDictionary",))),
        "SecurityHolding": (security.holdings, _stub_members("QuantConnect.Securities", ("SecurityHolding",))),
        "SecurityManager": (algo.securities, _stub_members("QuantConnect.Securities", ("SecurityManager",))
                            | _stub_members("QuantConnect", ("ExtendedDictionary",))),
        "Security": (security, _stub_members("QuantConnect.Securities", ("Security",))
                     | _stub_members("QuantConnect.Interfaces", ("ISecurityPrice",))
                     | _stub_members("QuantConnect.Securities.Equity", ("Equity",))
                     | _stub_members("QuantConnect.Securities.Forex", ("Forex",))),
    }
    for owner, (instance, names) in members.items():
        assert not any("__getattr__" in vars(cls) for cls in type(instance).__mro__), owner
        missing = 0
        for name in sorted(names):
            found = inspect.getattr_static(instance, name, _ABSENT)
            if isinstance(found, NotSupportedMember):
                missing += 1
                with pytest.raises(NotSupportedError, match=_MESSAGE.format(owner, name)):
                    getattr(instance, name)
            else:
                assert found is not _ABSENT, f"{owner}.{name} is neither implemented nor named missing"
            with pytest.raises(NotSupportedError, match=_MESSAGE.format(owner, pascal_case(name))):
                getattr(instance, pascal_case(name))
        assert 0 < missing < len(names)
        with pytest.raises(AttributeError) as unknown:
            _ = instance.no_such_member
        assert type(unknown.value) is AttributeError
    assert order.quantity == 10 and ticket.quantity_filled == 10 and security.symbol.value == "AAA"
    assert algo.portfolio.total_fees == 1.0 and algo.portfolio.transaction_record == {}
    assert security.holdings.quantity == 10 and algo.securities.count == 1
    # a private name raises Python's AttributeError (the engine's own look-ups rely on it)
    with pytest.raises(AttributeError) as private:
        _ = algo._no_such_member
    assert type(private.value) is AttributeError


class _EndOfDay(_Trades):
    def initialize(self):
        super().initialize()
        self.ends = []

    def on_end_of_day(self, symbol):
        self.ends.append(self.time)

    def OnMarginCall(self, requests):  # noqa: N802 - LEAN's PascalCase handler, bound under on_margin_call
        return requests


def test_the_algorithms_own_member_wins_over_the_missing_one(tmp_path):
    # on_end_of_day is a LEAN member the runtime calls only when the algorithm defines it; OnMarginCall
    # is a PascalCase spelling the runtime binds under the snake_case handler
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"],
                                                     [10, 11, 12, 13]))
    algo, _, _ = run_algorithm(_EndOfDay, root)
    assert len(algo.ends) == 4 and algo.on_margin_call([1]) == [1]
    with pytest.raises(NotSupportedError, match=_MESSAGE.format("QCAlgorithm", "on_end_of_day")):
        _ = QCAlgorithm.on_end_of_day


@pytest.mark.parametrize("cls", [Order, OrderTicket, OrderEvent, Security, TransactionManager, QCAlgorithm,
                                 Slice, SecurityPortfolioManager, SecurityHolding, SecurityManager])
def test_the_classes_read_per_order_have_no_getattr(cls):
    assert not any("__getattr__" in vars(each) for each in cls.__mro__)
