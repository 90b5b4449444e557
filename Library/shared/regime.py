"""The VIX regime and the book allocation matrix of the long/short equity strategy.

Regime on day ``t``: ``"bear"`` when ``VIX[t] > SMA(VIX, 15)[t] * 1.15`` (strictly greater; the SMA
includes ``VIX[t]``, as LEAN's ``SimpleMovingAverage`` after its update), else ``"bull"``. Before 15
values, or when any of the 15 values in the window is missing (NaN, non-finite or <= 0), the regime is
``"unknown"``: the data cannot say, and :func:`book_allocation` maps it to the defensive bear book
unless told otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shared.pressure import clean_prices, rolling, window_mean

BULL = "bull"
BEAR = "bear"
UNKNOWN = "unknown"

VIX_SMA_WINDOW = 15
VIX_THRESHOLD = 1.15

# (long gross, short gross) as fractions of portfolio value, per regime.
DEFAULT_ALLOCATION: dict[str, tuple[float, float]] = {BULL: (1.1, 0.2), BEAR: (0.1, 0.2)}


def _classify(vix: np.ndarray, sma: np.ndarray, threshold: float) -> np.ndarray:
    known = ~(np.isnan(vix) | np.isnan(sma))
    with np.errstate(invalid="ignore"):
        bear = vix > sma * threshold
    return np.where(known, np.where(bear, BEAR, BULL), UNKNOWN).astype(object)


def vix_regime(vix: Any, sma_window: int = VIX_SMA_WINDOW, threshold: float = VIX_THRESHOLD) -> Any:
    """The VIX regime for every day (module docstring).

    Parameters
    ----------
    vix : pd.Series or 1-D array-like
        Daily VIX closes (index points), oldest first.
    sma_window : int
        Days in the VIX simple moving average (15).
    threshold : float
        Multiple of the SMA above which the regime is bear (1.15).

    Returns
    -------
    pd.Series (same index) or np.ndarray of object
        ``"bull"``, ``"bear"`` or ``"unknown"`` per day. Uses no data after the day.
    """
    index = vix.index if isinstance(vix, pd.Series) else None
    x = clean_prices(np.asarray(vix, dtype=np.float64).reshape(-1))
    sma = rolling(x[:, None], sma_window, window_mean)[:, 0]
    out = _classify(x, sma, threshold)
    return pd.Series(out, index=index, name="regime") if index is not None else out


class VixRegimeState:
    """Incremental VIX regime: one :meth:`update` per day gives the same value as :func:`vix_regime`.

    Parameters
    ----------
    sma_window, threshold : as in :func:`vix_regime`.
    """

    def __init__(self, sma_window: int = VIX_SMA_WINDOW, threshold: float = VIX_THRESHOLD) -> None:
        self.sma_window = sma_window
        self.threshold = threshold
        self._window = np.full((1, sma_window), np.nan)

    def update(self, vix: float) -> str:
        """Feed today's VIX close (NaN if missing) and return today's regime."""
        x = clean_prices(np.array([vix], dtype=np.float64))
        self._window[:, :-1] = self._window[:, 1:]
        self._window[:, -1] = x
        return str(_classify(x, window_mean(self._window), self.threshold)[0])


def book_allocation(
    regime: Any,
    bull: tuple[float, float] = DEFAULT_ALLOCATION[BULL],
    bear: tuple[float, float] = DEFAULT_ALLOCATION[BEAR],
    unknown: tuple[float, float] | None = None,
) -> tuple[Any, Any]:
    """Long and short gross exposure for a regime.

    Parameters
    ----------
    regime : str or array-like of str
        ``"bull"``, ``"bear"`` or ``"unknown"`` (as :func:`vix_regime` returns).
    bull, bear : (float, float)
        (long gross, short gross) as fractions of portfolio value, both >= 0.
    unknown : (float, float), optional
        Allocation when the regime is unknown; defaults to ``bear`` (the defensive book).

    Returns
    -------
    (long_gross, short_gross)
        Floats for a scalar regime, float arrays for an array. Short gross is a positive magnitude.
    """
    table = {BULL: bull, BEAR: bear, UNKNOWN: bear if unknown is None else unknown}
    if isinstance(regime, str):
        if regime not in table:
            raise ValueError(f"unknown regime {regime!r}; expected one of {sorted(table)}")
        return float(table[regime][0]), float(table[regime][1])
    labels = np.asarray(regime, dtype=object)
    bad = set(labels.ravel()) - set(table)
    if bad:
        raise ValueError(f"unknown regimes {sorted(map(str, bad))}; expected one of {sorted(table)}")
    long_gross = np.zeros(labels.shape)
    short_gross = np.zeros(labels.shape)
    for name, (lg, sg) in table.items():
        mask = labels == name
        long_gross[mask] = lg
        short_gross[mask] = sg
    return long_gross, short_gross
