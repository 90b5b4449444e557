"""The Kalman mean-reversion algorithm through the local runtime: rules, look-ahead, edge, sample data.

Synthetic pairs (fixed seeds) are written into ``tmp_path`` as LEAN data folders: ``XLEG`` is a
geometric random walk and ``log YLEG = log XLEG + log 0.8 + s`` with the spread ``s`` an AR(1)
(mean-reverting) or a random walk. Opens equal the previous close, so an order decided at a close
fills at that price: what the strategy earns is the spread's reversion, not overnight noise.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local.data import market_hours
from lean_local.engine.runner import run_backtest
from shared.kalman import (
    fit_hedge_ratio_em,
    fit_local_level_em,
    hedge_ratio_filter,
    local_level_filter,
    zscore,
)
from shared.kalman_rules import mean_reversion_positions, spread_mark
from tests import fixtures

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "algorithms" / "kalman_mean_reversion"
PARAMS_KEY = "kalman_mean_reversion/params.json"
START, END = "2016-01-04", "2017-12-29"
TRAIN_END = "2015-12-31"
RULES = {"entry_z": 1.5, "exit_z": 0.0, "max_holding": 20, "stop_loss": 0.1}
WARMUP = 60


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


def synthetic_pair(seed: int, mean_reverting: bool) -> pd.DataFrame:
    """Closes of ``YLEG`` and ``XLEG`` on NYSE trading days 2015-01-02 .. 2017-12-29 (dollars)."""
    days = market_hours.us_equity_entry().trading_days("2015-01-02", END)
    rng = np.random.default_rng(seed)
    log_x = np.log(50.0) + np.cumsum(rng.normal(0.0002, 0.012, len(days)))
    shocks = rng.normal(0.0, 0.01, len(days))
    phi = 0.6 if mean_reverting else 1.0
    spread = np.zeros(len(days))
    for t in range(1, len(days)):
        spread[t] = phi * spread[t - 1] + shocks[t]
    log_y = log_x + np.log(0.8) + spread
    return pd.DataFrame({"YLEG": np.exp(log_y), "XLEG": np.exp(log_x)}, index=days)


def write_pair(folder: Path, close: pd.DataFrame) -> Path:
    fixtures.data_folder(folder)
    for ticker in close.columns:
        prices = close[ticker].to_numpy()
        opens = np.concatenate([prices[:1], prices[:-1]])
        fixtures.write_equity(folder, ticker, fixtures.bars(close.index, prices, opens=opens))
    return folder


def save_params(project: Path, close: pd.DataFrame) -> dict:
    """EM fit on the training year (before the backtest), saved where the algorithm reads it."""
    train = np.log(close.loc[:TRAIN_END])
    pair = fit_hedge_ratio_em(train["YLEG"].to_numpy(), train["XLEG"].to_numpy())
    params = {
        "train_start": f"{train.index[0]:%Y-%m-%d}",
        "train_end": TRAIN_END,
        "single": {t: dict(zip(("q", "r"), fit_local_level_em(train[t].to_numpy()), strict=True)) for t in close},
        "pair": {"YLEG/XLEG": {"r": pair.r, "transition_cov": pair.transition_cov.tolist()}},
    }
    store = project.parents[1] / "storage" / PARAMS_KEY
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(params))
    return params


def run(project: Path, **parameters: str):
    base = {"start_date": START, "end_date": END, "pairs": "YLEG/XLEG", "tickers": "YLEG,XLEG"}
    return run_backtest(project, parameters={**base, **parameters}, output_dir=project / "out", progress=False)


def first_bar(index: pd.DatetimeIndex) -> int:
    """Position of the first bar the algorithm sees: ``WARMUP`` trading days before the start."""
    return int(np.searchsorted(index, pd.Timestamp(START))) - WARMUP


def submitted(result, ticker: str) -> pd.Series:
    """Signed quantity of each order of ``ticker`` by the date it was submitted (the decision bar)."""
    orders = result.record.orders
    orders = orders[orders["symbol"] == ticker]
    return pd.Series(orders["quantity"].to_numpy(), index=pd.DatetimeIndex(orders["time"]).normalize())


def expected_changes(position: np.ndarray, index: pd.DatetimeIndex) -> pd.Series:
    """Position changes (new - old) on trading bars, from the batch rules."""
    trading = index >= pd.Timestamp(START)
    pos = pd.Series(position, index=index)[trading]
    change = pos.diff().fillna(pos.iloc[0])
    return change[change != 0]


@pytest.fixture(scope="module")
def mean_reverting(tmp_path_factory):
    root = tmp_path_factory.mktemp("kalman_mr")
    close = synthetic_pair(seed=11, mean_reverting=True)
    project = make_workspace(root / "workspace", write_pair(root / "data", close))
    params = save_params(project, close)
    return project, close, params


def test_pair_orders_are_the_batch_filter_and_rules_on_past_bars_only(mean_reverting):
    project, close, params = mean_reverting
    result = run(project, mode="pair")
    assert result.record.state == "Completed"
    assert any("noise parameters from kalman_mean_reversion/params.json" in line for line in result.record.logs)
    assert not any("in-sample" in line for line in result.record.logs)

    # The batch filter from the algorithm's first (warm-up) bar with the stored noise, then the rules
    # from the start date: the orders must be exactly these position changes, submitted on the bar.
    bars = close.iloc[first_bar(close.index) :]
    fit = params["pair"]["YLEG/XLEG"]
    filtered = hedge_ratio_filter(
        np.log(bars[["YLEG"]].to_numpy()),
        np.log(bars[["XLEG"]].to_numpy()),
        r=fit["r"],
        transition_cov=np.array(fit["transition_cov"]),
    )
    z = zscore(filtered.innovation, filtered.innovation_var)
    mark = spread_mark(bars[["YLEG"]].to_numpy(), bars[["XLEG"]].to_numpy())
    trading = bars.index >= pd.Timestamp(START)
    position = np.zeros(len(bars))
    position[trading] = mean_reversion_positions(z[trading], mark[trading], **RULES).position[:, 0]
    change = expected_changes(position, bars.index)
    assert len(change) > 40

    y_orders, x_orders = submitted(result, "YLEG"), submitted(result, "XLEG")
    assert y_orders.index.equals(change.index) and x_orders.index.equals(change.index)
    np.testing.assert_array_equal(np.sign(y_orders.to_numpy()), np.sign(change.to_numpy()))
    np.testing.assert_array_equal(np.sign(x_orders.to_numpy()), -np.sign(change.to_numpy()))
    # Entries are equal-dollar legs of half the book each (set_holdings(+-0.5) per leg).
    orders = result.record.orders
    entries = orders[orders["tag"] != "Liquidated"]
    net = entries.groupby("time")["value"].sum()
    leg = entries.groupby("time")["value"].apply(lambda v: v.abs().mean())
    book = result.record.equity.reindex(leg.index)
    assert (net.abs() < 0.01 * leg).all()
    assert (leg / book).between(0.47, 0.51).all()


def test_single_orders_are_the_batch_local_level_filter_and_rules(mean_reverting):
    project, close, params = mean_reverting
    result = run(project, mode="single")
    bars = np.log(close.iloc[first_bar(close.index) :])
    q = [params["single"][t]["q"] for t in bars]
    r = [params["single"][t]["r"] for t in bars]
    level = local_level_filter(bars.to_numpy(), q=q, r=r)
    z = zscore(level.innovation, level.innovation_var)
    trading = bars.index >= pd.Timestamp(START)
    rules = mean_reversion_positions(z[trading], bars.to_numpy()[trading], **RULES)
    for j, ticker in enumerate(bars.columns):
        position = np.zeros(len(bars))
        position[trading] = rules.position[:, j]
        change = expected_changes(position, bars.index)
        orders = submitted(result, ticker)
        assert len(change) > 20
        assert orders.index.equals(change.index)
        np.testing.assert_array_equal(np.sign(orders.to_numpy()), np.sign(change.to_numpy()))


def test_no_look_ahead_orders_do_not_change_when_later_data_is_removed(mean_reverting, tmp_path):
    project, close, _ = mean_reverting
    cut = pd.Timestamp("2016-09-30")
    truncated = make_workspace(tmp_path / "workspace", write_pair(tmp_path / "data", close.loc[:cut]))
    shutil.copytree(project.parents[1] / "storage", truncated.parents[1] / "storage", dirs_exist_ok=True)
    full, short = run(project, mode="pair"), run(truncated, mode="pair", end_date=f"{cut:%Y-%m-%d}")
    columns = ["symbol", "quantity", "time"]
    full_orders = full.record.orders[full.record.orders["time"] <= cut][columns].reset_index(drop=True)
    short_orders = short.record.orders[short.record.orders["time"] <= cut][columns].reset_index(drop=True)
    assert len(full_orders) > 10
    pd.testing.assert_frame_equal(full_orders, short_orders)


def net_return_and_sharpe(result) -> tuple[float, float]:
    statistics = result.statistics
    return float(statistics["Net Profit"].rstrip("%")) / 100, float(statistics["Sharpe Ratio"])


def test_mean_reverting_pair_makes_money_a_random_walk_pair_does_not(mean_reverting, tmp_path):
    project, _, _ = mean_reverting
    profit, sharpe = net_return_and_sharpe(run(project, mode="pair"))
    # Research simulation over 12 seeds: Sharpe 2.0 .. 2.8, two-year return ~28% of the book.
    assert profit > 0.10 and sharpe > 1.0

    close = synthetic_pair(seed=11, mean_reverting=False)
    random_walk = make_workspace(tmp_path / "workspace", write_pair(tmp_path / "data", close))
    save_params(random_walk, close)
    rw_profit, rw_sharpe = net_return_and_sharpe(run(random_walk, mode="pair"))
    # Same simulation: Sharpe -0.8 .. 0.7, return 1% +- 5%; the bounds leave room for chance only.
    assert rw_profit < 0.10 and rw_sharpe < 1.0
    assert rw_profit < profit - 0.10


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["single", "pair"])
def test_sample_data_backtest_end_to_end(mode, lean_data_folder, tmp_path):
    project = make_workspace(tmp_path / "workspace", lean_data_folder)
    result = run_backtest(project, parameters={"mode": mode}, output_dir=tmp_path / "out", progress=False)
    assert result.record.state == "Completed"
    assert any("not in the object store" in line for line in result.record.logs)
    statistics = result.statistics
    assert int(statistics["Total Orders"]) > 20
    assert float(statistics["End Equity"]) > 0
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert any(name.endswith("-summary.json") for name in files)
    equity = result.record.equity
    assert equity.index[0] >= pd.Timestamp("2016-01-04") and equity.index[-1] <= pd.Timestamp("2021-04-01")
    tickers = {"single": {"SPY", "QQQ", "IWM", "EEM"}, "pair": {"GOOG", "GOOGL"}}[mode]
    assert set(result.record.orders["symbol"]) == tickers
