"""``schedule.on(date_rule, time_rule, callback)`` with LEAN's date and time rules.

Rules follow ``Common/Scheduling/DateRules.cs`` and ``TimeRules.cs``: with a symbol, dates are the
trading days of that symbol's exchange (holidays from the market-hours database); without one,
calendar days (``month_start()`` is the 1st, ``week_start()`` the Monday). Times are New York.
Events are expanded once into a sorted array of fire times over the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import pandas as pd

from lean_local.engine.common import not_supported
from lean_local.engine.exchange_hours import ExchangeHours

if TYPE_CHECKING:
    from lean_local.engine.run_context import RunContext


class DayOfWeek(IntEnum):
    """.NET's ``System.DayOfWeek`` (Sunday is 0), as ``date_rules.every`` takes it."""

    SUNDAY = 0
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6


@dataclass
class DateRule:
    """A named function ``(start, end) -> list of dates``."""

    name: str
    dates: Callable[[date, date], list[date]]


@dataclass
class TimeRule:
    """A named function ``date -> list of datetimes`` (empty when the rule has no time that day)."""

    name: str
    times: Callable[[date], list[datetime]]


def _calendar_days(start: date, end: date) -> list[date]:
    return [d.date() for d in pd.date_range(start, end, freq="D")]


class DateRules:
    """``self.date_rules``."""

    def __init__(self, hours_for: Callable[[Any], ExchangeHours]) -> None:
        self._hours_for = hours_for

    def _days(self, symbol: Any, start: date, end: date) -> list[date]:
        if symbol is None:
            return _calendar_days(start, end)
        hours = self._hours_for(symbol)
        return [d.date() for d in hours.trading_days(start, end)]

    def every_day(self, symbol: Any = None, extended_market_hours: bool = False) -> DateRule:
        return DateRule(f"{symbol or ''}: EveryDay", lambda s, e: self._days(symbol, s, e))

    def every(self, *days: Any) -> DateRule:
        weekdays = {int(d) for d in (days[0] if len(days) == 1 and isinstance(days[0], list | tuple) else days)}
        # LEAN's DayOfWeek counts Sunday as 0; Python's weekday() counts Monday as 0
        wanted = {(d - 1) % 7 for d in weekdays}
        return DateRule("Every", lambda s, e: [d for d in _calendar_days(s, e) if d.weekday() in wanted])

    def on(self, *args: Any) -> DateRule:
        """``on(year, month, day)`` or ``on(date_or_datetime, ...)`` (LEAN's ``On(params DateTime[])``; a
        Python list of dates is that array, as pythonnet passes it)."""
        if len(args) == 1 and isinstance(args[0], list | tuple):
            args = tuple(args[0])
        if len(args) == 3 and all(isinstance(a, int) for a in args):
            targets = [date(*args)]
        else:
            targets = [a.date() if isinstance(a, datetime) else a for a in args]
        name = ",".join(str(t) for t in targets)
        return DateRule(f"On {name}", lambda s, e: [t for t in targets if s <= t <= e])

    def _period(self, symbol: Any, offset: int, start_of: bool, key: Callable[[date], tuple],
                start: date, end: date) -> list[date]:
        # iterate whole periods so the first/last trading day is judged on the full period
        lo = start - timedelta(days=40)
        hi = end + timedelta(days=40)
        days = self._days(symbol, lo, hi)
        groups: dict[tuple, list[date]] = {}
        for d in days:
            groups.setdefault(key(d), []).append(d)
        out = []
        for members in groups.values():
            ordered = members if start_of else members[::-1]
            if symbol is None:
                first = ordered[0]
                pick = first + timedelta(days=offset if start_of else -offset)
                if key(pick) != key(first):
                    continue
            else:
                if offset >= len(ordered):
                    continue
                pick = ordered[offset]
            if start <= pick <= end:
                out.append(pick)
        return sorted(out)

    def month_start(self, symbol: Any = None, days_offset: int = 0, extended_market_hours: bool = True) -> DateRule:
        if not 0 <= days_offset <= 30:
            raise ValueError("DateRules.MonthStart() : Offset must be between 0 and 30")
        return DateRule(f"{symbol or ''}: MonthStart+{days_offset}",
                        lambda s, e: self._period(symbol, days_offset, True, lambda d: (d.year, d.month), s, e))

    def month_end(self, symbol: Any = None, days_offset: int = 0, extended_market_hours: bool = True) -> DateRule:
        if not 0 <= days_offset <= 30:
            raise ValueError("DateRules.MonthEnd() : Offset must be between 0 and 30")
        return DateRule(f"{symbol or ''}: MonthEnd-{days_offset}",
                        lambda s, e: self._period(symbol, days_offset, False, lambda d: (d.year, d.month), s, e))

    def week_start(self, symbol: Any = None, days_offset: int = 0, extended_market_hours: bool = True) -> DateRule:
        if not 0 <= days_offset <= 6:
            raise ValueError("DateRules.WeekStart() : Offset must be between 0 and 6")
        return DateRule(f"{symbol or ''}: WeekStart+{days_offset}",
                        lambda s, e: self._period(symbol, days_offset, True, _iso_week, s, e))

    def week_end(self, symbol: Any = None, days_offset: int = 0, extended_market_hours: bool = True) -> DateRule:
        if not 0 <= days_offset <= 6:
            raise ValueError("DateRules.WeekEnd() : Offset must be between 0 and 6")
        return DateRule(f"{symbol or ''}: WeekEnd-{days_offset}",
                        lambda s, e: self._period(symbol, days_offset, False, _iso_week, s, e))

    @property
    def today(self) -> DateRule:
        raise not_supported("DateRules", "today")

    def __getattr__(self, name: str) -> Any:
        raise not_supported("DateRules", name)


def _iso_week(d: date) -> tuple:
    iso = d.isocalendar()
    return (iso[0], iso[1])


class TimeRules:
    """``self.time_rules``."""

    def __init__(self, hours_for: Callable[[Any], ExchangeHours]) -> None:
        self._hours_for = hours_for

    def at(self, hour: int, minute: int = 0, second: int = 0, time_zone: Any = None) -> TimeRule:
        if time_zone is not None:
            raise not_supported("TimeRules.at", "time_zone")
        offset = time(hour, minute, second)
        return TimeRule(f"{hour:02d}:{minute:02d}", lambda d: [datetime.combine(d, offset)])

    @property
    def midnight(self) -> TimeRule:
        return self.at(0, 0)

    @property
    def noon(self) -> TimeRule:
        return self.at(12, 0)

    def after_market_open(self, symbol: Any, minutes_after_open: float = 0, extended_market_open: bool = False,
                          ) -> TimeRule:
        hours = self._hours_for(symbol)

        def times(d: date) -> list[datetime]:
            session = hours.session(d)
            if session is None:
                return []
            return [datetime.combine(d, time()) + session[0] + timedelta(minutes=minutes_after_open)]

        return TimeRule(f"{symbol}: {minutes_after_open} min after open", times)

    def before_market_close(self, symbol: Any, minutes_before_close: float = 0,
                            extended_market_close: bool = False) -> TimeRule:
        hours = self._hours_for(symbol)

        def times(d: date) -> list[datetime]:
            session = hours.session(d)
            if session is None:
                return []
            return [datetime.combine(d, time()) + session[1] - timedelta(minutes=minutes_before_close)]

        return TimeRule(f"{symbol}: {minutes_before_close} min before close", times)

    def every(self, interval: timedelta) -> TimeRule:
        if interval <= timedelta(0):
            raise ValueError("TimeRules.every needs a positive interval")
        steps = int(timedelta(days=1) / interval)
        return TimeRule(f"Every {interval}",
                        lambda d: [datetime.combine(d, time()) + i * interval for i in range(steps)])

    def __getattr__(self, name: str) -> Any:
        raise not_supported("TimeRules", name)


class ScheduledEvent:
    """One scheduled callback and its remaining fire times."""

    def __init__(self, name: str, times: list[datetime], callback: Callable[[], Any]) -> None:
        self.name = name
        self.times = times
        self.callback = callback
        self._next = 0
        self.enabled = True
        self.rules: tuple[DateRule, TimeRule] | None = None

    def next_time(self) -> datetime | None:
        return self.times[self._next] if self._next < len(self.times) else None

    def pop(self) -> datetime:
        t = self.times[self._next]
        self._next += 1
        return t


class ScheduleManager:
    """``self.schedule``: events are expanded over ``[start, end]`` when registered."""

    def __init__(self, algorithm: Any, run: RunContext) -> None:
        self._algorithm = algorithm
        self._run = run
        self.events: list[ScheduledEvent] = []

    def on(self, date_rule: DateRule, time_rule: TimeRule, callback: Callable[[], Any]) -> ScheduledEvent:
        event = ScheduledEvent(f"{date_rule.name}: {time_rule.name}", [], callback)
        event.rules = (date_rule, time_rule)
        self.events.append(event)
        if self._run.running:
            self._expand(event, self._algorithm.time)
        return event

    def expand_all(self, start: datetime) -> None:
        """Expand every event's rules from ``start`` to the end date (called when the run starts,
        after ``initialize`` has fixed the dates and the warm-up)."""
        for event in self.events:
            self._expand(event, start)

    def _expand(self, event: ScheduledEvent, start: datetime) -> None:
        end = self._algorithm.end_date
        date_rule, time_rule = event.rules
        event.times = sorted(t for d in date_rule.dates(start.date(), end.date()) for t in time_rule.times(d)
                             if start <= t <= end)
        event._next = 0

    def remove(self, event: ScheduledEvent) -> None:
        event.enabled = False
        if event in self.events:
            self.events.remove(event)

    def due(self, until: datetime, inclusive: bool) -> list[tuple[datetime, int, ScheduledEvent]]:
        """Pop every event time before ``until`` (or at it, when ``inclusive``), in time order."""
        out = []
        for order, event in enumerate(self.events):
            while True:
                t = event.next_time()
                if t is None or t > until or (t == until and not inclusive):
                    break
                out.append((event.pop(), order, event))
        out.sort(key=lambda x: (x[0], x[1]))
        return out

    def __getattr__(self, name: str) -> Any:
        raise not_supported("ScheduleManager", name)
