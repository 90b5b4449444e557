"""Splits, dividends, delistings and ticker changes of equities (LEAN's auxiliary data).

LEAN derives these events from the data folder's factor and map files as a subscription's reader
enters each trading day D (``Engine/DataFeeds/Enumerators``: ``SplitEventProvider``,
``DividendEventProvider``, ``DelistingEventProvider``, ``MappingEventProvider``). Each event is
time-stamped at 00:00 of its day and, like any data, reaches the algorithm in the first time step
at or after that time (with daily bars ending at the close, a step of its own at midnight):

- a factor-file row dated D (a trading day the map file covers) whose split factor differs from
  the next row's: ``Split`` warning at D (price: the last raw close before D), then
  ``SplitOccurred`` on the next trading day (the row's reference price, factor = this row's split
  factor / the next row's);
- the same with the price factor: ``Dividend`` on the next trading day, distribution =
  ``round(reference - reference * ratio, 2)`` with ratio = this row's price factor / the next
  row's (C#'s banker's rounding of decimals);
- the map file's last date L (before 2050): ``Delisting`` warning at L once a trading day >= L is
  reached, ``Delisted`` at L + 1 day once a trading day after L is (price: the last close before);
- the ticker the map file gives for a trading day differs from the previous one:
  ``SymbolChangedEvent(symbol, D, old, new)``.
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import IntEnum
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.data.map_files import MapFile
from lean_local.engine.common import Symbol
from lean_local.engine.subscription_data import NEW_YORK, ns_to_datetime


class SplitType(IntEnum):
    """LEAN ``SplitType``: the warning the trading day before, then the split itself."""

    WARNING = 0
    SPLIT_OCCURRED = 1


class DelistingType(IntEnum):
    """LEAN ``DelistingType``: the warning on the delisting date, then the delisting."""

    WARNING = 0
    DELISTED = 1


class _Event:
    """What LEAN's auxiliary ``BaseData`` share: ``symbol``, ``time`` = ``end_time``, ``value``."""

    __slots__ = ("symbol", "time", "value")

    def __init__(self, symbol: Symbol, time: datetime, value: float) -> None:
        self.symbol = symbol
        self.time = time
        self.value = float(value)

    @property
    def end_time(self) -> datetime:
        return self.time

    @property
    def price(self) -> float:
        return self.value


class Split(_Event):
    """LEAN ``Split``: ``split_factor`` (0.25 for a 4-for-1 split), ``reference_price`` (the raw
    close the factor applies to), ``type`` (:class:`SplitType`)."""

    __slots__ = ("split_factor", "type")

    def __init__(self, symbol: Symbol, date: datetime, price: float, split_factor: float,
                 type: SplitType) -> None:  # noqa: A002 - LEAN's parameter name
        super().__init__(symbol, date, price)
        self.split_factor = float(split_factor)
        self.type = type

    @property
    def reference_price(self) -> float:
        return self.value

    def __repr__(self) -> str:
        kind = "Split" if self.type == SplitType.SPLIT_OCCURRED else "SplitWarning"
        return f"{kind}: {self.symbol}: {self.split_factor:g} | {self.reference_price:g}"


class Dividend(_Event):
    """LEAN ``Dividend``: ``distribution`` per share (account currency) and the
    ``reference_price`` it was computed from."""

    __slots__ = ("reference_price",)

    def __init__(self, symbol: Symbol, date: datetime, distribution: float, reference_price: float) -> None:
        super().__init__(symbol, date, distribution)
        self.reference_price = float(reference_price)

    @property
    def distribution(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Dividend: {self.symbol}: {self.distribution:g} | {self.reference_price:g}"


class Delisting(_Event):
    """LEAN ``Delisting``: ``type`` (:class:`DelistingType`), ``price`` (the last close)."""

    __slots__ = ("type", "ticket")

    def __init__(self, symbol: Symbol, date: datetime, price: float,
                 type: DelistingType) -> None:  # noqa: A002 - LEAN's parameter name
        super().__init__(symbol, date, price)
        self.type = type
        self.ticket: Any = None

    def __repr__(self) -> str:
        kind = "Delisting warning" if self.type == DelistingType.WARNING else "Delisted"
        return f"{kind}: {self.symbol} {self.time}"


class SymbolChangedEvent(_Event):
    """LEAN ``SymbolChangedEvent``: the ticker ``old_symbol`` became ``new_symbol``."""

    __slots__ = ("old_symbol", "new_symbol")

    def __init__(self, symbol: Symbol, date: datetime, old_symbol: str, new_symbol: str) -> None:
        super().__init__(symbol, date, 0.0)
        self.old_symbol = old_symbol
        self.new_symbol = new_symbol

    def __repr__(self) -> str:
        return f"{self.time} {self.old_symbol}->{self.new_symbol}"


def _distribution(reference: float, ratio: float) -> float:
    """``Math.Round(reference - reference * ratio, 2)`` in C# decimals (half to even) of the two
    numbers' shortest decimal forms (``repr``).

    The float difference is within a few units of 2**-52 of the operands of the decimal one, so
    away from a half cent (by ``_TIE_MARGIN`` of the operands, about 10**6 times that error) both
    round to the same cent count, and that count over 100 (one correctly rounded division) is the
    float nearest the decimal result, as ``float`` of the decimal is. Near a half cent, at zero (a
    decimal keeps the sign of a negative zero) and where the margin reaches a quarter cent, the
    decimals decide (about 6 us; the float path 1)."""
    product = reference * ratio
    cents = (reference - product) * 100.0
    margin = _TIE_MARGIN * (abs(reference) + abs(product) + abs(cents))
    if margin < 0.25 and math.isfinite(cents):
        whole = math.floor(cents)
        if abs(cents - whole - 0.5) > margin:
            count = whole + 1 if cents - whole > 0.5 else whole
            if count:
                return count / 100
    ref = Decimal(repr(reference))
    return float((ref - ref * Decimal(repr(ratio))).quantize(_CENT, rounding=ROUND_HALF_EVEN))


def _distributions(references: np.ndarray, ratios: np.ndarray) -> list[float]:
    """:func:`_distribution` of each pair: its float path as array operations (the same IEEE operations
    in the same order, so the same floats), the pairs it leaves to the decimals one by one."""
    with np.errstate(invalid="ignore", over="ignore"):
        products = references * ratios
        cents = (references - products) * 100.0
        margins = _TIE_MARGIN * (np.abs(references) + np.abs(products) + np.abs(cents))
        wholes = np.floor(cents)
        fractions = cents - wholes
        counts = np.where(fractions > 0.5, wholes + 1, wholes)
        # the float path's conditions; a count of zero goes to the decimals (a negative zero)
        fast = (margins < 0.25) & np.isfinite(cents) & (np.abs(fractions - 0.5) > margins) & (counts != 0)
    values = (counts / 100).tolist()
    for i in np.flatnonzero(~fast).tolist():
        values[i] = _distribution(references.item(i), ratios.item(i))
    return values


_CENT = Decimal("0.01")
#: :func:`_distribution`'s margin around a half cent, in cents per unit of the operands' magnitude
_TIE_MARGIN = 1e-7


class EventSource(NamedTuple):
    """One equity subscription's inputs to its events.

    Attributes
    ----------
    symbol : Symbol
        The subscribed symbol (events are keyed by it).
    map_file : MapFile
        Its map file (:meth:`MapFile.unmapped` when none: no ticker changes, no delisting).
    factors : pd.DataFrame, np.ndarray or None
        Its factor file as read by :func:`lean_local.data.formats.read_factor_file`, or that frame's
        record array (:func:`lean_local.engine.parsed_cache.load_record`), or None.
    closes : callable
        ``closes(field, day_ns)``: the price a warning carries, the last daily close before the midnight
        ``day_ns`` (0 before any), raw (``"raw"``) or as the algorithm sees it (``"normalized"``); asked
        only when a split or a delisting needs a price (most subscriptions have neither).
    """

    symbol: Symbol
    map_file: MapFile
    factors: pd.DataFrame | np.ndarray | None
    closes: Callable[[str, int], float]


def equities_event_entries(sources: list[EventSource], trading_days: pd.DatetimeIndex
                           ) -> list[list[tuple[int, int, _Event]]]:
    """Every event of each of ``sources`` over ``trading_days`` (the exchange's trading days, midnights,
    ascending) as ``(time ns, provider order, event)``, in time order, then LEAN's provider order within a
    day: one list per source. The factor files' rows of all of them are searched and their dividends
    computed together (a run's start schedules every subscription's events: a few numpy calls in all
    instead of about 15 per subscription)."""
    days = trading_days.asi8  # int64 ns: a datetime only for each event
    if not len(days):
        return [[] for _ in sources]
    # each source's covered days are one run, days[lo:hi]: from its map file's first date to its last
    lo, hi = np.zeros(len(sources), dtype=np.int64), np.full(len(sources), len(days), dtype=np.int64)
    mapped = [k for k, source in enumerate(sources) if len(source.map_file)]
    if mapped:
        ends = np.array([(dates[0], dates[-1]) for k in mapped for dates in [sources[k].map_file.dates.asi8]])
        lo[mapped] = np.searchsorted(days, ends[:, 0], side="left")
        hi[mapped] = np.searchsorted(days, ends[:, 1], side="right")
    events: list[list[tuple[int, int, _Event]]] = [[] for _ in sources]
    _factor_events(sources, days, lo, hi, events)
    for k, (source, entries) in enumerate(zip(sources, events, strict=True)):
        symbol, map_file = source.symbol, source.map_file
        # a map file of one ticker, the symbol's own, reports no change (the common case: no per-day scan)
        if len(map_file) > 1 and set(map_file.tickers) != {symbol.value}:
            _ticker_changes(symbol, map_file, days, int(lo[k]), int(hi[k]), entries)
        delisted = map_file.delisted if len(map_file) else None
        if delisted is not None:
            delisted_ns = delisted.value
            if days[-1] >= delisted_ns:
                entries.append((delisted_ns, 3, Delisting(symbol, delisted.to_pydatetime(),
                                                          source.closes("normalized", delisted_ns), DelistingType.WARNING)))
            if days[-1] > delisted_ns:
                gone = delisted_ns + _DAY_NS
                entries.append((gone, 3, Delisting(symbol, _datetime(gone), source.closes("normalized", gone),
                                                   DelistingType.DELISTED)))
        if len(entries) > 1:
            entries.sort(key=_TIME_AND_PROVIDER)
    return events


def _factor_events(sources: list[EventSource], days: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   events: list[list[tuple[int, int, _Event]]]) -> None:
    """The splits and dividends of every source's factor file, appended to its ``events``: a row dated on
    a covered trading day whose factor differs from the next row's (splits first, then dividends, each
    in row order)."""
    files = [(k, _factor_columns(source.factors)) for k, source in enumerate(sources)
             if source.factors is not None and len(source.factors) > 1]
    if not files:
        return
    lengths = np.array([len(columns[0]) for _, columns in files])
    owner = np.repeat(np.array([k for k, _ in files]), lengths)
    row_ns, price_factor, split_factor, reference = (np.concatenate([columns[f] for _, columns in files])
                                                     for f in range(4))
    # a row and the next one of the same file (each file's last row has none)
    pair = np.ones(len(row_ns) - 1, dtype=bool)
    pair[np.cumsum(lengths)[:-1] - 1] = False
    split_changes = (split_factor[:-1] != split_factor[1:]) & pair
    price_changes = (price_factor[:-1] != price_factor[1:]) & pair
    # a file whose factors never change (most equities without dividends) has no event
    rows = np.flatnonzero(split_changes | price_changes)
    if not len(rows):
        return
    first, end = lo[owner[rows]], hi[owner[rows]]
    # each row's covered day (np.searchsorted in the covered days: the search in all days, clipped), the
    # last covered day past the last; the row counts when it is dated on that day
    at = np.minimum(np.clip(np.searchsorted(days, row_ns[rows]), first, end) - first, np.maximum(end - first - 1, 0))
    on_day = (end > first) & (days[np.minimum(first + at, len(days) - 1)] == row_ns[rows])
    rows, at, first, end = rows[on_day], at[on_day], first[on_day], end[on_day]
    last_day = end - first - 1
    # the few rows' values as Python numbers (a numpy scalar's every operation costs about 10 times a
    # float's; the same IEEE results, and repr gives the same shortest digits for _distribution)
    splitting = split_changes[rows]
    for i, k, day_index, last in zip(rows[splitting].tolist(), owner[rows[splitting]].tolist(),
                                     (first + at)[splitting].tolist(), (at < last_day)[splitting].tolist(),
                                     strict=True):
        symbol, day = sources[k].symbol, days.item(day_index)
        factor = split_factor.item(i) / split_factor.item(i + 1)
        events[k].append((day, 0, Split(symbol, _datetime(day), sources[k].closes("raw", day), factor, SplitType.WARNING)))
        if last:
            following = days.item(day_index + 1)
            events[k].append((following, 0, Split(symbol, _datetime(following), reference.item(i), factor,
                                                  SplitType.SPLIT_OCCURRED)))
    # the dividends (a few a year: most events) computed together; each time's entry sorts after its splits
    # whatever the order they are listed in (the sort is by time, then provider)
    paying = price_changes[rows] & (at < last_day)
    paid = rows[paying]
    if not len(paid):
        return
    ratios = price_factor[paid] / price_factor[paid + 1]
    for k, following, distribution, price in zip(owner[paid].tolist(), days[(first + at)[paying] + 1].tolist(),
                                                 _distributions(reference[paid], ratios), reference[paid].tolist(),
                                                 strict=True):
        events[k].append((following, 1, Dividend(sources[k].symbol, _datetime(following), distribution, price)))


def _ticker_changes(symbol: Symbol, map_file: MapFile, days: np.ndarray, lo: int, hi: int,
                    events: list[tuple[int, int, _Event]]) -> None:
    """LEAN's ``MappingEventProvider`` over the covered days ``days[lo:hi]``: the subscription's ticker is
    the map file's at the start when the file covers the start, else the symbol's own; the first covered
    day reports a difference, then each day whose mapped ticker differs from the one before."""
    tickers = np.asarray(map_file.tickers, dtype=object)
    at = np.minimum(np.searchsorted(map_file.dates.asi8, days, side="left"), len(tickers) - 1)
    mapped = tickers[at]
    previous = mapped[0] if lo == 0 < hi else symbol.value
    # the covered days are one run, so after the first of them only a day whose mapped ticker differs
    # from the day before's can report a change
    candidates = np.zeros(len(days), dtype=bool)
    candidates[1:] = mapped[1:] != mapped[:-1]
    candidates[lo:lo + 1] = True
    for k in (np.flatnonzero(candidates[lo:hi]) + lo).tolist():
        if mapped[k] != previous:
            day = int(days[k])
            events.append((day, 2, SymbolChangedEvent(symbol, _datetime(day), previous, mapped[k])))
            previous = mapped[k]


_DAY_NS = 86_400 * 10**9
_TIME_AND_PROVIDER = operator.itemgetter(0, 1)  # an event entry's sort key (C-level, no lambda call)


@functools.lru_cache(maxsize=4096)
def _datetime(ns: int) -> datetime:
    """A day's midnight (int64 ns) as a naive datetime (one object per day: the equities of an
    exchange share their event days, and a datetime is immutable)."""
    return ns_to_datetime(ns)


def _factor_columns(factors: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A factor file's rows: the midnight of each row's date (int64 ns), the price factor, the split
    factor and the reference price, from the frame or from its record array."""
    if isinstance(factors, pd.DataFrame):
        dates = pd.DatetimeIndex(factors.index).asi8
    else:
        dates = factors["__index__"]
    return (dates - dates % _DAY_NS, *(np.asarray(factors[name], dtype=float)
                                       for name in ("price_factor", "split_factor", "reference_price")))


@dataclass
class StepEvents:
    """The events one time step hands to the algorithm, by kind, keyed by symbol."""

    splits: dict[Symbol, Split] = field(default_factory=dict)
    dividends: dict[Symbol, Dividend] = field(default_factory=dict)
    delistings: dict[Symbol, Delisting] = field(default_factory=dict)
    symbol_changed_events: dict[Symbol, SymbolChangedEvent] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.splits) + len(self.dividends) + len(self.delistings) + len(self.symbol_changed_events)

    def drop(self, symbols: set[Symbol]) -> None:
        """Forget the events of ``symbols`` (securities whose subscription ended)."""
        for events in (self.splits, self.dividends, self.delistings, self.symbol_changed_events):
            for symbol in symbols.intersection(events):
                del events[symbol]

    def symbols(self) -> list[Symbol]:
        """Symbols with any event, in first-seen order."""
        return list(dict.fromkeys([*self.splits, *self.dividends, *self.delistings, *self.symbol_changed_events]))


class EventSchedule:
    """Pending events of every subscribed equity, handed out by time step.

    The events of each time in the order they were scheduled, and a heap of the distinct times: a
    subscription's events join in ``O(log n)`` each (a whole re-sort per subscription grew with the
    square of a long backtest's securities), and a step pops its time once however many equities have
    an event then (the dividends of a day). ``due(now_ns)`` is one comparison when nothing is due, so a
    run without corporate events pays nothing per step.
    """

    def __init__(self) -> None:
        self._times: list[int] = []  # a heap of the keys of _at
        self._at: dict[int, list[tuple[int, _Event]]] = {}  # time ns -> its (provider order, event), in turn
        self.next_ns = _NEVER

    def add(self, entries: list[tuple[int, int, _Event]], from_ns: int) -> None:
        """Schedule the events of ``entries`` (:func:`equities_event_entries`' ``(time ns, provider order,
        event)``, one subscription's or several's in turn) at or after ``from_ns``; earlier ones are dropped."""
        at, times = self._at, self._times
        for when, order, event in entries:
            if when < from_ns:
                continue
            pending = at.get(when)
            if pending is None:
                pending = at[when] = []
                heapq.heappush(times, when)
            pending.append((order, event))
        if times:
            self.next_ns = times[0]

    def times(self) -> np.ndarray:
        """The distinct times still pending (int64 ns, ascending), for the clock's grid."""
        return np.sort(np.fromiter(self._at, np.int64, len(self._at)))

    def due(self, now_ns: int) -> StepEvents | None:
        """The events with a time at or before ``now_ns`` not handed out yet; None when none."""
        if now_ns < self.next_ns:
            return None
        times = self._times
        step = StepEvents()
        # by provider order: splits, dividends, ticker changes, delistings (equities_event_entries)
        kinds = (step.splits, step.dividends, step.symbol_changed_events, step.delistings)
        while times and times[0] <= now_ns:
            for order, event in self._at.pop(heapq.heappop(times)):
                kinds[order][event.symbol] = event
        self.next_ns = times[0] if times else _NEVER
        return step


_NEVER = int(np.iinfo(np.int64).max)


def load_equities_events(data_folder: Path, subscriptions: list[tuple[Symbol, MapFile, Callable[[str, int], float]]],
                         trading_days: pd.DatetimeIndex, time_zone: str = NEW_YORK
                         ) -> list[list[tuple[int, int, _Event]]]:
    """:func:`equities_event_entries` of ``subscriptions`` (each a symbol, its map file and its closes, as :class:`EventSource`'s) with
    their factor files read from ``data_folder`` (none: no splits or dividends). An exchange in another
    ``time_zone`` has its events at its own midnight (LEAN's auxiliary data carries the exchange's
    tradable date): 2004-06-16 00:00 in Kolkata is 2004-06-15 14:30 in New York."""
    from lean_local.engine.parsed_cache import load_record

    sources = []
    for symbol, map_file, closes in subscriptions:
        path = formats.factor_file_path(data_folder, map_file.permtick, symbol.market)
        factors = load_record(formats.read_factor_file, path, missing_ok=True)  # one stat: exists and the key
        sources.append(EventSource(symbol, map_file, factors, closes))
    events = equities_event_entries(sources, trading_days)
    if time_zone != NEW_YORK:
        events = [_moved_to_new_york(entries, time_zone) for entries in events]
    return events


def _moved_to_new_york(entries: list[tuple[int, int, _Event]], time_zone: str) -> list[tuple[int, int, _Event]]:
    """``entries`` (at midnights of ``time_zone``) timed in New York."""
    if not entries:
        return entries
    local = pd.DatetimeIndex([event.time for _, _, event in entries]).tz_localize(time_zone)
    moved = local.tz_convert(NEW_YORK).tz_localize(None)
    for (_, _, event), moment in zip(entries, moved.to_pydatetime(), strict=True):
        event.time = moment
    return [(at, order, event) for at, (_, order, event) in zip(moved.asi8.tolist(), entries, strict=True)]
