"""``self.plot`` as LEAN: reserved chart and series names raise, chart limits apply (issue 14.1)."""

from __future__ import annotations

import pytest

from lean_local.engine import charting
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.portfolio import ArgumentError
from lean_local.engine.runner import AlgorithmRuntimeError, run_algorithm

# Algorithm/QCAlgorithm.Plotting.cs, ReservedChartSeriesNames
REFUSED = [
    ("Exposure", "Long gross", "'Exposure' is a reserved chart name."),
    ("Assets Sales Volume", "x", "'Assets Sales Volume' is a reserved chart name."),
    ("Portfolio Margin", "x", "'Portfolio Margin' is a reserved chart name."),
    ("Strategy Equity", "Equity", "'Equity' is a reserved series name for chart 'Strategy Equity'."),
    ("Strategy Equity", "Return", "'Return' is a reserved series name for chart 'Strategy Equity'."),
    ("Capacity", "Strategy Capacity", "'Strategy Capacity' is a reserved series name for chart 'Capacity'."),
    ("Drawdown", "Equity Drawdown", "'Equity Drawdown' is a reserved series name for chart 'Drawdown'."),
    ("Benchmark", "Benchmark", "'Benchmark' is a reserved series name for chart 'Benchmark'."),
    ("Portfolio Turnover", "Portfolio Turnover",
     "'Portfolio Turnover' is a reserved series name for chart 'Portfolio Turnover'."),
]


class PlotOnce(QCAlgorithm):
    chart = ""
    series = ""

    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        self.add_equity("SPY", Resolution.DAILY)

    def on_data(self, data):
        self.plot(self.chart, self.series, 1.0)


def test_every_reserved_name_has_its_entry():
    assert set(charting.RESERVED_CHART_SERIES) == {chart for chart, _, _ in REFUSED} | {"Strategy Equity"}


@pytest.mark.parametrize(("chart", "series", "message"), REFUSED)
def test_a_reserved_name_stops_the_algorithm_with_leans_error(lean_data_folder, chart, series, message):
    algorithm = type("Algo", (PlotOnce,), {"chart": chart, "series": series})
    with pytest.raises(AlgorithmRuntimeError) as info:
        run_algorithm(algorithm, lean_data_folder)
    assert isinstance(info.value.__cause__, ArgumentError)
    assert str(info.value.__cause__) == message
    assert info.value.record.state == "RuntimeError"


def test_other_series_of_reserved_charts_and_the_default_chart(lean_data_folder):
    class Algo(PlotOnce):
        def on_data(self, data):
            self.plot("Strategy Equity", "Cash", self.portfolio.cash)
            self.plot("Benchmark", "My benchmark", 2.0)
            self.plot("Price", data.bars["SPY"].close)  # plot(series, value): the "Strategy Equity" chart
            self.plot("Book exposure", "Long gross", 0.5)
            self.plot("Book exposure", "Long gross", 0.7)  # same time: replaces the point

    algo, _, _ = run_algorithm(Algo, lean_data_folder)
    assert set(algo.charts["Strategy Equity"]) == {"Cash", "Price"}
    assert [v for _, v in algo.charts["Book exposure"]["Long gross"]] == [0.7] * 5
    assert len(algo.charts["Benchmark"]["My benchmark"]) == 5


def test_series_and_point_limits_as_leans_result_handler():
    messages: list[str] = []
    charts = charting.UserCharts(messages.append, max_series=2, max_points=3)
    days = [f"2020-01-0{d}" for d in range(1, 6)]
    for day in days:
        charts.plot("A", "one", day, 1.0)
        charts.plot("B", "one", day, 2.0)  # the same series name on another chart: counted once
        charts.plot("B", "two", day, 3.0)
        charts.plot("C", "three", day, 4.0)  # a third name: ignored
    assert {chart: {name: len(points) for name, points in series.items()}
            for chart, series in charts.charts.items()} == {"A": {"one": 3}, "B": {"one": 3, "two": 3}}
    assert messages == [
        "Exceeded maximum chart series count for organization tier, new series will be ignored. Limit is "
        "currently set at 2. https://qnt.co/docs-charting-quotas",
        "Exceeded maximum data points per series for organization tier, chart update skipped. Chart Name A. "
        "Series name one. https://qnt.co/docs-charting-quotasLimit is currently set at 3",
        "Exceeded maximum data points per series for organization tier, chart update skipped. Chart Name B. "
        "Series name one. https://qnt.co/docs-charting-quotasLimit is currently set at 3",
        "Exceeded maximum data points per series for organization tier, chart update skipped. Chart Name B. "
        "Series name two. https://qnt.co/docs-charting-quotasLimit is currently set at 3",
    ]
    # LEAN's local defaults (Queues/JobQueue.cs)
    assert (charting.MAXIMUM_CHART_SERIES, charting.MAXIMUM_DATA_POINTS_PER_CHART_SERIES) == (30, 1_000_000)
