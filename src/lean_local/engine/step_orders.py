"""A step's orders as arrays: the market-on-open orders ``set_holdings`` places over a list of targets,
accepted together, and a step's market-on-open fills in one pass.

**Submission** (:func:`certainly_accepted`): nothing fills between these submissions, so every check
reads the same portfolio; the orders that pass the pre-order checks, the shortable check and the
buying power check for certain are accepted without asking each check, the others take
``TransactionManager.submit``.

**Fills** (:func:`fill_market_on_open`): the open orders at the front of the queue that are
market-on-open orders on US equities with the runtime's Interactive Brokers fee model and no slippage,
one order per security, are filled together: the fill model's questions per order (integers and the
exchange hours asked once per order time, no bar objects), then the fees, the buying power checks and
the portfolio update as arrays
(:meth:`~lean_local.engine.portfolio.SecurityPortfolioManager.process_fills`), then the orders, fill
records and Filled events in the orders' order.

Each fill's buying power check is LEAN's ``HasSufficientBuyingPowerForOrder`` against the portfolio
after the fills before it: the running estimate of the portfolio value and margin in use (each fill's
change added, as the one-by-one path carries it) decides a check that clearly passes; the first order
whose check could fail ends the batch, and it and the orders after it take the one-by-one path
(``TransactionManager._try_fill``), which then sees the portfolio the fills before it left.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from lean_local.engine.brokerages import DefaultBrokerageModel
from lean_local.engine.buying_power import clear_of_buying_power
from lean_local.engine.common import Market, SecurityType
from lean_local.engine.fees import InteractiveBrokersFeeModel, interactive_brokers_fees
from lean_local.engine.orders import Order, OrderType
from lean_local.engine.shortable import NullShortableProvider
from lean_local.engine.slippage import NullSlippageModel
from lean_local.engine.subscription_data import datetime_to_us
from lean_local.engine.target_sizing import SizedOrders, array_sizable

if TYPE_CHECKING:
    from lean_local.engine.transactions import TransactionManager

_HOUR_US = 3_600_000_000
_DAY_US = 86_400_000_000

#: Fewer open orders than this take the one-by-one path (the arrays' fixed cost is not worth it).
MIN_BATCH = 8


def certainly_accepted(algo: Any, orders: SizedOrders, handles_order_events: bool) -> list[bool]:
    """Which market-on-open ``orders`` pass ``TransactionManager.submit``'s checks for certain: the
    pre-order checks, no shortable provider, the buying power check as arrays
    (:func:`~lean_local.engine.buying_power.clear_of_buying_power`), the default brokerage model; none
    when the algorithm handles order events (its handler could change the portfolio between them)."""
    portfolio = algo.portfolio
    securities, quantities, columns, lots = orders
    if len(securities) < MIN_BATCH or handles_order_events or algo.is_warming_up \
            or type(algo.brokerage_model).can_submit_order is not DefaultBrokerageModel.can_submit_order \
            or not array_sizable(portfolio, securities):
        return [False] * len(securities)
    prices = portfolio.feed.current_closes_of(columns)  # Security.price
    plain = np.fromiter((security.is_tradable and not security.exchange.hours.always_open
                         and type(security.shortable_provider) is NullShortableProvider for security in securities),
                        dtype=bool, count=len(securities))
    rate = portfolio.cash_book[portfolio.cash_book.account_currency].conversion_rate
    tpv, margin = portfolio.step_estimate()
    clear = clear_of_buying_power(portfolio, columns, quantities, prices,
                                  interactive_brokers_fees(quantities, prices, rate) * rate, rate, tpv, margin)
    return (clear & plain & np.isfinite(quantities) & (quantities != 0) & (np.abs(quantities) >= lots)
            & (prices != 0) & (rate != 0)).tolist()


def fill_market_on_open(algo: Any, manager: TransactionManager, orders: list[Order]) -> int:
    """Fill the leading market-on-open orders of ``orders`` (the open orders, in id order) that the
    batch can take; returns how many of ``orders`` it handled (filled, or left waiting as their fill
    model would): the rest take the one-by-one path."""
    portfolio = algo.portfolio
    feed = portfolio.feed
    if len(portfolio.cash_book) != 1 or feed.step < 0:
        return 0
    now = algo.time
    panel = feed.panel
    subscriptions = panel.subs
    n_columns = len(subscriptions)
    current = panel.current[panel.row(feed.step)].tolist()
    now_us = datetime_to_us(now)
    securities = algo.securities
    taken: set[int] = set()
    handled = 0
    candidates: list[tuple[int, Order, Any]] = []  # the orders with a current bar: position, order, security
    columns: list[int] = []
    placed_times: list[int] = []  # each candidate's order time (microseconds)
    opening: list[tuple[bool, bool]] = []  # each candidate's exchange: open at the order time, open now
    market_on_open, equity, usa = OrderType.MARKET_ON_OPEN, SecurityType.EQUITY, Market.USA
    # the orders set_holdings placed together share their time (one object): what depends on the order
    # time alone is worked out when it changes
    last_placed: datetime | None = None
    waiting = False  # placed at this step (or later): no bar ends after it yet
    placed_at = 0
    open_at: dict[int, tuple[bool, bool]] = {}  # id of the hours -> open at the order time, open now
    for position, order in enumerate(orders):
        if order.type is not market_on_open:
            break
        placed = order.time
        if placed is not last_placed:
            last_placed, waiting, open_at = placed, placed >= now, {}
            placed_at = datetime_to_us(placed)
        if waiting:
            handled = position + 1
            continue
        security = securities[order.symbol]
        column = security.column
        if type(security.fee_model) is not InteractiveBrokersFeeModel \
                or type(security.slippage_model) is not NullSlippageModel or security.type != equity \
                or security.symbol.market != usa or column in taken:
            break
        taken.add(column)
        handled = position + 1
        if column >= n_columns or current[column] < 0:
            continue
        hours = security.exchange.hours
        open_then_now = open_at.get(id(hours))
        if open_then_now is None:
            open_then_now = open_at[id(hours)] = hours.date_time_is_open(placed), hours.date_time_is_open(now)
        candidates.append((position, order, security))
        columns.append(column)
        placed_times.append(placed_at)
        opening.append(open_then_now)
    if not candidates:
        return handled
    # fills.market_on_open_fill on each security's real current bar, in whole microseconds as datetimes
    # hold: the bar starts at or after the order (start // 1000 >= placed, so start >= placed * 1000)
    # and ends after it (end // 1000 > placed, so end >= (placed + 1) * 1000)
    cols = np.array(columns)
    starts, ends, prices, bar_closes, volumes = panel.current_bars(feed.step, cols)
    placed_us = np.array(placed_times, dtype=np.int64)
    open_then, open_now = np.array(opening, dtype=bool).reshape(-1, 2).T
    start_us, end_us = starts // 1000, ends // 1000
    fills = (starts >= placed_us * 1000) & (ends >= (placed_us + 1) * 1000) \
        & ~(open_then & (placed_us // _DAY_US == end_us // _DAY_US))
    # fills._is_exchange_open when the exchange is closed now: a bar longer than an hour ending today,
    # a shorter one not ended before now
    fills &= open_now | np.where(end_us - start_us > _HOUR_US, now_us // _DAY_US == end_us // _DAY_US,
                                 now_us <= end_us)
    if not fills.any():
        return handled
    kept = np.flatnonzero(fills)
    filling = [candidates[k] for k in kept.tolist()]
    cols, prices, bar_closes, volumes, ends = cols[kept], prices[kept], bar_closes[kept], volumes[kept], ends[kept]
    quantities = np.array([order.quantity for _, order, _ in filling])
    closes = feed.current_closes_of(cols)  # Security.price
    rate = portfolio.cash_book[portfolio.cash_book.account_currency].conversion_rate
    fees = interactive_brokers_fees(quantities, closes, rate)  # fee_amount at the current close
    passed = _clear_checks(portfolio, cols, quantities, prices, closes, fees * rate, rate)
    if passed < len(filling):
        handled = filling[passed][0]
        filling = filling[:passed]
        if not filling:
            return handled
        cols, prices, quantities, closes, fees, bar_closes, volumes, ends = (
            a[:passed] for a in (cols, prices, quantities, closes, fees, bar_closes, volumes, ends))
    fee_account, realized = portfolio.process_fills(cols, prices, quantities, fees, closes, now)
    multiplier, _ = portfolio.column_terms(cols)
    # the fill record's dollar volume: the current bar's, none for a fill-forward copy (as LEAN's)
    volumes = np.where(feed.fill_forwarded(cols, ends), 0.0, volumes)
    manager.record_fills(filling, {
        "fill_price": prices.tolist(), "fill_value": (quantities * prices * rate * multiplier).tolist(),
        "fee": fee_account.tolist(), "dollar_volume": (bar_closes * volumes * rate).tolist(),
        "is_long_before": (portfolio.quantity[cols] - quantities > 0).tolist(), "realized_pnl": realized.tolist(),
    }, fees.tolist(), rate)
    return handled


def _clear_checks(portfolio: Any, columns: np.ndarray, quantities: np.ndarray, prices: np.ndarray,
                  closes: np.ndarray, fees: np.ndarray, rate: float) -> int:
    """How many of the fills, from the first, certainly pass ``buying_power.buying_power_error`` after
    the fills before them (the running estimate each check reads: each fill's change added in order, as
    ``SecurityPortfolioManager.process_fill`` adds it)."""
    multiplier, leverage = portfolio.column_terms(columns)
    held = portfolio.quantity[columns]
    before, after = held * closes * rate * multiplier, (held + quantities) * closes * rate * multiplier
    change = -fees - quantities * prices * multiplier * rate + (after - before)
    tpv, margin = portfolio.step_estimate()
    tpvs = np.cumsum(np.concatenate(([tpv], change[:-1])))
    margins = np.cumsum(np.concatenate(([margin], ((np.abs(after) - np.abs(before)) / leverage)[:-1])))
    clear = clear_of_buying_power(portfolio, columns, quantities, closes, fees, rate, tpvs, margins)
    failing = np.flatnonzero(~clear)
    return int(failing[0]) if len(failing) else len(columns)
