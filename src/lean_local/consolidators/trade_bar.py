"""``TradeBarConsolidator``: bars merged by count, by time period, or by calendar (LEAN
``PeriodCountConsolidatorBase`` + ``TradeBarConsolidator``), and ``Calendar``.

Periods:

* ``TradeBarConsolidator(n)``: every ``n`` input bars; the bar starts at the first input's start
  and ends at the last input's end.
* ``TradeBarConsolidator(timedelta)``: bars start at the input's start rounded down to the period
  (periods up to one day; longer periods start at the first input's start) and last ``period``;
  a bar is emitted by the first input that starts ``period`` or more after the bar's start, or by
  ``scan`` once the clock passes it.
* ``TradeBarConsolidator(n, timedelta)``: whichever comes first.
* ``TradeBarConsolidator(Calendar.WEEKLY)`` (or any ``f(datetime) -> CalendarInfo``): the function
  gives each bar's start and period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lean_local.consolidators.base import ConsolidatorBase
from lean_local.engine.common import Resolution, not_supported
from lean_local.engine.slice import TradeBar

MIN_DATETIME = datetime(1, 1, 1)
ONE_DAY = timedelta(days=1)
RESOLUTION_SPANS = {Resolution.SECOND: timedelta(seconds=1), Resolution.MINUTE: timedelta(minutes=1),
                    Resolution.HOUR: timedelta(hours=1), Resolution.DAILY: ONE_DAY, Resolution.TICK: timedelta(0)}


class CalendarInfo:
    """A calendar bar: its ``start`` and ``period`` (LEAN ``CalendarInfo``)."""

    __slots__ = ("start", "period")

    def __init__(self, start: datetime, period: timedelta) -> None:
        self.start = start
        self.period = period

    @property
    def end(self) -> datetime:
        return self.start + self.period

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CalendarInfo) and (self.start, self.period) == (other.start, other.period)

    def __hash__(self) -> int:
        return hash((self.start, self.period))

    def __repr__(self) -> str:
        return f"{self.start} {self.period}"


def _first_of_month(year: int, month: int) -> datetime:
    year += (month - 1) // 12
    return datetime(year, (month - 1) % 12 + 1, 1)


def _weekly(dt: datetime) -> CalendarInfo:
    days_to_next_monday = 7 - dt.weekday()  # LEAN: Monday 00:00 after dt, minus 7 days
    start = datetime.combine(dt.date(), datetime.min.time()) + timedelta(days=days_to_next_monday - 7)
    return CalendarInfo(start, timedelta(days=7))


def _monthly(dt: datetime) -> CalendarInfo:
    start = datetime(dt.year, dt.month, 1)
    return CalendarInfo(start, _first_of_month(dt.year, dt.month + 1) - start)


def _quarterly(dt: datetime) -> CalendarInfo:
    first = (dt.month - 1) // 3 * 3 + 1
    start = datetime(dt.year, first, 1)
    return CalendarInfo(start, _first_of_month(dt.year, first + 3) - start)


def _yearly(dt: datetime) -> CalendarInfo:
    start = datetime(dt.year, 1, 1)
    return CalendarInfo(start, datetime(dt.year + 1, 1, 1) - start)


class Calendar:
    """LEAN's calendar periods for consolidators: each maps a time to its bar's ``CalendarInfo``."""

    WEEKLY: Callable[[datetime], CalendarInfo] = staticmethod(_weekly)  # type: ignore[assignment]
    MONTHLY: Callable[[datetime], CalendarInfo] = staticmethod(_monthly)  # type: ignore[assignment]
    QUARTERLY: Callable[[datetime], CalendarInfo] = staticmethod(_quarterly)  # type: ignore[assignment]
    YEARLY: Callable[[datetime], CalendarInfo] = staticmethod(_yearly)  # type: ignore[assignment]


def round_down(time: datetime, period: timedelta) -> datetime:
    """``time`` rounded down to a multiple of ``period`` counted from 0001-01-01 (LEAN ``RoundDown``)."""
    if period <= timedelta(0):
        return time
    return time - (time - MIN_DATETIME) % period


class TradeBarConsolidator(ConsolidatorBase):
    """Merges trade bars into larger ones (see the module docstring for the periods).

    Raises
    ------
    ValueError
        A time period shorter than the input bars, or bars of two different symbols.
    """

    def __init__(self, period: Any = None, start_time: Any = None) -> None:
        super().__init__()
        if start_time is not None:
            raise not_supported("TradeBarConsolidator", "start_time (a consolidator with a start time of day)")
        self._max_count: int | None = None
        self._calendar: Callable[[datetime], CalendarInfo] | None = None
        self._period: timedelta | None = None
        if isinstance(period, tuple):
            self._max_count, self._period = int(period[0]), period[1]
        elif isinstance(period, bool):
            raise TypeError("TradeBarConsolidator needs a bar count, a timedelta or a calendar function")
        elif isinstance(period, int):
            self._max_count = period
        elif isinstance(period, timedelta):
            self._period = period
        elif isinstance(period, Resolution):
            self._period = RESOLUTION_SPANS[period]
        elif callable(period):
            check = datetime(2022, 1, 3, 10, 10, 10)
            if period(check).start > check:
                raise ValueError("FuncPeriodSpecification: Please use a function that computes the start of the bar "
                                 "associated with the given date time. Should never return a time later than the one "
                                 "passed in.")
            self._calendar = period
            self._period = timedelta(seconds=1)
        else:
            raise TypeError(f"Unable to create a consolidator period from {period!r}: it is not a supported period type")
        self._mixed = self._max_count is not None and self._period is not None
        self._symbol: Any = None
        self._symbol_set = False
        self._count = 0
        self._working: TradeBar | None = None
        self._last_emit: datetime | None = None
        self._validated = False

    @classmethod
    def from_resolution(cls, resolution: Resolution) -> TradeBarConsolidator:
        return cls(RESOLUTION_SPANS[resolution])

    # -- period helpers -----------------------------------------------------------------------
    @property
    def _time_based(self) -> bool:
        return self._max_count is None

    @property
    def working_data(self) -> TradeBar | None:
        return self._clone(self._working) if self._working is not None else None

    @property
    def working_bar(self) -> TradeBar | None:
        return self.working_data

    def _rounded_time(self, time: datetime) -> datetime:
        if self._calendar is not None:
            info = self._calendar(time)
            self._period = info.period
            start = info.start
        elif self._max_count is not None:  # bar count or mixed mode: no rounding
            start = time
        else:
            assert self._period is not None
            start = time if self._period > ONE_DAY else round_down(time, self._period)
        return start

    def _rounded_bar_time(self, data: Any) -> datetime:
        start = self._rounded_time(data.time)
        if self._period is not None and start + self._period < data.end_time:
            if data.end_time - data.time == timedelta(hours=1) and start.date() < data.time.date():
                start = self._rounded_time(data.end_time)
            else:
                start = data.time
        return start

    # -- updates ------------------------------------------------------------------------------
    def update(self, data: Any) -> None:
        if not self._symbol_set:
            self._symbol_set = True
            self._symbol = data.symbol
        elif data.symbol != self._symbol:
            raise ValueError(f"Consolidators can only be used with a single symbol. The previous consolidated "
                             f"SecurityIdentifier ({self._symbol}) is not the same as in the current data "
                             f"({data.symbol}).")
        if not self._validated and self._period is not None and self._calendar is None and not self._mixed:
            self._validated = True
            if data.end_time - data.time > self._period:
                raise ValueError(f"For Symbol {data.symbol} can not consolidate bars of period: {self._period}, "
                                 f"using data of the same or higher period: {data.end_time - data.time}")
        fire = False
        aggregate_before_fire = self._max_count is not None
        if self._max_count is not None:
            self._count += 1
            if self._count >= self._max_count:
                self._count = 0
                fire = True
        if self._last_emit is None:
            self._last_emit = MIN_DATETIME if self._time_based else data.time
        if self._period is not None:
            if self._working is not None and data.time - self._working.time >= self._period \
                    and self._rounded_bar_time(data) > self._last_emit:
                fire = True
            if self._period == timedelta(0):
                fire = True
                aggregate_before_fire = True
        if aggregate_before_fire and data.time >= self._last_emit:
            self._aggregate(data)
            if self._max_count is not None and self._working is not None:
                self._working.end_time = data.end_time
        if fire:
            if self._working is not None and self._period is not None:
                self._working.period = self._period
            self._last_emit = self._working.end_time if self._time_based and self._working is not None else data.time
            self._emit()
        if not aggregate_before_fire and data.time >= self._last_emit:
            self._aggregate(data)

    def scan(self, current_local_time: datetime) -> None:
        working = self._working
        if working is not None and self._period is not None and self._period != timedelta(0) \
                and current_local_time - working.time >= self._period \
                and self._rounded_time(current_local_time) > self._last_emit:
            self._last_emit = working.end_time
            self._emit()

    def _emit(self) -> None:
        bar = self._working
        self._working = None
        self._on_data_consolidated(bar)

    def _aggregate(self, data: Any) -> None:
        working = self._working
        if working is None:
            start = self._rounded_bar_time(data)
            period = self._period if self._time_based and self._period is not None else data.end_time - data.time
            self._working = TradeBar(start, data.symbol, data.open, data.high, data.low, data.close,
                                     getattr(data, "volume", 0.0), period)
        else:
            working.close = data.close
            working.volume += getattr(data, "volume", 0.0)
            if data.low < working.low:
                working.low = data.low
            if data.high > working.high:
                working.high = data.high

    @staticmethod
    def _clone(bar: TradeBar) -> TradeBar:
        return TradeBar(bar.time, bar.symbol, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.period)

    def reset(self) -> None:
        super().reset()
        self._symbol = None
        self._symbol_set = False
        self._count = 0
        self._working = None
        self._last_emit = None
        self._validated = False
