"""Execute research notebooks as LEAN's research environment would, but on lean_local.

The kernel gets ``lean_local``'s ``AlgorithmImports`` shim and the libraries that ``research/config.json``
names (what ``lean research research`` puts on the path: ``Library/shared`` and ``Library``), and runs
inside a workspace folder whose ``lean.json`` names the data folder, so ``QuantBook()`` finds the data
and the object store as it does in LEAN.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from lean_local.workspace import python_paths

ROOT = Path(__file__).resolve().parents[1]
SHIM = ROOT / "src" / "lean_local" / "shim"


def make_workspace(folder: Path, data_folder: Path) -> Path:
    """A minimal LEAN workspace in ``folder``: ``lean.json`` pointing at ``data_folder``, ``storage/``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lean.json").write_text(json.dumps({"data-folder": str(data_folder)}))
    (folder / "storage").mkdir(exist_ok=True)
    return folder


def execute_notebook(notebook: Path, workspace: Path, timeout: int = 900) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` with ``workspace`` as the working directory.

    Raises ``nbclient.exceptions.CellExecutionError`` (with the failing cell's traceback) when a
    cell fails. Returns the executed notebook, outputs included.
    """
    nb = nbformat.read(notebook, as_version=4)
    libraries = python_paths(ROOT, notebook.parent)
    path = os.pathsep.join([str(SHIM), *map(str, libraries), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"}
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workspace)}}
    )
    client.execute(env=env)
    return nb
