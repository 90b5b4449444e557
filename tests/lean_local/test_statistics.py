"""LEAN's statistics: the BasicTemplateDailyAlgorithm acceptance case and hand-computed formulas."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from lean_local import statistics as st
from lean_local.data import formats
from lean_local.statistics.summary import _profit_loss_between
from tests.lean_local.basic_template_daily import LEAN_STATISTICS


def _empty_orders() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["id", "symbol", "type", "status", "direction", "quantity", "price", "time",
                 "last_fill_time", "value", "fee", "tag"]
    )


def _fills(rows: list[dict]) -> pd.DataFrame:
    columns = ["time", "order_id", "symbol", "quantity", "fill_price", "fill_value", "fee",
               "conversion_rate", "dollar_volume", "is_long_before", "realized_pnl"]
    return pd.DataFrame(rows, columns=columns)


def _record(equity: pd.Series, benchmark: pd.Series, start: datetime, **kw) -> st.BacktestRecord:
    base = dict(
        algorithm_name="Test",
        parameters={},
        start=start,
        end=equity.index[-1].to_pydatetime(),
        start_equity=100_000.0,
        equity=equity,
        benchmark=benchmark,
        risk_free_rate=pd.Series([0.0], index=pd.DatetimeIndex(["2000-01-01"])),
        orders=_empty_orders(),
        fills=_fills([]),
        profit_loss={},
        total_fees=0.0,
        charts={},
        holdings_value_long=None,
        holdings_value_short=None,
    )
    base.update(kw)
    return st.BacktestRecord(**base)


# ------------------------------------------------------------------------------------------
# Acceptance: LEAN's BasicTemplateDailyAlgorithm regression statistics
# ------------------------------------------------------------------------------------------


def _basic_template_daily_record(folder) -> st.BacktestRecord:
    bars = formats.read_equity_daily(formats.equity_daily_path(folder, "spy"))
    factors = formats.read_factor_file(formats.factor_file_path(folder, "spy"))
    rates = formats.read_interest_rate(formats.interest_rate_path(folder)) / 100.0
    bars = bars.loc["2013-10-08":"2013-10-17"]
    # A bar on date d is adjusted by the factor row with the earliest date >= d.
    row = factors.index.searchsorted(bars.index, side="left")
    factor = (factors["price_factor"] * factors["split_factor"]).to_numpy()[row]
    open_, close = bars["open"].to_numpy() * factor, bars["close"].to_numpy() * factor
    # Daily bars end at 16:00 (LEAN's daily precise end time).
    steps = bars.index + pd.Timedelta(hours=16)

    quantity = 697
    fill_price = open_[1]  # market-on-open fill at the Oct 9 open
    fee = 0.005 * quantity  # IB: $0.005 a share, 3.485 printed as $3.49
    cash = 100_000.0 - quantity * fill_price - fee
    equity = np.where(steps >= pd.Timestamp("2013-10-09 16:00"), cash + quantity * close, 100_000.0)
    fill_time = steps[1]
    fills = _fills([dict(time=fill_time, order_id=1, symbol="SPY", quantity=quantity, fill_price=fill_price,
                         fill_value=quantity * fill_price, fee=fee, conversion_rate=1.0,
                         dollar_volume=close[1] * bars["volume"].iloc[1], is_long_before=False,
                         realized_pnl=0.0)])
    orders = pd.DataFrame([dict(id=1, symbol="SPY", type="MarketOnOpen", status="Filled", direction="Buy",
                                quantity=quantity, price=fill_price, time=steps[0], last_fill_time=fill_time,
                                value=quantity * fill_price, fee=fee, tag="")])
    return _record(
        pd.Series(equity, index=steps),
        pd.Series(close, index=steps),
        datetime(2013, 10, 8),
        risk_free_rate=rates,
        orders=orders,
        fills=fills,
        total_fees=fee,
        symbol_ids={"SPY": "SPY R735QTJ8XC9X"},
        end_date=datetime(2013, 10, 17, 23, 59, 59),
    )


def test_basic_template_daily_matches_lean(lean_data_folder):
    record = _basic_template_daily_record(lean_data_folder)
    result = st.compute_statistics(record)
    expected = {**LEAN_STATISTICS, "Drawdown Recovery": "1"}
    assert {k: result[k] for k in expected} == expected
    assert list(result)[0] == "Total Orders" and len(result) == 27


def test_basic_template_daily_total_performance(lean_data_folder):
    record = _basic_template_daily_record(lean_data_folder)
    perf = st.compute_total_performance(record)
    assert perf["closedTrades"] == []  # the position is never closed
    assert perf["tradeStatistics"]["totalNumberOfTrades"] == 0
    assert perf["portfolioStatistics"]["sharpeRatio"] == "17.3044"
    assert perf["portfolioStatistics"]["startEquity"] == "100000"
    assert perf["portfolioStatistics"]["drawdownRecovery"] == 1


# ------------------------------------------------------------------------------------------
# Sampling
# ------------------------------------------------------------------------------------------


def test_sample_times_cover_every_calendar_day_and_the_last_data_time():
    times = st.sample_times(datetime(2024, 1, 5), datetime(2024, 1, 8, 16))
    assert list(times) == [pd.Timestamp(x) for x in
                           ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08", "2024-01-08 16:00"]]
    # A last data time at midnight is not sampled twice.
    assert len(st.sample_times(datetime(2024, 1, 5), datetime(2024, 1, 7))) == 3


def test_take_samples_weekend_zero_returns_and_turnover():
    idx = pd.DatetimeIndex(["2024-01-05 16:00", "2024-01-08 16:00"])  # Friday, Monday
    equity = pd.Series([101_000.0, 99_990.0], index=idx)
    fills = _fills([dict(time=idx[0], order_id=1, symbol="X", quantity=10, fill_price=5000.0, fill_value=50_000.0,
                         fee=1.0, conversion_rate=1.0, dollar_volume=1e9, is_long_before=False, realized_pnl=0.0)])
    record = _record(equity, pd.Series([10.0, 11.0], index=idx), datetime(2024, 1, 5), fills=fills)
    s = st.take_samples(record)
    # samples: Fri 00:00, Sat, Sun, Mon 00:00, Mon 16:00
    np.testing.assert_allclose(s.value, [100_000, 101_000, 101_000, 101_000, 99_990])
    np.testing.assert_allclose(s.performance, [0, 1.0, 0, 0, -1.0])
    # turnover skips the start sample; the 50,000 traded Friday shows on Saturday's sample only
    np.testing.assert_allclose(s.turnover.to_numpy(), [50_000 / 101_000, 0, 0, 0])
    perf, bench = st.daily_returns(s)
    np.testing.assert_allclose(perf, [0, 0, -0.01])
    np.testing.assert_allclose(bench, [0, 0, 0.1])  # Sat/Sun flat, Monday's close 11 over Friday's 10
    # Strategy Equity: the samples plus the steps (Friday 16:00)
    assert len(s.equity) == 6 and s.equity.iloc[-1] == 99_990.0


def test_smart_rounding():
    np.testing.assert_allclose(st.smart_rounding(np.array([143.07841, 1234.567891, 1.234567891, 0.0])),
                               [143.0784, 1234.5679, 1.234568, 0.0])


# ------------------------------------------------------------------------------------------
# Formulas on tiny series
# ------------------------------------------------------------------------------------------


def test_annual_performance_and_variance():
    r = np.array([0.01, -0.02, 0.03])
    assert st.annual_performance(r, 252) == pytest.approx((1 + 0.02 / 3) ** 252 - 1)
    # sample variance of (0.01, -0.02, 0.03): mean 1/150, deviations sum of squares 0.00126667, /2
    assert st.annual_variance(r, 252) == pytest.approx(0.0012666666666 / 2 * 252)
    assert st.annual_variance(np.array([0.01]), 252) == 0.0


def test_compounding_annual_return():
    assert st.compounding_annual_return(100, 121, 2.0) == pytest.approx(0.1)
    assert st.compounding_annual_return(100, 121, 0.0) == 0.0


def test_drawdown_and_recovery():
    idx = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-07", "2024-01-08"])
    eq = pd.Series([100.0, 110.0, 99.0, 111.0, 105.0], index=idx)
    dd, recovery = st.drawdown_metrics(eq)
    assert dd == 0.1  # 110 -> 99
    assert recovery == 5  # from the peak on Jan 2 back above it on Jan 7
    assert st.drawdown_metrics(eq.iloc[:1]) == (0.0, 0)


def test_probabilistic_sharpe_ratio_against_scipy():
    r = np.array([0.01, -0.005, 0.02, 0.003, -0.01, 0.007])
    sr = r.mean() / r.std(ddof=1)
    skew = sps.skew(r, bias=False)
    kurt = sps.kurtosis(r, bias=False)
    sd = math.sqrt((1 - skew * sr + (kurt - 1) / 4 * sr**2) / (len(r) - 1))
    expected = sps.norm.cdf((sr - 0.1) / sd)
    assert st.probabilistic_sharpe_ratio(r, 0.1) == pytest.approx(expected)


def test_sample_moments_and_value_at_risk_against_scipy():
    from lean_local.statistics.portfolio import sample_excess_kurtosis, sample_skewness

    r = np.random.default_rng(3).standard_t(4, 300) * 0.01
    assert sample_skewness(r) == pytest.approx(sps.skew(r, bias=False), rel=1e-12)
    assert sample_excess_kurtosis(r) == pytest.approx(sps.kurtosis(r, bias=False), rel=1e-12)
    assert math.isnan(sample_skewness(r[:2])) and math.isnan(sample_excess_kurtosis(r[:3]))
    assert math.isnan(sample_skewness(np.full(5, 0.01))) and math.isnan(sample_excess_kurtosis(np.zeros(5)))
    assert st.probabilistic_sharpe_ratio(np.full(10, 0.01), 0.1) == 0.0
    # Deep in a tail (z about -16) the CDF keeps its relative precision.
    losing = np.random.default_rng(4).normal(-0.003, 0.01, 2000)
    sr = losing.mean() / losing.std(ddof=1)
    sd = math.sqrt((1 - sps.skew(losing, bias=False) * sr + (sps.kurtosis(losing, bias=False) - 1) / 4 * sr**2)
                   / (len(losing) - 1))
    expected = sps.norm.cdf((sr - 0.1) / sd)
    assert 0 < expected < 1e-50
    assert st.probabilistic_sharpe_ratio(losing, 0.1) == pytest.approx(expected, rel=1e-9)


def test_portfolio_statistics_hand_computed():
    perf = np.array([0.01, -0.01, 0.02, 0.0])
    bench = np.array([0.005, -0.005, 0.01, 0.0])  # exactly half of perf
    idx = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-12-31"])
    equity = pd.Series([100.0, 101.0, 99.99, 101.9898, 110.0], index=idx)
    pl = {pd.Timestamp("2024-01-02"): 10.0, pd.Timestamp("2024-01-03"): -5.0, pd.Timestamp("2024-01-04"): 20.0}
    s = st.portfolio_statistics(pl, equity, pd.Series([0.1, 0.3]), perf, bench, 100.0, 0.02, 252)
    annual = (1 + 0.005) ** 252 - 1
    bench_annual = (1 + 0.0025) ** 252 - 1
    sd = math.sqrt(np.var(perf, ddof=1) * 252)
    assert s.beta == pytest.approx(2.0)
    assert s.sharpe_ratio == pytest.approx((annual - 0.02) / sd)
    assert s.sortino_ratio == 0.0  # a single negative return has no sample deviation
    assert s.alpha == pytest.approx(annual - (0.02 + 2 * (bench_annual - 0.02)))
    assert s.tracking_error == pytest.approx(math.sqrt(np.var(perf - bench, ddof=1) * 252))
    assert s.information_ratio == pytest.approx((annual - bench_annual) / s.tracking_error)
    assert s.treynor_ratio == pytest.approx((annual - 0.02) / 2)
    assert s.portfolio_turnover == pytest.approx(0.2)
    assert s.total_net_profit == pytest.approx(0.1)
    assert s.compounding_annual_return == pytest.approx(1.1 ** (365 / 365) - 1)
    # trades as fractions of running capital: +10/100, -5/110, +20/105
    assert s.average_win_rate == pytest.approx((0.1 + 20 / 105) / 2)
    assert s.average_loss_rate == pytest.approx(-5 / 110)
    assert s.win_rate == pytest.approx(2 / 3) and s.loss_rate == pytest.approx(1 / 3)
    assert s.expectancy == pytest.approx(2 / 3 * s.profit_loss_ratio - 1 / 3)


def test_average_risk_free_rate_forward_fills_and_defaults():
    rates = pd.Series([0.02, 0.04], index=pd.to_datetime(["2020-01-01", "2020-01-03"]))
    times = pd.DatetimeIndex([pd.Timestamp(x) for x in ["2019-12-31", "2020-01-02 16:00", "2020-01-03", "2020-01-05"]])
    assert st.average_risk_free_rate(rates, times) == pytest.approx((0.02 + 0.02 + 0.04 + 0.04) / 4)
    assert st.average_risk_free_rate(pd.Series(dtype=float), times) == st.DEFAULT_RISK_FREE_RATE


def test_formatting_like_csharp():
    assert st.format_double(-18.9995) == "-19"
    assert st.format_double(0.0199) == "0.02"
    assert st.format_double(17.30438) == "17.304"
    assert st.format_decimal(0.8, 3) == "0.800"
    assert st.format_decimal(0.0, 3) == "0"
    assert st.format_decimal(2.5, 0) == "2"  # banker's rounding
    assert st.format_money(3.485) == "3.49"  # "0.00" rounds midpoints away from zero
    assert st.json_decimal(17.30438263) == "17.3044"
    assert st.json_decimal(100000.0) == "100000"


# ------------------------------------------------------------------------------------------
# Closed trades and trade statistics
# ------------------------------------------------------------------------------------------


def _fill(t, oid, qty, price, fee=1.0):
    return dict(time=pd.Timestamp(t), order_id=oid, symbol="X", quantity=qty, fill_price=price,
                fill_value=qty * price, fee=fee, conversion_rate=1.0, dollar_volume=1e8,
                is_long_before=False, realized_pnl=0.0)


def test_fill_to_fill_fifo_partial_close_and_reversal():
    fills = _fills([
        _fill("2024-01-02 16:00", 1, 10, 100.0),
        _fill("2024-01-03 16:00", 2, 5, 110.0),
        _fill("2024-01-04 16:00", 3, -12, 120.0),  # closes the first 10 and 2 of the second
        _fill("2024-01-05 16:00", 4, -10, 90.0),  # closes the last 3, opens a 7 short
        _fill("2024-01-08 16:00", 5, 7, 95.0),  # covers the short at a loss
    ])
    trades = st.build_trades(fills)
    assert [(t.quantity, t.entry_price, t.exit_price, t.profit_loss) for t in trades] == [
        (10, 100.0, 120.0, 200.0),
        (2, 110.0, 120.0, 20.0),
        (3, 110.0, 90.0, -60.0),
        (7, 90.0, 95.0, -35.0),
    ]
    assert [t.direction for t in trades] == ["Long", "Long", "Long", "Short"]
    # order fees: the entry fee goes to its trade, each closing order's fee only once (to the first
    # trade it closes); the partly closed trade's entry fee goes to its first closed part
    assert [t.total_fees for t in trades] == [2.0, 1.0, 1.0, 1.0]
    assert trades[0].entry_time == pd.Timestamp("2024-01-02 21:00", tz="UTC")
    # MFE/MAE from the prices seen while open (fills only here): high 120, low 90
    assert trades[0].mfe == 200.0 and trades[0].mae == 0.0
    assert trades[2].mae == pytest.approx(-60.0)

    ts = st.trade_statistics(trades)
    assert ts["totalNumberOfTrades"] == 4
    assert ts["numberOfWinningTrades"] == 2 and ts["numberOfLosingTrades"] == 2
    assert ts["totalProfitLoss"] == "125"
    assert ts["largestLoss"] == "-60"
    assert ts["maxConsecutiveLosingTrades"] == 2
    assert ts["maximumClosedTradeDrawdown"] == "-95"
    assert ts["profitFactor"] == format(220 / 95, ".4f")
    assert ts["averageTradeDuration"] == "2.00:00:00"  # (2d + 1d + 2d + 3d) / 4


def test_timespan_format():
    assert st.trades._timespan(0) == "00:00:00"
    assert st.trades._timespan(86400 * 3 + 3661.5) == "3.01:01:01.5000000"


def test_trades_mae_mfe_and_drawdown_from_step_prices():
    """``SetMarketPrice`` order: a step's price before that step's fills, missing prices skipped,
    the position's low and high shared by its trades, a reversal starting a fresh position."""
    steps = pd.date_range("2024-01-01 16:00", periods=7, freq="D")
    prices = pd.DataFrame({"X": [80.0, 90.0, np.nan, 120.0, 105.0, 100.0, 115.0]}, index=steps)
    fills = _fills([
        _fill(steps[0], 1, 10, 100.0),  # the 80 of this step comes before the position opens
        _fill(steps[2], 2, 5, 95.0),  # adds a trade; its own step has no price
        _fill(steps[4], 3, -20, 110.0),  # after the step's 105: closes both, opens 5 short at 110
        _fill(steps[6], 4, 5, 112.0),  # covers after the step's 115
    ])
    trades = st.build_trades(fills, prices=prices)
    assert [(t.direction, t.quantity, t.entry_price, t.exit_price, t.profit_loss, t.total_fees) for t in trades] == [
        ("Long", 10, 100.0, 110.0, 100.0, 2.0),
        ("Long", 5, 95.0, 110.0, 75.0, 1.0),
        ("Short", 5, 110.0, 112.0, -10.0, 1.0),
    ]
    # position low 90 and high 120; the second trade's MAE uses the low seen before its entry
    assert [(t.mae, t.mfe) for t in trades[:2]] == [(-100.0, 200.0), (-25.0, 125.0)]
    # the short sees only its own position's prices: low 100, high 115
    assert (trades[2].mae, trades[2].mfe) == (-25.0, 50.0)
    # profit per unit falls from its peak (20 at 120) to 5 at 105, (25 to 10), (10 at 100 to -5 at 115)
    assert [t.end_trade_drawdown for t in trades] == [150.0, 75.0, 75.0]
    assert st.build_trades(fills) != trades  # fill prices alone see neither the 90 nor the 120


def test_utc_iso_formats_a_column():
    times = pd.Series([pd.Timestamp("2024-01-05 16:00"), pd.Timestamp("2024-07-05 16:00:00.9"), pd.NaT])
    assert st.utc_iso(times, "America/New_York") == ["2024-01-05T21:00:00Z", "2024-07-05T20:00:00Z", None]
    assert st.utc_iso([pd.Timestamp("2024-01-05 21:00", tz="UTC")], "America/New_York") == ["2024-01-05T21:00:00Z"]
    assert st.utc_iso([], "UTC") == []


def test_analysis_is_computed_once_per_record(monkeypatch):
    idx = pd.DatetimeIndex(["2024-01-05 16:00", "2024-01-08 16:00"])
    record = _record(pd.Series([100_000.0, 101_000.0], index=idx), pd.Series([10.0, 11.0], index=idx),
                     datetime(2024, 1, 5))
    calls = []
    analyze = st.summary._analyze
    monkeypatch.setattr(st.summary, "_analyze", lambda r: calls.append(r) or analyze(r))
    st.compute_statistics(record)
    st.compute_total_performance(record)
    assert st.analyze(record) is st.analyze(record)
    assert calls == [record]


def test_a_midnight_sample_precedes_that_steps_dividends():
    """LEAN samples at midnight in ``realtime.SetTime``, before ``HandleDividends`` pays the dividends
    of that time slice: the sample (and the daily return) takes the value before the dividend, the
    step's equity point keeps it."""
    times = pd.DatetimeIndex(["2020-01-02 16:00", "2020-01-03 00:00", "2020-01-03 16:00"])
    equity = pd.Series([100_000.0, 100_050.0, 100_050.0], index=times)  # a $50 dividend at 01-03 00:00
    benchmark = pd.Series([1.0, 1.0, 1.0], index=times)
    before = pd.Series([100_000.0], index=pd.DatetimeIndex(["2020-01-03"]))
    samples = st.take_samples(_record(equity, benchmark, datetime(2020, 1, 2), values_before_dividends=before))
    assert list(samples.times) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03"), times[-1]]
    assert list(samples.value) == [100_000.0, 100_000.0, 100_050.0]
    assert list(samples.performance) == [0.0, 0.0, 0.05]
    assert samples.equity[pd.Timestamp("2020-01-03")] == 100_050.0
    plain = st.take_samples(_record(equity, benchmark, datetime(2020, 1, 2)))
    assert list(plain.value) == [100_000.0, 100_050.0, 100_050.0]


def test_the_profit_loss_taken_is_the_samples_days_in_order():
    """Closing fills' profits from the first sample's day to the end of the last one's, in their order: a
    profit before the start day and one on the day after are left out, 1 ms apart ones kept."""
    profit_loss = {datetime(2020, 1, 1, 23, 59): 1.0, datetime(2020, 1, 2, 16): 2.0,
                   datetime(2020, 1, 2, 16, 0, 0, 1000): -3.0, datetime(2020, 1, 3, 23, 59, 59): 4.0,
                   datetime(2020, 1, 4): 5.0}
    kept = _profit_loss_between(profit_loss, pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-04"))
    assert list(kept.items()) == [(datetime(2020, 1, 2, 16), 2.0), (datetime(2020, 1, 2, 16, 0, 0, 1000), -3.0),
                                  (datetime(2020, 1, 3, 23, 59, 59), 4.0)]
    assert _profit_loss_between({}, pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-04")) == {}
