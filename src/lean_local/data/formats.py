"""LEAN's data folder file formats: paths, validating readers, fast atomic writers.

This module is the one place that knows how LEAN lays out its data folder (see
``docs/data.md`` and the LEAN reference, section 4). Every reader returns pandas objects
indexed by a naive ``DatetimeIndex`` named ``date`` (the bar's date at 00:00 for daily files)
with float64 columns and prices in dollars (equity zips store price x 10,000).

Readers validate while parsing: a malformed row, a non-numeric value, an unsorted or duplicated
date or a negative price raises :class:`DataFormatError` naming the file and the 1-based line;
an unreadable zip raises it with line 0.

Writers are atomic (a temporary file in the same folder, then ``os.replace``) and write the
byte layout of LEAN's own files: equity/index/forex zips hold one ``<name>.csv`` without a
trailing newline, factor files have no trailing newline, map and coarse files end with one.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.atomic import atomic_write, write_atomic

__all__ = [
    "DataFormatError",
    "EQUITY_PRICE_SCALE",
    "INT64_LIMIT",
    "atomic_write",
    "equity_daily_path",
    "factor_file_path",
    "map_file_path",
    "map_files_folder",
    "coarse_path",
    "coarse_folder",
    "forex_daily_path",
    "index_daily_path",
    "cboe_path",
    "interest_rate_path",
    "market_hours_path",
    "symbol_properties_path",
    "read_equity_daily",
    "read_index_daily",
    "read_forex_daily",
    "read_factor_file",
    "read_map_file",
    "read_map_files",
    "read_coarse",
    "read_coarse_range",
    "read_cboe_csv",
    "read_text_lines",
    "read_interest_rate",
    "write_equity_daily",
    "write_index_daily",
    "write_forex_daily",
    "write_factor_file",
    "write_map_file",
    "write_coarse",
    "write_cboe_csv",
    "write_interest_rate",
    "adjustment_factors",
    "date_to_yyyymmdd",
    "equity_sid",
    "parse_equity_sid",
    "FAR_FUTURE",
]

#: LEAN stores US equity prices as integers in units of 1/10,000 dollar ("deci-cents").
EQUITY_PRICE_SCALE = 10_000
#: The date LEAN uses for "no end": the last map-file row of a listed ticker and the last factor row.
FAR_FUTURE = pd.Timestamp("2050-12-31")

TRADE_COLUMNS = ["open", "high", "low", "close", "volume"]
QUOTE_COLUMNS = [
    "bid_open",
    "bid_high",
    "bid_low",
    "bid_close",
    "bid_size",
    "ask_open",
    "ask_high",
    "ask_low",
    "ask_close",
    "ask_size",
]
FACTOR_COLUMNS = ["price_factor", "split_factor", "reference_price"]
COARSE_COLUMNS = [
    "sid",
    "symbol",
    "close",
    "volume",
    "dollar_volume",
    "has_fundamental_data",
    "price_factor",
    "split_factor",
]


class DataFormatError(ValueError):
    """A data file that cannot be read as LEAN's format.

    ``str(error)`` is ``"{path}:{line}: {message}"``; ``line`` is 1-based, 0 when the problem is
    not tied to one line (unreadable zip, missing file, empty file).
    """

    def __init__(self, path: str | os.PathLike[str], line: int, message: str) -> None:
        self.path = str(path)
        self.line = int(line)
        self.message = message
        super().__init__(f"{self.path}:{self.line}: {message}")

    def __reduce__(self):  # pickling across joblib/multiprocessing keeps the three fields
        return (type(self), (self.path, self.line, self.message))


# A fixed entry timestamp: the same data must give the same bytes, whenever it is written.
_ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


def _write_zip(path: str | os.PathLike[str], entry_name: str, text: str, compresslevel: int) -> None:
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(entry_name, date_time=_ZIP_ENTRY_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr(entry, text.encode("ascii"), compresslevel=compresslevel)
    write_atomic(path, buffer.getvalue())


# ---------------------------------------------------------------------------------------------
# paths


def _folder(data_folder: str | os.PathLike[str]) -> Path:
    return Path(data_folder)


def equity_hour_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``equity/usa/hour/<ticker lower>.zip`` (same row layout as the daily zips)."""
    return _folder(data_folder) / "equity" / "usa" / "hour" / f"{ticker.lower()}.zip"


def equity_daily_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``equity/usa/daily/<ticker lower>.zip``."""
    return _folder(data_folder) / "equity" / "usa" / "daily" / f"{ticker.lower()}.zip"


def factor_file_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``equity/usa/factor_files/<ticker lower>.csv``."""
    return _folder(data_folder) / "equity" / "usa" / "factor_files" / f"{ticker.lower()}.csv"


def map_files_folder(data_folder: str | os.PathLike[str]) -> Path:
    """``equity/usa/map_files``."""
    return _folder(data_folder) / "equity" / "usa" / "map_files"


def map_file_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``equity/usa/map_files/<ticker lower>.csv``."""
    return map_files_folder(data_folder) / f"{ticker.lower()}.csv"


def coarse_folder(data_folder: str | os.PathLike[str]) -> Path:
    """``equity/usa/fundamental/coarse``."""
    return _folder(data_folder) / "equity" / "usa" / "fundamental" / "coarse"


def coarse_path(data_folder: str | os.PathLike[str], date) -> Path:
    """``equity/usa/fundamental/coarse/YYYYMMDD.csv`` for the trading day ``date``."""
    return coarse_folder(data_folder) / f"{pd.Timestamp(date):%Y%m%d}.csv"


def forex_daily_path(data_folder: str | os.PathLike[str], pair: str, market: str = "oanda") -> Path:
    """``forex/<market>/daily/<pair lower>.zip``."""
    return _folder(data_folder) / "forex" / market.lower() / "daily" / f"{pair.lower()}.zip"


def index_daily_path(data_folder: str | os.PathLike[str], ticker: str) -> Path:
    """``index/usa/daily/<ticker lower>.zip``."""
    return _folder(data_folder) / "index" / "usa" / "daily" / f"{ticker.lower()}.zip"


def cboe_path(data_folder: str | os.PathLike[str], ticker: str = "vix") -> Path:
    """``alternative/cboe/<ticker lower>.csv`` (LEAN's ``CBOE`` custom data)."""
    return _folder(data_folder) / "alternative" / "cboe" / f"{ticker.lower()}.csv"


def interest_rate_path(data_folder: str | os.PathLike[str]) -> Path:
    """``alternative/interest-rate/usa/interest-rate.csv``."""
    return _folder(data_folder) / "alternative" / "interest-rate" / "usa" / "interest-rate.csv"


def market_hours_path(data_folder: str | os.PathLike[str]) -> Path:
    """``market-hours/market-hours-database.json``."""
    return _folder(data_folder) / "market-hours" / "market-hours-database.json"


def symbol_properties_path(data_folder: str | os.PathLike[str]) -> Path:
    """``symbol-properties/symbol-properties-database.csv``."""
    return _folder(data_folder) / "symbol-properties" / "symbol-properties-database.csv"


# ---------------------------------------------------------------------------------------------
# parsing helpers


#: The largest file or zip entry a reader accepts, in bytes: LEAN's daily files are under a few MB,
#: so a bigger one is damage or a decompression bomb (a 5 GB entry of zeros compresses to 5 MB).
DEFAULT_MAX_ENTRY_BYTES = 1 << 30


def max_entry_bytes() -> int:
    """The size limit of one data file or zip entry: ``LEAN_LOCAL_MAX_ENTRY_BYTES`` or 1 GiB."""
    return int(os.environ.get("LEAN_LOCAL_MAX_ENTRY_BYTES", DEFAULT_MAX_ENTRY_BYTES))


def _read_first_entry(path: Path) -> bytes:
    """The bytes of a zip's first entry (LEAN reads the first entry), read in chunks and refused
    past :func:`max_entry_bytes` whatever the entry's header claims."""
    limit = max_entry_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if not infos:
            raise DataFormatError(path, 0, "zip archive is empty")
        chunks, total = [], 0
        with archive.open(infos[0]) as entry:
            while chunk := entry.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise DataFormatError(path, 0, f"zip entry {infos[0].filename} is larger than {limit:,} "
                                                   "bytes uncompressed (LEAN_LOCAL_MAX_ENTRY_BYTES)")
                chunks.append(chunk)
        return b"".join(chunks)


def _read_text(path: str | os.PathLike[str]) -> str:
    """The text of a csv, or of the first entry of a zip (LEAN reads the first entry)."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(path, 0, "file not found")
    try:
        if path.suffix.lower() == ".zip":
            raw = _read_first_entry(path)
        else:
            if path.stat().st_size > max_entry_bytes():
                raise DataFormatError(path, 0, f"file is larger than {max_entry_bytes():,} bytes "
                                               f"(LEAN_LOCAL_MAX_ENTRY_BYTES)")
            raw = path.read_bytes()
    except DataFormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:  # NotImplementedError: a compression method zipfile lacks
        raise DataFormatError(path, 0, f"unreadable file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, 0, f"not a text file: {exc}") from exc


def read_text_lines(path: str | os.PathLike[str], entry: str | None = None) -> list[str]:
    """The lines of a text file, or of a zip's entry (``entry``, else the first one, as LEAN reads
    ``file.zip`` and ``file.zip#entry.csv`` sources), without line terminators.

    Raises
    ------
    DataFormatError
        The file is missing, unreadable, not text, or the zip has no such entry.
    """
    path = Path(path)
    if entry is None or path.suffix.lower() != ".zip":
        return _read_text(path).splitlines()
    try:
        with zipfile.ZipFile(path) as archive:
            raw = archive.read(entry)
    except KeyError as exc:
        raise DataFormatError(path, 0, f"zip archive has no entry {entry!r}") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise DataFormatError(path, 0, f"unreadable file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, 0, f"not a text file: {exc}") from exc


def _split_fields(path, text: str, n_fields: int, min_fields: int | None = None, first_line: int = 1):
    """Split csv text into a 2-D object array of strings, one row per non-blank line.

    Returns ``(fields, line_numbers)``. Rows with a wrong number of fields raise with the line.
    Blank lines are skipped (LEAN skips them), keeping the true line numbers of the others.
    """
    min_fields = n_fields if min_fields is None else min_fields
    lines = text.split("\n")
    rows = []
    numbers = []
    for offset, line in enumerate(lines):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        parts = line.split(",")
        if not (min_fields <= len(parts) <= n_fields):
            raise DataFormatError(
                path, first_line + offset, f"expected {n_fields} comma-separated fields, found {len(parts)}"
            )
        if len(parts) < n_fields:
            parts += [""] * (n_fields - len(parts))
        rows.append(parts)
        numbers.append(first_line + offset)
    if not rows:
        return np.empty((0, n_fields), dtype=object), np.empty(0, dtype=np.int64)
    return np.array(rows, dtype=object), np.asarray(numbers, dtype=np.int64)


def _numeric(path, values: np.ndarray, lines: np.ndarray, name: str) -> np.ndarray:
    """Strings to float64; the first non-numeric (or NaN/inf) value raises with its line."""
    series = pd.Series(values, dtype=object).str.strip()
    out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(lines[i]), f"{name}: not a number: {values[i]!r}")
    return out


def _dates(path, values: np.ndarray, lines: np.ndarray, fmt: str, name: str = "date") -> pd.DatetimeIndex:
    parsed = pd.to_datetime(pd.Series(values, dtype=object).str.strip(), format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(lines[i]), f"{name}: not a date in the form {fmt}: {values[i]!r}")
    return pd.DatetimeIndex(parsed, name="date")


def _check_sorted(path, index: pd.DatetimeIndex, lines: np.ndarray) -> None:
    if len(index) < 2:
        return
    steps = np.diff(index.asi8)
    bad = steps <= 0
    if bad.any():
        i = int(np.argmax(bad)) + 1
        what = "duplicated" if steps[i - 1] == 0 else "out of order"
        raise DataFormatError(path, int(lines[i]), f"date {index[i]:%Y-%m-%d %H:%M} is {what}")


def _check_non_negative(path, frame: pd.DataFrame, columns: Sequence[str], lines: np.ndarray) -> None:
    values = frame[list(columns)].to_numpy()
    bad = (values < 0).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        col = columns[int(np.argmax(values[i] < 0))]
        raise DataFormatError(
            path, int(lines[i]), f"{col} is negative: {values[i][list(columns).index(col)]}"
        )


def _fast_table(text: str, names: Sequence[str], text_columns: Sequence[str]) -> pd.DataFrame | None:
    """Parse clean csv text with pandas' C parser; None when anything looks wrong.

    The fast path never raises: on any doubt the caller re-parses with the line-tracking slow
    path, which is authoritative and names the offending line.
    """
    dtypes = {name: (str if name in text_columns else np.float64) for name in names}
    try:
        frame = pd.read_csv(
            io.StringIO(text), header=None, names=list(names), dtype=dtypes, engine="c", skip_blank_lines=True
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, OverflowError):
        return None
    if frame.isna().to_numpy().any():
        return None
    numeric = frame[[n for n in names if n not in text_columns]].to_numpy(dtype=np.float64)
    if not np.isfinite(numeric).all():
        return None
    return frame


def _days_from_yyyymmdd(ymd: np.ndarray) -> np.ndarray | None:
    """int64 ``YYYYMMDD`` to ``datetime64[D]``; None when any is not a real calendar date."""
    year, month, day = ymd // 10000, ymd // 100 % 100, ymd % 100
    if ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (year < 1900) | (year > 2200)).any():
        return None
    days = ((year - 1970).astype("M8[Y]") + (month - 1).astype("m8[M]")).astype("M8[D]") + (day - 1).astype(
        "m8[D]"
    )
    # 20140230 would roll into March: a round trip catches impossible dates.
    if (date_to_yyyymmdd(days) != ymd).any():
        return None
    return days


def _bars_fast(text: str, names: Sequence[str]) -> pd.DataFrame | None:
    """Bars of clean ``YYYYMMDD HH:MM,...`` text, parsed as one all-numeric table (fast)."""
    if not text.strip():
        return None
    numeric = text.replace(" ", ",").replace(":", ",")
    try:
        values = pd.read_csv(io.StringIO(numeric), header=None, dtype=np.float64, engine="c").to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, OverflowError):
        return None
    if values.shape[1] != len(names) + 3 or not np.isfinite(values).all():
        return None
    stamp = values[:, :3].astype(np.int64)
    if (stamp != values[:, :3]).any() or (stamp[:, 1] > 23).any() or (stamp[:, 2] > 59).any():
        return None
    days = _days_from_yyyymmdd(stamp[:, 0])
    if days is None:
        return None
    minutes = (stamp[:, 1] * 60 + stamp[:, 2]).astype("m8[m]")
    index = pd.DatetimeIndex(days.astype("M8[ns]") + minutes, name="date")
    bars = values[:, 3:]
    if (np.diff(index.asi8) <= 0).any() or (bars < 0).any():
        return None
    return pd.DataFrame(bars, index=index, columns=list(names))


def _bars(path, n_values: int, names: Sequence[str], date_format: str) -> pd.DataFrame:
    text = _read_text(path)
    fast = _bars_fast(text, names)
    if fast is not None:
        return fast
    fields, lines = _split_fields(path, text, n_values + 1)
    index = _dates(path, fields[:, 0], lines, date_format)
    data = {name: _numeric(path, fields[:, j + 1], lines, name) for j, name in enumerate(names)}
    frame = pd.DataFrame(data, index=index)
    _check_sorted(path, index, lines)
    _check_non_negative(path, frame, list(names), lines)
    return frame


# ---------------------------------------------------------------------------------------------
# readers


def read_equity_daily(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN US equity daily zip.

    Returns
    -------
    pd.DataFrame
        Index ``date`` (the trading day, 00:00, New York); columns ``open, high, low, close``
        in dollars (raw, unadjusted: the file's integers / 10,000) and ``volume`` in shares.
    """
    frame = _bars(path, 5, TRADE_COLUMNS, "%Y%m%d %H:%M")
    frame[["open", "high", "low", "close"]] /= EQUITY_PRICE_SCALE
    return frame


def read_index_daily(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN index daily zip (same layout as equity, real prices, no scaling)."""
    frame = _bars(path, 5, TRADE_COLUMNS, "%Y%m%d %H:%M")
    return frame


def read_forex_daily(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN forex daily zip of quote bars.

    Returns
    -------
    pd.DataFrame
        Index ``date`` (the bar's label, a UTC day for Oanda); columns ``bid_open .. bid_size,
        ask_open .. ask_size`` in quote-currency units per unit of base currency.
    """
    frame = _bars(path, 10, QUOTE_COLUMNS, "%Y%m%d %H:%M")
    return frame


def read_factor_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN factor file: ``YYYYMMDD,price_factor,split_factor,reference_price``.

    A bar on date ``d`` is adjusted by the row with the earliest date >= ``d`` (see
    :func:`adjustment_factors`). Factors must be positive; the reference price (the close the
    factor was computed from, 0 on the final 20501231 row) must not be negative. Old files
    without the reference price column read it as 0.
    """
    text = _read_text(path)
    fields, lines = _split_fields(path, text, 4, min_fields=3)
    fields[:, 3] = np.where(fields[:, 3] == "", "0", fields[:, 3])
    index = _dates(path, fields[:, 0], lines, "%Y%m%d")
    frame = pd.DataFrame(
        {name: _numeric(path, fields[:, j + 1], lines, name) for j, name in enumerate(FACTOR_COLUMNS)},
        index=index,
    )
    _check_sorted(path, index, lines)
    factors = frame[["price_factor", "split_factor"]].to_numpy()
    bad = (factors <= 0).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(lines[i]), "price and split factors must be positive")
    _check_non_negative(path, frame, ["reference_price"], lines)
    return frame


def read_map_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN map file: ``YYYYMMDD,ticker,exchange`` (exchange optional in old files).

    Returns
    -------
    pd.DataFrame
        Index ``date``; columns ``ticker`` (lower case, as stored) and ``exchange`` (a one-letter
        code such as ``Q``, or ``""``). The last row's date is the delisting date (20501231 while
        listed); each row's ticker applies up to and including its date.
    """
    text = _read_text(path)
    fields, lines = _split_fields(path, text, 3, min_fields=2)
    if len(fields) == 0:
        raise DataFormatError(path, 0, "map file is empty")
    index = _dates(path, fields[:, 0], lines, "%Y%m%d")
    tickers = pd.Series(fields[:, 1], dtype=object).str.strip()
    empty = (tickers == "").to_numpy()
    if empty.any():
        raise DataFormatError(path, int(lines[int(np.argmax(empty))]), "empty ticker")
    frame = pd.DataFrame(
        {
            "ticker": tickers.to_numpy(),
            "exchange": pd.Series(fields[:, 2], dtype=object).str.strip().to_numpy(),
        },
        index=index,
    )
    _check_sorted(path, index, lines)
    return frame


# A clean map-file line: ``YYYYMMDD,ticker`` with an optional exchange code.
_MAP_LINE = re.compile(r"^(\d{8}),([^,\s]+)(?:,([^,\s]*))?\r?$", re.MULTILINE)


def read_map_files(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """Read every map file of a folder (``equity/usa/map_files``) into one long frame.

    LEAN's ``MapFileResolver`` indexes all map files at once, and a data folder holds thousands of
    them: each file is matched with one regular expression and all dates are converted in one
    vectorized pass. A file that does not match cleanly is re-read by :func:`read_map_file`, which
    raises naming its line (or accepts it, e.g. with blank lines).

    Returns
    -------
    pd.DataFrame
        Index ``date``; columns ``permtick`` (the file name without ``.csv``, lower case: the ticker
        LEAN names the file by), ``ticker`` and ``exchange`` as :func:`read_map_file`. Files in name
        order, each file's rows in date order. Empty when the folder is missing.
    """
    folder = os.fspath(folder)
    names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".csv")) if os.path.isdir(folder) else []
    permticks: list[str] = []
    counts: list[int] = []
    rows: list[tuple[str, str, str]] = []
    for name in names:
        # plain open(): pathlib's parsing would cost more than reading these few-line files
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as file:
                text = file.read().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""  # matches nothing: read_map_file reports the problem
        found = _MAP_LINE.findall(text)
        if not found or len(found) != text.count("\n") + (not text.endswith("\n")):
            frame = read_map_file(path)
            found = list(zip(date_to_yyyymmdd(frame.index).astype(str).tolist(), frame["ticker"], frame["exchange"],
                             strict=True))
        permticks.append(name[: -len(".csv")].lower())
        counts.append(len(found))
        rows.extend(found)
    days, tickers, exchanges = zip(*rows, strict=True) if rows else ((), (), ())
    ymd = np.asarray(days, dtype=np.int64)
    dates = _days_from_yyyymmdd(ymd) if len(ymd) else np.empty(0, dtype="M8[D]")
    owner = np.repeat(np.arange(len(counts)), counts)
    if dates is None or ((np.diff(ymd) <= 0) & (owner[1:] == owner[:-1])).any():
        # an impossible or unsorted date: each file's own reader names the file and the line
        for name in names:
            read_map_file(os.path.join(folder, name))
        raise DataFormatError(folder, 0, "a map file holds a date outside 1900..2200")
    return pd.DataFrame(
        {"permtick": np.repeat(np.asarray(permticks, dtype=object), counts),
         "ticker": np.asarray(tickers, dtype=object), "exchange": np.asarray(exchanges, dtype=object)},
        index=pd.DatetimeIndex(dates.astype("M8[ns]"), name="date"),
    )


def _coarse_fast(text: str) -> pd.DataFrame | None:
    fast = _fast_table(text, COARSE_COLUMNS, ["sid", "symbol", "has_fundamental_data"])
    if fast is None:
        return None
    flags = fast["has_fundamental_data"]
    is_true = (flags == "True").to_numpy()
    if not (is_true | (flags == "False").to_numpy()).all():
        return None
    numbers = fast[["close", "volume", "dollar_volume"]].to_numpy()
    factors = fast[["price_factor", "split_factor"]].to_numpy()
    if (numbers < 0).any() or (factors <= 0).any():
        return None
    fast["has_fundamental_data"] = is_true
    return fast


def _coarse_frame(path, text: str) -> tuple[pd.DataFrame, np.ndarray]:
    fast = _coarse_fast(text) if text else None
    if fast is not None:
        return fast, np.arange(1, len(fast) + 1)
    fields, lines = _split_fields(path, text, 8, min_fields=6)
    if len(fields) == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in COARSE_COLUMNS})
        return frame.astype({"sid": object, "symbol": object, "has_fundamental_data": bool}), lines
    # Coarse files from before LEAN added factors have 6 columns: the factors are then 1.
    for j in (6, 7):
        fields[:, j] = np.where(fields[:, j] == "", "1", fields[:, j])
    flags = pd.Series(fields[:, 5], dtype=object).str.strip().str.lower()
    valid_flag = flags.isin(["true", "false"]).to_numpy()
    if not valid_flag.all():
        i = int(np.argmax(~valid_flag))
        raise DataFormatError(path, int(lines[i]), f"has_fundamental_data: not True/False: {fields[i, 5]!r}")
    frame = pd.DataFrame(
        {
            "sid": fields[:, 0],
            "symbol": fields[:, 1],
            "close": _numeric(path, fields[:, 2], lines, "close"),
            "volume": _numeric(path, fields[:, 3], lines, "volume"),
            "dollar_volume": _numeric(path, fields[:, 4], lines, "dollar_volume"),
            "has_fundamental_data": (flags == "true").to_numpy(),
            "price_factor": _numeric(path, fields[:, 6], lines, "price_factor"),
            "split_factor": _numeric(path, fields[:, 7], lines, "split_factor"),
        }
    )
    _check_non_negative(path, frame, ["close", "volume", "dollar_volume"], lines)
    bad = (frame[["price_factor", "split_factor"]].to_numpy() <= 0).any(axis=1)
    if bad.any():
        raise DataFormatError(
            path, int(lines[int(np.argmax(bad))]), "price and split factors must be positive"
        )
    return frame, lines


def read_coarse(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one coarse universe file (one trading day).

    Returns
    -------
    pd.DataFrame
        A row per security, file order: ``sid`` (LEAN's security identifier string),
        ``symbol`` (the ticker that day), ``close`` (raw, dollars), ``volume`` (shares),
        ``dollar_volume`` (dollars), ``has_fundamental_data`` (bool), ``price_factor``,
        ``split_factor``.
    """
    frame, _ = _coarse_frame(path, _read_text(path))
    return frame


def read_coarse_range(data_folder: str | os.PathLike[str], start, end) -> pd.DataFrame:
    """All coarse files with dates in ``[start, end]`` in one long frame.

    The files' text is joined and parsed in batches by pandas' C parser (fast for thousands of
    files); a problem is then located by re-reading the batch's files one by one.

    Returns
    -------
    pd.DataFrame
        The :func:`read_coarse` columns plus ``date`` (first column, the file's trading day),
        sorted by date then file order. Empty (with those columns) when no file is in range.
    """
    folder = coarse_folder(data_folder)
    start_key = f"{pd.Timestamp(start):%Y%m%d}"
    end_key = f"{pd.Timestamp(end):%Y%m%d}"
    files = []
    if folder.is_dir():
        for entry in os.scandir(folder):
            stem, dot, ext = entry.name.partition(".")
            if ext == "csv" and len(stem) == 8 and stem.isdigit() and start_key <= stem <= end_key:
                files.append((stem, entry.path))
    files.sort()
    if not files:
        frame, _ = _coarse_frame(folder, "")
        frame.insert(0, "date", pd.DatetimeIndex([], name="date"))
        return frame
    # Parse in batches of ~32 MB of text: one C-parser pass per batch keeps it fast without holding
    # the text of thousands of files at once.
    frames, batch, size = [], [], 0
    for position, (stem, path) in enumerate(files):
        text = _read_text(path)
        if text and not text.endswith("\n"):
            text += "\n"
        batch.append((stem, path, text))
        size += len(text)
        if size >= _COARSE_BATCH_CHARS or position == len(files) - 1:
            frames.append(_coarse_batch(batch))
            batch, size = [], 0
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


_COARSE_BATCH_CHARS = 32 * 2**20


def _coarse_batch(batch: list[tuple[str, str, str]]) -> pd.DataFrame:
    counts = [text.count("\n") for _, _, text in batch]
    frame = _coarse_fast("".join(text for _, _, text in batch))
    if frame is None or len(frame) != sum(counts):
        # Something is off (a bad value, a blank line): parse file by file, which names the
        # file and line of a real problem, and rebuild the counts from what each file holds.
        parts = [read_coarse(path) for _, path, _ in batch]
        counts = [len(part) for part in parts]
        frame = pd.concat(parts, ignore_index=True)
    day = pd.to_datetime(np.repeat(np.asarray([stem for stem, _, _ in batch]), counts), format="%Y%m%d")
    frame.insert(0, "date", day)
    return frame


def read_cboe_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read CBOE's ``VIX_History.csv`` (``DATE,OPEN,HIGH,LOW,CLOSE``, dates ``MM/DD/YYYY``).

    As LEAN's ``CBOE`` reader, lines that do not start with a digit (the header, notes) are
    skipped. Returns columns ``open, high, low, close`` in index points, indexed by ``date``.
    """
    text = _read_text(path)
    # Blank out the skipped lines instead of removing them, so line numbers stay the file's.
    body = "\n".join(line if line[:1].isdigit() else "" for line in text.split("\n"))
    fields, line_numbers = _split_fields(path, body, 5)
    index = _dates(path, fields[:, 0], line_numbers, "%m/%d/%Y")
    frame = pd.DataFrame(
        {
            name: _numeric(path, fields[:, j + 1], line_numbers, name)
            for j, name in enumerate(["open", "high", "low", "close"])
        },
        index=index,
    )
    _check_sorted(path, index, line_numbers)
    _check_non_negative(path, frame, ["open", "high", "low", "close"], line_numbers)
    return frame


def read_interest_rate(path: str | os.PathLike[str]) -> pd.Series:
    """Read LEAN's interest-rate file (``DATE,PCREDIT8`` header, ``YYYY-MM-DD,rate``).

    Returns
    -------
    pd.Series
        Named ``interest_rate``, indexed by ``date`` (the day the rate took effect), in
        **percent** as stored (``2.25`` means 2.25%); LEAN divides by 100 when it uses it.
    """
    text = _read_text(path)
    lines = text.split("\n")
    first = 1
    if lines and lines[0] and not lines[0][:1].isdigit():
        text = "\n".join(lines[1:])
        first = 2
    fields, numbers = _split_fields(path, text, 2, first_line=first)
    index = _dates(path, fields[:, 0], numbers, "%Y-%m-%d")
    values = _numeric(path, fields[:, 1], numbers, "rate")
    _check_sorted(path, index, numbers)
    return pd.Series(values, index=index, name="interest_rate")


# ---------------------------------------------------------------------------------------------
# formatting helpers (vectorized: one %-format over the whole file)


def date_to_yyyymmdd(index) -> np.ndarray:
    """Dates as int64 ``YYYYMMDD`` (vectorized, no strftime)."""
    idx = pd.DatetimeIndex(index)
    return (idx.year.to_numpy() * 10000 + idx.month.to_numpy() * 100 + idx.day.to_numpy()).astype(np.int64)


# Every value has ``decimals`` digits after its point, so zeros just before a newline are fractional.
_TRAILING_ZEROS = re.compile(r"0+(?=\n)")


def _decimal_strings(values, decimals: int) -> list[str]:
    """Values rounded to ``decimals`` places, written without trailing zeros (C#'s Normalize()).

    One %-format over the whole column and one regex pass (no per-value Python work).
    """
    numbers = np.asarray(values, dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0
    if numbers.size == 0:
        return []
    if (numbers == numbers[0]).all():  # constant columns (split factor 1) are common: format once
        return _one(float(numbers[0]), decimals) * numbers.size
    text = (f"%.{decimals}f\n" * numbers.size) % tuple(numbers.tolist())
    if decimals > 0:
        text = _TRAILING_ZEROS.sub("", text).replace(".\n", "\n")
    return text[:-1].split("\n")


def _one(value: float, decimals: int) -> list[str]:
    text = f"{value:.{decimals}f}"
    if decimals > 0:
        text = text.rstrip("0").rstrip(".")
    return [text]


def _int_strings(values) -> list[str]:
    """Integers as decimal strings (one %-format over the column)."""
    numbers = np.asarray(values, dtype=np.int64)
    if numbers.size == 0:
        return []
    return (("%d\n" * numbers.size) % tuple(numbers.tolist()))[:-1].split("\n")


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")


def _check_writable(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    values = frame[list(columns)].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{what}: NaN or infinite values cannot be written")
    if (values < 0).any():
        raise ValueError(f"{what}: negative values cannot be written")
    index = pd.DatetimeIndex(frame.index)
    if len(index) > 1 and (np.diff(index.asi8) <= 0).any():
        raise ValueError(f"{what}: dates must be strictly increasing")


#: LEAN reads prices and volumes into 64-bit integers; a value at or above this cannot be written.
INT64_LIMIT = float(2**63)


def _bar_text(frame: pd.DataFrame, columns: Sequence[str], scale: float | None, decimals: int) -> str:
    """``YYYYMMDD HH:MM,v1,...`` lines joined by newlines, no trailing newline (LEAN's zips)."""
    index = pd.DatetimeIndex(frame.index)
    n = len(index)
    if n == 0:
        return ""
    days = date_to_yyyymmdd(index)
    hhmm = index.hour.to_numpy() * 100 + index.minute.to_numpy()
    if scale is not None:
        # Prices as integers of 1/scale dollars; volume as an integer number of shares.
        scaled = np.rint(frame[list(columns[:-1])].to_numpy(dtype=np.float64) * scale)
        shares = np.rint(frame[columns[-1]].to_numpy(dtype=np.float64))
        if ((scaled == 0) & (frame[list(columns[:-1])].to_numpy(dtype=np.float64) > 0)).any():
            raise ValueError(f"a positive price below LEAN's resolution of {1 / scale:g} would be written as 0")
        if (scaled >= INT64_LIMIT).any() or (shares >= INT64_LIMIT).any():
            raise ValueError("a price or volume is too large for LEAN's 64-bit integers")
        prices, volume = scaled.astype(np.int64), shares.astype(np.int64)
        fields = ",".join(["%d"] * len(columns))
        if not hhmm.any():  # daily bars: every time is 00:00, so write it literally (fewer fields)
            flat = np.column_stack([days, prices, volume]).ravel().tolist()
            return "\n".join([f"%d 00:00,{fields}"] * n) % tuple(flat)
        flat = np.column_stack([days, hhmm // 100, hhmm % 100, prices, volume]).ravel().tolist()
        return "\n".join([f"%d %02d:%02d,{fields}"] * n) % tuple(flat)
    cols = [days.astype(str)]
    times = [f"{h // 100:02d}:{h % 100:02d}" for h in hhmm.tolist()]
    rows = [
        [f"{d} {t}" for d, t in zip(cols[0].tolist(), times, strict=True)],
    ]
    for c in columns:
        values = frame[c].to_numpy(dtype=np.float64)
        if c.endswith(("_size", "volume")):
            rows.append([str(v) for v in np.rint(values).astype(np.int64).tolist()])
        else:
            rows.append(_decimal_strings(values, decimals))
    return "\n".join(",".join(r) for r in zip(*rows, strict=True))


# ---------------------------------------------------------------------------------------------
# writers


def write_equity_daily(path: str | os.PathLike[str], df: pd.DataFrame, compresslevel: int = 1) -> None:
    """Write a LEAN US equity daily zip from dollars (``open, high, low, close, volume``).

    Prices are rounded to the nearest 1/10,000 dollar and volume to whole shares. The entry is
    named ``<file stem>.csv``. ``compresslevel`` (zlib 0-9) trades size for speed: LEAN reads
    any deflate level; 1 writes about six times faster than 6 for 8% more bytes.

    Raises
    ------
    ValueError
        Missing columns, NaN, negative values, or dates not strictly increasing.
    """
    _require_columns(df, TRADE_COLUMNS, str(path))
    _check_writable(df, TRADE_COLUMNS, str(path))
    text = _bar_text(df, TRADE_COLUMNS, EQUITY_PRICE_SCALE, 0)
    _write_zip(path, f"{Path(path).stem}.csv", text, compresslevel)


def write_index_daily(
    path: str | os.PathLike[str], df: pd.DataFrame, decimals: int = 2, compresslevel: int = 1
) -> None:
    """Write a LEAN index daily zip (real prices rounded to ``decimals``, volume as integer)."""
    _require_columns(df, TRADE_COLUMNS, str(path))
    _check_writable(df, TRADE_COLUMNS, str(path))
    _write_zip(path, f"{Path(path).stem}.csv", _bar_text(df, TRADE_COLUMNS, None, decimals), compresslevel)


def write_forex_daily(
    path: str | os.PathLike[str], df: pd.DataFrame, decimals: int = 6, compresslevel: int = 1
) -> None:
    """Write a LEAN forex daily zip of quote bars (prices rounded to ``decimals``, no trailing zeros)."""
    _require_columns(df, QUOTE_COLUMNS, str(path))
    _check_writable(df, QUOTE_COLUMNS, str(path))
    _write_zip(path, f"{Path(path).stem}.csv", _bar_text(df, QUOTE_COLUMNS, None, decimals), compresslevel)


def write_factor_file(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write a LEAN factor file (no trailing newline, as LEAN's files).

    ``price_factor`` is written with 7 decimals (``1`` when exactly one), the split factor and
    reference price with up to 8 and 4 decimals without trailing zeros.
    """
    _require_columns(df, ["price_factor", "split_factor"], str(path))
    frame = df.copy()
    if "reference_price" not in frame.columns:
        frame["reference_price"] = 0.0
    _check_writable(frame, FACTOR_COLUMNS, str(path))
    days = date_to_yyyymmdd(frame.index).tolist()
    price = frame["price_factor"].to_numpy(dtype=np.float64)
    price_text = ["1" if p == 1 else f"{p:.7f}" for p in price.tolist()]
    split_text = _decimal_strings(frame["split_factor"], 8)
    ref_text = _decimal_strings(frame["reference_price"], 4)
    lines = [f"{d},{p},{s},{r}" for d, p, s, r in zip(days, price_text, split_text, ref_text, strict=True)]
    write_atomic(path, "\n".join(lines).encode("ascii"))


def write_map_file(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write a LEAN map file: ``YYYYMMDD,ticker,exchange`` lines, tickers lower case, newline-terminated."""
    _require_columns(df, ["ticker"], str(path))
    index = pd.DatetimeIndex(df.index)
    if len(index) == 0:
        raise ValueError(f"{path}: a map file needs at least one row")
    if len(index) > 1 and (np.diff(index.asi8) <= 0).any():
        raise ValueError(f"{path}: dates must be strictly increasing")
    exchange = df["exchange"] if "exchange" in df.columns else pd.Series("Q", index=df.index)
    days = date_to_yyyymmdd(index).tolist()
    # Old map files have no exchange column: an empty exchange writes the two-field row.
    lines = [
        f"{d},{str(t).lower()},{e}" if e else f"{d},{str(t).lower()}"
        for d, t, e in zip(days, df["ticker"].tolist(), exchange.fillna("").astype(str).tolist(), strict=True)
    ]
    write_atomic(path, ("\n".join(lines) + "\n").encode("ascii"))


def write_coarse(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write one coarse universe file (newline-terminated, as LEAN's).

    ``close`` is written with up to 4 decimals, ``volume`` and ``dollar_volume`` as integers
    (dollar volume truncated as LEAN's files), factors with up to 7 and 8 decimals, without
    trailing zeros. Missing ``has_fundamental_data`` is False; missing factors are 1.
    """
    _require_columns(df, ["sid", "symbol", "close", "volume"], str(path))
    n = len(df)
    close = df["close"].to_numpy(dtype=np.float64)
    volume = df["volume"].to_numpy(dtype=np.float64)
    dollar = (
        df["dollar_volume"].to_numpy(dtype=np.float64) if "dollar_volume" in df.columns else close * volume
    )
    numbers = np.column_stack([close, volume, dollar])
    if not np.isfinite(numbers).all() or (numbers < 0).any():
        raise ValueError(f"{path}: close, volume and dollar volume must be finite and not negative")
    flags = (
        df["has_fundamental_data"]
        if "has_fundamental_data" in df.columns
        else pd.Series(False, index=df.index)
    )
    price_factor = df["price_factor"] if "price_factor" in df.columns else pd.Series(1.0, index=df.index)
    split_factor = df["split_factor"] if "split_factor" in df.columns else pd.Series(1.0, index=df.index)
    columns = [
        [str(s) for s in df["sid"].tolist()],
        [str(s) for s in df["symbol"].tolist()],
        _decimal_strings(close, 4),
        _int_strings(np.rint(volume)),
        _int_strings(np.floor(dollar)),
        ["True" if f else "False" for f in np.asarray(flags, dtype=bool).tolist()],
        _decimal_strings(price_factor, 7),
        _decimal_strings(split_factor, 8),
    ]
    flat = tuple(itertools.chain.from_iterable(zip(*columns, strict=True)))
    text = ("%s,%s,%s,%s,%s,%s,%s,%s\n" * n) % flat
    write_atomic(path, text.encode("ascii"))


def write_cboe_csv(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write CBOE's ``VIX_History.csv`` layout: header ``DATE,OPEN,HIGH,LOW,CLOSE``, ``MM/DD/YYYY``, 6 decimals."""
    columns = ["open", "high", "low", "close"]
    _require_columns(df, columns, str(path))
    _check_writable(df, columns, str(path))
    index = pd.DatetimeIndex(df.index)
    values = df[columns].to_numpy(dtype=np.float64)
    body = "".join(
        f"{d:%m/%d/%Y},{o:.6f},{h:.6f},{lo:.6f},{c:.6f}\n"
        for d, (o, h, lo, c) in zip(index, values.tolist(), strict=True)
    )
    write_atomic(path, ("DATE,OPEN,HIGH,LOW,CLOSE\n" + body).encode("ascii"))


def write_interest_rate(path: str | os.PathLike[str], series: pd.Series) -> None:
    """Write LEAN's interest-rate file from a series in **percent** (``DATE,PCREDIT8`` header, 2 decimals)."""
    index = pd.DatetimeIndex(series.index)
    values = np.asarray(series, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{path}: NaN rates cannot be written")
    if len(index) > 1 and (np.diff(index.asi8) <= 0).any():
        raise ValueError(f"{path}: dates must be strictly increasing")
    lines = [f"{d:%Y-%m-%d},{v:.2f}" for d, v in zip(index, values.tolist(), strict=True)]
    write_atomic(path, ("DATE,PCREDIT8\n" + "\n".join(lines)).encode("ascii"))


# ---------------------------------------------------------------------------------------------
# adjustment


def adjustment_factors(factor_df: pd.DataFrame | None, dates) -> np.ndarray:
    """The price adjustment factor of each bar date.

    Parameters
    ----------
    factor_df : pd.DataFrame or None
        A factor file as from :func:`read_factor_file` (``price_factor``, ``split_factor``);
        None or empty means no file: every factor is 1.
    dates : array-like of datetimes
        Bar dates (any order).

    Returns
    -------
    np.ndarray
        float64, one per date: ``price_factor * split_factor`` of the factor row with the earliest
        date >= the bar date (LEAN's rule); 1 after the last row. ``adjusted = raw * factor``.
    """
    bar_days = pd.DatetimeIndex(dates).normalize().asi8
    if factor_df is None or len(factor_df) == 0:
        return np.ones(len(bar_days), dtype=np.float64)
    rows = pd.DatetimeIndex(factor_df.index).asi8
    combined = factor_df["price_factor"].to_numpy(dtype=np.float64) * factor_df["split_factor"].to_numpy(
        dtype=np.float64
    )
    position = np.searchsorted(rows, bar_days, side="left")
    factors = np.ones(len(bar_days), dtype=np.float64)
    inside = position < len(rows)
    factors[inside] = combined[position[inside]]
    return factors


# ---------------------------------------------------------------------------------------------
# security identifiers

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: LEAN packs an equity's identifier as ``days * 10**14 + market * 100 + security type``, where
#: ``days`` is the OLE automation date (days since 1899-12-30) of the first listing.
_SID_DAYS_OFFSET = 10**14
_SID_MARKET_USA = 1
_SID_TYPE_EQUITY = 1
_OLE_EPOCH = pd.Timestamp("1899-12-30")


def equity_sid(ticker: str, first_date) -> str:
    """LEAN's security identifier string of a US equity, as in coarse files' first column.

    Parameters
    ----------
    ticker : str
        The ticker at listing (the first map-file row's ticker).
    first_date : date-like
        The listing date (LEAN uses 1998-01-02 for securities listed before its data starts).

    Returns
    -------
    str
        ``"<TICKER> <base36>"``, e.g. ``equity_sid("SPY", "1998-01-02") == "SPY R735QTJ8XC9X"``.
    """
    days = (pd.Timestamp(first_date).normalize() - _OLE_EPOCH).days
    value = days * _SID_DAYS_OFFSET + _SID_MARKET_USA * 100 + _SID_TYPE_EQUITY
    digits = []
    while value:
        value, rest = divmod(value, 36)
        digits.append(_BASE36[rest])
    return f"{ticker.upper()} {''.join(reversed(digits))}"


def parse_equity_sid(sid: str) -> tuple[str, pd.Timestamp] | None:
    """The first ticker and listing date packed in an equity's security identifier string.

    The inverse of :func:`equity_sid` (LEAN's ``SecurityIdentifier.Parse``: the date field is the
    OLE automation day number). None for a string that is not ``"<TICKER> <base36>"``.
    """
    ticker, _, code = sid.strip().partition(" ")
    try:
        days = int(code, 36) // _SID_DAYS_OFFSET % 100_000
    except ValueError:
        return None
    if not ticker:
        return None
    return ticker.upper(), _OLE_EPOCH + pd.Timedelta(days=days)
