"""The engine's side of the capacity estimate (``lean_local.engine.capacity_feed``): new fills handed over a
time at a time, and the traded symbols' bars and holdings values it answers, with hand-computed values."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd

from lean_local.engine.capacity import FOREX_VOLUME
from lean_local.engine.capacity_feed import CapacityFeed
from lean_local.engine.cash import Cash
from lean_local.engine.common import SecurityType
from lean_local.engine.fill_records import FillRecords

HOUR = 3600 * 10**9


class _Estimate:
    """Records the fills it is handed (each time's symbols new to it); never monitoring, never due."""

    monitoring = False
    idle_until = np.iinfo(np.int64).max

    def __init__(self) -> None:
        self.handed: list[tuple[list[str], int, list[float]]] = []

    def on_fills(self, symbols, utc_ns, values):
        self.handed.append((list(symbols), utc_ns, list(values)))
        return True  # symbols added

    def may_be_due(self, new_york_ns):
        return False


class _Feed:
    """A feed at step 0 and its panel (itself): columns 0..n-1, a real bar where ``real``; bar k closes at
    10 + k with volume 100 x (k + 1), 09:30 to 16:00."""

    step = 0

    def __init__(self, real: list[bool]) -> None:
        self.panel = self
        self.emit = np.where(real, 2, 1)[None, :].astype(np.int8)  # 1: a fill-forward copy

    def row(self, step):
        return step

    def current_fields(self, step, columns):
        start = pd.Timestamp("2020-01-02 09:30").value
        n = len(columns)
        ohlcv = np.zeros((n, 5))
        ohlcv[:, 3], ohlcv[:, 4] = 10.0 + columns, 100.0 * (columns + 1)
        return np.full(n, start), np.full(n, start + int(6.5 * HOUR)), ohlcv


def _algo(securities: dict, fills: FillRecords | None = None, values: np.ndarray | None = None):
    portfolio = SimpleNamespace(holdings_values=lambda columns: values[columns], total_portfolio_value=1.0)
    return SimpleNamespace(transactions=SimpleNamespace(fills=fills or FillRecords()), securities=securities,
                           portfolio=portfolio, time=datetime(2020, 1, 2, 16))


def _security(column: int, kind: SecurityType = SecurityType.EQUITY, cash: Cash | None = None):
    return SimpleNamespace(column=column, type=kind, quote_currency=cash or Cash("USD"))


def _fill(fills: FillRecords, time: datetime, symbol: str, value: float) -> None:
    fills.append(time, 1, symbol, 1.0, value, value, 0.0, 1.0, 0.0, True, 0.0)


def test_each_times_fills_are_handed_together_once():
    fills = FillRecords()
    morning, close = datetime(2020, 1, 2, 9, 31), datetime(2020, 1, 2, 16)
    _fill(fills, morning, "AAA", 10.0)
    _fill(fills, morning, "BBB", -20.0)
    _fill(fills, close, "AAA", 30.0)
    estimate = _Estimate()
    feed = CapacityFeed(_algo({"AAA": _security(0), "BBB": _security(1)}, fills), _Feed([True, True]), estimate)
    feed.step(pd.Timestamp(close).value)
    # New York in January is UTC - 5 hours
    assert estimate.handed == [(["AAA", "BBB"], pd.Timestamp("2020-01-02 14:31").value, [10.0, -20.0]),
                               (["AAA"], pd.Timestamp("2020-01-02 21:00").value, [30.0])]
    _fill(fills, close, "BBB", 5.0)
    feed.step(pd.Timestamp(close).value)  # only the fill since
    assert estimate.handed[2:] == [(["BBB"], pd.Timestamp("2020-01-02 21:00").value, [5.0])]


def test_the_bars_of_one_quote_currency_carry_its_rate_and_a_symbol_without_a_real_bar_has_none():
    cash = Cash("EUR", conversion_rate=1.25)
    fills = FillRecords()
    for symbol in ("AAA", "BBB", "CCC"):
        _fill(fills, datetime(2020, 1, 2, 16), symbol, 1.0)
    securities = {"AAA": _security(2, cash=cash), "BBB": _security(0, cash=cash), "CCC": _security(1, cash=cash)}
    feed = CapacityFeed(_algo(securities, fills, np.array([5.0, -6.0, 7.0])), _Feed([True, False, True]), _Estimate())
    feed.step(pd.Timestamp("2020-01-02 16:00").value)
    symbols = ["AAA", "BBB", "CCC"]
    bars = feed.monitored_bars(symbols, np.array([0, 1, 2]))
    assert bars.found.tolist() == [0, 1]
    assert bars.close.tolist() == [12.0, 10.0] and bars.volume.tolist() == [300.0, 100.0]
    assert bars.conversion_rate == 1.25  # one rate for every bar
    assert (bars.end_ns - bars.start_ns).tolist() == [int(6.5 * HOUR)] * 2
    cash.conversion_rate = 1.5  # read again at each step
    assert feed.monitored_bars(symbols, np.array([0, 1, 2])).conversion_rate == 1.5
    assert feed.holdings_values(["CCC", "AAA"]).tolist() == [-6.0, 7.0]


def test_a_forex_bar_counts_the_forex_volume_and_custom_data_has_no_bar():
    usd, eur = Cash("USD"), Cash("EUR", conversion_rate=1.1)
    fills = FillRecords()
    for symbol in ("EURUSD", "CUSTOM", "AAA"):
        _fill(fills, datetime(2020, 1, 2, 16), symbol, 1.0)
    securities = {"EURUSD": _security(0, SecurityType.FOREX, usd), "CUSTOM": _security(1, SecurityType.BASE, usd),
                  "AAA": _security(2, cash=eur)}
    feed = CapacityFeed(_algo(securities, fills), _Feed([True, True, True]), _Estimate())
    feed.step(pd.Timestamp("2020-01-02 16:00").value)
    bars = feed.monitored_bars(["EURUSD", "CUSTOM", "AAA"], np.array([0, 1, 2]))
    assert bars.found.tolist() == [0, 2]
    assert bars.volume.tolist() == [FOREX_VOLUME, 300.0]
    assert bars.conversion_rate.tolist() == [1.0, 1.1]
