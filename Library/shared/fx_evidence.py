"""How much the pooled FX reversal/momentum regression can claim: robust errors and a null.

The t-statistics of :func:`shared.fx_factors.fit_fx_factor_model` are conventional OLS ones, and
they overstate the evidence in two ways measured here:

* months are shared by the four pairs, whose returns move together, so rows are not independent:
  standard errors clustered by month (:func:`pooled_regression`);
* the reversal factor ``(x[t-1] - mu) / sigma`` takes ``mu`` and ``sigma`` from the same window it
  explains. A random walk measured against its own in-sample mean looks mean-reverting (the
  unit-root bias of a regression on a lagged level), so its t-statistic is centred well below 0
  even with no reversal at all. The null distribution comes from a bootstrap of random walks
  (:func:`bootstrap_null`): whole months of the four pairs' log returns resampled with
  replacement, so each month keeps its cross-correlation, cumulated into price paths, and the
  same pipeline (standardisation, screen, regression) run on each.

:func:`expanding_standardisation` gives the point-in-time alternative: ``mu`` and ``sigma`` from
month-end prices up to the month before each target month only. :func:`evidence_table` puts
both screens (target only, every column) and both standardisations side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from shared.fx_factors import FACTOR_COLUMNS, factor_table

__all__ = [
    "HYPOTHESIS_SIGN",
    "PooledFit",
    "bootstrap_null",
    "evidence_table",
    "expanding_standardisation",
    "factor_rows",
    "ols_tvalues",
    "pooled_regression",
    "screen_rows",
]

#: The sign each factor has under its hypothesis: reversal pulls back (< 0), momentum continues (> 0).
HYPOTHESIS_SIGN = {"reversal": -1.0, "momentum": 1.0}
#: The regressors of the pooled regression with the constant first (statsmodels' order).
TERMS = ("const", *FACTOR_COLUMNS)


def expanding_standardisation(x: pd.DataFrame, min_months: int = 24) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Point-in-time mean and standard deviation of each pair's month-end log price.

    Parameters
    ----------
    x : DataFrame
        Month-end log prices, months x pairs.
    min_months : int
        Months of history required before a value is given.

    Returns
    -------
    mu, sigma : DataFrame
        Same shape as ``x``. The row of month ``t`` holds the mean and sample standard deviation
        (ddof=1) of months up to ``t - 1``: exactly what is known when month ``t`` starts, so
        :func:`shared.fx_factors.factor_table` standardises ``x[t-1]`` with nothing later. NaN
        before ``min_months`` months of history.
    """
    history = x.expanding(min_periods=min_months)
    return history.mean().shift(1), history.std(ddof=1).shift(1)


def factor_rows(x: pd.DataFrame, standardisation: str = "full", momentum_months: int = 3,
                min_months: int = 24) -> pd.DataFrame:
    """Complete (month, pair) rows of reversal, momentum and target.

    Parameters
    ----------
    x : DataFrame
        Month-end log prices, months x pairs.
    standardisation : {"full", "expanding"}
        ``"full"``: ``mu`` and ``sigma`` of the whole window (the published specification);
        ``"expanding"``: :func:`expanding_standardisation`.
    momentum_months, min_months : int
        ``J`` of the momentum factor; history before an expanding standardisation starts.

    Returns
    -------
    DataFrame
        :func:`shared.fx_factors.factor_table`'s rows with any NaN dropped.
    """
    if standardisation == "full":
        mu, sigma = x.mean(), x.std(ddof=1)
    elif standardisation == "expanding":
        mu, sigma = expanding_standardisation(x, min_months)
    else:
        raise ValueError(f"standardisation must be 'full' or 'expanding', not {standardisation!r}")
    return factor_table(x, mu, sigma, momentum_months).dropna()


def screen_rows(rows: pd.DataFrame, outlier_std: float = 3.0, columns: tuple[str, ...] = ("target",)) -> pd.Series:
    """Rows kept by a k-standard-deviation screen.

    Parameters
    ----------
    rows : DataFrame
        Complete factor rows.
    outlier_std : float
        A row is dropped when any screened column lies further than this many sample standard
        deviations (ddof=1) from that column's mean.
    columns : tuple of str
        The screened columns: ``("target",)`` is the tutorial's rule; every column adds the
        regressors (extreme factor values are as influential as extreme targets).

    Returns
    -------
    Series of bool
        True for kept rows, indexed like ``rows``.
    """
    values = rows[list(columns)]
    return ((values - values.mean()).abs() <= outlier_std * values.std(ddof=1)).all(axis=1)


def ols_tvalues(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Conventional OLS t-values of ``target ~ design`` (design includes the constant column).

    Parameters
    ----------
    design : ndarray, shape (n, k)
    target : ndarray, shape (n,)

    Returns
    -------
    ndarray, shape (k,)
        Coefficient over its standard error, with the residual variance on ``n - k`` degrees of
        freedom (statsmodels' ``OLS(...).fit().tvalues``).
    """
    n, k = design.shape
    inverse = np.linalg.inv(design.T @ design)
    beta = inverse @ (design.T @ target)
    residual = target - design @ beta
    variance = residual @ residual / (n - k)
    return beta / np.sqrt(variance * np.diag(inverse))


@dataclass(frozen=True)
class PooledFit:
    """One pooled regression ``target ~ const + reversal + momentum``.

    Attributes
    ----------
    params, tvalues, tvalues_clustered : dict
        Coefficients, conventional t-values and t-values with standard errors clustered by month,
        keyed by ``const``, ``reversal``, ``momentum``.
    n_obs, n_dropped, n_months : int
        Rows used, rows removed by the screen, distinct months (clusters).
    """

    params: dict[str, float]
    tvalues: dict[str, float]
    tvalues_clustered: dict[str, float]
    n_obs: int
    n_dropped: int
    n_months: int


def pooled_regression(rows: pd.DataFrame, keep: pd.Series) -> PooledFit:
    """Fit the pooled regression on the kept rows, with conventional and month-clustered errors."""
    used = rows.loc[keep]
    design = sm.add_constant(used[list(FACTOR_COLUMNS)])
    months = used.index.get_level_values("month")
    plain = sm.OLS(used["target"], design).fit()
    clustered = sm.OLS(used["target"], design).fit(cov_type="cluster",
                                                   cov_kwds={"groups": pd.factorize(months)[0]})
    return PooledFit(
        params={k: float(v) for k, v in plain.params.items()},
        tvalues={k: float(v) for k, v in plain.tvalues.items()},
        tvalues_clustered={k: float(v) for k, v in clustered.tvalues.items()},
        n_obs=int(plain.nobs),
        n_dropped=int((~keep).sum()),
        n_months=int(months.nunique()),
    )


def _factor_arrays(x: np.ndarray, standardisation: str, momentum_months: int,
                   min_months: int) -> np.ndarray:
    """:func:`factor_rows` on a months x pairs array, as rows of (reversal, momentum, target).

    The bootstrap's inner loop: the same definitions as :func:`shared.fx_factors.factor_table`
    (the tests hold the two equal), without pandas' indexing cost.
    """
    months = len(x)
    if standardisation == "full":
        mu, sigma = np.nanmean(x, axis=0), np.nanstd(x, axis=0, ddof=1)
    else:
        count = np.arange(1, months + 1)[:, None]
        mean = np.cumsum(x, axis=0) / count
        variance = (np.cumsum(x * x, axis=0) - count * mean * mean) / np.maximum(count - 1, 1)
        valid = count >= min_months
        mu = np.vstack([np.full((1, x.shape[1]), np.nan), np.where(valid, mean, np.nan)[:-1]])
        sigma = np.vstack([np.full((1, x.shape[1]), np.nan), np.where(valid, np.sqrt(variance), np.nan)[:-1]])
    lag = np.vstack([np.full((1, x.shape[1]), np.nan), x[:-1]])
    lag_j = np.vstack([np.full((1 + momentum_months, x.shape[1]), np.nan), x[: -1 - momentum_months]])
    table = np.stack([(lag - mu) / sigma, lag - lag_j, x - lag], axis=-1).reshape(-1, 3)
    return table[~np.isnan(table).any(axis=1)]


def _tvalues(x: np.ndarray, standardisation: str, screen: tuple[str, ...], outlier_std: float,
             momentum_months: int, min_months: int) -> np.ndarray:
    rows = _factor_arrays(x, standardisation, momentum_months, min_months)
    columns = [(*FACTOR_COLUMNS, "target").index(c) for c in screen]
    values = rows[:, columns]
    keep = (np.abs(values - values.mean(axis=0)) <= outlier_std * values.std(axis=0, ddof=1)).all(axis=1)
    used = rows[keep]
    design = np.column_stack([np.ones(len(used)), used[:, :2]])
    return ols_tvalues(design, used[:, 2])


def bootstrap_null(x: pd.DataFrame, n_boot: int = 999, seed: int = 0, standardisation: str = "full",
                   screen: tuple[str, ...] = ("target",), outlier_std: float = 3.0, momentum_months: int = 3,
                   min_months: int = 24) -> np.ndarray:
    """Conventional t-values of the pooled regression on random walks resembling ``x``.

    Each replicate draws months of log returns (all pairs' returns of one month together, so their
    cross-correlation is kept) with replacement from ``x``'s months, cumulates them from ``x``'s
    first row into price paths of ``x``'s length, and runs the same standardisation, screen and
    regression. The walks have no reversal and no momentum by construction.

    Parameters
    ----------
    x : DataFrame
        Month-end log prices, months x pairs, none missing.
    n_boot : int
        Replicates.
    seed : int
        Seed of ``numpy.random.default_rng``: same inputs and seed, same draws.
    standardisation, screen, outlier_std, momentum_months, min_months
        As in :func:`factor_rows` and :func:`screen_rows`.

    Returns
    -------
    ndarray, shape (n_boot, 3)
        t-values of ``const``, ``reversal``, ``momentum`` per replicate.
    """
    if x.isna().to_numpy().any():
        raise ValueError("the bootstrap needs every pair's price in every month (drop incomplete months first)")
    returns = x.diff().dropna().to_numpy()
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(returns), size=(n_boot, len(x) - 1))
    start = x.iloc[0].to_numpy()
    out = np.empty((n_boot, len(TERMS)))
    for b in range(n_boot):
        walk = np.vstack([start, start + np.cumsum(returns[draws[b]], axis=0)])
        out[b] = _tvalues(walk, standardisation, screen, outlier_std, momentum_months, min_months)
    return out


def _one_sided_p(observed: float, null: np.ndarray, sign: float) -> float:
    """Share of null t-values at least as far in the hypothesis' direction as ``observed``
    (with the observed value counted among them, so p >= 1 / (n + 1))."""
    extreme = np.count_nonzero(sign * null >= sign * observed)
    return (1 + extreme) / (1 + len(null))


def evidence_table(x: pd.DataFrame, n_boot: int = 999, seed: int = 0, outlier_std: float = 3.0,
                   momentum_months: int = 3, min_months: int = 24) -> pd.DataFrame:
    """Each factor under each screen and standardisation: coefficient, three t-values, bootstrap p.

    Parameters
    ----------
    x : DataFrame
        Month-end log prices of the fit window, months x pairs.
    n_boot, seed : int
        Bootstrap replicates per specification and the seed (the same seed for every
        specification, so they are compared on the same draws).
    outlier_std, momentum_months, min_months
        As in :func:`screen_rows` and :func:`factor_rows`.

    Returns
    -------
    DataFrame
        One row per (standardisation, screen, factor): ``coef``; ``t`` (conventional);
        ``t_clustered`` (by month); ``null_mean_t`` and ``null_q05_t``/``null_q95_t`` (the
        bootstrap null's mean and 5%/95% quantiles); ``p_boot``, one-sided in the factor's
        hypothesis direction (reversal < 0, momentum > 0); ``rows``, ``dropped``.
    """
    screens = {"target": ("target",), "all columns": ("target", *FACTOR_COLUMNS)}
    records = []
    for standardisation in ("full", "expanding"):
        rows = factor_rows(x, standardisation, momentum_months, min_months)
        for screen_name, screen in screens.items():
            fit = pooled_regression(rows, screen_rows(rows, outlier_std, screen))
            null = bootstrap_null(x, n_boot, seed, standardisation, screen, outlier_std, momentum_months,
                                  min_months)
            for j, factor in enumerate(TERMS):
                if factor == "const":
                    continue
                records.append({
                    "standardisation": standardisation, "screen": screen_name, "factor": factor,
                    "coef": fit.params[factor], "t": fit.tvalues[factor],
                    "t_clustered": fit.tvalues_clustered[factor],
                    "null_mean_t": float(null[:, j].mean()), "null_q05_t": float(np.quantile(null[:, j], 0.05)),
                    "null_q95_t": float(np.quantile(null[:, j], 0.95)),
                    "p_boot": _one_sided_p(fit.tvalues[factor], null[:, j], HYPOTHESIS_SIGN[factor]),
                    "rows": fit.n_obs, "dropped": fit.n_dropped,
                })
    return pd.DataFrame.from_records(records)
