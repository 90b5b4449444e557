"""The ``lean-local`` command: LEAN CLI's verbs for a workspace, run locally.

Each command group registers itself (``register(subparsers)``) from the layer that implements it;
this module only dispatches and turns known errors into a message and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXAMPLES = """examples:
  lean-local demo                                      build data, train, backtest, report
  lean-local data synthetic --stocks 500 --years 12    a synthetic US market in data/
  lean-local data ecb-fx                               ECB FX rates as LEAN forex files
  lean-local backtest algorithms/fx_momentum_reversion run a project like `lean backtest`
  lean-local report --project algorithms/fx_momentum_reversion   HTML report of the latest backtest
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1 2 0.5
  lean-local conformance                               LEAN's regression algorithms vs LEAN's statistics
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command group registered."""
    from lean_local import conformance, demo, optimize, report, training
    from lean_local.data import cli as data_cli
    from lean_local.engine import cli as engine_cli

    parser = argparse.ArgumentParser(
        prog="lean-local",
        description="Run QuantConnect LEAN algorithms of this workspace locally (daily data, no Docker).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for group in (demo, data_cli, training, engine_cli, report, optimize, conformance):
        group.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lean-local``; returns the process exit code."""
    from lean_local.data.formats import DataFormatError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DataFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
