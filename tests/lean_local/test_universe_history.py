"""History of a fundamental universe's data, ``history(Fundamental, ...)`` and ``fundamentals``
(LEAN ``QCAlgorithm.History``/``Fundamentals``) on hand-made coarse files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd

from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Market, Resolution, SecurityType, Symbol
from lean_local.engine.dotnet import Object
from lean_local.engine.fundamental_universe import Fundamental, FundamentalUniverse
from lean_local.engine.runner import run_algorithm
from tests import fixtures

AAA, BBB = "AAA R735QTJ8XC9X", "BBB R735QTJ8XC9X"


def _coarse(root, day, rows):
    path = formats.coarse_path(root, pd.Timestamp(day))
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_coarse(path, pd.DataFrame({"sid": [s for s, _, _ in rows], "symbol": [s.split()[0] for s, _, _ in rows],
                                             "close": [c for _, c, _ in rows], "volume": [v for _, _, v in rows]}))


def test_a_universes_data_and_fundamentals_as_lean_returns_them(tmp_path):
    """Files of Jan 2, 3 and 6 2020 end at Jan 3, 4 and 7 00:00: at Jan 7 00:00 a 2-day window
    (Jan 5 00:00, Jan 7 00:00] holds only the Jan 6 file, the last 2 collections are Jan 3's and
    Jan 6's. ``fundamentals`` reads the file dated today (Jan 7: none, so price 0)."""
    root = fixtures.data_folder(tmp_path / "data")
    # listed 1998-01-02: LEAN's identifier AAA R735QTJ8XC9X, which the coarse rows carry
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10, 11, 12]),
                          map_rows=[("1998-01-02", "aaa"), ("2050-12-31", "aaa")])
    _coarse(root, "2020-01-02", [(AAA, 10.0, 100), (BBB, 5.0, 50)])
    _coarse(root, "2020-01-03", [(AAA, 11.0, 110), (BBB, 6.0, 60)])
    _coarse(root, "2020-01-06", [(AAA, 12.0, 120)])

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 7)
            self.set_end_date(2020, 1, 7)
            self.universe = self.add_universe(lambda rows: [])
            self.add_equity("AAA", Resolution.DAILY)
            self.flat = self.history(self.universe, timedelta(days=2), flatten=True)
            self.typed = self.history[self.universe.data_type]([self.universe.symbol], 2)
            self.today = self.fundamentals(Symbol.create("AAA", SecurityType.EQUITY, Market.USA))
            self.on_jan3 = self.history(Fundamental, timedelta(days=4))

    algo = Algo()
    algo._attach_engine(root, {}, None)
    algo.initialize()
    # LEAN's symbol values are upper case: FUNDAMENTALUNIVERSE-USA-<count>-<guid>
    assert re.fullmatch(r"FUNDAMENTALUNIVERSE-USA-\d{10}-[0-9A-F-]{36}", str(algo.universe.symbol))
    assert algo.universe.data_type is FundamentalUniverse
    assert list(algo.flat.index) == [(datetime(2020, 1, 7), "AAA")]
    assert algo.flat["value"].tolist() == [12.0] and algo.flat["dollarvolume"].tolist() == [1440.0]
    assert [{str(k): [(str(f.symbol), f.price) for f in v] for k, v in day.items()} for day in algo.typed] == [
        {str(algo.universe.symbol): [("AAA", 11.0), ("BBB", 6.0)]},
        {str(algo.universe.symbol): [("AAA", 12.0)]}]
    assert (algo.today.end_time, algo.today.price) == (datetime(2020, 1, 7), 0.0)
    # Jan 3 00:00 .. Jan 7 00:00: the Jan 3 and Jan 6 files (Jan 2's ends at Jan 3 00:00, outside)
    rows = algo.on_jan3.loc["AAA"]
    assert list(rows.index) == [datetime(2020, 1, 4), datetime(2020, 1, 7)] and rows["value"].tolist() == [11.0, 12.0]
    first, second = rows["earningreports"].iloc[0], rows["earningreports"].iloc[1]
    assert not Object.reference_equals(first, second)
    assert first._time_provider.get_utc_now() == datetime(2020, 1, 4, 5)  # New York midnight in UTC
    assert second._time_provider.get_utc_now() == datetime(2020, 1, 7, 5)


def test_a_universe_runs_and_its_history_ends_at_the_current_time(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(["2020-01-02", "2020-01-03", "2020-01-06"], [10, 11, 12]))
    _coarse(root, "2020-01-02", [(AAA, 10.0, 100)])
    _coarse(root, "2020-01-03", [(AAA, 11.0, 100)])

    class Algo(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 3)
            self.set_end_date(2020, 1, 6)
            self.universe_settings.resolution = Resolution.DAILY
            self.universe = self.add_universe(lambda rows: [row.symbol for row in rows])
            self.counts = []

        def on_data(self, data):
            self.counts.append(len(self.history(self.universe, timedelta(days=5), flatten=True)))

    algo, _, _ = run_algorithm(Algo, root)
    # at Jan 3 16:00 the Jan 2 file (ended Jan 3 00:00); at Jan 6 16:00 the Jan 2 and Jan 3 files
    assert algo.counts == [1, 2]
