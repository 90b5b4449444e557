"""Writing the synthetic market as a self-contained LEAN data folder."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local import progress
from lean_local.data.synthetic.config import (
    FX_PAIRS,
    INDEX_TICKER,
    MARKER_FILE,
    MARKER_VERSION,
    NEVER,
    VOLATILITY_TICKER,
    SyntheticMarketConfig,
)
from lean_local.data.synthetic.folder import locked, replacing
from lean_local.data.synthetic.model import SyntheticMarket, generate_market
from lean_local.data.synthetic.spy_vix import factor_rows


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
    return factor_rows(rows, market.dates[market.list_index[stock]], 1.0)


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
        ``synthetic.json`` marker); a folder with other data is refused. The market is built in a
        staging folder beside it and then replaces it in one step (see :mod:`.folder`): no stale
        stock file survives, and a run that fails or is killed leaves the old folder as it was.
        Files of the old folder outside the generated sub-folders are kept.
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
    FolderBusyError
        Another run is writing ``data_folder``.
    """
    cfg = config or SyntheticMarketConfig()
    target = Path(data_folder)
    if target.is_symlink():
        target = target.resolve()  # replace the folder the link points to, not the link
    with locked(target), replacing(target) as staging:
        return _write_folder(staging, cfg, quiet)


def _write_folder(folder: Path, cfg: SyntheticMarketConfig, quiet: bool) -> SyntheticMarket:
    """Generate the market and write every file of it into the empty ``folder``."""
    from joblib import Parallel, delayed

    from lean_local.data import formats, market_hours, symbol_properties

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
    with progress.bar(n + len(market.dates), "synthetic market", "file", requested=not quiet) as bar:
        runner = Parallel(n_jobs=max(1, cfg.jobs), return_as="generator_unordered")
        for written in runner(itertools.chain(stock_tasks, coarse_tasks)):
            bar.update(written)

    _write_index(folder, market)
    formats.write_index_daily(formats.index_daily_path(folder, VOLATILITY_TICKER), market.vix)
    formats.write_cboe_csv(formats.cboe_path(folder, VOLATILITY_TICKER.lower()),
                           market.vix[["open", "high", "low", "close"]])
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


def _write_index(folder: Path, market: SyntheticMarket) -> None:
    """The market ETF's (``INDEX_TICKER``) zip, factor file and map file (listed on the first day, never
    delisted)."""
    from lean_local.data import formats

    formats.write_equity_daily(formats.equity_daily_path(folder, INDEX_TICKER), market.spy)
    formats.write_factor_file(formats.factor_file_path(folder, INDEX_TICKER), market.spy_factors)
    ticker = INDEX_TICKER.lower()
    spy_map = pd.DataFrame(
        {"ticker": [ticker, ticker], "exchange": ["P", "P"]},
        index=pd.DatetimeIndex([market.dates[0], NEVER], name="date"),
    )
    formats.write_map_file(formats.map_file_path(folder, INDEX_TICKER), spy_map)

