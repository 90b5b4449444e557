"""Another LEAN data folder's files in the workspace's data folder, as symbolic links.

LEAN's CLI reads one data folder (``lean.json``'s ``data-folder``). Folders built elsewhere (LEAN's
sample data, read in place; the synthetic market, written whole into ``<data>/synthetic``) join it as
one link per file under the same relative path: nothing is copied, and each source stays the single
copy of its files. A regular file of the data folder (one a command built there, such as ECB's
``forex/oanda/daily/eurusd.zip``) is never replaced; a link is replaced by a file when a command later
writes that path (the writers rename a temporary file onto it).

A link into a folder inside the data folder is relative, so it resolves wherever the data folder is
mounted (lean-cli mounts it at ``/Lean/Data`` in LEAN's container); a link to a folder outside it is
absolute, so a container that mounts that folder at the same path resolves it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LinkReport", "link_folder"]


@dataclass(frozen=True)
class LinkReport:
    """What :func:`link_folder` did.

    Attributes
    ----------
    linked : int
        Files of the source linked (made, refreshed or already in place).
    kept : tuple of Path
        Paths of the data folder left as they were: regular files, and links into other folders
        when the source does not take them over.
    replaced : tuple of Path
        Links into other folders replaced by the source's file (``take_over_links``).
    removed : int
        Links into the source whose file no longer exists (an earlier version of the source), removed.
    """

    linked: int
    kept: tuple[Path, ...]
    replaced: tuple[Path, ...] = ()
    removed: int = 0


def _skipped(relative: Path, skip: Iterable[str]) -> bool:
    text = relative.as_posix()
    return any(text == entry or text.startswith(entry.rstrip("/") + "/") for entry in skip)


def _link_target(path: Path, destination: Path, data_folder: Path) -> str:
    if data_folder in path.parents:
        return os.path.relpath(path, destination.parent)
    return str(path)


def link_folder(
    source: str | os.PathLike[str],
    data_folder: str | os.PathLike[str],
    *,
    skip: Iterable[str] = (),
    take_over_links: bool = False,
) -> LinkReport:
    """Link every file of ``source`` into ``data_folder`` under the same relative path.

    Parameters
    ----------
    source : path
        A LEAN data folder (read only; never written). It may lie inside ``data_folder`` (its own
        files are then not linked onto themselves).
    data_folder : path
        The workspace's data folder; its sub-folders are real folders, so commands that write there
        never write into ``source``.
    skip : iterable of str
        Relative paths (files or folders, ``/``-separated) of ``source`` not to link.
    take_over_links : bool, default False
        When True, a link of the data folder into another folder is replaced by the source's file
        (the source's files take precedence over linked ones); when False it is kept.

    Returns
    -------
    LinkReport
        The links made, the paths kept and replaced, the stale links removed.

    Raises
    ------
    ValueError
        ``source`` is not a folder, or ``data_folder`` is ``source`` itself or inside it.
    """
    origin = Path(source).resolve()
    target = Path(data_folder).resolve()
    if not origin.is_dir():
        raise ValueError(f"{origin}: not a folder (a LEAN data folder to link)")
    if target == origin or origin in target.parents:
        raise ValueError(f"{target}: the data folder must not be the linked folder {origin} or inside it")
    skip = tuple(skip)
    linked, kept, replaced = 0, [], []
    for path in sorted(origin.rglob("*")):
        relative = path.relative_to(origin)
        if not path.is_file() or path.is_symlink() or _skipped(relative, skip):
            continue
        destination = target / relative
        if destination.is_symlink():
            current = Path(os.path.realpath(destination))
            if current == path:
                linked += 1
                continue
            if origin not in current.parents and current.exists():  # a live link into another folder
                if not take_over_links:
                    kept.append(destination)
                    continue
                replaced.append(destination)
            destination.unlink()
        elif destination.exists():
            kept.append(destination)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.symlink_to(_link_target(path, destination, target))
        linked += 1
    return LinkReport(linked, tuple(kept), tuple(replaced), _remove_stale_links(origin, target))


def _remove_stale_links(origin: Path, target: Path) -> int:
    """Remove the data folder's links into ``origin`` whose file is gone; returns how many."""
    removed = 0
    for root, folders, files in os.walk(target):
        here = Path(root)
        # the source's own tree, when inside the data folder, holds its files, not links to them
        folders[:] = [name for name in folders if (here / name).resolve() != origin]
        for name in files:
            path = here / name
            if not path.is_symlink() or path.exists():
                continue
            pointed = Path(os.path.normpath(path.parent / os.readlink(path)))
            if pointed == origin or origin in pointed.parents:
                path.unlink()
                removed += 1
    return removed
