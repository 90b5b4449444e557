"""LEAN's fill-forward resolution (``SubscriptionCollection.UpdateFillForwardResolution``), the times
a coarser subscription is filled forward at (``FillForwardEnumerator``), and the restart of the
subscriptions that fill forward (``DataManager``'s ``FillForwardResolutionChanged`` handler,
``UserDefinedUniverse.GetTriggerTimes``)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution, Symbol
from lean_local.engine.fill_forward_resolution import (
    FillForwardResolution,
    forward_period_ns,
    restarted_emission_times,
)
from lean_local.engine.orders import OrderStatus
from lean_local.engine.runner import run_algorithm
from lean_local.engine.universe import UserDefinedUniverse


def test_the_resolution_is_the_finest_subscription_and_minute_without_one():
    tracker = FillForwardResolution()
    assert tracker.value == Resolution.MINUTE
    assert tracker.added(Resolution.DAILY) is True  # the first subscription: minute -> daily
    assert tracker.added(Resolution.DAILY) is False  # the same resolution: no recomputation
    assert tracker.added(Resolution.HOUR) is True and tracker.value == Resolution.HOUR
    assert tracker.added(Resolution.DAILY) is False and tracker.value == Resolution.HOUR
    assert tracker.removed(Resolution.DAILY) is False  # not the current resolution
    assert tracker.removed(Resolution.HOUR) is True and tracker.value == Resolution.DAILY
    assert tracker.removed(Resolution.DAILY) is False  # another daily subscription remains
    assert tracker.removed(Resolution.DAILY) is True and tracker.value == Resolution.MINUTE


def test_tick_subscriptions_and_ended_streams_change_nothing():
    tracker = FillForwardResolution()
    assert tracker.added(Resolution.TICK) is False and tracker.value == Resolution.MINUTE
    assert tracker.added(Resolution.DAILY) is True
    tracker.ended(Resolution.DAILY)  # a delisted subscription's stream ended: no recomputation
    assert tracker.value == Resolution.DAILY
    assert tracker.added(Resolution.HOUR) is True and tracker.value == Resolution.HOUR
    # the ended daily subscription no longer counts: removing the hour one leaves none
    assert tracker.removed(Resolution.HOUR) is True and tracker.value == Resolution.MINUTE


def test_many_added_or_removed_together_end_as_one_at_a_time():
    """A day's resuming and leaving members counted together: the value at the end is the one the
    single updates reach (the finest resolution left), recomputed once."""
    tracker = FillForwardResolution()
    assert tracker.added_many([Resolution.DAILY, Resolution.DAILY, Resolution.TICK]) is True
    assert tracker.value == Resolution.DAILY and tracker.count(Resolution.DAILY) == 2
    assert tracker.added_many([Resolution.DAILY] * 3) is False and tracker.count(Resolution.DAILY) == 5
    assert tracker.added_many([Resolution.HOUR, Resolution.DAILY]) is True and tracker.value == Resolution.HOUR
    assert tracker.removed_many([Resolution.DAILY, Resolution.DAILY]) is False  # not the current resolution
    assert tracker.count(Resolution.DAILY) == 4 and tracker.value == Resolution.HOUR
    # the last hour subscription and two daily ones: daily is the finest left
    assert tracker.removed_many([Resolution.DAILY, Resolution.HOUR, Resolution.DAILY]) is True
    assert tracker.value == Resolution.DAILY and tracker.count(Resolution.DAILY) == 2
    assert tracker.removed_many([Resolution.DAILY, Resolution.TICK, Resolution.DAILY]) is True
    assert tracker.value == Resolution.MINUTE


def _equity_hours():
    return QCAlgorithm()._exchange_hours(Symbol("SPY"))


def test_trigger_times_from_midnight_are_the_trading_days():
    universe = UserDefinedUniverse("u", lambda t: [], None)
    plan = universe.emissions(datetime(2020, 1, 1), datetime(2020, 1, 7, 23, 59, 59), _equity_hours())
    # the start (a holiday) unconditionally, then 00:00 of Jan 2, 3, 6 and 7
    assert [when for when, _ in plan] == [datetime(2020, 1, d) for d in (1, 2, 3, 6, 7)]


def test_trigger_times_from_an_afternoon_start_keep_its_time_of_day():
    """From Friday 2020-01-03 16:00: Friday's and Saturday's next 24 hours hold no session, Sunday
    16:00's holds Monday's; each later weekday's holds the next day's session."""
    universe = UserDefinedUniverse("u", lambda t: [], None)
    plan = universe.emissions(datetime(2020, 1, 3, 16), datetime(2020, 1, 8, 23, 59, 59), _equity_hours())
    # (the last, Jan 8 16:00, lies before the end; its next 24 hours reach beyond it)
    assert [when for when, _ in plan] == [datetime(2020, 1, 3, 16), datetime(2020, 1, 5, 16),
                                         datetime(2020, 1, 6, 16), datetime(2020, 1, 7, 16),
                                         datetime(2020, 1, 8, 16)]
    plan = universe.emissions(datetime(2020, 1, 3, 9), datetime(2020, 1, 6, 23, 59, 59), _equity_hours())
    # Friday 09:00 + 1 day is Saturday (closed); Sunday 09:00's next 24 h end before Monday's 09:30 open
    assert [when for when, _ in plan] == [datetime(2020, 1, 3, 9), datetime(2020, 1, 6, 9)]


_MINUTE = 60 * 10**9
_HOUR = 60 * _MINUTE


def test_copies_are_spaced_by_the_finer_of_the_data_and_the_feed_resolution():
    assert forward_period_ns(Resolution.DAILY, Resolution.MINUTE) == _MINUTE
    assert forward_period_ns(Resolution.DAILY, Resolution.HOUR) == _HOUR
    assert forward_period_ns(Resolution.HOUR, Resolution.MINUTE) == _MINUTE
    assert forward_period_ns(Resolution.MINUTE, Resolution.HOUR) == _MINUTE
    assert forward_period_ns(Resolution.DAILY, Resolution.DAILY) is None  # session closes
    assert forward_period_ns(Resolution.TICK, Resolution.MINUTE) is None


def test_a_restarted_subscription_repeats_nothing_before_its_next_bar():
    ns = _MINUTE
    emitted = np.array([10, 11, 12, 13, 14]) * ns  # the times so far (minute copies)
    ends = np.array([10, 20, 30]) * ns  # its real bars
    restarted = np.array([10, 11, 12, 13, 14, 15, 20, 21, 30]) * ns  # every time under the new resolution
    # restarted at 12: 10..12 stay; 13..15 would repeat the bar of 10 (dropped), from the bar of 20 on all
    assert (restarted_emission_times(emitted, ends, restarted, 12 * ns) == np.array([10, 11, 12, 20, 21, 30]) * ns).all()
    # after the last bar: nothing more
    assert (restarted_emission_times(emitted, ends, restarted, 30 * ns) == emitted).all()


class _DailyOnAMinuteFeed(QCAlgorithm):
    """SPY minute (the sample has its minute files for 2013-10-07..11) makes the feed's fill-forward
    resolution one minute; AAPL daily is then repeated every minute of the sessions after its first bar."""

    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 8)
        self.add_equity("SPY", Resolution.MINUTE)
        self.add_equity("AAPL", Resolution.DAILY)
        self.bars = []

    def on_data(self, data):
        bar = data.bars.get("AAPL")
        if bar is not None:
            self.bars.append((bar.time, bar.end_time, bar.is_fill_forward, bar.volume))


def test_a_daily_bar_is_filled_forward_every_minute_of_the_next_session(lean_data_folder):
    algorithm, _, _ = run_algorithm(_DailyOnAMinuteFeed, lean_data_folder)
    bars = algorithm.bars
    # Oct 7: the first bar at 16:00 only (nothing to repeat before it)
    assert bars[0][:3] == (datetime(2013, 10, 7, 9, 30), datetime(2013, 10, 7, 16), False)
    # Oct 8: copies ending 09:31 .. 15:59 (389), each starting 6.5 h earlier, volume 0; the real bar at 16:00
    copies = bars[1:-1]
    assert len(copies) == 389
    assert copies[0] == (datetime(2013, 10, 8, 3, 1), datetime(2013, 10, 8, 9, 31), True, 0.0)
    assert copies[-1] == (datetime(2013, 10, 8, 9, 29), datetime(2013, 10, 8, 15, 59), True, 0.0)
    assert bars[-1][:3] == (datetime(2013, 10, 8, 9, 30), datetime(2013, 10, 8, 16), False)
    assert len(bars) == 391


class _EmptyMinuteStream(QCAlgorithm):
    """SPY minute has no file in 2014 (its stream ends at the first step, the resolution stays minute):
    AAPL daily is repeated every minute until BAC daily, added at 12:00 on Mar 26, makes LEAN recompute
    the resolution without SPY (daily) and restart AAPL: no copy before its next bar, none at minutes after."""

    def initialize(self):
        self.set_start_date(2014, 3, 25)
        self.set_end_date(2014, 3, 27)
        self.add_equity("SPY", Resolution.MINUTE)
        self.add_equity("AAPL", Resolution.DAILY)
        self.ends = []

    def on_data(self, data):
        if "AAPL" in data.bars:
            self.ends.append(data.bars["AAPL"].end_time)
        if self.time == datetime(2014, 3, 26, 12) and "BAC" not in self.securities:
            self.add_equity("BAC", Resolution.DAILY)


def test_an_empty_stream_keeps_the_resolution_until_a_recomputation(lean_data_folder):
    algorithm, _, _ = run_algorithm(_EmptyMinuteStream, lean_data_folder)
    ends = algorithm.ends
    assert ends[0] == datetime(2014, 3, 25, 16)
    on_26th = [t for t in ends if t.date() == datetime(2014, 3, 26).date()]
    # copies 09:31 .. 12:00 (150), the restart at 12:00, then the real bar at 16:00
    assert len(on_26th) == 151
    assert on_26th[0] == datetime(2014, 3, 26, 9, 31) and on_26th[-2] == datetime(2014, 3, 26, 12)
    assert on_26th[-1] == datetime(2014, 3, 26, 16)
    assert [t for t in ends if t.date() == datetime(2014, 3, 27).date()] == [datetime(2014, 3, 27, 16)]


class _OpenOrderOverCopies(QCAlgorithm):
    """A market-on-open order for AAPL daily placed at Oct 7 16:00 on a minute feed: the copies of Oct
    7's bar from 09:31 on do not fill it (LEAN's fill model reads the security cache, which holds real
    bars only, and that bar started before the order); Oct 8's bar at 16:00 does, at its open."""

    def initialize(self):
        self.set_start_date(2013, 10, 7)
        self.set_end_date(2013, 10, 8)
        self.add_equity("SPY", Resolution.MINUTE)
        self.add_equity("AAPL", Resolution.DAILY)
        self.fills = []

    def on_data(self, data):
        if self.time == datetime(2013, 10, 7, 16):
            self.market_on_open_order("AAPL", 100)

    def on_order_event(self, order_event):
        if order_event.status == OrderStatus.FILLED:
            self.fills.append((self.time, order_event.fill_price))


def test_a_market_on_open_order_waits_for_a_real_bar(lean_data_folder):
    algorithm, _, _ = run_algorithm(_OpenOrderOverCopies, lean_data_folder)
    # Oct 8's open 489.61 x the factor file's row of 2013-11-05 (price 0.8856747, split 1/28)
    assert algorithm.fills == [(datetime(2013, 10, 8, 16), pytest.approx(489.61 * 0.8856747 * 0.0357143, rel=1e-6))]


class _UniverseOverAnEmptyStream(QCAlgorithm):
    """add_equity(SPY) at minute resolution (no minute file in March 2014), then a coarse universe with
    daily settings that selects SPY: LEAN adds the universe's daily subscription to the security, whose
    price comes from it (the minute stream ends without data)."""

    def initialize(self):
        self.set_start_date(2014, 3, 25)
        self.set_end_date(2014, 3, 26)
        self.add_equity("SPY")  # the universe settings' default: minute
        self.add_universe(lambda coarse: [c.symbol for c in coarse if c.symbol.value == "SPY"])
        self.universe_settings.resolution = Resolution.DAILY
        self.seen = []

    def on_data(self, data):
        if "SPY" in data.bars:
            bar = data.bars["SPY"]
            self.seen.append((bar.end_time, bar.is_fill_forward, self.securities["SPY"].price))


def test_a_universe_subscription_gives_data_to_a_security_whose_stream_is_empty(lean_data_folder):
    algorithm, _, _ = run_algorithm(_UniverseOverAnEmptyStream, lean_data_folder)
    assert algorithm.securities["SPY"].resolution == Resolution.DAILY
    seen = algorithm.seen
    # Mar 25's bar at 16:00 (close 186.31 x the factor file's 2014-06-19 row 0.8732290), then repeated
    # every minute of Mar 26 (the ended minute stream set the feed's resolution), then Mar 26's bar
    assert seen[0] == (datetime(2014, 3, 25, 16), False, pytest.approx(186.31 * 0.8732290, rel=1e-9))
    assert len(seen) == 1 + 389 + 1
    assert seen[1][:2] == (datetime(2014, 3, 26, 9, 31), True)
    assert seen[-1] == (datetime(2014, 3, 26, 16), False, pytest.approx(184.97 * 0.8732290, rel=1e-9))


class _RemovedThenDelisted(QCAlgorithm):
    """GOOAV (its map file ends 2014-04-02) is removed on 2014-03-26 and delists a week later."""

    def initialize(self):
        self.set_start_date(2014, 3, 24)
        self.set_end_date(2014, 4, 10)
        self.add_equity("SPY", Resolution.DAILY)
        self.gooav = self.add_equity("GOOAV", Resolution.DAILY).symbol
        self.daily_counts = []

    def on_data(self, data):
        if self.time.date() == datetime(2014, 3, 26).date():
            self.remove_security(self.gooav)
        self.daily_counts.append(self._run.fill_forward_resolution.count(Resolution.DAILY))


def test_a_removed_subscription_that_delists_later_leaves_the_count_once(lean_data_folder):
    """LEAN's collection no longer holds a removed subscription: its delisting does not take it out again
    (counted twice, the daily count would reach 0 with SPY still subscribed)."""
    algorithm, _, _ = run_algorithm(_RemovedThenDelisted, lean_data_folder)
    assert algorithm.daily_counts[0] == 2
    assert algorithm.daily_counts[-1] == 1
