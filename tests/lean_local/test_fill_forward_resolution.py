"""LEAN's fill-forward resolution (``SubscriptionCollection.UpdateFillForwardResolution``) and the
restart of the time-triggered universes that fill forward (``DataManager``'s
``FillForwardResolutionChanged`` handler, ``UserDefinedUniverse.GetTriggerTimes``)."""

from __future__ import annotations

from datetime import datetime

from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution, Symbol
from lean_local.engine.fill_forward_resolution import FillForwardResolution
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
