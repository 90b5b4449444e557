"""The .NET ``TimeSpan`` LEAN's Python API hands to algorithms (as pythonnet converts it, a
``datetime.timedelta``), and ``System.Object``'s static ``ReferenceEquals``."""

from __future__ import annotations

from datetime import timedelta


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



class Object:
    """``System.Object`` as LEAN's ``AlgorithmImports`` exposes it: ``Object.reference_equals(a, b)``
    is True when both are the same object."""

    @staticmethod
    def reference_equals(first: object, second: object) -> bool:
        return first is second
