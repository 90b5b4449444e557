"""The transaction manager's paths for many orders at once (:class:`OrderBatches`, a base of
``TransactionManager``, which holds the state they read and write): the market-on-open orders
``set_holdings`` places together, accepted without asking each check, and the fills of a step the
portfolio took together (:mod:`lean_local.engine.step_orders`), recorded. Their orders, tickets, events
and fill records are the ones ``TransactionManager.submit`` and ``_complete_fill`` make one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lean_local.engine import step_orders
from lean_local.engine.fill_records import FillRecords
from lean_local.engine.orders import EventColumns, Order, OrderResponse, OrderStatus, OrderTicket, OrderType

if TYPE_CHECKING:
    from lean_local.engine.target_sizing import SizedOrders

# the members the batch paths set on each order, read once: reading an enum member from its class costs
# about 0.3 us on CPython 3.11, several times a Python call's share of an order
_MARKET_ON_OPEN, _SUBMITTED, _FILLED = OrderType.MARKET_ON_OPEN, OrderStatus.SUBMITTED, OrderStatus.FILLED


class OrderBatches:
    """``TransactionManager``'s many-order paths."""

    _algorithm: Any
    _handles_order_events: Callable[[], bool]
    _orders: dict[int, Order]
    _tickets: dict[int, OrderTicket]
    _open: dict[int, Order]
    _open_by_symbol: dict[str, dict[int, Order]]
    _unbuilt: list[tuple]
    _next_id: int
    fills: FillRecords
    open_order_scan: step_orders.OpenOrderScan | None
    submit: Callable[..., OrderTicket]

    def submit_market_on_open(self, orders: SizedOrders, tag: str) -> list[OrderTicket]:
        """``submit`` of market-on-open orders placed together (``set_holdings`` over targets while the
        market is closed), in order.

        Nothing fills between these submissions, so every check reads the same portfolio: without an
        ``on_order_event`` handler (which could change it) the orders that certainly pass every check
        (:func:`~lean_local.engine.step_orders.certainly_accepted`) are accepted without asking each check; the others are submitted
        one by one.
        """
        accepted = step_orders.certainly_accepted(self._algorithm, orders, self._handles_order_events())
        time = self._algorithm.time
        tickets = []
        all_orders, all_tickets, open_orders, by_symbol = self._orders, self._tickets, self._open, self._open_by_symbol
        market_on_open, submitted = _MARKET_ON_OPEN, _SUBMITTED
        response = OrderResponse(True)  # the accepted orders' (shared: see OrderResponse)
        # the accepted orders' Submitted events, recorded as one entry per run of accepted orders
        group = EventColumns.submitted(time)
        for security, quantity, accept in zip(orders.securities, orders.quantities.tolist(), accepted, strict=True):
            if not accept:
                if group.orders:
                    self._unbuilt.append(group)
                    group = EventColumns.submitted(time)
                tickets.append(self.submit(security, market_on_open, quantity, tag))
                continue
            # _open_submitted without an on_order_event handler (certainly_accepted's condition)
            order_id, symbol = self._next_id, security.symbol
            order = Order(order_id, symbol, market_on_open, quantity, time, tag)
            order.status = submitted
            self._next_id += 1
            all_orders[order_id] = open_orders[order_id] = by_symbol[symbol][order_id] = order
            ticket = all_tickets[order_id] = OrderTicket(order, self, response)
            group.orders.append(order)
            group.quantities.append(order.quantity)
            group.tickets.append(ticket)
            tickets.append(ticket)
        if group.orders:
            self._unbuilt.append(group)
        n = len(tickets)
        if n and len(open_orders) == n and all(accepted):  # these are the open orders: their scan is known
            self.open_order_scan = step_orders.OpenOrderScan.placed_together(
                self._next_id - n, len(self._algorithm.securities), orders.securities, orders.columns.tolist(), time)
        return tickets

    def record_fills(self, filling: list[Order], columns: dict[str, list],
                     order_fees: list[float], rate: float) -> None:
        """What ``_complete_fill`` does after the portfolio update, for fills the portfolio took
        together (:mod:`lean_local.engine.step_orders`): each order of ``filling`` filled, its fill record
        (``columns``: the record's fill price, value, fee, dollar volume, side before and realized profit per
        fill) and its Filled event, in the orders' order (no ``on_order_event`` handler). ``order_fees``: the fee
        models' USD amounts, which become the events' ``OrderFee`` when they are built."""
        now = self._algorithm.time
        open_orders, by_symbol, tickets = self._open, self._open_by_symbol, self._tickets
        filled = _FILLED
        order_ids, symbols, quantities, filled_tickets = [], [], [], []
        for order, price, value, fee in zip(filling, columns["fill_price"], columns["fill_value"], columns["fee"],
                                            strict=True):
            order_id, symbol, quantity = order.id, order.symbol, order.quantity
            del open_orders[order_id]
            del by_symbol[symbol][order_id]
            order.status = filled
            order.price = price
            order.last_fill_time = now
            order.fee = fee
            order.value = value
            order_ids.append(order_id)
            symbols.append(str(symbol))
            quantities.append(quantity)
            ticket = tickets.get(order_id)
            if ticket is not None:
                ticket._filled += quantity
            filled_tickets.append(ticket)
        self._unbuilt.append(EventColumns.filled(filling, now, columns["fill_price"], order_fees, quantities,
                                                 filled_tickets))
        self.fills.extend(now, rate, {"order_id": order_ids, "symbol": symbols, "quantity": quantities, **columns})
