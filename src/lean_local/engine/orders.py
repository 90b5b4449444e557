"""Orders, order tickets, order events and their enums (LEAN ``QuantConnect.Orders``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from enum import IntEnum
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from lean_local.engine.common import Symbol, not_supported
from lean_local.engine.lean_members import OBJECT_MEMBERS, name_lean_members

if TYPE_CHECKING:
    from lean_local.engine.portfolio import TransactionManager


class OrderType(IntEnum):
    """LEAN ``OrderType``."""

    MARKET = 0
    LIMIT = 1
    STOP_MARKET = 2
    STOP_LIMIT = 3
    MARKET_ON_OPEN = 4
    MARKET_ON_CLOSE = 5
    OPTION_EXERCISE = 6
    LIMIT_IF_TOUCHED = 7
    COMBO_MARKET = 8
    COMBO_LIMIT = 9
    COMBO_LEG_LIMIT = 10
    TRAILING_STOP = 11


class OrderStatus(IntEnum):
    """LEAN ``OrderStatus``."""

    NEW = 0
    SUBMITTED = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELED = 5
    NONE = 6
    INVALID = 7
    CANCEL_PENDING = 8
    UPDATE_SUBMITTED = 9


class OrderDirection(IntEnum):
    """LEAN ``OrderDirection``."""

    BUY = 0
    SELL = 1
    HOLD = 2


# read once (an enum member read from its class costs about 0.3 us on CPython 3.11; orders and events
# are made by the ten thousand)
_BUY, _SELL, _HOLD = OrderDirection.BUY, OrderDirection.SELL, OrderDirection.HOLD
_NEW = OrderStatus.NEW

OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED,
                           OrderStatus.UPDATE_SUBMITTED, OrderStatus.CANCEL_PENDING})


class CashAmount:
    """An amount of money in one currency (LEAN ``CashAmount``)."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount: float, currency: str = "USD") -> None:
        self.amount = float(amount)
        self.currency = currency

    def __repr__(self) -> str:
        return f"{self.amount} {self.currency}"


class OrderFee:
    """The fee of an order: ``value`` is a :class:`CashAmount` (LEAN ``OrderFee``)."""

    __slots__ = ("value",)

    def __init__(self, value: CashAmount) -> None:
        self.value = value

    ZERO: OrderFee

    def __repr__(self) -> str:
        return f"OrderFee({self.value!r})"


OrderFee.ZERO = OrderFee(CashAmount(0.0, "USD"))


class Order:
    """One order. Prices are in the security's quote currency; ``time`` is the submission time.

    Times are naive New York datetimes (the algorithm's time zone).
    """

    # slots: an order is created per trade (tens of thousands a run), and LEAN's orders take no new attributes
    __slots__ = ("id", "symbol", "type", "quantity", "time", "tag", "limit_price", "stop_price", "stop_triggered",
                 "status", "price", "last_fill_time", "canceled_time", "fee", "value")

    def __init__(self, order_id: int, symbol: Symbol, order_type: OrderType, quantity: float, time: datetime,
                 tag: str = "", limit_price: float = 0.0, stop_price: float = 0.0,
                 status: OrderStatus = _NEW, price: float = 0.0, last_fill_time: datetime | None = None,
                 fee: float = 0.0, value: float = 0.0) -> None:
        """``price``, ``last_fill_time``, ``fee`` and ``value``: a filled order's (an order built after its
        fill, :class:`~lean_local.engine.order_batches.PlacedOrders`)."""
        self.id = order_id
        self.symbol = symbol
        self.type = order_type
        self.quantity = float(quantity)
        self.time = time
        self.tag = tag or ""
        self.limit_price = float(limit_price)
        self.stop_price = float(stop_price)
        self.stop_triggered = False
        self.status = status
        self.price = price  # average fill price
        self.last_fill_time = last_fill_time
        self.canceled_time: datetime | None = None
        self.fee = fee  # account currency
        self.value = value  # filled value, account currency

    @property
    def direction(self) -> OrderDirection:
        return _BUY if self.quantity > 0 else _SELL if self.quantity < 0 else _HOLD

    @property
    def absolute_quantity(self) -> float:
        return abs(self.quantity)

    def __repr__(self) -> str:
        return f"Order({self.id} {self.type.name} {self.symbol} {self.quantity:g} {self.status.name})"


# LEAN's members of ``Order`` and its subclasses (the orders LEAN makes are of those types)
name_lean_members(Order, "Order", (
    "absolute_quantity", "canceled_time", "direction", "id", "last_fill_time", "limit_price", "price", "quantity",
    "status", "stop_price", "stop_triggered", "symbol", "tag", "time", "type", "value"), (
    "DEFAULT_SUBMISSION_TIME_BUFFER", "apply_update_order_request", "broker_id", "calculate_stop_price", "clone",
    "contingency", "contingent_id", "copy_to", "create_order", "create_positions", "created_time", "get_default_tag",
    "get_value", "get_value_impl", "group_order_manager", "is_marketable", "last_update_time",
    "order_submission_data", "price_adjustment_mode", "price_currency", "properties", "security_type",
    "stop_triggered_time", "submission_time_buffer", "time_in_force", "trailing_amount", "trailing_as_percentage",
    "trigger_price", "trigger_touched", "try_update_stop_price", *OBJECT_MEMBERS))


class OrderEvent:
    """A change in an order's state (LEAN ``OrderEvent``). ``utc_time`` holds New York local time."""

    __slots__ = ("order_id", "id", "symbol", "utc_time", "status", "fill_price", "fill_price_currency",
                 "fill_quantity", "quantity", "direction", "order_fee", "message", "is_assignment", "is_in_the_money",
                 "limit_price", "stop_price", "ticket")

    def __init__(self, order: Order, time: datetime, status: OrderStatus, fill_price: float = 0.0,
                 fill_quantity: float = 0.0, fee: OrderFee | None = None, message: str = "",
                 prices: tuple[float, float, float] | None = None) -> None:
        """``prices``: the order's ``(quantity, limit_price, stop_price)`` at the event's time when the
        event is built later (the order may have been updated since); None reads them from ``order``."""
        self.order_id = order.id
        self.id = 0
        self.symbol = order.symbol
        self.utc_time = time
        self.status = status
        self.fill_price = float(fill_price)
        self.fill_price_currency = "USD"
        self.fill_quantity = float(fill_quantity)
        quantity, limit_price, stop_price = (order.quantity, order.limit_price, order.stop_price) if prices is None \
            else prices
        self.quantity = quantity
        self.direction = _BUY if quantity > 0 else _SELL if quantity < 0 else _HOLD  # Order.direction
        self.order_fee = fee or OrderFee.ZERO
        self.message = message
        self.is_assignment = False
        self.is_in_the_money = False
        self.limit_price = limit_price or None
        self.stop_price = stop_price or None
        self.ticket: OrderTicket | None = None

    @property
    def absolute_fill_quantity(self) -> float:
        return abs(self.fill_quantity)

    def __repr__(self) -> str:
        return (f"{self.utc_time} OrderID: {self.order_id} Symbol: {self.symbol} Status: {self.status.name}"
                + (f" Quantity: {self.fill_quantity:g} FillPrice: {self.fill_price:g}" if self.fill_quantity else ""))


name_lean_members(OrderEvent, "OrderEvent", (
    "absolute_fill_quantity", "direction", "fill_price", "fill_price_currency", "fill_quantity", "id",
    "is_assignment", "is_in_the_money", "limit_price", "message", "order_fee", "order_id", "quantity", "status",
    "stop_price", "symbol", "ticket", "utc_time"), (
    "clone", "from_serialized", "short_to_string", "trailing_amount", "trailing_as_percentage", "trigger_price",
    *OBJECT_MEMBERS))


class UpdateOrderFields:
    """Fields to change on an open order (LEAN ``UpdateOrderFields``); ``None`` leaves a field as is."""

    def __init__(self, quantity: float | None = None, limit_price: float | None = None,
                 stop_price: float | None = None, tag: str | None = None) -> None:
        self.quantity = quantity
        self.limit_price = limit_price
        self.stop_price = stop_price
        self.tag = tag
        self.trigger_price = None
        self.trailing_amount = None


class OrderResponse:
    """Whether a submit, update or cancel request succeeded (LEAN ``OrderResponse``, read-only there; the
    engine never changes one after making it, so orders accepted together share theirs)."""

    __slots__ = ("is_success", "is_error", "error_message")

    def __init__(self, is_success: bool, error_message: str = "") -> None:
        self.is_success = is_success
        self.is_error = not is_success
        self.error_message = error_message


class OrderRequest:
    """A submit or update request and the response it got (LEAN ``SubmitOrderRequest`` /
    ``UpdateOrderRequest``); an update request carries the fields it asked to change."""

    def __init__(self, order_id: int, response: OrderResponse | None = None,
                 fields: UpdateOrderFields | None = None) -> None:
        self.order_id = order_id
        self.response = response
        self.quantity = fields.quantity if fields is not None else None
        self.limit_price = fields.limit_price if fields is not None else None
        self.stop_price = fields.stop_price if fields is not None else None
        self.tag = fields.tag if fields is not None else None


class SubmitOrderRequest(OrderRequest):
    """The request that submitted an order."""


class UpdateOrderRequest(OrderRequest):
    """A request to update an open order."""


class OrderTicket:
    """A handle on a submitted order: its state, fills, and ``update``/``cancel`` (LEAN ``OrderTicket``)."""

    # slots: a ticket is made per order (no attribute dict for the garbage collector to walk), and LEAN's
    # tickets take no new attributes
    __slots__ = ("_order", "_transactions", "submit_response", "_order_events", "_update_requests", "_filled")

    def __init__(self, order: Order | None, transactions: TransactionManager, response: OrderResponse) -> None:
        """``order`` None: the transaction manager's order not built yet (orders placed together,
        :class:`~lean_local.engine.placed_orders.PlacedOrders`): it is built, and bound here (:meth:`bind`),
        when first read."""
        self._order = order
        self._transactions = transactions
        self.submit_response = response
        # the built events (the transaction manager builds them on demand) and the update requests: each
        # list is made when first needed (most tickets have no update request, and a run whose events are
        # never read builds none), two objects fewer per order for the garbage collector to walk
        self._order_events: list[OrderEvent] | None = None
        self._update_requests: list[OrderRequest] | None = None
        self._filled = 0.0  # the sum of the events' fill quantities, in their order (once bound)

    def _built(self) -> Order:
        """The ticket's order, built first when the transaction manager holds it as columns."""
        if self._order is None:
            self._transactions.build_orders()  # binds every ticket of the orders not built
        return self._order  # type: ignore[return-value]

    def bind(self, order: Order, filled: float) -> None:
        """The transaction manager's: this ticket's ``order``, built, and its ``filled`` quantity so far."""
        self._order = order
        self._filled = filled

    @property
    def submit_request(self) -> OrderRequest:
        return SubmitOrderRequest(self._built().id, self.submit_response)

    order_id = property(lambda self: (self._order or self._built()).id)
    symbol = property(lambda self: (self._order or self._built()).symbol)
    quantity = property(lambda self: (self._order or self._built()).quantity)
    order_type = property(lambda self: (self._order or self._built()).type)
    status = property(lambda self: (self._order or self._built()).status)
    time = property(lambda self: (self._order or self._built()).time)
    tag = property(lambda self: (self._order or self._built()).tag)

    @property
    def order_events(self) -> list[OrderEvent]:
        """The order's events so far (LEAN ``OrderTicket.OrderEvents``)."""
        self._transactions.build_events()
        if self._order_events is None:
            self._order_events = []
        return self._order_events

    def add_event(self, event: OrderEvent) -> None:
        """The transaction manager's: ``event`` built, in order."""
        if self._order_events is None:
            self._order_events = [event]
        else:
            self._order_events.append(event)

    @property
    def update_requests(self) -> list[OrderRequest]:
        """The update requests made so far (LEAN ``OrderTicket.UpdateRequests``)."""
        if self._update_requests is None:
            self._update_requests = []
        return self._update_requests

    @property
    def quantity_filled(self) -> float:
        if self._order is None:  # (bound with its filled quantity)
            self._built()
        return self._filled

    @property
    def quantity_remaining(self) -> float:
        return self._built().quantity - self.quantity_filled

    @property
    def average_fill_price(self) -> float:
        return self._built().price

    def get(self, field: Any) -> float:
        """``OrderField`` lookup: LIMIT_PRICE or STOP_PRICE."""
        name = getattr(field, "name", str(field)).upper()
        if name == "LIMIT_PRICE":
            return self._built().limit_price
        if name == "STOP_PRICE":
            return self._built().stop_price
        raise not_supported("OrderTicket.get", name)

    def update(self, fields: UpdateOrderFields) -> OrderResponse:
        request = UpdateOrderRequest(self._built().id, fields=fields)
        self.update_requests.append(request)
        request.response = self._transactions.update_order(self._built(), fields, request)
        return request.response

    def update_quantity(self, quantity: float, tag: str | None = None) -> OrderResponse:
        return self.update(UpdateOrderFields(quantity=quantity, tag=tag))

    def update_limit_price(self, limit_price: float, tag: str | None = None) -> OrderResponse:
        return self.update(UpdateOrderFields(limit_price=limit_price, tag=tag))

    def update_stop_price(self, stop_price: float, tag: str | None = None) -> OrderResponse:
        return self.update(UpdateOrderFields(stop_price=stop_price, tag=tag))

    def update_tag(self, tag: str) -> OrderResponse:
        return self.update(UpdateOrderFields(tag=tag))

    def cancel(self, tag: str | None = None) -> OrderResponse:
        return self._transactions.cancel_order(self._built(), tag)

    def __repr__(self) -> str:
        return f"OrderTicket({self._built()!r})"


name_lean_members(OrderTicket, "OrderTicket", (
    "average_fill_price", "cancel", "get", "order_events", "order_id", "order_type", "quantity", "quantity_filled",
    "quantity_remaining", "status", "submit_request", "symbol", "tag", "time", "update", "update_limit_price",
    "update_quantity", "update_requests", "update_stop_price", "update_tag"), (
    "cancel_request", "contingency", "get_most_recent_order_request", "get_most_recent_order_response", "has_order",
    "invalid_cancel_order_id", "invalid_submit_request", "invalid_update_order_id", "order_closed", "order_set",
    "security_type", "update_stop_trailing_amount", "update_trigger_price", *OBJECT_MEMBERS))


class OrderField(IntEnum):
    """LEAN ``OrderField`` (the members :meth:`OrderTicket.get` reads)."""

    LIMIT_PRICE = 0
    STOP_PRICE = 1


#: An order's limit and stop prices, read over many orders by ``map``.
LIMIT_PRICE, STOP_PRICE = attrgetter("limit_price"), attrgetter("stop_price")


class EventColumns(NamedTuple):
    """The events of many orders at one time and status (the Submitted events of orders accepted
    together, the Filled events of fills taken together), one list per field: one entry of the
    transaction manager's unbuilt events instead of a tuple per order."""

    orders: Sequence[Order]  # (orders placed together: their PlacedOrders, built before the events)
    time: datetime
    status: OrderStatus
    fill_prices: list[float] | None  # None: not filled (0 each, and no fill quantity)
    fees: list[float] | None  # the fee models' USD amounts; None: no fee
    quantities: list[float]  # each order's quantity at the event (the fill quantity when filled)
    limit_prices: list[float] | None  # None: 0 each
    stop_prices: list[float] | None  # None: 0 each
    tickets: list[OrderTicket | None]

    @classmethod
    def submitted(cls, orders: Sequence[Order], time: datetime, quantities: list[float],
                  tickets: list[OrderTicket | None]) -> EventColumns:
        """The Submitted events of ``orders`` (of ``quantities``, their ``tickets``) at ``time``."""
        return cls(orders, time, OrderStatus.SUBMITTED, None, None, quantities, None, None, tickets)

    @classmethod
    def filled(cls, orders: Sequence[Order], time: datetime, fill_prices: list[float], fees: list[float],
               quantities: list[float], tickets: list[OrderTicket | None], unpriced: bool = False) -> EventColumns:
        """The Filled events of ``orders`` filled at ``time`` (their limit and stop prices read here;
        ``unpriced``: the orders have none, 0 each)."""
        if unpriced:
            return cls(orders, time, OrderStatus.FILLED, fill_prices, fees, quantities, None, None, tickets)
        return cls(orders, time, OrderStatus.FILLED, fill_prices, fees, quantities, list(map(LIMIT_PRICE, orders)),
                   list(map(STOP_PRICE, orders)), tickets)

    def rows(self) -> Iterator[tuple]:
        """The events as the flat tuples ``TransactionManager._event`` records, in order."""
        n = len(self.orders)
        filled = self.fill_prices is not None
        return zip(self.orders, repeat(self.time, n), repeat(self.status, n),
                   repeat(0.0, n) if self.fill_prices is None else self.fill_prices,
                   self.quantities if filled else repeat(0.0, n), repeat(None, n) if self.fees is None else self.fees,
                   repeat("", n), self.quantities, repeat(0.0, n) if self.limit_prices is None else self.limit_prices,
                   repeat(0.0, n) if self.stop_prices is None else self.stop_prices, self.tickets, strict=True)
