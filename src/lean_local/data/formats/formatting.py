"""Formatting helpers shared by the writers (vectorized: one %-format over a whole column) and their checks."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd


def date_to_yyyymmdd(index) -> np.ndarray:
    """Dates as int64 ``YYYYMMDD`` (vectorized, no strftime)."""
    idx = pd.DatetimeIndex(index)
    return (idx.year.to_numpy() * 10000 + idx.month.to_numpy() * 100 + idx.day.to_numpy()).astype(np.int64)


# Every value has ``decimals`` digits after its point, so zeros just before a newline are fractional.
_TRAILING_ZEROS = re.compile(r"0+(?=\n)")


def decimal_strings(values, decimals: int) -> list[str]:
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


def int_strings(values) -> list[str]:
    """Integers as decimal strings (one %-format over the column)."""
    numbers = np.asarray(values, dtype=np.int64)
    if numbers.size == 0:
        return []
    return (("%d\n" * numbers.size) % tuple(numbers.tolist()))[:-1].split("\n")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")


def check_writable(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    values = frame[list(columns)].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{what}: NaN or infinite values cannot be written")
    if (values < 0).any():
        raise ValueError(f"{what}: negative values cannot be written")
    index = pd.DatetimeIndex(frame.index)
    if len(index) > 1 and (np.diff(index.asi8) <= 0).any():
        raise ValueError(f"{what}: dates must be strictly increasing")

