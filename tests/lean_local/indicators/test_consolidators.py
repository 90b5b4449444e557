"""Consolidator bar boundaries (LEAN ``Common/Data/Consolidators``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lean_local.consolidators import (
    Calendar,
    RangeConsolidator,
    RenkoConsolidator,
    TradeBarConsolidator,
)
from lean_local.consolidators.timeless import closest_multiple
from lean_local.engine.common import Symbol
from lean_local.engine.slice import TradeBar

SPY = Symbol("SPY")


def daily(day: datetime, o, h, l, c, v=100.0) -> TradeBar:  # noqa: E741
    bar = TradeBar(day.replace(hour=9, minute=30), SPY, o, h, l, c, v, timedelta(hours=6, minutes=30))
    return bar


def collect(consolidator):
    out = []
    consolidator.data_consolidated += lambda sender, bar: out.append(bar)
    return out


DAYS = [datetime(2013, 10, 7) + timedelta(days=k) for k in range(12) if (datetime(2013, 10, 7) + timedelta(days=k)).weekday() < 5]


def test_count_consolidator_merges_n_bars():
    consolidator = TradeBarConsolidator(3)
    out = collect(consolidator)
    for k, day in enumerate(DAYS[:7]):
        consolidator.update(daily(day, 10 + k, 12 + k, 9 + k, 11 + k))
    assert len(out) == 2
    first = out[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (10, 14, 9, 13, 300)
    assert first.time == DAYS[0].replace(hour=9, minute=30) and first.end_time == DAYS[2].replace(hour=16)
    assert consolidator.consolidated is out[1] and consolidator.working_data.open == 16


def test_weekly_calendar_consolidator_emits_on_the_next_week():
    consolidator = TradeBarConsolidator(Calendar.WEEKLY)
    out = collect(consolidator)
    for k, day in enumerate(DAYS):  # Mon 7 Oct .. Tue 22 Oct
        consolidator.update(daily(day, 10 + k, 11 + k, 9 + k, 10.5 + k))
    assert len(out) == 1
    week = out[0]
    assert week.time == datetime(2013, 10, 7) and week.end_time == datetime(2013, 10, 14)
    assert (week.open, week.close, week.high, week.low) == (10, 14.5, 15, 9)
    consolidator.scan(datetime(2013, 10, 21, 0, 0, 1))
    assert len(out) == 2 and out[1].time == datetime(2013, 10, 14)


def test_timedelta_consolidator_rounds_bar_start_and_scans():
    consolidator = TradeBarConsolidator(timedelta(days=1))
    out = collect(consolidator)
    consolidator.update(daily(DAYS[0], 1, 2, 0.5, 1.5))
    consolidator.scan(DAYS[0].replace(hour=16))
    assert out == []
    consolidator.scan(DAYS[1])
    assert len(out) == 1 and out[0].time == DAYS[0] and out[0].end_time == DAYS[1]


def test_calendar_monthly_and_period_validation():
    info = Calendar.MONTHLY(datetime(2013, 2, 14, 10))
    assert info.start == datetime(2013, 2, 1) and info.end == datetime(2013, 3, 1)
    assert Calendar.WEEKLY(datetime(2013, 10, 13)).start == datetime(2013, 10, 7)  # a Sunday
    with pytest.raises(ValueError):
        TradeBarConsolidator(timedelta(hours=1)).update(daily(DAYS[0], 1, 1, 1, 1))


def test_range_consolidator_bars_span_exactly_the_range(monkeypatch):
    consolidator = RangeConsolidator(100)  # 100 ticks of 0.01 = 1.00
    out = collect(consolidator)
    closes = [100.2, 100.6, 101.3, 101.9, 103.6, 102.0]
    for k, close in enumerate(closes):
        consolidator.update(daily(DAYS[k], close, close, close, close))
    assert consolidator.range_size == pytest.approx(1.0)
    # opens at ceil(100.2) = 101; 101.3 - 100.2 ... first bar [100.2, 101.2] closes at 101.2
    assert [round(b.high - b.low, 2) for b in out] == [1.0] * len(out)
    assert len(out) >= 2
    assert out[0].close == pytest.approx(out[0].low + 1.0) or out[0].close == pytest.approx(out[0].high - 1.0)


def test_renko_bricks():
    assert closest_multiple(10.4, 1.0) == 10.0 and closest_multiple(10.6, 1.0) == 11.0
    renko = RenkoConsolidator(1.0)
    out = collect(renko)
    for k, price in enumerate([10.0, 10.5, 11.2, 13.1, 12.5, 10.9]):
        renko.update(daily(DAYS[k], price, price, price, price))
    # rising bricks 10->11 (at 11.2), 11->12 and 12->13 (at 13.1); 12.5 does not reverse; a reversal
    # needs a close below the last brick's open minus the size (12 - 1): 10.9 gives the brick 12 -> 11
    assert [(b.open, b.close) for b in out] == [(10, 11), (11, 12), (12, 13), (12, 11)]
    assert [b.direction.name for b in out] == ["RISING", "RISING", "RISING", "FALLING"]
    with pytest.raises(ValueError):
        RenkoConsolidator(0)
