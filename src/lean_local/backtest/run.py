"""``run_backtest``: a project folder run like ``lean backtest``, its result files and report written."""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lean_local import progress
from lean_local import workspace as workspaces
from lean_local.backtest.outputs import write_outputs, write_report
from lean_local.backtest.project import load_algorithm_class
from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.run_record import missing_benchmark_note
from lean_local.engine.runner import AlgorithmInterrupted, AlgorithmRuntimeError, NoDataError, run_algorithm
from lean_local.engine.time_limit import time_loop_minutes
from lean_local.parameters import check_parameter_names
from lean_local.run_folders import claim_run_folder
from lean_local.statistics import BacktestRecord


@dataclass
class RunResult:
    """What a finished run hands back."""

    algorithm: QCAlgorithm
    record: BacktestRecord
    statistics: dict[str, str]
    output_dir: Path | None
    data_points: int
    seconds: float



def run_backtest(project_dir: str | Path, *, parameters: dict[str, str] | None = None,
                 data_folder: str | Path | None = None, output_dir: str | Path | None = None,
                 progress: bool = True, report: bool = False, quiet: bool = False) -> RunResult:
    """Run a project folder like ``lean backtest``: load ``main.py``, run it, write LEAN's result
    files into ``<project>/backtests/<YYYY-MM-DD_HH-MM-SS>/`` (or ``output_dir``) and, when ``report``,
    the HTML report beside them; print the statistics table unless ``quiet``.

    Raises
    ------
    AlgorithmRuntimeError
        The algorithm raised; the partial results were written first (state ``RuntimeError``).
    AlgorithmInterrupted
        Ctrl-C; the partial results were written first (state ``Stopped``).
    lean_local.data.formats.DataFormatError
        A data file is corrupt; nothing is written.
    """
    from lean_local.object_store import ObjectStore
    from lean_local.results import format_statistics_table

    project = Path(project_dir).resolve()
    if not (project / "main.py").is_file():
        raise FileNotFoundError(f"{project} has no main.py")
    found = workspaces.find_workspace(project)
    workspace = found or project.parent
    folder = workspaces.data_folder(project, data_folder, reading=True)
    if not folder.is_dir():
        source = "--data-folder" if data_folder else "the workspace's data folder (lean.json, LEAN_DATA_FOLDER)"
        raise FileNotFoundError(f"{source} {folder} does not exist")
    config_path = project / "config.json"
    config = workspaces.project_config(project)
    if output_dir is not None and Path(output_dir).exists() and not Path(output_dir).is_dir():
        raise NotADirectoryError(f"--output {output_dir} is a file: give a folder for the results")
    check_parameter_names(parameters or {}, config.get("parameters", {}), config_path)
    merged = {k: str(v) for k, v in config.get("parameters", {}).items()}
    merged.update({k: str(v) for k, v in (parameters or {}).items()})
    store = ObjectStore(workspaces.object_store_root(found, project.parent))
    minutes = time_loop_minutes(workspaces.lean_config(found))
    algorithm_class = load_algorithm_class(project, workspace)
    out = Path(output_dir) if output_dir else claim_run_folder(project / "backtests")
    started = time_module.perf_counter()
    bar = _progress_bar(progress)
    try:
        algo, record, loop = run_algorithm(algorithm_class, folder, merged, store, on_step=bar,
                                           time_loop_minutes=minutes)
    except formats.DataFormatError:
        _close(bar)
        if not output_dir and not any(out.iterdir()):
            out.rmdir()  # a corrupt input leaves no empty run folder behind
        raise
    except (AlgorithmRuntimeError, AlgorithmInterrupted) as error:
        _close(bar)
        _, result_json = write_outputs(error.record, out)
        if report:
            write_report(result_json, folder)
        raise
    _close(bar)
    if loop.data_slices == 0:
        if output_dir is None and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # the run folder claimed for this run stays only when it holds results
        raise NoDataError(
            f"no data: no subscription of {algo.name} has data in {folder} from {algo.start_date:%Y-%m-%d} to "
            f"{algo.end_date:%Y-%m-%d}; the warnings above name each missing file and the command that builds it")
    seconds = time_module.perf_counter() - started
    statistics, result_json = write_outputs(record, out)
    report_path = write_report(result_json, folder) if report else None
    if not quiet:
        print(format_statistics_table(statistics))
        note = missing_benchmark_note(algo, record)
        if note:
            print(note)
        print(f"Backtest results written to {out} ({loop.data_points} data points in {seconds:.2f} s)")
        if report_path is not None:
            print(f"Report: {report_path}")
    return RunResult(algo, record, statistics, out, loop.data_points, seconds)


def _progress_bar(enabled: bool) -> Any:
    """The backtest's bar, or None when none shows (the loop then skips its updates)."""
    return progress.bar(0, "backtest", "step") if progress.shown(enabled) else None


def _close(bar: Any) -> None:
    if bar is not None:
        bar.close()
