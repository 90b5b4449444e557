"""The cash book, holdings, margin, ``set_holdings`` sizing and the transaction manager.

Holdings live in numpy arrays indexed by the security's feed column, so the total portfolio
value is one dot product per time step. Formulas follow LEAN:

* fills: ``SecurityPortfolioModel.ProcessFill`` (cash, average price, realized profit, the
  transaction record ``profit - 2 x fee``);
* margin: ``SecurityMarginModel`` with initial = maintenance = 1 / leverage;
* sizing: ``PortfolioTarget.Percent`` then ``BuyingPowerModel.GetMaximumOrderQuantityForTargetBuyingPower``
  (free-portfolio buffer, minimum order margin, the fee loop, lot-size rounding);
* buying power check: ``BuyingPowerModel.HasSufficientBuyingPowerForOrder``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from lean_local.engine import fills as fill_models
from lean_local.engine import shortable as shorting
from lean_local.engine.brokerages import (
    BrokerageMessageEvent,
    BrokerageMessageType,
    DefaultBrokerageModel,
    ask_brokerage,
)
from lean_local.engine.common import SecurityType, Symbol, not_supported
from lean_local.engine.fees import ConstantFeeModel, FeeModel, InteractiveBrokersFeeModel, OrderFeeParameters
from lean_local.engine.orders import (
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
from lean_local.engine.price_variation import round_order_prices

if TYPE_CHECKING:
    from lean_local.engine.securities import Security


class Cash:
    """One currency in the cash book: ``amount`` and ``conversion_rate`` to the account currency."""

    def __init__(self, symbol: str, amount: float = 0.0, conversion_rate: float = 1.0) -> None:
        self.symbol = symbol
        self._amount = float(amount)
        self.conversion_rate = float(conversion_rate)
        self._listener: Callable[[], None] | None = None  # the portfolio's cache invalidation
        # (security, invert): the rate is the security's price, or 1 / price
        self.currency_conversion: tuple[Security, bool] | None = None

    @property
    def amount(self) -> float:
        return self._amount

    @amount.setter
    def amount(self, value: float) -> None:
        self._amount = float(value)
        if self._listener is not None:
            self._listener()

    @property
    def value_in_account_currency(self) -> float:
        return self.amount * self.conversion_rate

    def add_amount(self, amount: float) -> float:
        self.amount = self._amount + float(amount)
        return self.amount

    def set_amount(self, amount: float) -> None:
        self.amount = float(amount)

    def update(self) -> None:
        if self.currency_conversion is None:
            return
        security, invert = self.currency_conversion
        price = security.price
        if price > 0:
            self.conversion_rate = 1.0 / price if invert else price
            if self._listener is not None:
                self._listener()

    def __repr__(self) -> str:
        return f"{self.symbol}: {self.amount:.2f} @ {self.conversion_rate:g}"


class CashBook(dict):
    """``portfolio.cash_book``: currency -> :class:`Cash` (account currency USD)."""

    account_currency = "USD"

    def __init__(self, listener: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._listener = listener
        self.ensure("USD").conversion_rate = 1.0

    def ensure(self, currency: str) -> Cash:
        if currency not in self:
            cash = Cash(currency, 0.0, 0.0)
            cash._listener = self._listener
            self[currency] = cash
        return self[currency]

    @property
    def total_value_in_account_currency(self) -> float:
        return float(sum(c.amount * c.conversion_rate for c in self.values()))

    def convert_to_account_currency(self, amount: float, currency: str) -> float:
        return amount * self[currency].conversion_rate


class SecurityPortfolioManager:
    """``self.portfolio``: holdings arrays, cash book, margin and portfolio value."""

    def __init__(self, securities: Any, feed: Any, settings: Any) -> None:
        self._securities = securities
        self._feed = feed
        self._settings = settings
        self._version = 0
        self.cash_book = CashBook(self.invalidate)
        self._cap = 0
        self.quantity = np.zeros(0)
        self.average_price = np.zeros(0)
        self.realized_profit = np.zeros(0)
        self.fees_paid = np.zeros(0)
        self._multiplier = np.zeros(0)
        self._leverage = np.zeros(0)
        self._cash_based = np.zeros(0, dtype=bool)  # forex: value is carried in the cash book
        self._quote: list[Cash] = []
        self._by_column: list[Security] = []
        self.total_fees = 0.0
        self.transaction_record: dict[datetime, float] = {}
        self.total_sale_volume = 0.0
        # the portfolio value is asked for many times per step (sizing every target of a rebalance):
        # cache it per (step, book version); fills, cash changes and rate updates bump the version
        self._tpv_key: tuple[int, int] | None = None
        self._tpv = 0.0
        self._margin_key: tuple[int, int] | None = None
        self._margin = 0.0
        # the holdings values both of them sum (one computation per fill instead of two)
        self._values_key: tuple[int, int, int] | None = None
        self._values_cache = np.zeros(0)

    # --- registration -------------------------------------------------------------------------
    def _register(self, security: Security) -> None:
        j = security._column
        if j >= self._cap:
            new_cap = max(16, 2 * self._cap, j + 1)
            for name in ("quantity", "average_price", "realized_profit", "fees_paid", "_multiplier", "_leverage"):
                arr = np.zeros(new_cap)
                arr[: self._cap] = getattr(self, name)
                setattr(self, name, arr)
            cb = np.zeros(new_cap, dtype=bool)
            cb[: self._cap] = self._cash_based
            self._cash_based = cb
            self._cap = new_cap
        self._multiplier[j] = security.symbol_properties.contract_multiplier
        self._leverage[j] = security.leverage
        self._cash_based[j] = security.type == SecurityType.FOREX
        while len(self._quote) <= j:
            self._quote.append(self.cash_book["USD"])
            self._by_column.append(security)
        self._quote[j] = security.quote_currency
        self._by_column[j] = security

    # --- mapping interface --------------------------------------------------------------------
    def __getitem__(self, symbol: str) -> Any:
        return self._securities[symbol].holdings

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._securities

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._securities)

    def keys(self) -> list[Symbol]:
        return self._securities.keys()

    def values(self) -> list[Any]:
        return [s.holdings for s in self._securities.values()]

    def items(self) -> list[tuple[Symbol, Any]]:
        return [(s.symbol, s.holdings) for s in self._securities.values()]

    def __getattr__(self, name: str) -> Any:
        raise not_supported("SecurityPortfolioManager", name)

    # --- values -------------------------------------------------------------------------------
    def _values(self) -> np.ndarray:
        """Signed holdings value per column in account currency."""
        n = len(self._by_column)
        prices = self._feed.current_closes(n)
        if len(self.cash_book) == 1:  # USD only (the book always holds the account currency)
            return self.quantity[:n] * prices * self._multiplier[:n]
        conv = np.fromiter((c.conversion_rate for c in self._quote), dtype=np.float64, count=n)
        return self.quantity[:n] * prices * conv * self._multiplier[:n]

    def _shared_values(self) -> np.ndarray:
        """:meth:`_values`, computed once per (step, book version, column count); do not modify."""
        key = (self._feed.step, self._version, len(self._by_column))
        if key != self._values_key:
            self._values_cache = self._values()
            self._values_key = key
        return self._values_cache

    def invalidate(self) -> None:
        """Forget the cached portfolio value (cash, holdings or rates changed)."""
        self._version += 1

    @property
    def cash(self) -> float:
        """Account-currency cash (USD)."""
        return self.cash_book["USD"].amount

    @property
    def total_portfolio_value(self) -> float:
        """Cash book value plus the value of non-forex holdings (forex value sits in the cash book)."""
        key = (self._feed.step, self._version)
        if key != self._tpv_key:
            n = len(self._by_column)
            values = self._shared_values()
            self._tpv = self.cash_book.total_value_in_account_currency + float(values[~self._cash_based[:n]].sum())
            self._tpv_key = key
        return self._tpv

    @property
    def total_holdings_value(self) -> float:
        return float(self._values().sum())

    @property
    def total_absolute_holdings_cost(self) -> float:
        n = len(self._by_column)
        conv = np.array([c.conversion_rate for c in self._quote])
        return float(np.abs(self.quantity[:n] * self.average_price[:n] * conv * self._multiplier[:n]).sum())

    @property
    def total_unrealized_profit(self) -> float:
        return float(sum(s.holdings.unrealized_profit for s in self._by_column if s.holdings.invested))

    total_unrealised_profit = total_unrealized_profit

    @property
    def total_profit(self) -> float:
        return float(self.realized_profit.sum())

    @property
    def total_net_profit(self) -> float:
        return self.total_profit - self.total_fees

    @property
    def invested(self) -> bool:
        return bool((self.quantity != 0).any())

    @property
    def total_margin_used(self) -> float:
        key = (self._feed.step, self._version)
        if key != self._margin_key:
            n = len(self._by_column)
            self._margin = float((np.abs(self._shared_values()) / self._leverage[:n]).sum()) if n else 0.0
            self._margin_key = key
        return self._margin

    @property
    def margin_remaining(self) -> float:
        return self.total_portfolio_value - self.total_margin_used

    def get_margin_remaining_for(self, security: Security, buying: bool, tpv: float | None = None) -> float:
        """LEAN ``SecurityMarginModel.GetMarginRemaining`` for an order direction."""
        tpv = self.total_portfolio_value if tpv is None else tpv
        remaining = tpv - self.total_margin_used
        q = security.holdings.quantity
        if (q > 0 and not buying) or (q < 0 and buying):
            value = abs(security.holdings.holdings_value)
            remaining += value / security.leverage + value / security.leverage
        return remaining

    def set_cash(self, amount: float, currency: str = "USD", conversion_rate: float | None = None) -> None:
        self.invalidate()
        cash = self.cash_book.ensure(currency)
        cash.amount = float(amount)
        if conversion_rate is not None:
            cash.conversion_rate = float(conversion_rate)

    # --- fills --------------------------------------------------------------------------------
    def process_fill(self, security: Security, fill_price: float, fill_quantity: float, fee: OrderFee,
                     time: datetime) -> float:
        """Apply a fill; returns the fee in account currency."""
        self.invalidate()
        j = security._column
        mult = security.symbol_properties.contract_multiplier
        conv = security.quote_currency.conversion_rate
        q0 = float(self.quantity[j])
        avg = float(self.average_price[j])
        self.total_sale_volume += abs(fill_quantity) * fill_price * conv * mult
        fee_currency = self.cash_book.ensure(fee.value.currency)
        fee_account = fee.value.amount * fee_currency.conversion_rate
        if fee.value.amount:
            fee_currency.add_amount(-fee.value.amount)
            self.fees_paid[j] += fee_account
            self.total_fees += fee_account
        security.quote_currency.add_amount(-fill_quantity * fill_price * mult)
        if security.type == SecurityType.FOREX and security.base_currency is not None:
            security.base_currency.add_amount(fill_quantity)
        if q0 != 0 and (q0 > 0) != (fill_quantity > 0):
            closed = min(abs(fill_quantity), abs(q0))
            profit = (fill_price - avg) * closed * (1 if q0 > 0 else -1) * conv * mult
            self.realized_profit[j] += profit
            # LEAN's AddTransactionRecord: one entry per closing fill, a later one at the same time 1 ms later
            key = time
            while key in self.transaction_record:
                key += timedelta(milliseconds=1)
            self.transaction_record[key] = profit - 2 * fee_account
        q1 = q0 + fill_quantity
        if q0 == 0:
            avg = fill_price
        elif (q0 > 0) == (fill_quantity > 0):
            avg = (avg * q0 + fill_quantity * fill_price) / q1
        elif q1 == 0:
            avg = 0.0
        elif (q1 > 0) != (q0 > 0):
            avg = fill_price
        self.quantity[j] = q1
        self.average_price[j] = avg
        return fee_account


# the runtime's own fee models depend only on the order and the current price, so a fill can reuse the
# fee of its buying-power check; a user's model is asked each time, as LEAN does
_PURE_FEE_MODELS = (FeeModel, ConstantFeeModel, InteractiveBrokersFeeModel)


def order_fee(security: Security, order: Order) -> OrderFee:
    """Ask the security's fee model, as LEAN does, with an :class:`OrderFeeParameters`."""
    fee = security.fee_model.get_order_fee(OrderFeeParameters(security, order))
    if not isinstance(fee, OrderFee):
        raise TypeError(f"{type(security.fee_model).__name__}.get_order_fee must return an OrderFee, got {fee!r}")
    return fee


def initial_margin(quantity: float, price: float, conversion_rate: float, multiplier: float,
                   leverage: float) -> float:
    """LEAN's initial margin: ``quantity x price x quote rate x multiplier / leverage`` (signed), account currency.

    Takes the security's values rather than the security, so a caller that needs several margins reads
    them once.
    """
    return quantity * price * conversion_rate * multiplier / leverage


def margin_terms(security: Security) -> tuple[float, float, float, float]:
    """``(price, quote rate, multiplier, leverage)`` of ``security`` for :func:`initial_margin`."""
    return (security.price, security.quote_currency.conversion_rate,
            security.symbol_properties.contract_multiplier, security.leverage)


def target_order_quantity(portfolio: SecurityPortfolioManager, security: Security, percent: float,
                          free_percentage: float, minimum_order_margin_percentage: float) -> tuple[float, str]:
    """The order quantity that moves ``security`` to ``percent`` of the portfolio value.

    ``PortfolioTarget.Percent`` and ``BuyingPowerModel.GetMaximumOrderQuantityForTargetBuyingPower``:
    the target margin is ``percent x (TPV - free buffer) / leverage``; no order when the margin
    change is below ``minimum_order_margin_percentage x TPV``; the quantity is rounded toward
    zero to the lot size and reduced until target holdings plus the estimated fee fit.

    Returns
    -------
    (quantity, reason)
        The signed order quantity (0 with a reason when no order is due).
    """
    tpv = portfolio.total_portfolio_value
    terms = margin_terms(security)
    if terms[0] == 0:
        return 0.0, f"The security {security.symbol} does not have a price yet"
    if tpv == 0:
        return 0.0, "total portfolio value is zero"
    adjusted = percent * (tpv - tpv * free_percentage) / tpv
    target_buying_power = adjusted / security.leverage
    target_margin = target_buying_power * tpv
    holdings = security.holdings.quantity
    if target_margin == 0:
        return -holdings, ""
    current_margin = initial_margin(holdings, *terms)
    unit_margin = abs(initial_margin(1.0, *terms))
    if unit_margin == 0:
        return 0.0, "zero price"
    if abs(target_margin - current_margin) < tpv * minimum_order_margin_percentage \
            and portfolio.margin_remaining > 0:
        return 0.0, "order margin below the minimum order margin portfolio percentage"
    lot = security.symbol_properties.lot_size
    cash_book = portfolio.cash_book
    last = None
    while True:
        size = -holdings + target_margin / unit_margin
        size = (math.floor if target_margin > 0 else math.ceil)(round(size / lot, 10)) * lot
        final = initial_margin(size + holdings, *terms)
        while (target_margin < 0 and final < target_margin) or (target_margin > 0 and final > target_margin):
            size += lot if target_margin < 0 else -lot
            final = initial_margin(size + holdings, *terms)
        if size == 0:
            return 0.0, "order quantity below the lot size"
        probe = Order(0, security.symbol, OrderType.MARKET, size, security.local_time)
        fee = order_fee(security, probe)
        fee_account = cash_book.convert_to_account_currency(fee.value.amount, fee.value.currency)
        target_margin = (tpv - fee_account) * target_buying_power
        if last == size:
            raise ArgumentError(f"GetMaximumOrderQuantityForTargetBuyingPower failed to converge for {security.symbol}")
        last = size
        if abs(final) <= abs(target_margin):
            return float(size), ""


# order types whose fill model waits for a bar ending after the order time (see fills.py)
_NEED_A_LATER_BAR = frozenset({OrderType.MARKET_ON_OPEN, OrderType.STOP_MARKET, OrderType.LIMIT,
                               OrderType.STOP_LIMIT})


class ArgumentError(ValueError):
    """LEAN's ``ArgumentException`` from the sizing loop."""


# BrokerageTransactionHandler.LiquidateFromDelistingTag
LIQUIDATE_FROM_DELISTING = "Liquidate from delisting"


class TransactionManager:
    """``self.transactions``: orders, tickets, fills (LEAN ``SecurityTransactionManager`` plus the
    backtesting brokerage)."""

    def __init__(self, algorithm: Any) -> None:
        self._algorithm = algorithm
        self._orders: dict[int, Order] = {}
        self._tickets: dict[int, OrderTicket] = {}
        self._open: dict[int, Order] = {}
        self._open_by_symbol: dict[str, dict[int, Order]] = defaultdict(dict)
        self.fills: list[dict] = []
        self.events: list[OrderEvent] = []
        self._next_id = 1
        self._price_rounding_warned = False
        # order events of update requests made inside on_order_event: LEAN answers update requests
        # asynchronously, so their events reach the algorithm after the handler that made them returns
        self._dispatching = False
        self._deferred: list[OrderEvent] = []

    # --- queries ------------------------------------------------------------------------------
    @property
    def orders_count(self) -> int:
        return len(self._orders)

    def get_order_by_id(self, order_id: int) -> Order | None:
        return self._orders.get(order_id)

    def get_order_ticket(self, order_id: int) -> OrderTicket | None:
        return self._tickets.get(order_id)

    def get_orders(self, filter: Callable[[Order], bool] | None = None) -> list[Order]:
        return [o for o in self._orders.values() if filter is None or filter(o)]

    def get_open_orders(self, symbol: str | None = None) -> list[Order]:
        if symbol is None:
            return list(self._open.values())
        return list(self._open_by_symbol.get(symbol, {}).values())

    def get_open_order_tickets(self, symbol: Any = None) -> list[OrderTicket]:
        if callable(symbol):
            return [self._tickets[i] for i in self._open if symbol(self._tickets[i])]
        if symbol is None:
            return [self._tickets[i] for i in self._open]
        return [self._tickets[i] for i in self._open_by_symbol.get(symbol, {})]

    def get_order_tickets(self, filter: Callable[[OrderTicket], bool] | None = None) -> list[OrderTicket]:
        return [t for t in self._tickets.values() if filter is None or filter(t)]

    def get_open_orders_remaining_quantity(self, symbol: str) -> float:
        return float(sum(self._tickets[i].quantity_remaining for i in self._open_by_symbol.get(symbol, {})))

    def _set_open(self, order: Order) -> None:
        self._open[order.id] = order
        self._open_by_symbol[order.symbol][order.id] = order

    def _close(self, order: Order) -> None:
        del self._open[order.id]
        del self._open_by_symbol[order.symbol][order.id]

    def cancel_open_orders(self, symbol: str | None = None, tag: str | None = None) -> list[OrderTicket]:
        tickets = self.get_open_order_tickets(symbol)
        for ticket in tickets:
            ticket.cancel(tag)
        return tickets

    def __getattr__(self, name: str) -> Any:
        raise not_supported("SecurityTransactionManager", name)

    # --- submission ---------------------------------------------------------------------------
    def submit(self, security: Security, order_type: OrderType, quantity: float, tag: str = "",
               limit_price: float = 0.0, stop_price: float = 0.0) -> OrderTicket:
        if not (math.isfinite(quantity) and math.isfinite(limit_price) and math.isfinite(stop_price)):
            # LEAN holds these as System.Decimal, which has no NaN or infinity: the call fails there too
            raise ValueError(f"{security.symbol}: order quantity {quantity}, limit price {limit_price} and stop "
                             f"price {stop_price} must be finite numbers")
        algo = self._algorithm
        order = Order(self._next_id, security.symbol, order_type, quantity, algo.time, tag, limit_price, stop_price)
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
        order.status = OrderStatus.SUBMITTED
        self._set_open(order)
        self._event(order, OrderStatus.SUBMITTED)
        # only a market order can fill at its own submission time: every other type needs a bar that
        # ends (or a close that comes) after the order time, which the current bar cannot be
        if order.type == OrderType.MARKET:
            self._try_fill(order)
        return ticket

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
        return float(sum(self._tickets[i].quantity_remaining for i in self._open_by_symbol.get(symbol, {})
                         if i != exclude_order_id))

    def _buying_power_error(self, security: Security, order: Order, fee: OrderFee | None = None) -> str | None:
        portfolio = self._algorithm.portfolio
        held = security.holdings.quantity
        quantity = order.quantity
        if held * quantity < 0 and abs(held) >= abs(quantity):
            return None
        if fee is None:
            fee = order_fee(security, order)
        fee_account = portfolio.cash_book.convert_to_account_currency(fee.value.amount, fee.value.currency)
        terms = margin_terms(security)
        required = abs(initial_margin(quantity, *terms)) + fee_account
        free = portfolio.get_margin_remaining_for(security, quantity > 0)
        if required > free:
            return (f"Insufficient buying power to complete orders (Value:{abs(quantity * terms[0]):.2f}), "
                    f"Reason: Id: {order.id}, Initial Margin: {required:.2f}, Free Margin: {free:.2f}.")
        return None

    def submit_delisting(self, security: Security, quantity: float) -> Order:
        """Close a delisted position at the security's last price, as LEAN's
        ``BrokerageTransactionHandler.HandleDelistingNotification``: a market order tagged
        "Liquidate from delisting", no fee, one Filled event (no Submitted event)."""
        algo = self._algorithm
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
        securities = self._algorithm.securities
        for order in list(self._open.values()):
            if order.id not in self._open:
                continue
            if order.type in _NEED_A_LATER_BAR:
                bar = securities[order.symbol].last_bar()
                if bar is None or bar.end_time <= order.time:
                    continue
            self._try_fill(order)

    def _try_fill(self, order: Order) -> None:
        algo = self._algorithm
        security = algo.securities[order.symbol]
        now = algo.time
        result = fill_models.fill(security, order, now)
        if result is None:
            return
        price, message = result
        fee = order_fee(security, order) if type(security.fee_model) in _PURE_FEE_MODELS else None
        error = self._buying_power_error(security, order, fee)
        if error is not None:
            self._close(order)
            order.status = OrderStatus.INVALID
            self._event(order, OrderStatus.INVALID, message=error)
            algo.error(f"Order Error: id: {order.id}, {error}")
            return
        self._close(order)
        self._complete_fill(security, order, price, message, fee)

    def _complete_fill(self, security: Security, order: Order, price: float, message: str,
                       fee: OrderFee | None = None) -> None:
        algo = self._algorithm
        now = algo.time
        quantity = order.quantity
        if fee is None:
            fee = order_fee(security, order)
        realized_before = float(algo.portfolio.realized_profit[security._column])
        fee_account = algo.portfolio.process_fill(security, price, quantity, fee, now)
        realized = float(algo.portfolio.realized_profit[security._column]) - realized_before
        order.status = OrderStatus.FILLED
        order.price = price
        order.last_fill_time = now
        order.fee = fee_account
        conv = security.quote_currency.conversion_rate
        order.value = quantity * price * conv * security.symbol_properties.contract_multiplier
        bar = security.last_bar()
        self.fills.append({
            "time": now, "order_id": order.id, "symbol": str(order.symbol), "quantity": quantity,
            "fill_price": price, "fill_value": order.value, "fee": fee_account, "conversion_rate": conv,
            "dollar_volume": (bar.close * bar.volume * conv) if bar is not None else 0.0,
            "is_long_before": security.holdings.quantity - quantity > 0,
            "realized_pnl": realized,
        })
        self._event(order, OrderStatus.FILLED, price, quantity, fee, message)

    def _event(self, order: Order, status: OrderStatus, fill_price: float = 0.0, fill_quantity: float = 0.0,
               fee: OrderFee | None = None, message: str = "", deferred: bool = False) -> None:
        event = OrderEvent(order, self._algorithm.time, status, fill_price, fill_quantity, fee, message)
        event.id = len(self.events) + 1
        ticket = self._tickets.get(order.id)
        event.ticket = ticket
        if ticket is not None:
            ticket.order_events.append(event)
        self.events.append(event)
        if deferred and self._dispatching:
            self._deferred.append(event)
            return
        outer = not self._dispatching
        self._dispatching = True
        try:
            self._algorithm._dispatch_order_event(event)
            while outer and self._deferred:
                self._algorithm._dispatch_order_event(self._deferred.pop(0))
        finally:
            if outer:
                self._dispatching = False


def within_moc_buffer(security: Security, moment: datetime) -> bool:
    """Is ``moment`` within LEAN's 15.5-minute market-on-close submission buffer before the next close?"""
    from datetime import timedelta

    if security.exchange.hours.always_open:
        return False
    close = security.exchange.next_market_close(moment)
    return moment > close - timedelta(minutes=15, seconds=30)
