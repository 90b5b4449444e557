"""A step's orders as arrays: the market-on-open orders ``set_holdings`` places over a list of targets,
accepted together, and a step's market-on-open fills in one pass.

**Submission** (:func:`certainly_accepted`): nothing fills between these submissions, so every check
reads the same portfolio; the orders that pass the pre-order checks, the shortable check and the
buying power check for certain are accepted without asking each check, the others take
``TransactionManager.submit``.

**Fills** (:func:`fill_market_on_open`): the open orders at the front of the queue that are
market-on-open orders on US equities with the runtime's Interactive Brokers fee model and no slippage,
one order per security, are filled together: the fill model's questions per order (integers and the
exchange hours asked once per order time, no bar objects; which orders lead as market-on-open orders
and their securities, columns and times are read once while the open orders stay the same,
:class:`OpenOrderScan`, made at their submission when ``set_holdings`` placed them all together), then the fees, the buying power checks and
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

import bisect
from datetime import datetime
from itertools import repeat
from operator import attrgetter, is_
from typing import TYPE_CHECKING, Any

import numpy as np

from lean_local.engine.brokerages import DefaultBrokerageModel
from lean_local.engine.buying_power import clear_of_buying_power
from lean_local.engine.common import Market, SecurityType
from lean_local.engine.fees import InteractiveBrokersFeeModel, in_account, interactive_brokers_fees
from lean_local.engine.orders import Order, OrderType
from lean_local.engine.placed_orders import PlacedOrders
from lean_local.engine.shortable import NullShortableProvider
from lean_local.engine.slippage import NullSlippageModel
from lean_local.engine.subscription_data import datetime_to_us
from lean_local.engine.target_sizing import SizedOrders, array_sizable

if TYPE_CHECKING:
    from lean_local.engine.securities import Security
    from lean_local.engine.transactions import TransactionManager

_STOP_MARKET, _EQUITY = OrderType.STOP_MARKET, SecurityType.EQUITY
_STOP_PRICE = attrgetter("stop_price")
_HOUR_US = 3_600_000_000
_DAY_US = 86_400_000_000

#: Fewer open orders than this take the one-by-one path (the arrays' fixed cost is not worth it).
MIN_BATCH = 8


def certainly_accepted(algo: Any, orders: SizedOrders, handles_order_events: bool,
                       hours: list[Any] | None = None) -> list[bool]:
    """Which market-on-open ``orders`` pass ``TransactionManager.submit``'s checks for certain: the
    pre-order checks, no shortable provider, the buying power check as arrays
    (:func:`~lean_local.engine.buying_power.clear_of_buying_power`), the default brokerage model; none
    when the algorithm handles order events (its handler could change the portfolio between them).
    ``hours``: each order's security's exchange hours when the caller read them."""
    portfolio = algo.portfolio
    securities, quantities, columns, lots = orders.securities, orders.quantities, orders.columns, orders.lots
    if len(securities) < MIN_BATCH or handles_order_events or algo.is_warming_up \
            or type(algo.brokerage_model).can_submit_order is not DefaultBrokerageModel.can_submit_order \
            or not (orders.sizable or array_sizable(portfolio, securities)):
        return [False] * len(securities)
    prices = orders.current_prices(portfolio.feed)  # Security.price
    plain = _plain(securities, orders.tradable, hours)
    rate = portfolio.cash_book[portfolio.cash_book.account_currency].conversion_rate
    tpv, margin = portfolio.step_estimate()
    # the fees the sizing computed for these quantities at these prices (the same operations: the same
    # values), the others' computed here
    fees = orders.fees
    if fees is None or np.count_nonzero(unknown := np.isnan(fees)):
        computed = in_account(interactive_brokers_fees(quantities, prices, rate), rate)
        fees = computed if fees is None else np.where(unknown, computed, fees)
    clear = clear_of_buying_power(portfolio, columns, quantities, prices, fees, rate, tpv, margin)
    return (clear & plain & np.isfinite(quantities) & (quantities != 0) & (np.abs(quantities) >= lots)
            & (prices != 0) & (rate != 0)).tolist()


_TYPE, _SYMBOL, _TIME = attrgetter("type"), attrgetter("symbol"), attrgetter("time")
_IS_TRADABLE, _ALWAYS_OPEN = attrgetter("is_tradable"), attrgetter("exchange.hours.always_open")
_SHORTABLE, _QUANTITY = attrgetter("shortable_provider"), attrgetter("quantity")
_COLUMN, _HOURS, _MARKET = attrgetter("column"), attrgetter("exchange.hours"), attrgetter("symbol.market")
_FEE_MODEL, _SLIPPAGE_MODEL = attrgetter("fee_model"), attrgetter("slippage_model")


def within_reach(algo: Any, orders: list[Order]) -> list[Order]:
    """``orders`` without the equity stop-market orders their security's current bar cannot trigger: a
    sell stop below the bar's low, a buy stop above its high, or no bar. ``fills.stop_market_fill``
    answers no fill for those whatever else holds, so they need not be asked (a book's open stops are
    most steps' open orders, and few trigger). The others keep their order."""
    stops = [order for order in orders if order.type is _STOP_MARKET]
    if len(stops) < MIN_BATCH:
        return orders
    held = algo.securities.all_of(list(map(_SYMBOL, stops)))
    kinds = list(map(_TYPE, held))
    if not all(map(is_, kinds, repeat(_EQUITY))):  # (a C-level pass: a book's stops are mostly all on equities)
        stops = [order for order, kind in zip(stops, kinds, strict=True) if kind is _EQUITY]
        held = [security for security, kind in zip(held, kinds, strict=True) if kind is _EQUITY]
        if not held:
            return orders
    lows, highs = held[0].feed.current_ranges(np.fromiter(map(_COLUMN, held), dtype=np.intp, count=len(held)))
    quantities = np.fromiter(map(_QUANTITY, stops), dtype=np.float64, count=len(stops))
    prices = np.fromiter(map(_STOP_PRICE, stops), dtype=np.float64, count=len(stops))
    reached = ((quantities < 0) & (lows <= prices)) | ((quantities > 0) & (highs >= prices))
    if reached.all():
        return orders
    unreached = {id(stops[j]) for j in np.flatnonzero(~reached).tolist()}
    return [order for order in orders if id(order) not in unreached]


def _plain(securities: list[Security], tradable: bool = False, hours: list[Any] | None = None) -> np.ndarray | bool:
    """Which ``securities`` are tradable on an exchange with hours and have no shortable provider (True:
    all, the common case, told by C-level passes over the fields); ``tradable``: all are known tradable;
    ``hours``: their exchange hours when known (one hours object shared by all: asked once)."""
    if hours is not None and hours.count(hours[0]) == len(hours):
        always_open = hours[0].always_open
    else:
        always_open = any(map(_ALWAYS_OPEN, securities))
    if (tradable or all(map(_IS_TRADABLE, securities))) and not always_open \
            and set(map(type, map(_SHORTABLE, securities))) == {NullShortableProvider}:
        return True
    return np.fromiter((security.is_tradable and not security.exchange.hours.always_open
                        and type(security.shortable_provider) is NullShortableProvider for security in securities),
                       dtype=bool, count=len(securities))


def _leading(values: list[Any], value: Any) -> int:
    """How many of ``values``, from the first, equal ``value`` (``list.count`` counts them in C)."""
    if values.count(value) == len(values):
        return len(values)
    return next(position for position, each in enumerate(values) if each != value)


def _first_repeat(values: list[int]) -> int:
    """The position of the first of ``values`` equal to one before it (``len(values)`` when none is)."""
    seen: set[int] = set()
    for position, value in enumerate(values):
        if value in seen:
            return position
        seen.add(value)
    return len(values)


class OpenOrderScan:
    """What the fill pass reads of the open orders that stays while they stay the open orders: how many
    lead as market-on-open orders, their securities, feed columns, order times and exchange hours, and
    the first whose security the batch can never take (not a US equity, or a column seen before).

    The open orders are the orders in id order that are still open, and an order closed never opens
    again, so an open set with the same first and last id and the same size is the same set (the
    orders' type, symbol and time never change; ``len(securities)`` guards the securities they name).
    """

    __slots__ = ("key", "count", "securities", "columns", "widest", "placed_us", "placed", "hours", "hours_index",
                 "never")

    def __init__(self, key: tuple[int, ...], securities: list[Security], columns: np.ndarray,
                 placed: list[datetime], placed_us: list[int], us_equities: bool = False,
                 all_hours: list[Any] | None = None) -> None:
        """The scan of ``key``'s open orders whose leading market-on-open orders are on ``securities``
        (their ``columns``, int64), placed at ``placed`` (``placed_us``: in microseconds);
        ``us_equities``: the securities are known to be US equities; ``all_hours``: their exchange
        hours when known."""
        count = len(securities)
        self.key, self.count, self.securities, self.placed, self.placed_us = key, count, securities, placed, placed_us
        self.columns = columns
        column_list = columns.tolist()
        self.widest = max(column_list, default=-1)  # the largest column (the panel's columns only grow)
        # each field read over all the orders by one C-level pass (map with attrgetter)
        if all_hours is None:
            all_hours = list(map(_HOURS, securities))
        if count and all_hours.count(all_hours[0]) == count:  # one exchange (equal hours answer alike)
            self.hours, self.hours_index = all_hours[:1], np.zeros(count, dtype=np.intp)
        else:
            distinct = {id(hours): hours for hours in all_hours}
            self.hours = list(distinct.values())
            position = {key: index for index, key in enumerate(distinct)}
            self.hours_index = np.fromiter(map(position.__getitem__, map(id, all_hours)), dtype=np.intp, count=count)
        # the first security the batch can never take: not a US equity, or a column an order before has
        self.never = count if len(set(column_list)) == count else _first_repeat(column_list)
        if not us_equities:
            self.never = min(self.never, _leading(list(map(_TYPE, securities)), SecurityType.EQUITY),
                             _leading(list(map(_MARKET, securities)), Market.USA))

    @classmethod
    def placed_together(cls, first_id: int, n_securities: int, securities: list[Security], columns: np.ndarray,
                        time: datetime, all_hours: list[Any] | None = None) -> OpenOrderScan:
        """The scan of open orders that are market-on-open orders placed together at ``time`` on
        ``securities`` (their ``columns``, int64; ``all_hours``: their exchange hours when known), ids from
        ``first_id`` on; ``n_securities``: the algorithm's. The securities are US equities:
        ``certainly_accepted`` accepted every order, which it does only for securities ``array_sizable`` takes."""
        n = len(securities)
        return cls((first_id, first_id + n - 1, n, n_securities), securities, columns, [time] * n,
                   [datetime_to_us(time)] * n, us_equities=True, all_hours=all_hours)

    @classmethod
    def of(cls, key: tuple[int, ...], orders: list[Order], securities: Any) -> OpenOrderScan:
        """The scan of the open ``orders`` (``key``), their securities found in ``securities``."""
        count = _leading(list(map(_TYPE, orders)), OrderType.MARKET_ON_OPEN)
        leading = orders[:count]
        found = securities.all_of(list(map(_SYMBOL, leading)))
        placed = list(map(_TIME, leading))
        # the orders set_holdings placed together share their time: each distinct time converted once
        converted = {moment: datetime_to_us(moment) for moment in set(placed)}
        return cls(key, found, np.fromiter(map(_COLUMN, found), dtype=np.int64, count=len(found)), placed,
                   list(map(converted.__getitem__, placed)))

    def taken(self, now_us: int) -> tuple[int, int]:
        """``(handled, batch)``: the batch's scan of the open orders at ``now_us``. The leading orders
        placed before now (the others wait: no bar ends after them yet) are taken up to the first whose
        security the batch cannot take now (also its fee or slippage model): ``batch`` of them, and
        ``handled`` is where the scan stopped (past the waiting ones when none stopped it)."""
        waiting_from = bisect.bisect_left(self.placed_us, now_us, 0, self.count)
        batch = min(waiting_from, self.never)
        securities = self.securities[:batch]
        batch = min(_leading(list(map(type, map(_FEE_MODEL, securities))), InteractiveBrokersFeeModel),
                    _leading(list(map(type, map(_SLIPPAGE_MODEL, securities))), NullSlippageModel))
        return (batch if batch < waiting_from else self.count), batch


def fill_market_on_open(algo: Any, manager: TransactionManager, orders: list[Order] | PlacedOrders) -> int:
    """Fill the leading market-on-open orders of ``orders`` (the open orders, in id order) that the
    batch can take; returns how many of ``orders`` it handled (filled, or left waiting as their fill
    model would): the rest take the one-by-one path. ``orders`` held as columns (:class:`PlacedOrders`)
    are filled as columns when every one fills, else built first (``manager.build_orders``)."""
    portfolio = algo.portfolio
    feed = portfolio.feed
    if len(portfolio.cash_book) != 1 or feed.step < 0:
        return 0
    now = algo.time
    now_us = datetime_to_us(now)
    securities = algo.securities
    placed = orders if type(orders) is PlacedOrders else None
    key = (placed.first_id, placed.first_id + len(placed) - 1, len(placed), len(securities)) if placed is not None \
        else (orders[0].id, orders[-1].id, len(orders), len(securities))
    scan = manager.open_order_scan
    if scan is None or scan.key != key:
        if placed is not None:  # (the scan reads the orders)
            manager.build_orders()
            orders, placed = placed[:], None
        scan = manager.open_order_scan = OpenOrderScan.of(key, orders, securities)
    handled, batch = scan.taken(now_us)
    panel = feed.panel
    # the orders taken whose security has a current bar
    columns = scan.columns[:batch]
    row = panel.row(feed.step)  # first: moving the window replaces the arrays
    # (on these one-dimensional arrays of about a hundred entries, mask.nonzero()[0] is np.flatnonzero
    # without its ravel, and np.count_nonzero answers any() and all() without their Python wrappers)
    if scan.widest < len(panel.subs):  # every column is the panel's (the common case: one gather)
        positions = (panel.current[row][columns] >= 0).nonzero()[0]
    else:
        current = columns < len(panel.subs)
        current[current] = panel.current[row][columns[current]] >= 0
        positions = current.nonzero()[0]
    if not len(positions):
        return handled
    cols = columns if len(positions) == batch else columns[positions]
    # the order times (us): a scalar when the scan's orders share one exchange and one order time
    # (set_holdings' orders), else one per order taken
    uniform = len(scan.hours) == 1 and scan.placed_us[0] == scan.placed_us[scan.count - 1]
    placed_us = scan.placed_us[0] if uniform else np.array(scan.placed_us, dtype=np.int64)[positions]
    # fills.market_on_open_fill on each security's real current bar, in whole microseconds as datetimes
    # hold: the bar starts at or after the order (start // 1000 >= placed, so start >= placed * 1000)
    # and ends after it (end // 1000 > placed, so end >= (placed + 1) * 1000)
    starts, ends, prices, bar_closes, volumes = panel.current_bars(feed.step, cols)
    fills = (starts >= placed_us * 1000) & (ends >= (placed_us + 1) * 1000)
    if not np.count_nonzero(fills):  # no bar after the orders yet (the exchange hours not asked)
        return handled
    open_then, open_now = _hours_answers(scan, positions, placed_us, now, uniform)
    if open_then is not False or open_now is not True:  # (scalars: one exchange asked at one time)
        end_us = ends // 1000
        if open_then is not False:
            fills &= ~(open_then & (placed_us // _DAY_US == end_us // _DAY_US))
        if open_now is not True:
            # fills._is_exchange_open when the exchange is closed now: a bar longer than an hour ending
            # today, a shorter one not ended before now
            fills &= open_now | np.where(end_us - starts // 1000 > _HOUR_US, now_us // _DAY_US == end_us // _DAY_US,
                                         now_us <= end_us)
    filled = np.count_nonzero(fills)
    if not filled:
        return handled
    if placed is not None and filled < len(placed):  # (not every order fills: the others need theirs)
        manager.build_orders()
        orders, placed = placed[:], None
    filling: list[Order] | None = None  # (None: every order of placed)
    if filled == len(fills):
        filled_positions = positions
        if placed is None:
            filling = orders[:filled] if len(positions) == batch \
                else list(map(orders.__getitem__, positions.tolist()))
    else:
        kept = fills.nonzero()[0]
        filled_positions = positions[kept]
        cols, prices, bar_closes, volumes, ends = cols[kept], prices[kept], bar_closes[kept], volumes[kept], ends[kept]
        filling = list(map(orders.__getitem__, filled_positions.tolist()))
    quantities = np.array(placed.quantities, dtype=np.float64) if filling is None \
        else np.fromiter(map(_QUANTITY, filling), dtype=np.float64, count=len(filling))
    closes = panel.close[row][cols]  # Security.price (feed.current_closes_of: every column is the panel's)
    rate = portfolio.cash_book[portfolio.cash_book.account_currency].conversion_rate
    fees = interactive_brokers_fees(quantities, closes, rate)  # fee_amount at the current close
    fee_account = in_account(fees, rate)
    passed, multiplier, held, tpvs, margins = _clear_checks(portfolio, cols, quantities, prices, closes, fee_account,
                                                            rate)
    if passed < len(quantities):
        handled = int(filled_positions[passed])
        if filling is None:  # (built: the others take the one-by-one path)
            manager.build_orders()
            filling = placed[:]
            placed = None
        filling = filling[:passed]
        if not filling:
            return handled
        cols, prices, quantities, closes, fees, fee_account, bar_closes, volumes, ends, multiplier, held = (
            a[:passed] for a in (cols, prices, quantities, closes, fees, fee_account, bar_closes, volumes, ends,
                                 multiplier, held))
    fee_account, realized = portfolio.process_fills(cols, prices, quantities, fees, closes, now,
                                                    (float(tpvs[passed]), float(margins[passed])),
                                                    (multiplier, held, fee_account))
    # the fill record's dollar volume: the current bar's, none for a fill-forward copy (as LEAN's; mostly none)
    copies = feed.fill_forwarded(cols, ends)
    if np.count_nonzero(copies):
        volumes = np.where(copies, 0.0, volumes)
    columns = {
        "fill_price": prices.tolist(), "fill_value": (in_account(quantities * prices, rate) * multiplier).tolist(),
        "fee": fee_account.tolist(), "dollar_volume": in_account(bar_closes * volumes, rate).tolist(),
        "is_long_before": (portfolio.quantity[cols] - quantities > 0).tolist(), "realized_pnl": realized.tolist(),
    }
    if filling is None:
        manager.record_placed_fills(placed, quantities.tolist(), columns, fees.tolist(), rate)
    else:
        manager.record_fills(filling, quantities.tolist(), columns, fees.tolist(), rate)
    return handled


def _clear_checks(portfolio: Any, columns: np.ndarray, quantities: np.ndarray, prices: np.ndarray,
                  closes: np.ndarray, fees: np.ndarray, rate: float
                  ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How many of the fills, from the first, certainly pass ``buying_power.buying_power_error`` after
    the fills before them (the running estimate each check reads: each fill's change added in order, as
    ``SecurityPortfolioManager.process_fill`` adds it); the columns' contract multipliers and held
    quantities; and the running portfolio value and margin in use before each fill and after the last
    (one more entry than fills)."""
    multiplier, leverage = portfolio.column_terms(columns)
    held = portfolio.quantity[columns]
    before = in_account(held * closes, rate) * multiplier
    after = in_account((held + quantities) * closes, rate) * multiplier
    change = -fees - in_account(quantities * prices * multiplier, rate) + (after - before)
    tpv, margin = portfolio.step_estimate()
    # both running sums in one accumulation down the columns (np.cumsum's sums: one addition after the other)
    running = np.empty((len(columns) + 1, 2))
    running[0] = tpv, margin
    running[1:, 0] = change
    running[1:, 1] = (np.abs(after) - np.abs(before)) / leverage
    running = np.add.accumulate(running)
    tpvs, margins = running[:, 0], running[:, 1]
    clear = clear_of_buying_power(portfolio, columns, quantities, closes, fees, rate, tpvs[:-1], margins[:-1],
                                  (multiplier, leverage, held))
    passed = len(columns) if np.count_nonzero(clear) == len(clear) else int(np.argmin(clear))
    return passed, multiplier, held, tpvs, margins


def _hours_answers(scan: OpenOrderScan, positions: np.ndarray, placed_us: Any, now: datetime,
                   uniform: bool) -> tuple[Any, Any]:
    """``(open_then, open_now)`` of the scan's orders at ``positions`` (placed at ``placed_us``): whether
    the security's exchange is open at the order time and now; scalars when ``uniform`` (the scan's
    orders share one exchange and one order time: ``set_holdings``' orders), else arrays (each
    exchange's hours asked once per order time)."""
    if uniform:
        hours = scan.hours[0]
        return hours.date_time_is_open(scan.placed[0]), hours.date_time_is_open(now)
    hours_index = scan.hours_index[positions]
    open_then, open_now = np.empty(len(positions), dtype=bool), np.empty(len(positions), dtype=bool)
    bounds = [0, *(np.flatnonzero(placed_us[1:] != placed_us[:-1]) + 1).tolist(), len(positions)]
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):
        placed = scan.placed[int(positions[first])]
        group = hours_index[first:last]
        for index in np.unique(group).tolist():
            hours = scan.hours[index]
            same = np.flatnonzero(group == index) + first
            open_then[same], open_now[same] = hours.date_time_is_open(placed), hours.date_time_is_open(now)
    return open_then, open_now
