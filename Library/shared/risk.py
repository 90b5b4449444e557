"""Risk rules of the equity strategies: stops, time stop, entry selection, book sizing, liquidity.

Pure, vectorized functions over 1-D arrays (one value per position or candidate). Money in dollars,
weights as fractions of portfolio value. A NaN input never passes a permissive test: a NaN price does
not trigger a stop and does not pass the minimum price, a NaN score is never selected, a NaN average
dollar volume allows no position.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np

STOP_PCT = 0.05
MAX_BARS = 6
MAX_POSITIONS = 20
MIN_PRICE = 1.0
LIQUIDITY_CAP = 0.05


def stop_hit(entry_price: Any, price: Any, direction: Any, stop_pct: float = STOP_PCT) -> np.ndarray:
    """Whether the stop loss is hit.

    Parameters
    ----------
    entry_price, price : array-like of float
        Entry and current prices (dollars).
    direction : array-like of int
        +1 for a long position, -1 for a short one.
    stop_pct : float
        Adverse move that stops the position out, a fraction (0.05 = 5%).

    Returns
    -------
    np.ndarray of bool
        Long: ``price <= entry * (1 - stop_pct)``; short: ``price >= entry * (1 + stop_pct)``. False
        where a price is NaN or the direction is neither +1 nor -1.
    """
    entry = np.asarray(entry_price, dtype=np.float64)
    px = np.asarray(price, dtype=np.float64)
    d = np.asarray(direction)
    with np.errstate(invalid="ignore"):
        long_hit = (d == 1) & (px <= entry * (1.0 - stop_pct))
        short_hit = (d == -1) & (px >= entry * (1.0 + stop_pct))
    return np.asarray(long_hit | short_hit)


def stop_price_on_tick(fill_price: float, direction: int, stop_pct: float = STOP_PCT, tick: float = 0.01) -> float:
    """The stop price ``stop_pct`` away from ``fill_price``, on the exchange's price grid.

    Parameters
    ----------
    fill_price : float
        Entry fill price (dollars).
    direction : int
        +1 long (stop below), -1 short (stop above).
    stop_pct : float
        Distance as a fraction of the fill price.
    tick : float
        The security's minimum price variation (US equities $0.01); below $1 the SEC's $0.0001 applies,
        as LEAN's ``EquityPriceVariationModel``.

    Returns
    -------
    float
        ``fill_price * (1 - direction * stop_pct)`` rounded to the nearest tick, half to even (LEAN's
        ``Math.Round``). LEAN rounds stop prices at submission the same way where the price grid
        applies (raw prices, live trading), so the stop is the same in the backtest and live. NaN stays
        NaN.
    """
    raw = fill_price * (1.0 - direction * stop_pct)
    if not np.isfinite(raw):
        return raw
    step = Decimal("0.0001") if raw < 1.0 else Decimal(f"{tick:.15g}")
    # in decimal, as LEAN sees a Python float (15 significant digits): 0.73815 is a midpoint there
    ticks = (Decimal(f"{raw:.15g}") / step).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return float(ticks * step)


def time_stop_hit(bars_held: Any, max_bars: int = MAX_BARS) -> np.ndarray:
    """Whether a position has been held ``max_bars`` daily bars or more (bars counted after the fill)."""
    return np.asarray(np.asarray(bars_held) >= max_bars)


def min_price_ok(price: Any, min_price: float = MIN_PRICE) -> np.ndarray:
    """Whether ``price >= min_price`` (dollars); False for NaN."""
    px = np.asarray(price, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(px >= min_price)


def select_entries(
    scores: Any, eligible: Any = None, max_positions: int = MAX_POSITIONS, min_score: float | None = None
) -> np.ndarray:
    """Indices of the best candidates, best first.

    Parameters
    ----------
    scores : array-like of float
        Higher is better (e.g. the model's probability).
    eligible : array-like of bool, optional
        Candidates allowed at all (all when omitted).
    max_positions : int
        At most this many indices (open slots in the book).
    min_score : float, optional
        Only scores strictly above it (e.g. 0.60).

    Returns
    -------
    np.ndarray of int
        Positions in ``scores``, by descending score; ties go to the lower index. NaN scores are skipped.
    """
    s = np.asarray(scores, dtype=np.float64)
    ok = ~np.isnan(s)
    if eligible is not None:
        ok &= np.asarray(eligible, dtype=bool)
    if min_score is not None:
        with np.errstate(invalid="ignore"):
            ok &= s > min_score
    candidates = np.flatnonzero(ok)
    order = np.argsort(-s[candidates], kind="stable")
    return candidates[order][: max(int(max_positions), 0)]


def liquidity_cap(target_value: Any, avg_dollar_volume_20: Any, cap: float = LIQUIDITY_CAP) -> np.ndarray:
    """Clip target position values to a fraction of the 20-day average dollar volume.

    Parameters
    ----------
    target_value : array-like of float
        Signed target position values (dollars; negative = short).
    avg_dollar_volume_20 : array-like of float
        20-day average of close x volume (dollars).
    cap : float
        Largest position as a fraction of the average dollar volume (0.05).

    Returns
    -------
    np.ndarray
        ``sign(target) * min(|target|, cap * adv)``; 0 where the average dollar volume is NaN or <= 0.
    """
    target = np.asarray(target_value, dtype=np.float64)
    adv = np.asarray(avg_dollar_volume_20, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        limit = np.where(np.isfinite(adv) & (adv > 0), cap * adv, 0.0)
    return np.sign(target) * np.minimum(np.abs(target), limit)


def position_targets(
    gross: float,
    portfolio_value: float,
    avg_dollar_volume_20: Any,
    direction: int,
    slots: int | None = None,
    cap: float = LIQUIDITY_CAP,
) -> np.ndarray:
    """Portfolio weights for one book: its gross split equally over its positions, liquidity-capped.

    Parameters
    ----------
    gross : float
        The book's gross exposure, a fraction of portfolio value (e.g. 1.1 long, 0.2 short), >= 0.
    portfolio_value : float
        Total portfolio value (dollars), > 0.
    avg_dollar_volume_20 : array-like of float
        One value per position in the book (dollars).
    direction : int
        +1 for the long book, -1 for the short book.
    slots : int, optional
        Split the gross over this many slots instead of the number of positions (so a book with few
        signals is not concentrated); at least the number of positions.
    cap : float
        Liquidity cap, as in :func:`liquidity_cap`.

    Returns
    -------
    np.ndarray
        Signed weights (fractions of portfolio value), for ``set_holdings``.
    """
    adv = np.asarray(avg_dollar_volume_20, dtype=np.float64).reshape(-1)
    n = adv.shape[0]
    if n == 0:
        return np.zeros(0)
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")
    if portfolio_value <= 0:
        raise ValueError(f"portfolio_value must be > 0, got {portfolio_value}")
    divisor = n if slots is None else max(slots, n)
    value = np.full(n, direction * gross * portfolio_value / divisor)
    return liquidity_cap(value, adv, cap) / portfolio_value
