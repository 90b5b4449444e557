"""``lean-local optimize``: LEAN's grid optimization, run locally in parallel or on a Dask cluster.

Each grid point is one full backtest (:func:`lean_local.engine.runner.run_backtest`) with the
point's values passed as ``config.json`` parameters, exactly as ``lean optimize`` does with its
grid search strategy. Points run in separate processes through joblib (loky, every core by
default); with ``--dask-scheduler`` joblib's Dask backend sends them to a ``distributed`` cluster
instead. Every run's LEAN result files land in ``<project>/optimizations/<timestamp>/<run-id>/``.

Walk-forward mode re-runs the grid on rolling training windows (the project must read its
``start_date`` and ``end_date`` parameters), picks a configuration on each training window only,
and evaluates it on the next test window; the test windows' equity curves are chained into one
out-of-sample curve and shown beside the full-period (in-sample) best, with the deflated Sharpe
ratio of Bailey and Lopez de Prado (2014) so the cost of trying many configurations is visible.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import operator
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats as sps

from lean_local.parameters import UnknownParameterError, check_parameter_names
from lean_local.run_folders import claim_run_folder

#: The largest grid ``optimize`` runs unless told otherwise (``--max-points``).
MAX_GRID_POINTS = 10_000
#: Euler-Mascheroni constant, in the expected maximum of N standard normal Sharpe ratios.
EULER_GAMMA = 0.5772156649015329
#: Annualization of the daily Sharpe ratios reported beside LEAN's statistics (LEAN's 252 days).
TRADING_DAYS = 252
#: How long ``--dask-scheduler`` waits for the scheduler before giving up (a Dask time string).
SCHEDULER_TIMEOUT = "10s"

EXAMPLES = """examples:
  lean-local optimize algorithms/kalman_mean_reversion \\
      --parameter entry_z 1.0 2.0 0.5 --parameter exit_z 0.0 0.5 0.25
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1.0 2.0 0.5 \\
      --target "Sortino Ratio" --constraint "Drawdown < 0.25" --jobs 2
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1.0 2.0 0.5 \\
      --walk-forward 24 6
  lean-local optimize algorithms/kalman_mean_reversion --parameter entry_z 1.0 2.0 0.5 \\
      --dask-scheduler tcp://10.0.0.5:8786

Percent statistics compare as fractions: "Drawdown < 0.25" keeps runs whose Drawdown is below 25.000%.
"""


class OptimizationError(ValueError):
    """A user error in the optimization's arguments or project; the message says what to do."""


# --------------------------------------------------------------------------------------------
# Parameters, statistics, constraints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridParameter:
    """One ``--parameter NAME MIN MAX STEP``: the values ``min, min + step, ...`` up to ``max``."""

    name: str
    minimum: Decimal
    maximum: Decimal
    step: Decimal

    @classmethod
    def parse(cls, name: str, minimum: str, maximum: str, step: str) -> GridParameter:
        try:
            lo, hi, st = Decimal(minimum), Decimal(maximum), Decimal(step)
        except InvalidOperation as exc:
            raise OptimizationError(f"--parameter {name} {minimum} {maximum} {step}: MIN, MAX and STEP must be "
                                    "numbers (e.g. --parameter lookback 10 50 10)") from exc
        if not (lo.is_finite() and hi.is_finite() and st.is_finite()):
            raise OptimizationError(f"--parameter {name} {minimum} {maximum} {step}: MIN, MAX and STEP must be "
                                    "finite numbers")
        if st <= 0 or hi < lo:
            raise OptimizationError(f"--parameter {name}: need MIN <= MAX and STEP > 0 "
                                    f"(got {minimum} {maximum} {step})")
        return cls(name, lo, hi, st)

    @property
    def count(self) -> int:
        """The number of grid values."""
        return int((self.maximum - self.minimum) / self.step) + 1

    def values(self) -> list[str]:
        """The grid values as ``config.json`` strings (decimal arithmetic: 0.1 steps do not drift)."""
        return [_decimal_text(self.minimum + i * self.step) for i in range(self.count)]


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def grid_points(parameters: Sequence[GridParameter], max_points: int = MAX_GRID_POINTS) -> list[dict[str, str]]:
    """Every combination of the parameters' values; the last parameter varies fastest.

    A grid of more than ``max_points`` is refused before any value is built (each point is a
    whole backtest; ``--max-points`` raises the limit).
    """
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise OptimizationError(f"a parameter is given twice: {names}")
    size = math.prod(p.count for p in parameters)
    if size > max_points:
        raise OptimizationError(f"the grid has {size:,} points (one backtest each), more than --max-points "
                                f"{max_points:,}: widen the steps or raise --max-points")
    axes = [p.values() for p in parameters]
    mesh = np.array(np.meshgrid(*[np.arange(len(a)) for a in axes], indexing="ij")).reshape(len(axes), -1).T
    return [{name: axes[j][i] for j, (name, i) in enumerate(zip(names, row, strict=True))} for row in mesh]


_CURRENCY_PREFIX = re.compile(r"^[^\d+\-.]+")


def parse_statistic(text: str) -> float:
    """A LEAN formatted statistic as a number: ``"0.800%"`` -> 0.008, ``"$3.49"`` -> 3.49.

    Percent statistics become fractions, a currency symbol (``$``, ``€``, ``CHF ``) is dropped.

    Returns
    -------
    float
        The value; NaN when the text is not a number (``"Lowest Capacity Asset"``'s symbol).
    """
    s = str(text).strip().replace(",", "")
    percent = s.endswith("%")
    s = _CURRENCY_PREFIX.sub("", s.rstrip("%")).strip()
    try:
        value = float(s)
    except ValueError:
        return float("nan")
    return value / 100.0 if percent else value


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
}
_CONSTRAINT = re.compile(r"^\s*(?P<name>.+?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``"Drawdown < 0.25"``: a statistic, a comparison, a threshold (percent statistics as fractions)."""

    statistic: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        match = _CONSTRAINT.match(text)
        value = parse_statistic(match["value"]) if match else float("nan")
        if match is None or math.isnan(value):
            raise OptimizationError(f'--constraint "{text}": write STATISTIC OP VALUE, e.g. "Drawdown < 0.25" '
                                    f"(OP one of {', '.join(_OPERATORS)})")
        return cls(match["name"], match["op"], value)

    def holds(self, statistics: dict[str, str]) -> bool:
        value = parse_statistic(statistics[self.statistic])
        return not math.isnan(value) and _OPERATORS[self.op](value, self.value)

    def __str__(self) -> str:
        return f"{self.statistic} {self.op} {self.value:g}"


def _check_statistic(name: str, statistics: dict[str, str], what: str) -> None:
    if name not in statistics:
        raise OptimizationError(f'{what} "{name}" is not a LEAN statistic; use one of: {", ".join(statistics)}')
    if math.isnan(parse_statistic(statistics[name])):
        raise OptimizationError(f'{what} "{name}" is not numeric ("{statistics[name]}"); pick a numeric statistic')


# --------------------------------------------------------------------------------------------
# One run (executed in a worker process or on a Dask worker)
# --------------------------------------------------------------------------------------------


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
    from lean_local.engine.runner import AlgorithmRuntimeError, run_backtest
    from lean_local.statistics import compute_statistics, daily_returns, take_samples

    parameters = {**grid_values, **overrides}
    error = None
    # Hundreds of statistics tables and HTML reports would bury the progress bar and the time.
    try:
        result = run_backtest(project_dir, parameters=parameters, data_folder=data_folder,
                              output_dir=output_dir, progress=False, report=False, quiet=True)
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


# --------------------------------------------------------------------------------------------
# Running many points: joblib locally, joblib's Dask backend on a cluster
# --------------------------------------------------------------------------------------------


def _progress_enabled() -> bool:
    return not os.environ.get("CI") and sys.stderr.isatty()


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


def run_points(project_dir: Path, points: Sequence[tuple[str, dict[str, str], dict[str, str]]],
               output_root: Path, *, data_folder: str | None = None, jobs: int = -1,
               description: str = "optimize", objective: Objective | None = None) -> list[RunSummary]:
    """Run every ``(run_id, grid_values, overrides)`` point in parallel; results in the order of ``points``.

    With ``objective``, its statistic names are checked on the first completed run, so a misspelt
    ``--target`` stops the optimization after one backtest rather than after all of them.

    The backend is joblib's current one: loky processes (``jobs`` of them, -1 = every core), or
    the Dask cluster inside :func:`dask_backend`. Results arrive in completion order and are put
    back in the points' order, so the outcome does not depend on scheduling.
    """
    import joblib

    tasks = [joblib.delayed(run_point)(str(project_dir), run_id, values, overrides, data_folder,
                                       str(output_root / run_id)) for run_id, values, overrides in points]
    bar = None
    if _progress_enabled() and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="backtest", desc=description, leave=False)
    done: dict[str, RunSummary] = {}
    try:
        for summary in joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(tasks):
            done[summary.run_id] = summary
            if objective is not None and summary.completed:
                objective.validate(summary.statistics)
                objective = None
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    return [done[run_id] for run_id, _, _ in points]


# --------------------------------------------------------------------------------------------
# Selection and tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """The target statistic, its direction and the constraints a run must satisfy."""

    target: str = "Sharpe Ratio"
    direction: str = "max"
    constraints: tuple[Constraint, ...] = ()

    def validate(self, statistics: dict[str, str]) -> None:
        """Raise :class:`OptimizationError` when a name is not a numeric statistic of ``statistics``."""
        _check_statistic(self.target, statistics, "--target")
        for constraint in self.constraints:
            _check_statistic(constraint.statistic, statistics, "--constraint")

    def feasible(self, run: RunSummary) -> bool:
        return run.completed and all(c.holds(run.statistics) for c in self.constraints)

    def rank(self, runs: Sequence[RunSummary]) -> list[RunSummary]:
        """Feasible runs best first, then infeasible ones, then failed ones; ties by run id."""
        sign = -1.0 if self.direction == "max" else 1.0

        def key(run: RunSummary) -> tuple:
            value = parse_statistic(run.statistics.get(self.target, "nan"))
            group = 0 if self.feasible(run) else (1 if run.completed else 2)
            return group, math.isnan(value), sign * (0.0 if math.isnan(value) else value), run.run_id

        return sorted(runs, key=key)

    def best(self, runs: Sequence[RunSummary]) -> RunSummary | None:
        ranked = self.rank(runs)
        return ranked[0] if ranked and self.feasible(ranked[0]) else None


def results_table(runs: Sequence[RunSummary], objective: Objective) -> pd.DataFrame:
    """One row per run, sorted by the target: run id, parameters, feasibility, every statistic as a number.

    Non-numeric statistics (``Lowest Capacity Asset``) keep their text; percent statistics are fractions.
    """
    rows = []
    for run in objective.rank(runs):
        row: dict[str, Any] = {"run_id": run.run_id, **run.parameters, "state": run.state,
                               "feasible": objective.feasible(run)}
        for name, text in run.statistics.items():
            value = parse_statistic(text)
            row[name] = text if math.isnan(value) else value
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Deflated Sharpe ratio (Bailey & Lopez de Prado 2014)
# --------------------------------------------------------------------------------------------


def sharpe_ratio(returns: np.ndarray) -> float:
    """Per-period Sharpe ratio ``mean / sample std`` of ``returns`` (no risk-free rate); NaN when undefined."""
    r = np.asarray(returns, dtype=float)
    if len(r) < 2:
        return float("nan")
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r)) / sd if sd > 0 else float("nan")


def expected_max_sharpe(trials_variance: float, n_trials: int) -> float:
    """``SR0``: the expected maximum of ``n_trials`` Sharpe ratios whose true value is 0.

    ``sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))`` with ``g`` Euler's constant
    (Bailey & Lopez de Prado 2014, eq. 2); 0 for a single trial (no selection, no deflation).
    """
    if n_trials < 2:
        return 0.0
    return math.sqrt(trials_variance) * ((1 - EULER_GAMMA) * sps.norm.ppf(1 - 1 / n_trials)
                                         + EULER_GAMMA * sps.norm.ppf(1 - 1 / (n_trials * math.e)))


def deflated_sharpe_from_moments(sharpe: float, n_obs: int, skew: float, kurtosis: float,
                                 trials_variance: float, n_trials: int) -> float:
    """The deflated Sharpe ratio from the chosen run's moments.

    Parameters
    ----------
    sharpe : float
        The chosen configuration's per-period (not annualized) Sharpe ratio.
    n_obs : int
        Number of returns it was estimated from.
    skew, kurtosis : float
        Skewness and (non-excess, normal = 3) kurtosis of those returns.
    trials_variance : float
        Variance of the per-period Sharpe ratios across all configurations tried.
    n_trials : int
        Number of configurations tried.

    Returns
    -------
    float
        ``P[true SR > SR0]``, the probabilistic Sharpe ratio against :func:`expected_max_sharpe`;
        NaN when an input is NaN or the variance term is not positive.
    """
    sr0 = expected_max_sharpe(trials_variance, n_trials)
    radicand = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if n_obs < 2 or not math.isfinite(radicand) or radicand <= 0 or not math.isfinite(sr0):
        return float("nan")
    return float(sps.norm.cdf((sharpe - sr0) * math.sqrt(n_obs - 1) / math.sqrt(radicand)))


def deflated_sharpe_ratio(returns: np.ndarray, trial_sharpes: np.ndarray) -> float:
    """Deflated Sharpe ratio of ``returns`` chosen among trials with per-period Sharpe ``trial_sharpes``.

    NaN Sharpe ratios (flat runs) still count as trials but not in the variance.
    """
    r = np.asarray(returns, dtype=float)
    trials = np.asarray(trial_sharpes, dtype=float)
    finite = trials[np.isfinite(trials)]
    variance = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    if len(r) < 4:
        return float("nan")
    return deflated_sharpe_from_moments(sharpe_ratio(r), len(r), float(sps.skew(r, bias=False)),
                                        float(sps.kurtosis(r, fisher=False, bias=False)), variance, len(trials))


# --------------------------------------------------------------------------------------------
# Grid optimization
# --------------------------------------------------------------------------------------------


@dataclass
class OptimizationResult:
    """A finished grid: every run, the ranked table, the best feasible run and where it was written."""

    runs: list[RunSummary]
    table: pd.DataFrame
    best: RunSummary | None
    deflated_sharpe: float
    folder: Path
    files: list[Path] = field(default_factory=list)


def _project(project_dir: str | Path) -> tuple[Path, dict]:
    project = Path(project_dir).resolve()
    if not (project / "main.py").is_file():
        raise OptimizationError(f"{project} has no main.py; pass a project folder such as algorithms/<project>")
    config_path = project / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    return project, config


def _check_names(parameters: Sequence[GridParameter], project: Path, config: dict) -> None:
    try:
        check_parameter_names([p.name for p in parameters], config.get("parameters", {}), project / "config.json")
    except UnknownParameterError as error:
        raise OptimizationError(str(error)) from None


def _new_folder(project: Path, output: str | Path | None) -> Path:
    if not output:
        return claim_run_folder(project / "optimizations")
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _evaluate(runs: list[RunSummary], objective: Objective) -> tuple[pd.DataFrame, RunSummary | None, float]:
    completed = [r for r in runs if r.completed]
    if not completed:
        raise OptimizationError(f"every backtest failed; the first error was:\n{runs[0].error}\n"
                                f"(result files in {runs[0].output_dir})")
    objective.validate(completed[0].statistics)
    best = objective.best(runs)
    dsr = float("nan")
    if best is not None:
        dsr = deflated_sharpe_ratio(best.returns, np.array([sharpe_ratio(r.returns) for r in completed]))
    return results_table(runs, objective), best, dsr


def optimize(project_dir: str | Path, parameters: Sequence[GridParameter], objective: Objective, *,
             data_folder: str | None = None, output: str | Path | None = None, jobs: int = -1,
             max_points: int = MAX_GRID_POINTS) -> OptimizationResult:
    """Backtest every grid point and rank them: ``lean optimize`` with the grid strategy.

    Writes ``optimization.csv``/``.json`` (the ranked table), ``heatmap.png`` for two
    parameters, and each run's result files in ``<run-id>/``, under ``output`` or
    ``<project>/optimizations/<timestamp>/``.
    """
    project, config = _project(project_dir)
    _check_names(parameters, project, config)
    points = grid_points(parameters, max_points)
    width = len(str(len(points)))
    named: list[tuple[str, dict[str, str], dict[str, str]]] = [
        (f"run-{i + 1:0{width}d}", values, {}) for i, values in enumerate(points)]
    folder = _new_folder(project, output)
    runs = run_points(project, named, folder, data_folder=data_folder, jobs=jobs, objective=objective)
    table, best, dsr = _evaluate(runs, objective)
    result = OptimizationResult(runs, table, best, dsr, folder)
    result.files = _write_grid(result, parameters, objective, folder, "optimization")
    return result


def _write_grid(result: OptimizationResult, parameters: Sequence[GridParameter], objective: Objective,
                folder: Path, stem: str) -> list[Path]:
    csv_path, json_path = folder / f"{stem}.csv", folder / f"{stem}.json"
    result.table.to_csv(csv_path, index=False)
    document = {
        "target": objective.target, "targetDirection": objective.direction,
        "constraints": [str(c) for c in objective.constraints],
        "parameters": [{"name": p.name, "min": str(p.minimum), "max": str(p.maximum), "step": str(p.step)}
                       for p in parameters],
        "best": None if result.best is None else {"runId": result.best.run_id,
                                                  "parameters": result.best.parameters,
                                                  "statistics": result.best.statistics},
        "deflatedSharpeRatio": _json_number(result.deflated_sharpe),
        "runs": [{"runId": r.run_id, "parameters": r.parameters, "state": r.state,
                  "feasible": objective.feasible(r), "statistics": r.statistics, "outputDir": r.output_dir,
                  "seconds": _json_number(r.seconds), "error": r.error}
                 for r in objective.rank(result.runs)],
    }
    json_path.write_text(json.dumps(document, indent=2))
    files = [csv_path, json_path]
    if len(parameters) == 2:
        files.append(write_heatmap(result.table, parameters, objective, folder / f"{stem}-heatmap.png"))
    return files


def _json_number(value: float) -> float | None:
    return None if not math.isfinite(value) else round(value, 6)


def _json_clean(value: Any) -> Any:
    """Floats rounded and NaN as null (JSON has no NaN), through nested dicts."""
    if isinstance(value, dict):
        return {k: _json_clean(v) for k, v in value.items()}
    return _json_number(value) if isinstance(value, float) else value


def write_heatmap(table: pd.DataFrame, parameters: Sequence[GridParameter], objective: Objective,
                  path: Path) -> Path:
    """The target over a two-parameter grid as a PNG; infeasible cells greyed, the best one boxed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (px, py) = parameters
    xs, ys = px.values(), py.values()
    values = np.full((len(ys), len(xs)), np.nan)
    feasible = np.zeros_like(values, dtype=bool)
    for _, row in table.iterrows():
        i, j = ys.index(str(row[py.name])), xs.index(str(row[px.name]))
        values[i, j] = row.get(objective.target, np.nan) if row["state"] == "Completed" else np.nan
        feasible[i, j] = bool(row["feasible"])
    fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 3, 0.8 * len(ys) + 2.5))
    cmap = "viridis" if objective.direction == "max" else "viridis_r"
    image = ax.imshow(np.where(feasible, values, np.nan), cmap=cmap, origin="lower", aspect="auto")
    ax.imshow(np.where(feasible, np.nan, 0.0), cmap="Greys", vmin=-1, vmax=3, origin="lower", aspect="auto")
    for i in range(len(ys)):
        for j in range(len(xs)):
            text = "failed" if np.isnan(values[i, j]) else f"{values[i, j]:.3g}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if feasible[i, j] else "black")
    best = table[table["feasible"]].head(1)
    if len(best):
        i, j = ys.index(str(best[py.name].iloc[0])), xs.index(str(best[px.name].iloc[0]))
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(px.name)
    ax.set_ylabel(py.name)
    constraints = "; ".join(str(c) for c in objective.constraints)
    ax.set_title(f"{objective.target} ({objective.direction})" + (f"\ngrey: fails {constraints}" if constraints
                                                                  else ""))
    fig.colorbar(image, ax=ax, label=objective.target)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# Walk-forward
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """One walk-forward step: train on ``[train_start, train_end]``, test on ``[test_start, test_end]`` (dates inclusive)."""

    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp


def walk_forward_windows(start: str, end: str, train_months: int, test_months: int) -> list[Window]:
    """Rolling windows over ``[start, end]``: each test window follows its training window, the
    next training window starts ``test_months`` later; the last test window ends at ``end``."""
    if train_months < 1 or test_months < 1:
        raise OptimizationError("--walk-forward TRAIN_MONTHS TEST_MONTHS: both must be at least 1")
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    windows = []
    k = 0
    while True:
        train_start = first + pd.DateOffset(months=k * test_months)
        test_start = train_start + pd.DateOffset(months=train_months)
        if test_start > last:
            break
        test_end = min(test_start + pd.DateOffset(months=test_months) - pd.Timedelta(days=1), last)
        windows.append(Window(train_start, test_start - pd.Timedelta(days=1), test_start, test_end))
        k += 1
    if not windows:
        raise OptimizationError(f"the project's {start} to {end} span is shorter than {train_months} training "
                                "months plus a test window; shorten --walk-forward or widen start_date/end_date")
    return windows


@dataclass
class WindowResult:
    """A walk-forward window: the training grid, the configuration chosen on it and its test run."""

    window: Window
    train_runs: list[RunSummary]
    chosen: RunSummary | None
    train_deflated_sharpe: float
    test_run: RunSummary | None


@dataclass
class WalkForwardResult:
    """Every window, the stitched out-of-sample curve and the full-period (in-sample) grid beside it."""

    windows: list[WindowResult]
    oos_equity: pd.Series
    in_sample: OptimizationResult
    summary: dict[str, Any]
    folder: Path
    files: list[Path] = field(default_factory=list)


def _day(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%d")


def stitch_equity(runs: Sequence[RunSummary | None], windows: Sequence[Window]) -> pd.Series:
    """Chain the test windows' daily samples into one curve starting at 1.

    Each test run starts from fresh cash, so its growth ``value / start_equity`` is compounded onto
    the previous window's end; a window without a chosen configuration stays flat (in cash).
    """
    pieces, level = [], 1.0
    for run, window in zip(runs, windows, strict=True):
        if run is None:
            times = pd.date_range(window.test_start, window.test_end, freq="D")
            growth = np.ones(len(times))
        else:
            times = pd.DatetimeIndex(run.sample_times)
            growth = run.sample_values / run.start_equity
        pieces.append(pd.Series(level * growth, index=times))
        level *= float(growth[-1]) if len(growth) else 1.0
    curve = pd.concat(pieces)
    return curve[~curve.index.duplicated(keep="last")]


def _annualized_sharpe(returns: np.ndarray) -> float:
    return sharpe_ratio(returns) * math.sqrt(TRADING_DAYS)


def walk_forward(project_dir: str | Path, parameters: Sequence[GridParameter], objective: Objective,
                 train_months: int, test_months: int, *, data_folder: str | None = None,
                 output: str | Path | None = None, jobs: int = -1) -> WalkForwardResult:
    """Choose on each training window, evaluate on the next test window, compare with the in-sample best.

    The project's ``start_date`` and ``end_date`` parameters (``config.json``) give the whole span;
    each run overrides them with its window. Runs: the grid on every training window, the chosen
    point on every test window, and the grid on the whole span (the in-sample optimization).
    """
    project, config = _project(project_dir)
    _check_names(parameters, project, config)
    params = config.get("parameters", {})
    missing = [name for name in ("start_date", "end_date") if name not in params]
    if missing:
        raise OptimizationError(
            f"{project / 'config.json'} has no {' and '.join(missing)} parameter; walk-forward sets each window "
            'through them: add "start_date"/"end_date" ("YYYY-MM-DD") to its parameters and call '
            'self.set_start_date(...)/self.set_end_date(...) with self.get_parameter("start_date"/"end_date")')
    if {p.name for p in parameters} & {"start_date", "end_date"}:
        raise OptimizationError("start_date/end_date are set by the walk-forward windows; do not optimize them")
    windows = walk_forward_windows(params["start_date"], params["end_date"], train_months, test_months)
    points = grid_points(parameters)
    width = len(str(len(points)))
    wwidth = len(str(len(windows)))
    folder = _new_folder(project, output)

    all_points: list[tuple[str, dict[str, str], dict[str, str]]] = []
    for k, w in enumerate(windows):
        dates = {"start_date": _day(w.train_start), "end_date": _day(w.train_end)}
        all_points += [(f"w{k + 1:0{wwidth}d}-train-{i + 1:0{width}d}", v, dates) for i, v in enumerate(points)]
    full_dates = {"start_date": params["start_date"], "end_date": params["end_date"]}
    all_points += [(f"full-{i + 1:0{width}d}", v, full_dates) for i, v in enumerate(points)]
    runs = run_points(project, all_points, folder, data_folder=data_folder, jobs=jobs,
                      description="walk-forward (train)", objective=objective)
    by_id = {r.run_id: r for r in runs}

    in_sample_runs = [by_id[f"full-{i + 1:0{width}d}"] for i in range(len(points))]
    table, best, dsr = _evaluate(in_sample_runs, objective)
    in_sample = OptimizationResult(in_sample_runs, table, best, dsr, folder)
    in_sample.files = _write_grid(in_sample, parameters, objective, folder, "in-sample")

    chosen_list: list[tuple[RunSummary | None, float]] = []
    test_points = []
    for k, w in enumerate(windows):
        train_runs = [by_id[f"w{k + 1:0{wwidth}d}-train-{i + 1:0{width}d}"] for i in range(len(points))]
        chosen = objective.best(train_runs)
        window_dsr = float("nan")
        if chosen is not None:
            sharpes = np.array([sharpe_ratio(r.returns) for r in train_runs if r.completed])
            window_dsr = deflated_sharpe_ratio(chosen.returns, sharpes)
            test_points.append((f"w{k + 1:0{wwidth}d}-test", chosen.parameters,
                                {"start_date": _day(w.test_start), "end_date": _day(w.test_end)}))
        chosen_list.append((chosen, window_dsr))
    tests = {r.run_id: r for r in run_points(project, test_points, folder, data_folder=data_folder, jobs=jobs,
                                             description="walk-forward (test)")}
    results = []
    for k, (w, (chosen, window_dsr)) in enumerate(zip(windows, chosen_list, strict=True)):
        test_run = tests.get(f"w{k + 1:0{wwidth}d}-test")
        results.append(WindowResult(w, [by_id[f"w{k + 1:0{wwidth}d}-train-{i + 1:0{width}d}"]
                                        for i in range(len(points))], chosen, window_dsr, test_run))
    oos = stitch_equity([r.test_run for r in results], windows)
    summary = _walk_forward_summary(results, oos, in_sample, objective, len(points))
    result = WalkForwardResult(results, oos, in_sample, summary, folder)
    result.files = in_sample.files + _write_walk_forward(result, objective, folder)
    return result


def _walk_forward_summary(results: list[WindowResult], oos: pd.Series, in_sample: OptimizationResult,
                          objective: Objective, n_trials: int) -> dict[str, Any]:
    oos_returns = oos.pct_change().dropna().to_numpy()
    summary: dict[str, Any] = {
        "configurationsPerWindow": n_trials,
        "outOfSampleSharpe": _annualized_sharpe(oos_returns),
        "outOfSampleReturn": float(oos.iloc[-1] / oos.iloc[0] - 1) if len(oos) else float("nan"),
        "inSampleBest": None,
    }
    best = in_sample.best
    if best is not None:
        times = pd.DatetimeIndex(best.sample_times)
        span = (times >= oos.index[0]) & (times <= oos.index[-1])
        values = best.sample_values[span]
        summary["inSampleBest"] = {
            "runId": best.run_id, "parameters": best.parameters,
            objective.target: best.statistics[objective.target],
            "sharpe": _annualized_sharpe(best.returns),
            "sharpeOverOutOfSampleSpan": _annualized_sharpe(np.diff(values) / values[:-1]),
            "deflatedSharpeRatio": in_sample.deflated_sharpe,
        }
    return summary


def _write_walk_forward(result: WalkForwardResult, objective: Objective, folder: Path) -> list[Path]:
    rows = []
    for k, w in enumerate(result.windows):
        test = w.test_run
        rows.append({
            "window": k + 1, "train_start": _day(w.window.train_start), "train_end": _day(w.window.train_end),
            "test_start": _day(w.window.test_start), "test_end": _day(w.window.test_end),
            "chosen_run": None if w.chosen is None else w.chosen.run_id,
            **({} if w.chosen is None else w.chosen.parameters),
            f"train {objective.target}": None if w.chosen is None
            else parse_statistic(w.chosen.statistics[objective.target]),
            "train_deflated_sharpe": w.train_deflated_sharpe,
            f"test {objective.target}": None if test is None else parse_statistic(test.statistics[objective.target]),
            "test_net_profit": None if test is None else parse_statistic(test.statistics["Net Profit"]),
            "test_state": None if test is None else test.state,
        })
    table = pd.DataFrame(rows)
    csv_path, json_path = folder / "walk-forward.csv", folder / "walk-forward.json"
    equity_path, png_path = folder / "walk-forward-equity.csv", folder / "walk-forward.png"
    table.to_csv(csv_path, index=False)
    clean = _json_clean(result.summary)
    json_path.write_text(json.dumps({"summary": clean, "windows": json.loads(table.to_json(orient="records"))},
                                    indent=2))
    result.oos_equity.rename("out_of_sample_growth").to_csv(equity_path, index_label="time")
    _plot_walk_forward(result, png_path)
    return [csv_path, json_path, equity_path, png_path]


def _plot_walk_forward(result: WalkForwardResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    oos = result.oos_equity
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(oos.index, oos.to_numpy(), label="walk-forward out-of-sample (stitched test windows)")
    best = result.in_sample.best
    if best is not None:
        curve = pd.Series(best.sample_values, index=pd.DatetimeIndex(best.sample_times))
        curve = curve[(curve.index >= oos.index[0]) & (curve.index <= oos.index[-1])]
        dsr = result.in_sample.deflated_sharpe
        ax.plot(curve.index, curve.to_numpy() / curve.iloc[0],
                label=f"in-sample best {best.parameters} (DSR {dsr:.2f})")
    for w in result.windows:
        ax.axvline(w.window.test_start, color="grey", linewidth=0.5, alpha=0.5)
    ax.set_ylabel("growth of 1")
    ax.set_title("Walk-forward vs in-sample best")
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


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
