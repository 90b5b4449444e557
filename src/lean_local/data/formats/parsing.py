"""Parsing helpers shared by the readers: fields with their line numbers, numbers, dates, order checks,
and the fast path (pandas' C parser) that returns None on any doubt so the line-tracking path decides."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lean_local.data.formats.base import DataFormatError
from lean_local.data.formats.formatting import date_to_yyyymmdd


def split_fields(path, text: str, n_fields: int, min_fields: int | None = None, first_line: int = 1):
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


def parse_numbers(path, values: np.ndarray, lines: np.ndarray, name: str) -> np.ndarray:
    """Strings to float64; the first non-numeric (or NaN/inf) value raises with its line."""
    series = pd.Series(values, dtype=object).str.strip()
    out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(lines[i]), f"{name}: not a number: {values[i]!r}")
    return out


def parse_dates(path, values: np.ndarray, lines: np.ndarray, fmt: str, name: str = "date") -> pd.DatetimeIndex:
    parsed = pd.to_datetime(pd.Series(values, dtype=object).str.strip(), format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(lines[i]), f"{name}: not a date in the form {fmt}: {values[i]!r}")
    return pd.DatetimeIndex(parsed, name="date")


def check_sorted(path, index: pd.DatetimeIndex, lines: np.ndarray) -> None:
    if len(index) < 2:
        return
    steps = np.diff(index.asi8)
    bad = steps <= 0
    if bad.any():
        i = int(np.argmax(bad)) + 1
        what = "duplicated" if steps[i - 1] == 0 else "out of order"
        raise DataFormatError(path, int(lines[i]), f"date {index[i]:%Y-%m-%d %H:%M} is {what}")


def check_non_negative(path, frame: pd.DataFrame, columns: Sequence[str], lines: np.ndarray) -> None:
    values = frame[list(columns)].to_numpy()
    bad = (values < 0).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        col = columns[int(np.argmax(values[i] < 0))]
        raise DataFormatError(
            path, int(lines[i]), f"{col} is negative: {values[i][list(columns).index(col)]}"
        )


def fast_table(text: str, names: Sequence[str], text_columns: Sequence[str]) -> pd.DataFrame | None:
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


def days_from_yyyymmdd(ymd: np.ndarray) -> np.ndarray | None:
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

