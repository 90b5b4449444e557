"""A synthetic US market, written as a self-contained LEAN data folder.

The generator builds, from one seed, a panel of stocks (dates x stocks) with a market factor, sector
factors, GARCH volatility clustering, Student-t tails, listings, delistings, renames, splits and
dividends, a planted short-horizon reversal of configurable strength, a cap-weighted ``SPY``, a VIX
consistent with the market's conditional volatility, four FX pairs with a monthly momentum /
mean-reversion structure, and the auxiliary files LEAN needs (factor, map and coarse files, the
interest rate, market hours and symbol properties). Everything is vectorized over the whole panel;
the only Python loops run over time steps (the GARCH and price recursions are sequential by nature)
or over output files.

Two entry points:

* :func:`generate_market` returns the model as arrays (:class:`SyntheticMarket`), nothing written.
* :func:`write_market` writes it into a LEAN data folder through :mod:`lean_local.data.formats`.

Determinism: the same :class:`SyntheticMarketConfig` (seed included) gives the same arrays and the
same bytes in every file. Each model component draws from its own child of the seed's
``SeedSequence``, so switching one knob does not reshuffle the random numbers of the others.

See ``docs/synthetic.md`` for the model equations and what the defaults imply.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

TRADING_DAYS_PER_YEAR = 252
# Tickers the generator never hands to a synthetic stock (they name the market ETF and the index).
RESERVED_TICKERS = frozenset({"SPY", "VIX"})
FX_PAIRS = ("EURUSD", "GBPUSD", "USDCAD", "USDJPY")
MARKER_FILE = "synthetic.json"
MARKER_VERSION = 1
# LEAN's far-future date that ends the map file of a security still listed, and the factor file.
NEVER = pd.Timestamp("2050-12-31")


@dataclass(frozen=True)
class SyntheticMarketConfig:
    """Every knob of the synthetic market. Rates and volatilities are annual unless said otherwise.

    Attributes
    ----------
    n_stocks : int
        Number of distinct stocks over the whole period (listed at the start or listing later;
        some delist). Not counting ``SPY``.
    years : float
        Length of the period in calendar years from ``start``.
    start : str
        First calendar date (``YYYY-MM-DD``); the panel starts on the first US trading day on or
        after it.
    seed : int
        Root seed. Same config and seed: same bytes.
    n_sectors : int
        Number of sector factors; each stock loads on one.
    market_drift : float
        Annual log drift of the market factor.
    market_vol : float
        Long-run annual volatility of the market factor (its GARCH unconditional level).
    market_garch : tuple of float
        GARCH(1, 1) ``(alpha, beta)`` of the market factor; ``alpha + beta < 1`` is the persistence.
    sector_vol : float
        Long-run annual volatility of each sector factor.
    sector_garch : tuple of float
        GARCH(1, 1) ``(alpha, beta)`` of the sector factors.
    idio_vol_median : float
        Median across stocks of the long-run annual idiosyncratic volatility.
    idio_vol_dispersion : float
        Log-normal sigma of the idiosyncratic volatility across stocks.
    idio_garch : tuple of float
        GARCH(1, 1) ``(alpha, beta)`` of the idiosyncratic volatility.
    student_t_df : float
        Degrees of freedom of the Student-t innovations (scaled to unit variance; > 2).
    regime_persistence : float
        Daily AR(1) coefficient of the slow log-volatility regimes (0.99: a half-life of ~70 days).
    market_regime_std : float
        Stationary standard deviation of the market-wide log-volatility regime, which scales every
        component (market, sectors, stocks) as volatility rises and falls together across a market.
    idio_regime_std : float
        Stationary standard deviation of each stock's own log-volatility regime (its idiosyncratic part).
    max_vol_multiple : float
        Ceiling of every process's conditional volatility (GARCH times regime) as a multiple of its long-run
        level: without it, a run of large Student-t shocks in a high regime compounds into daily moves of
        100% and one stock's market capitalisation comes to dominate the index.
    close_noise : float
        Standard deviation of the transient noise in each close (bid/ask bounce, closing-auction
        imbalance) as a fraction of the day's return volatility. It reverses the next day, so close-to-close
        returns have a slightly negative lag-1 autocorrelation; opens are set from the efficient price, so
        a trade from one open to another does not see it.
    beta_mean, beta_std : float
        Cross-sectional mean and standard deviation of market betas (clipped to [0.2, 2.5]).
    alpha_std : float
        Cross-sectional standard deviation of the stocks' annual log drift around the market's.
    reversal_strength : float
        Fraction in [0, 1) of the volume-weighted idiosyncratic return of the last
        ``reversal_lookback`` days that reverses over the following ``reversal_horizon`` days.
        0 gives returns with no short-horizon predictability.
    reversal_lookback : int
        Days of idiosyncratic return whose reversal is planted (3: the pressure index's horizon).
    reversal_horizon : int
        Days over which the reversal is spread evenly (6: the ML label's horizon).
    reversal_volume_sensitivity : float
        How much a day's abnormal volume scales the reversal of that day's shock: the weight is
        ``exp(k * nu - k**2 / 2)`` (mean 1) with ``nu`` the standard-normal volume shock; 0 makes
        every shock reverse by the same fraction.
    volume_return_sensitivity : float
        Log-volume added per unit of absolute standardized return (volume rises with |return|).
    volume_noise : float
        Standard deviation of the daily log-volume shock ``nu`` (before its AR(1) persistence).
    volume_persistence : float
        AR(1) coefficient of log-volume shocks.
    volume_slow_std : float
        Stationary standard deviation of a slow stock-specific log-volume level (interest in a stock waxes
        and wanes over months).
    volume_slow_persistence : float
        Daily AR(1) coefficient of that slow level.
    market_cap_median : float
        Median market capitalisation at listing, dollars.
    market_cap_dispersion : float
        Log-normal sigma of market capitalisation across stocks.
    turnover_median : float
        Median daily turnover (shares traded / shares outstanding).
    price_median : float
        Median share price at listing, dollars.
    price_dispersion : float
        Log-normal sigma of the listing price.
    penny_fraction : float
        Fraction of stocks listing below $1 (uniform in [0.2, 1)); they have 1.5x the volatility
        and a tenth of the market capitalisation.
    listed_at_start_fraction : float
        Fraction of stocks listed on the first day; the rest list uniformly over the period.
    merger_rate : float
        Annual hazard of a stock being delisted for a reason unrelated to its price (acquisition).
    bankruptcy_drawdown : float
        A stock delists the day its total-return drawdown from its peak exceeds this fraction.
    delist_price : float
        A stock delists the day its raw close falls below this price, dollars.
    rename_fraction : float
        Fraction of stocks that change ticker once (map-file history).
    split_price : float
        Raw close above which a stock may split (forward split).
    split_daily_probability : float
        Daily probability of a split while the raw close is above ``split_price``.
    split_ratios : tuple of int
        Forward split ratios, drawn uniformly (2 means 2-for-1).
    reverse_split_price : float
        Raw close below which a stock may do a 1-for-``reverse_split_ratio`` reverse split.
    reverse_split_daily_probability : float
        Daily probability of a reverse split while the raw close is below ``reverse_split_price``.
    reverse_split_ratio : int
        Shares merged into one by a reverse split.
    dividend_payer_fraction : float
        Fraction of (non-penny) stocks that pay quarterly dividends.
    dividend_yield_range : tuple of float
        Annual dividend yield of a payer, uniform in this range; paid quarterly as a fraction of
        the previous raw close.
    spy_price : float
        ``SPY``'s first close, dollars.
    spy_dividend_yield : float
        ``SPY``'s annual dividend yield, paid quarterly.
    vix_premium : float
        Variance risk premium: VIX = 100 x (forecast annualized market volatility) x (1 + premium).
    vix_noise : float
        Log-normal sigma of the VIX's AR(1) noise around that level.
    fx_momentum : float
        Monthly FX momentum: coefficient of the last 3 months' log return in next month's expected
        log return. 0 = none.
    fx_reversion : float
        Monthly FX mean reversion: fraction of the log deviation from the pair's fair value closed
        each month. 0 = none.
    fx_daily_vol : float
        Daily volatility of each pair's idiosyncratic log return (a common USD factor adds to it).
    fx_usd_vol : float
        Daily volatility of the common USD factor.
    fx_spread_pips : tuple of float
        Bid/ask spread per pair in pips, in ``FX_PAIRS`` order (a pip is 0.01 for JPY quotes,
        0.0001 otherwise).
    interest_rate : float
        The risk-free rate written to the interest-rate file, percent (constant).
    jobs : int
        Worker processes used to write files (the model itself runs in one process).
    """

    n_stocks: int = 4200
    years: float = 12.0
    start: str = "2010-01-04"
    seed: int = 7
    n_sectors: int = 11
    market_drift: float = 0.06
    market_vol: float = 0.18
    market_garch: tuple[float, float] = (0.09, 0.89)
    sector_vol: float = 0.08
    sector_garch: tuple[float, float] = (0.05, 0.93)
    idio_vol_median: float = 0.22
    idio_vol_dispersion: float = 0.35
    idio_garch: tuple[float, float] = (0.12, 0.86)
    student_t_df: float = 4.0
    regime_persistence: float = 0.99
    market_regime_std: float = 0.3
    idio_regime_std: float = 0.5
    max_vol_multiple: float = 4.0
    close_noise: float = 0.15
    beta_mean: float = 1.0
    beta_std: float = 0.3
    alpha_std: float = 0.02
    reversal_strength: float = 0.035
    reversal_lookback: int = 3
    reversal_horizon: int = 6
    reversal_volume_sensitivity: float = 1.0
    volume_return_sensitivity: float = 0.35
    volume_noise: float = 0.3
    volume_persistence: float = 0.5
    volume_slow_std: float = 0.55
    volume_slow_persistence: float = 0.997
    market_cap_median: float = 2.2e9
    market_cap_dispersion: float = 1.4
    turnover_median: float = 0.006
    price_median: float = 30.0
    price_dispersion: float = 0.8
    penny_fraction: float = 0.04
    listed_at_start_fraction: float = 0.78
    merger_rate: float = 0.015
    bankruptcy_drawdown: float = 0.85
    delist_price: float = 0.1
    rename_fraction: float = 0.03
    split_price: float = 150.0
    split_daily_probability: float = 0.01
    split_ratios: tuple[int, ...] = (2, 3, 4)
    reverse_split_price: float = 0.5
    reverse_split_daily_probability: float = 0.004
    reverse_split_ratio: int = 10
    dividend_payer_fraction: float = 0.45
    dividend_yield_range: tuple[float, float] = (0.01, 0.04)
    spy_price: float = 110.0
    spy_dividend_yield: float = 0.018
    vix_premium: float = 0.15
    vix_noise: float = 0.06
    fx_momentum: float = 0.15
    fx_reversion: float = 0.05
    fx_daily_vol: float = 0.0045
    fx_usd_vol: float = 0.004
    fx_spread_pips: tuple[float, ...] = (1.0, 1.5, 2.0, 1.0)
    interest_rate: float = 2.0
    jobs: int = 2

    def __post_init__(self) -> None:
        if self.n_stocks < 1:
            raise ValueError("n_stocks must be at least 1")
        if self.years <= 0:
            raise ValueError("years must be positive")
        if not 0.0 <= self.reversal_strength < 1.0:
            raise ValueError("reversal_strength must be in [0, 1)")
        if self.reversal_lookback < 1 or self.reversal_horizon < 1:
            raise ValueError("reversal_lookback and reversal_horizon must be at least 1")
        if self.student_t_df <= 2:
            raise ValueError("student_t_df must be > 2 (finite variance)")
        for name in ("regime_persistence", "volume_slow_persistence", "volume_persistence"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1)")
        for name in ("market_garch", "sector_garch", "idio_garch"):
            a, b = getattr(self, name)
            if a < 0 or b < 0 or a + b >= 1:
                raise ValueError(f"{name}: need alpha, beta >= 0 and alpha + beta < 1")
        if len(self.fx_spread_pips) != len(FX_PAIRS):
            raise ValueError(f"fx_spread_pips needs one value per pair {FX_PAIRS}")

    @classmethod
    def null_market(cls, **changes: Any) -> SyntheticMarketConfig:
        """The calibrated market without the planted reversal (``reversal_strength = 0``): prices keep
        their tails, volatility clustering, market factor and volume, but nothing predicts the sign of a
        trade from one open to a later one. ``changes`` override other knobs (size, seed, ...)."""
        return cls(**{**changes, "reversal_strength": 0.0})

    def to_json(self) -> dict[str, Any]:
        """The config as a JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)


@dataclass
class SyntheticMarket:
    """The generated market as arrays (nothing written yet).

    Stock panels are ``(dates, stocks)`` float64 arrays, NaN where a stock is not listed. Prices
    are raw (unadjusted) dollars rounded to LEAN's 1/10,000 dollar; ``price_factor`` and
    ``split_factor`` are the factors LEAN applies to each bar (the factor-file row with the
    earliest date on or after the bar), so ``close * price_factor * split_factor`` is the
    dividend- and split-adjusted close.

    Attributes
    ----------
    config : SyntheticMarketConfig
        The knobs that produced this market.
    dates : pd.DatetimeIndex
        US equity trading days.
    tickers : np.ndarray of str
        Current (last) ticker of each stock; files are named by it, as LEAN's.
    first_tickers : np.ndarray of str
        Ticker at listing (differs from ``tickers`` for renamed stocks); the SID is built from it.
    rename_index : np.ndarray of int
        Index of the first trading day under the new ticker; -1 when never renamed.
    exchanges : np.ndarray of str
        Map-file exchange code per stock (``Q`` Nasdaq, ``N`` NYSE).
    sectors : np.ndarray of int
        Sector of each stock, 0 .. n_sectors - 1.
    betas : np.ndarray
        Market beta of each stock.
    list_index, delist_index : np.ndarray of int
        First and last trading-day index with a bar (inclusive).
    delisted : np.ndarray of bool
        True when the stock delists before the last date (its map file ends at its last bar).
    open, high, low, close, volume : np.ndarray
        Raw daily bars; volume in shares.
    log_return : np.ndarray
        Total (dividend-inclusive) log return of each bar, the model's ``x``; NaN on a stock's
        listing day and where unlisted.
    price_factor, split_factor : np.ndarray
        LEAN's per-bar adjustment factors, rounded as the factor files store them.
    split_events : pd.DataFrame
        Columns ``date_index``, ``stock``, ``ratio`` (new shares per old share; 0.1 = 1-for-10).
    dividend_events : pd.DataFrame
        Columns ``date_index``, ``stock``, ``amount`` (dollars per share, on the ex-date).
    spy : pd.DataFrame
        ``SPY`` daily bars (raw), columns open, high, low, close, volume.
    spy_factors : pd.DataFrame
        ``SPY``'s factor file rows.
    vix : pd.DataFrame
        VIX daily bars (open, high, low, close, volume 0).
    market_vol : np.ndarray
        Annualized conditional volatility of the cap-weighted market used for the VIX (fraction).
    fx : dict of str to pd.DataFrame
        Oanda-style daily quote bars per pair (bid_* and ask_* columns; UTC days, no Saturdays).
    interest_rate : pd.Series
        Percent, indexed by the date from which each rate applies.
    """

    config: SyntheticMarketConfig
    dates: pd.DatetimeIndex
    tickers: np.ndarray
    first_tickers: np.ndarray
    rename_index: np.ndarray
    exchanges: np.ndarray
    sectors: np.ndarray
    betas: np.ndarray
    list_index: np.ndarray
    delist_index: np.ndarray
    delisted: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    log_return: np.ndarray
    price_factor: np.ndarray
    split_factor: np.ndarray
    split_events: pd.DataFrame
    dividend_events: pd.DataFrame
    spy: pd.DataFrame
    spy_factors: pd.DataFrame
    vix: pd.DataFrame
    market_vol: np.ndarray
    fx: dict[str, pd.DataFrame] = field(default_factory=dict)
    interest_rate: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.float64))


# ---------------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------------


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
    """``count`` distinct upper-case tickers of 3 or 4 letters, none in ``RESERVED_TICKERS``."""
    letters = np.array(list(string.ascii_uppercase))
    n3 = min(count * 3 // 10, 26**3 - len(RESERVED_TICKERS))
    n4 = count - n3
    codes3 = rng.choice(26**3, size=n3 + len(RESERVED_TICKERS), replace=False)
    codes4 = rng.choice(26**4, size=n4, replace=False)

    def spell(codes: np.ndarray, width: int) -> list[str]:
        digits = (codes[:, None] // 26 ** np.arange(width - 1, -1, -1)) % 26
        return ["".join(row) for row in letters[digits]]

    three = [t for t in spell(codes3, 3) if t not in RESERVED_TICKERS][:n3]
    tickers = np.array(three + spell(codes4, 4), dtype=object)
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


# ---------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per model component (children of the seed's SeedSequence)."""
    # New components go at the end: earlier children (and so their draws) stay the same.
    names = ("static", "shocks", "volume", "events", "ohlc", "spy", "vix", "fx", "regimes", "close_noise")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def _static(rng: np.random.Generator, cfg: SyntheticMarketConfig, n_days: int) -> dict[str, np.ndarray]:
    """Per-stock constants: sector, beta, drift, volatility, size, listing, dividends, names."""
    n = cfg.n_stocks
    penny = rng.random(n) < cfg.penny_fraction
    price0 = cfg.price_median * np.exp(cfg.price_dispersion * rng.standard_normal(n))
    price0 = np.where(penny, rng.uniform(0.2, 1.0, n), np.clip(price0, 1.0, None))
    cap0 = cfg.market_cap_median * np.exp(cfg.market_cap_dispersion * rng.standard_normal(n))
    cap0 = np.where(penny, cap0 / 10.0, cap0)
    idio_vol = cfg.idio_vol_median * np.exp(cfg.idio_vol_dispersion * rng.standard_normal(n))
    idio_vol = np.where(penny, 1.5 * idio_vol, idio_vol)
    listed_at_start = rng.random(n) < cfg.listed_at_start_fraction
    list_index = np.where(listed_at_start, 0, rng.integers(1, max(n_days - 1, 2), n))
    payer = (rng.random(n) < cfg.dividend_payer_fraction) & ~penny
    renamed = rng.random(n) < cfg.rename_fraction
    names = make_tickers(rng, n + int(renamed.sum()))
    return {
        "price0": price0,
        "shares0": cap0 / price0,
        "turnover": cfg.turnover_median * np.exp(0.5 * rng.standard_normal(n)),
        "sector": rng.integers(0, cfg.n_sectors, n),
        "beta": np.clip(cfg.beta_mean + cfg.beta_std * rng.standard_normal(n), 0.2, 2.5),
        "drift": cfg.alpha_std * rng.standard_normal(n),
        "idio_var": idio_vol**2 / TRADING_DAYS_PER_YEAR,
        "list_index": list_index,
        "payer": payer,
        "quarterly_yield": np.where(payer, rng.uniform(*cfg.dividend_yield_range, n) / 4.0, 0.0),
        "dividend_phase": rng.integers(0, 63, n),
        "renamed": renamed,
        "rename_u": rng.random(n),
        "tickers": names[:n],
        "new_tickers": names[n:],
        "exchange": np.where(rng.random(n) < 0.55, "Q", "N"),
    }


def _returns(
    cfg: SyntheticMarketConfig, st: dict[str, np.ndarray], rngs: dict[str, np.random.Generator], n_days: int,
) -> dict[str, np.ndarray]:
    """Log total returns ``x`` (T, N), volatilities, the log volume and the closes' transient noise.

    Large (T, N) intermediates are updated in place: at 3,000 stocks x 20 years each is ~120 MB.
    """
    n, s = cfg.n_stocks, cfg.n_sectors
    # Processes in one GARCH pass: column 0 market, 1..s sectors, then the stocks.
    z = student_t(rngs["shocks"], cfg.student_t_df, (n_days, 1 + s + n))
    long_run = np.concatenate(
        [[cfg.market_vol**2 / TRADING_DAYS_PER_YEAR], np.full(s, cfg.sector_vol**2 / TRADING_DAYS_PER_YEAR),
         st["idio_var"]]
    )
    alpha = np.concatenate([[cfg.market_garch[0]], np.full(s, cfg.sector_garch[0]), np.full(n, cfg.idio_garch[0])])
    beta = np.concatenate([[cfg.market_garch[1]], np.full(s, cfg.sector_garch[1]), np.full(n, cfg.idio_garch[1])])
    var = garch_variance(z, long_run, alpha, beta)
    # Slow volatility regimes multiply the GARCH variances by exp(2 h - 2 std**2) (mean 1): one market-wide
    # regime for every process, plus each stock's own for its idiosyncratic part.
    regimes = stationary_ar1(rngs["regimes"], (n_days, 1 + n), cfg.regime_persistence, 1.0)
    regimes[:, 0] *= cfg.market_regime_std
    regimes[:, 1:] *= cfg.idio_regime_std
    regimes[:, 1:] += regimes[:, :1]
    log_scale = regimes[:, 0] - cfg.market_regime_std**2
    var[:, : 1 + s] *= np.exp(2.0 * log_scale)[:, None]
    regimes[:, 1:] -= cfg.market_regime_std**2 + cfg.idio_regime_std**2
    np.multiply(regimes[:, 1:], 2.0, out=regimes[:, 1:])
    var[:, 1 + s :] *= np.exp(regimes[:, 1:], out=regimes[:, 1:])
    del regimes
    np.minimum(var, long_run * cfg.max_vol_multiple**2, out=var)
    market_z, market_var = z[:, 0].copy(), var[:, 0].copy()

    # Log volume rises with the day's absolute standardized idiosyncratic and market shocks, plus an
    # AR(1) noise driven by nu (nu also sets how much of the day's shock later reverses) and a slow
    # stock-specific level.
    mean_abs = mean_abs_student_t(cfg.student_t_df)
    a = cfg.volume_return_sensitivity
    log_volume = np.abs(z[:, 1 + s :])
    log_volume -= mean_abs
    log_volume += 0.5 * (np.abs(market_z) - mean_abs)[:, None]
    log_volume *= a
    nu = rngs["volume"].standard_normal((n_days, n))
    log_volume += lfilter([cfg.volume_noise], [1.0, -cfg.volume_persistence], nu, axis=0)
    log_volume -= 0.5 * cfg.volume_noise**2 / (1.0 - cfg.volume_persistence**2)
    log_volume += stationary_ar1(rngs["volume"], (n_days, n), cfg.volume_slow_persistence, cfg.volume_slow_std)
    log_volume -= 0.5 * cfg.volume_slow_std**2

    sigma = np.sqrt(var, out=var)
    eps = np.multiply(sigma, z, out=z)
    market = eps[:, 0] + cfg.market_drift / TRADING_DAYS_PER_YEAR
    idio = eps[:, 1 + s :]
    x = st["beta"] * market[:, None]
    x += eps[:, 1 + st["sector"]]
    x += idio
    x += st["drift"] / TRADING_DAYS_PER_YEAR
    if cfg.reversal_strength > 0:
        k = cfg.reversal_volume_sensitivity
        weighted = nu  # reuse: nu is not needed after this
        weighted *= k
        weighted -= 0.5 * k * k
        np.exp(weighted, out=weighted)
        weighted *= idio
        reversal = lfilter(reversal_kernel(cfg.reversal_lookback, cfg.reversal_horizon), [1.0], weighted, axis=0)
        del weighted, nu
        reversal *= cfg.reversal_strength
        x -= reversal
        del reversal
    idio_var = np.square(sigma[:, 1 + s :])
    # The close's transient noise e (a fraction of the day's total volatility) enters the close-to-close
    # return as e[t] - e[t-1].
    total_sigma = np.square(st["beta"]) * np.square(sigma[:, :1])
    total_sigma += np.square(sigma[:, 1 + st["sector"]])
    total_sigma += idio_var
    np.sqrt(total_sigma, out=total_sigma)
    noise = rngs["close_noise"].standard_normal((n_days, n))
    noise *= total_sigma
    noise *= cfg.close_noise
    del total_sigma
    x += noise
    x[1:] -= noise[:-1]
    return {
        "x": x,
        "idio_var": idio_var,
        "log_volume": log_volume,
        "market_z": market_z,
        "market_var": market_var,
        "sector_var": np.square(sigma[:, 1 : 1 + s]),
        "close_noise": noise,
    }


def _prices(
    cfg: SyntheticMarketConfig, st: dict[str, np.ndarray], x: np.ndarray, rng: np.random.Generator
) -> dict[str, Any]:
    """Raw closes with dividends, splits, reverse splits and delistings, one time step at a time.

    A stock's events depend on its own raw price path (splits above ``split_price``, delisting on
    a collapse), so the recursion runs over days with one vector operation over all stocks.
    """
    n_days, n = x.shape
    close = np.full((n_days, n), np.nan)
    raw = np.full(n, np.nan)
    log_total = np.zeros(n)
    peak = np.zeros(n)
    alive = np.zeros(n, dtype=bool)
    delist_index = np.full(n, n_days - 1)
    delisted = np.zeros(n, dtype=bool)
    merger_daily = 1.0 - (1.0 - cfg.merger_rate) ** (1.0 / TRADING_DAYS_PER_YEAR)
    bankrupt_log = np.log(1.0 - cfg.bankruptcy_drawdown)
    split_choices = np.asarray(cfg.split_ratios, dtype=np.float64)
    splits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    dividends: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    list_index, phase = st["list_index"], st["dividend_phase"]
    for t in range(n_days):
        u_split, u_ratio, u_merge = rng.random(n), rng.random(n), rng.random(n)
        live = alive
        on_ex = live & st["payer"] & ((t - list_index) % 63 == phase)
        dividend = np.where(on_ex, st["quarterly_yield"] * raw, 0.0)
        moved = (raw - dividend) * np.exp(x[t])
        split = live & (moved > cfg.split_price) & (u_split < cfg.split_daily_probability)
        reverse = live & (moved < cfg.reverse_split_price) & (u_split < cfg.reverse_split_daily_probability)
        ratio = np.ones(n)
        ratio[split] = split_choices[(u_ratio[split] * len(split_choices)).astype(int)]
        ratio[reverse] = 1.0 / cfg.reverse_split_ratio
        moved /= ratio
        log_total = np.where(live, log_total + x[t], 0.0)
        np.maximum(peak, log_total, out=peak)
        dies = live & (
            (moved < cfg.delist_price) | (log_total - peak < bankrupt_log) | (u_merge < merger_daily)
        )
        new = list_index == t
        raw = np.where(live, moved, raw)
        raw[new] = st["price0"][new]
        close[t, live | new] = raw[live | new]
        delist_index[dies] = t
        delisted |= dies
        alive = (alive | new) & ~dies
        for events, mask, values in ((splits, split | reverse, ratio), (dividends, on_ex, dividend)):
            if mask.any():
                idx = np.flatnonzero(mask)
                events.append((np.full(len(idx), t), idx, values[idx]))

    def table(events: list, value_name: str) -> pd.DataFrame:
        if not events:
            return pd.DataFrame({"date_index": [], "stock": [], value_name: []}).astype(
                {"date_index": np.int64, "stock": np.int64}
            )
        t_idx, s_idx, vals = (np.concatenate(parts) for parts in zip(*events, strict=True))
        return pd.DataFrame({"date_index": t_idx, "stock": s_idx, value_name: vals})

    # A stock's last day ever observed is its delisting day or the panel's end.
    delisted &= delist_index < n_days - 1
    return {
        "close": close,
        "delist_index": delist_index,
        "delisted": delisted,
        "splits": table(splits, "ratio"),
        "dividends": table(dividends, "amount"),
    }


def _factors(
    close: np.ndarray, splits: pd.DataFrame, dividends: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """LEAN's per-bar price and split factors, rounded as factor files store them (7 and 8 decimals).

    ``split_factor[t] = prod(1 / ratio)`` and ``price_factor[t] = prod(1 - dividend / close[ex-1])``
    over the events with an ex-date after ``t``.
    """
    n_days, n = close.shape
    log_split = np.zeros((n_days, n))
    np.add.at(log_split, (splits["date_index"].to_numpy(), splits["stock"].to_numpy()),
              -np.log(splits["ratio"].to_numpy()))
    log_price = np.zeros((n_days, n))
    t_div, s_div = dividends["date_index"].to_numpy(), dividends["stock"].to_numpy()
    np.add.at(log_price, (t_div, s_div), np.log1p(-dividends["amount"].to_numpy() / close[t_div - 1, s_div]))

    def after(log_events: np.ndarray) -> np.ndarray:
        # Sum over events strictly after t: the total minus the running sum up to and including t.
        np.cumsum(log_events, axis=0, out=log_events)
        return np.exp(log_events[-1] - log_events, out=log_events)

    split_factor = np.round(after(log_split), 8)
    price_factor = np.round(after(log_price), 7)
    listed = np.isfinite(close)
    split_factor[~listed] = np.nan
    price_factor[~listed] = np.nan
    return price_factor, split_factor


def _volume(
    cfg: SyntheticMarketConfig, st: dict[str, np.ndarray], log_volume: np.ndarray, split_factor: np.ndarray
) -> np.ndarray:
    """Daily share volume: base turnover x shares outstanding x ``exp(log_volume)``, whole shares.

    Shares outstanding scale with the splits to date (``split_factor`` rises by the ratio at each
    split), so the share volume jumps with a split while the dollar volume does not. ``log_volume``
    is consumed (overwritten).
    """
    first_split = split_factor[st["list_index"], np.arange(cfg.n_stocks)]
    volume = np.exp(log_volume, out=log_volume)
    volume *= st["shares0"] * st["turnover"] / first_split
    volume *= split_factor
    np.rint(volume, out=volume)
    return np.maximum(volume, 1.0, out=volume)


def _spy(
    cfg: SyntheticMarketConfig,
    st: dict[str, np.ndarray],
    ret: dict[str, np.ndarray],
    x: np.ndarray,
    close: np.ndarray,
    split_factor: np.ndarray,
    dates: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The cap-weighted market as an ETF: total return, quarterly dividends, bars and factor rows."""
    first_split = split_factor[st["list_index"], np.arange(cfg.n_stocks)]
    cap = close * (st["shares0"] / first_split)
    cap *= split_factor
    # x is NaN on a listing day and when unlisted, so a finite contribution means held over the day.
    contribution = np.expm1(x[1:])
    contribution *= cap[:-1]
    num = np.nansum(contribution, axis=1)
    den = np.where(np.isfinite(contribution), cap[:-1], 0.0).sum(axis=1)
    del contribution
    spy_return = np.concatenate([[0.0], np.divide(num, den, out=np.zeros_like(num), where=den > 0)])
    spy_x = np.log1p(spy_return)

    n_days = len(dates)
    q = cfg.spy_dividend_yield / 4.0
    ex_day = (np.arange(n_days) % 63 == 40) & (np.arange(n_days) > 0)
    log_close = np.log(cfg.spy_price) + np.cumsum(spy_x + np.where(ex_day, np.log1p(-q), 0.0))
    spy_close = np.exp(log_close)
    sigma = np.sqrt(ret["market_var"])
    o, h, lo = ohlc_from_close(rng, spy_close, spy_x, sigma)
    mean_abs = mean_abs_student_t(cfg.student_t_df)
    volume = 8e7 * np.exp(0.35 * (np.abs(ret["market_z"]) - mean_abs) + 0.3 * rng.standard_normal(n_days))
    bars = pd.DataFrame(
        {"open": round_price(o), "high": round_price(h), "low": round_price(lo), "close": round_price(spy_close),
         "volume": np.rint(volume)},
        index=pd.DatetimeIndex(dates, name="date"),
    )
    # Factor rows sit on the day before each ex-date; the price factor compounds later dividends.
    ex_positions = np.flatnonzero(ex_day)
    row_factors = np.round((1.0 - q) ** (len(ex_positions) - np.arange(len(ex_positions))), 7)
    factors = pd.DataFrame(
        {"price_factor": row_factors, "split_factor": 1.0, "reference_price": bars["close"].to_numpy()[ex_positions - 1]},
        index=dates[ex_positions - 1],
    )
    sector_share = np.zeros((n_days, cfg.n_sectors))
    cap0 = np.nan_to_num(cap, copy=False)
    for k in range(cfg.n_sectors):
        sector_share[:, k] = cap0[:, st["sector"] == k].sum(axis=1)
    total_cap = sector_share.sum(axis=1)
    total_cap[total_cap == 0] = 1.0
    cap_beta = (cap0 * st["beta"]).sum(axis=1) / total_cap
    sector_share /= total_cap[:, None]
    return {
        "bars": bars,
        "factors": _factor_table(factors, dates[0], 1.0),
        "log_return": spy_x,
        "cap_beta": cap_beta,
        "sector_share": sector_share,
    }


def _factor_table(rows: pd.DataFrame, first_date: pd.Timestamp, last_price_factor: float) -> pd.DataFrame:
    """A complete factor file: a first row at the listing (LEAN's reference price 1), the event rows
    after it, and the closing ``2050-12-31,1,1,0`` row."""
    pf, sf, ref = (rows[c].to_numpy(dtype=np.float64) for c in ("price_factor", "split_factor", "reference_price"))
    keep = np.asarray(rows.index > first_date, dtype=bool)
    first = (pf[0], sf[0]) if len(rows) else (last_price_factor, 1.0)
    return pd.DataFrame(
        {
            "price_factor": np.concatenate([[first[0]], pf[keep], [1.0]]),
            "split_factor": np.concatenate([[first[1]], sf[keep], [1.0]]),
            "reference_price": np.concatenate([[1.0], ref[keep], [0.0]]),
        },
        index=pd.DatetimeIndex(np.concatenate([[first_date], rows.index[keep], [NEVER]]), name="date"),
    )


def _vix(
    cfg: SyntheticMarketConfig, ret: dict[str, np.ndarray], spy: dict[str, Any], dates: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """VIX from the GARCH forecast of the cap-weighted market's variance over the next 21 days.

    Uses only information up to each close: tomorrow's market variance follows from today's shock,
    the 21-day average forecast decays towards the long-run level at the persistence rate, and the
    sector part uses today's sector variances and cap shares.
    """
    a, b = cfg.market_garch
    phi = a + b
    long_run = cfg.market_vol**2 / TRADING_DAYS_PER_YEAR
    next_var = long_run * (1 - phi) + (a * ret["market_z"] ** 2 + b) * ret["market_var"]
    horizon = 21
    avg_market = long_run + (next_var - long_run) * (1 - phi**horizon) / (horizon * (1 - phi))
    sector_part = (np.square(spy["sector_share"]) * ret["sector_var"]).sum(axis=1)
    market_vol = np.sqrt(TRADING_DAYS_PER_YEAR * (spy["cap_beta"] ** 2 * avg_market + sector_part))
    n_days = len(dates)
    rho = 0.9
    noise = lfilter([cfg.vix_noise * np.sqrt(1 - rho**2)], [1.0, -rho], rng.standard_normal(n_days))
    close = 100.0 * market_vol * (1.0 + cfg.vix_premium) * np.exp(noise)
    prev = np.concatenate([[close[0]], close[:-1]])
    open_ = prev * np.exp(0.03 * rng.standard_normal(n_days))
    high = np.maximum(open_, close) * np.exp(np.abs(0.03 * rng.standard_normal(n_days)))
    low = np.minimum(open_, close) * np.exp(-np.abs(0.03 * rng.standard_normal(n_days)))
    bars = pd.DataFrame(
        {"open": np.round(open_, 2), "high": np.round(high, 2), "low": np.round(low, 2),
         "close": np.round(close, 2), "volume": 0.0},
        index=pd.DatetimeIndex(dates, name="date"),
    )
    return bars, market_vol


FX_START = {"EURUSD": 1.30, "GBPUSD": 1.55, "USDCAD": 1.05, "USDJPY": 95.0}


def pip_size(pair: str) -> float:
    """Price of one pip: 0.01 for JPY quotes, 0.0001 otherwise."""
    return 0.01 if pair.endswith("JPY") else 0.0001


def _fx(cfg: SyntheticMarketConfig, dates: pd.DatetimeIndex, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Daily FX quote bars with a monthly momentum / mean-reversion drift (Serban 2010's two factors).

    Month-end log price ``p_m`` follows
    ``p_m - p_{m-1} = fx_momentum * (p_{m-1} - p_{m-4}) - fx_reversion * (p_{m-1} - fair) + noise``:
    the drift of month ``m``, known at the end of month ``m-1``, is spread evenly over its bars.
    A common USD factor correlates the pairs (XXXUSD fall when the USD rises, USDXXX rise).
    """
    days = pd.date_range(dates[0], dates[-1], freq="D")
    days = days[days.dayofweek != 5]
    n_days = len(days)
    n_pairs = len(FX_PAIRS)
    usd_sign = np.array([1.0 if pair.startswith("USD") else -1.0 for pair in FX_PAIRS])
    # Sunday bars cover the two or three hours before midnight UTC: a fraction of a day's variance.
    scale = np.where(days.dayofweek == 6, 0.3, 1.0)[:, None]
    usd = cfg.fx_usd_vol * student_t(rng, cfg.student_t_df, (n_days, 1))
    noise = (usd * usd_sign + cfg.fx_daily_vol * student_t(rng, cfg.student_t_df, (n_days, n_pairs))) * scale
    fair = np.log([FX_START[p] for p in FX_PAIRS])
    month = (days.year * 12 + days.month).to_numpy()
    bounds = np.flatnonzero(np.diff(month)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [n_days]])
    log_mid = np.empty((n_days, n_pairs))
    month_ends = [fair.copy()]
    for s, e in zip(starts, ends, strict=True):
        last = month_ends[-1]
        past = month_ends[-4] if len(month_ends) >= 4 else month_ends[0]
        drift = cfg.fx_momentum * (last - past) - cfg.fx_reversion * (last - fair)
        log_mid[s:e] = last + np.cumsum(noise[s:e] + drift / (e - s), axis=0)
        month_ends.append(log_mid[e - 1])
    close = np.exp(log_mid)
    open_ = np.vstack([np.exp(fair)[None, :], close[:-1]])
    sigma = cfg.fx_daily_vol * scale
    high = np.maximum(open_, close) * np.exp(0.5 * sigma * np.abs(rng.standard_normal((n_days, n_pairs))))
    low = np.minimum(open_, close) * np.exp(-0.5 * sigma * np.abs(rng.standard_normal((n_days, n_pairs))))
    out = {}
    index = pd.DatetimeIndex(days, name="date")
    for j, pair in enumerate(FX_PAIRS):
        pip = pip_size(pair)
        half = 0.5 * cfg.fx_spread_pips[j] * pip
        decimals = 3 if pair.endswith("JPY") else 5
        frame = {}
        for side, sign in (("bid", -1.0), ("ask", 1.0)):
            for name, values in (("open", open_), ("high", high), ("low", low), ("close", close)):
                frame[f"{side}_{name}"] = np.round(values[:, j] + sign * half, decimals)
            frame[f"{side}_size"] = np.zeros(n_days)
        out[pair] = pd.DataFrame(frame, index=index)
    return out


def generate_market(config: SyntheticMarketConfig | None = None) -> SyntheticMarket:
    """Generate the whole synthetic market in memory.

    Parameters
    ----------
    config : SyntheticMarketConfig, optional
        The knobs (defaults: 500 stocks, 12 years from 2010-01-04, seed 7).

    Returns
    -------
    SyntheticMarket
        Arrays of the stock panel, SPY, VIX, FX and the interest rate. Deterministic in ``config``.

    Notes
    -----
    Peak memory is about ten float64 arrays of shape (days, stocks): 3,000 stocks x 20 years take
    roughly 1.5 GB.
    """
    cfg = config or SyntheticMarketConfig()
    rngs = _streams(cfg.seed)
    dates = trading_days(cfg)
    n_days, n = len(dates), cfg.n_stocks
    st = _static(rngs["static"], cfg, n_days)
    ret = _returns(cfg, st, rngs, n_days)
    px = _prices(cfg, st, ret["x"], rngs["events"])
    raw_close = px["close"]
    price_factor, split_factor = _factors(raw_close, px["splits"], px["dividends"])
    listed = np.isfinite(raw_close)
    x = ret.pop("x")
    x[~listed] = np.nan
    x[st["list_index"], np.arange(n)] = np.nan
    sigma_total = ret.pop("idio_var")
    sigma_total += np.square(st["beta"]) * ret["market_var"][:, None]
    np.sqrt(sigma_total, out=sigma_total)
    open_, high, low = ohlc_from_close(rngs["ohlc"], raw_close, x, sigma_total, ret.pop("close_noise"))
    del sigma_total
    volume = _volume(cfg, st, ret.pop("log_volume"), split_factor)
    volume[~listed] = np.nan
    del listed
    spy = _spy(cfg, st, ret, x, raw_close, split_factor, dates, rngs["spy"])
    vix, market_vol = _vix(cfg, ret, spy, dates, rngs["vix"])

    # A rename falls strictly inside the listed life, leaving the map file's rows (listing, last day
    # of the old ticker, delisting) on three distinct dates.
    life = px["delist_index"] - st["list_index"]
    can_rename = st["renamed"] & (life >= 3)
    rename_index = np.where(
        can_rename, st["list_index"] + 2 + (st["rename_u"] * (life - 2)).astype(np.int64), -1
    )
    tickers = st["tickers"].copy()
    new_names = st["new_tickers"][: int(st["renamed"].sum())]
    tickers[st["renamed"]] = new_names
    tickers[st["renamed"] & ~can_rename] = st["tickers"][st["renamed"] & ~can_rename]

    return SyntheticMarket(
        config=cfg,
        dates=pd.DatetimeIndex(dates, name="date"),
        tickers=tickers,
        first_tickers=st["tickers"],
        rename_index=rename_index,
        exchanges=st["exchange"],
        sectors=st["sector"],
        betas=st["beta"],
        list_index=st["list_index"],
        delist_index=px["delist_index"],
        delisted=px["delisted"],
        open=round_price(open_),
        high=round_price(high),
        low=round_price(low),
        close=round_price(raw_close),
        volume=volume,
        log_return=x,
        price_factor=price_factor,
        split_factor=split_factor,
        split_events=px["splits"],
        dividend_events=px["dividends"],
        spy=spy["bars"],
        spy_factors=spy["factors"],
        vix=vix,
        market_vol=market_vol,
        fx=_fx(cfg, dates, rngs["fx"]),
        interest_rate=pd.Series([float(cfg.interest_rate)], index=pd.DatetimeIndex([dates[0]], name="date")),
    )


# ---------------------------------------------------------------------------------------------------
# Writing a LEAN data folder
# ---------------------------------------------------------------------------------------------------

# Folders (under the data folder) that write_market fills and may clear when regenerating.
GENERATED_FOLDERS = (
    "equity/usa/daily",
    "equity/usa/factor_files",
    "equity/usa/map_files",
    "equity/usa/fundamental/coarse",
    "forex/oanda/daily",
    "index/usa/daily",
    "alternative/cboe",
    "alternative/interest-rate/usa",
)


def symbol_at(market: SyntheticMarket, t: int | np.ndarray, stocks: np.ndarray) -> np.ndarray:
    """Ticker of each of ``stocks`` on trading day index ``t`` (the map-file history)."""
    renamed = market.rename_index[stocks]
    new = (renamed >= 0) & (np.asarray(t) >= renamed)
    return np.where(new, market.tickers[stocks], market.first_tickers[stocks])


def map_table(market: SyntheticMarket, stock: int) -> pd.DataFrame:
    """Map-file rows of one stock: listing, last day of the old ticker if renamed, delisting or 2050-12-31."""
    dates = market.dates
    first, old, new = dates[market.list_index[stock]], market.first_tickers[stock], market.tickers[stock]
    rows = [(first, old)]
    if market.rename_index[stock] >= 0:
        rows.append((dates[market.rename_index[stock] - 1], old))
    rows.append((dates[market.delist_index[stock]] if market.delisted[stock] else NEVER, new))
    frame = pd.DataFrame(rows, columns=["date", "ticker"]).set_index("date")
    frame["exchange"] = market.exchanges[stock]
    return frame


def factor_table(market: SyntheticMarket, stock: int, ex_dates: np.ndarray) -> pd.DataFrame:
    """Factor-file rows of one stock from its event (ex-date) indices.

    Each event gives a row on the trading day before its ex-date holding the factors of the bars up
    to that day and that day's raw close as reference price (LEAN's layout).
    """
    before = np.unique(ex_dates) - 1
    rows = pd.DataFrame(
        {
            "price_factor": market.price_factor[before, stock],
            "split_factor": market.split_factor[before, stock],
            "reference_price": market.close[before, stock],
        },
        index=market.dates[before],
    )
    return _factor_table(rows, market.dates[market.list_index[stock]], 1.0)


def _write_stocks(folder: Path, market: SyntheticMarket, stocks: np.ndarray, events: dict[int, np.ndarray]) -> int:
    """Equity zips, factor file and map file of each of ``stocks``.

    As in LEAN's data, a renamed stock's bars up to the rename are in its old ticker's zip and the
    later ones in the new ticker's; the map and factor files are named by the new ticker.
    """
    from lean_local.data import formats

    no_events = np.zeros(0, dtype=np.int64)
    for stock in stocks.tolist():
        first, last = market.list_index[stock], market.delist_index[stock] + 1
        ticker, rename = market.tickers[stock], market.rename_index[stock]
        periods = [(first, last, ticker)]
        if rename >= 0:
            periods = [(first, rename, market.first_tickers[stock]), (rename, last, ticker)]
        for lo, hi, name in periods:
            bars = pd.DataFrame(
                {column: getattr(market, column)[lo:hi, stock] for column in ("open", "high", "low", "close", "volume")},
                index=market.dates[lo:hi],
            )
            formats.write_equity_daily(formats.equity_daily_path(folder, name), bars)
        formats.write_factor_file(
            formats.factor_file_path(folder, ticker), factor_table(market, stock, events.get(stock, no_events))
        )
        formats.write_map_file(formats.map_file_path(folder, ticker), map_table(market, stock))
    return len(stocks)


def _write_coarse(
    folder: Path, market: SyntheticMarket, days: np.ndarray, first_day: int, sids: np.ndarray, order: np.ndarray
) -> int:
    """One coarse file per row ``days`` of ``market`` (a day subset starting at global day ``first_day``):
    every listed stock, rows sorted by SID."""
    from lean_local.data import formats

    for t in days.tolist():
        close = market.close[t, order]
        listed = np.isfinite(close)
        stocks = order[listed]
        close = close[listed]
        volume = market.volume[t, stocks]
        frame = pd.DataFrame(
            {
                "sid": sids[stocks],
                "symbol": symbol_at(market, first_day + t, stocks),
                "close": close,
                "volume": volume,
                "dollar_volume": close * volume,
                "has_fundamental_data": False,
                "price_factor": market.price_factor[t, stocks],
                "split_factor": market.split_factor[t, stocks],
            }
        )
        formats.write_coarse(formats.coarse_path(folder, market.dates[t]), frame)
    return len(days)


def _subset(market: SyntheticMarket, stocks: np.ndarray | None = None, days: slice | None = None) -> SyntheticMarket:
    """A copy holding only some stock columns or day rows of the panels (what one worker needs),
    so a worker process receives a slice instead of the whole panel."""
    panels = ("open", "high", "low", "close", "volume", "log_return", "price_factor", "split_factor")
    changes: dict[str, Any] = {}
    if stocks is not None:
        for name in panels:
            changes[name] = np.ascontiguousarray(getattr(market, name)[:, stocks])
        for name in ("tickers", "first_tickers", "rename_index", "exchanges", "sectors", "betas", "list_index",
                     "delist_index", "delisted"):
            changes[name] = getattr(market, name)[stocks]
    if days is not None:
        for name in panels:
            changes[name] = getattr(market, name)[days]
        changes["dates"] = market.dates[days]
    return dataclasses.replace(market, fx={}, **changes)


def _progress(total: int, description: str, quiet: bool):
    from tqdm import tqdm

    quiet = quiet or bool(os.environ.get("CI")) or not sys.stderr.isatty()
    return tqdm(total=total, desc=description, unit="file", disable=quiet)


def write_market(
    data_folder: str | os.PathLike[str],
    config: SyntheticMarketConfig | None = None,
    quiet: bool = False,
) -> SyntheticMarket:
    """Generate the market and write it as a self-contained LEAN data folder.

    Parameters
    ----------
    data_folder : path
        Target folder. It must be empty, missing, or hold an earlier synthetic market (a
        ``synthetic.json`` marker): the generated sub-folders are then cleared first, so no stale
        stock files survive. A folder with other data is refused.
    config : SyntheticMarketConfig, optional
        The knobs; ``config.jobs`` worker processes write the files.
    quiet : bool
        No progress bar (also off when the ``CI`` environment variable is set).

    Returns
    -------
    SyntheticMarket
        What was written.

    Raises
    ------
    FileExistsError
        ``data_folder`` holds files and no ``synthetic.json`` marker.
    """
    import shutil

    from joblib import Parallel, delayed

    from lean_local.data import formats, market_hours, symbol_properties

    cfg = config or SyntheticMarketConfig()
    folder = Path(data_folder)
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER_FILE).exists():
            raise FileExistsError(
                f"{folder} holds data that is not a synthetic market (no {MARKER_FILE}); choose an empty folder"
            )
        for sub in GENERATED_FOLDERS:
            shutil.rmtree(folder / sub, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)

    market = generate_market(cfg)
    n = cfg.n_stocks
    events = pd.concat([market.split_events[["date_index", "stock"]], market.dividend_events[["date_index", "stock"]]])
    by_stock = {
        int(stock): group["date_index"].to_numpy() for stock, group in events.groupby("stock", sort=True)
    }
    sids = np.array(
        [formats.equity_sid(market.first_tickers[i], market.dates[market.list_index[i]]) for i in range(n)], dtype=object
    )
    order = np.argsort(sids, kind="stable")

    # Several chunks per worker keep both workers busy to the end and move the progress bar.
    n_chunks = max(1, cfg.jobs) * 8
    stock_chunks = [c for c in np.array_split(np.arange(n), n_chunks) if len(c)]
    day_chunks = [c for c in np.array_split(np.arange(len(market.dates)), n_chunks) if len(c)]
    # A generator: Parallel pre-dispatches a few tasks at a time, so only those subsets exist at once.
    stock_tasks = (
        delayed(_write_stocks)(folder, _subset(market, stocks=chunk), np.arange(len(chunk)),
                               {j: by_stock[s] for j, s in enumerate(chunk.tolist()) if s in by_stock})
        for chunk in stock_chunks
    )
    coarse_tasks = (
        delayed(_write_coarse)(folder, _subset(market, days=slice(int(chunk[0]), int(chunk[-1]) + 1)),
                               np.arange(len(chunk)), int(chunk[0]), sids, order)
        for chunk in day_chunks
    )
    with _progress(n + len(market.dates), "synthetic market", quiet) as bar:
        runner = Parallel(n_jobs=max(1, cfg.jobs), return_as="generator_unordered")
        for written in runner(itertools.chain(stock_tasks, coarse_tasks)):
            bar.update(written)

    _write_spy(folder, market)
    formats.write_index_daily(formats.index_daily_path(folder, "VIX"), market.vix)
    formats.write_cboe_csv(formats.cboe_path(folder, "vix"), market.vix[["open", "high", "low", "close"]])
    for pair, bars in market.fx.items():
        formats.write_forex_daily(formats.forex_daily_path(folder, pair), bars)
    formats.write_interest_rate(formats.interest_rate_path(folder), market.interest_rate)
    first_year, last_year = market.dates[0].year, market.dates[-1].year
    market_hours.write_market_hours_database(
        formats.market_hours_path(folder),
        market_hours.generated_market_hours(min(first_year, 1998), max(last_year, 2030)),
    )
    symbol_properties.write_symbol_properties_database(
        formats.symbol_properties_path(folder), symbol_properties.generated_symbol_properties(FX_PAIRS)
    )
    marker = {
        "generator": "lean_local.data.synthetic",
        "version": MARKER_VERSION,
        "synthetic": True,
        "seed": cfg.seed,
        "config": cfg.to_json(),
        "first_date": f"{market.dates[0]:%Y-%m-%d}",
        "last_date": f"{market.dates[-1]:%Y-%m-%d}",
    }
    with formats.atomic_write(folder / MARKER_FILE) as tmp:
        tmp.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return market


def _write_spy(folder: Path, market: SyntheticMarket) -> None:
    """``SPY``'s zip, factor file and map file (listed on the first day, never delisted)."""
    from lean_local.data import formats

    formats.write_equity_daily(formats.equity_daily_path(folder, "SPY"), market.spy)
    formats.write_factor_file(formats.factor_file_path(folder, "SPY"), market.spy_factors)
    spy_map = pd.DataFrame(
        {"ticker": ["spy", "spy"], "exchange": ["P", "P"]},
        index=pd.DatetimeIndex([market.dates[0], NEVER], name="date"),
    )
    formats.write_map_file(formats.map_file_path(folder, "SPY"), spy_map)


# ---------------------------------------------------------------------------------------------------
# Command line: ``lean-local data synthetic``
# ---------------------------------------------------------------------------------------------------

CLI_EXAMPLE = """\
examples:
  lean-local data synthetic --stocks 500 --years 12 --seed 7 --data-folder data-synthetic
  lean-local data synthetic --stocks 30 --years 2 --reversal-strength 0 --data-folder /tmp/nulldata

The folder must be empty, missing, or an earlier synthetic market (it has synthetic.json); its
generated sub-folders are then replaced. See docs/synthetic.md for the model and every knob.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``synthetic`` command's options to ``parser``."""
    defaults = SyntheticMarketConfig()
    parser.add_argument("--stocks", type=int, default=defaults.n_stocks, help="number of stocks (default %(default)s)")
    parser.add_argument("--years", type=float, default=defaults.years, help="calendar years (default %(default)s)")
    parser.add_argument("--start", default=defaults.start, help="first date, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    parser.add_argument(
        "--reversal-strength", type=float, default=defaults.reversal_strength,
        help="fraction of 3-day idiosyncratic moves reversed over 6 days, 0 = none (default %(default)s)",
    )
    parser.add_argument(
        "--fx-momentum", type=float, default=defaults.fx_momentum,
        help="FX monthly momentum coefficient on the last 3 months' return (default %(default)s)",
    )
    parser.add_argument(
        "--fx-reversion", type=float, default=defaults.fx_reversion,
        help="FX monthly fraction of the deviation from fair value closed (default %(default)s)",
    )
    parser.add_argument("--jobs", type=int, default=defaults.jobs, help="writer processes (default %(default)s)")
    parser.add_argument(
        "--data-folder", type=Path, default=None,
        help="target folder (default: data-folder of the nearest lean.json, else ./data)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar (also off when CI is set)")


def run(args: argparse.Namespace) -> int:
    """Run ``lean-local data synthetic`` from parsed arguments; returns the exit code."""
    try:
        config = SyntheticMarketConfig(
            n_stocks=args.stocks, years=args.years, start=args.start, seed=args.seed,
            reversal_strength=args.reversal_strength, fx_momentum=args.fx_momentum,
            fx_reversion=args.fx_reversion, jobs=args.jobs,
        )
        if args.data_folder is not None:
            folder = args.data_folder
        else:
            from lean_local.workspace import data_folder

            folder = data_folder()
        market = write_market(folder, config, quiet=args.quiet)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"synthetic market written to {folder}: {config.n_stocks} stocks ({int(market.delisted.sum())} delisted), "
        f"{len(market.dates)} trading days {market.dates[0]:%Y-%m-%d}..{market.dates[-1]:%Y-%m-%d}, seed {config.seed}"
    )
    return 0


def register(data_subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``synthetic`` sub-command to the ``data`` command group's subparsers."""
    parser = data_subparsers.add_parser(
        "synthetic",
        help="generate a synthetic US market as a LEAN data folder",
        description="Generate a seeded synthetic US market (stocks, SPY, VIX, FX, coarse universe) "
        "as a self-contained LEAN data folder.",
        epilog=CLI_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser
