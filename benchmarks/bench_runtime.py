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
        [--against SRC] [--repeat N]

``--against SRC`` runs lean_local's cases with another copy of the sources too (``SRC/lean_local``, e.g. an
older commit's ``src`` from ``git archive``), in child processes, and prints its line and the ratio
beside this tree's: before and after in one run. ``--repeat N`` runs each lean_local case N times (the two
trees alternating) and counts the fastest: on a shared machine one run's CPU time varies by up to 2x.

Data points: bars delivered to the algorithm (lean_local: the slices' entries, fill-forward copies
included; backtrader: bars of every feed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.data.synthetic import INDEX_TICKER, SyntheticMarketConfig, write_market
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm
from lean_local.framework.targets import PortfolioTarget

ROOT = Path(__file__).resolve().parents[1]
PEERS_DIR = ROOT / "benchmarks" / "peers"
sys.path.insert(0, str(PEERS_DIR))
from panel import STRATEGIES, write_panel  # noqa: E402

#: Peers run in their own virtual environments (``make bench-peers``): script suffix -> name printed.
PEERS = {"zipline": "zipline-reloaded", "nautilus": "nautilus_trader"}
#: Issue 20's targets: lean_local's data points per second, and the cost of one order.
POINTS_TARGET = {"rebalance": 1_000_000, "buy-and-hold": 2_000_000}
ORDER_TARGET_US = 15


def make_algorithm(tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                   strategy: str = "rebalance") -> type[QCAlgorithm]:
    class EqualWeight(QCAlgorithm):
        def initialize(self):
            self.set_start_date(start.year, start.month, start.day)
            self.set_end_date(end.year, end.month, end.day)
            self.set_cash(10_000_000)
            self.set_benchmark(INDEX_TICKER)  # the synthetic market's ETF
            # rebalance every month like the backtrader version (LEAN would skip changes below 0.1% of TPV)
            self.settings.minimum_order_margin_portfolio_percentage = 0
            self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
            self.month = None

        def on_data(self, data):
            if self.time.month == self.month or (strategy == "buy-and-hold" and self.month is not None):
                return
            # a step with only corporate events (a dividend at 00:00, as LEAN's slices) has no bars: wait
            present = [s for s in self.symbols if data.bars.contains_key(s)]
            if not present:
                return
            self.month = self.time.month
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
    began, cpu = time.perf_counter(), time.process_time()
    algo, record, loop = run_algorithm(algorithm, folder)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    data_mb = sum(sub.ohlcv.nbytes + sub.time.nbytes + sub.end_time.nbytes + sub.factor.nbytes
                  for sub in algo._feed.subs) / 2**20
    return {"points": loop.data_points, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": max_rss_mb(), "data_mb": data_mb,
            "orders": algo.transactions.orders_count, "days": len(record.equity)}


def adjusted_bars(folder: Path, ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """A stock's daily bars from ``start`` to ``end``, prices adjusted by its factor file (LEAN's ADJUSTED)."""
    bars = formats.read_equity_daily(formats.equity_daily_path(folder, ticker))
    factor_path = formats.factor_file_path(folder, ticker)
    if factor_path.exists():
        factor = formats.adjustment_factors(formats.read_factor_file(factor_path), bars.index)
        bars[["open", "high", "low", "close"]] = bars[["open", "high", "low", "close"]].mul(factor, axis=0)
    return bars.loc[start:end]


def run_backtrader(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                   strategy: str) -> tuple[int, float, float]:
    """Data points, wall seconds and CPU seconds of the backtrader run (feeds built from the files included)."""
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

    began, cpu = time.perf_counter(), time.process_time()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(10_000_000)
    cerebro.broker.setcommission(commission=0.0)
    cerebro.addstrategy(EqualWeight)
    for ticker in tickers:
        cerebro.adddata(bt.feeds.PandasData(dataname=adjusted_bars(folder, ticker, start, end), openinterest=None),
                        name=ticker)
    cerebro.run(runonce=False)
    return state["points"], time.perf_counter() - began, time.process_time() - cpu


def full_period_tickers(folder: Path, count: int) -> list[str]:
    """Stocks with a bar on the folder's first and last trading day (listed the whole period)."""
    daily = formats.equity_daily_path(folder, INDEX_TICKER).parent
    spy = formats.read_equity_daily(formats.equity_daily_path(folder, INDEX_TICKER))
    first, last = spy.index[0], spy.index[-1]
    chosen = []
    for path in sorted(daily.glob("*.zip")):
        if path.stem == INDEX_TICKER.lower():
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
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=list(PEERS),
                        help="peers in their own environments (default: all; none with an empty list)")
    parser.add_argument("--skip-memory", action="store_true", help="omit the memory runs")
    parser.add_argument("--against", type=Path, default=None, help="another source tree (its src folder) to compare")
    parser.add_argument("--repeat", type=int, default=1,
                        help="lean_local runs of each case; the fastest counts (shared machine)")
    parser.add_argument("--child", nargs=2, metavar=("STRATEGY", "DAYS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "data"
        if not formats.equity_daily_path(folder, INDEX_TICKER).exists():
            # everything listed for the whole period so every engine sees the same rectangular panel
            config = SyntheticMarketConfig(n_stocks=int(args.stocks * 1.6), years=args.years, start="2010-01-04",
                                           listed_at_start_fraction=1.0, merger_rate=0.0)
            began = time.perf_counter()
            write_market(folder, config, quiet=True)
            print(f"data: {time.perf_counter() - began:.1f} s to write {config.n_stocks} stocks x {args.years} years")
        tickers = full_period_tickers(folder, args.stocks)
        days = formats.read_equity_daily(formats.equity_daily_path(folder, INDEX_TICKER)).index
        if args.child:
            strategy, count = args.child[0], int(args.child[1])
            reset_peak_rss()  # finding the tickers read every file: measure the run alone
            print(json.dumps(run_lean_local(folder, tickers, days[0], days[count - 1], strategy)))
            return
        print(f"{len(tickers)} stocks, {days[0].date()} .. {days[-1].date()} ({len(days)} trading days)")
        panel = Path(tmp) / "panel.npz"
        if args.peers:
            write_peer_panel(folder, tickers, days[0], days[-1], panel)
        run_lean_local(folder, tickers, days[0], days[-1], "buy-and-hold")  # warms the parsed-data cache
        results = {strategy: _compare(folder, tickers, days, strategy, args.skip_backtrader, args.peers, panel,
                                      args.against, args.repeat)
                   for strategy in STRATEGIES}
        _order_cost(results)
        if args.skip_memory:
            return
        print("memory, one child process per run (RSS = data + results + the rest):")
        for strategy in STRATEGIES:
            for count in (len(days) // 4, len(days) // 2, len(days)):
                child = _child(args.folder or folder, strategy, count, args.stocks)
                print(f"  {strategy:>12}, {child['days']:>5} days: peak RSS {child['peak_mb']:6.0f} MB, "
                      f"bar data {child['data_mb']:5.0f} MB, {child['orders']:>6,} orders")


def write_peer_panel(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp, path: Path) -> None:
    """The adjusted bars the peers read (``benchmarks/peers/panel.py``), the same backtrader gets."""
    frames = [adjusted_bars(folder, ticker, start, end) for ticker in tickers]
    dates = frames[0].index
    columns = {name: np.column_stack([frame[name].reindex(dates).to_numpy() for frame in frames])
               for name in ("open", "high", "low", "close", "volume")}
    write_panel(path, tickers, dates.to_numpy().astype("datetime64[D]"), columns)


def run_peer(name: str, panel: Path, strategy: str) -> dict | str:
    """The peer's result (``points``, ``seconds``, ``setup_seconds``, ``orders``, ``version``), or why not."""
    venv = PEERS_DIR / f".venv-{name}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():  # make bench-peers writes it once the install succeeded
        return f"skipped: its environment {venv.relative_to(ROOT)} is absent (make bench-peers builds it)"
    process = subprocess.run([str(python), str(PEERS_DIR / f"run_{name}.py"), "--panel", str(panel),
                              "--strategy", strategy], capture_output=True, text=True)
    if process.returncode != 0:
        return f"failed (exit {process.returncode}): {process.stderr.strip().splitlines()[-1:] or ''}"
    return json.loads(process.stdout.strip().splitlines()[-1])


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _line(name: str, points: int, seconds: float, cpu: float, orders: int | None, note: str) -> str:
    orders_text = f"{orders:>7,} orders" if orders is not None else " " * 14
    return (f"  {name:<17} {points / cpu:>11,.0f} points/CPU s ({points / seconds:>11,.0f} points/s wall, "
            f"{seconds:7.2f} s wall, {cpu:7.2f} s CPU) {orders_text}  {note}")


def _compare(folder: Path, tickers: list[str], days: pd.DatetimeIndex, strategy: str, skip_backtrader: bool,
             peers: list[str], panel: Path, against: Path | None = None, repeat: int = 1) -> dict:
    """Run ``strategy`` in every engine, print one line each beside its target; returns lean_local's run.

    Rates and ratios are per CPU second (each engine runs on one core; on a busy shared machine the wall
    time counts the other processes' turns too); the wall figures are printed beside them. lean_local's
    runs count the fastest of ``repeat`` (with ``against``, the two trees' runs alternate)."""
    runs: list[dict] = []
    others: list[dict] = []
    for _ in range(repeat):
        # compared with another tree, both run in child processes (each pays its process's first-run costs)
        runs.append(run_lean_local(folder, tickers, days[0], days[-1], strategy) if against is None
                    else _child(folder, strategy, len(days), len(tickers), ROOT / "src"))
        if against is not None:
            others.append(_child(folder, strategy, len(days), len(tickers), against))
    run = min(runs, key=lambda r: r["cpu_seconds"])
    rate = run["points"] / run["cpu_seconds"]
    target = POINTS_TARGET[strategy]
    print(f"{strategy}:")
    print(_line("lean_local", run["points"], run["seconds"], run["cpu_seconds"], run["orders"],
                f"target >= {target:,}: {_verdict(rate >= target)}"))
    if against is not None:
        other = min(others, key=lambda r: r["cpu_seconds"])
        other_rate = other["points"] / other["cpu_seconds"]
        print(_line("lean_local --against", other["points"], other["seconds"], other["cpu_seconds"],
                    other["orders"], f"{against}: this tree {rate / other_rate:.2f}x"))
    if not skip_backtrader and importlib.util.find_spec("backtrader") is None:
        print(f"  {'backtrader':<17} skipped: not installed (make bench installs the bench extra)")
    elif not skip_backtrader:
        bt_points, bt_seconds, bt_cpu = run_backtrader(folder, tickers, days[0], days[-1], strategy)
        ratio = rate / (bt_points / bt_cpu)
        print(_line("backtrader", bt_points, bt_seconds, bt_cpu, None,
                    f"lean_local {ratio:.1f}x, target >= 100x: {_verdict(ratio >= 100)}"))
    for name in peers:
        peer = run_peer(name, panel, strategy)
        label = PEERS[name]
        if isinstance(peer, str):
            print(f"  {label:<17} {peer}")
            continue
        ratio = rate / (peer["points"] / peer["cpu_seconds"])
        goal = f"target > 1x: {_verdict(ratio > 1)}" if name == "zipline" else "reported"
        print(_line(label, peer["points"], peer["seconds"], peer["cpu_seconds"], peer["orders"],
                    f"lean_local {ratio:.2f}x, {goal} ({peer['version']}; its data setup "
                    f"{peer['setup_seconds']:.1f} s wall, not counted)"))
    return run


def _order_cost(results: dict[str, dict]) -> None:
    """Microseconds per order: the rebalance's extra CPU time over buy-and-hold per extra order (same data)."""
    rebalance, hold = results["rebalance"], results["buy-and-hold"]
    extra_orders = rebalance["orders"] - hold["orders"]
    if extra_orders <= 0:
        return
    micros = (rebalance["cpu_seconds"] - hold["cpu_seconds"]) / extra_orders * 1e6
    if micros <= 0:
        print(f"order path: not measurable here ({extra_orders:,} extra orders cost less than the runs' noise)")
        return
    print(f"order path: {micros:.1f} us per order (rebalance minus buy-and-hold CPU time / extra orders), "
          f"target <= {ORDER_TARGET_US} us: {_verdict(micros <= ORDER_TARGET_US)}")


def _child(folder: Path, strategy: str, days: int, stocks: int, source: Path | None = None) -> dict:
    """One lean_local run of ``stocks`` stocks in a child process (with ``source``'s lean_local when given)."""
    env = None if source is None else {**os.environ, "PYTHONPATH": str(source)}
    output = subprocess.run([sys.executable, __file__, "--folder", str(folder), "--stocks", str(stocks),
                             "--child", strategy, str(days)],
                            check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
