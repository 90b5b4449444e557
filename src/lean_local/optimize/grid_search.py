"""``lean optimize``'s grid strategy: backtest every point, rank by the target, write the tables."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.optimize.execution import RunSummary, run_points
from lean_local.optimize.grid import MAX_GRID_POINTS, GridParameter, OptimizationError, grid_points
from lean_local.optimize.objective import Objective, results_table
from lean_local.optimize.overfitting import deflated_sharpe_ratio, sharpe_ratio
from lean_local.optimize.plots import write_heatmap
from lean_local.parameters import UnknownParameterError, check_parameter_names
from lean_local.run_folders import claim_run_folder


@dataclass
class OptimizationResult:
    """A finished grid: every run, the ranked table, the best feasible run and where it was written."""

    runs: list[RunSummary]
    table: pd.DataFrame
    best: RunSummary | None
    deflated_sharpe: float
    folder: Path
    files: list[Path] = field(default_factory=list)


def load_project(project_dir: str | Path) -> tuple[Path, dict]:
    project = Path(project_dir).resolve()
    if not (project / "main.py").is_file():
        raise OptimizationError(f"{project} has no main.py; pass a project folder such as algorithms/<project>")
    config_path = project / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    return project, config


def check_names(parameters: Sequence[GridParameter], project: Path, config: dict) -> None:
    try:
        check_parameter_names([p.name for p in parameters], config.get("parameters", {}), project / "config.json")
    except UnknownParameterError as error:
        raise OptimizationError(str(error)) from None


def new_folder(project: Path, output: str | Path | None) -> Path:
    if not output:
        return claim_run_folder(project / "optimizations")
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def evaluate(runs: list[RunSummary], objective: Objective) -> tuple[pd.DataFrame, RunSummary | None, float]:
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
    project, config = load_project(project_dir)
    check_names(parameters, project, config)
    points = grid_points(parameters, max_points)
    width = len(str(len(points)))
    named: list[tuple[str, dict[str, str], dict[str, str]]] = [
        (f"run-{i + 1:0{width}d}", values, {}) for i, values in enumerate(points)]
    folder = new_folder(project, output)
    runs = run_points(project, named, folder, data_folder=data_folder, jobs=jobs, objective=objective)
    table, best, dsr = evaluate(runs, objective)
    result = OptimizationResult(runs, table, best, dsr, folder)
    result.files = write_grid(result, parameters, objective, folder, "optimization")
    return result


def write_grid(result: OptimizationResult, parameters: Sequence[GridParameter], objective: Objective,
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
        "deflatedSharpeRatio": json_number(result.deflated_sharpe),
        "runs": [{"runId": r.run_id, "parameters": r.parameters, "state": r.state,
                  "feasible": objective.feasible(r), "statistics": r.statistics, "outputDir": r.output_dir,
                  "seconds": json_number(r.seconds), "error": r.error}
                 for r in objective.rank(result.runs)],
    }
    json_path.write_text(json.dumps(document, indent=2))
    files = [csv_path, json_path]
    if len(parameters) == 2:
        files.append(write_heatmap(result.table, parameters, objective, folder / f"{stem}-heatmap.png"))
    return files


def json_number(value: float) -> float | None:
    return None if not math.isfinite(value) else round(value, 6)


def json_clean(value: Any) -> Any:
    """Floats rounded and NaN as null (JSON has no NaN), through nested dicts."""
    if isinstance(value, dict):
        return {k: json_clean(v) for k, v in value.items()}
    return json_number(value) if isinstance(value, float) else value

