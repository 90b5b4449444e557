"""Benchmark: build the synthetic market (default 3,000 stocks x 20 years) and write it to a folder.

Prints the seconds spent generating the model, writing the files, in total, and the peak resident
memory of this process and of its worker processes. Target: under 60 s and 4 GB on two cores.
Not part of the test run::

    .venv/bin/python benchmarks/bench_synthetic.py --stocks 3000 --years 20 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from lean_local.data.synthetic import SyntheticMarketConfig, generate_market, write_market


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident set size of this process and of its largest finished child, in MB (Linux: KB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stocks", type=int, default=3000)
    parser.add_argument("--years", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=None, help="output folder (default: a temporary one, removed)")
    args = parser.parse_args()
    config = SyntheticMarketConfig(n_stocks=args.stocks, years=args.years, start="2004-01-02", jobs=args.jobs)

    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    market = generate_market(config)
    generate_seconds, generate_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    del market

    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench_synthetic_"))
    try:
        start = time.perf_counter()
        market = write_market(folder, config, quiet=True)
        total_seconds = time.perf_counter() - start
        n_files = sum(1 for p in folder.rglob("*") if p.is_file())
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    own, children = peak_rss_mb()
    print(f"synthetic market: {args.stocks} stocks x {args.years:g} years = {len(market.dates)} trading days, jobs={args.jobs}")
    print(f"generate (model only):  {generate_seconds:7.1f} s wall, {generate_cpu:.1f} s CPU")
    print(f"write_market (total):   {total_seconds:7.1f} s  ({n_files} files)")
    print(f"peak RSS: main {own:,.0f} MB, largest finished worker {children:,.0f} MB")
    # Wall times on a shared machine mean little without the load: two cores, load 2 = fully used.
    print(f"1-minute load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
