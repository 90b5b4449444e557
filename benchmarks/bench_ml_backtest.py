"""Speed and memory of the ml_mean_reversion backtest: 500 stocks x 10 years, daily coarse selection.

Builds (or reuses) a synthetic 500-stock market (12 years from 2010, the demo's), trains the models on
2010-2015 with ``lean-local train`` (skipped when the workspace's object store already has them, or with
``--skip-training``), then runs the algorithm over ``--start``..``--end`` (default 2012-01-03..2021-12-31:
10 years) in this process and reports the wall time of the backtest alone and the peak resident memory
of the process. The budget of the issue: under 60 s on two cores, under 4 GB.

Run: ``.venv/bin/python benchmarks/bench_ml_backtest.py --data-folder /tmp/ml-bench/data``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_workspace(folder: Path, data: Path, storage: Path | None = None) -> Path:
    """A workspace in ``folder`` with a copy of the ml_mean_reversion project, reading ``data``; its object
    store is ``storage`` (default ``folder/storage``). Returns the project folder."""
    folder.mkdir(parents=True, exist_ok=True)
    storage = storage or folder / "storage"
    (folder / "lean.json").write_text(json.dumps({"data-folder": str(data), "object-store-root": str(storage)}))
    if not (folder / "Library").exists():
        (folder / "Library").symlink_to(ROOT / "Library")
    project = folder / "algorithms" / "ml_mean_reversion"
    project.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "algorithms" / "ml_mean_reversion", project, ignore=shutil.ignore_patterns("backtests"))
    storage.mkdir(parents=True, exist_ok=True)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-folder", type=Path, default=Path(tempfile.gettempdir()) / "ml-bench" / "data")
    parser.add_argument("--workspace", type=Path, default=Path(tempfile.gettempdir()) / "ml-bench" / "workspace")
    parser.add_argument("--stocks", type=int, default=500)
    parser.add_argument("--start", default="2012-01-03")
    parser.add_argument("--end", default="2021-12-31")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from lean_local.backtest import run_backtest
    from lean_local.data.synthetic import SyntheticMarketConfig, write_market
    from workspace_jobs.training import train

    if not (args.data_folder / "synthetic.json").exists():
        started = time.perf_counter()
        write_market(args.data_folder, SyntheticMarketConfig(n_stocks=args.stocks, years=12), quiet=True)
        print(f"synthetic market: {time.perf_counter() - started:.1f} s")
    project = make_workspace(args.workspace, args.data_folder)
    storage = args.workspace / "storage"
    if not args.skip_training and not (storage / "ml_mean_reversion" / "manifest.json").exists():
        started = time.perf_counter()
        train(args.data_folder, storage, None, end="2015-12-31", kinds=("gbc",), permutation_repeats=1)
        print(f"training (gbc, 5 folds): {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    result = run_backtest(project, parameters={"start_date": args.start, "end_date": args.end},
                          data_folder=args.data_folder, output_dir=args.workspace / "out", progress=False,
                          report=False)  # the budget is the backtest's; the HTML report is timed apart
    seconds = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"backtest {args.start}..{args.end}, {args.stocks} stocks: {seconds:.1f} s wall "
          f"({result.data_points} data points), peak RSS {peak_gb:.2f} GB")
    print(f"budget: < 60 s {'OK' if seconds < 60 else 'MISSED'}, < 4 GB {'OK' if peak_gb < 4 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
