"""Benchmark: lean_local's backtest speed and memory against backtrader, same data, same strategies.

Two strategies over a synthetic market (default 500 stocks x 10 years of daily bars, written with
``lean_local.data.synthetic``), each in lean_local and in backtrader, one after the other in this
process:

* **rebalance** (order-bound): equal weights over every stock, every position re-sized on the first
  trading day of each month (about 59,000 orders);
* **buy-and-hold** (data-bound): the same equal weights bought on the first day and held (500 orders).

Prints data points per second for both engines and the ratios. Memory: each lean_local run is
repeated in a child process over a quarter, half and all of the days and reports the peak RSS of the run,
next to the bytes of bar data it loaded and the orders it holds, so the growth per day of what is
neither data nor results shows. lean_local's timings are with its parsed-data cache warm (the first
run parses LEAN's files; later runs read ``~/.cache/lean_local``). Not part of the test run::

    .venv/bin/python benchmarks/bench_runtime.py [--stocks 500] [--years 10] [--folder DIR] [--skip-backtrader]

Data points: bars delivered to the algorithm (lean_local: the slices' entries, fill-forward copies
included; backtrader: bars of every feed).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from lean_local.data import formats
from lean_local.data.synthetic import SyntheticMarketConfig, write_market
from lean_local.engine.algorithm import PortfolioTarget, QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm

STRATEGIES = ("rebalance", "buy-and-hold")


def make_algorithm(tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                   strategy: str = "rebalance") -> type[QCAlgorithm]:
    class EqualWeight(QCAlgorithm):
        def initialize(self):
            self.set_start_date(start.year, start.month, start.day)
            self.set_end_date(end.year, end.month, end.day)
            self.set_cash(10_000_000)
            # rebalance every month like the backtrader version (LEAN would skip changes below 0.1% of TPV)
            self.settings.minimum_order_margin_portfolio_percentage = 0
            self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
            self.month = None

        def on_data(self, data):
            if self.time.month == self.month or (strategy == "buy-and-hold" and self.month is not None):
                return
            self.month = self.time.month
            present = [s for s in self.symbols if data.contains_key(s)]
            weight = 0.99 / len(present)
            self.set_holdings([PortfolioTarget(s, weight) for s in present])

    return EqualWeight


def max_rss_mb() -> float:
    """This process's peak resident memory (MB) since the last :func:`reset_peak_rss`."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start the peak-RSS measurement afresh (Linux: ``clear_refs`` 5 resets VmHWM)."""
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        clear.write_text("5")


def run_lean_local(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                   strategy: str) -> dict:
    """One run: data points, seconds, peak RSS (MB), bar data loaded (MB) and orders."""
    algorithm = make_algorithm(tickers, start, end, strategy)
    began = time.perf_counter()
    algo, record, loop = run_algorithm(algorithm, folder)
    seconds = time.perf_counter() - began
    data_mb = sum(sub.ohlcv.nbytes + sub.time.nbytes + sub.end_time.nbytes + sub.factor.nbytes
                  for sub in algo._feed.subs) / 2**20
    return {"points": loop.data_points, "seconds": seconds, "peak_mb": max_rss_mb(), "data_mb": data_mb,
            "orders": algo.transactions.orders_count, "days": len(record.equity)}


def run_backtrader(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                   strategy: str) -> tuple[int, float]:
    import backtrader as bt

    # kept outside the strategy: backtrader's line objects intercept attribute access
    state = {"points": 0, "month": None}

    class EqualWeight(bt.Strategy):
        def next(self):
            state["points"] += len(self.datas)
            today = self.datas[0].datetime.date(0)
            if today.month == state["month"] or (strategy == "buy-and-hold" and state["month"] is not None):
                return
            state["month"] = today.month
            weight = 0.99 / len(self.datas)
            for data in self.datas:
                self.order_target_percent(data, weight)

    began = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(10_000_000)
    cerebro.broker.setcommission(commission=0.0)
    cerebro.addstrategy(EqualWeight)
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
    parser.add_argument("--child", nargs=2, metavar=("STRATEGY", "DAYS"), help=argparse.SUPPRESS)
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
        days = formats.read_equity_daily(formats.equity_daily_path(folder, "spy")).index
        if args.child:
            strategy, count = args.child[0], int(args.child[1])
            reset_peak_rss()  # finding the tickers read every file: measure the run alone
            print(json.dumps(run_lean_local(folder, tickers, days[0], days[count - 1], strategy)))
            return
        print(f"{len(tickers)} stocks, {days[0].date()} .. {days[-1].date()} ({len(days)} trading days)")
        run_lean_local(folder, tickers, days[0], days[-1], "buy-and-hold")  # warms the parsed-data cache
        for strategy in STRATEGIES:
            _compare(folder, tickers, days, strategy, args.skip_backtrader)
        print("memory, one child process per run (RSS = data + results + the rest):")
        for strategy in STRATEGIES:
            for count in (len(days) // 4, len(days) // 2, len(days)):
                child = _child(args.folder or folder, strategy, count)
                print(f"  {strategy:>12}, {child['days']:>5} days: peak RSS {child['peak_mb']:6.0f} MB, "
                      f"bar data {child['data_mb']:5.0f} MB, {child['orders']:>6,} orders")


def _compare(folder: Path, tickers: list[str], days: pd.DatetimeIndex, strategy: str, skip_backtrader: bool) -> None:
    run = run_lean_local(folder, tickers, days[0], days[-1], strategy)
    rate = run["points"] / run["seconds"]
    print(f"{strategy}: lean_local {run['points']:,} data points, {run['orders']:,} orders in "
          f"{run['seconds']:.2f} s = {rate:,.0f} points/s")
    if skip_backtrader:
        return
    bt_points, bt_seconds = run_backtrader(folder, tickers, days[0], days[-1], strategy)
    bt_rate = bt_points / bt_seconds if bt_points else 0.0
    print(f"{strategy}: backtrader {bt_points:,} data points in {bt_seconds:.2f} s = {bt_rate:,.0f} points/s; "
          f"lean_local / backtrader: {rate / bt_rate:.1f}x")


def _child(folder: Path, strategy: str, days: int) -> dict:
    output = subprocess.run([sys.executable, __file__, "--folder", str(folder), "--child", strategy, str(days)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
