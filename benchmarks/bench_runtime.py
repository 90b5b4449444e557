"""Benchmark: lean_local's backtest speed against backtrader on the same data and strategy.

A buy-and-rebalance strategy (equal weights over every stock, rebalanced on the first trading day of
each month) runs over a synthetic market (default 500 stocks x 10 years of daily bars, written with
``lean_local.data.synthetic``) in lean_local and in backtrader, one after the other in this process.
Prints data points per second for both and the ratio, and the process's peak memory after
lean_local runs over half and all of the days. lean_local's timings are with its parsed-data cache
warm (the first run parses LEAN's files; later runs read ``~/.cache/lean_local``). Not part of the
test run::

    .venv/bin/python benchmarks/bench_runtime.py [--stocks 500] [--years 10] [--skip-backtrader]

Data points: bars delivered to the algorithm (lean_local: the slices' entries, fill-forward copies
included; backtrader: bars of every feed).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from lean_local.data import formats
from lean_local.data.synthetic import SyntheticMarketConfig, write_market
from lean_local.engine.algorithm import PortfolioTarget, QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm


def make_algorithm(tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> type[QCAlgorithm]:
    class Rebalance(QCAlgorithm):
        def initialize(self):
            self.set_start_date(start.year, start.month, start.day)
            self.set_end_date(end.year, end.month, end.day)
            self.set_cash(10_000_000)
            # rebalance every month like the backtrader version (LEAN would skip changes below 0.1% of TPV)
            self.settings.minimum_order_margin_portfolio_percentage = 0
            self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
            self.month = None

        def on_data(self, data):
            if self.time.month == self.month:
                return
            self.month = self.time.month
            present = [s for s in self.symbols if data.contains_key(s)]
            weight = 0.99 / len(present)
            self.set_holdings([PortfolioTarget(s, weight) for s in present])

    return Rebalance


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_lean_local(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, float, float]:
    """Data points, seconds, and this process's peak RSS (MB) after the run."""
    algorithm = make_algorithm(tickers, start, end)
    began = time.perf_counter()
    algo, record, loop = run_algorithm(algorithm, folder)
    seconds = time.perf_counter() - began
    return loop.data_points, seconds, max_rss_mb()


def run_backtrader(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, float]:
    import backtrader as bt

    # kept outside the strategy: backtrader's line objects intercept attribute access
    state = {"points": 0, "month": None}

    class Rebalance(bt.Strategy):
        def next(self):
            state["points"] += len(self.datas)
            today = self.datas[0].datetime.date(0)
            if today.month == state["month"]:
                return
            state["month"] = today.month
            weight = 0.99 / len(self.datas)
            for data in self.datas:
                self.order_target_percent(data, weight)

    began = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(10_000_000)
    cerebro.broker.setcommission(commission=0.0)
    cerebro.addstrategy(Rebalance)
    for ticker in tickers:
        bars = formats.read_equity_daily(formats.equity_daily_path(folder, ticker))
        factor_path = formats.factor_file_path(folder, ticker)
        if factor_path.exists():
            factor = formats.adjustment_factors(formats.read_factor_file(factor_path), bars.index)
            bars[["open", "high", "low", "close"]] = bars[["open", "high", "low", "close"]].mul(factor, axis=0)
        bars = bars.loc[start:end]
        cerebro.adddata(bt.feeds.PandasData(dataname=bars, openinterest=None), name=ticker)
    cerebro.run(runonce=False)
    return state["points"], time.perf_counter() - began


def full_period_tickers(folder: Path, count: int) -> list[str]:
    """Stocks with a bar on the folder's first and last trading day (listed the whole period)."""
    daily = formats.equity_daily_path(folder, "spy").parent
    spy = formats.read_equity_daily(daily / "spy.zip")
    first, last = spy.index[0], spy.index[-1]
    chosen = []
    for path in sorted(daily.glob("*.zip")):
        if path.stem == "spy":
            continue
        bars = formats.read_equity_daily(path)
        if bars.index[0] == first and bars.index[-1] == last and len(bars) == len(spy):
            chosen.append(path.stem)
        if len(chosen) == count:
            break
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stocks", type=int, default=500)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--folder", type=Path, default=None, help="reuse/keep a data folder (default: temporary)")
    parser.add_argument("--skip-backtrader", action="store_true")
    parser.add_argument("--skip-lean-local", action="store_true", help="time backtrader only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "data"
        if not (folder / "equity" / "usa" / "daily" / "spy.zip").exists():
            # everything listed for the whole period so both engines see the same rectangular panel
            config = SyntheticMarketConfig(n_stocks=int(args.stocks * 1.6), years=args.years, start="2010-01-04",
                                           listed_at_start_fraction=1.0, merger_rate=0.0)
            began = time.perf_counter()
            write_market(folder, config, quiet=True)
            print(f"data: {time.perf_counter() - began:.1f} s to write {config.n_stocks} stocks x {args.years} years")
        tickers = full_period_tickers(folder, args.stocks)
        spy = formats.read_equity_daily(formats.equity_daily_path(folder, "spy"))
        start, end = spy.index[0], spy.index[-1]
        half_end = spy.index[len(spy) // 2]
        print(f"{len(tickers)} stocks, {start.date()} .. {end.date()} ({len(spy)} trading days)")

        rate = 0.0
        if args.skip_lean_local:
            print("lean_local: skipped")
        else:
            rate = _lean_local_figures(folder, tickers, start, half_end, end)
        if not args.skip_backtrader:
            bt_points, bt_seconds = run_backtrader(folder, tickers, start, end)
            bt_rate = bt_points / bt_seconds if bt_points else 0.0
            print(f"backtrader: {bt_points:,} data points in {bt_seconds:.2f} s = {bt_rate:,.0f} points/s")
            if rate and bt_rate:
                print(f"lean_local / backtrader: {rate / bt_rate:.1f}x")
        print(f"max RSS of this process: {max_rss_mb():.0f} MB")


def _lean_local_figures(folder: Path, tickers: list[str], start: pd.Timestamp, half_end: pd.Timestamp,
                        end: pd.Timestamp) -> float:
    """Run over half and all of the days (cache warm); print both; return the full run's rate."""
    # half the days first: the process's peak RSS only grows, so the second figure is the full run's
    run_lean_local(folder, tickers, start, half_end)  # warms the parsed-data cache
    half_points, half_seconds, half_peak = run_lean_local(folder, tickers, start, half_end)
    print(f"lean_local, half the days: {half_points:,} points in {half_seconds:.2f} s "
          f"= {half_points / half_seconds:,.0f} points/s, peak RSS {half_peak:.0f} MB")
    points, seconds, peak = run_lean_local(folder, tickers, start, end)
    rate = points / seconds
    print(f"lean_local: {points:,} data points in {seconds:.2f} s = {rate:,.0f} points/s, peak RSS {peak:.0f} MB")
    return rate

if __name__ == "__main__":
    main()
