"""LEAN's estimated strategy capacity, followed step by step (``Common/CapacityEstimate.cs``,
``Common/SymbolCapacity.cs``).

Each fill starts (or continues) monitoring its symbol: the dollar volume of the symbol's real bars
is captured while they belong to the fill, by the resolution the bar's length names (a 24-hour bar
is daily: the fill's own bar and the next calendar day's, x 0.02; a US equity's 6.5-hour daily bar
is an hour bar: the bar ending at the fill's time rounded up to the hour, x 0.05), discounted for fast
trading (``2 x minutes since the symbol's previous fill / 390``, clipped to [0.2, 1]). Monitoring
stops at the first real bar that no longer belongs; a fill-forward bar (volume 0 in LEAN) neither
counts nor stops it. Forex quote bars carry no volume: LEAN counts 25,000,000 for each. Snapshots
(every ``min(max(days - 1, 1), 7)`` days from the start, then from each snapshot's UTC date, at the
steps of LEAN's internal benchmark feed too, and twice at the end) take the symbol of smallest
captured volume, divide its volume per trade by the larger of its share of the sale volume and its
holdings' share of the portfolio, and blend the result 0.33 new / 0.66 previous. After a
snapshot each symbol starts capturing afresh at its next fill; one neither invested nor filled in
the last 30 days is forgotten.

Times are UTC nanoseconds. The engine calls :meth:`CapacityEstimate.on_fill` for each fill and
:meth:`CapacityEstimate.update` at the end of each time step (LEAN's
``ResultHandler.ProcessSynchronousEvents``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import pandas as pd

_DAY_NS = 86_400 * 10**9
_MINUTE_NS = 60 * 10**9
_HOUR_NS = 60 * _MINUTE_NS
_MINUTE_US, _HOUR_US, _DAY_US = _MINUTE_NS // 1000, _HOUR_NS // 1000, _DAY_NS // 1000
#: ``SymbolCapacity.CapacityEffectPeriod``.
EFFECT_PERIOD_NS = 30 * _DAY_NS
#: An upper bound of UTC minus New York wall time (EST is 5 hours behind UTC, EDT 4).
MAX_UTC_OFFSET_NS = 6 * _HOUR_NS
#: ``SymbolCapacity._forexMinuteVolume``: the volume LEAN gives a forex quote bar.
FOREX_VOLUME = 25_000_000.0
#: ``previous_time`` of a symbol without a bar with volume yet; :attr:`CapacityEstimate.idle_until` while
#: monitoring.
_NO_TIME = np.iinfo(np.int64).min
#: :attr:`CapacityEstimate.idle_until` with no symbol: never due.
_NEVER = np.iinfo(np.int64).max
#: Nanosecond gaps from which int64 -> float64 rounds: Python divides such ints exactly, numpy does not.
_EXACT_FLOAT_NS = 2**53
#: Fewer fills at one time than this take :meth:`CapacityEstimate.on_fill` one by one.
_MIN_ARRAY_FILLS = 8
#: The per-symbol fields (array attributes) and their types, one entry per slot.
_FIELDS = {"_sale": np.float64, "_trades": np.int64, "_market": np.float64, "_scale": np.float64,
           "_reset": np.bool_, "_discount": np.float64, "_last_fill": np.int64, "_fill_hour": np.int64,
           "_previous_time": np.int64, "_previous_volume": np.float64, "_watching": np.bool_}


class MonitoredBars(NamedTuple):
    """The real bars of this step of the symbols being captured (``SymbolCapacity.GetBar``): those of the
    slots at positions ``found`` of the slots asked (increasing; None: every slot has one), one entry each."""

    found: np.ndarray | None  # intp
    close: np.ndarray  # float64
    volume: np.ndarray  # float64, FOREX_VOLUME for a forex quote bar
    conversion_rate: np.ndarray | float  # quote currency to account currency (one rate: every bar's)
    start_ns: np.ndarray  # int64, the bar's start
    end_ns: np.ndarray  # int64, the bar's end


#: no symbol has a bar
_NO_BARS = MonitoredBars(np.empty(0, dtype=np.intp), np.empty(0), np.empty(0), 1.0, np.empty(0, dtype=np.int64),
                         np.empty(0, dtype=np.int64))


def no_bars(symbols: Sequence[str], slots: np.ndarray) -> MonitoredBars:
    """No symbol has a bar (a step of LEAN's internal benchmark feed)."""
    return _NO_BARS


def bars_at(slots: np.ndarray, found: np.ndarray, close: np.ndarray, volume: np.ndarray,
            conversion_rate: np.ndarray | float, start_ns: np.ndarray, end_ns: np.ndarray) -> MonitoredBars:
    """The bars of ``slots`` when the ones at positions ``found`` (increasing) have the bars given (one
    entry each; ``conversion_rate`` may be one rate for all), the others none."""
    return MonitoredBars(None if len(found) == len(slots) else found, close, volume, conversion_rate, start_ns, end_ns)


class CapacityEstimate:
    """The strategy's capacity and its lowest-capacity symbol (LEAN ``CapacityEstimate`` and its
    ``SymbolCapacity`` per traded symbol).

    Each symbol's state is a slot of per-field numpy arrays (in the order LEAN's dictionary keeps the
    symbols: first fill first, a forgotten symbol joining again at the end; allocated ahead, the first
    ``len(self._symbols)`` entries used): a time's fills, a step's capture and a snapshot each read and
    write every symbol concerned by one set of numpy calls.

    Parameters
    ----------
    start, end : datetime
        The algorithm's start and end dates (the snapshot period comes from their distance).
    """

    def __init__(self, start: datetime, end: datetime) -> None:
        days = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 86_400.0
        self._period = int(max(min(days - 1, 7), 1) * _DAY_NS)
        self._next_snapshot = pd.Timestamp(start).value + self._period
        self._slots: dict[str, int] = {}
        self._symbols: list[str] = []
        self._sale = np.empty(0)  # SaleVolume
        self._trades = np.empty(0, dtype=np.int64)
        self._market = np.empty(0)  # the captured market volume (dollars)
        self._scale = np.empty(0)  # the resolution's scale factor of the last captured bar
        self._reset = np.empty(0, dtype=bool)  # a snapshot passed: the next fill restarts the capture
        self._discount = np.empty(0)  # the fast-trading discount of the last fill
        self._last_fill = np.empty(0, dtype=np.int64)  # UTC ns
        self._fill_hour = np.empty(0, dtype=np.int64)  # the last fill's time rounded up to the hour (an hour bar's)
        self._previous_time = np.empty(0, dtype=np.int64)  # the last bar with volume (UTC ns), _NO_TIME before one
        self._previous_volume = np.empty(0)
        self._watching = np.empty(0, dtype=bool)  # the slots whose bars are being captured
        self._watched = np.empty(0, dtype=np.intp)  # those slots (increasing; a new array when they change)
        self._watched_index: np.ndarray | slice = self._watched  # the same as a slice when they are contiguous
        #: whether some symbol's bars are being captured (the engine reads their current bars)
        self.monitoring = False
        #: the New York wall time (naive ns) before which :meth:`update` has nothing to do unless forced:
        #: ``_NO_TIME`` while monitoring, else the earliest local time of the next snapshot's UTC date
        #: (:meth:`may_be_due`), ``_NEVER`` before a first fill
        self.idle_until = _NEVER
        #: whether a fill or a capture changed the symbols' figures since the last snapshot; if not, the
        #: snapshot's smallest symbol, its volume per trade and the oldest last fill stand
        self._changed = False
        self._smallest = (0, 0.0)
        self._oldest_fill = 0
        self.capacity = 0.0
        self.lowest = ""

    def due(self, utc_ns: int) -> bool:
        """Whether a snapshot is due at ``utc_ns`` (when some symbol was traded)."""
        return bool(self._slots) and utc_ns // _DAY_NS * _DAY_NS >= self._next_snapshot

    def may_be_due(self, new_york_ns: int) -> bool:
        """False when no snapshot is due at or before the New York wall time ``new_york_ns`` (naive ns),
        without its UTC time: New York is at most ``MAX_UTC_OFFSET_NS`` behind UTC, so a time whose
        bound is before the next snapshot's UTC date is not due (the engine's step clock asks this
        first, and converts to UTC only when True)."""
        return bool(self._slots) and new_york_ns + MAX_UTC_OFFSET_NS >= self._next_snapshot

    def _rewake(self) -> None:
        """:attr:`idle_until` after a change of the monitored slots, the symbols or the next snapshot."""
        if self.monitoring:
            self.idle_until = _NO_TIME
        else:
            self.idle_until = self._next_snapshot - MAX_UTC_OFFSET_NS if self._slots else _NEVER

    def dollar_volume(self, symbol: str) -> float:
        """The symbol's captured market volume times its scale (``MarketCapacityDollarVolume``)."""
        slot = self._slots[symbol]
        return self._market.item(slot) * self._scale.item(slot)

    def trades(self, symbol: str) -> int:
        """The symbol's fills since its capture last restarted (``Trades``)."""
        return self._trades.item(self._slots[symbol])

    def on_fill(self, symbol: str, utc_ns: int, value: float) -> None:
        """A fill of ``symbol`` of value ``value`` (account currency, either sign) at ``utc_ns``
        (``SymbolCapacity.OnOrderEvent``): it starts or continues the capture of its bars."""
        slot = self._slots.get(symbol)
        if slot is None:
            slot = self._add(symbol)
            previous = utc_ns - _DAY_NS
        else:
            previous = self._last_fill.item(slot)
        self._changed = True
        self._sale[slot] = self._sale.item(slot) + abs(value)
        discount = 2.0 * ((utc_ns - previous) / _MINUTE_NS) / 390.0  # Python ints: the exact quotient's rounding
        self._discount[slot] = 1.0 if discount > 1 else max(0.2, discount)
        if self._reset.item(slot):
            self._market[slot] = 0.0
            self._trades[slot] = 0
            self._reset[slot] = False
        self._trades[slot] += 1
        self._last_fill[slot] = utc_ns
        self._fill_hour[slot] = -(-utc_ns // _HOUR_NS) * _HOUR_NS
        if not self._watching.item(slot):
            self._watching[slot] = True
            self._set_watched()

    def on_fills(self, symbols: list[str], utc_ns: int, values: list[float]) -> bool:
        """:meth:`on_fill` of each of a time's fills, in order (``symbols`` and ``values`` one per fill):
        as arrays when no symbol fills twice, each figure the scalar formula's operations in its order
        (in slot order, on slices, when every symbol fills once). Whether a symbol was added."""
        count, known = len(symbols), self._slots
        added = not all(map(known.__contains__, symbols)) if count < _MIN_ARRAY_FILLS else False
        if count < _MIN_ARRAY_FILLS:
            self._one_by_one(symbols, utc_ns, values)
            return added
        try:
            slots = np.array(itemgetter(*symbols)(known), dtype=np.intp)  # one C-level pass
        except KeyError:  # first fills
            if len(set(symbols)) < count:
                self._one_by_one(symbols, utc_ns, values)
                return True
            for symbol in symbols:
                if symbol not in known:
                    slot = self._add(symbol)  # first: it may replace the arrays
                    self._last_fill[slot] = utc_ns - _DAY_NS  # a first fill's previous fill is a day before it
            added = True
            slots = np.array(itemgetter(*symbols)(known), dtype=np.intp)
        if np.bincount(slots).max() > 1:  # a symbol filled twice: its fills one after the other
            self._one_by_one(symbols, utc_ns, values)
            return added
        self._changed = True
        amounts = np.abs(np.array(values, dtype=np.float64))
        index: np.ndarray | slice = slots
        if count == len(self._symbols):  # every symbol once
            index = slice(0, count)
            amounts[slots] = amounts.copy()  # in slot order
        self._sale[index] += amounts
        # (a gap of 2**53 ns or more, which float64 may round, is over 100 days: its discount is 1 whatever
        # the rounding, as is a first fill's)
        # (int64 / float64: what int64 / int computes, both cast to float64, without the int's conversion)
        discount = 2.0 * ((utc_ns - self._last_fill[index]) / float(_MINUTE_NS)) / 390.0
        # min(max(d, 0.2), 1): the scalar's ``1 if d > 1 else max(0.2, d)``
        self._discount[index] = np.minimum(np.maximum(discount, 0.2), 1.0)
        reset = self._reset[index]
        n_reset = np.count_nonzero(reset)
        if n_reset == count:  # every symbol restarts (a snapshot since their last fills, as a rule)
            self._market[index] = 0.0
            self._trades[index] = 1
            self._reset[index] = False
        else:
            if n_reset:
                restart = reset.nonzero()[0] if isinstance(index, slice) else slots[reset]
                self._market[restart] = 0.0
                self._trades[restart] = 0
                self._reset[restart] = False
            self._trades[index] += 1
        self._last_fill[index] = utc_ns
        self._fill_hour[index] = -(-utc_ns // _HOUR_NS) * _HOUR_NS
        if np.count_nonzero(self._watching[index]) < count:
            self._watching[index] = True
            self._set_watched()
        return added

    def _one_by_one(self, symbols: list[str], utc_ns: int, values: list[float]) -> None:
        for symbol, value in zip(symbols, values, strict=True):
            self.on_fill(symbol, utc_ns, value)

    def _set_watched(self) -> None:
        """The watched slots (a new array) and :attr:`monitoring` after a change of ``_watching``."""
        watched = self._watched = self._watching[:len(self._symbols)].nonzero()[0]
        self.monitoring = len(watched) > 0
        contiguous = self.monitoring and watched[-1] - watched[0] + 1 == len(watched)
        self._watched_index = slice(watched[0], watched[-1] + 1) if contiguous else watched
        self._rewake()

    def _add(self, symbol: str) -> int:
        slot = self._slots[symbol] = len(self._symbols)
        self._symbols.append(symbol)
        if slot == len(self._sale):
            self._resize(max(16, 2 * slot))
        self._sale[slot] = 0.0
        self._trades[slot] = 0
        self._market[slot] = 0.0
        self._scale[slot] = 0.0
        self._reset[slot] = False
        self._discount[slot] = 1.0
        self._last_fill[slot] = 0  # set by the fill that adds the symbol
        self._fill_hour[slot] = 0
        self._previous_time[slot] = _NO_TIME
        self._previous_volume[slot] = 0.0
        self._watching[slot] = False
        self._rewake()
        return slot

    def _resize(self, size: int, kept: np.ndarray | slice | None = None) -> None:
        """Every field as a new array of ``size`` entries, its used entries (those at ``kept``) first."""
        kept = slice(0, len(self._symbols)) if kept is None else kept
        for name, dtype in _FIELDS.items():
            old = getattr(self, name)
            values = old[kept]
            new = np.zeros(size, dtype=dtype)
            new[:len(values)] = values
            setattr(self, name, new)

    def update(self, utc_ns: int, bars_of: Callable[[list[str], np.ndarray], MonitoredBars], tpv: float,
               holdings_values: Callable[[list[str]], Sequence[float] | np.ndarray], force: bool = False) -> None:
        """End of a time step: capture the monitored symbols' bars, then snapshot when due.

        ``bars_of(symbols, slots)`` gives the real bar of this step of each of the slots ``slots`` (an int
        array, increasing; the same array while the monitored slots stay the same) of ``symbols`` (every
        symbol in slot order: the same list while the symbols stay the same, grown in place as they join)
        (:class:`MonitoredBars`); ``holdings_values(symbols)`` the signed holdings value of each of
        ``symbols`` (account currency), asked once a snapshot.
        """
        if self.monitoring:
            self._capture(utc_ns, bars_of(self._symbols, self._watched))
        utc_date = utc_ns // _DAY_NS * _DAY_NS
        if not (force or (utc_date >= self._next_snapshot and self._slots)):
            return
        if tpv == 0 or not self._slots:
            return
        symbols = self._symbols
        n = len(symbols)
        if self._changed:  # a fill or a capture since the last snapshot (else its figures stand, sales zero)
            sale = self._sale[:n]
            total_sale = sum(sale.tolist())  # in slot order, one addition after the other (LEAN's Sum)
            dollar_volumes = self._market[:n] * self._scale[:n]  # MarketCapacityDollarVolume
            smallest = int(dollar_volumes.argmin())  # the first smallest, as LEAN's OrderBy(...).First()
            share_sale = sale.item(smallest) / total_sale if total_sale else 0.0
            trades = self._trades.item(smallest)
            self._smallest = (smallest, dollar_volumes.item(smallest) / trades if trades else 0.0)
            self._oldest_fill = int(self._last_fill[:n].min())
            sale[:] = 0.0
            self._reset[:n] = True
            self._changed = False
        else:
            share_sale = 0.0
        smallest, daily = self._smallest
        self.lowest = symbols[smallest]
        held = holdings_values(symbols)
        share_holdings = abs(float(held[smallest])) / tpv
        scaling = max(share_sale, share_holdings)
        new = self.capacity if scaling == 0 else daily / scaling
        self.capacity = 0.33 * new + 0.66 * self.capacity if self.capacity else new
        self._next_snapshot = utc_date + self._period
        self._rewake()
        # a symbol neither filled within the effect period nor held is forgotten, the others start
        # capturing afresh
        cutoff = utc_ns - EFFECT_PERIOD_NS  # expired: the last fill at least the effect period ago
        if self._oldest_fill <= cutoff:  # (as a rule none expired: the holdings are not compared)
            forgotten = (self._last_fill[:n] <= cutoff) & (np.asarray(held, dtype=float) == 0)
            if forgotten.any():
                self._forget(forgotten)

    def _capture(self, utc_ns: int, bars: MonitoredBars) -> None:
        """The watched slots' bars of this step (``SymbolCapacity.Update`` of each); the slots whose
        capture ends are no longer watched.

        A bar without volume (a fill-forward copy) neither counts nor ends the capture. The bar's length
        names its resolution as ``ToHigherResolutionEquivalent(false)`` does: a US equity's daily bar
        (09:30 to 16:00) counts as an hour bar, a 24-hour bar as a daily one. Each figure is the scalar
        formula's operations in its order, so the sums are LEAN's to the bit.
        """
        found, close, volume, rate, starts, ends = bars
        n_counted = np.count_nonzero(volume)  # volume != 0 (NaN counts, -0.0 does not)
        if not n_counted:
            return
        slots = self._watched
        slot: np.ndarray | slice = slots if found is None else slots[found]
        if n_counted < len(slot):
            counted = volume != 0
            slot, close, volume, starts, ends = slot[counted], close[counted], volume[counted], starts[counted], ends[counted]
            if np.ndim(rate):
                rate = rate[counted]  # type: ignore[index]
        elif found is None:
            slot = self._watched_index  # every watched slot: a slice when they are contiguous
        # a bar's length in whole microseconds (a datetime's: its resolution's thresholds compare as
        # int((bar.end_time - bar.time).total_seconds() * 10**9) does) is within a microsecond of its
        # length in ns: an hour bar's (a US equity's daily bar) whatever the rounding, first
        span = ends - starts
        if span.min() >= _HOUR_NS and span.max() <= _DAY_NS - 1000:
            hours = True
        else:
            period = ends // 1000 - starts // 1000
            hours = np.count_nonzero((period >= _HOUR_US) & (period < _DAY_US)) == len(period)
        if hours:
            # the bar ending at the fill's hour rounded up, no average dollar volume needed (the window of
            # a bar shorter than an hour)
            include: np.ndarray = self._fill_hour[slot] == utc_ns
            scale: np.ndarray | float = 0.05
        else:
            slot = _positions(slot)
            include, scale = self._include(slot, utc_ns, period, self._mean(slot, utc_ns, close, volume, rate))
        self._previous_time[slot] = utc_ns
        self._previous_volume[slot] = volume
        n_included = np.count_nonzero(include)
        if n_included < len(include):
            self._watching[slot if not n_included else _positions(slot)[~include]] = False
            self._set_watched()
            if not n_included:
                return
            slot, close, volume = _positions(slot)[include], close[include], volume[include]
            if np.ndim(scale):
                scale = scale[include]  # type: ignore[index]
            if np.ndim(rate):
                rate = rate[include]  # type: ignore[index]
        self._changed = True
        self._scale[slot] = scale
        self._market[slot] += close * self._discount[slot] * volume * rate

    def _mean(self, slots: np.ndarray, utc_ns: int, close: np.ndarray, volume: np.ndarray,
              rate: np.ndarray | float) -> np.ndarray:
        """The bars' average dollar volume per minute since the slots' previous bars with volume
        (``AverageDollarVolume``; a first bar's, or one at the previous bar's time, is its dollar volume)."""
        before = self._previous_time[slots]
        first = (before == _NO_TIME) | (before == utc_ns)
        gap = utc_ns - np.where(first, utc_ns - _MINUTE_NS, before)  # a first bar's minutes are unread
        minutes = gap / _MINUTE_NS
        inexact = (np.abs(gap) >= _EXACT_FLOAT_NS).nonzero()[0]
        for k in inexact.tolist():  # Python's int division is exact where float64 cannot hold the gap
            minutes[k] = int(gap[k]) / _MINUTE_NS
        previous_volume = self._previous_volume[slots]
        return np.where(first, rate * close * volume, close * rate * (volume + previous_volume) / minutes)

    def _include(self, slots: np.ndarray, utc_ns: int, period_us: np.ndarray,
                 average: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``IncludeMarketVolume`` and ``ResolutionScaleFactor`` of each bar's resolution."""
        last = self._last_fill[slots]
        include = np.empty(len(slots), dtype=bool)
        scale = np.empty(len(slots))
        daily = period_us >= _DAY_US
        hourly = ~daily & (period_us >= _HOUR_US)
        shorter = ~(daily | hourly)
        if daily.any():
            day_last = last[daily]
            include[daily] = (utc_ns == day_last) | (utc_ns // _DAY_NS * _DAY_NS == -(-day_last // _DAY_NS) * _DAY_NS)
            scale[daily] = 0.02
        if hourly.any():
            include[hourly] = self._fill_hour[slots[hourly]] == utc_ns
            scale[hourly] = 0.05
        if shorter.any():
            # the window grows as the dollar volume shrinks: 6e6 (a minute bar) or 1e5 (a second bar)
            # over the average, in minutes, clipped to [1 (5), 120]
            minutely = period_us[shorter] >= _MINUTE_US
            mean = average[shorter]
            with np.errstate(divide="ignore"):
                k = np.where(mean != 0, np.where(minutely, 6_000_000, 100_000) / mean, 10.0)
            minutes = np.minimum(120, np.maximum(np.where(minutely, 1, 5), np.trunc(k))).astype(np.int64)
            include[shorter] = utc_ns <= last[shorter] + minutes * _MINUTE_NS
            scale[shorter] = np.where(minutely, 0.20, 0.50)
        return include, scale

    def _forget(self, forgotten: np.ndarray) -> None:
        """Drop the symbols of the slots where ``forgotten`` (a mask of the used slots) holds: the others
        keep their order; a symbol filled again joins at the end."""
        kept = (~forgotten).nonzero()[0]
        self._symbols = [self._symbols[slot] for slot in kept.tolist()]
        self._resize(len(self._sale), kept)
        self._slots = {symbol: slot for slot, symbol in enumerate(self._symbols)}
        self._changed = True
        self._set_watched()

    @property
    def rounded(self) -> float:
        """The capacity rounded to 1,000, halves away from zero (``DiscretelyRoundBy(1000)``)."""
        return math.floor(self.capacity / 1000.0 + 0.5) * 1000.0


def _positions(index: np.ndarray | slice) -> np.ndarray:
    """The slots an index of the slot arrays reads (a slice's as an array)."""
    return np.arange(index.start, index.stop) if isinstance(index, slice) else index
