"""LEAN's portfolio sampling (``BaseResultsHandler.Sample``): sample times, values and daily returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from lean_local.statistics.lean_format import smart_rounding
from lean_local.statistics.record import DEFAULT_RISK_FREE_RATE, BacktestRecord

# Sampling


@dataclass
class Samples:
    """The series LEAN samples during a backtest (see the module docstring)."""

    times: pd.DatetimeIndex  # midnight samples and the final sample
    value: np.ndarray  # portfolio value at each sample
    benchmark: np.ndarray  # SmartRounded benchmark at each sample
    performance: np.ndarray  # percent return since the previous sample, first 0
    turnover: pd.Series  # Portfolio Turnover chart points (fraction)
    equity: pd.Series  # Strategy Equity points: steps (rounded 4) and samples


def asof_values(series: pd.Series, times: pd.DatetimeIndex, default: float) -> np.ndarray:
    """Last value at or before each time; ``default`` before the first."""
    if series is None or len(series) == 0:
        return np.full(len(times), default, dtype=float)
    s = series.astype(float)
    pos = s.index.searchsorted(times, side="right") - 1
    out = np.where(pos >= 0, s.to_numpy()[np.clip(pos, 0, None)], default)
    return np.where(np.isfinite(out), out, default)


def sample_times(start: datetime, end: datetime) -> pd.DatetimeIndex:
    """Every midnight from ``start`` to ``end``'s date, plus ``end`` when it is not a midnight."""
    start_ts = pd.Timestamp(start).normalize()
    end_ts = pd.Timestamp(end)
    times = pd.date_range(start_ts, end_ts.normalize(), freq="D")
    if end_ts > times[-1]:
        times = times.append(pd.DatetimeIndex([end_ts]))
    return times


#: LEAN's BacktestingResultHandler: about 4000 equity chart samples per backtest, at least 4 minutes apart
CHART_SAMPLES = 4000
MINIMUM_SAMPLE_MINUTES = 4.0


def chart_sample_mask(steps: pd.DatetimeIndex, start: datetime, end_date: datetime | None) -> np.ndarray:
    """Which time steps LEAN's equity chart samples (``ProcessSynchronousEvents``): a step is
    sampled when it is later than the previous sample plus the resample period, the backtest's
    span (start date to the end of the end date) / 4000, at least 4 minutes. With daily steps every
    step is sampled; with minute steps about every fifth."""
    keep = np.ones(len(steps), dtype=bool)
    if end_date is None or len(steps) < 2:
        return keep
    span = (pd.Timestamp(end_date).normalize() + pd.Timedelta(days=1) - pd.Timestamp(start)).total_seconds() / 60
    period = int(max(MINIMUM_SAMPLE_MINUTES, span / CHART_SAMPLES) * 60 * 10**9)
    ns = steps.asi8
    if (np.diff(ns) > period).all():
        return keep
    following = ns[0] + period
    for k in range(1, len(ns)):
        if ns[k] > following:
            following = ns[k] + period
        else:
            keep[k] = False
    return keep


def take_samples(record: BacktestRecord) -> Samples:
    """Reproduce LEAN's daily sampling from the per-step series of ``record``."""
    times = sample_times(record.start, record.end)
    equity = record.equity.astype(float).sort_index()
    value = asof_values(equity, times, record.start_equity)
    before = record.values_before_dividends
    if before is not None and len(before):  # the midnight sample precedes that step's dividends
        at = times.get_indexer(before.index)
        value[at[at >= 0]] = before.to_numpy(dtype=float)[at >= 0]
    bench = smart_rounding(asof_values(record.benchmark.sort_index(), times, 0.0))
    previous = np.r_[record.start_equity, value[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        perf = np.where(previous != 0, np.round((value - previous) * 100 / previous, 10), 0.0)

    # Portfolio turnover: sale volume since the previous sample over the portfolio value, skipping
    # the sample at the start date (LEAN samples it only after a full day).
    sale_volume = np.zeros(len(times))
    fills = record.fills
    if fills is not None and len(fills):
        fill_times = pd.DatetimeIndex(pd.to_datetime(fills["time"]))
        order = np.argsort(fill_times.values, kind="stable")
        cum = np.cumsum(np.abs(fills["fill_value"].to_numpy(dtype=float)[order]))
        pos = fill_times.values[order].searchsorted(times.values, side="right")
        sale_volume = np.where(pos > 0, cum[np.clip(pos - 1, 0, None)], 0.0)
    keep = (times != pd.Timestamp(record.start)) & (value != 0)
    prev_volume = np.r_[0.0, sale_volume[keep][:-1]]
    turnover = pd.Series((sale_volume[keep] - prev_volume) / value[keep], index=times[keep])

    steps = equity[(equity.index >= times[0]) & (equity.index <= times[-1])]
    steps = steps[chart_sample_mask(steps.index, record.start, record.end_date)].round(4)
    sampled = pd.Series(np.round(value, 4), index=times)
    eq_points = pd.concat([sampled, steps])
    eq_points = eq_points[~eq_points.index.duplicated(keep="last")].sort_index()
    return Samples(times, value, bench, perf, turnover, eq_points)


def daily_returns(samples: Samples) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm and benchmark daily returns as LEAN aligns them (fractions, equal length)."""
    perf = samples.performance[2:] / 100.0
    b = samples.benchmark
    prev = b[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(prev != 0, (b[1:] - prev) / np.where(prev != 0, prev, 1.0), 0.0)
    return perf, diff[1:]


def average_risk_free_rate(rates: pd.Series, times: pd.DatetimeIndex) -> float:
    """``GetAverageRiskFreeRate``: mean of the rate in force on each time's date.

    Dates before the file's first row take its first rate; an empty file gives LEAN's 1%.
    """
    if len(times) == 0:
        return 0.0
    if rates is None or len(rates) == 0:
        return DEFAULT_RISK_FREE_RATE
    r = rates.astype(float).sort_index()
    r.index = pd.DatetimeIndex(r.index).normalize()
    days = pd.DatetimeIndex(times).normalize()
    pos = r.index.searchsorted(days, side="right") - 1
    return float(np.mean(r.to_numpy()[np.clip(pos, 0, None)]))
