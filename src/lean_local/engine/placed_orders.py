"""Market-on-open orders accepted together, held as columns until their ``Order`` objects are read
(:class:`PlacedOrders`; the transaction manager's, :mod:`lean_local.engine.order_batches`).

A monthly rebalance places a hundred orders that nothing reads between their submission and their
fill: held as columns, they are submitted and filled without an object per order but their tickets,
and built once, in the state they are in then, when something reads them (most runs: the run's record).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import repeat
from typing import Any, overload

from lean_local.engine.orders import Order, OrderStatus, OrderTicket, OrderType

# read once (an enum member read from its class costs about 0.3 us on CPython 3.11)
_MARKET_ON_OPEN, _SUBMITTED, _FILLED = OrderType.MARKET_ON_OPEN, OrderStatus.SUBMITTED, OrderStatus.FILLED


class PlacedOrders(Sequence[Order]):
    """Market-on-open orders accepted together (consecutive ids from ``first_id``) as columns, open, or
    filled together; read as a sequence, the orders (built by :meth:`OrderBatches.build_orders` first)."""

    __slots__ = ("first_id", "symbols", "quantities", "time", "tag", "tickets", "fill_time", "fill_prices",
                 "fees", "values", "orders")

    def __init__(self, first_id: int, symbols: list[Any], quantities: list[float], time: datetime, tag: str,
                 tickets: list[OrderTicket]) -> None:
        self.first_id, self.symbols, self.quantities, self.time, self.tag = first_id, symbols, quantities, time, tag
        self.tickets = tickets
        self.fill_time: datetime | None = None  # filled: the time, and each order's fill price, fee and value
        self.fill_prices: list[float] = []
        self.fees: list[float] = []
        self.values: list[float] = []
        self.orders: list[Order] | None = None  # built

    @property
    def ids(self) -> range:
        return range(self.first_id, self.first_id + len(self.symbols))

    def filled(self, time: datetime, prices: list[float], fees: list[float], values: list[float]) -> None:
        """Every order filled at ``time`` (each one's fill price, fee and value in account currency)."""
        self.fill_time, self.fill_prices, self.fees, self.values = time, prices, fees, values

    def build(self) -> list[Order]:
        """The orders as ``Order`` objects in their state (as ``_open_accepted`` and ``record_fills`` leave
        them), each ticket bound to its order."""
        n = len(self.symbols)
        common = (repeat(_MARKET_ON_OPEN, n), self.quantities, repeat(self.time, n), repeat(self.tag, n),
                  repeat(0.0, n), repeat(0.0, n))
        if self.fill_time is None:
            orders = list(map(Order, self.ids, self.symbols, *common, repeat(_SUBMITTED, n)))
            list(map(OrderTicket.bind, self.tickets, orders, repeat(0.0, n)))
        else:
            orders = list(map(Order, self.ids, self.symbols, *common, repeat(_FILLED, n), self.fill_prices,
                              repeat(self.fill_time, n), self.fees, self.values))
            list(map(OrderTicket.bind, self.tickets, orders, self.quantities))
        self.orders = orders
        return orders

    def columns(self) -> dict[str, list]:
        """The orders' fields of :data:`~lean_local.engine.order_batches.ORDER_FIELDS`, one list per field (the
        values their built orders hold; not built)."""
        n = len(self.symbols)
        filled = self.fill_time is not None
        zeros = [0.0] * n
        return {"id": list(self.ids), "symbol": self.symbols, "type": [_MARKET_ON_OPEN] * n,
                "status": [_FILLED if filled else _SUBMITTED] * n, "quantity": self.quantities,
                "price": self.fill_prices if filled else zeros, "time": [self.time] * n,
                "last_fill_time": [self.fill_time] * n, "value": self.values if filled else zeros,
                "fee": self.fees if filled else zeros, "tag": [self.tag] * n}

    def __len__(self) -> int:
        return len(self.symbols)

    def __iter__(self) -> Iterator[Order]:
        return iter(self[:])

    @overload
    def __getitem__(self, index: int) -> Order: ...

    @overload
    def __getitem__(self, index: slice) -> list[Order]: ...

    def __getitem__(self, index: int | slice) -> Order | list[Order]:
        if self.orders is None:
            raise LookupError("the placed orders are not built")
        return self.orders[index]
