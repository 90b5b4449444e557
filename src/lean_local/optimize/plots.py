"""The optimization's figures: the heat map of a two-parameter grid and the walk-forward curve."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lean_local.optimize.grid import GridParameter
from lean_local.optimize.objective import Objective

if TYPE_CHECKING:
    from lean_local.optimize.walkforward import WalkForwardResult


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


def plot_walk_forward(result: WalkForwardResult, path: Path) -> None:
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

