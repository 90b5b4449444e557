"""Building blocks of the synthetic market: calendar, Student-t shocks, GARCH, AR(1) regimes, tickers, OHLC."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from lean_local.data.synthetic.config import RESERVED_TICKERS, SyntheticMarketConfig


def trading_days(config: SyntheticMarketConfig) -> pd.DatetimeIndex:
    """US equity trading days from ``config.start`` for ``config.years`` calendar years.

    Uses the rule-based NYSE calendar of :mod:`lean_local.data.market_hours`.
    """
    from lean_local.data import market_hours

    start = pd.Timestamp(config.start)
    end = start + pd.DateOffset(days=round(config.years * 365.25)) - pd.Timedelta(days=1)
    days = market_hours.us_equity_entry(start.year, end.year).trading_days(start, end)
    if len(days) < 2:
        raise ValueError(f"{config.start} + {config.years} years holds fewer than 2 trading days")
    return days


def student_t(rng: np.random.Generator, df: float, size: tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (so GARCH variances keep their meaning)."""
    return rng.standard_t(df, size=size) * np.sqrt((df - 2.0) / df)


def mean_abs_student_t(df: float) -> float:
    """E|z| for a unit-variance Student-t with ``df`` degrees of freedom (centres volume on |z|)."""
    from scipy.special import gammaln

    log_e = 0.5 * np.log(df) + gammaln((df + 1) / 2) - 0.5 * np.log(np.pi) - gammaln(df / 2)
    return float(2.0 * np.exp(log_e) / (df - 1.0) * np.sqrt((df - 2.0) / df))


def volume_shock(z: np.ndarray, cap: float, mean_abs: float) -> np.ndarray:
    """The part of a day's log volume driven by its shocks: ``min(|z|, cap) - mean_abs``.

    The cap bounds the process: a Student-t shock has no exponential moment, so ``exp(a |z|)`` has an
    infinite mean, and over millions of stock-days one draw of |z| near 80 made a volume of 1e18 shares.
    """
    shock = np.abs(z)
    np.minimum(shock, cap, out=shock)
    shock -= mean_abs
    return shock


def garch_variance(z: np.ndarray, long_run: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Conditional variances of GARCH(1, 1) processes driven by unit-variance shocks ``z``.

    ``var[t] = omega + alpha * eps[t-1]**2 + beta * var[t-1]`` with ``eps = sqrt(var) * z``, i.e.
    ``var[t] = omega + (alpha * z[t-1]**2 + beta) * var[t-1]``, started at the long-run level
    ``omega / (1 - alpha - beta)``.

    Parameters
    ----------
    z : np.ndarray
        Shocks, shape (T, P), unit variance.
    long_run, alpha, beta : np.ndarray
        Per-process parameters, shape (P,); ``long_run`` is the unconditional daily variance.

    Returns
    -------
    np.ndarray
        Shape (T, P): ``var[t]`` is known at the close of ``t - 1`` (no look-ahead).
    """
    coef = np.square(z)
    coef *= alpha
    coef += beta
    omega = long_run * (1.0 - alpha - beta)
    var = np.empty_like(z)
    var[0] = long_run
    # The recursion is sequential in time; each step is one vector operation over all processes.
    for t in range(1, z.shape[0]):
        np.multiply(var[t - 1], coef[t - 1], out=var[t])
        var[t] += omega
    return var


def stationary_ar1(rng: np.random.Generator, shape: tuple[int, ...], persistence: float, std: float) -> np.ndarray:
    """AR(1) paths ``h[t] = persistence * h[t-1] + e[t]`` along axis 0, started in their stationary law.

    The innovations are normal with variance ``std**2 * (1 - persistence**2)``, so every ``h[t]`` is
    ``N(0, std**2)``; ``h[0]`` is drawn from that law (no burn-in from 0).
    """
    e = rng.standard_normal(shape)
    e *= std * np.sqrt(1.0 - persistence**2)
    e[0] = std * rng.standard_normal(shape[1:])
    return lfilter([1.0], [1.0, -persistence], e, axis=0)


def reversal_kernel(lookback: int, horizon: int) -> np.ndarray:
    """FIR weights of the planted reversal; index = lag in days (weight 0 at lag 0).

    Every day ``s`` the idiosyncratic return of the last ``lookback`` days (``s-lookback+1..s``)
    is reversed evenly over days ``s+1..s+horizon``. Dividing by ``lookback`` (each shock sits in
    ``lookback`` overlapping windows) makes the weights sum to 1, so a reversal strength ``k``
    takes back exactly the fraction ``k`` of every shock in the long run.
    """
    weights = np.zeros(lookback + horizon)
    for m in range(lookback):
        weights[1 + m : 1 + m + horizon] += 1.0
    return weights / (lookback * horizon)


def make_tickers(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct upper-case tickers of 3 or 4 letters, none in ``RESERVED_TICKERS``.

    Three in ten have 3 letters. Each length is drawn once (plus two spare 3-letter codes); only when
    reserved names leave too few is a second draw made, so the random stream does not depend on the
    reserved set unless a reserved name was drawn.
    """
    letters = np.array(list(string.ascii_uppercase))
    n3 = min(count * 3 // 10, 26**3 - len(RESERVED_TICKERS))
    n4 = count - n3

    def spell(codes: np.ndarray, width: int) -> list[str]:
        digits = (codes[:, None] // 26 ** np.arange(width - 1, -1, -1)) % 26
        return ["".join(row) for row in letters[digits]]

    def draw(width: int, size: int, spare: int) -> list[str]:
        codes = rng.choice(26**width, size=size + spare, replace=False)
        names = [t for t in spell(codes, width) if t not in RESERVED_TICKERS]
        while len(names) < size:
            taken = set(names)
            more = spell(rng.choice(26**width, size=size - len(names) + len(RESERVED_TICKERS), replace=False), width)
            names += [t for t in dict.fromkeys(more) if t not in RESERVED_TICKERS and t not in taken]
        return names[:size]

    three = draw(3, n3, 2)
    tickers = np.array(three + draw(4, n4, 0), dtype=object)
    return tickers[rng.permutation(count)]


def ohlc_from_close(
    rng: np.random.Generator, close: np.ndarray, log_return: np.ndarray, sigma: np.ndarray,
    close_noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open, high and low consistent with the closes and the day's return.

    The previous close carried through the day's dividend and split is ``close * exp(-x)``; the
    open gaps from it by 30% of the day's return plus noise, and the range extends beyond the
    open/close by half-normal amounts scaled with the day's volatility ``sigma`` (so
    ``low <= min(open, close) <= max(open, close) <= high`` always). A NaN return (listing day)
    counts as 0. ``sigma`` is consumed (overwritten).

    With ``close_noise`` ``e`` (each close is the efficient price times ``exp(e)``, so
    ``x[t] = dp[t] + e[t] - e[t-1]``), the open gaps by 30% of the efficient move ``dp`` from the previous
    efficient price: ``log open = log close - 0.7 x - 0.3 e[t] - 0.7 e[t-1] + noise``, so no part of a
    close's transient noise is left in the next open.
    """
    shape = close.shape
    x = np.nan_to_num(log_return)
    open_ = rng.standard_normal(shape)
    open_ *= sigma
    open_ *= 0.25
    open_ -= 0.7 * x
    del x
    if close_noise is not None:
        open_ -= 0.3 * close_noise
        open_[1:] -= 0.7 * close_noise[:-1]
    np.exp(open_, out=open_)
    open_ *= close
    sigma *= 0.4
    high = np.abs(rng.standard_normal(shape))
    high *= sigma
    np.exp(high, out=high)
    high *= np.fmax(open_, close)
    low = np.abs(rng.standard_normal(shape))
    low *= sigma
    np.negative(low, out=low)
    np.exp(low, out=low)
    low *= np.fmin(open_, close)
    return open_, high, low


def round_price(x: np.ndarray) -> np.ndarray:
    """Round (in place) to LEAN's equity price unit, 1/10,000 dollar, so arrays equal what the zips hold."""
    return np.round(x, 4, out=x)

