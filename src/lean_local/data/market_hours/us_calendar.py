"""Our own calendars, from NYSE rules and LEAN's Oanda hours, for the data folders we generate, and the
writer of their ``market-hours-database.json``."""

from __future__ import annotations

import datetime as dt
import json
import os

import pandas as pd

from lean_local.atomic import atomic_write
from lean_local.data.market_hours.entry import MarketHoursEntry, Segment, parse_timespan

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
        early_closes={pd.Timestamp(d): parse_timespan(t) for d, t in OANDA_EARLY_CLOSES.items()},
        late_opens={pd.Timestamp(d): parse_timespan(t) for d, t in OANDA_LATE_OPENS.items()},
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
