"""Data feed semantics: adjustment, map files, delistings, fill-forward, scheduling, universe timing."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType, Symbol
from lean_local.engine.feed_panel import FeedPanel
from lean_local.engine.orders import OrderStatus
from lean_local.engine.runner import run_algorithm
from lean_local.engine.subscription_data import SubscriptionData, emission_times
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


class Recorder(QCAlgorithm):
    tickers = ("AAA",)
    mode = DataNormalizationMode.ADJUSTED
    start, end = (2020, 1, 2), (2020, 1, 8)

    def initialize(self):
        self.set_start_date(*self.start)
        self.set_end_date(*self.end)
        self.set_cash(100_000)
        self.subs = [self.add_equity(t, Resolution.DAILY, data_normalization_mode=self.mode).symbol
                     for t in self.tickers]
        self.seen = []

    def on_data(self, data):
        for symbol in self.subs:
            # a split or dividend arrives alone at 00:00: LEAN's slice then holds the symbol with no bar (None)
            if data.contains_key(symbol) and data[symbol] is not None:
                bar = data[symbol]
                self.seen.append((self.time, str(symbol), bar.close, bar.is_fill_forward))


def test_adjusted_and_raw_prices_from_the_factor_file(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    factors = pd.DataFrame({"price_factor": [0.9, 1.0], "split_factor": [0.5, 1.0]},
                           index=pd.to_datetime(["2020-01-03", "2050-12-31"]))
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [200, 200, 100, 101, 102]), factors=factors)

    algo, _, _ = run_algorithm(Recorder, root)
    # bars on or before the row date take its factor 0.45; later bars the next row's 1
    assert [c for _, _, c, _ in algo.seen] == pytest.approx([90, 90, 100, 101, 102])

    class Raw(Recorder):
        mode = DataNormalizationMode.RAW

    algo, _, _ = run_algorithm(Raw, root)
    assert [c for _, _, c, _ in algo.seen] == [200, 200, 100, 101, 102]


def test_adjusted_volume_is_divided_by_the_factor_so_dollar_volume_is_kept(tmp_path):
    """Extensions.Normalize (ADJUSTED): volume x 1/factor, rounded half to even."""
    root = fixtures.data_folder(tmp_path / "data")
    factors = pd.DataFrame({"price_factor": [0.8, 1.0], "split_factor": [0.5, 1.0]},
                           index=pd.to_datetime(["2020-01-03", "2050-12-31"]))
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [200, 200, 100, 101, 102], volume=1_001), factors=factors)

    class Volumes(Recorder):
        def on_data(self, data):
            if data.bars.contains_key("AAA"):  # a split at 00:00 is a step without a bar
                self.seen.append(data.bars["AAA"].volume)

    algo, _, _ = run_algorithm(Volumes, root)
    assert algo.seen == [2502, 2502, 1001, 1001, 1001]  # 1,001 / 0.4 = 2,502.5 -> 2,502 (to even)

    class Raw(Volumes):
        mode = DataNormalizationMode.RAW

    algo, _, _ = run_algorithm(Raw, root)
    assert algo.seen == [1001] * 5


def test_bars_arrive_at_the_close_and_missing_days_fill_forward(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    fixtures.write_equity(root, "BBB", fixtures.bars(["2020-01-03", "2020-01-07"], [5, 6]))

    class Algo(Recorder):
        tickers = ("AAA", "BBB")

    algo, _, _ = run_algorithm(Algo, root)
    bbb = [(t, c, ff) for t, s, c, ff in algo.seen if s == "BBB"]
    # late listing: nothing before its first bar; then forward-filled on trading days without a bar
    assert bbb == [(datetime(2020, 1, 3, 16), 5, False), (datetime(2020, 1, 6, 16), 5, True),
                   (datetime(2020, 1, 7, 16), 6, False), (datetime(2020, 1, 8, 16), 6, True)]
    assert {t.hour for t, _, _, _ in algo.seen} == {16}


def test_all_bars_of_a_slice_equal_the_bars_read_one_by_one(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    fixtures.write_equity(root, "BBB", fixtures.bars(["2020-01-03", "2020-01-07"], [5, 6]))

    def fields(bar):
        return (str(bar.symbol), bar.time, bar.end_time, bar.period, bar.open, bar.high, bar.low, bar.close,
                bar.volume, bar.is_fill_forward)

    class Algo(Recorder):
        tickers = ("AAA", "BBB")

        def on_data(self, data):
            one_by_one = [fields(data[s]) for s in self.subs if data.contains_key(s)]
            self.seen.append((one_by_one, [fields(bar) for bar in data.bars.values()]))

    algo, _, _ = run_algorithm(Algo, root)
    assert all(single == whole for single, whole in algo.seen)
    # Jan 6: BBB is a fill-forward copy of Jan 3's bar, moved to Jan 6's session, with volume 0 (LEAN's
    # TradeBar.Clone(fillForward: true)); the security's volume is the copy's
    _, whole = algo.seen[2]
    assert whole[1] == ("BBB", datetime(2020, 1, 6, 9, 30), datetime(2020, 1, 6, 16), pd.Timedelta(hours=6.5),
                        5, 5, 5, 5, 0, True)


def test_history_fills_forward_with_volume_zero_as_leans(tmp_path):
    """Issue 14.5: LEAN's history fills forward like its feed: a session without a bar is a row repeating
    the last bar with volume 0; ``periods`` counts sessions; nothing before the first bar in the window."""
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    fixtures.write_equity(root, "BBB", fixtures.bars(["2020-01-03", "2020-01-07"], [5, 6]))

    class Algo(Recorder):
        tickers = ("AAA", "BBB")
        start, end = (2020, 1, 9), (2020, 1, 10)

        def on_data(self, data):
            pass

    algo, _, _ = run_algorithm(Algo, root)
    # the clock is at the end (Jan 10 16:00): Jan 8..10 exist as sessions, BBB's last bar is Jan 7
    history = algo.history(["BBB"], 4, Resolution.DAILY).loc["BBB"]
    assert list(history.index) == [datetime(2020, 1, 7, 16), datetime(2020, 1, 8, 16), datetime(2020, 1, 9, 16),
                                   datetime(2020, 1, 10, 16)]
    assert list(history["close"]) == [6, 6, 6, 6] and list(history["volume"]) == [1_000_000, 0, 0, 0]
    ranged = algo.history(["BBB"], datetime(2020, 1, 2), datetime(2020, 1, 7, 16), Resolution.DAILY).loc["BBB"]
    assert list(ranged.index.day) == [3, 6, 7] and list(ranged["volume"]) == [1_000_000, 0, 1_000_000]
    # a window that starts between bars begins at its first real bar
    late = algo.history(["BBB"], datetime(2020, 1, 6), datetime(2020, 1, 8, 16), Resolution.DAILY).loc["BBB"]
    assert list(late.index.day) == [7, 8]


def test_map_file_renames_read_each_period_from_its_ticker_file(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "OLD", fixtures.bars(DAYS[:3], [1, 2, 3]))
    fixtures.write_equity(root, "NEW", fixtures.bars(DAYS, [90, 91, 92, 4, 5]),
                          map_rows=[("2020-01-02", "old"), ("2020-01-06", "old"), ("2050-12-31", "new")])

    class Algo(Recorder):
        tickers = ("NEW",)

    algo, _, _ = run_algorithm(Algo, root)
    assert [c for _, _, c, _ in algo.seen] == [1, 2, 3, 4, 5]


def _delisting_folder(tmp_path):
    """AAA trading every day of ``DAYS``, and DEAD, whose last bar is on the third and which is delisted on the
    fifth (its map file's last row)."""
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 10, 10, 10, 10]))
    fixtures.write_equity(root, "DEAD", fixtures.bars(DAYS[:3], [20, 21, 22]),
                          map_rows=[("2020-01-02", "dead"), ("2020-01-06", "dead")])
    return root


def test_delisting_closes_the_position_at_the_last_price(tmp_path):
    """LEAN's HandleDelistingNotification: a market order tagged "Liquidate from delisting", filled at
    the last price with no fee and one Filled event, after the delisting date; then the open orders
    of the symbol are canceled (BacktestingBrokerage.ProcessDelistings)."""
    root = _delisting_folder(tmp_path)

    class Algo(Recorder):
        tickers = ("AAA", "DEAD")

        def on_data(self, data):
            super().on_data(data)
            if self.time.day == 2:
                self.market_order("DEAD", 100)
            if self.time.day == 6 and self.time.hour == 16:  # not at the delisting warning (00:00)
                self.limit_order("DEAD", -100, 30)

    algo, _, _ = run_algorithm(Algo, root)
    buy, limit, close = algo.transactions.get_orders()
    assert buy.price == 21 and buy.fee == 1.0  # market-on-open, Jan 3 open (= close in this fixture)
    assert close.quantity == -100 and close.price == 22 and close.tag == "Liquidate from delisting"
    assert close.fee == 0.0
    # LEAN's Delisted event arrives at the delisting date + 1 day, 00:00, in a slice of its own; the
    # backtesting brokerage processes the slice's delistings then (BacktestingTransactionHandler)
    assert close.last_fill_time == datetime(2020, 1, 7)
    events = [(e.order_id, e.status.name, e.message) for e in algo.transactions.events if e.order_id >= limit.id]
    assert events == [(limit.id, "SUBMITTED", ""), (close.id, "FILLED", "Liquidate from delisting"),
                      (limit.id, "CANCELED", "")]
    assert algo.portfolio["DEAD"].quantity == 0
    assert all(s != "DEAD" or t.day <= 6 for t, s, _, _ in algo.seen)


def test_a_delisted_security_is_not_tradable(tmp_path):
    """LEAN's SplitDelistingManager.HandleDelistedSymbols marks a delisted security non-tradable: a later
    order is invalid, with the pre-order check's message, and opens no position."""
    root = _delisting_folder(tmp_path)

    class Algo(Recorder):
        tickers = ("AAA", "DEAD")

        def on_data(self, data):
            super().on_data(data)
            if self.time.day == 8:
                self.tradable = self.securities["DEAD"].is_tradable
                self.ticket = self.market_order("DEAD", 100)

    algo, _, _ = run_algorithm(Algo, root)
    assert algo.tradable is False and algo.securities["DEAD"].is_delisted
    assert algo.ticket.status == OrderStatus.INVALID
    [event] = algo.ticket.order_events
    assert event.message == "The security with symbol 'DEAD' is marked as non-tradable."
    assert algo.portfolio["DEAD"].quantity == 0 and algo.securities["AAA"].is_tradable


def test_month_start_skips_a_holiday_and_events_fire_before_the_days_bar(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    days = pd.bdate_range("2020-12-28", "2021-01-08")
    days = days[days != pd.Timestamp("2021-01-01")]  # New Year's Day
    fixtures.write_equity(root, "AAA", fixtures.bars(days, np.arange(len(days)) + 10.0))

    class Algo(Recorder):
        start, end = (2020, 12, 28), (2021, 1, 8)

        def initialize(self):
            super().initialize()
            self.fired = []
            self.schedule.on(self.date_rules.month_start("AAA"), self.time_rules.after_market_open("AAA", 1),
                             lambda: self.fired.append((self.time, self.securities["AAA"].price)))
            self.schedule.on(self.date_rules.month_start(), self.time_rules.at(9, 0),
                             lambda: self.fired.append((self.time, None)))
            self.schedule.on(self.date_rules.week_start("AAA"), self.time_rules.before_market_close("AAA", 0),
                             lambda: self.fired.append((self.time, self.securities["AAA"].price)))

    algo, _, _ = run_algorithm(Algo, root)
    assert algo.fired == [
        (datetime(2020, 12, 28, 16, 0), 10.0),  # week start at the close: after that day's bar
        (datetime(2021, 1, 1, 9, 0), None),  # month_start() without a symbol: the calendar 1st
        (datetime(2021, 1, 4, 9, 31), 13.0),  # first trading day of January, previous close (Dec 31)
        (datetime(2021, 1, 4, 16, 0), 14.0),
    ]


def test_universe_file_of_day_t_is_selected_at_t_plus_one_midnight(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    for ticker, closes in (("AAA", [10, 11, 12, 13, 14]), ("BBB", [20, 21, 22, 23, 24])):
        fixtures.write_equity(root, ticker, fixtures.bars(DAYS, closes))
    fixtures.write_coarse_day(root, "2020-01-02", [("AAA", 10, 1000), ("BBB", 20, 10)])
    fixtures.write_coarse_day(root, "2020-01-03", [("AAA", 11, 10), ("BBB", 21, 1000)])

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 8)
            self.universe_settings.resolution = Resolution.DAILY
            self.log_lines = []
            self.add_universe(self.select)

        def select(self, fundamental):
            self.log_lines.append(("select", self.time, sorted(f.symbol.value for f in fundamental)))
            return [max(fundamental, key=lambda f: f.dollar_volume).symbol] if fundamental else []

        def on_securities_changed(self, changes):
            self.log_lines.append(("changes", self.time, [str(s.symbol) for s in changes.added_securities],
                                   [str(s.symbol) for s in changes.removed_securities]))

        def on_data(self, data):
            self.log_lines.append(("data", self.time, sorted(str(k) for k in data.keys())))

    algo, _, _ = run_algorithm(Algo, root)
    # at the start, the previous trading day's file (missing here: an empty selection), as LEAN
    assert algo.log_lines[:7] == [
        ("select", datetime(2020, 1, 2), []),
        ("select", datetime(2020, 1, 3), ["AAA", "BBB"]),
        ("changes", datetime(2020, 1, 3), ["AAA"], []),
        ("data", datetime(2020, 1, 3, 16), ["AAA"]),  # first bar of the selected security: T+1's close
        ("select", datetime(2020, 1, 4), ["AAA", "BBB"]),
        ("changes", datetime(2020, 1, 4), ["BBB"], ["AAA"]),
        ("data", datetime(2020, 1, 6, 16), ["BBB"]),
    ]
    # no coarse file after 2020-01-03: the trading days after it select from empty collections, so
    # BBB leaves at 2020-01-07 00:00 and keeps its last close (2020-01-06's)
    assert ("changes", datetime(2020, 1, 7), [], ["BBB"]) in algo.log_lines
    assert algo.securities["BBB"].price == 22


def test_remove_security_liquidates_then_stops_its_data(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))

    class Algo(Recorder):
        def on_data(self, data):
            super().on_data(data)
            if self.time.day == 2:
                self.market_order("AAA", 10)
            if self.time.day == 3:
                self.remove_security("AAA")

    algo, _, _ = run_algorithm(Algo, root)
    buy, sell = algo.transactions.get_orders()
    assert sell.quantity == -10 and sell.price == 12 and sell.last_fill_time.day == 6
    assert [t.day for t, _, _, _ in algo.seen] == [2, 3, 6]  # data stops once the position is flat


def test_a_removed_security_stays_stopped_when_a_new_subscription_rebuilds_the_clock(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    fixtures.write_equity(root, "BBB", fixtures.bars(DAYS, [20, 21, 22, 23, 24]))
    fixtures.write_forex(root, "EURUSD", DAYS, [1.1, 1.2, 1.3, 1.4, 1.5])

    class Algo(Recorder):
        tickers = ("AAA", "BBB")

        def on_data(self, data):
            super().on_data(data)
            if self.time.day == 3:
                self.remove_security("AAA")
            if self.time.day == 6 and self.time.hour == 16:
                # forex bars end at 19:00 New York, times the clock does not have yet
                self.add_forex("EURUSD", Resolution.DAILY)

    algo, _, _ = run_algorithm(Algo, root)
    assert [t.day for t, s, _, _ in algo.seen if s == "AAA"] == [2, 3]
    assert [t.day for t, s, _, _ in algo.seen if s == "BBB"] == [2, 3, 6, 7, 8]
    assert algo.securities["AAA"].price == 11  # the last bar it received
    assert algo.securities["EURUSD"].price == pytest.approx(1.5)


def test_index_and_cboe_custom_data_times(tmp_path):
    from lean_local.data import formats
    from lean_local.engine.algorithm import QCAlgorithm as Base
    from lean_local.engine.custom_data import CBOE

    root = fixtures.data_folder(tmp_path / "data")
    index_path = formats.index_daily_path(root, "VIX")
    index_path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_index_daily(index_path, fixtures.bars(DAYS[:3], [20.5, 21.5, 22.5]))
    cboe = formats.cboe_path(root, "vixc")
    cboe.parent.mkdir(parents=True, exist_ok=True)
    cboe.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,1,2,0.5,1.5\n01/03/2020,2,3,1.5,2.5\n")

    class Algo(Base):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.vix = self.add_index("VIX", Resolution.DAILY).symbol
            self.cboe = self.add_data(CBOE, "VIXC", Resolution.DAILY).symbol
            self.seen = []

        def on_data(self, data):
            for _key, value in data.items():
                self.seen.append((self.time, type(value).__name__, value.close))
            custom = data.get(CBOE)
            assert all(isinstance(v, CBOE) for v in custom.values())

    algo, _, _ = run_algorithm(Algo, root)
    assert algo.seen == [
        (datetime(2020, 1, 2, 16, 15), "TradeBar", 20.5),  # CBOE hours: 08:30-15:15 Chicago
        (datetime(2020, 1, 3, 0, 0), "CBOE", 1.5),  # day D's CBOE row arrives at D+1 00:00
        (datetime(2020, 1, 3, 16, 15), "TradeBar", 21.5),
        (datetime(2020, 1, 4, 0, 0), "CBOE", 2.5),
        (datetime(2020, 1, 6, 16, 15), "TradeBar", 22.5),
    ]


def test_the_same_ticker_in_two_security_types_is_refused():
    from lean_local.engine.algorithm import QCAlgorithm as Base
    from lean_local.engine.common import NotSupportedError
    from lean_local.engine.custom_data import CBOE

    algo = Base()
    algo.add_index("VIX", Resolution.DAILY)
    with pytest.raises(NotSupportedError, match="two securities with the ticker VIX"):
        algo.add_data(CBOE, "VIX", Resolution.DAILY)


def test_the_step_window_changes_nothing(tmp_path, monkeypatch):
    """The panel aligns a window of steps at a time: any window size gives the same run."""
    days = pd.bdate_range("2020-01-02", "2020-02-28")
    days = days[~days.isin(pd.to_datetime(["2020-01-20", "2020-02-17"]))]  # NYSE holidays
    root = fixtures.data_folder(tmp_path / "data")
    rng = np.random.default_rng(3)
    tickers = ("AAA", "BBB", "CCC")
    for k, ticker in enumerate(tickers):
        keep = rng.random(len(days)) > 0.1  # missing days: fill-forward copies
        closes = 20 + k + np.cumsum(rng.normal(0, 0.5, len(days)))
        fixtures.write_equity(root, ticker, fixtures.bars(days[keep], closes[keep]))
    for day in days:
        volumes = rng.integers(1, 1000, len(tickers))
        fixtures.write_coarse_day(root, day, [(t, 20.0, int(v)) for t, v in zip(tickers, volumes, strict=True)])

    class Rotation(QCAlgorithm):
        """Holds the day's top dollar-volume stock: members leave, come back, and trade."""

        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 2, 28)
            self.set_cash(100_000)
            self.universe_settings.resolution = Resolution.DAILY
            self.add_universe(self.select)
            self.log_lines = []
            self.chosen = None

        def select(self, rows):
            if rows:  # the file of the day before the start is missing: an empty selection
                self.chosen = max(rows, key=lambda f: f.dollar_volume).symbol
            return [self.chosen] if self.chosen else []

        def on_data(self, data):
            self.log_lines.append((self.time, sorted((str(s), b.close, b.is_fill_forward, b.time)
                                                     for s, b in data.bars.items())))
            for symbol in data.keys():
                if symbol != self.chosen and self.portfolio[symbol].invested:
                    self.liquidate(symbol)
                elif symbol == self.chosen and not self.portfolio[symbol].invested:
                    self.set_holdings(symbol, 0.5)

    runs = []
    monkeypatch.setattr(FeedPanel, "CELLS", 0)  # the window is WINDOW steps whatever the columns
    for window in (1, 3, 512):
        monkeypatch.setattr(FeedPanel, "WINDOW", window)
        algo, record, _ = run_algorithm(Rotation, root)
        runs.append((algo.log_lines, record.fills.to_dict("list"), list(record.equity)))
    assert len(runs[0][1]["order_id"]) > 10  # the rotation trades
    assert runs[0] == runs[1] == runs[2]


def test_an_index_fills_forward_and_an_index_option_without_data_gets_none(tmp_path):
    """LEAN's AddIndex fills forward (BasicTemplateIndexDailyAlgorithm counts 10 SPX slices from
    the sample's two January 2021 bars). An index option contract whose data file the folder lacks
    is subscribed without data, as LEAN does: orders on it are refused for want of a price and its
    history is empty."""
    import json

    from lean_local.data import formats
    from lean_local.engine.algorithm import QCAlgorithm as Base
    from lean_local.engine.common import Market, Symbol
    from lean_local.engine.enums import OptionRight, OptionStyle
    from lean_local.engine.orders import OrderStatus

    root = fixtures.data_folder(tmp_path / "data")
    hours_path = formats.market_hours_path(root)
    database = json.loads(hours_path.read_text())
    database["entries"]["IndexOption-usa-[*]"] = database["entries"]["Index-usa-[*]"]
    hours_path.write_text(json.dumps(database))
    index_path = formats.index_daily_path(root, "SPX")
    index_path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_index_daily(index_path, fixtures.bars(["2021-01-04", "2021-01-14"], [3700.65, 3795.54]))

    class Algo(Base):
        def initialize(self):
            self.set_start_date(2021, 1, 1)
            self.set_end_date(2021, 1, 18)
            self.spx = self.add_index("SPX", Resolution.DAILY).symbol
            self.contract = Symbol.create_option(self.spx, Market.USA, OptionStyle.EUROPEAN, OptionRight.CALL, 3200,
                                                 datetime(2021, 1, 15))
            self.add_index_option_contract(self.contract, Resolution.DAILY)
            self.seen, self.tickets = [], []

        def on_data(self, data):
            self.seen.append((self.time.day, data.bars[self.spx].close))
            self.tickets.append(self.market_order(self.contract, 1))

    algo, _, _ = run_algorithm(Algo, root)
    # Jan 18 2021 (Martin Luther King Day) is a holiday of the index
    assert algo.seen == [(4, 3700.65), (5, 3700.65), (6, 3700.65), (7, 3700.65), (8, 3700.65), (11, 3700.65),
                         (12, 3700.65), (13, 3700.65), (14, 3795.54), (15, 3795.54)]
    assert {t.status for t in algo.tickets} == {OrderStatus.INVALID}
    assert algo.portfolio[algo.contract].quantity == 0
    assert len(algo.history(algo.contract, 10)) == 0


def test_index_option_data_is_refused_and_pascal_case_end_of_algorithm_runs(tmp_path):
    """With the contract's data file present the runtime refuses (option prices are not modelled);
    LEAN calls a Python ``OnEndOfAlgorithm`` when the class defines no ``on_end_of_algorithm``."""
    from lean_local.data import formats
    from lean_local.engine.algorithm import QCAlgorithm as Base
    from lean_local.engine.common import Market, NotSupportedError, SecurityType, Symbol
    from lean_local.engine.enums import OptionRight, OptionStyle

    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    option_file = formats.index_option_daily_path(root, "SPX", 2021, "quote", "EUROPEAN")
    option_file.parent.mkdir(parents=True, exist_ok=True)
    option_file.write_bytes(b"")
    algo = Base()
    algo._attach_engine(root, {}, None)
    contract = Symbol.create_option(Symbol("SPX", SecurityType.INDEX, Market.USA), Market.USA, OptionStyle.EUROPEAN,
                                    OptionRight.CALL, 3200, datetime(2021, 1, 15))
    with pytest.raises(NotSupportedError, match="spx_2021_quote_european.zip"):
        algo.add_index_option_contract(contract, Resolution.DAILY)

    class Algo(Base):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 8)
            self.add_equity("AAA", Resolution.DAILY)
            self.ended = 0

        def OnEndOfAlgorithm(self):  # noqa: N802  (LEAN's PascalCase name)
            self.ended += 1

    ran, _, _ = run_algorithm(Algo, root)
    assert ran.ended == 1


def test_the_window_holds_more_steps_when_there_are_few_columns(monkeypatch):
    """A window of about ``CELLS`` cells: few columns, long windows (fewer realignments); many columns,
    ``WINDOW`` steps at least."""
    monkeypatch.setattr(FeedPanel, "CELLS", 1_000)
    panel = FeedPanel()
    panel.grid = np.arange(0, 10_000, dtype=np.int64)
    panel._capacity = 10
    panel._realign(0)
    assert panel.current.shape == (128, 10)  # 1,000 // 10 = 100 steps: WINDOW's 128 at least
    panel._capacity = 4
    panel._realign(5)
    assert (panel.base, panel.current.shape) == (5, (250, 4))
    panel._realign(9_900)
    assert panel.current.shape == (100, 4)  # the grid's last steps


def test_a_build_holds_its_columns_without_spares_and_an_attachment_doubles_them():
    """The columns added before a build are the window's width (8 at least); a column attached past
    them doubles it."""
    def sub(name: str) -> SubscriptionData:
        times = np.array([10, 20, 30], dtype=np.int64)
        fields = {field: np.ones(3) for field in ("open", "high", "low", "close", "volume")}
        return SubscriptionData(Symbol(name), "trade", times - 5, times, fields, np.ones(3), emit_times=times)

    panel = FeedPanel()
    for k in range(10):
        panel.add(sub(f"S{k}"), 0)
    panel.build(0, 40)
    assert panel.current.shape == (3, 10)
    assert panel.attach(panel.add(sub("NEW"), 0), 1)
    assert panel.current.shape[1] == 20 and panel.current[1:, 10].tolist() == [1, 2]
    small = FeedPanel()
    small.add(sub("ONE"), 0)
    small.build(0, 40)
    assert small.current.shape == (3, 8)


def test_emission_times_are_the_bar_ends_and_the_sessions_without_a_bar():
    """A fill-forward subscription shows up at its bar ends and at every session close from its first bar
    (a missing session's is added); one with a bar at every session shows up at its bar ends alone."""
    def sub(ends: list[int]) -> SubscriptionData:
        times = np.asarray(ends, dtype=np.int64)
        fields = {name: np.ones(len(times)) for name in ("open", "high", "low", "close", "volume")}
        return SubscriptionData(Symbol("AAA", SecurityType.EQUITY, "usa"), "trade", times - 5, times, fields,
                                np.ones(len(times)))
    sessions = np.array([10, 20, 30, 40, 50], dtype=np.int64)
    assert emission_times(sub([20, 30, 40, 50]), sessions, 45).tolist() == [20, 30, 40, 50]
    assert emission_times(sub([20, 40]), sessions, 45).tolist() == [20, 30, 40]  # 30 fills forward; 50 after the end
    assert emission_times(sub([25, 40]), sessions, 60).tolist() == [25, 30, 40, 50]
    assert emission_times(sub([20, 40]), sessions, 50).tolist() == [20, 30, 40, 50]  # the end's own session counts
    assert emission_times(sub([5, 20]), sessions, 30).tolist() == [5, 10, 20, 30]  # from a bar before every session
    every_session = sub([20, 30, 40, 50])
    assert emission_times(every_session, sessions, 60) is every_session.end_time  # the bar ends' own array
    with_gap = sub([20, 40])
    assert emission_times(with_gap, sessions, 45) is not with_gap.end_time
