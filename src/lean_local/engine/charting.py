"""User charts (``self.plot``) with LEAN's reserved names and chart limits.

* Reserved names (``Algorithm/QCAlgorithm.Plotting.cs``, ``ReservedChartSeriesNames``): LEAN draws
  "Strategy Equity", "Capacity", "Drawdown", "Benchmark", "Assets Sales Volume", "Exposure",
  "Portfolio Margin" and "Portfolio Turnover" itself. A chart whose reserved list is empty
  ("Assets Sales Volume", "Exposure", "Portfolio Margin") takes no user series at all:
  ``'<chart>' is a reserved chart name.``; on the others only the listed series are refused:
  ``'<series>' is a reserved series name for chart '<chart>'.`` (an ``ArgumentException``
  raised by the ``plot`` call itself). ``plot(series, value)`` plots to "Strategy Equity".
* A second point at the same time replaces the first (``BaseSeries.AddPoint``).
* Limits (``Engine/Results/BacktestingResultHandler.SampleRange``): at most ``maximum-chart-series``
  distinct series names over all user charts (30 in LEAN's local configuration,
  ``Queues/JobQueue.cs``); a new name beyond it is ignored with one debug message. At most
  ``maximum-data-points-per-chart-series`` points per series (1,000,000 locally); further points
  are skipped with one debug message per chart and series. LEAN applies both to each batch of
  chart updates it samples; here they apply point by point, which keeps the same counts.
  QuantConnect Cloud sets lower limits by organization tier.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lean_local.engine.portfolio import ArgumentError

STRATEGY_EQUITY = "Strategy Equity"
RESERVED_CHART_SERIES: dict[str, tuple[str, ...]] = {
    STRATEGY_EQUITY: ("Equity", "Return"),
    "Capacity": ("Strategy Capacity",),
    "Drawdown": ("Equity Drawdown",),
    "Benchmark": ("Benchmark",),
    "Assets Sales Volume": (),
    "Exposure": (),
    "Portfolio Margin": (),
    "Portfolio Turnover": ("Portfolio Turnover",),
}
MAXIMUM_CHART_SERIES = 30
MAXIMUM_DATA_POINTS_PER_CHART_SERIES = 1_000_000
QUOTAS = "https://qnt.co/docs-charting-quotas"


def check_reserved(chart: str, series: str) -> None:
    """Raise LEAN's ``ArgumentException`` when ``chart``/``series`` is one LEAN draws itself."""
    reserved = RESERVED_CHART_SERIES.get(chart)
    if reserved is None:
        return
    if not reserved:
        raise ArgumentError(f"'{chart}' is a reserved chart name.")
    if series in reserved:
        raise ArgumentError(f"'{series}' is a reserved series name for chart '{chart}'.")


class UserCharts:
    """The algorithm's charts: chart name -> series name -> ``[(time, value), ...]``.

    Parameters
    ----------
    debug : callable
        Receives LEAN's limit messages (the algorithm's debug log).
    max_series, max_points : int
        LEAN's ``maximum-chart-series`` and ``maximum-data-points-per-chart-series``.
    """

    def __init__(self, debug: Callable[[str], None], max_series: int = MAXIMUM_CHART_SERIES,
                 max_points: int = MAXIMUM_DATA_POINTS_PER_CHART_SERIES) -> None:
        self.charts: dict[str, dict[str, list[tuple[datetime, float]]]] = {}
        self.max_series = max_series
        self.max_points = max_points
        self._debug = debug
        self._series_names: set[str] = set()
        self._series_warned = False
        self._points_warned: set[tuple[str, str]] = set()

    def add_chart(self, chart: str, series: list[str]) -> None:
        """Declare a chart and its series (LEAN ``AddChart``); no point is added."""
        declared = self.charts.setdefault(chart, {})
        for name in series:
            declared.setdefault(name, [])

    def plot(self, chart: str, series: str, time: datetime, value: float) -> None:
        """Add one point, as LEAN's ``Plot(chart, series, value)`` and its result handler do."""
        check_reserved(chart, series)
        if series not in self._series_names:
            if len(self._series_names) >= self.max_series:
                if not self._series_warned:
                    self._series_warned = True
                    self._debug("Exceeded maximum chart series count for organization tier, new series will be "
                                f"ignored. Limit is currently set at {self.max_series}. {QUOTAS}")
                return
            self._series_names.add(series)
        points = self.charts.setdefault(chart, {}).setdefault(series, [])
        if points and points[-1][0] == time:
            points[-1] = (time, value)
            return
        if len(points) + 1 > self.max_points:
            if (chart, series) not in self._points_warned:
                self._points_warned.add((chart, series))
                self._debug(f"Exceeded maximum data points per series for organization tier, chart update skipped. "
                            f"Chart Name {chart}. Series name {series}. {QUOTAS}"
                            f"Limit is currently set at {self.max_points}")
            return
        points.append((time, value))


class Chart:
    """A user chart (LEAN ``Chart``): a name and its series."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.series: dict[str, Series] = {}

    def add_series(self, series: Series) -> None:
        self.series[series.name] = series


class SeriesType:
    LINE = 0
    SCATTER = 1
    CANDLE = 2
    BAR = 3
    FLAG = 4
    STACKED_AREA = 5
    PIE = 6
    TREEMAP = 7


class Series:
    """A chart series (LEAN ``Series``)."""

    def __init__(self, name: str, series_type: int = SeriesType.LINE, index: int = 0, unit: str = "$") -> None:
        self.name = name
        self.series_type = series_type
        self.index = index
        self.unit = unit
