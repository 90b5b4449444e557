"""tools/kalman_fit.py on LEAN's sample equities: every candidate pair reported, the traded pairs' parameters
written to the object store, and the algorithm backtested from them."""

import importlib.util
import json
from pathlib import Path

import pytest

from lean_local.engine.runner import run_backtest
from tests.algorithms.test_kalman_mean_reversion import make_workspace

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "kalman_fit.py"


@pytest.mark.slow
def test_every_candidate_is_reported_and_the_algorithm_runs_from_the_fitted_parameters(
        lean_data_folder, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("kalman_fit_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    project = make_workspace(tmp_path / "workspace", lean_data_folder)
    storage = tmp_path / "workspace" / "storage"
    report = tmp_path / "report.json"
    assert module.main(["--data-folder", str(lean_data_folder), "--storage", str(storage), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "FB: left out, a close on 91% of the days" in out
    assert "2 of 132 ordered pairs traded" in out
    table = json.loads(report.read_text())["table"]
    assert len(table) == 132 and len({row["pair"] for row in table}) == 132
    # Every row has its test results and a verdict, traded or not.
    assert all(row["traded"] == (row["reason"] == "") for row in table)
    assert sum(row["eg_pvalue"] < 0.05 for row in table) == 6
    params = json.loads((storage / "kalman_mean_reversion" / "params.json").read_text())
    assert set(params["pairs"]) == {"IBM/BNO", "IBM/USO"} and params["state_date"] == "2015-12-31"

    result = run_backtest(project, output_dir=tmp_path / "out", progress=False)
    assert result.record.state == "Completed"
    assert set(result.record.orders["symbol"]) == {"IBM", "BNO", "USO"}
    assert int(result.statistics["Total Orders"]) > 10
