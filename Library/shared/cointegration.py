"""Pair selection for the Kalman spread strategy: cointegration on a formation window, then a
half-life measured out of sample.

A local-level filter on one price has nothing to revert to (a price is close to a random walk);
a spread between two cointegrated prices does. Following Chan (*Algorithmic Trading*, 2013, ch. 3),
a candidate pair ``y ~ beta x + alpha`` is kept when

* the Engle-Granger test (statsmodels' ``coint``: OLS of ``y`` on ``x``, then an ADF test of the
  residual with MacKinnon's p-values) rejects "no cointegration" on the formation window, and
* the spread with the formation window's ``beta`` and ``alpha``, measured on the following
  validation window, has an AR(1) half-life inside a tradable range (2 to 30 bars by default).

Both numbers are reported for every candidate, kept or not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import permutations

import pandas as pd
import statsmodels.api as sm
from statsmodels.tsa.stattools import coint

from shared.kalman import half_life

__all__ = ["PairTest", "screen_pairs", "assess_pair"]


@dataclass(frozen=True)
class PairTest:
    """One candidate ``y ~ beta x + alpha``: its cointegration test and half-lives.

    Attributes
    ----------
    y, x : str
        Dependent and independent series.
    beta, alpha : float
        OLS hedge ratio and intercept on the formation window (price units).
    eg_tstat, eg_pvalue : float
        Engle-Granger ADF statistic of the formation residual and its MacKinnon p-value.
    half_life_formation, half_life_validation : float
        AR(1) half-life (bars) of the spread on the formation window and, with the formation's
        ``beta`` and ``alpha``, on the validation window; ``inf`` when it does not revert.
    selected : bool
        Both tests passed.
    reason : str
        Why a candidate was not selected ("" when selected).
    """

    y: str
    x: str
    beta: float
    alpha: float
    eg_tstat: float
    eg_pvalue: float
    half_life_formation: float
    half_life_validation: float
    selected: bool
    reason: str


def assess_pair(y: pd.Series, x: pd.Series, formation_end: pd.Timestamp | str, max_pvalue: float = 0.05,
              half_life_range: tuple[float, float] = (2.0, 30.0)) -> PairTest:
    """Test ``y ~ beta x + alpha`` on the formation window, then its half-life after it.

    Parameters
    ----------
    y, x : Series
        Prices on a shared ``DatetimeIndex``; rows where either is NaN are dropped.
    formation_end : Timestamp or str
        Last date of the formation window; every later row is the validation window.
    max_pvalue : float
        Largest Engle-Granger p-value accepted.
    half_life_range : (float, float)
        Accepted validation half-life, in bars (inclusive).

    Returns
    -------
    PairTest
    """
    both = pd.concat({"y": y, "x": x}, axis=1).dropna()
    end = pd.Timestamp(formation_end)
    formation, validation = both.loc[:end], both.loc[both.index > end]
    if len(formation) < 30 or len(validation) < 30:
        raise ValueError(f"need 30 rows on each side of {end:%Y-%m-%d}: {len(formation)} and {len(validation)}")
    fit = sm.OLS(formation["y"], sm.add_constant(formation["x"])).fit()
    alpha, beta = float(fit.params["const"]), float(fit.params["x"])
    tstat, pvalue, _ = coint(formation["y"], formation["x"], trend="c")
    in_sample = half_life(formation["y"] - beta * formation["x"] - alpha)
    out_of_sample = half_life(validation["y"] - beta * validation["x"] - alpha)
    low, high = half_life_range
    reason = ""
    if not pvalue < max_pvalue:
        reason = f"not cointegrated (p {pvalue:.3f} >= {max_pvalue})"
    elif not low <= out_of_sample <= high:
        reason = f"validation half-life {out_of_sample:.1f} outside [{low:g}, {high:g}]"
    return PairTest(str(y.name), str(x.name), beta, alpha, float(tstat), float(pvalue), in_sample, out_of_sample,
                    reason == "", reason)


def screen_pairs(prices: pd.DataFrame, formation_end: pd.Timestamp | str, max_pvalue: float = 0.05,
                 half_life_range: tuple[float, float] = (2.0, 30.0)) -> pd.DataFrame:
    """:func:`assess_pair` for every ordered pair of columns (Engle-Granger depends on the order).

    Parameters
    ----------
    prices : DataFrame
        Prices, one column per asset.
    formation_end, max_pvalue, half_life_range
        As in :func:`assess_pair`.

    Returns
    -------
    DataFrame
        One row per ordered pair with :class:`PairTest`'s fields, sorted by p-value. With ``k``
        candidates, about ``k * max_pvalue`` pass the first test by chance alone: the validation
        half-life is the second, out-of-sample, filter.
    """
    rows = [asdict(assess_pair(prices[a], prices[b], formation_end, max_pvalue, half_life_range))
            for a, b in permutations(prices.columns, 2)]
    return pd.DataFrame(rows).sort_values("eg_pvalue", kind="stable").reset_index(drop=True)
