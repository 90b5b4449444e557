"""``lean-local optimize``: LEAN's grid optimization, run locally in parallel or on a Dask cluster.

Each grid point is one full backtest (:func:`lean_local.backtest.run_backtest`) with the
point's values passed as ``config.json`` parameters, exactly as ``lean optimize`` does with its
grid search strategy. Points run in separate processes through joblib (loky, every core by
default); with ``--dask-scheduler`` joblib's Dask backend sends them to a ``distributed`` cluster
instead. Every run's LEAN result files land in ``<project>/optimizations/<timestamp>/<run-id>/``.

Walk-forward mode re-runs the grid on rolling training windows (the project must read its
``start_date`` and ``end_date`` parameters), picks a configuration on each training window only,
and evaluates it on the next test window; the test windows' equity curves are chained into one
out-of-sample curve and shown beside the full-period (in-sample) best, with the deflated Sharpe
ratio of Bailey and Lopez de Prado (2014) so the cost of trying many configurations is visible.

Modules: :mod:`.grid` (the parameter grid), :mod:`.objective` (statistics as numbers, target and
constraints), :mod:`.execution` (one backtest per point; joblib or Dask), :mod:`.overfitting` (the
deflated Sharpe ratio), :mod:`.grid_search` (:func:`optimize`), :mod:`.walkforward`,
:mod:`.plots` (heat map, walk-forward curve) and :mod:`.cli` (``lean-local optimize``).
"""

from lean_local.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "cli": ["EXAMPLES", "format_grid", "format_walk_forward", "register"],
    "execution": ["SCHEDULER_TIMEOUT", "RunSummary", "dask_backend", "run_point", "run_points"],
    "grid": ["MAX_GRID_POINTS", "GridParameter", "OptimizationError", "grid_points"],
    "grid_search": ["OptimizationResult", "optimize"],
    "objective": ["Constraint", "Objective", "parse_statistic", "results_table"],
    "overfitting": [
        "EULER_GAMMA", "TRADING_DAYS", "deflated_sharpe_from_moments", "deflated_sharpe_ratio",
        "expected_max_sharpe", "sharpe_ratio",
    ],
    "plots": ["write_heatmap"],
    "walkforward": [
        "WalkForwardResult", "Window", "WindowResult", "stitch_equity", "walk_forward",
        "walk_forward_windows",
    ],
})
