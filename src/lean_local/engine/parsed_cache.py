"""The on-disk cache of parsed data files (``LEAN_LOCAL_CACHE``, else
``~/.cache/lean_local/parsed``): one ``.npy`` record array per parsed file (a ``.marshal`` file for a
reader of plain values), keyed by the reader, the file's path, size and modification time."""

from __future__ import annotations

import ast
import errno
import functools
import hashlib
import logging
import marshal
import mmap
import os
import re
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from lean_local.atomic import atomic_write

log = logging.getLogger("lean_local.engine")

Plain = TypeVar("Plain")


def cache_dir() -> Path | None:
    """Where parsed data files are kept between runs: ``LEAN_LOCAL_CACHE`` (empty or ``0``
    disables), else ``~/.cache/lean_local/parsed``."""
    return _cache_dir(os.environ.get("LEAN_LOCAL_CACHE"), os.environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _cache_dir(value: str | None, home: str | None) -> Path | None:
    """:func:`cache_dir` of the two environment variables it depends on (asked once per file read)."""
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
    target = _target(folder, reader, path)
    stored = _load(target)
    if stored is not None:
        return _frame(stored)
    frame = reader(path)
    record = _record(frame)
    if record is not None:
        save_record(target, record)
    return frame


def load_record(reader: Callable[[Path], pd.DataFrame], path: Path, missing_ok: bool = False) -> np.ndarray | None:
    """:func:`cached_read`'s columns as the cache keeps them: a record array with the frame's index as
    int64 nanoseconds in ``__index__`` and one field per column (no frame built: a caller that reads
    a few columns of many small files, as the factor files' events, skips pandas). ``missing_ok``: None
    for a path that does not exist (``Path.exists``' answer, from the stat the cache's key takes)."""
    folder = cache_dir()
    stat = None
    if missing_ok:
        stat = existing_stat(path)
        if stat is None:
            return None
    target = None if folder is None else _target(folder, reader, path, stat)
    stored = None if target is None else _load(target)
    if stored is not None:
        return stored
    record = _record(reader(path))
    if record is None:
        raise ValueError(f"{path}: its parsed columns do not fit a record array")
    if target is not None:
        save_record(target, record)
    return record


def cached_value(reader: Callable[[Path], Plain], path: Path) -> Plain:
    """``reader(path)``, memoized on disk as :func:`cached_read` is, for a reader that returns plain values.

    The value (dicts, lists, strings and numbers only) is kept with :mod:`marshal`, which reads back
    without parsing text; a file whose read raised is never kept, so its errors come again on every run.
    An unreadable kept value is read again from ``path`` and overwritten.
    """
    folder = cache_dir()
    if folder is None:
        return reader(path)
    target = _target(folder, reader, path, suffix=".marshal")
    try:
        with open(target, "rb") as handle:
            return marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = reader(path)
    try:
        with atomic_write(target, suffix=".marshal") as tmp, open(tmp, "wb") as handle:
            marshal.dump(value, handle)
    except (OSError, ValueError) as error:
        log.debug("parsed-data cache not written (%s)", error)
    return value


def existing_stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    """``path``'s stat, None where ``Path.exists`` is False (the errors it ignores; any other is raised)."""
    try:
        return os.stat(path)
    except OSError as error:
        if error.errno in _MISSING_ERRNOS:
            return None
        raise
    except ValueError:  # a path that cannot exist (a NUL byte)
        return None


_MISSING_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def _target(folder: Path, reader: Callable[[Path], pd.DataFrame], path: Path,
            stat: os.stat_result | None = None, suffix: str = ".npy") -> str:
    """The cache file of ``reader``'s result for ``path`` as it is now, as text (a pathlib join and its parse
    cost a third of finding a small record: the factor files' events read one per security)."""
    stat = os.stat(path) if stat is None else stat
    key = f"{reader.__name__}|{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
    return os.path.join(folder, hashlib.sha1(key.encode()).hexdigest() + suffix)


def _load(target: str) -> np.ndarray | None:
    """The cached record, or None when absent or unreadable (then parsed again and overwritten)."""
    try:
        return read_record(target)
    except (OSError, ValueError, KeyError, TypeError):
        return None


_NPY_MAGIC = b"\x93NUMPY\x01\x00"  # format version 1.0, as np.save writes a cache record
_SHAPE = re.compile(r"'shape': \((\d+),\)")


def read_record(target: str | os.PathLike[str]) -> np.ndarray:
    """``np.load(target, allow_pickle=False)`` of a one-dimensional ``.npy`` array (a record array or
    a plain one).

    ``np.load`` parses each file's header with ``ast.literal_eval`` (a compile per file: about a third of
    reading a small record); the records of one kind share their header but for the row count, so the
    dtype is parsed once per layout. Any other file goes through ``np.load``.
    """
    # unbuffered: the rows are read straight into the array (np.fromfile went through a C stream of
    # the file's descriptor, a copy and more calls)
    with open(target, "rb", buffering=0) as handle:
        prefix = handle.read(len(_NPY_MAGIC) + 2)
        header = handle.read(int.from_bytes(prefix[-2:], "little")).decode("latin1")
        shape = _SHAPE.search(header)
        if prefix[:len(_NPY_MAGIC)] == _NPY_MAGIC and shape is not None:
            dtype = _record_dtype(header[:shape.start()] + "'shape': (0,)" + header[shape.end():])
            if dtype is not None:
                count = int(shape.group(1))
                record = np.empty(count, dtype=dtype)
                size = handle.readinto(record.view(np.uint8)) if record.nbytes else 0
                if size != record.nbytes:
                    raise ValueError(f"{target}: {size // dtype.itemsize} of {count} rows")
                return record
    return np.load(target, allow_pickle=False)


def map_record(target: str | os.PathLike[str]) -> np.ndarray:
    """:func:`read_record` of a one-dimensional plain ``.npy`` array as a read-only view of the file mapped
    into memory (``np.load``'s ``mmap_mode="r"`` without its header parse); any other file is read.

    A run reads a fraction of an equity's bars (its emission times whole, a few prices a step): the pages
    it never reads are never copied, and the ones it reads come from the page cache without a fresh
    page's zero-fill (a new process faulted on each 4 KB of the copies). CPython's mapping keeps a duplicate
    of the file's descriptor while it lives, so at most :data:`MAX_MAPPED` records are mapped at once (a
    run's thousands of equities would pass a default ``ulimit -n`` of 1,024); past that, records are read."""
    if _mapped_alive[0] >= MAX_MAPPED:
        return read_record(target)
    with open(target, "rb", buffering=0) as handle:
        prefix = handle.read(len(_NPY_MAGIC) + 2)
        length = int.from_bytes(prefix[-2:], "little")
        header = handle.read(length).decode("latin1")
        shape = _SHAPE.search(header)
        if prefix[:len(_NPY_MAGIC)] == _NPY_MAGIC and shape is not None:
            dtype = _record_dtype(header[:shape.start()] + "'shape': (0,)" + header[shape.end():])
            count = int(shape.group(1))
            if dtype is not None and dtype.fields is None and count:
                offset = len(prefix) + length
                size = os.fstat(handle.fileno()).st_size - offset
                if size < count * dtype.itemsize:  # read_record's check: bytes past the rows are ignored
                    raise ValueError(f"{target}: {max(size, 0) // dtype.itemsize} of {count} rows")
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                _mapped_alive[0] += 1
                weakref.finalize(mapped, _unmapped)
                return np.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
    return read_record(target)


#: The most records :func:`map_record` keeps mapped at once (each holds an open file descriptor).
MAX_MAPPED = 256
_mapped_alive = [0]


def _unmapped() -> None:
    _mapped_alive[0] -= 1


@functools.lru_cache(maxsize=64)
def _record_dtype(header: str) -> np.dtype | None:
    """The dtype of a ``.npy`` header (its row count zeroed); None unless a C-ordered array of plain fields
    or of one plain type."""
    try:
        fields = ast.literal_eval(header)
    except SyntaxError as error:  # np.load's error for a header it cannot read
        raise ValueError(f"unreadable .npy header {header!r}") from error
    if fields.get("fortran_order") or not isinstance(fields.get("descr"), list | str):
        return None
    dtype = np.lib.format.descr_to_dtype(fields["descr"])
    return None if dtype.hasobject else dtype


def _frame(stored: np.ndarray) -> pd.DataFrame:
    names = [n for n in stored.dtype.names if n != "__index__"]
    return pd.DataFrame({n: stored[n] for n in names},
                        index=pd.DatetimeIndex(stored["__index__"].view("datetime64[ns]"), name="date"))


def _record(frame: pd.DataFrame) -> np.ndarray | None:
    """``frame`` as a record array (:func:`load_record`), or None when a column does not fit one."""
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
        return None
    return record


def save_record(target: str | os.PathLike[str], record: np.ndarray) -> None:
    try:
        with atomic_write(target, suffix=".npy") as tmp:
            np.save(tmp, record, allow_pickle=False)
    except OSError as error:
        log.debug("parsed-data cache not written (%s)", error)
