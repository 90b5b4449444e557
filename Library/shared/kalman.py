"""Batched Kalman filters for mean reversion: a dynamic mean and a dynamic hedge ratio.

Two linear-Gaussian state-space models, each filtered for many series at once (one numpy
operation per time step across all series, never a Python loop over series):

* **Local level** (dynamic mean). State ``m_t`` (the level) follows a random walk,
  ``m_t = m_{t-1} + w_t`` with ``w_t ~ N(0, q)``; the observation is ``y_t = m_t + e_t`` with
  ``e_t ~ N(0, r)``.
* **Dynamic hedge ratio** (Chan, *Algorithmic Trading*, 2013, ch. 3). States ``(beta_t, alpha_t)``
  follow random walks with transition covariance ``delta / (1 - delta) * I`` (or any 2x2
  covariance); the observation is ``y_t = beta_t x_t + alpha_t + e_t`` with ``e_t ~ N(0, r)``, i.e.
  the observation matrix is the time-varying row ``[x_t, 1]``.

Timing follows pykalman's ``KalmanFilter.filter``: the initial state mean and covariance are the
prior of the state at the *first* step (no transition is applied before step 0); between steps
the state is propagated by the random walk. The batch functions and the online objects
(:class:`LocalLevelFilter`, :class:`HedgeRatioFilter`) share one step function, so the live
algorithm reproduces the batch numbers exactly; both equal pykalman's ``filter`` and
``filter_update`` to rounding (the tests check 1e-9).

Missing observations (NaN, in ``y`` or, for the hedge ratio, in ``x``) are skipped: the step only
predicts, as pykalman does for a masked observation. The innovation of that step is NaN; its
innovation variance is still reported (it is the forecast variance of the missing observation).

Noise parameters come from EM on a training window through pykalman (:func:`fit_local_level_em`,
:func:`fit_hedge_ratio_em`). :func:`zscore` turns innovations into signals and :func:`half_life`
measures the speed of mean reversion of a spread.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from pykalman import KalmanFilter

__all__ = [
    "DEFAULT_DELTA",
    "HedgeRatioFilter",
    "HedgeRatioParams",
    "HedgeRatioResult",
    "HedgeRatioStep",
    "LocalLevelFilter",
    "LocalLevelResult",
    "LocalLevelStep",
    "delta_to_transition_cov",
    "fit_hedge_ratio_em",
    "fit_local_level_em",
    "half_life",
    "hedge_ratio_filter",
    "local_level_filter",
    "zscore",
]

#: Chan's choice of delta for the hedge-ratio random walk (transition variance delta/(1-delta)).
DEFAULT_DELTA = 1e-4


# --------------------------------------------------------------------------------------------
# parameter handling


def _per_series(value: float | np.ndarray | Sequence[float], n: int, name: str, positive: bool) -> np.ndarray:
    """Broadcast a scalar or length-``n`` parameter to a float64 vector and validate it."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {arr.shape}")
    else:
        arr = arr.copy()
    if positive and not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"{name} must be finite and > 0")
    return arr


def _as_panel(
    observations: np.ndarray | pd.DataFrame, name: str
) -> tuple[np.ndarray, pd.Index | None, pd.Index | None]:
    """A (steps x series) float64 array, and the DataFrame's labels when one was given."""
    index = columns = None
    if isinstance(observations, pd.DataFrame):
        index, columns = observations.index, observations.columns
    arr = np.asarray(observations, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (steps x series), got {arr.ndim}-D")
    return arr, index, columns


def delta_to_transition_cov(delta: float | np.ndarray, n: int) -> np.ndarray:
    """Chan's transition covariance ``delta / (1 - delta) * I`` for ``n`` pairs.

    Parameters
    ----------
    delta : float or array of shape (n,)
        In (0, 1). Small values (1e-5 .. 1e-3) give slowly moving hedge ratios.
    n : int
        Number of pairs.

    Returns
    -------
    np.ndarray of shape (n, 2, 2)
    """
    d = _per_series(delta, n, "delta", positive=True)
    if np.any(d >= 1):
        raise ValueError("delta must be < 1")
    cov = np.zeros((n, 2, 2))
    cov[:, 0, 0] = cov[:, 1, 1] = d / (1.0 - d)
    return cov


def _transition_cov(
    delta: float | np.ndarray | None, transition_cov: np.ndarray | None, n: int
) -> np.ndarray:
    if transition_cov is None:
        return delta_to_transition_cov(DEFAULT_DELTA if delta is None else delta, n)
    if delta is not None:
        raise ValueError("give either delta or transition_cov, not both")
    cov = np.asarray(transition_cov, dtype=np.float64)
    if cov.shape == (2, 2):
        cov = np.broadcast_to(cov, (n, 2, 2))
    if cov.shape != (n, 2, 2):
        raise ValueError(f"transition_cov must have shape (2, 2) or ({n}, 2, 2), got {cov.shape}")
    if not np.allclose(cov, np.swapaxes(cov, 1, 2)):
        raise ValueError("transition_cov must be symmetric")
    return np.array(cov)


# --------------------------------------------------------------------------------------------
# local level: one step for all series


def _local_level_step(
    pred_mean: np.ndarray,
    pred_var: np.ndarray,
    y: np.ndarray,
    q: np.ndarray,
    r: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Correct the predicted state with ``y``, then predict the next step in place.

    A NaN predicted mean marks a series that has not started (diffuse prior): its first finite
    observation sets the level to that observation with variance ``r`` (the exact diffuse limit),
    and that step's innovation is undefined (NaN). Returns the filtered mean and variance, the
    innovation and its variance for this step.
    """
    observed = ~np.isnan(y)
    innovation = y - pred_mean
    innovation_var = pred_var + r
    gain = pred_var / innovation_var
    update = observed & ~np.isnan(pred_mean)
    mean = np.where(update, pred_mean + gain * innovation, pred_mean)
    var = np.where(update, pred_var - gain * pred_var, pred_var)
    start = observed & np.isnan(pred_mean)
    if start.any():
        mean[start] = y[start]
        var[start] = r[start]
        innovation_var[start] = np.nan
    pred_mean[:] = mean
    np.add(var, q, out=pred_var)
    return mean, var, innovation, innovation_var


def _local_level_prior(
    n: int, r: np.ndarray, initial_mean: float | np.ndarray | None, initial_var: float | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted (prior) mean and variance of the first step; NaN mean = diffuse start."""
    if initial_mean is None:
        if initial_var is not None:
            raise ValueError("initial_var needs initial_mean")
        return np.full(n, np.nan), np.full(n, np.nan)
    if initial_var is None:
        raise ValueError("initial_mean needs initial_var")
    mean = _per_series(initial_mean, n, "initial_mean", positive=False)
    var = _per_series(initial_var, n, "initial_var", positive=False)
    if np.any(var < 0) or np.any(np.isnan(var) != np.isnan(mean)):
        raise ValueError("initial_var must be >= 0 and NaN exactly where initial_mean is NaN (diffuse)")
    return mean, var


@dataclass(frozen=True)
class LocalLevelResult:
    """Output of :func:`local_level_filter`; every array has shape (steps, series).

    Attributes
    ----------
    filtered_mean : np.ndarray
        Level given observations up to and including the step (units of the observations).
    filtered_var : np.ndarray
        Variance of that estimate (units squared).
    innovation : np.ndarray
        One-step forecast error ``y_t - E[y_t | y_{<t}]``; NaN where ``y_t`` is missing or the
        step starts a diffuse series.
    innovation_var : np.ndarray
        Its predicted variance ``P_{t|t-1} + r``; NaN before a diffuse series starts and at its
        first observation.
    index, columns : pd.Index or None
        The labels of the input DataFrame, if one was given.
    """

    filtered_mean: np.ndarray
    filtered_var: np.ndarray
    innovation: np.ndarray
    innovation_var: np.ndarray
    index: pd.Index | None = None
    columns: pd.Index | None = None

    def to_frame(self, field: str) -> pd.DataFrame:
        """One output (e.g. ``"innovation"``) as a DataFrame with the input's labels."""
        return pd.DataFrame(getattr(self, field), index=self.index, columns=self.columns)


def local_level_filter(
    observations: np.ndarray | pd.DataFrame,
    q: float | np.ndarray,
    r: float | np.ndarray,
    initial_mean: float | np.ndarray | None = None,
    initial_var: float | np.ndarray | None = None,
) -> LocalLevelResult:
    """Filter many series with the local-level (random-walk-plus-noise) model.

    Parameters
    ----------
    observations : array or DataFrame of shape (steps, series)
        Observations (e.g. prices or log prices); NaN = missing, the step only predicts.
    q : float or array of shape (series,)
        Transition (level) variance per step, > 0, units of observations squared.
    r : float or array of shape (series,)
        Observation noise variance, > 0.
    initial_mean, initial_var : float or array of shape (series,), optional
        Prior mean and variance of the level at the first step (pykalman's
        ``initial_state_mean`` / ``initial_state_covariance``); give both or neither. A NaN mean
        (with NaN variance) makes that series diffuse. Default: every series diffuse, i.e. the
        level starts at the series' first finite observation with variance ``r`` and outputs are
        NaN before it (no value from a later step is used, unlike seeding with the first
        observation of the window).

    Returns
    -------
    LocalLevelResult
    """
    y, index, columns = _as_panel(observations, "observations")
    steps, n = y.shape
    q_, r_ = _per_series(q, n, "q", True), _per_series(r, n, "r", True)
    pred_mean, pred_var = _local_level_prior(n, r_, initial_mean, initial_var)
    mean, var, innovation, innovation_var = (np.empty((steps, n)) for _ in range(4))
    for t in range(steps):
        mean[t], var[t], innovation[t], innovation_var[t] = _local_level_step(
            pred_mean, pred_var, y[t], q_, r_
        )
    return LocalLevelResult(mean, var, innovation, innovation_var, index=index, columns=columns)


# --------------------------------------------------------------------------------------------
# hedge ratio: one step for all pairs


def _hedge_step(
    state: np.ndarray,
    cov: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    trans_cov: np.ndarray,
    r: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Correct the predicted (beta, alpha) with ``y = beta x + alpha + e``, then predict in place.

    ``state`` is (n, 2), ``cov`` (n, 2, 2). Closed-form 2x2 algebra over all pairs at once; the
    update ``P - K (H P)`` is the form pykalman uses (not Joseph's), so the two agree to rounding.
    """
    observed = ~(np.isnan(y) | np.isnan(x))
    beta, alpha = state[:, 0], state[:, 1]
    p00, p01, p10, p11 = cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 0], cov[:, 1, 1]
    # H P (= (P H')' for symmetric P): the covariance of the forecast with each state.
    hp0 = x * p00 + p10
    hp1 = x * p01 + p11
    innovation = y - (beta * x + alpha)
    innovation_var = x * (p00 * x + p01) + (p10 * x + p11) + r
    k0 = (p00 * x + p01) / innovation_var
    k1 = (p10 * x + p11) / innovation_var
    filtered = np.empty_like(state)
    filtered[:, 0] = np.where(observed, beta + k0 * innovation, beta)
    filtered[:, 1] = np.where(observed, alpha + k1 * innovation, alpha)
    filtered_cov = np.empty_like(cov)
    filtered_cov[:, 0, 0] = np.where(observed, p00 - k0 * hp0, p00)
    filtered_cov[:, 0, 1] = np.where(observed, p01 - k0 * hp1, p01)
    filtered_cov[:, 1, 0] = np.where(observed, p10 - k1 * hp0, p10)
    filtered_cov[:, 1, 1] = np.where(observed, p11 - k1 * hp1, p11)
    state[:] = filtered
    np.add(filtered_cov, trans_cov, out=cov)
    return filtered, filtered_cov, innovation, innovation_var


def _hedge_prior(
    n: int, initial_state_mean: np.ndarray | Sequence[float] | None, initial_state_cov: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Prior (n, 2) mean and (n, 2, 2) covariance; defaults are pykalman's: zeros and identity."""
    mean = (
        np.zeros((n, 2)) if initial_state_mean is None else np.asarray(initial_state_mean, dtype=np.float64)
    )
    mean = np.array(np.broadcast_to(mean, (n, 2)))
    cov = np.eye(2) if initial_state_cov is None else np.asarray(initial_state_cov, dtype=np.float64)
    cov = np.array(np.broadcast_to(cov, (n, 2, 2)))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        raise ValueError("initial state mean and covariance must be finite")
    return mean, cov


@dataclass(frozen=True)
class HedgeRatioResult:
    """Output of :func:`hedge_ratio_filter`.

    Attributes
    ----------
    beta, alpha : np.ndarray of shape (steps, pairs)
        Filtered hedge ratio and intercept given observations up to and including the step.
    state_cov : np.ndarray of shape (steps, pairs, 2, 2)
        Filtered covariance of (beta, alpha).
    innovation : np.ndarray of shape (steps, pairs)
        The spread's forecast error ``y_t - (beta_{t|t-1} x_t + alpha_{t|t-1})``; NaN where ``y_t``
        or ``x_t`` is missing.
    innovation_var : np.ndarray of shape (steps, pairs)
        Its predicted variance ``[x_t, 1] P_{t|t-1} [x_t, 1]' + r`` (NaN where ``x_t`` is missing).
    index, columns : pd.Index or None
        Labels of ``y`` when it was a DataFrame.
    """

    beta: np.ndarray
    alpha: np.ndarray
    state_cov: np.ndarray
    innovation: np.ndarray
    innovation_var: np.ndarray
    index: pd.Index | None = None
    columns: pd.Index | None = None

    def to_frame(self, field: str) -> pd.DataFrame:
        """One 2-D output (``beta``, ``alpha``, ``innovation``, ``innovation_var``) as a DataFrame."""
        return pd.DataFrame(getattr(self, field), index=self.index, columns=self.columns)


def hedge_ratio_filter(
    y: np.ndarray | pd.DataFrame,
    x: np.ndarray | pd.DataFrame,
    r: float | np.ndarray,
    delta: float | np.ndarray | None = None,
    transition_cov: np.ndarray | None = None,
    initial_state_mean: np.ndarray | Sequence[float] | None = None,
    initial_state_cov: np.ndarray | None = None,
) -> HedgeRatioResult:
    """Filter the dynamic hedge ratio of many pairs ``y_t = beta_t x_t + alpha_t + e_t``.

    Parameters
    ----------
    y, x : array or DataFrame of shape (steps, pairs)
        Dependent and independent legs (prices or log prices), column ``j`` of each forming
        pair ``j``. NaN in either = missing observation, the step only predicts.
    r : float or array of shape (pairs,)
        Observation noise variance, > 0 (units of ``y`` squared).
    delta : float or array of shape (pairs,), optional
        Chan's parameter: transition covariance ``delta / (1 - delta) * I``. Default
        :data:`DEFAULT_DELTA` (1e-4) unless ``transition_cov`` is given.
    transition_cov : array of shape (2, 2) or (pairs, 2, 2), optional
        Full transition covariance of (beta, alpha) per step (e.g. from :func:`fit_hedge_ratio_em`);
        excludes ``delta``.
    initial_state_mean : array of shape (2,) or (pairs, 2), optional
        Prior (beta, alpha) at the first step; default (0, 0), pykalman's default.
    initial_state_cov : array of shape (2, 2) or (pairs, 2, 2), optional
        Prior covariance at the first step; default the identity, pykalman's default. A prior from
        an OLS fit on a training window converges faster; continuing a filtered history with
        :meth:`HedgeRatioFilter.from_result` needs no prior at all.

    Returns
    -------
    HedgeRatioResult
    """
    y_, index, columns = _as_panel(y, "y")
    x_, _, _ = _as_panel(x, "x")
    if x_.shape != y_.shape:
        raise ValueError(f"x and y must have the same shape, got {x_.shape} and {y_.shape}")
    steps, n = y_.shape
    r_ = _per_series(r, n, "r", True)
    trans_cov = _transition_cov(delta, transition_cov, n)
    state, cov = _hedge_prior(n, initial_state_mean, initial_state_cov)
    beta, alpha = np.empty((steps, n)), np.empty((steps, n))
    state_cov = np.empty((steps, n, 2, 2))
    innovation, innovation_var = np.empty((steps, n)), np.empty((steps, n))
    for t in range(steps):
        filtered, filtered_cov, innovation[t], innovation_var[t] = _hedge_step(
            state, cov, y_[t], x_[t], trans_cov, r_
        )
        beta[t], alpha[t] = filtered[:, 0], filtered[:, 1]
        state_cov[t] = filtered_cov
    return HedgeRatioResult(beta, alpha, state_cov, innovation, innovation_var, index=index, columns=columns)


# --------------------------------------------------------------------------------------------
# online objects for the live algorithm


class _KeyedSeries:
    """Key bookkeeping shared by the online filters: keys in insertion order, one row each."""

    def __init__(self) -> None:
        self._keys: list[Hashable] = []

    @property
    def keys(self) -> list[Hashable]:
        """Series keys, in the order of every vector the filter takes and returns."""
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def _new_keys(self, keys: Iterable[Hashable]) -> list[Hashable]:
        new = list(keys)
        clash = set(new) & set(self._keys)
        if clash or len(set(new)) != len(new):
            raise ValueError(f"series already present or repeated: {sorted(map(str, clash)) or new}")
        return new

    def _keep_mask(self, keys: Iterable[Hashable]) -> np.ndarray:
        drop = set(keys)
        unknown = drop - set(self._keys)
        if unknown:
            raise KeyError(f"unknown series: {sorted(map(str, unknown))}")
        keep = np.array([k not in drop for k in self._keys], dtype=bool)
        self._keys = [k for k in self._keys if k not in drop]
        return keep

    def _vector(self, values: np.ndarray | Mapping[Hashable, float] | pd.Series, name: str) -> np.ndarray:
        """Values aligned with ``keys``: a vector in key order, or a mapping (absent key = NaN)."""
        if isinstance(values, pd.Series | Mapping):
            get = values.get
            return np.array([get(k, np.nan) for k in self._keys], dtype=np.float64)
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (len(self._keys),):
            raise ValueError(f"{name} must have shape ({len(self._keys)},), got {arr.shape}")
        return arr


@dataclass(frozen=True)
class LocalLevelStep:
    """One :meth:`LocalLevelFilter.update`: 1-D arrays aligned with the filter's keys."""

    filtered_mean: np.ndarray
    filtered_var: np.ndarray
    innovation: np.ndarray
    innovation_var: np.ndarray


class LocalLevelFilter(_KeyedSeries):
    """Online local-level filter over a changing set of series, one :meth:`update` per bar.

    Gives exactly the numbers of :func:`local_level_filter` on the same observations and
    parameters (both run the same step function).

    Examples
    --------
    >>> f = LocalLevelFilter()
    >>> f.add_series(["SPY", "QQQ"], q=1e-4, r=1e-2)
    >>> step = f.update({"SPY": 470.1, "QQQ": 400.2})
    """

    def __init__(self) -> None:
        super().__init__()
        self._q = np.empty(0)
        self._r = np.empty(0)
        self._mean = np.empty(0)
        self._var = np.empty(0)

    def add_series(
        self,
        keys: Iterable[Hashable],
        q: float | np.ndarray,
        r: float | np.ndarray,
        initial_mean: float | np.ndarray | None = None,
        initial_var: float | np.ndarray | None = None,
    ) -> None:
        """Start filtering new series; parameters as in :func:`local_level_filter`."""
        new = self._new_keys(keys)
        n = len(new)
        q_, r_ = _per_series(q, n, "q", True), _per_series(r, n, "r", True)
        mean, var = _local_level_prior(n, r_, initial_mean, initial_var)
        self._keys += new
        self._q = np.concatenate([self._q, q_])
        self._r = np.concatenate([self._r, r_])
        self._mean = np.concatenate([self._mean, mean])
        self._var = np.concatenate([self._var, var])

    @classmethod
    def from_result(
        cls, keys: Sequence[Hashable], q: float | np.ndarray, r: float | np.ndarray, result: LocalLevelResult
    ) -> LocalLevelFilter:
        """Continue a batch run: the next :meth:`update` is the step after ``result``'s last row."""
        f = cls()
        n = len(keys)
        q_ = _per_series(q, n, "q", True)
        last_mean, last_var = result.filtered_mean[-1], result.filtered_var[-1]
        # Propagate by one transition, as the batch loop does after its last step.
        f.add_series(keys, q_, r, initial_mean=last_mean, initial_var=last_var + q_)
        return f

    def remove_series(self, keys: Iterable[Hashable]) -> None:
        """Stop filtering these series (their state is discarded)."""
        keep = self._keep_mask(keys)
        self._q, self._r, self._mean, self._var = (a[keep] for a in (self._q, self._r, self._mean, self._var))

    @property
    def predicted_mean(self) -> np.ndarray:
        """Forecast of the level at the next update (NaN for a series not started yet)."""
        return self._mean.copy()

    @property
    def predicted_var(self) -> np.ndarray:
        """Variance of that forecast."""
        return self._var.copy()

    def update(self, observations: np.ndarray | Mapping[Hashable, float] | pd.Series) -> LocalLevelStep:
        """Filter one new observation per series (NaN or absent from a mapping = missing).

        Parameters
        ----------
        observations : array of shape (len(keys),) in key order, or a mapping / Series by key

        Returns
        -------
        LocalLevelStep
        """
        y = self._vector(observations, "observations")
        return LocalLevelStep(*_local_level_step(self._mean, self._var, y, self._q, self._r))


@dataclass(frozen=True)
class HedgeRatioStep:
    """One :meth:`HedgeRatioFilter.update`: arrays aligned with the filter's keys."""

    beta: np.ndarray
    alpha: np.ndarray
    state_cov: np.ndarray
    innovation: np.ndarray
    innovation_var: np.ndarray


class HedgeRatioFilter(_KeyedSeries):
    """Online dynamic hedge-ratio filter over a changing set of pairs.

    Gives exactly the numbers of :func:`hedge_ratio_filter` (same step function).
    """

    def __init__(self) -> None:
        super().__init__()
        self._r = np.empty(0)
        self._trans_cov = np.empty((0, 2, 2))
        self._state = np.empty((0, 2))
        self._cov = np.empty((0, 2, 2))

    def add_series(
        self,
        keys: Iterable[Hashable],
        r: float | np.ndarray,
        delta: float | np.ndarray | None = None,
        transition_cov: np.ndarray | None = None,
        initial_state_mean: np.ndarray | Sequence[float] | None = None,
        initial_state_cov: np.ndarray | None = None,
    ) -> None:
        """Start filtering new pairs; parameters as in :func:`hedge_ratio_filter`."""
        new = self._new_keys(keys)
        n = len(new)
        r_ = _per_series(r, n, "r", True)
        trans_cov = _transition_cov(delta, transition_cov, n)
        state, cov = _hedge_prior(n, initial_state_mean, initial_state_cov)
        self._keys += new
        self._r = np.concatenate([self._r, r_])
        self._trans_cov = np.concatenate([self._trans_cov, trans_cov])
        self._state = np.concatenate([self._state, state])
        self._cov = np.concatenate([self._cov, cov])

    @classmethod
    def from_result(
        cls,
        keys: Sequence[Hashable],
        r: float | np.ndarray,
        result: HedgeRatioResult,
        delta: float | np.ndarray | None = None,
        transition_cov: np.ndarray | None = None,
    ) -> HedgeRatioFilter:
        """Continue a batch run: the next :meth:`update` is the step after ``result``'s last row."""
        trans_cov = _transition_cov(delta, transition_cov, len(keys))
        f = cls()
        f.add_series(
            keys,
            r,
            transition_cov=trans_cov,
            initial_state_mean=np.stack([result.beta[-1], result.alpha[-1]], axis=1),
            initial_state_cov=result.state_cov[-1] + trans_cov,
        )
        return f

    def remove_series(self, keys: Iterable[Hashable]) -> None:
        """Stop filtering these pairs (their state is discarded)."""
        keep = self._keep_mask(keys)
        self._r, self._trans_cov, self._state, self._cov = (
            a[keep] for a in (self._r, self._trans_cov, self._state, self._cov)
        )

    @property
    def predicted_state(self) -> np.ndarray:
        """Forecast (beta, alpha) for the next update, shape (pairs, 2)."""
        return self._state.copy()

    @property
    def predicted_cov(self) -> np.ndarray:
        """Its covariance, shape (pairs, 2, 2)."""
        return self._cov.copy()

    def update(
        self,
        y: np.ndarray | Mapping[Hashable, float] | pd.Series,
        x: np.ndarray | Mapping[Hashable, float] | pd.Series,
    ) -> HedgeRatioStep:
        """Filter one new (y, x) observation per pair (NaN or absent = missing).

        Returns
        -------
        HedgeRatioStep
            ``beta``, ``alpha``, ``innovation``, ``innovation_var`` of shape (pairs,) and
            ``state_cov`` of shape (pairs, 2, 2).
        """
        y_, x_ = self._vector(y, "y"), self._vector(x, "x")
        filtered, filtered_cov, innovation, innovation_var = _hedge_step(
            self._state, self._cov, y_, x_, self._trans_cov, self._r
        )
        return HedgeRatioStep(filtered[:, 0], filtered[:, 1], filtered_cov, innovation, innovation_var)


# --------------------------------------------------------------------------------------------
# parameter fitting and signal helpers


def _masked(values: np.ndarray) -> np.ma.MaskedArray:
    return np.ma.masked_invalid(np.asarray(values, dtype=np.float64))


def fit_local_level_em(
    observations: np.ndarray | pd.Series, n_iter: int = 10, q0: float | None = None, r0: float | None = None
) -> tuple[float, float]:
    """Fit ``(q, r)`` of the local-level model to one training series by EM (pykalman).

    Parameters
    ----------
    observations : 1-D array or Series
        Training window; NaN = missing (masked for pykalman). Needs at least 3 finite values.
    n_iter : int
        EM iterations (pykalman's default 10). EM converges slowly; more iterations move the
        estimates further towards the maximum likelihood.
    q0, r0 : float, optional
        Starting values; default ``var(diff(y)) / 3`` each, since ``var(diff(y)) = q + 2 r``
        under the model.

    Returns
    -------
    (q, r) : tuple of float
        Transition and observation variances, units of observations squared. EM also updates the
        prior of the first training step; it is not returned (the filter that uses (q, r) starts
        later, from its own prior).
    """
    y = _masked(observations).ravel()
    finite = y.compressed()
    if finite.size < 3:
        raise ValueError("need at least 3 finite observations")
    start = np.var(np.diff(finite), ddof=1) / 3.0
    kf = KalmanFilter(
        transition_matrices=[[1.0]],
        observation_matrices=[[1.0]],
        transition_covariance=[[start if q0 is None else q0]],
        observation_covariance=[[start if r0 is None else r0]],
        initial_state_mean=[finite[0]],
        initial_state_covariance=[[start if r0 is None else r0]],
        em_vars=[
            "transition_covariance",
            "observation_covariance",
            "initial_state_mean",
            "initial_state_covariance",
        ],
    )
    kf = kf.em(y.reshape(-1, 1), n_iter=n_iter)
    return float(kf.transition_covariance[0, 0]), float(kf.observation_covariance[0, 0])


@dataclass(frozen=True)
class HedgeRatioParams:
    """EM estimates for one pair of the hedge-ratio model.

    Attributes
    ----------
    transition_cov : np.ndarray of shape (2, 2)
        Covariance of the per-step change of (beta, alpha).
    r : float
        Observation noise variance.
    delta : float
        The Chan ``delta`` whose ``delta / (1 - delta)`` equals the mean of the two transition
        variances: a one-number summary for configuration files; ``transition_cov`` is the fit.
    initial_state_mean : np.ndarray of shape (2,)
        EM's estimate of (beta, alpha) at the first training step.
    """

    transition_cov: np.ndarray
    r: float
    delta: float
    initial_state_mean: np.ndarray


def fit_hedge_ratio_em(
    y: np.ndarray | pd.Series,
    x: np.ndarray | pd.Series,
    n_iter: int = 10,
    delta0: float = DEFAULT_DELTA,
    r0: float | None = None,
) -> HedgeRatioParams:
    """Fit the hedge-ratio model's noise to one training pair by EM (pykalman).

    Parameters
    ----------
    y, x : 1-D arrays or Series of equal length
        Training window of the two legs; a step with NaN in either is masked.
    n_iter : int
        EM iterations.
    delta0 : float
        Starting transition covariance ``delta0 / (1 - delta0) * I``.
    r0 : float, optional
        Starting observation variance; default the variance of the OLS residual of y on x.
        The OLS coefficients are also the starting prior of (beta, alpha).

    Returns
    -------
    HedgeRatioParams
    """
    y_ = np.asarray(y, dtype=np.float64).ravel()
    x_ = np.asarray(x, dtype=np.float64).ravel()
    if y_.shape != x_.shape:
        raise ValueError("x and y must have the same length")
    ok = np.isfinite(y_) & np.isfinite(x_)
    if ok.sum() < 4:
        raise ValueError("need at least 4 steps with both legs finite")
    ols = sm.OLS(y_[ok], sm.add_constant(x_[ok])).fit()
    obs_matrices = np.stack([np.where(ok, x_, 0.0), np.ones_like(x_)], axis=1)[:, np.newaxis, :]
    kf = KalmanFilter(
        transition_matrices=np.eye(2),
        observation_matrices=obs_matrices,
        transition_covariance=delta_to_transition_cov(delta0, 1)[0],
        observation_covariance=[[float(ols.mse_resid) if r0 is None else r0]],
        initial_state_mean=[ols.params[1], ols.params[0]],
        initial_state_covariance=np.diag(np.square(ols.bse[::-1])),
        em_vars=[
            "transition_covariance",
            "observation_covariance",
            "initial_state_mean",
            "initial_state_covariance",
        ],
    )
    kf = kf.em(np.ma.masked_array(y_, mask=~ok).reshape(-1, 1), n_iter=n_iter)
    trans_cov = np.asarray(kf.transition_covariance, dtype=np.float64)
    v = float(np.trace(trans_cov)) / 2.0
    return HedgeRatioParams(
        transition_cov=trans_cov,
        r=float(kf.observation_covariance[0, 0]),
        delta=v / (1.0 + v),
        initial_state_mean=np.asarray(kf.initial_state_mean, dtype=np.float64),
    )


def zscore(innovation: np.ndarray | pd.DataFrame, innovation_var: np.ndarray | pd.DataFrame) -> np.ndarray:
    """Standardised innovation ``innovation / sqrt(innovation_var)``.

    Dimensionless; ~N(0, 1) when the model holds. NaN where either input is NaN or the variance
    is not positive.
    """
    v = np.asarray(innovation, dtype=np.float64)
    s = np.asarray(innovation_var, dtype=np.float64)
    out = np.full(np.broadcast_shapes(v.shape, s.shape), np.nan)
    ok = s > 0
    np.divide(v, np.sqrt(np.where(ok, s, 1.0)), out=out, where=ok)
    return out


def half_life(spread: np.ndarray | pd.Series) -> float:
    """Half-life of mean reversion of a spread, in steps (bars), from an AR(1) fit.

    Regresses ``s_t - s_{t-1}`` on a constant and ``s_{t-1}`` by OLS (statsmodels) over the
    consecutive pairs where both values are finite. With slope ``b`` the AR(1) coefficient is
    ``phi = 1 + b`` and a deviation shrinks by ``|phi|`` per step, so the half-life is
    ``ln(1/2) / ln|phi|`` (exact for AR(1); the common ``-ln 2 / b`` is its first-order version).

    Returns
    -------
    float
        ``inf`` when ``|phi| >= 1`` (no mean reversion), ``0.0`` when ``phi == 0``; NaN with fewer
        than 3 usable pairs.
    """
    s = np.asarray(spread, dtype=np.float64).ravel()
    lag, cur = s[:-1], s[1:]
    ok = np.isfinite(lag) & np.isfinite(cur)
    if ok.sum() < 3:
        return float("nan")
    fit = sm.OLS(cur[ok] - lag[ok], sm.add_constant(lag[ok], has_constant="add")).fit()
    phi = abs(1.0 + float(fit.params[1]))
    if phi >= 1.0:
        return float("inf")
    if phi == 0.0:
        return 0.0
    return float(np.log(0.5) / np.log(phi))
