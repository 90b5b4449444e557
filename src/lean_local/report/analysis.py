"""The report's analyses beyond LEAN's statistics: worst drawdowns, rolling beta, and the strategy
beside its benchmark (as LEAN's report and quantstats show them), from daily series.

Daily series hold the last value of each calendar date (LEAN samples every calendar day, weekends
included), as :func:`lean_local.report.model.rolling_stats` uses them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WORST_DRAWDOWNS = 5
DAYS_PER_YEAR = 365.25


def daily_benchmark(benchmark: pd.Series, dates: pd.DatetimeIndex) -> pd.Series:
    """The benchmark's last price of each date of ``dates``, carried forward; NaN before its first price.

    Parameters
    ----------
    benchmark : pd.Series
        Benchmark prices (zeros, meaning no price yet, already dropped).
    dates : pd.DatetimeIndex
        The strategy's daily dates (normalized).
    """
    if benchmark.empty:
        return pd.Series(np.nan, index=dates, dtype=float)
    last = benchmark.groupby(benchmark.index.normalize()).last()
    return last.reindex(last.index.union(dates)).ffill().reindex(dates)


def worst_drawdowns(daily_equity: pd.Series, count: int = WORST_DRAWDOWNS) -> pd.DataFrame:
    """The ``count`` deepest drawdowns: peak, trough, recovery, depth and lengths.

    A drawdown starts after a date at the running peak and ends on the first date the equity is
    back at or above that peak (its recovery); one still under water at the last date has no
    recovery (``NaT``) and its length runs to the last date.

    Returns
    -------
    pd.DataFrame
        Columns ``peak``, ``trough``, ``recovery`` (dates), ``depth`` (trough / peak - 1, a
        negative fraction), ``days`` (calendar days from peak to recovery, or to the last date)
        and ``recovered`` (bool); deepest first. Empty when the equity never falls below a peak.
    """
    columns = ["peak", "trough", "recovery", "depth", "days", "recovered"]
    values = daily_equity.to_numpy(dtype=float)
    if values.size < 2:
        return pd.DataFrame(columns=columns)
    dates = daily_equity.index
    under = values < np.maximum.accumulate(values)
    edges = np.diff(np.r_[0, under.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # ends: first date back at the peak
    rows = []
    for start, end in zip(starts, ends, strict=True):
        peak = start - 1
        trough = start + int(np.argmin(values[start:end]))
        recovered = end < len(values)
        last = dates[end] if recovered else dates[-1]
        rows.append((dates[peak], dates[trough], dates[end] if recovered else pd.NaT,
                     values[trough] / values[peak] - 1.0, int((last - dates[peak]).days), recovered))
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("depth", kind="stable").head(count).reset_index(drop=True)


def rolling_beta(daily_equity: pd.Series, benchmark_daily: pd.Series, months: int = 6) -> pd.Series:
    """Rolling beta of the strategy's daily returns on the benchmark's, over the trailing ``months``.

    The window for date d holds the returns dated in ``[d - months, d]`` (as
    :func:`~lean_local.report.model.rolling_stats`); dates less than ``months`` after the first
    sample, or before the benchmark's first price, have none. ``beta = cov(r, b) / var(b)``
    (sample moments, ddof 1); NaN where the window has fewer than 2 returns or the benchmark's
    variance is 0.
    """
    empty = pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    if len(daily_equity) < 3 or benchmark_daily.isna().all():
        return empty
    r = daily_equity.pct_change().iloc[1:]
    b = benchmark_daily.pct_change(fill_method=None).iloc[1:]
    valid = b.notna().to_numpy() & r.notna().to_numpy()
    dates = r.index
    rv, bv = np.where(valid, r.to_numpy(dtype=float), 0.0), np.where(valid, b.to_numpy(dtype=float), 0.0)
    sums = [np.r_[0.0, np.cumsum(x)] for x in (valid.astype(float), rv, bv, rv * bv, bv * bv)]
    lo = dates.searchsorted(dates - pd.DateOffset(months=months), side="left")
    hi = np.arange(1, len(dates) + 1)
    n, sr, sb, srb, sbb = (s[hi] - s[lo] for s in sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (srb - sr * sb / n) / (n - 1)
        var = (sbb - sb * sb / n) / (n - 1)
        beta = np.where((n >= 2) & (var > 1e-18), cov / var, np.nan)
    keep = (dates - pd.DateOffset(months=months) >= daily_equity.index[0]) & np.isfinite(beta)
    return pd.Series(beta, index=dates)[keep]


def side_by_side(daily_equity: pd.Series, benchmark_daily: pd.Series,
                 periods_per_year: int = 252) -> list[tuple[str, str, str]]:
    """Strategy and benchmark measured the same way over the dates both have, formatted.

    Rows: total return; annual return (compounded over calendar days, 365.25 a year); annual
    volatility (sample std of daily returns x sqrt(``periods_per_year``)); Sharpe ratio (mean /
    std x sqrt(``periods_per_year``), risk-free rate 0); maximum drawdown; best and worst calendar
    year; correlation and beta of daily returns. The benchmark column is ``-`` without a benchmark.
    """
    both = pd.DataFrame({"strategy": daily_equity, "benchmark": benchmark_daily}).dropna()
    if len(both) < 2:
        both = pd.DataFrame({"strategy": daily_equity, "benchmark": np.nan})
    rows: dict[str, list[str]] = {}
    for column in ("strategy", "benchmark"):
        series = both[column].dropna()
        for name, value in _measures(series, periods_per_year).items():
            rows.setdefault(name, []).append(value)
    returns = both.pct_change(fill_method=None).iloc[1:]
    # a flat strategy (no trade) has no correlation: "-" rather than numpy's division warning
    spread = returns.std()
    correlation = returns["strategy"].corr(returns["benchmark"]) if (spread > 0).all() else np.nan
    variance = returns["benchmark"].var()
    beta = returns["strategy"].cov(returns["benchmark"]) / variance if variance and variance > 0 else np.nan
    rows["Correlation (daily returns)"] = [_number(correlation), "1.00" if np.isfinite(correlation) else "-"]
    rows["Beta (daily returns)"] = [_number(beta), "1.00" if np.isfinite(beta) else "-"]
    return [(name, *values) for name, values in rows.items()]  # type: ignore[misc]


def _measures(series: pd.Series, periods_per_year: int) -> dict[str, str]:
    names = ["Total return", "Annual return", "Annual volatility", "Sharpe ratio (risk-free 0)",
             "Maximum drawdown", "Best year", "Worst year"]
    if len(series) < 2:
        return dict.fromkeys(names, "-")
    returns = series.pct_change().iloc[1:]
    years = (series.index[-1] - series.index[0]).days / DAYS_PER_YEAR
    total = series.iloc[-1] / series.iloc[0] - 1.0
    annual = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0 and total > -1 else np.nan
    std = returns.std()
    yearly = series.resample("YE").last() / series.resample("YE").last().shift(1).fillna(series.iloc[0]) - 1.0
    drawdown = (series / series.cummax() - 1.0).min()
    values = [total, annual, std * np.sqrt(periods_per_year), np.nan, drawdown, yearly.max(), yearly.min()]
    formatted = [_percent(v) for v in values]
    formatted[3] = _number(returns.mean() / std * np.sqrt(periods_per_year) if std > 0 else np.nan)
    return dict(zip(names, formatted, strict=True))


def _percent(value: float) -> str:
    return f"{value * 100:.2f}%" if np.isfinite(value) else "-"


def _number(value: float) -> str:
    return f"{value:.2f}" if np.isfinite(value) else "-"
