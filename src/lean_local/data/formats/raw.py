"""Bytes in and out: size-limited reads of a csv or a zip's first entry, deterministic zip writes."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path

from lean_local.atomic import write_atomic
from lean_local.data.formats.base import DataFormatError

#: The largest file or zip entry a reader accepts, in bytes: LEAN's daily files are under a few MB,
#: so a bigger one is damage or a decompression bomb (a 5 GB entry of zeros compresses to 5 MB).
DEFAULT_MAX_ENTRY_BYTES = 1 << 30


def max_entry_bytes() -> int:
    """The size limit of one data file or zip entry: ``LEAN_LOCAL_MAX_ENTRY_BYTES`` or 1 GiB."""
    return int(os.environ.get("LEAN_LOCAL_MAX_ENTRY_BYTES", DEFAULT_MAX_ENTRY_BYTES))


def read_first_entry(path: Path) -> bytes:
    """The bytes of a zip's first entry (LEAN reads the first entry), read in chunks and refused
    past :func:`max_entry_bytes` whatever the entry's header claims."""
    limit = max_entry_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if not infos:
            raise DataFormatError(path, 0, "zip archive is empty")
        chunks, total = [], 0
        with archive.open(infos[0]) as entry:
            while chunk := entry.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise DataFormatError(path, 0, f"zip entry {infos[0].filename} is larger than {limit:,} "
                                                   "bytes uncompressed (LEAN_LOCAL_MAX_ENTRY_BYTES)")
                chunks.append(chunk)
        return b"".join(chunks)


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a csv, or of the first entry of a zip (LEAN reads the first entry)."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(path, 0, "file not found")
    try:
        if path.suffix.lower() == ".zip":
            raw = read_first_entry(path)
        else:
            if path.stat().st_size > max_entry_bytes():
                raise DataFormatError(path, 0, f"file is larger than {max_entry_bytes():,} bytes "
                                               f"(LEAN_LOCAL_MAX_ENTRY_BYTES)")
            raw = path.read_bytes()
    except DataFormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:  # NotImplementedError: a compression method zipfile lacks
        raise DataFormatError(path, 0, f"unreadable file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, 0, f"not a text file: {exc}") from exc


def read_text_lines(path: str | os.PathLike[str], entry: str | None = None) -> list[str]:
    """The lines of a text file, or of a zip's entry (``entry``, else the first one, as LEAN reads
    ``file.zip`` and ``file.zip#entry.csv`` sources), without line terminators.

    Raises
    ------
    DataFormatError
        The file is missing, unreadable, not text, or the zip has no such entry.
    """
    path = Path(path)
    if entry is None or path.suffix.lower() != ".zip":
        return read_text(path).splitlines()
    try:
        with zipfile.ZipFile(path) as archive:
            raw = archive.read(entry)
    except KeyError as exc:
        raise DataFormatError(path, 0, f"zip archive has no entry {entry!r}") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise DataFormatError(path, 0, f"unreadable file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, 0, f"not a text file: {exc}") from exc


# A fixed entry timestamp: the same data must give the same bytes, whenever it is written.
_ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


def write_zip(path: str | os.PathLike[str], entry_name: str, text: str, compresslevel: int) -> None:
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(entry_name, date_time=_ZIP_ENTRY_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr(entry, text.encode("ascii"), compresslevel=compresslevel)
    write_atomic(path, buffer.getvalue())
