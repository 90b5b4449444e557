"""``lean-local data coarse``: LEAN's coarse universe files derived from a folder's daily, factor and map files.

The rows are those of LEAN's ``CoarseUniverseGeneratorProgram`` (ToolBox/CoarseUniverseGenerator):

* one security per map file (``equity/usa/map_files/*.csv``), identified by the security identifier
  of its first ticker and listing date (:attr:`lean_local.data.map_files.MapFile.sid`);
* for map-file rows ``i = 1 .. n-1``, the bars of row ``i``'s ticker zip dated from row ``i-1``'s
  date to row ``i``'s date, **both ends inclusive** (a map file with one row gives nothing). On a
  rename day this reads both tickers' zips: LEAN's own sample file ``20140402.csv`` holds two rows of
  ``GOOCV VP83T1ZUHROL`` (``GOOCV`` at 567 and ``GOOG`` at 1135.1, the old company's bar), and so
  does the output here;
* each row: ``sid, ticker (upper case, the map row's), close (raw dollars, C#'s Normalize: no
  trailing zeros), volume (shares, truncated to an integer), dollar volume (close x volume,
  truncated), has_fundamental_data, price factor, split factor`` (the security's factor file,
  named by its map file, row with the earliest date >= the bar; 1 and 1 without a file);
* ``has_fundamental_data`` is False: LEAN asks its fundamental service, which has nothing in a folder
  without fundamental data (LEAN's sample folder has none);
* one file per trading day, ``equity/usa/fundamental/coarse/YYYYMMDD.csv``, lines sorted as text.

LEAN's generator also skips tickers listed in a ``blacklisted-tickers.txt`` beside it; no list is
applied here (as when that file is absent).

Every row is point in time: the file of day D holds D's close and volume, the ticker the security
traded under on D, and the factors LEAN applies to D's bar.

Gaps. :func:`find_gaps` flags the days whose one-day return cannot be computed from the data:

* ``duplicate``: the security has two rows that day (the inclusive map-file ranges above);
* ``split-like``: the split-and-dividend-adjusted close moved by a split ratio (within
  :data:`SPLIT_TOLERANCE`) from the security's previous row, i.e. a split the factor file does not
  record (``GOOCV VP83T1ZUHROL`` on 2014-04-03: 1135.1 -> 569.74 with the split factor unchanged);
* ``hole``: more than :data:`MAX_MISSING_DAYS` of the folder's trading days lie between the
  security's row and its previous one (QQQ's sample zip has none from 2004-12 to 2011-03).

The training command cuts a stock's series at each ``split-like`` and ``hole`` day it finds in its own
bars (:func:`series_breaks`), so no feature or label spans one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.atomic import write_atomic
from lean_local.data import formats
from lean_local.data.map_files import MapFile

__all__ = [
    "CoarseBuild",
    "SPLIT_RATIOS",
    "SPLIT_TOLERANCE",
    "MAX_MISSING_DAYS",
    "coarse_rows",
    "find_gaps",
    "series_breaks",
    "build_coarse_folder",
]

#: Split ratios (new shares per old share, and their inverses) that a one-day move is compared with.
SPLIT_RATIOS = np.array(sorted({r for k in (3 / 2, 2, 3, 4, 5, 7, 8, 10, 20) for r in (k, 1 / k)}))
#: Relative distance from a split ratio within which a one-day adjusted price ratio counts as split-like.
SPLIT_TOLERANCE = 0.01
#: A security's rows this many trading days (of the folder's calendar) apart, or more, is a hole.
MAX_MISSING_DAYS = 5
GAPS_FILE = "coarse_gaps.csv"
#: What ``build_coarse_folder`` links from the source folder when it writes elsewhere.
_LINKED_FOLDERS = (
    "equity/usa/daily",
    "equity/usa/factor_files",
    "equity/usa/map_files",
    "market-hours",
    "symbol-properties",
    "alternative/interest-rate/usa",
)
_COLUMNS = ["date", "sid", "symbol", "close", "volume", "dollar_volume", "has_fundamental_data",
            "price_factor", "split_factor"]


@dataclass
class CoarseBuild:
    """What :func:`build_coarse_folder` wrote."""

    securities: int = 0
    rows: int = 0
    files: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    missing_zips: list[str] = field(default_factory=list)
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    linked: list[Path] = field(default_factory=list)


def _map_files(data_folder: Path) -> list[MapFile]:
    rows = formats.read_map_files(formats.map_files_folder(data_folder))
    files = []
    permticks = rows["permtick"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, permticks[1:] != permticks[:-1]]) if len(rows) else np.array([], int)
    ends = np.r_[starts[1:], len(rows)]
    for lo, hi in zip(starts, ends, strict=True):
        part = rows.iloc[lo:hi]
        # LEAN's MapFile keeps one row per date
        part = part[~part.index.duplicated(keep="last")]
        files.append(MapFile(str(permticks[lo]).upper(), pd.DatetimeIndex(part.index),
                             part["ticker"].str.upper().tolist()))
    return files


def coarse_rows(data_folder: str | os.PathLike[str]) -> tuple[pd.DataFrame, list[str], int]:
    """Every coarse row LEAN's generator derives from a data folder (see the module docstring).

    Returns
    -------
    rows : pd.DataFrame
        ``date, sid, symbol, close, volume, dollar_volume, has_fundamental_data, price_factor,
        split_factor``, sorted by date then as LEAN sorts a file's lines.
    missing : list of str
        Tickers named by a map file whose daily zip is absent (LEAN logs and skips them).
    securities : int
        Securities (map files) with at least one row.
    """
    folder = Path(data_folder)
    zips: dict[str, pd.DataFrame | None] = {}
    parts, missing = [], []
    securities = 0
    for map_file in _map_files(folder):
        if len(map_file) < 2:
            continue
        factor_path = formats.factor_file_path(folder, map_file.permtick.lower())
        factors = formats.read_factor_file(factor_path) if factor_path.exists() else None
        sid = map_file.sid
        own = []
        for i in range(len(map_file) - 1, 0, -1):
            ticker = map_file.tickers[i]
            if ticker not in zips:
                path = formats.equity_daily_path(folder, ticker.lower())
                zips[ticker] = formats.read_equity_daily(path) if path.exists() else None
                if zips[ticker] is None:
                    missing.append(ticker)
            bars = zips[ticker]
            if bars is None:
                continue
            bars = bars.loc[(bars.index >= map_file.dates[i - 1]) & (bars.index <= map_file.dates[i])]
            if not len(bars):
                continue
            price_factor, split_factor = _factor_columns(factors, bars.index)
            close = bars["close"].to_numpy(dtype=np.float64)
            volume = np.trunc(bars["volume"].to_numpy(dtype=np.float64))
            own.append(pd.DataFrame({
                "date": bars.index, "sid": sid, "symbol": ticker, "close": close, "volume": volume,
                "dollar_volume": np.trunc(close * volume), "has_fundamental_data": False,
                "price_factor": price_factor, "split_factor": split_factor,
            }))
        if own:
            securities += 1
            parts.extend(own)
    if not parts:
        return pd.DataFrame(columns=_COLUMNS), sorted(set(missing)), 0
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values(["date", "sid", "symbol"], kind="stable", ignore_index=True)
    return rows, sorted(set(missing)), securities


def _factor_columns(factors: pd.DataFrame | None, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """LEAN's rule: the factor row with the earliest date >= the bar; 1 and 1 after the last row or without a file."""
    price, split = np.ones(len(dates)), np.ones(len(dates))
    if factors is None or not len(factors):
        return price, split
    position = np.searchsorted(pd.DatetimeIndex(factors.index).asi8, dates.normalize().asi8, side="left")
    inside = position < len(factors)
    price[inside] = factors["price_factor"].to_numpy(dtype=np.float64)[position[inside]]
    split[inside] = factors["split_factor"].to_numpy(dtype=np.float64)[position[inside]]
    return price, split


def _split_like(ratio: np.ndarray) -> np.ndarray:
    """True where a price ratio is within :data:`SPLIT_TOLERANCE` of a split ratio (NaN: False)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.abs(np.log(np.asarray(ratio, dtype=np.float64))[:, None] - np.log(SPLIT_RATIOS)[None, :])
    return (np.nan_to_num(distance, nan=np.inf) <= np.log1p(SPLIT_TOLERANCE)).any(axis=1)


def series_breaks(adjusted_close: np.ndarray) -> np.ndarray:
    """Positions where one security's adjusted series must be cut: a split-like move or a hole.

    Parameters
    ----------
    adjusted_close : np.ndarray
        The security's adjusted closes on the folder's trading days (NaN where it has no bar).

    Returns
    -------
    np.ndarray of int
        Each position ``t`` whose bar follows a split-like move from the previous bar, or follows
        a run of at least :data:`MAX_MISSING_DAYS` missing days after an earlier bar. Ascending.
    """
    values = np.asarray(adjusted_close, dtype=np.float64)
    present = np.flatnonzero(np.isfinite(values))
    if len(present) < 2:
        return np.array([], dtype=np.int64)
    after = present[1:]
    ratio = values[after] / values[present[:-1]]
    hole = np.diff(present) - 1 >= MAX_MISSING_DAYS
    return after[_split_like(ratio) | hole]


def find_gaps(rows: pd.DataFrame) -> pd.DataFrame:
    """The days whose one-day return a coarse history cannot give (see the module docstring).

    Parameters
    ----------
    rows : pd.DataFrame
        Coarse rows with ``date, sid, symbol, close, price_factor, split_factor`` (any order).

    Returns
    -------
    pd.DataFrame
        ``date, sid, symbol, kind, detail`` sorted by sid then date; ``kind`` is ``duplicate``,
        ``split-like`` or ``hole``. Empty when there is no gap.
    """
    columns = ["date", "sid", "symbol", "kind", "detail"]
    if not len(rows):
        return pd.DataFrame(columns=columns)
    calendar = pd.DatetimeIndex(np.sort(rows["date"].unique()))
    ordered = rows.sort_values(["sid", "date", "symbol"], kind="stable")
    sids = ordered["sid"].to_numpy(dtype=object)
    symbols = ordered["symbol"].to_numpy(dtype=object)
    closes = ordered["close"].to_numpy(dtype=np.float64)
    adjusted = closes * ordered["price_factor"].to_numpy(dtype=np.float64) * ordered["split_factor"].to_numpy(
        dtype=np.float64)
    day = calendar.get_indexer(pd.DatetimeIndex(ordered["date"]))
    # blocks: the rows of one security on one day (one row, or more on a duplicated day)
    new_sid = np.r_[True, sids[1:] != sids[:-1]]
    starts = np.flatnonzero(new_sid | np.r_[True, day[1:] != day[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    out: list[dict[str, Any]] = []
    for lo, hi in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
        detail = "; ".join(f"{symbols[i]} {closes[i]:g}" for i in range(lo, hi))
        out.append({"date": calendar[day[lo]], "sid": sids[lo], "symbol": symbols[hi - 1], "kind": "duplicate",
                    "detail": f"{hi - lo} rows: {detail}"})
    # consecutive blocks of one security: a hole, else every pair of their rows is checked for a split-like move
    follows = np.flatnonzero(~new_sid[starts[1:]]) + 1
    now, before = starts[follows], starts[follows - 1]
    missing = day[now] - day[before] - 1
    for b in follows[missing >= MAX_MISSING_DAYS]:
        lo = starts[b]
        out.append({"date": calendar[day[lo]], "sid": sids[lo], "symbol": symbols[ends[b] - 1], "kind": "hole",
                    "detail": f"{day[lo] - day[starts[b - 1]] - 1} trading days without a row since "
                              f"{calendar[day[starts[b - 1]]]:%Y-%m-%d}"})
    single = (ends[follows] - now == 1) & (ends[follows - 1] - before == 1)
    checked = missing < MAX_MISSING_DAYS
    flagged = list(follows[checked & single & _split_like(adjusted[now] / adjusted[before])])
    flagged += [b for b in follows[checked & ~single]
                if _split_like((adjusted[starts[b]:ends[b]][:, None]
                                / adjusted[starts[b - 1]:ends[b - 1]][None, :]).ravel()).any()]
    for b in flagged:
        pairs = [(i, j) for i in range(starts[b], ends[b]) for j in range(starts[b - 1], ends[b - 1])]
        i, j = next((i, j) for i, j in pairs if _split_like(np.array([adjusted[i] / adjusted[j]]))[0])
        out.append({"date": calendar[day[i]], "sid": sids[i], "symbol": symbols[i], "kind": "split-like",
                    "detail": f"adjusted close {adjusted[j]:g} ({symbols[j]}) -> {adjusted[i]:g}, "
                              f"ratio {adjusted[i] / adjusted[j]:.4f}, no factor-file row"})
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values(["sid", "date", "kind"], kind="stable", ignore_index=True)


def _link_source(source: Path, output: Path) -> list[Path]:
    """Symbolic links in ``output`` to each file of the source folders LEAN reads beside coarse files.

    Files, not folders, are linked: a later write into ``output`` (``lean-local data vix``) replaces a
    link or adds a file and never writes through into ``source``.
    """
    linked = []
    for relative in _LINKED_FOLDERS:
        origin = source / relative
        if not origin.is_dir():
            continue
        target = output / relative
        target.mkdir(parents=True, exist_ok=True)
        for entry in sorted(origin.iterdir()):
            link = target / entry.name
            if entry.is_file() and not link.exists():
                link.symlink_to(entry.resolve())
                linked.append(link)
    return linked


def build_coarse_folder(source: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                        progress=None) -> CoarseBuild:
    """Derive ``source``'s coarse files and write them into ``output`` (default: ``source``).

    The coarse folder is written whole beside the old one and swapped in (``coarse.building`` is
    renamed to ``coarse``), so a failure leaves the previous files. With an ``output`` other than
    ``source``, ``output`` becomes a LEAN data folder: its daily, factor and map files, market hours,
    symbol properties and interest rates are symbolic links to ``source``'s files. The gaps
    (:func:`find_gaps`) go to ``equity/usa/fundamental/coarse_gaps.csv``.

    Raises
    ------
    ValueError
        ``source`` has no map files with daily bars.
    """
    wrap = progress or (lambda iterable, **_: iterable)
    source_folder, output_folder = Path(source), Path(output) if output is not None else Path(source)
    rows, missing, securities = coarse_rows(source_folder)
    if not len(rows):
        raise ValueError(f"{formats.map_files_folder(source_folder)}: no map file with daily bars to derive coarse "
                         "files from")
    gaps = find_gaps(rows)
    coarse = formats.coarse_folder(output_folder)
    building = coarse.with_name("coarse.building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    dates = rows["date"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1], True])
    for lo, hi in wrap(list(zip(bounds[:-1], bounds[1:], strict=True)), desc="coarse files", total=len(bounds) - 1):
        day = pd.Timestamp(dates[lo])
        formats.write_coarse(building / f"{day:%Y%m%d}.csv", rows.iloc[lo:hi].drop(columns="date"))
    gaps_path = coarse.parent / GAPS_FILE
    table = gaps.assign(date=pd.DatetimeIndex(gaps["date"]).strftime("%Y-%m-%d")) if len(gaps) else gaps
    write_atomic(gaps_path, table.to_csv(index=False).encode("utf-8"))
    old = coarse.with_name("coarse.replaced")
    if coarse.exists():
        coarse.rename(old)
    building.rename(coarse)
    if old.exists():
        shutil.rmtree(old)
    linked = _link_source(source_folder, output_folder) if output_folder.resolve() != source_folder.resolve() else []
    return CoarseBuild(securities=securities, rows=len(rows), files=len(bounds) - 1,
                       first=pd.Timestamp(dates[0]), last=pd.Timestamp(dates[-1]), missing_zips=missing,
                       gaps=gaps, linked=linked)
