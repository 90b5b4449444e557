"""CBOE's VIX history csv and LEAN's interest-rate file."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lean_local.atomic import write_atomic
from lean_local.data.formats.formatting import (
    check_writable,
    require_columns,
)
from lean_local.data.formats.parsing import (
    check_non_negative,
    check_sorted,
    parse_dates,
    parse_numbers,
    split_fields,
)
from lean_local.data.formats.raw import read_text


def read_cboe_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read CBOE's ``VIX_History.csv`` (``DATE,OPEN,HIGH,LOW,CLOSE``, dates ``MM/DD/YYYY``).

    As LEAN's ``CBOE`` reader, lines that do not start with a digit (the header, notes) are
    skipped. Returns columns ``open, high, low, close`` in index points, indexed by ``date``.
    """
    text = read_text(path)
    # Blank out the skipped lines instead of removing them, so line numbers stay the file's.
    body = "\n".join(line if line[:1].isdigit() else "" for line in text.split("\n"))
    fields, line_numbers = split_fields(path, body, 5)
    index = parse_dates(path, fields[:, 0], line_numbers, "%m/%d/%Y")
    frame = pd.DataFrame(
        {
            name: parse_numbers(path, fields[:, j + 1], line_numbers, name)
            for j, name in enumerate(["open", "high", "low", "close"])
        },
        index=index,
    )
    check_sorted(path, index, line_numbers)
    check_non_negative(path, frame, ["open", "high", "low", "close"], line_numbers)
    return frame


def read_interest_rate(path: str | os.PathLike[str]) -> pd.Series:
    """Read LEAN's interest-rate file (``DATE,PCREDIT8`` header, ``YYYY-MM-DD,rate``).

    Returns
    -------
    pd.Series
        Named ``interest_rate``, indexed by ``date`` (the day the rate took effect), in
        **percent** as stored (``2.25`` means 2.25%); LEAN divides by 100 when it uses it.
    """
    text = read_text(path)
    lines = text.split("\n")
    first = 1
    if lines and lines[0] and not lines[0][:1].isdigit():
        text = "\n".join(lines[1:])
        first = 2
    fields, numbers = split_fields(path, text, 2, first_line=first)
    index = parse_dates(path, fields[:, 0], numbers, "%Y-%m-%d")
    values = parse_numbers(path, fields[:, 1], numbers, "rate")
    check_sorted(path, index, numbers)
    return pd.Series(values, index=index, name="interest_rate")


def write_cboe_csv(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write CBOE's ``VIX_History.csv`` layout: header ``DATE,OPEN,HIGH,LOW,CLOSE``, ``MM/DD/YYYY``, 6 decimals."""
    columns = ["open", "high", "low", "close"]
    require_columns(df, columns, str(path))
    check_writable(df, columns, str(path))
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
