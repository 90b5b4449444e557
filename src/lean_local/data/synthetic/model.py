"""The generated market as arrays (:class:`SyntheticMarket`) and :func:`generate_market`, which builds it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lean_local.data.synthetic.blocks import ohlc_from_close, round_price, trading_days
from lean_local.data.synthetic.config import SyntheticMarketConfig
from lean_local.data.synthetic.fx import fx_quotes
from lean_local.data.synthetic.spy_vix import spy_market, vix_bars
from lean_local.data.synthetic.stocks import (
    adjustment_factors,
    random_streams,
    stock_constants,
    stock_prices,
    stock_returns,
    stock_volume,
)


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
    rngs = random_streams(cfg.seed)
    dates = trading_days(cfg)
    n_days, n = len(dates), cfg.n_stocks
    st = stock_constants(rngs["static"], cfg, n_days)
    ret = stock_returns(cfg, st, rngs, n_days)
    px = stock_prices(cfg, st, ret["x"], rngs["events"])
    raw_close = px["close"]
    price_factor, split_factor = adjustment_factors(raw_close, px["splits"], px["dividends"])
    listed = np.isfinite(raw_close)
    x = ret.pop("x")
    x[~listed] = np.nan
    x[st["list_index"], np.arange(n)] = np.nan
    sigma_total = ret.pop("idio_var")
    sigma_total += np.square(st["beta"]) * ret["market_var"][:, None]
    np.sqrt(sigma_total, out=sigma_total)
    open_, high, low = ohlc_from_close(rngs["ohlc"], raw_close, x, sigma_total, ret.pop("close_noise"))
    del sigma_total
    volume = stock_volume(cfg, st, ret.pop("log_volume"), split_factor)
    volume[~listed] = np.nan
    del listed
    spy = spy_market(cfg, st, ret, x, raw_close, split_factor, dates, rngs["spy"])
    vix, market_vol = vix_bars(cfg, ret, spy, dates, rngs["vix"])

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
        fx=fx_quotes(cfg, dates, rngs["fx"]),
        interest_rate=pd.Series([float(cfg.interest_rate)], index=pd.DatetimeIndex([dates[0]], name="date")),
    )

