"""LEAN's universe selection rules on hand-made coarse files (``lean_local.engine.universe``).

Every day D of ``DAYS`` has bars for AAA, BBB and CCC and a coarse file whose AAA close is the day of
the month, so a selection shows which file it was handed. The reference for each rule is named in
``docs/runtime.md`` (Universes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from lean_local.engine import fundamental_data
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution, Symbol
from lean_local.engine.daily_readers import security_identifier
from lean_local.engine.fundamental_data import FixedFundamentalDataProvider
from lean_local.engine.initializers import (
    CompositeSecurityInitializer,
    FuncSecurityInitializer,
    FuncSecuritySeeder,
)
from lean_local.engine.runner import run_algorithm
from lean_local.engine.universe import Universe, UniverseManager
from lean_local.engine.universe_api import UniverseApi
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"]


def write_market(root, skip=()):
    """AAA/BBB/CCC bars (closes 10/20/30) and one coarse file a day (but ``skip``): dollar volume
    ranks CCC > BBB > AAA; AAA's close in the file is the day of the month."""
    root = fixtures.data_folder(root)
    for ticker, close in (("AAA", 10.0), ("BBB", 20.0), ("CCC", 30.0)):
        fixtures.write_equity(root, ticker, fixtures.bars(DAYS, [close] * len(DAYS)))
    for day in DAYS:
        if day not in skip:
            fixtures.write_coarse_day(root, day, [("AAA", float(day[-2:]), 100), ("BBB", 20.0, 1000),
                                                  ("CCC", 30.0, 1000)])
    return root


class Recorder(QCAlgorithm):
    """Records each selection (time, AAA's close in the file or None) and each change."""

    start, end = (2020, 1, 6), (2020, 1, 8)

    def initialize(self):
        self.set_start_date(*self.start)
        self.set_end_date(*self.end)
        self.universe_settings.resolution = Resolution.DAILY
        self.calls, self.changes, self.bars = [], [], []
        self.configure()

    def configure(self):
        self.add_universe(self.select)

    def record(self, rows):
        aaa = [r.price for r in rows if r.symbol.value == "AAA"]
        self.calls.append((self.time, aaa[0] if aaa else None))

    def select(self, rows):
        self.record(rows)
        return []

    def on_securities_changed(self, changes):
        self.changes.append((self.time, sorted(str(s.symbol) for s in changes.added_securities),
                             sorted(str(s.symbol) for s in changes.removed_securities)))

    def on_data(self, data):
        self.bars.append((self.time, sorted(str(s) for s in data.bars.keys())))


def test_selection_starts_with_the_previous_trading_days_file_and_the_end_dates_file_only_counts(tmp_path):
    """DataManager moves a universe's start one trading day back; the file of T ends T+1 00:00; the end
    date's file is delivered after the end (counted, not selected)."""
    algo, _, loop = run_algorithm(Recorder, write_market(tmp_path / "data"))
    assert algo.calls == [(datetime(2020, 1, 6), 3.0), (datetime(2020, 1, 7), 6.0), (datetime(2020, 1, 8), 7.0)]
    assert algo.time == datetime(2020, 1, 9)  # the step of the end date's file still happens
    assert loop.data_points == 4 * 3  # files of Jan 3, 6, 7 and 8, three rows each; nothing selected


def test_a_missing_file_is_an_empty_selection(tmp_path):
    algo, _, _ = run_algorithm(Recorder, write_market(tmp_path / "data", skip=("2020-01-06",)))
    assert algo.calls == [(datetime(2020, 1, 6), 3.0), (datetime(2020, 1, 7), None), (datetime(2020, 1, 8), 7.0)]


def test_scheduled_selection_uses_the_newest_file_at_each_rule_date(tmp_path):
    """Schedule dates from the last one at or before the start (Saturday Jan 4, selected at the start)."""
    class Scheduled(Recorder):
        end = (2020, 1, 10)

        def configure(self):
            self.add_universe(self.date_rules.on(datetime(2020, 1, 4), datetime(2020, 1, 9)), self.select)

    algo, _, _ = run_algorithm(Scheduled, write_market(tmp_path / "data"))
    assert algo.calls == [(datetime(2020, 1, 6), 3.0), (datetime(2020, 1, 9), 8.0)]


def test_schedule_on_the_settings_object_applies_to_universes_using_it(tmp_path):
    class SettingsSchedule(Recorder):
        def configure(self):
            self.add_universe(self.select)  # uses self.universe_settings: the schedule set below applies
            self.universe_settings.schedule.on(self.date_rules.on(datetime(2020, 1, 7)))

    algo, _, _ = run_algorithm(SettingsSchedule, write_market(tmp_path / "data"))
    assert algo.calls == [(datetime(2020, 1, 7), 6.0)]


def test_unchanged_and_a_repeated_set_report_no_change(tmp_path):
    class Repeat(Recorder):
        end = (2020, 1, 9)

        def select(self, rows):
            self.record(rows)
            return Universe.UNCHANGED if self.time.day == 7 else ["BBB", "CCC"][: 1 + (self.time.day == 9)]

    algo, _, _ = run_algorithm(Repeat, write_market(tmp_path / "data"))
    assert algo.changes == [(datetime(2020, 1, 6), ["BBB"], []), (datetime(2020, 1, 9), ["CCC"], [])]
    universe, = algo.universe_manager
    assert list(universe.selected) == ["BBB", "CCC"] and universe.members.count == 2


def test_a_removed_member_is_reported_once_and_keeps_its_data_until_flat(tmp_path):
    """PendingRemovalsManager: the removal is reported while AAA is held; its data stops at the first
    selection after the position is closed."""
    class Rotate(Recorder):
        end = (2020, 1, 10)

        def select(self, rows):
            self.record(rows)
            return ["AAA"] if self.time.day == 6 else ["BBB"]

        def on_data(self, data):
            super().on_data(data)
            if self.time.day == 6:
                self.market_order("AAA", 10)  # market-on-open: filled Jan 7
            if self.time.day == 7:
                self.liquidate("AAA")  # filled Jan 8

    algo, _, _ = run_algorithm(Rotate, write_market(tmp_path / "data"))
    assert algo.changes == [(datetime(2020, 1, 6), ["AAA"], []), (datetime(2020, 1, 7), ["BBB"], ["AAA"])]
    assert [(t.day, b) for t, b in algo.bars] == [
        (6, ["AAA"]), (7, ["AAA", "BBB"]), (8, ["AAA", "BBB"]), (9, ["BBB"]), (10, ["BBB"])]
    assert not algo.portfolio["AAA"].invested


def test_minimum_time_in_universe_delays_the_removal(tmp_path):
    class Minimum(Recorder):
        end = (2020, 1, 9)

        def configure(self):
            self.universe_settings.minimum_time_in_universe = timedelta(days=2)
            super().configure()

        def select(self, rows):
            self.record(rows)
            return {6: ["AAA"], 7: ["BBB"]}.get(self.time.day, ["BBB", "CCC"])

    algo, _, _ = run_algorithm(Minimum, write_market(tmp_path / "data"))
    # AAA joined Jan 6 00:00: one day later it stays (1 < 2 days), two days later it leaves (a
    # selection repeating Jan 7's set would be UNCHANGED and check no member)
    assert algo.changes == [(datetime(2020, 1, 6), ["AAA"], []), (datetime(2020, 1, 7), ["BBB"], []),
                            (datetime(2020, 1, 8), ["CCC"], ["AAA"])]


@pytest.mark.parametrize(("hours", "removable"), [(35, False), (36, True), (37, True)])
def test_minimum_time_is_compared_after_rounding_to_the_day(hours, removable):
    """Universe.CanRemoveMember rounds the time in the universe (half to even) to a day for a minimum
    of a day or more: 1.5 days rounds to 2."""
    from lean_local.engine.universe import UniverseSettings

    settings = UniverseSettings()
    settings.minimum_time_in_universe = timedelta(days=2)
    universe = Universe(settings)
    universe.members["AAA"] = (None, datetime(2020, 1, 6))
    assert universe.can_remove_member(datetime(2020, 1, 6) + timedelta(hours=hours), "AAA") is removable


def test_members_asked_together_get_the_answers_asked_one_at_a_time():
    """can_remove_members: a minimum of two days, members who joined 1.4, 1.5 (half to even: 2),
    3 days and 36 minutes before, one not a member; two share a join time."""
    from lean_local.engine.universe import UniverseSettings

    settings = UniverseSettings()
    settings.minimum_time_in_universe = timedelta(days=2)
    universe = Universe(settings)
    now = datetime(2020, 1, 10)
    joined = {"AAA": now - timedelta(days=1.4), "BBB": now - timedelta(days=1.5), "CCC": now - timedelta(days=3),
              "DDD": now - timedelta(minutes=36), "EEE": now - timedelta(days=3)}
    for symbol, time in joined.items():
        universe.members[symbol] = (None, time)
    asked = ["AAA", "BBB", "CCC", "DDD", "EEE", "ZZZ"]
    assert universe.can_remove_members(now, asked) == [False, True, True, False, True, False]
    assert [universe.can_remove_member(now, symbol) for symbol in asked] == [False, True, True, False, True, False]
    settings.minimum_time_in_universe = timedelta(minutes=30)  # rounded to the minute: 36 minutes pass
    assert universe.can_remove_members(now, ["DDD", "AAA"]) == [True, True]


def test_fine_selection_receives_only_rows_with_fundamental_data(tmp_path):
    """With LEAN's default fundamental data provider no row has fundamental data: the fine function
    gets an empty list, nothing is selected, and LEAN's note is logged once."""
    class CoarseFine(Recorder):
        def configure(self):
            self.fine_calls = []
            self.add_universe(lambda rows: ["AAA", "BBB"], self.fine)

        def fine(self, rows):
            self.fine_calls.append(list(rows))
            return [r.symbol for r in rows]

    algo, _, _ = run_algorithm(CoarseFine, write_market(tmp_path / "data"))
    assert algo.fine_calls == [[], [], []] and algo.changes == []
    assert sum("exclude symbols without fine fundamental data" in line for line in algo.logs) == 1


def test_universe_top_selects_the_largest_dollar_volumes(tmp_path):
    class Top(Recorder):
        def configure(self):
            self.add_universe(self.universe.top(2))

    algo, _, _ = run_algorithm(Top, write_market(tmp_path / "data"))
    # CCC trades $30,000 and BBB $20,000 a day; AAA (at most $1,000) is never in the top two
    assert algo.changes == [(datetime(2020, 1, 6), ["BBB", "CCC"], [])]


def test_user_defined_universe_selects_at_the_start_and_each_trading_day_with_seeded_prices(tmp_path):
    """UserDefinedUniverse.GetTriggerTimes: the start, then each trading day's midnight; a seeder gives
    each added security its last close before its first bar (FuncSecuritySeeder, SetMarketPrice)."""
    root = fixtures.data_folder(tmp_path / "data")
    for ticker, offset in (("AAA", 0.0), ("BBB", 100.0)):
        fixtures.write_equity(root, ticker, fixtures.bars(DAYS, [offset + int(d[-2:]) for d in DAYS]))

    class ByDate(Recorder):
        end = (2020, 1, 8)

        def configure(self):
            seeder = FuncSecuritySeeder(self.get_last_known_prices)
            self.set_security_initializer(CompositeSecurityInitializer(
                FuncSecurityInitializer(lambda security: seeder.seed_security(security))))
            self.seen = []
            self.add_universe("ByDate", Resolution.DAILY, self.pick)

        def pick(self, when):
            self.calls.append(when)
            return ["AAA"] if when.day % 2 == 0 else ["BBB"]

        def on_securities_changed(self, changes):
            super().on_securities_changed(changes)
            self.seen += [(self.time, str(s.symbol), s.price, s.has_data) for s in changes.added_securities]

    algo, _, _ = run_algorithm(ByDate, root)
    assert algo.calls == [datetime(2020, 1, d) for d in (6, 7, 8)]
    # Jan 6: AAA seeded with Jan 3's close; Jan 7: BBB with Jan 6's; Jan 8: AAA again, its last close Jan 7's
    assert algo.seen == [(datetime(2020, 1, 6), "AAA", 3.0, True), (datetime(2020, 1, 7), "BBB", 106.0, True),
                         (datetime(2020, 1, 8), "AAA", 7.0, True)]


def test_get_last_known_price_seeds_the_last_close_before_the_start_or_nothing(tmp_path):
    """``GetLastKnownPrice``: the newest of ``GetLastKnownPrices`` (the last bar of the history before
    now), else null; ``SetMarketPrice(null)`` leaves the price unset. AAA's bars stop before the
    start, so its seeded price (01-03's close) is what the first step shows."""
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "AAA", fixtures.bars(DAYS[:2], [2.0, 3.0]))
    fixtures.write_equity(root, "NEW", fixtures.bars(DAYS[2:], [50.0] * 5))  # no bar before the start

    class Seeded(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 6)
            self.set_end_date(2020, 1, 7)
            self.set_security_initializer(lambda security: security.set_market_price(self.get_last_known_price(security)))
            self.known = {t: self.get_last_known_price(self.add_equity(t, Resolution.DAILY).symbol) for t in ("AAA", "NEW")}
            self.prices = []

        def on_data(self, data):
            self.prices.append((self.time, self.securities["AAA"].price, self.securities["NEW"].price))

    algo, _, _ = run_algorithm(Seeded, root)
    assert algo.known["NEW"] is None
    assert (algo.known["AAA"].close, algo.known["AAA"].end_time) == (3.0, datetime(2020, 1, 3, 16))
    assert algo.prices == [(datetime(2020, 1, 6, 16), 3.0, 50.0), (datetime(2020, 1, 7, 16), 3.0, 50.0)]


class _Fine(Recorder):
    """Coarse picks AAA and BBB (BBB twice) until Jan 7, then UNCHANGED; fine keeps what has a P/E."""

    def configure(self):
        self.fine_calls = []
        self.add_universe(self.coarse, self.fine)

    def coarse(self, rows):
        if self.time > datetime(2020, 1, 7):
            return Universe.UNCHANGED
        return ["AAA", "BBB", "BBB"]

    def fine(self, rows):
        self.fine_calls.append([(str(r.symbol), r.valuation_ratios.pe_ratio, r.price) for r in rows])
        return [r.symbol for r in rows if r.valuation_ratios.pe_ratio > 0]


_PE = FixedFundamentalDataProvider({"ValuationRatios_PERatio": {"AAA X": 8.0}}, {"ValuationRatios_PERatio": 0.0})


def test_fine_selection_gets_the_picks_rows_and_its_rows_are_the_selections_data_points(tmp_path):
    """With a provider that has fundamental data, the fine function receives each coarse pick's row once;
    LEAN's ApplyUniverseSelection makes the fine collection the step's universe data, so such a
    selection counts its rows, while an UNCHANGED coarse step counts the file's."""
    with fundamental_data.using(_PE):
        algo, _, loop = run_algorithm(_Fine, write_market(tmp_path / "data"))
    assert algo.fine_calls == [[("AAA", 8.0, 3.0), ("BBB", 0.0, 20.0)], [("AAA", 8.0, 6.0), ("BBB", 0.0, 20.0)]]
    assert algo.changes == [(datetime(2020, 1, 6), ["AAA"], [])]
    # selections of Jan 6 and 7: 2 fine rows each; Jan 8 (UNCHANGED) and the end date's file: 3 rows each;
    # AAA's daily bars of Jan 6, 7 and 8
    assert loop.data_points == 2 + 2 + 3 + 3 + 3


def test_a_fine_selection_without_coarse_rows_gets_a_fundamental_for_each_pick(tmp_path):
    # no file of Jan 3: LEAN makes Fundamental(time, symbol) of each pick, with or without data; a
    # ticker's identifier is then LEAN's GenerateEquity of it, not the hand-made file's "AAA X"
    folder = write_market(tmp_path / "data", skip=("2020-01-03",))
    aaa = security_identifier(folder, Symbol("AAA"))
    provider = FixedFundamentalDataProvider({"ValuationRatios_PERatio": {aaa: 9.0}}, {"ValuationRatios_PERatio": 0.0})
    with fundamental_data.using(provider):
        algo, _, _ = run_algorithm(_Fine, folder)
    assert algo.fine_calls[0] == [("AAA", 9.0, 0.0), ("BBB", 0.0, 0.0), ("BBB", 0.0, 0.0)]


def test_a_days_removals_are_asked_whether_safe_together_in_ticker_order():
    """The members a selection drops are asked together, in ticker order; the held one waits (pending) and
    is asked again at each later selection until it leaves."""
    asked, stopped, held = [], [], {"HELD"}

    def safe(securities):
        asked.append(list(securities))
        return [security not in held for security in securities]

    manager = UniverseManager(lambda symbols, settings: [(str(symbol), True) for symbol in symbols],
                              lambda securities: stopped.append(list(securities)), safe)
    universe = Universe(None)
    manager.universes.append(universe)
    day = datetime(2020, 1, 2)
    assert manager.apply(universe, [Symbol("C"), Symbol("HELD"), Symbol("A")], day) == (["C", "HELD", "A"], [])
    assert asked == [[]] and stopped == []
    assert manager.apply(universe, [Symbol("B")], day + timedelta(days=1)) == (["B"], ["A", "C", "HELD"])
    assert asked == [[], ["A", "C", "HELD"]] and stopped == [["A", "C"]]
    assert manager.apply(universe, Universe.UNCHANGED, day + timedelta(days=2)) == ([], [])
    assert asked[-1] == ["HELD"] and stopped == [["A", "C"]] and list(universe.members) == ["HELD", "B"]
    held.clear()
    assert manager.apply(universe, Universe.UNCHANGED, day + timedelta(days=3)) == ([], [])
    assert asked[-1] == ["HELD"] and stopped == [["A", "C"], ["HELD"]] and list(universe.members) == ["B"]


def test_a_days_leaving_members_pending_and_dropped_stop_in_one_call_before_any_joins():
    """A pending member that became safe and the members the selection drops stop together, the pending
    first; a member that leaves and is selected again the same day stops before it joins again."""
    events, held = [], {"HELD", "BACK"}

    def add(symbols, settings):
        events.append(("add", [str(symbol) for symbol in symbols]))
        return [(str(symbol), True) for symbol in symbols]

    manager = UniverseManager(add, lambda securities: events.append(("stop", list(securities))),
                              lambda securities: [security not in held for security in securities])
    universe = Universe(None)
    manager.universes.append(universe)
    day = datetime(2020, 1, 2)
    manager.apply(universe, [Symbol("HELD"), Symbol("BACK"), Symbol("A"), Symbol("B")], day)
    assert manager.apply(universe, [Symbol("A"), Symbol("B")], day + timedelta(days=1)) == ([], ["BACK", "HELD"])
    held.clear()
    events.clear()
    # HELD and BACK are safe now (pending, they leave); B is dropped; BACK is selected again
    assert manager.apply(universe, [Symbol("A"), Symbol("BACK")], day + timedelta(days=2)) == (["BACK"], ["B"])
    assert events == [("stop", ["BACK", "HELD", "B"]), ("add", ["BACK"])]
    assert list(universe.members) == ["A", "BACK"]


@pytest.mark.parametrize("other_orders", [0, 5])
def test_a_member_is_safe_to_remove_without_a_position_and_an_open_order(other_orders):
    """Held (long or short) or with an open order: not safe; flat without one: safe, whether the open
    orders are fewer or more than the members asked (read as one set of their symbols)."""
    symbols = [Symbol(ticker) for ticker in ("FLAT", "LONG", "SHORT", "ORDER")]
    securities = [SimpleNamespace(symbol=symbol, column=column) for column, symbol in enumerate(symbols)]
    orders = [SimpleNamespace(symbol=Symbol("ORDER"))] + [SimpleNamespace(symbol=Symbol(f"X{k}"))
                                                          for k in range(other_orders)]

    def get_open_orders(symbol=None):
        return [order for order in orders if symbol is None or order.symbol == symbol]

    algorithm = SimpleNamespace(portfolio=SimpleNamespace(quantity=np.array([0.0, 10.0, -5.0, 0.0])),
                                transactions=SimpleNamespace(get_open_orders=get_open_orders))
    assert UniverseApi._safe_to_remove(algorithm, securities) == [True, False, False, False]
    assert UniverseApi._safe_to_remove(algorithm, []) == []


def test_a_selection_of_symbols_and_tickers_is_symbols_once_each_in_order():
    universe = Universe(None)
    picked = universe.perform_selection([Symbol("AAA"), "bbb", Symbol("AAA"), "BBB", Symbol("CCC")])
    assert picked == ["AAA", "BBB", "CCC"] and all(type(symbol) is Symbol for symbol in picked)
    assert universe.perform_selection(["CCC", "AAA", "BBB"]) is Universe.UNCHANGED
    assert universe.perform_selection([Symbol("AAA")]) == ["AAA"]


def test_members_leaving_together_are_reported_in_their_tickers_order():
    """A day's leaving members are reported (and their data stopped) in their strings' order, whatever
    the order they joined in; one that joined a moment ago stays (minimum time in the universe)."""
    stopped: list[list[str]] = []
    manager = UniverseManager(lambda symbols, settings: [(f"sec-{symbol}", True) for symbol in symbols],
                              lambda securities: stopped.append(list(securities)),
                              lambda securities: [True] * len(securities))
    universe = Universe(None)
    manager.universes.append(universe)
    day = datetime(2020, 1, 6)
    assert manager.apply(universe, [Symbol("MSFT"), Symbol("AAPL"), Symbol("IBM")], day) == \
        (["sec-MSFT", "sec-AAPL", "sec-IBM"], [])
    manager.apply(universe, [Symbol("MSFT"), Symbol("AAPL"), Symbol("IBM"), Symbol("GE")], day + timedelta(days=2))
    added, removed = manager.apply(universe, [Symbol("XOM")], day + timedelta(days=2, hours=1))
    assert added == ["sec-XOM"] and removed == ["sec-AAPL", "sec-IBM", "sec-MSFT"]  # GE joined an hour ago
    assert stopped == [["sec-AAPL", "sec-IBM", "sec-MSFT"]]
    assert list(universe.members) == ["GE", "XOM"]
