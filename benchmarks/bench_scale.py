"""Scale: the ml_mean_reversion backtest's wall time and peak memory against the market's names and years.

The calibrated synthetic market (``lean-local data synthetic``'s defaults: listings, delistings, illiquid
and penny names in the daily coarse files) is written once per size into ``--cache`` and reused. Each
market starts on 2002-01-02; the strategy's models are trained once (gradient boosting, ``lean-local
train``'s pipeline) on the smallest market's 2002-2003 coarse files and reused for every run, so the
runs time the backtest alone. Backtests start on 2004-01-02 (the strategy warms up on the days before)
with daily coarse selection of the 500 most liquid names (``top_n``), each in its own process so its
peak resident memory (``VmHWM``) is its own, result files written, no HTML report.

Runs: every ``--names`` at the longest ``--years`` (time against names), and the largest ``--names``
at every ``--years`` (time against years). Each line shows the coarse rows a day of the backtest's
period and the issue's target for the largest case: 3,000 names x 20 years under 60 s and 4 GB on two
cores. Not part of the test run::

    .venv/bin/python benchmarks/bench_scale.py [--names 500 1000 3000] [--years 5 10 20] [--cache DIR]

A small run for development: ``--names 300 --years 1 2``. ``--profile`` then runs the largest case again
under cProfile and prints its top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_ml_backtest import make_workspace  # noqa: E402

MARKET_START = "2002-01-02"
TRAINING_END = "2003-12-31"
BACKTEST_START = pd.Timestamp("2004-01-02")
PROFILE_LINES = 15
#: Issue 20's budget for the largest case.
TARGET = {"names": 3000, "years": 20, "seconds": 60.0, "gb": 4.0}


def market_folder(cache: Path, names: int, years: int) -> Path:
    """The calibrated market of ``names`` stocks covering the training years and ``years`` of backtest."""
    from lean_local.data.synthetic import SyntheticMarketConfig, write_market

    market_years = years + (BACKTEST_START - pd.Timestamp(MARKET_START)).days / 365.25 + 0.1
    folder = cache / f"market-{names}x{years}"
    if not (folder / "synthetic.json").exists():
        began = time.perf_counter()
        write_market(folder, SyntheticMarketConfig(n_stocks=names, years=market_years, start=MARKET_START), quiet=True)
        print(f"  (wrote the {names}-name market, {market_years:.1f} years, in {time.perf_counter() - began:.0f} s)")
    return folder


def coarse_rows_a_day(folder: Path, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Mean rows of the coarse files dated ``start`` .. ``end`` (what daily selection reads)."""
    from lean_local.data import formats

    files = [path for path in formats.coarse_folder(folder).glob("*.csv")
             if start.strftime("%Y%m%d") <= path.stem <= end.strftime("%Y%m%d")]
    return sum(path.read_bytes().count(b"\n") for path in files) / max(1, len(files))


def train_once(cache: Path, data_folder: Path) -> Path:
    """The object store holding the models, trained on ``data_folder``'s 2002-2003 coarse files once."""
    storage = cache / "storage"
    if not (storage / "ml_mean_reversion" / "manifest.json").exists():
        from workspace_jobs.training import train

        began = time.perf_counter()
        train(data_folder, storage, None, start=MARKET_START, end=TRAINING_END, kinds=("gbc",), permutation_repeats=1)
        print(f"  (trained the models on {data_folder.name} {MARKET_START}..{TRAINING_END} "
              f"in {time.perf_counter() - began:.0f} s)")
    return storage


def run_child(data_folder: Path, storage: Path, workspace: Path, end: pd.Timestamp, profile: bool = False) -> dict:
    """The backtest in a child process: wall and CPU seconds, data points, orders, peak RSS (GB) and, with
    ``profile``, cProfile's top functions (the run is then slower: time it without)."""
    command = [sys.executable, __file__, "--child", str(data_folder), str(storage), str(workspace), str(end.date())]
    output = subprocess.run(command + (["--profile"] if profile else []), check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(data_folder: Path, storage: Path, workspace: Path, end: str, profile: bool) -> None:
    from lean_local.backtest import run_backtest

    project = make_workspace(workspace, data_folder, storage)
    profiler = cProfile.Profile() if profile else None
    began, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = run_backtest(project, parameters={"start_date": str(BACKTEST_START.date()), "end_date": end},
                          data_folder=data_folder, output_dir=workspace / "out", progress=False, report=False, quiet=True)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    top = ""
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(PROFILE_LINES)
        top = text.getvalue()
    peak_kb = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                   if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "data_points": result.data_points, "peak_gb": peak_kb / 2**20,
                      "orders": result.algorithm.transactions.orders_count, "profile": top}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, nargs="+", default=[500, 1000, 3000])
    parser.add_argument("--years", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "lean-local-scale",
                        help="markets, models and workspaces, kept for the next run")
    parser.add_argument("--profile", action="store_true",
                        help="then run the largest case again under cProfile and print its top functions")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data_folder, storage, workspace, end = args.child
        child(Path(data_folder), Path(storage), Path(workspace), end, args.profile)
        return

    longest, largest = max(args.years), max(args.names)
    runs = [(names, longest) for names in sorted(args.names)]
    runs += [(largest, years) for years in sorted(args.years) if years != longest]
    args.cache.mkdir(parents=True, exist_ok=True)
    print(f"ml_mean_reversion backtest from {BACKTEST_START.date()}, top 500 by dollar volume selected daily; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    storage = train_once(args.cache, market_folder(args.cache, min(args.names), longest))
    for names, years in runs:
        data_folder = market_folder(args.cache, names, longest)
        end = BACKTEST_START + pd.DateOffset(years=years) - pd.Timedelta(days=1)
        result = run_child(data_folder, storage, args.cache / f"workspace-{names}", end)
        rows = coarse_rows_a_day(data_folder, BACKTEST_START, end)
        line = (f"  {names:>5,} names x {years:>2} years ({rows:,.0f} coarse rows a day): {result['seconds']:6.1f} s wall, "
                f"{result['cpu_seconds']:6.1f} s CPU, "
                f"peak RSS {result['peak_gb']:.2f} GB, {result['data_points']:,} data points, {result['orders']:,} orders")
        if (names, years) == (TARGET["names"], TARGET["years"]):
            wall = result["seconds"] < TARGET["seconds"] and result["peak_gb"] < TARGET["gb"]
            cpu = result["cpu_seconds"] < TARGET["seconds"] and result["peak_gb"] < TARGET["gb"]
            line += (f"  target < {TARGET['seconds']:.0f} s and < {TARGET['gb']:.0f} GB: wall {'met' if wall else 'MISSED'}, "
                     f"CPU {'met' if cpu else 'MISSED'}")
        print(line)
    if args.profile:
        names, years = runs[len(args.names) - 1]
        end = BACKTEST_START + pd.DateOffset(years=years) - pd.Timedelta(days=1)
        result = run_child(market_folder(args.cache, names, longest), storage, args.cache / f"workspace-{names}", end,
                           profile=True)
        print(f"cProfile of {names:,} names x {years} years ({result['seconds']:.1f} s wall under the profiler), "
              f"top {PROFILE_LINES} by own time:")
        print(result["profile"])


if __name__ == "__main__":
    main()
