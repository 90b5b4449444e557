"""The portfolio: holdings, portfolio value and margin in use (LEAN ``SecurityPortfolioManager``).

Holdings live in numpy arrays indexed by the security's feed column, so the total portfolio
value is one dot product per time step. Fills follow LEAN's ``SecurityPortfolioModel.ProcessFill``
(cash, average price, realized profit, the transaction record ``profit - 2 x fee``).

The cash book (:mod:`lean_local.engine.cash`), sizing and the buying power check
(:mod:`lean_local.engine.buying_power`) and the transaction manager (:mod:`lean_local.engine.transactions`)
are re-exported here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from lean_local.engine.buying_power import (
    ArgumentError,
    buying_power_error,
    fee_in_account_currency,
    initial_margin,
    margin_terms,
    order_fee,
    target_order_quantity,
)
from lean_local.engine.cash import Cash, CashBook
from lean_local.engine.common import SecurityType
from lean_local.engine.fees import in_account
from lean_local.engine.lean_members import OBJECT_MEMBERS, name_lean_members
from lean_local.engine.orders import OrderFee
from lean_local.engine.portfolio_book import PortfolioBook
from lean_local.engine.portfolio_mapping import HoldingsMapping
from lean_local.engine.transactions import LIQUIDATE_FROM_DELISTING, TransactionManager, within_moc_buffer

if TYPE_CHECKING:
    from lean_local.engine.securities import Security

_add = np.add.reduce

#: LEAN's ``AddTransactionRecord``: a later record at a time already taken goes 1 ms later
_RECORD_STEP = timedelta(milliseconds=1)

__all__ = ["LIQUIDATE_FROM_DELISTING", "ArgumentError", "Cash", "CashBook", "SecurityPortfolioManager",
           "TransactionManager", "buying_power_error", "fee_in_account_currency", "initial_margin", "margin_terms",
           "order_fee", "target_order_quantity", "within_moc_buffer"]


class SecurityPortfolioManager(HoldingsMapping, PortfolioBook):
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
        self._any_cash_based = False  # some column is (else the portfolio value sums every holding)
        #: every column's multiplier is 1 (a product by it changes no bit); once False, False for good
        self._unit_multipliers = True
        self._least_leverage = (-1, 0.0)  # (book version, the registered columns' least leverage then)
        self._quote: list[Cash] = []
        self.by_column: list[Security] = []  # the engine's: the security of each feed column
        self.total_fees = 0.0
        self.transaction_record: dict[datetime, float] = {}
        self._record_next: dict[datetime, datetime] = {}  # fill time -> the next record key to try
        self.total_sale_volume = 0.0
        # the portfolio value is asked for many times per step (sizing every target of a rebalance):
        # cache it per (step, book version); fills, cash changes and rate updates bump the version
        self._tpv_key: tuple[int, int] | None = None
        self._tpv = 0.0
        self._held = 0.0  # the holdings' sum in _tpv (long_short_values takes it when every value is long)
        self._margin_key: tuple[int, int] | None = None
        self._margin = 0.0
        # the holdings values both of them sum (one computation per fill instead of two)
        self._values_key: tuple[int, int, int] | None = None
        self._values_cache = np.zeros(0)
        # the closes those values were computed from (their bytes), and a number that changes when they are
        # computed again: a step whose closes are the last ones (a midnight step of corporate events)
        # keeps the values and the figures summed from them (keyed by that number and the book version)
        self._valued_closes = b""
        self._values_number = 0
        self._tpv_basis: tuple[int, int] | None = None
        self._margin_basis: tuple[int, int] | None = None
        self._long_short_basis: tuple[int, int] | None = None
        self._long_short = (0.0, 0.0)
        # the portfolio value and margin in use carried through the fills of a step (each fill adds its
        # change), so a fill's buying power check that clearly passes needs no sum over every holding
        self._estimate_key: tuple[int, int] | None = None
        self._tpv_estimate = 0.0
        self._margin_estimate = 0.0

    # --- registration -------------------------------------------------------------------------
    def register(self, security: Security) -> None:
        j = security.column
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
        self._any_cash_based = bool(self._cash_based.any())
        while len(self._quote) <= j:
            self._quote.append(self.cash_book[self.cash_book.account_currency])
            self.by_column.append(security)
        self._quote[j] = security.quote_currency
        self.by_column[j] = security
        self._unit_multipliers = self._unit_multipliers and self._multiplier.item(j) == 1.0
        self.invalidate()  # the column's terms: the figures computed before are not of this book

    @property
    def feed(self) -> Any:
        """The engine's: the data feed whose current closes price the holdings."""
        return self._feed

    def column_terms(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The engine's: the contract multiplier and leverage of each of ``columns``."""
        return self._multiplier[columns], self._leverage[columns]

    def update_leverage(self, security: Security) -> None:
        """``security``'s leverage changed (``Security.set_leverage``)."""
        self._leverage[security.column] = security.leverage
        self.invalidate()

    # --- values -------------------------------------------------------------------------------
    def column_values(self) -> np.ndarray:
        """Signed holdings value per column in account currency."""
        return self._values_at(self._feed.current_closes(len(self.by_column)))

    def _values_at(self, prices: np.ndarray) -> np.ndarray:
        """:meth:`column_values` at ``prices`` (each column's close)."""
        n = len(prices)
        if len(self.cash_book) == 1:  # USD only (the book always holds the account currency)
            if self._unit_multipliers:  # x * 1.0 is x: the same values without that product
                return self.quantity[:n] * prices
            return self.quantity[:n] * prices * self._multiplier[:n]
        conv = np.fromiter((c.conversion_rate for c in self._quote), dtype=np.float64, count=n)
        return self.quantity[:n] * prices * conv * self._multiplier[:n]

    def holdings_values(self, columns: np.ndarray) -> np.ndarray:
        """The signed holdings value in account currency of the securities in feed ``columns`` (int
        array): ``SecurityHolding.holdings_value`` (the same products: price x quantity x conversion rate
        x multiplier), from one gather (a new float64 array)."""
        return self._shared_values()[columns]

    def long_short_values(self) -> tuple[float, float]:
        """The summed holdings value of the long positions and of the short ones (account currency)."""
        values = self._shared_values()
        basis = (self._values_number, self._version)
        if basis == self._long_short_basis:
            return self._long_short
        # np.add.reduce is ndarray.sum without its Python wrappers (the same pairwise sum); every position
        # long (a held book, most steps; the least value above zero, NaN is not: argmin finds the first NaN
        # or the least, at a fifth of np.minimum.reduce's cost): the longs are the whole array, in its order
        # (the same sum, the portfolio value's when it summed these values), and no short is left
        if not len(values) or values.item(values.argmin()) > 0:
            held = self._held if self._tpv_basis == basis and not self._any_cash_based else float(_add(values))
            self._long_short = (held, 0.0)
        else:
            self._long_short = (float(_add(values[values > 0])), float(_add(values[values < 0])))
        self._long_short_basis = basis
        return self._long_short

    def _value_of(self, j: int) -> float:
        """Column ``j`` of :meth:`column_values` (the same products in the same order)."""
        price = self._feed.current_close(j)
        if len(self.cash_book) == 1:
            return self.quantity[j] * price * self._multiplier[j]
        return self.quantity[j] * price * self._quote[j].conversion_rate * self._multiplier[j]

    def _shared_values(self) -> np.ndarray:
        """:meth:`column_values`, computed once per (step, book version, column count); do not modify."""
        step, n = self._feed.step, len(self.by_column)
        key = (step, self._version, n)
        if key != self._values_key:
            prices = self._feed.current_closes(n)
            closes = prices.tobytes()  # one call, and a comparison of bits (0.0 and -0.0 differ)
            known = self._values_key
            # the same book (version: quantities, cash, leverage; one currency: no rates) and the same
            # closes, bit for bit, as the values held: they are these closes' values
            if not (known is not None and known[1:] == key[1:] and len(self.cash_book) == 1
                    and closes == self._valued_closes):
                self._values_cache = self._values_at(prices)
                self._valued_closes = closes
                self._values_number += 1
            self._values_key = key
        return self._values_cache

    def invalidate(self) -> None:
        """Forget the cached portfolio value (cash, holdings or rates changed)."""
        self._version += 1

    @property
    def cash(self) -> float:
        """Account-currency cash."""
        return self.cash_book[self.cash_book.account_currency].amount

    @property
    def total_portfolio_value(self) -> float:
        """Cash book value plus the value of non-forex holdings (forex value sits in the cash book)."""
        key = (self._feed.step, self._version)
        if key != self._tpv_key:
            values = self._shared_values()
            basis = (self._values_number, self._version)
            if basis != self._tpv_basis:
                if self._any_cash_based:
                    values = values[~self._cash_based[: len(self.by_column)]]
                self._held = float(_add(values))
                self._tpv = self.cash_book.total_value_in_account_currency + self._held
                self._tpv_basis = basis
            self._tpv_key = key
        return self._tpv

    @property
    def total_holdings_value(self) -> float:
        return float(self.column_values().sum())

    @property
    def total_absolute_holdings_cost(self) -> float:
        n = len(self.by_column)
        conv = np.array([c.conversion_rate for c in self._quote])
        return float(np.abs(self.quantity[:n] * self.average_price[:n] * conv * self._multiplier[:n]).sum())

    @property
    def total_unrealized_profit(self) -> float:
        return float(sum(s.holdings.unrealized_profit for s in self.by_column if s.holdings.invested))

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
            values = self._shared_values()
            basis = (self._values_number, self._version)
            if basis != self._margin_basis:
                n = len(self.by_column)
                self._margin = float(_add(np.abs(values) / self._leverage[:n])) if n else 0.0
                self._margin_basis = basis
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

    def margin_remaining_estimate(self, security: Security, buying: bool) -> tuple[float, float]:
        """:meth:`get_margin_remaining_for` estimated, and a bound on the estimate's error (account currency).

        After the fills of the current step the estimate is the exact figure of the step's first check
        plus each fill's change; its rounding error is far below the bound (1e-8 of the portfolio's
        value and margin), so ``required <= estimate - bound`` decides a check as the exact figure would.
        """
        tpv_estimate, margin_estimate = self.step_estimate()
        remaining = tpv_estimate - margin_estimate
        q = security.holdings.quantity
        if (q > 0 and not buying) or (q < 0 and buying):
            value = abs(security.holdings.holdings_value)
            remaining += value / security.leverage + value / security.leverage
        bound = 1e-8 * (abs(tpv_estimate) + 100.0 * abs(margin_estimate) + abs(remaining))
        return remaining, bound

    def step_estimate(self) -> tuple[float, float]:
        """The running portfolio value and margin in use of :meth:`margin_remaining_estimate` (refreshed
        to the exact figures when the step or the book changed)."""
        key = (self._feed.step, self._version)
        if key != self._estimate_key:
            self._tpv_estimate = self.total_portfolio_value
            self._margin_estimate = self.total_margin_used
            self._estimate_key = key
        return self._tpv_estimate, self._margin_estimate

    def set_cash(self, amount: float, currency: str | None = None, conversion_rate: float | None = None) -> None:
        """Set ``currency``'s amount (the account currency's by default)."""
        self.invalidate()
        cash = self.cash_book.ensure(currency or self.cash_book.account_currency)
        cash.amount = float(amount)
        if conversion_rate is not None:
            cash.conversion_rate = float(conversion_rate)

    # --- fills --------------------------------------------------------------------------------
    def process_fill(self, security: Security, fill_price: float, fill_quantity: float, fee: OrderFee,
                     time: datetime) -> tuple[float, float]:
        """Apply a fill; returns ``(fee, realized profit)`` in account currency."""
        j = security.column
        mult = security.symbol_properties.contract_multiplier
        conv = security.quote_currency.conversion_rate
        quantity = self.quantity
        q0 = float(quantity[j])
        avg = float(self.average_price[j])
        # the holdings values of this step, when known, change in this column only: kept up to date
        # with the formula of _values, so the portfolio value after the fill costs a sum, not a product
        step = self._feed.step
        values_current = self._values_key == (step, self._version, len(self.by_column))
        estimate_current = self._estimate_key == (step, self._version)
        currencies = len(self.cash_book)
        realized_before = float(self.realized_profit[j])
        self.invalidate()
        self.total_sale_volume += abs(fill_quantity) * fill_price * conv * mult
        fee_value = fee.value
        fee_currency = self.cash_book.ensure(fee_value.currency)
        fee_account = fee_value.amount * fee_currency.conversion_rate
        if fee_value.amount:
            fee_currency.add_amount(-fee_value.amount)
            self.fees_paid[j] += fee_account
            self.total_fees += fee_account
        security.quote_currency.add_amount(-fill_quantity * fill_price * mult)
        if security.type == SecurityType.FOREX and security.base_currency is not None:
            security.base_currency.add_amount(fill_quantity)
        if q0 != 0 and (q0 > 0) != (fill_quantity > 0):
            closed = min(abs(fill_quantity), abs(q0))
            profit = (fill_price - avg) * closed * (1 if q0 > 0 else -1) * conv * mult
            self.realized_profit[j] += profit
            self._add_transaction_records(time, [profit - 2 * fee_account])
        q1 = q0 + fill_quantity
        if q0 == 0:
            avg = fill_price
        elif (q0 > 0) == (fill_quantity > 0):
            avg = (avg * q0 + fill_quantity * fill_price) / q1
        elif q1 == 0:
            avg = 0.0
        elif (q1 > 0) != (q0 > 0):
            avg = fill_price
        quantity[j] = q1
        self.average_price[j] = avg
        if values_current and len(self.cash_book) == currencies:
            self._values_cache[j] = self._value_of(j)
            self._values_key = (step, self._version, len(self.by_column))
        if estimate_current:
            price = self._feed.current_close(j)
            before, after = q0 * price * conv * mult, q1 * price * conv * mult
            change = -fee_account - fill_quantity * fill_price * mult * conv
            if security.type == SecurityType.FOREX and security.base_currency is not None:
                change += fill_quantity * security.base_currency.conversion_rate
            elif not self._cash_based[j]:
                change += after - before
            self._tpv_estimate += change
            self._margin_estimate += (abs(after) - abs(before)) / self._leverage[j]
            self._estimate_key = (step, self._version)
        # the record's realized profit is the change of the running sum, as the engine reads it
        return fee_account, float(self.realized_profit[j]) - realized_before

    def process_fills(self, columns: np.ndarray, prices: np.ndarray, quantities: np.ndarray, fees: np.ndarray,
                      closes: np.ndarray, time: datetime, estimate: tuple[float, float],
                      gathered: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`process_fill` for a step's fills at once: each column once, an account-currency-only book
        (every quote and fee currency the account's), no forex.

        The sums that :meth:`process_fill` carries from fill to fill (the cash, the fees, the sale volume)
        are cumulative sums in the fills' order (``np.add.accumulate`` adds left to right, as the one-by-one
        updates; a fill without a fee adds zero, which leaves a sum as it is), so every figure is the one
        the fills one by one give.

        Parameters
        ----------
        columns, prices, quantities, fees
            Each fill's column, price, signed quantity and fee (account currency).
        closes
            Each column's current close (the holdings' value).
        time
            The fills' time (the transaction records' key).
        estimate
            The running portfolio value and margin in use after the fills (:meth:`step_estimate`'s figures
            with each fill's change added in order, as :meth:`process_fill` adds it; the caller's checks
            summed them).
        gathered
            The columns' contract multipliers, held quantities and the fees in account currency when the
            caller's checks read them (the same arrays: not gathered again).

        Returns
        -------
        (fees, realized)
            Each fill's fee and realized profit in account currency.
        """
        cash = self.cash_book[self.cash_book.account_currency]
        rate = cash.conversion_rate
        step = self._feed.step
        values_current = self._values_key == (step, self._version, len(self.by_column))
        estimate_current = self._estimate_key == (step, self._version)
        if gathered is None:
            multiplier, held, fee_account = self._multiplier[columns], self.quantity[columns], in_account(fees, rate)
        else:
            multiplier, held, fee_account = gathered
        average, realized_before = self.average_price[columns], self.realized_profit[columns]
        # the sale volume and the fees summed in one accumulation down the columns (np.add.accumulate is
        # np.cumsum without its Python wrappers), the cash by each fill's fee, then its value
        totals = np.empty((len(columns) + 1, 2))
        totals[0] = self.total_sale_volume, self.total_fees
        totals[1:, 0] = in_account(np.abs(quantities) * prices, rate) * multiplier
        totals[1:, 1] = fee_account
        self.total_sale_volume, self.total_fees = np.add.accumulate(totals)[-1].tolist()
        self.fees_paid[columns] += fee_account
        moves = np.empty(2 * len(columns) + 1)
        moves[0] = cash.amount
        moves[1::2] = -fees
        moves[2::2] = -quantities * prices * multiplier
        amount = float(np.add.accumulate(moves)[-1])
        long_before = held > 0
        closing = (held != 0) & (long_before != (quantities > 0))
        closed = np.minimum(np.abs(quantities), np.abs(held))
        profit = in_account((prices - average) * closed * np.where(long_before, 1, -1), rate) * multiplier
        self.realized_profit[columns[closing]] += profit[closing]
        self._add_transaction_records(time, (profit - 2 * fee_account)[closing].tolist())
        after = held + quantities
        same_side = long_before == (quantities > 0)
        # the first case that holds, as process_fill's if/elif chain (np.where nested: np.select costs ten times more)
        average = np.where(held == 0, prices, np.where(
            same_side, (average * held + quantities * prices) / np.where(after == 0, 1.0, after),
            np.where(after == 0, 0.0, np.where((after > 0) != long_before, prices, average))))
        self.quantity[columns] = after
        self.average_price[columns] = average
        cash.amount = amount  # invalidates the cached figures
        if values_current:
            self._values_cache[columns] = after * closes * multiplier
            self._values_key = (step, self._version, len(self.by_column))
        if estimate_current:
            self._tpv_estimate, self._margin_estimate = estimate
            self._estimate_key = (step, self._version)
        return fee_account, self.realized_profit[columns] - realized_before

    def _add_transaction_records(self, time: datetime, profit_losses: list[float]) -> None:
        """LEAN's ``AddTransactionRecord`` of each of ``profit_losses`` (closing fills at ``time``), in order:
        one entry per closing fill, a later one at the same time 1 ms later. The search starts after the
        last key taken for this time (keys are never removed, so every key between holds an entry): many
        closing fills in one step stay linear."""
        if not profit_losses:
            return
        record, step = self.transaction_record, _RECORD_STEP
        key = self._record_next.get(time, time)
        for profit_loss in profit_losses:
            while key in record:
                key += step
            record[key] = profit_loss
            key += step
        self._record_next[time] = key


# LEAN's members of ``SecurityPortfolioManager`` and its ``ExtendedDictionary`` (not ``__getattr__``: CPython
# specialises the attribute reads on the portfolio, the sizing's and the fills' many)
name_lean_members(SecurityPortfolioManager, "SecurityPortfolioManager", (
    "cash", "cash_book", "invested", "items", "keys", "margin_remaining", "process_fills", "set_cash",
    "total_absolute_holdings_cost", "total_fees", "total_holdings_value", "total_margin_used", "total_net_profit",
    "total_portfolio_value", "total_profit", "total_sale_volume", "total_unrealised_profit", "total_unrealized_profit",
    "values"), (
    "add", "add_transaction_record", "apply_dividend", "apply_split", "check_for_implicitly_created_symbol", "clear",
    "contains", "contains_key", "copy", "copy_to", "count", "fromkeys", "get", "get_buying_power", "get_items",
    "get_keys", "get_margin_remaining", "get_values", "has_sufficient_buying_power_for_order", "hold_stock",
    "invalidate_total_portfolio_value", "is_read_only", "log_margin_information", "margin_call_model", "pop",
    "popitem", "positions", "remove", "securities", "set_account_currency", "set_margin_call_model", "set_positions",
    "setdefault", "total_portfolio_value_less_free_buffer", "total_unlevered_absolute_holdings_cost", "transactions",
    "try_get_value", "unsettled_cash", "unsettled_cash_book", "update", *OBJECT_MEMBERS))
