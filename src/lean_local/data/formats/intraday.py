"""Intraday US equity bars: LEAN's minute zips (one per ticker, day and tick type) and hour zips.

Minute files (``equity/usa/minute/<ticker>/<yyyymmdd>_{trade,quote}.zip``, one csv inside) hold one
bar per line, the bar's start as milliseconds since the day's midnight (New York), prices as
integers x 10,000 (LEAN's ``TradeBar``/``QuoteBar`` readers, ``Common/Data/Market/TradeBar.cs``
``ParseEquity`` and ``QuoteBar.cs`` ``ParseEquity``):

* trade: ``ms, open, high, low, close, volume``;
* quote: ``ms, bid open, high, low, close, last bid size, ask open, high, low, close, last ask size``;
  a side without quotes in the minute is five empty fields (LEAN's ``QuoteBar.Bid``/``Ask`` null).

The files include the extended session (04:00-20:00); which bars reach an algorithm is the feed's
business. Hour zips (``equity/usa/hour/<ticker>.zip``) have the daily files' row layout
(``yyyymmdd hh:mm``, the bar's start) and are read by :func:`read_equity_hour`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data.formats.bars import read_equity_daily
from lean_local.data.formats.base import EQUITY_PRICE_SCALE, QUOTE_COLUMNS, TRADE_COLUMNS, DataFormatError
from lean_local.data.formats.parsing import split_fields
from lean_local.data.formats.raw import read_text

MS_PER_DAY = 86_400_000
_NS_PER_MS = 10**6
_PRICES = ("open", "high", "low", "close")


def equity_minute_path(data_folder: str | os.PathLike[str], ticker: str, day: pd.Timestamp, tick_type: str) -> Path:
    """``equity/usa/minute/<ticker lower>/<yyyymmdd>_<tick_type>.zip`` (``tick_type``: trade or quote)."""
    return Path(data_folder) / "equity" / "usa" / "minute" / ticker.lower() / f"{day:%Y%m%d}_{tick_type}.zip"


def _numbers(path: str | os.PathLike[str], text: str, n_fields: int, blanks_allowed: bool) -> np.ndarray:
    """The file's rows as a float64 (rows x ``n_fields``) array; empty fields are NaN when allowed."""
    try:
        values = pd.read_csv(io.StringIO(text), header=None, dtype=np.float64, engine="c",
                             skip_blank_lines=True).to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, OverflowError):
        values = None
    if values is not None and values.shape[1] == n_fields and not np.isinf(values).any() \
            and (blanks_allowed or not np.isnan(values).any()) and not np.isnan(values[:, 0]).any():
        return values
    # the line-tracking path names the first bad line
    fields, lines = split_fields(path, text, n_fields)
    out = np.empty(fields.shape, dtype=np.float64)
    for i, row in enumerate(fields):
        for j, value in enumerate(row):
            value = value.strip()
            if not value and blanks_allowed and j > 0:
                out[i, j] = np.nan
                continue
            try:
                out[i, j] = float(value)
            except ValueError:
                raise DataFormatError(path, int(lines[i]), f"field {j + 1}: not a number: {value!r}") from None
            if not np.isfinite(out[i, j]):
                raise DataFormatError(path, int(lines[i]), f"field {j + 1}: not a number: {value!r}")
    return out


def _rows_with_lines(text: str) -> np.ndarray:
    """1-based line number of each non-blank line (the rows :func:`_numbers` returns)."""
    return np.array([k + 1 for k, line in enumerate(text.split("\n")) if line.strip()], dtype=np.int64)


def _frame(path: str | os.PathLike[str], day: pd.Timestamp, n_values: int, names: list[str],
           blanks_allowed: bool) -> pd.DataFrame:
    text = read_text(path)
    values = _numbers(path, text, n_values + 1, blanks_allowed) if text.strip() else np.empty((0, n_values + 1))
    ms = values[:, 0]
    bad = (ms != np.floor(ms)) | (ms < 0) | (ms >= MS_PER_DAY)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(_rows_with_lines(text)[i]),
                              f"time: {ms[i]:g} is not a whole number of milliseconds within a day")
    steps = np.diff(ms)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        what = "duplicated" if steps[i - 1] == 0 else "out of order"
        raise DataFormatError(path, int(_rows_with_lines(text)[i]), f"time {ms[i]:g} ms is {what}")
    bars = values[:, 1:]
    negative = bars < 0
    if negative.any():
        i = int(np.argmax(negative.any(axis=1)))
        j = int(np.argmax(negative[i]))
        raise DataFormatError(path, int(_rows_with_lines(text)[i]), f"{names[j]} is negative: {bars[i, j]:g}")
    start = pd.Timestamp(day).normalize().value
    index = pd.DatetimeIndex(start + ms.astype(np.int64) * _NS_PER_MS, name="date")
    return pd.DataFrame(bars, index=index, columns=names)


def read_equity_minute_trade(path: str | os.PathLike[str], day: pd.Timestamp) -> pd.DataFrame:
    """Read a minute trade zip of ``day``.

    Returns
    -------
    pd.DataFrame
        Index ``date``: each bar's start (naive New York); columns ``open, high, low, close`` in
        dollars (raw, unadjusted: the file's integers / 10,000) and ``volume`` in shares.
    """
    frame = _frame(path, day, 5, list(TRADE_COLUMNS), blanks_allowed=False)
    frame[list(_PRICES)] /= EQUITY_PRICE_SCALE
    return frame


def read_equity_minute_quote(path: str | os.PathLike[str], day: pd.Timestamp) -> pd.DataFrame:
    """Read a minute quote zip of ``day``.

    Returns
    -------
    pd.DataFrame
        Index ``date``: each bar's start (naive New York); columns ``bid_open .. bid_size,
        ask_open .. ask_size``, prices in dollars, sizes in shares (the last size of the minute);
        NaN for a side that had no quote in the minute.
    """
    frame = _frame(path, day, 10, list(QUOTE_COLUMNS), blanks_allowed=True)
    for side in ("bid", "ask"):
        frame[[f"{side}_{p}" for p in _PRICES]] /= EQUITY_PRICE_SCALE
    return frame


def read_equity_hour(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an hour zip: index ``date`` is each bar's start (naive New York), columns as
    :func:`read_equity_daily` (the same row layout)."""
    return read_equity_daily(path)
