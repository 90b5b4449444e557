"""The on-disk cache of parsed data files (``LEAN_LOCAL_CACHE``, else
``~/.cache/lean_local/parsed``): one ``.npy`` record array per parsed file, keyed by the file's path,
size and modification time."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.atomic import atomic_write

log = logging.getLogger("lean_local.engine")


def cache_dir() -> Path | None:
    """Where parsed data files are kept between runs: ``LEAN_LOCAL_CACHE`` (empty or ``0``
    disables), else ``~/.cache/lean_local/parsed``."""
    value = os.environ.get("LEAN_LOCAL_CACHE")
    if value is not None and value.strip() in ("", "0"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "lean_local" / "parsed"


def cached_read(reader: Callable[[Path], pd.DataFrame], path: Path) -> pd.DataFrame:
    """``reader(path)``, memoized on disk by the file's path, size and modification time.

    Parsing LEAN's zips and csv files costs tens of milliseconds a file; a run over hundreds of
    symbols reads the parsed columns back from one ``.npy`` record array per file instead (no
    pickle). Only files that parsed without error are cached, so validation
    (``DataFormatError``) still happens on every change of a file.
    """
    folder = cache_dir()
    if folder is None:
        return reader(path)
    stat = os.stat(path)
    key = f"{reader.__name__}|{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
    target = folder / f"{hashlib.sha1(key.encode()).hexdigest()}.npy"
    if target.exists():
        try:
            stored = np.load(target, allow_pickle=False)
            names = [n for n in stored.dtype.names if n != "__index__"]
            return pd.DataFrame({n: stored[n] for n in names},
                                index=pd.DatetimeIndex(stored["__index__"].view("datetime64[ns]"), name="date"))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable cache entry: parse again and overwrite it
    frame = reader(path)
    try:
        fields = [("__index__", "i8")]
        for name in frame.columns:
            column = frame[name]
            if column.dtype == object:
                width = max(1, int(column.astype(str).str.len().max() or 1))
                fields.append((str(name), f"U{width}"))
            else:
                fields.append((str(name), column.dtype.str))
        record = np.empty(len(frame), dtype=fields)
        record["__index__"] = pd.DatetimeIndex(frame.index).asi8
        for name in frame.columns:
            record[str(name)] = frame[name].to_numpy()
    except (ValueError, TypeError) as error:
        log.debug("parsed-data cache not written (%s)", error)
        return frame
    save_record(target, record)
    return frame


def save_record(target: Path, record: np.ndarray) -> None:
    try:
        with atomic_write(target, suffix=".npy") as tmp:
            np.save(tmp, record, allow_pickle=False)
    except OSError as error:
        log.debug("parsed-data cache not written (%s)", error)
