"""LEAN's backtest statistics computed from a finished backtest.

The engine fills a :class:`BacktestRecord`; :func:`compute_statistics` turns it into LEAN's
statistics dictionary (names and string formatting as LEAN prints them) and
:func:`compute_total_performance` into LEAN's ``totalPerformance`` JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd


@dataclass
class BacktestRecord:
    """Everything a finished backtest hands to the statistics and result writers."""

    algorithm_name: str
    parameters: dict[str, str]
    start: datetime
    end: datetime
    start_equity: float
    equity: pd.Series
    benchmark: pd.Series
    risk_free_rate: pd.Series
    orders: pd.DataFrame
    fills: pd.DataFrame
    profit_loss: dict
    total_fees: float
    charts: dict
    holdings_value_long: pd.Series | None
    holdings_value_short: pd.Series | None
    logs: list[str] = field(default_factory=list)
    state: str = "Completed"
    error: str | None = None


def compute_statistics(record: BacktestRecord) -> dict[str, str]:
    """LEAN's statistics dictionary for ``record``."""
    raise NotImplementedError


def compute_total_performance(record: BacktestRecord) -> dict:
    """LEAN's ``totalPerformance`` object for ``record``."""
    raise NotImplementedError
