"""Consolidators whose bars close on price moves, not time (LEAN ``RangeConsolidator`` with
``RangeBar``, ``RenkoConsolidator`` with ``RenkoBar``).

Both read one value per input (``selector``, default the input's ``value``: a trade bar's close)
and, for range bars, its volume (``volume_selector``, default a trade bar's volume).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from typing import Any

from lean_local.consolidators.base import ConsolidatorBase
from lean_local.engine.slice import TradeBar


class BarDirection(IntEnum):
    """LEAN ``BarDirection``."""

    RISING = 0
    NO_DELTA = 1
    FALLING = 2


class RenkoType(IntEnum):
    """LEAN ``RenkoType``."""

    CLASSIC = 0
    WICKED = 1


def _default_volume(data: Any) -> float:
    return float(getattr(data, "volume", 0.0)) if hasattr(data, "close") else float(getattr(data, "quantity", 0.0))


@functools.cache
def _price_variation_database(folder: str) -> Any:
    from lean_local.data.symbol_properties import SymbolPropertiesDatabase

    return SymbolPropertiesDatabase.from_data_folder(folder)


def minimum_price_variation(symbol: Any) -> float:
    """The symbol's tick from the symbol-properties database of ``LEAN_DATA_FOLDER`` (LEAN reads
    its own data folder's database), as ``RangeConsolidator`` sizes its bars with it."""
    folder = os.environ.get("LEAN_DATA_FOLDER", "data")
    security_type = getattr(getattr(symbol, "security_type", None), "name", "EQUITY").lower()
    market = getattr(symbol, "market", "usa")
    return _price_variation_database(folder).get(market, str(symbol), security_type).minimum_price_variation


class RangeBar(TradeBar):
    """A bar that closes when its high - low would exceed ``range_size`` (LEAN ``RangeBar``)."""

    def __init__(self, symbol: Any = "", end_time: datetime | None = None, range_size: float = 0.0,
                 open: float = 0.0, high: float | None = None, low: float | None = None,
                 close: float | None = None, volume: float = 0.0) -> None:
        super().__init__(end_time, symbol, open, open if high is None else high, open if low is None else low,
                         open if close is None else close, volume)
        self.end_time = end_time
        self.range_size = float(range_size)
        self.is_closed = False

    def update(self, time: datetime, value: float, volume: float) -> None:
        self.end_time = time
        if value < self.low:
            if self.high - value > self.range_size:
                self.is_closed = True
                self.low = self.high - self.range_size
                self.close = self.low
                return
            self.low = value
        elif value > self.high:
            if value - self.low > self.range_size:
                self.is_closed = True
                self.high = self.low + self.range_size
                self.close = self.high
                return
            self.high = value
        self.volume += volume

    def __repr__(self) -> str:
        return f"{self.symbol}: O: {self.open:g} H: {self.high:g} L: {self.low:g} C: {self.close:g} V: {self.volume:g}"


class RangeConsolidator(ConsolidatorBase):
    """Range bars of ``range`` minimum price variations (LEAN ``RangeConsolidator``).

    The first bar opens at the first value rounded up to a multiple of the range size; when a
    value breaks through the range, the bar closes at exactly ``low + range_size`` (or
    ``high - range_size``) and the next one opens one tick beyond it; a value several ranges away
    closes several bars at once (the intermediate ones with zero volume).
    """

    def __init__(self, range: int, selector: Callable[[Any], float] | None = None,
                 volume_selector: Callable[[Any], float] | None = None) -> None:
        super().__init__()
        self.range = int(range)
        self.range_size = 0.0
        self._selector = selector or (lambda data: float(data.value))
        self._volume_selector = volume_selector or _default_volume
        self._first = True
        self._tick = 0.0
        self._bar: RangeBar | None = None

    @property
    def working_data(self) -> RangeBar | None:
        return self._bar

    def update(self, data: Any) -> None:
        value = float(self._selector(data))
        volume = float(self._volume_selector(data))
        if self._bar is not None:
            self._update_bar(data.time, value, volume)
        if self._bar is None:
            self._new_bar(data, value, volume)

    def _update_bar(self, time: datetime, value: float, volume: float) -> None:
        bar = self._bar
        assert bar is not None
        rising = value > bar.high
        bar.update(time, value, volume)
        while bar.is_closed:
            self._on_data_consolidated(bar)
            start = bar.high + self._tick if rising else bar.low - self._tick
            bar = RangeBar(bar.symbol, bar.end_time, self.range_size, start)
            # phantom bars (the value is still beyond this one's range) carry no volume
            bar.update(time, value, 0.0 if abs(bar.low - value) > self.range_size else volume)
            self._bar = bar

    def _new_bar(self, data: Any, value: float, volume: float) -> None:
        open_ = value
        if self._first:
            self._tick = minimum_price_variation(data.symbol)
            self.range_size = self._tick * self.range
            open_ = math.ceil(round(open_ / self.range_size, 9)) * self.range_size
            self._first = False
        bar = RangeBar(data.symbol, data.time, self.range_size, open_, volume=volume)
        bar.time = data.time
        self._bar = bar

    def reset(self) -> None:
        super().reset()
        self._first = True
        self._tick = 0.0
        self.range_size = 0.0
        self._bar = None


class RenkoBar(TradeBar):
    """A brick of a Renko chart (LEAN ``RenkoBar``); ``start`` is the time it opened."""

    def __init__(self, symbol: Any = "", start: datetime | None = None, end_time: datetime | None = None,
                 brick_size: float = 0.0, open: float = 0.0, high: float = 0.0, low: float = 0.0,
                 close: float = 0.0) -> None:
        super().__init__(start, symbol, open, high, low, close, 0.0)
        self.end_time = end_time
        self.brick_size = float(brick_size)
        self.type = RenkoType.WICKED
        self.is_closed = True

    @property
    def start(self) -> datetime | None:
        return self.time

    @property
    def direction(self) -> BarDirection:
        if self.open < self.close:
            return BarDirection.RISING
        if self.open > self.close:
            return BarDirection.FALLING
        return BarDirection.NO_DELTA

    @property
    def spread(self) -> float:
        return abs(self.close - self.open)


def closest_multiple(price: float, bar_size: float) -> float:
    """``price`` rounded to the nearest multiple of ``bar_size`` (LEAN ``GetClosestMultiple``;
    halves round to even, as .NET's ``Math.Round``)."""
    if bar_size <= 0:
        raise ValueError("BarSize must be strictly greater than zero")
    floor = math.floor(price / bar_size)
    modulus = price - bar_size * floor
    return bar_size * (floor + round(modulus / bar_size))


class RenkoConsolidator(ConsolidatorBase):
    """Wicked Renko bricks of ``bar_size`` (LEAN ``RenkoConsolidator``): a brick closes each time the
    value moves ``bar_size`` beyond the current brick's open; a reversal needs a move of
    ``bar_size`` beyond the previous brick's open.

    Raises
    ------
    ValueError
        ``bar_size <= 0``.
    """

    def __init__(self, bar_size: float) -> None:
        super().__init__()
        if bar_size <= 0:
            raise ValueError("Renko consolidator BarSize must be strictly greater than zero")
        self.bar_size = float(bar_size)
        self.type = RenkoType.WICKED
        self._reset_state()

    def _reset_state(self) -> None:
        self._first = True
        self._last: RenkoBar | None = None
        self._open_on: Any = None
        self._close_on: Any = None
        self._open_rate = self._high_rate = self._low_rate = self._close_rate = 0.0

    @property
    def working_data(self) -> RenkoBar | None:
        return self.consolidated

    def update(self, data: Any) -> None:
        rate = float(data.price if hasattr(data, "price") else data.value)
        if self._first:
            self._first = False
            rate = closest_multiple(rate, self.bar_size)
            self._open_on = self._close_on = data.time
            self._open_rate = self._high_rate = self._low_rate = self._close_rate = rate
            return
        self._close_on = data.time
        self._high_rate = max(self._high_rate, rate)
        self._low_rate = min(self._low_rate, rate)
        self._close_rate = rate
        last = self._last
        if self._close_rate > self._open_rate:
            if last is None or last.direction == BarDirection.RISING:
                self._rising(data)
                return
            limit = last.open + self.bar_size
            if self._close_rate > limit:
                self._emit(RenkoBar(data.symbol, self._open_on, self._close_on, self.bar_size, last.open, limit,
                                    self._low_rate, limit))
                self._open_on, self._open_rate, self._low_rate = self._close_on, limit, limit
                self._rising(data)
        elif self._close_rate < self._open_rate:
            if last is None or last.direction == BarDirection.FALLING:
                self._falling(data)
                return
            limit = last.open - self.bar_size
            if self._close_rate < limit:
                self._emit(RenkoBar(data.symbol, self._open_on, self._close_on, self.bar_size, last.open,
                                    self._high_rate, limit, limit))
                self._open_on, self._open_rate, self._high_rate = self._close_on, limit, limit
                self._falling(data)

    def _emit(self, brick: RenkoBar) -> None:
        self._last = brick
        self._on_data_consolidated(brick)

    def _rising(self, data: Any) -> None:
        while self._close_rate > (limit := self._open_rate + self.bar_size):
            self._emit(RenkoBar(data.symbol, self._open_on, self._close_on, self.bar_size, self._open_rate, limit,
                                self._low_rate, limit))
            self._open_on, self._open_rate, self._low_rate = self._close_on, limit, limit

    def _falling(self, data: Any) -> None:
        while self._close_rate < (limit := self._open_rate - self.bar_size):
            self._emit(RenkoBar(data.symbol, self._open_on, self._close_on, self.bar_size, self._open_rate,
                                self._high_rate, limit, limit))
            self._open_on, self._open_rate, self._high_rate = self._close_on, limit, limit

    def reset(self) -> None:
        self._reset_state()
        super().reset()


WickedRenkoConsolidator = RenkoConsolidator
