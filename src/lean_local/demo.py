"""``lean-local demo``: the project's main job, end to end.

It runs the very commands a user would type (each is printed first): build the data folders, train
the ML models, backtest every strategy, and print where the results and reports are. Real data
serves where it exists (ECB FX rates, arch's VIX, LEAN's sample equities); the ML strategy runs on
the synthetic market, and says so.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The ML models are trained strictly before the backtest window: every backtest figure is out of sample.
SYNTHETIC_START = "2010-01-04"
ML_TRAIN_END = "2015-12-31"
ML_BACKTEST = ("2016-01-04", "2021-12-31")
# The FX tutorial's window, and the longest one the ECB file allows with a 5-year first fit.
FX_TUTORIAL = ("2013-06-01", "2016-06-01", "2004-01-01")
FX_LONGEST = ("2004-01-01", "2026-10-01", "1999-01-01")
HEADLINE_STATISTICS = ("Compounding Annual Return", "Sharpe Ratio", "Drawdown", "Win Rate", "Total Orders")


@dataclass(frozen=True)
class Backtest:
    """One backtest of the demo: a project, its data folder, parameter overrides and a label."""

    label: str
    project: str
    data_folder: Path
    parameters: tuple[tuple[str, str], ...]
    data_note: str


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="build data, train, backtest every strategy, write reports (the README's main job)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: lean-local demo --stocks 600   (a smaller synthetic market, for a quick look)",
    )
    from lean_local.data.synthetic import SyntheticMarketConfig

    calibrated = SyntheticMarketConfig()
    parser.add_argument("--stocks", type=int, default=calibrated.n_stocks,
                        help="synthetic market size (default %(default)s: the calibrated market)")
    parser.add_argument("--years", type=float, default=calibrated.years,
                        help="synthetic market years (default %(default)s)")
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Run every step; stop at the first failing one with its exit code."""
    from lean_local.engine.runner import run_backtest
    from lean_local.workspace import data_folder

    data = data_folder()
    synthetic = data / "synthetic"
    sample = _lean_sample_data()
    steps: list[list[str]] = [
        ["data", "ecb-fx", "--data-folder", str(data)],
        ["data", "vix", "--from-arch", "--data-folder", str(data)],
        ["data", "synthetic", "--stocks", str(args.stocks), "--years", str(args.years),
         "--start", SYNTHETIC_START, "--data-folder", str(synthetic)],
        ["train", "ml_mean_reversion", "--data-folder", str(synthetic), "--end", ML_TRAIN_END],
    ]
    for step in steps:
        code = _run(step)
        if code:
            return code

    results = []
    for backtest in _backtests(data, synthetic, sample):
        command = ["backtest", f"algorithms/{backtest.project}", "--data-folder", str(backtest.data_folder)]
        for name, value in backtest.parameters:
            command += ["--parameter", name, value]
        print(f"\n=== {backtest.label} ({backtest.data_note})")
        print("$ lean-local " + " ".join(command), flush=True)
        result = run_backtest(
            f"algorithms/{backtest.project}", parameters=dict(backtest.parameters),
            data_folder=backtest.data_folder, progress=False,
        )
        results.append((backtest, result))
    print(_summary(results))
    return 0


def _backtests(data: Path, synthetic: Path, sample: Path | None) -> list[Backtest]:
    equities = sample or synthetic
    equities_note = "LEAN's sample equities (real)" if sample else "synthetic market (no LEAN sample data found)"
    fx_note = "ECB reference rates (real)"
    return [
        Backtest("FX momentum + reversion, tutorial window", "fx_momentum_reversion", data,
                 (("start_date", FX_TUTORIAL[0]), ("end_date", FX_TUTORIAL[1]), ("fit_start", FX_TUTORIAL[2])),
                 fx_note),
        Backtest("FX momentum + reversion, longest window", "fx_momentum_reversion", data,
                 (("start_date", FX_LONGEST[0]), ("end_date", FX_LONGEST[1]), ("fit_start", FX_LONGEST[2]),
                  ("refit_months", "12")), fx_note),
        Backtest("Kalman mean reversion, single assets", "kalman_mean_reversion", equities,
                 (("mode", "single"),), equities_note),
        Backtest("Kalman mean reversion, pair", "kalman_mean_reversion", equities, (("mode", "pair"),),
                 equities_note),
        Backtest("ML mean reversion, top 500 of the calibrated market", "ml_mean_reversion", synthetic,
                 (("start_date", ML_BACKTEST[0]), ("end_date", ML_BACKTEST[1])), "SYNTHETIC market"),
    ]


def _lean_sample_data() -> Path | None:
    folder = os.environ.get("LEAN_DATA_FOLDER")
    candidates = [Path(folder)] if folder else []
    candidates.append(Path("..") / "shared" / "lean-data")
    for candidate in candidates:
        if (candidate / "equity" / "usa" / "daily" / "spy.zip").exists():
            return candidate.resolve()
    return None


def _run(command: Sequence[str]) -> int:
    from lean_local.cli import main

    print("\n$ lean-local " + " ".join(command), flush=True)
    return main(list(command))


def _summary(results) -> str:
    lines = ["", "Summary (every figure is out of sample; see each project's docs for the full story)", ""]
    header = ["backtest", "data", *HEADLINE_STATISTICS, "results"]
    rows = [header]
    for backtest, result in results:
        rows.append([backtest.label, backtest.data_note,
                     *(result.statistics.get(name, "") for name in HEADLINE_STATISTICS),
                     str(_report_or_folder(result.output_dir))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return "\n".join(lines)


def _report_or_folder(output_dir: Path | None) -> Path | None:
    if output_dir is None:
        return None
    reports = sorted(output_dir.glob("*.html"))
    return reports[0] if reports else output_dir

