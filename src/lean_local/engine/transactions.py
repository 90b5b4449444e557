"""The transaction manager: orders, tickets, fills and order events (LEAN ``SecurityTransactionManager``,
``BrokerageTransactionHandler`` and the backtesting brokerage).

An order goes: pre-order checks, the shortable check, the buying power check
(:func:`~lean_local.engine.buying_power.buying_power_error`), the brokerage model, the Submitted event;
then, at each step, its fill model (:mod:`lean_local.engine.fills`), the buying power check again, the
fill in the portfolio, the Filled event.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any

from lean_local.engine import fills as fill_models
from lean_local.engine import shortable as shorting
from lean_local.engine import step_orders
from lean_local.engine.brokerages import (
    BrokerageMessageEvent,
    BrokerageMessageType,
    DefaultBrokerageModel,
    ask_brokerage,
)
from lean_local.engine.buying_power import buying_power_error, order_fee
from lean_local.engine.fees import BUILTIN_FEE_MODELS
from lean_local.engine.fill_records import FillRecords
from lean_local.engine.lean_members import OBJECT_MEMBERS, name_lean_members
from lean_local.engine.order_batches import OrderBatches
from lean_local.engine.orders import (
    CashAmount,
    EventColumns,
    Order,
    OrderDirection,
    OrderEvent,
    OrderFee,
    OrderResponse,
    OrderStatus,
    OrderTicket,
    OrderType,
    UpdateOrderFields,
)
from lean_local.engine.placed_orders import PlacedOrders
from lean_local.engine.price_variation import ROUNDED_PRICES, round_order_prices

if TYPE_CHECKING:
    from lean_local.engine.securities import Security


# order types whose fill model waits for a bar ending after the order time (see fills.py)
_NEED_A_LATER_BAR = frozenset({OrderType.MARKET_ON_OPEN, OrderType.STOP_MARKET, OrderType.LIMIT,
                               OrderType.STOP_LIMIT})


# BrokerageTransactionHandler.LiquidateFromDelistingTag
LIQUIDATE_FROM_DELISTING = "Liquidate from delisting"


class TransactionManager(OrderBatches):
    """``self.transactions``: orders, tickets, fills (LEAN ``SecurityTransactionManager`` plus the
    backtesting brokerage)."""

    def __init__(self, algorithm: Any, handles_order_events: Callable[[], bool]) -> None:
        self._algorithm = algorithm
        # does the algorithm handle order events (else they are built only when read)?
        self._handles_order_events = handles_order_events
        self._orders: dict[int, Order] = {}
        self._tickets: dict[int, OrderTicket] = {}
        self._open: dict[int, Order] = {}
        # the open orders by symbol, in the order they opened; None when the many-order paths changed the
        # open orders since it was last made (it is made again from ``_open`` when next asked: a step's
        # batch opens and fills about a hundred orders that no one looks up by symbol)
        self._open_by_symbol: dict[str, dict[int, Order]] | None = defaultdict(dict)
        self.fills = FillRecords()
        self._events: list[OrderEvent] = []
        # the events after ``_events`` not built yet: an algorithm without ``on_order_event`` gets none, so
        # an event becomes an object only when read (``events``, ``OrderTicket.order_events``): a flat tuple
        # each (see _event), or many orders' at once (EventColumns: fewer objects for the collector to walk)
        self._unbuilt: list[tuple] = []
        self._next_id = 1
        # orders accepted together held as columns until read (order_batches.PlacedOrders), and the open ones
        self._placed: list[PlacedOrders] = []
        self._open_placed: PlacedOrders | None = None
        # the fill pass's reading of the open orders, kept while they stay the open orders
        self.open_order_scan: step_orders.OpenOrderScan | None = None
        self._price_rounding_warned = False
        # order events of update requests made inside on_order_event: LEAN answers update requests
        # asynchronously, so their events reach the algorithm after the handler that made them returns
        self._dispatching = False
        self._deferred: list[OrderEvent] = []

    # --- queries ------------------------------------------------------------------------------
    @property
    def orders_count(self) -> int:
        return len(self._orders) + sum(map(len, self._placed))

    def get_order_by_id(self, order_id: int) -> Order | None:
        if self._placed:
            self.build_orders()
        return self._orders.get(order_id)

    def get_order_ticket(self, order_id: int) -> OrderTicket | None:
        return self._tickets.get(order_id)

    def get_orders(self, filter: Callable[[Order], bool] | None = None) -> list[Order]:
        if self._placed:
            self.build_orders()
        return [o for o in self._orders.values() if filter is None or filter(o)]

    def get_open_orders(self, symbol: str | None = None) -> list[Order]:
        if symbol is None:
            if self._open_placed is not None:
                self.build_orders()
            return list(self._open.values())
        return list(self._open_of(symbol).values())

    def get_open_order_tickets(self, symbol: Any = None) -> list[OrderTicket]:
        if self._open_placed is not None:
            self.build_orders()
        if callable(symbol):
            return [self._tickets[i] for i in self._open if symbol(self._tickets[i])]
        if symbol is None:
            return [self._tickets[i] for i in self._open]
        return [self._tickets[i] for i in self._open_of(symbol)]

    def get_order_tickets(self, filter: Callable[[OrderTicket], bool] | None = None) -> list[OrderTicket]:
        return [t for t in self._tickets.values() if filter is None or filter(t)]

    def get_open_orders_remaining_quantity(self, symbol: str) -> float:
        return float(sum(self._tickets[i].quantity_remaining for i in self._open_of(symbol)))

    def _open_of(self, symbol: Any) -> dict[int, Order]:
        """``symbol``'s open orders by id, in the order they opened."""
        if self._open_placed is not None:
            self.build_orders()
        by_symbol = self._open_by_symbol
        if by_symbol is None:
            by_symbol = self._open_by_symbol = defaultdict(dict)
            for order_id, order in self._open.items():
                by_symbol[order.symbol][order_id] = order
        return by_symbol.get(symbol, {})

    def _set_open(self, order: Order) -> None:
        self._open[order.id] = order
        if self._open_by_symbol is not None:
            self._open_by_symbol[order.symbol][order.id] = order

    def _close(self, order: Order) -> None:
        del self._open[order.id]
        if self._open_by_symbol is not None:
            del self._open_by_symbol[order.symbol][order.id]

    def cancel_open_orders(self, symbol: str | None = None, tag: str | None = None) -> list[OrderTicket]:
        tickets = self.get_open_order_tickets(symbol)
        for ticket in tickets:
            ticket.cancel(tag)
        return tickets

    # --- submission ---------------------------------------------------------------------------
    def submit(self, security: Security, order_type: OrderType, quantity: float, tag: str = "",
               limit_price: float = 0.0, stop_price: float = 0.0) -> OrderTicket:
        """Place an order (LEAN's ``SubmitOrderRequest`` through the transaction handler)."""
        if not (math.isfinite(quantity) and math.isfinite(limit_price) and math.isfinite(stop_price)):
            # LEAN holds these as System.Decimal, which has no NaN or infinity: the call fails there too
            raise ValueError(f"{security.symbol}: order quantity {quantity}, limit price {limit_price} and stop "
                             f"price {stop_price} must be finite numbers")
        algo = self._algorithm
        if self._placed:  # (an order's id after theirs: built first, the orders stay in id order)
            self.build_orders()
        order = Order(self._next_id, security.symbol, order_type, quantity, algo.time, tag, limit_price, stop_price)
        if order_type in ROUNDED_PRICES:
            round_order_prices(order, security, self._price_rounding_warning, algo.live_mode)
        error = self._pre_order_checks(security, order)
        if error is not None and error.startswith("!"):
            # zero quantity and warm-up: LEAN answers with an error response and no order id
            order.id = -1
            order.status = OrderStatus.INVALID
            algo.error(error[1:])
            return OrderTicket(order, self, OrderResponse(False, error[1:]))
        self._next_id += 1
        self._orders[order.id] = order
        log: str | None = None
        if error is not None:
            log = f"Order Error: id: {order.id}, Error executing margin models: {error}"
        elif order.quantity < 0 and not algo.shortable(security.symbol, order.quantity):
            # LEAN's AddOrder: the order is recorded, invalid, tagged with the reason; nothing is logged
            error = order.tag = shorting.shortable_error(security, order.quantity)
        else:
            error = self._buying_power_error(security, order)
            if error is not None:
                log = f"Order Error: id: {order.id}, Error executing margin models: {error}"
            else:
                error = log = self._brokerage_refusal(security, order)
        ticket = OrderTicket(order, self, OrderResponse(error is None, error or ""))
        self._tickets[order.id] = ticket
        if error is not None:
            order.status = OrderStatus.INVALID
            self._event(order, OrderStatus.INVALID, message=error)
            if log is not None:
                algo.error(log)
            return ticket
        self._open_submitted(order)
        # only a market order can fill at its own submission time: every other type needs a bar that
        # ends (or a close that comes) after the order time, which the current bar cannot be
        if order.type == OrderType.MARKET:
            self._try_fill(order)
        return ticket

    def _open_submitted(self, order: Order) -> None:
        """An accepted order: open, with its Submitted event."""
        order.status = OrderStatus.SUBMITTED
        self._set_open(order)
        self._event(order, OrderStatus.SUBMITTED)

    def _pre_order_checks(self, security: Security, order: Order) -> str | None:
        algo = self._algorithm
        if algo.is_warming_up:
            return "!This operation is not allowed in Initialize or during warm up: OrderRequest.Submit. " \
                   "Please move this code to the OnWarmupFinished() method."
        if order.quantity == 0:
            return "!Unable to submit order with id -1 that has zero quantity."
        if abs(order.quantity) < security.symbol_properties.lot_size:
            return f"Unable to submit order which quantity ({abs(order.quantity)}) is less than lot size"
        if not security.is_tradable:
            return f"The security with symbol '{security.symbol}' is marked as non-tradable."
        if security.price == 0:
            return f"The security {security.symbol} does not have a price: there is no data yet"
        if security.quote_currency.conversion_rate == 0:
            return f"{security.symbol}: requires {security.quote_currency.symbol} to have a non-zero conversion rate"
        if order.type == OrderType.MARKET_ON_OPEN and security.exchange.hours.always_open:
            raise ValueError(f"Market never closes for this symbol {security.symbol}, can no submit a MarketOnOpen order.")
        if order.type == OrderType.MARKET_ON_CLOSE:
            if security.exchange.hours.always_open:
                raise ValueError(f"Market never closes for this symbol {security.symbol}, can no submit a "
                                 "MarketOnClose order.")
            if within_moc_buffer(security, order.time):
                return "MarketOnClose orders must be placed within 15.5 minutes before market close."
        return None

    def _brokerage_refusal(self, security: Security, order: Order) -> str | None:
        """The brokerage model's ``can_submit_order`` refusal as LEAN words it, or None."""
        model = self._algorithm.brokerage_model
        if type(model).can_submit_order is DefaultBrokerageModel.can_submit_order:
            return None
        accepted, message = ask_brokerage(model.can_submit_order(security, order, None), "can_submit_order")
        if accepted:
            return None
        if message is None:
            message = BrokerageMessageEvent(BrokerageMessageType.WARNING, "InvalidOrder", "")
        return f"BrokerageModel declared unable to submit order: [{order.id}] {message}"

    def open_quantity(self, symbol: Any, exclude_order_id: int | None = None) -> float:
        """Remaining quantity (signed) of ``symbol``'s open orders, without order ``exclude_order_id``."""
        return float(sum(self._tickets[i].quantity_remaining for i in self._open_of(symbol)
                         if i != exclude_order_id))

    def _buying_power_error(self, security: Security, order: Order, fee_account: float | None = None) -> str | None:
        return buying_power_error(self._algorithm.portfolio, security, order, fee_account)

    def submit_delisting(self, security: Security, quantity: float) -> Order:
        """Close a delisted position at the security's last price, as LEAN's
        ``BrokerageTransactionHandler.HandleDelistingNotification``: a market order tagged
        "Liquidate from delisting", no fee, one Filled event (no Submitted event)."""
        algo = self._algorithm
        if self._placed:  # (as submit)
            self.build_orders()
        order = Order(self._next_id, security.symbol, OrderType.MARKET, quantity, algo.time, LIQUIDATE_FROM_DELISTING)
        self._next_id += 1
        self._orders[order.id] = order
        self._tickets[order.id] = OrderTicket(order, self, OrderResponse(True))
        order.status = OrderStatus.SUBMITTED
        self._complete_fill(security, order, security.price, LIQUIDATE_FROM_DELISTING, OrderFee.ZERO)
        return order

    def _price_rounding_warning(self, message: str) -> None:
        # LEAN reports the first rounded price of a run only (_hasLoggedPriceRoundingWarning)
        if not self._price_rounding_warned:
            self._price_rounding_warned = True
            self._algorithm.error(message)

    def update_order(self, order: Order, fields: UpdateOrderFields, request: Any = None) -> OrderResponse:
        algo = self._algorithm
        if order.id not in self._open:
            return OrderResponse(False, f"Unable to update order with id {order.id}: it is not open")
        security = algo.securities[order.symbol]
        quantity = order.quantity if fields.quantity is None else float(fields.quantity)
        if (order.direction == OrderDirection.SELL or quantity < 0) \
                and not algo.shortable(order.symbol, quantity, order.id):
            return OrderResponse(False, shorting.shortable_error(security, order.quantity))
        if not algo.live_mode:
            accepted, message = ask_brokerage(algo.brokerage_model.can_update_order(security, order, request, None),
                                              "can_update_order")
            if not accepted:
                if message is None:
                    message = BrokerageMessageEvent(BrokerageMessageType.WARNING, "InvalidRequest",
                                                    f"BrokerageModel declared unable to update order: {order.id}")
                text = f"OrderID: {order.id} {message}"
                algo.error(text)
                self._event(order, order.status, message="BrokerageModel declared unable to update order",
                            deferred=True)
                return OrderResponse(False, text)
        if fields.quantity is not None:
            order.quantity = float(fields.quantity)
        if fields.limit_price is not None:
            order.limit_price = float(fields.limit_price)
        if fields.stop_price is not None:
            order.stop_price = float(fields.stop_price)
        if fields.tag is not None:
            order.tag = fields.tag
        round_order_prices(order, self._algorithm.securities[order.symbol], self._price_rounding_warning,
                           self._algorithm.live_mode)
        self._event(order, OrderStatus.UPDATE_SUBMITTED)
        self._try_fill(order)
        return OrderResponse(True)

    def cancel_order(self, order: Order, tag: str | None = None) -> OrderResponse:
        if order.id not in self._open:
            return OrderResponse(False, f"Unable to cancel order with id {order.id}: it is not open")
        self._close(order)
        order.status = OrderStatus.CANCELED
        order.canceled_time = self._algorithm.time
        if tag is not None:
            order.tag = tag
        self._event(order, OrderStatus.CANCELED)
        return OrderResponse(True)

    # --- processing ---------------------------------------------------------------------------
    def process(self) -> None:
        """Try to fill every open order against the current data (``ProcessSynchronousEvents``).

        Market-on-open, stop and limit orders need a bar that ends after the order time: without one
        their fill model answers "wait", so they are not asked (most open stops on most steps).
        """
        open_orders = self._open
        placed = self._open_placed
        if placed is not None and (open_orders or self._handles_order_events()):
            self.build_orders()
            placed = None
        if not open_orders and placed is None:  # most steps of a rebalance
            return
        securities = self._algorithm.securities
        if placed is not None:  # the open orders, held as columns: filled as columns, or built
            handled = step_orders.fill_market_on_open(self._algorithm, self, placed)
            if self._open_placed is not None:  # not filled
                if handled == len(placed):  # every order waits, as its fill model would
                    return
                self.build_orders()
            pending = placed[handled:] if placed.orders is not None else []
        else:
            pending = list(open_orders.values())
            if len(pending) >= step_orders.MIN_BATCH and not self._handles_order_events():
                pending = pending[step_orders.fill_market_on_open(self._algorithm, self, pending):]
        pending = step_orders.within_reach(self._algorithm, pending)
        for order in pending:
            if order.id not in open_orders:
                continue
            security = securities[order.symbol]
            if order.type in _NEED_A_LATER_BAR:
                bar = security.last_bar()
                if bar is None or bar.end_time <= order.time:
                    continue
            self._try_fill(order, security)

    def _try_fill(self, order: Order, security: Security | None = None) -> None:
        algo = self._algorithm
        if security is None:
            security = algo.securities[order.symbol]
        result = fill_models.fill(security, order, algo.time)
        if result is None:
            return
        price, message = result
        # the runtime's own fee models answer the same at the check and the fill: asked once; a user's
        # model is asked at each, as LEAN does
        fee: OrderFee | None = None
        fee_account: float | None = None
        if type(security.fee_model) in BUILTIN_FEE_MODELS:
            fee = order_fee(security, order)
            fee_account = fee.value.amount * algo.portfolio.cash_book[fee.value.currency].conversion_rate
        error = buying_power_error(algo.portfolio, security, order, fee_account)
        self._close(order)
        if error is not None:
            order.status = OrderStatus.INVALID
            self._event(order, OrderStatus.INVALID, message=error)
            algo.error(f"Order Error: id: {order.id}, {error}")
            return
        self._complete_fill(security, order, price, message, fee)

    def _complete_fill(self, security: Security, order: Order, price: float, message: str,
                       fee: OrderFee | None = None) -> None:
        algo = self._algorithm
        now = algo.time
        quantity = order.quantity
        if fee is None:
            fee = order_fee(security, order)
        fee_account, realized = algo.portfolio.process_fill(security, price, quantity, fee, now)
        order.status = OrderStatus.FILLED
        order.price = price
        order.last_fill_time = now
        order.fee = fee_account
        conv = security.quote_currency.conversion_rate
        order.value = quantity * price * conv * security.symbol_properties.contract_multiplier
        bar = security.last_bar()
        self.fills.append(now, order.id, str(order.symbol), quantity, price, order.value, fee_account, conv,
                          (bar.close * bar.volume * conv) if bar is not None else 0.0,
                          security.holdings.quantity - quantity > 0, realized)
        self._event(order, OrderStatus.FILLED, price, quantity, fee, message)

    @property
    def events(self) -> list[OrderEvent]:
        """Every order event of the run, in order."""
        self.build_events()
        return self._events

    def build_events(self) -> None:
        """Build the events recorded but not built yet (ids in order, each added to its ticket)."""
        if self._placed:  # (the events read the orders)
            self.build_orders()
        events = self._events
        for order, time, status, fill_price, fill_quantity, fee, message, quantity, limit_price, stop_price, ticket \
                in chain.from_iterable(entry.rows() if type(entry) is EventColumns else (entry,)
                                       for entry in self._unbuilt):
            if type(fee) is float:  # a USD amount (record_fills)
                fee = OrderFee(CashAmount(fee, "USD"))
            event = OrderEvent(order, time, status, fill_price, fill_quantity, fee, message,
                               (quantity, limit_price, stop_price))
            event.id = len(events) + 1
            event.ticket = ticket
            if ticket is not None:
                ticket.add_event(event)
            events.append(event)
        self._unbuilt.clear()

    def _event(self, order: Order, status: OrderStatus, fill_price: float = 0.0, fill_quantity: float = 0.0,
               fee: OrderFee | None = None, message: str = "", deferred: bool = False) -> None:
        ticket = self._tickets.get(order.id)
        if ticket is not None:
            ticket._filled += fill_quantity
        self._unbuilt.append((order, self._algorithm.time, status, fill_price, fill_quantity, fee, message,
                              order.quantity, order.limit_price, order.stop_price, ticket))
        if not self._handles_order_events():
            return
        self.build_events()
        event = self._events[-1]
        if self._dispatching:
            if deferred:
                self._deferred.append(event)
            else:
                self._algorithm.on_order_event(event)
            return
        self._dispatching = True
        try:
            self._algorithm.on_order_event(event)
            while self._deferred:
                self._algorithm.on_order_event(self._deferred.pop(0))
        finally:
            self._dispatching = False


name_lean_members(TransactionManager, "SecurityTransactionManager", (
    "cancel_open_orders", "cancel_order", "get_open_order_tickets", "get_open_orders",
    "get_open_orders_remaining_quantity", "get_order_by_id", "get_order_ticket", "get_order_tickets", "get_orders",
    "orders_count", "update_order"), (
    "add_order", "add_transaction_record", "get_increment_contingent_order_set_id",
    "get_increment_group_order_manager_id", "get_increment_order_id", "get_orders_by_brokerage_id",
    "get_projected_holdings", "last_order_id", "losing_transactions", "loss_count", "market_order_fill_timeout",
    "minimum_order_quantity", "minimum_order_size", "process_request", "remove_order", "set_live_mode",
    "set_order_id", "set_order_processor", "transaction_record", "utc_time", "wait_for_order", "win_count",
    "winning_transactions", *OBJECT_MEMBERS))


def within_moc_buffer(security: Security, moment: datetime) -> bool:
    """Is ``moment`` within LEAN's 15.5-minute market-on-close submission buffer before the next close?"""
    if security.exchange.hours.always_open:
        return False
    close = security.exchange.next_market_close(moment)
    return moment > close - timedelta(minutes=15, seconds=30)
