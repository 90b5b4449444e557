"""The ``lean-local`` command: LEAN CLI's verbs for a workspace, run locally.

Each command group registers itself (``register(subparsers)``) from the module that implements it.
Only the module of the command being run is imported (``lean-local --help`` and ``--version``
import none), so help and quick commands do not pay for numpy, pandas or scikit-learn. This module
dispatches, resolves the project argument (a name or a path, the same for every command) and turns
known errors into a message and a non-zero exit.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

import lean_local

# Every command: the module that registers it and its one-line summary for ``lean-local --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("workspace_jobs.demo", "build data, train, backtest every strategy, write reports (the README's main job)"),
    "data": ("lean_local.data.cli", "fill or check a LEAN data folder"),
    "train": ("workspace_jobs.training", "train, validate and export a project's ML models"),
    "backtest": ("lean_local.backtest.cli", "run a project's main.py like `lean backtest` (daily data)"),
    "research": ("lean_local.backtest.cli", "start Jupyter with the AlgorithmImports shim and Library on the path"),
    "report": ("lean_local.report", "write a backtest's HTML report (like `lean report`)"),
    "optimize": ("lean_local.optimize", "sweep config.json parameters in parallel, like `lean optimize`"),
    "conformance": ("lean_local.conformance", "LEAN's regression algorithms against LEAN's statistics"),
}

EXAMPLES = """examples:
  lean-local demo                                     build data, train, backtest, report
  lean-local backtest fx_momentum_reversion           run a project like `lean backtest`
  lean-local backtest algorithms/kalman_mean_reversion --parameter entry_z 2
  lean-local report --project kalman_mean_reversion   HTML report of the newest backtest
  lean-local data ecb-fx                              ECB FX rates as LEAN forex files
  lean-local data lean-sample                         link LEAN's sample data into the data folder
  lean-local optimize kalman_mean_reversion --parameter entry_z 1 2 0.5
  lean-local conformance                              LEAN's regression algorithms vs LEAN's statistics

A project is named by its folder name (kalman_mean_reversion) or its path (algorithms/kalman_mean_reversion).
"""


def version_text() -> str:
    """What ``lean-local --version`` prints."""
    python = ".".join(str(part) for part in sys.version_info[:3])
    return f"lean-local {lean_local.__version__} (Python {python})"


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``argv``, only the module of the command ``argv`` names is imported
    (the other commands are listed with their summary only). Without ``argv``, every command is
    registered in full."""
    parser = argparse.ArgumentParser(
        prog="lean-local",
        description="Run QuantConnect LEAN algorithms of this workspace locally (daily data, no Docker).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_text())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    chosen = COMMANDS.get(_command_of(argv) or "", ("", ""))[0] if argv is not None else None
    registered: set[str] = set()
    for name, (module, summary) in COMMANDS.items():
        if name in subparsers.choices:
            continue
        if argv is None or module == chosen:
            if module not in registered:
                importlib.import_module(module).register(subparsers)
                registered.add(module)
        if name not in subparsers.choices:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first argument that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def resolve_project_argument(args: argparse.Namespace) -> None:
    """Every command takes a project as its name or its folder: ``args.project`` becomes the folder
    (``train``: the name, which names its training pipeline).

    Raises
    ------
    lean_local.workspace.ProjectNotFoundError
        No such project; the message lists the workspace's projects.
    """
    from lean_local.workspace import resolve_project

    if getattr(args, "project", None):
        project = resolve_project(args.project)
        args.project = project.name if args.command == "train" else str(project)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lean-local``; returns the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(arguments).parse_args(arguments)
    from lean_local.data.formats import DataFormatError
    from lean_local.workspace import ProjectNotFoundError

    try:
        resolve_project_argument(args)
        return int(args.func(args) or 0)
    except ProjectNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DataFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``lean-local`` script: runs :func:`main` and exits the process with its code.

    Before the exit every live object goes to the collector's permanent generation (``gc.freeze``), so
    the interpreter's shutdown collection skips them: after a backtest that collection walked numpy's,
    pandas' and the run's objects for 0.1 to 0.25 s, only for the process to release them anyway. Every
    file the commands write is closed before they return, so the shutdown has nothing left to finalize.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
