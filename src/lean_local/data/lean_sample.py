"""``lean-local data lean-sample``: LEAN's sample data in the workspace's data folder, read in place.

LEAN's sample data (``lean init``'s folder, ``../shared/lean-data`` here) joins the workspace's data
folder as one symbolic link per file (:mod:`lean_local.data.folder_links`): nothing is copied, and the
sample stays the single source. The folder's regular files (what ``lean-local data ...`` built there)
and its links into other folders (the synthetic market's universe files) are kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from lean_local.data.folder_links import LinkReport, link_folder

# Files of LEAN's sample folder that describe the folder, not market data.
SKIPPED = ("MANIFEST.sha256", "PROVENANCE.md")


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
        The workspace's data folder.

    Returns
    -------
    LinkReport
        The links made and the paths kept (regular files, links into other folders).

    Raises
    ------
    ValueError
        ``sample`` is not a folder, or ``data_folder`` is ``sample`` itself or inside it.
    """
    return link_folder(sample, data_folder, skip=SKIPPED)
