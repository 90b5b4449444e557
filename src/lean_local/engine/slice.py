"""``Slice`` and the bar types handed to ``on_data``, built lazily from the feed's columns.

A slice only records which feed columns have data at its time; a ``TradeBar``/``QuoteBar`` object
is created when the algorithm asks for that symbol, so an algorithm that reads a few symbols out
of hundreds pays for a few objects.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

import numpy as np

from lean_local.engine.common import Symbol
from lean_local.engine.corporate_events import StepEvents
from lean_local.engine.custom_data import point_at
from lean_local.engine.data_dictionary import DataDictionary, KeyValuePair
from lean_local.engine.intraday import current_quote_view
from lean_local.engine.lean_members import OBJECT_MEMBERS, name_lean_members
from lean_local.engine.subscription_data import BarView, ns_to_datetime


class TradeBar:
    """OHLCV bar (LEAN ``TradeBar``); ``time`` is the bar start, ``end_time`` its end."""

    __slots__ = ("time", "end_time", "symbol", "open", "high", "low", "close", "volume", "is_fill_forward")

    def __init__(self, time: datetime | None = None, symbol: Symbol | str = "", open: float = 0.0,
                 high: float = 0.0, low: float = 0.0, close: float = 0.0, volume: float = 0.0,
                 period: timedelta = timedelta(days=1)) -> None:
        self.time = time
        self.end_time = time + period if time is not None else None
        self.symbol = symbol
        self.open = float(open)
        self.high = float(high)
        self.low = float(low)
        self.close = float(close)
        self.volume = float(volume)
        self.is_fill_forward = False

    @classmethod
    def _from_values(cls, symbol: Symbol, time: datetime, end_time: datetime, values: list[float],
                     is_fill_forward: bool) -> TradeBar:
        """A bar from its five ``open, high, low, close, volume`` floats (the slice's hot path)."""
        bar = cls.__new__(cls)
        bar.time, bar.end_time, bar.symbol, bar.is_fill_forward = time, end_time, symbol, is_fill_forward
        bar.open, bar.high, bar.low, bar.close, bar.volume = values
        return bar

    @classmethod
    def _from_view(cls, symbol: Symbol, view: BarView) -> TradeBar:
        return cls._from_values(symbol, view.time, view.end_time,
                                [view.open, view.high, view.low, view.close, view.volume], view.is_fill_forward)

    @property
    def period(self) -> timedelta:
        return self.end_time - self.time

    @period.setter
    def period(self, value: timedelta) -> None:
        self.end_time = self.time + value

    @property
    def value(self) -> float:
        return self.close

    @property
    def price(self) -> float:
        return self.close

    def __repr__(self) -> str:
        return f"{self.symbol}: O: {self.open:g} H: {self.high:g} L: {self.low:g} C: {self.close:g} V: {self.volume:g}"


class Bar:
    """Open, high, low, close of one side of a quote bar (LEAN ``Bar``)."""

    def __init__(self, open: float = 0.0, high: float = 0.0, low: float = 0.0, close: float = 0.0) -> None:
        self.open, self.high, self.low, self.close = float(open), float(high), float(low), float(close)

    def __repr__(self) -> str:
        return f"O: {self.open:g} H: {self.high:g} L: {self.low:g} C: {self.close:g}"


class QuoteBar:
    """Bid and ask bars (LEAN ``QuoteBar``); ``open/high/low/close`` are the bid/ask midpoints."""

    def __init__(self, time: datetime | None = None, symbol: Symbol | str = "", bid: Bar | None = None,
                 last_bid_size: float = 0.0, ask: Bar | None = None, last_ask_size: float = 0.0,
                 period: timedelta = timedelta(days=1)) -> None:
        self.time = time
        self.symbol = symbol
        self.bid = bid
        self.ask = ask
        self.last_bid_size = float(last_bid_size)
        self.last_ask_size = float(last_ask_size)
        self.period = period
        self.end_time = time + period if time is not None else None
        self.is_fill_forward = False

    @classmethod
    def _from_view(cls, symbol: Symbol, view: BarView) -> QuoteBar:
        f = view._sub.fields
        i = view._i
        # a side without quotes in the bar (NaN in a minute file) is None, as LEAN's
        bid = Bar(f["bid_open"][i], f["bid_high"][i], f["bid_low"][i], f["bid_close"][i]) \
            if f["bid_close"][i] == f["bid_close"][i] else None
        ask = Bar(f["ask_open"][i], f["ask_high"][i], f["ask_low"][i], f["ask_close"][i]) \
            if f["ask_close"][i] == f["ask_close"][i] else None
        bar = cls(view.time, symbol, bid, float(f["bid_size"][i]), ask, float(f["ask_size"][i]))
        bar.end_time = view.end_time
        bar.period = bar.end_time - bar.time
        bar.is_fill_forward = view.is_fill_forward
        return bar

    def _mid(self, name: str) -> float:
        b, a = self.bid, self.ask
        if b is not None and a is not None:
            return (getattr(b, name) + getattr(a, name)) / 2.0
        return getattr(b or a, name)

    open = property(lambda self: self._mid("open"))
    high = property(lambda self: self._mid("high"))
    low = property(lambda self: self._mid("low"))
    close = property(lambda self: self._mid("close"))
    value = property(lambda self: self._mid("close"))
    price = property(lambda self: self._mid("close"))


class TradeBars(DataDictionary):
    """The trade bars of a time step (LEAN ``TradeBars``)."""


class UnbuiltTradeBars(TradeBars):
    """A slice's trade bars before the slice builds them (:attr:`Slice.bars`): ``contains_key`` and ``in``
    answer for one symbol as the built dictionary would (an algorithm checking which of its symbols have
    a bar makes no bar); any other use builds the slice's bars into this object, which then is a
    :class:`TradeBars` (a bar read one by one costs about twice its share of the whole build, and an
    algorithm reading one bar mostly reads the others)."""

    def __init__(self, owner: Slice, feed: Any, securities: Any) -> None:
        super().__init__()
        self._slice = owner
        self._by_column = owner._by_column
        self._feed = feed
        self._step = feed.step  # the slice's step: past it, the bars are built (as at a first use then)
        self._find = securities.lookup
        self._shared = securities.shared_tickers
        self._trade_columns: set[int] | None = None  # the columns the built bars hold, found when first asked
        self._symbols: set[Symbol] | None = None  # their symbols (no ticker shared: each key is one security's)

    def _built(self) -> TradeBars:
        self._slice._build()  # fills this object and makes it a TradeBars
        return self

    def contains_key(self, key: Any) -> bool:
        """Whether the built bars would hold ``key``, told without building them unless it is unknown
        here: a ticker held by several securities (the dictionary's look-up tells them apart), or the
        feed past the slice's step. With no ticker shared, ``key`` is a key of the bars when it is one of
        the symbols they would hold (the one security the securities' look-up finds for it is that
        symbol's): one set look-up."""
        if self._shared or self._feed.step != self._step:
            return self._contains_each(key)
        symbols = self._symbols
        if symbols is None:
            symbols = self._symbols = {self._by_column[column].symbol for column in self._columns_built()}
        return key in symbols

    def _columns_built(self) -> set[int]:
        columns = self._trade_columns
        if columns is None:
            columns = self._trade_columns = self._slice._trade_columns()
        return columns

    def _contains_each(self, key: Any) -> bool:
        """:meth:`contains_key` by the securities' look-up of ``key``."""
        security = self._find(key)
        shared = self._shared
        if security is None:
            return key in self._built() if shared and key in shared else False
        if self._feed.step != self._step or (shared and str.__str__(security.symbol) in shared):
            return key in self._built()
        symbol = security.symbol
        return security.column in self._columns_built() and (symbol is key or symbol == key)

    __contains__ = contains_key


def _building(name: str) -> Any:
    def method(self: UnbuiltTradeBars, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._built(), name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in ("__getitem__", "get", "__iter__", "__len__", "__repr__", "__eq__", "__ne__", "__or__", "__ror__",
              "__ior__", "__reversed__", "__setitem__", "__delitem__", "__reduce__", "__reduce_ex__", "__sizeof__", "keys",
              "values", "items", "copy", "pop", "popitem", "setdefault", "update", "clear"):
    setattr(UnbuiltTradeBars, _name, _building(_name))


class QuoteBars(DataDictionary):
    """The quote bars of a time step (LEAN ``QuoteBars``)."""


class Splits(DataDictionary):
    """The splits of a time step (LEAN ``Splits``)."""


class Dividends(DataDictionary):
    """The dividends of a time step (LEAN ``Dividends``)."""


class Delistings(DataDictionary):
    """The delisting warnings and delistings of a time step (LEAN ``Delistings``)."""


class SymbolChangedEvents(DataDictionary):
    """The ticker changes of a time step (LEAN ``SymbolChangedEvents``), keyed by the subscribed
    symbol."""


_NO_SPLITS, _NO_DIVIDENDS = Splits(), Dividends()
_NO_DELISTINGS, _NO_SYMBOL_CHANGES = Delistings(), SymbolChangedEvents()
_SYMBOL, _QUOTED = attrgetter("symbol"), attrgetter("quoted")


def _trade_bars(symbols: list[Symbol], start_ns: list[int], end_time: datetime, values: list[list[float]],
                forward: list[bool]) -> list[TradeBar]:
    """A step's trade bars: each ``symbols``' bar starting at ``start_ns`` (int ns; the step's bars share
    one or two), ending at ``end_time``, its five ``open..volume`` and whether it is a fill-forward copy
    (made inline: a constructor's frame per bar cost a third more)."""
    starts = {start: ns_to_datetime(start) for start in set(start_ns)}
    new, cls = TradeBar.__new__, TradeBar
    bars = []
    append = bars.append
    for symbol, start, five, is_forward in zip(symbols, map(starts.__getitem__, start_ns), values, forward, strict=True):
        bar = new(cls)
        bar.time = start
        bar.end_time = end_time
        bar.symbol = symbol
        bar.is_fill_forward = is_forward
        bar.open, bar.high, bar.low, bar.close, bar.volume = five
        append(bar)
    return bars


class Slice:
    """The data of one time step (LEAN ``Slice``): bars are materialized on access.

    ``contains_key`` and ``slice[symbol]`` touch only that symbol; ``keys()``, ``values()``,
    ``bars`` and iteration build every bar of the step.
    """

    def __init__(self, time: datetime, columns: np.ndarray, securities_by_column: list[Any],
                 securities: Any = None, emitted: np.ndarray | None = None,
                 events: StepEvents | None = None) -> None:
        self.time = time
        self._columns = columns
        self._by_column = securities_by_column
        self._securities = securities
        self._emitted = emitted
        self._one: dict[str, Any] = {}
        self._all: DataDictionary | None = None
        self._bars: DataDictionary | None = None
        self._quotes: DataDictionary | None = None
        self._custom: DataDictionary | None = None
        self._events = events
        if events is None:
            self.splits, self.dividends = _NO_SPLITS, _NO_DIVIDENDS
            self.delistings, self.symbol_changed_events = _NO_DELISTINGS, _NO_SYMBOL_CHANGES
        else:
            self.splits, self.dividends = Splits(events.splits), Dividends(events.dividends)
            self.delistings = Delistings(events.delistings)
            self.symbol_changed_events = SymbolChangedEvents(events.symbol_changed_events)

    @staticmethod
    def _make(security: Any) -> tuple[str, Any] | None:
        view = security.last_bar()
        if view is None:
            return None
        kind = security.feed.subs[security.column].kind
        if kind == "trade":
            return kind, TradeBar._from_view(security.symbol, view)
        if kind == "quote":
            return kind, QuoteBar._from_view(security.symbol, view)
        end_ns = view._end if view._end is not None else int(view._sub.end_time[view._i])
        return kind, point_at(view._sub, view._i, end_ns)

    def _build(self) -> None:
        bars = self._bars if self._bars is not None else TradeBars()  # the unbuilt trade bars handed out, filled
        if type(bars) is UnbuiltTradeBars:
            del bars._slice
            bars.__class__ = TradeBars  # type: ignore[assignment]  # the same object, built
        all_, quotes, custom = DataDictionary(), QuoteBars(), DataDictionary()
        columns = self._columns.tolist()
        if columns:
            by_column, one = self._by_column, self._one  # one: the bars built before (mostly none)
            feed = by_column[columns[0]].feed
            now_ns = feed.now_ns
            # every column's current bar gathered at once (a bar read from its own subscription's arrays
            # cost several cache misses); a column without a bar or not a trade bar is not read from them
            bar_starts, bar_ends, ohlcv = feed.current_fields(self._columns)
            filled = bar_ends < now_ns  # an emitted bar ends now: a fill-forward copy is the current bar moved in time
            ohlcv[filled, 4] = 0.0  # a fill-forward copy has no volume (LEAN's TradeBar.Clone)
            indices = feed.current_indices(self._columns)
            securities = list(map(by_column.__getitem__, columns))
            start_ns = (bar_starts + now_ns - bar_ends).tolist()
            if not one and min(indices) >= 0 and not any(map(_QUOTED, securities)) \
                    and list(map(feed.kinds.__getitem__, columns)).count("trade") == len(columns):
                # a step of trade bars alone (as a rule): the bars made in one loop, the dictionaries filled
                # by C-level updates (the same keys in the same order as the loop below gives)
                symbols = list(map(_SYMBOL, securities))
                made = _trade_bars(symbols, start_ns, feed.clock.time, ohlcv.tolist(), filled.tolist())
                dict.update(bars, zip(symbols, made, strict=True))
                dict.update(all_, zip(symbols, made, strict=True))
            else:
                self._build_each(bars, all_, quotes, custom, securities, indices, start_ns, ohlcv.tolist(),
                                 filled.tolist())
        if self._events is not None:
            # LEAN's slice keys a symbol with only auxiliary data too; its value is None
            for symbol in self._events.symbols():
                all_.setdefault(symbol, None)
        self._all, self._bars, self._quotes, self._custom = all_, bars, quotes, custom

    def _build_each(self, bars: TradeBars, all_: DataDictionary, quotes: QuoteBars, custom: DataDictionary,
                    securities: list[Any], indices: list[int], start_ns: list[int], values: list[list[float]],
                    filled: list[bool]) -> None:
        """:meth:`_build`'s bars one column at a time (quote bars, custom data, bars built before)."""
        targets = {"trade": bars, "quote": quotes, "custom": custom}
        one = self._one
        feed = securities[0].feed
        end_time, kinds = feed.clock.time, feed.kinds
        starts: dict[int, datetime] = {}  # the step's bars share one or two start times
        for security, i, bar_start, five, forward in zip(securities, indices, start_ns, values, filled, strict=True):
            column, symbol = security.column, security.symbol
            kind = kinds[column]
            obj = one.get(symbol) if one else None
            if obj is None and kind == "trade" and i >= 0:
                start = starts.get(bar_start)
                if start is None:
                    start = starts[bar_start] = ns_to_datetime(bar_start)
                obj = TradeBar._from_values(symbol, start, end_time, five, forward)
            elif obj is None:
                made = self._make(security)
                if made is None:
                    continue
                obj = made[1]
            targets[kind][symbol] = obj
            all_[symbol] = obj
            if security.quoted:  # a minute equity's quote bar of this step, if any
                quote = current_quote_view(feed, column)
                if quote is not None:
                    quotes[symbol] = QuoteBar._from_view(symbol, quote)

    def _lookup(self, key: Any) -> Any:
        """The bar of one symbol without building the others; None when it has no data now."""
        if self._all is None and self._events is not None:
            self._build()
        if self._all is not None:
            return self._all.get(key)
        if key in self._one:
            return self._one[key]
        if self._securities is None or self._emitted is None:
            return self._data.get(key)
        security = self._securities.get(key)
        if security is None or security.column >= len(self._emitted) or not self._emitted[security.column]:
            return None
        made = self._make(security)
        if made is None:
            return None
        self._one[security.symbol] = made[1]
        return made[1]

    @property
    def _data(self) -> DataDictionary:
        if self._all is None:
            self._build()
        return self._all  # type: ignore[return-value]

    def _trade_columns(self) -> set[int]:
        """The columns whose bars :meth:`_build` puts in the trade bars (a trade bar current now)."""
        feed = self._by_column[int(self._columns[0])].feed
        subs = feed.subs
        return {column for column, i in zip(self._columns.tolist(), feed.current_indices(self._columns), strict=True)
                if i >= 0 and subs[column].kind == "trade"}

    @functools.cached_property
    def bars(self) -> DataDictionary:
        """The trade bars: one object for the slice's life (unbuilt ones are built in place), so it is kept in
        the instance (an algorithm reading ``data.bars`` for each of its symbols reads a dictionary entry)."""
        if self._all is None:
            if self._events is not None or self._securities is None or self._emitted is None:
                self._build()
            elif self._bars is None:
                self._bars = UnbuiltTradeBars(self, self._by_column[int(self._columns[0])].feed, self._securities)
        return self._bars  # type: ignore[return-value]

    @property
    def quote_bars(self) -> DataDictionary:
        if self._all is None:
            self._build()
        return self._quotes  # type: ignore[return-value]

    @property
    def has_data(self) -> bool:
        return len(self._columns) > 0 or bool(self._events)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, type):
            if self._all is None:
                self._build()
            return DataDictionary({s: v for s, v in self._custom.items() if isinstance(v, key)})
        value = self._lookup(key)
        if value is None:
            return self._data[key]  # None for a symbol with only auxiliary data; else __missing__'s KeyError
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, type):
            return self[key]
        value = self._lookup(key)
        return default if value is None else value

    def _has(self, key: Any) -> bool:
        if self._events is not None:
            return key in self._data
        if self._all is None and self._securities is not None and self._emitted is not None:
            security = self._securities.get(key)
            return (security is not None and security.column < len(self._emitted)
                    and bool(self._emitted[security.column]) and security.last_bar() is not None)
        return self._lookup(key) is not None

    def contains_key(self, key: Any) -> bool:
        return self._has(key)

    def __contains__(self, key: object) -> bool:
        return self._has(key)

    def keys(self) -> list[Symbol]:
        return list(self._data.keys())

    def values(self) -> list[Any]:
        return [v for v in dict.values(self._data) if v is not None]

    def items(self) -> list[tuple[Symbol, Any]]:
        return [(k, v) for k, v in dict.items(self._data) if v is not None]

    def __iter__(self) -> Iterator[KeyValuePair]:
        """Key/value pairs of the symbols with data (LEAN's enumerator skips auxiliary-only ones)."""
        return (KeyValuePair(k, v) for k, v in dict.items(self._data) if v is not None)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def count(self) -> int:
        return len(self._data)


# LEAN's members of ``Slice`` and its ``ExtendedDictionary`` (not ``__getattr__``: CPython specialises the
# attribute reads on a slice, its own and the algorithm's)
name_lean_members(Slice, "Slice", (
    "bars", "contains_key", "count", "delistings", "dividends", "get", "has_data", "items", "keys", "quote_bars",
    "splits", "symbol_changed_events", "time", "values"), (
    "all_data", "check_for_implicitly_created_symbol", "clear", "copy", "fromkeys", "future_chains", "futures_chains",
    "get_enumerator", "get_items", "get_keys", "get_values", "is_read_only", "margin_interest_rates", "merge_slice",
    "option_chains", "pop", "popitem", "remove", "setdefault", "ticks", "try_get_value", "update", "utc_time",
    *OBJECT_MEMBERS))
