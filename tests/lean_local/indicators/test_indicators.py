"""Indicators against hand-computed values and pandas (LEAN's formulas, ``Indicators/*.cs``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from lean_local.engine.common import NotSupportedError, Symbol
from lean_local.engine.slice import TradeBar
from lean_local.indicators import (
    AverageTrueRange,
    BollingerBands,
    ConstantIndicator,
    ExponentialMovingAverage,
    Identity,
    IndicatorDataPoint,
    IndicatorExtensions,
    LogReturn,
    Maximum,
    Minimum,
    Momentum,
    MomentumPercent,
    MovingAverageConvergenceDivergence,
    MovingAverageType,
    RateOfChange,
    RelativeStrengthIndex,
    RollingWindow,
    SimpleMovingAverage,
    StandardDeviation,
    TrueRange,
)
from lean_local.indicators.history import run_indicator_history

T0 = datetime(2020, 1, 1, 16)
PRICES = [10.0, 11.0, 10.5, 12.0, 11.5, 13.0, 12.5, 12.0, 14.0, 13.5, 15.0, 14.0]


def feed(indicator, values=PRICES):
    out = []
    for k, value in enumerate(values):
        indicator.update(T0 + timedelta(days=k), value)
        out.append(indicator.current.value)
    return out


def test_rolling_window_indexing_is_newest_first():
    window = RollingWindow(3)
    assert window.count == 0 and not window.is_ready and window.size == 3
    for value in (1, 2, 3, 4):
        window.add(value)
    assert [window[0], window[1], window[2]] == [4, 3, 2]
    assert list(window) == [4, 3, 2]
    assert window.count == 3 and window.samples == 4 and window.is_ready
    assert window.most_recently_removed == 1
    assert window[-1] == 2  # LEAN: negative indices count from the oldest end
    assert window[3] is None and window.size == 4  # past the size: None and the window grows
    window.size = 2
    assert list(window) == [4, 3]
    with pytest.raises(RuntimeError):
        RollingWindow(3).most_recently_removed  # noqa: B018


def test_window_generic_syntax_and_reset():
    window = RollingWindow[float](2)
    window.add(1.0)
    window.reset()
    assert window.count == 0 and window.samples == 0


def test_sma_matches_pandas_rolling_and_partial_means():
    sma = SimpleMovingAverage(4)
    values = feed(sma)
    expected = pd.Series(PRICES).rolling(4, min_periods=1).mean().tolist()
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12)
    assert sma.warm_up_period == 4 and sma.is_ready and sma.samples == len(PRICES)
    assert sma.name == "SMA(4)"


def test_sma_readiness_counts():
    sma = SimpleMovingAverage(3)
    assert [sma.update(T0 + timedelta(days=k), 1.0) for k in range(4)] == [False, False, True, True]


def test_ema_seeded_with_sma_matches_pandas_ewm():
    period = 4
    values = feed(ExponentialMovingAverage(period))
    assert values[:period - 1] == [0.0] * (period - 1)
    seed = sum(PRICES[:period]) / period
    series = pd.Series([seed] + PRICES[period:])
    expected = series.ewm(alpha=2 / (period + 1), adjust=False).mean().tolist()
    np.testing.assert_allclose(values[period - 1:], expected, atol=1e-12)


def test_std_is_population_std_as_pandas_ddof0():
    values = feed(StandardDeviation(5))
    expected = pd.Series(PRICES).rolling(5, min_periods=1).std(ddof=0).fillna(0).tolist()
    np.testing.assert_allclose(values, expected, atol=1e-12)


def test_rsi_wilder_hand_worked():
    # period 3; moves +1, -0.5, +1.5, -0.5, +1.5
    rsi = RelativeStrengthIndex(3)
    assert rsi.warm_up_period == 4
    values = feed(rsi, PRICES[:6])
    assert not RelativeStrengthIndex(3).is_ready
    # after 4 inputs: gains (1, 0, 1.5) -> SMA 2.5/3, losses (0, 0.5, 0) -> 0.5/3
    gain, loss = 2.5 / 3, 0.5 / 3
    assert values[3] == pytest.approx(100 - 100 / (1 + gain / loss), abs=1e-12)
    # Wilder: avg = value/3 + avg*(2/3)
    gain, loss = 0 / 3 + gain * 2 / 3, 0.5 / 3 + loss * 2 / 3
    assert values[4] == pytest.approx(100 - 100 / (1 + gain / loss), abs=1e-12)
    gain, loss = 1.5 / 3 + gain * 2 / 3, 0 + loss * 2 / 3
    assert values[5] == pytest.approx(100 - 100 / (1 + gain / loss), abs=1e-12)
    assert rsi.is_ready and rsi.samples == 6


def test_rsi_all_gains_is_100():
    assert feed(RelativeStrengthIndex(2), [1.0, 2.0, 3.0, 4.0])[-1] == 100.0


def test_macd_lines_and_warm_up():
    macd = MovingAverageConvergenceDivergence(3, 5, 2)
    assert macd.warm_up_period == 6
    values = feed(macd)
    fast, slow = feed(ExponentialMovingAverage(3)), feed(ExponentialMovingAverage(5))
    np.testing.assert_allclose(values, np.array(fast) - np.array(slow), atol=1e-12)
    signal = ExponentialMovingAverage(2)
    for k in range(4, len(PRICES)):
        signal.update(T0 + timedelta(days=k), values[k])
    assert macd.signal.current.value == pytest.approx(signal.current.value, abs=1e-12)
    assert macd.histogram.current.value == pytest.approx(values[-1] - signal.current.value, abs=1e-12)
    ready = MovingAverageConvergenceDivergence(3, 5, 2)
    assert [ready.update(T0 + timedelta(days=k), 1.0 + k) for k in range(7)].index(True) == 5
    with pytest.raises(ValueError):
        MovingAverageConvergenceDivergence(5, 3, 2)


def test_bollinger_bands():
    bb = BollingerBands(4, 2, MovingAverageType.SIMPLE)
    values = feed(bb)
    assert values == PRICES  # the indicator's own value is the price
    last = PRICES[-4:]
    mean, std = np.mean(last), np.std(last)
    assert bb.middle_band.current.value == pytest.approx(mean)
    assert bb.upper_band.current.value == pytest.approx(mean + 2 * std)
    assert bb.lower_band.current.value == pytest.approx(mean - 2 * std)
    assert bb.band_width.current.value == pytest.approx(4 * std / mean * 100)
    assert bb.percent_b.current.value == pytest.approx((PRICES[-1] - (mean - 2 * std)) / (4 * std))
    assert bb.is_ready and bb.warm_up_period == 4 and bb.name == "BB(4,2)"


def test_change_indicators():
    assert feed(Momentum(2))[-1] == PRICES[-1] - PRICES[-3]
    assert feed(RateOfChange(2))[-1] == pytest.approx(PRICES[-1] / PRICES[-3] - 1)
    assert feed(MomentumPercent(2))[-1] == pytest.approx(100 * (PRICES[-1] / PRICES[-3] - 1))
    assert feed(LogReturn(2))[-1] == pytest.approx(np.log(PRICES[-1] / PRICES[-3]))
    roc = RateOfChange(3)
    assert roc.warm_up_period == 4
    assert [roc.update(T0 + timedelta(days=k), 1.0) for k in range(5)] == [False, False, False, True, True]
    # before period + 1 inputs, the change is against the oldest input seen
    assert feed(Momentum(5), [1.0, 4.0])[-1] == 3.0


def test_maximum_minimum_and_periods_since():
    values = [3.0, 5.0, 4.0, 2.0, 1.0, 6.0]
    assert feed(Maximum(3), values) == pd.Series(values).rolling(3, min_periods=1).max().tolist()
    assert feed(Minimum(3), values) == pd.Series(values).rolling(3, min_periods=1).min().tolist()
    maximum = Maximum(3)
    feed(maximum, values[:3])
    assert maximum.periods_since_maximum == 1


def bars(rows):
    return [TradeBar(T0 + timedelta(days=k), Symbol("SPY"), *row) for k, row in enumerate(rows)]


def test_true_range_and_atr():
    rows = [(10, 12, 9, 11, 100), (11, 13, 10, 12, 100), (12, 12.5, 8, 9, 100), (9, 10, 9, 9.5, 100)]
    tr = TrueRange()
    out = []
    for bar in bars(rows):
        tr.update(bar)
        out.append(tr.current.value)
    assert out == [3, 3, 4.5, 1]  # max(h-l, |c_prev-h|, |c_prev-l|)
    atr = AverageTrueRange(2)  # Wilder's
    for bar in bars(rows):
        atr.update(bar)
    # the smoother sees every true range (LEAN: Of(TrueRange, false)): SMA(3, 3), then Wilder's k = 1/2
    first = (3 + 3) / 2
    assert atr.current.value == pytest.approx(0.5 * 1 + 0.5 * (0.5 * 4.5 + 0.5 * first))
    with pytest.raises(NotSupportedError):
        atr.update(T0, 1.0)


def test_composition_and_events():
    std, mean = StandardDeviation(3), SimpleMovingAverage(3)
    ratio = IndicatorExtensions.over(std, mean)
    seen = []
    ratio.updated += lambda sender, point: seen.append(point.value)
    for k, value in enumerate(PRICES[:5]):
        std.update(T0 + timedelta(days=k), value)
        mean.update(T0 + timedelta(days=k), value)
    assert ratio.current.value == pytest.approx(np.std(PRICES[2:5]) / np.mean(PRICES[2:5]))
    assert len(seen) == 5 and ratio.is_ready
    upper = IndicatorExtensions.times(mean, ConstantIndicator[IndicatorDataPoint]("ct", 2.0))
    assert upper.current.value == 0.0  # a composite waits for a new value of its non-constant side
    sma_of = IndicatorExtensions.sma(Identity("x"), 2)
    assert sma_of.name == "SMA2_Of_x"
    plus = IndicatorExtensions.plus(mean, 1.5)
    mean.update(T0 + timedelta(days=9), 100.0)
    assert plus.current.value == pytest.approx(mean.current.value + 1.5)
    assert upper.current.value == pytest.approx(2 * mean.current.value)


def test_indicator_base_state_window_and_reset():
    sma = SimpleMovingAverage(2)
    assert sma.window.count == 1 and sma.current.value == 0.0  # LEAN's initial point
    feed(sma, [1.0, 3.0, 5.0])
    assert sma[0].value == 4.0 and sma[1].value == 2.0 and sma.previous.value == 2.0
    assert sma.current.end_time == T0 + timedelta(days=2)
    assert sma > 3 and sma + 1 == 5.0 and sma == 4.0
    sma.update(T0, 100.0)  # older than the last input: ignored (forward only)
    assert sma.current.value == 4.0 and sma.samples == 3
    sma.reset()
    assert sma.samples == 0 and not sma.is_ready and sma.current.value == 0.0


def test_indicator_history_records_ready_values():
    bb = BollingerBands(3, 2)
    points = [IndicatorDataPoint(Symbol("SPY"), T0 + timedelta(days=k), v) for k, v in enumerate(PRICES)]
    history = run_indicator_history(bb, points)
    assert history.count == len(PRICES) - 2
    assert [p.value for p in history.current] == PRICES[2:]
    uppers = history["upper_band"]
    assert len(uppers) == history.count and uppers[-1].value == bb.upper_band.current.value
    first = next(iter(history))
    assert first["middle_band"].value == pytest.approx(np.mean(PRICES[:3]))
    assert first.upper_band.value == uppers[0].value
    frame = history.data_frame
    assert list(frame.columns) == sorted(frame.columns) and "middleband" in frame.columns
    assert len(frame) == history.count


def test_python_indicator_subclass_gets_leans_wrapper():
    from lean_local.indicators import PythonIndicator

    class LastCloseOverOpen(PythonIndicator):
        def __init__(self, name):  # no super().__init__(), as many user indicators
            self.name = name
            self.value = 0

        def update(self, input):
            self.value = input.close / input.open
            return True

    indicator = LastCloseOverOpen("ratio")
    seen = []
    assert not indicator.is_ready
    for bar in bars([(10, 12, 9, 11, 1), (11, 13, 10, 12.1, 1)]):
        assert indicator.update(bar) is True
        if not seen:
            indicator.updated += lambda sender, point: seen.append(point.value)
    assert indicator.current.value == pytest.approx(12.1 / 11) and indicator.samples == 2
    assert seen == [pytest.approx(12.1 / 11)] and indicator.is_ready and indicator.name == "ratio"
