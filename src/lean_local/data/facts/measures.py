"""Statistics on (time, series) arrays with NaN for "no value", and the traded 3-day -> 6-day reversal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_local.data.facts.panel import DailyPanel

SIGNAL_DAYS = 3
# The traded horizon of the ML strategy: enter at the open after the signal, leave six days later.
ENTRY_OFFSET, EXIT_OFFSET = 1, 7


def _demeaned(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x - column mean)`` with 0 where ``x`` is NaN, the validity mask and the counts.

    A column whose values are all equal gets deviations of exactly 0 (not the mean's rounding error),
    so it has no variance.
    """
    valid = np.isfinite(x)
    count = valid.sum(axis=0)
    total = np.where(valid, x, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.zeros(x.shape[1:]), where=count > 0)
    low = np.where(valid, x, np.inf).min(axis=0)
    high = np.where(valid, x, -np.inf).max(axis=0)
    return np.where(valid & (high > low), x - mean, 0.0), valid, count


def excess_kurtosis(x: np.ndarray, min_observations: int = 60) -> np.ndarray:
    """Per column: ``m4 / m2**2 - 3`` with population central moments over the finite values.

    NaN for a column with fewer than ``min_observations`` values or no variance.
    """
    d, _, count = _demeaned(x)
    n = np.maximum(count, 1)
    m2 = (d * d).sum(axis=0) / n
    m4 = (d**4).sum(axis=0) / n
    ok = (count >= min_observations) & (m2 > 0)
    return np.divide(m4, m2 * m2, out=np.full(m2.shape, np.nan), where=ok) - 3.0


def autocorrelation(x: np.ndarray, lag: int, min_observations: int = 60) -> np.ndarray:
    """Per column, the sample autocorrelation at ``lag`` over the pairs where both values exist.

    ``mean((x[t] - m)(x[t-lag] - m)) / mean((x[t] - m)**2)``, the mean ``m`` and the denominator over
    all finite values, the numerator's mean over the finite pairs. NaN with fewer than
    ``min_observations`` pairs or no variance.
    """
    d, valid, count = _demeaned(x)
    pairs = (valid[lag:] & valid[:-lag]).sum(axis=0)
    numerator = (d[lag:] * d[:-lag]).sum(axis=0) / np.maximum(pairs, 1)
    variance = (d * d).sum(axis=0) / np.maximum(count, 1)
    ok = (pairs >= min_observations) & (variance > 0)
    return np.divide(numerator, variance, out=np.full(variance.shape, np.nan), where=ok)


def correlation_with(x: np.ndarray, y: np.ndarray, min_observations: int = 60) -> np.ndarray:
    """Per column of ``x`` (T, N), the Pearson correlation with ``y`` (T,) over the rows where both
    are finite (means and variances over those rows). NaN below ``min_observations`` rows."""
    both = np.isfinite(x) & np.isfinite(y)[:, None]
    count = both.sum(axis=0)
    n = np.maximum(count, 1)
    xs = np.where(both, x, 0.0)
    ys = np.where(both, y[:, None], 0.0)
    mx, my = xs.sum(axis=0) / n, ys.sum(axis=0) / n
    dx, dy = np.where(both, xs - mx, 0.0), np.where(both, ys - my, 0.0)
    denominator = np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    ok = (count >= min_observations) & (denominator > 0)
    return np.divide((dx * dy).sum(axis=0), denominator, out=np.full(count.shape, np.nan), where=ok)


def mean_pairwise_correlation(x: np.ndarray, min_observations: int = 60, max_series: int = 1000) -> float:
    """Mean correlation over all pairs of columns that overlap on ``min_observations`` rows.

    Each column is standardised once over its own finite values (population moments); a pair's
    correlation is the mean product of the two standardised series over their common rows, exactly
    Pearson's when the two columns have the same rows. At most ``max_series`` columns (evenly spaced
    among those with enough values) keep the cost at one ``max_series``-square matrix product.
    """
    d, valid, count = _demeaned(x)
    keep = np.flatnonzero(count >= min_observations)
    if len(keep) > max_series:
        keep = keep[np.linspace(0, len(keep) - 1, max_series).round().astype(int)]
    if len(keep) < 2:
        return float("nan")
    d, mask = d[:, keep], valid[:, keep].astype(np.float64)
    std = np.sqrt((d * d).sum(axis=0) / count[keep])
    z = np.divide(d, std, out=np.zeros_like(d), where=std > 0)
    products, overlap = z.T @ z, mask.T @ mask
    upper = np.triu(np.ones(products.shape, dtype=bool), k=1) & (overlap >= min_observations)
    return float(np.mean(products[upper] / overlap[upper])) if upper.any() else float("nan")


def cross_sectional_ranks(x: np.ndarray) -> np.ndarray:
    """Per row, the 1-based rank of each finite value (ties get their average rank); NaN stays NaN."""
    return pd.DataFrame(x).rank(axis=1, method="average").to_numpy()


def newey_west_t(series: np.ndarray, lags: int) -> float:
    """t-statistic of the mean of ``series`` (NaN dropped) with a Newey-West (Bartlett) variance."""
    s = series[np.isfinite(series)]
    n = len(s)
    if n < 2:
        return float("nan")
    d = s - s.mean()
    variance = d @ d / n
    for lag in range(1, min(lags, n - 1) + 1):
        variance += 2.0 * (1.0 - lag / (lags + 1.0)) * (d[lag:] @ d[:-lag]) / n
    return float(s.mean() / np.sqrt(variance / n)) if variance > 0 else float("nan")


def reversal_signal_and_outcome(panel: DailyPanel) -> tuple[np.ndarray, np.ndarray]:
    """The 3-day return at each close and the traded return that follows it.

    ``signal[t] = close[t] / close[t-3] - 1`` and ``outcome[t] = open[t+7] / open[t+1] - 1`` (enter at the
    next open, exit at the open six trading days later); NaN where a bar is missing or the window runs
    past the panel.
    """
    t_count = len(panel.dates)
    signal = np.full(panel.close.shape, np.nan)
    outcome = np.full(panel.close.shape, np.nan)
    signal[SIGNAL_DAYS:] = panel.close[SIGNAL_DAYS:] / panel.close[:-SIGNAL_DAYS] - 1.0
    last = t_count - EXIT_OFFSET
    if last > 0:
        outcome[:last] = panel.open[EXIT_OFFSET:] / panel.open[ENTRY_OFFSET:ENTRY_OFFSET + last] - 1.0
    return signal, outcome


def reversal_ic_and_spread(
    signal: np.ndarray, outcome: np.ndarray, min_names: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Per date, the rank IC of ``signal`` with ``outcome`` and the bottom-minus-top decile spread.

    Only names with both values count; a date needs ``min_names`` of them (NaN otherwise). The IC is
    Pearson's correlation of the two cross-sectional ranks (Spearman's). The deciles hold the
    ``max(1, n // 10)`` names with the lowest and with the highest signal rank; the spread is the mean
    outcome of the lowest minus that of the highest (positive: losers outperform winners, a reversal).
    """
    both = np.isfinite(signal) & np.isfinite(outcome)
    s = np.where(both, signal, np.nan)
    f = np.where(both, outcome, np.nan)
    n = both.sum(axis=1)
    rs, rf = cross_sectional_ranks(s), cross_sectional_ranks(f)
    centre = (n + 1) / 2.0
    ds = np.where(both, rs - centre[:, None], 0.0)
    df = np.where(both, rf - centre[:, None], 0.0)
    denominator = np.sqrt((ds * ds).sum(axis=1) * (df * df).sum(axis=1))
    ok = (n >= min_names) & (denominator > 0)
    ic = np.divide((ds * df).sum(axis=1), denominator, out=np.full(len(n), np.nan), where=ok)
    k = np.maximum(n // 10, 1)[:, None]
    bottom = both & (rs <= k)
    top = both & (rs > n[:, None] - k)
    f0 = np.where(both, f, 0.0)
    low = (f0 * bottom).sum(axis=1) / np.maximum(bottom.sum(axis=1), 1)
    high = (f0 * top).sum(axis=1) / np.maximum(top.sum(axis=1), 1)
    spread = np.where(ok, low - high, np.nan)
    return ic, spread


def values_at_ranks(values: np.ndarray, ranks: tuple[int, ...]) -> np.ndarray:
    """Per row, the ``k``-th largest finite value for each ``k`` in ``ranks``; NaN where the row has
    fewer than ``k`` values. Shape (rows, len(ranks))."""
    filled = np.where(np.isfinite(values), values, -np.inf)
    descending = -np.sort(-filled, axis=1)
    out = np.full((values.shape[0], len(ranks)), np.nan)
    for j, k in enumerate(ranks):
        if k <= values.shape[1]:
            column = descending[:, k - 1]
            out[:, j] = np.where(np.isfinite(column), column, np.nan)
    return out


def finite_median(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")

