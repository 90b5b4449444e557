"""The .NET ``System`` types LEAN's Python API hands to algorithms: ``TimeSpan`` (as pythonnet
converts it, a ``datetime.timedelta``) and ``DayOfWeek`` (Sunday = 0, as .NET counts)."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum


class TimeSpan:
    """``TimeSpan.from_days/hours/minutes/seconds/milliseconds(n)`` -> ``timedelta``."""

    ZERO = timedelta(0)

    @staticmethod
    def from_days(value: float) -> timedelta:
        return timedelta(days=value)

    @staticmethod
    def from_hours(value: float) -> timedelta:
        return timedelta(hours=value)

    @staticmethod
    def from_minutes(value: float) -> timedelta:
        return timedelta(minutes=value)

    @staticmethod
    def from_seconds(value: float) -> timedelta:
        return timedelta(seconds=value)

    @staticmethod
    def from_milliseconds(value: float) -> timedelta:
        return timedelta(milliseconds=value)


class DayOfWeek(IntEnum):
    """.NET ``System.DayOfWeek``."""

    SUNDAY = 0
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
