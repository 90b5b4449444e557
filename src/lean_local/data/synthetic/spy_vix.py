"""``SPY`` (the cap-weighted market as an ETF, with its factor file) and the VIX built from the stock panel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from lean_local.data.synthetic.blocks import mean_abs_student_t, ohlc_from_close, round_price, volume_shock
from lean_local.data.synthetic.config import NEVER, TRADING_DAYS_PER_YEAR, SyntheticMarketConfig


def spy_market(
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
    shock = volume_shock(ret["market_z"], cfg.volume_shock_cap, mean_abs)
    volume = 8e7 * np.exp(0.35 * shock + 0.3 * rng.standard_normal(n_days))
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
        "factors": factor_rows(factors, dates[0], 1.0),
        "log_return": spy_x,
        "cap_beta": cap_beta,
        "sector_share": sector_share,
    }


def factor_rows(rows: pd.DataFrame, first_date: pd.Timestamp, last_price_factor: float) -> pd.DataFrame:
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


def vix_bars(
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

