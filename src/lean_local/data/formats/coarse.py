"""Coarse universe files (one per trading day): one file, a date range, and the writer.

A clean file (or a batch of files) is parsed by pandas' C parser (:func:`_coarse_fast`); anything
else goes through the line-tracking parser, which also reads LEAN's older 6-column files and
names the file and line of a real problem."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd

from lean_local.atomic import write_atomic
from lean_local.data.formats.base import (
    COARSE_COLUMNS,
    DataFormatError,
)
from lean_local.data.formats.formatting import (
    decimal_strings,
    int_strings,
    require_columns,
)
from lean_local.data.formats.parsing import (
    check_non_negative,
    fast_table,
    parse_numbers,
    split_fields,
)
from lean_local.data.formats.paths import coarse_folder
from lean_local.data.formats.raw import read_text


def _coarse_fast(text: str) -> pd.DataFrame | None:
    fast = fast_table(text, COARSE_COLUMNS, ["sid", "symbol", "has_fundamental_data"])
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
    fields, lines = split_fields(path, text, 8, min_fields=6)
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
            "close": parse_numbers(path, fields[:, 2], lines, "close"),
            "volume": parse_numbers(path, fields[:, 3], lines, "volume"),
            "dollar_volume": parse_numbers(path, fields[:, 4], lines, "dollar_volume"),
            "has_fundamental_data": (flags == "true").to_numpy(),
            "price_factor": parse_numbers(path, fields[:, 6], lines, "price_factor"),
            "split_factor": parse_numbers(path, fields[:, 7], lines, "split_factor"),
        }
    )
    check_non_negative(path, frame, ["close", "volume", "dollar_volume"], lines)
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
    frame, _ = _coarse_frame(path, read_text(path))
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
        text = read_text(path)
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


def write_coarse(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write one coarse universe file (newline-terminated, as LEAN's).

    ``close`` is written with up to 4 decimals, ``volume`` and ``dollar_volume`` as integers
    (dollar volume truncated as LEAN's files), factors with up to 7 and 8 decimals, without
    trailing zeros. Missing ``has_fundamental_data`` is False; missing factors are 1.
    """
    require_columns(df, ["sid", "symbol", "close", "volume"], str(path))
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
        decimal_strings(close, 4),
        int_strings(np.rint(volume)),
        int_strings(np.floor(dollar)),
        ["True" if f else "False" for f in np.asarray(flags, dtype=bool).tolist()],
        decimal_strings(price_factor, 7),
        decimal_strings(split_factor, 8),
    ]
    flat = tuple(itertools.chain.from_iterable(zip(*columns, strict=True)))
    text = ("%s,%s,%s,%s,%s,%s,%s,%s\n" * n) % flat
    write_atomic(path, text.encode("ascii"))

