"""``lean-local optimize``: grid, target and constraints, walk-forward without look-ahead, the Dask path."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lean_local import optimize as opt
from lean_local.backtest import run_backtest
from lean_local.data import market_hours
from tests import fixtures

MOMENTUM = '''
from AlgorithmImports import *


class Momentum(QCAlgorithm):
    def initialize(self):
        self.set_start_date(datetime.strptime(self.get_parameter("start_date"), "%Y-%m-%d"))
        self.set_end_date(datetime.strptime(self.get_parameter("end_date"), "%Y-%m-%d"))
        self.set_cash(100000)
        self.lookback = int(self.get_parameter("lookback"))
        self.weight = float(self.get_parameter("weight"))
        self.symbol = self.add_equity("AAA", Resolution.DAILY).symbol
        self.closes = []

    def on_data(self, data):
        if not data.bars.contains_key(self.symbol):
            return
        self.closes.append(data.bars[self.symbol].close)
        if len(self.closes) <= self.lookback:
            return
        up = self.closes[-1] > self.closes[-1 - self.lookback]
        self.set_holdings(self.symbol, self.weight if up else 0.0)
'''

FIXED_DATES = MOMENTUM.replace(
    'datetime.strptime(self.get_parameter("start_date"), "%Y-%m-%d")', "2020, 1, 2").replace(
    'datetime.strptime(self.get_parameter("end_date"), "%Y-%m-%d")', "2021, 6, 30")

START, END = "2020-01-01", "2021-06-30"
PARAMETERS = {"start_date": START, "end_date": END, "lookback": "5", "weight": "1"}
GRID = [opt.GridParameter.parse("lookback", "5", "15", "5"), opt.GridParameter.parse("weight", "0.5", "1", "0.5")]
SMALL_GRID = [opt.GridParameter.parse("lookback", "5", "10", "5"), opt.GridParameter.parse("weight", "0.5", "1", "0.5")]


def _write_data(folder: Path, seed: int = 7, change_from: str | None = None, change_seed: int = 99) -> None:
    """AAA (a seeded random walk) and SPY (the default benchmark) over 2020-01 .. 2021-06.

    With ``change_from`` the AAA path from that date on is redrawn with ``change_seed``.
    """
    days = market_hours.us_equity_entry().trading_days(START, END)
    steps = np.random.default_rng(seed).normal(0.0003, 0.02, len(days))
    if change_from is not None:
        later = days >= pd.Timestamp(change_from)
        steps[later] = np.random.default_rng(change_seed).normal(0.0, 0.03, int(later.sum()))
    fixtures.write_equity(folder, "AAA", fixtures.bars(days, 50 * np.exp(np.cumsum(steps))))
    fixtures.write_equity(folder, "SPY", fixtures.bars(days, np.linspace(300.0, 360.0, len(days))))


def _workspace(root: Path, main_py: str = MOMENTUM, parameters: dict[str, str] | None = None, **data) -> Path:
    folder = fixtures.data_folder(root / "data")
    _write_data(folder, **data)
    return fixtures.write_workspace(root, folder, main_py, PARAMETERS if parameters is None else parameters)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("CI", "1")


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """The 3x2 grid on two loky processes, with a drawdown constraint that some runs fail."""
    root = tmp_path_factory.mktemp("grid")
    project = _workspace(root)
    objective = opt.Objective("Sharpe Ratio", "max", (opt.Constraint.parse("Drawdown < 0.25"),))
    return project, objective, opt.optimize(project, GRID, objective, output=root / "opt", jobs=2)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("0.800%", 0.008), ("424.375%", 4.24375), ("$3.49", 3.49), ("17.304", 17.304), ("-19", -19.0),
    ("-0.249", -0.249), ("₤1.5", 1.5), ("CHF 2.25", 2.25), ("100000", 100000.0), ("$-12.5", -12.5),
])
def test_parse_statistic(text, value):
    assert opt.parse_statistic(text) == pytest.approx(value, rel=1e-12)


def test_parse_statistic_non_numeric_is_nan():
    assert math.isnan(opt.parse_statistic("SPY R735QTJ8XC9X"))


def test_grid_values_use_decimal_steps():
    assert opt.GridParameter.parse("x", "0.1", "0.3", "0.1").values() == ["0.1", "0.2", "0.3"]
    assert opt.GridParameter.parse("x", "10", "50", "20").values() == ["10", "30", "50"]
    assert opt.GridParameter.parse("x", "1", "2", "0.4").values() == ["1", "1.4", "1.8"]
    points = opt.grid_points([opt.GridParameter.parse("a", "1", "2", "1"), opt.GridParameter.parse("b", "0", "1", "0.5")])
    assert points == [{"a": "1", "b": "0"}, {"a": "1", "b": "0.5"}, {"a": "1", "b": "1"},
                      {"a": "2", "b": "0"}, {"a": "2", "b": "0.5"}, {"a": "2", "b": "1"}]


@pytest.mark.parametrize("args", [("x", "5", "1", "1"), ("x", "1", "5", "0"), ("x", "a", "5", "1")])
def test_bad_grid_parameter_says_what_to_write(args):
    with pytest.raises(opt.OptimizationError, match="--parameter x"):
        opt.GridParameter.parse(*args)


def test_constraint_compares_percent_statistics_as_fractions():
    c = opt.Constraint.parse("Drawdown < 0.25")
    assert (c.statistic, c.op, c.value) == ("Drawdown", "<", 0.25)
    assert c.holds({"Drawdown": "24.999%"}) and not c.holds({"Drawdown": "25.000%"})
    assert opt.Constraint.parse("Total Fees<=$10").holds({"Total Fees": "$10.00"})
    assert opt.Constraint.parse("Sharpe Ratio >= 1").holds({"Sharpe Ratio": "1.5"})
    assert not opt.Constraint.parse("Win Rate != 50%").holds({"Win Rate": "50%"})
    with pytest.raises(opt.OptimizationError, match="STATISTIC OP VALUE"):
        opt.Constraint.parse("Drawdown is small")


# --------------------------------------------------------------------------------------------
# Deflated Sharpe ratio
# --------------------------------------------------------------------------------------------


def test_deflated_sharpe_matches_bailey_lopez_de_prado_example():
    # Bailey & Lopez de Prado (2014), section 4: annual SR 2.5 over 5 years of daily returns (T=1250),
    # 100 trials with annualized SR variance 0.5, skew -3, kurtosis 10 -> SR0 = 0.1132, DSR = 0.9004.
    assert opt.expected_max_sharpe(0.5 / 250, 100) == pytest.approx(0.1132, abs=5e-5)
    dsr = opt.deflated_sharpe_from_moments(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 0.5 / 250, 100)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_expected_max_sharpe_against_simulated_maxima():
    maxima = np.random.default_rng(0).standard_normal((20000, 1000)).max(axis=1)
    assert opt.expected_max_sharpe(1.0, 1000) == pytest.approx(maxima.mean(), rel=0.01)
    assert opt.expected_max_sharpe(4.0, 1000) == pytest.approx(2 * maxima.mean(), rel=0.01)
    assert opt.expected_max_sharpe(1.0, 1) == 0.0


def test_deflated_sharpe_falls_with_the_number_of_trials():
    returns = np.random.default_rng(3).normal(0.001, 0.01, 500)
    few = opt.deflated_sharpe_ratio(returns, np.array([0.05, 0.08, 0.1]))
    many = opt.deflated_sharpe_ratio(returns, np.linspace(0.0, 0.1, 100))
    sr = opt.sharpe_ratio(returns)
    # one trial: no deflation, the PSR against 0 with the paper's kurtosis term
    single = opt.deflated_sharpe_ratio(returns, np.array([sr]))
    from scipy import stats

    k = stats.kurtosis(returns, fisher=False, bias=False)
    s = stats.skew(returns, bias=False)
    expected = stats.norm.cdf(sr * math.sqrt(499) / math.sqrt(1 - s * sr + (k - 1) / 4 * sr**2))
    assert single == pytest.approx(expected, rel=1e-12)
    assert single > few > many


# --------------------------------------------------------------------------------------------
# Grid optimization
# --------------------------------------------------------------------------------------------


def test_grid_equals_individual_backtests(grid_run, tmp_path):
    project, _, result = grid_run
    assert [r.run_id for r in result.runs] == [f"run-{i}" for i in range(1, 7)]
    for run in result.runs:
        alone = run_backtest(project, parameters=run.parameters, output_dir=tmp_path / run.run_id, progress=False)
        assert run.state == "Completed"
        assert run.statistics == alone.statistics
        assert json.loads(next(Path(run.output_dir).glob("1*-summary.json")).read_text())["statistics"] \
            == alone.statistics


def test_grid_table_is_ranked_by_target_with_constraints(grid_run):
    _, objective, result = grid_run
    table = result.table
    assert list(table.columns[:5]) == ["run_id", "lookback", "weight", "state", "feasible"]
    by_id = {r.run_id: r for r in result.runs}
    drawdown = np.array([opt.parse_statistic(by_id[i].statistics["Drawdown"]) for i in table["run_id"]])
    sharpe = np.array([opt.parse_statistic(by_id[i].statistics["Sharpe Ratio"]) for i in table["run_id"]])
    np.testing.assert_array_equal(table["feasible"].to_numpy(), drawdown < 0.25)
    np.testing.assert_allclose(table["Drawdown"], drawdown)
    feasible = table["feasible"].to_numpy()
    assert 0 < feasible.sum() < len(table), "the constraint should split this grid"
    assert not feasible[np.argmax(~feasible):].any(), "feasible runs come first"
    assert (np.diff(sharpe[feasible]) <= 0).all() and (np.diff(sharpe[~feasible]) <= 0).all()
    assert result.best is not None and result.best.run_id == table["run_id"].iloc[0]
    # the best feasible run is the max Sharpe among runs with drawdown below 25%
    ok = [r for r in result.runs if opt.parse_statistic(r.statistics["Drawdown"]) < 0.25]
    assert result.best.statistics["Sharpe Ratio"] == max(ok, key=lambda r: float(r.statistics["Sharpe Ratio"])) \
        .statistics["Sharpe Ratio"]
    assert 0.0 <= result.deflated_sharpe <= 1.0


def test_grid_files(grid_run):
    _, _, result = grid_run
    names = {p.name for p in result.files}
    assert names == {"optimization.csv", "optimization.json", "optimization-heatmap.png"}
    csv = pd.read_csv(result.folder / "optimization.csv", dtype={"lookback": str, "weight": str})
    assert list(csv["run_id"]) == list(result.table["run_id"])
    document = json.loads((result.folder / "optimization.json").read_text())
    assert document["best"]["runId"] == result.best.run_id
    assert [r["runId"] for r in document["runs"]] == list(result.table["run_id"])
    assert (result.folder / "optimization-heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for run in result.runs:
        assert Path(run.output_dir).parent == result.folder
        assert any(Path(run.output_dir).glob("1*-summary.json"))


def test_grid_is_deterministic_and_independent_of_order(grid_run, tmp_path):
    project, objective, result = grid_run
    # the parameters listed the other way round, run in-process: other run ids, same numbers per point
    swapped = opt.optimize(project, GRID[::-1], objective, output=tmp_path / "swapped", jobs=1)
    key = lambda r: (r.parameters["lookback"], r.parameters["weight"])  # noqa: E731
    first = {key(r): r.statistics for r in result.runs}
    assert {key(r): r.statistics for r in swapped.runs} == first
    assert key(swapped.best) == key(result.best)
    columns = ["lookback", "weight", "feasible", "Sharpe Ratio", "Drawdown", "Net Profit"]
    pd.testing.assert_frame_equal(swapped.table[columns].reset_index(drop=True),
                                  result.table[columns].reset_index(drop=True))
    # a shuffled point list through run_points gives the same summaries in the order asked
    points = [(f"p{i}", values, {}) for i, values in enumerate(opt.grid_points(GRID))][::-1]
    runs = opt.run_points(project, points, tmp_path / "shuffled", jobs=2)
    assert [r.run_id for r in runs] == [p[0] for p in points]
    assert [first[key(r)] for r in runs] == [r.statistics for r in runs]


def test_algorithm_error_marks_the_run_failed(tmp_path):
    failing = MOMENTUM.replace("self.closes.append(", "assert self.lookback != 10, 'no 10'\n        self.closes.append(")
    project = _workspace(tmp_path, failing)
    result = opt.optimize(project, SMALL_GRID, opt.Objective(), output=tmp_path / "opt", jobs=1)
    failed = [r for r in result.runs if not r.completed]
    assert sorted(r.parameters["lookback"] for r in failed) == ["10", "10"]
    assert all("no 10" in r.error for r in failed)
    assert list(result.table["state"].iloc[-2:]) == ["RuntimeError", "RuntimeError"]
    assert result.best.parameters["lookback"] == "5"


def test_unknown_target_lists_the_statistics(tmp_path):
    project = _workspace(tmp_path)
    small = [opt.GridParameter.parse("lookback", "5", "5", "1")]
    with pytest.raises(opt.OptimizationError, match=r'"Sharp Ratio" is not a LEAN statistic.*Sharpe Ratio'):
        opt.optimize(project, GRID, opt.Objective("Sharp Ratio"), output=tmp_path / "o1", jobs=1)
    # checked on the first finished run: the other five never start
    assert [p.name for p in (tmp_path / "o1").iterdir()] == ["run-1"]
    with pytest.raises(opt.OptimizationError, match="not numeric"):
        opt.optimize(project, small, opt.Objective("Lowest Capacity Asset"), output=tmp_path / "o2", jobs=1)


# --------------------------------------------------------------------------------------------
# Walk-forward
# --------------------------------------------------------------------------------------------


def test_walk_forward_windows():
    windows = opt.walk_forward_windows(START, END, 6, 4)
    assert [(str(w.train_start.date()), str(w.train_end.date()), str(w.test_start.date()), str(w.test_end.date()))
            for w in windows] == [
        ("2020-01-01", "2020-06-30", "2020-07-01", "2020-10-31"),
        ("2020-05-01", "2020-10-31", "2020-11-01", "2021-02-28"),
        ("2020-09-01", "2021-02-28", "2021-03-01", "2021-06-30"),
    ]
    assert opt.walk_forward_windows(START, "2020-08-15", 6, 4)[-1].test_end == pd.Timestamp("2020-08-15")
    with pytest.raises(opt.OptimizationError, match="shorter than 24 training months"):
        opt.walk_forward_windows(START, END, 24, 1)


def _choices(result: opt.WalkForwardResult) -> list:
    return [(w.chosen.parameters, w.chosen.statistics, w.test_run.statistics) for w in result.windows]


def test_walk_forward_has_no_look_ahead(tmp_path):
    objective = opt.Objective("Sharpe Ratio", "max")
    grid = [GRID[0]]
    base = opt.walk_forward(_workspace(tmp_path / "a"), grid, objective, 6, 4, output=tmp_path / "a" / "wf", jobs=2)
    # redraw the prices after the first test window (ends 2020-10-31)
    changed = opt.walk_forward(_workspace(tmp_path / "b", change_from="2020-11-01"), grid, objective, 6, 4,
                               output=tmp_path / "b" / "wf", jobs=2)
    assert _choices(changed)[0] == _choices(base)[0]
    # the change is visible to everything that reads past 2020-10-31
    assert _choices(changed)[1:] != _choices(base)[1:]
    assert [r.statistics for r in changed.in_sample.runs] != [r.statistics for r in base.in_sample.runs]

    # each test run is the chosen configuration backtested alone on its window
    w = base.windows[1]
    alone = run_backtest(tmp_path / "a" / "algorithms" / "algo",
                         parameters={**w.chosen.parameters, "start_date": "2020-11-01", "end_date": "2021-02-28"},
                         output_dir=tmp_path / "alone", progress=False)
    assert w.test_run.statistics == alone.statistics
    # the chosen configuration is the training window's best
    best = max(w.train_runs, key=lambda r: float(r.statistics["Sharpe Ratio"]))
    assert w.chosen.parameters == best.parameters


def test_walk_forward_stitches_test_windows_and_writes_files(tmp_path):
    result = opt.walk_forward(_workspace(tmp_path), [GRID[0]], opt.Objective(), 6, 4, output=tmp_path / "wf",
                              jobs=1)
    oos = result.oos_equity
    assert oos.index.is_monotonic_increasing and oos.index.is_unique
    # the curve at each test window's end compounds the windows' net profits
    profits = [opt.parse_statistic(w.test_run.statistics["End Equity"]) / 100000.0 for w in result.windows]
    assert oos.iloc[-1] == pytest.approx(np.prod(profits), rel=1e-6)  # End Equity is rounded to cents
    first_end = oos[oos.index <= pd.Timestamp("2020-11-01")].iloc[-1]
    assert first_end == pytest.approx(profits[0], rel=1e-6)
    assert result.summary["configurationsPerWindow"] == 3
    assert result.summary["inSampleBest"]["deflatedSharpeRatio"] == result.in_sample.deflated_sharpe
    assert {p.name for p in result.files} == {
        "in-sample.csv", "in-sample.json", "walk-forward.csv", "walk-forward.json", "walk-forward-equity.csv",
        "walk-forward.png"}
    table = pd.read_csv(tmp_path / "wf" / "walk-forward.csv")
    assert list(table["chosen_run"]) == [w.chosen.run_id for w in result.windows]
    assert sorted(p.name for p in (tmp_path / "wf").iterdir() if p.is_dir()) == sorted(
        [f"w{k}-train-{i}" for k in range(1, 4) for i in range(1, 4)] + [f"w{k}-test" for k in range(1, 4)]
        + [f"full-{i}" for i in range(1, 4)])


def test_walk_forward_needs_date_parameters(tmp_path):
    no_dates = {k: v for k, v in PARAMETERS.items() if k not in ("start_date", "end_date")}
    project = _workspace(tmp_path / "a", FIXED_DATES, no_dates)
    with pytest.raises(opt.OptimizationError, match="no start_date and end_date parameter"):
        opt.walk_forward(project, [GRID[0]], opt.Objective(), 6, 4, jobs=1)
    # declared in config.json but ignored by initialize(): caught on the first run
    project = _workspace(tmp_path / "b", FIXED_DATES)
    with pytest.raises(opt.OptimizationError, match="not on the start_date parameter"):
        opt.walk_forward(project, [GRID[0]], opt.Objective(), 6, 4, output=tmp_path / "b" / "wf", jobs=1)


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dask_backend_gives_the_local_results(grid_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    project, objective, local = grid_run
    # joblib runs in-process when the cluster has one thread in all, so two single-threaded workers
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with opt.dask_backend(cluster.scheduler_address):
            result = opt.optimize(project, SMALL_GRID, objective, output=tmp_path / "dask")
        assert cluster.scheduler.transition_counter > 0, "the runs did not go through the scheduler"
    expected = {tuple(r.parameters.items()): r.statistics for r in local.runs}
    assert {tuple(r.parameters.items()): r.statistics for r in result.runs} == {
        k: v for k, v in expected.items() if dict(k)["lookback"] in ("5", "10")}


def test_unreachable_scheduler_says_what_to_do(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(opt.execution, "SCHEDULER_TIMEOUT", "1s")
    with pytest.raises(opt.OptimizationError, match="dask scheduler"):
        with opt.dask_backend("tcp://127.0.0.1:9"):
            pass


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lean-local")
    opt.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_grid(tmp_path, capsys):
    project = _workspace(tmp_path)
    out = tmp_path / "out"
    code = _cli(["optimize", str(project), "--parameter", "lookback", "5", "10", "5", "--parameter", "weight", "1",
                 "1", "1", "--target", "Net Profit", "--constraint", "Drawdown < 0.5", "--jobs", "1",
                 "--output", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "best: run-" in printed and str(out) in printed
    table = pd.read_csv(out / "optimization.csv")
    assert (np.diff(table["Net Profit"]) <= 0).all()
    assert (out / "optimization-heatmap.png").is_file()


def test_cli_errors_are_short(tmp_path, capsys):
    project = _workspace(tmp_path, FIXED_DATES, {"lookback": "5", "weight": "1"})
    assert _cli(["optimize", str(project), "--parameter", "lookback", "5", "10", "5", "--walk-forward", "6", "4"]) == 2
    assert "no start_date and end_date parameter" in capsys.readouterr().err
    assert _cli(["optimize", str(tmp_path), "--parameter", "lookback", "5", "10", "5"]) == 2
    assert "has no main.py" in capsys.readouterr().err
    assert _cli(["optimize", str(project), "--parameter", "lookback", "5", "10", "5", "--constraint", "bad"]) == 2
    assert "STATISTIC OP VALUE" in capsys.readouterr().err


def test_help_has_examples():
    parser = argparse.ArgumentParser(prog="lean-local")
    opt.register(parser.add_subparsers(dest="command"))
    text = parser._subparsers._group_actions[0].choices["optimize"].format_help()
    assert "--walk-forward" in text and "Drawdown < 0.25" in text and "examples:" in text


def test_default_output_folder_is_under_the_project(tmp_path):
    project = _workspace(tmp_path)
    result = opt.optimize(project, [opt.GridParameter.parse("lookback", "5", "5", "1")], opt.Objective(), jobs=1)
    assert result.folder.parent == project / "optimizations"
    assert (result.folder / "run-1" / "log.txt").is_file()
