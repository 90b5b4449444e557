"""The ``QCAlgorithm`` history request (``history``): daily bars as LEAN's history returns them
(fill-forward rows, normalization), one ``(symbol, time)``-indexed frame."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import compress
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine import custom_data, intraday
from lean_local.engine.common import DataNormalizationMode, Resolution, SecurityType, Symbol, not_supported
from lean_local.engine.custom_universe import DataUniverse
from lean_local.engine.daily_readers import load_equity
from lean_local.engine.fundamental_universe import (
    CoarseFundamental,
    Fundamental,
    FundamentalUniverse,
    fundamentals_at,
)
from lean_local.engine.securities import Security
from lean_local.engine.subscription_data import SubscriptionData, history_rows
from lean_local.engine.universe_history import (
    collection_days,
    flattened_frame,
    fundamental_frame,
    is_universe_type,
)


class _History:
    """``self.history``: called, the history request; indexed by a data type
    (``self.history[FundamentalUniverse](symbols, periods)``), LEAN's generic ``History<T>``."""

    def __init__(self, function: Any) -> None:
        self._function = function

    def __get__(self, algorithm: Any, owner: type) -> Any:
        return self._function if algorithm is None else _BoundHistory(algorithm, self._function)


class _BoundHistory:
    __slots__ = ("_algorithm", "_function")

    def __init__(self, algorithm: Any, function: Any) -> None:
        self._algorithm, self._function = algorithm, function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._function(self._algorithm, *args, **kwargs)

    def __getitem__(self, data_type: Any) -> Any:
        return lambda *args, **kwargs: self._algorithm._typed_history(data_type, *args, **kwargs)


class HistoryApi:
    """``history`` (a mixin of :class:`lean_local.engine.algorithm.QCAlgorithm`)."""

    def _universe_of(self, symbol: Any) -> FundamentalUniverse:
        for universe in self.universe_manager.universes:
            if isinstance(universe, FundamentalUniverse) and universe.symbol == symbol:
                return universe
        raise not_supported("QCAlgorithm.history", f"the data of {symbol} (the universe data of the algorithm's "
                                                   "fundamental universes only)")

    def _universe_history(self, universe: FundamentalUniverse, span: Any, flatten: bool) -> pd.DataFrame:
        if not flatten:
            raise not_supported("QCAlgorithm.history", "a universe's history without flatten=True")
        days = collection_days(self._run.data_folder, self._exchange_hours(Symbol("SPY")), self.time, span)
        return flattened_frame([(day, universe.rows_for_day(day)) for day in days])

    def _typed_history(self, data_type: Any, symbols: Any, span: Any, *args: Any, **kwargs: Any) -> list[Any]:
        """``history[T](symbols, span)``: for a fundamental universe's data, one dictionary per
        collection, universe symbol -> its ``Fundamental`` rows; for the custom data of a universe
        (``add_universe(T, name, ...)``) ``history[T](universe.symbol, start, end, [resolution])``, its
        points in the window, read as its subscription reads them."""
        if isinstance(symbols, Symbol) and isinstance(span, datetime):
            return self._custom_universe_history(data_type, symbols, span, *args, **kwargs)
        if not is_universe_type(data_type) or args or kwargs:
            raise not_supported("QCAlgorithm.history[T]", f"{getattr(data_type, '__name__', data_type)} (fundamental "
                                                          "universe data only)")
        universes = [self._universe_of(symbol) for symbol in symbols]
        days = collection_days(self._run.data_folder, self._exchange_hours(Symbol("SPY")), self.time, span)
        return [{universe.symbol: universe.rows_for_day(day) for universe in universes} for day in days]

    def _custom_universe_history(self, data_type: Any, symbol: Symbol, start: datetime, end: datetime | None = None,
                                 resolution: Any = None) -> list[Any]:
        universe = next((u for u in self.universe_manager.universes
                         if isinstance(u, DataUniverse) and u.data_type is data_type and u.symbol == symbol), None)
        if universe is None or resolution not in (None, Resolution.DAILY):
            raise not_supported("QCAlgorithm.history[T]", f"{getattr(data_type, '__name__', data_type)} of {symbol} "
                                                          "(the daily data of the algorithm's custom data universes)")
        end = min(end or self.time, self.time)
        hours = universe.hours or self._exchange_hours(Symbol("SPY"))
        days = [d.date() for d in hours.trading_days(start.date(), end.date())]
        series = custom_data.read_custom_data(data_type(), universe.configuration, days, start, end,
                                              universe.data_folder)
        return [point for point in series.points if start <= point.end_time <= end]

    def fundamentals(self, symbols: Any) -> Any:
        """LEAN's ``Fundamentals``: a ``Fundamental`` of each symbol at the current time (a list for a
        list): price fields from the coarse file of today's date, fine fields missing."""
        if isinstance(symbols, Symbol | str):
            return fundamentals_at(self._run.data_folder, self.time, [symbols])[0]
        return fundamentals_at(self._run.data_folder, self.time, list(symbols))

    def _history_data(self, symbol: Symbol, resolution: Resolution | None = None
                      ) -> tuple[SubscriptionData, Security | None]:
        security = self.securities.get(symbol)
        if security is not None and intraday.is_intraday(security.resolution):
            if resolution != Resolution.DAILY:
                raise not_supported("QCAlgorithm.history", f"{security.resolution.name} resolution (the history of "
                                                           "an intraday security: pass Resolution.DAILY)")
            key = (f"{symbol}|daily", int(security.data_normalization_mode))
            if key not in self._history_cache:
                self._history_cache[key] = load_equity(
                    self._run.data_folder, symbol, security.data_normalization_mode,
                    security.exchange.hours.session_times)
            return self._history_cache[key], security
        if security is not None and self._run.running:
            return self._feed.data(security.column), security
        if security is not None:
            key = (str(symbol), int(security.data_normalization_mode))
            if key not in self._history_cache:
                self._history_cache[key] = security.loader()
            return self._history_cache[key], security
        key = (str(symbol), int(DataNormalizationMode.ADJUSTED))
        if key not in self._history_cache:
            hours = self._exchange_hours(Symbol(str(symbol)))
            self._history_cache[key] = load_equity(self._run.data_folder, Symbol(str(symbol)),
                                                   DataNormalizationMode.ADJUSTED, hours.session_times)
        return self._history_cache[key], None

    def _history_sessions(self, symbol: Symbol, security: Security | None, data: SubscriptionData,
                          last: date) -> np.ndarray | None:
        """Session closes (int64 ns) a history of ``data`` fills forward over, through ``last`` at least;
        None when it does not fill forward (LEAN fills history forward like the subscription: trade bars
        here)."""
        if data.kind != "trade" or not data.fill_forward or (security is not None and not security.is_fill_data_forward):
            return None
        hours = security.exchange.hours if security is not None else self._exchange_hours(symbol)
        cached = self._history_session_closes.get(id(hours))
        # the dates compared as midnights in int64 ns (a Timestamp per request cost a fifth of a warm-up)
        if cached is None or int(data.end_time[0]) < cached[0] or last > cached[1]:
            first = pd.Timestamp(int(data.end_time[0])).normalize()
            if cached is not None:
                first, last = min(first, pd.Timestamp(cached[0])), max(last, cached[1])
            days = hours.trading_days(first.date(), last)
            closes = hours.session_times(days)[1] if len(days) else np.empty(0, dtype=np.int64)
            cached = self._history_session_closes[id(hours)] = (int(first.value), last, closes)
        return cached[2]

    def _history(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """``history(symbols, periods | timedelta | start, [end], resolution)`` as LEAN's DataFrame.

        Index ``(symbol, time)`` with ``time`` the bar's end time; only bars that ended at or before
        the current time. Trade bars fill forward over sessions without a bar (volume 0), as LEAN's
        history does (:func:`lean_local.engine.subscription_data.history_rows`). Trade bars: ``open, high, low, close, volume``; forex quote bars: LEAN's
        ``askclose .. bidsize`` columns and the bid/ask midpoints ``close, high, low, open``.
        """
        flatten = bool(kwargs.pop("flatten", False))
        if args and isinstance(args[0], FundamentalUniverse):  # history(universe, span)
            return self._universe_history(args[0], args[1], flatten)
        if args and is_universe_type(args[0]):  # history(FundamentalUniverse, [universe symbol], span)
            symbols = [args[1]] if isinstance(args[1], Symbol) else list(args[1])
            frames = [self._universe_history(self._universe_of(s), args[2], flatten) for s in symbols]
            return pd.concat(frames) if len(frames) > 1 else frames[0]
        if args and args[0] in (Fundamental, CoarseFundamental):
            if len(args) != 2:
                raise not_supported("QCAlgorithm.history", "history(Fundamental, symbols, ...) (the algorithm's "
                                                           "securities only: history(Fundamental, span))")
            symbols = [s for s in self.securities.keys() if s.security_type == SecurityType.EQUITY]
            return fundamental_frame(self._run.data_folder, self._exchange_hours(Symbol("SPY")), self.time, args[1],
                                     symbols)
        if args and isinstance(args[0], type):
            args = args[1:]
        if not args:
            raise TypeError("history needs symbols")
        symbols_arg = args[0]
        rest = list(args[1:])
        resolution = kwargs.get("resolution")
        if rest and isinstance(rest[-1], Resolution):
            resolution = rest.pop()
        if resolution not in (None, Resolution.DAILY):
            raise not_supported("QCAlgorithm.history", f"resolution {resolution.name} (daily data only)")
        if isinstance(symbols_arg, str):
            symbols = [symbols_arg]
        else:
            symbols = list(symbols_arg)
        now_ns = int(pd.Timestamp(self.time).value)
        periods = start_ns = None
        end_ns = now_ns
        if rest and isinstance(rest[0], int | np.integer):
            periods = int(rest[0])
        elif rest and isinstance(rest[0], timedelta):
            start_ns = int(pd.Timestamp(self.time - rest[0]).value)
        elif rest:
            start_ns = int(pd.Timestamp(rest[0]).value)
            if len(rest) > 1 and rest[1] is not None:
                end_ns = min(now_ns, int(pd.Timestamp(rest[1]).value))
        parts: list[tuple[Symbol, np.ndarray, tuple[str, ...], np.ndarray]] = []
        windows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}  # the symbols' shared sessions
        last = max(self.end_date, self.time).date()  # the sessions known reach the run's end or now
        history_data, history_sessions = self._history_data, self._history_sessions  # read once: ~75 symbols a day
        # while the run goes, a daily security's data is its feed column: read here, with its exchange's
        # session closes (the warm-up of the ~75 symbols a large universe adds a day paid two calls a symbol)
        running = self._run.running
        securities, closes_of = self.securities, self._history_session_closes
        feed_data = self._feed.data if running else None
        for sym in symbols:
            security = securities.get(sym) if running and isinstance(sym, Symbol) else None
            if security is None or intraday.is_intraday(security.resolution):
                data, security = history_data(sym if isinstance(sym, Symbol) else self.symbol(str(sym)), resolution)
                if not len(data.end_time):
                    continue
                symbol_obj = security.symbol if security is not None else Symbol(str(sym))
                sessions = history_sessions(symbol_obj, security, data, last)
            else:
                data = feed_data(security.column)  # type: ignore[misc]
                end_time = data.end_time
                if not len(end_time):
                    continue
                symbol_obj = security.symbol
                if data.kind != "trade" or not data.fill_forward or not security.is_fill_data_forward:
                    sessions = None
                else:  # _history_sessions' answer when its exchange's closes reach this bars' first and last
                    cached = closes_of.get(id(security.exchange.hours))
                    sessions = cached[2] if cached is not None and end_time.item(0) >= cached[0] \
                        and last <= cached[1] else history_sessions(symbol_obj, security, data, last)
            rows, end_times = history_rows(data, sessions, end_ns, periods, start_ns, windows)
            if len(end_times):
                parts.append((symbol_obj, end_times, *_history_values(data, rows, end_times)))
        return _history_frame(parts)

    history = _History(_history)


_TRADE_COLUMNS = ("open", "high", "low", "close", "volume")
_CUSTOM_COLUMNS = ("open", "high", "low", "close", "value")
# LEAN's quote bar history columns, each side's then the midpoints; the subscription's field of each
_QUOTE_COLUMNS = tuple(f"{side}{part}" for side in ("ask", "bid") for part in ("close", "high", "low", "open", "size")) \
    + ("close", "high", "low", "open")
_QUOTE_FIELDS = tuple(f"{name[:3]}_{name[3:]}" for name in _QUOTE_COLUMNS[:10]) + _QUOTE_COLUMNS[10:]


def _history_values(data: SubscriptionData, rows: slice | np.ndarray,
                    end_times: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """A history's columns of ``data``'s ``rows`` and their values as one (rows x columns) array: a trade
    subscription's bars are rows of its open..volume block, read in one gather (a view for consecutive
    bars, each ending at its row's time)."""
    if data.kind == "trade":
        values = data.ohlcv[rows]
        if not isinstance(rows, slice):
            # fill-forward rows have no volume, as LEAN's fill-forward bars
            values[data.end_time[rows] != end_times, 4] = 0.0
        return _TRADE_COLUMNS, values
    names, fields = (_CUSTOM_COLUMNS, _CUSTOM_COLUMNS) if data.kind == "custom" else (_QUOTE_COLUMNS, _QUOTE_FIELDS)
    return names, np.column_stack([data.fields[name][rows] for name in fields])


def _history_frame(parts: list[tuple[Symbol, np.ndarray, tuple[str, ...], np.ndarray]]) -> pd.DataFrame:
    """One ``(symbol, time)``-indexed frame of every symbol's ``(symbol, times, column names, values)``
    (values: rows x columns), in order (``times`` int64 ns: a DatetimeIndex per symbol cost a third of a
    large universe's warm-up).

    Symbols with the same columns are joined into one block under one index (a MultiIndex per symbol,
    then a concat, cost most of a large universe's warm-up); mixed kinds (trade, quote, custom) are
    concatenated as frames, their columns united. The parts are read column by column through C-level
    passes (``zip``, ``map``): a Python pass per part and column cost most of the frame.
    """
    if not parts:
        return pd.DataFrame()
    names = parts[0][2]
    symbols, times, columns, blocks = zip(*parts, strict=True)
    if columns.count(names) != len(columns):  # the parts' column tuples are most often one object
        return pd.concat([pd.DataFrame(values, index=pd.MultiIndex.from_arrays(
            [[symbol] * len(times), pd.DatetimeIndex(times)], names=["symbol", "time"]), columns=list(columns),
            copy=True) for symbol, times, columns, values in parts])
    lengths = list(map(len, times))
    if 0 in lengths:
        symbols, times = tuple(compress(symbols, lengths)), tuple(compress(times, lengths))  # blocks: 0 rows
        lengths = [length for length in lengths if length]
    # MultiIndex.from_arrays' levels and codes with the symbols factorized once per part holding rows:
    # factorizing each row's Symbol (a str with a Python __eq__) cost most of the frame
    by_part = np.empty(len(symbols), dtype=object)
    by_part[:] = symbols
    tickers = list(map(str.__str__, symbols))
    if len(set(tickers)) == len(tickers):
        # distinct tickers: Categorical's sorted categories and codes by sorting the plain strings
        order = sorted(range(len(tickers)), key=tickers.__getitem__)
        symbol_level = pd.Index(by_part[order], dtype=object)
        part_codes = np.empty(len(order), dtype=np.int64)
        part_codes[order] = np.arange(len(order))
    else:  # a ticker twice (two securities of one ticker, or a symbol asked twice): Categorical's equality
        categorical = pd.Categorical(by_part)
        symbol_level, part_codes = categorical.categories, categorical.codes
    level, time_codes = _time_level(times)
    index = pd.MultiIndex(levels=[symbol_level, pd.DatetimeIndex(level.view("datetime64[ns]"))],
                          codes=[np.repeat(part_codes, lengths), time_codes], names=["symbol", "time"],
                          verify_integrity=False)
    dtypes = set(map(attrgetter("dtype"), blocks))
    if len(dtypes) != 1:
        return pd.DataFrame({name: np.concatenate([block[:, j] for block in blocks]) for j, name in enumerate(names)},
                            index=index)
    # one (columns x rows) block, what the frame of a dict of float columns consolidates into, written in place
    values = np.empty((len(names), len(time_codes)), dtype=dtypes.pop())
    np.concatenate(blocks, out=values.T)
    return pd.DataFrame(values.T, index=index, columns=_columns(names), copy=False)


_COLUMN_INDEXES: dict[tuple[str, ...], pd.Index] = {}


def _columns(names: tuple[str, ...]) -> pd.Index:
    """A frame's own copy of the column index of ``names`` (a copy of one made once: the frame built
    from a list of names spent half its time making the index; each frame owns its copy, so renaming
    one frame's columns in place renames no other's)."""
    index = _COLUMN_INDEXES.get(names)
    if index is None:
        index = _COLUMN_INDEXES[names] = pd.Index(list(names))
    return index.copy()


def _time_level(times: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct times of the parts' ``times`` (each holding rows) and each row's position
    among them (Categorical's, without its hashing); without a sort when every part has the same
    increasing times (symbols with a bar every session of the window: their requests share one array).
    Otherwise the parts that share an array (most: the window's sessions) are sorted and searched once:
    a day's warm-up of ~75 symbols, one of them listed inside the window, sorted all ~6,000 rows for its
    one shorter array."""
    if not times:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.intp)
    distinct = dict(zip(map(id, times), times, strict=True))
    first = times[0]
    # int64 arrays compared as their bytes (equal lengths and values)
    if (len(distinct) == 1 or all(other.tobytes() == first.tobytes() for other in distinct.values())) \
            and (first[1:] > first[:-1]).all():
        return first, np.tile(np.arange(len(first)), len(times))
    level = np.unique(np.concatenate(list(distinct.values())))
    positions = {key: level.searchsorted(array) for key, array in distinct.items()}
    return level, np.concatenate(list(map(positions.__getitem__, map(id, times))))
