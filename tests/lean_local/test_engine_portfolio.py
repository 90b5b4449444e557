"""Portfolio, set_holdings sizing, order conversion and forex currency conversion, run through the loop
on generated data folders."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.orders import OrderStatus, OrderType
from lean_local.engine.runner import run_algorithm
from lean_local.framework.targets import PortfolioTarget
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


@pytest.fixture
def folder(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [100, 102, 104, 103, 105], opens=[99, 101, 103, 104, 104]))
    fixtures.write_equity(root, "BBB", fixtures.bars(DAYS, [50, 50, 50, 50, 50]))
    return root


class Base(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 8)
        self.set_cash(100_000)
        self.aaa = self.add_equity("AAA", Resolution.DAILY).symbol
        self.bbb = self.add_equity("BBB", Resolution.DAILY).symbol
        self.events = []

    def on_order_event(self, order_event):
        self.events.append((self.time, order_event.status, order_event.fill_quantity, order_event.fill_price))


def test_set_holdings_sizing_and_market_on_open_fill(folder):
    class Algo(Base):
        def on_data(self, data):
            if self.time.day == 2:
                self.set_holdings(self.aaa, 0.5)
                self.set_holdings(self.aaa, 0.5)  # the open market-on-open quantity is counted: no new order

    algo, record, _ = run_algorithm(Algo, folder)
    # target 0.5 x 100,000 x (1 - 0.25%) = 49,875 at the Jan 2 close 100 -> 498.75 -> 498 shares
    [order] = algo.transactions.get_orders()
    assert order.type == OrderType.MARKET_ON_OPEN and order.quantity == 498
    assert order.status == OrderStatus.FILLED and order.price == 101  # Jan 3 open
    assert order.last_fill_time == datetime(2020, 1, 3, 16)
    fee = 498 * 0.005
    assert algo.portfolio.cash == pytest.approx(100_000 - 498 * 101 - fee)
    assert record.equity.iloc[-1] == pytest.approx(100_000 - 498 * 101 - fee + 498 * 105)
    assert algo.portfolio[algo.aaa].average_price == 101
    assert algo.portfolio[algo.aaa].unrealized_profit == pytest.approx(498 * 4)


def test_minimum_order_margin_skips_tiny_rebalances(folder):
    class Algo(Base):
        def on_data(self, data):
            self.set_holdings(self.bbb, 0.5)

    algo, _, _ = run_algorithm(Algo, folder)
    # BBB never moves: after the first fill each day's target differs by far less than 0.1% of TPV
    assert [o.quantity for o in algo.transactions.get_orders()] == [997]


def test_set_holdings_targets_reduce_first_and_liquidate_others(folder):
    class Algo(Base):
        def on_data(self, data):
            if self.time.day == 2:
                self.set_holdings(self.aaa, 0.6)
            if self.time.day == 3:
                self.set_holdings([PortfolioTarget(self.bbb, 0.5), PortfolioTarget(self.aaa, 0.2)])
            if self.time.day == 7:
                self.set_holdings([PortfolioTarget(self.bbb, 0.1)], liquidate_existing_holdings=True)

    algo, _, _ = run_algorithm(Algo, folder)
    orders = algo.transactions.get_orders()
    day3 = [o for o in orders if o.time.day == 3]
    assert [str(o.symbol) for o in day3] == ["AAA", "BBB"]  # the reducing order first
    assert day3[0].quantity < 0 < day3[1].quantity
    assert algo.portfolio[algo.aaa].quantity == 0
    assert algo.portfolio[algo.bbb].invested


def test_scheduled_market_order_becomes_market_on_close(folder):
    class Algo(Base):
        def initialize(self):
            super().initialize()
            self.schedule.on(self.date_rules.on(2020, 1, 6), self.time_rules.after_market_open(self.aaa, 30),
                             lambda: self.market_order(self.aaa, 10))
            self.schedule.on(self.date_rules.on(2020, 1, 7), self.time_rules.before_market_close(self.aaa, 10),
                             lambda: self.market_order(self.aaa, 5))

    algo, _, _ = run_algorithm(Algo, folder)
    first, second = algo.transactions.get_orders()
    assert first.type == OrderType.MARKET_ON_CLOSE and first.time == datetime(2020, 1, 6, 10, 0)
    assert first.price == 104 and first.last_fill_time == datetime(2020, 1, 6, 16)  # that day's close
    # within the 15.5-minute buffer before the close: market-on-open, the next day's open
    assert second.type == OrderType.MARKET_ON_OPEN and second.price == 104
    assert second.last_fill_time == datetime(2020, 1, 8, 16)


def test_limit_order_ticket_update_and_cancel(folder):
    class Algo(Base):
        def on_data(self, data):
            if self.time.day == 2:
                self.ticket = self.limit_order(self.aaa, 10, 90)
                self.other = self.stop_market_order(self.aaa, 10, 200)
            if self.time.day == 3:
                self.ticket.update_limit_price(103.5)
                self.other.cancel()

    algo, _, _ = run_algorithm(Algo, folder)
    limit, stop = algo.transactions.get_orders()
    assert stop.status == OrderStatus.CANCELED
    # LEAN scans updated orders in the same step: the Jan 3 bar (ended after the order was placed)
    # has low 101 < 103.5 and opened below the limit, a favourable gap: filled at its open
    assert limit.status == OrderStatus.FILLED and limit.price == 101 and limit.last_fill_time.day == 3


def test_an_equity_stop_asks_its_slippage_model_only_when_the_bar_reaches_the_stop(folder):
    class CountingSlippage:
        def __init__(self):
            self.asked = []

        def get_slippage_approximation(self, asset, order):
            self.asked.append(asset.local_time)
            return 0.25

    class Algo(Base):
        def initialize(self):
            super().initialize()
            self.slippage = CountingSlippage()
            self.securities[self.aaa].set_slippage_model(self.slippage)

        def on_data(self, data):
            if self.time.day == 2:
                self.stop_market_order(self.aaa, 10, 104.5)

    algo, _, _ = run_algorithm(Algo, folder)
    # highs 102, 104, 104 on Jan 3, 6 and 7 stay below the stop: LEAN's EquityFillModel asks the slippage
    # model only on Jan 8 (high 105), where the bar opened below the stop (104): the stop plus the slippage
    assert algo.slippage.asked == [datetime(2020, 1, 8, 16)]
    [stop] = algo.transactions.get_orders()
    assert stop.status == OrderStatus.FILLED and stop.price == 104.75 and stop.last_fill_time.day == 8


def test_insufficient_buying_power_is_rejected(folder):
    class Algo(Base):
        def on_data(self, data):
            if self.time.day == 2:
                self.ticket = self.market_order(self.bbb, 5_000)  # $250,000 > 2x leverage on $100,000

    algo, _, _ = run_algorithm(Algo, folder)
    assert algo.ticket.status == OrderStatus.INVALID
    assert any("Insufficient buying power" in line for line in algo.logs)


def test_warm_up_rejects_orders_and_reports_its_end(folder):
    class Algo(Base):
        def initialize(self):
            super().initialize()
            self.set_start_date(2020, 1, 6)
            self.set_warm_up(2, Resolution.DAILY)
            self.seen = []

        def on_data(self, data):
            self.seen.append((self.time.day, self.is_warming_up))
            self.ticket = self.market_order(self.aaa, 1)

        def on_warmup_finished(self):
            self.seen.append(("finished", self.time.day))

    algo, record, _ = run_algorithm(Algo, folder)
    assert algo.seen[:4] == [(2, True), (3, True), ("finished", 6), (6, False)]
    assert {o.time.day for o in algo.transactions.get_orders()} == {6, 7, 8}
    assert record.equity.index[0] == pd.Timestamp("2020-01-06 16:00")


FX_DAYS = ["2020-01-06", "2020-01-07", "2020-01-08"]


def _lean_forex_hours(root):
    """LEAN's Oanda hours: a daily break 16:58-17:03 New York from Sunday 17:03 to Friday 16:58."""
    from datetime import timedelta as td

    from lean_local.data import formats, market_hours
    from lean_local.data.market_hours import MarketHoursEntry, Segment

    day = td(days=1)
    morning, evening = Segment(td(0), td(hours=16, minutes=58), "market"), Segment(td(hours=17, minutes=3), day,
                                                                                     "market")
    segments = {i: [morning, evening] for i in range(4)}
    segments.update({4: [morning], 5: [], 6: [evening]})
    entries = market_hours.generated_market_hours(2019, 2021)
    entries["Forex-oanda-[*]"] = MarketHoursEntry("America/New_York", "UTC", segments)
    market_hours.write_market_hours_database(formats.market_hours_path(root), entries)


@pytest.mark.parametrize("pair, mid, spread", [("USDJPY", 100.0, 0.02), ("USDCAD", 1.25, 0.0002)])
def test_forex_quote_currency_is_converted_to_the_account_currency(tmp_path, pair, mid, spread):
    root = fixtures.data_folder(tmp_path / "data")
    _lean_forex_hours(root)
    fixtures.write_forex(root, pair, FX_DAYS, [mid] * 3, spread=spread)

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 6)
            self.set_end_date(2020, 1, 8)
            self.set_cash(100_000)
            self.pair = self.add_forex(pair, Resolution.DAILY).symbol

        def on_data(self, data):
            if not self.portfolio.invested and not self.transactions.get_open_orders():
                self.market_order(self.pair, 1000)

    algo, record, _ = run_algorithm(Algo, root)
    [order] = algo.transactions.get_orders()
    # the market is open at the bar's end (19:00 New York): converted to market-on-close (LEAN
    # PR #9534), filled at the next close after the 16:58 break, at the ask
    assert order.type == OrderType.MARKET_ON_CLOSE
    assert order.price == pytest.approx(mid + spread / 2)
    book = algo.portfolio.cash_book
    quote = pair[3:]
    assert book["USD"].amount == pytest.approx(101_000)
    assert book[quote].amount == pytest.approx(-1000 * (mid + spread / 2))
    assert book[quote].conversion_rate == pytest.approx(1 / mid)
    # the spread is the only cost: half a spread on 1000 units, in USD
    assert algo.portfolio.total_portfolio_value == pytest.approx(100_000 - 1000 * spread / 2 / mid)
    assert record.total_fees == 0


def test_an_inr_account_holds_the_cash_in_inr_and_prices_the_usd_benchmark_at_a_zero_rate(tmp_path):
    """LEAN's SetAccountCurrency("INR"): the default 100,000 becomes INR at the rate 1; the USD
    benchmark's cash (SPY's quote currency) has no USDINR data, so its rate stays 0 and the
    benchmark is 0 throughout (IndiaDataRegressionAlgorithm: Tracking Error 0); fees print in ₹."""
    from lean_local.engine.common import NotSupportedError
    from lean_local.statistics import compute_statistics

    root = fixtures.data_folder(tmp_path / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"]
    for ticker, closes in (("AAA", [10, 11, 12, 13]), ("SPY", [300, 303, 306, 309])):
        fixtures.write_equity(root, ticker, fixtures.bars(days, closes))

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_account_currency("INR")
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 7)
            self.add_equity("AAA", Resolution.DAILY)
            self.refused = []

        def on_data(self, data):
            try:
                self.market_order("AAA", 1)
            except NotSupportedError as error:
                self.refused.append(str(error))

    algo, record, _ = run_algorithm(Algo, root)
    book = algo.portfolio.cash_book
    assert book.account_currency == "INR" and set(book) == {"INR", "USD"}
    assert (book["INR"].amount, book["INR"].conversion_rate) == (100_000.0, 1.0)
    assert (book["USD"].amount, book["USD"].conversion_rate) == (0.0, 0.0)
    assert algo.portfolio.total_portfolio_value == 100_000.0
    assert len(algo.refused) == 4 and "orders in a INR account" in algo.refused[0]
    assert record.account_currency == "INR" and (record.benchmark == 0).all()
    statistics = compute_statistics(record)
    assert statistics["Total Fees"] == "₹0.00" and statistics["Start Equity"] == "100000"
    assert statistics["Tracking Error"] == "0" and statistics["Beta"] == "0"
    assert algo.logs[0].endswith("Changing account currency from USD to INR...")


def test_the_account_currency_changes_only_before_a_security_is_added():
    algo = QCAlgorithm()
    algo.set_cash(5_000)
    algo.set_account_currency("EUR", 2_500)
    assert (algo.portfolio.cash_book.account_currency, algo.portfolio.cash) == ("EUR", 2_500.0)
    assert "USD" not in algo.portfolio.cash_book
    algo.set_account_currency("JPY")  # a second call changes nothing (LEAN logs it)
    assert algo.portfolio.cash_book.account_currency == "EUR"
    other = QCAlgorithm()
    other.add_equity("AAA", Resolution.DAILY)
    with pytest.raises(ValueError, match="Cannot change AccountCurrency after adding a Security"):
        other.set_account_currency("INR")
