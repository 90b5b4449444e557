"""Map files (``YYYYMMDD,ticker,exchange``): one file, and a whole folder at once."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from lean_local.atomic import write_atomic
from lean_local.data.formats.base import (
    DataFormatError,
)
from lean_local.data.formats.formatting import (
    date_to_yyyymmdd,
    require_columns,
)
from lean_local.data.formats.parsing import (
    check_sorted,
    days_from_yyyymmdd,
    parse_dates,
    split_fields,
)
from lean_local.data.formats.raw import read_text


def read_map_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN map file: ``YYYYMMDD,ticker,exchange`` (exchange optional in old files).

    Returns
    -------
    pd.DataFrame
        Index ``date``; columns ``ticker`` (lower case, as stored) and ``exchange`` (a one-letter
        code such as ``Q``, or ``""``). The last row's date is the delisting date (20501231 while
        listed); each row's ticker applies up to and including its date.
    """
    text = read_text(path)
    fields, lines = split_fields(path, text, 3, min_fields=2)
    if len(fields) == 0:
        raise DataFormatError(path, 0, "map file is empty")
    index = parse_dates(path, fields[:, 0], lines, "%Y%m%d")
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
    check_sorted(path, index, lines)
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
    dates = days_from_yyyymmdd(ymd) if len(ymd) else np.empty(0, dtype="M8[D]")
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


def write_map_file(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write a LEAN map file: ``YYYYMMDD,ticker,exchange`` lines, tickers lower case, newline-terminated."""
    require_columns(df, ["ticker"], str(path))
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

