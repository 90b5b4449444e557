"""The FX research notebook runs end to end on ECB data and leaves the model the algorithm loads."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.data.formats import forex_daily_path, read_forex_daily
from shared.fx_factors import MODEL_KEY, FxFactorModel, fit_fx_factor_model, month_end_log_prices
from tests.notebook_runner import ROOT, execute_notebook, make_workspace

NOTEBOOK = ROOT / "research" / "fx_momentum_reversion.ipynb"
PAIRS = ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]


def _file_month_ends(data_folder: Path) -> pd.DataFrame:
    """Month-end log mid prices read straight from the data files (no runtime, no QuantBook)."""
    frames = {pair: read_forex_daily(forex_daily_path(data_folder, pair)) for pair in PAIRS}
    mids = pd.DataFrame({pair: (f["bid_close"] + f["ask_close"]) / 2 for pair, f in frames.items()})
    return month_end_log_prices(mids, as_of="2013-06-01")


@pytest.mark.slow
def test_notebook_fits_on_ecb_data_and_saves_the_model(ecb_data_folder, tmp_path):
    workspace = make_workspace(tmp_path / "workspace", ecb_data_folder)
    executed = execute_notebook(NOTEBOOK, workspace)

    saved = FxFactorModel.from_json((workspace / "storage" / MODEL_KEY).read_text())
    # Oracle: the same fit on month ends read from the files, bypassing QuantBook's history and the
    # notebook's end-time-to-date conversion, over the tutorial's window (Jan 2004 .. May 2013).
    expected = fit_fx_factor_model(_file_month_ends(ecb_data_folder).loc["2004-01-01":])
    assert saved.fit_start == "2004-05-31"  # the first month with three months of momentum history
    assert saved.fit_end == "2013-05-31"
    assert list(saved.pairs) == PAIRS
    assert saved.n_obs == expected.n_obs
    for key in ("const", "reversal", "momentum"):
        assert saved.params[key] == pytest.approx(expected.params[key], rel=1e-9)
        assert saved.tvalues[key] == pytest.approx(expected.tvalues[key], rel=1e-9)
    assert saved.rsquared == pytest.approx(expected.rsquared, rel=1e-9)
    np.testing.assert_allclose([saved.mu[p] for p in PAIRS], [expected.mu[p] for p in PAIRS], rtol=1e-12)
    np.testing.assert_allclose([saved.sigma[p] for p in PAIRS], [expected.sigma[p] for p in PAIRS], rtol=1e-12)

    # ECB data over the tutorial's window: reversal clearly negative, momentum positive (docs table).
    assert saved.params["reversal"] < 0 and saved.tvalues["reversal"] < -3
    assert saved.params["momentum"] > 0
    assert 0.01 < saved.rsquared < 0.08

    text = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "Serban (2010)" in text and "QuantConnect tutorial" in text
    assert f"saved {MODEL_KEY}" in text
