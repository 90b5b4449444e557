"""The 3-day pressure index (QPI) and the rolling-window machinery the equity signals share.

Definition, for one symbol on bar ``t`` (daily bars, all windows end at and include ``t``)::

    ret_3d     = close[t] / close[t-3] - 1
    vol_ratio  = volume[t] / SMA(volume, 20)[t]          # SMA over volume[t-19..t]
    volatility = std(r[t-19..t], ddof=1)                 # r[i] = close[i] / close[i-1] - 1
    raw        = 50 + (ret_3d / volatility) * 10 - (vol_ratio - 1) * 5
    qpi        = clip(raw, 0, 100)

Low values mean a sharp fall on heavy volume (oversold), high values a sharp rise on light volume.
The volatility is the *sample* standard deviation (ddof=1) of the last 20 daily simple returns, so it
needs 21 closes; QPI is therefore first defined on the 21st bar of an unbroken run of valid bars.

NaN behaviour (shared by every signal in ``features.py``): a missing bar is NaN. A close that is not
finite or not > 0, and a volume that is not finite or < 0, are treated as missing. An output on bar
``t`` is NaN when any bar its windows read is missing, when the volatility is 0 (flat prices) or when
the SMA volume is 0 (no trading for 20 bars). Outputs are never infinite.

Batch forms take a ``pd.DataFrame`` (index: dates, one column per symbol) and return one of the same
shape, or a 2-D ``np.ndarray`` (dates x symbols) and return an array. The incremental form
(:class:`PressureState`) takes one 1-D array per day (one value per symbol) and returns the same
numbers as the batch form on the same history.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from itertools import compress
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

RET_WINDOW = 3
VOLUME_WINDOW = 20
VOLATILITY_WINDOW = 20

# Bytes of float64 a batch window computation may materialise at once: bounds memory on large panels.
_CHUNK_BYTES = 16 * 2**20


# ---------------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------------


def as_panel(x: Any) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """Return ``x`` as a float64 2-D array (dates x symbols) and a function restoring ``x``'s type.

    Parameters
    ----------
    x : pd.DataFrame, pd.Series or array-like
        A DataFrame (dates x symbols), a Series (one symbol) or a 1-D/2-D array.

    Returns
    -------
    values : np.ndarray
        Float64 copy, shape (dates, symbols).
    wrap : callable
        Turns a result array of the same shape back into a DataFrame/Series/array like ``x``.
    """
    if isinstance(x, pd.DataFrame):
        index, columns = x.index, x.columns
        return x.to_numpy(dtype=np.float64, copy=True), lambda a: pd.DataFrame(a, index=index, columns=columns)
    if isinstance(x, pd.Series):
        index, name = x.index, x.name
        values = x.to_numpy(dtype=np.float64, copy=True)[:, None]
        return values, lambda a: pd.Series(a[:, 0], index=index, name=name)
    arr = np.array(x, dtype=np.float64)
    if arr.ndim == 1:
        return arr[:, None], lambda a: a[:, 0]
    if arr.ndim != 2:
        raise ValueError(f"expected a 1-D or 2-D array (dates x symbols), got shape {arr.shape}")
    return arr, lambda a: a


def clean_prices(close: np.ndarray) -> np.ndarray:
    """Float64 copy of ``close`` with non-finite and non-positive prices replaced by NaN (missing)."""
    out = np.array(close, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out[~(np.isfinite(out) & (out > 0))] = np.nan
    return out


def clean_volume(volume: np.ndarray) -> np.ndarray:
    """Float64 copy of ``volume`` with non-finite and negative volumes replaced by NaN (missing)."""
    out = np.array(volume, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out[~(np.isfinite(out) & (out >= 0))] = np.nan
    return out


# ---------------------------------------------------------------------------------------------------
# Kernels: the one place each formula is written. Batch and incremental forms call the same kernels on
# arrays with the window on the last, contiguous axis, so both give the same floating-point numbers.
# ---------------------------------------------------------------------------------------------------


# The two moments are numpy's ``mean`` and ``std`` of float64 arrays, operation for operation (numpy's
# _methods._mean and _var: the same reductions and divisions, so the same bits) without their Python
# layer, a third to a half of a day's feature update.


def window_mean(windows: np.ndarray) -> np.ndarray:
    """Mean over the last axis; NaN if the window holds a NaN."""
    return np.add.reduce(windows, axis=-1) / windows.shape[-1]


def window_moments(windows: np.ndarray, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`window_mean` and the standard deviation with ``ddof`` over the last axis (one reduction for
    the mean of both); NaN if the window holds a NaN."""
    n = windows.shape[-1]
    mean = window_mean(windows)
    deviation = windows - mean[..., None]
    np.multiply(deviation, deviation, out=deviation)
    return mean, np.sqrt(np.add.reduce(deviation, axis=-1) / max(n - ddof, 0))


def window_std(windows: np.ndarray, ddof: int) -> np.ndarray:
    """Standard deviation over the last axis with ``ddof``; NaN if the window holds a NaN."""
    return window_moments(windows, ddof)[1]


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 or NaN, never inf; under ``np.errstate(divide="ignore",
    invalid="ignore")`` (the caller's: a day's step sets it once for all its ratios)."""
    out = np.divide(num, den)
    out[~np.isfinite(out)] = np.nan
    return out


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """:func:`ratio`, silencing the divisions by 0 it replaces."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return ratio(num, den)


def simple_return(close_now: np.ndarray, close_then: np.ndarray) -> np.ndarray:
    """``close_now / close_then - 1`` (prices already cleaned, so ``close_then`` > 0 or NaN)."""
    return close_now / close_then - 1.0


def qpi_from_components(ret_3d: np.ndarray, vol_ratio: np.ndarray, volatility: np.ndarray) -> np.ndarray:
    """The pressure index from its three components (module docstring); NaN where volatility is 0. Under
    the caller's ``np.errstate`` as :func:`ratio`."""
    raw = 50.0 + ratio(ret_3d, volatility) * 10.0 - (vol_ratio - 1.0) * 5.0
    return np.clip(raw, 0.0, 100.0)


def rolling(x: np.ndarray, window: int, kernel: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``kernel`` to every trailing window of ``window`` rows of ``x`` (dates x symbols).

    Row ``t`` of the result is ``kernel`` over rows ``t-window+1 .. t``; the first ``window-1`` rows are
    NaN. Windows are processed in chunks of dates to bound memory.
    """
    n_dates, n_symbols = x.shape
    out = np.full((n_dates, n_symbols), np.nan)
    if n_dates < window:
        return out
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=0)  # (dates-window+1, symbols, window)
    rows = max(1, _CHUNK_BYTES // (8 * window * max(n_symbols, 1)))
    for start in range(0, view.shape[0], rows):
        chunk = np.ascontiguousarray(view[start : start + rows])
        out[window - 1 + start : window - 1 + start + chunk.shape[0]] = kernel(chunk)
    return out


def lagged(x: np.ndarray, lag: int) -> np.ndarray:
    """``x`` shifted down by ``lag`` rows (row ``t`` holds row ``t-lag``), NaN-filled at the top."""
    out = np.full_like(x, np.nan)
    if lag < x.shape[0]:
        out[lag:] = x[: x.shape[0] - lag]
    return out


def daily_returns(close: np.ndarray) -> np.ndarray:
    """Daily simple returns of cleaned closes (dates x symbols); row 0 is NaN."""
    return simple_return(close, lagged(close, 1))


# ---------------------------------------------------------------------------------------------------
# Batch form
# ---------------------------------------------------------------------------------------------------


def pressure_components(close: Any, volume: Any) -> dict[str, np.ndarray]:
    """The QPI's components as 2-D arrays (dates x symbols): ``ret_3d``, ``vol_ratio``, ``volatility``.

    Parameters
    ----------
    close, volume : pd.DataFrame or array-like
        Daily closes (dollars) and volumes (shares), same shape, dates x symbols.

    Returns
    -------
    dict of str to np.ndarray
        Each float64, shape (dates, symbols), NaN as described in the module docstring.
    """
    c, _ = as_panel(close)
    v, _ = as_panel(volume)
    if c.shape != v.shape:
        raise ValueError(f"close and volume shapes differ: {c.shape} vs {v.shape}")
    c, v = clean_prices(c), clean_volume(v)
    return {
        "ret_3d": simple_return(c, lagged(c, RET_WINDOW)),
        "vol_ratio": safe_ratio(v, rolling(v, VOLUME_WINDOW, window_mean)),
        "volatility": rolling(daily_returns(c), VOLATILITY_WINDOW, lambda w: window_std(w, 1)),
    }


def pressure_index(close: Any, volume: Any) -> Any:
    """The 3-day pressure index (QPI), 0..100, for every date and symbol.

    Parameters
    ----------
    close : pd.DataFrame, pd.Series or array-like
        Daily closes in dollars, dates x symbols (a Series or 1-D array is one symbol).
    volume : same type and shape as ``close``
        Daily volumes in shares.

    Returns
    -------
    same type as ``close``
        QPI per the module docstring: NaN for the first 20 bars of every unbroken run of valid bars,
        where any bar in the 21-close / 20-volume windows is missing, and where the 20-day volatility or
        the 20-day SMA volume is 0. Uses no data after the bar it computes for.

    Examples
    --------
    >>> import numpy as np
    >>> close = 100 * 1.01 ** np.arange(25.0) * (1 + 0.01 * (np.arange(25) % 2))
    >>> q = pressure_index(close, np.full(25, 1e6))
    >>> bool(np.isnan(q[19])), bool(0 <= q[24] <= 100)
    (True, True)
    """
    _, wrap = as_panel(close)
    parts = pressure_components(close, volume)
    with np.errstate(divide="ignore", invalid="ignore"):
        return wrap(qpi_from_components(parts["ret_3d"], parts["vol_ratio"], parts["volatility"]))


# ---------------------------------------------------------------------------------------------------
# Incremental form
# ---------------------------------------------------------------------------------------------------


def push(windows: np.ndarray, ends: Sequence[int], values: Sequence[np.ndarray]) -> None:
    """Advance windows laid end to end in a (symbols x columns) block by one bar, in place: the block
    shifts one column left (each window's oldest value leaves it) and each window's newest value is
    written at its last column, ``end - 1`` of its ``ends``. One shift for every window of a state."""
    windows[:, :-1] = windows[:, 1:]
    for end, value in zip(ends, values, strict=True):
        windows[:, end - 1] = value


class ColumnarState(ABC):
    """Base class for per-symbol incremental state: one float64 row per symbol in one block.

    Subclasses define ``_new_block(n)`` (the state of ``n`` symbols that have seen no bar, their columns
    laid out as the subclass reads them), ``_advance(block, close, volume)`` (advance every symbol by one
    bar) and ``_outputs(block)`` (the outputs of the bar a block last saw: a function of the state alone).
    This class keeps the symbol list and adds or removes symbols: one block means a day's joiners and
    leavers cost one concatenation and one selection, whatever the state holds. A symbol added with
    history is warmed by running the same ``_advance`` over that history, so its state is exactly what
    it would be had it been updated every day; its outputs are computed only when asked (:meth:`outputs`).

    Parameters
    ----------
    symbols : iterable of hashable or int, optional
        Initial symbols (cold: they have seen no bar). Order defines the column order of ``update``.
        An int ``n`` stands for the symbols ``0 .. n-1``.
    """

    def __init__(self, symbols: Iterable[Hashable] | int = ()) -> None:
        self._symbols: list[Hashable] = list(range(symbols) if isinstance(symbols, int) else symbols)
        # each symbol's position, kept in step with _symbols: a caller placing a day's bars asks it daily
        self._columns: dict[Hashable, int] = dict(zip(self._symbols, range(len(self._symbols)), strict=True))
        if len(self._columns) != len(self._symbols):
            raise ValueError("duplicate symbols")
        self._columns_view = MappingProxyType(self._columns)
        self._block = self._new_block(len(self._symbols))

    @abstractmethod
    def _new_block(self, n: int) -> np.ndarray:
        """Fresh state, one float64 row for each of ``n`` symbols that have seen no bar."""

    @abstractmethod
    def _advance(self, block: np.ndarray, close: np.ndarray, volume: np.ndarray) -> None:
        """Advance the state in ``block`` by one bar of cleaned ``close`` and ``volume``."""

    @abstractmethod
    def _outputs(self, block: np.ndarray) -> np.ndarray:
        """The outputs of the last bar ``block`` has seen. Runs under ``np.errstate(divide="ignore",
        invalid="ignore")`` (the ratios' divisions by 0)."""

    def _warm(self, block: np.ndarray, close: np.ndarray, volume: np.ndarray) -> None:
        """Advance a fresh ``block`` over cleaned history (dates x symbols). Running ``_advance`` on every
        date defines the result; a subclass may reach the same block, bit for bit, with fewer operations."""
        for row in range(close.shape[0]):
            self._advance(block, close[row], volume[row])

    @property
    def symbols(self) -> list[Hashable]:
        """The tracked symbols, in the order ``update`` expects its arrays."""
        return list(self._symbols)

    @property
    def columns(self) -> Mapping[Hashable, int]:
        """Each tracked symbol's position in ``symbols`` (the arrays ``update`` takes and returns): a
        read-only mapping that follows every ``add`` and ``remove``."""
        return self._columns_view

    @property
    def n_symbols(self) -> int:
        """Number of tracked symbols."""
        return len(self._symbols)

    def update(self, close: Any, volume: Any) -> np.ndarray:
        """Advance every symbol by one daily bar.

        Parameters
        ----------
        close, volume : array-like, shape (n_symbols,)
            Today's close (dollars) and volume (shares) in ``symbols`` order; NaN for a missing bar.

        Returns
        -------
        np.ndarray
            Today's outputs for every symbol, equal to the batch form's row for today.
        """
        c = clean_prices(np.atleast_1d(np.asarray(close, dtype=np.float64)))
        v = clean_volume(np.atleast_1d(np.asarray(volume, dtype=np.float64)))
        if c.shape != (self.n_symbols,) or v.shape != (self.n_symbols,):
            raise ValueError(f"expected arrays of shape ({self.n_symbols},), got {c.shape} and {v.shape}")
        self._advance(self._block, c, v)
        return self.outputs()

    def outputs(self) -> np.ndarray:
        """The outputs of the last bar each symbol has seen, in ``symbols`` order: what ``update``
        returned, and for a symbol added since, those of its history's last bar (NaN for one added cold)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._outputs(self._block)

    def add(self, symbols: Sequence[Hashable], close_history: Any = None, volume_history: Any = None) -> None:
        """Start tracking ``symbols``, optionally warmed from their history.

        Parameters
        ----------
        symbols : sequence of hashable
            New symbols (not already tracked); appended at the end of ``symbols``.
        close_history, volume_history : array-like or pd.DataFrame, shape (dates, len(symbols)), optional
            Daily bars up to and including the last bar the other symbols have seen (NaN for missing
            bars), oldest first, columns in ``symbols`` order. Without history the symbols start cold.
        """
        new = list(symbols)
        if any(s in self._columns for s in new) or len(set(new)) != len(new):
            raise ValueError("symbols already tracked or duplicated")
        block = self._new_block(len(new))
        if close_history is not None:
            c, _ = as_panel(close_history)
            v, _ = as_panel(volume_history)
            if c.shape != v.shape or c.shape[1] != len(new):
                raise ValueError(f"history shapes {c.shape}, {v.shape} do not match {len(new)} symbols")
            self._warm(block, clean_prices(c), clean_volume(v))
        self._block = np.concatenate([self._block, block])
        self._columns.update(zip(new, range(len(self._symbols), len(self._symbols) + len(new)), strict=True))
        self._symbols.extend(new)

    def remove(self, symbols: Iterable[Hashable]) -> None:
        """Stop tracking ``symbols`` (unknown symbols raise ``KeyError``)."""
        gone = set(symbols)
        missing = [s for s in gone if s not in self._columns]
        if missing:
            raise KeyError(f"not tracked: {sorted(map(str, missing))}")
        if not gone:
            return
        keep = np.ones(len(self._symbols), dtype=bool)
        keep[[self._columns[s] for s in gone]] = False
        self._block = self._block[keep]
        self._symbols = list(compress(self._symbols, keep.tolist()))
        self._columns.clear()
        self._columns.update(zip(self._symbols, range(len(self._symbols)), strict=True))


# PressureState's columns: the last RET_WINDOW + 1 closes, then the return and volume windows
_P_CLOSE_END = RET_WINDOW + 1
_P_RET_END = _P_CLOSE_END + VOLATILITY_WINDOW
_P_END = _P_RET_END + VOLUME_WINDOW


class PressureState(ColumnarState):
    """Incremental pressure index for a changing set of symbols (same numbers as :func:`pressure_index`).

    Examples
    --------
    >>> state = PressureState(["AAA", "BBB"])
    >>> qpi = state.update([10.0, 20.0], [1e5, 2e5])   # array of 2 values, NaN until warmed up
    """

    def _new_block(self, n: int) -> np.ndarray:
        return np.full((n, _P_END), np.nan)

    def _advance(self, block: np.ndarray, close: np.ndarray, volume: np.ndarray) -> None:
        ret = simple_return(close, block[:, _P_CLOSE_END - 1])
        push(block, (_P_CLOSE_END, _P_RET_END, _P_END), (close, ret, volume))

    def _outputs(self, block: np.ndarray) -> np.ndarray:
        close = block[:, _P_CLOSE_END - 1]
        ret_3d = simple_return(close, block[:, 0])
        vol_ratio = ratio(block[:, _P_END - 1], window_mean(block[:, _P_RET_END:]))
        return qpi_from_components(ret_3d, vol_ratio, window_std(block[:, _P_CLOSE_END:_P_RET_END], 1))
