"""The workspace follows the LEAN CLI's conventions, and the signals library stays LEAN-free."""

import ast
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = ["ml_mean_reversion", "kalman_mean_reversion", "fx_momentum_reversion"]
LIBRARY_ALLOWED = {"numpy", "pandas", "scipy", "sklearn", "statsmodels", "pykalman", "joblib", "shared"}


def test_lean_json_points_at_data_folder():
    config = json.loads((ROOT / "lean.json").read_text())
    assert config["data-folder"] == "data"


@pytest.mark.parametrize("project", PROJECTS)
def test_project_is_a_lean_project(project):
    folder = ROOT / "algorithms" / project
    config = json.loads((folder / "config.json").read_text())
    assert config["algorithm-language"] == "Python"
    assert isinstance(config["parameters"], dict)
    assert all(isinstance(value, str) for value in config["parameters"].values()), "LEAN parameters are strings"
    assert config["description"]
    assert {"name": "shared", "path": "Library/shared"} in config["libraries"]
    tree = ast.parse((folder / "main.py").read_text())
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    assert any(base.id == "QCAlgorithm" for node in classes for base in node.bases if isinstance(base, ast.Name))


def test_library_is_a_lean_library_project():
    config = json.loads((ROOT / "Library" / "shared" / "config.json").read_text())
    assert config["algorithm-language"] == "Python"


@pytest.mark.parametrize("module", sorted((ROOT / "Library" / "shared").glob("*.py")), ids=lambda p: p.name)
def test_library_imports_only_scientific_stack(module):
    """LEAN mounts Library/ into its image: the library may use only packages that image has."""
    tree = ast.parse(module.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    foreign = imported - LIBRARY_ALLOWED - set(sys.stdlib_module_names)
    assert not foreign, f"{module.name} imports {sorted(foreign)}"


def test_research_folder_is_a_lean_project_naming_the_library():
    """Issue 14.2: `lean research research` builds its Python path from research/config.json's libraries
    (lean-cli's python-additional-paths), and `lean cloud push` uploads every folder holding a config.json
    with its .ipynb files and the libraries it names: the notebooks reach Cloud with Library/shared."""
    from lean_local.workspace import python_paths

    config = json.loads((ROOT / "research" / "config.json").read_text())
    assert config["algorithm-language"] == "Python"
    assert {"name": "shared", "path": "Library/shared"} in config["libraries"]
    assert python_paths(ROOT, ROOT / "research") == [ROOT / "Library" / "shared", ROOT / "Library"]
    notebooks = sorted(p.name for p in (ROOT / "research").glob("*.ipynb"))
    assert notebooks == [f"{project}.ipynb" for project in sorted(PROJECTS)]
