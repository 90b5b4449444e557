"""Which map file holds a US equity's ticker history: LEAN's ``MapFileResolver``.

A map file (``equity/usa/map_files/<permtick>.csv``) is named by the security's latest ticker
and lists every ticker it traded under; each ticker's bars live in that ticker's own zip. LEAN
indexes all map files of the data folder once (``LocalDiskMapFileProvider``) and resolves

* a ticker as known on a date (``ResolveMapFile(ticker, date)``): among all map-file rows that
  name the ticker, the one with the earliest date on or after ``date`` (the last one when none
  is) tells the map file. ``add_equity("GOOG")`` resolves at today's date, so an old ticker finds
  the company that used it last, and a ticker taken over by another company finds the newcomer;
* a security identifier (the ``sid`` column of coarse files, ``"GOOG T1AZ164W5VTX"``): the first
  ticker and listing date packed in it resolve as above, so a security keeps its map file
  whatever it is called later.

:func:`load_resolver` builds the index once per process and data folder from
:func:`lean_local.data.formats.read_map_files` and, given a cache folder, keeps the finished index
there keyed by the name, size and modification time of every map file.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import marshal
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.atomic import atomic_write
from lean_local.data import formats

__all__ = ["MapFile", "MapFileResolver", "load_resolver", "read_bars"]

_NS_PER_DAY = 86_400 * 10**9
#: The first nanosecond of the far future's year: a map file's last row from then on is no delisting.
_FAR_YEAR_NS = pd.Timestamp(formats.FAR_FUTURE.year, 1, 1).value
#: LEAN's ``SecurityIdentifier.DefaultDate`` (OLE day 0): a security identifier without a listing date.
_DEFAULT_DATE = pd.Timestamp("1899-12-30")


class MapFile:
    """One map file: a security's tickers over time (LEAN's ``MapFile``).

    Attributes
    ----------
    permtick : str
        The file's name without ``.csv``, upper case (the latest ticker; ``"AAA.1"`` for an older
        company whose ticker was reused).
    dates : pd.DatetimeIndex
        The rows' dates, ascending: each row's ticker applies up to and including its date; the
        last date is the delisting date (2050-12-31 while listed).
    tickers : list of str
        The rows' tickers, upper case.
    delisted : pd.Timestamp or None
        The delisting date; None while listed (last row in 2050) or without rows.
    """

    __slots__ = ("permtick", "dates", "tickers", "delisted")

    def __init__(self, permtick: str, dates: pd.DatetimeIndex, tickers: list[str]) -> None:
        self.permtick = permtick
        self.dates = dates
        self.tickers = tickers
        # the last date's nanoseconds against the far future's year (a Timestamp of every file's last row cost more
        # than the rest of the file's look-up)
        last = int(dates.asi8[-1]) if len(tickers) else None
        self.delisted = None if last is None or last >= _FAR_YEAR_NS else pd.Timestamp(last)

    @classmethod
    def unmapped(cls, ticker: str) -> MapFile:
        """LEAN's empty map file, for a ticker no map file knows: its own zip holds all its bars."""
        return cls(ticker.upper(), pd.DatetimeIndex([]), [])

    def __len__(self) -> int:
        return len(self.tickers)

    @property
    def first_date(self) -> pd.Timestamp:
        """The listing date (the first row's)."""
        return self.dates[0]

    @property
    def first_ticker(self) -> str:
        """The ticker at listing, without a ``.1``-style suffix (LEAN's ``FirstTicker``)."""
        head, dot, number = self.tickers[0].rpartition(".")
        return head if dot and head and number.isdigit() else self.tickers[0]

    @property
    def sid(self) -> str:
        """LEAN's security identifier string (first ticker and listing date)."""
        return formats.equity_sid(self.first_ticker, self.first_date)

    def segments(self) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
        """``(first_date, last_date, ticker)`` of each row, both ends inclusive.

        The first segment starts at the listing date: bars of a zip before it belong to an older
        company that used the ticker. Without rows, the permtick's zip over all dates.
        """
        if not len(self):
            return [(pd.Timestamp.min, pd.Timestamp.max, self.permtick)]
        ends = self.dates.asi8.tolist()  # int64 ns: a Timestamp per row, without index arithmetic
        starts = [ends[0], *(end + _NS_PER_DAY for end in ends[:-1])]
        return [(pd.Timestamp(start), pd.Timestamp(end), ticker)
                for start, end, ticker in zip(starts, ends, self.tickers, strict=True)]

    def __repr__(self) -> str:
        rows = ", ".join(f"{d:%Y%m%d} {t}" for d, t in zip(self.dates, self.tickers, strict=True))
        return f"MapFile({self.permtick}: {rows})"


class MapFileResolver:
    """All map files of a data folder, indexed by file and by ticker (LEAN's ``MapFileResolver``).

    Parameters
    ----------
    rows : pd.DataFrame
        :func:`lean_local.data.formats.read_map_files`'s frame: rows grouped by file, in date
        order within a file.
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self._use(_index_of(*_columns(rows)))

    @classmethod
    def from_index(cls, index: tuple) -> MapFileResolver:
        """The resolver of an index :func:`_index_of` made (the cache's copy, read back as plain values)."""
        resolver = cls.__new__(cls)
        resolver._use(index)
        return resolver

    def _use(self, index: tuple) -> None:
        dates_ns, self._tickers, self._spans, self._entry_days, self._entry_files, self._by_ticker, name = index
        self._dates = pd.DatetimeIndex(np.frombuffer(dates_ns, dtype=np.int64).view("M8[ns]"), name=name)
        self._files: dict[str, MapFile] = {}

    def get(self, permtick: str) -> MapFile | None:
        """The map file named ``permtick`` (LEAN's ``GetByPermtick``), or None."""
        key = permtick.upper()
        found = self._files.get(key)
        if found is None and key in self._spans:
            lo, hi = self._spans[key]
            found = self._files[key] = MapFile(key, self._dates[lo:hi], self._tickers[lo:hi])
        return found

    def resolve(self, ticker: str, date=None) -> MapFile | None:
        """The map file of the security trading as ``ticker`` on ``date`` (LEAN's ``ResolveMapFile``).

        ``date`` None resolves the ticker as known today: LEAN's ``Symbol.Create`` resolves at
        ``DateTime.Today``, which (every map file's history being in the past) is the ticker's
        last row; None keeps results independent of the day a run happens. None is returned where
        LEAN returns an empty map file: no file, or one that starts after ``date``.
        """
        when = None if date is None else pd.Timestamp(date)
        permtick = ticker.upper()
        span = self._by_ticker.get(permtick)
        if span is not None:
            lo, hi = span
            i = hi - 1 if when is None else min(bisect.bisect_left(self._entry_days, when.value // _NS_PER_DAY, lo, hi),
                                                hi - 1)
            permtick = self._entry_files[i]
        found = self.get(permtick)
        if found is None or (when is not None and found.first_date > when and when != _DEFAULT_DATE):
            return None
        return found

    def resolve_sid(self, sid: str) -> MapFile | None:
        """The map file of a security identifier string: its first ticker at its listing date."""
        parsed = formats.parse_equity_sid(sid)
        return None if parsed is None else self.resolve(*parsed)


def read_bars(data_folder: str | os.PathLike[str], segments: list[tuple[pd.Timestamp, pd.Timestamp, str]],
              read: Callable[[Path], pd.DataFrame] = formats.read_equity_daily,
              market: str = "usa") -> pd.DataFrame | None:
    """A security's daily bars across its tickers, as LEAN reads them.

    Parameters
    ----------
    data_folder : path
        The LEAN data folder.
    segments : list of (first_date, last_date, ticker)
        The security's :meth:`MapFile.segments`.
    read : callable
        Reads one zip (:func:`lean_local.data.formats.read_equity_daily`, or a cached version).
    market : str
        The equities' market (its folder under ``equity/``).

    Returns
    -------
    pd.DataFrame or None
        Each segment's bars from its ticker's zip, in date order; None when none of the zips exists.
    """
    frames = []
    files: dict[str, pd.DataFrame | None] = {}
    for first, last, ticker in segments:
        if ticker not in files:
            path = formats.equity_daily_path(data_folder, ticker, market)
            files[ticker] = read(path) if path.exists() else None
        frame = files[ticker]
        if frame is not None:
            frames.append(frame.loc[(frame.index >= first) & (frame.index <= last)])
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames)


def _index_of(dates: pd.DatetimeIndex, permtick_texts: list[str], ticker_texts: list[str]) -> tuple:
    """The resolver's index of the map files' rows as plain values, which ``marshal`` keeps (a new process
    reads the index back without sorting the rows again): the dates' int64 nanoseconds as bytes, the
    tickers upper-cased, each file's rows by permtick, the rows by ticker then day (their days and files)
    and each ticker's run of them, and the dates' name."""
    # str.upper of each text (pandas' string accessor cost more than the whole index at a few hundred rows)
    permticks = _upper(permtick_texts)
    tickers = _upper(ticker_texts)
    # Every row by ticker then date; the sort is stable, so when two files name a ticker on the
    # same date the first file's row is kept, as LEAN does.
    days = dates.asi8 // _NS_PER_DAY
    order = np.lexsort((days, tickers))
    by_ticker, days, owners = tickers[order], days[order], permticks[order]
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (by_ticker[1:] != by_ticker[:-1]) | (days[1:] != days[:-1])
    by_ticker, days, owners = by_ticker[keep], days[keep], owners[keep]
    return (dates.asi8.tobytes(), tickers.tolist(), _runs(permticks), days.tolist(), owners.tolist(),
            _runs(by_ticker), dates.name)


#: The values of :func:`_index_of`'s index.
_INDEX_FIELDS = 7


def _upper(texts: list[str]) -> np.ndarray:
    """The texts in upper case, as an object array."""
    return np.fromiter((text.upper() for text in texts), dtype=object, count=len(texts))


def _runs(values: np.ndarray) -> dict[str, tuple[int, int]]:
    """Each run of equal consecutive values: ``value -> (start, stop)``."""
    if len(values) == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    stops = np.r_[starts[1:], len(values)]
    return dict(zip(values[starts].tolist(), zip(starts.tolist(), stops.tolist(), strict=True), strict=True))


#: A folder modified this recently may change again within the same timestamp tick (up to 2 s on
#: some file systems): its resolver is rebuilt rather than looked up, as git treats "racy" entries.
_RACY_NS = 2 * 10**9


def load_resolver(data_folder: str | os.PathLike[str], cache_dir: Path | None = None,
                  market: str = "usa") -> MapFileResolver:
    """The :class:`MapFileResolver` of a data folder's ``equity/<market>/map_files``.

    Built once per process: later calls find it by the folder's modification time and size,
    which change whenever a map file is added, removed or replaced (the data writers replace
    files atomically). With ``cache_dir``, the index is kept there as one ``marshal`` file keyed
    by every map file's name, size and modification time, so a new process reads one file instead
    of thousands.
    """
    folder = _folder_text(os.fspath(data_folder), market)
    try:
        stat = os.stat(folder)
    except OSError:  # no map files: every ticker resolves to none
        return MapFileResolver(formats.read_map_files(folder))
    build = _resolver if time.time_ns() - stat.st_mtime_ns >= _RACY_NS else _resolver.__wrapped__
    return build(folder if os.path.isabs(folder) else os.path.abspath(folder), stat.st_mtime_ns, stat.st_size,
                 cache_dir)


@functools.lru_cache(maxsize=16)
def _folder_text(data_folder: str, market: str) -> str:
    """The market's map-file folder as text (asked once a security: a path's parse and its text each time cost
    as much as the folder's stat)."""
    return os.fspath(formats.map_files_folder(data_folder, market))


@functools.lru_cache(maxsize=16)
def _resolver(folder: str, mtime_ns: int, size: int, cache_dir: Path | None) -> MapFileResolver:
    return MapFileResolver.from_index(_read_index(folder, cache_dir))


def _read_index(folder: str, cache_dir: Path | None) -> tuple:
    """The resolver's index (:func:`_index_of`) of the folder's map files, memoized in ``cache_dir`` when given:
    kept by :mod:`marshal`, a new process reads the finished index back (a record of the rows read back and
    indexed again cost about three times as much)."""
    if cache_dir is None:
        return _index_of(*_columns(formats.read_map_files(folder)))
    listing = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(folder)
                     if e.name.endswith(".csv"))
    key = f"map-files-v2|{folder}|{listing}"
    target = os.path.join(cache_dir, f"{hashlib.sha1(key.encode()).hexdigest()}.marshal")
    try:
        with open(target, "rb") as handle:
            index = marshal.loads(handle.read())  # marshal.load(handle) reads the file a value at a time
        if type(index) is tuple and len(index) == _INDEX_FIELDS:
            return index
    except (OSError, EOFError, ValueError, TypeError):
        pass  # no (readable) cache entry: parse and write it
    index = _index_of(*_columns(formats.read_map_files(folder)))
    try:
        with atomic_write(target, suffix=".marshal") as temporary, open(temporary, "wb") as handle:
            marshal.dump(index, handle)
    except OSError:
        pass  # a read-only cache folder only costs the next process a re-read
    return index


def _columns(rows: pd.DataFrame) -> tuple[pd.DatetimeIndex, list[str], list[str]]:
    """A frame of map-file rows as :func:`_index_of`'s columns."""
    return pd.DatetimeIndex(rows.index), rows["permtick"].tolist(), rows["ticker"].tolist()
