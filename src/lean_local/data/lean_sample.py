"""``lean-local data lean-sample``: LEAN's sample data in the workspace's data folder, read in place.

LEAN's CLI reads one data folder (``lean.json``'s ``data-folder``). The workspace's folder holds what
``lean-local data ...`` builds (ECB FX rates, VIX, your csv imports) and, for LEAN's sample data
(``lean init``'s folder, ``../shared/lean-data`` here), one symbolic link per file: nothing is copied,
and the sample stays the single source. A file the folder already holds as a regular file (one
a command built, such as ECB's ``forex/oanda/daily/eurusd.zip``) is kept; a link is replaced by a
file when a command later writes that path (the writers rename a temporary file onto it). Links are
absolute, so a LEAN Docker container that mounts the sample folder at the same path resolves them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Files of LEAN's sample folder that describe the folder, not market data.
SKIPPED = frozenset({"MANIFEST.sha256", "PROVENANCE.md"})


@dataclass(frozen=True)
class LinkReport:
    """What :func:`link_lean_sample` did: links made or refreshed, regular files kept."""

    linked: int
    kept: tuple[Path, ...]


def default_sample_folder() -> Path | None:
    """LEAN's sample data: ``LEAN_DATA_FOLDER`` when set, else ``../shared/lean-data`` from the
    workspace; ``None`` when neither holds ``equity/usa/daily/spy.zip``."""
    from lean_local.workspace import find_workspace

    candidates = [Path(os.environ["LEAN_DATA_FOLDER"])] if os.environ.get("LEAN_DATA_FOLDER") else []
    workspace = find_workspace() or Path.cwd()
    candidates.append(workspace.parent / "shared" / "lean-data")
    for candidate in candidates:
        if (candidate / "equity" / "usa" / "daily" / "spy.zip").is_file():
            return candidate.resolve()
    return None


def link_lean_sample(sample: str | os.PathLike[str], data_folder: str | os.PathLike[str]) -> LinkReport:
    """Link every file of ``sample`` into ``data_folder`` under the same relative path.

    Parameters
    ----------
    sample : path
        LEAN's sample data folder (read only; never written).
    data_folder : path
        The workspace's data folder; its sub-folders are real folders, so commands that write
        there never write into ``sample``.

    Returns
    -------
    LinkReport
        The number of links made or refreshed and the regular files kept in their place.

    Raises
    ------
    ValueError
        ``sample`` is not a folder, or ``data_folder`` is ``sample`` itself or inside it.
    """
    source = Path(sample).resolve()
    target = Path(data_folder).resolve()
    if not source.is_dir():
        raise ValueError(f"{source}: not a folder (LEAN's sample data, `lean init`'s data folder)")
    if target == source or source in target.parents:
        raise ValueError(f"{target}: the data folder must not be LEAN's sample folder {source} or inside it")
    linked, kept = 0, []
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name in SKIPPED:
            continue
        destination = target / path.relative_to(source)
        if destination.is_symlink():
            if Path(os.readlink(destination)) == path:
                linked += 1
                continue
            destination.unlink()
        elif destination.exists():
            kept.append(destination)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.symlink_to(path)
        linked += 1
    return LinkReport(linked, tuple(kept))
