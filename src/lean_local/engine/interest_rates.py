"""Risk-free interest-rate models (LEAN ``IRiskFreeInterestRateModel``).

The statistics' Sharpe, Sortino, alpha, Treynor and probabilistic Sharpe ratios subtract the
average of the algorithm's model over the sampled times (``GetAverageRiskFreeRate``). The default,
:class:`InterestRateProvider`, reads the Fed primary credit rate file of the data folder; an
algorithm may install another with ``set_risk_free_interest_rate_model``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.engine.globals import Globals

#: LEAN's ``InterestRateProvider.DefaultRiskFreeRate`` (a fraction): the rate without a file.
DEFAULT_RISK_FREE_RATE = 0.01


class InterestRateProvider:
    """The rate in force on a date from ``alternative/interest-rate/usa/interest-rate.csv``.

    The file holds percent; rates are returned as fractions. A date takes the last row at or before
    it; a date before the first row takes the first row's rate; without a file the rate is 1%.

    Parameters
    ----------
    data_folder : str or Path, optional
        The data folder; ``Globals.data_folder`` when omitted (read on first use).
    """

    def __init__(self, data_folder: str | Path | None = None) -> None:
        self._data_folder = data_folder
        self._rates: pd.Series | None = None

    def rates(self) -> pd.Series:
        """The file's rates as fractions indexed by date (empty without a file)."""
        if self._rates is None:
            path = formats.interest_rate_path(self._data_folder or Globals.data_folder)
            self._rates = formats.read_interest_rate(path) / 100.0 if path.exists() else pd.Series(dtype=float)
        return self._rates

    def get_interest_rate(self, date: datetime | date) -> float:
        rates = self.rates()
        if len(rates) == 0:
            return DEFAULT_RISK_FREE_RATE
        position = int(rates.index.searchsorted(pd.Timestamp(date).normalize(), side="right")) - 1
        return float(rates.iloc[max(position, 0)])


class ConstantRiskFreeRateInterestRateModel:
    """The same rate (a fraction) on every date."""

    def __init__(self, risk_free_rate: float) -> None:
        self._rate = float(risk_free_rate)

    def get_interest_rate(self, date: datetime | date) -> float:
        return self._rate


class FuncRiskFreeRateInterestRateModel:
    """A function of the date (a ``datetime``) giving the rate as a fraction."""

    def __init__(self, get_interest_rate_func: Callable[[datetime], float]) -> None:
        self._func = get_interest_rate_func

    def get_interest_rate(self, date: datetime | date) -> float:
        return float(self._func(date))


def get_average_risk_free_rate(model: Any, dates: Iterable[datetime]) -> float:
    """``GetAverageRiskFreeRate``: the mean of the model's rate on ``dates``; 0 with no date."""
    values = [float(model.get_interest_rate(d)) for d in dates]
    return float(np.mean(values)) if values else 0.0


def get_risk_free_rate(model: Any, start_date: datetime, end_date: datetime) -> float:
    """``GetRiskFreeRate``: the average over each calendar day from ``start_date`` to ``end_date``."""
    days = pd.date_range(pd.Timestamp(start_date).normalize(), pd.Timestamp(end_date).normalize(), freq="D")
    return get_average_risk_free_rate(model, days.to_pydatetime())


def rate_series(model: Any, times: pd.DatetimeIndex) -> pd.Series:
    """The model's rate at each of ``times`` (the statistics' samples), indexed by those times' dates.

    Fed to the statistics in place of the file's rates when the algorithm installed its own model.
    """
    values = [float(model.get_interest_rate(t)) for t in times.to_pydatetime()]
    return pd.Series(values, index=pd.DatetimeIndex(times).normalize(), dtype=float)
