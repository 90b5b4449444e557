"""The algorithm-facing API: the AlgorithmImports shim, unsupported members, history's shape."""

from __future__ import annotations

import importlib
import sys
from datetime import datetime

import pandas as pd
import pytest

from lean_local.backtest import SHIM
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import NotSupportedError, Resolution
from lean_local.engine.runner import run_algorithm
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


@pytest.fixture
def shim(monkeypatch):
    monkeypatch.syspath_prepend(str(SHIM))
    sys.modules.pop("AlgorithmImports", None)
    module = importlib.import_module("AlgorithmImports")
    yield module
    sys.modules.pop("AlgorithmImports", None)


def test_shim_exports_leans_names(shim):
    names = {"QCAlgorithm", "Resolution", "Market", "Symbol", "Slice", "TradeBar", "QuoteBar", "Fundamental",
             "CoarseFundamental", "OrderStatus", "OrderDirection", "OrderType", "DataNormalizationMode",
             "SecurityChanges", "PortfolioTarget", "ConstantFeeModel", "InteractiveBrokersFeeModel", "FeeModel",
             "ConstantSlippageModel", "OrderFee", "CashAmount", "Chart", "Series", "SeriesType", "CBOE", "np",
             "pd", "datetime", "date", "time", "timedelta", "List", "Dict", "Optional", "math", "json"}
    star = {}
    exec("from AlgorithmImports import *", star)
    assert names <= set(star)
    assert star["Resolution"].DAILY == 4 and star["OrderStatus"].FILLED == 3


def test_unsupported_names_raise_naming_the_member(shim):
    with pytest.raises(NotSupportedError, match="AlgorithmImports.OptionContract.*lean_local"):
        shim.OptionContract  # noqa: B018
    algo = QCAlgorithm()
    with pytest.raises(NotSupportedError, match="QCAlgorithm.add_option"):
        algo.add_option("SPY")
    with pytest.raises(NotSupportedError, match="resolution SECOND"):
        algo.add_equity("SPY", Resolution.SECOND)


def test_get_parameter_converts_to_the_default_type():
    algo = QCAlgorithm()
    algo._run.parameters = {"n": "5", "x": "0.25", "flag": "true", "name": "abc"}
    assert algo.get_parameter("n", 1) == 5
    assert algo.get_parameter("x", 1.0) == 0.25
    assert algo.get_parameter("flag", False) is True
    assert algo.get_parameter("name") == "abc"
    assert algo.get_parameter("missing", 7) == 7


def test_history_has_leans_shape_and_only_past_bars(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS, [10, 11, 12, 13, 14]))
    fixtures.write_forex(root, "EURUSD", ["2020-01-05", "2020-01-06", "2020-01-07"], [1.1, 1.2, 1.3],
                         spread=0.0002)

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 6)
            self.set_end_date(2020, 1, 8)
            self.aaa = self.add_equity("AAA", Resolution.DAILY).symbol
            self.eur = self.add_forex("EURUSD", Resolution.DAILY).symbol
            self.frames = {}

        def on_data(self, data):
            if self.time == datetime(2020, 1, 7, 16):
                self.frames["aaa"] = self.history(self.aaa, 3, Resolution.DAILY)
                self.frames["both"] = self.history([self.aaa, self.eur], 2, Resolution.DAILY)

    algo, _, _ = run_algorithm(Algo, root)
    aaa = algo.frames["aaa"]
    assert list(aaa.index.names) == ["symbol", "time"]
    assert list(aaa.columns) == ["open", "high", "low", "close", "volume"]
    assert aaa.loc["AAA"]["close"].tolist() == [11, 12, 13]  # Jan 7's bar ended at 16:00: included
    assert aaa.index.get_level_values("time")[-1] == pd.Timestamp("2020-01-07 16:00")
    eur = algo.frames["both"].loc["EURUSD"].dropna(axis=1)
    assert set(eur.columns) >= {"askclose", "bidclose", "close", "askopen", "bidsize"}
    # the Jan 6 UTC bar ends Jan 7 00:00 UTC = Jan 6 19:00 New York; Jan 7's is not over at 16:00
    assert eur.index.tolist() == [pd.Timestamp("2020-01-05 19:00"), pd.Timestamp("2020-01-06 19:00")]
    assert eur["close"].tolist() == pytest.approx([1.1, 1.2])
