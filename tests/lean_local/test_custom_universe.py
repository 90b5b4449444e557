"""Universes fed by data files: custom data universes, constituents and ETF constituents universes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.base_data import PythonData
from lean_local.engine.common import Market, Resolution, SecurityType, Symbol
from lean_local.engine.custom_universe import ConstituentsUniverse, collections, plan_selections
from lean_local.engine.data_sources import SubscriptionDataSource
from lean_local.engine.etf_constituents import ETFConstituentUniverse
from lean_local.engine.fundamental_universe import fundamentals_at
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.runner import run_algorithm
from lean_local.engine.scheduling import DateRules
from lean_local.engine.universe import UniverseSettings
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


class _Point:
    def __init__(self, end, name):
        self.end_time, self.name = end, name


def test_points_ending_together_form_one_collection_and_early_ones_select_at_the_start():
    d = datetime
    points = [_Point(d(2020, 1, 1), "a"), _Point(d(2020, 1, 2), "b"), _Point(d(2020, 1, 2), "c"),
              _Point(d(2020, 1, 4), "d")]
    groups = collections(points)
    assert [(t, [p.name for p in ps]) for t, ps in groups] == [
        (d(2020, 1, 1), ["a"]), (d(2020, 1, 2), ["b", "c"]), (d(2020, 1, 4), ["d"])]
    plan = plan_selections(groups, d(2020, 1, 2), d(2020, 1, 10), None)
    # everything ended by the start is selected on once, at the start
    assert [(t, [p.name for p in ps]) for t, ps in plan] == [(d(2020, 1, 2), ["a", "b", "c"]), (d(2020, 1, 4), ["d"])]


def test_a_schedule_selects_on_its_dates_with_the_newest_collection():
    d = datetime
    groups = collections([_Point(d(2020, 1, k), str(k)) for k in (2, 3, 4, 5)])
    settings = UniverseSettings()
    settings.schedule.on(DateRules(lambda s: None).on([d(2020, 1, 3), d(2020, 1, 6)]))
    plan = plan_selections(groups, d(2020, 1, 2), d(2020, 1, 10), settings.schedule)
    assert [(t, [p.name for p in ps]) for t, ps in plan] == [(d(2020, 1, 3), ["3"]), (d(2020, 1, 6), ["5"])]


def _equities(root, tickers):
    for ticker in tickers:
        fixtures.write_equity(root, ticker, fixtures.bars(DAYS, [10, 11, 12, 13, 14]))


def _constituents(root, name, day, rows):
    path = root / "equity" / "usa" / "universes" / "daily" / name / f"{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{t},{sid}\n" for t, sid in rows))


class Constituents(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 3)
        self.set_end_date(2020, 1, 8)
        self.universe_settings.resolution = Resolution.DAILY
        symbol = Symbol(SecurityIdentifier.generate_constituent_identifier("constituents-universe-test",
                                                                           SecurityType.EQUITY, Market.USA),
                        "constituents-universe-test")
        self.add_universe(ConstituentsUniverse(symbol, self.universe_settings))
        self.changes, self.seen = [], []

    def on_securities_changed(self, changes):
        self.changes.append((self.time, sorted(str(s.symbol) for s in changes.added_securities),
                             sorted(str(s.symbol) for s in changes.removed_securities)))

    def on_data(self, data):
        self.seen.append((self.time, sorted(str(s) for s in data.keys())))


def test_a_constituents_file_of_day_d_is_selected_at_d_plus_one_midnight(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    _equities(root, ["AAA", "BBB"])
    aaa, bbb = "AAA R735QTJ8XC9X", "BBB R735QTJ8XC9X"
    _constituents(root, "test", "20200102", [("AAA", aaa)])  # the trading day before the start
    _constituents(root, "test", "20200103", [("NONE", "NONE 0")])  # NONE: select nothing
    _constituents(root, "test", "20200106", [("AAA", aaa), ("BBB", bbb)])
    algo, _, loop = run_algorithm(Constituents, root)
    assert algo.changes == [
        (datetime(2020, 1, 3), ["AAA"], []),  # the file of the day before the start, at the start
        (datetime(2020, 1, 4), [], ["AAA"]),
        (datetime(2020, 1, 7), ["AAA", "BBB"], []),
    ]
    assert algo.seen == [(datetime(2020, 1, 3, 16), ["AAA"]), (datetime(2020, 1, 7, 16), ["AAA", "BBB"]),
                         (datetime(2020, 1, 8, 16), ["AAA", "BBB"])]
    assert loop.data_points == 4 + 5  # 4 constituent rows, 5 bars


def _etf_file(root, etf, day, rows):
    path = root / "equity" / "usa" / "universes" / "etf" / etf / f"{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))


class EtfHeaviest(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 3)
        self.set_end_date(2020, 1, 8)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self.universe.etf("XYZ", self.universe_settings, self.pick))
        self.rows = []

    def pick(self, constituents):
        self.rows.append((self.time, [(str(c.symbol), c.weight, c.shares_held, c.market_value, c.last_update)
                                      for c in constituents]))
        return [c.symbol for c in constituents if c.weight and c.weight > 0.3]


def test_etf_rows_reach_the_filter_at_the_next_midnight_with_empty_fields_as_none(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    _equities(root, ["AAA", "BBB"])
    _etf_file(root, "xyz", "20200106", [("AAA", "AAA R735QTJ8XC9X", "20200103", 0.6, 100, ""),
                                        ("BBB", "BBB R735QTJ8XC9X", "", "", 50, 12.5)])
    algo, _, loop = run_algorithm(EtfHeaviest, root)
    assert algo.rows == [(datetime(2020, 1, 7), [("AAA", 0.6, 100.0, None, datetime(2020, 1, 3)),
                                                 ("BBB", None, 50.0, 12.5, None)])]
    assert sorted(str(s) for s in algo.securities.keys()) == ["AAA"]
    assert isinstance(ETFConstituentUniverse(), ETFConstituentUniverse)
    assert loop.data_points == 2 + 2  # two rows, AAA's bars of 01-07 and 01-08


class Signal(PythonData):
    """``YYYYMMDD,TICKER`` rows: the stocks to hold, known at the next midnight."""

    def get_source(self, config, date, is_live_mode):
        return SubscriptionDataSource("signals/picks.csv")

    def reader(self, config, line, date, is_live_mode):
        day, ticker = line.split(",")
        point = Signal()
        point.symbol = Symbol(ticker)
        point.time = datetime.strptime(day, "%Y%m%d")
        point.end_time = point.time + timedelta(days=1)
        point["Ticker"] = ticker
        return point


class Underlying(PythonData):
    """The equity's own daily zip read as custom data (LEAN's MyPyCustomData pattern)."""

    def get_source(self, config, date, is_live_mode):
        from lean_local.engine.data_sources import LeanData
        from lean_local.engine.globals import Globals

        return SubscriptionDataSource(f"{Globals.data_folder}/equity/usa/daily/"
                                      f"{LeanData.generate_zip_file_name(config.symbol, date, config.resolution)}")

    def reader(self, config, line, date, is_live_mode):
        fields = line.split(",")
        point = Underlying()
        point.symbol = config.symbol
        point.time = datetime.strptime(fields[0], "%Y%m%d %H:%M")
        point.end_time = point.time + timedelta(days=1)
        point.value = float(fields[4]) / 10_000
        return point


class Picks(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 3)
        self.set_end_date(2020, 1, 8)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(Signal, "my-signals", Resolution.DAILY, self.select)
        self.selections, self.custom = [], []

    def select(self, points):
        self.selections.append((self.time, [p.ticker for p in points]))
        tickers = [Symbol(p.ticker) for p in points]
        return tickers + [Symbol.create_base(Underlying, s) for s in tickers]

    def on_data(self, data):
        for symbol, point in data.get(Underlying).items():
            self.custom.append((self.time, str(symbol.underlying), point.value, point.is_fill_forward))


def test_a_custom_data_universe_selects_on_each_days_points_and_adds_custom_subscriptions(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    _equities(root, ["AAA", "BBB"])
    picks = root / "signals" / "picks.csv"
    picks.parent.mkdir(parents=True)
    picks.write_text("20200102,AAA\n20200103,AAA\n20200103,BBB\n")
    algo, _, _ = run_algorithm(Picks, root)
    # custom data is always open: the universe's data starts the calendar day before the start
    assert algo.selections == [(datetime(2020, 1, 3), ["AAA"]), (datetime(2020, 1, 4), ["AAA", "BBB"])]
    base = [s for s in algo.securities.keys() if s.security_type == SecurityType.BASE]
    assert sorted(s.value for s in base) == ["AAA", "BBB"]
    # AAA's custom data: 01-02's bar (ended at the selection) then every midnight, filled forward on
    # days without a bar (custom data's exchange is always open)
    assert [(t, v, ff) for t, s, v, ff in algo.custom if s == "AAA"][:4] == [
        (datetime(2020, 1, 3), 10.0, False), (datetime(2020, 1, 4), 11.0, False),
        (datetime(2020, 1, 5), 11.0, True), (datetime(2020, 1, 6), 11.0, True)]


def test_a_custom_universe_needs_a_custom_data_type():
    algo = QCAlgorithm()
    with pytest.raises(TypeError, match="not a valid custom data type"):
        algo.add_universe(int, "name", lambda points: [])


def test_a_custom_subscription_removed_at_a_selection_drops_that_steps_point_and_comes_back(tmp_path):
    root = fixtures.data_folder(tmp_path / "data")
    _equities(root, ["AAA", "BBB"])
    picks = root / "signals" / "picks.csv"
    picks.parent.mkdir(parents=True)
    picks.write_text("20200102,AAA\n20200103,BBB\n20200106,AAA\n")
    algo, _, _ = run_algorithm(Picks, root)
    assert [(t, v, ff) for t, s, v, ff in algo.custom if s == "AAA"] == [
        (datetime(2020, 1, 3), 10.0, False),  # deselected at 01-04 00:00: its point ending then is dropped
        (datetime(2020, 1, 7), 12.0, False),  # selected again: the point ending at the selection arrives
        (datetime(2020, 1, 8), 13.0, False),
        (datetime(2020, 1, 9), 14.0, False),  # started by the end date, ends after it: still delivered
    ]


class ConstituentsFine(Constituents):
    """``add_universe(ConstituentsUniverse(...), fine)`` as FineFundamentalFilteredUniverseRegressionAlgorithm."""

    def initialize(self):
        super().initialize()
        self.universe_manager.universes.clear()
        symbol = Symbol(SecurityIdentifier.generate_constituent_identifier("constituents-universe-test",
                                                                           SecurityType.EQUITY, Market.USA),
                        "constituents-universe-test")
        self.add_universe(ConstituentsUniverse(symbol, self.universe_settings), self.fine)
        self.fine_rows = []

    def fine(self, fine):
        self.fine_rows.append((self.time, [(str(f.symbol), f.price, f.company_profile.headquarter_city)
                                           for f in fine]))
        # without fine data the city is None: keep those, as a filter on a real city would drop them
        return [f.symbol for f in fine if f.company_profile.headquarter_city is None and f.price > 0]


def test_a_constituents_universe_with_a_fine_selector_hands_it_each_pick_as_fundamental(tmp_path):
    """LEAN builds ``Fundamental(time, symbol)`` of every pick: the coarse file dated the selection
    time gives its price (AAA has a row of 2020-01-07, not 2020-01-04), the fine fields are missing
    (``CoarseFundamentalDataProvider``: None for a string); the fine result is the selection."""
    root = fixtures.data_folder(tmp_path / "data")
    _equities(root, ["AAA", "BBB"])
    aaa, bbb = "AAA R735QTJ8XC9X", "BBB R735QTJ8XC9X"
    _constituents(root, "test", "20200102", [("AAA", aaa)])
    _constituents(root, "test", "20200106", [("AAA", aaa), ("BBB", bbb)])
    coarse = formats.coarse_path(root, pd.Timestamp("2020-01-07"))
    coarse.parent.mkdir(parents=True, exist_ok=True)
    formats.write_coarse(coarse, pd.DataFrame({"sid": [aaa], "symbol": ["AAA"], "close": [12.5], "volume": [1000]}))
    algo, _, loop = run_algorithm(ConstituentsFine, root)
    assert algo.fine_rows == [(datetime(2020, 1, 3), [("AAA", 0.0, None)]),
                              (datetime(2020, 1, 7), [("AAA", 12.5, None), ("BBB", 0.0, None)])]
    assert algo.changes == [(datetime(2020, 1, 7), ["AAA"], [])]
    # a fine field the runtime does not know is refused, not guessed
    with pytest.raises(AttributeError, match="Fundamental.company_profile.*sector"):
        _ = fundamentals_at(root, datetime(2020, 1, 7), [Symbol(SecurityIdentifier.parse(aaa), "AAA")])[0] \
            .company_profile.sector


class PascalPicks(QCAlgorithm):
    """PascalCase handlers (LEAN calls them when no snake_case one exists) and the typed history of
    the custom universe's data (PersistentCustomDataUniverseRegressionAlgorithm's pattern)."""

    def Initialize(self):  # noqa: N802  (LEAN's PascalCase name)
        self.set_start_date(2020, 1, 6)
        self.set_end_date(2020, 1, 7)
        self.universe_settings.resolution = Resolution.DAILY
        self.picks = self.add_universe(Signal, "my-signals", Resolution.DAILY, lambda points: [])
        self.before = list(self.history[Signal](self.picks.symbol, datetime(2020, 1, 1), datetime(2020, 1, 6),
                                                 Resolution.DAILY))
        self.add_equity("AAA", Resolution.DAILY)
        self.slices = 0

    def OnData(self, data):  # noqa: N802
        self.slices += 1


def test_pascal_case_handlers_run_and_a_custom_universe_has_a_typed_history(tmp_path):
    """The points ending in [Jan 1, Jan 6]: the rows of Jan 2 (ends Jan 3) and of Jan 3 (end Jan 4)."""
    root = fixtures.data_folder(tmp_path / "data")
    _equities(root, ["AAA"])
    picks = root / "signals" / "picks.csv"
    picks.parent.mkdir(parents=True)
    picks.write_text("20200102,AAA\n20200103,AAA\n20200103,BBB\n20200106,AAA\n")
    algo, _, _ = run_algorithm(PascalPicks, root)
    assert [(p.end_time, p.ticker) for p in algo.before] == [
        (datetime(2020, 1, 3), "AAA"), (datetime(2020, 1, 4), "AAA"), (datetime(2020, 1, 4), "BBB")]
    assert all(isinstance(p, Signal) for p in algo.before)
    assert algo.slices == 2  # OnData ran on Jan 6 and 7
