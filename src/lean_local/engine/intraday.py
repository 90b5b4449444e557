"""US equity subscriptions at minute and hour resolution, on the feed's columnar arrays.

What LEAN does, and this module follows (``../shared/docs/lean-reference.md``, LEAN's source):

* **Data types.** An equity at minute resolution gets a ``TradeBar`` and a ``QuoteBar``
  subscription; at hour (and daily) resolution a ``TradeBar`` one only
  (``DataManager.LookupSubscriptionConfigDataTypes``, ``LeanData.IsValidConfiguration``). Both
  minute feeds count in ``DataPoints``. The trade bars are the security's column in the feed (the
  default data type sets the price: ``SecurityCache.ProcessDataPoint``, ``IsDefaultDataType``); the
  quote bars ride along as :attr:`SubscriptionData.quotes` and serve the fill model and the count.
* **Bar times.** A bar's ``time`` is its start (milliseconds since midnight in the minute files, the
  ``hh:mm`` of the hour files), its ``end_time`` the start plus the period. Only bars that overlap the
  day's regular session reach the algorithm (``MarketHoursFilter``, ``LocalMarketHours.IsOpen``
  with ``Overlaps``): minute bars starting 09:30 to 15:59, the hour bars ending 10:00 to 16:00.
* **Prices.** Adjusted as the daily bars: raw x the factor of the bar's date; volume / factor.
* **Fill-forward.** Every period end inside a regular session, from the first real bar to the end
  date (or the delisting), shows a copy of the latest bar when no bar ends then
  (``FillForwardEnumerator``), across nights too (the first minute of a day repeats yesterday's
  last bar when it has none).
* **Fills.** A market order fills at the latest real quote bar's ask (buys) or bid (sells) close when
  that bar ended within ``StalePriceTimeSpan`` (1 hour) of the order, else at the latest trade bar's
  close (``EquityFillModel.GetBestEffortAskPrice``/``GetBestEffortBidPrice``).

Nothing here runs for an algorithm whose subscriptions are all daily: the algorithm calls in only for
securities added at an intraday resolution.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local.data import formats
from lean_local.data.map_files import MapFile
from lean_local.engine import feed as feeds
from lean_local.engine.common import DataNormalizationMode, Resolution, Symbol
from lean_local.engine.daily_readers import map_file_resolver, warn_missing_file
from lean_local.engine.parsed_cache import cached_read
from lean_local.engine.subscription_data import BarView, SubscriptionData, empty_subscription, visible_until

#: The bar period (ns) of each intraday resolution the runtime reads.
PERIOD_NS = {Resolution.MINUTE: 60 * 10**9, Resolution.HOUR: 3_600 * 10**9}
_DAY_NS = 86_400 * 10**9
_STALE_NS = 3_600 * 10**9  # FillModelParameters.StalePriceTimeSpan


def is_intraday(resolution: Any) -> bool:
    """Does ``resolution`` read minute or hour files?"""
    return resolution in PERIOD_NS


def _ticker_days(map_file: MapFile, days: pd.DatetimeIndex) -> list[tuple[pd.Timestamp, str]]:
    """Each trading day with the ticker its files are named by (the map file's row of that day)."""
    out = []
    for first, last, ticker in map_file.segments():
        for day in days[(days >= first) & (days <= last)]:
            out.append((day, ticker))
    return sorted(out)


def _in_session(starts: np.ndarray, period: int, hours: Any) -> np.ndarray:
    """Bars (start ns) that overlap their day's regular session."""
    if not len(starts):
        return np.zeros(0, dtype=bool)
    opens, closes = hours.session_times(pd.DatetimeIndex(starts))
    return (starts < closes) & (starts + period > opens)


def _read_days(data_folder: Path, map_file: MapFile, days: pd.DatetimeIndex, tick_type: str,
               period: int, hours: Any) -> pd.DataFrame | None:
    """The minute bars of ``tick_type`` over ``days`` in the regular session; None without any file."""
    reader = formats.read_equity_minute_trade if tick_type == "trade" else formats.read_equity_minute_quote
    frames = []
    for day, ticker in _ticker_days(map_file, days):
        path = formats.equity_minute_path(data_folder, ticker, day, tick_type)
        if path.exists():
            frame = reader(path, day)
            frames.append(frame[_in_session(frame.index.asi8, period, hours)])
    if not frames:
        return None
    return pd.concat(frames)


def _read_hours(data_folder: Path, map_file: MapFile, days: pd.DatetimeIndex, period: int,
                hours: Any) -> pd.DataFrame | None:
    """The hour bars of ``days`` in the regular session, each day from its ticker's zip."""
    frames = []
    cache: dict[str, pd.DataFrame | None] = {}
    for day, ticker in _ticker_days(map_file, days):
        if ticker not in cache:
            path = formats.equity_hour_path(data_folder, ticker)
            cache[ticker] = cached_read(formats.read_equity_hour, path) if path.exists() else None
        frame = cache[ticker]
        if frame is None:
            continue
        starts = frame.index.asi8
        lo, hi = np.searchsorted(starts, [day.value, day.value + _DAY_NS])
        part = frame.iloc[lo:hi]
        frames.append(part[_in_session(part.index.asi8, period, hours)])
    if not frames:
        return None
    return pd.concat(frames)


def _adjusted(frame: pd.DataFrame, factors: np.ndarray, prices: list[str], sizes: list[str]) -> dict[str, np.ndarray]:
    fields = {name: frame[name].to_numpy(dtype=np.float64) * factors for name in prices}
    for name in sizes:  # LEAN scales sizes by the inverse factor, rounded half to even
        fields[name] = np.round(frame[name].to_numpy(dtype=np.float64) / factors)
    return fields


def load_equity_intraday(data_folder: Path, symbol: Symbol, normalization: DataNormalizationMode, hours: Any,
                         resolution: Resolution, first_day: datetime, last_day: datetime,
                         warn_missing: bool = True) -> SubscriptionData:
    """A US equity's minute (trade, with its quotes) or hour bars over ``[first_day, last_day]``.

    Parameters
    ----------
    data_folder : Path
        LEAN's data folder.
    symbol : Symbol
        The equity; its map file names the files of each day.
    normalization : DataNormalizationMode
        ADJUSTED (the factor file's factor of each bar's date) or RAW.
    hours : ExchangeHours
        The exchange's hours: the regular session filters the bars.
    resolution : Resolution
        MINUTE or HOUR.
    first_day, last_day : datetime
        The days to read (the run's first and last day).
    warn_missing : bool
        Warn (else log at debug level) when no file exists for any day.

    Returns
    -------
    SubscriptionData
        ``kind`` "trade"; ``time``/``end_time`` the bars' start and end (int64 ns, New York); for
        minute data ``quotes`` holds the quote bars (``kind`` "quote", open..close the bid/ask
        midpoints as LEAN's ``QuoteBar``, or the one side present).
    """
    data_folder = Path(data_folder)
    period = PERIOD_NS[resolution]
    map_file = map_file_resolver(data_folder).resolve(symbol.value) or MapFile.unmapped(symbol.value)
    days = hours.trading_days(pd.Timestamp(first_day).date(), pd.Timestamp(last_day).date())
    factor_path = formats.factor_file_path(data_folder, map_file.permtick)
    factor_frame = cached_read(formats.read_factor_file, factor_path) \
        if normalization != DataNormalizationMode.RAW and factor_path.exists() else None
    if resolution == Resolution.HOUR:
        trades = _read_hours(data_folder, map_file, days, period, hours)
    else:
        trades = _read_days(data_folder, map_file, days, "trade", period, hours)
    if trades is None:
        where = formats.equity_hour_path(data_folder, symbol.value) if resolution == Resolution.HOUR else \
            formats.equity_minute_path(data_folder, symbol.value, pd.Timestamp(first_day), "trade").parent
        warn_missing_file(where, symbol.value, "equity", logging.WARNING if warn_missing else logging.DEBUG)
        data = empty_subscription(symbol, "trade")
    else:
        starts = trades.index.asi8
        factors = formats.adjustment_factors(factor_frame, trades.index)
        fields = _adjusted(trades, factors, ["open", "high", "low", "close"], ["volume"])
        data = SubscriptionData(symbol, "trade", starts, starts + period, fields, factors)
    data.delisted = map_file.delisted
    if resolution == Resolution.MINUTE:
        quotes = _read_days(data_folder, map_file, days, "quote", period, hours)
        data.quotes = _quote_subscription(symbol, quotes, factor_frame, period, map_file.delisted)
    return data


def _quote_subscription(symbol: Symbol, frame: pd.DataFrame | None, factor_frame: pd.DataFrame | None,
                        period: int, delisted: pd.Timestamp | None) -> SubscriptionData:
    if frame is None:
        return empty_subscription(symbol, "quote")
    starts = frame.index.asi8
    factors = formats.adjustment_factors(factor_frame, frame.index)
    sides = [f"{side}_{part}" for side in ("bid", "ask") for part in ("open", "high", "low", "close")]
    fields = _adjusted(frame, factors, sides, ["bid_size", "ask_size"])
    for part in ("open", "high", "low", "close"):
        bid, ask = fields[f"bid_{part}"], fields[f"ask_{part}"]
        # LEAN's QuoteBar: the midpoint of both sides, else the side present
        fields[part] = np.where(np.isnan(bid), ask, np.where(np.isnan(ask), bid, (bid + ask) / 2.0))
    fields["volume"] = np.zeros(len(frame))
    return SubscriptionData(symbol, "quote", starts, starts + period, fields, factors, delisted)


def session_bar_ends(hours: Any, first_day: datetime, last_day: datetime, period: int) -> np.ndarray:
    """End times (int64 ns) of every bar of ``period`` that overlaps a regular session between the
    two days: the times a filled-forward intraday subscription emits at."""
    days = hours.trading_days(pd.Timestamp(first_day).date(), pd.Timestamp(last_day).date())
    if not len(days):
        return np.empty(0, dtype=np.int64)
    opens, closes = hours.session_times(days)
    parts = []
    for open_ns, close_ns in zip(opens.tolist(), closes.tolist(), strict=True):
        first_end = open_ns - open_ns % period + period  # bars are aligned on the period from midnight
        parts.append(_ends(first_end, close_ns, period))
    return np.concatenate(parts)


def _ends(first_end: int, close_ns: int, period: int) -> np.ndarray:
    """Bar ends from ``first_end`` while the bar starts before ``close_ns``."""
    count = max(0, -(-(close_ns - first_end + period) // period))  # ceil((close - start of first) / period)
    return first_end + period * np.arange(count, dtype=np.int64)


def warm_up_start(hours: Any, start: datetime, bars: int, resolution: Resolution) -> datetime:
    """The start of the ``bars``-th regular-session bar of ``resolution`` before ``start`` (LEAN's
    ``Time.GetStartTimeForTradeBars``, the start of a bar-count warm-up)."""
    period = PERIOD_NS[resolution]
    last_day = pd.Timestamp(start) - pd.Timedelta(days=1)
    days = bars * period // (6 * 3_600 * 10**9) + 10  # a session holds at least 6 hours
    while True:
        ends = session_bar_ends(hours, last_day - pd.Timedelta(days=2 * days), last_day, period)
        if len(ends) >= bars or days > 40_000:
            break
        days *= 2
    first = int(ends[-bars]) if len(ends) >= bars else int(ends[0]) if len(ends) else int(pd.Timestamp(start).value)
    return pd.Timestamp(first - period).to_pydatetime()


def emission_times(sub: SubscriptionData, session_ends: np.ndarray, end_ns: int) -> np.ndarray:
    """The clock times an intraday subscription shows up at: its bars' ends, plus (filling forward)
    every session bar end from its first bar to ``end_ns`` or the delisting date."""
    if len(sub) == 0:
        return np.empty(0, dtype=np.int64)
    if not sub.fill_forward:
        return sub.end_time
    last = visible_until(sub, end_ns)
    sessions = session_ends[(session_ends >= sub.end_time[0]) & (session_ends <= last)]
    return np.union1d(sub.end_time[sub.end_time <= last], sessions)


def set_emission_times(sub: SubscriptionData, hours: Any, resolution: Resolution, fill_forward: bool,
                       first_day: datetime, end: datetime, forward_period: int | None = None) -> None:
    """Set ``emit_times`` of an intraday subscription and of its quotes: filled forward every
    ``forward_period`` (default: the resolution's period; a finer fill-forward resolution of the feed
    repeats an hour bar every minute)."""
    period = forward_period or PERIOD_NS[resolution]
    ends = session_bar_ends(hours, first_day, end, period)
    end_ns = int(pd.Timestamp(end).value)
    for part in (sub, sub.quotes):
        if part is not None:
            part.fill_forward = fill_forward
            part.emit_times = emission_times(part, ends, end_ns)


def quote_points(feed: feeds.DataFeed, columns: list[int]) -> int:
    """Quote bars (real or filled forward) of the current step in ``columns`` (the quoted ones): LEAN
    counts them in ``DataPoints`` beside the trade bars the slice carries."""
    now = feed.now_ns
    panel = feed.panel
    count = 0
    for column in columns:
        quotes = panel.subs[column].quotes
        if quotes is None or not len(quotes.emit_times) or now < panel.visible_from[column]:
            continue
        frozen = panel.frozen.get(column)
        if frozen is not None and frozen[0] <= feed.step < frozen[1]:
            continue
        i = int(np.searchsorted(quotes.emit_times, now))
        if i < len(quotes.emit_times) and quotes.emit_times[i] == now:
            count += 1
    return count


def best_effort_price(security: Any, buy: bool, order_time: datetime) -> float | None:
    """The price a market order of a minute equity fills at before slippage: the latest real quote
    bar's ask (buy) or bid (sell) close when it ended within an hour of the order, else None (the
    caller takes the trade bar's close); None too for a security without quote bars."""
    feed = security.feed
    sub = feed.subs[security.column] if security.column < len(feed.subs) else None
    quotes = None if sub is None else sub.quotes
    if quotes is None or not len(quotes) or feed.step < 0:
        return None
    now = feed.now_ns
    i = int(np.searchsorted(quotes.end_time, now, side="right")) - 1
    if i < 0 or quotes.end_time[i] < feed.panel.visible_from[security.column]:
        return None
    if int(quotes.end_time[i]) < int(pd.Timestamp(order_time).value) - _STALE_NS:
        return None
    side = quotes.fields["ask_close" if buy else "bid_close"][i]
    return float(quotes.fields["close"][i] if np.isnan(side) else side)


def current_quote_view(feed: feeds.DataFeed, column: int) -> BarView | None:
    """The column's quote bar of the current step (a fill-forward copy when no quote bar ends now),
    None when its quotes emit nothing now."""
    quotes = feed.subs[column].quotes
    if quotes is None or not len(quotes.emit_times):
        return None
    now = feed.now_ns
    k = int(np.searchsorted(quotes.emit_times, now))
    if k >= len(quotes.emit_times) or quotes.emit_times[k] != now:
        return None
    i = int(np.searchsorted(quotes.end_time, now, side="right")) - 1
    if i < 0 or quotes.end_time[i] < feed.panel.visible_from[column]:
        return None
    forward = int(quotes.end_time[i]) < now
    return BarView(quotes, i, forward, now if forward else None)


def cached_quote(feed: feeds.DataFeed, column: int, bid: bool) -> float | None:
    """LEAN's ``SecurityCache.BidPrice``/``AskPrice`` of a quoted column: the side's close of the latest
    real quote bar that has that side, None before any (the caller then takes the price)."""
    if feed.step < 0 or column >= len(feed.subs):
        return None
    quotes = feed.subs[column].quotes
    if quotes is None:
        return None
    closes = quotes.fields["bid_close" if bid else "ask_close"]
    first = int(np.searchsorted(quotes.end_time, feed.panel.visible_from[column], side="left"))
    i = int(np.searchsorted(quotes.end_time, feed.now_ns, side="right")) - 1
    while i >= first:
        value = closes[i]
        if value > 0:  # NaN (no quote on that side in the minute) and 0 leave the cached price
            return float(value)
        i -= 1
    return None


__all__ = ["PERIOD_NS", "best_effort_price", "cached_quote", "current_quote_view", "emission_times", "is_intraday",
           "load_equity_intraday", "quote_points", "session_bar_ends", "set_emission_times", "warm_up_start"]
