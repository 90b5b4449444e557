"""Splits, dividends, delistings and ticker changes from factor and map files (LEAN's
auxiliary data), their timing, the ``on_*`` handlers and the slice's collections."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from lean_local.backtest import run_backtest
from lean_local.data.map_files import MapFile
from lean_local.engine.common import Symbol
from lean_local.engine.corporate_events import (
    Delisting,
    DelistingType,
    Dividend,
    EventSchedule,
    EventSource,
    Split,
    SplitType,
    SymbolChangedEvent,
    equities_event_entries,
)
from lean_local.engine.slice import DataDictionary, KeyValuePair
from tests import fixtures


def equity_event_entries(symbol, map_file, factors, days, closes) -> list:
    """One subscription's entries of :func:`equities_event_entries`."""
    return equities_event_entries([EventSource(symbol, map_file, factors, closes)], days)[0]


def equity_events(*args) -> list:
    """One subscription's events, in :func:`equities_event_entries`' order."""
    return [event for _, _, event in equity_event_entries(*args)]


def daily_closes(dates, raw, normalized):
    """``EventSource.closes`` over daily closes (``dates`` int64 ns midnights): the last before a day."""
    def last_close(field_name: str, day_ns: int) -> float:
        i = int(np.searchsorted(dates, day_ns, side="left")) - 1
        return float((raw if field_name == "raw" else normalized)[i]) if i >= 0 else 0.0
    return last_close


DAYS = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09",
                         "2020-01-10"])
RAW = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]
# 2020-01-03 -> 2020-01-07: the price factor changes (a dividend); 2020-01-07 -> 2050: the price factor
# and the split factor change (a dividend and a 2-for-1 split)
FACTORS = pd.DataFrame({"price_factor": [0.98, 0.99, 1.0], "split_factor": [0.5, 0.5, 1.0],
                        "reference_price": [20.0, 22.0, 0.0]},
                       index=pd.DatetimeIndex(["2020-01-03", "2020-01-07", "2050-12-31"]))
# OLD until 2020-01-06, NEW from 2020-01-07, delisted after 2020-01-09
MAP = [("2020-01-02", "OLD"), ("2020-01-06", "OLD"), ("2020-01-09", "NEW")]


def _map_file() -> MapFile:
    return MapFile("NEW", pd.DatetimeIndex([d for d, _ in MAP]), [t for _, t in MAP])


def _describe(event) -> tuple:
    kind = type(event).__name__
    extra: tuple = ()
    if isinstance(event, Split):
        extra = (event.type, round(event.split_factor, 10), event.reference_price)
    elif isinstance(event, Dividend):
        extra = (event.distribution, event.reference_price)
    elif isinstance(event, Delisting):
        extra = (event.type, event.price)
    elif isinstance(event, SymbolChangedEvent):
        extra = (event.old_symbol, event.new_symbol)
    return (event.time, kind, *extra)


def test_events_follow_leans_providers():
    symbol = Symbol("NEW")
    raw = np.array(RAW)
    events = equity_events(symbol, _map_file(), FACTORS, DAYS, daily_closes(DAYS.asi8, raw, raw * 0.5))
    assert [_describe(e) for e in events] == [
        # the dividend of the 01-03 row, on the next trading day: round(20 - 20 * 0.98 / 0.99, 2)
        (datetime(2020, 1, 6), "Dividend", 0.20, 20.0),
        # the split warning on the row's day with the last raw close before it (01-06: 12)
        (datetime(2020, 1, 7), "Split", SplitType.WARNING, 0.5, 12.0),
        (datetime(2020, 1, 7), "SymbolChangedEvent", "OLD", "NEW"),
        # the split and the dividend of the 01-07 row on the next trading day: round(22 - 22 * 0.99, 2)
        (datetime(2020, 1, 8), "Split", SplitType.SPLIT_OCCURRED, 0.5, 22.0),
        (datetime(2020, 1, 8), "Dividend", 0.22, 22.0),
        # the map file's last date: the warning that day, the delisting the day after, each with the
        # last (normalized) close before its time
        (datetime(2020, 1, 9), "Delisting", DelistingType.WARNING, 7.0),
        (datetime(2020, 1, 10), "Delisting", DelistingType.DELISTED, 7.5),
    ]
    assert all(e.symbol == symbol and e.end_time == e.time for e in events)


def test_events_need_the_day_before_in_the_subscription():
    """A split occurring on the first day seen has no warning day, so LEAN emits neither."""
    closes = daily_closes(DAYS.asi8, np.array(RAW), np.array(RAW))
    events = equity_events(Symbol("NEW"), _map_file(), FACTORS, DAYS[4:], closes)
    assert [_describe(e)[:2] for e in events] == [(datetime(2020, 1, 9), "Delisting"),
                                                   (datetime(2020, 1, 10), "Delisting")]


def test_a_subscription_starting_before_its_map_file_reports_the_first_mapped_ticker():
    """LEAN's ``MappingEventProvider``: the subscription's ticker is the symbol's own until the map file
    covers a day; the first covered trading day reports the change when the map file's ticker differs
    (``GOOG`` subscribed before its first date, traded as ``GOOCV``)."""
    days = pd.DatetimeIndex(["2014-03-24", "2014-03-25", "2014-03-26", "2014-03-27", "2014-03-28"])
    map_file = MapFile("GOOG", pd.DatetimeIndex(["2014-03-26", "2014-04-02", "2050-12-31"]), ["GOOCV", "GOOCV", "GOOG"])
    closes = daily_closes(days.asi8, np.ones(len(days)), np.ones(len(days)))
    events = equity_events(Symbol("GOOG"), map_file, None, days, closes)
    assert [_describe(e) for e in events] == [(datetime(2014, 3, 26), "SymbolChangedEvent", "GOOG", "GOOCV")]
    # a subscription the map file covers from its start takes the mapped ticker without an event
    assert equity_events(Symbol("GOOG"), map_file, None, days[2:], closes) == []


def test_events_of_several_subscriptions_together_are_each_ones_alone():
    """``equities_event_entries`` searches every factor file's rows at once: each subscription's entries are
    the ones it has alone (its own map file's covered days, its own closes, files of one row and none)."""
    raw = np.array(RAW)
    late = MapFile("LATE", pd.DatetimeIndex(["2020-01-07", "2050-12-31"]), ["LATE", "LATE"])  # listed 01-07
    one_row = FACTORS.iloc[-1:]
    sources = [EventSource(Symbol("NEW"), _map_file(), FACTORS, daily_closes(DAYS.asi8, raw, raw * 0.5)),
               EventSource(Symbol("NONE"), MapFile.unmapped("NONE"), None, daily_closes(DAYS.asi8, raw, raw)),
               EventSource(Symbol("LATE"), late, FACTORS, daily_closes(DAYS.asi8, raw * 2, raw)),
               EventSource(Symbol("ONE"), MapFile.unmapped("ONE"), one_row, daily_closes(DAYS.asi8, raw, raw)),
               EventSource(Symbol("PLAIN"), MapFile.unmapped("PLAIN"), FACTORS, daily_closes(DAYS.asi8, raw + 1, raw))]
    together = equities_event_entries(sources, DAYS)
    alone = [equities_event_entries([source], DAYS)[0] for source in sources]
    assert [[(t, o, _describe(e)) for t, o, e in entries] for entries in together] == \
        [[(t, o, _describe(e)) for t, o, e in entries] for entries in alone]
    # LATE's map file covers 01-07 on: the 01-03 row is before its days, the 01-07 row's split warning
    # carries its own raw close of 01-06 (2 x 12); PLAIN (no map file) has every day
    assert [_describe(e) for _, _, e in together[2]] == [
        (datetime(2020, 1, 7), "Split", SplitType.WARNING, 0.5, 24.0),
        (datetime(2020, 1, 8), "Split", SplitType.SPLIT_OCCURRED, 0.5, 22.0),
        (datetime(2020, 1, 8), "Dividend", 0.22, 22.0)]
    assert [_describe(e)[:2] for _, _, e in together[4]] == [
        (datetime(2020, 1, 6), "Dividend"), (datetime(2020, 1, 7), "Split"), (datetime(2020, 1, 8), "Split"),
        (datetime(2020, 1, 8), "Dividend")]
    assert together[1] == [] and together[3] == []


def test_a_warnings_price_may_come_from_a_function_of_the_field_and_day():
    """``closes`` as a function (the loop reads a subscription's bars): asked with the field and the day."""
    asked = []

    def price(field_name: str, day_ns: int) -> float:
        asked.append((field_name, pd.Timestamp(day_ns)))
        return 3.0

    events = equity_events(Symbol("NEW"), _map_file(), FACTORS, DAYS, price)
    assert asked == [("raw", pd.Timestamp("2020-01-07")), ("normalized", pd.Timestamp("2020-01-09")),
                     ("normalized", pd.Timestamp("2020-01-10"))]
    assert [e.price for e in events if isinstance(e, Delisting)] == [3.0, 3.0]


def test_schedule_hands_out_events_at_the_first_step_at_or_after_their_time():
    closes = daily_closes(DAYS.asi8, np.array(RAW), np.array(RAW))
    schedule = EventSchedule()
    assert schedule.due(pd.Timestamp("2030-01-01").value) is None
    schedule.add(equity_event_entries(Symbol("NEW"), _map_file(), FACTORS, DAYS, closes),
                 pd.Timestamp("2020-01-07").value)
    assert list(pd.DatetimeIndex(schedule.times())) == [pd.Timestamp(d) for d in
                                                         ("2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10")]
    assert schedule.due(pd.Timestamp("2020-01-06 16:00").value) is None
    step = schedule.due(pd.Timestamp("2020-01-08 16:00").value)  # 01-07 and 01-08 both due
    assert list(step.splits) == ["NEW"] and step.splits["NEW"].type == SplitType.SPLIT_OCCURRED
    assert step.dividends["NEW"].distribution == 0.22
    assert step.symbol_changed_events["NEW"].new_symbol == "NEW"
    assert len(step) == 3
    assert schedule.due(pd.Timestamp("2020-01-08 16:00").value) is None


def test_data_dictionary_has_leans_collection_semantics():
    bars = DataDictionary({Symbol("AAA"): 1.5, Symbol("BBB"): 2.5})
    pairs = list(bars)
    assert all(isinstance(p, KeyValuePair) for p in pairs)
    assert [(p.key, p.value) for p in pairs] == [("AAA", 1.5), ("BBB", 2.5)]
    with pytest.raises(TypeError):
        [(k, v) for k, v in bars]  # a KeyValuePair does not unpack, as in LEAN
    assert bars.contains_key("AAA") and "BBB" in bars and not bars.contains_key("CCC")
    assert len(bars) == bars.count == 2
    assert list(bars.keys()) == ["AAA", "BBB"] and list(bars.values()) == [1.5, 2.5]
    assert list(bars.items()) == [("AAA", 1.5), ("BBB", 2.5)]
    assert bars.get("CCC") is None and bars["AAA"] == 1.5
    with pytest.raises(KeyError, match="contains_key"):
        bars["CCC"]


HANDLERS = '''
from AlgorithmImports import *


class Events(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 2)
        self.set_end_date(2020, 1, 10)
        self.universe_settings.resolution = Resolution.DAILY
        self.symbol = self.add_equity("NEW").symbol

    def on_splits(self, splits: Splits):
        for kvp in splits:
            self.log(f"on_splits {kvp.key} {kvp.value.type} {kvp.value.split_factor:g}")

    def on_dividends(self, dividends: Dividends):
        self.log(f"on_dividends {dividends[self.symbol].distribution:g}")

    def on_delistings(self, delistings: Delistings):
        for kvp in delistings:
            self.log(f"on_delistings {kvp.key} {kvp.value.type}")

    def on_symbol_changed_events(self, symbols_changed: SymbolChangedEvents):
        event = symbols_changed[self.symbol]
        self.log(f"on_symbol_changed_events {event.old_symbol} {event.new_symbol}")

    def on_data(self, data: Slice):
        self.log(f"on_data bars={len(data.bars)} splits={len(data.splits)} dividends={len(data.dividends)} "
                 f"delistings={len(data.delistings)} changes={len(data.symbol_changed_events)} "
                 f"contains={data.contains_key(self.symbol)} value={data.get(self.symbol) is not None}")
'''


def test_handlers_and_slices_follow_leans_timing(tmp_path):
    folder = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(folder, "NEW", fixtures.bars(DAYS, RAW), factors=FACTORS, map_rows=MAP)
    fixtures.write_equity(folder, "OLD", fixtures.bars(DAYS[:3], RAW[:3]))  # the bars of the OLD period
    project = fixtures.write_workspace(tmp_path, folder, HANDLERS)
    result = run_backtest(project, output_dir=tmp_path / "out", progress=False, quiet=True)
    lines = [line for line in result.record.logs if " on_" in line]
    day = "on_data bars=1 splits=0 dividends=0 delistings=0 changes=0 contains=True value=True"
    assert lines == [
        f"2020-01-02 16:00:00 {day}",
        f"2020-01-03 16:00:00 {day}",
        "2020-01-06 00:00:00 on_dividends 0.2",
        "2020-01-06 00:00:00 on_data bars=0 splits=0 dividends=1 delistings=0 changes=0 contains=True value=False",
        f"2020-01-06 16:00:00 {day}",
        "2020-01-07 00:00:00 on_symbol_changed_events OLD NEW",
        "2020-01-07 00:00:00 on_splits NEW 0 0.5",
        "2020-01-07 00:00:00 on_data bars=0 splits=1 dividends=0 delistings=0 changes=1 contains=True value=False",
        f"2020-01-07 16:00:00 {day}",
        "2020-01-08 00:00:00 on_splits NEW 1 0.5",
        "2020-01-08 00:00:00 on_dividends 0.22",
        "2020-01-08 00:00:00 on_data bars=0 splits=1 dividends=1 delistings=0 changes=0 contains=True value=False",
        f"2020-01-08 16:00:00 {day}",
        "2020-01-09 00:00:00 on_delistings NEW 0",
        "2020-01-09 00:00:00 on_data bars=0 splits=0 dividends=0 delistings=1 changes=0 contains=True value=False",
        f"2020-01-09 16:00:00 {day}",
        "2020-01-10 00:00:00 on_delistings NEW 1",
        "2020-01-10 00:00:00 on_data bars=0 splits=0 dividends=0 delistings=1 changes=0 contains=True value=False",
    ]  # no bar on 01-10: the map file ends on 01-09


@pytest.mark.parametrize(("mode", "quantity", "paid"), [
    ("RAW", 10, 2.0), ("RAW", -10, -2.0), ("ADJUSTED", 10, 0.0)])
def test_a_dividend_pays_cash_only_to_holdings_of_unadjusted_prices(tmp_path, mode, quantity, paid):
    """LEAN's ``SecurityPortfolioManager.ApplyDividend``: RAW and SPLIT_ADJUSTED holdings receive
    ``quantity * distribution`` (the 01-06 dividend: 0.20 a share; shorts pay it); adjusted prices
    already carry it. The cash moves in the dividend's step (01-06 00:00), after the fills of 01-03."""
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.common import DataNormalizationMode, Resolution
    from lean_local.engine.fees import ConstantFeeModel
    from lean_local.engine.runner import run_algorithm

    folder = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(folder, "NEW", fixtures.bars(DAYS, RAW), factors=FACTORS,
                          map_rows=[("2020-01-02", "NEW"), ("2050-12-31", "NEW")])

    class Holder(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 6)
            self.set_security_initializer(lambda security: security.set_fee_model(ConstantFeeModel(0)))
            self.new = self.add_equity("NEW", Resolution.DAILY, data_normalization_mode=getattr(DataNormalizationMode, mode))
            self.cash = []

        def on_data(self, data):
            if self.time.day == 2:
                self.market_order("NEW", quantity)  # converted to market-on-open: fills at 01-03's open
            self.cash.append((self.time, self.portfolio.cash))

    algo, _, _ = run_algorithm(Holder, folder)
    (_, before), (when, after) = algo.cash[1], algo.cash[2]
    assert when == datetime(2020, 1, 6) and after - before == pytest.approx(paid)


def test_a_delisting_retriggers_the_user_defined_universe_that_held_it(tmp_path):
    """``BacktestingBrokerage.ProcessDelistings`` removes the delisted security from the user-defined
    universe ``add_equity`` filled; that universe's one-trigger subscription has ended, so LEAN
    subscribes it anew and it triggers again: one more data point. NEW's run counts 1 trigger at the
    start, 6 daily bars (01-02 .. 01-09), the 7 events of ``test_events_follow_leans_providers`` and
    the trigger of the delisting on 01-10 (no SPY data: the benchmark adds none)."""
    from lean_local.engine.algorithm import QCAlgorithm
    from lean_local.engine.common import Resolution
    from lean_local.engine.runner import run_algorithm

    folder = fixtures.data_folder(tmp_path / "data")
    fixtures.write_equity(folder, "NEW", fixtures.bars(DAYS, RAW), factors=FACTORS, map_rows=MAP)
    fixtures.write_equity(folder, "OLD", fixtures.bars(DAYS[:3], RAW[:3]))

    class Delisted(QCAlgorithm):
        def initialize(self):
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 1, 10)
            self.add_equity("NEW", Resolution.DAILY)

    _, _, loop = run_algorithm(Delisted, folder)
    assert loop.data_points == 1 + 6 + 7 + 1


def _decimal_distribution(reference: float, ratio: float) -> float:
    """LEAN's ``Math.Round(reference - reference * ratio, 2)`` in decimals, the reference for ``_distribution``."""
    from decimal import ROUND_HALF_EVEN, Decimal

    ref = Decimal(repr(reference))
    return float((ref - ref * Decimal(repr(ratio))).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def test_distribution_equals_the_decimal_rounding_to_the_bit():
    """The dividend's distribution (a float path away from half cents) is the decimal computation's float,
    sign of zero included: random references and ratios, and exact half cents (where a float's own rounding
    of the difference goes the other way in many cases)."""
    from lean_local.engine.corporate_events import _distribution

    rng = np.random.default_rng(20)
    references = [round(x, d) for x, d in zip(rng.uniform(0.01, 5_000.0, 30_000).tolist(),
                                              rng.integers(0, 5, 30_000).tolist(), strict=True)]
    ratios = [round(x, d) for x, d in zip(rng.uniform(0.5, 1.5, 30_000).tolist(),
                                          rng.integers(2, 9, 30_000).tolist(), strict=True)]
    cases = list(zip(references, ratios, strict=True))
    cases += [(float(r), float(q)) for r, q in zip(rng.uniform(-100, 1e6, 5_000), rng.uniform(-2, 20, 5_000),
                                                   strict=True)]
    # half cents: reference - reference * ratio = k + 0.005 exactly in decimals
    half_cents = [(25.0, 0.995), (0.5, 0.99), (10.0, 0.9995), (1.0, 0.995), (100.0, 0.99995), (2.5, 0.999)]
    half_cents += [(float(r), 1 - (k + 0.5) / 100 / r) for r in (20.0, 40.0, 80.0, 125.0, 200.0) for k in range(60)]
    cases += half_cents + [(0.0, 0.5), (1e-9, 0.5), (-1e-9, 0.5), (1.0, 1.0), (3.0, 1.001)]
    naive_differs = 0
    for reference, ratio in cases:
        expected = _decimal_distribution(reference, ratio)
        got = _distribution(reference, ratio)
        assert repr(got) == repr(expected), (reference, ratio)
        naive_differs += round(reference - reference * ratio, 2) != expected
    assert naive_differs > 10  # the cases reach the half cents a float's rounding gets wrong
    from decimal import InvalidOperation

    with pytest.raises(InvalidOperation):  # beyond the decimals' 28 digits, as before: the decimals decide
        _distribution(1e300, 0.5)


def test_distributions_together_equal_each_alone():
    """The dividends' distributions computed as arrays are :func:`_distribution`'s floats, sign of zero and
    the pairs left to the decimals (half cents, zeros, a margin beyond a quarter cent) included."""
    from lean_local.engine.corporate_events import _distribution, _distributions

    rng = np.random.default_rng(21)
    references = [round(x, d) for x, d in zip(rng.uniform(0.01, 5_000.0, 5_000).tolist(),
                                              rng.integers(0, 5, 5_000).tolist(), strict=True)]
    ratios = [round(x, d) for x, d in zip(rng.uniform(0.5, 1.5, 5_000).tolist(),
                                          rng.integers(2, 9, 5_000).tolist(), strict=True)]
    special = [(25.0, 0.995), (0.5, 0.99), (10.0, 0.9995), (0.0, 0.5), (1.0, 1.0), (1e-9, 0.5), (-1e-9, 0.5),
               (3e6, 0.5), (120.0, 0.99), (40.0, 1 - 0.375 / 40)]
    references = np.array(references + [r for r, _ in special])
    ratios = np.array(ratios + [q for _, q in special])
    together = _distributions(references, ratios)
    alone = [_distribution(r, q) for r, q in zip(references.tolist(), ratios.tolist(), strict=True)]
    assert [repr(x) for x in together] == [repr(x) for x in alone]
    # half cents to even (0.125, 0.005, 0.375), zeros (-0.0 from a negative difference), the decimals' 1.5e6
    assert [repr(x) for x in together[-10:]] == ["0.12", "0.0", "0.0", "0.0", "0.0", "0.0", "-0.0", "1500000.0",
                                                 "1.2", "0.38"]
