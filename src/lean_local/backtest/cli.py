"""``lean-local backtest`` and ``lean-local research``."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from lean_local.workspace import WorkspaceConfigError, find_workspace, python_paths

PROJECT_HELP = "the project: its name (kalman_mean_reversion) or folder (algorithms/kalman_mean_reversion)"
BACKTEST_EXAMPLES = """examples:
  lean-local backtest fx_momentum_reversion
      the project's config.json parameters, on lean.json's data folder
  lean-local backtest algorithms/kalman_mean_reversion --parameter entry_z 2 --parameter gross_exposure 0.5
      parameters overridden for this run (names as in config.json)
  lean-local backtest ml_mean_reversion --data-folder data/synthetic --output /tmp/ml-run
      another data folder and result folder
  lean-local backtest kalman_mean_reversion --report
      the HTML report too (or later: lean-local report --project kalman_mean_reversion)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` and ``research`` commands."""
    backtest = subparsers.add_parser(
        "backtest",
        help="run a project's main.py like `lean backtest` (daily data)",
        description="Run algorithms/<project>/main.py on the workspace's LEAN data folder and write LEAN's "
                    "result files into <project>/backtests/<timestamp>/.",
        epilog=BACKTEST_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backtest.add_argument("project", help=PROJECT_HELP)
    backtest.add_argument("--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                          help="override a config.json parameter (repeatable)")
    backtest.add_argument("--data-folder", help="LEAN data folder (default: lean.json's data-folder)")
    backtest.add_argument("--output", help="result folder (default: <project>/backtests/<timestamp>)")
    backtest.add_argument("--report", action="store_true",
                          help="also write the HTML report beside the result files (what `lean-local report` "
                               "writes; like `lean backtest`, a backtest alone writes LEAN's result files)")
    backtest.set_defaults(func=_backtest)

    research = subparsers.add_parser(
        "research", help="start Jupyter with the AlgorithmImports shim and Library on the path",
        description="Launch Jupyter Lab/Notebook in the workspace's research/ folder; notebooks can then use "
                    "`from AlgorithmImports import *` and `qb = QuantBook()`.",
        epilog="examples:\n  lean-local research\n  lean-local research --notebook-dir research",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    research.add_argument("--notebook-dir", default="research", help="folder to open (default: research)")
    research.set_defaults(func=_research)


def _backtest(args: argparse.Namespace) -> int:
    from lean_local.backtest.run import run_backtest
    from lean_local.engine import runner
    from lean_local.parameters import UnknownParameterError

    try:
        run_backtest(args.project, parameters=dict(args.parameter), data_folder=args.data_folder,
                     output_dir=args.output, report=args.report)
    except runner.AlgorithmRuntimeError as error:
        print(f"Runtime Error: the algorithm raised an exception; partial results were written.\n{error}",
              file=sys.stderr)
        return 1
    except runner.AlgorithmInterrupted:
        print("Stopped by the user: partial results were written.", file=sys.stderr)
        return 130  # the shell's code for a run ended by SIGINT
    except (FileNotFoundError, NotADirectoryError, UnknownParameterError, WorkspaceConfigError,
            runner.NoDataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _research(args: argparse.Namespace) -> int:
    from lean_local.backtest.project import SHIM

    workspace = find_workspace() or Path.cwd()
    # the notebook folder is a LEAN project: its config.json libraries go on the path, as `lean research`
    notebooks = (workspace / args.notebook_dir).resolve()
    paths = [str(SHIM)] + [str(p) for p in python_paths(workspace, notebooks)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # The environment's own Jupyter, whatever is on PATH: the kernel must see the pinned packages.
    for app in ("jupyterlab", "notebook"):
        if importlib.util.find_spec(app) is not None:
            command = [sys.executable, "-m", app, f"--notebook-dir={args.notebook_dir}"]
            return subprocess.call(command, env=env, cwd=workspace)
    print('error: Jupyter is not installed in this environment: .venv/bin/pip install -e ".[research]"',
          file=sys.stderr)
    return 1
