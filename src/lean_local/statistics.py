"""LEAN's backtest statistics computed from a finished backtest.

The engine fills a :class:`BacktestRecord`; :func:`compute_statistics` turns it into LEAN's
statistics dictionary (names and string formatting as LEAN prints them) and
:func:`compute_total_performance` into LEAN's ``totalPerformance`` JSON object.

How LEAN samples (``BaseResultsHandler.Sample``, ``StatisticsBuilder``), reproduced here:

* A scheduled event samples the portfolio at every calendar midnight (weekends included) from the
  start date, and once more at the last data time. Each sample records the portfolio value, the
  benchmark value (``SmartRounding`` applied) and the return since the previous sample (percent,
  rounded to 10 decimals). The first sample, at the start date's midnight, is always 0%.
* Daily returns drop the first two samples (day 0 and day 1, so that market-on-open orders do not
  misalign algorithm and benchmark); benchmark returns drop their first difference.
* The ``Strategy Equity`` series holds every time step's value (rounded to 4 decimals) plus the
  midnight samples: drawdown, end equity, compounding annual return and the risk-free average use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import overload

import numpy as np
import pandas as pd
from scipy import stats as sps

#: LEAN's ``InterestRateProvider.DefaultRiskFreeRate``, used when no interest-rate file was read.
DEFAULT_RISK_FREE_RATE = 0.01
#: ``JsonRoundingConverter.FractionalDigits``: decimals in ``totalPerformance`` are written with 4.
JSON_DIGITS = 4


@dataclass
class BacktestRecord:
    """Everything a finished backtest hands to the statistics and result writers.

    Attributes
    ----------
    algorithm_name : str
        The algorithm's name (class name unless ``set_name`` was called).
    parameters : dict[str, str]
        The project's parameters as the algorithm saw them.
    start : datetime
        Start date at midnight (New York, naive).
    end : datetime
        Last data time (New York, naive); the final statistics sample is taken here.
    start_equity : float
        Portfolio value when the algorithm starts (after warm-up), account currency.
    equity : pd.Series
        Total portfolio value after each time step, index naive New York datetimes, sorted.
    benchmark : pd.Series
        Benchmark price on the same index (SPY adjusted close by default; forward-filled; 0 or
        NaN before its first price).
    risk_free_rate : pd.Series
        Interest-rate file as read: index dates, values fractions (0.0075 for 0.75%). Empty means
        LEAN's default 1%.
    orders : pd.DataFrame
        One row per order: id, symbol, type, status, direction, quantity, price (average fill),
        time (created), last_fill_time, value (account currency), fee (account currency), tag.
    fills : pd.DataFrame
        One row per fill: time, order_id, symbol, quantity (signed), fill_price (security
        currency), fill_value (account currency, signed), fee (account currency),
        conversion_rate, dollar_volume (dollar volume of the fill's bar, for capacity),
        is_long_before, realized_pnl.
    profit_loss : dict
        LEAN's ``TransactionManager.TransactionRecord``: time of each position-reducing fill ->
        its realized profit minus twice its fee (account currency).
    total_fees : float
        Sum of all order fees, account currency.
    charts : dict
        User plots: chart name -> series name -> list of (time, value).
    holdings_value_long, holdings_value_short : pd.Series or None
        Gross long (positive) and short (negative) holdings value after each step.
    logs : list[str]
        Log and debug lines, already prefixed with the algorithm time.
    state : str
        ``"Completed"``, ``"RuntimeError"`` or ``"Stopped"`` (interrupted by the user).
    error : str or None
        The runtime error message and stack trace, if any.
    trading_days_per_year : int
        ``Settings.TradingDaysPerYear`` (252 with the default brokerage model).
    account_currency : str
        Account currency code.
    time_zone : str
        Time zone of the naive times above (closed trades are reported in UTC as LEAN does).
    prices : pd.DataFrame or None
        Security price per step (columns: symbols), for the trades' MAE/MFE; without it only fill
        prices update them.
    symbol_ids : dict[str, str]
        Symbol -> LEAN ``SecurityIdentifier`` string (``"SPY R735QTJ8XC9X"``) for
        ``Lowest Capacity Asset``; the symbol itself is used when absent.
    end_date : datetime or None
        The algorithm's ``set_end_date`` (for the capacity snapshot period); ``end`` when None.
    data_folder : str or None
        The LEAN data folder the run read (absolute), so a report can say whether it was synthetic.
    capacity : tuple of (float, str) or None
        LEAN's running capacity estimate (``lean_local.engine.capacity``): the capacity rounded to
        1,000 and the lowest-capacity symbol; None (a record not built by the runner) estimates it
        from the fills afterwards (:func:`estimate_capacity`).

    Notes
    -----
    A record is final once the run has built it: :func:`analyze` keeps its result on the record, so
    the statistics, ``totalPerformance`` and the charts of the result files share one analysis.
    """

    algorithm_name: str
    parameters: dict[str, str]
    start: datetime
    end: datetime
    start_equity: float
    equity: pd.Series
    benchmark: pd.Series
    risk_free_rate: pd.Series
    orders: pd.DataFrame
    fills: pd.DataFrame
    profit_loss: dict
    total_fees: float
    charts: dict
    holdings_value_long: pd.Series | None
    holdings_value_short: pd.Series | None
    logs: list[str] = field(default_factory=list)
    state: str = "Completed"
    error: str | None = None
    trading_days_per_year: int = 252
    #: ``(capacity, lowest-capacity symbol)`` followed step by step (:mod:`lean_local.capacity`); None
    #: falls back to :func:`estimate_capacity` from the fills
    capacity: tuple[float, str] | None = None
    account_currency: str = "USD"
    time_zone: str = "America/New_York"
    prices: pd.DataFrame | None = None
    symbol_ids: dict[str, str] = field(default_factory=dict)
    end_date: datetime | None = None
    data_folder: str | None = None
    capacity: tuple[float, str] | None = None
    _analysis: StatisticsResult | None = field(default=None, init=False, repr=False, compare=False)


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "₤", "JPY": "¥", "CAD": "$", "AUD": "$", "CHF": "CHF "}


def currency_symbol(code: str) -> str:
    """LEAN's ``Currencies.GetCurrencySymbol``: ``"$"`` for USD, the code itself when unknown."""
    return CURRENCY_SYMBOLS.get(code, code)


# --------------------------------------------------------------------------------------------
# Number helpers matching C#'s rounding and printing
# --------------------------------------------------------------------------------------------


def smart_rounding(values: np.ndarray) -> np.ndarray:
    """LEAN's ``SmartRounding``: 4 decimals above 1000, otherwise 7 significant digits.

    Parameters
    ----------
    values : np.ndarray
        Prices; NaN stays NaN, 0 stays 0.
    """
    v = np.asarray(values, dtype=float)
    out = np.round(v, 4)
    small = np.isfinite(v) & (np.abs(v) <= 1000) & (v != 0)
    if small.any():
        magnitude = np.floor(np.log10(np.abs(v[small])))
        digits = (6 - magnitude).astype(int)
        out[small] = [round(x, int(d)) for x, d in zip(v[small], digits, strict=True)]
    return out


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def format_decimal(value: float, digits: int, *, keep_zeros: bool = True) -> str:
    """``Math.Round(decimal, digits).ToString()``: banker's rounding, ``digits`` decimals kept.

    An exact zero prints ``"0"`` (a C# decimal zero carries no scale in these statistics).
    """
    if value == 0 or not math.isfinite(value):
        return "0"
    q = _dec(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)  # a decimal rounded to zero prints without its sign ("0.00", not "-0.00")
    text = format(q, "f")
    if not keep_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_double(value: float, digits: int = 3) -> str:
    """``Math.Round(double, digits).ToString()``: shortest form, no trailing zeros (``-19``, ``0.02``)."""
    if not math.isfinite(value):
        return "0"
    text = format(_dec(round(value, digits)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_money(value: float) -> str:
    """``decimal.ToString("0.00")``: two decimals, midpoints away from zero.

    LEAN sums money in exact decimals; a float sum of the same amounts can land just below a midpoint
    (fees 2.195 + 1.11 + ... = 17.924999999999997), so the float is first rounded to 8 decimals.
    """
    return format(_dec(round(value, 8)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def json_decimal(value: float) -> str:
    """``JsonRoundingConverter``: a decimal written as a string rounded to 4 decimals."""
    return format_decimal(value, JSON_DIGITS, keep_zeros=False)


def round_significant(value: float, digits: int) -> float:
    """LEAN's ``RoundToSignificantDigits``."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    scale = 10 ** math.floor(math.log10(abs(value)) + 1)
    return scale * round(value / scale, digits)


# --------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------


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


def take_samples(record: BacktestRecord) -> Samples:
    """Reproduce LEAN's daily sampling from the per-step series of ``record``."""
    times = sample_times(record.start, record.end)
    equity = record.equity.astype(float).sort_index()
    value = asof_values(equity, times, record.start_equity)
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

    steps = equity[(equity.index >= times[0]) & (equity.index <= times[-1])].round(4)
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


# --------------------------------------------------------------------------------------------
# Portfolio statistics (PortfolioStatistics.cs, Statistics.cs)
# --------------------------------------------------------------------------------------------


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
    with np.errstate(all="ignore"):
        skew = float(sps.skew(returns, bias=False)) if n > 2 else float("nan")
        kurt = float(sps.kurtosis(returns, fisher=True, bias=False)) if n > 3 else float("nan")
    radicand = (1 - skew * observed + (kurt - 1) / 4 * observed**2) / (n - 1) if n > 1 else float("nan")
    if not math.isfinite(radicand) or radicand < 0:
        return 0.0
    est = math.sqrt(radicand)
    z = 0.0 if est == 0 else (observed - benchmark_sharpe) / est
    return float(sps.norm.cdf(z))


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
        s.value_at_risk_99 = round(float(sps.norm.ppf(0.01, mean, sd)), 3)
        s.value_at_risk_95 = round(float(sps.norm.ppf(0.05, mean, sd)), 3)
    s.drawdown, s.drawdown_recovery = drawdown_metrics(equity, 3)
    values = equity.to_numpy(dtype=float)
    s.drawdown_seen = bool(len(values) and (values < np.maximum.accumulate(values)).any())
    return s


# --------------------------------------------------------------------------------------------
# Closed trades (TradeBuilder: FillToFill grouping, FIFO matching, LEAN's default)
# --------------------------------------------------------------------------------------------


@dataclass
class Trade:
    """One closed trade as LEAN's ``Trade`` (times in UTC, money in account currency)."""

    symbol: str
    entry_time: pd.Timestamp
    entry_price: float
    direction: str  # "Long" or "Short"
    quantity: float
    exit_time: pd.Timestamp | None = None
    exit_price: float = 0.0
    profit_loss: float = 0.0
    total_fees: float = 0.0
    mae: float = 0.0
    mfe: float = 0.0
    end_trade_drawdown: float = 0.0
    is_win: bool = False
    order_ids: list[int] = field(default_factory=list)


@dataclass
class _Position:
    """A symbol's open trades, FIFO, each with the index of its entry fill in the symbol's price stream.

    ``start`` is the stream index of the fill that opened the position: LEAN's position minimum and
    maximum price (for MAE and MFE) run from there.
    """

    start: int
    pending: list[tuple[Trade, int]]


def _open_trade(symbol: str, time: pd.Timestamp, price: float, qty: float, fee: float, order_id: int) -> Trade:
    return Trade(symbol, time, price, "Long" if qty > 0 else "Short", abs(qty), total_fees=fee, order_ids=[order_id])


def _nanoseconds(times) -> np.ndarray:
    """Times as int64 nanoseconds since the epoch (wall-clock values for naive times)."""
    return pd.DatetimeIndex(times).as_unit("ns").asi8


@overload
def _total_seconds(ns: int) -> float: ...


@overload
def _total_seconds(ns: np.ndarray) -> np.ndarray: ...


def _total_seconds(ns):
    """``Timedelta.total_seconds`` of spans in nanoseconds, an int or an array (pandas drops the
    sub-microsecond part)."""
    return (ns // 1000) / 1e6


def _price_streams(
    symbols: list[str], fill_ns: np.ndarray, fill_prices: np.ndarray, prices: pd.DataFrame | None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every price ``TradeBuilder.SetMarketPrice`` feeds to each symbol's open position, in event order.

    LEAN updates an open position with each step's price (a missing price is skipped) and with each
    of its fills, a step's prices before that step's fills. A position, and each of its trades, sees
    the part of its symbol's stream after the fill that opened it; so one stream per symbol (the
    prices of the steps from its first fill to its last, the fills inserted) replaces the per-step
    updates of every open position.

    Returns
    -------
    streams : dict[str, np.ndarray]
        Symbol -> its prices in event order.
    positions : np.ndarray
        Each fill's index in its symbol's stream.
    """
    step_ns = _nanoseconds(prices.index) if prices is not None else np.empty(0, dtype=np.int64)
    rows_of: dict[str, list[int]] = {}
    for i, symbol in enumerate(symbols):
        rows_of.setdefault(symbol, []).append(i)
    streams: dict[str, np.ndarray] = {}
    positions = np.empty(len(symbols), dtype=np.int64)
    for symbol, row_list in rows_of.items():
        rows = np.asarray(row_list)
        if prices is not None and symbol in prices.columns:
            after = np.searchsorted(step_ns, fill_ns[rows], side="right")  # steps at or before each fill
            steps = prices[symbol].to_numpy(dtype=float)[after[0]:after[-1]]
            after -= after[0]
        else:
            after, steps = np.zeros(len(rows), dtype=np.int64), np.empty(0)
        slots = after + np.arange(len(rows))
        stream = np.empty(len(steps) + len(rows))
        is_fill = np.zeros(len(stream), dtype=bool)
        is_fill[slots] = True
        stream[slots] = fill_prices[rows]
        stream[~is_fill] = steps
        keep = is_fill | np.isfinite(stream)
        positions[rows] = (np.cumsum(keep) - 1)[slots]
        streams[symbol] = stream[keep]
    return streams, positions


def _max_drawdown(prices: np.ndarray, entry_price: float, sign: int) -> float:
    """A trade's largest fall of profit per unit from its running peak (``Trade.UpdateDrawdown``).

    The running peak starts at 0 (the entry), as LEAN's ``MaxProfit``.
    """
    profit = prices - entry_price if sign > 0 else entry_price - prices
    peak = np.maximum(np.maximum.accumulate(profit), 0.0)
    return float((peak - profit).max())


def build_trades(
    fills: pd.DataFrame, time_zone: str = "America/New_York", prices: pd.DataFrame | None = None
) -> list[Trade]:
    """Closed trades from fills with LEAN's default ``TradeBuilder`` (FillToFill, FIFO).

    Parameters
    ----------
    fills : pd.DataFrame
        Columns time, order_id, symbol, quantity, fill_price, fee, conversion_rate.
    time_zone : str
        Zone of the naive fill and price times (trades are reported in UTC).
    prices : pd.DataFrame, optional
        Security prices per step (columns symbols, index sorted like the record's ``equity``) fed
        to ``SetMarketPrice`` for MAE/MFE.
    """
    if fills is None or len(fills) == 0:
        return []
    f = fills.sort_values("time", kind="stable")
    times = pd.DatetimeIndex(f["time"])
    utc_times = list((times.tz_localize(time_zone) if times.tz is None else times).tz_convert("UTC"))
    symbols = [str(s) for s in f["symbol"].tolist()]
    quantities = [float(q) for q in f["quantity"].tolist()]
    fill_prices = [float(p) for p in f["fill_price"].tolist()]
    fees = f["fee"].tolist()
    order_ids = [int(o) for o in f["order_id"].tolist()]
    rates = [float(r or 1.0) for r in f["conversion_rate"].tolist()] if "conversion_rate" in f else [1.0] * len(f)
    streams, stream_index = _price_streams(symbols, _nanoseconds(times), np.array(fill_prices), prices)

    positions: dict[str, _Position] = {}
    closed: list[Trade] = []
    fee_assigned: set[int] = set()
    for i, symbol in enumerate(symbols):
        qty, price, rate, order_id, utc = quantities[i], fill_prices[i], rates[i], order_ids[i], utc_times[i]
        at = int(stream_index[i])
        fee = 0.0
        if order_id not in fee_assigned:
            fee = float(fees[i])
            fee_assigned.add(order_id)
        pos = positions.get(symbol)
        if pos is None:
            positions[symbol] = _Position(at, [(_open_trade(symbol, utc, price, qty, fee, order_id), at)])
            continue
        if (qty > 0) - (qty < 0) == (1 if pos.pending[0][0].direction == "Long" else -1):
            pos.pending.append((_open_trade(symbol, utc, price, qty, fee, order_id), at))
            continue
        stream = streams[symbol]
        seen = stream[pos.start:at + 1]  # this fill's price included: LEAN updates before matching
        low, high = float(seen.min()), float(seen.max())
        executed = 0.0
        fee_used = False
        abs_qty = abs(qty)
        while pos.pending and abs(executed) < abs_qty:
            tr, entry = pos.pending[0]
            sign = 1 if tr.direction == "Long" else -1
            remaining = abs_qty - abs(executed)
            adverse = low - tr.entry_price if sign > 0 else tr.entry_price - high
            favorable = high - tr.entry_price if sign > 0 else tr.entry_price - low
            drawdown = _max_drawdown(stream[entry + 1:at + 1], tr.entry_price, sign)
            if remaining >= tr.quantity:
                executed -= tr.quantity * sign
                pos.pending.pop(0)
                tr.order_ids.append(order_id)
                tr.exit_time, tr.exit_price = utc, price
                tr.profit_loss = round((price - tr.entry_price) * tr.quantity * sign * rate, 2)
                tr.total_fees += 0.0 if fee_used else fee
                tr.mae = round(adverse * tr.quantity * rate, 2)
                tr.mfe = round(favorable * tr.quantity * rate, 2)
                tr.end_trade_drawdown = round(drawdown * tr.quantity * rate, 2)
                tr.is_win = tr.profit_loss > 0
                closed.append(tr)
            else:
                executed += remaining * -sign
                tr.quantity -= remaining
                part = Trade(
                    symbol, tr.entry_time, tr.entry_price, tr.direction, remaining, utc, price,
                    round((price - tr.entry_price) * remaining * sign * rate, 2),
                    tr.total_fees + (0.0 if fee_used else fee),
                    round(adverse * remaining * rate, 2), round(favorable * remaining * rate, 2),
                    round(drawdown * remaining * rate, 2),
                    order_ids=sorted({*tr.order_ids, order_id}),
                )
                part.is_win = part.profit_loss > 0
                closed.append(part)
                tr.total_fees = 0.0
            fee_used = True
        if abs(executed) == abs_qty and not pos.pending:
            del positions[symbol]
        elif abs(executed) < abs_qty:
            rest = qty - executed
            positions[symbol] = _Position(at, [(_open_trade(symbol, utc, price, rest, 0.0, order_id), at)])
    return closed


def _durations(trades: list[Trade]) -> np.ndarray:
    """Each trade's ``Duration`` in seconds, computed on the whole list (a ``Timestamp`` difference
    per trade costs microseconds)."""
    entry = np.array([t.entry_time.value for t in trades], dtype=np.int64)
    exit_ = np.array([t.exit_time.value for t in trades], dtype=np.int64)
    return _total_seconds(exit_ - entry)


def _timespan(seconds: float) -> str:
    """A .NET ``TimeSpan`` as Json.NET writes it: ``[-][d.]hh:mm:ss[.fffffff]``."""
    ticks = round(seconds * 10_000_000)
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    days, rem = divmod(ticks, 864_000_000_000)
    hours, rem = divmod(rem, 36_000_000_000)
    minutes, rem = divmod(rem, 600_000_000)
    secs, frac = divmod(rem, 10_000_000)
    text = f"{sign}{str(days) + '.' if days else ''}{hours:02d}:{minutes:02d}:{secs:02d}"
    return text + (f".{frac:07d}" if frac else "")


def utc_iso(times, time_zone: str) -> list[str | None]:
    """Times as LEAN's JSON writes a UTC ``DateTime`` (``"2013-10-09T20:00:00Z"``), a column at once.

    Parameters
    ----------
    times : array-like of datetime
        Naive times in ``time_zone`` (a non-existent or ambiguous local time raises) or aware times.
    time_zone : str
        Zone of the naive times.

    Returns
    -------
    list of str or None
        Whole seconds (a fraction is dropped); None for a missing time.
    """
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        index = index.tz_localize(time_zone)
    text = np.datetime_as_string(index.tz_convert("UTC").tz_localize(None).to_numpy(), unit="s")
    return [None if t == "NaT" else t + "Z" for t in text.tolist()]


def trade_statistics(trades: list[Trade]) -> dict:
    """LEAN's ``TradeStatistics`` as its JSON (camelCase; decimals as 4-decimal strings)."""
    n = len(trades)
    pnl = np.array([t.profit_loss for t in trades], dtype=float)
    durations = _durations(trades)
    wins = pnl > 0
    total = float(pnl.sum()) if n else 0.0
    mae = np.array([t.mae for t in trades], dtype=float)
    mfe = np.array([t.mfe for t in trades], dtype=float)

    # Max consecutive wins / losses and the drawdown bookkeeping run trade by trade, as in LEAN.
    max_w = max_l = cw = cl = 0
    peak = 0.0
    peak_with_mfe = 0.0
    running = 0.0
    intra_dd = 0.0
    closed_dd = 0.0
    last_peak_time = trades[0].entry_time if n else None
    in_dd = False
    max_dd_duration = 0.0
    for tr in trades:
        if running + tr.mfe > peak_with_mfe:
            peak_with_mfe = running + tr.mfe
        if running + tr.mae - peak_with_mfe < intra_dd:
            intra_dd = running + tr.mae - peak_with_mfe
        running += tr.profit_loss
        if tr.profit_loss > 0:
            cw, cl = cw + 1, 0
            max_w = max(max_w, cw)
            if running > peak:
                peak = running
                if in_dd:
                    max_dd_duration = max(max_dd_duration, (tr.exit_time - last_peak_time).total_seconds())
                last_peak_time = tr.exit_time
                in_dd = False
        else:
            cw, cl = 0, cl + 1
            max_l = max(max_l, cl)
            closed_dd = min(closed_dd, running - peak)
            in_dd = True

    n_win, n_loss = int(wins.sum()), int(n - wins.sum())
    avg_profit = float(pnl[wins].mean()) if n_win else 0.0
    avg_loss = float(pnl[~wins].mean()) if n_loss else 0.0
    avg_pnl = float(pnl.mean()) if n else 0.0
    sd = float(np.std(pnl, ddof=1)) if n > 1 else 0.0
    dsd = float(np.std(pnl[~wins], ddof=1)) if n_loss > 1 else 0.0
    total_profit = float(pnl[wins].sum())
    total_loss = float(pnl[~wins].sum())
    avg_mfe = float(mfe.mean()) if n else 0.0

    def median_span(x: np.ndarray) -> str:
        return _timespan(float(np.median(x))) if len(x) else _timespan(0)

    def mean_span(x: np.ndarray) -> str:
        return _timespan(float(x.mean())) if len(x) else _timespan(0)

    return {
        "startDateTime": utc_iso([min(t.entry_time for t in trades)], "UTC")[0] if n else None,
        "endDateTime": utc_iso([max(t.exit_time for t in trades)], "UTC")[0] if n else None,
        "totalNumberOfTrades": n,
        "numberOfWinningTrades": n_win,
        "numberOfLosingTrades": n_loss,
        "totalProfitLoss": json_decimal(total),
        "totalProfit": json_decimal(total_profit),
        "totalLoss": json_decimal(total_loss),
        "largestProfit": json_decimal(max(0.0, float(pnl.max())) if n else 0.0),
        "largestLoss": json_decimal(min(0.0, float(pnl.min())) if n else 0.0),
        "averageProfitLoss": json_decimal(avg_pnl),
        "averageProfit": json_decimal(avg_profit),
        "averageLoss": json_decimal(avg_loss),
        "averageTradeDuration": mean_span(durations),
        "averageWinningTradeDuration": mean_span(durations[wins]),
        "averageLosingTradeDuration": mean_span(durations[~wins]),
        "medianTradeDuration": median_span(durations),
        "medianWinningTradeDuration": median_span(durations[wins]),
        "medianLosingTradeDuration": median_span(durations[~wins]),
        "maxConsecutiveWinningTrades": max_w,
        "maxConsecutiveLosingTrades": max_l,
        "profitLossRatio": json_decimal(avg_profit / abs(avg_loss) if avg_loss else 0.0),
        "winLossRatio": json_decimal(0.0 if n == 0 else (n_win / n_loss if n_loss else 10.0)),
        "winRate": json_decimal(n_win / n if n else 0.0),
        "lossRate": json_decimal(1 - n_win / n if n else 0.0),
        "averageMAE": json_decimal(float(mae.mean()) if n else 0.0),
        "averageMFE": json_decimal(avg_mfe),
        "largestMAE": json_decimal(min(0.0, float(mae.min())) if n else 0.0),
        "largestMFE": json_decimal(max(0.0, float(mfe.max())) if n else 0.0),
        "maximumClosedTradeDrawdown": json_decimal(closed_dd),
        "maximumIntraTradeDrawdown": json_decimal(intra_dd),
        "profitLossStandardDeviation": json_decimal(sd),
        "profitLossDownsideDeviation": json_decimal(dsd),
        "profitFactor": json_decimal(0.0 if total_profit == 0 else (total_profit / abs(total_loss) if total_loss < 0 else 10.0)),
        "sharpeRatio": json_decimal(avg_pnl / sd if sd > 0 else 0.0),
        "sortinoRatio": json_decimal(avg_pnl / dsd if dsd > 0 else 0.0),
        "profitToMaxDrawdownRatio": json_decimal(0.0 if total == 0 else (total / abs(closed_dd) if closed_dd < 0 else 10.0)),
        "maximumEndTradeDrawdown": json_decimal(max([0.0] + [t.end_trade_drawdown for t in trades])),
        "averageEndTradeDrawdown": json_decimal(avg_pnl - avg_mfe),
        "maximumDrawdownDuration": _timespan(max_dd_duration),
        "totalFees": json_decimal(sum(t.total_fees for t in trades)),
    }


def symbol_json(symbol: str, symbol_ids: dict[str, str]) -> dict:
    """A ``Symbol`` as LEAN's ``SymbolJsonConverter`` writes it."""
    return {"value": symbol, "id": symbol_ids.get(symbol, symbol), "permtick": symbol}


def closed_trades_json(trades: list[Trade], symbol_ids: dict[str, str]) -> list[dict]:
    """``closedTrades``: each ``Trade`` as LEAN serializes it.

    LEAN's trade id is a random GUID; here it is the trade's 1-based position so that results
    are reproducible.
    """
    entry_times = utc_iso([t.entry_time for t in trades], "UTC")
    exit_times = utc_iso([t.exit_time for t in trades], "UTC")
    durations = [_timespan(d) for d in _durations(trades).tolist()]
    return [{
        "id": str(number),
        "symbols": [symbol_json(trade.symbol, symbol_ids)],
        "entryTime": entry_time,
        "entryPrice": trade.entry_price,
        "direction": 0 if trade.direction == "Long" else 1,
        "quantity": trade.quantity,
        "exitTime": exit_time,
        "exitPrice": trade.exit_price,
        "profitLoss": trade.profit_loss,
        "totalFees": trade.total_fees,
        "mae": trade.mae,
        "mfe": trade.mfe,
        "duration": duration,
        "endTradeDrawdown": trade.end_trade_drawdown,
        "isWin": trade.is_win,
        "orderIds": sorted(trade.order_ids),
    } for number, (trade, entry_time, exit_time, duration) in enumerate(
        zip(trades, entry_times, exit_times, durations, strict=True), 1)]


# --------------------------------------------------------------------------------------------
# Capacity (CapacityEstimate / SymbolCapacity, daily-resolution form)
# --------------------------------------------------------------------------------------------

#: ``SymbolCapacity.ResolutionScaleFactor`` for daily bars.
DAILY_VOLUME_SCALE = 0.02
_DAY_NS = 86_400 * 10**9


def _midnight(ns: int) -> int:
    """``Timestamp.normalize`` of a naive time in nanoseconds."""
    return ns - ns % _DAY_NS


def _asof(times: np.ndarray, values: np.ndarray, at: int, default: float) -> float:
    """:func:`asof_values` of one time, on a series already split into nanoseconds and values."""
    pos = int(np.searchsorted(times, at, side="right")) - 1
    value = float(values[pos]) if pos >= 0 else default
    return value if math.isfinite(value) else default


def estimate_capacity(record: BacktestRecord) -> tuple[float, str]:
    """Estimated strategy capacity (account currency, rounded to 1000) and its lowest-capacity symbol.

    Follows ``CapacityEstimate`` on daily data: each fill adds its bar's dollar volume, discounted
    for fast trading (``2 * minutes since the symbol's previous fill / 390`` clipped to [0.2, 1]) and
    scaled by 0.02; snapshots every ``min(max(days - 1, 1), 7)`` days and at the end take the symbol
    with the smallest captured volume, divide its volume per trade by its share of the sale volume
    (or of the portfolio, from ``prices`` when given), and blend 0.33 new / 0.66 previous.
    LEAN also captures the bar after the fill's day and takes two forced snapshots at the end;
    those refinements are not reproduced, so this figure is an approximation of LEAN's.
    """
    fills = record.fills
    if fills is None or len(fills) == 0:
        return 0.0, ""
    f = fills.sort_values("time", kind="stable")
    end_date = pd.Timestamp(record.end_date or record.end)
    span_days = (end_date - pd.Timestamp(record.start)).total_seconds() / 86400.0
    # Times are naive nanoseconds from here on: pandas scalars per fill and per snapshot cost seconds.
    period = pd.Timedelta(days=max(min(span_days - 1, 7), 1)).value
    next_snapshot = pd.Timestamp(record.start).value + period
    sale: dict[str, float] = {}
    market: dict[str, float] = {}
    trades: dict[str, int] = {}
    last_fill: dict[str, int] = {}
    reset: set[str] = set()
    capacity = 0.0
    lowest = ""
    equity_times = _nanoseconds(record.equity.index)
    equity_values = record.equity.to_numpy(dtype=float)
    holdings_qty: dict[str, float] = {}
    price_columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def price_at(symbol: str, at: int) -> float:
        if symbol not in price_columns:
            column = record.prices[symbol].dropna()
            price_columns[symbol] = (_nanoseconds(column.index), column.to_numpy(dtype=float))
        return _asof(*price_columns[symbol], at, 0.0)

    def snapshot(at: int) -> None:
        nonlocal capacity, lowest
        if not market:
            return
        tpv = _asof(equity_times, equity_values, at, record.start_equity)
        if tpv == 0:
            return
        symbol = min(market, key=lambda s: market[s] * DAILY_VOLUME_SCALE)
        lowest = symbol
        total_sale = sum(sale.values())
        share_sale = sale[symbol] / total_sale if total_sale else 0.0
        share_holdings = 0.0
        if record.prices is not None and symbol in record.prices:
            share_holdings = abs(holdings_qty.get(symbol, 0.0) * price_at(symbol, at)) / tpv
        scaling = max(share_sale, share_holdings)
        daily = market[symbol] * DAILY_VOLUME_SCALE / max(trades[symbol], 1)
        new = capacity if scaling == 0 else daily / scaling
        capacity = 0.33 * new + 0.66 * capacity if capacity else new
        for s in sale:
            sale[s] = 0.0
            reset.add(s)

    volumes = [float(v or 0.0) for v in f["dollar_volume"].tolist()] if "dollar_volume" in f else [0.0] * len(f)
    for t, s, value, volume, qty in zip(
        _nanoseconds(f["time"]).tolist(), [str(s) for s in f["symbol"].tolist()], f["fill_value"].tolist(), volumes,
        f["quantity"].tolist(), strict=True,
    ):
        while _midnight(t) >= _midnight(next_snapshot):
            snapshot(next_snapshot)
            next_snapshot += period
        previous = last_fill.get(s, t - _DAY_NS)
        discount = min(1.0, max(0.2, 2.0 * _total_seconds(t - previous) / 60.0 / 390.0))
        if s in reset:
            market[s], trades[s] = 0.0, 0
            reset.discard(s)
        sale[s] = sale.get(s, 0.0) + abs(float(value))
        trades[s] = trades.get(s, 0) + 1
        market[s] = market.get(s, 0.0) + volume * discount
        last_fill[s] = t
        holdings_qty[s] = holdings_qty.get(s, 0.0) + float(qty)
    end = pd.Timestamp(record.end).value
    while _midnight(end) >= _midnight(next_snapshot):
        snapshot(next_snapshot)
        next_snapshot += period
    snapshot(end)
    rounded = round(capacity / 1000.0) * 1000.0
    return rounded, record.symbol_ids.get(lowest, lowest)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


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


def _analyze(record: BacktestRecord) -> StatisticsResult:
    samples = take_samples(record)
    perf, bench = daily_returns(samples)
    rf = average_risk_free_rate(record.risk_free_rate, samples.equity.index)
    first, last = samples.equity.index[0].normalize(), samples.equity.index[-1].normalize()
    pl = {
        k: v
        for k, v in record.profit_loss.items()
        if first <= pd.Timestamp(k) < last + pd.Timedelta(days=1)
    }
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
    return format(_dec(round_significant(value, 2)).quantize(Decimal("0.01")), "f")


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
