"""Fill models on hand-built daily bars (LEAN EquityFillModel / FillModel rules) and fee models."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lean_local.data.market_hours import forex_entry, us_equity_entry
from lean_local.engine import fills
from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.exchange_hours import ExchangeHours, hours_from_entry
from lean_local.engine.fees import (
    ConstantFeeModel,
    InteractiveBrokersFeeModel,
    OrderFeeParameters,
    in_account,
)
from lean_local.engine.orders import Order, OrderType
from lean_local.engine.slippage import ConstantSlippageModel, NullSlippageModel
from lean_local.engine.subscription_data import BarView, SubscriptionData

EQUITY_HOURS = hours_from_entry(us_equity_entry(2019, 2021))
DAY2 = datetime(2020, 1, 3, 16, 0)


def _security(o: float, h: float, lo: float, c: float, *, day: str = "2020-01-03", slippage=None,
              kind: SecurityType = SecurityType.EQUITY, spread: float = 0.0, hours: ExchangeHours = EQUITY_HOURS):
    start = pd.Timestamp(f"{day} 09:30").value
    end = pd.Timestamp(f"{day} 16:00").value
    fields = {"open": np.array([o]), "high": np.array([h]), "low": np.array([lo]), "close": np.array([c]),
              "volume": np.array([1e6])}
    for side, sign in (("bid", -1), ("ask", 1)):
        for part, value in (("open", o), ("high", h), ("low", lo), ("close", c)):
            fields[f"{side}_{part}"] = np.array([value + sign * spread / 2])
    sub = SubscriptionData(Symbol("X", kind), "quote" if kind == SecurityType.FOREX else "trade",
                           np.array([start]), np.array([end]), fields, np.ones(1))
    security = SimpleNamespace(type=kind, exchange=hours, slippage_model=slippage or NullSlippageModel(),
                               price=c, quoted=False)
    security.last_bar = lambda: BarView(sub, 0)
    return security


def _order(kind: OrderType, quantity: float, *, time=datetime(2020, 1, 2, 16, 0), stop=0.0, limit=0.0) -> Order:
    return Order(1, Symbol("X"), kind, quantity, time, stop_price=stop, limit_price=limit)


def test_market_on_open_fills_at_the_next_bars_open():
    sec = _security(101.0, 105.0, 99.0, 104.0)
    assert fills.fill(sec, _order(OrderType.MARKET_ON_OPEN, 10), DAY2) == (101.0, "")
    # placed during the session of the same day: waits for the next day
    placed_open = _order(OrderType.MARKET_ON_OPEN, 10, time=datetime(2020, 1, 3, 10, 0))
    assert fills.fill(sec, placed_open, DAY2) is None


def test_market_on_close_waits_for_the_close_after_the_order():
    sec = _security(101.0, 105.0, 99.0, 104.0)
    order = _order(OrderType.MARKET_ON_CLOSE, 10, time=datetime(2020, 1, 3, 10, 0))
    assert fills.fill(sec, order, datetime(2020, 1, 3, 15, 0)) is None
    assert fills.fill(sec, order, DAY2) == (104.0, "")


def test_sell_stop_fills_at_stop_or_at_the_open_when_gapped_through():
    assert fills.fill(_security(101, 105, 95, 100), _order(OrderType.STOP_MARKET, -10, stop=97), DAY2) == (97, "")
    price, message = fills.fill(_security(94, 96, 90, 95), _order(OrderType.STOP_MARKET, -10, stop=97), DAY2)
    assert price == 94 and "gap" in message
    assert fills.fill(_security(101, 105, 98, 100), _order(OrderType.STOP_MARKET, -10, stop=97), DAY2) is None


def test_buy_stop_with_gap_and_slippage():
    slip = ConstantSlippageModel(0.01)  # 1% of the current price (close 110) = 1.1
    sec = _security(108, 112, 107, 110, slippage=slip)
    price, _ = fills.fill(sec, _order(OrderType.STOP_MARKET, 10, stop=105), DAY2)
    assert price == pytest.approx(108 + 1.1)
    sec = _security(101, 112, 100, 110, slippage=slip)
    price, _ = fills.fill(sec, _order(OrderType.STOP_MARKET, 10, stop=105), DAY2)
    assert price == pytest.approx(105 + 1.1)


def test_limit_needs_penetration_and_takes_a_favourable_open():
    assert fills.fill(_security(101, 105, 99, 100), _order(OrderType.LIMIT, 10, limit=99), DAY2) is None
    assert fills.fill(_security(101, 105, 98, 100), _order(OrderType.LIMIT, 10, limit=99), DAY2) == (99, "")
    price, message = fills.fill(_security(97, 105, 96, 100), _order(OrderType.LIMIT, 10, limit=99), DAY2)
    assert price == 97 and "gap" in message
    assert fills.fill(_security(101, 106, 98, 100), _order(OrderType.LIMIT, -10, limit=105), DAY2) == (105, "")


def test_orders_never_fill_on_the_bar_they_were_placed_on():
    # order placed at the bar's own end (on_data at 16:00): the bar is stale for it
    order = _order(OrderType.STOP_MARKET, -10, stop=97, time=DAY2)
    assert fills.fill(_security(101, 105, 90, 100), order, DAY2) is None


def test_stop_limit_triggers_then_fills_on_the_close():
    order = _order(OrderType.STOP_LIMIT, 10, stop=104, limit=106)
    assert fills.fill(_security(101, 105, 100, 105.5), order, DAY2) == (105, "")  # min(high, limit)
    order = _order(OrderType.STOP_LIMIT, 10, stop=104, limit=103)
    assert fills.fill(_security(101, 105, 100, 104.5), order, DAY2) is None
    assert order.stop_triggered


def test_forex_market_fill_buys_the_ask_and_sells_the_bid():
    hours = hours_from_entry(forex_entry())
    sec = _security(1.10, 1.11, 1.09, 1.105, kind=SecurityType.FOREX, spread=0.0002, hours=hours)
    buy = Order(1, Symbol("EURUSD", SecurityType.FOREX, Market.OANDA), OrderType.MARKET, 1000, DAY2)
    sell = Order(2, Symbol("EURUSD", SecurityType.FOREX, Market.OANDA), OrderType.MARKET, -1000, DAY2)
    assert fills.fill(sec, buy, DAY2)[0] == pytest.approx(1.1051)
    assert fills.fill(sec, sell, DAY2)[0] == pytest.approx(1.1049)


def _fee(model, quantity: float, price: float) -> float:
    security = SimpleNamespace(type=SecurityType.EQUITY, symbol=Symbol("X"), price=price,
                               quote_currency=SimpleNamespace(conversion_rate=1.0))
    order = Order(1, Symbol("X"), OrderType.MARKET, quantity, DAY2)
    return model.get_order_fee(OrderFeeParameters(security, order)).value.amount


def test_interactive_brokers_fee_per_share_minimum_and_cap():
    ib = InteractiveBrokersFeeModel()
    assert _fee(ib, 697, 143.0) == pytest.approx(3.485)
    assert _fee(ib, 10, 50.0) == 1.0  # 0.05 -> the $1 minimum
    assert _fee(ib, -10_000, 0.5) == pytest.approx(25.0)  # 50 capped at 0.5% of $5,000
    assert _fee(ib, 100, 0.5) == 1.0  # minimum wins: LEAN's if / else-if, the cap (0.25) is not applied
    assert _fee(ConstantFeeModel(2.5), 1, 1.0) == 2.5


def test_in_account_skips_a_rate_of_one_and_converts_at_another():
    values = np.array([3.5, -0.0, 1e-300])
    assert in_account(values, 1.0) is values  # x * 1.0 is x: no pass over the array
    assert in_account(values, 2.0).tolist() == [7.0, -0.0, 2e-300]
    assert in_account(values, 0.5).tolist() == [1.75, -0.0, 5e-301]
