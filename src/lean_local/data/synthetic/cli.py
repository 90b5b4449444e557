"""Command line: ``lean-local data synthetic``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lean_local.data.synthetic.config import SyntheticMarketConfig
from lean_local.data.synthetic.folder import FolderBusyError

CLI_EXAMPLE = """\
examples:
  lean-local data synthetic --stocks 500 --years 12 --seed 7 --data-folder data-synthetic
  lean-local data synthetic --stocks 30 --years 2 --reversal-strength 0 --data-folder /tmp/nulldata

The folder must be empty, missing, or an earlier synthetic market (it has synthetic.json), which is
then replaced in one step; one run at a time may write a folder. See docs/synthetic.md for the model and every knob.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``synthetic`` command's options to ``parser``."""
    defaults = SyntheticMarketConfig()
    parser.add_argument("--stocks", type=int, default=defaults.n_stocks, help="number of stocks (default %(default)s)")
    parser.add_argument("--years", type=float, default=defaults.years, help="calendar years (default %(default)s)")
    parser.add_argument("--start", default=defaults.start, help="first date, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    parser.add_argument(
        "--reversal-strength", type=float, default=defaults.reversal_strength,
        help="fraction of 3-day idiosyncratic moves reversed over 6 days, 0 = none (default %(default)s)",
    )
    parser.add_argument(
        "--fx-momentum", type=float, default=defaults.fx_momentum,
        help="FX monthly momentum coefficient on the last 3 months' return (default %(default)s)",
    )
    parser.add_argument(
        "--fx-reversion", type=float, default=defaults.fx_reversion,
        help="FX monthly fraction of the deviation from fair value closed (default %(default)s)",
    )
    parser.add_argument("--jobs", type=int, default=defaults.jobs, help="writer processes (default %(default)s)")
    parser.add_argument(
        "--data-folder", type=Path, default=None,
        help="target folder (default: data-folder of the nearest lean.json, else ./data)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar (also off when CI is set)")


def run(args: argparse.Namespace) -> int:
    """Run ``lean-local data synthetic`` from parsed arguments; returns the exit code."""
    from lean_local.data.synthetic.writer import write_market

    try:
        config = SyntheticMarketConfig(
            n_stocks=args.stocks, years=args.years, start=args.start, seed=args.seed,
            reversal_strength=args.reversal_strength, fx_momentum=args.fx_momentum,
            fx_reversion=args.fx_reversion, jobs=args.jobs,
        )
        if args.data_folder is not None:
            folder = args.data_folder
        else:
            from lean_local.workspace import data_folder

            folder = data_folder()
        market = write_market(folder, config, quiet=args.quiet)
    except (ValueError, FileExistsError, FolderBusyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"synthetic market written to {folder}: {config.n_stocks} stocks ({int(market.delisted.sum())} delisted), "
        f"{len(market.dates)} trading days {market.dates[0]:%Y-%m-%d}..{market.dates[-1]:%Y-%m-%d}, seed {config.seed}"
    )
    return 0


def register(data_subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``synthetic`` sub-command to the ``data`` command group's subparsers."""
    parser = data_subparsers.add_parser(
        "synthetic",
        help="generate a synthetic US market as a LEAN data folder",
        description="Generate a seeded synthetic US market (stocks, SPY, VIX, FX, coarse universe) "
        "as a self-contained LEAN data folder.",
        epilog=CLI_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser
