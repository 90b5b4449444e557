"""LEAN's overloaded API methods with keyword arguments (``quantconnect-stubs``' snake_case names),
``add_security`` and ``train``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lean_local.backtest import run_backtest
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType, Symbol
from lean_local.engine.overloads import bind_overload
from tests import fixtures


def _algorithm(tmp_path) -> QCAlgorithm:
    algorithm = QCAlgorithm()
    algorithm._attach_engine(fixtures.data_folder(tmp_path / "data"), {}, None)
    algorithm._run.initializing = True
    return algorithm


def test_bind_overload_takes_the_first_overload_the_arguments_fit():
    def parts(year, month, day): ...
    def whole(start): ...
    assert bind_overload("m", (2020, 1, 2), {}, parts, whole) == (parts, {"year": 2020, "month": 1, "day": 2})
    assert bind_overload("m", (), {"start": 5}, parts, whole) == (whole, {"start": 5})
    with pytest.raises(TypeError, match=r"No method matches given arguments for m: \(<class 'int'>, x=<class 'int'>\)"):
        bind_overload("m", (1,), {"x": 2}, parts, whole)


@pytest.mark.parametrize("call", [
    lambda a: a.set_start_date(2020, 1, 2),
    lambda a: a.set_start_date(year=2020, month=1, day=2),
    lambda a: a.set_start_date(2020, month=1, day=2),
    lambda a: a.set_start_date(start=datetime(2020, 1, 2, 15, 30)),
    lambda a: a.set_start_date(datetime(2020, 1, 2).date()),
])
def test_set_start_date_overloads(tmp_path, call):
    algorithm = _algorithm(tmp_path)
    call(algorithm)
    assert algorithm.start_date == datetime(2020, 1, 2)


def test_set_end_date_and_cash_keywords(tmp_path):
    algorithm = _algorithm(tmp_path)
    algorithm.set_end_date(year=2020, month=3, day=4)
    assert algorithm.end_date.date() == datetime(2020, 3, 4).date() and algorithm.end_date.hour == 23
    algorithm.set_end_date(end=datetime(2020, 3, 5))
    assert algorithm.end_date.date() == datetime(2020, 3, 5).date()
    algorithm.set_cash(starting_cash=25_000)
    assert algorithm.portfolio.cash == 25_000
    algorithm.set_cash(symbol="USD", starting_cash=30_000)
    assert algorithm.portfolio.cash == 30_000
    with pytest.raises(TypeError, match="No method matches given arguments for set_start_date"):
        algorithm.set_start_date(2020, 1)


def test_set_warm_up_keywords(tmp_path):
    algorithm = _algorithm(tmp_path)
    algorithm.set_warm_up(bar_count=20, resolution=Resolution.DAILY)
    assert algorithm._run.warm_up == (20, Resolution.DAILY)
    algorithm.set_warm_up(time_span=timedelta(days=7))
    assert algorithm._run.warm_up == (timedelta(days=7), None)


@pytest.mark.parametrize("call", [
    lambda a: a.add_security(SecurityType.EQUITY, "AAA", Resolution.DAILY),
    lambda a: a.add_security(security_type=SecurityType.EQUITY, ticker="AAA", resolution=Resolution.DAILY),
    lambda a: a.add_security(SecurityType.EQUITY, "AAA", Resolution.DAILY, "usa", True, 1.0, False),
    lambda a: a.add_security(Symbol.create("AAA", SecurityType.EQUITY, "usa"), Resolution.DAILY,
                             data_normalization_mode=DataNormalizationMode.RAW),
])
def test_add_security_adds_the_equity(tmp_path, call):
    algorithm = _algorithm(tmp_path)
    security = call(algorithm)
    assert security.symbol == "AAA" and security.type == SecurityType.EQUITY
    assert security.resolution == Resolution.DAILY
    assert algorithm.securities["AAA"] is security


def test_add_security_with_leverage(tmp_path):
    algorithm = _algorithm(tmp_path)
    security = algorithm.add_security(SecurityType.EQUITY, "AAA", Resolution.DAILY, True, 3.0, False)
    assert security.leverage == 3.0


TRAINING = '''
from AlgorithmImports import *


class Training(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.add_equity("AAA", Resolution.DAILY)
        self.train(self.fit)
        self.train(self.date_rules.every(DayOfWeek.SUNDAY), self.time_rules.at(8, 0), self.fit)
        self.train(training_code=self.fit)

    def fit(self):
        self.log(f"training at {self.time} price {self.securities['AAA'].price:g}")
'''


def test_train_runs_now_and_on_its_schedule(tmp_path):
    folder = fixtures.data_folder(tmp_path / "data")
    days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"]
    fixtures.write_equity(folder, "AAA", fixtures.bars(days, [10, 11, 12, 13, 14, 15, 16]))
    project = fixtures.write_workspace(tmp_path, folder, TRAINING)
    result = run_backtest(project, output_dir=tmp_path / "out", progress=False, report=False, quiet=True)
    assert [line for line in result.record.logs if "training" in line] == [
        "2020-01-02 00:00:00 training at 2020-01-02 00:00:00 price 0",   # train(code): at the start
        "2020-01-02 00:00:00 training at 2020-01-02 00:00:00 price 0",
        "2020-01-05 08:00:00 training at 2020-01-05 08:00:00 price 11",  # Sunday 08:00, Friday's close
    ]
