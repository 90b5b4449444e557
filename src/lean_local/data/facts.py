"""Stylized facts of a LEAN daily US equity folder, real or synthetic (``lean-local data facts``).

The facts are the ones a market model for a short-horizon strategy has to get right (issue 15): tails,
return and volatility autocorrelation, the market factor, co-movement, volume persistence, the size of
the 3-day -> 6-day reversal the ML strategy trades, the dollar-volume distribution and the number of
listed names. Everything is computed on one panel (dates x securities) with array operations; the only
loop is over the securities' files when a folder is read.

Conventions
-----------
* Prices are LEAN's ``ADJUSTED`` normalisation (raw x price factor x split factor of the factor-file row
  with the earliest date on or after the bar); volume is split-adjusted (raw shares / split factor), so
  neither jumps at a split; dollar volume is raw close x raw volume (what a coarse file holds).
* A daily return is the log change of the adjusted close between consecutive panel dates; it is NaN when
  either bar is missing (listing day, a gap, after delisting).
* Per-security statistics need ``min_observations`` values (pairs, for autocorrelations) and are
  summarised by their median across securities.
* The market is ``SPY`` (adjusted close) when the folder has it, and is then left out of the cross
  section; otherwise the equal-weighted mean return of the panel.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MARKET_TICKER = "SPY"
DOLLAR_VOLUME_RANKS = (100, 250, 500)
SIGNAL_DAYS = 3
# The traded horizon of the ML strategy: enter at the open after the signal, leave six days later.
ENTRY_OFFSET, EXIT_OFFSET = 1, 7

#: Bands measured on real US equities (issue 15) that the calibrated synthetic market must fall in;
#: ``None`` leaves a side open. Dollar volumes are within 50% of the 2014-03-24 coarse file
#: ($427 M at rank 100, $208 M at rank 250).
REAL_EQUITY_BANDS: dict[str, tuple[float | None, float | None]] = {
    "excess_kurtosis": (6.0, 15.0),
    "return_autocorrelation_1": (-0.05, 0.0),
    "abs_return_autocorrelation_1": (0.2, None),
    "abs_return_autocorrelation_20": (0.1, None),
    "market_r_squared": (0.25, 0.45),
    "mean_pairwise_correlation": (0.25, 0.40),
    "log_volume_autocorrelation_1": (0.4, 0.8),
    "log_volume_autocorrelation_20": (0.4, None),
    "reversal_ic": (-0.02, -0.005),
    "decile_spread": (None, 0.004),
    "dollar_volume_rank_100": (427e6 * 0.5, 427e6 * 1.5),
    "dollar_volume_rank_250": (208e6 * 0.5, 208e6 * 1.5),
    "listed_names_min": (3000.0, None),
}


@dataclass
class DailyPanel:
    """Daily bars of many securities on one date grid.

    Attributes
    ----------
    dates : pd.DatetimeIndex
        The union of the securities' bar dates, ascending.
    symbols : np.ndarray of str
        One per column (the map file's name, i.e. the latest ticker).
    open, close : np.ndarray
        Shape (dates, symbols): adjusted prices in dollars, NaN where there is no bar.
    volume : np.ndarray
        Split-adjusted shares; NaN where there is no bar.
    dollar_volume : np.ndarray
        Raw close x raw volume, dollars.
    market_return : np.ndarray
        Shape (dates,): the market's daily log return (NaN on the first date).
    market_source : str
        Where the market return comes from.
    """

    dates: pd.DatetimeIndex
    symbols: np.ndarray
    open: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    dollar_volume: np.ndarray
    market_return: np.ndarray
    market_source: str


# ---------------------------------------------------------------------------------------------------
# Building a panel
# ---------------------------------------------------------------------------------------------------


def factor_columns(factor_df: pd.DataFrame | None, dates) -> tuple[np.ndarray, np.ndarray]:
    """Price and split factor of each bar date (LEAN's rule: the row with the earliest date >= the bar).

    Returns ones where there is no factor file or the bar is after its last row.
    """
    days = pd.DatetimeIndex(dates).normalize().asi8
    price, split = np.ones(len(days)), np.ones(len(days))
    if factor_df is None or len(factor_df) == 0:
        return price, split
    position = np.searchsorted(pd.DatetimeIndex(factor_df.index).asi8, days, side="left")
    inside = position < len(factor_df)
    price[inside] = factor_df["price_factor"].to_numpy(dtype=np.float64)[position[inside]]
    split[inside] = factor_df["split_factor"].to_numpy(dtype=np.float64)[position[inside]]
    return price, split


def _market_from(close: np.ndarray | None, returns: np.ndarray) -> tuple[np.ndarray, str]:
    if close is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            market = np.concatenate([[np.nan], np.diff(np.log(close))])
        return market, MARKET_TICKER
    valid = np.isfinite(returns)
    count = valid.sum(axis=1)
    total = np.where(valid, returns, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0), "equal-weighted panel"


def load_folder_panel(data_folder: str | os.PathLike[str], start: Any = None, end: Any = None) -> DailyPanel:
    """Read every US equity daily file of a LEAN data folder into a :class:`DailyPanel`.

    Securities are the map files that have bars (a renamed security's bars are read from each of its
    tickers' zips) plus the zips no map file names; ``SPY`` becomes the market.

    Parameters
    ----------
    data_folder : path
        A LEAN data folder (``equity/usa/daily``, optional factor and map files).
    start, end : date-like, optional
        Keep bars in ``[start, end]``.

    Raises
    ------
    FileNotFoundError
        No daily equity file (or none in the window).
    """
    from lean_local.data import formats, map_files

    folder = Path(data_folder)
    daily = folder / "equity" / "usa" / "daily"
    zips = sorted(p.name[: -len(".zip")].upper() for p in daily.glob("*.zip")) if daily.is_dir() else []
    if not zips:
        raise FileNotFoundError(f"no daily equity files in {daily}")
    resolver = map_files.load_resolver(folder)
    securities: dict[str, map_files.MapFile] = {}
    for ticker in zips:
        found = resolver.resolve(ticker)
        # A zip read through another map file's segments (an old ticker) is not a security of its own.
        if found is None or ticker not in found.tickers:
            found = map_files.MapFile.unmapped(ticker)
        securities.setdefault(found.permtick, found)
    lo = pd.Timestamp(start) if start is not None else pd.Timestamp.min
    hi = pd.Timestamp(end) if end is not None else pd.Timestamp.max
    frames: dict[str, pd.DataFrame] = {}
    for permtick, map_file in sorted(securities.items()):
        bars = map_files.read_bars(folder, map_file.segments())
        if bars is None:
            continue
        bars = bars.loc[(bars.index >= lo) & (bars.index <= hi)]
        if bars.empty:
            continue
        factor_path = formats.factor_file_path(folder, permtick)
        factor_df = formats.read_factor_file(factor_path) if factor_path.exists() else None
        price_factor, split_factor = factor_columns(factor_df, bars.index)
        frames[permtick] = pd.DataFrame(
            {
                "open": bars["open"].to_numpy() * price_factor * split_factor,
                "close": bars["close"].to_numpy() * price_factor * split_factor,
                "volume": bars["volume"].to_numpy() / split_factor,
                "dollar_volume": bars["close"].to_numpy() * bars["volume"].to_numpy(),
            },
            index=bars.index,
        )
    if not frames:
        raise FileNotFoundError(f"no daily equity bars in {daily} for {start}..{end}")
    dates = pd.DatetimeIndex(sorted(set().union(*(f.index for f in frames.values()))), name="date")
    market = frames.pop(MARKET_TICKER, None)
    symbols = np.array(sorted(frames), dtype=object)
    if len(symbols) == 0:
        raise FileNotFoundError(f"{daily} holds only {MARKET_TICKER}: no cross section")
    panels = {name: np.full((len(dates), len(symbols)), np.nan) for name in ("open", "close", "volume",
                                                                            "dollar_volume")}
    for j, symbol in enumerate(symbols):
        frame = frames[symbol]
        rows = dates.get_indexer(frame.index)
        for name, panel in panels.items():
            panel[rows, j] = frame[name].to_numpy()
    market_close = None if market is None else market["close"].reindex(dates).to_numpy()
    market_return, source = _market_from(market_close, log_returns(panels["close"]))
    return DailyPanel(dates, symbols, panels["open"], panels["close"], panels["volume"], panels["dollar_volume"],
                      market_return, source)


def market_panel(market) -> DailyPanel:
    """The :class:`DailyPanel` of an in-memory :class:`~lean_local.data.synthetic.SyntheticMarket`
    (the same numbers its written folder gives, without writing it)."""
    from lean_local.data import formats

    factor = market.price_factor * market.split_factor
    spy_factor = formats.adjustment_factors(market.spy_factors, market.dates)
    spy_close = market.spy["close"].to_numpy() * spy_factor
    market_return, source = _market_from(spy_close, np.empty((len(market.dates), 0)))
    return DailyPanel(
        dates=market.dates,
        symbols=np.asarray(market.tickers, dtype=object),
        open=market.open * factor,
        close=market.close * factor,
        volume=market.volume / market.split_factor,
        dollar_volume=market.close * market.volume,
        market_return=market_return,
        market_source=source,
    )


# ---------------------------------------------------------------------------------------------------
# Statistics on (time, series) arrays with NaN for "no value"
# ---------------------------------------------------------------------------------------------------


def log_returns(close: np.ndarray) -> np.ndarray:
    """Log change of each column between consecutive rows; row 0 and any gap are NaN."""
    out = np.full(close.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[1:] = np.log(close[1:] / close[:-1])
    return out


def _demeaned(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x - column mean)`` with 0 where ``x`` is NaN, the validity mask and the counts.

    A column whose values are all equal gets deviations of exactly 0 (not the mean's rounding error),
    so it has no variance.
    """
    valid = np.isfinite(x)
    count = valid.sum(axis=0)
    total = np.where(valid, x, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.zeros(x.shape[1:]), where=count > 0)
    low = np.where(valid, x, np.inf).min(axis=0)
    high = np.where(valid, x, -np.inf).max(axis=0)
    return np.where(valid & (high > low), x - mean, 0.0), valid, count


def excess_kurtosis(x: np.ndarray, min_observations: int = 60) -> np.ndarray:
    """Per column: ``m4 / m2**2 - 3`` with population central moments over the finite values.

    NaN for a column with fewer than ``min_observations`` values or no variance.
    """
    d, _, count = _demeaned(x)
    n = np.maximum(count, 1)
    m2 = (d * d).sum(axis=0) / n
    m4 = (d**4).sum(axis=0) / n
    ok = (count >= min_observations) & (m2 > 0)
    return np.divide(m4, m2 * m2, out=np.full(m2.shape, np.nan), where=ok) - 3.0


def autocorrelation(x: np.ndarray, lag: int, min_observations: int = 60) -> np.ndarray:
    """Per column, the sample autocorrelation at ``lag`` over the pairs where both values exist.

    ``mean((x[t] - m)(x[t-lag] - m)) / mean((x[t] - m)**2)``, the mean ``m`` and the denominator over
    all finite values, the numerator's mean over the finite pairs. NaN with fewer than
    ``min_observations`` pairs or no variance.
    """
    d, valid, count = _demeaned(x)
    pairs = (valid[lag:] & valid[:-lag]).sum(axis=0)
    numerator = (d[lag:] * d[:-lag]).sum(axis=0) / np.maximum(pairs, 1)
    variance = (d * d).sum(axis=0) / np.maximum(count, 1)
    ok = (pairs >= min_observations) & (variance > 0)
    return np.divide(numerator, variance, out=np.full(variance.shape, np.nan), where=ok)


def correlation_with(x: np.ndarray, y: np.ndarray, min_observations: int = 60) -> np.ndarray:
    """Per column of ``x`` (T, N), the Pearson correlation with ``y`` (T,) over the rows where both
    are finite (means and variances over those rows). NaN below ``min_observations`` rows."""
    both = np.isfinite(x) & np.isfinite(y)[:, None]
    count = both.sum(axis=0)
    n = np.maximum(count, 1)
    xs = np.where(both, x, 0.0)
    ys = np.where(both, y[:, None], 0.0)
    mx, my = xs.sum(axis=0) / n, ys.sum(axis=0) / n
    dx, dy = np.where(both, xs - mx, 0.0), np.where(both, ys - my, 0.0)
    denominator = np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    ok = (count >= min_observations) & (denominator > 0)
    return np.divide((dx * dy).sum(axis=0), denominator, out=np.full(count.shape, np.nan), where=ok)


def mean_pairwise_correlation(x: np.ndarray, min_observations: int = 60, max_series: int = 1000) -> float:
    """Mean correlation over all pairs of columns that overlap on ``min_observations`` rows.

    Each column is standardised once over its own finite values (population moments); a pair's
    correlation is the mean product of the two standardised series over their common rows, exactly
    Pearson's when the two columns have the same rows. At most ``max_series`` columns (evenly spaced
    among those with enough values) keep the cost at one ``max_series``-square matrix product.
    """
    d, valid, count = _demeaned(x)
    keep = np.flatnonzero(count >= min_observations)
    if len(keep) > max_series:
        keep = keep[np.linspace(0, len(keep) - 1, max_series).round().astype(int)]
    if len(keep) < 2:
        return float("nan")
    d, mask = d[:, keep], valid[:, keep].astype(np.float64)
    std = np.sqrt((d * d).sum(axis=0) / count[keep])
    z = np.divide(d, std, out=np.zeros_like(d), where=std > 0)
    products, overlap = z.T @ z, mask.T @ mask
    upper = np.triu(np.ones(products.shape, dtype=bool), k=1) & (overlap >= min_observations)
    return float(np.mean(products[upper] / overlap[upper])) if upper.any() else float("nan")


def cross_sectional_ranks(x: np.ndarray) -> np.ndarray:
    """Per row, the 1-based rank of each finite value (ties get their average rank); NaN stays NaN."""
    return pd.DataFrame(x).rank(axis=1, method="average").to_numpy()


def newey_west_t(series: np.ndarray, lags: int) -> float:
    """t-statistic of the mean of ``series`` (NaN dropped) with a Newey-West (Bartlett) variance."""
    s = series[np.isfinite(series)]
    n = len(s)
    if n < 2:
        return float("nan")
    d = s - s.mean()
    variance = d @ d / n
    for lag in range(1, min(lags, n - 1) + 1):
        variance += 2.0 * (1.0 - lag / (lags + 1.0)) * (d[lag:] @ d[:-lag]) / n
    return float(s.mean() / np.sqrt(variance / n)) if variance > 0 else float("nan")


def reversal_signal_and_outcome(panel: DailyPanel) -> tuple[np.ndarray, np.ndarray]:
    """The 3-day return at each close and the traded return that follows it.

    ``signal[t] = close[t] / close[t-3] - 1`` and ``outcome[t] = open[t+7] / open[t+1] - 1`` (enter at the
    next open, exit at the open six trading days later); NaN where a bar is missing or the window runs
    past the panel.
    """
    t_count = len(panel.dates)
    signal = np.full(panel.close.shape, np.nan)
    outcome = np.full(panel.close.shape, np.nan)
    signal[SIGNAL_DAYS:] = panel.close[SIGNAL_DAYS:] / panel.close[:-SIGNAL_DAYS] - 1.0
    last = t_count - EXIT_OFFSET
    if last > 0:
        outcome[:last] = panel.open[EXIT_OFFSET:] / panel.open[ENTRY_OFFSET:ENTRY_OFFSET + last] - 1.0
    return signal, outcome


def reversal_ic_and_spread(
    signal: np.ndarray, outcome: np.ndarray, min_names: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Per date, the rank IC of ``signal`` with ``outcome`` and the bottom-minus-top decile spread.

    Only names with both values count; a date needs ``min_names`` of them (NaN otherwise). The IC is
    Pearson's correlation of the two cross-sectional ranks (Spearman's). The deciles hold the
    ``max(1, n // 10)`` names with the lowest and with the highest signal rank; the spread is the mean
    outcome of the lowest minus that of the highest (positive: losers outperform winners, a reversal).
    """
    both = np.isfinite(signal) & np.isfinite(outcome)
    s = np.where(both, signal, np.nan)
    f = np.where(both, outcome, np.nan)
    n = both.sum(axis=1)
    rs, rf = cross_sectional_ranks(s), cross_sectional_ranks(f)
    centre = (n + 1) / 2.0
    ds = np.where(both, rs - centre[:, None], 0.0)
    df = np.where(both, rf - centre[:, None], 0.0)
    denominator = np.sqrt((ds * ds).sum(axis=1) * (df * df).sum(axis=1))
    ok = (n >= min_names) & (denominator > 0)
    ic = np.divide((ds * df).sum(axis=1), denominator, out=np.full(len(n), np.nan), where=ok)
    k = np.maximum(n // 10, 1)[:, None]
    bottom = both & (rs <= k)
    top = both & (rs > n[:, None] - k)
    f0 = np.where(both, f, 0.0)
    low = (f0 * bottom).sum(axis=1) / np.maximum(bottom.sum(axis=1), 1)
    high = (f0 * top).sum(axis=1) / np.maximum(top.sum(axis=1), 1)
    spread = np.where(ok, low - high, np.nan)
    return ic, spread


def values_at_ranks(values: np.ndarray, ranks: tuple[int, ...]) -> np.ndarray:
    """Per row, the ``k``-th largest finite value for each ``k`` in ``ranks``; NaN where the row has
    fewer than ``k`` values. Shape (rows, len(ranks))."""
    filled = np.where(np.isfinite(values), values, -np.inf)
    descending = -np.sort(-filled, axis=1)
    out = np.full((values.shape[0], len(ranks)), np.nan)
    for j, k in enumerate(ranks):
        if k <= values.shape[1]:
            column = descending[:, k - 1]
            out[:, j] = np.where(np.isfinite(column), column, np.nan)
    return out


def _median(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")


# ---------------------------------------------------------------------------------------------------
# The facts
# ---------------------------------------------------------------------------------------------------


def stylized_facts(panel: DailyPanel, min_observations: int = 60, min_names: int = 10) -> dict[str, Any]:
    """Every fact of one panel.

    Parameters
    ----------
    panel : DailyPanel
        The securities (the market already taken out of the cross section).
    min_observations : int
        Values (or pairs) a security needs to enter a per-security median.
    min_names : int
        Names a date needs for its rank IC and decile spread.

    Returns
    -------
    dict
        ``excess_kurtosis``, ``return_autocorrelation_1``, ``abs_return_autocorrelation_1`` and ``_20``,
        ``market_r_squared``, ``log_volume_autocorrelation_1`` and ``_20`` (medians over securities);
        ``mean_pairwise_correlation``; ``reversal_ic`` (mean daily rank IC of the 3-day return with the
        traded 6-day return), ``reversal_ic_t`` (Newey-West, 6 lags), ``decile_spread`` (mean, a fraction
        per 6 days) and ``decile_spread_t``; ``dollar_volume_rank_<k>`` (median over dates of the k-th
        largest dollar volume; NaN when fewer names); ``listed_names_median``, ``_min``, ``_max``
        (names with a bar, over dates with any); ``n_securities``, ``n_dates``, ``first_date``,
        ``last_date``, ``market``, ``ic_dates`` (dates with an IC).
    """
    r = log_returns(panel.close)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_volume = np.where(panel.volume > 0, np.log(panel.volume), np.nan)
    facts: dict[str, Any] = {
        "n_securities": int(len(panel.symbols)),
        "n_dates": int(len(panel.dates)),
        "first_date": f"{panel.dates[0]:%Y-%m-%d}",
        "last_date": f"{panel.dates[-1]:%Y-%m-%d}",
        "market": panel.market_source,
        "excess_kurtosis": _median(excess_kurtosis(r, min_observations)),
        "return_autocorrelation_1": _median(autocorrelation(r, 1, min_observations)),
        "abs_return_autocorrelation_1": _median(autocorrelation(np.abs(r), 1, min_observations)),
        "abs_return_autocorrelation_20": _median(autocorrelation(np.abs(r), 20, min_observations)),
        "market_r_squared": _median(correlation_with(r, panel.market_return, min_observations) ** 2),
        "mean_pairwise_correlation": mean_pairwise_correlation(r, min_observations),
        "log_volume_autocorrelation_1": _median(autocorrelation(log_volume, 1, min_observations)),
        "log_volume_autocorrelation_20": _median(autocorrelation(log_volume, 20, min_observations)),
    }
    signal, outcome = reversal_signal_and_outcome(panel)
    ic, spread = reversal_ic_and_spread(signal, outcome, min_names)
    lags = EXIT_OFFSET - ENTRY_OFFSET
    facts.update(
        reversal_ic=float(np.nanmean(ic)) if np.isfinite(ic).any() else float("nan"),
        reversal_ic_t=newey_west_t(ic, lags),
        decile_spread=float(np.nanmean(spread)) if np.isfinite(spread).any() else float("nan"),
        decile_spread_t=newey_west_t(spread, lags),
        ic_dates=int(np.isfinite(ic).sum()),
    )
    for k, value in zip(DOLLAR_VOLUME_RANKS, values_at_ranks(panel.dollar_volume, DOLLAR_VOLUME_RANKS).T,
                        strict=True):
        facts[f"dollar_volume_rank_{k}"] = _median(value)
    names = np.isfinite(panel.close).sum(axis=1)
    names = names[names > 0]
    facts.update(listed_names_median=float(np.median(names)), listed_names_min=int(names.min()),
                 listed_names_max=int(names.max()))
    return facts


def coarse_facts(data_folder: str | os.PathLike[str], start: Any = None, end: Any = None) -> dict[str, Any]:
    """Dollar volume at each rank and names per file from a folder's coarse files (medians over files);
    empty when it has none in the window."""
    from lean_local.data import formats

    coarse = formats.read_coarse_range(data_folder, start or "1900-01-01", end or "2100-12-31")
    if coarse.empty:
        return {}
    dates = pd.DatetimeIndex(coarse["date"])
    codes, uniques = pd.factorize(dates)
    position = coarse.groupby(codes).cumcount().to_numpy()
    table = np.full((len(uniques), int(position.max()) + 1), np.nan)
    table[codes, position] = coarse["dollar_volume"].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {"coarse_files": int(len(uniques))}
    for k, value in zip(DOLLAR_VOLUME_RANKS, values_at_ranks(table, DOLLAR_VOLUME_RANKS).T, strict=True):
        out[f"coarse_dollar_volume_rank_{k}"] = _median(value)
    out["coarse_names_median"] = float(np.median(np.isfinite(table).sum(axis=1)))
    return out


def band_verdict(name: str, value: float) -> str:
    """``in``, ``below`` or ``above`` the real-equity band of ``name``; ``''`` without a band or value."""
    band = REAL_EQUITY_BANDS.get(name)
    if band is None or not np.isfinite(value):
        return ""
    low, high = band
    if low is not None and value < low:
        return "below"
    if high is not None and value > high:
        return "above"
    return "in"


_LABELS = (
    ("excess_kurtosis", "excess kurtosis of daily log returns (median)", "{:.2f}"),
    ("return_autocorrelation_1", "return autocorrelation, lag 1 (median)", "{:+.4f}"),
    ("abs_return_autocorrelation_1", "|return| autocorrelation, lag 1 (median)", "{:.3f}"),
    ("abs_return_autocorrelation_20", "|return| autocorrelation, lag 20 (median)", "{:.3f}"),
    ("market_r_squared", "R-squared against the market (median)", "{:.3f}"),
    ("mean_pairwise_correlation", "mean pairwise return correlation", "{:.3f}"),
    ("log_volume_autocorrelation_1", "log-volume autocorrelation, lag 1 (median)", "{:.3f}"),
    ("log_volume_autocorrelation_20", "log-volume autocorrelation, lag 20 (median)", "{:.3f}"),
    ("reversal_ic", "rank IC, 3-day return -> open t+1..t+7 return", "{:+.4f}"),
    ("reversal_ic_t", "  its t (Newey-West, 6 lags)", "{:+.1f}"),
    ("decile_spread", "decile spread, bottom - top, per 6 days", "{:+.3%}"),
    ("decile_spread_t", "  its t (Newey-West, 6 lags)", "{:+.1f}"),
    ("dollar_volume_rank_100", "dollar volume at rank 100 (median day)", "${:,.0f}"),
    ("dollar_volume_rank_250", "dollar volume at rank 250 (median day)", "${:,.0f}"),
    ("dollar_volume_rank_500", "dollar volume at rank 500 (median day)", "${:,.0f}"),
    ("listed_names_median", "listed names per day, median", "{:,.0f}"),
    ("listed_names_min", "listed names per day, min", "{:,.0f}"),
    ("listed_names_max", "listed names per day, max", "{:,.0f}"),
    ("coarse_dollar_volume_rank_100", "coarse files: dollar volume at rank 100", "${:,.0f}"),
    ("coarse_dollar_volume_rank_250", "coarse files: dollar volume at rank 250", "${:,.0f}"),
    ("coarse_dollar_volume_rank_500", "coarse files: dollar volume at rank 500", "${:,.0f}"),
    ("coarse_names_median", "coarse files: names per file, median", "{:,.0f}"),
)


def format_table(facts: dict[str, Any]) -> str:
    """The facts as a text table with each real-equity band and whether the value is in it."""
    head = (f"{facts['n_securities']} securities, {facts['n_dates']} dates {facts['first_date']}.."
            f"{facts['last_date']}, market: {facts['market']}, {facts['ic_dates']} dates with an IC")
    rows = [("fact", "value", "real-equity band", "")]
    for key, label, fmt in _LABELS:
        if key not in facts:
            continue
        value = facts[key]
        text = "n/a" if value is None or not np.isfinite(value) else fmt.format(value)
        low, high = REAL_EQUITY_BANDS.get(key, (None, None))
        band = "" if (low, high) == (None, None) else (
            f"{_short(low) if low is not None else ''}..{_short(high) if high is not None else ''}")
        rows.append((label, text, band, band_verdict(key, value) if value is not None else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [head, ""] + ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def _short(x: float) -> str:
    return f"{x / 1e6:,.0f}M" if abs(x) >= 1e6 else f"{x:g}"


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in facts.items()}


def write_facts_json(path: str | os.PathLike[str], facts: dict[str, Any]) -> None:
    """Write the facts as JSON atomically (NaN becomes null)."""
    from lean_local.data import formats

    with formats.atomic_write(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(facts), indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# Command line: ``lean-local data facts``
# ---------------------------------------------------------------------------------------------------

CLI_EXAMPLE = """\
examples:
  lean-local data facts ../shared/lean-data --start 2010-01-01 --json lean-data-facts.json
  lean-local data facts data/synthetic

Prints every fact beside the band measured on real US equities (issue 15) and whether it is in it.
"""


def register(data_subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``facts`` sub-command to the ``data`` command group's subparsers."""
    parser = data_subparsers.add_parser(
        "facts",
        help="stylized facts of a LEAN daily equity folder (real or synthetic)",
        description=__doc__.split("\n\n")[0],
        epilog=CLI_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="LEAN data folder")
    parser.add_argument("--start", default=None, help="first bar date, YYYY-MM-DD")
    parser.add_argument("--end", default=None, help="last bar date, YYYY-MM-DD")
    parser.add_argument("--min-names", type=int, default=10, help="names a date needs for its IC (default %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="also write the facts to this JSON file")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``lean-local data facts``; returns the exit code."""
    from lean_local.data.formats import DataFormatError

    try:
        panel = load_folder_panel(args.folder, args.start, args.end)
        facts = stylized_facts(panel, min_names=args.min_names)
        facts.update(coarse_facts(args.folder, args.start, args.end))
    except (DataFormatError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(format_table(facts))
    if args.json is not None:
        write_facts_json(args.json, facts)
        print(f"\nwrote {args.json}")
    return 0
