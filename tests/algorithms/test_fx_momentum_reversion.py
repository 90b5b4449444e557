"""The FX momentum + mean reversion algorithm, run through lean_local's runtime on ECB data.

Every backtest runs in a throw-away workspace (its own ``lean.json`` and ``storage/``, the
repository's ``Library/`` linked in), so the object store the tests write never touches the
repository's ``storage/``.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.backtest import run_backtest
from lean_local.data.formats import QUOTE_COLUMNS, forex_daily_path, read_forex_daily, write_forex_daily
from shared.fx_factors import MODEL_KEY, fit_fx_factor_model, month_end_log_prices, select_positions

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "algorithms" / "fx_momentum_reversion"
PAIRS = ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]


def _workspace(folder: Path, data_folder: Path) -> Path:
    """A LEAN workspace in ``folder`` with a copy of the project; returns the project folder."""
    folder.mkdir(parents=True)
    (folder / "lean.json").write_text(json.dumps({"data-folder": str(data_folder)}))
    (folder / "storage").mkdir()
    (folder / "Library").symlink_to(ROOT / "Library", target_is_directory=True)
    project = folder / "algorithms" / PROJECT.name
    project.mkdir(parents=True)
    for name in ("main.py", "config.json"):
        shutil.copy(PROJECT / name, project / name)
    return project


def _backtest(folder: Path, data_folder: Path, model_json: str | None = None, **parameters: str):
    project = _workspace(folder, data_folder)
    if model_json is not None:
        path = folder / "storage" / MODEL_KEY
        path.parent.mkdir(parents=True)
        path.write_text(model_json)
    return run_backtest(project, parameters=parameters, data_folder=data_folder, output_dir=folder / "out", progress=False)


def _file_mids(data_folder: Path) -> pd.DataFrame:
    """Daily mid prices read straight from the data files, indexed by bar date (no runtime involved)."""
    frames = {pair: read_forex_daily(forex_daily_path(data_folder, pair)) for pair in PAIRS}
    return pd.DataFrame({pair: (f["bid_close"] + f["ask_close"]) / 2 for pair, f in frames.items()})


def _positions_after_each_rebalance(orders: pd.DataFrame) -> pd.DataFrame:
    """Net quantity per pair after all orders submitted at each rebalance time (rows: submission times)."""
    filled = orders[orders["status"] == "Filled"]
    by_time = filled.pivot_table(index="time", columns="symbol", values="quantity", aggfunc="sum")
    return by_time.reindex(columns=PAIRS).fillna(0.0).cumsum()


@pytest.mark.slow
def test_tutorial_window_backtest_trades_the_model_on_ecb_data(ecb_data_folder, tmp_path):
    result = _backtest(tmp_path / "run", ecb_data_folder)
    stats, record = result.statistics, result.record

    # Fitted in initialize on the history before the start (no stored model in this workspace).
    assert any("Fitted model on 2004-05-31 to 2013-05-31" in line for line in record.logs)
    assert not any("Loaded model" in line for line in record.logs)

    # Oracle for the positions: the library on month ends read straight from the files, decided at
    # each rebalance time (from the log; the book after it is every order submitted until then).
    mids = _file_mids(ecb_data_folder)
    model = fit_fx_factor_model(month_end_log_prices(mids, as_of="2013-06-01").loc["2004-01-01":])
    rebalances = pd.DatetimeIndex([line[:19] for line in record.logs if " predictions " in line])
    assert len(rebalances) == 37  # June 2013 .. June 2016
    traded = _positions_after_each_rebalance(record.orders)
    # Rebalances that changed the book; the others kept the same pairs, with size changes below LEAN's
    # minimum order margin.
    assert len(traded) == 16
    assert traded.index.isin(rebalances).all()
    positions = traded.reindex(rebalances, method="ffill").fillna(0.0)
    for when, held in positions.iterrows():
        weights = select_positions(model.predict_next(month_end_log_prices(mids, as_of=when)))
        np.testing.assert_array_equal(np.sign(held.to_numpy()), np.sign(weights[PAIRS].to_numpy()), err_msg=str(when))

    # Measured on the ECB data (docs/fx_momentum_reversion.md); ranges leave room for small
    # changes in the runtime's fills, none for a broken strategy or runtime.
    assert int(stats["Total Orders"]) == 35
    assert -1.0 < float(stats["Compounding Annual Return"].rstrip("%")) < 4.0
    assert 8.0 < float(stats["Drawdown"].rstrip("%")) < 16.0
    assert -0.3 < float(stats["Sharpe Ratio"]) < 0.4
    assert float(stats["Annual Standard Deviation"]) == pytest.approx(0.058, abs=0.01)
    assert stats["Total Fees"] == "$0.00"
    assert stats["Start Equity"] == "100000"
    assert any(path.suffix == ".json" for path in (tmp_path / "run" / "out").iterdir())


@pytest.mark.slow
def test_refitting_never_looks_ahead(ecb_data_folder, tmp_path):
    """Prices changed after a cut date leave every decision taken up to the cut unchanged."""
    cut = pd.Timestamp("2014-09-15")
    changed = tmp_path / "changed_data"
    shutil.copytree(ecb_data_folder, changed)
    rng = np.random.default_rng(7)
    for pair in PAIRS:
        path = forex_daily_path(changed, pair)
        bars = read_forex_daily(path)
        after = bars.index > cut
        # A different future: a multiplicative random walk from the cut on, same on every column.
        walk = np.exp(np.cumsum(rng.normal(0.0, 0.01, after.sum())))
        bars.loc[after, QUOTE_COLUMNS] = bars.loc[after, QUOTE_COLUMNS].mul(walk, axis=0)
        bars.loc[after, ["bid_size", "ask_size"]] = 0.0
        write_forex_daily(path, bars)

    window = {"start_date": "2013-06-01", "end_date": "2015-06-01", "refit_months": "1"}
    base = _backtest(tmp_path / "base", ecb_data_folder, **window).record
    other = _backtest(tmp_path / "other", changed, **window).record

    fits = [line for line in base.logs if "Fitted model" in line]
    assert len(fits) == 25  # initialize, then a refit at each rebalance after the first (July 2013 .. June 2015)
    columns = ["symbol", "direction", "quantity", "time"]
    before = base.orders[base.orders["time"] <= cut][columns].reset_index(drop=True)
    before_other = other.orders[other.orders["time"] <= cut][columns].reset_index(drop=True)
    assert len(before) > 10
    pd.testing.assert_frame_equal(before, before_other)
    assert [line for line in base.logs if line[:10] <= "2014-09-15" and "model" in line] == [
        line for line in other.logs if line[:10] <= "2014-09-15" and "model" in line
    ]
    # The test can fail: the changed future does change later decisions.
    after = base.orders[base.orders["time"] > cut][columns].reset_index(drop=True)
    after_other = other.orders[other.orders["time"] > cut][columns].reset_index(drop=True)
    assert not after.equals(after_other)


@pytest.mark.slow
def test_stored_model_is_used_only_when_fitted_before_the_start(ecb_data_folder, tmp_path):
    mids = _file_mids(ecb_data_folder)
    window = {"end_date": "2014-01-01"}
    fitted = _backtest(tmp_path / "fitted", ecb_data_folder, **window).record

    # The notebook's model (same window as initialize's fit): loaded, and it trades the same orders.
    model = fit_fx_factor_model(month_end_log_prices(mids, as_of="2013-06-01").loc["2004-01-01":])
    loaded = _backtest(tmp_path / "loaded", ecb_data_folder, model.to_json(), **window).record
    assert any("Loaded model on 2004-05-31 to 2013-05-31" in line for line in loaded.logs)
    assert not any("Fitted model" in line for line in loaded.logs)
    columns = ["symbol", "quantity", "time"]
    pd.testing.assert_frame_equal(loaded.orders[columns], fitted.orders[columns])

    # A model whose fit reaches past the start would trade on the future: refused, refitted.
    late = fit_fx_factor_model(month_end_log_prices(mids, as_of="2015-01-01").loc["2004-01-01":])
    refused = _backtest(tmp_path / "refused", ecb_data_folder, late.to_json(), **window).record
    assert any("Stored model (2004-05-31 to 2014-12-31) not usable from 2013-06-01" in line for line in refused.logs)
    assert any("Fitted model on 2004-05-31 to 2013-05-31" in line for line in refused.logs)
    pd.testing.assert_frame_equal(refused.orders[columns], fitted.orders[columns])


@pytest.mark.slow
def test_leverage_scales_the_positions(ecb_data_folder, tmp_path):
    window = {"end_date": "2013-09-01"}
    one = _backtest(tmp_path / "one", ecb_data_folder, **window).record.orders
    two = _backtest(tmp_path / "two", ecb_data_folder, leverage="2", **window).record.orders
    # The first rebalance buys GBPUSD alone (every prediction positive, docs): the whole book.
    assert one.iloc[0]["symbol"] == two.iloc[0]["symbol"] == "GBPUSD"
    assert two.iloc[0]["quantity"] / one.iloc[0]["quantity"] == pytest.approx(2.0, rel=1e-3)
    # Sized at the last close before the order (Friday 2013-05-31) to 100% of the portfolio less
    # LEAN's 0.25% free-portfolio buffer.
    price = _file_mids(ecb_data_folder).loc["2013-05-31", "GBPUSD"]
    assert one.iloc[0]["quantity"] * price == pytest.approx(100000 * 0.9975, rel=2e-3)
