"""A pair's spread: Chan's slow dynamic hedge ratio, and an AR(1)-plus-noise model of the spread.

Two stages, each batched over many pairs (one numpy operation per time step across all pairs):

1. **Fair value** (Chan, *Algorithmic Trading*, 2013, ch. 3). On prices divided by their
   formation-window means (dimensionless, about 1), ``y_t = beta_t x_t + alpha_t + e_t`` with
   ``(beta, alpha)`` random walks, filtered by ``shared.kalman.hedge_ratio_filter``. The observation
   variance ``R`` is the variance of the formation window's OLS residual (the spread's variance) and
   the transition covariance is ``delta / (1 - delta) * R * I`` (Chan's ``delta``, made relative to
   the spread's variance so that it means the same for every pair): with the default ``delta = 1e-5``
   the fair value ``beta x + alpha`` takes about 0.45% of each innovation, so it cannot follow the
   spread it is meant to trade. The traded spread is the innovation with the *prior*
   hedge ratio, ``d_t = y_t - (beta_{t|t-1} x_t + alpha_{t|t-1})``, and its variance ``Q_t``; the
   rules enter when ``|d_t| > sqrt(Q_t)`` and exit when ``d_t`` crosses 0.
2. **Spread dynamics**. ``d_t = s_t + n_t`` with ``s_t = phi s_{t-1} + w_t``, ``w ~ N(0, q)``,
   ``n ~ N(0, r)``: a one-dimensional state-space model whose ``phi``, ``q`` and ``r`` EM fits to
   convergence (:func:`fit_ar1_em`, log-likelihood change < 1e-6). Its half-life
   ``ln 0.5 / ln phi`` is the speed of mean reversion; a random walk has ``phi = 1``.

:func:`diagnostics` reports, for every fitted pair, the Kalman gain of the spread state and of the
fair value, the lag-1 autocorrelation of the spread's daily changes the model implies beside the
sample's (with its standard error ``1/sqrt(n)``), and the half-life. :func:`random_walk_band`
fits the same two stages to independent random walks of the same length and volatilities: a pair
whose ``phi`` lies inside that band shows no mean reversion and is not traded.

NaN observations are missing: the filter only predicts on that step, as pykalman does for a masked
observation. :func:`ar1_filter` and :func:`fit_ar1_em` equal pykalman's ``filter``,
``loglikelihood`` and ``em`` for the same model (tests, 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.signal import lfilter

from shared.kalman import HedgeRatioResult, hedge_ratio_filter

__all__ = [
    "DEFAULT_DELTA",
    "AR1Fit",
    "FairValueParams",
    "ar1_filter",
    "diagnostics",
    "fair_value_filter",
    "fair_value_params",
    "fit_ar1_em",
    "random_walk_band",
]

#: Chan's delta, relative to the spread's variance (module docstring). With 1e-4 the fair value takes
#: 1.4% of each innovation and shortens a 10-bar half-life by about 17% (synthetic pairs, 2,000 bars);
#: with 1e-5 it takes 0.45% and the half-life is recovered within about 7%.
DEFAULT_DELTA = 1e-5


# --------------------------------------------------------------------------------------------
# stage 1: the slow fair value


@dataclass(frozen=True)
class FairValueParams:
    """Stage-1 parameters for ``n`` pairs, from their formation windows.

    Attributes
    ----------
    y_scale, x_scale : np.ndarray (n,)
        Formation-window mean prices (dollars): the filter sees ``price / scale``.
    r : np.ndarray (n,)
        Observation variance ``R``: the formation OLS residual's variance (normalized units squared).
    transition_cov : np.ndarray (n, 2, 2)
        ``delta / (1 - delta) * R * I``.
    initial_state_mean : np.ndarray (n, 2)
        Prior ``(beta, alpha)`` at the formation's first bar: the formation OLS coefficients.
    initial_state_cov : np.ndarray (n, 2, 2)
        Their OLS covariance.
    """

    y_scale: np.ndarray
    x_scale: np.ndarray
    r: np.ndarray
    transition_cov: np.ndarray
    initial_state_mean: np.ndarray
    initial_state_cov: np.ndarray


def _panel(values: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[:, None] if arr.ndim == 1 else arr
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (steps x pairs), got {arr.ndim}-D")
    return arr


def fair_value_params(y: np.ndarray, x: np.ndarray, delta: float = DEFAULT_DELTA) -> FairValueParams:
    """Stage-1 parameters from formation-window prices.

    Parameters
    ----------
    y, x : np.ndarray of shape (steps,) or (steps, pairs)
        Dollar prices of the formation window; rows with a NaN leg are left out of the OLS.
    delta : float
        In (0, 1): the fair value's random-walk variance per bar as a multiple of ``R``.

    Returns
    -------
    FairValueParams
    """
    y_, x_ = _panel(y, "y"), _panel(x, "x")
    if y_.shape != x_.shape:
        raise ValueError(f"y {y_.shape} and x {x_.shape} differ")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    n = y_.shape[1]
    y_scale, x_scale, r = np.empty(n), np.empty(n), np.empty(n)
    mean, cov = np.empty((n, 2)), np.empty((n, 2, 2))
    for j in range(n):
        ok = np.isfinite(y_[:, j]) & np.isfinite(x_[:, j])
        if ok.sum() < 30:
            raise ValueError(f"pair {j}: need at least 30 formation bars with both legs, got {ok.sum()}")
        y_scale[j], x_scale[j] = y_[ok, j].mean(), x_[ok, j].mean()
        design = np.column_stack([x_[ok, j] / x_scale[j], np.ones(ok.sum())])
        coef, *_ = np.linalg.lstsq(design, y_[ok, j] / y_scale[j], rcond=None)
        resid = y_[ok, j] / y_scale[j] - design @ coef
        r[j] = resid @ resid / (ok.sum() - 2)
        mean[j] = coef
        cov[j] = r[j] * np.linalg.inv(design.T @ design)
    trans = np.eye(2)[None] * (delta / (1.0 - delta) * r)[:, None, None]
    return FairValueParams(y_scale, x_scale, r, trans, mean, cov)


def fair_value_filter(y: np.ndarray, x: np.ndarray, params: FairValueParams) -> HedgeRatioResult:
    """Run stage 1 on dollar prices from the formation's first bar on.

    Returns
    -------
    HedgeRatioResult
        ``innovation`` is the traded spread ``d`` and ``innovation_var`` its ``Q`` (normalized units).
    """
    y_, x_ = _panel(y, "y"), _panel(x, "x")
    return hedge_ratio_filter(
        y_ / params.y_scale, x_ / params.x_scale, r=params.r, transition_cov=params.transition_cov,
        initial_state_mean=params.initial_state_mean, initial_state_cov=params.initial_state_cov,
    )


# --------------------------------------------------------------------------------------------
# stage 2: AR(1) plus noise


@dataclass(frozen=True)
class AR1Fit:
    """EM estimates of ``d_t = s_t + n_t``, ``s_t = phi s_{t-1} + w_t`` for ``n`` series.

    Attributes
    ----------
    phi, q, r : np.ndarray (n,)
        AR coefficient, state shock variance and noise variance (units of ``d`` squared).
    initial_mean, initial_var : np.ndarray (n,)
        The fixed prior of ``s`` at the first step (0 and the sample variance of ``d``).
    loglik : np.ndarray (n,)
        Log-likelihood at the estimates.
    iterations : int
        EM iterations run.
    converged : np.ndarray of bool (n,)
        The last iteration changed the log-likelihood by less than the tolerance.
    """

    phi: np.ndarray
    q: np.ndarray
    r: np.ndarray
    initial_mean: np.ndarray
    initial_var: np.ndarray
    loglik: np.ndarray
    iterations: int
    converged: np.ndarray

    @property
    def half_life(self) -> np.ndarray:
        """``ln 0.5 / ln phi`` bars; ``inf`` where ``phi >= 1``, NaN where ``phi <= 0``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            hl = np.log(0.5) / np.log(self.phi)
        return np.where(self.phi >= 1.0, np.inf, np.where(self.phi > 0, hl, np.nan))

    def steady_gain(self) -> np.ndarray:
        """Steady-state Kalman gain of ``s``: the share of an innovation the filtered spread absorbs."""
        p = self.q + self.r
        for _ in range(500):
            p = self.phi**2 * (p - p * p / (p + self.r)) + self.q
        return p / (p + self.r)

    def implied_acf1(self) -> np.ndarray:
        """Lag-1 autocorrelation of ``d_t - d_{t-1}`` under the model.

        ``Var(ds) = 2q/(1+phi)``, ``Cov(ds_t, ds_{t-1}) = -q(1-phi)/(1+phi)``; the noise adds ``2r``
        and ``-r``: ``(-q(1-phi)/(1+phi) - r) / (2q/(1+phi) + 2r)`` (``-r/(q+2r)`` for a random walk).
        """
        return (-self.q * (1 - self.phi) / (1 + self.phi) - self.r) / (2 * self.q / (1 + self.phi) + 2 * self.r)


def ar1_filter(
    d: np.ndarray, phi: np.ndarray, q: np.ndarray, r: np.ndarray, initial_mean: np.ndarray, initial_var: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Kalman filter of the AR(1)-plus-noise model for every column of ``d`` (steps x series).

    Returns
    -------
    filtered_mean, filtered_var, predicted_mean, predicted_var : np.ndarray (steps, series)
    loglik : np.ndarray (series,)
        Gaussian log-likelihood of the observed (finite) steps.
    """
    d_ = _panel(d, "d")
    steps, n = d_.shape
    m, p = np.array(initial_mean, dtype=np.float64), np.array(initial_var, dtype=np.float64)
    fm, fv, pm, pv = (np.empty((steps, n)) for _ in range(4))
    loglik = np.zeros(n)
    for t in range(steps):
        pm[t], pv[t] = m, p
        obs = np.isfinite(d_[t])
        s = p + r
        v = np.where(obs, d_[t] - m, 0.0)
        k = np.where(obs, p / s, 0.0)
        fm[t] = m + k * v
        fv[t] = p - k * p
        loglik += np.where(obs, -0.5 * (np.log(2 * np.pi * s) + v * v / s), 0.0)
        m = phi * fm[t]
        p = phi * phi * fv[t] + q
    return fm, fv, pm, pv, loglik


def _ar1_smooth(phi: np.ndarray, fm: np.ndarray, fv: np.ndarray, pm: np.ndarray, pv: np.ndarray):
    """RTS smoother: smoothed means, variances and ``Cov(s_t, s_{t-1} | all)`` (row 0 unused)."""
    sm, sv, lag = fm.copy(), fv.copy(), np.zeros_like(fv)
    for t in range(fm.shape[0] - 2, -1, -1):
        j = fv[t] * phi / pv[t + 1]
        sm[t] = fm[t] + j * (sm[t + 1] - pm[t + 1])
        sv[t] = fv[t] + j * j * (sv[t + 1] - pv[t + 1])
        lag[t + 1] = j * sv[t + 1]
    return sm, sv, lag


def _fast_loglik(d: np.ndarray, phi: float, q: float, r: float, var0: float) -> float:
    """:func:`ar1_filter`'s log-likelihood of one complete column (no NaN), in C speed.

    The variance recursion does not depend on the data: once it has reached its fixed point the
    gain is constant and the predicted mean is the linear recursion ``m_{t+1} = a m_t + b d_t``
    (``a = phi (1 - K)``, ``b = phi K``), one ``lfilter`` call. Equal to the step loop to rounding.
    """
    steps = len(d)
    p, m, total, t = var0, 0.0, 0.0, 0
    while t < steps:
        s = p + r
        v = d[t] - m
        total += -0.5 * (np.log(2 * np.pi * s) + v * v / s)
        k = p / s
        m = phi * (m + k * v)
        new_p = phi * phi * (p - k * p) + q
        t += 1
        if abs(new_p - p) <= 1e-15 * p:
            p = new_p
            break
        p = new_p
    if t < steps:
        s = p + r
        k = p / s
        a, b = phi * (1 - k), phi * k
        rest = d[t:]
        means = np.empty(len(rest))
        means[0] = m
        if len(rest) > 1:
            means[1:] = lfilter([b], [1.0, -a], rest[:-1], zi=[a * m])[0]
        v = rest - means
        total += -0.5 * (len(rest) * np.log(2 * np.pi * s) + v @ v / s)
    return total


def _maximum_likelihood(d: np.ndarray, phi: np.ndarray, q: np.ndarray, r: np.ndarray,
                        var0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quasi-Newton (L-BFGS-B) maximum of each column's log-likelihood, one column at a time.

    Parameters ``phi = tanh(a)``, ``q = var0 exp(b)``, ``r = var0 exp(c)``; ``r`` may tend to 0 (a
    spread without noise), so ``c`` is bounded 30 e-folds below. A column with missing values keeps
    its starting values (EM then does all the work, with the exact filter).
    """
    out = np.stack([phi, q, r]).astype(np.float64)
    for j in range(d.shape[1]):
        col = d[:, j]
        if not np.isfinite(col).all():
            continue

        def negative(theta: np.ndarray, col: np.ndarray = col, j: int = j) -> float:
            a, b, c = theta
            return -_fast_loglik(col, float(np.tanh(a)), var0[j] * np.exp(b), var0[j] * np.exp(c), var0[j])

        theta0 = [np.arctanh(np.clip(phi[j], -0.999, 0.999)), np.log(q[j] / var0[j]), np.log(r[j] / var0[j])]
        found = minimize(negative, theta0, method="L-BFGS-B", bounds=[(-6.0, 6.0), (-30.0, 5.0), (-30.0, 5.0)],
                         options={"ftol": 1e-15, "gtol": 1e-9})
        out[:, j] = np.tanh(found.x[0]), var0[j] * np.exp(found.x[1]), var0[j] * np.exp(found.x[2])
    return out[0], out[1], out[2]


def fit_ar1_em(d: np.ndarray, tol: float = 1e-6, max_iter: int = 500, start: str = "likelihood") -> AR1Fit:
    """Fit ``phi``, ``q`` and ``r`` by EM until each series' log-likelihood changes by < ``tol``.

    Parameters
    ----------
    d : np.ndarray of shape (steps,) or (steps, series)
        The spread (NaN = missing). Needs 10 finite values per series.
    tol : float
        Convergence threshold on the log-likelihood change of one EM iteration (nats).
    max_iter : int
        Iteration cap; series not converged by then report ``converged`` False.
    start : {"likelihood", "moments"}
        ``"moments"``: ``phi`` the lag-1 OLS slope of ``d`` (clipped to [0, 0.99]), ``q`` 0.9 and
        ``r`` 0.1 of its residual variance. ``"likelihood"`` (default): those moments refined by a
        quasi-Newton maximisation of the same likelihood, from where EM converges in a few
        iterations instead of thousands (EM crawls when ``r`` tends to 0).

    Returns
    -------
    AR1Fit
        Each M-step is pykalman's (``transition_matrices``, ``transition_covariance``,
        ``observation_covariance``) for a one-dimensional state; the prior of ``s`` stays fixed.
    """
    d_ = _panel(d, "d")
    steps, n = d_.shape
    observed = np.isfinite(d_)
    if np.any(observed.sum(axis=0) < 10):
        raise ValueError("need at least 10 finite values per series")
    if start not in ("likelihood", "moments"):
        raise ValueError(f"start must be 'likelihood' or 'moments', got {start!r}")
    phi, resid_var, var0 = np.empty(n), np.empty(n), np.empty(n)
    for j in range(n):
        col = d_[observed[:, j], j]
        lag, cur = col[:-1] - col.mean(), col[1:] - col.mean()
        phi[j] = float(np.clip(lag @ cur / (lag @ lag), 0.0, 0.99))
        resid_var[j] = float(np.var(cur - phi[j] * lag))
        var0[j] = float(np.var(col))
    q, r, m0 = 0.9 * resid_var, 0.1 * resid_var, np.zeros(n)
    if start == "likelihood":
        phi, q, r = _maximum_likelihood(d_, phi, q, r, var0)
    fm, fv, pm, pv, loglik = ar1_filter(d_, phi, q, r, m0, var0)
    converged = np.zeros(n, dtype=bool)
    iterations = 0
    while iterations < max_iter and not converged.all():
        iterations += 1
        sm, sv, lag = _ar1_smooth(phi, fm, fv, pm, pv)
        cross = (sm[1:] * sm[:-1] + lag[1:]).sum(axis=0)
        prev = (sm[:-1] ** 2 + sv[:-1]).sum(axis=0)
        cur = (sm[1:] ** 2 + sv[1:]).sum(axis=0)
        new_phi = cross / prev
        new_q = (cur - 2 * new_phi * cross + new_phi**2 * prev) / (steps - 1)
        new_r = np.where(observed, (np.nan_to_num(d_) - sm) ** 2 + sv, 0.0).sum(axis=0) / observed.sum(axis=0)
        # A converged series keeps its estimates while the others iterate.
        phi, q, r = (np.where(converged, old, new) for old, new in ((phi, new_phi), (q, new_q), (r, new_r)))
        fm, fv, pm, pv, new_loglik = ar1_filter(d_, phi, q, r, m0, var0)
        converged = converged | (np.abs(new_loglik - loglik) < tol)
        loglik = new_loglik
    return AR1Fit(phi, q, r, m0, var0, loglik, iterations, converged)


# --------------------------------------------------------------------------------------------
# diagnostics


def _acf1(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    v = v - v.mean()
    return float(v[1:] @ v[:-1] / (v @ v))


def diagnostics(spread: np.ndarray, fair_gain: np.ndarray, fit: AR1Fit) -> dict[str, np.ndarray]:
    """Per-pair diagnostics of a fitted model on its window.

    Parameters
    ----------
    spread : np.ndarray (steps, pairs)
        The traded spread ``d`` the model was fitted to.
    fair_gain : np.ndarray (steps, pairs)
        Stage 1's ``1 - R / Q_t``: the share of each innovation that moves the fair value.
    fit : AR1Fit

    Returns
    -------
    dict of arrays (pairs,)
        ``phi``, ``half_life`` (bars), ``spread_gain`` (steady state), ``fair_gain`` (median),
        ``implied_acf1`` and ``sample_acf1`` of the spread's daily changes, ``acf1_se`` = 1/sqrt(n).
    """
    d = _panel(spread, "spread")
    changes = np.diff(d, axis=0)
    sample = np.array([_acf1(changes[:, j]) for j in range(d.shape[1])])
    n = np.isfinite(changes).sum(axis=0)
    return {
        "phi": fit.phi,
        "half_life": fit.half_life,
        "spread_gain": fit.steady_gain(),
        "fair_gain": np.nanmedian(_panel(fair_gain, "fair_gain"), axis=0),
        "implied_acf1": fit.implied_acf1(),
        "sample_acf1": sample,
        "acf1_se": 1.0 / np.sqrt(n),
    }


def random_walk_band(
    log_return_std: np.ndarray, steps: int, n_sims: int = 200, seed: int = 0, delta: float = DEFAULT_DELTA,
    quantiles: tuple[float, float] = (0.05, 0.95),
) -> dict[str, tuple[float, float]]:
    """What the two stages fit to pairs of independent random walks.

    Parameters
    ----------
    log_return_std : np.ndarray of shape (k, 2)
        Daily log-return standard deviations of ``k`` candidate pairs' (y, x) legs; each simulated
        pair takes one row, in turn.
    steps : int
        Length of the formation window (bars).
    n_sims : int
        Simulated pairs (fixed ``seed``: the band is reproducible).
    delta : float
        As in :func:`fair_value_params`.
    quantiles : (float, float)
        The band's lower and upper quantile.

    Returns
    -------
    dict
        ``phi``, ``half_life``, ``spread_gain``, ``fair_gain`` -> (low, high) quantiles of the fits.
    """
    stds = np.asarray(log_return_std, dtype=np.float64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    legs = stds[np.arange(n_sims) % len(stds)]
    y = 100 * np.exp(np.cumsum(rng.normal(0.0, 1.0, (steps, n_sims)) * legs[:, 0], axis=0))
    x = 100 * np.exp(np.cumsum(rng.normal(0.0, 1.0, (steps, n_sims)) * legs[:, 1], axis=0))
    stage1 = fair_value_params(y, x, delta)
    filtered = fair_value_filter(y, x, stage1)
    fit = fit_ar1_em(filtered.innovation)
    found = diagnostics(filtered.innovation, 1.0 - stage1.r / filtered.innovation_var, fit)
    return {name: (float(np.nanquantile(found[name], quantiles[0])), float(np.nanquantile(found[name], quantiles[1])))
            for name in ("phi", "half_life", "spread_gain", "fair_gain")}
