"""The bar panel every peer engine reads: one ``.npz`` written by ``benchmarks/bench_runtime.py``.

The peers run in their own virtual environments (``make bench-peers``) without lean_local, so the main
benchmark hands them the bars it reads from the LEAN data folder, already adjusted by the factor files
as backtrader's copy is: ``tickers`` (str), ``dates`` (``datetime64[D]``, the trading days) and
``open``, ``high``, ``low``, ``close``, ``volume`` (float64, days x tickers). Only numpy is needed to
read it.

The strategies are those of ``bench_runtime.py``: ``rebalance`` re-sizes every stock to
``WEIGHT_TOTAL / stocks`` of the portfolio on each month's first trading day; ``buy-and-hold`` buys the
same weights once. Each peer script prints one JSON line: ``points`` (bars delivered: stocks x days),
``seconds`` (the run, wall), ``cpu_seconds`` (its CPU time), ``setup_seconds`` (turning the panel into the engine's own data, once),
``orders`` and ``version``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: Share of the portfolio invested, spread equally over the stocks (the cash left absorbs fees).
WEIGHT_TOTAL = 0.99
#: Starting cash in dollars, as in the lean_local and backtrader runs.
CASH = 10_000_000
STRATEGIES = ("rebalance", "buy-and-hold")


def read_panel(path: Path) -> dict[str, np.ndarray]:
    """The panel's arrays by name (see the module docstring)."""
    with np.load(path, allow_pickle=False) as panel:
        return {name: panel[name] for name in panel.files}


def write_panel(path: Path, tickers: list[str], dates: np.ndarray, columns: dict[str, np.ndarray]) -> None:
    """Write ``columns`` (``open high low close volume``, each days x tickers) with the tickers and dates."""
    np.savez(path, tickers=np.array(tickers), dates=np.asarray(dates, dtype="datetime64[D]"),
             **{name: np.asarray(columns[name], dtype=np.float64) for name in ("open", "high", "low", "close", "volume")})


def arguments(description: str) -> argparse.Namespace:
    """The peer scripts' command line: ``--panel PATH --strategy NAME``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--panel", type=Path, required=True)
    parser.add_argument("--strategy", choices=STRATEGIES, required=True)
    return parser.parse_args()
