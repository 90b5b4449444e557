"""A subscription's bars as numpy columns (``SubscriptionData``), one bar read on access
(``BarView``), and the times a subscription emits data (fill-forward) or answers a history request.

Bar times (reference section 5, LEAN's ``daily_precise_end_time``):

* equity day D: ``time`` = D's market open, ``end_time`` = D's market close (New York);
* forex (Oanda) bar labelled D, a UTC day: ``time`` = D 00:00 UTC, ``end_time`` = D+1 00:00 UTC,
  converted to New York;
* index day D: 09:30 to 16:15 New York (CBOE hours, America/Chicago 08:30-15:15);
* custom data: the ``time`` and ``end_time`` its reader gives (New York), e.g. CBOE's day D:
  D 00:00 to D+1 00:00.

A bar is only visible to the algorithm once the clock reaches its ``end_time``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from lean_local.engine.common import Symbol

NS_PER_DAY = 86_400 * 10**9
NEW_YORK = "America/New_York"
TRADE_FIELDS = ("open", "high", "low", "close", "volume")
QUOTE_FIELDS = ("bid_open", "bid_high", "bid_low", "bid_close", "bid_size",
                "ask_open", "ask_high", "ask_low", "ask_close", "ask_size")


@dataclass
class SubscriptionData:
    """One subscription's bars as columns.

    ``time`` and ``end_time`` are int64 nanoseconds of naive New York datetimes. ``fields`` holds
    float64 columns: ``open, high, low, close, volume`` for every kind (for quote bars they are the
    bid/ask midpoints and volume 0, as LEAN's ``QuoteBar``), plus the ten bid/ask columns for quote
    bars and ``value`` for custom data. Equity prices are already adjusted per ``normalization``.
    ``factor`` keeps the adjustment factor of each bar (1 in RAW mode), ``delisted`` the delisting
    date from the map file (None while listed).
    """

    symbol: Symbol
    kind: str  # "trade", "quote" or "custom"
    time: np.ndarray
    end_time: np.ndarray
    fields: dict[str, np.ndarray]
    factor: np.ndarray
    delisted: pd.Timestamp | None = None
    fill_forward: bool = True
    emit_times: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    points: list | None = None  # custom data: the reader's objects, one per bar
    quotes: SubscriptionData | None = None  # minute equities: the quote bars beside the trade bars
    record: str | Path | None = None  # the parsed-data cache's record these columns were read from or written to
    #: open..volume as the columns of one (bars x 5) float64 array, given or stacked from ``fields``
    ohlcv: np.ndarray | None = None

    def __post_init__(self) -> None:
        # one (bars x 5) array: a slice reads a bar's five values with one ``ohlcv[i].tolist()``; the
        # fields become views of it, so nothing is stored twice
        if self.ohlcv is None:
            self.ohlcv = np.column_stack([np.asarray(self.fields[name], dtype=np.float64) for name in TRADE_FIELDS]) \
                if len(self.end_time) else np.empty((0, 5))
        for k, name in enumerate(TRADE_FIELDS):
            self.fields[name] = self.ohlcv[:, k]

    def __len__(self) -> int:
        return len(self.end_time)


class ReleasedSubscription(SubscriptionData):
    """What a removed subscription keeps once its bars are released (:meth:`DataFeed.remove`): the one
    bar it froze on (or its first bar when it froze before any), its emission times (the clock's grid
    is laid out from every subscription's), its delisting date and where to read the rest. ``index``
    is the frozen bar's index in the whole subscription (-1 before its first bar).

    Parameters
    ----------
    data : SubscriptionData
        The whole subscription (a daily trade subscription).
    index : int
        The bar it froze on.
    reload : callable
        Reads the whole subscription again (the security's loader), when the cache's record
        (``data.record``) cannot be read: :meth:`whole` reads that record directly (a re-added
        security's bars in about a quarter of a millisecond for 22 years).
    read_record : callable
        ``read_record(symbol, record, delisted)``: the subscription of a cache record.
    """

    def __init__(self, data: SubscriptionData, index: int, reload: Callable[[], SubscriptionData],
                 read_record: Callable[[Symbol, str | Path, pd.Timestamp | None], SubscriptionData]) -> None:
        keep = slice(max(index, 0), max(index, 0) + 1)  # copies: a view would keep the whole arrays alive
        super().__init__(data.symbol, data.kind, data.time[keep].copy(), data.end_time[keep].copy(),
                         {name: np.array(column[keep]) for name, column in data.fields.items()},
                         data.factor[keep].copy(), data.delisted, data.fill_forward, data.emit_times,
                         record=data.record)
        self.index = index
        self._reload = reload
        self._read_record = read_record

    def whole(self) -> SubscriptionData:
        """The whole subscription, read again, with the emission times it had."""
        data = None
        if self.record is not None:
            try:
                data = self._read_record(self.symbol, self.record, self.delisted)
            except (OSError, ValueError, KeyError, TypeError):
                data = None  # the record went away: read the data files again
        if data is None:
            data = self._reload()
        data.emit_times = self.emit_times
        return data


_EPOCH = datetime(1970, 1, 1)


def ns_to_datetime(ns: int) -> datetime:
    """int64 nanoseconds since the epoch -> naive datetime (microsecond precision)."""
    return _EPOCH + timedelta(0, 0, ns // 1000)  # positional: a third cheaper than the keyword (once a step)


def datetime_to_us(moment: datetime) -> int:
    """A naive datetime's whole microseconds since the epoch (exact: no float in between)."""
    return (moment - _EPOCH) // _MICROSECOND


def datetime_to_ns(moment: datetime) -> int:
    """``pd.Timestamp(moment).value`` without building the Timestamp: a naive datetime's nanoseconds
    since the epoch (a pandas Timestamp, which may carry nanoseconds, or an aware datetime through pandas)."""
    if type(moment) is datetime and moment.tzinfo is None:
        return datetime_to_us(moment) * 1000
    return int(pd.Timestamp(moment).value)


_MICROSECOND = timedelta(microseconds=1)


def empty_subscription(symbol: Symbol, kind: str) -> SubscriptionData:
    names = TRADE_FIELDS + (QUOTE_FIELDS if kind == "quote" else ()) + (("value",) if kind == "custom" else ())
    empty = np.empty(0, dtype=np.int64)
    return SubscriptionData(symbol, kind, empty, empty, {n: np.empty(0) for n in names}, np.empty(0))


def custom_subscription(symbol: Symbol, points: list, time: np.ndarray, end_time: np.ndarray,
                        prices: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                        fill_forward: bool) -> SubscriptionData:
    """A custom data subscription from its reader's points: ``prices`` are the open, high, low and
    close the security sees (a bar's own, else the point's price four times); ``value`` is the close."""
    fields = {name: np.asarray(column, dtype=np.float64) for name, column in zip(("open", "high", "low", "close"),
                                                                                 prices, strict=True)}
    fields["volume"] = np.zeros(len(points))
    fields["value"] = fields["close"]
    return SubscriptionData(symbol, "custom", time, end_time, fields, np.ones(len(points)), fill_forward=fill_forward,
                            points=points)


class BarView:
    """One bar read from a subscription's columns on access."""

    __slots__ = ("_sub", "_i", "is_fill_forward", "_end", "_time", "_end_time")

    def __init__(self, sub: SubscriptionData, i: int, is_fill_forward: bool = False, end_ns: int | None = None) -> None:
        self._sub = sub
        self._i = i
        self.is_fill_forward = is_fill_forward
        self._end = end_ns
        self._time: datetime | None = None
        self._end_time: datetime | None = None

    def _f(self, name: str) -> float:
        return float(self._sub.fields[name][self._i])

    def original(self) -> BarView:
        """The real bar this view shows (itself unless it is a fill-forward copy): what LEAN's
        ``SecurityCache`` holds, as it does not store fill-forward data."""
        return BarView(self._sub, self._i) if self.is_fill_forward else self

    open = property(lambda self: self._f("open"))
    high = property(lambda self: self._f("high"))
    low = property(lambda self: self._f("low"))
    close = property(lambda self: self._f("close"))
    # LEAN's TradeBar.Clone(fillForward: true) zeroes the volume of a fill-forward copy
    volume = property(lambda self: 0.0 if self.is_fill_forward else self._f("volume"))

    @property
    def time(self) -> datetime:
        if self._time is None:
            start = int(self._sub.time[self._i])
            if self._end is not None:  # fill-forward copies move in time, as LEAN's cloned bars
                start += self._end - int(self._sub.end_time[self._i])
            self._time = ns_to_datetime(start)
        return self._time

    def period_microseconds(self) -> int:
        """``end_time - time`` in whole microseconds (the datetimes' precision), without building them."""
        real_end = int(self._sub.end_time[self._i])
        end = self._end if self._end is not None else real_end
        return end // 1000 - (int(self._sub.time[self._i]) + end - real_end) // 1000

    @property
    def end_time(self) -> datetime:
        if self._end_time is None:
            self._end_time = ns_to_datetime(self._end if self._end is not None else int(self._sub.end_time[self._i]))
        return self._end_time

    @property
    def bid(self) -> _Side:
        return _Side(self._sub, self._i, "bid")

    @property
    def ask(self) -> _Side:
        return _Side(self._sub, self._i, "ask")


class _Side:
    __slots__ = ("_sub", "_i", "_p")

    def __init__(self, sub: SubscriptionData, i: int, prefix: str) -> None:
        self._sub, self._i, self._p = sub, i, prefix

    open = property(lambda self: float(self._sub.fields[f"{self._p}_open"][self._i]))
    high = property(lambda self: float(self._sub.fields[f"{self._p}_high"][self._i]))
    low = property(lambda self: float(self._sub.fields[f"{self._p}_low"][self._i]))
    close = property(lambda self: float(self._sub.fields[f"{self._p}_close"][self._i]))


def delisting_day_end_ns(delisted: pd.Timestamp) -> int:
    """The last nanosecond of the delisting day ``delisted`` (int ns): a delisted subscription has no data
    after it. Read off the Timestamp's nanoseconds (adding a Timedelta cost ~10 us, and a third of the
    symbols a large universe adds a day carry a delisting date)."""
    return int(delisted.value) + NS_PER_DAY - 1


def visible_until(sub: SubscriptionData, end_ns: int) -> int:
    """``end_ns``, or the last nanosecond of ``sub``'s delisting day when that is earlier."""
    delisted = sub.delisted
    return end_ns if delisted is None else min(end_ns, delisting_day_end_ns(delisted))


def emission_times(sub: SubscriptionData, session_closes: np.ndarray | None, end_ns: int) -> np.ndarray:
    """The clock times at which a subscription shows up in a slice.

    Real bar end times, plus (when the subscription fills forward and exchange session closes are
    given, ascending) every session close from the first bar until the delisting date or ``end_ns``: LEAN
    fills daily data forward over missing trading days, but never before the first bar.
    """
    if len(sub) == 0:
        return np.empty(0, dtype=np.int64)
    if not sub.fill_forward or session_closes is None:
        return sub.end_time
    last = visible_until(sub, end_ns)
    ends = sub.end_time
    # the sessions (ascending) from the first bar's end to ``last``: a slice between two binary searches (two
    # masks over every session cost 8 of the 16 us a security's times took at 5 years)
    sessions = session_closes[session_closes.searchsorted(ends[0]):session_closes.searchsorted(last, side="right")]
    # a stock that traded every session already ends a bar at each: np.union1d's sort is not needed
    # (most often its bars end exactly at the sessions: no binary search either; int64 compared as bytes).
    # Its bar ends are its emission times, the same array (no one writes into them): no copy to fault in
    # (a new process's first run), and the feed finds the column's emissions with its bars.
    if len(sessions) == len(ends) and sessions.tobytes() == ends.tobytes() and (ends[1:] > ends[:-1]).all():
        return ends
    at = np.minimum(ends.searchsorted(sessions), len(ends) - 1)
    if (ends[at] == sessions).all() and (ends[1:] > ends[:-1]).all():
        return ends
    return np.union1d(ends, sessions)


def history_rows(sub: SubscriptionData, session_closes: np.ndarray | None, end_ns: int, periods: int | None = None,
                 start_ns: int | None = None, windows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None
                 ) -> tuple[slice | np.ndarray, np.ndarray]:
    """The rows of a daily history request as LEAN returns them: each row's bar index and end time.

    Without ``session_closes`` (a subscription that does not fill forward) the rows are the real
    bars ending in the window. With them, LEAN's history fills forward as its feed does
    (``HistoryRequest.FillForwardResolution``): every session close in the window from the first
    real bar in it on (to the delisting date at most) is a row, a copy of the latest bar where the
    day has none. The window is the last ``periods`` sessions up to ``end_ns``
    (``Time.GetStartTimeForTradeBars``), or ``[start_ns, end_ns]``.

    The bar indices are a slice when they are consecutive bars (a view of each field: no gather).
    ``windows``, one dict per request (same ``end_ns``, ``periods``, ``start_ns``), keeps the window's
    sessions for the symbols that share session closes and last day.
    """
    if session_closes is None or not sub.fill_forward:
        hi = int(np.searchsorted(sub.end_time, end_ns, side="right"))
        lo = max(0, hi - periods) if periods is not None else int(np.searchsorted(sub.end_time, start_ns, side="left"))
        rows = np.arange(lo, max(lo, hi))
        return rows, sub.end_time[rows]
    last = visible_until(sub, end_ns)
    key = (id(session_closes), last)
    window = windows.get(key) if windows is not None else None
    if window is None:
        # the arrays' own searchsorted: np.searchsorted's dispatch cost as much as the search (a warm-up
        # reads the history of each of the ~75 symbols a large universe adds a day)
        sessions = session_closes[: session_closes.searchsorted(last, side="right")]
        if periods is not None:
            sessions = sessions[max(0, len(sessions) - periods):]
            # the window opens after the session before the first one counted
            start_ns = int(sessions[0]) - NS_PER_DAY + 1 if len(sessions) else end_ns + 1
        else:
            sessions = sessions[sessions.searchsorted(start_ns, side="left"):]
        assert start_ns is not None
        # one right-side search gives both ends (a left-side search of start_ns is a right-side one of start_ns - 1)
        window = (sessions, np.array([start_ns - 1, end_ns], dtype=np.int64))
        if windows is not None:
            windows[key] = window
    sessions, bounds = window
    end_time = sub.end_time
    lo, hi = end_time.searchsorted(bounds, side="right").tolist()
    if hi <= lo:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    real = end_time[lo:hi]
    # int64 arrays compared as their bytes: a tenth of an elementwise == and .all() (a warm-up compares
    # each of the ~75 symbols a large universe adds a day)
    if hi - lo == len(sessions) and real.tobytes() == sessions.tobytes():  # a bar every session of the window
        return slice(lo, hi), sessions
    later = sessions[sessions.searchsorted(real[0]):]  # the sessions from the first real bar on (sorted)
    if len(later) == len(real) and later.tobytes() == real.tobytes():  # a bar every session (sessions increase)
        return slice(lo, hi), later
    # a daily bar ends at a session's close: the union is those sessions unless a bar ends off them
    where = later.searchsorted(real)
    times = later if where[-1] < len(later) and (later[where] == real).all() else np.union1d(real, later)
    return end_time.searchsorted(times, side="right") - 1, times
