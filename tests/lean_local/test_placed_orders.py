"""Orders placed together while none is open are held as columns (``placed_orders.PlacedOrders``): their
tickets are real, and reading an order (a ticket's, a query's, an event's) builds them in the state they
have then, the state the orders made one by one have."""

from __future__ import annotations

from lean_local.engine import placed_orders
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.orders import Order, OrderStatus, OrderTicket, OrderType
from lean_local.engine.runner import run_algorithm
from lean_local.framework.targets import PortfolioTarget
from tests.lean_local.test_step_orders import folder, trade_every_ticker  # noqa: F401 (the fixture)


class PlacedTwice(QCAlgorithm):
    """Equal weights on the first and third days; on the fifth, the orders read, then a market order."""

    def initialize(self):
        self.settings.minimum_order_margin_portfolio_percentage = 0
        trade_every_ticker(self, (2020, 1, 10))
        self.days, self.seen, self.tickets = 0, {}, []

    def on_data(self, data):
        self.days += 1
        if self.days in (1, 3):
            weight = (0.5 if self.days == 1 else 0.8) / len(self.symbols)
            self.tickets += self.set_holdings([PortfolioTarget(s, weight) for s in self.symbols])
            self.seen[self.days] = (self.transactions.orders_count, BUILDS[0])
        elif self.days == 5:
            self.seen["before"] = BUILDS[0]
            ticket = self.tickets[0]
            self.seen["ticket"] = (ticket.order_id, ticket.status, ticket.order_type, ticket.quantity_filled,
                                   ticket.quantity, ticket.average_fill_price)
            self.seen["after"] = BUILDS[0]
            self.seen["market"] = self.market_order(self.symbols[0], 1).order_id


BUILDS = [0]


def test_orders_placed_together_are_built_when_read(folder, monkeypatch):  # noqa: F811
    build = placed_orders.PlacedOrders.build

    def counted(self):
        BUILDS[0] += 1
        return build(self)

    BUILDS[0] = 0
    monkeypatch.setattr(placed_orders.PlacedOrders, "build", counted)
    algo, _record, _ = run_algorithm(PlacedTwice, folder)
    n = len(algo.symbols)
    # placed and filled as columns: counted, nothing built until the fifth day's read, then both at once
    assert algo.seen[1] == (n, 0) and algo.seen[3] == (2 * n, 0)
    assert algo.seen["before"] == 0 and algo.seen["after"] == 2
    assert all(type(ticket) is OrderTicket for ticket in algo.tickets)
    fills = algo.transactions.fills
    first = fills[0]
    order_id, status, order_type, filled, quantity, price = algo.seen["ticket"]
    assert (order_id, status, order_type, price) == (1, OrderStatus.FILLED, OrderType.MARKET_ON_OPEN,
                                                     first["fill_price"])
    assert first["order_id"] == 1 and filled == quantity == first["quantity"] > 0
    # the market order's id follows theirs, and the orders stay in id order
    orders = algo.transactions.get_orders()
    assert algo.seen["market"] == 2 * n + 1
    assert [o.id for o in orders] == list(range(1, 2 * n + 2))
    order = algo.transactions.get_order_by_id(2)
    assert type(order) is Order and order.status == OrderStatus.FILLED
    assert (order.price, order.fee, order.value, order.last_fill_time) == (
        fills[1]["fill_price"], fills[1]["fee"], fills[1]["fill_value"], fills[1]["time"])
    # each ticket bound to its order, filled by its one fill; the events in order, each on its ticket
    assert [t.order_id for t in algo.tickets] == list(range(1, 2 * n + 1))
    assert all(t.quantity_remaining == 0 for t in algo.tickets)
    events = algo.transactions.events
    assert [e.status for e in algo.tickets[n].order_events] == [OrderStatus.SUBMITTED, OrderStatus.FILLED]
    assert [e.id for e in events] == list(range(1, len(events) + 1))


def test_a_ticket_of_an_open_order_placed_together(folder):  # noqa: F811
    class PlacedOnce(QCAlgorithm):
        def initialize(self):
            self.settings.minimum_order_margin_portfolio_percentage = 0
            trade_every_ticker(self, (2020, 1, 10))
            self.seen = None

        def on_data(self, data):
            if self.seen is None:
                tickets = self.set_holdings([PortfolioTarget(s, 0.05) for s in self.symbols])
                open_orders = self.transactions.get_open_orders()
                self.seen = (tickets[3].status, tickets[3].quantity_filled, [o.id for o in open_orders],
                             open_orders[3] is self.transactions.get_order_by_id(4))

    algo, _record, _ = run_algorithm(PlacedOnce, folder)
    status, filled, ids, same = algo.seen
    assert (status, filled, same) == (OrderStatus.SUBMITTED, 0.0, True)
    assert ids == list(range(1, len(algo.symbols) + 1))


def test_order_columns_are_the_orders_fields(folder, monkeypatch):  # noqa: F811
    build = placed_orders.PlacedOrders.build
    built = []
    monkeypatch.setattr(placed_orders.PlacedOrders, "build", lambda self: built.append(len(self)) or build(self))

    class Rebalance(QCAlgorithm):
        def initialize(self):
            self.settings.minimum_order_margin_portfolio_percentage = 0
            trade_every_ticker(self, (2020, 1, 10))
            self.days = 0

        def on_data(self, data):
            self.days += 1
            if self.days == 2:
                self.limit_order(self.symbols[1], 1, 1.0).cancel()  # one by one: the orders before it built
            if self.days in (1, 3, 7):  # the last placed on the last day: open, not filled
                self.set_holdings([PortfolioTarget(s, 0.05 * self.days) for s in self.symbols])

    algo, record, _ = run_algorithm(Rebalance, folder)
    transactions = algo.transactions
    n = len(algo.symbols)
    assert built == [n]  # the first batch, by the limit order; the two after it held as columns, by the record too
    columns = transactions.order_columns()
    assert columns["id"] == list(range(1, 3 * n + 2)) and record.orders["id"].tolist() == columns["id"]
    assert columns["status"][-1] == OrderStatus.SUBMITTED and columns["last_fill_time"][-1] is None
    assert (columns["type"][n], columns["status"][n]) == (OrderType.LIMIT, OrderStatus.CANCELED)
    assert columns["price"][-1] == 0.0 and columns["status"][n + 1] == OrderStatus.FILLED
    orders = transactions.get_orders()
    for name, values in columns.items():
        assert [getattr(o, name) for o in orders] == values, name
    assert built == [n, n, n] and transactions.order_columns() == columns  # every order built
