"""The transaction manager's paths for many orders at once (:class:`OrderBatches`, a base of
``TransactionManager``, which holds the state they read and write): the market-on-open orders
``set_holdings`` places together, accepted without asking each check, and the fills of a step the
portfolio took together (:mod:`lean_local.engine.step_orders`), recorded. Their orders, tickets, events
and fill records are the ones ``TransactionManager.submit`` and ``_complete_fill`` make one by one.

Orders accepted together while no order is open are held as columns (:class:`PlacedOrders`) with
their tickets, and filled together as columns: their ``Order`` objects are built when anything reads
them (an order query, a ticket's order, the events, an order placed one by one, a fill not taken
together), in the state they have then. A monthly rebalance's orders are built once, filled, when the
run's record reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from lean_local.engine import step_orders
from lean_local.engine.fill_records import FillRecords
from lean_local.engine.orders import EventColumns, Order, OrderResponse, OrderStatus, OrderTicket, OrderType
from lean_local.engine.placed_orders import PlacedOrders

if TYPE_CHECKING:
    from lean_local.engine.securities import Security
    from lean_local.engine.target_sizing import SizedOrders

# the members the batch paths set on each order, read once: reading an enum member from its class costs
# about 0.3 us on CPython 3.11, several times a Python call's share of an order
_MARKET_ON_OPEN, _SUBMITTED, _FILLED = OrderType.MARKET_ON_OPEN, OrderStatus.SUBMITTED, OrderStatus.FILLED
_ID, _SYMBOL = attrgetter("id"), attrgetter("symbol")


#: The order fields :meth:`OrderBatches.order_columns` gives (the run record's order frame reads them).
ORDER_FIELDS = ("id", "symbol", "type", "status", "quantity", "price", "time", "last_fill_time", "value", "fee", "tag")


def _run_end(accepted: list[bool], first: int) -> int:
    """The end of the run of accepted orders from ``first`` (the next refused one, or the end)."""
    try:
        return accepted.index(False, first)
    except ValueError:
        return len(accepted)


class OrderBatches:
    """``TransactionManager``'s many-order paths."""

    _algorithm: Any
    _handles_order_events: Callable[[], bool]
    _orders: dict[int, Order]
    _tickets: dict[int, OrderTicket]
    _open: dict[int, Order]
    _open_by_symbol: dict[str, dict[int, Order]] | None
    _unbuilt: list[tuple]
    _next_id: int
    # the orders held as columns, in id order (every id after the built orders'), and the open ones
    _placed: list[PlacedOrders]
    _open_placed: PlacedOrders | None
    fills: FillRecords
    open_order_scan: step_orders.OpenOrderScan | None
    submit: Callable[..., OrderTicket]

    def submit_market_on_open(self, orders: SizedOrders, tag: str, hours: list[Any] | None = None) -> list[OrderTicket]:
        """``submit`` of market-on-open orders placed together (``set_holdings`` over targets while the
        market is closed), in order; ``hours``: each order's security's exchange hours when the caller read them.

        Nothing fills between these submissions, so every check reads the same portfolio: without an
        ``on_order_event`` handler (which could change it) the orders that certainly pass every check
        (:func:`~lean_local.engine.step_orders.certainly_accepted`) are accepted without asking each check; the others are submitted
        one by one.
        """
        accepted = step_orders.certainly_accepted(self._algorithm, orders, self._handles_order_events(), hours)
        time = self._algorithm.time
        securities, quantities = orders.securities, orders.quantities.tolist()
        response = OrderResponse(True)  # the accepted orders' (shared: see OrderResponse)
        n = len(securities)
        if n and not self._open and self._open_placed is None and all(accepted):
            # these are the open orders: held as columns, their scan known
            tickets = self._place(securities, quantities, time, tag, response)
            self.open_order_scan = step_orders.OpenOrderScan.placed_together(
                self._next_id - n, len(self._algorithm.securities), securities, orders.columns, time, hours)
            return tickets
        if self._placed:  # (an order's id after theirs: built first, the orders stay in id order)
            self.build_orders()
        tickets: list[OrderTicket] = []
        first = 0
        while first < n:
            if not accepted[first]:
                tickets.append(self.submit(securities[first], _MARKET_ON_OPEN, quantities[first], tag))
                first += 1
                continue
            last = _run_end(accepted, first)
            tickets += self._open_accepted(securities[first:last], quantities[first:last], time, tag, response)
            first = last
        return tickets

    def _place(self, securities: list[Security], quantities: list[float], time: datetime, tag: str,
               response: OrderResponse) -> list[OrderTicket]:
        """:meth:`_open_accepted` of accepted market-on-open orders held as columns (:class:`PlacedOrders`):
        their tickets, bound to their orders when these are built, and their Submitted events as one entry."""
        n = len(securities)
        ids = range(self._next_id, self._next_id + n)
        self._next_id += n
        tickets = list(map(OrderTicket, repeat(None, n), repeat(self, n), repeat(response, n)))
        self._tickets.update(zip(ids, tickets, strict=True))
        placed = PlacedOrders(ids.start, list(map(_SYMBOL, securities)), quantities, time, tag, tickets)
        self._placed.append(placed)
        self._open_placed = placed
        self._unbuilt.append(EventColumns.submitted(placed, time, quantities, tickets))
        return tickets

    def build_orders(self) -> None:
        """Build the orders held as columns (:class:`PlacedOrders`) as ``Order`` objects, in their state: the
        orders, the open orders and the tickets as if they had been made one by one."""
        for placed in self._placed:
            by_id = dict(zip(placed.ids, placed.build(), strict=True))
            self._orders.update(by_id)
            if placed is self._open_placed:
                self._open.update(by_id)
                self._open_by_symbol = None  # made again when asked
        self._placed.clear()
        self._open_placed = None

    def order_columns(self) -> dict[str, list]:
        """Every order's :data:`ORDER_FIELDS`, one list per field in id order, as ``get_orders`` gives them:
        the orders held as columns read as columns (not built)."""
        # (a comprehension per field: they read the slots at half the cost of map(operator.attrgetter))
        built = list(self._orders.values())
        columns = {
            "id": [o.id for o in built], "symbol": [o.symbol for o in built], "type": [o.type for o in built],
            "status": [o.status for o in built], "quantity": [o.quantity for o in built],
            "price": [o.price for o in built], "time": [o.time for o in built],
            "last_fill_time": [o.last_fill_time for o in built], "value": [o.value for o in built],
            "fee": [o.fee for o in built], "tag": [o.tag for o in built]}
        for placed in self._placed:  # (every id after the built orders')
            for name, values in placed.columns().items():
                columns[name] += values
        return columns

    def record_placed_fills(self, placed: PlacedOrders, quantities: list[float], columns: dict[str, list],
                            order_fees: list[float], rate: float) -> None:
        """:meth:`record_fills` of every order of ``placed``, open, held as columns: filled as columns."""
        now = self._algorithm.time
        placed.filled(now, columns["fill_price"], columns["fee"], columns["fill_value"])
        self._open_placed = None
        self._unbuilt.append(EventColumns.filled(placed, now, columns["fill_price"], order_fees, quantities,
                                                 placed.tickets, unpriced=True))
        self.fills.extend(now, rate, {"order_id": list(placed.ids), "symbol": list(map(str, placed.symbols)),
                                      "quantity": quantities, **columns})

    def _open_accepted(self, securities: list[Security], quantities: list[float], time: datetime, tag: str,
                       response: OrderResponse) -> list[OrderTicket]:
        """``_open_submitted`` of a run of accepted market-on-open orders (no ``on_order_event`` handler:
        ``certainly_accepted``'s condition): their orders and tickets, and their Submitted events as one
        entry. Each object is made by a C-level ``map`` over the run."""
        n = len(securities)
        ids = range(self._next_id, self._next_id + n)
        self._next_id += n
        made = list(map(Order, ids, map(_SYMBOL, securities), repeat(_MARKET_ON_OPEN, n), quantities,
                        repeat(time, n), repeat(tag, n), repeat(0.0, n), repeat(0.0, n), repeat(_SUBMITTED, n)))
        # one dict of the run's orders by id, merged into both (a dict merges without a tuple per entry)
        by_id = dict(zip(ids, made, strict=True))
        self._orders.update(by_id)
        self._open.update(by_id)
        self._open_by_symbol = None  # made again when asked
        made_tickets = list(map(OrderTicket, made, repeat(self, n), repeat(response, n)))
        self._tickets.update(zip(ids, made_tickets, strict=True))
        # each order's quantity is the float it was given (float() of a float is that float)
        self._unbuilt.append(EventColumns.submitted(made, time, quantities, made_tickets))
        return made_tickets

    def record_fills(self, filling: list[Order], quantities: list[float], columns: dict[str, list],
                     order_fees: list[float], rate: float) -> None:
        """What ``_complete_fill`` does after the portfolio update, for fills the portfolio took
        together (:mod:`lean_local.engine.step_orders`): each order of ``filling`` filled, its fill record
        (``columns``: the record's fill price, value, fee, dollar volume, side before and realized profit per
        fill) and its Filled event, in the orders' order (no ``on_order_event`` handler). ``quantities``: the
        orders' quantities; ``order_fees``: the fee models' USD amounts, which become the events' ``OrderFee``
        when they are built."""
        now = self._algorithm.time
        open_orders = self._open
        first_id = filling[0].id
        # the orders set_holdings placed together have consecutive ids (ids only grow: a span as long as the
        # orders is every id in it)
        order_ids = list(range(first_id, first_id + len(filling))) if filling[-1].id - first_id == len(filling) - 1 \
            else list(map(_ID, filling))
        symbols = list(map(_SYMBOL, filling))
        if len(open_orders) == len(filling):  # every open order filled (the orders set_holdings placed together)
            open_orders.clear()
        else:
            for order_id in order_ids:
                del open_orders[order_id]
        self._open_by_symbol = None  # made again when asked
        filled = _FILLED
        filled_tickets = list(map(self._tickets.get, order_ids))
        # each order and its ticket in one pass (one loop's overhead per fill, not two)
        for order, ticket, quantity, price, value, fee in zip(filling, filled_tickets, quantities,
                                                              columns["fill_price"], columns["fill_value"],
                                                              columns["fee"], strict=True):
            order.status = filled
            order.price = price
            order.last_fill_time = now
            order.fee = fee
            order.value = value
            if ticket is not None:
                ticket._filled += quantity
        self._unbuilt.append(EventColumns.filled(filling, now, columns["fill_price"], order_fees, quantities,
                                                 filled_tickets))
        self.fills.extend(now, rate, {"order_id": order_ids, "symbol": list(map(str, symbols)), "quantity": quantities,
                                      **columns})
