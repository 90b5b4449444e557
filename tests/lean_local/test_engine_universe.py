"""Coarse universe: a renamed member stays one security with every period's bars; coarse rows read fast."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from lean_local.data import formats
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution
from lean_local.engine.fundamental_universe import CoarseUniverse
from lean_local.engine.runner import run_algorithm
from tests import fixtures

DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"]


def write_coarse(root, day: str, rows: list[tuple[str, str, float]]) -> None:
    """One coarse file of ``(sid, ticker that day, close)`` rows, volume 1,000."""
    frame = pd.DataFrame({"sid": [r[0] for r in rows], "symbol": [r[1] for r in rows],
                          "close": [r[2] for r in rows], "volume": 1000.0})
    path = formats.coarse_path(root, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    formats.write_coarse(path, frame)


@pytest.fixture
def renamed_folder(tmp_path):
    """OLDC renamed NEWC after 2020-01-06 (LEAN's layout: one zip per ticker, the map file named
    NEWC lists both), and BBB, never renamed. Closes: OLDC 10, 11, 12; NEWC 13, 14, 15."""
    root = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(root, "OLDC", fixtures.bars(DAYS[:3], [10, 11, 12]))
    fixtures.write_equity(root, "NEWC", fixtures.bars(DAYS[3:], [13, 14, 15]),
                          map_rows=[(DAYS[0], "oldc"), (DAYS[2], "oldc"), ("2050-12-31", "newc")])
    fixtures.write_equity(root, "BBB", fixtures.bars(DAYS, [50, 50, 50, 50, 50, 50]),
                          map_rows=[(DAYS[0], "bbb"), ("2050-12-31", "bbb")])
    sid, bbb = formats.equity_sid("OLDC", DAYS[0]), formats.equity_sid("BBB", DAYS[0])
    for day, ticker, close in zip(DAYS, ["OLDC"] * 3 + ["NEWC"] * 3, [10, 11, 12, 13, 14, 15], strict=True):
        write_coarse(root, day, [(bbb, "BBB", 50.0), (sid, ticker, close)])
    return root


class HoldTheRenamed(QCAlgorithm):
    """Selects the renamed stock every day (by its price: above BBB's until the end) and buys it once."""

    start = (2020, 1, 2)

    def initialize(self):
        self.set_start_date(*self.start)
        self.set_end_date(2020, 1, 9)
        self.set_cash(100_000)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self.select)
        self.selected, self.bars, self.added, self.removed, self.histories = [], [], [], [], []

    def select(self, fundamental):
        rows = [f for f in fundamental if f.symbol.value != "BBB"]
        self.selected.append((self.time.date(), [(f.symbol.value, f.price) for f in rows]))
        return [f.symbol for f in rows]

    def on_securities_changed(self, changes):
        self.added += [str(s.symbol) for s in changes.added_securities]
        self.removed += [str(s.symbol) for s in changes.removed_securities]

    def on_data(self, data):
        for symbol, bar in data.bars.items():
            self.bars.append((bar.end_time.date(), str(symbol), bar.close))
            if not self.portfolio[symbol].invested:
                self.market_order(symbol, 100)
                self.histories.append(list(self.history(symbol, 10, Resolution.DAILY)["close"]))


def test_a_member_renamed_while_held_stays_one_security_with_both_tickers_bars(renamed_folder, caplog):
    with caplog.at_level("WARNING", logger="lean_local.engine"):
        algo, _, _ = run_algorithm(HoldTheRenamed, renamed_folder)
    assert not [r for r in caplog.records if "for OLDC (the subscription gets no data)" in r.getMessage()]
    # the coarse file of day T is selected at T+1 00:00 (at the start: the previous trading day's, here
    # missing, so an empty selection); the rows keep the Symbol of their sid, named by the ticker the
    # run first met (LEAN would rename its value on the rename day)
    assert algo.selected == [(datetime(2020, 1, 2).date(), [])] + [
        (datetime(2020, 1, d).date(), [("OLDC", c)]) for d, c in ((3, 10), (4, 11), (7, 12), (8, 13), (9, 14))]
    assert algo.added == ["OLDC"] and algo.removed == []
    # OLDC's zip until the rename, NEWC's after: one subscription, one security
    assert algo.bars == [(datetime(2020, 1, d).date(), "OLDC", c)
                         for d, c in ((3, 11), (6, 12), (7, 13), (8, 14), (9, 15))]
    assert [str(s) for s in algo.securities.keys()] == ["OLDC"]
    # the position bought before the rename is still held after it, valued at NEWC's close
    order, = algo.transactions.get_orders()
    assert order.price == 12 and order.last_fill_time == datetime(2020, 1, 6, 16)  # next open (open = close here)
    assert algo.portfolio["OLDC"].quantity == 100
    assert algo.portfolio.total_portfolio_value == pytest.approx(100_000 + 100 * (15 - 12) - 1)  # $1 IB fee


def test_a_member_first_met_after_its_rename_has_its_history_under_the_old_ticker(renamed_folder):
    class AfterTheRename(HoldTheRenamed):
        start = (2020, 1, 8)

    algo, _, _ = run_algorithm(AfterTheRename, renamed_folder)
    assert algo.selected[0] == (datetime(2020, 1, 8).date(), [("NEWC", 13)])
    assert algo.bars == [(datetime(2020, 1, 8).date(), "NEWC", 14), (datetime(2020, 1, 9).date(), "NEWC", 15)]
    # history reads the same map file: the bars from OLDC's zip come first
    assert algo.histories == [[10, 11, 12, 13, 14]]


def test_a_running_members_history_beside_a_symbol_the_algorithm_lacks_reads_both(renamed_folder):
    """While the run goes a member's history is its feed column's bars (and its exchange's sessions),
    a symbol without a security its data folder's: one frame of both, each symbol's bars to now."""

    class BothHistories(HoldTheRenamed):
        def on_data(self, data):
            if not self.histories:
                member = next(iter(data.bars.keys()))
                frame = self.history([member, "BBB"], 10, Resolution.DAILY)
                self.histories.append({str(s): list(frame.loc[s]["close"]) for s in frame.index.levels[0]})

    algo, _, _ = run_algorithm(BothHistories, renamed_folder)
    # the first bar of OLDC (2020-01-03's, at its close): OLDC's first two closes, BBB's too
    assert algo.histories == [{"BBB": [50.0, 50.0], "OLDC": [10.0, 11.0]}]


def test_goog_and_googl_in_leans_sample_data_stay_two_securities(lean_data_folder):
    """Google's 2014 share classes: class A traded as GOOG until 2014-04-02 and GOOGL after (its
    map file googl.csv); class C (GOOCV) took the ticker GOOG on 2014-04-03 (map file goog.csv)."""

    class Googl(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2014, 3, 25)
            self.set_end_date(2014, 4, 7)
            self.set_cash(100_000)
            self.universe_settings.resolution = Resolution.DAILY
            self.add_universe(self.select)
            self.names, self.bars = set(), []

        def select(self, fundamental):
            rows = [f for f in fundamental if f.symbol.value in ("GOOG", "GOOGL", "GOOCV", "GOOAV")]
            self.names |= {f.symbol.value for f in rows}
            return [f.symbol for f in rows if f.symbol.value == "GOOGL"]

        def on_data(self, data):
            for symbol, bar in data.bars.items():
                self.bars.append((bar.end_time.date(), str(symbol), round(bar.close, 3)))
                if not self.portfolio[symbol].invested:
                    self.market_order(symbol, 10)

    algo, _, _ = run_algorithm(Googl, lean_data_folder)
    # class A's sid (GOOG T1AZ164W5VTX) met as GOOG, a ticker now class C's: it takes its map file's
    # name, GOOGL; class C's sid is GOOCV, the ticker it was first met under
    assert algo.names == {"GOOGL", "GOOCV", "GOOAV"}
    day = datetime(2014, 4, 1).date()
    closes = {d: c for d, s, c in algo.bars if s == "GOOGL"}
    # goog.zip until 2014-04-02, googl.zip after; adjusted by googl.csv's 2:1 split factor
    assert closes[day.replace(day=2)] == pytest.approx(1135.10 * 0.5)
    assert closes[day.replace(day=3)] == 571.50
    assert closes[day.replace(day=7)] == 540.63
    assert len(closes) == 10 and {s for _, s, _ in algo.bars} == {"GOOGL"}
    assert algo.portfolio["GOOGL"].quantity == 10


def test_rows_for_reads_each_row_once_into_fundamentals(renamed_folder):
    universe = CoarseUniverse(renamed_folder, lambda rows: rows)
    first = universe.rows_for(datetime(2020, 1, 3))
    later = universe.rows_for(datetime(2020, 1, 8))  # after the rename: same Symbol objects
    assert [(str(f.symbol), f.price, f.volume, f.dollar_volume, f.price_factor, f.split_factor) for f in first] == [
        ("BBB", 50.0, 1000.0, 50_000.0, 1.0, 1.0), ("OLDC", 10.0, 1000.0, 10_000.0, 1.0, 1.0)]
    assert [f.symbol for f in later] == [f.symbol for f in first]
    assert all(a.symbol is b.symbol for a, b in zip(first, later, strict=True))
    assert later[1].price == 13.0 and later[1].end_time == datetime(2020, 1, 8)
    assert later[1].has_fundamental_data is False


def test_a_sid_twice_in_one_file_is_one_symbol_named_by_its_first_row(renamed_folder):
    # LEAN's sample coarse file of 2014-04-02 lists class C's sid under GOOCV and under GOOG
    sid = formats.equity_sid("OLDC", DAYS[0])
    write_coarse(renamed_folder, "2020-01-10", [(sid, "OLDC", 15.0), (sid, "NEWC", 15.0)])
    universe = CoarseUniverse(renamed_folder, lambda rows: rows)
    first, second = universe.rows_for(datetime(2020, 1, 11))
    assert first.symbol is second.symbol and first.symbol.value == "OLDC"


def test_a_security_met_among_known_ones_is_named_by_its_ticker_and_the_known_keep_their_symbols(renamed_folder):
    universe = CoarseUniverse(renamed_folder, lambda rows: rows)
    bbb, oldc = universe.rows_for(datetime(2020, 1, 3))
    ccc = formats.equity_sid("CCC", DAYS[0])
    write_coarse(renamed_folder, "2020-01-10", [(formats.equity_sid("BBB", DAYS[0]), "BBB", 50.0), (ccc, "CCC", 7.0),
                                                (formats.equity_sid("OLDC", DAYS[0]), "NEWC", 16.0)])
    first, new, last = universe.rows_for(datetime(2020, 1, 11))
    assert first.symbol is bbb.symbol and last.symbol is oldc.symbol and last.price == 16.0
    assert str(new.symbol) == "CCC" and new.price == 7.0 and new.dollar_volume == 7_000.0
    assert [f.symbol for f in universe.rows_for(datetime(2020, 1, 11))] == [first.symbol, new.symbol, last.symbol]


def test_a_file_without_rows_gives_no_rows(renamed_folder):
    write_coarse(renamed_folder, "2020-01-10", [])
    universe = CoarseUniverse(renamed_folder, lambda rows: rows)
    assert universe.rows_for(datetime(2020, 1, 11)) == []
    assert len(universe.rows_for(datetime(2020, 1, 8))) == 2


def test_a_days_identifiers_with_the_bytes_of_the_day_befores_under_another_width_are_read_anew(tmp_path):
    """The day before's symbols are reused when the ``sid`` column is the same: its bytes and its width
    (``AB``, ``CD`` as 2-character text are the bytes of ``ABCD`` as 4-character text)."""
    root = fixtures.data_folder(tmp_path / "data")
    write_coarse(root, DAYS[0], [("AB", "AB", 1.0), ("CD", "CD", 2.0)])
    write_coarse(root, DAYS[1], [("ABCD", "ABCD", 3.0)])
    write_coarse(root, DAYS[2], [("ABCD", "ABCD", 4.0)])
    universe = CoarseUniverse(root, lambda rows: rows)
    days = [datetime.strptime(day, "%Y-%m-%d").date() for day in DAYS[:3]]
    assert [[(str(r.symbol), r.price) for r in universe.rows_for_day(day)] for day in days] == [
        [("AB", 1.0), ("CD", 2.0)], [("ABCD", 3.0)], [("ABCD", 4.0)]]
    assert universe.rows_for_day(datetime(2020, 1, 4).date()) == []  # no file that day


def test_a_universe_given_another_data_folder_reads_that_folders_files(tmp_path):
    """``add_universe`` sets the universe's ``data_folder`` to the run's after it was made."""
    first, second = fixtures.data_folder(tmp_path / "first"), fixtures.data_folder(tmp_path / "second")
    write_coarse(first, DAYS[0], [("AB", "AB", 1.0)])
    write_coarse(second, DAYS[0], [("CD", "CD", 2.0)])
    universe = CoarseUniverse(first, lambda rows: rows)
    day = datetime(2020, 1, 2).date()
    assert [str(row.symbol) for row in universe.rows_for_day(day)] == ["AB"]
    universe.data_folder = second
    assert [str(row.symbol) for row in universe.rows_for_day(day)] == ["CD"]
