"""The stock panel: per-stock constants, returns (market, sector and idiosyncratic GARCH with the planted
reversal), prices with listings, delistings, splits and dividends, LEAN's adjustment factors, volume."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from lean_local.data.synthetic.blocks import (
    garch_variance,
    make_tickers,
    mean_abs_student_t,
    reversal_kernel,
    stationary_ar1,
    student_t,
    volume_shock,
)
from lean_local.data.synthetic.config import TRADING_DAYS_PER_YEAR, SyntheticMarketConfig


def random_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per model component (children of the seed's SeedSequence)."""
    # New components go at the end: earlier children (and so their draws) stay the same.
    names = ("static", "shocks", "volume", "events", "ohlc", "spy", "vix", "fx", "regimes", "close_noise")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def stock_constants(rng: np.random.Generator, cfg: SyntheticMarketConfig, n_days: int) -> dict[str, np.ndarray]:
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


def stock_returns(
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
    log_volume = volume_shock(z[:, 1 + s :], cfg.volume_shock_cap, mean_abs)
    log_volume += 0.5 * volume_shock(market_z, cfg.volume_shock_cap, mean_abs)[:, None]
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


def stock_prices(
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


def adjustment_factors(
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


def stock_volume(
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

