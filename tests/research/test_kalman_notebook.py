"""The Kalman research notebook runs in a fresh workspace and saves the parameters the algorithm reads."""

import json

import numpy as np
import pytest

from shared.kalman import fit_local_level_em
from tests.notebook_runner import ROOT, execute_notebook, make_workspace

NOTEBOOK = ROOT / "research" / "kalman_mean_reversion.ipynb"
PARAMS = "kalman_mean_reversion/params.json"


@pytest.mark.slow
def test_notebook_fits_noise_parameters_and_saves_them(tmp_path, lean_data_folder):
    workspace = make_workspace(tmp_path / "workspace", lean_data_folder)
    nb = execute_notebook(NOTEBOOK, workspace)

    params = json.loads((workspace / "storage" / PARAMS).read_text())
    algorithm_config = json.loads((ROOT / "algorithms" / "kalman_mean_reversion" / "config.json").read_text())
    # Fitted strictly before the backtest starts: no parameter has seen the traded data.
    assert params["train_end"] < algorithm_config["parameters"]["start_date"]
    assert set(params["single"]) == {"SPY", "QQQ", "IWM", "EEM"}
    for fit in params["single"].values():
        # ETF log prices are close to random walks: EM puts most of the variance in the level.
        assert 0 < fit["r"] < fit["q"] < 1e-3
    pair = params["pair"]["GOOG/GOOGL"]
    cov = np.array(pair["transition_cov"])
    assert cov.shape == (2, 2) and np.allclose(cov, cov.T) and np.all(np.linalg.eigvalsh(cov) > 0)
    assert 0 < pair["r"] < 1e-4
    for value in params["half_life_bars"].values():
        assert 0 < value < 5

    # Oracle: the saved SPY fit is pykalman's EM (through shared.kalman) on the same adjusted log
    # closes of the training window, read here straight from the data files.
    from lean_local.data import formats

    bars = formats.read_equity_daily(formats.equity_daily_path(lean_data_folder, "spy"))
    factors = formats.read_factor_file(formats.factor_file_path(lean_data_folder, "spy"))
    adjusted = bars["close"] * formats.adjustment_factors(factors, bars.index)
    window = np.log(adjusted.loc[params["train_start"] : params["train_end"]].to_numpy())
    q, r = fit_local_level_em(window, n_iter=params["em_iterations"])
    np.testing.assert_allclose([params["single"]["SPY"]["q"], params["single"]["SPY"]["r"]], [q, r], rtol=1e-6)

    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3
