"""Walk-forward: choose on rolling training windows, evaluate on the following test windows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.optimize.execution import RunSummary, run_points
from lean_local.optimize.grid import GridParameter, OptimizationError, grid_points
from lean_local.optimize.grid_search import (
    OptimizationResult,
    check_names,
    evaluate,
    json_clean,
    load_project,
    new_folder,
    write_grid,
)
from lean_local.optimize.objective import Objective, parse_statistic
from lean_local.optimize.overfitting import annualized_sharpe, deflated_sharpe_ratio, sharpe_ratio
from lean_local.optimize.plots import plot_walk_forward


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



def walk_forward(project_dir: str | Path, parameters: Sequence[GridParameter], objective: Objective,
                 train_months: int, test_months: int, *, data_folder: str | None = None,
                 output: str | Path | None = None, jobs: int = -1) -> WalkForwardResult:
    """Choose on each training window, evaluate on the next test window, compare with the in-sample best.

    The project's ``start_date`` and ``end_date`` parameters (``config.json``) give the whole span;
    each run overrides them with its window. Runs: the grid on every training window, the chosen
    point on every test window, and the grid on the whole span (the in-sample optimization).
    """
    project, config = load_project(project_dir)
    check_names(parameters, project, config)
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
    folder = new_folder(project, output)

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
    table, best, dsr = evaluate(in_sample_runs, objective)
    in_sample = OptimizationResult(in_sample_runs, table, best, dsr, folder)
    in_sample.files = write_grid(in_sample, parameters, objective, folder, "in-sample")

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
        "outOfSampleSharpe": annualized_sharpe(oos_returns),
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
            "sharpe": annualized_sharpe(best.returns),
            "sharpeOverOutOfSampleSpan": annualized_sharpe(np.diff(values) / values[:-1]),
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
    clean = json_clean(result.summary)
    json_path.write_text(json.dumps({"summary": clean, "windows": json.loads(table.to_json(orient="records"))},
                                    indent=2))
    result.oos_equity.rename("out_of_sample_growth").to_csv(equity_path, index_label="time")
    plot_walk_forward(result, png_path)
    return [csv_path, json_path, equity_path, png_path]

