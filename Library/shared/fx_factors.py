"""Monthly FX reversal and momentum factors, their pooled regression and the selection rule.

Serban (2010), *Combining mean reversion and momentum trading strategies in foreign exchange
markets* (after Balvers and Wu, 2006), as QuantConnect's tutorial "Combining Mean Reversion and
Momentum in Forex Market" implements it, with one correction: everything is in **log** prices,
as in the paper (a widely copied implementation takes raw price differences, which mixes pairs
quoted on different scales, e.g. USDJPY at 110 and EURUSD at 1.1).

For pair ``i`` and month ``t``, with ``x_t`` the log price at the end of month ``t``:

* reversal   ``(x_{t-1} - mu_i) / sigma_i``, ``mu_i`` and ``sigma_i`` being the mean and sample
  standard deviation (ddof=1) of the pair's month-end log prices over the fit window (the
  tutorial's standardisation: a deviation from the long-run level, comparable across pairs);
* momentum   ``x_{t-1} - x_{t-1-J}`` (the last ``J`` = 3 months' log return);
* target     ``y_t = x_t - x_{t-1}`` (the month's log return).

``y ~ const + reversal + momentum`` is fitted by pooled OLS over all pairs and months, after
dropping rows whose target lies more than 3 sample standard deviations from the pooled mean
target (the tutorial's outlier rule; it screens the target, so it does not depend on a first
fit). Each month the model predicts next month's log return of every pair from the latest
month-end values; :func:`select_positions` turns the predictions into target weights.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

__all__ = [
    "FACTOR_COLUMNS",
    "MODEL_KEY",
    "FxFactorModel",
    "daily_closes_from_history",
    "factor_table",
    "fit_fx_factor_model",
    "month_end_log_prices",
    "select_positions",
]

#: Object-store key under which the algorithm keeps the fitted model.
MODEL_KEY = "fx_momentum_reversion/model.json"

#: Regressors of the pooled regression, in the order of ``FxFactorModel.params`` (after const).
FACTOR_COLUMNS = ("reversal", "momentum")


def daily_closes_from_history(history: pd.DataFrame, names: Mapping[Any, str]) -> pd.DataFrame:
    """Daily closes per pair from LEAN's forex history, indexed by each bar's own date.

    Parameters
    ----------
    history : pd.DataFrame
        ``history(symbols, ..., Resolution.DAILY)`` of LEAN or QuantBook: index (symbol, time) with
        ``time`` the bar's end time, and a ``close`` column (the bid/ask mid).
    names : mapping
        Symbol -> pair name; the result's columns follow its values' order.

    Returns
    -------
    pd.DataFrame
        Closes, one column per pair, indexed by the bar's date (naive midnight). A forex daily bar
        ends at 00:00 UTC after its day, the evening of that day in New York: half a day before the
        end time is the bar's own date in either clock. Days a pair has no bar are NaN.
    """
    closes = history["close"].unstack(level=0).rename(columns=dict(names))[list(names.values())]
    closes.index = (pd.DatetimeIndex(closes.index) - pd.Timedelta(hours=12)).normalize()
    return closes


def month_end_log_prices(prices: pd.DataFrame, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Log price at the end of every *completed* calendar month, per pair.

    Parameters
    ----------
    prices : DataFrame
        Daily prices (> 0), ``DatetimeIndex`` of bar dates (the day each price belongs to; LEAN's
        ``history`` indexes forex daily bars by their end time, the next day 00:00 UTC, so shift
        those back to their date first), one column per pair. NaN = no price that day.
    as_of : Timestamp or str, optional
        The time of the computation. A month counts as complete once ``as_of`` has reached the
        first day of the next month, so prices dated after ``as_of`` (which belong to incomplete
        months) never reach the result. Default: the last date in ``prices``, so the month of
        that date is treated as not yet complete.

    Returns
    -------
    DataFrame
        Indexed by calendar month end (``YYYY-MM-last``), one column per pair: the log of the last
        non-NaN price of that month (NaN if the pair had none). A month appears only once it has
        ended, so no value can change after it is first reported.
    """
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise TypeError("prices must have a DatetimeIndex")
    prices = prices.sort_index()
    cutoff = prices.index[-1] if as_of is None else pd.Timestamp(as_of)
    values = prices.to_numpy(dtype=np.float64)
    if np.any(values <= 0):
        raise ValueError("prices must be > 0 (NaN marks a missing price)")
    monthly = np.log(prices.astype(np.float64)).resample("ME").last()
    complete = monthly.index + pd.Timedelta(days=1) <= cutoff
    return monthly.loc[complete]


def factor_table(x: pd.DataFrame, mu: pd.Series, sigma: pd.Series, momentum_months: int = 3) -> pd.DataFrame:
    """Reversal, momentum and target of every (month, pair).

    Parameters
    ----------
    x : DataFrame
        Month-end log prices (from :func:`month_end_log_prices`), months x pairs.
    mu, sigma : Series
        Per-pair mean and standard deviation of ``x`` over the fit window (frozen at fit time).
    momentum_months : int
        ``J``: momentum is the log return over the ``J`` months before the target month.

    Returns
    -------
    DataFrame
        Indexed by (month, pair), columns ``reversal``, ``momentum``, ``target`` (dimensionless,
        log return, log return) for month ``t``'s row: factors from months up to ``t-1``,
        target ``x_t - x_{t-1}``. NaN where an input month is missing; rows are not dropped.
    """
    lag = x.shift(1)
    frame = {
        "reversal": (lag - mu) / sigma,
        "momentum": lag - x.shift(1 + momentum_months),
        "target": x - lag,
    }
    return pd.concat({k: v.stack(future_stack=True) for k, v in frame.items()}, axis=1).rename_axis(
        ["month", "pair"]
    )


@dataclass(frozen=True)
class FxFactorModel:
    """Fitted pooled regression ``y ~ const + reversal + momentum`` and its standardisation.

    Attributes
    ----------
    params, tvalues : dict
        OLS coefficients and their t-values, keys ``const``, ``reversal``, ``momentum``.
    rsquared : float
    n_obs : int
        Rows in the regression (after the outlier screen).
    n_outliers : int
        Rows dropped by the screen.
    mu, sigma : dict
        Per-pair mean and sample standard deviation of month-end log prices over the fit window.
    momentum_months : int
    outlier_std : float
    fit_start, fit_end : str
        First and last target month of the fit (ISO dates of month ends).
    """

    params: dict[str, float]
    tvalues: dict[str, float]
    rsquared: float
    n_obs: int
    n_outliers: int
    mu: dict[str, float]
    sigma: dict[str, float]
    momentum_months: int = 3
    outlier_std: float = 3.0
    fit_start: str = ""
    fit_end: str = ""
    pairs: tuple[str, ...] = field(default=())

    def to_json(self) -> str:
        """The model as JSON text (what the algorithm saves under :data:`MODEL_KEY`)."""
        data = asdict(self)
        data["pairs"] = list(self.pairs)
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FxFactorModel:
        """Inverse of :meth:`to_json` (floats round-trip exactly)."""
        data = json.loads(text)
        data["pairs"] = tuple(data["pairs"])
        return cls(**data)

    def predictions(self, x: pd.DataFrame) -> pd.DataFrame:
        """Predicted log return of the month after each month end.

        Parameters
        ----------
        x : DataFrame
            Month-end log prices, months x pairs.

        Returns
        -------
        DataFrame
            Same index and columns as ``x``: the row of month ``t`` predicts ``x_{t+1} - x_t``
            from ``x_t`` and ``x_{t-J}`` only. NaN for pairs the model was not fitted on and where
            an input is missing.
        """
        mu = pd.Series(self.mu, dtype=np.float64).reindex(x.columns)
        sigma = pd.Series(self.sigma, dtype=np.float64).reindex(x.columns)
        reversal = (x - mu) / sigma
        momentum = x - x.shift(self.momentum_months)
        p = self.params
        return p["const"] + p["reversal"] * reversal + p["momentum"] * momentum

    def predict_next(self, x: pd.DataFrame) -> pd.Series:
        """Predictions for the month after the last row of ``x`` (the latest completed month)."""
        return self.predictions(x).iloc[-1]


def fit_fx_factor_model(x: pd.DataFrame, momentum_months: int = 3, outlier_std: float = 3.0) -> FxFactorModel:
    """Fit the pooled reversal/momentum regression on a window of month-end log prices.

    Parameters
    ----------
    x : DataFrame
        Month-end log prices over the fit window, months x pairs (from
        :func:`month_end_log_prices`). ``mu`` and ``sigma`` are taken over this whole window.
    momentum_months : int
        ``J`` (3 in the paper and the tutorial).
    outlier_std : float
        Rows whose target is further than this many sample standard deviations from the pooled
        mean target are dropped before the fit.

    Returns
    -------
    FxFactorModel
    """
    mu = x.mean()
    sigma = x.std(ddof=1)
    if not np.all(sigma.to_numpy() > 0):
        raise ValueError("every pair needs at least two distinct month-end prices in the fit window")
    rows = factor_table(x, mu, sigma, momentum_months).dropna()
    target = rows["target"]
    keep = (target - target.mean()).abs() <= outlier_std * target.std(ddof=1)
    used = rows.loc[keep]
    if len(used) <= len(FACTOR_COLUMNS) + 1:
        raise ValueError(f"only {len(used)} usable rows: too short a fit window")
    fit = sm.OLS(used["target"], sm.add_constant(used[list(FACTOR_COLUMNS)])).fit()
    months = used.index.get_level_values("month")
    return FxFactorModel(
        params={k: float(v) for k, v in fit.params.items()},
        tvalues={k: float(v) for k, v in fit.tvalues.items()},
        rsquared=float(fit.rsquared),
        n_obs=int(fit.nobs),
        n_outliers=int((~keep).sum()),
        mu={str(k): float(v) for k, v in mu.items()},
        sigma={str(k): float(v) for k, v in sigma.items()},
        momentum_months=momentum_months,
        outlier_std=outlier_std,
        fit_start=months.min().date().isoformat(),
        fit_end=months.max().date().isoformat(),
        pairs=tuple(str(c) for c in x.columns),
    )


def select_positions(predictions: pd.Series, leverage: float = 1.0) -> pd.Series:
    """Target weights from next-month predictions: long the best pair, short the worst.

    Rule (Serban 2010, as in the tutorial): long the pair with the highest prediction and short
    the one with the lowest; if every prediction is positive, only the long; if every one is
    negative, only the short. Each position gets ``leverage / number of positions`` of the
    portfolio (so one position carries the whole leverage, two carry half each).

    Parameters
    ----------
    predictions : Series
        Predicted log returns by pair; NaN = no prediction, never traded.
    leverage : float
        Gross exposure of the book (> 0), as a multiple of portfolio value.

    Returns
    -------
    Series
        Weight per pair (same index as ``predictions``): ``+w``, ``-w`` or 0. Ties go to the pair
        listed first. All zero when no prediction is usable or all are exactly zero.
    """
    if not leverage > 0:
        raise ValueError("leverage must be > 0")
    weights = pd.Series(0.0, index=predictions.index)
    valid = predictions.dropna()
    if valid.empty:
        return weights
    best, worst = valid.idxmax(), valid.idxmin()
    if (valid > 0).all():
        longs, shorts = [best], []
    elif (valid < 0).all():
        longs, shorts = [], [worst]
    elif best == worst:
        return weights
    else:
        longs, shorts = [best], [worst]
    size = leverage / (len(longs) + len(shorts))
    weights[longs] = size
    weights[shorts] = -size
    return weights
