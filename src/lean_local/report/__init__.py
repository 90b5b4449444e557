"""``lean-local report``: a self-contained HTML report of a backtest, like ``lean report``.

The report is built from LEAN's result JSON (``<project>/backtests/<timestamp>/<id>.json``) only,
so it works for any LEAN-shaped result. :func:`write_report` is also called after every
``lean-local backtest``; it writes ``report.html`` beside the result files.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from lean_local.atomic import write_atomic
from lean_local.progress import bar as progress_bar

REPORT_NAME = "report.html"
# LEAN's result file name: the backtest id, "1" and nine digits.
RESULT_NAME = re.compile(r"^\d{10}\.json$")

EXAMPLES = """examples:
  lean-local report --project kalman_mean_reversion
      report on the project's newest backtest (written to that backtest's folder)
  lean-local report algorithms/fx_momentum_reversion --output fx.html
      the newest backtest of a project folder, written to fx.html
  lean-local report
      the newest backtest of any project under the current folder
"""


class NoBacktestError(FileNotFoundError):
    """No result file was found where one was looked for."""


def write_report(result_json_path: str | os.PathLike[str], output_path: str | os.PathLike[str] | None = None,
                 *, data_folder: str | os.PathLike[str] | None = None, progress: bool = False) -> Path:
    """Write the HTML report of one backtest.

    Parameters
    ----------
    result_json_path : path
        LEAN's full result file, ``<id>.json``.
    output_path : path, optional
        Where to write; default ``report.html`` beside the result file. Parent folders are created.
    data_folder : path, optional
        The data folder the backtest read (for the synthetic-data note); default the result's
        ``algorithmConfiguration.dataFolder``, else the workspace's ``lean.json`` data folder.
    progress : bool
        Show a progress bar on a terminal (never when ``CI`` is set or stderr is not a TTY).

    Returns
    -------
    Path
        The report's path.

    Raises
    ------
    FileNotFoundError
        The result file does not exist.
    ResultFileError
        The file is not a LEAN result JSON.
    """
    # Imported here so that building the ``lean-local`` parser does not load pandas and matplotlib.
    from lean_local.report.model import build_report_data, data_source, load_result, project_description
    from lean_local.report.render import SECTION_NAMES, render_html

    source_path = Path(result_json_path)
    if not source_path.is_file():
        raise FileNotFoundError(f"{source_path} does not exist")
    result = load_result(source_path)
    data = build_report_data(result, project_description(source_path))
    source = data_source(result, source_path, data_folder)
    with progress_bar(len(SECTION_NAMES), "report", "section", requested=progress) as bar:
        text = render_html(data, source, progress=lambda _name: bar.update(1))
    out = Path(output_path) if output_path else source_path.parent / REPORT_NAME
    write_atomic(out, text.encode("utf-8"))
    return out


def latest_result(project_dir: str | os.PathLike[str]) -> Path:
    """The newest ``backtests/<timestamp>/<id>.json`` of a project (timestamps sort as text).

    Raises
    ------
    NoBacktestError
        The project has no backtest result; the message says to run ``lean-local backtest``.
    """
    project = Path(project_dir)
    if not project.is_dir():
        raise NoBacktestError(f"{project} is not a folder; pass a project folder such as algorithms/<name>")
    found = _results_under([project / "backtests"])
    if not found:
        raise NoBacktestError(f"no backtest found in {project / 'backtests'}; run "
                              f"`lean-local backtest {project}` first")
    return found[-1]


def _results_under(backtest_folders: list[Path]) -> list[Path]:
    """Result files in ``<folder>/<run>/``, oldest first (by run folder name, then modification time)."""
    found = []
    for folder in backtest_folders:
        if not folder.is_dir():
            continue
        for run in folder.iterdir():
            if run.is_dir():
                found += [p for p in run.iterdir() if RESULT_NAME.match(p.name)]
    return sorted(found, key=lambda p: (p.parent.name, p.stat().st_mtime))


def latest_result_in_workspace(root: str | os.PathLike[str]) -> Path:
    """The newest result of any project at most two levels below ``root`` (or ``root`` itself)."""
    base = Path(root)
    folders = [base / "backtests", *base.glob("*/backtests"), *base.glob("*/*/backtests")]
    found = _results_under(folders)
    if not found:
        raise NoBacktestError(f"no backtest found under {base.resolve()}; run `lean-local backtest "
                              "algorithms/<project>` first, or pass a result file or --project")
    return found[-1]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="write a backtest's HTML report (like `lean report`)",
        description="Write a self-contained HTML report of a backtest: LEAN's statistics, equity against the "
                    "benchmark, drawdown, monthly returns, rolling Sharpe and volatility, exposure, positions, "
                    "trades, the algorithm's plots, parameters and data period. Opens without network access.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("result", nargs="?", metavar="BACKTEST_JSON",
                        help="a result file <id>.json (default: the newest backtest of --project, or under the "
                             "current folder)")
    parser.add_argument("--project", help="the project whose newest backtest to report on: its name "
                                          "(kalman_mean_reversion) or folder (algorithms/kalman_mean_reversion)")
    parser.add_argument("--output", help=f"HTML file to write (default: {REPORT_NAME} beside the result file)")
    parser.add_argument("--data-folder", help="data folder the backtest used, for the synthetic-data note "
                                              "(default: recorded in the result, else lean.json's)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from lean_local.report.model import ResultFileError

    try:
        if args.result and args.project:
            print("error: give a result file or --project, not both", file=sys.stderr)
            return 2
        if args.result:
            path = Path(args.result)
            if path.is_dir():
                path = latest_result(path) if (path / "backtests").is_dir() else _single_result(path)
        elif args.project:
            path = latest_result(args.project)
        else:
            path = latest_result_in_workspace(Path.cwd())
        out = write_report(path, args.output, data_folder=args.data_folder, progress=True)
    except (NoBacktestError, ResultFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"error: {error}; pass the <id>.json of a backtest folder, or --project algorithms/<name>",
              file=sys.stderr)
        return 2
    print(f"Report written to {out} (from {path})")
    return 0


def _single_result(folder: Path) -> Path:
    """A backtest output folder given instead of its result file."""
    found = sorted(p for p in folder.iterdir() if RESULT_NAME.match(p.name))
    if not found:
        raise NoBacktestError(f"{folder} holds no <id>.json result file; pass a result file or a project folder")
    return found[-1]
