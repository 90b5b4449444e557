"""One new folder per run: ``<parent>/<YYYY-MM-DD_HH-MM-SS>`` as lean-cli names them.

Two runs started in the same second must not share a folder (their ``log.txt``, summaries and
reports would overwrite each other), so the folder is claimed with an exclusive ``mkdir``: the
second run gets ``<timestamp>-2``, the third ``-3``, and so on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def claim_run_folder(parent: str | Path, now: datetime | None = None) -> Path:
    """Create and return a folder for one run under ``parent`` that no other run holds.

    Parameters
    ----------
    parent : str or Path
        ``<project>/backtests`` or ``<project>/optimizations``; created when missing.
    now : datetime, optional
        The run's start time (the current time by default).

    Returns
    -------
    Path
        ``parent/<YYYY-MM-DD_HH-MM-SS>``, or that name with ``-2``, ``-3``, ... when taken.
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    suffix = 1
    while True:
        folder = parent / (stamp if suffix == 1 else f"{stamp}-{suffix}")
        try:
            folder.mkdir()
        except FileExistsError:
            suffix += 1
            continue
        return folder
