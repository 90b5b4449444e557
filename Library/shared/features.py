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
    rolling,
    safe_ratio,
    simple_return,
    window_mean,
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


# ---------------------------------------------------------------------------------------------------
# RSI: Wilder's recursion, one step for all symbols. Both forms run this same step bar by bar.
# ---------------------------------------------------------------------------------------------------


def _rsi_new(n: int) -> dict[str, np.ndarray]:
    return {
        "prev": np.full(n, np.nan),  # last close of the current run
        "count": np.zeros(n, dtype=np.int64),  # changes seen in the current run, capped at the period
        "gain": np.zeros(n),  # sum while seeding, Wilder average once count == period
        "loss": np.zeros(n),
    }


def _rsi_advance(s: dict[str, np.ndarray], close: np.ndarray, period: int = RSI_PERIOD) -> np.ndarray:
    """Advance Wilder's state by one close; returns where the RSI is defined (a full period seen).

    Values where a close is missing do not matter (the run resets there), so each array is computed
    once and the resets written over it: a warm-up runs this step dozens of times on small arrays.
    """
    change = close - s["prev"]
    missing = ~np.isfinite(change)
    count = np.minimum(s["count"] + 1, period + 1)
    count[missing] = 0
    smoothing = count > period
    seeded_now = count == period
    for key, x in (("gain", np.maximum(change, 0.0)), ("loss", np.maximum(-change, 0.0))):
        acc = s[key]
        # seeding: the sum; seeded now: the sum's mean; then Wilder's average; 0 where the run breaks
        updated = np.where(smoothing, (acc * (period - 1) + x) / period, acc + x)
        updated[seeded_now] /= period
        updated[missing] = 0.0
        acc[:] = updated
    # A missing close ends the run: the recursion restarts from the next valid close.
    s["count"][:] = np.minimum(count, period)
    s["prev"][:] = close
    return count >= period


def _rsi_advance_rows(s: dict[str, np.ndarray], closes: np.ndarray, period: int = RSI_PERIOD) -> None:
    """:func:`_rsi_advance` of each row of ``closes`` (dates x symbols), oldest first: the same state, bit
    for bit.

    The changes, the runs' resets and the counts do not depend on the averages: they are computed for
    every row at once, and only Wilder's recursion steps row by row, gain and loss in one array (a
    warm-up of 80 rows ran the whole step 80 times).
    """
    if not closes.size:
        return
    change = closes - np.vstack([s["prev"][None, :], closes[:-1]])
    missing = ~np.isfinite(change)
    steps = np.arange(1, len(closes) + 1)[:, None]
    # the changes of the current run at each row: those since the last missing one, the state's count
    # standing for a missing one that many rows before the first (each step adds one, capped at
    # period + 1 as the step caps it)
    count = np.minimum(steps - np.maximum.accumulate(np.where(missing, steps, -s["count"]), axis=0), period + 1)
    # seeding: the sum; seeded now: the sum's mean; then Wilder's average; 0 where the run breaks. As
    # (acc * keep + move) / divisor, keep period - 1 once smoothing and the divisor period from the
    # seeding's last change: a factor or divisor of 1 is exact, so a row whose runs all have one is
    # not asked to multiply (divide), and a row whose runs all share one takes a full array (numpy's
    # cheapest operand)
    lows, highs = count.min(axis=1).tolist(), count.max(axis=1).tolist()
    breaks = missing.any(axis=1).tolist()
    moves = np.maximum(change[:, None, :] * _GAIN_LOSS, 0.0)  # (dates, gain|loss, symbols)
    acc = np.stack([s["gain"], s["loss"]])
    keep_all, divide_all = np.full_like(acc, period - 1.0), np.full_like(acc, float(period))
    for t, (low, high, move) in enumerate(zip(lows, highs, moves, strict=True)):
        if high > period:
            np.multiply(acc, keep_all if low > period else np.where(count[t] > period, period - 1.0, 1.0), out=acc)
        np.add(acc, move, out=acc)
        if high >= period:
            np.divide(acc, divide_all if low >= period else np.where(count[t] >= period, float(period), 1.0),
                      out=acc)
        if breaks[t]:
            acc[:, missing[t]] = 0.0
    s["gain"][:], s["loss"][:] = acc
    s["count"][:] = np.minimum(count[-1], period)
    s["prev"][:] = closes[-1]


def _rsi_step(s: dict[str, np.ndarray], close: np.ndarray, period: int = RSI_PERIOD) -> np.ndarray:
    ready = _rsi_advance(s, close, period)
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = np.where(s["loss"] == 0.0, 100.0, 100.0 - 100.0 / (1.0 + s["gain"] / s["loss"]))
    return np.where(ready, rsi, np.nan)


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
    for t in range(c.shape[0]):
        out[t] = _rsi_step(state, c[t], period)
    return wrap(out)


# ---------------------------------------------------------------------------------------------------
# Batch form
# ---------------------------------------------------------------------------------------------------


def _bb_position(close: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return safe_ratio(close - mean, BB_WIDTH * std)


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
    vol_ratio = safe_ratio(v, rolling(v, VOLUME_WINDOW, window_mean))
    volatility = rolling(daily_returns(c), VOLATILITY_WINDOW, lambda w: window_std(w, 1))
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

    def avg_dollar_volume(self) -> np.ndarray:
        """Today's :func:`avg_dollar_volume` (20 days) for every symbol, in ``symbols`` order."""
        a = self._arrays
        return window_mean(a["close"][:, -VOLUME_WINDOW:] * a["volume"])

    def _new_arrays(self, n: int) -> dict[str, np.ndarray]:
        arrays = {
            "close": np.full((n, _CLOSE_MEMORY), np.nan),
            "ret": np.full((n, VOLATILITY_WINDOW), np.nan),
            "volume": np.full((n, VOLUME_WINDOW), np.nan),
        }
        arrays.update({f"rsi_{k}": a for k, a in _rsi_new(n).items()})
        return arrays

    def _warm(self, arrays: dict[str, np.ndarray], close: np.ndarray, volume: np.ndarray) -> np.ndarray:
        # The windows are the history's last rows, so only Wilder's recursion needs every bar; the
        # last bar runs the full step for its outputs. Same state, bit for bit, as stepping each bar
        # (tests), at a fraction of the cost: warming the symbols that join the universe was most of
        # the feature time of the ML backtest.
        before_c, before_v = close[:-1], volume[:-1]
        rsi_state = {k: arrays[f"rsi_{k}"] for k in ("prev", "count", "gain", "loss")}
        _rsi_advance_rows(rsi_state, before_c)
        returns = np.full_like(before_c, np.nan)
        returns[1:] = simple_return(before_c[1:], before_c[:-1])
        for key, history in (("close", before_c), ("ret", returns), ("volume", before_v)):
            ring = arrays[key]
            kept = min(ring.shape[1], history.shape[0])
            if kept:
                ring[:, -kept:] = history[-kept:].T
        return self._step(arrays, close[-1], volume[-1])

    def _step(self, arrays: dict[str, np.ndarray], close: np.ndarray, volume: np.ndarray) -> np.ndarray:
        closes = arrays["close"]
        push(closes, close)
        push(arrays["ret"], simple_return(close, closes[:, -2]))
        push(arrays["volume"], volume)
        vol_ratio = safe_ratio(volume, window_mean(arrays["volume"]))
        volatility = window_std(arrays["ret"], 1)
        last_bb = closes[:, -BB_WINDOW:]
        rsi_state = {k: arrays[f"rsi_{k}"] for k in ("prev", "count", "gain", "loss")}
        columns = {
            "qpi": qpi_from_components(simple_return(close, closes[:, -1 - RET_WINDOW]), vol_ratio, volatility),
            "rsi_14": _rsi_step(rsi_state, close),
            "bb_position_20": _bb_position(close, window_mean(last_bb), window_std(last_bb, 0)),
            "ret_5d": simple_return(close, closes[:, -1 - SHORT_MOMENTUM]),
            "ret_20d": simple_return(close, closes[:, -1 - MEDIUM_MOMENTUM]),
            "vol_ratio_20": vol_ratio,
            "volatility_20": volatility,
            "dist_sma_50": simple_return(close, window_mean(closes[:, -SMA_TREND:])),
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
