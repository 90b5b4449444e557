"""``QCAlgorithm``'s indicator helpers in a backtest: registration before ``on_data``, warm-up,
names, consolidators and ``indicator_history`` (LEAN ``QCAlgorithm.Indicators.cs``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from lean_local.consolidators import TradeBarConsolidator
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm
from lean_local.engine.volatility import IndicatorVolatilityModel
from lean_local.indicators import MovingAverageType, SimpleMovingAverage, StandardDeviation
from tests import fixtures

DAYS = pd.bdate_range("2020-01-02", periods=30)
CLOSES = np.round(100 + np.cumsum(np.sin(np.arange(30)) * 2), 2)  # the zips store 4 decimals


@pytest.fixture
def folder(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars([d.strftime("%Y-%m-%d") for d in DAYS], CLOSES))
    return root


def test_helpers_update_before_on_data_with_leans_names_and_values(folder):
    seen: list[tuple[datetime, float, float, bool]] = []

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 2, 12)
            self.symbol_ = self.add_equity("AAA", Resolution.DAILY).symbol
            self.fast = self.sma(self.symbol_, 5)
            self.macd_ = self.macd(self.symbol_, 3, 6, 2, MovingAverageType.EXPONENTIAL, Resolution.DAILY)
            self.band = self.bb(self.symbol_, 5, 2.0, resolution=Resolution.DAILY)
            self.rsi_ = self.rsi(self.symbol_, 4)

        def on_data(self, data):
            seen.append((self.time, self.fast.current.value, data["AAA"].close, self.fast.is_ready))

    algo, _, _ = run_algorithm(Algo, folder)
    assert algo.fast.name == "SMA(5,AAA_day)"
    assert algo.macd_.name == "MACD(3,6,2,AAA_day)" and algo.band.name == "BB(5,2,AAA_day)"
    assert algo.rsi_.name == "RSI(4,Wilders,AAA_day)"
    expected = pd.Series(CLOSES).rolling(5, min_periods=1).mean().to_numpy()
    np.testing.assert_allclose([s[1] for s in seen], expected[: len(seen)], atol=1e-9)
    assert [s[3] for s in seen].index(True) == 4  # ready on the 5th bar, already inside that on_data
    assert algo.fast.current.end_time == seen[-1][0]


def test_set_warm_up_feeds_indicators_before_the_start(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 13)
            self.set_end_date(2020, 1, 20)
            self.add_equity("AAA", Resolution.DAILY)
            self.avg = self.sma("AAA", 5)
            self.set_warm_up(5, Resolution.DAILY)
            self.ready_at_start = None

        def on_data(self, data):
            if not self.is_warming_up and self.ready_at_start is None:
                self.ready_at_start = self.avg.is_ready

    algo, _, _ = run_algorithm(Algo, folder)
    assert algo.ready_at_start is True


def test_warm_up_indicator_and_indicator_history(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 20)
            self.set_end_date(2020, 1, 21)
            self.add_equity("AAA", Resolution.DAILY)

        def on_data(self, data):
            if hasattr(self, "warm"):
                return
            self.warm = SimpleMovingAverage(4)
            self.warm_up_indicator("AAA", self.warm)
            self.history_ = self.indicator_history(StandardDeviation(3), "AAA", 5)

    algo, _, _ = run_algorithm(Algo, folder)
    position = list(DAYS).index(pd.Timestamp("2020-01-20"))
    assert algo.warm.is_ready and algo.warm.samples == 4
    assert algo.warm.current.value == pytest.approx(np.mean(CLOSES[position - 3: position + 1]))
    history = algo.history_
    assert history.count == 5  # 5 values need 5 + 3 - 1 bars
    expected = pd.Series(CLOSES[: position + 1]).rolling(3).std(ddof=0).to_numpy()[-5:]
    np.testing.assert_allclose([p.value for p in history.current], expected, atol=1e-9)
    assert list(history.data_frame.columns) == ["current"]


def test_consolidate_and_add_consolidator(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 2, 12)
            self.add_equity("AAA", Resolution.DAILY)
            self.weekly: list = []
            self.threes: list = []
            self.consolidate("AAA", timedelta(days=7), self.weekly.append)
            three = TradeBarConsolidator(3)
            three.data_consolidated += lambda sender, bar: self.threes.append((self.time, bar))
            self.subscription_manager.add_consolidator("AAA", three)
            self.subscription_manager.add_consolidator("AAA", three)  # a set per subscription, as LEAN

    algo, _, _ = run_algorithm(Algo, folder)
    assert len(algo.threes) == 10
    time, bar = algo.threes[0]
    assert time == datetime(2020, 1, 6, 16) and bar.close == pytest.approx(CLOSES[2])
    assert bar.high == pytest.approx(max(CLOSES[:3])) and bar.volume == 3_000_000
    assert all(b.period == timedelta(days=7) for b in algo.weekly) and len(algo.weekly) >= 4
    with pytest.raises(ValueError, match="Please subscribe"):
        algo.subscription_manager.add_consolidator("ZZZ", TradeBarConsolidator(2))


def test_volatility_model_and_on_end_of_day(folder):
    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 10)
            equity = self.add_equity("AAA", Resolution.DAILY)
            self.std_ = StandardDeviation(3)
            equity.set_volatility_model(IndicatorVolatilityModel(
                self.std_, lambda security, data, indicator: indicator.update(data.end_time, data.close)))
            self.ends: list = []

        def on_end_of_day(self, symbol):
            self.ends.append((self.time, str(symbol), self.securities[symbol].volatility_model.volatility))

    algo, _, _ = run_algorithm(Algo, folder)
    assert [t for t, _, _ in algo.ends] == [d.to_pydatetime().replace(hour=15, minute=50) for d in DAYS[:7]]
    # at 15:50 the day's bar has not arrived: the model holds the previous days
    assert algo.ends[3][2] == pytest.approx(np.std(CLOSES[:3]))


def test_scaled_raw_bars_take_the_price_level_of_the_requests_end_date():
    """LEAN's ScaledRaw (``GetPriceScale``): each bar's factor over the factor of the request's end
    date. At the ex-date of a 2:1 split (01-06 00:00) the bars before it come at the new level."""
    from lean_local.engine.common import Symbol
    from lean_local.engine.feed import SubscriptionData
    from lean_local.engine.volatility import scaled_raw_bars

    starts = pd.DatetimeIndex(["2020-01-02 09:30", "2020-01-03 09:30", "2020-01-06 09:30"]).asi8
    ends = pd.DatetimeIndex(["2020-01-02 16:00", "2020-01-03 16:00", "2020-01-06 16:00"]).asi8
    adjusted = np.array([50.0, 51.0, 52.0])  # raw 100, 102, then 52 after the split
    data = SubscriptionData(Symbol("AAA"), "trade", starts, ends,
                            {name: adjusted for name in ("open", "high", "low", "close")} | {"volume": np.ones(3)},
                            np.array([0.5, 0.5, 1.0]))
    at_ex_date = scaled_raw_bars(data, Symbol("AAA"), int(pd.Timestamp("2020-01-06").value), 2)
    assert [bar.close for bar in at_ex_date] == [50.0, 51.0]
    before = scaled_raw_bars(data, Symbol("AAA"), int(pd.Timestamp("2020-01-03 16:00").value), 2)
    assert [bar.close for bar in before] == [100.0, 102.0]  # the raw prices of those days
