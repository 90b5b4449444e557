"""Command line: ``lean-local optimize``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from lean_local.optimize.grid import MAX_GRID_POINTS, GridParameter, OptimizationError

if TYPE_CHECKING:  # the command's modules load only when it runs, so `--help` stays fast
    from lean_local.optimize.grid_search import OptimizationResult
    from lean_local.optimize.objective import Objective
    from lean_local.optimize.walkforward import WalkForwardResult

EXAMPLES = """examples:
  lean-local optimize algorithms/kalman_mean_reversion \\
      --parameter entry_z 1.0 2.0 0.5 --parameter gross_exposure 0.5 1.0 0.25
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1.0 2.0 0.5 \\
      --target "Sortino Ratio" --constraint "Drawdown < 0.25" --jobs 2
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1.0 2.0 0.5 \\
      --walk-forward 24 6
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1.0 2.0 0.5 \\
      --dask-scheduler tcp://10.0.0.5:8786

Percent statistics compare as fractions: "Drawdown < 0.25" keeps runs whose Drawdown is below 25.000%.
"""



def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``optimize`` command."""
    parser = subparsers.add_parser(
        "optimize",
        help="grid-optimize a project's parameters like `lean optimize` (parallel, Dask, walk-forward)",
        description="Backtest every point of a parameter grid (each a full backtest with the values passed as "
                    "config.json parameters), in parallel, and rank them by a target statistic subject to "
                    "constraints. Results go to <project>/optimizations/<timestamp>/.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", help="project folder holding main.py and config.json")
    parser.add_argument("--parameter", nargs=4, action="append", metavar=("NAME", "MIN", "MAX", "STEP"),
                        default=[], required=True, help="a parameter's grid (repeatable)")
    parser.add_argument("--target", default="Sharpe Ratio", help='statistic to optimize (default "Sharpe Ratio")')
    parser.add_argument("--target-direction", choices=("max", "min"), default="max",
                        help="maximize or minimize the target (default max)")
    parser.add_argument("--constraint", action="append", default=[], metavar='"STATISTIC OP VALUE"',
                        help='e.g. "Drawdown < 0.25" (percent statistics as fractions; repeatable)')
    parser.add_argument("--jobs", type=int, default=-1, help="parallel backtests (default -1: every core)")
    parser.add_argument("--walk-forward", nargs=2, type=int, metavar=("TRAIN_MONTHS", "TEST_MONTHS"),
                        help="choose on rolling training windows, evaluate on the following test windows")
    parser.add_argument("--dask-scheduler", metavar="ADDRESS",
                        help="run the backtests on a Dask cluster (e.g. tcp://10.0.0.5:8786)")
    parser.add_argument("--data-folder", help="LEAN data folder (default: lean.json's data-folder)")
    parser.add_argument("--output", help="result folder (default: <project>/optimizations/<timestamp>)")
    parser.add_argument("--max-points", type=int, default=MAX_GRID_POINTS,
                        help=f"refuse a grid of more points than this (default {MAX_GRID_POINTS:,})")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from lean_local.optimize.execution import dask_backend
    from lean_local.optimize.grid_search import optimize
    from lean_local.optimize.objective import Constraint, Objective
    from lean_local.optimize.walkforward import walk_forward

    try:
        parameters = [GridParameter.parse(*p) for p in args.parameter]
        objective = Objective(args.target, args.target_direction,
                              tuple(Constraint.parse(c) for c in args.constraint))
        with dask_backend(args.dask_scheduler):
            if args.walk_forward:
                result = walk_forward(args.project, parameters, objective, *args.walk_forward,
                                      data_folder=args.data_folder, output=args.output, jobs=args.jobs)
                print(format_walk_forward(result, objective))
            else:
                grid = optimize(args.project, parameters, objective, data_folder=args.data_folder,
                                output=args.output, jobs=args.jobs, max_points=args.max_points)
                print(format_grid(grid, objective))
    except OptimizationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def format_grid(result: OptimizationResult, objective: Objective, rows: int = 20) -> str:
    """The ranked table (top ``rows``), the best run and the files written."""
    columns = list(result.table.columns)
    shown = [c for c in columns[: columns.index("feasible") + 1] if c != "state"]
    stats = [objective.target] + [c.statistic for c in objective.constraints if c.statistic != objective.target]
    lines = [result.table[shown + list(dict.fromkeys(stats))].head(rows).to_string(index=False)]
    if result.best is None:
        lines.append("no configuration satisfies the constraints; loosen --constraint or widen the grid")
    else:
        lines.append(f"best: {result.best.run_id} {result.best.parameters} "
                     f"{objective.target} {result.best.statistics[objective.target]}, "
                     f"deflated Sharpe ratio {result.deflated_sharpe:.3f} over {len(result.runs)} configurations")
    lines.append(f"results written to {result.folder}")
    return "\n".join(lines)


def format_walk_forward(result: WalkForwardResult, objective: Objective) -> str:
    """Per-window choices, the out-of-sample Sharpe and the in-sample best with its DSR."""
    import pandas as pd

    lines = [pd.read_csv(result.folder / "walk-forward.csv").to_string(index=False)]
    s = result.summary
    lines.append(f"out-of-sample: Sharpe {s['outOfSampleSharpe']:.3f}, return {s['outOfSampleReturn']:.2%}")
    best = s["inSampleBest"]
    if best is not None:
        lines.append(f"in-sample best {best['parameters']}: Sharpe {best['sharpe']:.3f} "
                     f"(over the out-of-sample span {best['sharpeOverOutOfSampleSpan']:.3f}), deflated Sharpe "
                     f"ratio {best['deflatedSharpeRatio']:.3f} over {s['configurationsPerWindow']} configurations")
    lines.append(f"results written to {result.folder}")
    return "\n".join(lines)
