"""Command line: ``lean-local data synthetic``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lean_local.data.synthetic.config import NOT_LINKED, WORKSPACE_SUBFOLDER, SyntheticMarketConfig
from lean_local.data.synthetic.folder import FolderBusyError

CLI_EXAMPLE = """\
examples:
  lean-local data synthetic
  lean-local data synthetic --stocks 30 --years 2 --reversal-strength 0 --data-folder /tmp/nulldata

Without --data-folder the market is written to <data>/synthetic (<data>: lean.json's data-folder) and its
stocks, universe files, SYNSPY and SYNVIX are linked into <data>, beside the real data there. With
--data-folder it is a self-contained LEAN data folder of its own. The folder written must be empty,
missing, or an earlier synthetic market (it has synthetic.json), which is then replaced in one step;
one run at a time may write a folder. See docs/synthetic.md for the model and every knob.
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
        help="a self-contained folder for the market (default: <data>/synthetic, linked into <data>, the "
             "data-folder of the nearest lean.json, else ./data)",
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
        workspace_data = None
        if args.data_folder is not None:
            folder = args.data_folder
        else:
            from lean_local.workspace import data_folder

            workspace_data = data_folder()
            folder = workspace_data / WORKSPACE_SUBFOLDER
        market = write_market(folder, config, quiet=args.quiet)
        if workspace_data is not None:
            from lean_local.data.folder_links import link_folder

            report = link_folder(folder, workspace_data, skip=NOT_LINKED, take_over_links=True)
    except (ValueError, FileExistsError, FolderBusyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"synthetic market written to {folder}: {config.n_stocks} stocks ({int(market.delisted.sum())} delisted), "
        f"{len(market.dates)} trading days {market.dates[0]:%Y-%m-%d}..{market.dates[-1]:%Y-%m-%d}, seed {config.seed}"
    )
    if workspace_data is not None:
        print(_link_summary(report, workspace_data))
    return 0


def _link_summary(report: Any, data: Path) -> str:
    """One paragraph on what joined ``data``: links, files kept, LEAN sample files taken over."""
    lines = [f"{report.linked} files linked into {data} (its market hours, interest rate and FX stay the real ones)"]
    if report.replaced:
        shown = ", ".join(str(path.relative_to(data)) for path in report.replaced[:3])
        lines.append(f"  {len(report.replaced)} linked files of another folder replaced by the synthetic market's "
                     f"({shown}{', ...' if len(report.replaced) > 3 else ''})")
    if report.kept:
        shown = ", ".join(str(path.relative_to(data)) for path in report.kept[:3])
        lines.append(f"  {len(report.kept)} files of {data} kept in place of the synthetic market's "
                     f"({shown}{', ...' if len(report.kept) > 3 else ''})")
    if report.removed:
        lines.append(f"  {report.removed} links to an earlier synthetic market's files removed")
    return "\n".join(lines)


def register(data_subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``synthetic`` sub-command to the ``data`` command group's subparsers."""
    parser = data_subparsers.add_parser(
        "synthetic",
        help="generate a synthetic US market as a LEAN data folder",
        description="Generate a seeded synthetic US market (stocks, its market ETF SYNSPY, its volatility index "
        "SYNVIX, FX, coarse universe) as a LEAN data folder, joined to the workspace's data folder by default.",
        epilog=CLI_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser
