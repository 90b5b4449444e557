"""The report's added sections: KPI strip, annual returns, five worst drawdowns, rolling beta,
strategy beside benchmark, project description, the missing-benchmark note, downsampled charts,
and the size of a demo-sized report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local import report
from lean_local.report import analysis, charts, model, render
from lean_local.results import write_results
from lean_local.statistics import compute_statistics, compute_total_performance
from tests.lean_local.test_report import make_record


def _daily(values: list[float], start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype=float)


def test_worst_drawdowns_hand_computed():
    # peaks 100 (day 0) and 130 (day 6); dips to 80 (day 2, back at 100 on day 4) and 104 (day 8, not recovered)
    equity = _daily([100, 90, 80, 95, 100, 120, 130, 117, 104, 110])
    frame = analysis.worst_drawdowns(equity)
    assert list(frame["depth"]) == pytest.approx([-0.2, -0.2])
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first.peak, first.trough, first.recovery) == (equity.index[0], equity.index[2], equity.index[4])
    assert first.days == 4 and first.recovered
    assert (second.peak, second.trough) == (equity.index[6], equity.index[8])
    assert pd.isna(second.recovery) and second.days == 3 and not second.recovered


def test_worst_drawdowns_keeps_the_deepest_five_in_order():
    rng = np.random.default_rng(3)
    equity = _daily(list(100 * np.cumprod(1 + rng.normal(0, 0.02, 400))))
    frame = analysis.worst_drawdowns(equity)
    values = equity.to_numpy()
    brute = []  # every run below the running peak, by brute force
    peak, start = 0, None
    for i in range(1, len(values) + 1):
        if i < len(values) and values[i] < values[peak]:
            start = i if start is None else start
            continue
        if start is not None:
            brute.append(values[start:i].min() / values[peak] - 1)
            start = None
        if i < len(values):
            peak = i
    assert len(frame) == 5
    assert list(frame["depth"]) == pytest.approx(sorted(brute)[:5])


def test_rolling_beta_equals_a_brute_force_window():
    rng = np.random.default_rng(5)
    bench = _daily(list(100 * np.cumprod(1 + rng.normal(0, 0.01, 500))))
    strategy = _daily(list(1000 * np.cumprod(1 + 0.5 * bench.pct_change().fillna(0).to_numpy()
                                             + rng.normal(0, 0.005, 500))))
    beta = analysis.rolling_beta(strategy, bench, months=6)
    r, b = strategy.pct_change(), bench.pct_change()
    for day in (beta.index[0], beta.index[100], beta.index[-1]):
        window = (r.index >= day - pd.DateOffset(months=6)) & (r.index <= day) & r.notna().to_numpy()
        expected = np.cov(r[window], b[window], ddof=1)[0, 1] / np.var(b[window], ddof=1)
        assert beta[day] == pytest.approx(expected, rel=1e-9)
    assert beta.index[0] >= strategy.index[0] + pd.DateOffset(months=6)
    assert 0.3 < beta.median() < 0.7


def test_side_by_side_hand_computed():
    equity = _daily([100, 110, 99, 121], start="2023-12-30")
    bench = _daily([50, 50, 55, 55], start="2023-12-30")
    rows = {name: (ours, theirs) for name, ours, theirs in analysis.side_by_side(equity, bench)}
    assert rows["Total return"] == ("21.00%", "10.00%")
    assert rows["Maximum drawdown"] == ("-10.00%", "0.00%")
    # 2023: 100 -> 110 (+10%); 2024: 110 -> 121 (+10%); benchmark 0% then +10%
    assert rows["Best year"] == ("10.00%", "10.00%") and rows["Worst year"] == ("10.00%", "0.00%")
    returns = pd.Series([0.1, -0.1, 121 / 99 - 1])
    assert rows["Sharpe ratio (risk-free 0)"][0] == f"{returns.mean() / returns.std() * np.sqrt(252):.2f}"
    assert rows["Annual return"][0] == f"{(1.21 ** (365.25 / 3) - 1) * 100:.2f}%"


def test_side_by_side_without_a_benchmark_says_so():
    rows = analysis.side_by_side(_daily([100, 101, 102]), pd.Series(np.nan, index=_daily([0, 0, 0]).index))
    assert all(theirs == "-" for _, _, theirs in rows)
    assert dict((name, ours) for name, ours, _ in rows)["Total return"] == "2.00%"


def test_downsample_keeps_extremes_and_ends():
    series = _daily(list(np.sin(np.arange(10_000) / 50.0)))
    series.iloc[4321] = 7.0
    small = charts.downsample(series, 400)
    assert len(small) <= 400 and small.index.is_monotonic_increasing
    assert small.iloc[0] == series.iloc[0] and small.iloc[-1] == series.iloc[-1]
    assert small.max() == 7.0 and small.min() == series.min()
    assert charts.downsample(series.iloc[:50], 400).equals(series.iloc[:50])


@pytest.fixture(scope="module")
def project_report(tmp_path_factory) -> tuple[Path, str]:
    record = make_record()
    project = tmp_path_factory.mktemp("ws") / "algorithms" / "demo_project"
    project.mkdir(parents=True)
    (project / "config.json").write_text(json.dumps({"description": "A <b>test</b> project description"}))
    path = write_results(record, compute_statistics(record), compute_total_performance(record),
                         project / "backtests" / "2024-04-01_10-00-00")
    return path, report.write_report(path).read_text(encoding="utf-8")


def test_kpis_project_description_and_new_sections(project_report):
    path, page = project_report
    statistics = json.loads(path.read_text())["statistics"]
    kpis = dict(re.findall(r'data-kpi="([^"]+)"><span class="label">[^<]*</span><span class="value">([^<]*)<', page))
    assert kpis == {name: statistics[name] for name, _ in render.KPIS}
    assert '<p class="description" id="description">A &lt;b&gt;test&lt;/b&gt; project description</p>' in page
    assert page.count('<tr data-depth=') == min(5, len(analysis.worst_drawdowns(
        model.build_report_data(json.loads(path.read_text())).daily_equity)))
    assert 'data-measure="Beta (daily returns)"' in page and 'data-chart="annual-returns"' in page


def test_missing_benchmark_note_only_without_benchmark(project_report):
    path, page = project_report
    assert 'id="benchmark-note"' not in page
    result = json.loads(path.read_text())
    for point in result["charts"]["Benchmark"]["series"]["Benchmark"]["values"]:
        point[-1] = 0.0
    data = model.build_report_data(result)
    assert data.benchmark.empty and data.rolling_beta.empty
    assert 'id="benchmark-note">No benchmark data' in render.benchmark_section(data)


def test_a_demo_sized_report_is_one_file_under_1_mb_with_every_trade(tmp_path):
    """Ten years of daily samples, 5,000 closed trades (the ML demo run's size): every trade stays in
    the table, the charts are downsampled, and the file is under 1 MB."""
    rng = np.random.default_rng(11)
    days = pd.date_range("2012-01-01", "2021-12-31", freq="D") + pd.Timedelta(hours=5)
    equity = 100_000 * np.cumprod(1 + rng.normal(0.0003, 0.008, len(days)))
    bench = 200 * np.cumprod(1 + rng.normal(0.0003, 0.01, len(days)))
    values = lambda series: [[int(t.timestamp()), float(v)] for t, v in zip(days, series, strict=True)]  # noqa: E731
    trades = [{"symbols": [{"value": f"S{i % 500:03d}"}], "direction": i % 2, "quantity": 100 + i % 50,
               "entryTime": f"{days[i % 3000]:%Y-%m-%dT%H:%M:%SZ}", "entryPrice": 10 + i % 90 + 0.125,
               "exitTime": f"{days[i % 3000 + 6]:%Y-%m-%dT%H:%M:%SZ}", "exitPrice": 10.5 + i % 90,
               "profitLoss": float(rng.normal(5, 120)), "totalFees": 1.5, "mae": -20.0, "mfe": 30.0,
               "isWin": bool(i % 2)} for i in range(5_000)]
    result = {
        "charts": {
            "Strategy Equity": {"series": {"Equity": {"values": [[t, v, v, v, v] for t, v in values(equity)],
                                                      "unit": "$"}}},
            "Benchmark": {"series": {"Benchmark": {"values": values(bench)}}},
            "Drawdown": {"series": {"Equity Drawdown": {"values": values(
                (equity / np.maximum.accumulate(equity) - 1) * 100)}}},
            "Exposure": {"series": {"Equity - Long Ratio": {"values": values(rng.uniform(0, 1.1, len(days)))},
                                    "Equity - Short Ratio": {"values": values(-rng.uniform(0, 0.2, len(days)))}}},
            "Regime": {"series": {"bull": {"values": values(rng.integers(0, 2, len(days))), "seriesType": 0}}},
        },
        "statistics": {"Net Profit": "10%", "Sharpe Ratio": "0.5"},
        "algorithmConfiguration": {"name": "Big", "startDate": "2012-01-01 00:00:00", "endDate": "2021-12-31 00:00:00"},
        "orders": {},
        "totalPerformance": {"closedTrades": trades},
        "state": {"Status": "Completed"},
    }
    path = tmp_path / "1234567890.json"
    path.write_text(json.dumps(result))
    page = report.write_report(path)
    size = page.stat().st_size
    text = page.read_text(encoding="utf-8")
    found = re.search(r'id="trade-data">(.*?)</script>', text, re.DOTALL)
    assert found is not None and len(json.loads(found.group(1))) == 5_000
    assert size < 1_000_000, f"{size:,} bytes"
