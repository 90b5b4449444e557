"""Daily data files read into subscriptions: US equities through their map and factor files
(adjusted per the normalization mode), indices and forex pairs, the coarse universe rows; the
warning that names a missing file and the command that builds it; LEAN's ``SecurityIdentifier``
string of a subscribed symbol."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.data.check import require_usable_bars
from lean_local.data.map_files import MapFile, MapFileResolver, load_resolver, read_bars
from lean_local.engine.common import DataNormalizationMode, SecurityType, Symbol
from lean_local.engine.parsed_cache import cache_dir, cached_read, existing_stat, map_record, save_record
from lean_local.engine.subscription_data import (
    NEW_YORK,
    QUOTE_FIELDS,
    TRADE_FIELDS,
    SubscriptionData,
    empty_subscription,
)

log = logging.getLogger("lean_local.engine")

# The command that builds each kind of file a subscription may lack, named in its warning.
BUILD_COMMANDS = {
    "equity": "`lean-local data csv <file>` (your own bars) or `lean-local data lean-sample` (LEAN's sample)",
    "index": "`lean-local data lean-sample` (LEAN's sample)",
    "VIX": "`lean-local data vix`",
    "forex": "`lean-local data ecb-fx --pairs {ticker}`",
    "coarse": "`lean-local data coarse <folder with daily, factor and map files>` or `lean-local data synthetic`",
}


def warn_missing_file(path: Path, ticker: str, kind: str, level: int = logging.WARNING) -> None:
    """One line at ``level``: the missing file, the symbol it is for, and the command that builds it."""
    command = BUILD_COMMANDS["VIX" if (kind, ticker) == ("index", "VIX") else kind]
    log.log(level, "no data file %s for %s (the subscription gets no data): build it with %s",
            path, ticker, command.format(ticker=ticker))


def warn_missing_coarse(folder: Path, first: date, last: date) -> None:
    """One line: a fundamental universe finds no coarse file of its days, so it selects nothing."""
    log.warning("no coarse universe file in %s from %s to %s (the universe selects nothing): build them with %s",
                folder, first, last, BUILD_COMMANDS["coarse"])


def _local_ns(utc_index: pd.DatetimeIndex) -> np.ndarray:
    """UTC wall times -> naive New York wall times, as int64 nanoseconds."""
    return utc_index.tz_localize("UTC").tz_convert(NEW_YORK).tz_localize(None).asi8


def read_equity_bars(path: Path) -> pd.DataFrame:
    """An equity zip's bars, refused (``DataFormatError``) when empty or a price is zero or negative."""
    return require_usable_bars(path, formats.read_equity_daily(path))


def read_index_bars(path: Path) -> pd.DataFrame:
    """An index zip's bars, refused when empty or a price is zero or negative."""
    return require_usable_bars(path, formats.read_index_daily(path))


def read_forex_bars(path: Path) -> pd.DataFrame:
    """A forex zip's bid and ask bars, refused when empty or a price is zero or negative."""
    return require_usable_bars(path, formats.read_forex_daily(path))


def map_file_resolver(data_folder: Path, market: str = "usa") -> MapFileResolver:
    """The data folder's map-file index of ``market``'s equities: built once per process, its rows
    cached on disk."""
    return load_resolver(data_folder, cache_dir(), market)


def load_equity(data_folder: Path, symbol: Symbol, normalization: DataNormalizationMode,
                session_times: Callable[[pd.DatetimeIndex], tuple[np.ndarray, np.ndarray]],
                calendar_key: str = "", warn_missing: bool = True) -> SubscriptionData:
    """Read an equity's daily bars (of its market's folder) through its map file, adjust them, and
    time-stamp them.

    ``session_times(dates)`` gives the market open and close (int64 ns, New York) of each date;
    ``calendar_key`` identifies that calendar for the on-disk cache of the finished columns.
    A missing data file yields no data, as LEAN, with a warning when ``warn_missing``.
    """
    # LEAN's Symbol.Create resolves the ticker through all map files; each row's bars come from the
    # zip of the ticker of its day, the factors from the file named as the map file
    market = symbol.market
    folder = cache_dir()
    map_file = load_resolver(data_folder, folder, market).resolve(symbol.value) or MapFile.unmapped(symbol.value)
    delisted = map_file.delisted
    # the files' paths as text joined to their folders' (formats' paths, each a pathlib parse, cost
    # more than the record's read); the factor file's stat answers whether it exists too
    map_folder, daily_folder, factor_folder = _equity_folders(os.fspath(data_folder), market)
    factor_path = f"{factor_folder}/{map_file.permtick.lower()}.csv"
    factor_stat = existing_stat(factor_path) if normalization != DataNormalizationMode.RAW else None
    use_factors = factor_stat is not None
    # the zips of the map file's tickers (its segments' tickers, in order; the permtick's without rows)
    sources = [f"{map_folder}/{map_file.permtick.lower()}.csv"] + [
        f"{daily_folder}/{t.lower()}.zip" for t in dict.fromkeys(map_file.tickers or [map_file.permtick])]
    target = None
    if folder is not None and calendar_key:
        stats = [f"{p}:{st.st_size}:{st.st_mtime_ns}" for p in sources if (st := _stat(p)) is not None]
        if factor_stat is not None:
            stats.append(f"{factor_path}:{factor_stat.st_size}:{factor_stat.st_mtime_ns}")
        key = f"equity-v3|{market}|{symbol.value}|{int(normalization)}|{calendar_key}|" + "|".join(stats)
        # the record's path as text (a pathlib join and its parse cost more than the record's key)
        target = os.path.join(folder, f"{hashlib.sha1(key.encode()).hexdigest()}.npy")
        try:  # a missing record raises OSError: the bars are read and the record written below
            return equity_from_record(symbol, target, delisted)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    data_folder = Path(data_folder)
    frame = read_bars(data_folder, map_file.segments(), functools.partial(cached_read, read_equity_bars), market)
    if frame is None:
        warn_missing_file(formats.equity_daily_path(data_folder, symbol.value, market), symbol.value, "equity",
                          logging.WARNING if warn_missing else logging.DEBUG)
        return empty_subscription(symbol, "trade")
    factors = np.ones(len(frame))
    if use_factors:
        factors = formats.adjustment_factors(cached_read(formats.read_factor_file, Path(factor_path)), frame.index)
    fields = {name: frame[name].to_numpy(dtype=np.float64) * factors for name in TRADE_FIELDS if name != "volume"}
    # LEAN scales an adjusted bar's volume by the inverse factor, rounded half to even (``Extensions.Scale``)
    fields["volume"] = np.round(frame["volume"].to_numpy(dtype=np.float64) / factors)
    opens, closes = session_times(pd.DatetimeIndex(frame.index))
    data = SubscriptionData(symbol, "trade", opens, closes, fields, factors, delisted)
    if target is not None:
        save_record(target, np.concatenate([opens.view(np.float64), closes.view(np.float64), factors,
                                            data.ohlcv.ravel()]))
        data.record = target
    return data


def equity_from_record(symbol: Symbol, target: str | Path, delisted: pd.Timestamp | None) -> SubscriptionData:
    """An equity's subscription from the parsed-data cache's record of its finished columns
    (:func:`load_equity` writes it); raises ``OSError``, ``ValueError``, ``KeyError`` or ``TypeError``
    when it cannot be read.

    The record is one float64 array of ``8 x bars`` values: the bars' start and end (int64 ns, their
    bits), their factor, then the (bars x 5) open..volume block, so every column is a view of the one
    array (the fields of a record array each needed a copy: 5 strided columns stacked, 3 made
    contiguous): the record's file mapped read-only (:func:`~lean_local.engine.parsed_cache.map_record`)."""
    stored = map_record(target)
    if stored.dtype != np.float64 or len(stored) % 8:
        raise ValueError(f"{target}: not an equity record")
    n = len(stored) // 8
    return SubscriptionData(symbol, "trade", stored[:n].view(np.int64), stored[n:2 * n].view(np.int64), {},
                            stored[2 * n:3 * n], delisted, record=target, ohlcv=stored[3 * n:].reshape(n, 5))


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


@functools.lru_cache(maxsize=16)
def _equity_folders(data_folder: str, market: str) -> tuple[str, str, str]:
    """The market's map-file, daily-bar and factor-file folders as text (``formats``' paths)."""
    return (os.fspath(formats.map_files_folder(data_folder, market)),
            os.fspath(formats.equity_daily_path(data_folder, "_", market).parent),
            os.fspath(formats.factor_file_path(data_folder, "_", market).parent))


def load_index(data_folder: Path, symbol: Symbol,
               session_times: Callable[[pd.DatetimeIndex], tuple[np.ndarray, np.ndarray]],
               fill_forward: bool = False) -> SubscriptionData:
    """Read an index's daily bars (real prices), timed by the index's own session (VIX: 09:30-16:15
    New York, from CBOE's Chicago hours); ``fill_forward``: filled forward over the index's trading
    days without a bar (LEAN's ``AddIndex`` default)."""
    path = formats.index_daily_path(data_folder, symbol.value)
    if not path.exists():
        warn_missing_file(path, symbol.value, "index")
        return empty_subscription(symbol, "trade")
    frame = cached_read(read_index_bars, path)
    fields = {name: frame[name].to_numpy(dtype=np.float64) for name in TRADE_FIELDS}
    opens, closes = session_times(pd.DatetimeIndex(frame.index))
    return SubscriptionData(symbol, "trade", opens, closes, fields, np.ones(len(frame)), fill_forward=fill_forward)


def load_forex(data_folder: Path, symbol: Symbol) -> SubscriptionData:
    """Read a forex pair's daily quote bars (UTC days) and convert their times to New York."""
    path = formats.forex_daily_path(data_folder, symbol.value, symbol.market)
    if not path.exists():
        warn_missing_file(path, symbol.value, "forex")
        return empty_subscription(symbol, "quote")
    frame = cached_read(read_forex_bars, path)
    days = pd.DatetimeIndex(frame.index).normalize()
    fields = {name: frame[name].to_numpy(dtype=np.float64) for name in QUOTE_FIELDS}
    for part in ("open", "high", "low", "close"):
        fields[part] = (fields[f"bid_{part}"] + fields[f"ask_{part}"]) / 2.0
    fields["volume"] = np.zeros(len(frame))
    return SubscriptionData(symbol, "quote", _local_ns(days), _local_ns(days + pd.Timedelta(days=1)), fields,
                            np.ones(len(frame)), fill_forward=False)


def load_coarse_range(data_folder: Path, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """All coarse universe rows with file dates in ``[start, end]`` (long format, ``date`` column)."""
    return formats.read_coarse_range(data_folder, start, end)


_MARKET_CODES = {"usa": 1, "fxcm": 2, "oanda": 3, "india": 11}
_OA_EPOCH_NS = pd.Timestamp("1899-12-30").value
_NS_PER_DAY = 86_400 * 10**9
_DAYS_OFFSET = 10**14  # LEAN SecurityIdentifier: days field offset
_MARKET_OFFSET = 100


def _base36(value: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
    return out or "0"


def security_identifier(data_folder: Path, symbol: Symbol) -> str:
    """LEAN's ``SecurityIdentifier`` string (``"SPY R735QTJ8XC9X"``) for an equity, forex or index.

    Equities take the first ticker and date of their map file (LEAN's ``GenerateEquity``); other
    types, and equities without a map file, use LEAN's default date (OLE automation day 0).
    """
    return security_identifiers(data_folder, [symbol])[0]


def security_identifiers(data_folder: Path, symbols: Iterable[Symbol]) -> list[str]:
    """:func:`security_identifier` of each of ``symbols``, each market's map files looked up once (a
    look-up checks the folder on disk: a run's record names every security of the run)."""
    resolvers: dict[str, MapFileResolver] = {}
    identifiers = []
    for symbol in symbols:
        ticker, first = symbol.value, None
        if symbol.security_type == SecurityType.EQUITY:
            market = symbol.market
            resolver = resolvers.get(market)
            if resolver is None:
                resolver = resolvers[market] = map_file_resolver(data_folder, market)
            map_file = resolver.resolve(symbol.value)
            if map_file is not None:  # the listing date's nanoseconds (a Timestamp each cost more than the rest)
                ticker, first = map_file.first_ticker, int(map_file.dates.asi8[0])
        days = (first - _OA_EPOCH_NS) // _NS_PER_DAY if first is not None else 0
        properties = days * _DAYS_OFFSET + _MARKET_CODES.get(symbol.market, 0) * _MARKET_OFFSET + int(symbol.security_type)
        identifiers.append(f"{ticker} {_base36(properties)}")
    return identifiers
