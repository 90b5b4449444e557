"""Exchange calendars: LEAN's market-hours database and our own rule-based US calendar.

Two sources, one object model:

* :class:`MarketHoursDatabase` reads ``market-hours/market-hours-database.json`` (LEAN's format:
  ``{"entries": {"<SecurityType>-<market>-<symbol>": {...}}}``, with ``[*]`` entries as the
  fallback for a security type and market).
* :func:`us_equity_holidays` / :func:`generated_market_hours` build calendars from NYSE rules, so
  data folders we generate carry their own ``market-hours-database.json``
  (:func:`write_market_hours_database`) instead of a copy of LEAN's.

All times are naive and in the exchange's time zone (``exchange_time_zone``); dates are naive
midnight timestamps.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.atomic import atomic_write

__all__ = [
    "MarketHoursEntry",
    "MarketHoursDatabase",
    "Segment",
    "us_equity_holidays",
    "us_equity_early_closes",
    "us_equity_entry",
    "us_index_entry",
    "forex_entry",
    "generated_market_hours",
    "write_market_hours_database",
    "WEEKDAYS",
    "US_SPECIAL_CLOSURES",
]

#: LEAN's json keys for the weekdays, Monday first (``date.weekday()`` order).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: NYSE closures outside the holiday rules (national mourning days, September 11, Hurricane Sandy).
US_SPECIAL_CLOSURES = (
    "2001-09-11",
    "2001-09-12",
    "2001-09-13",
    "2001-09-14",
    "2004-06-11",
    "2007-01-02",
    "2012-10-29",
    "2012-10-30",
    "2018-12-05",
    "2025-01-09",
)


@dataclass(frozen=True)
class Segment:
    """One part of a trading day: ``[start, end)`` after midnight, ``state`` one of
    ``premarket``, ``market``, ``postmarket`` (LEAN's ``MarketHoursSegment``)."""

    start: dt.timedelta
    end: dt.timedelta
    state: str


def _parse_timespan(text: str) -> dt.timedelta:
    """LEAN's TimeSpan text: ``HH:MM:SS``, ``D.HH:MM:SS`` or ``D:HH:MM:SS`` (``1.00:00:00`` is the
    midnight that ends the day)."""
    days = 0
    if "." in text.split(":")[0]:
        day_text, text = text.split(".", 1)
        days = int(day_text)
    parts = text.split(":")
    if len(parts) == 4:
        days += int(parts[0])
        parts = parts[1:]
    if len(parts) != 3:
        raise ValueError(f"not a time span: {text!r}")
    hours, minutes, seconds = (float(part) for part in parts)
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _format_timespan(span: dt.timedelta) -> str:
    total = int(span.total_seconds())
    days, rest = divmod(total, 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}.{text}" if days else text


def _parse_date(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.strptime(text, "%m/%d/%Y"))


def _format_date(day: pd.Timestamp) -> str:
    return f"{day.month}/{day.day}/{day.year}"


@dataclass
class MarketHoursEntry:
    """Exchange hours of one (security type, market, symbol) entry.

    Attributes
    ----------
    exchange_time_zone, data_time_zone : str
        IANA names (the data's timestamps are in ``data_time_zone``).
    segments : dict[int, list[Segment]]
        Per weekday (0 = Monday) the day's segments in exchange time.
    holidays : pd.DatetimeIndex
        Full-day closures (sorted, unique).
    early_closes, late_opens : dict[pd.Timestamp, datetime.timedelta]
        The regular market closes (opens) at this time after midnight on these dates.
    """

    exchange_time_zone: str
    data_time_zone: str
    segments: dict[int, list[Segment]]
    holidays: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    early_closes: dict[pd.Timestamp, dt.timedelta] = field(default_factory=dict)
    late_opens: dict[pd.Timestamp, dt.timedelta] = field(default_factory=dict)
    bank_holidays: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def from_json(cls, raw: dict) -> MarketHoursEntry:
        """Build from one entry of LEAN's json."""
        segments = {
            i: [
                Segment(_parse_timespan(s["start"]), _parse_timespan(s["end"]), s["state"])
                for s in raw.get(name, [])
            ]
            for i, name in enumerate(WEEKDAYS)
        }
        return cls(
            exchange_time_zone=raw["exchangeTimeZone"],
            data_time_zone=raw.get("dataTimeZone", raw["exchangeTimeZone"]),
            segments=segments,
            holidays=pd.DatetimeIndex(sorted({_parse_date(d) for d in raw.get("holidays", [])})),
            early_closes={_parse_date(d): _parse_timespan(t) for d, t in raw.get("earlyCloses", {}).items()},
            late_opens={_parse_date(d): _parse_timespan(t) for d, t in raw.get("lateOpens", {}).items()},
            bank_holidays=pd.DatetimeIndex(sorted({_parse_date(d) for d in raw.get("bankHolidays", [])})),
        )

    def to_json(self) -> dict:
        """LEAN's json form of this entry."""
        out: dict = {"dataTimeZone": self.data_time_zone, "exchangeTimeZone": self.exchange_time_zone}
        for name in WEEKDAYS[6:] + WEEKDAYS[:6]:  # LEAN's files list Sunday first
            day = WEEKDAYS.index(name)
            out[name] = [
                {"start": _format_timespan(s.start), "end": _format_timespan(s.end), "state": s.state}
                for s in self.segments.get(day, [])
            ]
        out["holidays"] = [_format_date(d) for d in self.holidays]
        out["earlyCloses"] = {
            _format_date(d): _format_timespan(t) for d, t in sorted(self.early_closes.items())
        }
        out["lateOpens"] = {_format_date(d): _format_timespan(t) for d, t in sorted(self.late_opens.items())}
        if len(self.bank_holidays):
            out["bankHolidays"] = [_format_date(d) for d in self.bank_holidays]
        return out

    # --- regular hours ----------------------------------------------------------------------

    def market_segments(self, weekday: int) -> list[Segment]:
        """The regular-market segments of a weekday (0 = Monday)."""
        return [s for s in self.segments.get(weekday, []) if s.state == "market"]

    def regular_open(self, weekday: int) -> dt.timedelta | None:
        """Regular market open after midnight on a weekday; None if the market is closed that weekday."""
        market = self.market_segments(weekday)
        return market[0].start if market else None

    def regular_close(self, weekday: int) -> dt.timedelta | None:
        """Regular market close after midnight on a weekday (``1 day`` = midnight at the end)."""
        market = self.market_segments(weekday)
        return market[-1].end if market else None

    @cached_property
    def _holiday_days(self) -> np.ndarray:
        return pd.DatetimeIndex(self.holidays).normalize().asi8

    def is_holiday(self, day) -> bool:
        """True when ``day`` (any time) is a full-day holiday."""
        return bool(np.isin(pd.Timestamp(day).normalize().value, self._holiday_days))

    # --- calendars --------------------------------------------------------------------------

    def trading_days(self, start, end) -> pd.DatetimeIndex:
        """Days in ``[start, end]`` with a regular market session (weekday has one, not a holiday)."""
        days = pd.date_range(
            pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D", name="date"
        )
        open_weekdays = np.array([bool(self.market_segments(i)) for i in range(7)])
        keep = open_weekdays[days.weekday.to_numpy()] & ~np.isin(days.asi8, self._holiday_days)
        return days[keep]

    def sessions(self, start, end) -> pd.DataFrame:
        """Regular-market sessions touching the days ``[start, end]``.

        Returns
        -------
        pd.DataFrame
            Columns ``open``, ``close`` (exchange-time timestamps), one row per continuous open
            interval; segments that meet at midnight (forex Sunday to Friday) are merged. Early
            closes and late opens are applied.
        """
        intervals: list[list[pd.Timestamp]] = []
        holidays = set(self._holiday_days.tolist())
        for day in pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D"):
            if day.value in holidays:
                continue
            early = self.early_closes.get(day)
            late = self.late_opens.get(day)
            for seg in self.market_segments(day.weekday()):
                begin, finish = seg.start, seg.end
                if late is not None:
                    begin = max(begin, late)
                if early is not None:
                    finish = min(finish, early)
                if finish <= begin:
                    continue
                lo, hi = day + begin, day + finish
                if intervals and intervals[-1][1] == lo:
                    intervals[-1][1] = hi
                else:
                    intervals.append([lo, hi])
        frame = pd.DataFrame(intervals, columns=["open", "close"])
        return frame.astype("datetime64[ns]") if len(frame) else frame

    def is_open(self, when, extended: bool = False) -> bool:
        """True when the market is open at ``when`` (exchange time, naive).

        With ``extended`` the pre- and post-market segments count as open.
        """
        when = pd.Timestamp(when)
        day = when.normalize()
        if self.is_holiday(day):
            return False
        offset = when - day
        early = self.early_closes.get(day)
        late = self.late_opens.get(day)
        for seg in self.segments.get(day.weekday(), []):
            if seg.state != "market" and not extended:
                continue
            begin, finish = seg.start, seg.end
            if seg.state == "market":
                if late is not None:
                    begin = max(begin, late)
                if early is not None:
                    finish = min(finish, early)
            if begin <= offset < finish:
                return True
        return False

    def next_open(self, when, max_days: int = 30) -> pd.Timestamp:
        """The first regular-market open strictly after ``when`` (a continuation across midnight is not an open)."""
        when = pd.Timestamp(when)
        sessions = self.sessions(when - pd.Timedelta(days=7), when + pd.Timedelta(days=max_days))
        later = sessions[sessions["open"] > when]
        if later.empty:
            raise ValueError(f"no market open within {max_days} days after {when}")
        return later["open"].iloc[0]

    def previous_close(self, when, max_days: int = 30) -> pd.Timestamp:
        """The last regular-market close at or before ``when``."""
        when = pd.Timestamp(when)
        sessions = self.sessions(when - pd.Timedelta(days=max_days), when + pd.Timedelta(days=7))
        earlier = sessions[sessions["close"] <= when]
        if earlier.empty:
            raise ValueError(f"no market close within {max_days} days before {when}")
        return earlier["close"].iloc[-1]

    def session_bounds(self, days) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
        """Regular open and close (exchange time) of each given trading day, early closes and late opens applied.

        Vectorized over ``days`` for single-segment markets (equity, index); a weekday without a
        market segment gives NaT.
        """
        days = pd.DatetimeIndex(days).normalize()
        opens = np.array(
            [np.timedelta64(self.regular_open(i) or dt.timedelta(0), "ns") for i in range(7)], dtype="m8[ns]"
        )
        closes = np.array(
            [np.timedelta64(self.regular_close(i) or dt.timedelta(0), "ns") for i in range(7)], dtype="m8[ns]"
        )
        weekday = days.weekday.to_numpy()
        open_at = days.to_numpy() + opens[weekday]
        close_at = days.to_numpy() + closes[weekday]
        for day, span in self.early_closes.items():
            close_at[days == day] = np.datetime64(day + span, "ns")
        for day, span in self.late_opens.items():
            open_at[days == day] = np.datetime64(day + span, "ns")
        closed = np.array([self.regular_open(i) is None for i in range(7)])[weekday]
        open_at[closed] = np.datetime64("NaT")
        close_at[closed] = np.datetime64("NaT")
        return pd.DatetimeIndex(open_at), pd.DatetimeIndex(close_at)


class MarketHoursDatabase:
    """LEAN's market-hours database: entries keyed by ``(security type, market, symbol)``.

    Entries read from json are parsed on first use (LEAN's file has hundreds).
    """

    def __init__(self, entries: dict[str, MarketHoursEntry | dict]) -> None:
        self._lookup: dict[str, MarketHoursEntry | dict] = {
            key.lower(): value for key, value in entries.items()
        }
        self.keys = list(entries)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MarketHoursDatabase:
        """Read ``market-hours-database.json``."""
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
        return cls(raw["entries"])

    @classmethod
    def from_data_folder(cls, data_folder: str | os.PathLike[str]) -> MarketHoursDatabase:
        """The data folder's database, or our generated one when the folder has none."""
        path = Path(data_folder) / "market-hours" / "market-hours-database.json"
        if path.exists():
            return cls.from_file(path)
        return cls(generated_market_hours())

    def get_entry(self, security_type: str, market: str, symbol: str = "[*]") -> MarketHoursEntry:
        """The symbol's entry, else the ``[*]`` entry of its security type and market.

        Raises
        ------
        KeyError
            Neither exists.
        """
        for key in (f"{security_type}-{market}-{symbol}".lower(), f"{security_type}-{market}-[*]".lower()):
            found = self._lookup.get(key)
            if isinstance(found, dict):
                found = self._lookup[key] = MarketHoursEntry.from_json(found)
            if found is not None:
                return found
        raise KeyError(f"no market hours for {security_type}-{market}-{symbol} or its [*] entry")


# ---------------------------------------------------------------------------------------------
# our own US calendar, from NYSE rules


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> pd.Timestamp:
    first = pd.Timestamp(year, month, 1)
    return first + pd.Timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> pd.Timestamp:
    last = pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0)
    return last - pd.Timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> pd.Timestamp:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return pd.Timestamp(year, month, day)


def _observed(day: pd.Timestamp) -> pd.Timestamp:
    """NYSE weekend rule: Saturday holidays move to Friday, Sunday holidays to Monday."""
    if day.weekday() == 5:
        return day - pd.Timedelta(days=1)
    if day.weekday() == 6:
        return day + pd.Timedelta(days=1)
    return day


def us_equity_holidays(start_year: int = 1998, end_year: int = 2030) -> pd.DatetimeIndex:
    """NYSE full-day closures in ``[start_year, end_year]`` from the holiday rules.

    New Year's Day (a Saturday New Year is not moved back into December, NYSE rule 7.2), Martin
    Luther King Jr. Day (third Monday of January, observed by NYSE since 1998), Washington's
    Birthday (third Monday of February), Good Friday, Memorial Day (last Monday of May),
    Juneteenth (June 19 from 2022), Independence Day, Labor Day (first Monday of September),
    Thanksgiving (fourth Thursday of November), Christmas; weekend dates observed on the nearest
    weekday; plus :data:`US_SPECIAL_CLOSURES`.
    """
    days = []
    for year in range(start_year, end_year + 1):
        new_year = pd.Timestamp(year, 1, 1)
        if new_year.weekday() != 5:
            days.append(_observed(new_year))
        if year >= 1998:
            days.append(_nth_weekday(year, 1, 0, 3))
        days.append(_nth_weekday(year, 2, 0, 3))
        days.append(_easter(year) - pd.Timedelta(days=2))
        days.append(_last_weekday(year, 5, 0))
        if year >= 2022:
            days.append(_observed(pd.Timestamp(year, 6, 19)))
        days.append(_observed(pd.Timestamp(year, 7, 4)))
        days.append(_nth_weekday(year, 9, 0, 1))
        days.append(_nth_weekday(year, 11, 3, 4))
        days.append(_observed(pd.Timestamp(year, 12, 25)))
    days += [pd.Timestamp(d) for d in US_SPECIAL_CLOSURES if start_year <= int(d[:4]) <= end_year]
    return pd.DatetimeIndex(sorted(set(days)), name="date")


def us_equity_early_closes(
    start_year: int = 1999, end_year: int = 2030, close: dt.timedelta = dt.timedelta(hours=13)
) -> dict[pd.Timestamp, dt.timedelta]:
    """NYSE 13:00 early closes: July 3 (Monday to Thursday; July 5 in 2002), the day after
    Thanksgiving, Christmas Eve (Monday to Thursday), and 2003-12-26. LEAN's database lists
    them from 1999; so do we."""
    days = []
    for year in range(max(start_year, 1999), end_year + 1):
        if year == 2002:
            days.append(pd.Timestamp(2002, 7, 5))
        else:
            july3 = pd.Timestamp(year, 7, 3)
            if july3.weekday() <= 3:
                days.append(july3)
        days.append(_nth_weekday(year, 11, 3, 4) + pd.Timedelta(days=1))
        eve = pd.Timestamp(year, 12, 24)
        if eve.weekday() <= 3:
            days.append(eve)
        if year == 2003:
            days.append(pd.Timestamp(2003, 12, 26))
    holidays = set(us_equity_holidays(start_year, end_year))
    return {d: close for d in sorted(days) if d not in holidays}


def _weekday_segments(start: dt.timedelta, end: dt.timedelta) -> dict[int, list[Segment]]:
    return {i: ([Segment(start, end, "market")] if i < 5 else []) for i in range(7)}


def us_equity_entry(start_year: int = 1998, end_year: int = 2030) -> MarketHoursEntry:
    """``Equity-usa-[*]``: New York, pre-market 04:00, regular 09:30-16:00, post-market to 20:00."""
    hour = dt.timedelta(hours=1)
    segments = {
        i: (
            [
                Segment(4 * hour, 9.5 * hour, "premarket"),
                Segment(9.5 * hour, 16 * hour, "market"),
                Segment(16 * hour, 20 * hour, "postmarket"),
            ]
            if i < 5
            else []
        )
        for i in range(7)
    }
    return MarketHoursEntry(
        exchange_time_zone="America/New_York",
        data_time_zone="America/New_York",
        segments=segments,
        holidays=us_equity_holidays(start_year, end_year),
        early_closes=us_equity_early_closes(start_year, end_year),
    )


def us_index_entry(start_year: int = 1998, end_year: int = 2030) -> MarketHoursEntry:
    """``Index-usa-[*]``: CBOE indices in Chicago time, 08:30-15:15 (VIX's bar ends 16:15 New York),
    the NYSE holidays, early closes at 12:00 Chicago."""
    hour = dt.timedelta(hours=1)
    return MarketHoursEntry(
        exchange_time_zone="America/Chicago",
        data_time_zone="America/Chicago",
        segments=_weekday_segments(8.5 * hour, 15.25 * hour),
        holidays=us_equity_holidays(start_year, end_year),
        early_closes=dict.fromkeys(us_equity_early_closes(start_year, end_year), 12 * hour),
    )


#: LEAN's ``Forex-oanda-[*]`` calendar (its ``market-hours-database.json``, the file ``lean init``
#: installs): days Oanda is closed, days it closes early and days it reopens late (New York times).
#: Irregular (a holiday is listed only where Oanda closed), so kept as dates, not rules.
OANDA_HOLIDAYS = (
    "2005-01-01", "2010-01-01", "2011-01-01", "2013-01-01", "2016-01-01", "2017-01-01", "2021-01-01",
    "2023-01-01", "2023-01-02", "2010-12-25", "2012-12-25", "2015-12-25", "2016-12-25", "2020-12-25",
    "2022-12-25", "2022-12-26", "2023-12-24", "2023-12-31",
)
OANDA_EARLY_CLOSES = {
    **dict.fromkeys(("2005-12-29", "2005-12-30", "2007-12-31", "2008-12-31", "2009-12-31", "2010-12-31",
                     "2011-12-30", "2017-12-29", "2018-12-24", "2018-12-31", "2019-12-24", "2019-12-31",
                     "2020-12-24", "2020-12-31", "2021-12-31", "2024-12-24", "2024-12-31", "2025-12-24",
                     "2025-12-31"), "17:00:00"),
    **dict.fromkeys(("2012-12-31", "2013-12-31", "2014-12-31", "2015-12-31", "2016-12-30"), "14:00:00"),
}
OANDA_LATE_OPENS = {
    **dict.fromkeys(("2018-12-25", "2019-01-01", "2019-12-25", "2020-01-01", "2023-12-25", "2024-01-01"),
                    "17:00:00"),
    **dict.fromkeys(("2024-12-25", "2025-01-01", "2025-12-25", "2026-01-01"), "17:05:00"),
}


def forex_entry() -> MarketHoursEntry:
    """``Forex-oanda-[*]``: LEAN's Oanda hours and calendar, data in UTC.

    Open Sunday 17:03 to Friday 16:58 New York with a daily break 16:58-17:03: each weekday is its
    own session, so a market-on-close order fills at that day's close, not Friday's. Holidays,
    early closes and late opens are LEAN's (:data:`OANDA_HOLIDAYS`, :data:`OANDA_EARLY_CLOSES`,
    :data:`OANDA_LATE_OPENS`).
    """
    day = dt.timedelta(days=1)
    close = dt.timedelta(hours=16, minutes=58)
    reopen = dt.timedelta(hours=17, minutes=3)
    weekday = [Segment(dt.timedelta(0), close, "market"), Segment(reopen, day, "market")]
    segments: dict[int, list[Segment]] = {i: list(weekday) for i in range(4)}
    segments[4] = [Segment(dt.timedelta(0), close, "market")]
    segments[5] = []
    segments[6] = [Segment(reopen, day, "market")]
    return MarketHoursEntry(
        exchange_time_zone="America/New_York", data_time_zone="UTC", segments=segments,
        holidays=pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in OANDA_HOLIDAYS)),
        early_closes={pd.Timestamp(d): _parse_timespan(t) for d, t in OANDA_EARLY_CLOSES.items()},
        late_opens={pd.Timestamp(d): _parse_timespan(t) for d, t in OANDA_LATE_OPENS.items()},
    )


def generated_market_hours(start_year: int = 1998, end_year: int = 2030) -> dict[str, MarketHoursEntry]:
    """Our entries for generated data folders: ``Equity-usa-[*]``, ``Index-usa-[*]``, ``Forex-oanda-[*]``."""
    return {
        "Equity-usa-[*]": us_equity_entry(start_year, end_year),
        "Index-usa-[*]": us_index_entry(start_year, end_year),
        "Forex-oanda-[*]": forex_entry(),
    }


def write_market_hours_database(
    path: str | os.PathLike[str], entries: dict[str, MarketHoursEntry] | None = None
) -> None:
    """Write LEAN's ``market-hours-database.json`` (atomic) holding ``entries`` (default: ours)."""
    entries = generated_market_hours() if entries is None else entries
    payload = {"entries": {key: entry.to_json() for key, entry in entries.items()}}
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
