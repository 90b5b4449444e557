"""VIX into a LEAN data folder: ``index/usa/daily/vix.zip`` and ``alternative/cboe/vix.csv``.

Sources: CBOE's own ``VIX_History.csv`` (download it from cboe.com; header
``DATE,OPEN,HIGH,LOW,CLOSE``, dates ``MM/DD/YYYY``), or, offline, the 2014-2019 daily closes that
ship with the ``arch`` package (``arch.data.vix.load()``; close only, so open = high = low =
close; its NaN rows are US holidays and are dropped).

Both files get the same bars: the index zip for ``add_index("VIX")`` and the CBOE csv for
``add_data(CBOE, "VIX")``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.data.formats import (
    DataFormatError,
    cboe_path,
    index_daily_path,
    read_cboe_csv,
    write_cboe_csv,
    write_index_daily,
)

__all__ = ["load_arch_vix", "validate_vix_bars", "write_vix", "import_cboe_file", "import_arch_vix"]


def load_arch_vix() -> pd.DataFrame:
    """The VIX closes bundled with ``arch`` as bars (open = high = low = close), NaN rows dropped.

    Returns
    -------
    pd.DataFrame
        Index ``date``; columns ``open, high, low, close`` (index points), float64.
    """
    from arch.data.vix import load

    close = load()["vix"].dropna().astype(np.float64)
    index = pd.DatetimeIndex(close.index, name="date").normalize()
    values = close.to_numpy()
    return pd.DataFrame({"open": values, "high": values, "low": values, "close": values}, index=index)


def validate_vix_bars(frame: pd.DataFrame, source: str | os.PathLike[str]) -> None:
    """Prices must be positive with low <= open, close <= high.

    Raises
    ------
    DataFormatError
        Naming ``source`` and, when the frame came from a file, the bar's date (line 0: the line
        numbers of CBOE's file are already checked by the reader).
    """
    values = frame[["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
    problems = [
        ((values <= 0).any(axis=1), "prices must be positive"),
        (values[:, 1] < np.maximum(values[:, 0], values[:, 3]), "high is below open or close"),
        (values[:, 2] > np.minimum(values[:, 0], values[:, 3]), "low is above open or close"),
    ]
    for bad, message in problems:
        if bad.any():
            day = frame.index[int(np.argmax(bad))]
            raise DataFormatError(source, 0, f"{day:%Y-%m-%d}: {message}")


def write_vix(data_folder: str | os.PathLike[str], frame: pd.DataFrame) -> list[Path]:
    """Write both VIX files from bars in index points; returns the two paths."""
    bars = frame[["open", "high", "low", "close"]].copy()
    bars["volume"] = 0.0
    index_path = index_daily_path(data_folder, "VIX")
    csv_path = cboe_path(data_folder, "VIX")
    write_index_daily(index_path, bars, decimals=2)
    write_cboe_csv(csv_path, bars)
    return [index_path, csv_path]


def import_cboe_file(
    data_folder: str | os.PathLike[str], path: str | os.PathLike[str]
) -> tuple[int, list[Path]]:
    """Import CBOE's ``VIX_History.csv``; returns (bars, paths written). Nothing is written on error."""
    frame = read_cboe_csv(path)
    if frame.empty:
        raise DataFormatError(path, 0, "no VIX rows (lines starting with a digit) in the file")
    validate_vix_bars(frame, path)
    return len(frame), write_vix(data_folder, frame)


def import_arch_vix(data_folder: str | os.PathLike[str]) -> tuple[int, list[Path]]:
    """Import the 2014-2019 VIX closes of ``arch.data.vix``; returns (bars, paths written)."""
    frame = load_arch_vix()
    validate_vix_bars(frame, "arch.data.vix")
    return len(frame), write_vix(data_folder, frame)
