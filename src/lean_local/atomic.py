"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The one place the project writes files atomically (data files, result files, the object store,
reports): the bytes go to a temporary file in the target's folder, which is then renamed onto the
target. The file gets the permissions a plain ``open(path, "w")`` would give (``0o666`` less the
process umask), not ``mkstemp``'s private ``0o600``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "file_mode", "write_atomic"]


@functools.cache
def file_mode() -> int:
    """``0o666`` less the process umask: the mode of a newly created regular file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The parent folder is created. On an exception the temporary file is removed and ``path`` is
    left as it was. ``suffix`` ends the temporary name (``.npy`` for writers that append one).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
