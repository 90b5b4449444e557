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
from lean_local.engine.parsed_cache import cached_value

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
            self._rates = file_rates(self._data_folder or Globals.data_folder)
        return self._rates

    def get_interest_rate(self, date: datetime | date) -> float:
        rates = self.rates()
        if len(rates) == 0:
            return DEFAULT_RISK_FREE_RATE
        position = int(rates.index.searchsorted(pd.Timestamp(date).normalize(), side="right")) - 1
        return float(rates.iloc[max(position, 0)])


def file_rates(data_folder: str | Path) -> pd.Series:
    """The data folder's interest-rate file as fractions indexed by date (empty without a file), its parsed
    values kept in the parsed-data cache (a run's record reads it: parsing its few lines took 1.5 ms in a
    new process, pandas' date parser set up for them)."""
    path = formats.interest_rate_path(data_folder)
    if not path.exists():
        return pd.Series(dtype=float)
    days, percents = cached_value(_rate_values, path)
    return pd.Series(np.array(percents, dtype=np.float64) / 100.0,
                     index=pd.DatetimeIndex(np.array(days, dtype="datetime64[ns]"), name="date"), name="interest_rate")


def _rate_values(path: Path) -> tuple[list[int], list[float]]:
    """The file's dates (int64 ns) and rates (percent) as plain values (``cached_value`` keeps them)."""
    rates = formats.read_interest_rate(path)
    return rates.index.asi8.tolist(), rates.to_numpy(dtype=np.float64).tolist()


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
