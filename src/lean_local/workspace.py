"""The workspace's ``lean.json``: found, parsed and read in this one place.

LEAN's CLI finds ``lean.json`` in the current folder or the nearest one above it
(``LeanConfigManager.get_lean_config_path``) and parses it as JSON after removing ``//`` and
``/* */`` comments (``LeanConfigManager.parse_json``): the file ``lean init`` writes is LEAN's
``Launcher/config.json``, which carries such comments. The data folder is ``data-folder``
relative to the folder holding ``lean.json`` (``get_data_directory``); the object store is
``<workspace>/storage``. A Python project's ``config.json`` ``libraries`` put
``/Library/<name>`` and ``/Library`` on the engine's Python path, for ``lean backtest`` and
``lean research <project>`` alike (``LeanConfigManager.get_complete_lean_config``:
``python-additional-paths``); a project without libraries gets neither.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

LEAN_CONFIG = "lean.json"


class WorkspaceConfigError(ValueError):
    """``lean.json`` is not JSON once its comments are removed; the message names file and line."""


def strip_comments(text: str) -> str:
    """``text`` without ``//`` line comments and ``/* */`` block comments outside JSON strings.

    Every newline is kept (a block comment's newlines too), so a JSON error still points at the
    file's own line. Text inside double-quoted strings, escapes included, is never touched
    (``"http://host"`` stays whole).
    """
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            comment = text[i:] if end < 0 else text[i:end + 2]
            out.append("\n" * comment.count("\n"))
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_lean_json(text: str, path: str | os.PathLike[str] = LEAN_CONFIG) -> dict:
    """The settings in a ``lean.json`` text (comments allowed, as lean-cli allows them).

    Raises
    ------
    WorkspaceConfigError
        The text is not a JSON object once comments are removed (``path:line: message``).
    """
    try:
        settings = json.loads(strip_comments(text))
    except json.JSONDecodeError as error:
        raise WorkspaceConfigError(f"{path}:{error.lineno}: {error.msg} (column {error.colno})") from error
    if not isinstance(settings, dict):
        raise WorkspaceConfigError(f"{path}:1: lean.json must hold a JSON object")
    return settings


def find_workspace(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current folder) holding ``lean.json``."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / LEAN_CONFIG).is_file():
            return folder
    return None


def lean_config(workspace: Path | None) -> dict:
    """The workspace's ``lean.json`` settings (``{}`` without a workspace)."""
    if workspace is None:
        return {}
    path = workspace / LEAN_CONFIG
    return parse_lean_json(path.read_text(encoding="utf-8"), path)


def data_folder(start: str | os.PathLike[str] | None = None, explicit: str | os.PathLike[str] | None = None,
                *, reading: bool = False) -> Path:
    """The LEAN data folder for a command run at ``start`` (default: the current folder).

    ``explicit`` (``--data-folder``) first; else the nearest ``lean.json``'s ``data-folder``,
    relative to that file's folder (``<workspace>/data`` when the key is absent); outside a
    workspace, a command that only reads (``reading``: backtests, research) takes
    ``LEAN_DATA_FOLDER`` when set (LEAN's sample data for tests); else ``<start>/data``. Commands
    that write data never fall back to ``LEAN_DATA_FOLDER``.
    """
    if explicit:
        return Path(explicit).resolve()
    workspace = find_workspace(start)
    if workspace is not None:
        return (workspace / lean_config(workspace).get("data-folder", "data")).resolve()
    env = os.environ.get("LEAN_DATA_FOLDER")
    if reading and env:
        return Path(env).resolve()
    return (Path(start if start is not None else Path.cwd()) / "data").resolve()


def object_store_root(workspace: Path | None, start: str | os.PathLike[str] | None = None) -> Path:
    """The local object store: ``<workspace>/<object-store-root>`` (default ``storage``), or
    ``<start>/storage`` outside a workspace."""
    root = workspace if workspace is not None else Path(start if start is not None else Path.cwd())
    return root / lean_config(workspace).get("object-store-root", "storage")


def python_paths(workspace: Path, project_dir: Path) -> list[Path]:
    """The folders lean-cli adds to Python's path for ``project_dir`` (a project or research folder).

    Each library of the project's ``config.json`` (``{"name": ..., "path": "Library/<name>"}``),
    then ``<workspace>/Library``, when the project is a Python project with libraries; else none.

    Raises
    ------
    WorkspaceConfigError
        The project's ``config.json`` is not JSON.
    """
    config = project_config(project_dir)
    libraries = config.get("libraries", []) if config.get("algorithm-language") == "Python" else []
    if not libraries:
        return []
    return [workspace / library["path"] for library in libraries] + [workspace / "Library"]


class ProjectNotFoundError(FileNotFoundError):
    """A project argument names no project; the message lists the workspace's projects."""


def resolve_project(name_or_path: str | os.PathLike[str], start: str | os.PathLike[str] | None = None) -> Path:
    """The project folder a command argument names, as lean-cli accepts it: a path to the folder
    (``algorithms/kalman_mean_reversion``, absolute or relative to ``start``), or a project's name
    (``kalman_mean_reversion``), looked up under the workspace's ``algorithms/`` and then at its top.

    Raises
    ------
    ProjectNotFoundError
        No such folder; the message lists the workspace's projects (folders holding ``main.py``).
    """
    base = Path(start if start is not None else Path.cwd())
    given = Path(name_or_path)
    path = given if given.is_absolute() else base / given
    if path.is_dir():
        return path.resolve()
    workspace = find_workspace(base)
    if workspace is not None and len(given.parts) == 1:
        for candidate in (workspace / "algorithms" / given, workspace / given):
            if (candidate / "main.py").is_file():
                return candidate.resolve()
    known = sorted(p.parent.name for p in workspace.glob("algorithms/*/main.py")) if workspace else []
    listing = f"; projects: {', '.join(known)}" if known else ""
    raise ProjectNotFoundError(f"no project {str(name_or_path)!r} (a project folder or its name under algorithms/)"
                               f"{listing}")


def project_config(project_dir: str | os.PathLike[str]) -> dict:
    """A project's ``config.json`` (``{}`` when it has none).

    Raises
    ------
    WorkspaceConfigError
        The file is not a JSON object (``path:line: message``).
    """
    path = Path(project_dir) / "config.json"
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise WorkspaceConfigError(f"{path}:{error.lineno}: {error.msg} (column {error.colno})") from error
    if not isinstance(config, dict):
        raise WorkspaceConfigError(f"{path}:1: a project's config.json must hold a JSON object")
    return config
