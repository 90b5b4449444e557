"""The 8 features of the ML mean-reversion models, their incremental state, and the research label.

Features on bar ``t`` (daily bars; every window ends at and includes ``t``; ``r[i] = close[i] /
close[i-1] - 1``), in the fixed order of :data:`FEATURE_NAMES`:

``qpi``
    The 3-day pressure index, 0..100 (:mod:`shared.pressure`).
``rsi_14``
    Wilder's RSI over 14 close-to-close changes, 0..100, as LEAN's ``RelativeStrengthIndex`` with its
    default ``MovingAverageType.WILDERS``: gains ``max(change, 0)`` and losses ``max(-change, 0)`` are
    each smoothed by Wilder's moving average, seeded with the simple mean of the first 14 changes, then
    ``avg = (avg * 13 + x) / 14``; ``rsi = 100 - 100 / (1 + avg_gain / avg_loss)``, and 100 when
    ``avg_loss`` is 0 (LEAN's rule, flat prices included). Recursive: it reads every bar since the
    last missing one, and is NaN until that run holds 15 closes.
``bb_position_20``
    Position within 20-day Bollinger bands of width 2 standard deviations:
    ``(close - SMA20) / (2 * std20)`` with ``std20`` the *population* standard deviation (ddof=0) of the
    last 20 closes, as LEAN's ``BollingerBands``. -1 at the lower band, 0 at the middle, +1 at the upper
    band (it can lie outside -1..1); NaN when the 20 closes are all equal.
``ret_5d``
    Short momentum: ``close[t] / close[t-5] - 1``.
``ret_20d``
    Medium momentum: ``close[t] / close[t-20] - 1``.
``vol_ratio_20``
    ``volume[t] / SMA(volume, 20)[t]`` (the QPI's volume ratio); NaN when the SMA is 0.
``volatility_20``
    Sample standard deviation (ddof=1) of the last 20 daily returns (the QPI's volatility), a fraction
    per day (not annualised).
``dist_sma_50``
    Trend context: ``close[t] / SMA(close, 50)[t] - 1``; needs 50 closes.

NaN behaviour: a close that is not finite or not > 0, or a volume that is not finite or < 0, is a
missing bar. A feature on bar ``t`` is NaN when any bar it reads is missing: a missing close on bar
``m`` blanks ``ret_5d`` on ``m`` and ``m+5`` only (momentum reads two closes), ``ret_20d`` on ``m`` and
``m+20``, ``bb_position_20`` on ``m..m+19``, ``volatility_20`` and ``qpi`` on ``m..m+20``, ``dist_sma_50``
on ``m..m+49``, and ``rsi_14`` on ``m..m+14`` (the recursion restarts after the gap). Flat prices give
NaN ``bb_position_20``, ``volatility_20`` and ``qpi``. Outputs are never infinite. No feature reads data
after bar ``t``.

The only functions here that look forward are :func:`forward_return` and :func:`forward_labels`: they
build research labels and must never feed a trading decision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shared.pressure import (
    RET_WINDOW,
    VOLATILITY_WINDOW,
    VOLUME_WINDOW,
    ColumnarState,
    as_panel,
    clean_prices,
    clean_volume,
    daily_returns,
    lagged,
    push,
    qpi_from_components,
    ratio,
    rolling,
    simple_return,
    window_mean,
    window_moments,
    window_std,
)

FEATURE_NAMES: tuple[str, ...] = (
    "qpi",
    "rsi_14",
    "bb_position_20",
    "ret_5d",
    "ret_20d",
    "vol_ratio_20",
    "volatility_20",
    "dist_sma_50",
)
N_FEATURES = len(FEATURE_NAMES)

RSI_PERIOD = 14
BB_WINDOW = 20
BB_WIDTH = 2.0
SHORT_MOMENTUM = 5
MEDIUM_MOMENTUM = 20
SMA_TREND = 50
LABEL_HORIZON = 6

# Closes an incremental state must remember: the longest close window (SMA50 reads 50 closes; ret_20d
# reads 21, the return-volatility 21, ret_5d 6).
_CLOSE_MEMORY = max(SMA_TREND, MEDIUM_MOMENTUM + 1, SHORT_MOMENTUM + 1, RET_WINDOW + 1, BB_WINDOW)
# a change times these: the gain's and the loss's signs (the loss is the negated change, exactly)
_GAIN_LOSS = np.array([[1.0], [-1.0]])
# Rows of closes the batch RSI advances at once: its per-row arrays stay a few megabytes on any panel.
_RSI_CHUNK_VALUES = 2**18


# ---------------------------------------------------------------------------------------------------
# RSI: Wilder's recursion over rows of closes, for all symbols. The batch form, the warm-up and the
# daily step run this one function.
# ---------------------------------------------------------------------------------------------------


def _rsi_new(n: int) -> np.ndarray:
    """Wilder's state of ``n`` symbols that have seen no close, one row each: the current run's last close,
    its changes (capped at the period), and the gain and loss (sums while seeding, then Wilder averages)."""
    state = np.zeros((n, 4))
    state[:, 0] = np.nan
    return state


def _rsi_value(gain: np.ndarray, loss: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """The RSI of average gains and losses: 100 where the loss is 0 (LEAN's rule), NaN where not ``ready``.
    Under the caller's ``np.errstate(divide="ignore", invalid="ignore")``."""
    return np.where(ready, np.where(loss == 0.0, 100.0, 100.0 - 100.0 / (1.0 + gain / loss)), np.nan)


def _rsi_state_value(state: np.ndarray, period: int = RSI_PERIOD) -> np.ndarray:
    """The RSI of the last close a state (:func:`_rsi_new`) has seen: :func:`_rsi_advance`'s value of it."""
    return _rsi_value(state[:, 2], state[:, 3], state[:, 1] >= period)


def _rsi_advance(state: np.ndarray, closes: np.ndarray, out: np.ndarray | None = None,
                 period: int = RSI_PERIOD) -> None:
    """Advance Wilder's ``state`` (:func:`_rsi_new`, in place) over each row of ``closes`` (dates x
    symbols), oldest first; with ``out`` (same shape as ``closes``), write each row's RSI into it.

    Each close's change adds ``max(change, 0)`` to the gain and ``max(-change, 0)`` to the loss: summed
    while the run seeds, the sum's mean once it holds ``period`` changes, then Wilder's average
    ``(avg * (period - 1) + x) / period``; a missing close ends the run (both 0, the count 0). The changes,
    the runs' resets and the counts do not depend on the averages: they are computed for every row at
    once, and only the recursion steps row by row, gain and loss in one array.
    """
    if not closes.size:
        return
    change = closes - np.concatenate([state[None, :, 0], closes[:-1]])
    missing = ~np.isfinite(change)
    steps = np.arange(1, len(closes) + 1)[:, None]
    # the changes of the current run at each row: those since the last missing one, the state's count
    # standing for a missing one that many rows before the first, capped at period + 1
    count = np.minimum(steps - np.maximum.accumulate(np.where(missing, steps, -state[:, 1]), axis=0), period + 1)
    # As (acc * keep + move) / divisor, keep period - 1 once smoothing and the divisor period from the
    # seeding's last change: a factor or divisor of 1 is exact, so a row whose runs all have one is not
    # asked to multiply (divide), and a row whose runs all share one takes a full array (numpy's
    # cheapest operand)
    lows, highs = count.min(axis=1).tolist(), count.max(axis=1).tolist()
    breaks = missing.any(axis=1).tolist()
    moves = np.maximum(change[:, None, :] * _GAIN_LOSS, 0.0)  # (dates, gain|loss, symbols)
    acc = state[:, 2:].T.copy()
    keep_all, divide_all = np.full_like(acc, period - 1.0), np.full_like(acc, float(period))
    # (out positional: numpy parses no keywords on the hundreds of calls of a warm-up)
    for t, (low, high, move) in enumerate(zip(lows, highs, moves, strict=True)):
        if high > period:
            np.multiply(acc, keep_all if low > period else np.where(count[t] > period, period - 1.0, 1.0), acc)
        np.add(acc, move, acc)
        if high >= period:
            np.divide(acc, divide_all if low >= period else np.where(count[t] >= period, float(period), 1.0), acc)
        if breaks[t]:
            acc[:, missing[t]] = 0.0
        if out is not None:
            out[t] = _rsi_value(acc[0], acc[1], count[t] >= period)
    state[:, 2:] = acc.T
    state[:, 1] = np.minimum(count[-1], period)
    state[:, 0] = closes[-1]


def rsi(close: Any, period: int = RSI_PERIOD) -> Any:
    """Wilder's RSI (module docstring), 0..100, for every date and symbol.

    Parameters
    ----------
    close : pd.DataFrame, pd.Series or array-like
        Daily closes, dates x symbols.
    period : int
        Number of changes smoothed (14).

    Returns
    -------
    same type as ``close``
        NaN until an unbroken run of valid closes holds ``period + 1`` closes.
    """
    c, wrap = as_panel(close)
    c = clean_prices(c)
    state = _rsi_new(c.shape[1])
    out = np.empty_like(c)
    rows = max(1, _RSI_CHUNK_VALUES // max(c.shape[1], 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, c.shape[0], rows):
            _rsi_advance(state, c[start : start + rows], out[start : start + rows], period)
    return wrap(out)


# ---------------------------------------------------------------------------------------------------
# Batch form
# ---------------------------------------------------------------------------------------------------


def _bb_position(close: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return ratio(close - mean, BB_WIDTH * std)


def feature_array(close: Any, volume: Any) -> np.ndarray:
    """All 8 features as a 3-D array.

    Parameters
    ----------
    close, volume : pd.DataFrame or array-like
        Daily closes (dollars) and volumes (shares), same shape, dates x symbols.

    Returns
    -------
    np.ndarray
        Shape (dates, symbols, 8), last axis in :data:`FEATURE_NAMES` order, NaN per the module docstring.
    """
    c, _ = as_panel(close)
    v, _ = as_panel(volume)
    if c.shape != v.shape:
        raise ValueError(f"close and volume shapes differ: {c.shape} vs {v.shape}")
    c, v = clean_prices(c), clean_volume(v)
    volatility = rolling(daily_returns(c), VOLATILITY_WINDOW, lambda w: window_std(w, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        vol_ratio = ratio(v, rolling(v, VOLUME_WINDOW, window_mean))
        qpi = qpi_from_components(simple_return(c, lagged(c, RET_WINDOW)), vol_ratio, volatility)
        bb = _bb_position(c, rolling(c, BB_WINDOW, window_mean), rolling(c, BB_WINDOW, lambda w: window_std(w, 0)))
    columns = {
        "qpi": qpi,
        "rsi_14": rsi(c),
        "bb_position_20": bb,
        "ret_5d": simple_return(c, lagged(c, SHORT_MOMENTUM)),
        "ret_20d": simple_return(c, lagged(c, MEDIUM_MOMENTUM)),
        "vol_ratio_20": vol_ratio,
        "volatility_20": volatility,
        "dist_sma_50": simple_return(c, rolling(c, SMA_TREND, window_mean)),
    }
    return np.stack([columns[name] for name in FEATURE_NAMES], axis=-1)


def feature_panel(close: pd.DataFrame, volume: pd.DataFrame, dropna: bool = False) -> pd.DataFrame:
    """The 8 features in long format for training.

    Parameters
    ----------
    close, volume : pd.DataFrame
        Daily closes and volumes, index: dates, one column per symbol, same labels.
    dropna : bool
        Drop rows where any feature is NaN.

    Returns
    -------
    pd.DataFrame
        MultiIndex (date, symbol) sorted by date then column order, columns :data:`FEATURE_NAMES`.
    """
    if not close.index.equals(volume.index) or not close.columns.equals(volume.columns):
        raise ValueError("close and volume must share index and columns")
    values = feature_array(close, volume)
    n_dates, n_symbols, _ = values.shape
    index = pd.MultiIndex.from_product([close.index, close.columns], names=["date", "symbol"])
    panel = pd.DataFrame(values.reshape(n_dates * n_symbols, N_FEATURES), index=index, columns=list(FEATURE_NAMES))
    return panel.dropna() if dropna else panel


def avg_dollar_volume(close: Any, volume: Any, window: int = VOLUME_WINDOW) -> Any:
    """Average daily dollar volume ``SMA(close * volume, window)`` (dollars), for the liquidity cap.

    Same type and shape as ``close``; NaN when a bar in the window is missing.
    """
    c, wrap = as_panel(close)
    v, _ = as_panel(volume)
    return wrap(rolling(clean_prices(c) * clean_volume(v), window, window_mean))


# ---------------------------------------------------------------------------------------------------
# Incremental form
# ---------------------------------------------------------------------------------------------------


# FeatureState's columns: the close, return and volume windows end to end (one shift advances them),
# then Wilder's state (_rsi_new)
_RET_START = _CLOSE_MEMORY
_VOLUME_START = _RET_START + VOLATILITY_WINDOW
_WINDOWS_END = _VOLUME_START + VOLUME_WINDOW
# the closes ret_3d (the QPI's), ret_5d and ret_20d divide by, once today's close is the last column
_LAGS = [_CLOSE_MEMORY - 1 - lag for lag in (RET_WINDOW, SHORT_MOMENTUM, MEDIUM_MOMENTUM)]


class FeatureState(ColumnarState):
    """Incremental 8 features for a changing set of symbols, the same numbers as :func:`feature_array`.

    Parameters
    ----------
    symbols : iterable of hashable, optional
        Initial symbols (cold). Add symbols that join the universe with :meth:`add` (with their history
        to warm them: 50 bars give every feature), drop leavers with :meth:`remove`.

    Examples
    --------
    >>> state = FeatureState(["AAA", "BBB"])
    >>> x = state.update([10.0, 20.0], [1e5, 2e5])   # shape (2, 8), NaN until warmed up
    >>> x.shape
    (2, 8)
    """

    def avg_dollar_volume(self, at: np.ndarray | None = None) -> np.ndarray:
        """Today's :func:`avg_dollar_volume` (20 days) for every symbol in ``symbols`` order, or for the
        symbols at positions ``at`` alone (a day sizes a handful of entries: each symbol's number is
        its own row's)."""
        block = self._block if at is None else self._block[at]
        return window_mean(block[:, _RET_START - VOLUME_WINDOW : _RET_START] * block[:, _VOLUME_START:_WINDOWS_END])

    def _new_block(self, n: int) -> np.ndarray:
        block = np.full((n, _WINDOWS_END + 4), np.nan)
        block[:, _WINDOWS_END:] = _rsi_new(n)
        return block

    def _warm(self, block: np.ndarray, close: np.ndarray, volume: np.ndarray) -> None:
        # The windows are the history's last rows, so only Wilder's recursion needs every bar. Same
        # state, bit for bit, as advancing bar by bar (tests), at a fraction of the cost: warming the
        # symbols that join the universe was most of the feature time of the ML backtest.
        _rsi_advance(block[:, _WINDOWS_END:], close)
        returns = np.full_like(close, np.nan)
        returns[1:] = simple_return(close[1:], close[:-1])
        for start, end, history in ((0, _RET_START, close), (_RET_START, _VOLUME_START, returns),
                                    (_VOLUME_START, _WINDOWS_END, volume)):
            kept = min(end - start, history.shape[0])
            if kept:
                block[:, end - kept : end] = history[-kept:].T

    def _advance(self, block: np.ndarray, close: np.ndarray, volume: np.ndarray) -> None:
        ret = simple_return(close, block[:, _RET_START - 1])
        push(block[:, :_WINDOWS_END], (_RET_START, _VOLUME_START, _WINDOWS_END), (close, ret, volume))
        _rsi_advance(block[:, _WINDOWS_END:], close[None, :])

    def _outputs(self, block: np.ndarray) -> np.ndarray:
        close, volume = block[:, _RET_START - 1], block[:, _WINDOWS_END - 1]
        bb_mean, bb_std = window_moments(block[:, _RET_START - BB_WINDOW : _RET_START], 0)
        volatility = window_std(block[:, _RET_START:_VOLUME_START], 1)
        returns = simple_return(close, block.T[_LAGS])  # (lag, symbol): numpy's inner loop runs over symbols
        vol_ratio = ratio(volume, window_mean(block[:, _VOLUME_START:_WINDOWS_END]))
        columns = {
            "qpi": qpi_from_components(returns[0], vol_ratio, volatility),
            "rsi_14": _rsi_state_value(block[:, _WINDOWS_END:]),
            "bb_position_20": _bb_position(close, bb_mean, bb_std),
            "ret_5d": returns[1],
            "ret_20d": returns[2],
            "vol_ratio_20": vol_ratio,
            "volatility_20": volatility,
            "dist_sma_50": simple_return(close, window_mean(block[:, _RET_START - SMA_TREND : _RET_START])),
        }
        return np.stack([columns[name] for name in FEATURE_NAMES], axis=-1)


# ---------------------------------------------------------------------------------------------------
# Research labels: the ONLY forward-looking functions in the library.
# ---------------------------------------------------------------------------------------------------


def forward_return(close: Any, horizon: int = LABEL_HORIZON) -> Any:
    """Research label: ``close[t + horizon] / close[t] - 1``. LOOKS FORWARD: never use it to trade.

    Parameters
    ----------
    close : pd.DataFrame, pd.Series or array-like
        Daily closes, dates x symbols.
    horizon : int
        Bars ahead (6 trading days).

    Returns
    -------
    same type as ``close``
        NaN for the last ``horizon`` bars (future unknown) and where either close is missing.
    """
    c, wrap = as_panel(close)
    c = clean_prices(c)
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    return wrap(simple_return(_lead(c, horizon), c))


def _lead(x: np.ndarray, lead: int) -> np.ndarray:
    out = np.full_like(x, np.nan)
    if lead < x.shape[0]:
        out[: x.shape[0] - lead] = x[lead:]
    return out


def forward_labels(close: Any, horizon: int = LABEL_HORIZON) -> tuple[Any, Any]:
    """Research labels ``label_long = fwd > 0`` and ``label_short = fwd < 0``. LOOKS FORWARD.

    Returns
    -------
    (label_long, label_short) : same type as ``close``, float
        1.0 / 0.0, NaN where :func:`forward_return` is NaN.
    """
    fwd, wrap = as_panel(forward_return(close, horizon))
    known = ~np.isnan(fwd)
    with np.errstate(invalid="ignore"):
        long_ = np.where(known, (fwd > 0).astype(np.float64), np.nan)
        short = np.where(known, (fwd < 0).astype(np.float64), np.nan)
    return wrap(long_), wrap(short)



def traded_return(open_: Any, high: Any, low: Any, direction: Any, horizon: int = LABEL_HORIZON,
                  stop_pct: float = 0.05, rows: Any = None, cols: Any = None) -> np.ndarray:
    """Research label: the return of the trade the strategy makes on a signal at the close of ``t``. LOOKS FORWARD.

    The algorithm's rules (``algorithms/ml_mean_reversion/main.py``): a market-on-open entry at
    ``open[t+1]``; a stop-market order ``stop_pct`` away from the entry, placed when the entry fills and so
    live from bar ``t+2``, filled at the bar's open when the bar opens beyond it (a gap) and at the stop
    price when the bar's low (long) or high (short) reaches it; else the time stop, decided on the close
    of ``t+horizon``, exits at ``open[t+horizon+1]``. Costs are not included; prices are not rounded to a tick.

    Parameters
    ----------
    open_, high, low : array-like
        Daily bars, dates x symbols, on one price scale (adjusted).
    direction : int or array-like
        1 long, -1 short; an array gives one per output value.
    horizon : int
        Trading days of the time stop (6).
    stop_pct : float
        The stop's distance from the entry, a fraction (0.05).
    rows, cols : array-like of int, optional
        Evaluate only at these (date position, symbol position) pairs (e.g. the events); default every cell.

    Returns
    -------
    np.ndarray
        dates x symbols (or one per ``rows``/``cols`` pair): ``exit / entry - 1`` for a long,
        ``1 - exit / entry`` for a short. NaN where a bar the trade needs is missing (any of
        ``t+1 .. t+horizon+1``), in particular for the last ``horizon + 1`` dates.
    """
    o, h, lo = (np.asarray(x.to_numpy() if isinstance(x, pd.DataFrame) else x, dtype=np.float64)
                for x in (open_, high, low))
    if rows is None:
        def at(x: np.ndarray, d: int) -> np.ndarray:
            return clean_prices(_lead(x, d))
    else:
        r, c = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)

        def at(x: np.ndarray, d: int) -> np.ndarray:
            inside = r + d < x.shape[0]
            return clean_prices(np.where(inside, x[np.minimum(r + d, x.shape[0] - 1), c], np.nan))
    side = np.asarray(direction, dtype=np.float64)
    if not np.isin(side, (1.0, -1.0)).all():
        raise ValueError(f"direction must be 1 or -1, got {direction}")
    long_ = side == 1.0
    entry = at(o, 1)
    stop = entry * (1.0 - side * stop_pct)
    exit_ = np.full(entry.shape, np.nan)
    done = np.zeros(entry.shape, dtype=bool)
    known = np.isfinite(entry)
    with np.errstate(invalid="ignore"):
        for d in range(2, horizon + 1):
            day_open, day_low, day_high = at(o, d), at(lo, d), at(h, d)
            reach = np.where(long_, day_low <= stop, day_high >= stop)
            gap = np.where(long_, day_open <= stop, day_open >= stop)
            known &= np.isfinite(day_open) & np.isfinite(np.where(long_, day_low, day_high))
            exit_ = np.where(~done & gap, day_open, np.where(~done & reach, stop, exit_))
            done |= gap | reach
        exit_ = np.where(done, exit_, at(o, horizon + 1))
        known &= np.isfinite(exit_)
        ratio = exit_ / entry
    return np.where(known, np.where(long_, ratio - 1.0, 1.0 - ratio), np.nan)
