"""The cost of trying many configurations: the deflated Sharpe ratio of Bailey and Lopez de Prado (2014)."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats as sps

#: Euler-Mascheroni constant, in the expected maximum of N standard normal Sharpe ratios.
EULER_GAMMA = 0.5772156649015329
#: Annualization of the daily Sharpe ratios reported beside LEAN's statistics (LEAN's 252 days).
TRADING_DAYS = 252


def sharpe_ratio(returns: np.ndarray) -> float:
    """Per-period Sharpe ratio ``mean / sample std`` of ``returns`` (no risk-free rate); NaN when undefined."""
    r = np.asarray(returns, dtype=float)
    if len(r) < 2:
        return float("nan")
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r)) / sd if sd > 0 else float("nan")


def expected_max_sharpe(trials_variance: float, n_trials: int) -> float:
    """``SR0``: the expected maximum of ``n_trials`` Sharpe ratios whose true value is 0.

    ``sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))`` with ``g`` Euler's constant
    (Bailey & Lopez de Prado 2014, eq. 2); 0 for a single trial (no selection, no deflation).
    """
    if n_trials < 2:
        return 0.0
    return math.sqrt(trials_variance) * ((1 - EULER_GAMMA) * sps.norm.ppf(1 - 1 / n_trials)
                                         + EULER_GAMMA * sps.norm.ppf(1 - 1 / (n_trials * math.e)))


def deflated_sharpe_from_moments(sharpe: float, n_obs: int, skew: float, kurtosis: float,
                                 trials_variance: float, n_trials: int) -> float:
    """The deflated Sharpe ratio from the chosen run's moments.

    Parameters
    ----------
    sharpe : float
        The chosen configuration's per-period (not annualized) Sharpe ratio.
    n_obs : int
        Number of returns it was estimated from.
    skew, kurtosis : float
        Skewness and (non-excess, normal = 3) kurtosis of those returns.
    trials_variance : float
        Variance of the per-period Sharpe ratios across all configurations tried.
    n_trials : int
        Number of configurations tried.

    Returns
    -------
    float
        ``P[true SR > SR0]``, the probabilistic Sharpe ratio against :func:`expected_max_sharpe`;
        NaN when an input is NaN or the variance term is not positive.
    """
    sr0 = expected_max_sharpe(trials_variance, n_trials)
    radicand = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if n_obs < 2 or not math.isfinite(radicand) or radicand <= 0 or not math.isfinite(sr0):
        return float("nan")
    return float(sps.norm.cdf((sharpe - sr0) * math.sqrt(n_obs - 1) / math.sqrt(radicand)))


def deflated_sharpe_ratio(returns: np.ndarray, trial_sharpes: np.ndarray) -> float:
    """Deflated Sharpe ratio of ``returns`` chosen among trials with per-period Sharpe ``trial_sharpes``.

    NaN Sharpe ratios (flat runs) still count as trials but not in the variance.
    """
    r = np.asarray(returns, dtype=float)
    trials = np.asarray(trial_sharpes, dtype=float)
    finite = trials[np.isfinite(trials)]
    variance = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    if len(r) < 4:
        return float("nan")
    return deflated_sharpe_from_moments(sharpe_ratio(r), len(r), float(sps.skew(r, bias=False)),
                                        float(sps.kurtosis(r, fisher=False, bias=False)), variance, len(trials))


def annualized_sharpe(returns: np.ndarray) -> float:
    return sharpe_ratio(returns) * math.sqrt(TRADING_DAYS)

