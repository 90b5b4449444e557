"""The target folder of ``lean-local data synthetic``: one writer at a time, replaced in one step.

:func:`locked` takes an exclusive lock on the target (a lock file beside it, ``.<name>.synthetic.lock``):
a second run on the same folder fails at once with :class:`FolderBusyError`. The kernel drops the
lock when its process ends, however it ends, so a killed run never leaves a stale lock.

:func:`replacing` builds the new market in a staging folder beside the target
(``.<name>.synthetic-new``) and swaps it in with one ``renameat2(RENAME_EXCHANGE)``: a reader sees
the old market (marker included) or the new one, never a mix, and a run killed at any point leaves
the old market in place. Where the kernel or the C library lacks the exchange, two renames do the
swap (the old folder moves aside to ``.<name>.synthetic-old``, the new one in); the next run,
under the lock, puts a market left aside back and deletes leftover staging folders.

The replacement keeps what the old behaviour (clear the generated sub-folders, write the new files
over the rest) kept: files of the old folder outside :data:`GENERATED_FOLDERS` that the new market
does not write are carried over (hard-linked, copied across file systems).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from lean_local.atomic import file_mode
from lean_local.data.synthetic.config import MARKER_FILE

__all__ = ["GENERATED_FOLDERS", "FolderBusyError", "locked", "replacing"]

# Folders (under the data folder) that write_market fills; the old folder's copies are not kept.
GENERATED_FOLDERS = (
    "equity/usa/daily",
    "equity/usa/factor_files",
    "equity/usa/map_files",
    "equity/usa/fundamental/coarse",
    "forex/oanda/daily",
    "index/usa/daily",
    "alternative/cboe",
    "alternative/interest-rate/usa",
)

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


class FolderBusyError(RuntimeError):
    """Another ``lean-local data synthetic`` run holds the target folder's lock."""


def _sibling(folder: Path, role: str) -> Path:
    return folder.parent / f".{folder.name}.synthetic-{role}"


def lock_path(folder: Path) -> Path:
    """The lock file of ``folder`` (beside it, so it survives the folder's replacement)."""
    return folder.parent / f".{folder.name}.synthetic.lock"


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: a lock on the file's first byte, also dropped when the process ends
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``folder`` for the block.

    Raises
    ------
    FolderBusyError
        Another process holds it (the message names the folder and the lock file).
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(folder)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, file_mode())
    try:
        if not _try_lock(fd):
            raise FolderBusyError(
                f"{folder} is being written by another `lean-local data synthetic` run (it holds {path}); "
                "wait for it to finish or choose another --data-folder"
            )
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _recover(folder: Path) -> None:
    """Undo what a killed run left (the caller holds the lock): a market moved aside goes back when the
    target is missing; staging folders are deleted."""
    aside = _sibling(folder, "old")
    if aside.exists() and not folder.exists():
        os.rename(aside, folder)
    for role in ("old", "new"):
        shutil.rmtree(_sibling(folder, role), ignore_errors=True)


def _check_target(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file; choose a folder")
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER_FILE).exists():
        raise FileExistsError(
            f"{folder} holds data that is not a synthetic market (no {MARKER_FILE}); choose an empty folder"
        )


def _generated(relative: Path) -> bool:
    return any(relative.is_relative_to(sub) for sub in GENERATED_FOLDERS)


def _carry_over(old: Path, new: Path) -> None:
    """Link into ``new`` the files and folders of ``old`` outside the generated folders that ``new`` lacks."""
    for root, dirs, files in os.walk(old):
        relative_root = Path(root).relative_to(old)
        dirs[:] = [d for d in dirs if not _generated(relative_root / d)]
        for name in dirs:
            (new / relative_root / name).mkdir(exist_ok=True)
        for name in files:
            target = new / relative_root / name
            if target.exists() or target.is_symlink():
                continue
            try:
                os.link(Path(root) / name, target, follow_symlinks=False)
            except OSError:
                shutil.copy2(Path(root) / name, target, follow_symlinks=False)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2``); False when unsupported here."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap_in(folder: Path, staging: Path) -> None:
    if not folder.exists():
        os.rename(staging, folder)
        return
    if _exchange(staging, folder):
        shutil.rmtree(staging)  # now the old market
        return
    aside = _sibling(folder, "old")
    os.rename(folder, aside)
    os.rename(staging, folder)
    shutil.rmtree(aside)


@contextlib.contextmanager
def replacing(folder: Path) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds it replaces ``folder`` in one step.

    Call it holding :func:`locked`. On an exception the staging folder is deleted and ``folder`` is
    untouched.

    Raises
    ------
    FileExistsError
        ``folder`` is a file, or holds files and no ``synthetic.json`` marker.
    """
    _recover(folder)
    _check_target(folder)
    staging = _sibling(folder, "new")
    os.mkdir(staging)  # mode 0o777 less the umask, as a plain mkdir of the target would give
    try:
        yield staging
        if folder.exists():
            _carry_over(folder, staging)
        _swap_in(folder, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
