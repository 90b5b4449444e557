"""Import user OHLCV csv files into a LEAN data folder (US equities, daily).

Accepted inputs (column names case-insensitive; ``<`` ``>`` and spaces ignored):

* Yahoo: ``Date,Open,High,Low,Close,Adj Close,Volume``;
* Stooq: ``Date,Open,High,Low,Close,Volume`` or ``<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,
  <CLOSE>,<VOL>,<OPENINT>`` (a ``.US`` ticker suffix is dropped);
* generic vendor exports with ``date, open, high, low, close, volume`` and optionally an adjusted
  close (``adj close``, ``adj_close``, ``adjusted close``, ...) and a ``ticker``/``symbol`` column
  (one long file for many tickers); otherwise the ticker is the file name (``aapl.csv``,
  ``aapl.us.txt``).

Dates: ``YYYY-MM-DD``, ``YYYYMMDD``, ``MM/DD/YYYY``, ``YYYY/MM/DD``, ``DD.MM.YYYY`` (one format per
file; a time part after a space or ``T`` is ignored). Rows must be in ascending date order (a
file entirely in descending order, as some vendors export, is reversed).

For each ticker this writes ``equity/usa/daily/<t>.zip`` (prices as given, taken as raw),
``factor_files/<t>.csv`` (from the adjusted close: price factor = adjusted / close, one row per
run of equal factors, see :func:`factor_rows`), ``map_files/<t>.csv`` (listing date to the last
date, or 20501231 when the series runs to the end of the imported data) and, for every day with
a bar, its row in ``fundamental/coarse/YYYYMMDD.csv`` (merged with the rows of other tickers
already there). Everything is parsed and validated before the first file is written.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data.formats import (
    EQUITY_PRICE_SCALE,
    FAR_FUTURE,
    INT64_LIMIT,
    DataFormatError,
    adjustment_factors,
    coarse_path,
    equity_daily_path,
    equity_sid,
    factor_file_path,
    map_file_path,
    read_coarse,
    write_coarse,
    write_equity_daily,
    write_factor_file,
    write_map_file,
)

__all__ = [
    "ImportedSeries",
    "ImportSummary",
    "read_user_csv",
    "factor_rows",
    "map_rows",
    "import_csv_files",
    "DATE_FORMATS",
]

_ALIASES = {
    "date": "date",
    "datetime": "date",
    "timestamp": "date",
    "day": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "last": "close",
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "closeadj": "adj_close",
    "closeadjusted": "adj_close",
    "adjusted": "adj_close",
    "volume": "volume",
    "vol": "volume",
    "ticker": "ticker",
    "symbol": "ticker",
}
REQUIRED = ("date", "open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close")
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y")
_TICKER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")
#: Factor runs: consecutive days whose adjusted/close ratios differ by less than this (relative)
#: belong to one factor-file row; vendors round the adjusted close, which adds this much noise.
DEFAULT_FACTOR_TOLERANCE = 1e-4
#: The last day a bar can have: LEAN's map files mark "still listed" with 20501231.
LAST_DATA_DAY = FAR_FUTURE - pd.Timedelta(days=1)


@dataclass
class ImportedSeries:
    """One ticker's validated bars: ``open .. volume`` (raw dollars, shares) and optional ``adj_close``."""

    ticker: str
    bars: pd.DataFrame
    source: str

    @property
    def adjusted(self) -> pd.Series | None:
        return self.bars["adj_close"] if "adj_close" in self.bars.columns else None


@dataclass
class ImportSummary:
    """What an import wrote."""

    tickers: list[str] = field(default_factory=list)
    bars: int = 0
    coarse_files: int = 0
    paths: list[Path] = field(default_factory=list)


def _canonical(name: str) -> str:
    key = re.sub(r"[<>\s_.\-]", "", str(name).strip().lower())
    return _ALIASES.get(key, key)


def _clean_ticker(text: str) -> str:
    ticker = str(text).strip().upper()
    if ticker.endswith(".US"):
        ticker = ticker[:-3]
    return ticker


def _parse_dates(path, texts: pd.Series, lines: np.ndarray) -> pd.DatetimeIndex:
    day_text = texts.str.strip().str.split(r"[ T]", n=1, regex=True).str[0]
    best = None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(day_text, format=fmt, errors="coerce")
        if parsed.notna().all():
            if fmt == "%m/%d/%Y":
                _refuse_ambiguous_day_month(path, day_text, lines)
            return pd.DatetimeIndex(parsed)
        if best is None or parsed.notna().sum() > best[1].notna().sum():
            best = (fmt, parsed)
    assert best is not None
    i = int(np.argmax(best[1].isna().to_numpy()))
    raise DataFormatError(
        path, int(lines[i]), f"date: cannot read {texts.iloc[i]!r} (formats tried: {', '.join(DATE_FORMATS)})"
    )


def _refuse_ambiguous_day_month(path, day_text: pd.Series, lines: np.ndarray) -> None:
    """``a/b/YYYY`` with both ``a`` and ``b`` at most 12 on every row, each taking several values,
    reads as MM/DD and as DD/MM alike: refuse rather than guess (a DD/MM file would silently become
    other dates)."""
    parts = day_text.str.split("/", expand=True).astype(int)
    first, second = parts[0], parts[1]
    if (first <= 12).all() and (second <= 12).all() and first.nunique() > 1 and second.nunique() > 1:
        raise DataFormatError(
            path, int(lines[0]),
            f"date: {day_text.iloc[0]!r} is ambiguous: every date of the file reads as MM/DD/YYYY and as "
            "DD/MM/YYYY; write the dates as YYYY-MM-DD")


def _check_field_counts(path: Path) -> None:
    """Every non-blank row has the header's number of fields (pandas pads short rows silently)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = csv.reader(handle)
            width = None
            for row in rows:
                if not any(field.strip() for field in row):
                    continue
                if width is None:
                    width = len(row)
                elif len(row) != width:
                    what = "too few" if len(row) < width else "too many"
                    raise DataFormatError(
                        path,
                        rows.line_num,
                        f"malformed csv: {what} fields ({len(row)}, the header has {width})",
                    )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFormatError(path, 0, f"unreadable csv: {exc}") from None


def read_user_csv(path: str | os.PathLike[str], ticker: str | None = None) -> list[ImportedSeries]:
    """Read and validate one user csv; one :class:`ImportedSeries` per ticker in it.

    Parameters
    ----------
    path : path-like
        The csv file.
    ticker : str, optional
        The ticker of a single-ticker file; default: the file's ticker column, else its name.

    Raises
    ------
    DataFormatError
        Malformed csv, missing columns, non-numeric or missing values, unreadable dates,
        duplicated or unsorted dates, zero or negative prices, negative volume, high below
        open/close/low, low above open/close; with the file and its 1-based line.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(path, 0, "file not found")
    _check_field_counts(path)
    try:
        raw = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise DataFormatError(path, 0, "empty file") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise DataFormatError(path, int(found.group(1)) if found else 0, f"malformed csv: {exc}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise DataFormatError(path, 0, f"unreadable file: {exc}") from None
    renamed = {}
    for column in raw.columns:
        canonical = _canonical(column)
        if canonical in renamed.values():
            raise DataFormatError(path, 1, f"two columns mean {canonical!r}: check the header")
        renamed[column] = canonical
    raw = raw.rename(columns=renamed)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataFormatError(path, 1, f"missing columns {missing} (header: {', '.join(map(str, renamed))})")
    lines = np.arange(2, len(raw) + 2)
    # pandas leaves fully blank lines as empty rows here (skip_blank_lines=False keeps line numbers).
    blank = (raw.fillna("").apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    raw, lines = raw.loc[~blank].reset_index(drop=True), lines[~blank]
    if raw.empty:
        raise DataFormatError(path, 0, "no data rows")
    absent = raw.isna().to_numpy().any(axis=1)
    if absent.any():
        raise DataFormatError(path, int(lines[int(np.argmax(absent))]), "too few fields")

    dates = _parse_dates(path, raw["date"], lines)
    values = {}
    for column in (*PRICE_COLUMNS, "volume", "adj_close"):
        if column not in raw.columns:
            continue
        numbers = pd.to_numeric(raw[column].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numbers)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataFormatError(path, int(lines[i]), f"{column}: not a number: {raw[column].iloc[i]!r}")
        values[column] = numbers
    frame = pd.DataFrame(values, index=dates)
    frame["__line"] = lines

    if "ticker" in raw.columns and ticker is None:
        tickers = raw["ticker"].map(_clean_ticker).to_numpy()
    else:
        name = ticker if ticker is not None else path.name.split(".")[0]
        tickers = np.full(len(frame), _clean_ticker(name), dtype=object)
    out = []
    for name in pd.unique(tickers):
        if not _TICKER.match(name):
            raise DataFormatError(
                path, int(lines[int(np.argmax(tickers == name))]), f"not a ticker: {name!r}"
            )
        part = frame.loc[tickers == name]
        out.append(ImportedSeries(name, _validated(path, part), str(path)))
    return out


def _validated(path, part: pd.DataFrame) -> pd.DataFrame:
    lines = part["__line"].to_numpy()
    steps = np.diff(part.index.asi8)
    if len(steps) and (steps < 0).all():
        part, lines, steps = part.iloc[::-1], lines[::-1], -steps[::-1]
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        what = "duplicated" if steps[i - 1] == 0 else "out of order"
        raise DataFormatError(path, int(lines[i]), f"date {part.index[i]:%Y-%m-%d} is {what}")
    prices = part[list(PRICE_COLUMNS)].to_numpy()
    o, h, lo, c = prices.T
    volume = part["volume"].to_numpy()
    checks = [
        ((prices <= 0).any(axis=1), "prices must be positive"),
        ((prices < 0.5 / EQUITY_PRICE_SCALE).any(axis=1),
         f"a price below LEAN's resolution of ${1 / EQUITY_PRICE_SCALE:g} would be written as 0"),
        ((prices >= INT64_LIMIT / EQUITY_PRICE_SCALE).any(axis=1), "a price is too large for LEAN's files"),
        (volume < 0, "volume is negative"),
        (volume >= INT64_LIMIT, "volume is too large for LEAN's 64-bit integers"),
        (part.index > LAST_DATA_DAY, f"date after {LAST_DATA_DAY:%Y-%m-%d}: LEAN's map files end at 20501231"),
        (h < np.maximum.reduce([o, c, lo]), "high is below open, close or low"),
        (lo > np.minimum(o, c), "low is above open or close"),
    ]
    if "adj_close" in part.columns:
        checks.append((part["adj_close"].to_numpy() <= 0, "adjusted close must be positive"))
    for bad, message in checks:
        if bad.any():
            raise DataFormatError(path, int(lines[int(np.argmax(bad))]), message)
    bars = part.drop(columns="__line")
    bars.index = pd.DatetimeIndex(bars.index, name="date")
    return bars


def factor_rows(
    close: pd.Series, adjusted: pd.Series | None, tolerance: float = DEFAULT_FACTOR_TOLERANCE
) -> pd.DataFrame:
    """LEAN factor-file rows from raw and adjusted closes.

    The daily ratio ``adjusted / close`` is cut into runs where it stays within ``tolerance``
    (relative) of the run's first value; each run gets its median rounded to 7 decimals. A run
    ending on day D becomes the row ``(D, factor, 1, close on D)`` (LEAN applies a row to bars up
    to and including its date); the last run becomes ``(20501231, factor, 1, 0)``. As in LEAN's
    files, a first row at the first bar date carries the first factor with reference price 1.
    All of the adjustment is in the price factor (split factor 1): the raw prices are taken to
    be split-adjusted already, as vendors' "close" columns are.

    Returns
    -------
    pd.DataFrame
        Index ``date``; ``price_factor, split_factor, reference_price``.
    """
    dates = pd.DatetimeIndex(close.index)
    if adjusted is None:
        ratio = np.ones(len(close))
    else:
        ratio = adjusted.to_numpy(dtype=np.float64) / close.to_numpy(dtype=np.float64)
    starts = [0]
    for i in range(1, len(ratio)):
        if abs(ratio[i] / ratio[starts[-1]] - 1.0) > tolerance:
            starts.append(i)
    ends = [*starts[1:], len(ratio)]
    factors = [round(float(np.median(ratio[s:e])), 7) for s, e in zip(starts, ends, strict=True)]
    rows = [(dates[0], factors[0], 1.0, 1.0)]
    closes = close.to_numpy(dtype=np.float64)
    for factor, end in zip(factors[:-1], ends[:-1], strict=True):
        rows.append((dates[end - 1], factor, 1.0, closes[end - 1]))
    rows.append((FAR_FUTURE, factors[-1], 1.0, 0.0))
    frame = pd.DataFrame(rows, columns=["date", "price_factor", "split_factor", "reference_price"])
    frame = frame.drop_duplicates("date", keep="last").set_index("date")
    return frame


def map_rows(ticker: str, first, last, data_end, exchange: str = "Q") -> pd.DataFrame:
    """Map-file rows: listed on ``first``; delisted on ``last`` when it is before ``data_end``, else 20501231."""
    end = pd.Timestamp(last) if pd.Timestamp(last) < pd.Timestamp(data_end) else FAR_FUTURE
    # A one-day series delisted the day it listed has a single row.
    days = [pd.Timestamp(first), end] if pd.Timestamp(first) < end else [end]
    index = pd.DatetimeIndex(days, name="date")
    return pd.DataFrame(
        {"ticker": [ticker.lower()] * len(days), "exchange": [exchange] * len(days)}, index=index
    )


def _stale_coarse_rows(data_folder, tickers: set[str], rewritten: set[Path]) -> list[tuple[Path, pd.DataFrame]]:
    """Coarse files outside the new import's days that still hold rows of re-imported tickers
    (a shorter history than before): each file with those rows removed."""
    some_day = coarse_path(data_folder, pd.Timestamp("2000-01-03")).parent
    if not some_day.is_dir():
        return []
    marks = [f",{t.upper()}," for t in tickers]
    out = []
    for path in sorted(some_day.glob("*.csv")):
        if path in rewritten or not any(mark in path.read_text().upper() for mark in marks):
            continue
        rows = read_coarse(path)
        out.append((path, rows.loc[~rows["symbol"].str.upper().isin(tickers)]))
    return out


def import_csv_files(
    data_folder: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]],
    ticker: str | None = None,
    tickers: Iterable[str] | None = None,
    exchange: str = "Q",
    data_end=None,
    tolerance: float = DEFAULT_FACTOR_TOLERANCE,
    progress=None,
) -> ImportSummary:
    """Import csv files into ``data_folder`` (see the module docstring); returns what was written.

    Parameters
    ----------
    ticker : str, optional
        The ticker of a single file without a ticker column (default: from the file name).
    tickers : iterable of str, optional
        Import only these; a ticker not found in the files raises :class:`ValueError`.
    data_end : date-like, optional
        The end of the data: a series ending earlier is delisted on its last date in the map
        file. Default: the last date of all imported series.
    progress : callable, optional
        ``progress(iterable, desc=..., total=...)`` wrapper such as ``tqdm``.
    """
    wrap = progress or (lambda iterable, **_: iterable)
    if ticker is not None and len(paths) != 1:
        raise ValueError("--ticker names the ticker of one file; give one file or use file names")
    series: dict[str, ImportedSeries] = {}
    for path in paths:
        if Path(path).is_dir():
            raise DataFormatError(path, 0, "is a folder: give the CSV files (e.g. folder/*.csv)")
    for path in wrap(paths, desc="read", total=len(paths)):
        for item in read_user_csv(path, ticker):
            if item.ticker in series:
                raise DataFormatError(path, 0, f"{item.ticker} is also in {series[item.ticker].source}")
            series[item.ticker] = item
    if tickers is not None:
        wanted = [_clean_ticker(t) for t in tickers]
        unknown = [t for t in wanted if t not in series]
        if unknown:
            raise ValueError(f"tickers not found in the input files: {', '.join(unknown)}")
        series = {t: series[t] for t in wanted}
    if not series:
        raise ValueError("nothing to import")
    end = pd.Timestamp(data_end) if data_end is not None else max(s.bars.index[-1] for s in series.values())

    # Compute everything first: a bad existing coarse file stops the import before any write.
    outputs = []
    coarse_parts = []
    for name, item in series.items():
        bars = item.bars
        factors = factor_rows(bars["close"], item.adjusted, tolerance)
        mapping = map_rows(name, bars.index[0], bars.index[-1], end, exchange)
        outputs.append((name, bars[["open", "high", "low", "close", "volume"]], factors, mapping))
        close = bars["close"].to_numpy()
        volume = bars["volume"].to_numpy()
        coarse_parts.append(
            pd.DataFrame(
                {
                    "date": bars.index,
                    "sid": equity_sid(name, bars.index[0]),
                    "symbol": name,
                    "close": close,
                    "volume": volume,
                    "dollar_volume": close * volume,
                    "has_fundamental_data": False,
                    "price_factor": adjustment_factors(factors, bars.index),
                    "split_factor": 1.0,
                }
            )
        )
    coarse = pd.concat(coarse_parts, ignore_index=True)
    imported = set(series)
    coarse_files = []
    for day, rows in wrap(coarse.groupby("date", sort=True), desc="coarse", total=coarse["date"].nunique()):
        path = coarse_path(data_folder, day)
        new = rows.drop(columns="date")
        if path.exists():
            existing = read_coarse(path)
            existing = existing.loc[~existing["symbol"].str.upper().isin(imported)]
            new = pd.concat([existing, new], ignore_index=True)
        coarse_files.append((path, new.sort_values("sid", kind="stable")))
    stale = _stale_coarse_rows(data_folder, imported, {path for path, _ in coarse_files})
    coarse_files += [(path, rows) for path, rows in stale if len(rows)]
    emptied = [path for path, rows in stale if not len(rows)]

    summary = ImportSummary()
    for name, bars, factors, mapping in wrap(outputs, desc="tickers", total=len(outputs)):
        written = [
            equity_daily_path(data_folder, name),
            factor_file_path(data_folder, name),
            map_file_path(data_folder, name),
        ]
        write_equity_daily(written[0], bars)
        write_factor_file(written[1], factors)
        write_map_file(written[2], mapping)
        summary.paths += written
        summary.tickers.append(name)
        summary.bars += len(bars)
    for path, rows in wrap(coarse_files, desc="write coarse", total=len(coarse_files)):
        write_coarse(path, rows)
    for path in emptied:
        path.unlink()
    summary.coarse_files = len(coarse_files)
    return summary
