"""Fill models on daily bars.

Equities follow LEAN's ``EquityFillModel`` (``Common/Orders/Fills/EquityFillModel.cs``): stop orders
gapped through fill at the open, limit orders with a favourable gap fill at the open, market-on-open
at the open of the first bar that starts after the order, market-on-close at the close of the
session the order was placed in. Forex follows LEAN's base ``FillModel`` (``FillModel.cs``) on quote
bars: buys on the ask bar, sells on the bid bar.

Every function takes the security, the order and the current local time (New York, naive) and
returns ``(fill_price, message)`` when the order fills now, ``None`` when it keeps waiting. A fill
model never looks at a bar that ends after ``now``: the security's cache holds only delivered bars.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lean_local.engine.common import SecurityType
from lean_local.engine.intraday import best_effort_price
from lean_local.engine.orders import Order, OrderDirection, OrderType
from lean_local.engine.slippage import NullSlippageModel

# LEAN's FillModelParameters.StalePriceTimeSpan default: a price older than this is stale.
STALE_PRICE_TIMESPAN = timedelta(hours=1)

Fill = tuple[float, str] | None


def _is_exchange_open(security: Any, now: datetime, bar: Any) -> bool:
    """LEAN's ``FillModel.IsExchangeOpen``: open now, or (for daily bars) on the current bar's date.

    ``bar`` is the security's current bar (``security.last_bar()``), which the caller has read.
    """
    if security.exchange.date_time_is_open(now):
        return True
    if bar is None:
        return False
    if bar.end_time - bar.time > _ONE_HOUR:
        return now.date() == bar.end_time.date()
    return now <= bar.end_time


_ONE_HOUR = timedelta(hours=1)


def _side(bar: Any, security: Any, buy: bool) -> Any:
    """The OHLC a fill reads: the trade bar, or for quote data the ask bar (buys) / bid bar (sells)."""
    if security.type == SecurityType.FOREX:
        return bar.ask if buy else bar.bid
    return bar


def _slip(security: Any, order: Order) -> float:
    model = security.slippage_model
    if type(model) is NullSlippageModel:  # LEAN's default: no call, the same 0
        return 0.0
    return float(model.get_slippage_approximation(security, order))


def _against_order(price: float, security: Any, order: Order) -> float:
    """``price`` moved against the order by its slippage: up for buys, down for sells."""
    slip = _slip(security, order)
    return price + slip if order.quantity > 0 else price - slip


def market_fill(security: Any, order: Order, now: datetime) -> Fill:
    """Market order: the current close (ask close for forex buys, bid close for sells) +/- slippage.

    A bar that ended more than ``STALE_PRICE_TIMESPAN`` before the order is stale; with daily bars
    LEAN then waits for the next bar (``ShouldWaitForFreshDataOnStale``).
    """
    bar = security.last_bar()
    if not _is_exchange_open(security, now, bar):
        return None
    if bar is None or bar.end_time < order.time - STALE_PRICE_TIMESPAN:
        return None
    # minute equities: the latest quote's ask/bid (EquityFillModel.GetBestEffortAskPrice), else the trade close
    buy = order.quantity > 0
    quoted = best_effort_price(security, buy, order.time) if security.quoted else None
    price = _against_order(_side(bar, security, buy).close if quoted is None else quoted, security, order)
    return price, ""


def market_on_open_fill(security: Any, order: Order, now: datetime) -> Fill:
    """Market-on-open: the open of the first real bar that starts at or after the order time (LEAN's
    ``EquityFillModel`` reads the security cache's trade bar, which fill-forward copies never update)."""
    bar = security.last_bar()
    if bar is None:
        return None
    bar = bar.original()
    placed, end = order.time, bar.end_time
    if bar.time < placed or placed >= end:
        return None
    # placed during the session of the bar's own day: wait for the day to turn over
    if security.exchange.date_time_is_open(placed) and placed.date() == end.date():
        return None
    if not _is_exchange_open(security, now, bar):
        return None
    prices = _side(bar, security, order.quantity > 0)
    price = _against_order(prices.open, security, order)
    return price, ""


def market_on_close_fill(security: Any, order: Order, now: datetime) -> Fill:
    """Market-on-close: once the local time reaches the first market close after the order time."""
    next_close = security.exchange.next_market_close(order.time)
    if now < next_close:
        return None
    bar = security.last_bar()
    if bar is None:
        return None
    prices = _side(bar, security, order.quantity > 0)
    price = _against_order(prices.close, security, order)
    return price, ""


def _fresh_bar(security: Any, order: Order, now: datetime) -> Any:
    """The current bar if it ends after the order time and the exchange counts as open, else None."""
    bar = security.last_bar()
    if not _is_exchange_open(security, now, bar):
        return None
    if bar is None or bar.end_time <= order.time:
        return None
    return bar


def stop_market_fill(security: Any, order: Order, now: datetime) -> Fill:
    """Stop-market. Equity: fill at the stop, or at the open when the bar gaps through it; the slippage
    model is asked only when the bar reaches the stop (LEAN's ``EquityFillModel``; its base ``FillModel``,
    forex here, asks it first)."""
    bar = _fresh_bar(security, order, now)
    if bar is None:
        return None
    stop = order.stop_price
    if security.type == SecurityType.FOREX:
        slip = _slip(security, order)
        prices = _side(bar, security, order.direction == OrderDirection.BUY)
        if order.direction == OrderDirection.SELL and prices.low < stop:
            return min(stop, prices.close - slip), ""
        if order.direction == OrderDirection.BUY and prices.high > stop:
            return max(stop, prices.close + slip), ""
        return None
    if order.direction == OrderDirection.SELL and bar.low <= stop:
        slip = _slip(security, order)
        if bar.open <= stop:
            return bar.open - slip, "Filled at the open price due to an unfavorable gap"
        return stop - slip, ""
    if order.direction == OrderDirection.BUY and bar.high >= stop:
        slip = _slip(security, order)
        if bar.open >= stop:
            return bar.open + slip, "Filled at the open price due to an unfavorable gap"
        return stop + slip, ""
    return None


def limit_fill(security: Any, order: Order, now: datetime) -> Fill:
    """Limit. Equity: fill at the limit when penetrated (not merely touched), at the open on a favourable gap."""
    bar = _fresh_bar(security, order, now)
    if bar is None:
        return None
    limit = order.limit_price
    if security.type == SecurityType.FOREX:
        prices = _side(bar, security, order.direction == OrderDirection.BUY)
        if order.direction == OrderDirection.BUY and prices.low < limit:
            return min(prices.high, limit), ""
        if order.direction == OrderDirection.SELL and prices.high > limit:
            return max(prices.low, limit), ""
        return None
    if order.direction == OrderDirection.BUY and bar.low < limit:
        if bar.open < limit:
            return bar.open, "Filled at the open price due to a favorable gap"
        return limit, ""
    if order.direction == OrderDirection.SELL and bar.high > limit:
        if bar.open > limit:
            return bar.open, "Filled at the open price due to a favorable gap"
        return limit, ""
    return None


def stop_limit_fill(security: Any, order: Order, now: datetime) -> Fill:
    """Stop-limit: the stop triggers on the bar's range; the limit part then fills on the bar's close.

    Once triggered the order stays triggered (``order.stop_triggered``), as in LEAN.
    """
    bar = _fresh_bar(security, order, now)
    if bar is None:
        return None
    prices = _side(bar, security, order.direction == OrderDirection.BUY)
    if order.direction == OrderDirection.BUY:
        if prices.high > order.stop_price or order.stop_triggered:
            order.stop_triggered = True
            if prices.close < order.limit_price:
                return min(prices.high, order.limit_price), ""
        return None
    if prices.low < order.stop_price or order.stop_triggered:
        order.stop_triggered = True
        if prices.close > order.limit_price:
            return max(prices.low, order.limit_price), ""
    return None


FILL_FUNCTIONS = {
    OrderType.MARKET: market_fill,
    OrderType.MARKET_ON_OPEN: market_on_open_fill,
    OrderType.MARKET_ON_CLOSE: market_on_close_fill,
    OrderType.STOP_MARKET: stop_market_fill,
    OrderType.LIMIT: limit_fill,
    OrderType.STOP_LIMIT: stop_limit_fill,
}


def fill(security: Any, order: Order, now: datetime) -> Fill:
    """Dispatch on the order type; a custom ``security.fill_model`` is not supported (see runtime.md)."""
    return FILL_FUNCTIONS[order.type](security, order, now)
