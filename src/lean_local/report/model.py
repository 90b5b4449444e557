"""The numbers behind a backtest report, read from LEAN's result JSON (``<id>.json``).

Everything here is computed from the result file alone (plus the data folder's ``synthetic.json``
marker), so a report can be rebuilt later from any LEAN-shaped result, ours or LEAN's.
Chart times in the file are unix seconds in UTC; they are shown as naive UTC times. LEAN samples
the equity at midnight New York (05:00 or 04:00 UTC), so every sample keeps its calendar date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local import workspace

# Charts LEAN draws for every algorithm; any other chart in the file came from ``self.plot``.
DEFAULT_CHARTS = frozenset({"Strategy Equity", "Benchmark", "Drawdown", "Portfolio Turnover", "Exposure",
                            "Capacity", "Assets Sales Volume", "Strategy Capacity", "Alpha", "Insights"})
ORDER_STATUS_FILLED = 3
ROLLING_MONTHS = 6


class ResultFileError(ValueError):
    """The file is not a LEAN backtest result (``<id>.json``)."""


@dataclass
class ReportData:
    """What the report shows, as pandas objects (dates naive UTC).

    Attributes
    ----------
    name : str
        The algorithm's name.
    statistics, runtime_statistics : dict[str, str]
        LEAN's formatted statistics, as in the result file.
    parameters : dict[str, str]
        ``algorithmConfiguration.parameters``.
    start_date, end_date : str
        ``algorithmConfiguration`` start and end dates (``YYYY-MM-DD HH:MM:SS``).
    status, error : str
        ``state.Status`` and ``state.RuntimeError``.
    currency : str
        Unit of the ``Equity`` series (``"$"``).
    equity : pd.Series
        Portfolio value at each sample (the candles' close), account currency.
    benchmark : pd.Series
        Benchmark price at each sample; zeros (no price yet) dropped.
    drawdown : pd.Series
        LEAN's ``Equity Drawdown`` series, percent (0 or negative).
    daily_equity : pd.Series
        Last equity of each calendar date.
    monthly_returns, yearly_returns : pd.Series
        Fractional return of each calendar month/year, from the last equity of the period before
        (the first equity sample for the first period); index the period's last day.
    rolling_sharpe, rolling_volatility : pd.Series
        Annualized over the trailing 6 calendar months of daily returns (see :func:`rolling_stats`).
    exposure : pd.DataFrame
        Columns ``long``, ``short``, ``net``: holdings value / portfolio value (short negative).
        Empty when the result has no ``Exposure`` chart.
    positions : pd.Series
        Number of symbols held after each fill time (filled orders only).
    trades : pd.DataFrame
        One row per closed trade (``totalPerformance.closedTrades``).
    user_charts : dict[str, dict[str, pd.Series]]
        The algorithm's own ``plot()`` charts.
    user_series_types : dict[tuple[str, str], int]
        LEAN's ``seriesType`` per (chart, series): 0 line, 1 scatter, 3 bar.
    benchmark_daily : pd.Series
        The benchmark's price on each date of ``daily_equity`` (NaN before its first price).
    benchmark_yearly : pd.Series
        The benchmark's compounded return of each calendar year (empty without a benchmark).
    rolling_beta : pd.Series
        Beta on the benchmark over the trailing 6 calendar months (see :func:`analysis.rolling_beta`).
    drawdowns : pd.DataFrame
        The five deepest drawdowns (see :func:`analysis.worst_drawdowns`).
    comparison : list[tuple[str, str, str]]
        Strategy and benchmark measured alike (see :func:`analysis.side_by_side`).
    description : str
        The project's ``config.json`` description ("" when unknown).
    """

    name: str
    statistics: dict[str, str]
    runtime_statistics: dict[str, str]
    parameters: dict[str, str]
    start_date: str
    end_date: str
    status: str
    error: str
    currency: str
    equity: pd.Series
    benchmark: pd.Series
    drawdown: pd.Series
    daily_equity: pd.Series
    monthly_returns: pd.Series
    yearly_returns: pd.Series
    rolling_sharpe: pd.Series
    rolling_volatility: pd.Series
    exposure: pd.DataFrame
    positions: pd.Series
    trades: pd.DataFrame
    user_charts: dict[str, dict[str, pd.Series]] = field(default_factory=dict)
    user_series_types: dict[tuple[str, str], int] = field(default_factory=dict)
    benchmark_daily: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    benchmark_yearly: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    rolling_beta: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    drawdowns: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: list[tuple[str, str, str]] = field(default_factory=list)
    description: str = ""


def series_from_chart(series_json: dict) -> pd.Series:
    """A LEAN chart series as a float Series indexed by naive UTC time.

    Candles (``[t, o, h, l, c]``) give their close; points (``[t, v]``) their value; a point
    serialized as ``{"x": t, "y": v}`` is accepted too. Repeated times keep the last value.
    """
    values = series_json.get("values") or []
    if not values:
        return pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    if isinstance(values[0], dict):
        times = [v["x"] for v in values]
        vals = [np.nan if v.get("y") is None else v["y"] for v in values]
    else:
        times = [v[0] for v in values]
        vals = [np.nan if v[-1] is None else v[-1] for v in values]
    index = pd.to_datetime(np.asarray(times, dtype=np.int64), unit="s")
    out = pd.Series(np.asarray(vals, dtype=float), index=index)
    return out[~out.index.duplicated(keep="last")].sort_index()


def _chart_series(charts: dict, chart: str, series: str) -> pd.Series:
    found = charts.get(chart, {}).get("series", {}).get(series)
    return series_from_chart(found) if found else pd.Series([], index=pd.DatetimeIndex([]), dtype=float)


def period_returns(daily_equity: pd.Series, freq: str, start_value: float | None = None) -> pd.Series:
    """Compounded return of each calendar period.

    Parameters
    ----------
    daily_equity : pd.Series
        Equity per calendar date, sorted.
    freq : str
        ``"ME"`` (months) or ``"YE"`` (years).
    start_value : float, optional
        The equity the first period is measured from (the first raw sample, before the first
        day's trading); default the first value of ``daily_equity``.

    Returns
    -------
    pd.Series
        ``last equity of the period / last equity of the period before - 1``, the first period
        measured from ``start_value``. Periods without samples are dropped; a zero base gives inf
        or NaN.
    """
    if daily_equity.empty:
        return pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    ends = daily_equity.resample(freq).last().dropna()
    before = ends.shift(1)
    before.iloc[0] = daily_equity.iloc[0] if start_value is None else start_value
    with np.errstate(divide="ignore", invalid="ignore"):
        return ends / before - 1.0


def rolling_stats(daily_equity: pd.Series, months: int = ROLLING_MONTHS,
                  periods_per_year: int = 252) -> tuple[pd.Series, pd.Series]:
    """Rolling annualized Sharpe ratio and volatility, as LEAN's report windows them.

    Daily returns are the percent changes of the last equity of each calendar date (LEAN samples
    every calendar day, weekends included). The window for date d holds the returns dated in
    ``[d - months, d]``; dates less than ``months`` after the first sample have no value.

    Returns
    -------
    sharpe, volatility : pd.Series
        ``mean / std * sqrt(periods_per_year)`` (risk-free rate 0) and
        ``std * sqrt(periods_per_year)``, ``std`` the sample standard deviation (ddof 1). NaN
        where the window has fewer than 2 returns; Sharpe NaN where the standard deviation is 0.
    """
    returns = daily_equity.pct_change().iloc[1:]
    empty = pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    if returns.empty:
        return empty, empty.copy()
    dates = returns.index
    starts = dates - pd.DateOffset(months=months)
    keep = starts >= daily_equity.index[0]
    r = returns.to_numpy(dtype=float)
    s1 = np.r_[0.0, np.cumsum(r)]
    s2 = np.r_[0.0, np.cumsum(r * r)]
    lo = dates.searchsorted(starts, side="left")
    hi = np.arange(1, len(r) + 1)
    n = (hi - lo).astype(float)
    total = s1[hi] - s1[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        var = np.maximum(s2[hi] - s2[lo] - total * mean, 0.0) / (n - 1)
        std = np.where(n >= 2, np.sqrt(var), np.nan)
        sharpe = np.where(std > 0, mean / std * np.sqrt(periods_per_year), np.nan)
    vol = std * np.sqrt(periods_per_year)
    return (pd.Series(sharpe, index=dates)[keep], pd.Series(vol, index=dates)[keep])


def exposure_frame(charts: dict) -> pd.DataFrame:
    """Gross long, gross short and net exposure from LEAN's ``Exposure`` chart (fractions of equity)."""
    series = charts.get("Exposure", {}).get("series", {})
    long_, short = _sum_side(series, "Long Ratio"), _sum_side(series, "Short Ratio")
    if long_ is None and short is None:
        return pd.DataFrame(columns=["long", "short", "net"], dtype=float)
    frame = pd.DataFrame({"long": long_, "short": short}).sort_index().ffill().fillna(0.0)
    frame["net"] = frame["long"] + frame["short"]
    return frame


def _sum_side(series: dict, suffix: str) -> pd.Series | None:
    """Sum of the exposure series of one side (LEAN writes one per asset class)."""
    parts = [series_from_chart(s) for name, s in series.items() if name.endswith(suffix)]
    return pd.concat(parts, axis=1).sum(axis=1) if parts else None


def positions_count(orders: dict) -> pd.Series:
    """Number of symbols with a non-zero position after each fill time.

    Built from the filled orders' signed quantities at their last fill time (LEAN's order JSON
    keeps one quantity per order, so partially filled orders are left out).
    """
    rows = [
        (o.get("lastFillTime") or o.get("time"), (o.get("symbol") or {}).get("value", ""), float(o["quantity"]))
        for o in orders.values() if int(o.get("status", -1)) == ORDER_STATUS_FILLED
    ]
    if not rows:
        return pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    frame = pd.DataFrame(rows, columns=["time", "symbol", "quantity"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.tz_localize(None)
    held = frame.pivot_table(index="time", columns="symbol", values="quantity", aggfunc="sum")
    held = held.fillna(0.0).cumsum()
    # Fractional lots summed in floating point leave dust; a position under 1e-9 units is flat.
    return (held.abs() > 1e-9).sum(axis=1).astype(float)


def trades_frame(closed_trades: list[dict]) -> pd.DataFrame:
    """LEAN's closed trades as a table, with the holding period in days."""
    columns = ["symbol", "direction", "quantity", "entry_time", "entry_price", "exit_time", "exit_price",
               "holding_days", "profit_loss", "total_fees", "mae", "mfe", "is_win"]
    if not closed_trades:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({
        "symbol": [(t.get("symbols") or [{}])[0].get("value", "") for t in closed_trades],
        "direction": ["Long" if int(t.get("direction", 0)) == 0 else "Short" for t in closed_trades],
        "quantity": [float(t["quantity"]) for t in closed_trades],
        "entry_time": pd.to_datetime([t["entryTime"] for t in closed_trades], utc=True).tz_localize(None),
        "entry_price": [float(t["entryPrice"]) for t in closed_trades],
        "exit_time": pd.to_datetime([t["exitTime"] for t in closed_trades], utc=True).tz_localize(None),
        "exit_price": [float(t["exitPrice"]) for t in closed_trades],
        "profit_loss": [float(t["profitLoss"]) for t in closed_trades],
        "total_fees": [float(t.get("totalFees", 0.0)) for t in closed_trades],
        "mae": [float(t.get("mae", 0.0)) for t in closed_trades],
        "mfe": [float(t.get("mfe", 0.0)) for t in closed_trades],
        "is_win": [bool(t.get("isWin", float(t["profitLoss"]) > 0)) for t in closed_trades],
    })
    frame["holding_days"] = (frame["exit_time"] - frame["entry_time"]).dt.total_seconds() / 86_400.0
    return frame[columns]


def load_result(path: str | Path) -> dict:
    """Read and sanity-check a LEAN result JSON; :class:`ResultFileError` says what is wrong."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ResultFileError(f"{p} is not valid JSON ({error})") from None
    if not isinstance(data, dict) or "charts" not in data or "statistics" not in data:
        raise ResultFileError(f"{p} is not a LEAN backtest result (no 'charts'/'statistics'); pass the "
                              "<id>.json file of a backtest folder, not the summary or order events")
    return data


def build_report_data(result: dict, description: str = "") -> ReportData:
    """Compute every report section's data from a parsed result JSON (and the project's description)."""
    from lean_local.report import analysis

    charts = result.get("charts") or {}
    config = result.get("algorithmConfiguration") or {}
    state = result.get("state") or {}
    equity_json = charts.get("Strategy Equity", {}).get("series", {}).get("Equity", {})
    equity = series_from_chart(equity_json) if equity_json else pd.Series([], index=pd.DatetimeIndex([]),
                                                                          dtype=float)
    benchmark = _chart_series(charts, "Benchmark", "Benchmark")
    benchmark = benchmark[benchmark > 0]
    daily = equity.groupby(equity.index.normalize()).last() if not equity.empty else equity
    first = float(equity.iloc[0]) if not equity.empty else None
    periods = int(config.get("tradingDaysPerYear") or 252)
    sharpe, vol = rolling_stats(daily, ROLLING_MONTHS, periods)
    bench_daily = analysis.daily_benchmark(benchmark, pd.DatetimeIndex(daily.index))
    bench_known = bench_daily.dropna()
    user_charts: dict[str, dict[str, pd.Series]] = {}
    user_types: dict[tuple[str, str], int] = {}
    for chart_name, chart in charts.items():
        if chart_name in DEFAULT_CHARTS:
            continue
        for series_name, series in (chart.get("series") or {}).items():
            user_charts.setdefault(chart_name, {})[series_name] = series_from_chart(series)
            user_types[(chart_name, series_name)] = int(series.get("seriesType", 0))
    return ReportData(
        name=str(config.get("name") or state.get("Name") or "Backtest"),
        statistics=dict(result.get("statistics") or {}),
        runtime_statistics=dict(result.get("runtimeStatistics") or {}),
        parameters={str(k): str(v) for k, v in (config.get("parameters") or {}).items()},
        start_date=str(config.get("startDate") or state.get("StartTime") or ""),
        end_date=str(config.get("endDate") or state.get("EndTime") or ""),
        status=str(state.get("Status", "")),
        error=str(state.get("RuntimeError", "")),
        currency=str(equity_json.get("unit") or "$"),
        equity=equity,
        benchmark=benchmark,
        drawdown=_chart_series(charts, "Drawdown", "Equity Drawdown"),
        daily_equity=daily,
        monthly_returns=period_returns(daily, "ME", first),
        yearly_returns=period_returns(daily, "YE", first),
        rolling_sharpe=sharpe,
        rolling_volatility=vol,
        exposure=exposure_frame(charts),
        positions=positions_count(result.get("orders") or {}),
        trades=trades_frame((result.get("totalPerformance") or {}).get("closedTrades") or []),
        user_charts=user_charts,
        user_series_types=user_types,
        benchmark_daily=bench_daily,
        benchmark_yearly=period_returns(bench_known, "YE") if len(bench_known) else bench_known,
        rolling_beta=analysis.rolling_beta(daily, bench_daily, ROLLING_MONTHS),
        drawdowns=analysis.worst_drawdowns(daily),
        comparison=analysis.side_by_side(daily, bench_daily, periods),
        description=description,
    )


def project_description(result_path: Path) -> str:
    """The description in the project's ``config.json`` when the result lies in
    ``<project>/backtests/<run>/``; "" otherwise."""
    run = Path(result_path).resolve().parent
    config = run.parent.parent / "config.json"
    if run.parent.name != "backtests" or not config.is_file():
        return ""
    try:
        return str(json.loads(config.read_text(encoding="utf-8")).get("description") or "")
    except (OSError, ValueError):
        return ""


@dataclass(frozen=True)
class DataSource:
    """Where the backtest's data came from, for the report's data note.

    Attributes
    ----------
    folder : Path or None
        The data folder, when known.
    how : str
        ``"recorded"`` (from the result file or the caller), ``"inferred"`` (the workspace's
        ``lean.json``) or ``"unknown"``.
    synthetic : dict or None
        The ``synthetic.json`` marker's contents when the folder is a synthetic market.
    """

    folder: Path | None
    how: str
    synthetic: dict | None


def data_source(result: dict, result_path: Path, data_folder: str | Path | None = None) -> DataSource:
    """Find the data folder (explicit, ``algorithmConfiguration.dataFolder``, else the workspace's
    ``lean.json``) and read its ``synthetic.json`` marker."""
    config = result.get("algorithmConfiguration") or {}
    recorded = data_folder or config.get("dataFolder")
    how = "recorded"
    folder: Path | None = Path(recorded) if recorded else None
    if folder is None:
        folder = _workspace_data_folder(result_path)
        how = "inferred" if folder is not None else "unknown"
    synthetic = None
    if folder is not None and (folder / "synthetic.json").is_file():
        try:
            synthetic = json.loads((folder / "synthetic.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            synthetic = {}
    return DataSource(folder, how, synthetic)


def _workspace_data_folder(result_path: Path) -> Path | None:
    """The data folder of the workspace the result file lies in (None outside a workspace or when its
    ``lean.json`` does not parse: the report then says the folder is unknown)."""
    found = workspace.find_workspace(Path(result_path).resolve().parent)
    if found is None:
        return None
    try:
        return workspace.data_folder(found, reading=True)
    except (OSError, workspace.WorkspaceConfigError):
        return None
