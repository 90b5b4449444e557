"""Benchmarks (LEAN ``QuantConnect.Benchmarks``): what the statistics compare the equity with.

``set_benchmark`` takes a ticker or symbol (:class:`SecurityBenchmark`, the security's price in the
account currency) or a function of the time (:class:`FuncBenchmark`); without it the brokerage
model's ``get_benchmark`` decides (SPY by default). Any object with ``evaluate(time)`` serves, as a
brokerage model's ``get_benchmark`` override may return one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine.common import Symbol


class SecurityBenchmark:
    """A security's price as the benchmark (LEAN ``SecurityBenchmark``).

    Parameters
    ----------
    symbol : Symbol
        The benchmark security.
    prices : callable, optional
        ``prices(symbol) -> (end_times, values)``: bar end times (int64 ns, naive New York) and the
        benchmark value at each (price times the quote currency's rate). The algorithm binds it when
        it adopts the benchmark; :meth:`evaluate` needs it.
    """

    def __init__(self, symbol: Symbol, prices: Callable[[Symbol], tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        self.symbol = symbol
        self._prices = prices
        self._series: tuple[np.ndarray, np.ndarray] | None = None

    @staticmethod
    def create_instance(securities: Any, symbol: Symbol) -> SecurityBenchmark:
        return SecurityBenchmark(symbol)

    def evaluate(self, time: datetime) -> float:
        """The value of the last bar that ended at or before ``time``; 0 before the first."""
        if self._series is None:
            if self._prices is None:
                raise RuntimeError(f"SecurityBenchmark({self.symbol}) has no price source until the algorithm adopts it")
            self._series = self._prices(self.symbol)
        end_times, values = self._series
        position = int(np.searchsorted(end_times, pd.Timestamp(time).value, side="right")) - 1
        return float(values[position]) if position >= 0 else 0.0


class FuncBenchmark:
    """A function of the time as the benchmark (LEAN ``FuncBenchmark``)."""

    def __init__(self, func: Callable[[datetime], float]) -> None:
        self._func = func

    def evaluate(self, time: datetime) -> float:
        return float(self._func(time))


def benchmark_values(benchmark: Any, times: pd.DatetimeIndex) -> pd.Series:
    """``benchmark.evaluate(t)`` at each of ``times``, as LEAN samples a non-security benchmark."""
    return pd.Series([float(benchmark.evaluate(t)) for t in times.to_pydatetime()], index=times, dtype=float)
