"""One entry of LEAN's market-hours database: sessions, holidays, early closes and late opens, and
its json form. All times are naive, in the exchange's time zone."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

#: LEAN's json keys for the weekdays, Monday first (``date.weekday()`` order).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Segment:
    """One part of a trading day: ``[start, end)`` after midnight, ``state`` one of
    ``premarket``, ``market``, ``postmarket`` (LEAN's ``MarketHoursSegment``)."""

    start: dt.timedelta
    end: dt.timedelta
    state: str


@functools.lru_cache(maxsize=256)
def parse_timespan(text: str) -> dt.timedelta:
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
    """LEAN's ``M/d/yyyy`` date (the database holds hundreds: ``strptime`` cost most of its load)."""
    month, day, year = text.split("/")
    return pd.Timestamp(int(year), int(month), int(day))


#: ``M/d/yyyy`` dates as LEAN writes the database's, joined by commas: :func:`_parse_days` checks them at once
_DATES = re.compile(r"\d{1,2}/\d{1,2}/\d{4}(?:,\d{1,2}/\d{1,2}/\d{4})*")
#: the days a ``datetime64[ns]`` holds (``pd.Timestamp``'s range): numpy's conversion would wrap beyond
_NS_DAYS = (np.datetime64("1677-09-22", "D"), np.datetime64("2262-04-11", "D"))


def _parse_days(texts: list[str]) -> pd.DatetimeIndex:
    """LEAN's ``M/d/yyyy`` dates, sorted and unique: one match of the texts joined, and numpy computes the days
    from their numbers at once (a match and an ISO text each took most of an entry's conversion, 311 holidays
    in the US equities'); any other text, or a day its month lacks, goes through :func:`_parse_date`, which
    raises as a date of its own would."""
    joined = ",".join(texts)
    if texts and _DATES.fullmatch(joined) is None:
        return _parse_each(texts)
    numbers = np.array(joined.replace(",", "/").split("/") if texts else [], dtype=np.int64)
    if len(numbers) != 3 * len(texts):  # a text holding a comma matched as two dates
        return _parse_each(texts)
    month, day, year = numbers.reshape(-1, 3).T
    months = (year - 1970) * 12 + (month - 1)  # since January 1970
    firsts = months.astype("datetime64[M]").astype("datetime64[D]")
    lengths = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - firsts).astype(np.int64)
    if not ((month >= 1) & (month <= 12) & (day >= 1) & (day <= lengths)).all():
        return _parse_each(texts)
    days = np.unique(firsts + (day - 1))
    if len(days) and (days[0] < _NS_DAYS[0] or days[-1] > _NS_DAYS[1]):
        return _parse_each(texts)
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def _parse_each(texts: list[str]) -> pd.DatetimeIndex:
    """:func:`_parse_days` of texts it does not read at once: each by :func:`_parse_date`."""
    return pd.DatetimeIndex(sorted({_parse_date(d) for d in texts}))


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
                Segment(parse_timespan(s["start"]), parse_timespan(s["end"]), s["state"])
                for s in raw.get(name, [])
            ]
            for i, name in enumerate(WEEKDAYS)
        }
        return cls(
            exchange_time_zone=raw["exchangeTimeZone"],
            data_time_zone=raw.get("dataTimeZone", raw["exchangeTimeZone"]),
            segments=segments,
            holidays=_parse_days(raw.get("holidays", [])),
            early_closes={_parse_date(d): parse_timespan(t) for d, t in raw.get("earlyCloses", {}).items()},
            late_opens={_parse_date(d): parse_timespan(t) for d, t in raw.get("lateOpens", {}).items()},
            bank_holidays=_parse_days(raw.get("bankHolidays", [])),
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
