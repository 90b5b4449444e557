"""Running grid points: one backtest per point, in joblib worker processes or on a Dask cluster."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local import progress
from lean_local.optimize.grid import OptimizationError
from lean_local.optimize.objective import Objective

#: How long ``--dask-scheduler`` waits for the scheduler before giving up (a Dask time string).
SCHEDULER_TIMEOUT = "10s"


@dataclass
class RunSummary:
    """What a worker sends back: small, picklable, enough for tables, selection and the DSR.

    Attributes
    ----------
    run_id : str
        The run's folder name under the optimization folder.
    parameters : dict[str, str]
        The grid values of this run (not the whole ``config.json``).
    statistics : dict[str, str]
        LEAN's statistics as formatted strings (partial results for a failed run).
    state : str
        ``"Completed"`` or ``"RuntimeError"``.
    error : str or None
        The algorithm's exception and traceback for a failed run.
    output_dir : str
        Where the run's LEAN result files are.
    start_equity : float
        Portfolio value at the start, account currency.
    sample_times : np.ndarray
        LEAN's daily sample times (datetime64[ns], calendar midnights plus the last data time).
    sample_values : np.ndarray
        Portfolio value at each sample, account currency.
    returns : np.ndarray
        Daily returns as LEAN's statistics use them (fractions, ``statistics.daily_returns``).
    seconds : float
        Wall time of the backtest.
    """

    run_id: str
    parameters: dict[str, str]
    statistics: dict[str, str]
    state: str
    error: str | None
    output_dir: str
    start_equity: float
    sample_times: np.ndarray
    sample_values: np.ndarray
    returns: np.ndarray
    seconds: float

    @property
    def completed(self) -> bool:
        return self.state == "Completed"


def run_point(project_dir: str, run_id: str, grid_values: dict[str, str], overrides: dict[str, str],
              data_folder: str | None, output_dir: str) -> RunSummary:
    """Run one backtest of the grid; a top-level function of plain arguments so loky and Dask pickle it.

    Parameters
    ----------
    project_dir : str
        The project folder (``main.py`` and ``config.json``), a path the worker can read.
    run_id : str
        Name of the run (its result folder's name).
    grid_values : dict[str, str]
        The grid point's parameter values.
    overrides : dict[str, str]
        Further parameters for this run (the walk-forward window's ``start_date``/``end_date``).
    data_folder : str or None
        LEAN data folder; None resolves it from ``lean.json`` as ``lean-local backtest`` does.
    output_dir : str
        Folder for the run's LEAN result files.

    Returns
    -------
    RunSummary
        State ``"RuntimeError"`` when the algorithm raised (its partial results are written too).
    """
    from lean_local.backtest import run_backtest
    from lean_local.engine.runner import AlgorithmRuntimeError
    from lean_local.statistics import compute_statistics, daily_returns, take_samples

    parameters = {**grid_values, **overrides}
    error = None
    # Hundreds of statistics tables and HTML reports would bury the progress bar and the time.
    try:
        result = run_backtest(project_dir, parameters=parameters, data_folder=data_folder,
                              output_dir=output_dir, progress=False, quiet=True)
        record, statistics, seconds = result.record, result.statistics, result.seconds
    except AlgorithmRuntimeError as exc:
        record, error, seconds = exc.record, str(exc), float("nan")
        statistics = compute_statistics(record)
    samples = take_samples(record)
    returns, _ = daily_returns(samples)
    if overrides.get("start_date") and pd.Timestamp(record.start) != pd.Timestamp(overrides["start_date"]):
        raise OptimizationError(
            f"{project_dir}: the algorithm started on {record.start:%Y-%m-%d}, not on the start_date parameter "
            f"{overrides['start_date']}; walk-forward needs initialize() to call "
            'self.set_start_date(...) and self.set_end_date(...) from self.get_parameter("start_date") and '
            'self.get_parameter("end_date")')
    return RunSummary(run_id, dict(grid_values), statistics, record.state, error, output_dir,
                      float(record.start_equity), samples.times.values.astype("datetime64[ns]"),
                      np.asarray(samples.value, dtype=float), np.asarray(returns, dtype=float), seconds)


@contextlib.contextmanager
def dask_backend(address: str | None) -> Iterator[None]:
    """Inside the block joblib sends tasks to the Dask scheduler at ``address`` (no-op for None)."""
    if address is None:
        yield
        return
    import joblib

    try:
        from distributed import Client
    except ImportError as exc:
        raise OptimizationError("--dask-scheduler needs dask and distributed: "
                                "pip install dask==2024.12.1 distributed==2024.12.1") from exc
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise OptimizationError(
            f"could not reach the Dask scheduler at {address} ({exc}); start one with `dask scheduler` and "
            "workers with `dask worker ADDRESS` on machines that see the project and data folder at the same "
            "paths and have lean_local installed") from exc
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_with_parent(parent: int) -> None:
    """Worker initializer: the kernel kills this worker when the process that started it dies.

    ``lean-local optimize`` killed with SIGKILL cannot stop its loky workers, which would otherwise
    finish their backtest and idle for loky's five minutes. Linux's ``PR_SET_PDEATHSIG`` makes the
    parent's death a SIGKILL for the worker; a worker whose parent ``parent`` died before the call
    exits at once. Elsewhere it does nothing (the workers outlive a killed parent there).
    """
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _loky_backend() -> object:
    """joblib's loky backend whose workers run :func:`exit_with_parent` first."""
    from joblib._parallel_backends import LokyBackend

    class LokyBackendExitingWithParent(LokyBackend):
        def configure(self, n_jobs: int = 1, parallel: object = None, **kwargs: object) -> int:
            return super().configure(n_jobs, parallel, initializer=exit_with_parent, initargs=(os.getpid(),),
                                     **kwargs)

    return LokyBackendExitingWithParent()


def run_points(project_dir: Path, points: Sequence[tuple[str, dict[str, str], dict[str, str]]],
               output_root: Path, *, data_folder: str | None = None, jobs: int = -1,
               description: str = "optimize", objective: Objective | None = None) -> list[RunSummary]:
    """Run every ``(run_id, grid_values, overrides)`` point in parallel; results in the order of ``points``.

    With ``objective``, its statistic names are checked on the first completed run, so a misspelt
    ``--target`` stops the optimization after one backtest rather than after all of them.

    The backend is joblib's current one: loky processes (``jobs`` of them, -1 = every core; each
    ends with this process, even one killed by SIGKILL: :func:`exit_with_parent`), or the Dask
    cluster inside :func:`dask_backend`. Results arrive in completion order and are put
    back in the points' order, so the outcome does not depend on scheduling.
    """
    import joblib
    from joblib._parallel_backends import LokyBackend

    active, _ = joblib.parallel.get_active_backend()
    backend = _loky_backend() if type(active) is LokyBackend else None
    tasks = [joblib.delayed(run_point)(str(project_dir), run_id, values, overrides, data_folder,
                                       str(output_root / run_id)) for run_id, values, overrides in points]
    done: dict[str, RunSummary] = {}
    with progress.bar(len(tasks), description, "backtest", requested=bool(tasks)) as bar:
        for summary in joblib.Parallel(n_jobs=jobs, backend=backend, return_as="generator_unordered")(tasks):
            done[summary.run_id] = summary
            if objective is not None and summary.completed:
                objective.validate(summary.statistics)
                objective = None
            bar.update()
    return [done[run_id] for run_id, _, _ in points]

