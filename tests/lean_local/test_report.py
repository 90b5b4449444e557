"""The backtest report: every section present, numbers equal to the result JSON, hand-checked
period returns, rolling statistics against a brute-force window, positions, data note, CLI."""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local import report
from lean_local.report import model, render
from lean_local.results import write_results
from lean_local.statistics import BacktestRecord, compute_statistics, compute_total_performance

SECTIONS = ["statistics", "equity", "drawdown", "returns", "benchmark", "rolling", "exposure", "positions", "trades",
            "plots", "parameters"]


def make_record() -> BacktestRecord:
    """Fifteen months of a seeded long/short book: two closed trades, one open, two user plots."""
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2023-01-03", "2024-03-28") + pd.Timedelta(hours=16)
    equity = 100_000.0 * np.cumprod(1.0 + rng.normal(0.0004, 0.01, len(idx)))
    bench = 380.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.011, len(idx)))
    t = idx

    def order(i, oid, symbol, qty, price, tag):
        return dict(id=oid, symbol=symbol, type="Market", status="Filled", direction="Buy" if qty > 0 else "Sell",
                    quantity=qty, price=price, time=t[i], last_fill_time=t[i], value=qty * price, fee=1.0, tag=tag)

    def fill(i, oid, symbol, qty, price, pnl):
        return dict(time=t[i], order_id=oid, symbol=symbol, quantity=qty, fill_price=price, fill_value=qty * price,
                    fee=1.0, conversion_rate=1.0, dollar_volume=1e9, is_long_before=qty < 0, realized_pnl=pnl)

    orders = pd.DataFrame([order(5, 1, "AAA", 100, 50.0, "in"), order(20, 2, "AAA", -100, 55.0, "out"),
                           order(30, 3, "BBB", -50, 80.0, "short"), order(60, 4, "BBB", 50, 84.0, "cover"),
                           order(100, 5, "AAA", 10, 60.0, "open")])
    fills = pd.DataFrame([fill(5, 1, "AAA", 100, 50.0, 0.0), fill(20, 2, "AAA", -100, 55.0, 500.0),
                          fill(30, 3, "BBB", -50, 80.0, 0.0), fill(60, 4, "BBB", 50, 84.0, -200.0),
                          fill(100, 5, "AAA", 10, 60.0, 0.0)])
    long_value = np.where((np.arange(len(idx)) >= 5) & (np.arange(len(idx)) < 20), 5_000.0, 0.0)
    long_value = np.where(np.arange(len(idx)) >= 100, 600.0, long_value)
    short_value = np.where((np.arange(len(idx)) >= 30) & (np.arange(len(idx)) < 60), -4_000.0, 0.0)
    return BacktestRecord(
        algorithm_name="ReportFixture",
        parameters={"lookback": "20", "entry_z": "1.5"},
        start=datetime(2023, 1, 3),
        end=idx[-1].to_pydatetime(),
        start_equity=100_000.0,
        equity=pd.Series(equity, index=idx),
        benchmark=pd.Series(bench, index=idx),
        risk_free_rate=pd.Series([0.05], index=pd.DatetimeIndex(["2022-12-01"])),
        orders=orders,
        fills=fills,
        profit_loss={t[20]: 498.0, t[60]: -202.0},
        total_fees=5.0,
        charts={"Regime": {"regime": [(d, float(i % 3)) for i, d in enumerate(idx[::10])],
                           "p_long": [(d, 0.5 + 0.01 * (i % 7)) for i, d in enumerate(idx[::10])]},
                "Kalman z": {"AAA": [(d, float(np.sin(i / 5))) for i, d in enumerate(idx)]}},
        holdings_value_long=pd.Series(long_value, index=idx),
        holdings_value_short=pd.Series(short_value, index=idx),
        logs=["2023-01-03 16:00:00 start"],
    )


@pytest.fixture(scope="module")
def result_path(tmp_path_factory) -> Path:
    record = make_record()
    folder = tmp_path_factory.mktemp("bt") / "algorithms" / "x" / "backtests" / "2024-04-01_10-00-00"
    return write_results(record, compute_statistics(record), compute_total_performance(record), folder)


@pytest.fixture(scope="module")
def result(result_path) -> dict:
    return json.loads(result_path.read_text())


@pytest.fixture(scope="module")
def page(result_path) -> str:
    return report.write_report(result_path).read_text(encoding="utf-8")


class Collector(HTMLParser):
    """Pulls the tagged values out of a report: statistics cells, figures and heat-map cells."""

    def __init__(self) -> None:
        super().__init__()
        self.stats: dict[str, dict[str, str]] = {}
        self._table = ""
        self.sections: list[str] = []
        self.figures: list[str] = []
        self.heat: dict[int, list[str | None]] = {}
        self._stat: str | None = None
        self._text: list[str] = []
        self._year: int | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"])
        if tag == "figure":
            self.figures.append(a["data-chart"])
        if tag == "table":
            self._table = a.get("class", "")
        if tag == "td" and "data-stat" in a:
            self._stat, self._text = a["data-stat"], []
        if tag == "tr" and "data-year" in a:
            self._year = int(a["data-year"])
            self.heat[self._year] = []
        if tag == "td" and self._year is not None and a.get("class") != "name":
            self.heat[self._year].append(a.get("data-v"))

    def handle_endtag(self, tag):
        if tag == "td" and self._stat is not None:
            self.stats.setdefault(self._table, {})[self._stat] = "".join(self._text)
            self._stat = None
        if tag == "tr":
            self._year = None

    def handle_data(self, data):
        if self._stat is not None:
            self._text.append(data)


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    return collector


def test_every_section_and_chart_present(page, result):
    parsed = parse(page)
    assert parsed.sections == SECTIONS
    assert parsed.figures == ["equity", "equity-log", "drawdown", "annual-returns", "rolling-beta", "rolling",
                              "exposure", "positions", "pnl-distribution", "plot:Kalman z", "plot:Regime"]
    assert page.count("<svg") == len(parsed.figures)
    assert 'id="log-scale"' in page and 'class="trades sortable"' in page
    for element in ('id="kpis"', 'id="worst-drawdowns"', 'id="side-by-side"'):
        assert element in page
    assert "<h1>ReportFixture</h1>" in page


def test_statistics_equal_the_result_json(page, result):
    tables = parse(page).stats
    assert tables["stats"] == result["statistics"]
    assert tables["stats runtime"] == result["runtimeStatistics"]
    assert tables["stats params"] == {"entry_z": "1.5", "lookback": "20"}
    assert tables["stats period"]["Start date"] == result["algorithmConfiguration"]["startDate"] == \
        "2023-01-03 00:00:00"


def test_monthly_and_yearly_returns_equal_the_equity_chart(page, result):
    candles = result["charts"]["Strategy Equity"]["series"]["Equity"]["values"]
    dates = [datetime.utcfromtimestamp(c[0]).date() for c in candles]
    closes = [c[4] for c in candles]
    month_end: dict[tuple[int, int], float] = {}
    year_end: dict[int, float] = {}
    for d, v in zip(dates, closes, strict=True):
        month_end[(d.year, d.month)] = v
        year_end[d.year] = v
    heat = parse(page).heat
    assert sorted(heat) == [2023, 2024]
    previous = closes[0]
    for (year, month), value in sorted(month_end.items()):
        assert float(heat[year][month - 1]) == pytest.approx(value / previous - 1, rel=1e-9)
        previous = value
    assert heat[2024][3:12] == [None] * 9
    assert float(heat[2023][12]) == pytest.approx(year_end[2023] / closes[0] - 1, rel=1e-9)
    assert float(heat[2024][12]) == pytest.approx(year_end[2024] / year_end[2023] - 1, rel=1e-9)


def _trade_rows(page: str) -> list[list]:
    found = re.search(r'<script type="application/json" id="trade-data">(.*?)</script>', page, re.DOTALL)
    assert found is not None
    return json.loads(found.group(1))


def test_trade_table_equals_closed_trades(page, result):
    closed = result["totalPerformance"]["closedTrades"]
    rows = _trade_rows(page)
    assert len(closed) == 2 and len(rows) == 2
    for row, trade in zip(rows, closed, strict=True):
        assert row[8] == pytest.approx(trade["profitLoss"])
        entry, exit_ = pd.Timestamp(trade["entryTime"]), pd.Timestamp(trade["exitTime"])
        assert row[:2] == [trade["symbols"][0]["value"], "Long" if trade["direction"] == 0 else "Short"]
        assert (row[3], row[5]) == (f"{entry:%Y-%m-%d}", f"{exit_:%Y-%m-%d}")
        assert row[7] == pytest.approx((exit_ - entry).total_seconds() / 86_400, abs=0.005)
    # AAA long 100 from 50 to 55 (LEAN's trade P&L is before fees); BBB short 50 from 80 to 84.
    assert [t["profitLoss"] for t in closed] == pytest.approx([500.0, -200.0])


def test_period_returns_hand_computed():
    equity = pd.Series([100.0, 110.0, 99.0, 108.9],
                       index=pd.DatetimeIndex(["2023-12-30", "2024-01-31", "2024-02-15", "2024-04-02"]))
    monthly = model.period_returns(equity, "ME")
    assert monthly.index.strftime("%Y-%m").tolist() == ["2023-12", "2024-01", "2024-02", "2024-04"]
    assert monthly.to_numpy() == pytest.approx([0.0, 0.10, -0.10, 0.10])
    yearly = model.period_returns(equity, "YE")
    assert yearly.to_numpy() == pytest.approx([0.0, 0.089])


def test_rolling_stats_equal_a_brute_force_window():
    rng = np.random.default_rng(3)
    days = pd.date_range("2020-01-01", periods=400, freq="D")
    equity = pd.Series(1000.0 * np.cumprod(1 + rng.normal(0.0005, 0.01, len(days))), index=days)
    sharpe, vol = model.rolling_stats(equity, months=6, periods_per_year=252)
    returns = equity.pct_change().iloc[1:]
    assert sharpe.index[0] == pd.Timestamp("2020-07-01")
    for date in sharpe.index[::37]:
        window = returns[(returns.index >= date - pd.DateOffset(months=6)) & (returns.index <= date)].to_numpy()
        assert vol[date] == pytest.approx(window.std(ddof=1) * np.sqrt(252), rel=1e-9)
        assert sharpe[date] == pytest.approx(window.mean() / window.std(ddof=1) * np.sqrt(252), rel=1e-7)
    flat_sharpe, flat_vol = model.rolling_stats(pd.Series(1.0, index=days))
    assert flat_sharpe.isna().all() and (flat_vol == 0).all()


def test_positions_and_exposure(result):
    data = model.build_report_data(result)
    # AAA opens, BBB opens short, AAA closes, BBB covers, AAA opens again.
    assert data.positions.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    series = result["charts"]["Exposure"]["series"]
    long_ = [v for _, v in series["Equity - Long Ratio"]["values"]]
    short = [v for _, v in series["Equity - Short Ratio"]["values"]]
    assert data.exposure["long"].tolist() == long_
    assert data.exposure["net"].to_numpy() == pytest.approx(np.add(long_, short))
    assert data.exposure["short"].min() < 0 < data.exposure["long"].max()
    overlapping = {"1": {"status": 3, "quantity": 10, "symbol": {"value": "A"}, "lastFillTime": "2024-01-02T21:00:00Z"},
                   "2": {"status": 3, "quantity": -5, "symbol": {"value": "B"}, "lastFillTime": "2024-01-03T21:00:00Z"},
                   "3": {"status": 5, "quantity": 7, "symbol": {"value": "C"}, "lastFillTime": None,
                         "time": "2024-01-03T21:00:00Z"},
                   "4": {"status": 3, "quantity": -10, "symbol": {"value": "A"}, "lastFillTime": "2024-01-04T21:00:00Z"}}
    assert model.positions_count(overlapping).tolist() == [1.0, 2.0, 1.0]


def test_synthetic_note_from_marker(result, result_path, tmp_path):
    plain = tmp_path / "real"
    plain.mkdir()
    synthetic = tmp_path / "synthetic"
    synthetic.mkdir()
    (synthetic / "synthetic.json").write_text(json.dumps({"seed": 42, "first_date": "2010-01-04"}))
    data = model.build_report_data(result)
    source = model.data_source(result, result_path, synthetic)
    assert source.synthetic == {"seed": 42, "first_date": "2010-01-04"} and source.how == "recorded"
    note = render.data_note(source)
    assert 'data-synthetic="true"' in note and "Synthetic data." in note and "seed 42" in note
    assert 'data-stat="Synthetic data">yes<' in render.parameters_section(data, source)
    plain_source = model.data_source(result, result_path, plain)
    assert plain_source.synthetic is None and render.data_note(plain_source) == ""
    assert 'data-stat="Synthetic data">no<' in render.parameters_section(data, plain_source)
    recorded = dict(result, algorithmConfiguration=dict(result["algorithmConfiguration"], dataFolder=str(synthetic)))
    assert model.data_source(recorded, result_path).synthetic is not None


def test_data_folder_inferred_from_lean_json_or_unknown(result, tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "data").mkdir(parents=True)
    (workspace / "data" / "synthetic.json").write_text("{}")
    path = workspace / "algorithms" / "x" / "backtests" / "2024-04-01_10-00-00" / "1234567890.json"
    (workspace / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    source = model.data_source(result, path)
    assert source.how == "inferred" and source.folder == (workspace / "data").resolve() and source.synthetic == {}
    assert 'data-synthetic="true"' in render.data_note(source)
    (workspace / "lean.json").unlink()
    source = model.data_source(result, path)
    assert source.how == "unknown" and source.folder is None
    assert 'data-synthetic="unknown"' in render.data_note(source)


def test_self_contained_and_deterministic(result_path, tmp_path):
    first = report.write_report(result_path, tmp_path / "a.html").read_bytes()
    second = report.write_report(result_path, tmp_path / "b.html").read_bytes()
    assert first == second
    text = first.decode()
    assert "<script src" not in text and "<link" not in text and "<img" not in text and "@import" not in text
    assert "url(#" in text and "url(h" not in text
    # The only addresses are XML namespace names, which browsers never fetch.
    assert {m for m in re.findall(r"https?://[^\s\"'<]*", text)} == {"http://www.w3.org/2000/svg",
                                                                   "http://www.w3.org/1999/xlink"}


def test_runtime_error_is_shown(result, result_path):
    failed = dict(result, state=dict(result["state"], Status="RuntimeError", RuntimeError="ZeroDivisionError: x"))
    data = model.build_report_data(failed)
    head = render.header(data, model.data_source(failed, result_path))
    assert 'id="runtime-error"' in head and "ZeroDivisionError: x" in head and "status: RuntimeError" in head


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lean-local")
    report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_latest_backtest_of_a_project(tmp_path, capsys):
    record = make_record()
    project = tmp_path / "algorithms" / "x"
    stats = compute_statistics(record)
    old = write_results(record, stats, None, project / "backtests" / "2024-04-01_10-00-00")
    new = write_results(record, stats, None, project / "backtests" / "2024-05-01_09-00-00", backtest_id="1000000001")
    assert report.latest_result(project) == new
    assert _cli(["report", "--project", str(project)]) == 0
    assert (new.parent / "report.html").is_file() and not (old.parent / "report.html").exists()
    assert f"Report written to {new.parent / 'report.html'}" in capsys.readouterr().out
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert report.latest_result_in_workspace(Path(".")).resolve() == new.resolve()
    finally:
        os.chdir(cwd)


def test_errors_say_what_to_do(tmp_path, capsys):
    project = tmp_path / "p"
    project.mkdir()
    assert _cli(["report", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert "no backtest found" in err and f"lean-local backtest {project}" in err
    assert _cli(["report", str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "1234567890-summary.json"
    bad.write_text(json.dumps({"statistics": {}}))
    assert _cli(["report", str(bad)]) == 2
    assert "not a LEAN backtest result" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        _cli(["report", "--help"])
    out = capsys.readouterr().out
    assert "lean-local report --project kalman_mean_reversion" in out and "--output" in out and "BACKTEST_JSON" in out


def test_backtest_report_writes_the_report_and_a_backtest_alone_does_not(tmp_path, lean_data_folder, monkeypatch):
    from lean_local.cli import main as lean_local_main
    from tests import fixtures
    from tests.lean_local.basic_template_daily import BASIC_TEMPLATE_DAILY

    monkeypatch.setenv("CI", "1")
    project = fixtures.write_workspace(tmp_path, lean_data_folder, BASIC_TEMPLATE_DAILY, project="basic")
    alone = tmp_path / "alone"
    assert lean_local_main(["backtest", str(project), "--output", str(alone)]) == 0
    assert not (alone / "report.html").exists() and len(list(alone.glob("*.json"))) == 3
    output = tmp_path / "out"
    assert lean_local_main(["backtest", str(project), "--output", str(output), "--report"]) == 0
    [result_json] = [p for p in output.glob("1*.json") if "-" not in p.stem]
    result = json.loads(result_json.read_text())
    assert result["algorithmConfiguration"]["dataFolder"] == str(Path(lean_data_folder).resolve())
    html = (output / "report.html").read_text()
    assert "104486.22" in html
