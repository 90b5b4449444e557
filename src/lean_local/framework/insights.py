"""``Insight``: an alpha model's prediction for one symbol, with LEAN's close-time rules.

Follows ``Common/Algorithm/Framework/Alphas/Insight.cs``: an insight is generated with a direction,
a period (a ``timedelta``, a bar count at a resolution, a local close time or an expiry function)
and optional magnitude, confidence and weight. The algorithm stamps its generated time (UTC) and
reference price when it is emitted, then sets its close time from the security's exchange hours:
periods step through *open market* time (``Insight.ComputeCloseTime``), so a 20-minute insight
generated at a daily bar's 16:00 close expires at 09:50 the next trading day. Times are naive
datetimes in UTC; ``is_expired(t)`` is ``close_time_utc < t`` (an insight is still active at its
close time).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from lean_local.engine.common import Resolution

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
ONE_SECOND = timedelta(seconds=1)
ONE_MINUTE = timedelta(minutes=1)
END_OF_TIME = datetime(2050, 12, 31)
END_OF_TIME_SPAN = END_OF_TIME - datetime(1, 1, 1)
RESOLUTION_SPAN = {Resolution.SECOND: ONE_SECOND, Resolution.MINUTE: ONE_MINUTE,
                   Resolution.HOUR: timedelta(hours=1), Resolution.DAILY: timedelta(days=1)}


class InsightDirection(IntEnum):
    """LEAN ``InsightDirection``."""

    DOWN = -1
    FLAT = 0
    UP = 1


class InsightType(IntEnum):
    """LEAN ``InsightType``."""

    PRICE = 0
    VOLATILITY = 1


class InsightScoreType(IntEnum):
    """LEAN ``InsightScoreType``."""

    DIRECTION = 0
    MAGNITUDE = 1


class InsightScore:
    """An insight's direction and magnitude scores, each clamped to [0, 1] (``InsightScore.cs``);
    a final score no longer changes."""

    def __init__(self, direction: float = 0.0, magnitude: float = 0.0, updated_time_utc: datetime | None = None) -> None:
        self.direction = float(direction)
        self.magnitude = float(magnitude)
        self.updated_time_utc = updated_time_utc
        self.is_final_score = False

    def set_score(self, score_type: InsightScoreType, value: float, algorithm_utc_time: datetime) -> None:
        if self.is_final_score:
            return
        self.updated_time_utc = algorithm_utc_time
        clamped = max(0.0, min(1.0, float(value)))
        if score_type == InsightScoreType.DIRECTION:
            self.direction = clamped
        elif score_type == InsightScoreType.MAGNITUDE:
            self.magnitude = clamped
        else:
            raise ValueError(f"unknown InsightScoreType {score_type!r}")

    def finalize(self, algorithm_utc_time: datetime) -> None:
        self.is_final_score = True
        self.updated_time_utc = algorithm_utc_time

    def get_score(self, score_type: InsightScoreType) -> float:
        return self.direction if score_type == InsightScoreType.DIRECTION else self.magnitude

    def __repr__(self) -> str:
        return f"Direction: {round(self.direction, 4)} Magnitude: {round(self.magnitude, 4)}"


def to_utc(local: datetime) -> datetime:
    """New York local time -> naive UTC."""
    return local.replace(tzinfo=NEW_YORK).astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime) -> datetime:
    """Naive UTC -> New York local time (naive)."""
    return utc.replace(tzinfo=UTC).astimezone(NEW_YORK).replace(tzinfo=None)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _step_open_time(hours: Any, start: datetime, open_time: timedelta) -> datetime:
    """The local time when ``open_time`` of regular-market time has passed after ``start``
    (LEAN's ``Time.GetEndTimeForTradeBars`` stepping bar by bar while the market is open)."""
    remaining = open_time
    day = start.date()
    for _ in range(3660):
        for seg_start, seg_end in hours.day_segments(day):
            lo = max(_midnight(day) + seg_start, start)
            hi = _midnight(day) + seg_end
            if hi <= lo:
                continue
            if hi - lo >= remaining:
                return lo + remaining
            remaining -= hi - lo
        day += timedelta(days=1)
    raise ValueError(f"no open market within ten years after {start}")


def end_time_for_bars(hours: Any, start_local: datetime, bar: timedelta, count: int) -> datetime:
    """``Time.GetEndTimeForTradeBars``: daily bars step calendar days counting trading days;
    intraday bars step through open market time."""
    if bar == timedelta(days=1):
        current = start_local
        stepped = 0
        while stepped < count:
            current += bar
            if hours.is_trading_day(current.date()):
                stepped += 1
        return current
    return _step_open_time(hours, start_local, bar * count)


def close_time_for_bars(hours: Any, generated_utc: datetime, resolution: Resolution, bar_count: int) -> datetime:
    """``Insight.ComputeCloseTime(exchangeHours, generatedTimeUtc, resolution, barCount)``."""
    if bar_count < 1:
        raise ValueError("Insight barCount must be greater than zero.")
    if resolution == Resolution.TICK:
        resolution = Resolution.SECOND
    if resolution == Resolution.HOUR:
        bar_count *= 60
        resolution = Resolution.MINUTE
    local = end_time_for_bars(hours, to_local(generated_utc), RESOLUTION_SPAN[resolution], bar_count)
    return to_utc(local)


def _higher_resolution(period: timedelta) -> Resolution:
    if period < ONE_SECOND:
        return Resolution.TICK
    if period < ONE_MINUTE:
        return Resolution.SECOND
    if period < timedelta(hours=1):
        return Resolution.MINUTE
    if period < timedelta(days=1):
        return Resolution.HOUR
    return Resolution.DAILY


def close_time_for_period(hours: Any, generated_utc: datetime, period: timedelta) -> datetime:
    """``Insight.ComputeCloseTime(exchangeHours, generatedTimeUtc, period)``: whole bars of the
    coarsest resolution that fits (hours as minutes), then the remainder in open-market minutes
    (a remainder of a day is that fraction of the regular session, 6.5 h for US equities)."""
    if period < ONE_SECOND:
        raise ValueError("Insight period must be greater than or equal to 1 second.")
    resolution = _higher_resolution(period)
    if resolution == Resolution.TICK:
        resolution = Resolution.SECOND
    if resolution == Resolution.HOUR:
        resolution = Resolution.MINUTE
    bar = RESOLUTION_SPAN[resolution]
    count = period // bar
    close = close_time_for_bars(hours, generated_utc, resolution, count)
    if close == generated_utc:
        return close_time_for_bars(hours, generated_utc, Resolution.SECOND, 1)
    delta = period - bar * count
    if delta:
        if resolution == Resolution.DAILY:
            delta = _regular_market_duration(hours) * (delta / timedelta(days=1))
        minutes = delta // ONE_MINUTE
        if minutes > 0:
            close = close_time_for_bars(hours, close, Resolution.MINUTE, minutes)
    return close


def _regular_market_duration(hours: Any) -> timedelta:
    """LEAN's ``SecurityExchangeHours.RegularMarketDuration``: the longest regular weekday session."""
    longest = timedelta(0)
    for segments in hours.segments.values():
        longest = max(longest, sum((b - a for a, b in segments), timedelta(0)))
    return longest


class Insight:
    """A prediction for one symbol (LEAN ``Insight``).

    Parameters
    ----------
    symbol
        The security the insight is about.
    period
        How long it holds: a ``timedelta`` (stepped through open market time), or an expiry
        function ``local generated time -> local close time``.
    type, direction
        :class:`InsightType` and :class:`InsightDirection`.
    magnitude, confidence, weight
        Optional floats (None when not given): predicted return, confidence in [0, 1], and the
        weight a weighting portfolio construction model uses.
    source_model, tag
        The emitting model's name (filled in from the alpha model when empty) and a free text.
    """

    def __init__(self, symbol: Any, period: Any, type: InsightType, direction: InsightDirection,
                 magnitude: float | None = None, confidence: float | None = None, source_model: str | None = None,
                 weight: float | None = None, tag: str = "") -> None:
        self.id = uuid.uuid4()
        self.group_id: uuid.UUID | None = None
        self.score = InsightScore()
        self.source_model = source_model
        self.symbol = symbol
        self.type = InsightType(type)
        self.direction = InsightDirection(direction)
        self.magnitude = magnitude
        self.confidence = confidence
        self.weight = weight
        self.tag = tag
        self.generated_time_utc: datetime | None = None
        self.close_time_utc: datetime | None = None
        self.reference_value = 0.0
        self.reference_value_final = 0.0
        self.estimated_value = 0.0
        self.period: timedelta | None = None
        self._period_rule: Callable[[Insight, Any], None]
        if callable(period) and not isinstance(period, timedelta):
            expiry = period
            self._period_rule = lambda insight, hours: insight._close_at_local(expiry(to_local(
                insight.generated_time_utc)), hours)
        else:
            span = period if period else ONE_SECOND
            self.period = span
            if span == END_OF_TIME_SPAN:
                self._period_rule = Insight._end_of_time
            else:
                self._period_rule = lambda insight, hours: insight._close_after(span, hours)

    # --- LEAN's constructors ----------------------------------------------------------------
    @staticmethod
    def price(symbol: Any, period: Any, *args: Any, **kwargs: Any) -> Insight:
        """``Insight.price(symbol, resolution, bar_count, direction, ...)``, ``Insight.price(symbol,
        timedelta, direction, ...)`` or ``Insight.price(symbol, close_time_local | expiry_function,
        direction, ...)``; the optional arguments after the direction are ``magnitude, confidence,
        source_model, weight, tag``."""
        args_list = list(args)
        bar_count = None
        if isinstance(period, Resolution):
            bar_count = int(args_list.pop(0) if args_list else kwargs.pop("bar_count"))
        names = ("direction", "magnitude", "confidence", "source_model", "weight", "tag")
        values: dict[str, Any] = {"magnitude": None, "confidence": None, "source_model": None, "weight": None,
                                  "tag": ""}
        values.update(zip(names, args_list, strict=False))
        values.update(kwargs)
        direction = values.pop("direction")
        if bar_count is not None:
            return Insight._price_bars(symbol, period, bar_count, direction, **values)
        if isinstance(period, datetime):
            insight = Insight(symbol, ONE_SECOND, InsightType.PRICE, direction, **values)
            insight.period = None
            close_local = period
            if close_local == END_OF_TIME:
                insight._period_rule = Insight._end_of_time
            else:
                insight._period_rule = lambda ins, hours: ins._close_at_local(close_local, hours, check_past=True)
            return insight
        if isinstance(period, timedelta) and period < ONE_SECOND:
            raise ValueError("Insight period must be greater than or equal to 1 second.")
        return Insight(symbol, period, InsightType.PRICE, direction, **values)

    @staticmethod
    def _price_bars(symbol: Any, resolution: Resolution, bar_count: int, direction: Any = InsightDirection.FLAT,
                    magnitude: float | None = None, confidence: float | None = None, source_model: str | None = None,
                    weight: float | None = None, tag: str = "") -> Insight:
        if bar_count < 1:
            raise ValueError("Insight barCount must be greater than zero.")
        insight = Insight(symbol, ONE_SECOND, InsightType.PRICE, direction, magnitude, confidence, source_model,
                          weight, tag)
        insight.period = None

        def rule(ins: Insight, hours: Any) -> None:
            ins.close_time_utc = close_time_for_bars(hours, ins.generated_time_utc, resolution, bar_count)
            ins.period = ins.close_time_utc - ins.generated_time_utc
        insight._period_rule = rule
        return insight

    @staticmethod
    def group(*insights: Any) -> list[Insight]:
        """Give the insights one new group id (each may belong to one group only)."""
        members = list(insights[0]) if len(insights) == 1 and isinstance(insights[0], Iterable) \
            and not isinstance(insights[0], Insight) else list(insights)
        group_id = uuid.uuid4()
        for insight in members:
            if insight.group_id is not None:
                raise ValueError(f"Unable to set group id on insight {insight} because it has already been "
                                 "assigned to a group.")
            insight.group_id = group_id
        return members

    # --- period rules -------------------------------------------------------------------------
    def _close_after(self, span: timedelta, hours: Any) -> None:
        self.period = span
        self.close_time_utc = close_time_for_period(hours, self.generated_time_utc, span)

    def _close_at_local(self, close_local: datetime, hours: Any, check_past: bool = False) -> None:
        if not hours.date_time_is_open(close_local):
            close_local = _next_market_open(hours, close_local)
        self.close_time_utc = to_utc(close_local)
        if check_past and self.generated_time_utc > self.close_time_utc:
            raise ValueError("Insight closeTimeLocal must not be in the past.")
        self.period = self.close_time_utc - self.generated_time_utc

    def _end_of_time(self, hours: Any) -> None:
        self.period = END_OF_TIME_SPAN
        self.close_time_utc = END_OF_TIME

    def set_period_and_close_time(self, exchange_hours: Any) -> None:
        if self.generated_time_utc is None:
            raise ValueError(f"The insight's ({self.id}) generated time must be set before its close time.")
        self._period_rule(self, exchange_hours)

    # --- state ------------------------------------------------------------------------------
    def is_expired(self, utc_time: datetime) -> bool:
        return self.close_time_utc < utc_time

    def is_active(self, utc_time: datetime) -> bool:
        return not self.is_expired(utc_time)

    def expire(self, utc_time: datetime) -> None:
        """Close an active insight one second before ``utc_time``."""
        if self.is_active(utc_time):
            self.close_time_utc = utc_time - ONE_SECOND
            self.period = self.close_time_utc - self.generated_time_utc

    cancel = expire

    def clone(self) -> Insight:
        copy = Insight(self.symbol, self.period or ONE_SECOND, self.type, self.direction, self.magnitude,
                       self.confidence, weight=self.weight, tag=self.tag)
        for name in ("generated_time_utc", "close_time_utc", "score", "id", "estimated_value", "reference_value",
                     "reference_value_final", "source_model", "group_id", "period"):
            setattr(copy, name, getattr(self, name))
        return copy

    def __repr__(self) -> str:
        text = f"{self.id}: {self.symbol} {self.type.name.capitalize()} {self.direction.name.capitalize()}"
        if self.period is not None:
            text += f" within {self.period}"
        for name in ("magnitude", "confidence", "weight"):
            value = getattr(self, name)
            if value is not None:
                text += f" {name}: {value}"
        return text


def _next_market_open(hours: Any, moment: datetime) -> datetime:
    """The first regular market open at or after ``moment`` (``GetNextMarketOpen``)."""
    day = moment.date()
    for _ in range(3660):
        for seg_start, _seg_end in hours.day_segments(day):
            start = _midnight(day) + seg_start
            if start >= moment:
                return start
        day += timedelta(days=1)
    raise ValueError(f"no market open within ten years after {moment}")


class GeneratedInsightsCollection:
    """The insights of one time step, handed to ``insights_generated`` handlers."""

    def __init__(self, date_time_utc: datetime, insights: list[Insight]) -> None:
        self.date_time_utc = date_time_utc
        self.insights = list(insights)
