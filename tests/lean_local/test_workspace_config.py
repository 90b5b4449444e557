"""``lean.json`` as lean-cli reads it: comments allowed, one parser for every command (issue 14.10)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lean_local import workspace
from lean_local.backtest import run_backtest

# The shape of the file `lean init` writes (LEAN's Launcher/config.json): line and block comments,
# "//" inside string values, commented-out keys.
LEAN_INIT_STYLE = """{
  // this configuration file works by first loading all top-level
  // configuration items and then will load the specified environment
  "data-folder": "market",   // relative to this file
  /* a block comment
     over two lines */
  "job-project-id": "http://example.com/a//b",
  //"object-store-root": "elsewhere",
  "escaped": "quote \\" then // not a comment",
  "debugging": false
}
"""


def test_comments_are_removed_outside_strings_only():
    settings = workspace.parse_lean_json(LEAN_INIT_STYLE)
    assert settings == {
        "data-folder": "market",
        "job-project-id": "http://example.com/a//b",
        "escaped": 'quote " then // not a comment',
        "debugging": False,
    }
    # plain JSON parses to the same thing as json.loads
    plain = '{"data-folder": "data", "x": [1, 2]}'
    assert workspace.parse_lean_json(plain) == json.loads(plain)


def test_an_error_names_the_file_and_its_own_line(tmp_path):
    # the block comment's newlines are kept: the missing comma is reported on the file's line 5
    text = '{\n  /* one\n  two */\n  "a": 1\n  "b": 2\n}\n'
    path = tmp_path / "lean.json"
    path.write_text(text)
    with pytest.raises(workspace.WorkspaceConfigError, match=r"lean\.json:5: Expecting ',' delimiter"):
        workspace.lean_config(tmp_path)
    path.write_text("[1, 2]")
    with pytest.raises(workspace.WorkspaceConfigError, match=r"lean\.json:1: lean.json must hold a JSON object"):
        workspace.lean_config(tmp_path)


def test_data_folder_and_object_store_from_the_nearest_lean_json(tmp_path, monkeypatch):
    (tmp_path / "lean.json").write_text(LEAN_INIT_STYLE)
    nested = tmp_path / "algorithms" / "x"
    nested.mkdir(parents=True)
    assert workspace.find_workspace(nested) == tmp_path.resolve()
    assert workspace.data_folder(nested) == (tmp_path / "market").resolve()
    assert workspace.data_folder(nested, explicit=tmp_path / "other") == (tmp_path / "other").resolve()
    assert workspace.object_store_root(tmp_path) == tmp_path / "storage"
    (tmp_path / "lean.json").write_text('{"object-store-root": "store"}')
    assert workspace.data_folder(nested) == (tmp_path / "data").resolve()
    assert workspace.object_store_root(tmp_path) == tmp_path / "store"
    # outside a workspace: readers may take LEAN_DATA_FOLDER, writers never do
    elsewhere = tmp_path.parent / f"{tmp_path.name}-no-workspace"
    elsewhere.mkdir()
    monkeypatch.setenv("LEAN_DATA_FOLDER", str(tmp_path / "sample"))
    assert workspace.find_workspace(elsewhere) is None
    assert workspace.data_folder(elsewhere, reading=True) == (tmp_path / "sample").resolve()
    assert workspace.data_folder(elsewhere) == (elsewhere / "data").resolve()


ALGORITHM = """from AlgorithmImports import *


class Buy(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 11)
        self.add_equity("SPY", Resolution.DAILY)

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("SPY", 1)
"""


def test_backtest_runs_in_a_workspace_whose_lean_json_has_comments(tmp_path, lean_data_folder: Path):
    """`lean-local backtest` on a `lean init`-style lean.json: the data folder comes from the
    commented file (an absolute path to LEAN's sample data here)."""
    text = LEAN_INIT_STYLE.replace('"market"', json.dumps(os.fspath(lean_data_folder)))
    (tmp_path / "lean.json").write_text(text)
    project = tmp_path / "algorithms" / "buy"
    project.mkdir(parents=True)
    (project / "main.py").write_text(ALGORITHM)
    result = run_backtest(project, output_dir=tmp_path / "out", progress=False, quiet=True)
    assert result.statistics["Total Orders"] == "1"
    assert (tmp_path / "out").is_dir()


def test_python_paths_are_the_project_libraries_only(tmp_path, lean_data_folder):
    """lean-cli puts /Library/<name> and /Library on the path only for a Python project with libraries:
    a project without them cannot import the library, in LEAN and here."""
    (tmp_path / "lean.json").write_text(json.dumps({"data-folder": os.fspath(lean_data_folder)}))
    library = tmp_path / "Library" / "helpers"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("")
    (library / "sizes.py").write_text("WEIGHT = 1\n")
    project = tmp_path / "algorithms" / "uses_library"
    project.mkdir(parents=True)
    (project / "main.py").write_text("from helpers.sizes import WEIGHT\n" + ALGORITHM)
    config = {"algorithm-language": "Python", "parameters": {}}
    (project / "config.json").write_text(json.dumps(config))
    assert workspace.python_paths(tmp_path, project) == []
    import sys

    sys.modules.pop("helpers", None)
    sys.modules.pop("helpers.sizes", None)
    with pytest.raises(ModuleNotFoundError, match="helpers"):
        run_backtest(project, output_dir=tmp_path / "out0", progress=False, quiet=True)
    config["libraries"] = [{"name": "helpers", "path": "Library/helpers"}]
    (project / "config.json").write_text(json.dumps(config))
    assert workspace.python_paths(tmp_path, project) == [library, tmp_path / "Library"]
    result = run_backtest(project, output_dir=tmp_path / "out1", progress=False, quiet=True)
    assert result.statistics["Total Orders"] == "1"
