"""A LEAN history DataFrame as (dates x symbols) arrays, for warming incremental state.

``QCAlgorithm.history(symbols, n, Resolution.DAILY)`` returns a frame indexed by ``(symbol, time)``;
pivoting it with pandas (``unstack``, ``reindex``, ``where``) cost more than warming the features of
the symbols a universe adds each day. The arrays here are filled through the index's codes instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def traded_bars(history: pd.DataFrame, symbols: Sequence[Any]) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """Closes and volumes of a ``(symbol, time)`` history as (dates x symbols) arrays, traded days only.

    Parameters
    ----------
    history : pd.DataFrame
        LEAN's daily history of ``symbols``: a ``(symbol, time)`` MultiIndex and ``close``, ``volume``
        columns (dollars, shares).
    symbols : sequence
        The columns' order; a symbol without rows is a column of NaN.

    Returns
    -------
    close, volume : np.ndarray or None
        Shape (dates, len(symbols)), dates being every time of the history, oldest first; NaN where a
        symbol has no bar or a bar without volume (LEAN's history fills a day without a bar forward
        with volume 0: no trade that day). ``(None, None)`` for an empty history. The values of
        ``history[name].unstack(level=0).reindex(columns=symbols)`` masked where the volume is not > 0.
    """
    if history.empty:
        return None, None
    index = history.index
    position = {symbol: j for j, symbol in enumerate(symbols)}
    column_of_level = np.array([position.get(symbol, -1) for symbol in index.levels[0]], dtype=np.int64)
    columns = column_of_level[index.codes[0]]
    dates, rows = _time_rows(index)
    keep = columns >= 0
    shape = (dates, len(position))
    close, volume = np.full(shape, np.nan), np.full(shape, np.nan)
    close[rows[keep], columns[keep]] = history["close"].to_numpy(dtype=np.float64)[keep]
    volume[rows[keep], columns[keep]] = history["volume"].to_numpy(dtype=np.float64)[keep]
    with np.errstate(invalid="ignore"):
        untraded = ~(volume > 0)
    close[untraded] = np.nan
    volume[untraded] = np.nan
    return close, volume


def _time_rows(index: pd.MultiIndex) -> tuple[int, np.ndarray]:
    """The number of distinct times of ``index`` and each row's position among them, oldest first: the
    time level and its codes when the level is sorted and every time in it is used (LEAN's frame and
    lean_local's: no sort of the rows' times), else ``np.unique`` of the rows' times."""
    level, codes = index.levels[1], index.codes[1]
    if len(codes) and level.is_monotonic_increasing and codes.min() >= 0 \
            and np.bincount(codes, minlength=len(level)).all():
        return len(level), codes
    dates, rows = np.unique(index.get_level_values(1).asi8, return_inverse=True)
    return len(dates), rows
