"""LEAN's capacity estimate step by step (``lean_local.engine.capacity``), with hand-computed values."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from lean_local.engine.capacity import CapacityEstimate, bars_at, no_bars
from lean_local.engine.utc_clock import _REFUSED, UtcClock, _year_offsets_ns, utc_ns

HOUR = 3600 * 10**9
DAY = 24 * HOUR
EQUITY_DAY = int(6.5 * HOUR)  # an equity's daily bar, 09:30 to 16:00


def utc(text: str) -> int:
    return pd.Timestamp(text).value


def estimate_of_one() -> CapacityEstimate:
    """An estimate whose first snapshot is on Jan 8 (the tests' bars come before it)."""
    return CapacityEstimate(datetime(2020, 1, 1), datetime(2020, 12, 31))


def bars_from(bar_of):
    """The estimate's ``bars_of`` from ``bar_of(symbol)``: ``(close, volume, rate, period_ns)`` or None."""
    def bars_of(symbols, slots):
        asked = [symbols[slot] for slot in slots.tolist()]
        found = [k for k, symbol in enumerate(asked) if bar_of(symbol) is not None]
        bars = [bar_of(asked[k]) for k in found]
        close, volume, rate, period = (list(column) for column in zip(*bars, strict=True)) if bars else ([], [], [], [])
        return bars_at(slots, np.array(found, dtype=np.intp), np.array(close, dtype=float),
                       np.array(volume, dtype=float), np.array(rate, dtype=float), np.zeros(len(found), dtype=np.int64),
                       np.array(period, dtype=np.int64))
    return bars_of


def capture(estimate: CapacityEstimate, at: int, bar: tuple[float, float, float, int]) -> bool:
    """Hand every monitored symbol ``bar`` at ``at``; whether some symbol is still monitored."""
    estimate.update(at, bars_from(lambda symbol: bar), 1.0, lambda symbols: [0.0] * len(symbols))
    return estimate.monitoring


def test_an_equity_daily_bar_counts_as_an_hour_bar_only_the_fills_bar_is_captured():
    estimate = estimate_of_one()
    estimate.on_fill("AAA", utc("2020-01-02 21:00"), 1_000.0)
    assert capture(estimate, utc("2020-01-02 21:00"), (10.0, 1_000.0, 1.0, EQUITY_DAY))  # keeps monitoring
    assert not capture(estimate, utc("2020-01-03 21:00"), (11.0, 5_000.0, 1.0, EQUITY_DAY))  # done, not added
    assert estimate.dollar_volume("AAA") == pytest.approx(10.0 * 1_000.0 * 0.05)


def test_a_24_hour_bar_is_daily_the_fills_bar_and_the_next_calendar_days():
    estimate = estimate_of_one()
    estimate.on_fill("EURUSD", utc("2020-01-02 21:00"), -1_000.0)
    assert capture(estimate, utc("2020-01-02 21:00"), (1.0, 100.0, 1.0, DAY))
    assert capture(estimate, utc("2020-01-03 21:00"), (2.0, 100.0, 1.0, DAY))  # UTC date = fill rounded up
    assert not capture(estimate, utc("2020-01-06 21:00"), (3.0, 100.0, 1.0, DAY))
    assert estimate.dollar_volume("EURUSD") == pytest.approx((100.0 + 200.0) * 0.02)


def test_a_fill_forward_bar_neither_counts_nor_stops_monitoring():
    estimate = estimate_of_one()
    estimate.on_fill("AAA", utc("2020-01-02 21:00"), 1_000.0)
    assert capture(estimate, utc("2020-01-02 22:00"), (10.0, 0.0, 1.0, EQUITY_DAY))
    assert estimate.dollar_volume("AAA") == 0.0


def test_one_step_captures_each_symbol_by_its_own_resolution():
    """Daily, hour, minute and second bars in one step, each by its rule (hand-computed): a minute bar's
    window is 6e6 / (average dollar volume) minutes clipped to [1, 120], a second bar's 1e5 / it clipped
    to [5, 120]; a symbol without a bar keeps being monitored."""
    estimate = estimate_of_one()
    fill = utc("2020-01-02 15:00")
    for symbol in ("DAY", "HOUR", "MIN", "SEC", "NONE"):
        estimate.on_fill(symbol, fill, 1_000.0)  # first fills: no fast-trading discount
    bars = {"DAY": (2.0, 100.0, 1.0, DAY), "HOUR": (3.0, 100.0, 1.0, HOUR), "MIN": (10.0, 1_000.0, 1.0, 60 * 10**9),
            "SEC": (10.0, 100.0, 2.0, 10**9)}
    estimate.update(fill, bars_from(bars.get), 1.0, lambda symbols: [0.0] * len(symbols))
    assert [estimate.dollar_volume(s) for s in ("DAY", "HOUR", "MIN", "SEC", "NONE")] == pytest.approx(
        [2.0 * 100 * 0.02, 3.0 * 100 * 0.05, 10.0 * 1_000 * 0.20, 10.0 * 100 * 2.0 * 0.50, 0.0])
    # 121 minutes on: the minute bar's average is 10 x (1,000 + 1,000) / 121 = 165.3, its window 120
    # minutes: it ends; the second bar's average 10 x 2 x 200 / 121 = 33.1, window 120 minutes: it ends;
    # the 15:00 hour and daily bars' rules end those two as well
    later = fill + 121 * 60 * 10**9
    estimate.update(later, bars_from(bars.get), 1.0, lambda symbols: [0.0] * len(symbols))
    assert estimate.monitoring  # NONE, which had no bar
    assert estimate.dollar_volume("MIN") == pytest.approx(2_000.0)
    estimate.update(later, bars_from(lambda s: (1.0, 1.0, 1.0, HOUR)), 1.0, lambda symbols: [0.0] * len(symbols))
    assert not estimate.monitoring


def test_a_bar_months_after_the_previous_one_is_captured():
    """A minute bar 200 days after the symbol's previous bar (a gap beyond float64's exact integers in
    nanoseconds): its average is 10 x (50 + 50) / 288,119 minutes, so its window is 120 minutes."""
    estimate = estimate_of_one()
    first = utc("2020-01-02 15:00")
    estimate.on_fill("AAA", first, 1_000.0)
    capture(estimate, first, (10.0, 50.0, 1.0, 60 * 10**9))
    assert estimate.dollar_volume("AAA") == pytest.approx(10.0 * 50 * 0.20)
    back = first + 200 * DAY
    estimate.on_fill("AAA", back, 1_000.0)
    assert capture(estimate, back + 119 * 60 * 10**9, (10.0, 50.0, 1.0, 60 * 10**9))
    assert estimate.dollar_volume("AAA") == pytest.approx(2 * 10.0 * 50 * 0.20)
    assert not capture(estimate, back + 121 * 60 * 10**9, (10.0, 50.0, 1.0, 60 * 10**9))


@pytest.mark.parametrize(("minutes", "discount"), [(39, 0.2), (97.5, 0.5), (195, 1.0), (300, 1.0)])
def test_fast_trading_discount_is_twice_the_minutes_between_fills_over_390(minutes, discount):
    estimate = estimate_of_one()
    first = utc("2020-01-02 14:30")
    estimate.on_fill("AAA", first, 1.0)
    second = first + int(minutes * 60 * 10**9)
    estimate.on_fill("AAA", second, 1.0)
    # an hour bar ending at the second fill rounded up to the hour is captured with that discount
    bar_time = -(-second // HOUR) * HOUR
    capture(estimate, bar_time, (1.0, 1_000.0, 1.0, EQUITY_DAY))
    assert estimate.dollar_volume("AAA") == pytest.approx(1_000.0 * discount * 0.05)
    assert estimate.trades("AAA") == 2


def test_a_symbol_neither_filled_for_30_days_nor_held_is_forgotten_and_joins_again_last():
    estimate = CapacityEstimate(datetime(2020, 1, 1), datetime(2020, 12, 31))
    for symbol in ("AAA", "BBB", "CCC"):
        estimate.on_fill(symbol, utc("2020-01-02 21:00"), 1_000.0)
    held = {"AAA": 0.0, "BBB": 5.0, "CCC": 0.0}

    def holdings_values(symbols):
        return [held[s] for s in symbols]
    estimate.on_fill("CCC", utc("2020-02-05 21:00"), 1_000.0)  # within 30 days of the snapshot below
    estimate.update(utc("2020-02-06 15:00"), no_bars, 1_000.0, holdings_values)
    assert estimate.lowest == "AAA"  # no volume captured: the first symbol is the smallest
    with pytest.raises(KeyError):  # AAA expired and flat: forgotten; BBB held, CCC filled recently
        estimate.trades("AAA")
    assert (estimate.trades("BBB"), estimate.trades("CCC")) == (1, 2)
    estimate.on_fill("AAA", utc("2020-02-07 21:00"), 500.0)  # joins again, after BBB and CCC
    estimate.update(utc("2020-02-14 15:00"), no_bars, 1_000.0, holdings_values)
    assert estimate.lowest == "BBB"
    assert (estimate.trades("AAA"), estimate.trades("CCC")) == (1, 2)


def test_snapshots_divide_volume_per_trade_by_the_larger_share_and_blend():
    estimate = CapacityEstimate(datetime(2020, 1, 1), datetime(2020, 1, 31))  # snapshots every 7 days
    estimate.on_fill("AAA", utc("2020-01-02 21:00"), -3_000.0)
    estimate.on_fill("BBB", utc("2020-01-02 21:00"), 1_000.0)
    bars = {"AAA": (10.0, 10_000.0, 1.0, EQUITY_DAY), "BBB": (10.0, 1_000.0, 1.0, EQUITY_DAY)}
    holdings = {"AAA": 0.0, "BBB": 1_000.0}

    def holdings_values(symbols):
        return [holdings[symbol] for symbol in symbols]
    estimate.update(utc("2020-01-02 21:00"), bars_from(bars.get), 4_000.0, holdings_values)
    assert estimate.capacity == 0.0  # Jan 2 is before the first snapshot date (Jan 8)
    estimate.update(utc("2020-01-08 15:00"), no_bars, 4_000.0, holdings_values)
    # BBB is smallest: 10 x 1,000 x 0.05 = 500 per trade; its sale share 1/4, holdings share 1/4
    assert estimate.lowest == "BBB"
    assert estimate.capacity == pytest.approx(500.0 / 0.25)
    # after the snapshot sale volumes restart; a forced snapshot with BBB's holdings only (share 1/2)
    estimate.update(utc("2020-01-09 15:00"), no_bars, 2_000.0, holdings_values, force=True)
    assert estimate.capacity == pytest.approx(0.33 * 500.0 / 0.5 + 0.66 * 2_000.0)
    assert estimate.rounded == 2_000.0  # to the nearest 1,000


def test_the_capacity_clock_converts_new_york_times_as_tz_localize_does():
    """The engine's UTC clock (``utc_clock.utc_ns``) reads each hour's offset from a table of the year:
    the same nanoseconds as ``tz_localize`` on every hour of a year with both DST changes, and its
    error on the hour that does not exist (2 a.m. on the day clocks move forward)."""
    hour = datetime(2021, 1, 1)
    while hour.year == 2021:
        if hour not in (datetime(2021, 3, 14, 2), datetime(2021, 11, 7, 1)):
            moment = hour + timedelta(minutes=30, microseconds=7)
            assert utc_ns(moment) == pd.Timestamp(moment).tz_localize("America/New_York").value
        hour += timedelta(hours=1)
    with pytest.raises(Exception, match="2021-03-14 02:00:00"):
        utc_ns(datetime(2021, 3, 14, 2, 30))


def test_a_runs_clock_is_utc_ns_across_spans_of_years_and_refuses_the_same_hours():
    """``UtcClock`` (a span's table read by the hour) gives ``utc_ns`` from the end of 2015 (the span
    2008-2015) into 2016 (the next one) and back, every half hour around the DST changes of 2016, and
    raises on the skipped and the repeated hour as ``utc_ns`` does."""
    clock = UtcClock()
    moment = datetime(2015, 12, 31, 20, 30, 0, 7)
    while moment < datetime(2016, 11, 8):
        if moment.replace(minute=0, second=0, microsecond=0) not in (datetime(2016, 3, 13, 2), datetime(2016, 11, 6, 1)):
            assert clock.utc_ns(moment) == utc_ns(moment)
        moment += timedelta(minutes=30 if moment.month in (1, 3, 11) else 1_000)
    assert clock.utc_ns(datetime(2015, 6, 1, 16)) == utc_ns(datetime(2015, 6, 1, 16))  # back a span
    for refused in (datetime(2016, 3, 13, 2, 30), datetime(2016, 11, 6, 1, 30)):
        with pytest.raises(Exception, match=refused.strftime("%Y-%m-%d %H:00:00")):
            clock.utc_ns(refused)


def test_a_snapshot_may_be_due_whenever_it_is_due():
    """``may_be_due`` (New York wall time, no UTC conversion) is True at every time ``due`` is, in
    winter and summer time, and False a day before the snapshot's date."""
    estimate = CapacityEstimate(datetime(2021, 3, 1), datetime(2021, 12, 31))
    estimate.on_fill("AAA", utc("2021-03-01 21:00"), 1_000.0)
    snapshot = estimate._next_snapshot  # 2021-03-08 00:00 UTC: 2021-03-07 19:00 in New York (EST)
    assert not estimate.may_be_due(pd.Timestamp("2021-03-06 19:00").value)
    moment = datetime(2021, 3, 6)
    while moment < datetime(2021, 3, 10):
        local = pd.Timestamp(moment).value
        if estimate.due(utc_ns(moment)):
            assert estimate.may_be_due(local)
        assert estimate.due(utc_ns(moment)) == (utc_ns(moment) >= snapshot)
        moment += timedelta(minutes=20)
    assert estimate.due(utc_ns(datetime(2021, 3, 7, 19))) and not estimate.due(utc_ns(datetime(2021, 3, 7, 18, 40)))
    estimate._next_snapshot = utc("2021-07-01")  # summer time: 2021-06-30 20:00 in New York (EDT)
    assert estimate.may_be_due(pd.Timestamp("2021-06-30 20:00").value)
    assert estimate.due(utc_ns(datetime(2021, 6, 30, 20))) and not estimate.due(utc_ns(datetime(2021, 6, 30, 19, 59)))
    assert not estimate.may_be_due(pd.Timestamp("2021-06-29 20:00").value)


def test_the_year_table_of_the_capacity_clock_is_tz_localize_of_every_hour():
    """The table of a year's hourly offsets, built from the noons and the hours of the days around a DST
    change, equals ``tz_localize`` of every hour of the year (refused hours included), under the rules
    before 2007 (April and October changes) and after."""
    # (the tables are eight years' spans: 2007 ends one, 2008 starts the next; 2261 ends the last, clamped)
    for year in (1975, 1986, 2000, 2006, 2007, 2008, 2020, 2024, 2037, 2261):
        hours = pd.date_range(datetime(year, 1, 1), datetime(year + 1, 1, 1), freq="h", inclusive="left")
        utc = hours.tz_localize("America/New_York", ambiguous="NaT", nonexistent="NaT")
        expected = np.where(utc.isna(), _REFUSED, utc.asi8 - hours.asi8)
        table = _year_offsets_ns(year)
        assert table.dtype == expected.dtype and np.array_equal(table, expected)
        # the skipped hour and the repeated one (pytz's transitions end in 2037: none later)
        assert (table == _REFUSED).sum() == (2 if year <= 2037 else 0)


def test_a_times_fills_as_arrays_join_the_capture_in_order_after_the_captured_ones():
    """Nine first fills at one time (the array path) join after AAA, captured already, in their order; the
    next step's bars are asked of their slots, in slot order."""
    estimate = estimate_of_one()
    fill = utc("2020-01-02 21:00")
    estimate.on_fill("AAA", fill - HOUR, 500.0)
    joining = [f"S{k}" for k in range(8)]
    estimate.on_fills(["AAA", *joining], fill, [1_000.0] * 9)
    asked = []

    def bars_of(symbols, slots):
        asked.append([symbols[slot] for slot in slots.tolist()])
        return bars_from(lambda symbol: (10.0, 1_000.0, 1.0, EQUITY_DAY))(symbols, slots)
    estimate.update(fill, bars_of, 1.0, lambda symbols: [0.0] * len(symbols))
    assert asked == [["AAA", *joining]]
    assert estimate.trades("AAA") == 2 and estimate.trades("S7") == 1
    # each captured once: 10 x 1,000 x 0.05 (AAA's second fill an hour after its first: discount 2 x 60 / 390)
    assert estimate.dollar_volume("S0") == pytest.approx(500.0)
    assert estimate.dollar_volume("AAA") == pytest.approx(500.0 * 120 / 390)


def test_a_snapshot_asks_the_holdings_of_every_symbol_once():
    """One question a snapshot, the estimate's every symbol: the smallest's holdings share and the expired
    symbols' flatness both read from its answer (AAA expired and flat is forgotten, BBB held is kept)."""
    estimate = CapacityEstimate(datetime(2020, 1, 1), datetime(2020, 12, 31))
    estimate.on_fill("AAA", utc("2020-01-02 21:00"), 1_000.0)
    estimate.on_fill("BBB", utc("2020-01-02 21:00"), 3_000.0)
    held = {"AAA": 0.0, "BBB": 250.0}
    asked = []

    def holdings_values(symbols):
        asked.append(list(symbols))
        return np.array([held[s] for s in symbols])
    estimate.update(utc("2020-02-06 15:00"), no_bars, 1_000.0, holdings_values)
    assert asked == [["AAA", "BBB"]]
    # AAA is the smallest (no volume: the first); sale share 1/4, holdings share 0: no capacity yet
    assert (estimate.lowest, estimate.capacity) == ("AAA", 0.0)
    with pytest.raises(KeyError):
        estimate.trades("AAA")
    assert estimate.trades("BBB") == 1


def test_snapshots_without_fills_or_captures_since_the_last_keep_its_smallest_symbol_and_blend_anew():
    """A snapshot with no fill and no capture since the previous one keeps the smallest symbol and its volume
    per trade (the sales are zero: the holdings share alone), blends with the new holdings, forgets an
    expired flat symbol, and the next snapshot after a fill finds the smallest again (hand-computed)."""
    estimate = CapacityEstimate(datetime(2020, 1, 1), datetime(2020, 12, 31))  # snapshots every 7 days
    estimate.on_fill("AAA", utc("2020-01-02 21:00"), 1_000.0)
    estimate.on_fill("BBB", utc("2020-01-02 21:00"), 3_000.0)
    bars = {"AAA": (10.0, 1_000.0, 1.0, EQUITY_DAY), "BBB": (10.0, 4_000.0, 1.0, EQUITY_DAY)}
    estimate.update(utc("2020-01-02 21:00"), bars_from(bars.get), 1.0, lambda symbols: [0.0, 0.0])
    held = {"AAA": 100.0, "BBB": 1_000.0}

    def holdings_values(symbols):
        return [held[s] for s in symbols]
    # AAA smallest: 10 x 1,000 x 0.05 = 500 a trade; sale share 1/4, holdings 100 / 1,000
    estimate.update(utc("2020-01-08 15:00"), no_bars, 1_000.0, holdings_values)
    assert (estimate.lowest, estimate.capacity) == ("AAA", pytest.approx(500.0 / 0.25))
    held["AAA"] = 500.0  # no fill since: sale share 0, holdings 500 / 1,000
    estimate.update(utc("2020-01-15 15:00"), no_bars, 1_000.0, holdings_values)
    assert estimate.capacity == pytest.approx(0.33 * 500.0 / 0.5 + 0.66 * 2_000.0)
    held["AAA"] = 0.0  # flat, last filled over 30 days ago: forgotten; BBB held stays
    estimate.update(utc("2020-02-05 15:00"), no_bars, 1_000.0, holdings_values)
    with pytest.raises(KeyError):
        estimate.trades("AAA")
    before = estimate.capacity
    estimate.update(utc("2020-02-12 15:00"), no_bars, 1_000.0, holdings_values)  # BBB alone: 10 x 4,000 x 0.05
    assert estimate.lowest == "BBB"
    assert estimate.capacity == pytest.approx(0.33 * 2_000.0 / 1.0 + 0.66 * before)


def test_the_estimate_is_idle_until_the_local_time_of_its_next_snapshot_date_unless_monitoring():
    """``idle_until`` (New York wall ns): never before a fill, the earliest while monitoring, and once the
    capture ends six hours before the next snapshot's UTC date (Jan 8: Jan 7, 18:00)."""
    estimate = estimate_of_one()
    assert estimate.idle_until == np.iinfo(np.int64).max
    estimate.on_fill("AAA", utc("2020-01-02 21:00"), 1_000.0)
    assert estimate.idle_until == np.iinfo(np.int64).min
    assert capture(estimate, utc("2020-01-02 21:00"), (10.0, 1_000.0, 1.0, EQUITY_DAY))
    assert not capture(estimate, utc("2020-01-03 21:00"), (11.0, 5_000.0, 1.0, EQUITY_DAY))
    assert estimate.idle_until == utc("2020-01-07 18:00")
    assert not estimate.may_be_due(estimate.idle_until - 1) and estimate.may_be_due(estimate.idle_until)


def test_a_times_fills_restart_the_capture_of_the_symbols_filled_before_the_last_snapshot_only():
    """Eight fills at one time (the array path): the four symbols filled before the snapshot restart (one
    trade, no volume), the four filled after it continue (two trades, their captured volume kept)."""
    estimate = estimate_of_one()
    before, after = ["A", "B", "C", "D"], ["E", "F", "G", "H"]
    for symbol in before:
        estimate.on_fill(symbol, utc("2020-01-02 21:00"), 1_000.0)
    estimate.update(utc("2020-01-02 21:00"), bars_from(lambda symbol: (10.0, 1_000.0, 1.0, EQUITY_DAY)), 1.0,
                    lambda symbols: [0.0] * len(symbols), force=True)
    for symbol in after:
        estimate.on_fill(symbol, utc("2020-01-06 21:00"), 1_000.0)
    estimate.update(utc("2020-01-06 21:00"), bars_from(lambda symbol: (10.0, 2_000.0, 1.0, EQUITY_DAY)), 1.0,
                    lambda symbols: [0.0] * len(symbols))
    estimate.on_fills(before + after, utc("2020-01-07 21:00"), [500.0] * 8)
    assert [estimate.trades(s) for s in before + after] == [1] * 4 + [2] * 4
    assert [estimate.dollar_volume(s) for s in before + after] == [0.0] * 4 + [10.0 * 2_000.0 * 0.05] * 4
