"""A finished run's outputs: its statistics, LEAN's result files and the HTML report beside them."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from lean_local.collector import objects_frozen
from lean_local.engine.run_record import bare_record
from lean_local.engine.runner import AlgorithmRuntimeError
from lean_local.statistics import BacktestRecord


def write_outputs(record: BacktestRecord, out: Path) -> tuple[dict[str, str], Path]:
    """Statistics and LEAN's result files of ``record``; returns the statistics and ``<id>.json``.

    Raises
    ------
    AlgorithmRuntimeError
        Computing or writing them raised: the run is marked failed and its name, dates, logs and
        error are written instead (a run that had already failed keeps its own error first).
    """
    from lean_local.results import write_results
    from lean_local.statistics import compute_statistics, compute_total_performance

    try:
        # the run's objects frozen while the results are written: writing makes many short-lived objects, whose
        # collections would otherwise walk the run's millions again and again (a quarter of the writing's CPU
        # time at the end of a 4-year ML run)
        with objects_frozen():
            statistics = compute_statistics(record)
            return statistics, write_results(record, statistics, compute_total_performance(record), out)
    except Exception as exc:  # noqa: BLE001 - a failure here still leaves results, marked failed
        trace = traceback.format_exc()
        error = f"{record.error}\n" if record.error else ""
        error += f"Runtime Error: the result files could not be written: {exc}\n{trace}"
        failed = bare_record(record.algorithm_name, record.parameters, record.start, record.end,
                             [*record.logs, f"{record.end:%Y-%m-%d %H:%M:%S} ERROR:: the result files could not be written: {exc}"],
                             error, record.data_folder)
        write_results(failed, {}, compute_total_performance(failed), out)
        raise AlgorithmRuntimeError(error, failed) from exc


def write_report(result_json: Path, data_folder: Path) -> Path | None:
    """The HTML report beside the result files; a report that fails warns and never fails the run."""
    from lean_local.report import write_report

    try:
        return write_report(result_json, data_folder=data_folder)
    except Exception as error:  # noqa: BLE001 - the backtest's results stand without their report
        print(f"warning: the HTML report could not be written: {error}", file=sys.stderr)
        return None
