"""LEAN's daily bars as arrays over the tracked symbols: a history DataFrame (dates x symbols), for warming
incremental state, and one slice's bars, for advancing it.

``QCAlgorithm.history(symbols, n, Resolution.DAILY)`` returns a frame indexed by ``(symbol, time)``;
pivoting it with pandas (``unstack``, ``reindex``, ``where``) cost more than warming the features of
the symbols a universe adds each day. The arrays here are filled through the index's codes instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
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
    position = dict(zip(symbols, range(len(symbols)), strict=True))  # a symbol listed twice: its last column, as a dict's
    count = len(position)
    level = index.levels[0]
    column_of_level = np.fromiter(map(position.get, level, repeat(-1, len(level))), np.int64, len(level))
    columns = column_of_level[index.codes[0]]
    dates, rows = _time_rows(index)
    # the frame's values as one float array (a view of LEAN's single float block): a Series per column
    # cost a third of this function
    values = history.to_numpy(dtype=np.float64, copy=False)
    close_rows = values[:, history.columns.get_loc("close")]
    volume_rows = values[:, history.columns.get_loc("volume")]
    if column_of_level.min() < 0:  # rows of symbols not asked for are left out
        keep = np.flatnonzero(columns >= 0)
        rows, columns, close_rows, volume_rows = rows[keep], columns[keep], close_rows[keep], volume_rows[keep]
    # each row's cell in the flat (dates x symbols); the index's codes may be 8 or 16 bits
    cells = rows.astype(np.int64) * count + columns
    # a row without volume masked before the scatter: a cell written twice keeps its last row, masked by
    # that row's volume, as masking the cells after it
    traded = volume_rows > 0  # NaN compares False, without a warning
    close, volume = np.full(dates * count, np.nan), np.full(dates * count, np.nan)
    close[cells] = np.where(traded, close_rows, np.nan)
    volume[cells] = np.where(traded, volume_rows, np.nan)
    return close.reshape(dates, count), volume.reshape(dates, count)


def slice_bars(bars: Iterable[tuple[Any, Any]], position: Mapping[Any, int],
               count: int) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """Closes and volumes of one slice's trade bars at the tracked symbols' positions, traded bars only.

    Parameters
    ----------
    bars : iterable of (symbol, TradeBar)
        The slice's bars (``data.bars.items()``), each read once: a step with no tracked symbol's bar
        costs one pass over the slice, not a look-up per tracked symbol.
    position : mapping
        Each tracked symbol's position (column) in the arrays; other symbols are skipped.
    count : int
        The number of tracked symbols (the arrays' length).

    Returns
    -------
    close, volume : np.ndarray or None
        Shape (count,), dollars and shares; NaN where a tracked symbol has no bar or a fill-forward bar
        (LEAN repeats the last bar with volume 0 on a day without one: no trade that day). ``(None, None)``
        when no tracked symbol has a bar, fill-forward or not.
    """
    tracked = [(position[symbol], bar) for symbol, bar in bars if symbol in position]
    if not tracked:
        return None, None
    close, volume = np.full(count, np.nan), np.full(count, np.nan)
    traded = [(j, bar.close, bar.volume) for j, bar in tracked if not bar.is_fill_forward]
    if traded:
        at, closes, volumes = zip(*traded, strict=True)
        close[list(at)] = closes
        volume[list(at)] = volumes
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
