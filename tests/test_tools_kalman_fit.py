"""tools/kalman_fit.py on LEAN's sample equities: every candidate pair reported, the traded pairs' parameters
written to the object store, and the algorithm backtested from them."""

import json

import numpy as np
import pandas as pd
import pytest

from lean_local.backtest import run_backtest
from tests.algorithms.test_kalman_mean_reversion import make_workspace
from tests.tools import load_tool


def test_missing_data_is_exit_2_naming_the_files_and_nothing_is_saved(tmp_path, capsys, caplog):
    (tmp_path / "data").mkdir()
    storage = tmp_path / "storage"
    assert load_tool("kalman_fit").main(["--data-folder", str(tmp_path / "data"), "--storage", str(storage)]) == 2
    captured = capsys.readouterr()
    assert "no data file" in caplog.text and "spy.zip" in caplog.text
    assert "error: 0 ticker(s) with a close on 95% of the days" in captured.err
    assert "lean-local data lean-sample" in captured.err
    assert not storage.exists()
    assert load_tool("kalman_fit").main(["--data-folder", str(tmp_path / "absent"), "--storage", str(storage)]) == 2


def test_the_closes_are_the_securities_leans_map_files_name(lean_data_folder):
    """GOOG is today's class C share (map file goog.csv: GOOCV until 2014-04-02, first bar 2014-03-27);
    the Google of 2012 is GOOGL (goog.zip until 2014-04-02, then googl.zip), adjusted for the 2:1 split
    of 2014-04-03. Reading goog.zip by its name would glue the two and keep the split's halving."""
    from lean_local.engine.common import Resolution
    from lean_local.research import QuantBook
    from shared.kalman_pair_fit import covered, history_closes

    closes = history_closes(QuantBook(data_folder=lean_data_folder), ["GOOG", "GOOGL", "SPY"], "2012-01-03",
                            "2015-12-31", Resolution.DAILY)
    assert closes["GOOG"].first_valid_index() == pd.Timestamp("2014-03-27")
    assert closes["GOOGL"].first_valid_index() == pd.Timestamp("2012-01-03") and closes["GOOGL"].notna().all()
    assert abs(np.log(closes["GOOGL"]).diff().loc["2014-04-03"]) < 0.05
    tickers, share = covered(closes)
    assert tickers == ["GOOGL", "SPY"] and share["GOOG"] == pytest.approx(445 / 1006, abs=0.01)


@pytest.mark.slow
def test_every_candidate_is_reported_and_the_algorithm_runs_from_the_fitted_parameters(
        lean_data_folder, tmp_path, capsys):
    module = load_tool("kalman_fit")
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
