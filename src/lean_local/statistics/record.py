"""The record of a finished backtest that the statistics read (what the engine fills)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # the analysis a record caches; summary imports record
    from lean_local.statistics.summary import StatisticsResult


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
    values_before_dividends : pd.Series or None
        Portfolio value before the dividends paid at a midnight step, index that step's time: LEAN's
        daily sample at midnight (``realtime.SetTime``) runs before ``HandleDividends``, so that
        midnight's sample takes this value (the step's own equity point keeps the dividend).

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
    values_before_dividends: pd.Series | None = None
    _analysis: StatisticsResult | None = field(default=None, init=False, repr=False, compare=False)
