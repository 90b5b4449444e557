"""Subscriptions read once into columnar numpy arrays, and the clock that steps across them.

Every subscription's bars live in a few float64 arrays (no Python object per bar); the
:class:`FeedPanel` aligns all subscriptions on one sorted time grid (naive New York datetimes, the
algorithm's time zone) and answers, per time step and subscription, which bar is current and
whether the subscription emits data at that step (a real bar or a fill-forward copy).

Bar times (reference section 5, LEAN's ``daily_precise_end_time``):

* equity day D: ``time`` = D's market open, ``end_time`` = D's market close (New York);
* forex (Oanda) bar labelled D, a UTC day: ``time`` = D 00:00 UTC, ``end_time`` = D+1 00:00 UTC,
  converted to New York;
* index day D: 09:30 to 16:15 New York (CBOE hours, America/Chicago 08:30-15:15);
* custom data: the ``time`` and ``end_time`` its reader gives (New York), e.g. CBOE's day D:
  D 00:00 to D+1 00:00.

A bar is only visible to the algorithm once the clock reaches its ``end_time``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.atomic import atomic_write
from lean_local.data import formats
from lean_local.data.check import require_usable_bars
from lean_local.data.map_files import MapFile, MapFileResolver, load_resolver, read_bars
from lean_local.engine.common import DataNormalizationMode, SecurityType, Symbol

log = logging.getLogger("lean_local.engine")

NS_PER_DAY = 86_400 * 10**9

# The command that builds each kind of file a subscription may lack, named in its warning.
BUILD_COMMANDS = {
    "equity": "`lean-local data csv <file>` (your own bars) or `lean-local data lean-sample` (LEAN's sample)",
    "index": "`lean-local data lean-sample` (LEAN's sample)",
    "VIX": "`lean-local data vix`",
    "forex": "`lean-local data ecb-fx --pairs {ticker}`",
}


def warn_missing_file(path: Path, ticker: str, kind: str, level: int = logging.WARNING) -> None:
    """One line at ``level``: the missing file, the symbol it is for, and the command that builds it."""
    command = BUILD_COMMANDS["VIX" if (kind, ticker) == ("index", "VIX") else kind]
    log.log(level, "no data file %s for %s (the subscription gets no data): build it with %s",
            path, ticker, command.format(ticker=ticker))
NEW_YORK = "America/New_York"

TRADE_FIELDS = ("open", "high", "low", "close", "volume")
QUOTE_FIELDS = ("bid_open", "bid_high", "bid_low", "bid_close", "bid_size",
                "ask_open", "ask_high", "ask_low", "ask_close", "ask_size")


@dataclass
class SubscriptionData:
    """One subscription's bars as columns.

    ``time`` and ``end_time`` are int64 nanoseconds of naive New York datetimes. ``fields`` holds
    float64 columns: ``open, high, low, close, volume`` for every kind (for quote bars they are the
    bid/ask midpoints and volume 0, as LEAN's ``QuoteBar``), plus the ten bid/ask columns for quote
    bars and ``value`` for custom data. Equity prices are already adjusted per ``normalization``.
    ``factor`` keeps the adjustment factor of each bar (1 in RAW mode), ``delisted`` the delisting
    date from the map file (None while listed).
    """

    symbol: Symbol
    kind: str  # "trade", "quote" or "custom"
    time: np.ndarray
    end_time: np.ndarray
    fields: dict[str, np.ndarray]
    factor: np.ndarray
    delisted: pd.Timestamp | None = None
    fill_forward: bool = True
    emit_times: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    points: list | None = None  # custom data: the reader's objects, one per bar
    quotes: SubscriptionData | None = None  # minute equities: the quote bars beside the trade bars

    def __post_init__(self) -> None:
        # open..volume as the columns of one (bars x 5) array: a slice reads a bar's five values with
        # one ``ohlcv[i].tolist()``; the fields become views of it, so nothing is stored twice
        self.ohlcv = np.column_stack([np.asarray(self.fields[name], dtype=np.float64) for name in TRADE_FIELDS]) \
            if len(self.end_time) else np.empty((0, 5))
        for k, name in enumerate(TRADE_FIELDS):
            self.fields[name] = self.ohlcv[:, k]

    def __len__(self) -> int:
        return len(self.end_time)


def _cache_dir() -> Path | None:
    """Where parsed data files are kept between runs: ``LEAN_LOCAL_CACHE`` (empty or ``0``
    disables), else ``~/.cache/lean_local/parsed``."""
    value = os.environ.get("LEAN_LOCAL_CACHE")
    if value is not None and value.strip() in ("", "0"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "lean_local" / "parsed"


def cached_read(reader: Callable[[Path], pd.DataFrame], path: Path) -> pd.DataFrame:
    """``reader(path)``, memoized on disk by the file's path, size and modification time.

    Parsing LEAN's zips and csv files costs tens of milliseconds a file; a run over hundreds of
    symbols reads the parsed columns back from one ``.npy`` record array per file instead (no
    pickle). Only files that parsed without error are cached, so validation
    (``DataFormatError``) still happens on every change of a file.
    """
    folder = _cache_dir()
    if folder is None:
        return reader(path)
    stat = os.stat(path)
    key = f"{reader.__name__}|{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
    target = folder / f"{hashlib.sha1(key.encode()).hexdigest()}.npy"
    if target.exists():
        try:
            stored = np.load(target, allow_pickle=False)
            names = [n for n in stored.dtype.names if n != "__index__"]
            return pd.DataFrame({n: stored[n] for n in names},
                                index=pd.DatetimeIndex(stored["__index__"].view("datetime64[ns]"), name="date"))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable cache entry: parse again and overwrite it
    frame = reader(path)
    try:
        fields = [("__index__", "i8")]
        for name in frame.columns:
            column = frame[name]
            if column.dtype == object:
                width = max(1, int(column.astype(str).str.len().max() or 1))
                fields.append((str(name), f"U{width}"))
            else:
                fields.append((str(name), column.dtype.str))
        record = np.empty(len(frame), dtype=fields)
        record["__index__"] = pd.DatetimeIndex(frame.index).asi8
        for name in frame.columns:
            record[str(name)] = frame[name].to_numpy()
    except (ValueError, TypeError) as error:
        log.debug("parsed-data cache not written (%s)", error)
        return frame
    _save(target, record)
    return frame


_EPOCH = datetime(1970, 1, 1)


def ns_to_datetime(ns: int) -> datetime:
    """int64 nanoseconds since the epoch -> naive datetime (microsecond precision)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _empty(symbol: Symbol, kind: str) -> SubscriptionData:
    names = TRADE_FIELDS + (QUOTE_FIELDS if kind == "quote" else ()) + (("value",) if kind == "custom" else ())
    empty = np.empty(0, dtype=np.int64)
    return SubscriptionData(symbol, kind, empty, empty, {n: np.empty(0) for n in names}, np.empty(0))


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


def map_file_resolver(data_folder: Path) -> MapFileResolver:
    """The data folder's map-file index: built once per process, its rows cached on disk."""
    return load_resolver(data_folder, _cache_dir())


def load_equity(data_folder: Path, symbol: Symbol, normalization: DataNormalizationMode,
                session_times: Callable[[pd.DatetimeIndex], tuple[np.ndarray, np.ndarray]],
                calendar_key: str = "", warn_missing: bool = True) -> SubscriptionData:
    """Read a US equity's daily bars through its map file, adjust them, and time-stamp them.

    ``session_times(dates)`` gives the market open and close (int64 ns, New York) of each date;
    ``calendar_key`` identifies that calendar for the on-disk cache of the finished columns.
    A missing data file yields no data, as LEAN, with a warning when ``warn_missing``.
    """
    data_folder = Path(data_folder)
    # LEAN's Symbol.Create resolves the ticker through all map files; each row's bars come from the
    # zip of the ticker of its day, the factors from the file named as the map file
    map_file = map_file_resolver(data_folder).resolve(symbol.value) or MapFile.unmapped(symbol.value)
    segments, delisted = map_file.segments(), map_file.delisted
    factor_path = formats.factor_file_path(data_folder, map_file.permtick)
    use_factors = normalization != DataNormalizationMode.RAW and factor_path.exists()
    sources = [formats.map_file_path(data_folder, map_file.permtick)] + [
        formats.equity_daily_path(data_folder, t) for t in dict.fromkeys(t for _, _, t in segments)]
    if use_factors:
        sources.append(factor_path)
    folder = _cache_dir()
    target = None
    if folder is not None and calendar_key:
        stats = [f"{p}:{st.st_size}:{st.st_mtime_ns}" for p in sources if (st := _stat(p)) is not None]
        key = f"equity-v2|{symbol.value}|{int(normalization)}|{calendar_key}|" + "|".join(stats)
        target = folder / f"{hashlib.sha1(key.encode()).hexdigest()}.npy"
        if target.exists():
            try:
                stored = np.load(target, allow_pickle=False)
                fields = {n: np.ascontiguousarray(stored[n]) for n in TRADE_FIELDS}
                return SubscriptionData(symbol, "trade", np.ascontiguousarray(stored["time"]),
                                        np.ascontiguousarray(stored["end_time"]), fields,
                                        np.ascontiguousarray(stored["factor"]), delisted)
            except (OSError, ValueError, KeyError, TypeError):
                pass
    frame = read_bars(data_folder, segments, functools.partial(cached_read, read_equity_bars))
    if frame is None:
        warn_missing_file(formats.equity_daily_path(data_folder, symbol.value), symbol.value, "equity",
                          logging.WARNING if warn_missing else logging.DEBUG)
        return _empty(symbol, "trade")
    factors = np.ones(len(frame))
    if use_factors:
        factors = formats.adjustment_factors(cached_read(formats.read_factor_file, factor_path), frame.index)
    fields = {name: frame[name].to_numpy(dtype=np.float64) * factors for name in TRADE_FIELDS if name != "volume"}
    # LEAN scales an adjusted bar's volume by the inverse factor, rounded half to even (``Extensions.Scale``)
    fields["volume"] = np.round(frame["volume"].to_numpy(dtype=np.float64) / factors)
    opens, closes = session_times(pd.DatetimeIndex(frame.index))
    data = SubscriptionData(symbol, "trade", opens, closes, fields, factors, delisted)
    if target is not None:
        record = np.empty(len(frame), dtype=[("time", "i8"), ("end_time", "i8"), ("factor", "f8")]
                          + [(n, "f8") for n in TRADE_FIELDS])
        record["time"], record["end_time"], record["factor"] = opens, closes, factors
        for name in TRADE_FIELDS:
            record[name] = fields[name]
        _save(target, record)
    return data


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _save(target: Path, record: np.ndarray) -> None:
    try:
        with atomic_write(target, suffix=".npy") as tmp:
            np.save(tmp, record, allow_pickle=False)
    except OSError as error:
        log.debug("parsed-data cache not written (%s)", error)


def load_index(data_folder: Path, symbol: Symbol,
               session_times: Callable[[pd.DatetimeIndex], tuple[np.ndarray, np.ndarray]]) -> SubscriptionData:
    """Read an index's daily bars (real prices), timed by the index's own session (VIX: 09:30-16:15
    New York, from CBOE's Chicago hours)."""
    path = formats.index_daily_path(data_folder, symbol.value)
    if not path.exists():
        warn_missing_file(path, symbol.value, "index")
        return _empty(symbol, "trade")
    frame = cached_read(read_index_bars, path)
    fields = {name: frame[name].to_numpy(dtype=np.float64) for name in TRADE_FIELDS}
    opens, closes = session_times(pd.DatetimeIndex(frame.index))
    return SubscriptionData(symbol, "trade", opens, closes, fields, np.ones(len(frame)), fill_forward=False)


def load_forex(data_folder: Path, symbol: Symbol) -> SubscriptionData:
    """Read a forex pair's daily quote bars (UTC days) and convert their times to New York."""
    path = formats.forex_daily_path(data_folder, symbol.value, symbol.market)
    if not path.exists():
        warn_missing_file(path, symbol.value, "forex")
        return _empty(symbol, "quote")
    frame = cached_read(read_forex_bars, path)
    days = pd.DatetimeIndex(frame.index).normalize()
    fields = {name: frame[name].to_numpy(dtype=np.float64) for name in QUOTE_FIELDS}
    for part in ("open", "high", "low", "close"):
        fields[part] = (fields[f"bid_{part}"] + fields[f"ask_{part}"]) / 2.0
    fields["volume"] = np.zeros(len(frame))
    return SubscriptionData(symbol, "quote", _local_ns(days), _local_ns(days + pd.Timedelta(days=1)), fields,
                            np.ones(len(frame)), fill_forward=False)


def custom_subscription(symbol: Symbol, points: list, time: np.ndarray, end_time: np.ndarray,
                        prices: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                        fill_forward: bool) -> SubscriptionData:
    """A custom data subscription from its reader's points: ``prices`` are the open, high, low and
    close the security sees (a bar's own, else the point's price four times); ``value`` is the close."""
    fields = {name: np.asarray(column, dtype=np.float64) for name, column in zip(("open", "high", "low", "close"),
                                                                                 prices, strict=True)}
    fields["volume"] = np.zeros(len(points))
    fields["value"] = fields["close"]
    return SubscriptionData(symbol, "custom", time, end_time, fields, np.ones(len(points)), fill_forward=fill_forward,
                            points=points)


class BarView:
    """One bar read from a subscription's columns on access."""

    __slots__ = ("_sub", "_i", "is_fill_forward", "_end", "_time", "_end_time")

    def __init__(self, sub: SubscriptionData, i: int, is_fill_forward: bool = False, end_ns: int | None = None) -> None:
        self._sub = sub
        self._i = i
        self.is_fill_forward = is_fill_forward
        self._end = end_ns
        self._time: datetime | None = None
        self._end_time: datetime | None = None

    def _f(self, name: str) -> float:
        return float(self._sub.fields[name][self._i])

    open = property(lambda self: self._f("open"))
    high = property(lambda self: self._f("high"))
    low = property(lambda self: self._f("low"))
    close = property(lambda self: self._f("close"))
    # LEAN's TradeBar.Clone(fillForward: true) zeroes the volume of a fill-forward copy
    volume = property(lambda self: 0.0 if self.is_fill_forward else self._f("volume"))

    @property
    def time(self) -> datetime:
        if self._time is None:
            start = int(self._sub.time[self._i])
            if self._end is not None:  # fill-forward copies move in time, as LEAN's cloned bars
                start += self._end - int(self._sub.end_time[self._i])
            self._time = ns_to_datetime(start)
        return self._time

    @property
    def end_time(self) -> datetime:
        if self._end_time is None:
            self._end_time = ns_to_datetime(self._end if self._end is not None else int(self._sub.end_time[self._i]))
        return self._end_time

    @property
    def bid(self) -> _Side:
        return _Side(self._sub, self._i, "bid")

    @property
    def ask(self) -> _Side:
        return _Side(self._sub, self._i, "ask")


class _Side:
    __slots__ = ("_sub", "_i", "_p")

    def __init__(self, sub: SubscriptionData, i: int, prefix: str) -> None:
        self._sub, self._i, self._p = sub, i, prefix

    open = property(lambda self: float(self._sub.fields[f"{self._p}_open"][self._i]))
    high = property(lambda self: float(self._sub.fields[f"{self._p}_high"][self._i]))
    low = property(lambda self: float(self._sub.fields[f"{self._p}_low"][self._i]))
    close = property(lambda self: float(self._sub.fields[f"{self._p}_close"][self._i]))


class FeedPanel:
    """All subscriptions aligned on one time grid, one window of steps at a time.

    Attributes
    ----------
    grid : np.ndarray
        int64 ns, all time steps (sorted, naive New York).
    base : int
        The first step of the window the arrays below hold (``WINDOW`` steps): they are aligned
        again when the clock leaves the window, so memory does not grow with the number of days.
    current : np.ndarray
        int32 (window steps x columns): index of the latest visible bar with
        ``end_time <= grid[step]``, -1 before the first one. A bar is visible when it ends at or
        after the moment the subscription joined the run (``visible_from``): data from before a
        subscription existed is never delivered, so prices start at 0 as in LEAN.
    emit : np.ndarray
        int8 (window steps x columns): 2 a real bar ends at this step, 1 a fill-forward copy of the
        current bar is emitted, 0 nothing.
    close : np.ndarray
        float64 (window steps x columns): the current bar's close (0 before the first bar), for
        vectorized prices and portfolio values.
    frozen : dict
        column -> ``(first_step, end_step, bar_index)``: a removed subscription keeps the bar it had
        and emits nothing over steps ``first_step <= step < end_step``.
    """

    WINDOW = 512

    def __init__(self) -> None:
        self.subs: list[SubscriptionData] = []
        self.visible_from: list[int] = []
        self.frozen: dict[int, tuple[int, int, int]] = {}
        self.extra_times = np.empty(0, dtype=np.int64)
        self.grid = np.empty(0, dtype=np.int64)
        self.base = 0
        self.current = np.empty((0, 0), dtype=np.int32)
        self.emit = np.empty((0, 0), dtype=np.int8)
        self.close = np.empty((0, 0), dtype=np.float64)
        self._capacity = 0
        self.end_ns = 0
        #: column -> (first step, seeding time ns, price): a seeded price shown until a newer bar
        self.seeds: dict[int, tuple[int, int, float]] = {}

    def add_times(self, times: np.ndarray) -> None:
        """Extra clock steps that carry no data (universe selection times)."""
        self.extra_times = np.union1d(self.extra_times, np.asarray(times, dtype=np.int64))

    def add(self, sub: SubscriptionData, visible_from: int) -> int:
        """Register a subscription; returns its column (aligned by :meth:`build` or :meth:`attach`)."""
        self.subs.append(sub)
        self.visible_from.append(int(visible_from))
        return len(self.subs) - 1

    def build(self, start_ns: int, end_ns: int, keep_until: int = -1) -> None:
        """(Re)build the grid over ``[start_ns, end_ns]`` and align every subscription on it.

        ``keep_until`` keeps the grid's first steps (those already run) unchanged; the window then
        starts at that step.
        """
        parts = [self.extra_times] + [s.emit_times for s in self.subs]
        grid = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        grid = grid[(grid >= start_ns) & (grid <= end_ns)]
        self.end_ns = end_ns
        if keep_until >= 0:
            past = self.grid[: keep_until + 1]
            grid = np.concatenate([past, grid[grid > past[-1]]]) if len(past) else grid
        self.grid = grid
        self._capacity = max(8, 2 * len(self.subs))
        self._realign(max(keep_until, 0))

    def _realign(self, base: int) -> None:
        """Align every subscription over the window that starts at step ``base``."""
        self.base = base
        rows = max(0, min(self.WINDOW, len(self.grid) - base))
        self.current = np.full((rows, self._capacity), -1, dtype=np.int32)
        self.emit = np.zeros((rows, self._capacity), dtype=np.int8)
        self.close = np.zeros((rows, self._capacity), dtype=np.float64)
        for column in range(len(self.subs)):
            self._align(column, base)

    def row(self, step: int) -> int:
        """The window row of ``step``, moving the window there when the step lies outside it."""
        if not self.base <= step < self.base + len(self.current):
            self._realign(step)
        return step - self.base

    def attach(self, column: int, from_step: int) -> bool:
        """Align a subscription added (or resumed) during the run from ``from_step`` on.

        Returns False when its future emission times are not all on the grid (rebuild instead).
        """
        sub = self.subs[column]
        lo = self.grid[from_step] if from_step < len(self.grid) else (self.grid[-1] + 1 if len(self.grid) else 0)
        future = sub.emit_times[(sub.emit_times >= lo) & (sub.emit_times <= self.end_ns)]
        if len(future) and not np.isin(future, self.grid[from_step:]).all():
            return False
        if column >= self._capacity:
            grow = max(self._capacity * 2, column + 1)
            for name, fill in (("current", -1), ("emit", 0), ("close", 0.0)):
                old = getattr(self, name)
                new = np.full((old.shape[0], grow), fill, dtype=old.dtype)
                new[:, : old.shape[1]] = old
                setattr(self, name, new)
            self._capacity = grow
        self._align(column, from_step)
        return True

    def freeze(self, column: int, step: int) -> None:
        """Stop a subscription after ``step``: it keeps its current bar and emits nothing."""
        here = self.row(max(step, 0))
        # no end step until thawed: a rebuild may add steps to the grid
        self.frozen[column] = (step + 1, 2**62, int(self.current[here, column]))
        self._align(column, step + 1)

    def thaw(self, column: int, step: int) -> None:
        """End a freeze after ``step`` (the subscription resumes from the next step)."""
        if column in self.frozen:
            first, _, index = self.frozen[column]
            self.frozen[column] = (first, step + 1, index)

    def _align(self, column: int, from_step: int) -> None:
        lo = max(from_step, self.base)
        hi = self.base + len(self.current)
        sub = self.subs[column]
        if lo >= hi:
            return
        rows = slice(lo - self.base, hi - self.base)
        grid = self.grid[lo:hi]
        current = np.full(len(grid), -1, dtype=np.int64)
        if len(sub):
            first_visible = np.searchsorted(sub.end_time, self.visible_from[column], side="left")
            current = np.searchsorted(sub.end_time, grid, side="right") - 1
            current[current < first_visible] = -1
        held = np.zeros(len(grid), dtype=bool)
        if column in self.frozen:
            first, end, index = self.frozen[column]
            steps = np.arange(lo, hi)
            held = (steps >= first) & (steps < end)
            current[held] = index
        valid = current >= 0
        closes = np.zeros(len(grid))
        closes[valid] = sub.fields["close"][current[valid]]
        if column in self.seeds:
            # the seed shows until a bar newer than the seeding moment (a re-added security's older
            # bar is stale: LEAN made it a new security)
            first, seeded_at, price = self.seeds[column]
            stale = ~valid
            stale[valid] = sub.end_time[current[valid]] <= seeded_at
            closes[stale & (np.arange(lo, hi) >= first)] = price
        real = np.zeros(len(grid), dtype=bool)
        real[valid] = sub.end_time[current[valid]] == grid[valid]
        # emit_times is sorted: a binary search gives np.isin's answer without its sort
        where = np.minimum(np.searchsorted(sub.emit_times, grid), max(len(sub.emit_times) - 1, 0))
        emits = (sub.emit_times[where] == grid if len(sub.emit_times) else np.zeros(len(grid), dtype=bool)) & valid
        self.current[rows, column] = current
        self.close[rows, column] = closes
        self.emit[rows, column] = np.where(held, 0, np.where(real, 2, np.where(emits, 1, 0)))


class Clock:
    """The algorithm's current time (naive New York)."""

    def __init__(self) -> None:
        self.time = datetime(1900, 1, 1)


class DataFeed:
    """The running feed: the panel, the current step, and the bar each security last received."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.panel = FeedPanel()
        self.step = -1
        self.started = False
        self._last_end = np.zeros(0, dtype=np.int64)
        self._end_ns = 0
        self.delisted: set[int] = set()
        # the current step's closes (Python floats) and bars, read several times per order; reset by
        # _forget_current whenever the step or the panel changes
        self._close_row: list[float] | None = None
        self._bars: dict[int, BarView | None] = {}

    def _forget_current(self) -> None:
        self._close_row = None
        self._bars = {}

    @property
    def subs(self) -> list[SubscriptionData]:
        return self.panel.subs

    def add(self, sub: SubscriptionData, visible_from: int, from_current: bool = False) -> int:
        """Register a subscription; during the run it emits from the next step, or from the current
        one when ``from_current`` (a universe's addition: LEAN delivers the data that ends at the
        selection's frontier in the same time slice)."""
        column = self.panel.add(sub, visible_from)
        self._forget_current()
        if self.started:
            last = _last_custom_end([sub])
            if last > self._end_ns:  # custom data that ends after the end date: the clock goes on to it
                self._end_ns = last
                self.panel.build(int(self.panel.grid[0]), self._end_ns, keep_until=self.step)
            elif not self.panel.attach(column, self.step if from_current else self.step + 1):
                self.panel.build(int(self.panel.grid[0]), self._end_ns, keep_until=self.step)
        self._grow_last_end()
        return column

    def remove(self, column: int, drop_current: bool = False) -> None:
        """Stop a subscription after the current step; the security keeps its last price. With
        ``drop_current`` (a universe removed it at this step's selection) its data of this step is
        dropped too: LEAN's time slice skips the packets of removed subscriptions."""
        self._forget_current()
        if drop_current and self.step > 0:
            self.panel.freeze(column, self.step - 1)
        else:
            self.panel.freeze(column, self.step)

    def reattach(self, column: int, from_current: bool = False) -> None:
        """Resume a removed subscription from the next step (bars ending after now), or from this
        step (bars ending now too) when ``from_current`` (see :meth:`add`)."""
        first = self.step if from_current else self.step + 1
        self.panel.visible_from[column] = self.now_ns + (0 if from_current else 1)
        self._forget_current()
        self.panel.thaw(column, first - 1)
        if not self.panel.attach(column, first):
            self.panel.build(int(self.panel.grid[0]), self._end_ns, keep_until=self.step)

    def _grow_last_end(self) -> None:
        if len(self._last_end) < len(self.panel.subs):
            grown = np.zeros(max(16, 2 * len(self.panel.subs)), dtype=np.int64)
            grown[: len(self._last_end)] = self._last_end
            self._last_end = grown

    def start(self, start_ns: int, end_ns: int) -> None:
        """Build the clock from ``start_ns`` to ``end_ns``, or to the end of a custom data point that
        started by ``end_ns`` and ends after it (LEAN's reader emits it; the clock reaches it)."""
        end_ns = max(end_ns, _last_custom_end(self.subs))
        self._end_ns = end_ns
        self.panel.build(start_ns, end_ns)
        self._forget_current()
        self.started = True
        self._grow_last_end()

    def advance(self) -> bool:
        """Move to the next time step; False at the end of the grid."""
        if self.step + 1 >= len(self.panel.grid):
            return False
        self.step += 1
        self._forget_current()
        now = int(self.panel.grid[self.step])
        self.clock.time = ns_to_datetime(now)
        self._last_end[: len(self.panel.subs)][self.emitted_mask()] = now
        return True

    @property
    def now_ns(self) -> int:
        return int(self.panel.grid[self.step])

    def emitted_mask(self) -> np.ndarray:
        """Per column: does it have data (a real bar or a fill-forward copy) at the current step?"""
        row = self.panel.row(self.step)  # first: moving the window replaces the arrays
        return self.panel.emit[row, : len(self.panel.subs)] > 0

    def emitted_columns(self) -> np.ndarray:
        """Columns with data (real or fill-forward) at the current step."""
        return np.flatnonzero(self.emitted_mask())

    def current_indices(self, columns: np.ndarray) -> list[int]:
        """Index of each column's current bar in its subscription (-1 before the first bar)."""
        if self.step < 0:
            return [-1] * len(columns)
        row = self.panel.row(self.step)
        return self.panel.current[row, columns].tolist()

    def current_bar(self, column: int) -> BarView | None:
        bars = self._bars
        if column in bars:
            return bars[column]
        bar = bars[column] = self._current_bar(column)
        return bar

    def _current_bar(self, column: int) -> BarView | None:
        if self.step < 0 or column >= len(self.panel.subs):
            return None
        row = self.panel.row(self.step)
        i = int(self.panel.current[row, column])
        if i < 0:
            return None
        sub = self.panel.subs[column]
        last = int(self._last_end[column])
        real_end = int(sub.end_time[i])
        if last > real_end:
            return BarView(sub, i, True, last)
        return BarView(sub, i)

    def current_close_volume(self, column: int) -> tuple[float, float] | None:
        """``(close, volume)`` of the column's current bar without building it (volume 0 for a
        fill-forward copy, as LEAN's fill-forward bars carry none); None before its first bar."""
        if self.step < 0 or column >= len(self.panel.subs):
            return None
        i = int(self.panel.current[self.panel.row(self.step), column])
        if i < 0:
            return None
        sub = self.panel.subs[column]
        fields = sub.fields
        forward = int(self._last_end[column]) > int(sub.end_time[i])
        volume = 0.0 if forward or "volume" not in fields else float(fields["volume"][i])
        return float(fields["close"][i]), volume

    def current_close(self, column: int) -> float:
        row = self._close_row
        if row is None:
            if self.step < 0:
                return 0.0
            step_row = self.panel.row(self.step)
            row = self._close_row = self.panel.close[step_row, : len(self.panel.subs)].tolist()
        return row[column] if column < len(row) else 0.0

    def current_closes(self, n: int) -> np.ndarray:
        if self.step < 0:
            return np.zeros(n)
        row = self.panel.row(self.step)
        return self.panel.close[row, :n]

    def is_delisted(self, column: int) -> bool:
        return column in self.delisted

    def seed(self, column: int, price: float) -> None:
        """Show ``price`` as the column's close from the current step until a bar newer than now
        arrives (a security seeder's ``SetMarketPrice``)."""
        step = max(self.step, 0)
        seeded_at = int(self.panel.grid[step]) if step < len(self.panel.grid) else 0
        self.panel.seeds[column] = (step, seeded_at, float(price))
        if self.started and column < self.panel.close.shape[1]:
            self.panel._align(column, step)
        self._forget_current()

    def is_seeded(self, column: int) -> bool:
        return column in self.panel.seeds


def _last_custom_end(subs: list[SubscriptionData]) -> int:
    """The latest end time of the custom data subscriptions' points (0 without any)."""
    ends = [int(sub.end_time[-1]) for sub in subs if sub.kind == "custom" and len(sub)]
    return max(ends, default=0)


def emission_times(sub: SubscriptionData, session_closes: np.ndarray | None, end_ns: int) -> np.ndarray:
    """The clock times at which a subscription shows up in a slice.

    Real bar end times, plus (when the subscription fills forward and exchange session closes are
    given) every session close from the first bar until the delisting date or ``end_ns``: LEAN fills
    daily data forward over missing trading days, but never before the first bar.
    """
    if len(sub) == 0:
        return np.empty(0, dtype=np.int64)
    if not sub.fill_forward or session_closes is None:
        return sub.end_time
    last = end_ns
    if sub.delisted is not None:
        last = min(last, int((sub.delisted + pd.Timedelta(days=1)).value) - 1)
    sessions = session_closes[(session_closes >= sub.end_time[0]) & (session_closes <= last)]
    return np.union1d(sub.end_time, sessions)


def history_rows(sub: SubscriptionData, session_closes: np.ndarray | None, end_ns: int, periods: int | None = None,
                 start_ns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a daily history request as LEAN returns them: each row's bar index and end time.

    Without ``session_closes`` (a subscription that does not fill forward) the rows are the real
    bars ending in the window. With them, LEAN's history fills forward as its feed does
    (``HistoryRequest.FillForwardResolution``): every session close in the window from the first
    real bar in it on (to the delisting date at most) is a row, a copy of the latest bar where the
    day has none. The window is the last ``periods`` sessions up to ``end_ns``
    (``Time.GetStartTimeForTradeBars``), or ``[start_ns, end_ns]``.
    """
    if session_closes is None or not sub.fill_forward:
        hi = int(np.searchsorted(sub.end_time, end_ns, side="right"))
        lo = max(0, hi - periods) if periods is not None else int(np.searchsorted(sub.end_time, start_ns, side="left"))
        rows = np.arange(lo, max(lo, hi))
        return rows, sub.end_time[rows]
    last = end_ns
    if sub.delisted is not None:
        last = min(last, int((sub.delisted + pd.Timedelta(days=1)).value) - 1)
    sessions = session_closes[: np.searchsorted(session_closes, last, side="right")]
    if periods is not None:
        sessions = sessions[max(0, len(sessions) - periods):]
        # the window opens after the session before the first one counted
        start_ns = int(sessions[0]) - NS_PER_DAY + 1 if len(sessions) else end_ns + 1
    else:
        sessions = sessions[np.searchsorted(sessions, start_ns, side="left"):]
    assert start_ns is not None
    lo = int(np.searchsorted(sub.end_time, start_ns, side="left"))
    hi = int(np.searchsorted(sub.end_time, end_ns, side="right"))
    if hi <= lo:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    real = sub.end_time[lo:hi]
    times = np.union1d(real, sessions[sessions >= real[0]])
    return np.searchsorted(sub.end_time, times, side="right") - 1, times


def load_coarse_range(data_folder: Path, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """All coarse universe rows with file dates in ``[start, end]`` (long format, ``date`` column)."""
    return formats.read_coarse_range(data_folder, start, end)


_MARKET_CODES = {"usa": 1, "fxcm": 2, "oanda": 3}
_OA_EPOCH = pd.Timestamp("1899-12-30")
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
    ticker, first = symbol.value, None
    if symbol.security_type == SecurityType.EQUITY:
        map_file = map_file_resolver(data_folder).resolve(symbol.value)
        if map_file is not None:
            ticker, first = map_file.first_ticker, map_file.first_date
    days = (first - _OA_EPOCH).days if first is not None else 0
    properties = days * _DAYS_OFFSET + _MARKET_CODES.get(symbol.market, 0) * _MARKET_OFFSET + int(symbol.security_type)
    return f"{ticker} {_base36(properties)}"
