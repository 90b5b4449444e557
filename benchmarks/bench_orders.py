"""Benchmark: the cost of one order in lean_local, against the number of orders.

One synthetic market (every stock listed the whole period, written with ``lean_local.data.synthetic``).
For each number of stocks, two runs of the same algorithm over the same days:

* **daily**: every trading day, ``set_holdings`` over a list of ``PortfolioTarget``s whose weights
  alternate between two values, so every stock gets a market-on-open order every day, filled the next
  day (one order per stock and day);
* **hold**: the same ``on_data`` work (the slice read, the targets built), but ``set_holdings`` only on
  the first day.

An order's cost is ``(CPU of daily - CPU of hold) / (orders of daily - orders of hold)``: everything an
order adds to a run, LEAN's checks kept (sizing with the fee loop, the pre-order and buying-power checks
at submission and at the fill, the fee and slippage models, the portfolio update, the Submitted and
Filled order events, the fill record and the capacity estimate's monitoring). The two parts timed
inside the daily run are printed beside it: ``set_holdings`` (sizing to the Submitted event) and the fills
(``transactions.process``: the fill models to the Filled event). Times are CPU seconds, the fastest of
``--repeat`` runs of each case (on a shared machine a run's CPU time grows with the other processes' load). Not part of the test run::

    .venv/bin/python benchmarks/bench_orders.py [--stocks 20 100 400] [--days 250] [--folder DIR] [--repeat 3]
        [--against SRC]

``--against SRC`` measures another copy of the sources too (``SRC/lean_local``, e.g. an older commit's
``src`` from ``git archive``), each case in a child process alternating with this tree's, and prints
both and their ratio: before and after side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from lean_local.data import formats
from lean_local.data.synthetic import INDEX_TICKER, SyntheticMarketConfig, write_market
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.runner import run_algorithm
from lean_local.framework.targets import PortfolioTarget

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_runtime import full_period_tickers  # noqa: E402

#: Issue 20's target for one order, LEAN's checks kept.
ORDER_TARGET_US = 15
#: The two weights (share of the portfolio spread over the stocks) a stock alternates between.
WEIGHTS = (0.80, 0.99)


def make_algorithm(tickers: list[str], start: pd.Timestamp, end: pd.Timestamp, daily: bool,
                   timings: dict[str, float]) -> type[QCAlgorithm]:
    """The benchmark's algorithm; ``timings`` accumulates the CPU seconds of ``set_holdings`` and of the fills."""

    class Alternate(QCAlgorithm):
        def initialize(self) -> None:
            self.set_start_date(start.year, start.month, start.day)
            self.set_end_date(end.year, end.month, end.day)
            self.set_cash(10_000_000)
            self.set_benchmark(INDEX_TICKER)  # the synthetic market's ETF
            self.settings.minimum_order_margin_portfolio_percentage = 0
            self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
            self.days = 0
            process = self.transactions.process

            def timed_process() -> None:
                began = time.process_time()
                process()
                timings["fills"] += time.process_time() - began

            self.transactions.process = timed_process

        def on_data(self, data) -> None:
            present = [s for s in self.symbols if data.bars.contains_key(s)]
            if not present:
                return
            self.days += 1
            weight = WEIGHTS[self.days % 2] / len(present)
            targets = [PortfolioTarget(s, weight) for s in present]
            if daily or self.days == 1:
                began = time.process_time()
                self.set_holdings(targets)
                timings["set_holdings"] += time.process_time() - began

    return Alternate


def run(folder: Path, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp, daily: bool) -> dict:
    timings = {"set_holdings": 0.0, "fills": 0.0}
    algorithm = make_algorithm(tickers, start, end, daily, timings)
    cpu = time.process_time()
    algo, _record, _loop = run_algorithm(algorithm, folder)
    return {"cpu": time.process_time() - cpu, "orders": algo.transactions.orders_count, **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stocks", type=int, nargs="+", default=[20, 100, 400])
    parser.add_argument("--days", type=int, default=250, help="trading days per run")
    parser.add_argument("--folder", type=Path, default=None, help="reuse/keep a data folder (default: temporary)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case; the fastest counts (shared machine)")
    parser.add_argument("--against", type=Path, default=None, help="another source tree (its src folder) to compare")
    parser.add_argument("--child", nargs=2, metavar=("STOCKS", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "data"
        if not formats.equity_daily_path(folder, INDEX_TICKER).exists():
            years = args.days / 252 + 0.1
            config = SyntheticMarketConfig(n_stocks=int(max(args.stocks) * 1.6), years=years, start="2010-01-04",
                                           listed_at_start_fraction=1.0, merger_rate=0.0)
            write_market(folder, config, quiet=True)
        days = formats.read_equity_daily(formats.equity_daily_path(folder, INDEX_TICKER)).index[: args.days]
        all_tickers = full_period_tickers(folder, max(args.stocks))
        if args.child:
            count, mode = int(args.child[0]), args.child[1]
            print(json.dumps(run(folder, all_tickers[:count], days[0], days[-1], daily=mode == "daily")))
            return
        print(f"{days[0].date()} .. {days[-1].date()} ({len(days)} trading days); CPU seconds, fastest of "
              f"{args.repeat}")
        run(folder, all_tickers, days[0], days[-1], daily=False)  # warms the parsed-data cache
        trees = {"this tree": None} if args.against is None else {"this tree": SOURCE, str(args.against): args.against}
        print(f"{'sources':<20} {'stocks':>6} {'orders':>8} {'us/order':>9} {'set_holdings':>13} {'fills':>7}  "
              f"(CPU s: daily run, hold run)")
        for count in args.stocks:
            def measure(source: Path | None, mode: str, count: int = count) -> dict:
                if source is None:
                    return run(folder, all_tickers[:count], days[0], days[-1], daily=mode == "daily")
                return _child(source, folder, count, mode, args.days)

            # the trees' runs alternate, so a change in the machine's load reaches both
            runs: dict[str, dict[str, list[dict]]] = {name: {"hold": [], "daily": []} for name in trees}
            for _ in range(args.repeat):
                for name, source in trees.items():
                    for mode in ("hold", "daily"):
                        runs[name][mode].append(measure(source, mode))
            per_order = {}
            for name in trees:
                hold = min(runs[name]["hold"], key=lambda r: r["cpu"])
                daily = min(runs[name]["daily"], key=lambda r: r["cpu"])
                extra = daily["orders"] - hold["orders"]
                per_order[name] = (daily["cpu"] - hold["cpu"]) / extra * 1e6
                sizing = daily["set_holdings"] / daily["orders"] * 1e6
                fills = daily["fills"] / daily["orders"] * 1e6
                print(f"{name[-20:]:<20} {count:>6} {daily['orders']:>8,} {per_order[name]:>9.1f} {sizing:>13.1f} "
                      f"{fills:>7.1f}  ({daily['cpu']:.2f}, {hold['cpu']:.2f})")
            if len(per_order) == 2:
                this, other = per_order.values()
                print(f"{'':<20} {count:>6} this tree {other / this:.2f}x faster per order")
        print(f"us/order: the daily run's extra CPU time per extra order, target <= {ORDER_TARGET_US} us; "
              "set_holdings and fills: their CPU time in the daily run per order")


#: This tree's sources (the benchmark imports lean_local from the path it is run with).
SOURCE = Path(__file__).resolve().parents[1] / "src"


def _child(source: Path, folder: Path, stocks: int, mode: str, days: int) -> dict:
    """One run of this benchmark's case with ``source``'s lean_local, in a child process."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    output = subprocess.run([sys.executable, __file__, "--folder", str(folder), "--days", str(days),
                             "--stocks", str(stocks), "--child", str(stocks), mode],
                            check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
