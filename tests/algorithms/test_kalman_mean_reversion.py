"""The Kalman pair algorithm through the local runtime, from parameters the fitting step wrote.

Synthetic pairs (fixed seeds) are written into ``tmp_path`` as LEAN data folders: ``XLEG`` is a
geometric random walk and ``YLEG = 1.2 XLEG + 10 + s + noise`` with ``s`` an AR(1) of half-life 10
days (cointegrated), or ``YLEG`` an independent random walk. Opens equal the previous close, so an
order decided at a close fills at that price. ``shared.kalman_pair_fit`` fits 2010-2013, validates
2014, and the algorithm trades 2015-2017.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.backtest import run_backtest
from lean_local.data import market_hours
from lean_local.engine.runner import AlgorithmRuntimeError
from lean_local.object_store import ObjectStore
from shared.kalman import hedge_ratio_filter
from shared.kalman_pair_fit import fit_pairs
from shared.kalman_rules import mean_reversion_positions
from tests import fixtures

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "algorithms" / "kalman_mean_reversion"
PARAMS_KEY = "kalman_mean_reversion/params.json"
FIT_START, FORMATION_END, VALIDATION_END = "2010-01-04", "2013-12-31", "2014-12-31"
START, END = "2015-01-02", "2017-12-29"


def make_workspace(root: Path, data: Path) -> Path:
    """A workspace holding a copy of the project, ``Library`` (linked) and an empty object store."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "lean.json").write_text(json.dumps({"data-folder": str(data)}))
    (root / "Library").symlink_to(ROOT / "Library", target_is_directory=True)
    (root / "storage").mkdir()
    project = root / "algorithms" / "kalman_mean_reversion"
    project.mkdir(parents=True)
    for name in ("main.py", "config.json"):
        shutil.copy(PROJECT / name, project / name)
    return project


def synthetic_pair(seed: int, cointegrated: bool) -> pd.DataFrame:
    """Closes of ``YLEG`` and ``XLEG`` on NYSE trading days 2010-01-04 .. 2017-12-29 (dollars)."""
    days = market_hours.us_equity_entry().trading_days(FIT_START, END)
    rng = np.random.default_rng(seed)
    x = 50 * np.exp(np.cumsum(rng.normal(0, 0.012, len(days))))
    if cointegrated:
        phi = 0.5 ** (1 / 10)
        s = np.zeros(len(days))
        for t in range(1, len(days)):
            s[t] = phi * s[t - 1] + rng.normal(0, 0.25)
        y = 1.2 * x + 10 + s + rng.normal(0, 0.05, len(days))
    else:
        y = 70 * np.exp(np.cumsum(rng.normal(0, 0.012, len(days))))
    return pd.DataFrame({"YLEG": y, "XLEG": x}, index=days)


def write_pair(folder: Path, close: pd.DataFrame) -> Path:
    fixtures.data_folder(folder)
    for ticker in close.columns:
        prices = close[ticker].to_numpy()
        opens = np.concatenate([prices[:1], prices[:-1]])
        fixtures.write_equity(folder, ticker, fixtures.bars(close.index, prices, opens=opens))
    return folder


def fit_and_save(project: Path, close: pd.DataFrame):
    report = fit_pairs(close, FIT_START, FORMATION_END, VALIDATION_END, n_sims=60)
    ObjectStore(project.parents[1] / "storage").save(PARAMS_KEY, json.dumps(report.parameters))
    return report


def run(project: Path, **parameters: str):
    return run_backtest(project, parameters={"start_date": START, "end_date": END, **parameters},
                        output_dir=project / "out", progress=False)


@pytest.fixture(scope="module")
def cointegrated(tmp_path_factory):
    root = tmp_path_factory.mktemp("kalman_pair")
    close = synthetic_pair(seed=11, cointegrated=True)
    project = make_workspace(root / "workspace", write_pair(root / "data", close))
    report = fit_and_save(project, close)
    return project, close, report, run(project)


def test_the_cointegrated_pair_is_chosen_and_fitted_near_its_half_life(cointegrated):
    _, _, report, _ = cointegrated
    # One ordering of the pair is traded (the one with the lower Engle-Granger p-value), not both.
    (name,) = report.parameters["pairs"]
    assert name in {"YLEG/XLEG", "XLEG/YLEG"}
    row = report.table.set_index("pair").loc[name]
    assert row["traded"] and row["eg_pvalue"] < 0.01 and row["converged"]
    assert row["half_life"] == pytest.approx(10.0, rel=0.2)
    assert row["phi"] < report.band["phi"][0]
    assert report.table.set_index("pair").loc["XLEG/YLEG" if name == "YLEG/XLEG" else "YLEG/XLEG", "reason"] == (
        f"the reverse ordering {name} is traded")


def test_orders_are_the_batch_filter_and_rules_on_past_bars_only(cointegrated):
    project, close, report, result = cointegrated
    assert result.record.state == "Completed"
    assert any("pair(s) from kalman_mean_reversion/params.json" in line for line in result.record.logs)
    # The batch filter from the stored state on the bars after the validation window; the rules from
    # the start date. The orders of each pair's legs are exactly these position changes.
    (name,) = report.parameters["pairs"]
    y_ticker, x_ticker = name.split("/")
    fitted = report.parameters["pairs"][name]
    bars = close.loc[close.index > pd.Timestamp(VALIDATION_END)]
    filtered = hedge_ratio_filter(
        bars[[y_ticker]].to_numpy() / fitted["y_scale"], bars[[x_ticker]].to_numpy() / fitted["x_scale"],
        r=fitted["r"], transition_cov=np.array(fitted["transition_cov"]),
        initial_state_mean=np.array(fitted["state_mean"]), initial_state_cov=np.array(fitted["state_cov"]),
    )
    z = filtered.innovation / np.sqrt(filtered.innovation_var)
    position = mean_reversion_positions(z, filtered.innovation, entry_z=1.0, exit_z=0.0).position[:, 0]
    change = pd.Series(position, index=bars.index).diff().fillna(position[0])
    change = change[change != 0]
    assert len(change) > 30
    orders = result.record.orders
    for ticker, sign in ((y_ticker, 1), (x_ticker, -1)):
        mine = orders[orders["symbol"] == ticker]
        days = pd.DatetimeIndex(mine["time"]).normalize()
        assert days.equals(change.index)
        np.testing.assert_array_equal(np.sign(mine["quantity"].to_numpy()), sign * np.sign(change.to_numpy()))


def test_the_cointegrated_pair_is_traded_profitably_after_costs(cointegrated):
    _, _, _, result = cointegrated
    statistics = result.statistics
    assert float(statistics["Total Fees"].lstrip("$").replace(",", "")) > 0
    assert float(statistics["Net Profit"].rstrip("%")) > 5.0
    assert float(statistics["Sharpe Ratio"]) > 1.0


def test_independent_random_walks_are_rejected_and_not_traded(tmp_path):
    close = synthetic_pair(seed=12, cointegrated=False)
    project = make_workspace(tmp_path / "workspace", write_pair(tmp_path / "data", close))
    report = fit_and_save(project, close)
    assert not report.table["traded"].any() and report.parameters["pairs"] == {}
    # An algorithm that raises in initialize ends as LEAN's does: a runtime error, no order.
    with pytest.raises(AlgorithmRuntimeError, match="holds no pair: tools/kalman_fit.py found none") as raised:
        run(project)
    assert raised.value.record.state == "RuntimeError" and len(raised.value.record.orders) == 0


def test_no_parameters_no_backtest(tmp_path):
    close = synthetic_pair(seed=11, cointegrated=True)
    project = make_workspace(tmp_path / "workspace", write_pair(tmp_path / "data", close))
    with pytest.raises(AlgorithmRuntimeError, match="run tools/kalman_fit.py first"):
        run(project)


def test_parameters_fitted_inside_the_backtest_are_refused(cointegrated):
    project, _, _, _ = cointegrated
    with pytest.raises(AlgorithmRuntimeError, match="inside the backtest"):
        run(project, start_date="2014-06-02")
