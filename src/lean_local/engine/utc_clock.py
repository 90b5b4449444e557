"""New York wall-clock times as UTC nanoseconds, for the engine's UTC clocks (the capacity estimate's
snapshots and fills count UTC days and hours, as LEAN's ``CapacityEstimate`` does)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from lean_local.engine.subscription_data import NEW_YORK, datetime_to_us


def utc_ns(local: datetime) -> int:
    """A naive New York time as UTC nanoseconds.

    The offset is pandas' ``tz_localize`` of the time's whole hour (a New York offset changes only at
    a whole hour), cached per hour: a time in a skipped or repeated hour raises as ``tz_localize`` does.
    """
    if type(local) is not datetime:  # a pandas Timestamp may carry nanoseconds
        return int(pd.Timestamp(local).tz_localize(NEW_YORK).value)
    return datetime_to_us(local) * 1000 + _utc_offset_ns(local.replace(minute=0, second=0, microsecond=0))


@functools.lru_cache(maxsize=4096)
def _utc_offset_ns(hour: datetime) -> int:
    """UTC minus New York wall time (ns) during the New York hour that starts at ``hour``."""
    offset = int(_year_offsets_ns(hour.year)[(hour - datetime(hour.year, 1, 1)) // _ONE_HOUR])
    if offset == _REFUSED:  # a skipped or repeated hour: tz_localize raises
        return int(pd.Timestamp(hour).tz_localize(NEW_YORK).value) - int(pd.Timestamp(hour).value)
    return offset


_ONE_HOUR = timedelta(hours=1)
_HOUR_US = 3600 * 10**6
_REFUSED = np.iinfo(np.int64).min


class UtcClock:
    """:func:`utc_ns` of a run's times: the offset read from the table of the span of years the last time
    fell in, at the time's hour (an integer division; :func:`utc_ns` costs a datetime's arithmetic and a
    cache entry for each new hour, and a run meets one at nearly every step)."""

    def __init__(self) -> None:
        self._first_us = 0  # the span's first hour (New York wall time, us since the epoch)
        self._offsets = np.empty(0, dtype=np.int64)

    def utc_ns(self, local: datetime) -> int:
        """:func:`utc_ns` of ``local``."""
        if type(local) is not datetime:
            return utc_ns(local)
        us = datetime_to_us(local)
        hour = (us - self._first_us) // _HOUR_US
        if not 0 <= hour < len(self._offsets):
            first_year = local.year - local.year % _SPAN_YEARS
            self._offsets = _span_offsets_ns(first_year, max(min(first_year + _SPAN_YEARS, _LAST_SPAN_YEAR),
                                                             local.year + 1))
            self._first_us = datetime_to_us(datetime(first_year, 1, 1))
            hour = (us - self._first_us) // _HOUR_US
        offset = self._offsets.item(hour)
        if offset == _REFUSED:  # a skipped or repeated hour: as utc_ns (tz_localize) does
            return utc_ns(local)
        return us * 1000 + offset


def _year_offsets_ns(year: int) -> np.ndarray:
    """:func:`_utc_offset_ns` of every hour of ``year``; ``_REFUSED`` for the hours ``tz_localize`` refuses
    (the skipped and the repeated hour): the year's part of its span's table (:func:`_span_offsets_ns`)."""
    first_year = year - year % _SPAN_YEARS
    table = _span_offsets_ns(first_year, max(min(first_year + _SPAN_YEARS, _LAST_SPAN_YEAR), year + 1))
    first_hour = (datetime(year, 1, 1) - datetime(first_year, 1, 1)) // _ONE_HOUR
    return table[first_hour:first_hour + (datetime(year + 1, 1, 1) - datetime(year, 1, 1)) // _ONE_HOUR]


#: The years of one table: a run's years mostly share one (two ``tz_localize`` calls for them all; each call
#: costs far more than its elements: 0.7 ms a year's table, about 1 ms eight years')
_SPAN_YEARS = 8
#: A span ends at the latest on 2262-01-01 (pandas' nanosecond timestamps end in April 2262).
_LAST_SPAN_YEAR = 2262


@functools.lru_cache(maxsize=16)
def _span_offsets_ns(first_year: int, end_year: int) -> np.ndarray:
    """:func:`_utc_offset_ns` of every hour from ``first_year`` to the start of ``end_year``. (A run meets a
    new hour at nearly every step; one ``Timestamp.tz_localize`` each cost about 50 us.)

    New York's offset changes at most once between two noons: each day's hours take the offset of its
    noon, except the two days around a change (the day before, the day of), whose 48 hours are localized
    one by one: the table ``tz_localize`` gives every hour (1880 to 2100 compared), at about half its cost."""
    first = datetime(first_year, 1, 1)
    days_in_span = (datetime(end_year, 1, 1) - first).days
    # the noons from the day before the span's first to the day after its last
    noon_offsets = _offsets_ns(pd.date_range(first - timedelta(hours=12), periods=days_in_span + 2, freq="D"))
    offsets = np.repeat(noon_offsets[1:-1], 24)
    # a change between the noons before and after midnight starting day d: days d - 1 and d (those in the span)
    changes = np.flatnonzero(noon_offsets[1:] != noon_offsets[:-1])
    if len(changes):
        days = np.unique(np.concatenate([changes - 1, changes]))
        days = days[(days >= 0) & (days < days_in_span)]
        hours = (days[:, None] * 24 + np.arange(24)).ravel()  # the hours of those days and the days before
        offsets[hours] = _offsets_ns(pd.DatetimeIndex(np.datetime64(first, "ns") + hours * np.timedelta64(1, "h")))
    return offsets


def _offsets_ns(times: pd.DatetimeIndex) -> np.ndarray:
    """UTC minus New York wall time (ns) at each of ``times``; ``_REFUSED`` where ``tz_localize`` refuses."""
    utc = times.tz_localize(NEW_YORK, ambiguous="NaT", nonexistent="NaT")
    return np.where(utc.isna(), _REFUSED, utc.asi8 - times.asi8)
