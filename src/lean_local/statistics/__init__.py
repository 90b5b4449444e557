"""LEAN's backtest statistics computed from a finished backtest.

The engine fills a :class:`BacktestRecord`; :func:`compute_statistics` turns it into LEAN's
statistics dictionary (names and string formatting as LEAN prints them) and
:func:`compute_total_performance` into LEAN's ``totalPerformance`` JSON object.

How LEAN samples (``BaseResultsHandler.Sample``, ``StatisticsBuilder``), reproduced here:

* A scheduled event samples the portfolio at every calendar midnight (weekends included) from the
  start date, and once more at the last data time. Each sample records the portfolio value, the
  benchmark value (``SmartRounding`` applied) and the return since the previous sample (percent,
  rounded to 10 decimals). The first sample, at the start date's midnight, is always 0%. The
  sample runs in ``realtime.SetTime``, before ``HandleDividends``: at a midnight step that pays
  dividends it takes the value before them (``BacktestRecord.values_before_dividends``).
* Daily returns drop the first two samples (day 0 and day 1, so that market-on-open orders do not
  misalign algorithm and benchmark); benchmark returns drop their first difference.
* The ``Strategy Equity`` series holds every time step's value (rounded to 4 decimals) plus the
  midnight samples: drawdown, end equity, compounding annual return and the risk-free average use it.

The package: :mod:`.record` (what the engine fills), :mod:`.lean_format` (LEAN's number printing),
:mod:`.sampling`, :mod:`.portfolio`, :mod:`.trades`, :mod:`.capacity` and :mod:`.summary` (the entry points).
"""

from lean_local.statistics.capacity import (
    DAILY_VOLUME_SCALE,
    estimate_capacity,
)
from lean_local.statistics.lean_format import (
    CURRENCY_SYMBOLS,
    currency_symbol,
    format_decimal,
    format_double,
    format_money,
    json_decimal,
    round_significant,
    smart_rounding,
    to_decimal,
)
from lean_local.statistics.portfolio import (
    PortfolioStats,
    annual_performance,
    annual_variance,
    compounding_annual_return,
    drawdown_metrics,
    portfolio_statistics,
    probabilistic_sharpe_ratio,
)
from lean_local.statistics.record import (
    DEFAULT_RISK_FREE_RATE,
    JSON_DIGITS,
    BacktestRecord,
)
from lean_local.statistics.sampling import (
    Samples,
    asof_values,
    average_risk_free_rate,
    daily_returns,
    sample_times,
    take_samples,
)
from lean_local.statistics.summary import (
    StatisticsResult,
    analyze,
    compute_statistics,
    compute_total_performance,
    portfolio_statistics_json,
)
from lean_local.statistics.trades import (
    Trade,
    as_nanoseconds,
    build_trades,
    closed_trades_json,
    symbol_json,
    total_seconds,
    trade_statistics,
    utc_iso,
)

__all__ = [
    "BacktestRecord",
    "CURRENCY_SYMBOLS",
    "DAILY_VOLUME_SCALE",
    "DEFAULT_RISK_FREE_RATE",
    "JSON_DIGITS",
    "PortfolioStats",
    "Samples",
    "StatisticsResult",
    "Trade",
    "analyze",
    "annual_performance",
    "annual_variance",
    "as_nanoseconds",
    "asof_values",
    "average_risk_free_rate",
    "build_trades",
    "closed_trades_json",
    "compounding_annual_return",
    "compute_statistics",
    "compute_total_performance",
    "currency_symbol",
    "daily_returns",
    "drawdown_metrics",
    "estimate_capacity",
    "format_decimal",
    "format_double",
    "format_money",
    "json_decimal",
    "portfolio_statistics",
    "portfolio_statistics_json",
    "probabilistic_sharpe_ratio",
    "round_significant",
    "sample_times",
    "smart_rounding",
    "symbol_json",
    "take_samples",
    "to_decimal",
    "total_seconds",
    "trade_statistics",
    "utc_iso",
]
