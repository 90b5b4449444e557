"""Portfolio statistics (``PortfolioStatistics.cs``, ``Statistics.cs``) from the sampled series."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

# Portfolio statistics (PortfolioStatistics.cs, Statistics.cs)


def annual_performance(returns: np.ndarray, days: int) -> float:
    """``(1 + mean daily return) ** days - 1``."""
    return float((np.mean(returns) + 1.0) ** days - 1.0)


def annual_variance(returns: np.ndarray, days: int) -> float:
    """Sample variance (ddof 1) times ``days``; 0 when undefined."""
    if len(returns) < 2:
        return 0.0
    v = float(np.var(returns, ddof=1))
    return 0.0 if not math.isfinite(v) or v == 0 else v * days


def compounding_annual_return(start_value: float, end_value: float, years: float) -> float:
    """``(end / start) ** (1 / years) - 1``; 0 when undefined."""
    if years == 0 or start_value == 0:
        return 0.0
    with np.errstate(all="ignore"):
        result = float(np.power(end_value / start_value, 1.0 / years) - 1.0)
    return result if math.isfinite(result) else 0.0


def _central_moments(returns: np.ndarray) -> tuple[float, float, float]:
    """The second, third and fourth central moments (population, ``1 / n``)."""
    deviation = returns - np.mean(returns)
    squared = deviation * deviation
    return float(np.mean(squared)), float(np.mean(squared * deviation)), float(np.mean(squared * squared))


def sample_skewness(returns: np.ndarray) -> float:
    """The bias-corrected sample skewness ``G1 = g1 * sqrt(n (n - 1)) / (n - 2)`` (MathNet's and scipy's
    ``skew(bias=False)``); NaN for fewer than 3 values or no dispersion."""
    n = len(returns)
    if n < 3:
        return float("nan")
    m2, m3, _ = _central_moments(returns)
    if m2 == 0:
        return float("nan")
    return m3 / m2**1.5 * math.sqrt(n * (n - 1.0)) / (n - 2.0)


def sample_excess_kurtosis(returns: np.ndarray) -> float:
    """The bias-corrected sample excess kurtosis ``G2`` (MathNet's and scipy's ``kurtosis(bias=False)``);
    NaN for fewer than 4 values or no dispersion."""
    n = len(returns)
    if n < 4:
        return float("nan")
    m2, _, m4 = _central_moments(returns)
    if m2 == 0:
        return float("nan")
    return ((n * n - 1.0) * m4 / m2**2 - 3.0 * (n - 1.0) ** 2) / ((n - 2.0) * (n - 3.0))


def probabilistic_sharpe_ratio(returns: np.ndarray, benchmark_sharpe: float, risk_free: float = 0.0) -> float:
    """Bailey and Lopez de Prado's PSR as LEAN computes it (excess kurtosis in the ``(k - 1) / 4`` term).

    Parameters
    ----------
    returns : np.ndarray
        Daily returns.
    benchmark_sharpe : float
        Non-annualized Sharpe ratio to beat.
    risk_free : float
        Risk-free rate per sample.
    """
    n = len(returns)
    sd = float(np.std(returns, ddof=1)) if n > 1 else float("nan")
    observed = 0.0 if not math.isfinite(sd) or sd == 0 else (float(np.mean(returns)) - risk_free) / sd
    skew, kurt = sample_skewness(returns), sample_excess_kurtosis(returns)
    radicand = (1 - skew * observed + (kurt - 1) / 4 * observed**2) / (n - 1) if n > 1 else float("nan")
    if not math.isfinite(radicand) or radicand < 0:
        return 0.0
    est = math.sqrt(radicand)
    z = 0.0 if est == 0 else (observed - benchmark_sharpe) / est
    return 0.5 * math.erfc(-z / math.sqrt(2.0))  # the standard normal CDF, exact in both tails


def drawdown_metrics(equity: pd.Series, rounding: int = 3) -> tuple[float, int]:
    """Maximum drawdown (fraction, rounded) and the longest recovery in whole days.

    A recovery runs from the peak before a drawdown to the first point back at or above it.
    """
    if len(equity) < 2:
        return 0.0, 0
    values = equity.to_numpy(dtype=float)
    times = equity.index
    peak, peak_time = values[0], times[0]
    max_dd, max_recovery = 0.0, 0.0
    dd_start = None
    # A scan, not a vectorized cummax: recovery periods need the peak's time at each new high.
    for t, v in zip(times, values, strict=True):
        if v >= peak:
            if dd_start is not None:
                max_recovery = max(max_recovery, (t - dd_start).total_seconds() / 86400.0)
                dd_start = None
            peak, peak_time = v, t
        current = v / peak - 1 if peak != 0 else 0.0
        if current < 0:
            max_dd = min(max_dd, current)
            if dd_start is None:
                dd_start = peak_time
    return float(round(abs(max_dd), rounding)), int(max_recovery)


@dataclass
class PortfolioStats:
    """LEAN's ``PortfolioStatistics`` values (fractions, not percent)."""

    average_win_rate: float = 0.0
    average_loss_rate: float = 0.0
    profit_loss_ratio: float = 0.0
    win_rate: float = 0.0
    loss_rate: float = 0.0
    expectancy: float = 0.0
    start_equity: float = 0.0
    end_equity: float = 0.0
    compounding_annual_return: float = 0.0
    drawdown: float = 0.0
    total_net_profit: float = 0.0
    sharpe_ratio: float = 0.0
    probabilistic_sharpe_ratio: float = 0.0
    sortino_ratio: float = 0.0
    alpha: float = 0.0
    beta: float = 0.0
    annual_standard_deviation: float = 0.0
    annual_variance: float = 0.0
    information_ratio: float = 0.0
    tracking_error: float = 0.0
    treynor_ratio: float = 0.0
    portfolio_turnover: float = 0.0
    value_at_risk_99: float = 0.0
    value_at_risk_95: float = 0.0
    drawdown_recovery: int = 0
    #: the equity fell below a peak at some point (a drawdown rounding to zero prints ``0.000``)
    drawdown_seen: bool = False


def portfolio_statistics(
    profit_loss: dict,
    equity: pd.Series,
    turnover: pd.Series,
    perf: np.ndarray,
    bench: np.ndarray,
    start_equity: float,
    risk_free_rate: float,
    days: int,
) -> PortfolioStats:
    """``PortfolioStatistics``'s constructor: every portfolio statistic from the sampled series."""
    s = PortfolioStats(start_equity=start_equity, end_equity=float(equity.iloc[-1]) if len(equity) else 0.0)
    if len(turnover):
        s.portfolio_turnover = float(turnover.mean())
    if start_equity == 0 or len(bench) < 2 or len(perf) < 2:
        return s

    pnl = np.array([v for _, v in sorted(profit_loss.items())], dtype=float)
    if len(pnl):
        running = start_equity + np.r_[0.0, np.cumsum(pnl)[:-1]]
        rel = pnl / running
        wins = pnl > 0
        n_win, n_loss = int(wins.sum()), int((~wins).sum())
        s.average_win_rate = float(rel[wins].sum() / n_win) if n_win else 0.0
        s.average_loss_rate = float(rel[~wins].sum() / n_loss) if n_loss else 0.0
        s.profit_loss_ratio = s.average_win_rate / abs(s.average_loss_rate) if s.average_loss_rate else 0.0
        s.win_rate = n_win / len(pnl)
        s.loss_rate = n_loss / len(pnl)
        s.expectancy = s.win_rate * s.profit_loss_ratio - s.loss_rate

    end_value = float(equity.iloc[-1])
    s.total_net_profit = end_value / start_equity - 1
    years = (equity.index[-1] - equity.index[0]).total_seconds() / 86400.0 / 365.0
    s.compounding_annual_return = compounding_annual_return(start_equity, end_value, years)

    s.annual_variance = annual_variance(perf, days)
    s.annual_standard_deviation = math.sqrt(s.annual_variance)
    bench_annual = annual_performance(bench, days)
    annual = annual_performance(perf, days)
    rf = risk_free_rate
    s.sharpe_ratio = 0.0 if s.annual_standard_deviation == 0 else (annual - rf) / s.annual_standard_deviation
    downside = math.sqrt(annual_variance(perf[perf < 0], days))
    s.sortino_ratio = 0.0 if downside == 0 else (annual - rf) / downside

    bench_var = float(np.var(bench, ddof=1))
    if math.isfinite(bench_var) and bench_var != 0:
        s.beta = float(np.cov(perf, bench, ddof=1)[0, 1] / bench_var)
    s.alpha = 0.0 if s.beta == 0 else annual - (rf + s.beta * (bench_annual - rf))
    s.tracking_error = math.sqrt(annual_variance(perf - bench, days))
    s.information_ratio = 0.0 if s.tracking_error == 0 else (annual - bench_annual) / s.tracking_error
    s.treynor_ratio = 0.0 if s.beta == 0 else (annual - rf) / s.beta
    s.probabilistic_sharpe_ratio = probabilistic_sharpe_ratio(perf, 1.0 / math.sqrt(days), rf / days)

    window = perf[-days:]
    mean, sd = float(np.mean(window)), float(np.std(window, ddof=1))
    if sd > 0:
        s.value_at_risk_99 = round(NormalDist(mean, sd).inv_cdf(0.01), 3)
        s.value_at_risk_95 = round(NormalDist(mean, sd).inv_cdf(0.05), 3)
    s.drawdown, s.drawdown_recovery = drawdown_metrics(equity, 3)
    values = equity.to_numpy(dtype=float)
    s.drawdown_seen = bool(len(values) and (values < np.maximum.accumulate(values)).any())
    return s
