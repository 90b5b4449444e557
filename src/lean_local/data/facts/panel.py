"""The panel the facts are computed on (dates x securities), from a LEAN folder or a synthetic market."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data.synthetic.config import INDEX_TICKER

MARKET_TICKER = "SPY"
# The market of a folder: SPY, else the synthetic market's ETF; neither is in the cross section.
MARKET_TICKERS = (MARKET_TICKER, INDEX_TICKER)


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



def log_returns(close: np.ndarray) -> np.ndarray:
    """Log change of each column between consecutive rows; row 0 and any gap are NaN."""
    out = np.full(close.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[1:] = np.log(close[1:] / close[:-1])
    return out


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


def _market_from(close: np.ndarray | None, returns: np.ndarray, ticker: str = MARKET_TICKER) -> tuple[np.ndarray, str]:
    if close is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            market = np.concatenate([[np.nan], np.diff(np.log(close))])
        return market, ticker
    valid = np.isfinite(returns)
    count = valid.sum(axis=1)
    total = np.where(valid, returns, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0), "equal-weighted panel"


def load_folder_panel(data_folder: str | os.PathLike[str], start: Any = None, end: Any = None) -> DailyPanel:
    """Read every US equity daily file of a LEAN data folder into a :class:`DailyPanel`.

    Securities are the map files that have bars (a renamed security's bars are read from each of its
    tickers' zips) plus the zips no map file names; ``SPY`` (else the synthetic market's ``SYNSPY``)
    becomes the market.

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
    markets = {ticker: frames.pop(ticker) for ticker in MARKET_TICKERS if ticker in frames}
    market_ticker = next(iter(markets), MARKET_TICKER)
    market = markets.get(market_ticker)
    symbols = np.array(sorted(frames), dtype=object)
    if len(symbols) == 0:
        raise FileNotFoundError(f"{daily} holds only {' and '.join(markets)}: no cross section")
    panels = {name: np.full((len(dates), len(symbols)), np.nan) for name in ("open", "close", "volume",
                                                                            "dollar_volume")}
    for j, symbol in enumerate(symbols):
        frame = frames[symbol]
        rows = dates.get_indexer(frame.index)
        for name, panel in panels.items():
            panel[rows, j] = frame[name].to_numpy()
    market_close = None if market is None else market["close"].reindex(dates).to_numpy()
    market_return, source = _market_from(market_close, log_returns(panels["close"]), market_ticker)
    return DailyPanel(dates, symbols, panels["open"], panels["close"], panels["volume"], panels["dollar_volume"],
                      market_return, source)


def market_panel(market) -> DailyPanel:
    """The :class:`DailyPanel` of an in-memory :class:`~lean_local.data.synthetic.SyntheticMarket`
    (the same numbers its written folder gives, without writing it)."""
    from lean_local.data import formats

    factor = market.price_factor * market.split_factor
    spy_factor = formats.adjustment_factors(market.spy_factors, market.dates)
    spy_close = market.spy["close"].to_numpy() * spy_factor
    market_return, source = _market_from(spy_close, np.empty((len(market.dates), 0)), INDEX_TICKER)
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

