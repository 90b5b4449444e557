"""Four FX pairs as Oanda-style daily quote bars with a monthly momentum / mean-reversion structure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_local.data.synthetic.blocks import student_t
from lean_local.data.synthetic.config import FX_PAIRS, SyntheticMarketConfig

FX_START = {"EURUSD": 1.30, "GBPUSD": 1.55, "USDCAD": 1.05, "USDJPY": 95.0}


def pip_size(pair: str) -> float:
    """Price of one pip: 0.01 for JPY quotes, 0.0001 otherwise."""
    return 0.01 if pair.endswith("JPY") else 0.0001


def fx_quotes(cfg: SyntheticMarketConfig, dates: pd.DatetimeIndex, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
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

