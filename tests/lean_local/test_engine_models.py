"""Brokerage models, shortable providers, interest-rate models, benchmarks and LEAN's slippage models.

Values are computed by hand from LEAN's definitions (quoted in each test).
"""

from __future__ import annotations

import math
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lean_local.conformance_fundamentals import LEAN_TEST_FUNDAMENTALS
from lean_local.engine import fundamental_data
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.benchmarks import FuncBenchmark
from lean_local.engine.brokerages import (
    BrokerageMessageEvent,
    BrokerageMessageType,
    BrokerageName,
    DefaultBrokerageModel,
)
from lean_local.engine.common import Market, NotSupportedError, Resolution, SecurityType, Symbol
from lean_local.engine.interest_rates import (
    ConstantRiskFreeRateInterestRateModel,
    FuncRiskFreeRateInterestRateModel,
    InterestRateProvider,
    get_average_risk_free_rate,
)
from lean_local.engine.orders import OrderStatus, UpdateOrderFields
from lean_local.engine.runner import run_algorithm
from lean_local.engine.shortable import LocalDiskShortableProvider, NullShortableProvider
from lean_local.engine.slippage import DotNetRandom, MarketImpactSlippageModel, VolumeShareSlippageModel
from lean_local.statistics import average_risk_free_rate
from tests import fixtures

DAYS = ["2013-10-07", "2013-10-08", "2013-10-09", "2013-10-10", "2013-10-11"]


@pytest.fixture
def folder(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "SPY", fixtures.bars(DAYS, [100.0, 101.0, 102.0, 103.0, 104.0]))
    fixtures.write_equity(root, "AIG", fixtures.bars(DAYS, [50.0, 50.0, 50.0, 50.0, 50.0]))
    return root


# --- brokerage models ---------------------------------------------------------------------------

def test_brokerage_message_reads_as_lean_prints_it():
    event = BrokerageMessageEvent(BrokerageMessageType.INFORMATION, "", "Symbol AIG can not be submitted")
    assert str(event) == "Information - Code:  - Symbol AIG can not be submitted"
    assert str(BrokerageMessageEvent(BrokerageMessageType.ACTION_REQUIRED, 7, "x")) == "ActionRequired - Code: 7 - x"


def test_default_brokerage_model_leverage_markets_and_unknown_names():
    model = DefaultBrokerageModel()
    equity = SimpleNamespace(type=SecurityType.EQUITY)
    assert model.get_leverage(equity) == 2.0
    assert model.get_leverage(SimpleNamespace(type=SecurityType.FOREX)) == 50.0
    assert DefaultBrokerageModel(account_type=1).get_leverage(equity) == 1.0
    assert model.default_markets[SecurityType.CRYPTO] == "coinbase"
    assert isinstance(model.get_shortable_provider(equity), NullShortableProvider)
    with pytest.raises(NotSupportedError, match="BrokerageName.GDAX"):
        BrokerageName.GDAX  # noqa: B018


class _RefusingBrokerage(DefaultBrokerageModel):
    def can_submit_order(self, security, order, message):
        if security.symbol.value == "AIG":
            return False, BrokerageMessageEvent(BrokerageMessageType.INFORMATION, "", "Symbol AIG can not be submitted")
        return True, None

    def can_update_order(self, security, order, request, message):
        return False, BrokerageMessageEvent(BrokerageMessageType.INFORMATION, "", "This order can not be updated")


def test_brokerage_refusals_invalidate_the_order_with_leans_messages(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 11)
            self.set_brokerage_model(_RefusingBrokerage())
            self.add_equity("SPY", Resolution.DAILY)
            self.add_equity("AIG", Resolution.DAILY)
            self.tickets = []

        def on_data(self, data):
            if not self.tickets:
                self.tickets = [self.market_order("SPY", 10), self.market_order("AIG", 10)]
                self.update = self.tickets[0].update(UpdateOrderFields(quantity=20))

    algo, _, _ = run_algorithm(Algo, folder)
    spy, aig = algo.tickets
    assert aig.submit_request.response.error_message == (
        "BrokerageModel declared unable to submit order: [2] Information - Code:  - Symbol AIG can not be submitted")
    assert aig.status == OrderStatus.INVALID and spy.status == OrderStatus.FILLED
    assert spy.update_requests[0].response.error_message == "OrderID: 1 Information - Code:  - This order can not be updated"
    assert spy.quantity == 10  # the refused update changed nothing


# --- shortable providers ------------------------------------------------------------------------

def _short_file(root, ticker, rows):
    path = root / "equity" / "usa" / "shortable" / "testbrokerage" / "symbols" / f"{ticker.lower()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


def test_local_disk_provider_reads_quantity_and_percent_rates(folder, monkeypatch):
    from lean_local.engine.globals import Globals

    monkeypatch.setattr(Globals, "data_folder", str(folder))
    _short_file(folder, "SPY", ["# comment", "20131007,1000,5.07,0.25", "20131008,,,"])
    provider = LocalDiskShortableProvider("TestBrokerage")
    spy = Symbol("SPY")
    assert provider.shortable_quantity(spy, datetime(2013, 10, 7, 16)) == 1000
    assert provider.rebate_rate(spy, datetime(2013, 10, 7)) == pytest.approx(0.0507)
    assert provider.fee_rate(spy, datetime(2013, 10, 7)) == pytest.approx(0.0025)
    assert provider.shortable_quantity(spy, datetime(2013, 10, 8)) is None  # empty quantity: no limit
    assert provider.shortable_quantity(spy, datetime(2013, 10, 9)) is None  # no row: no limit
    assert provider.fee_rate(spy, datetime(2013, 10, 9)) == 0.0
    assert provider.shortable_quantity(Symbol("AIG"), datetime(2013, 10, 7)) is None  # no file


class _Limit(NullShortableProvider):
    def shortable_quantity(self, symbol, local_time):
        return 1000


def test_short_orders_beyond_the_shortable_quantity_are_rejected(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 11)
            self.spy = self.add_equity("SPY", Resolution.DAILY)
            self.spy.set_shortable_provider(_Limit())
            self.tickets = []

        def on_data(self, data):
            if not self.tickets:
                # 600 open, then 500 more would reach -1100 < -1000; 400 more reaches exactly -1000
                self.tickets = [self.market_order("SPY", -600), self.market_order("SPY", -500),
                                self.market_order("SPY", -400)]
                self.before = (self.shortable("SPY", -401), self.shortable_quantity("SPY"))

    algo, _, _ = run_algorithm(Algo, folder)
    first, second, third = algo.tickets
    assert second.status == OrderStatus.INVALID
    assert second.submit_request.response.error_message == (
        "Order exceeds shortable quantity 1000 for Symbol SPY requested -500)")
    assert first.status == OrderStatus.FILLED and third.status == OrderStatus.FILLED
    assert algo.before == (False, 1000)
    assert algo.portfolio["SPY"].quantity == -1000
    assert algo.transactions.orders_count == 3


# --- interest rates -----------------------------------------------------------------------------

def test_interest_rate_provider_lookup_rules(tmp_path):
    path = tmp_path / "alternative" / "interest-rate" / "usa" / "interest-rate.csv"
    path.parent.mkdir(parents=True)
    path.write_text("DATE,PCREDIT8\n2013-01-01,0.75\n2014-01-01,1.25\n")
    provider = InterestRateProvider(tmp_path)
    assert provider.get_interest_rate(datetime(2012, 6, 1)) == 0.0075  # before the file: its first rate
    assert provider.get_interest_rate(datetime(2013, 12, 31, 16)) == 0.0075
    assert provider.get_interest_rate(datetime(2014, 1, 1)) == 0.0125
    assert provider.get_interest_rate(datetime(2030, 1, 1)) == 0.0125
    assert InterestRateProvider(tmp_path / "none").get_interest_rate(datetime(2013, 1, 1)) == 0.01
    days = [datetime(2013, 12, 31), datetime(2014, 1, 1)]
    assert get_average_risk_free_rate(provider, days) == pytest.approx(0.01)  # (0.75% + 1.25%) / 2


def test_func_and_constant_models():
    model = FuncRiskFreeRateInterestRateModel(lambda dt: 0.02 if dt.day == 1 else 0.04)
    assert model.get_interest_rate(datetime(2020, 5, 1)) == 0.02
    assert model.get_interest_rate(datetime(2020, 5, 2)) == 0.04
    assert ConstantRiskFreeRateInterestRateModel(0.05).get_interest_rate(datetime(2020, 5, 2)) == 0.05


def test_statistics_take_the_algorithms_risk_free_model(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 11)
            self.add_equity("SPY", Resolution.DAILY)
            self.set_risk_free_interest_rate_model(ConstantRiskFreeRateInterestRateModel(0.05))

    _, record, _ = run_algorithm(Algo, folder)
    assert average_risk_free_rate(record.risk_free_rate, record.equity.index) == pytest.approx(0.05)


# --- benchmarks ---------------------------------------------------------------------------------

def test_set_benchmark_with_a_function_and_a_brokerage_benchmark(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 11)
            self.add_equity("SPY", Resolution.DAILY)
            self.set_benchmark(lambda t: 2.0 if t.day % 2 else 1.0)

        def on_data(self, data):
            self.seen = self.benchmark.evaluate(self.time)

    algo, record, _ = run_algorithm(Algo, folder)
    assert isinstance(algo.benchmark, FuncBenchmark) and algo.seen == 2.0  # 2013-10-11
    assert set(record.benchmark.to_numpy()) == {1.0, 2.0}

    class Spy(Algo):
        def initialize(self):
            super().initialize()
            self._benchmark = None  # back to the brokerage model's SPY

    algo, record, _ = run_algorithm(Spy, folder)
    assert algo.seen == 104.0  # SPY's close on 2013-10-11


# --- slippage -----------------------------------------------------------------------------------

def _asset(close=100.0, volume=1_000_000.0, security_type=SecurityType.EQUITY):
    bar = SimpleNamespace(close=close, volume=volume)
    return SimpleNamespace(last_bar=lambda: bar, type=security_type, price=close)


def test_volume_share_slippage():
    model = VolumeShareSlippageModel(0.025, 0.1)
    order = SimpleNamespace(absolute_quantity=10_000)
    assert model.get_slippage_approximation(_asset(), order) == pytest.approx(0.01 ** 2 * 0.1 * 100)  # 0.001
    big = SimpleNamespace(absolute_quantity=50_000)  # 5% of the volume, capped at 2.5%
    assert model.get_slippage_approximation(_asset(), big) == pytest.approx(0.025 ** 2 * 0.1 * 100)
    assert model.get_slippage_approximation(_asset(volume=0), order) == pytest.approx(0.025 ** 2 * 0.1 * 100)
    assert model.get_slippage_approximation(_asset(security_type=SecurityType.FOREX), order) == 0.0


def test_dotnet_random_matches_system_random():
    # .NET: new Random(1).NextDouble() x3 and new Random(0).NextDouble()
    r = DotNetRandom(1)
    assert [r.next_double() for _ in range(3)] == pytest.approx(
        [0.248668584157093, 0.110743977181029, 0.467010679872246], abs=1e-15)
    assert DotNetRandom(0).next_double() == pytest.approx(0.726243269967959, abs=1e-15)


@pytest.mark.parametrize("shares_outstanding", [None, 0, 50_000_000])
def test_market_impact_slippage_by_hand(shares_outstanding):
    # closes alternate 100, 101 (returns +1% and -0.990099%), volume 1e6, order 1,000 shares; the
    # permanent impact scales by (shares outstanding / volume) ** 0.267 when the security has them
    ends = pd.date_range("2013-01-01 16:00", periods=6, freq="D")
    closes = np.array([100.0, 101.0, 100.0, 101.0, 100.0, 101.0])
    frame = pd.DataFrame({"close": closes, "volume": np.full(6, 1e6)},
                         index=pd.MultiIndex.from_arrays([["X"] * 6, ends], names=["symbol", "time"]))
    now = datetime(2013, 1, 6, 16)  # the bar ending now is not consolidated yet
    algorithm = SimpleNamespace(time=now, history=lambda *args: frame)
    segments = {d: [(pd.Timedelta(hours=9.5).to_pytimedelta(), pd.Timedelta(hours=16).to_pytimedelta())]
                for d in range(5)}
    fundamentals = SimpleNamespace(has_fundamental_data=shares_outstanding is not None,
                                   company_profile=SimpleNamespace(shares_outstanding=shares_outstanding))
    asset = SimpleNamespace(type=SecurityType.EQUITY, price=101.0, symbol="X", fundamentals=fundamentals,
                            exchange=SimpleNamespace(hours=SimpleNamespace(segments=segments)))
    model = MarketImpactSlippageModel(algorithm)
    slip = model.get_slippage_approximation(asset, SimpleNamespace(absolute_quantity=1000))

    window = closes[:5][::-1]
    returns = (window[:-1] - window[1:]) / window[1:]
    sigma = np.std(returns, ddof=1)
    volume = 1e6  # the bar of the first call's day (counted twice by LEAN) is not among the five yet
    day = 6.5 / 24
    t = 0.075 / 86_400 / day
    nu = 1000 / t / volume
    noise = sigma * math.sqrt(t + 1800 / 86_400 / day)
    r = DotNetRandom(50)
    draws = [r.next_double() for _ in range(5)]

    def gauss(a, b):
        return math.sqrt(-2 * math.log(1 - a)) * math.cos(2 * math.pi * (1 - b))

    liquidity = (shares_outstanding / volume) ** 0.267 if shares_outstanding else 1.0
    permanent = sigma * t * 0.314 * nu ** 0.891 * liquidity + gauss(draws[0], draws[1]) * noise
    temporary = sigma * 0.142 * nu ** 0.6 + gauss(draws[2], draws[3]) * noise
    expected = max(0.0, min((temporary + permanent / 2) * draws[4], 1.0)) * 101.0
    assert slip == pytest.approx(expected, rel=1e-12)
    assert slip > 0


def test_buy_and_sell_take_the_size_of_the_quantity(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 11)
            self.add_equity("SPY", Resolution.DAILY)
            self.tickets = []

        def on_data(self, data):
            if not self.tickets:
                self.tickets = [self.buy("SPY", -5), self.sell("SPY", 2)]

    algo, _, _ = run_algorithm(Algo, folder)
    assert [t.quantity for t in algo.tickets] == [5, -2]
    assert algo.portfolio["SPY"].quantity == 3


class _AtTime(QCAlgorithm):
    """SPY and AIG daily, LEAN's ``MarketImpactSlippageModelTests`` fixture: the models are asked at
    2015-06-10 15:00 (before that day's bar ends), with the security price set to 100."""

    def initialize(self):
        self.set_start_date(2015, 6, 8)
        self.set_end_date(2015, 6, 10)
        self.add_equity("SPY", Resolution.DAILY)
        self.add_equity("AIG", Resolution.DAILY)
        self.slippage = {}

    def on_end_of_algorithm(self):
        now = datetime(2015, 6, 10, 15)

        def history(symbols, start, end, resolution):
            frame = self.history(symbols, start, now, resolution)
            return frame[frame.index.get_level_values("time") <= now]

        for ticker in ("SPY", "AIG"):
            security = self.securities[ticker]
            asset = SimpleNamespace(type=security.type, price=100.0, symbol=security.symbol, exchange=security.exchange,
                                    fundamentals=security.fundamentals)
            for quantity in (100, 10_000):
                model = MarketImpactSlippageModel(SimpleNamespace(time=now, history=history))
                order = SimpleNamespace(absolute_quantity=quantity)
                self.slippage[ticker, quantity] = model.get_slippage_approximation(asset, order)


def test_market_impact_slippage_matches_leans_unit_test(lean_data_folder):
    # LEAN's Tests/Common/Orders/Slippage/MarketImpactSlippageModelTest.cs, SlippageExpectationTests:
    # SPY 100 -> 0.0 (floored at 0), SPY 10000 -> 0.5075, AIG 100 -> 0.0808, AIG 10000 -> 3.8421, within
    # 0.005. At 15:00 the consolidator has emitted the bars before the history's last one (June 8th):
    # counting June 9th's bar too gives 0.5161 and 3.7728, outside that tolerance. LEAN's test reads its
    # TestFundamentalDataProvider (SPY's shares outstanding enter the permanent impact).
    with fundamental_data.using(LEAN_TEST_FUNDAMENTALS):
        algorithm, _, _ = run_algorithm(_AtTime, lean_data_folder)
    expected = {("SPY", 100): 0.0, ("SPY", 10_000): 0.5075, ("AIG", 100): 0.0808, ("AIG", 10_000): 3.8421}
    for key, value in expected.items():
        assert algorithm.slippage[key] == pytest.approx(value, abs=0.005), key


def test_equities_outside_the_us_and_india_markets_are_refused_not_read_from_equity_usa(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2013, 10, 7)
            self.set_end_date(2013, 10, 11)
            self.add_equity("SPY", Resolution.DAILY, "japan")  # SPY exists in equity/usa: still refused

    with pytest.raises(Exception) as caught:
        run_algorithm(Algo, folder)
    assert "add_equity in market 'japan' (US and India equities only)" in str(caught.value)

    class India(QCAlgorithm):
        def initialize(self):
            self.add_equity("SPY", Resolution.DAILY, Market.INDIA)

    # an India equity needs the India exchange's hours, which the generated database lacks (LEAN's has
    # Equity-india-[*]; tests/lean_local/test_india_equities.py reads equity/india with it)
    with pytest.raises(Exception) as caught:
        run_algorithm(India, folder)
    assert "no market hours for Equity-india-SPY or its [*] entry" in str(caught.value)
