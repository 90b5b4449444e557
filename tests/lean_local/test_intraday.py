"""Minute and hour US equity data: the readers, the feed (bar times, session filter, fill-forward,
quote bars, DataPoints), the market fill on quotes, no look-ahead, and what stays refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.data.formats.raw import write_zip
from lean_local.data.market_hours import MarketHoursDatabase
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import NotSupportedError, Resolution
from lean_local.engine.exchange_hours import hours_from_entry
from lean_local.engine.intraday import warm_up_start
from lean_local.engine.runner import run_algorithm
from tests import fixtures

DAY1, DAY2 = pd.Timestamp("2021-03-01"), pd.Timestamp("2021-03-02")
MS = 60_000  # one minute in milliseconds
OPEN_MS = 34_200_000  # 09:30


def _write_minute(root: Path, ticker: str, day: pd.Timestamp, tick_type: str, rows: list[str]) -> Path:
    path = formats.equity_minute_path(root, ticker, day, tick_type)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_zip(path, f"{day:%Y%m%d}_{ticker.lower()}_minute_{tick_type}.csv", "\n".join(rows), 1)
    return path


def _trade(ms: int, close: float, volume: int = 100) -> str:
    price = int(round(close * 10_000))
    return f"{ms},{price},{price + 500},{price - 500},{price},{volume}"


def _quote(ms: int, bid: float | None, ask: float | None) -> str:
    def side(price: float | None) -> str:
        if price is None:
            return ",,,,"
        p = int(round(price * 10_000))
        return f"{p},{p},{p},{p},200"
    return f"{ms},{side(bid)},{side(ask)}"


# --- readers -----------------------------------------------------------------------------------
def test_minute_trade_reader_times_and_prices(tmp_path):
    path = _write_minute(tmp_path, "AAA", DAY1, "trade", ["14400000,1000000,1010000,990000,1005000,300",
                                                          f"{OPEN_MS},1005000,1006000,1004000,1005500,1200"])
    frame = formats.read_equity_minute_trade(path, DAY1)
    assert list(frame.index) == [pd.Timestamp("2021-03-01 04:00"), pd.Timestamp("2021-03-01 09:30")]
    assert frame.iloc[0].tolist() == [100.0, 101.0, 99.0, 100.5, 300.0]
    assert frame.iloc[1].tolist() == [100.5, 100.6, 100.4, 100.55, 1200.0]


def test_minute_quote_reader_keeps_a_missing_side_as_nan(tmp_path):
    path = _write_minute(tmp_path, "AAA", DAY1, "quote", [_quote(OPEN_MS, 100.0, 100.02), _quote(OPEN_MS + MS, 99.99, None)])
    frame = formats.read_equity_minute_quote(path, DAY1)
    assert frame.loc["2021-03-01 09:30", ["bid_close", "ask_close", "bid_size", "ask_size"]].tolist() == \
        [100.0, 100.02, 200.0, 200.0]
    assert frame.loc["2021-03-01 09:31", "bid_close"] == 99.99
    assert np.isnan(frame.loc["2021-03-01 09:31", "ask_close"])


@pytest.mark.parametrize("rows, line, message", [
    ([_trade(OPEN_MS, 100.0), "34260000,1000000,x,990000,1005000,300"], 2, "not a number"),
    ([_trade(OPEN_MS + MS, 100.0), _trade(OPEN_MS, 100.0)], 2, "out of order"),
    ([_trade(OPEN_MS, 100.0), "86400000,1,1,1,1,1"], 2, "within a day"),
    (["34200000,1000000,1010000,990000,1005000"], 1, "expected 6"),
])
def test_minute_reader_names_the_bad_line(tmp_path, rows, line, message):
    path = _write_minute(tmp_path, "AAA", DAY1, "trade", rows)
    with pytest.raises(formats.DataFormatError, match=message) as error:
        formats.read_equity_minute_trade(path, DAY1)
    assert error.value.line == line and error.value.path == str(path)


def test_lean_sample_minute_and_hour_files(lean_data_folder):
    day = pd.Timestamp("2013-10-07")
    trades = formats.read_equity_minute_trade(formats.equity_minute_path(lean_data_folder, "SPY", day, "trade"), day)
    quotes = formats.read_equity_minute_quote(formats.equity_minute_path(lean_data_folder, "SPY", day, "quote"), day)
    regular = trades.between_time("09:30", "15:59")
    assert len(regular) == 390  # a full session: bars starting 09:30 .. 15:59
    assert trades.loc["2013-10-07 09:30", ["open", "close"]].tolist() == [167.43, 167.44]
    assert quotes.loc["2013-10-07 09:30", ["bid_close", "ask_close"]].tolist() == [167.44, 167.45]
    hours = formats.read_equity_hour(formats.equity_hour_path(lean_data_folder, "SPY"))
    assert hours.index[0] == pd.Timestamp("1998-01-02 09:00")


# --- the feed ----------------------------------------------------------------------------------
def _minute_folder(root: Path, day2_close: float = 101.0) -> Path:
    folder = fixtures.data_folder(root)
    _write_minute(folder, "AAA", DAY1, "trade", [
        _trade(14_400_000, 90.0),  # 04:00, extended hours: not delivered
        _trade(OPEN_MS, 100.0),  # 09:30-09:31
        _trade(OPEN_MS + 2 * MS, 100.2),  # 09:32-09:33 (09:32 is filled forward)
        _trade(OPEN_MS + 389 * MS, 100.5),  # 15:59-16:00
        _trade(OPEN_MS + 390 * MS, 80.0),  # 16:00, after the close: not delivered
    ])
    _write_minute(folder, "AAA", DAY1, "quote", [_quote(OPEN_MS, 99.98, 100.02), _quote(OPEN_MS + MS, 100.05, None)])
    _write_minute(folder, "AAA", DAY2, "trade", [_trade(OPEN_MS + MS, day2_close), _trade(OPEN_MS + 30 * MS, day2_close)])
    _write_minute(folder, "AAA", DAY2, "quote", [_quote(OPEN_MS + MS, day2_close - 0.01, day2_close + 0.01)])
    return folder


class MinuteObserver(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2021, 3, 1)
        self.set_end_date(2021, 3, 2)
        self.set_cash(100_000)
        self.aaa = self.add_equity("AAA", Resolution.MINUTE).symbol
        self.seen = []
        self.quotes = []

    def on_data(self, data):
        bar = data.bars[self.aaa] if data.contains_key(self.aaa) else None
        security = self.securities[self.aaa]
        quote = data.quote_bars.get(self.aaa)
        self.quotes.append(None if quote is None else (quote.end_time, quote.bid and quote.bid.close,
                                                       quote.ask and quote.ask.close, quote.is_fill_forward))
        self.seen.append((self.time, None if bar is None else (bar.time, bar.end_time, bar.close, bar.is_fill_forward),
                          security.bid_price, security.ask_price, round(self.portfolio.total_portfolio_value, 6)))
        if len(self.seen) == 1:
            self.market_order(self.aaa, 10)


def test_minute_bars_fill_forward_over_the_session_and_count_their_quotes(tmp_path):
    algo, record, loop = run_algorithm(MinuteObserver, _minute_folder(tmp_path))
    times = [t for t, *_ in algo.seen]
    assert len(times) == 2 * 390  # every minute of both sessions, nothing outside them
    assert times[0] == pd.Timestamp("2021-03-01 09:31") and times[389] == pd.Timestamp("2021-03-01 16:00")
    assert times[390] == pd.Timestamp("2021-03-02 09:31") and times[-1] == pd.Timestamp("2021-03-02 16:00")
    first, second, third = algo.seen[0][1], algo.seen[1][1], algo.seen[2][1]
    assert first == (pd.Timestamp("2021-03-01 09:30"), pd.Timestamp("2021-03-01 09:31"), 100.0, False)
    assert second == (pd.Timestamp("2021-03-01 09:31"), pd.Timestamp("2021-03-01 09:32"), 100.0, True)
    assert third == (pd.Timestamp("2021-03-01 09:32"), pd.Timestamp("2021-03-01 09:33"), 100.2, False)
    # day 2 opens on a copy of day 1's last bar, then its own bar at 09:32
    assert algo.seen[390][1][2:] == (100.5, True) and algo.seen[391][1][2:] == (101.0, False)
    # bid/ask: the latest quote bar with that side (the 09:31 bar has no ask)
    assert algo.seen[2][2:4] == (100.05, 100.02)
    # data.quote_bars: the 09:30 bar, the 09:31 bar without an ask, then copies of it
    assert algo.quotes[:3] == [(datetime(2021, 3, 1, 9, 31), 99.98, 100.02, False),
                               (datetime(2021, 3, 1, 9, 32), 100.05, None, False),
                               (datetime(2021, 3, 1, 9, 33), 100.05, None, True)]
    # the market order at 09:31 fills at the 09:30 quote bar's ask
    fill = algo.transactions.fills[0]
    assert (fill["time"], fill["quantity"], fill["fill_price"]) == (pd.Timestamp("2021-03-01 09:31"), 10, 100.02)
    # 780 trade bars (real or filled forward) + 780 quote bars + the user-defined universe's trigger
    assert loop.data_points == 780 + 780 + 1


def test_minute_data_after_t_changes_nothing_at_or_before_t(tmp_path):
    before, *_ = run_algorithm(MinuteObserver, _minute_folder(tmp_path / "a", day2_close=101.0))
    after, *_ = run_algorithm(MinuteObserver, _minute_folder(tmp_path / "b", day2_close=57.0))
    cut = pd.Timestamp("2021-03-02 09:31")  # the first step after which day 2's bars differ
    seen_before = [row for row in before.seen if row[0] <= cut]
    assert seen_before == [row for row in after.seen if row[0] <= cut]
    assert before.seen[391] != after.seen[391]


def test_hour_bars_end_on_the_hour_inside_the_session(tmp_path):
    folder = fixtures.data_folder(tmp_path)
    path = formats.equity_hour_path(folder, "AAA")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = pd.DataFrame({"open": [10.0, 11.0, 12.0, 13.0], "high": [10.0, 11.0, 12.0, 13.0],
                         "low": [10.0, 11.0, 12.0, 13.0], "close": [10.0, 11.0, 12.0, 13.0],
                         "volume": [5.0, 5.0, 5.0, 5.0]},
                        index=pd.DatetimeIndex(["2021-03-01 08:00", "2021-03-01 09:00", "2021-03-01 15:00",
                                                "2021-03-01 16:00"], name="date"))
    formats.write_equity_daily(path, rows)

    class HourObserver(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2021, 3, 1)
            self.set_end_date(2021, 3, 1)
            self.aaa = self.add_equity("AAA", Resolution.HOUR).symbol
            self.seen = []

        def on_data(self, data):
            bar = data.bars[self.aaa]
            self.seen.append((self.time, bar.close, bar.is_fill_forward))

    algo, _, loop = run_algorithm(HourObserver, folder)
    # 08:00 and 16:00 bars lie outside the session; 10:00 is the 09:00 bar, 11:00-15:00 copies of it
    assert algo.seen[0] == (pd.Timestamp("2021-03-01 10:00"), 11.0, False)
    assert [t.hour for t, *_ in algo.seen] == [10, 11, 12, 13, 14, 15, 16]
    assert algo.seen[-1] == (pd.Timestamp("2021-03-01 16:00"), 12.0, False)
    assert loop.data_points == 7 + 1  # no quote bars at hour resolution


@pytest.mark.parametrize("call, message", [
    (lambda algo: algo.add_equity("AAA", Resolution.SECOND), "SECOND"),
    (lambda algo: algo.add_equity("AAA", Resolution.TICK), "TICK"),
    (lambda algo: algo.add_forex("EURUSD", Resolution.MINUTE), "MINUTE"),
    (lambda algo: algo.add_equity("AAA", Resolution.MINUTE, extended_market_hours=True), "extended_market_hours"),
])
def test_what_stays_refused(tmp_path, call, message):
    class Refused(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2021, 3, 1)
            self.set_end_date(2021, 3, 2)
            call(self)

    with pytest.raises(Exception) as error:
        run_algorithm(Refused, _minute_folder(tmp_path))
    cause = error.value.__cause__ or error.value
    assert isinstance(cause, NotSupportedError) and message in str(cause)


def test_minute_history_is_refused_and_daily_history_reads_daily_files(tmp_path):
    folder = _minute_folder(tmp_path)
    fixtures.write_equity(folder, "AAA", fixtures.bars(["2021-02-25", "2021-02-26"], [98.0, 99.0]))

    class Historian(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2021, 3, 1)
            self.set_end_date(2021, 3, 1)
            self.aaa = self.add_equity("AAA", Resolution.MINUTE).symbol
            self.daily = self.history(self.aaa, 2, Resolution.DAILY)["close"].tolist()
            try:
                self.history(self.aaa, 2)
            except NotSupportedError as error:
                self.refused = str(error)

    algo, *_ = run_algorithm(Historian, folder)
    assert algo.daily == [98.0, 99.0]
    assert "MINUTE" in algo.refused


def test_a_bar_count_warm_up_at_minute_resolution_counts_session_minutes(tmp_path):
    hours = hours_from_entry(MarketHoursDatabase.from_data_folder(fixtures.data_folder(tmp_path / "hours"))
                             .get_entry("Equity", "usa", "SPY"))
    start = datetime(2021, 3, 2)
    assert warm_up_start(hours, start, 3, Resolution.MINUTE) == datetime(2021, 3, 1, 15, 57)
    assert warm_up_start(hours, start, 2, Resolution.HOUR) == datetime(2021, 3, 1, 14, 0)
    assert warm_up_start(hours, start, 391, Resolution.MINUTE) == datetime(2021, 2, 26, 15, 59)

    class WarmMinutes(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2021, 3, 2)
            self.set_end_date(2021, 3, 2)
            self.aaa = self.add_equity("AAA", Resolution.MINUTE).symbol
            self.set_warm_up(3)
            self.warm = []

        def on_data(self, data):
            self.warm.append((self.time, self.is_warming_up))

    algo, *_ = run_algorithm(WarmMinutes, _minute_folder(tmp_path / "data"))
    # from 15:57 on, the subscription's first bar is the one ending at 16:00 (nothing earlier is delivered)
    assert algo.warm[:2] == [(datetime(2021, 3, 1, 16, 0), True), (datetime(2021, 3, 2, 9, 31), False)]


def test_daily_consolidation_of_minute_bars_closes_with_the_session(tmp_path):
    class DailyBars(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2021, 3, 1)
            self.set_end_date(2021, 3, 2)
            self.aaa = self.add_equity("AAA", Resolution.MINUTE).symbol
            self.daily = []
            self.five = []
            self.consolidate(self.aaa, Resolution.DAILY, lambda bar: self.daily.append(
                (self.time, bar.time, bar.end_time, bar.open, bar.high, bar.low, bar.close, bar.volume)))
            self.consolidate(self.aaa, timedelta(minutes=5), lambda bar: self.five.append((self.time, bar.close)))

    algo, *_ = run_algorithm(DailyBars, _minute_folder(tmp_path))
    # LEAN's MarketHourAwareConsolidator: the regular session's bar, emitted at the close (not at midnight)
    assert algo.daily[0] == (datetime(2021, 3, 1, 16, 0), datetime(2021, 3, 1, 9, 30), datetime(2021, 3, 1, 16, 0),
                             100.0, 100.55, 99.95, 100.5, 300.0)
    assert algo.daily[1][:3] == (datetime(2021, 3, 2, 16, 0), datetime(2021, 3, 2, 9, 30), datetime(2021, 3, 2, 16, 0))
    # a timedelta period stays a plain period consolidator: 09:30-09:35 emitted at 09:35
    assert algo.five[0] == (datetime(2021, 3, 1, 9, 35), 100.2)
