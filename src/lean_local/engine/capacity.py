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
from array import array
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd

_DAY_NS = 86_400 * 10**9
_MINUTE_NS = 60 * 10**9
_HOUR_NS = 60 * _MINUTE_NS
#: ``SymbolCapacity.CapacityEffectPeriod``.
EFFECT_PERIOD_NS = 30 * _DAY_NS
#: An upper bound of UTC minus New York wall time (EST is 5 hours behind UTC, EDT 4).
MAX_UTC_OFFSET_NS = 6 * _HOUR_NS
#: ``SymbolCapacity._forexMinuteVolume``: the volume LEAN gives a forex quote bar.
FOREX_VOLUME = 25_000_000.0
#: ``previous_time`` of a symbol without a bar with volume yet.
_NO_TIME = np.iinfo(np.int64).min
#: Nanosecond gaps from which int64 -> float64 rounds: Python divides such ints exactly, numpy does not.
_EXACT_FLOAT_NS = 2**53
#: Fewer fills at one time than this take :meth:`CapacityEstimate.on_fill` one by one.
_MIN_ARRAY_FILLS = 8


class MonitoredBars(NamedTuple):
    """The real bars of this step of the symbols being captured (``SymbolCapacity.GetBar``): those of the
    symbols at positions ``found`` of the list asked (increasing; None: every symbol has one), one entry
    each."""

    found: np.ndarray | None  # intp
    close: np.ndarray  # float64
    volume: np.ndarray  # float64, FOREX_VOLUME for a forex quote bar
    conversion_rate: np.ndarray | float  # quote currency to account currency (one rate: every bar's)
    period_ns: np.ndarray  # int64, the bar's length


#: no symbol has a bar
_NO_BARS = MonitoredBars(np.empty(0, dtype=np.intp), np.empty(0), np.empty(0), 1.0, np.empty(0, dtype=np.int64))


def no_bars(symbols: Sequence[str]) -> MonitoredBars:
    """No symbol has a bar (a step of LEAN's internal benchmark feed)."""
    return _NO_BARS


def bars_at(symbols: Sequence[str], found: np.ndarray, close: np.ndarray, volume: np.ndarray,
            conversion_rate: np.ndarray | float, period_ns: np.ndarray) -> MonitoredBars:
    """The bars of ``symbols`` when the ones at positions ``found`` (increasing) have the bars given (one
    entry each; ``conversion_rate`` may be one rate for all), the others none."""
    return MonitoredBars(None if len(found) == len(symbols) else found, close, volume, conversion_rate, period_ns)


class CapacityEstimate:
    """The strategy's capacity and its lowest-capacity symbol (LEAN ``CapacityEstimate`` and its
    ``SymbolCapacity`` per traded symbol).

    Each symbol's state is a slot in per-field arrays (in the order LEAN's dictionary keeps the
    symbols: first fill first, a forgotten symbol joining again at the end). The fields a snapshot reads
    of every symbol and the ones a step's capture updates are ``array.array`` buffers: a fill reads and
    writes Python numbers, a step's capture and a snapshot read and write them as numpy arrays without
    a copy (a list's conversion costs more than the rest).

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
        self._sale = array("d")  # SaleVolume
        self._trades = array("q")
        self._market = array("d")  # the captured market volume (dollars)
        self._scale = array("d")  # the resolution's scale factor of the last captured bar
        self._reset = array("b")  # a snapshot passed: the next fill restarts the capture
        self._discount = array("d")  # the fast-trading discount of the last fill
        self._last_fill = array("q")  # UTC ns
        self._fill_hour = array("q")  # the last fill's time rounded up to the hour (an hour bar's capture)
        self._previous_time = array("q")  # the last bar with volume (UTC ns), _NO_TIME before one
        self._previous_volume = array("d")
        self._monitored: list[int] = []  # the slots whose bars are being captured, in the order they started
        self._monitored_symbols: list[str] = []  # their symbols (bars_of's question)
        self._monitored_slots: np.ndarray | None = None  # _monitored as an array, made when asked
        self._is_monitored: list[bool] = []
        #: whether some symbol's bars are being captured (the engine reads their current bars)
        self.monitoring = False
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

    def dollar_volume(self, symbol: str) -> float:
        """The symbol's captured market volume times its scale (``MarketCapacityDollarVolume``)."""
        slot = self._slots[symbol]
        return self._market[slot] * self._scale[slot]

    def trades(self, symbol: str) -> int:
        """The symbol's fills since its capture last restarted (``Trades``)."""
        return self._trades[self._slots[symbol]]

    def on_fill(self, symbol: str, utc_ns: int, value: float) -> None:
        """A fill of ``symbol`` of value ``value`` (account currency, either sign) at ``utc_ns``
        (``SymbolCapacity.OnOrderEvent``): it starts or continues the capture of its bars."""
        slot = self._slots.get(symbol)
        if slot is None:
            slot = self._add(symbol)
            previous = utc_ns - _DAY_NS
        else:
            previous = self._last_fill[slot]
        self._changed = True
        self._sale[slot] += abs(value)
        discount = 2.0 * ((utc_ns - previous) / _MINUTE_NS) / 390.0
        self._discount[slot] = 1.0 if discount > 1 else max(0.2, discount)
        if self._reset[slot]:
            self._market[slot] = 0.0
            self._trades[slot] = 0
            self._reset[slot] = False
        self._trades[slot] += 1
        self._last_fill[slot] = utc_ns
        self._fill_hour[slot] = -(-utc_ns // _HOUR_NS) * _HOUR_NS
        if not self._is_monitored[slot]:
            self._watch([slot])

    def on_fills(self, symbols: list[str], utc_ns: int, values: list[float]) -> None:
        """:meth:`on_fill` of each of a time's fills, in order (``symbols`` and ``values`` one per fill):
        as arrays when no symbol fills twice, each figure the scalar formula's operations in its order."""
        if len(symbols) < _MIN_ARRAY_FILLS or len(distinct := set(symbols)) < len(symbols):
            for symbol, value in zip(symbols, values, strict=True):
                self.on_fill(symbol, utc_ns, value)
            return
        known = self._slots
        if not distinct <= known.keys():  # a C-level check first: mostly every symbol was filled before
            for symbol in symbols:
                if symbol not in known:
                    # a first fill's previous fill is a day before it
                    self._last_fill[self._add(symbol)] = utc_ns - _DAY_NS
        self._changed = True
        slots = np.fromiter(map(known.__getitem__, symbols), dtype=np.intp, count=len(symbols))
        sale = np.frombuffer(self._sale)
        sale[slots] += np.abs(values)
        last_fill = np.frombuffer(self._last_fill, dtype=np.int64)
        gap = utc_ns - last_fill[slots]
        minutes = gap / _MINUTE_NS
        for k in np.flatnonzero(np.abs(gap) >= _EXACT_FLOAT_NS).tolist():  # see _mean
            minutes[k] = int(gap[k]) / _MINUTE_NS
        discount = 2.0 * minutes / 390.0
        np.frombuffer(self._discount)[slots] = np.where(discount > 1, 1.0, np.maximum(0.2, discount))
        reset = np.frombuffer(self._reset, dtype=np.int8)
        restart = slots[reset[slots] != 0]
        np.frombuffer(self._market)[restart] = 0.0
        trades = np.frombuffer(self._trades, dtype=np.int64)
        trades[restart] = 0
        reset[restart] = 0
        trades[slots] += 1
        last_fill[slots] = utc_ns
        np.frombuffer(self._fill_hour, dtype=np.int64)[slots] = -(-utc_ns // _HOUR_NS) * _HOUR_NS
        is_monitored, slot_list = self._is_monitored, slots.tolist()
        if not all(map(is_monitored.__getitem__, slot_list)):  # a C-level pass first: mostly all are
            self._watch([slot for slot in slot_list if not is_monitored[slot]])

    def _watch(self, slots: list[int]) -> None:
        """Start capturing the bars of ``slots`` (distinct, not captured yet; in this order, after the ones
        captured already): the lists grow in place."""
        is_monitored = self._is_monitored
        for slot in slots:
            is_monitored[slot] = True
        self._monitored.extend(slots)
        self._monitored_symbols.extend(map(self._symbols.__getitem__, slots))
        self._monitored_slots = None
        self.monitoring = bool(self._monitored)

    def _set_monitored(self, slots: list[int]) -> None:
        """Capture the bars of ``slots`` (in this order) from now: a new list of their symbols, so that
        ``bars_of`` may keep what it read of a list while it is the same list of the same length (one
        only grows, by :meth:`_watch`)."""
        self._monitored = slots
        self._monitored_symbols = list(map(self._symbols.__getitem__, slots))
        self._monitored_slots = None
        self.monitoring = bool(slots)

    def _add(self, symbol: str) -> int:
        slot = self._slots[symbol] = len(self._symbols)
        self._symbols.append(symbol)
        self._sale.append(0.0)
        self._trades.append(0)
        self._market.append(0.0)
        self._scale.append(0.0)
        self._reset.append(False)
        self._discount.append(1.0)
        self._last_fill.append(0)  # set by the fill that adds the symbol
        self._fill_hour.append(0)
        self._previous_time.append(_NO_TIME)
        self._previous_volume.append(0.0)
        self._is_monitored.append(False)
        return slot

    def update(self, utc_ns: int, bars_of: Callable[[list[str]], MonitoredBars], tpv: float,
               holdings_values: Callable[[list[str]], Sequence[float] | np.ndarray], force: bool = False) -> None:
        """End of a time step: capture the monitored symbols' bars, then snapshot when due.

        ``bars_of(symbols)`` gives the real bar of this step of each of ``symbols`` (:class:`MonitoredBars`;
        ``symbols`` is the same list while the monitored symbols stay the same, and grows in place as they join);
        ``holdings_values(symbols)`` the signed holdings value of each (account currency), asked once a
        snapshot, of every symbol (the same list while the symbols stay the same).
        """
        if self.monitoring:
            if self._monitored_slots is None:
                self._monitored_slots = np.array(self._monitored, dtype=np.intp)
            slots = self._monitored_slots
            ended = self._capture(slots, utc_ns, bars_of(self._monitored_symbols))
            if ended is not None:
                for slot in slots[ended].tolist():
                    self._is_monitored[slot] = False
                self._set_monitored(slots[~ended].tolist())
        utc_date = utc_ns // _DAY_NS * _DAY_NS
        if not (force or (utc_date >= self._next_snapshot and self._slots)):
            return
        if tpv == 0 or not self._slots:
            return
        symbols = self._symbols
        if self._changed:  # a fill or a capture since the last snapshot (else its figures stand, sales zero)
            total_sale = sum(self._sale)  # in slot order, one addition after the other (LEAN's Sum)
            # views of the buffers, released when this call returns (an array.array cannot grow while viewed)
            dollar_volumes = np.frombuffer(self._market) * np.frombuffer(self._scale)  # MarketCapacityDollarVolume
            smallest = int(dollar_volumes.argmin())  # the first smallest, as LEAN's OrderBy(...).First()
            share_sale = self._sale[smallest] / total_sale if total_sale else 0.0
            trades = self._trades[smallest]
            self._smallest = (smallest, float(dollar_volumes[smallest]) / trades if trades else 0.0)
            self._oldest_fill = min(self._last_fill)
            self._sale = array("d", bytes(8 * len(symbols)))  # zeros
            self._reset = array("b", [True]) * len(symbols)
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
        # a symbol neither filled within the effect period nor held is forgotten, the others start
        # capturing afresh
        cutoff = utc_ns - EFFECT_PERIOD_NS  # expired: the last fill at least the effect period ago
        if self._oldest_fill <= cutoff:  # (as a rule none expired: the holdings are not compared)
            expired = np.frombuffer(self._last_fill, dtype=np.int64) <= cutoff
            forgotten = (expired & (np.asarray(held, dtype=float) == 0)).nonzero()[0]
            if len(forgotten):
                self._forget(set(forgotten.tolist()))

    def _capture(self, slots: np.ndarray, utc_ns: int, bars: MonitoredBars) -> np.ndarray | None:
        """The slots' bars of this step (``SymbolCapacity.Update`` of each); where the capture ends (a mask
        of ``slots``; None: nowhere).

        A bar without volume (a fill-forward copy) neither counts nor ends the capture. The bar's length
        names its resolution as ``ToHigherResolutionEquivalent(false)`` does: a US equity's daily bar
        (09:30 to 16:00) counts as an hour bar, a 24-hour bar as a daily one. Each figure is the scalar
        formula's operations in its order, so the sums are LEAN's to the bit.
        """
        found, close, volume, rate, period = bars
        counted = volume != 0
        n_counted = np.count_nonzero(counted)  # all() and any() without their Python wrappers
        if not n_counted:
            return None
        slot = slots if found is None else slots[found]
        at = found  # the counted bars' positions in slots (None: every slot)
        if n_counted < len(slot):
            at = np.flatnonzero(counted) if found is None else found[counted]
            slot, close, volume, period = slot[counted], close[counted], volume[counted], period[counted]
            if np.ndim(rate):
                rate = rate[counted]  # type: ignore[index]
        if np.count_nonzero((period >= _HOUR_NS) & (period < _DAY_NS)) == len(slot):
            # hour bars only (a US equity's daily bars): the bar ending at the fill's hour rounded up, no
            # average dollar volume needed (the window of a bar shorter than an hour)
            include: np.ndarray = np.frombuffer(self._fill_hour, dtype=np.int64)[slot] == utc_ns
            scale: np.ndarray | float = 0.05
        else:
            include, scale = self._include(slot, utc_ns, period, self._mean(slot, utc_ns, close, volume, rate))
        np.frombuffer(self._previous_time, dtype=np.int64)[slot] = utc_ns
        np.frombuffer(self._previous_volume)[slot] = volume
        n_included = np.count_nonzero(include)
        ended = None
        if n_included < len(include):
            ended = np.zeros(len(slots), dtype=bool)
            ended[np.arange(len(slots)) if at is None else at] = ~include
            if not n_included:
                return ended
            slot, close, volume = slot[include], close[include], volume[include]
            if np.ndim(scale):
                scale = scale[include]  # type: ignore[index]
            if np.ndim(rate):
                rate = rate[include]  # type: ignore[index]
        self._changed = True
        np.frombuffer(self._scale)[slot] = scale
        discount = np.frombuffer(self._discount)[slot]
        np.frombuffer(self._market)[slot] += close * discount * volume * rate
        return ended

    def _mean(self, slots: np.ndarray, utc_ns: int, close: np.ndarray, volume: np.ndarray,
              rate: np.ndarray | float) -> np.ndarray:
        """The bars' average dollar volume per minute since the slots' previous bars with volume
        (``AverageDollarVolume``; a first bar's, or one at the previous bar's time, is its dollar volume)."""
        before = np.frombuffer(self._previous_time, dtype=np.int64)[slots]
        first = (before == _NO_TIME) | (before == utc_ns)
        gap = utc_ns - np.where(first, utc_ns - _MINUTE_NS, before)  # a first bar's minutes are unread
        minutes = gap / _MINUTE_NS
        inexact = (np.abs(gap) >= _EXACT_FLOAT_NS).nonzero()[0]
        for k in inexact.tolist():  # Python's int division is exact where float64 cannot hold the gap
            minutes[k] = int(gap[k]) / _MINUTE_NS
        previous_volume = np.frombuffer(self._previous_volume)[slots]
        return np.where(first, rate * close * volume, close * rate * (volume + previous_volume) / minutes)

    def _include(self, slots: np.ndarray, utc_ns: int, period_ns: np.ndarray,
                 average: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``IncludeMarketVolume`` and ``ResolutionScaleFactor`` of each bar's resolution."""
        last = np.frombuffer(self._last_fill, dtype=np.int64)[slots]
        include = np.empty(len(slots), dtype=bool)
        scale = np.empty(len(slots))
        daily = period_ns >= _DAY_NS
        hourly = ~daily & (period_ns >= _HOUR_NS)
        shorter = ~(daily | hourly)
        if daily.any():
            day_last = last[daily]
            include[daily] = (utc_ns == day_last) | (utc_ns // _DAY_NS * _DAY_NS == -(-day_last // _DAY_NS) * _DAY_NS)
            scale[daily] = 0.02
        if hourly.any():
            include[hourly] = np.frombuffer(self._fill_hour, dtype=np.int64)[slots[hourly]] == utc_ns
            scale[hourly] = 0.05
        if shorter.any():
            # the window grows as the dollar volume shrinks: 6e6 (a minute bar) or 1e5 (a second bar)
            # over the average, in minutes, clipped to [1 (5), 120]
            minutely = period_ns[shorter] >= _MINUTE_NS
            mean = average[shorter]
            with np.errstate(divide="ignore"):
                k = np.where(mean != 0, np.where(minutely, 6_000_000, 100_000) / mean, 10.0)
            minutes = np.minimum(120, np.maximum(np.where(minutely, 1, 5), np.trunc(k))).astype(np.int64)
            include[shorter] = utc_ns <= last[shorter] + minutes * _MINUTE_NS
            scale[shorter] = np.where(minutely, 0.20, 0.50)
        return include, scale

    def _forget(self, slots: set[int]) -> None:
        """Drop ``slots``' symbols (the others keep their order; a symbol filled again joins at the end)."""
        kept = [slot for slot in range(len(self._symbols)) if slot not in slots]
        moved = {old: new for new, old in enumerate(kept)}
        for name in ("_symbols", "_sale", "_trades", "_market", "_scale", "_reset", "_discount", "_last_fill",
                     "_fill_hour", "_previous_time", "_previous_volume", "_is_monitored"):
            values = getattr(self, name)
            kept_values = [values[slot] for slot in kept]
            setattr(self, name, array(values.typecode, kept_values) if isinstance(values, array) else kept_values)
        self._slots = {symbol: slot for slot, symbol in enumerate(self._symbols)}
        self._changed = True
        self._set_monitored([moved[slot] for slot in self._monitored if slot in moved])

    @property
    def rounded(self) -> float:
        """The capacity rounded to 1,000, halves away from zero (``DiscretelyRoundBy(1000)``)."""
        return math.floor(self.capacity / 1000.0 + 0.5) * 1000.0
