"""Factor files (``YYYYMMDD,price_factor,split_factor,reference_price``) and the adjustment they give a bar."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lean_local.atomic import write_atomic
from lean_local.data.formats.base import (
    FACTOR_COLUMNS,
    DataFormatError,
)
from lean_local.data.formats.formatting import (
    check_writable,
    date_to_yyyymmdd,
    decimal_strings,
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


def read_factor_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a LEAN factor file: ``YYYYMMDD,price_factor,split_factor,reference_price``.

    A bar on date ``d`` is adjusted by the row with the earliest date >= ``d`` (see
    :func:`adjustment_factors`). Factors must be positive; the reference price (the close the
    factor was computed from, 0 on the final 20501231 row) must not be negative. Old files
    without the reference price column read it as 0.
    """
    text = read_text(path)
    fields, lines = split_fields(path, text, 4, min_fields=3)
    fields[:, 3] = np.where(fields[:, 3] == "", "0", fields[:, 3])
    index = parse_dates(path, fields[:, 0], lines, "%Y%m%d")
    frame = pd.DataFrame(
        {name: parse_numbers(path, fields[:, j + 1], lines, name) for j, name in enumerate(FACTOR_COLUMNS)},
        index=index,
    )
    check_sorted(path, index, lines)
    factors = frame[["price_factor", "split_factor"]].to_numpy()
    bad = (factors <= 0).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(path, int(lines[i]), "price and split factors must be positive")
    check_non_negative(path, frame, ["reference_price"], lines)
    return frame



def write_factor_file(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write a LEAN factor file (no trailing newline, as LEAN's files).

    ``price_factor`` is written with 7 decimals (``1`` when exactly one), the split factor and
    reference price with up to 8 and 4 decimals without trailing zeros.
    """
    require_columns(df, ["price_factor", "split_factor"], str(path))
    frame = df.copy()
    if "reference_price" not in frame.columns:
        frame["reference_price"] = 0.0
    check_writable(frame, FACTOR_COLUMNS, str(path))
    days = date_to_yyyymmdd(frame.index).tolist()
    price = frame["price_factor"].to_numpy(dtype=np.float64)
    price_text = ["1" if p == 1 else f"{p:.7f}" for p in price.tolist()]
    split_text = decimal_strings(frame["split_factor"], 8)
    ref_text = decimal_strings(frame["reference_price"], 4)
    lines = [f"{d},{p},{s},{r}" for d, p, s, r in zip(days, price_text, split_text, ref_text, strict=True)]
    write_atomic(path, "\n".join(lines).encode("ascii"))


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

