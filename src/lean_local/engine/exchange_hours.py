"""Exchange hours: an exchange's regular sessions, holidays, early closes and late opens in New York
time (``ExchangeHours``, built from a market-hours database entry), and LEAN's ``SecurityExchange``
(``Exchange``: the hours plus the current time)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine.subscription_data import NEW_YORK


@dataclass
class ExchangeHours:
    """Regular trading hours of one exchange, in New York time.

    ``segments`` maps a weekday (0 = Monday) to its regular-market ``(start, end)`` offsets from
    midnight (``end`` may be 24 h: the session continues into the next day, as forex from Sunday
    to Friday). Holidays close the whole day; ``early_closes`` / ``late_opens`` move the day's last
    close / first open. ``always_open`` marks exchanges that never close (custom data).
    ``time_zone`` is the exchange's own: its dates are that zone's days and the offsets are New York
    time at the zones' January difference ``shift``; :meth:`session_times` converts each date's
    session exactly (daylight saving time included).
    """

    segments: dict[int, list[tuple[timedelta, timedelta]]]
    holidays: frozenset[date] = frozenset()
    early_closes: dict[date, timedelta] = field(default_factory=dict)
    late_opens: dict[date, timedelta] = field(default_factory=dict)
    always_open: bool = False
    time_zone: str = NEW_YORK
    shift: timedelta = timedelta(0)

    def day_segments(self, day: date) -> list[tuple[timedelta, timedelta]]:
        """The regular-market segments of ``day`` with early closes and late opens applied."""
        memo = self.__dict__.setdefault("_segments_memo", {})
        found = memo.get(day)
        if found is None:
            found = memo[day] = self._day_segments(day)
        return found

    def _day_segments(self, day: date) -> list[tuple[timedelta, timedelta]]:
        if self.always_open:
            return [(timedelta(0), timedelta(days=1))]
        if day in self.holidays:
            return []
        segs = list(self.segments.get(day.weekday(), []))
        if not segs:
            return []
        late = self.late_opens.get(day)
        early = self.early_closes.get(day)
        if late is not None:
            segs[0] = (max(segs[0][0], late), segs[0][1])
        if early is not None:
            segs = [(a, min(b, early)) for a, b in segs if a < early]
        return [(a, b) for a, b in segs if b > a]

    def session(self, day: date) -> tuple[timedelta, timedelta] | None:
        """``(first open, last close)`` of ``day``, or None when closed all day."""
        segs = self.day_segments(day)
        return (segs[0][0], segs[-1][1]) if segs else None

    def is_trading_day(self, day: date) -> bool:
        return bool(self.day_segments(day))

    def date_time_is_open(self, moment: datetime) -> bool:
        """Is the regular market open at ``moment`` (open inclusive, close exclusive)?"""
        # memoized per moment: the hours never change, and each order asks about the same few clock times
        memo = self.__dict__.setdefault("_open_memo", {})
        found = memo.get(moment)
        if found is None:
            found = memo[moment] = self._date_time_is_open(moment)
        return found

    def _date_time_is_open(self, moment: datetime) -> bool:
        if self.always_open:
            return True
        offset = moment - datetime.combine(moment.date(), time())
        return any(a <= offset < b for a, b in self.day_segments(moment.date()))

    def next_market_close(self, moment: datetime) -> datetime:
        """The first regular market close strictly after ``moment`` (LEAN ``GetNextMarketClose``).

        A segment ending at midnight that the next day's first segment continues is not a close.
        """
        memo = self.__dict__.setdefault("_close_memo", {})
        found = memo.get(moment)
        if found is None:
            found = memo[moment] = self._next_market_close(moment)
        return found

    def _next_market_close(self, moment: datetime) -> datetime:
        day = moment.date()
        for _ in range(30):
            segs = self.day_segments(day)
            for k, (_, end) in enumerate(segs):
                close = datetime.combine(day, time()) + end
                if moment >= close:
                    continue
                if k == len(segs) - 1 and end >= timedelta(days=1):
                    nxt = self.day_segments(day + timedelta(days=1))
                    if nxt and nxt[0][0] <= timedelta(0):
                        continue
                return close
            day += timedelta(days=1)
        raise ValueError(f"no market close within 30 days after {moment}")

    @property
    def key(self) -> str:
        """A fingerprint of these hours (for caches of data timed by them)."""
        cached = self.__dict__.get("_key")
        if cached is None:
            text = repr((sorted(self.segments.items()), sorted(self.holidays), sorted(self.early_closes.items()),
                         sorted(self.late_opens.items()), self.always_open)
                        + ((self.time_zone, self.shift) if self.time_zone != NEW_YORK else ()))
            cached = self.__dict__["_key"] = hashlib.sha1(text.encode()).hexdigest()
        return cached

    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """The hours as arrays, built once: by weekday (has a session, open ns, close ns), the sorted
        holidays (ns), and the sorted (days ns, offsets ns) of the early closes and the late opens."""
        cached = self.__dict__.get("_table_memo")
        if cached is not None:
            return cached
        reg = [self.segments.get(w, []) for w in range(7)]
        has_week = np.array([bool(segs) for segs in reg])
        reg_open = np.array([segs[0][0] // timedelta(microseconds=1) * 1000 if segs else 0 for segs in reg],
                            dtype=np.int64)
        reg_close = np.array([segs[-1][1] // timedelta(microseconds=1) * 1000 if segs else 0 for segs in reg],
                             dtype=np.int64)
        holidays = np.sort(_days_ns(self.holidays))
        specials = []
        for table in (self.early_closes, self.late_opens):
            days = _days_ns(table)
            offsets = np.array([t // timedelta(microseconds=1) * 1000 for t in table.values()], dtype=np.int64)
            order = np.argsort(days)
            specials.append((days[order], offsets[order]))
        cached = self.__dict__["_table_memo"] = (has_week, reg_open, reg_close, holidays, specials)
        return cached

    def _calendar(self, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorized sessions of ``days`` (midnights): (has session, open offset ns, close offset ns).

        Regular hours by weekday, holidays removed, early closes and late opens applied.
        """
        if self.always_open:
            n = len(days)
            return np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64), np.full(n, 86_400 * 10**9, dtype=np.int64)
        has_week, reg_open, reg_close, holidays, specials = self._tables()
        stamps = days.asi8
        weekday = (stamps // _NS_PER_DAY + _EPOCH_WEEKDAY) % 7  # the midnights' weekdays, Monday 0 (as pandas')
        has = has_week[weekday]
        if len(holidays):
            has &= ~np.isin(stamps, holidays)
        opens = reg_open[weekday].copy()
        closes = reg_close[weekday].copy()
        # every position of a day gets its early close or late open (``days`` may repeat a day)
        for (special, offsets), target, pick in ((specials[0], closes, np.minimum), (specials[1], opens, np.maximum)):
            if not len(special):
                continue
            at = np.minimum(np.searchsorted(special, stamps), len(special) - 1)
            hit = special[at] == stamps
            target[hit] = pick(target[hit], offsets[at[hit]])
        return has, opens, closes

    def trading_days(self, start: date, end: date) -> pd.DatetimeIndex:
        """Trading days in ``[start, end]`` (midnights; an immutable index shared by equal calls)."""
        first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        memo = self.__dict__.setdefault("_trading_days_memo", {})
        found = memo.get((first, last))
        if found is None:
            days = pd.date_range(first, last, freq="D")
            has, _, _ = self._calendar(days)
            found = memo[(first, last)] = days[has]
        return found

    def session_times(self, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """Open and close (int64 ns, New York) of each date's session. A date without a session (a
        bar on a holiday) gets its weekday's regular hours, or the first weekday's."""
        raw = pd.DatetimeIndex(dates).asi8
        days = pd.DatetimeIndex(raw - raw % (86_400 * 10**9))
        has, opens, closes = self._calendar(days)
        if not has.all():
            regular = [(segs[0][0], segs[-1][1]) for w, segs in sorted(self.segments.items()) if segs]
            fallback = regular[0] if regular else (timedelta(0), timedelta(days=1))
            weekday = days.weekday.to_numpy()
            for i in np.flatnonzero(~has):
                segs = self.segments.get(int(weekday[i]))
                o, c = (segs[0][0], segs[-1][1]) if segs else fallback
                opens[i] = o // timedelta(microseconds=1) * 1000
                closes[i] = c // timedelta(microseconds=1) * 1000
        if self.time_zone != NEW_YORK:
            # the exchange's local times of each date, converted on that date
            back = self.shift // timedelta(microseconds=1) * 1000
            return tuple(pd.DatetimeIndex(days.asi8 + offsets - back).tz_localize(self.time_zone)
                         .tz_convert(NEW_YORK).tz_localize(None).asi8 for offsets in (opens, closes))
        return days.asi8 + opens, days.asi8 + closes


_NS_PER_DAY = 86_400 * 10**9
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _days_ns(days: Any) -> np.ndarray:
    """Days (``date`` objects, or values ``pd.Timestamp`` takes) as int64 nanoseconds of their midnights (their
    own times for the others); dates by their ordinals (a Timestamp each cost most of the hours' first tables)."""
    if all(type(day) is date for day in days):
        return (np.array([day.toordinal() for day in days], dtype=np.int64) - _EPOCH_ORDINAL) * _NS_PER_DAY
    return pd.DatetimeIndex([pd.Timestamp(day) for day in days]).asi8


def hours_from_entry(entry: Any) -> ExchangeHours:
    """Convert a ``lean_local.data.market_hours.MarketHoursEntry`` to New York time."""
    shift = timedelta(0) if entry.exchange_time_zone == NEW_YORK else _shift_to_new_york(entry.exchange_time_zone)
    segments = {w: [(s.start + shift, s.end + shift) for s in entry.market_segments(w)] for w in range(7)}
    return ExchangeHours(
        {w: segs for w, segs in segments.items() if segs},
        _dates(pd.DatetimeIndex(entry.holidays)),
        {pd.Timestamp(d).date(): t + shift for d, t in entry.early_closes.items()},
        {pd.Timestamp(d).date(): t + shift for d, t in entry.late_opens.items()},
        time_zone=entry.exchange_time_zone,
        shift=shift,
    )


def _shift_to_new_york(zone: str) -> timedelta:
    """New York's wall time minus ``zone``'s (at a winter noon). Not asked for New York's own entries: in a
    new process the first zone conversion cost ~1.9 ms (pandas' and pytz's set-up)."""
    probe = pd.Timestamp("2020-01-15 12:00")
    return (probe.tz_localize(zone).tz_convert(NEW_YORK).tz_localize(None) - probe).to_pytimedelta()


def _dates(days: pd.DatetimeIndex) -> frozenset[date]:
    """The calendar dates of naive ``days`` (numpy's days as ``date`` objects: a Timestamp each cost more)."""
    if days.tz is not None:
        return frozenset(d.date() for d in days)
    return frozenset(days.to_numpy().astype("datetime64[D]").tolist())


def always_open_hours() -> ExchangeHours:
    return ExchangeHours({}, always_open=True)


class Exchange:
    """LEAN's ``SecurityExchange``: the hours plus the current local time."""

    def __init__(self, hours: ExchangeHours, clock: Any) -> None:
        self.hours = hours
        self._clock = clock

    @property
    def exchange_open(self) -> bool:
        return self.hours.date_time_is_open(self._clock.time)

    def date_time_is_open(self, moment: datetime) -> bool:
        return self.hours.date_time_is_open(moment)

    def next_market_close(self, moment: datetime) -> datetime:
        return self.hours.next_market_close(moment)
