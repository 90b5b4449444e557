"""A project's ``main.py`` loaded as ``lean backtest`` loads it: the shim (``AlgorithmImports``) and
the project's libraries first on ``sys.path``, the one ``QCAlgorithm`` subclass it defines."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

from lean_local import workspace as workspaces
from lean_local.engine.algorithm import QCAlgorithm

SHIM = Path(__file__).resolve().parents[1] / "shim"


def load_algorithm_class(project_dir: Path, workspace: Path) -> type[QCAlgorithm]:
    """Import ``main.py`` with the shim and the project's libraries first on ``sys.path`` and find the algorithm."""
    project_dir = Path(project_dir).resolve()
    # the libraries of config.json, as lean-cli's python-additional-paths (nothing else of Library/)
    extra = [str(SHIM)] + [str(path) for path in workspaces.python_paths(workspace, project_dir)]
    for path in reversed(extra):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    sys.modules.pop("AlgorithmImports", None)
    module_name = f"lean_local_project_{abs(hash(str(project_dir)))}"
    spec = importlib.util.spec_from_file_location(module_name, project_dir / "main.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no main.py in {project_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    import AlgorithmImports  # noqa: F401  (the shim: the class the algorithm subclasses)

    base = sys.modules["AlgorithmImports"].QCAlgorithm
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, base) and obj is not base and obj.__module__ == module_name]
    if not found:
        raise ValueError(f"{project_dir / 'main.py'} defines no QCAlgorithm subclass")
    return found[0]

