"""LEAN's statistics dictionary and ``totalPerformance`` JSON of a record (the package's entry points)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from lean_local.statistics.capacity import estimate_capacity
from lean_local.statistics.lean_format import (
    currency_symbol,
    format_decimal,
    format_double,
    format_money,
    json_decimal,
    round_significant,
    to_decimal,
)
from lean_local.statistics.portfolio import PortfolioStats, portfolio_statistics
from lean_local.statistics.record import BacktestRecord
from lean_local.statistics.sampling import Samples, average_risk_free_rate, daily_returns, take_samples
from lean_local.statistics.trades import Trade, build_trades, closed_trades_json, trade_statistics

# Public entry points


@dataclass
class StatisticsResult:
    """Everything computed once, shared by the summary and the ``totalPerformance`` JSON."""

    portfolio: PortfolioStats
    trades: list[Trade]
    samples: Samples
    capacity: float
    lowest_capacity_asset: str


def analyze(record: BacktestRecord) -> StatisticsResult:
    """Sample ``record`` and compute portfolio statistics, closed trades and capacity.

    Computed once per record and kept on it: :func:`compute_statistics`,
    :func:`compute_total_performance` and the result files' charts all start from this analysis.
    """
    if record._analysis is None:
        record._analysis = _analyze(record)
    return record._analysis


def _profit_loss_between(profit_loss: dict, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """The entries of ``profit_loss`` (closing fills' profits by time) from ``start`` to before ``end``, in
    order: the times converted at once (a ``Timestamp`` each cost more than the rest of the statistics
    of a run with tens of thousands of closing fills)."""
    times = pd.DatetimeIndex(list(profit_loss))
    return dict(itertools.compress(profit_loss.items(), ((times >= start) & (times < end)).tolist()))


def _analyze(record: BacktestRecord) -> StatisticsResult:
    samples = take_samples(record)
    perf, bench = daily_returns(samples)
    rf = average_risk_free_rate(record.risk_free_rate, samples.equity.index)
    first, last = samples.equity.index[0].normalize(), samples.equity.index[-1].normalize()
    pl = _profit_loss_between(record.profit_loss, first, last + pd.Timedelta(days=1))
    portfolio = portfolio_statistics(
        pl, samples.equity, samples.turnover, perf, bench, record.start_equity, rf, record.trading_days_per_year
    )
    trades = build_trades(record.fills, record.time_zone, record.prices)
    if record.capacity is not None:
        capacity, symbol = record.capacity
        lowest = record.symbol_ids.get(symbol, symbol)
    else:
        capacity, lowest = estimate_capacity(record)
    return StatisticsResult(portfolio, trades, samples, capacity, lowest)


def _format_expectancy(p: PortfolioStats) -> str:
    """``Math.Round(Expectancy, 3)`` with C#'s decimal scale.

    ``WinRate * ProfitLossRatio - LossRate``: with no win (or no loss) the product is an exact zero,
    so the result is ``-LossRate``, the exact quotient losses / trades, which keeps its own short form
    (``-1``, ``-0.5``) when it has at most three decimals; otherwise the rounded value keeps three.
    """
    if p.win_rate == 0 or p.profit_loss_ratio == 0:
        exact = -p.loss_rate
        if abs(round(exact, 3) - exact) < 1e-12:
            return format_decimal(exact, 3, keep_zeros=False)
    return format_decimal(p.expectancy, 3)


def _format_capacity(value: float) -> str:
    if value == 0:
        return "0"
    return format(to_decimal(round_significant(value, 2)).quantize(Decimal("0.01")), "f")


def compute_statistics(record: BacktestRecord) -> dict[str, str]:
    """LEAN's statistics dictionary for ``record`` (``StatisticsBuilder.GetSummary``).

    Returns
    -------
    dict[str, str]
        Statistic name -> value formatted as LEAN prints it (``"424.375%"``, ``"17.304"``,
        ``"$3.49"``), in LEAN's order.
    """
    res = analyze(record)
    p = res.portfolio
    cur = currency_symbol(record.account_currency)
    start_equity = (
        str(int(p.start_equity)) if float(p.start_equity).is_integer() else format_decimal(p.start_equity, 2)
    )
    end_equity = str(int(p.end_equity)) if float(p.end_equity).is_integer() else format_decimal(p.end_equity, 2)
    return {
        "Total Orders": str(0 if record.orders is None else len(record.orders)),
        "Average Win": format_decimal(p.average_win_rate * 100, 2) + "%",
        "Average Loss": format_decimal(p.average_loss_rate * 100, 2) + "%",
        "Compounding Annual Return": format_decimal(p.compounding_annual_return * 100, 3) + "%",
        "Drawdown": ("0.000" if p.drawdown == 0 and p.drawdown_seen else format_decimal(p.drawdown * 100, 3)) + "%",
        "Expectancy": _format_expectancy(p),
        "Start Equity": start_equity,
        "End Equity": end_equity,
        "Net Profit": format_decimal(p.total_net_profit * 100, 3) + "%",
        "Sharpe Ratio": format_double(p.sharpe_ratio),
        "Sortino Ratio": format_double(p.sortino_ratio),
        "Probabilistic Sharpe Ratio": format_decimal(p.probabilistic_sharpe_ratio * 100, 3) + "%",
        "Loss Rate": format_decimal(p.loss_rate * 100, 0) + "%",
        "Win Rate": format_decimal(p.win_rate * 100, 0) + "%",
        "Profit-Loss Ratio": format_decimal(p.profit_loss_ratio, 2),
        "Alpha": format_double(p.alpha),
        "Beta": format_double(p.beta),
        "Annual Standard Deviation": format_double(p.annual_standard_deviation),
        "Annual Variance": format_double(p.annual_variance),
        "Information Ratio": format_double(p.information_ratio),
        "Tracking Error": format_double(p.tracking_error),
        "Treynor Ratio": format_double(p.treynor_ratio),
        "Total Fees": cur + format_money(record.total_fees),
        "Estimated Strategy Capacity": cur + _format_capacity(res.capacity),
        "Lowest Capacity Asset": res.lowest_capacity_asset,
        "Portfolio Turnover": format_decimal(p.portfolio_turnover * 100, 2) + "%",
        "Drawdown Recovery": str(p.drawdown_recovery),
    }


def portfolio_statistics_json(p: PortfolioStats) -> dict:
    """``PortfolioStatistics`` as LEAN serializes it (decimals as 4-decimal strings)."""
    out = {
        "averageWinRate": p.average_win_rate,
        "averageLossRate": p.average_loss_rate,
        "profitLossRatio": p.profit_loss_ratio,
        "winRate": p.win_rate,
        "lossRate": p.loss_rate,
        "expectancy": p.expectancy,
        "startEquity": p.start_equity,
        "endEquity": p.end_equity,
        "compoundingAnnualReturn": p.compounding_annual_return,
        "drawdown": p.drawdown,
        "totalNetProfit": p.total_net_profit,
        "sharpeRatio": p.sharpe_ratio,
        "probabilisticSharpeRatio": p.probabilistic_sharpe_ratio,
        "sortinoRatio": p.sortino_ratio,
        "alpha": p.alpha,
        "beta": p.beta,
        "annualStandardDeviation": p.annual_standard_deviation,
        "annualVariance": p.annual_variance,
        "informationRatio": p.information_ratio,
        "trackingError": p.tracking_error,
        "treynorRatio": p.treynor_ratio,
        "portfolioTurnover": p.portfolio_turnover,
        "valueAtRisk99": p.value_at_risk_99,
        "valueAtRisk95": p.value_at_risk_95,
    }
    result: dict = {k: json_decimal(v) for k, v in out.items()}
    result["drawdownRecovery"] = p.drawdown_recovery
    return result


def compute_total_performance(record: BacktestRecord) -> dict:
    """LEAN's ``totalPerformance`` object for ``record``.

    Returns
    -------
    dict
        ``{"tradeStatistics": ..., "portfolioStatistics": ..., "closedTrades": [...]}`` with
        LEAN's camelCase keys; decimals are 4-decimal strings (``JsonRoundingConverter``).
    """
    res = analyze(record)
    return {
        "tradeStatistics": trade_statistics(res.trades),
        "portfolioStatistics": portfolio_statistics_json(res.portfolio),
        "closedTrades": closed_trades_json(res.trades, record.symbol_ids),
    }
