"""The Kalman research notebook runs in a fresh workspace and saves what the fitting command saves."""

import json
import re

import pytest

from tests.notebook_runner import ROOT, execute_notebook, make_workspace

NOTEBOOK = ROOT / "research" / "kalman_mean_reversion.ipynb"
PARAMS = "kalman_mean_reversion/params.json"
TICKERS = {"SPY", "QQQ", "IWM", "EEM", "BNO", "USO", "AAPL", "AIG", "BAC", "IBM", "WM", "GOOG"}


@pytest.mark.slow
def test_notebook_reports_every_candidate_and_saves_the_parameters(tmp_path, lean_data_folder):
    workspace = make_workspace(tmp_path / "workspace", lean_data_folder)
    nb = execute_notebook(NOTEBOOK, workspace)
    params = json.loads((workspace / "storage" / PARAMS).read_text())
    algorithm_config = json.loads((ROOT / "algorithms" / "kalman_mean_reversion" / "config.json").read_text())
    # Fitted strictly before the backtest starts: no parameter has seen the traded data.
    assert params["state_date"] == "2015-12-31" < algorithm_config["parameters"]["start_date"]
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # 12 tickers: every one of the 132 ordered pairs is reported, and the saved pairs are the traded ones.
    match = re.search(r"(\d+) of 132 ordered pairs traded", text)
    assert match is not None
    assert len(params["pairs"]) == int(match.group(1))
    assert all(set(name.split("/")) <= set(TICKERS) for name in params["pairs"])
