"""The ``QCAlgorithm`` history request (``history``): daily bars as LEAN's history returns them
(fill-forward rows, normalization), one ``(symbol, time)``-indexed frame."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from lean_local.engine import intraday
from lean_local.engine.common import DataNormalizationMode, Resolution, Symbol, not_supported
from lean_local.engine.daily_readers import load_equity
from lean_local.engine.securities import Security
from lean_local.engine.subscription_data import SubscriptionData, history_rows


class HistoryApi:
    """``history`` (a mixin of :class:`lean_local.engine.algorithm.QCAlgorithm`)."""

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
                    self._data_folder, symbol, security.data_normalization_mode,
                    security.exchange.hours.session_times)
            return self._history_cache[key], security
        if security is not None and self._running:
            return self._feed.subs[security._column], security
        if security is not None:
            key = (str(symbol), int(security.data_normalization_mode))
            if key not in self._history_cache:
                self._history_cache[key] = security._loader()
            return self._history_cache[key], security
        key = (str(symbol), int(DataNormalizationMode.ADJUSTED))
        if key not in self._history_cache:
            hours = self._exchange_hours(Symbol(str(symbol)))
            self._history_cache[key] = load_equity(self._data_folder, Symbol(str(symbol)),
                                                   DataNormalizationMode.ADJUSTED, hours.session_times)
        return self._history_cache[key], None

    def _history_sessions(self, symbol: Symbol, security: Security | None,
                          data: SubscriptionData) -> np.ndarray | None:
        """Session closes (int64 ns) a history of ``data`` fills forward over; None when it does not
        fill forward (LEAN fills history forward like the subscription: trade bars here)."""
        if data.kind != "trade" or not data.fill_forward or (security is not None and not security._fill_forward):
            return None
        hours = security.exchange.hours if security is not None else self._exchange_hours(symbol)
        first = pd.Timestamp(int(data.end_time[0])).date()
        last = max(self.end_date, self.time).date()
        cached = self._history_session_closes.get(id(hours))
        if cached is None or first < cached[0] or last > cached[1]:
            if cached is not None:
                first, last = min(first, cached[0]), max(last, cached[1])
            days = hours.trading_days(first, last)
            closes = hours.session_times(days)[1] if len(days) else np.empty(0, dtype=np.int64)
            cached = self._history_session_closes[id(hours)] = (first, last, closes)
        return cached[2]

    def history(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """``history(symbols, periods | timedelta | start, [end], resolution)`` as LEAN's DataFrame.

        Index ``(symbol, time)`` with ``time`` the bar's end time; only bars that ended at or before
        the current time. Trade bars fill forward over sessions without a bar (volume 0), as LEAN's
        history does (:func:`lean_local.engine.subscription_data.history_rows`). Trade bars: ``open, high, low, close, volume``; forex quote bars: LEAN's
        ``askclose .. bidsize`` columns and the bid/ask midpoints ``close, high, low, open``.
        """
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
        parts: list[tuple[Symbol, pd.DatetimeIndex, dict[str, np.ndarray]]] = []
        for sym in symbols:
            data, security = self._history_data(sym if isinstance(sym, Symbol) else self.symbol(str(sym)), resolution)
            if len(data) == 0:
                continue
            symbol_obj = security.symbol if security is not None else Symbol(str(sym))
            rows, end_times = history_rows(data, self._history_sessions(symbol_obj, security, data), end_ns,
                                           periods, start_ns)
            if not len(rows):
                continue
            times = pd.DatetimeIndex(end_times)
            if data.kind == "quote":
                f = data.fields
                columns = {}
                for side in ("ask", "bid"):
                    for part in ("close", "high", "low", "open"):
                        columns[f"{side}{part}"] = f[f"{side}_{part}"][rows]
                    columns[f"{side}size"] = f[f"{side}_size"][rows]
                for part in ("close", "high", "low", "open"):
                    columns[part] = f[part][rows]
            else:
                columns = {name: data.fields[name][rows] for name in ("open", "high", "low", "close", "volume")}
                # fill-forward rows have no volume, as LEAN's fill-forward bars
                columns["volume"] = np.where(data.end_time[rows] == end_times, columns["volume"], 0.0)
                if data.kind == "custom":
                    columns = {name: data.fields[name][rows] for name in ("open", "high", "low", "close", "value")}
            parts.append((symbol_obj, times, columns))
        return _history_frame(parts)


def _history_frame(parts: list[tuple[Symbol, pd.DatetimeIndex, dict[str, np.ndarray]]]) -> pd.DataFrame:
    """One ``(symbol, time)``-indexed frame of every symbol's ``(symbol, times, columns)``, in order.

    Symbols with the same columns are joined array by array under one index (a MultiIndex per symbol,
    then a concat, cost most of a large universe's warm-up); mixed kinds (trade, quote, custom) are
    concatenated as frames, their columns united.
    """
    if not parts:
        return pd.DataFrame()
    names = list(parts[0][2])
    if any(list(columns) != names for _, _, columns in parts):
        return pd.concat([pd.DataFrame(columns, index=pd.MultiIndex.from_arrays(
            [[symbol] * len(times), times], names=["symbol", "time"])) for symbol, times, columns in parts])
    symbols = np.empty(len(parts), dtype=object)
    symbols[:] = [symbol for symbol, _, _ in parts]
    index = pd.MultiIndex.from_arrays(
        [np.repeat(symbols, [len(times) for _, times, _ in parts]),
         pd.DatetimeIndex(np.concatenate([times.asi8 for _, times, _ in parts]).view("datetime64[ns]"))],
        names=["symbol", "time"])
    return pd.DataFrame({name: np.concatenate([columns[name] for _, _, columns in parts]) for name in names},
                        index=index)
