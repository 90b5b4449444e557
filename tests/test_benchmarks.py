"""The benchmark harness (benchmarks/bench_runtime.py and its peers' panel): the strategy lean_local runs
re-sizes every stock each month, the panel the peers read holds the bars backtrader gets, and a peer
without its environment is skipped with a message instead of failing ``make bench``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.data.synthetic import INDEX_TICKER, SyntheticMarketConfig, write_market
from lean_local.engine.runner import run_algorithm

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import bench_runtime  # noqa: E402
from peers.panel import read_panel  # noqa: E402


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench") / "data"
    # seed 8: two stocks go ex-dividend on a month's first trading day (2010-04-01, 2010-09-01, ...)
    config = SyntheticMarketConfig(n_stocks=8, years=1, start="2010-01-04", listed_at_start_fraction=1.0,
                                   merger_rate=0.0, seed=8, jobs=1)
    write_market(folder, config, quiet=True)
    return folder


def test_rebalance_resizes_every_stock_on_each_months_first_trading_day(market):
    tickers = bench_runtime.full_period_tickers(market, 8)
    days = formats.read_equity_daily(formats.equity_daily_path(market, INDEX_TICKER)).index
    months = sorted({(day.year, day.month) for day in days})
    first_days = {month: min(day for day in days if (day.year, day.month) == month) for month in months}
    # the case at stake: a stock's ex-dividend date (the trading day after its factor row) is a month's first
    # trading day, so that day starts with a 00:00 step holding only the dividend (LEAN's slices)
    ex_dates = {days[days > row][0] for ticker in tickers
                for row in formats.read_factor_file(formats.factor_file_path(market, ticker)).index if row < days[-1]}
    assert ex_dates & set(list(first_days.values())[1:])
    algo, _, _ = run_algorithm(bench_runtime.make_algorithm(tickers, days[0], days[-1], "rebalance"), market)
    orders = list(algo.transactions.get_orders())
    by_month = {month: sum(1 for o in orders if (o.time.year, o.time.month) == month) for month in months}
    # one order per stock and month: the dividend-only step does not take the month's turn
    assert by_month == dict.fromkeys(months, len(tickers))
    assert {o.time.date() for o in orders} == {day.date() for day in first_days.values()}


def test_panel_holds_the_adjusted_bars_backtrader_reads(market, tmp_path):
    tickers = bench_runtime.full_period_tickers(market, 3)
    days = formats.read_equity_daily(formats.equity_daily_path(market, INDEX_TICKER)).index
    path = tmp_path / "panel.npz"
    bench_runtime.write_peer_panel(market, tickers, days[0], days[-1], path)
    panel = read_panel(path)
    assert list(panel["tickers"]) == tickers
    assert panel["close"].shape == (len(days), 3)
    np.testing.assert_array_equal(panel["dates"], days.to_numpy().astype("datetime64[D]"))
    for column, ticker in enumerate(tickers):
        bars = bench_runtime.adjusted_bars(market, ticker, days[0], days[-1])
        np.testing.assert_array_equal(panel["close"][:, column], bars["close"].to_numpy())
        np.testing.assert_array_equal(panel["volume"][:, column], bars["volume"].to_numpy())
    # adjusted: the raw zip's last close equals the adjusted one (factor 1 after the last event)
    raw = formats.read_equity_daily(formats.equity_daily_path(market, tickers[0]))
    assert panel["close"][-1, 0] == pytest.approx(raw["close"].loc[:pd.Timestamp(days[-1])].iloc[-1])


def test_a_peer_without_its_environment_is_skipped_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_runtime, "PEERS_DIR", tmp_path)
    monkeypatch.setattr(bench_runtime, "ROOT", tmp_path.parent)
    message = bench_runtime.run_peer("zipline", tmp_path / "panel.npz", "rebalance")
    assert message == f"skipped: its environment {tmp_path.name}/.venv-zipline is absent (make bench-peers builds it)"
