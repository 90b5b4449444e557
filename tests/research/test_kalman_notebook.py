"""The Kalman research notebook runs in a fresh workspace and saves exactly what the fitting command saves."""

import json
import re

import pytest

from tests.notebook_runner import ROOT, execute_notebook, make_workspace
from tests.tools import load_tool

NOTEBOOK = ROOT / "research" / "kalman_mean_reversion.ipynb"
PARAMS = "kalman_mean_reversion/params.json"


@pytest.mark.slow
def test_notebook_reports_every_candidate_and_saves_what_the_command_saves(tmp_path, lean_data_folder, capsys):
    workspace = make_workspace(tmp_path / "workspace", lean_data_folder)
    nb = execute_notebook(NOTEBOOK, workspace)
    params = json.loads((workspace / "storage" / PARAMS).read_text())
    algorithm_config = json.loads((ROOT / "algorithms" / "kalman_mean_reversion" / "config.json").read_text())
    # Fitted strictly before the backtest starts: no parameter has seen the traded data.
    assert params["state_date"] == "2015-12-31" < algorithm_config["parameters"]["start_date"]
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "FB: left out, a close on 91% of the days" in text and "1006 days 2012-01-03 .. 2015-12-31, 12 tickers" in text
    # Every one of the 132 ordered pairs is reported with the band beside it, and the saved pairs are the traded ones.
    assert re.search(r"2 of 132 ordered pairs traded", text) and "random-walk band" in text
    assert set(params["pairs"]) == {"IBM/BNO", "IBM/USO"}

    # One definition of the fit: the command, on the same data folder, saves the same parameters.
    script = load_tool("kalman_fit")
    storage = tmp_path / "command-storage"
    assert script.main(["--data-folder", str(lean_data_folder), "--storage", str(storage)]) == 0
    assert json.loads((storage / PARAMS).read_text()) == params
